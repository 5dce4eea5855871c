// The rtk command line's frame, in-process: option parsing, config resolution, help, exit statuses.
#include "../../apps/rtk/cli.hpp"

#include "redis_toolkit/errors.hpp"

#include <boost/algorithm/string/join.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

using redis_toolkit::ValidationError;
using rtk::CliInvocation;
using rtk::parse_command_line;
using Arguments = std::vector<std::string>;

namespace {

/// The message of the ValidationError parsing `arguments` throws; fails the test when none is
/// thrown.
std::string parse_error(const Arguments& arguments) {
  try {
    parse_command_line(arguments);
  } catch (const ValidationError& error) {
    return error.what();
  }
  BOOST_ERROR("no ValidationError for: " + boost::algorithm::join(arguments, " "));
  return {};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

struct CliRun {
  int status = -1;
  std::string out;
  std::string err;
};

CliRun run(const Arguments& arguments, const std::string& input = {}) {
  std::istringstream in(input);
  std::ostringstream out;
  std::ostringstream err;
  rtk::CommandStreams streams{in, out, err};
  CliRun result;
  result.status = rtk::run_cli(arguments, streams);
  result.out = out.str();
  result.err = err.str();
  return result;
}

/// A TOML file that lives as long as the object.
struct TemporaryToml {
  std::filesystem::path path;
  explicit TemporaryToml(const std::string& text, const std::string& extension = "toml")
      : path(std::filesystem::temp_directory_path() /
             ("rtk-cli-test-" + std::to_string(::getpid()) + "." + extension)) {
    std::ofstream(path) << text;
  }
  ~TemporaryToml() { std::filesystem::remove(path); }
};

} // namespace

BOOST_AUTO_TEST_SUITE(cli_parse_tests)

BOOST_AUTO_TEST_CASE(defaults_follow_the_contract) {
  const CliInvocation invocation = parse_command_line({"get", "user:1"});
  BOOST_TEST(invocation.command == "get");
  BOOST_TEST(invocation.arguments == Arguments{"user:1"}, boost::test_tools::per_element());
  BOOST_TEST(invocation.config.connection.host == "127.0.0.1");
  BOOST_TEST(invocation.config.connection.port == 6379);
  BOOST_TEST(invocation.config.connection.db == 0);
  BOOST_TEST(!invocation.config.connection.cluster_mode);
  BOOST_TEST(!invocation.config.connection.password.has_value());
  BOOST_TEST(invocation.flags.empty());
}

BOOST_AUTO_TEST_CASE(options_stand_before_or_after_the_command) {
  const CliInvocation invocation =
      parse_command_line({"--host", "10.1.2.3", "set", "k", "{\"a\": 1}", "--port", "7000", "--ttl",
                          "60", "--db=3", "--username", "alice", "--password", "s3cret"});
  BOOST_TEST(invocation.command == "set");
  BOOST_TEST(invocation.arguments == (Arguments{"k", "{\"a\": 1}"}),
             boost::test_tools::per_element());
  BOOST_TEST(invocation.config.connection.host == "10.1.2.3");
  BOOST_TEST(invocation.config.connection.port == 7000);
  BOOST_TEST(invocation.config.connection.db == 3);
  BOOST_TEST(invocation.config.connection.username.value_or("") == "alice");
  BOOST_TEST(invocation.config.connection.password.value_or("") == "s3cret");
  BOOST_TEST(invocation.flags.at("ttl") == "60");
}

BOOST_AUTO_TEST_CASE(an_unknown_option_is_named) {
  BOOST_TEST(contains(parse_error({"get", "k", "--bogus"}), "unknown option --bogus"));
  BOOST_TEST(contains(parse_error({"-x", "get", "k"}), "unknown option -x"));
  // A misspelt --password=... must not echo the password.
  const std::string message = parse_error({"get", "k", "--pasword=s3cret"});
  BOOST_TEST(contains(message, "--pasword"));
  BOOST_TEST(!contains(message, "s3cret"));
}

BOOST_AUTO_TEST_CASE(a_missing_value_is_named) {
  BOOST_TEST(contains(parse_error({"get", "k", "--port"}), "option --port needs a value"));
  BOOST_TEST(contains(parse_error({"--host", "--port", "7000", "get", "k"}),
                      "option --host needs a value"));
  BOOST_TEST(
      contains(parse_error({"--sharded=yes", "publish", "c", "1"}), "--sharded takes no value"));
}

BOOST_AUTO_TEST_CASE(numbers_are_checked) {
  for (const std::string bad : {"abc", "0", "70000", "12x", ""}) {
    const std::string message = parse_error({"get", "k", "--port", bad});
    BOOST_TEST(contains(message, "--port expects an integer 1..65535, got '" + bad + "'"), message);
  }
  BOOST_TEST(contains(parse_error({"get", "k", "--db", "-1"}), "--db"));
  BOOST_TEST(
      contains(parse_error({"get", "k", "--db", "16"}), "db")); // RedisConnectionConfig::validate
  BOOST_TEST(contains(parse_error({"set", "k", "1", "--ttl", "0"}), "--ttl"));
  BOOST_TEST(contains(parse_error({"subscribe", "c", "--count", "-2"}), "--count"));
  BOOST_TEST(contains(parse_error({"subscribe", "c", "--timeout", "soon"}), "--timeout"));
  BOOST_TEST(contains(parse_error({"cluster", "up", "--base-port", "65536"}), "--base-port"));
  const auto flags =
      parse_command_line({"subscribe", "c", "--timeout", "0.5", "--count", "3", "--sharded"}).flags;
  BOOST_TEST(flags.size() == 3U);
  BOOST_TEST(flags.at("timeout") == "0.5");
  BOOST_TEST(flags.at("count") == "3");
  BOOST_TEST(flags.at("sharded") == "true");
  // psubscribe takes the same --count and --timeout, but no --sharded (no sharded patterns).
  const auto pattern_flags =
      parse_command_line({"psubscribe", "a.*", "b?", "--count", "2", "--timeout", "1.5"});
  BOOST_TEST(pattern_flags.arguments == (std::vector<std::string>{"a.*", "b?"}));
  BOOST_TEST(pattern_flags.flags.at("count") == "2");
  BOOST_TEST(pattern_flags.flags.at("timeout") == "1.5");
  BOOST_TEST(contains(parse_error({"psubscribe", "a.*", "--sharded"}), "--sharded"));
  BOOST_TEST(contains(parse_error({"psubscribe", "a.*", "--count", "-1"}), "--count"));
  BOOST_TEST(contains(parse_error({"psubscribe"}), "psubscribe"));
}

BOOST_AUTO_TEST_CASE(cluster_nodes_turn_on_cluster_mode) {
  const CliInvocation invocation =
      parse_command_line({"--cluster", "127.0.0.1:7000,127.0.0.1:7001", "nodes"});
  const auto& connection = invocation.config.connection;
  BOOST_TEST(connection.cluster_mode);
  BOOST_REQUIRE_EQUAL(connection.startup_nodes.size(), 2U);
  BOOST_TEST(connection.startup_nodes[0].to_string() == "127.0.0.1:7000");
  BOOST_TEST(connection.startup_nodes[1].port == 7001);
  BOOST_TEST(contains(parse_error({"--cluster", "127.0.0.1", "nodes"}), "--cluster"));
  BOOST_TEST(contains(parse_error({"--cluster", "127.0.0.1:7000,", "nodes"}), "--cluster"));
  BOOST_TEST(contains(parse_error({"--cluster", "127.0.0.1:7000", "--db", "2", "nodes"}), "db"));
}

BOOST_AUTO_TEST_CASE(sentinels_and_a_master_name_turn_on_sentinel_mode) {
  const CliInvocation invocation = parse_command_line(
      {"--sentinel", "127.0.0.1:26379,127.0.0.1:26380", "--master", "mymaster", "get", "k"});
  const auto& connection = invocation.config.connection;
  BOOST_TEST(connection.sentinel_mode());
  BOOST_REQUIRE_EQUAL(connection.sentinels.size(), 2U);
  BOOST_TEST(connection.sentinels[1].to_string() == "127.0.0.1:26380");
  BOOST_TEST(connection.sentinel_master_name == "mymaster");
  BOOST_TEST(contains(parse_error({"--sentinel", "127.0.0.1:26379", "get", "k"}),
                      "sentinel_master_name"));
  BOOST_TEST(contains(parse_error({"--master", "mymaster", "get", "k"}), "sentinel_master_name"));
  BOOST_TEST(contains(parse_error({"--sentinel", "h", "--master", "m", "get", "k"}), "--sentinel"));
  BOOST_TEST(contains(parse_error({"--sentinel", "127.0.0.1:26379", "--master", "m", "--cluster",
                                   "127.0.0.1:7000", "nodes"}),
                      "cluster_mode"));
}

BOOST_AUTO_TEST_CASE(redis_cli_tls_flags_fill_the_ssl_fields) {
  // Files: the parser only checks that they can be read (the toolkit loads them).
  const TemporaryToml ca("-\n", "ca.crt");
  const TemporaryToml cert("-\n", "client.crt");
  const TemporaryToml key("-\n", "client.key");
  const CliInvocation invocation = parse_command_line(
      {"--tls", "--cacert", ca.path.string(), "--cert", cert.path.string(), "--key",
       key.path.string(), "--sni", "redis.internal", "get", "k"});
  const auto& connection = invocation.config.connection;
  BOOST_TEST(connection.ssl);
  BOOST_TEST(connection.ssl_ca_certs == ca.path.string());
  BOOST_TEST(connection.ssl_certfile == cert.path.string());
  BOOST_TEST(connection.ssl_keyfile == key.path.string());
  BOOST_TEST(connection.ssl_server_name == "redis.internal");
  BOOST_TEST(connection.ssl_cert_reqs == "required");
  BOOST_TEST(parse_command_line({"--tls", "--insecure", "health"}).config.connection.ssl_cert_reqs ==
             "none");
  BOOST_TEST(!parse_command_line({"health"}).config.connection.ssl);
  // A file that cannot be read is named, with its option's field.
  BOOST_TEST(contains(parse_error({"--tls", "--cacert", "/nonexistent/ca.crt", "health"}),
                      "/nonexistent/ca.crt"));
  // A certificate without its key is refused.
  BOOST_TEST(contains(parse_error({"--tls", "--cert", cert.path.string(), "health"}),
                      "ssl_keyfile"));
  BOOST_TEST(contains(parse_error({"health", "--tls", "--sni"}), "--sni"));
}

BOOST_AUTO_TEST_CASE(the_config_file_comes_first_and_options_override_it) {
  const TemporaryToml file(
      "[connection]\nhost = \"10.0.0.5\"\nport = 7001\ndb = 2\npassword = \"s3cret\"\n"
      "[options]\nmax_key_length = 64\n");
  const CliInvocation invocation =
      parse_command_line({"get", "k", "--port", "7002", "--config", file.path.string()});
  BOOST_TEST(invocation.config.connection.host == "10.0.0.5");
  BOOST_TEST(invocation.config.connection.port == 7002);
  BOOST_TEST(invocation.config.connection.db == 2);
  BOOST_TEST(invocation.config.connection.password.value_or("") == "s3cret");
  BOOST_TEST(invocation.config.options.max_key_length == 64U);
  BOOST_TEST(contains(parse_error({"--config", "/nonexistent/rtk.toml", "get", "k"}),
                      "/nonexistent/rtk.toml"));
}

BOOST_AUTO_TEST_CASE(commands_and_their_arguments_are_checked) {
  BOOST_TEST(contains(parse_error({}), "no command given"));
  BOOST_TEST(contains(parse_error({"--port", "7000"}), "no command given"));
  BOOST_TEST(contains(parse_error({"frobnicate"}), "unknown command 'frobnicate'"));
  BOOST_TEST(contains(parse_error({"get"}), "usage: rtk get KEY"));
  BOOST_TEST(contains(parse_error({"get", "a", "b"}), "too many arguments for get"));
  BOOST_TEST(contains(parse_error({"cluster", "sideways"}), "unknown cluster action 'sideways'"));
  BOOST_TEST(
      contains(parse_error({"get", "k", "--ttl", "5"}), "option --ttl does not apply to get"));
  BOOST_TEST(parse_command_line({"del", "a", "b", "c"}).arguments.size() == 3U);
  BOOST_TEST(parse_command_line({"cluster", "up", "--base-port", "7000", "--dir", "/tmp/c"})
                 .flags.size() == 2U);
  BOOST_TEST(parse_command_line({"bench", "--short", "--only", "codec,blocking"}).flags.size() == 2U);
  BOOST_TEST(contains(parse_error({"bench", "anything"}), "too many arguments for bench"));
  BOOST_TEST(contains(parse_error({"bench", "--rounds", "0"}), "option --rounds expects an integer"));
}

BOOST_AUTO_TEST_CASE(negative_numbers_and_double_dash_are_arguments) {
  BOOST_TEST(parse_command_line({"set", "k", "-5"}).arguments == (Arguments{"k", "-5"}),
             boost::test_tools::per_element());
  BOOST_TEST(parse_command_line({"set", "k", "-0.25"}).arguments.back() == "-0.25");
  BOOST_TEST(parse_command_line({"set", "--", "--ttl", "-"}).arguments == (Arguments{"--ttl", "-"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(help_and_version_in_every_spelling) {
  BOOST_TEST(parse_command_line({"--help"}).command == "help");
  BOOST_TEST(parse_command_line({"-h"}).arguments.empty());
  BOOST_TEST(parse_command_line({"help"}).command == "help");
  BOOST_TEST(parse_command_line({"help", "set"}).arguments == Arguments{"set"},
             boost::test_tools::per_element());
  const CliInvocation asked = parse_command_line({"set", "--help"}); // no KEY VALUE needed for help
  BOOST_TEST(asked.command == "help");
  BOOST_TEST(asked.arguments == Arguments{"set"}, boost::test_tools::per_element());
  BOOST_TEST(parse_command_line({"--config", "/nonexistent.toml", "--help"}).command == "help");
  BOOST_TEST(parse_command_line({"--version"}).command == "version");
  BOOST_TEST(parse_command_line({"version"}).command == "version");
}

BOOST_AUTO_TEST_CASE(every_command_has_a_usage_and_a_handler) {
  for (const rtk::CommandSpec& command : rtk::command_table()) {
    BOOST_TEST(command.usage.rfind(command.name, 0) == 0, command.name);
    BOOST_TEST(!command.summary.empty(), command.name);
    BOOST_TEST(static_cast<bool>(command.handler), command.name);
    BOOST_TEST(rtk::find_command(command.name) == &command);
  }
}

BOOST_AUTO_TEST_CASE(help_lists_every_command_and_exits_0) {
  for (const Arguments& arguments : {Arguments{"--help"}, Arguments{"help"}}) {
    const CliRun result = run(arguments);
    BOOST_TEST(result.status == rtk::exit_ok);
    BOOST_TEST(result.err.empty());
    for (const rtk::CommandSpec& command : rtk::command_table()) {
      BOOST_TEST(contains(result.out, command.usage), command.usage);
    }
  }
  const CliRun one = run({"subscribe", "--help"});
  BOOST_TEST(one.status == rtk::exit_ok);
  BOOST_TEST(
      contains(one.out, "usage: rtk subscribe CHANNEL... [--sharded] [--count N] [--timeout S]"));
  BOOST_TEST(contains(one.out, "--count N"));
  BOOST_TEST(!contains(one.out, "usage: rtk get"));
  BOOST_TEST(run({"help", "nope"}).status == rtk::exit_usage);
}

BOOST_AUTO_TEST_CASE(simulate_replays_a_seed_exactly_and_refuses_a_cluster_too_small) {
  // The simulated cluster needs no server: the same seed gives the same run, line for line.
  const CliRun first = run({"simulate", "--seed", "7", "--calls", "5000"});
  BOOST_TEST(first.status == rtk::exit_ok, first.err);
  BOOST_TEST(first.out.rfind("seed 7: 6 nodes, ", 0) == 0u, first.out);
  BOOST_TEST(contains(first.out, "failovers"));
  const CliRun again = run({"simulate", "--seed", "7", "--calls", "5000"});
  BOOST_TEST(again.out == first.out);
  BOOST_TEST(run({"simulate", "--seed", "8", "--calls", "5000"}).out != first.out);
  const CliRun small = run({"simulate", "--masters", "2"});
  BOOST_TEST(small.status == rtk::exit_usage);
  BOOST_TEST(contains(small.err, "--masters takes 3 to 1000"), small.err);
}

BOOST_AUTO_TEST_CASE(errors_are_one_line_with_kind_and_status) {
  const CliRun usage = run({"get", "k", "--bogus"});
  BOOST_TEST(usage.status == rtk::exit_usage);
  BOOST_TEST(usage.err == "rtk: ValidationError: unknown option --bogus (see rtk --help)\n");
  BOOST_TEST(usage.out.empty());
}

BOOST_AUTO_TEST_CASE(a_command_not_wired_yet_says_so_with_status_3) {
  CliInvocation invocation = parse_command_line({"cluster", "status"});
  std::istringstream in;
  std::ostringstream out;
  std::ostringstream err;
  rtk::CommandStreams streams{in, out, err};
  BOOST_TEST(rtk::not_available(invocation, streams) == rtk::exit_not_available);
  BOOST_TEST(err.str() == "rtk: cluster: not available in this build yet\n");
  BOOST_TEST(out.str().empty());
}

BOOST_AUTO_TEST_CASE(version_prints_the_version) {
  const CliRun result = run({"version"});
  BOOST_TEST(result.status == rtk::exit_ok);
  BOOST_TEST(contains(result.out, "rtk (redis-toolkit) "));
  BOOST_TEST(run({"--version"}).out == result.out);
}

BOOST_AUTO_TEST_CASE(verbose_is_a_flag_and_the_password_stays_out_of_the_description) {
  const CliInvocation invocation =
      parse_command_line({"--verbose", "--password", "s3cret", "--port", "7005", "health"});
  BOOST_TEST(invocation.verbose);
  const std::string description = invocation.config.connection.describe();
  BOOST_TEST(contains(description, "127.0.0.1:7005"));
  BOOST_TEST(!contains(description, "s3cret"));
}

BOOST_AUTO_TEST_CASE(the_library_logs_warnings_only_unless_verbose) {
  using redis_toolkit::LogLevel;
  BOOST_TEST((parse_command_line({"health"}).config.options.log_level == LogLevel::warning));
  BOOST_TEST((parse_command_line({"--cluster", "127.0.0.1:7000", "nodes"}).config.options.log_level ==
              LogLevel::warning));
  BOOST_TEST((parse_command_line({"--verbose", "health"}).config.options.log_level ==
              LogLevel::info));
}

BOOST_AUTO_TEST_CASE(sharded_pubsub_and_nodes_are_available) {
  // --sharded was refused before cluster support; nodes was not available.
  const CliInvocation publish = parse_command_line({"publish", "c", "1", "--sharded"});
  BOOST_TEST(publish.flags.at("sharded") == "true");
  BOOST_TEST(contains(parse_error({"get", "k", "--sharded"}), "--sharded does not apply to get"));
  const CliRun help = run({"help", "nodes"});
  BOOST_TEST(help.status == rtk::exit_ok);
  BOOST_TEST(contains(help.out, "failing"));
  using Handler = int (*)(const CliInvocation&, rtk::CommandStreams&);
  const Handler* nodes_handler = rtk::find_command("nodes")->handler.target<Handler>();
  BOOST_REQUIRE(nodes_handler != nullptr);
  BOOST_CHECK(*nodes_handler != &rtk::not_available);
}

BOOST_AUTO_TEST_CASE(metrics_listen_takes_one_address_on_the_long_running_commands) {
  for (const char* command : {"subscribe", "psubscribe"}) {
    const CliInvocation invocation =
        parse_command_line({command, "news", "--metrics-listen", "127.0.0.1:9121"});
    BOOST_TEST(invocation.flags.at("metrics-listen") == "127.0.0.1:9121");
  }
  BOOST_TEST(parse_command_line({"failover-sim", "--metrics-listen=localhost:9000"})
                 .flags.at("metrics-listen") == "localhost:9000");
  BOOST_TEST(parse_command_line({"bench", "--only", "metrics", "--metrics-listen", "127.0.0.1:9122"})
                 .flags.at("metrics-listen") == "127.0.0.1:9122");
  BOOST_TEST(contains(parse_error({"subscribe", "news", "--metrics-listen", "9121"}), "--metrics-listen"));
  BOOST_TEST(contains(parse_error({"subscribe", "news", "--metrics-listen", "a:1,b:2"}), "one HOST:PORT"));
  BOOST_TEST(contains(parse_error({"get", "k", "--metrics-listen", "127.0.0.1:9121"}),
                      "does not apply to get"));
}

BOOST_AUTO_TEST_SUITE_END()
