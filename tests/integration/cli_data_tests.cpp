// The rtk data commands, run as a separate process against a real redis-server.
#include "redis_cli.hpp"
#include "toolkit_fixture.hpp"

#include "redis_toolkit/wire_format.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <fstream>
#include <thread>

using namespace redis_toolkit;
using namespace std::chrono_literals;

namespace {

struct CliFixture : rtk_test::ServerFixture {
  ProgramOutput rtk(std::vector<std::string> arguments, std::chrono::milliseconds limit = 20s) {
    const char* executable = std::getenv("RTK_RTK_EXE");
    BOOST_REQUIRE_MESSAGE(executable != nullptr, "RTK_RTK_EXE must name the rtk binary");
    std::vector<std::string> argv = {executable, "--port", std::to_string(server.port())};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    return run_program(argv, limit);
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(cli_data_tests, CliFixture)

BOOST_AUTO_TEST_CASE(set_get_ttl_del_in_the_wire_format) {
  auto set = rtk({"set", "k", R"({"a": [1, 2.5, null, {"$bytes": "AAE="}]})"});
  BOOST_TEST(set.exit_status == 0);
  BOOST_TEST(rtk_test::run_redis_cli(server.port(), {"GET", "k"}) ==
             R"({"__type__": "dict", "__data__": {"a": [1, 2.5, null, {"__type__": "bytes", "__data__": "AAE="}]}})");
  BOOST_TEST(rtk({"get", "k"}).standard_output == "{\"a\": [1, 2.5, null, {\"$bytes\": \"AAE=\"}]}\n");
  auto missing = rtk({"get", "missing"});
  BOOST_TEST(missing.exit_status == 1);
  BOOST_TEST(missing.standard_output.empty());
  BOOST_TEST(rtk({"set", "t", R"({"$tuple": [1, "x"]})", "--ttl", "100"}).exit_status == 0);
  BOOST_TEST(rtk({"get", "t"}).standard_output == "{\"$tuple\": [1, \"x\"]}\n");
  auto ttl = std::stoi(rtk({"ttl", "t"}).standard_output);
  BOOST_TEST((ttl > 90 && ttl <= 100));
  BOOST_TEST(rtk({"ttl", "nothing"}).standard_output == "-2\n");
  BOOST_TEST(rtk({"del", "k", "t", "nothing"}).standard_output == "2\n");
}

BOOST_AUTO_TEST_CASE(bad_input_is_a_usage_error_and_writes_nothing) {
  auto bad_json = rtk({"set", "k", "{oops"});
  BOOST_TEST(bad_json.exit_status == 2);
  BOOST_TEST(bad_json.standard_error.find("ValidationError") != std::string::npos);
  auto bad_ttl = rtk({"set", "k", "1", "--ttl", "0"});
  BOOST_TEST(bad_ttl.exit_status == 2);
  BOOST_TEST(rtk_test::run_redis_cli(server.port(), {"DBSIZE"}) == "0");
}

BOOST_AUTO_TEST_CASE(mset_from_stdin_and_mget_in_order) {
  const std::string input_file = server.directory() + "/entries.json";
  {
    std::ofstream out(input_file);
    out << R"({"m1": 1, "m2": "two", "m3": [true]})";
  }
  auto mset = run_program({"/bin/sh", "-c",
                           std::string(std::getenv("RTK_RTK_EXE")) + " --port " +
                               std::to_string(server.port()) + " mset < " + input_file},
                          20s);
  BOOST_TEST(mset.exit_status == 0);
  BOOST_TEST(rtk({"mget", "m3", "none", "m1"}).standard_output ==
             "{\"m3\": [true], \"none\": null, \"m1\": 1}\n");
}

BOOST_AUTO_TEST_CASE(mset_refuses_a_too_large_value_while_reading_and_writes_nothing) {
  // 200 MB for the value of "big" behind a small entry, from a pipe: rtk must refuse once it has
  // read a little more than max_value_size (10 MiB by default) and store neither entry. The
  // generator then dies of SIGPIPE, so the test does not wait for the 200 MB either.
  const std::string generator = "{ printf '{\"small\": 1, \"big\": \"'; head -c 200000000 "
                                "/dev/zero | tr '\\0' x; printf '\"}'; }";
  auto mset = run_program({"/bin/sh", "-c",
                           generator + " | " + std::getenv("RTK_RTK_EXE") + " --port " +
                               std::to_string(server.port()) + " mset"},
                          60s);
  BOOST_TEST(mset.exit_status == 2, mset.standard_error);
  const std::string& error = mset.standard_error;
  BOOST_TEST(error.find("rtk: ValidationError: key 'big': value is at least ") == 0u, error);
  BOOST_TEST(error.find("larger than max_value_size 10485760") != std::string::npos, error);
  const std::string read_marker = "refused after reading ";
  const std::size_t at = error.find(read_marker);
  BOOST_REQUIRE_MESSAGE(at != std::string::npos, error);
  const std::size_t read = std::stoull(error.substr(at + read_marker.size()));
  BOOST_TEST(read <= 10485760u + 2 * 65536u); // the limit and a chunk, not the 200 MB
  BOOST_TEST(rtk_test::run_redis_cli(server.port(), {"DBSIZE"}) == "0");
}

BOOST_AUTO_TEST_CASE(publish_and_subscribe_print_json_lines) {
  ProgramOutput received;
  std::thread subscriber([&] { received = rtk({"subscribe", "ch", "--count", "2", "--timeout", "10"}); });
  // Publish until the subscriber is listening, then once more.
  rtk_test::wait_until([&] { return rtk({"publish", "ch", "\"first\""}).standard_output != "0\n"; },
                       10s, "the rtk subscriber to listen");
  rtk({"publish", "ch", "{\"n\": 2}"});
  subscriber.join();
  BOOST_TEST(received.exit_status == 0);
  BOOST_TEST(received.standard_output ==
             "{\"channel\": \"ch\", \"data\": \"first\"}\n{\"channel\": \"ch\", \"data\": {\"n\": 2}}\n");
}

BOOST_AUTO_TEST_CASE(psubscribe_prints_pattern_channel_and_data) {
  ProgramOutput received;
  std::thread subscriber([&] {
    received = rtk({"psubscribe", "ps.*", "*.two", "--count", "3", "--timeout", "10"});
  });
  // Publish until the subscriber is listening (its first pattern counts), then a message that
  // matches both patterns: one line per pattern.
  rtk_test::wait_until([&] { return rtk({"publish", "ps.one", "\"first\""}).standard_output != "0\n"; },
                       10s, "the rtk psubscribe to listen");
  rtk({"publish", "ps.two", "[1, 2.5]"});
  subscriber.join();
  BOOST_TEST(received.exit_status == 0, received.standard_error);
  const std::string first = "{\"pattern\": \"ps.*\", \"channel\": \"ps.one\", \"data\": \"first\"}\n";
  const std::string by_prefix = "{\"pattern\": \"ps.*\", \"channel\": \"ps.two\", \"data\": [1, 2.5]}\n";
  const std::string by_suffix = "{\"pattern\": \"*.two\", \"channel\": \"ps.two\", \"data\": [1, 2.5]}\n";
  BOOST_TEST((received.standard_output == first + by_prefix + by_suffix ||
              received.standard_output == first + by_suffix + by_prefix),
             received.standard_output);
}

BOOST_AUTO_TEST_CASE(psubscribe_stops_after_its_timeout) {
  auto quiet = rtk({"psubscribe", "nothing.*", "--timeout", "0.2"});
  BOOST_TEST(quiet.exit_status == 0, quiet.standard_error);
  BOOST_TEST(quiet.standard_output.empty());
}

BOOST_AUTO_TEST_CASE(scan_prints_each_matching_key_on_a_line) {
  rtk_test::run_redis_cli(server.port(), {"MSET", "s:1", "1", "s:2", "2", "t:1", "3"});
  auto scan = rtk({"scan", "s:*"});
  BOOST_TEST(scan.exit_status == 0);
  BOOST_TEST((scan.standard_output == "s:1\ns:2\n" || scan.standard_output == "s:2\ns:1\n"));
}

BOOST_AUTO_TEST_CASE(health_says_ok_or_what_is_wrong) {
  BOOST_TEST(rtk({"health"}).standard_output == "ok\n");
  const char* executable = std::getenv("RTK_RTK_EXE");
  auto down = run_program({executable, "--port", std::to_string(find_free_loopback_port()), "health"}, 20s);
  BOOST_TEST(down.exit_status == 1);
  BOOST_TEST(down.standard_error.find("does not answer") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_demo_runs_against_a_throwaway_server) {
  const char* executable = std::getenv("RTK_RTK_EXE");
  ::setenv("RTK_LOCAL_REDIS", "throwaway", 1);
  auto demo = run_program({executable, "demo"}, 60s);
  BOOST_TEST(demo.exit_status == 0, demo.standard_error);
  BOOST_TEST(demo.standard_output.find("demo: ok") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(command_runs_any_redis_command_and_prints_its_reply_as_json) {
  BOOST_TEST(rtk({"command", "SET", "n", "41"}).standard_output == "\"OK\"\n");
  BOOST_TEST(rtk({"command", "INCR", "n"}).standard_output == "42\n");
  BOOST_TEST(rtk({"command", "GET", "n"}).standard_output == "\"42\"\n");
  auto missing = rtk({"command", "GET", "missing"});
  BOOST_TEST(missing.exit_status == 0);
  BOOST_TEST(missing.standard_output == "null\n");
  rtk({"command", "RPUSH", "l", "a", "-1", "--", "héllo"}); // arguments after `command` verbatim
  BOOST_TEST(rtk({"command", "LRANGE", "l", "0", "-1"}).standard_output ==
             "[\"a\", \"-1\", \"--\", \"héllo\"]\n");
  rtk_test::run_redis_cli(server.port(), {"SETRANGE", "bin", "0", "\xff"});
  BOOST_TEST(rtk({"command", "GET", "bin"}).standard_output == "{\"$bytes\": \"/w==\"}\n");
  auto error = rtk({"command", "INCR", "l"});
  BOOST_TEST(error.exit_status == 1);
  BOOST_TEST(error.standard_output.empty());
  BOOST_TEST(error.standard_error ==
             "CommandError: WRONGTYPE Operation against a key holding the wrong kind of value\n");
  auto refused = rtk({"command", "SUBSCRIBE", "c"});
  BOOST_TEST(refused.exit_status == 2);
  BOOST_TEST(refused.standard_error.find("subscribe()") != std::string::npos, refused.standard_error);
}

BOOST_AUTO_TEST_SUITE_END()
