// The built rtk executable ($RTK_RTK_EXE): help lists every command of CONTRACT.md section 3, and a
// bad option is a usage error on stderr. The parsing itself is unit-tested in cli_parse_tests.
#include "redis_toolkit/server_launcher.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

redis_toolkit::ProgramOutput run_rtk(const std::vector<std::string>& arguments) {
  const char* executable = std::getenv("RTK_RTK_EXE");
  BOOST_REQUIRE_MESSAGE(executable && *executable,
                        "RTK_RTK_EXE must name the rtk binary (CTest sets it)");
  std::vector<std::string> argv = {executable};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return redis_toolkit::run_program(argv, 30s);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Written out from CONTRACT.md rather than taken from the command table, so that the table cannot
// drift from the contract unnoticed.
const std::vector<std::string> contract_commands = {
    "set KEY VALUE [--ttl SECONDS]",
    "get KEY",
    "del KEY...",
    "ttl KEY",
    "mset",
    "mget KEY...",
    "publish CHANNEL VALUE [--sharded]",
    "subscribe CHANNEL... [--sharded] [--count N] [--timeout S]",
    "psubscribe PATTERN... [--count N] [--timeout S]", // section 4
    "scan PATTERN",
    "nodes",
    "health",
    "cluster up|down|status [--base-port P] [--dir D]",
    "failover-sim [...]",
    "bench [...]",
    "demo",
};

const std::vector<std::string> contract_options = {
    "--host H",          "--port P",     "--db N",
    "--username U",      "--password P", "--cluster H:P[,H:P...]",
    "--config FILE.toml"};

} // namespace

BOOST_AUTO_TEST_SUITE(cli_frame_tests)

BOOST_AUTO_TEST_CASE(help_lists_every_command_and_option_of_the_contract) {
  for (const std::string spelling : {"--help", "-h", "help"}) {
    const auto result = run_rtk({spelling});
    BOOST_TEST(result.exit_status == 0, spelling);
    BOOST_TEST(result.standard_error.empty(), spelling);
    for (const std::string& command : contract_commands) {
      BOOST_TEST(contains(result.standard_output, "\n  " + command + "\n"),
                 spelling << ": " << command);
    }
    for (const std::string& option : contract_options) {
      BOOST_TEST(contains(result.standard_output, option), spelling << ": " << option);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_command_help_shows_its_syntax) {
  const auto result = run_rtk({"publish", "--help"});
  BOOST_TEST(result.exit_status == 0);
  BOOST_TEST(contains(result.standard_output, "usage: rtk publish CHANNEL VALUE [--sharded]"));
}

BOOST_AUTO_TEST_CASE(a_bad_option_exits_2_and_names_it) {
  const auto result = run_rtk({"get", "k", "--no-such-option", "1"});
  BOOST_TEST(result.exit_status == 2);
  BOOST_TEST(result.standard_output.empty());
  BOOST_TEST(
      contains(result.standard_error, "rtk: ValidationError: unknown option --no-such-option"),
      result.standard_error);
  const auto bad_port = run_rtk({"--port", "http", "health"});
  BOOST_TEST(bad_port.exit_status == 2);
  BOOST_TEST(contains(bad_port.standard_error, "--port"), bad_port.standard_error);
}

BOOST_AUTO_TEST_CASE(version_exits_0) {
  const auto result = run_rtk({"--version"});
  BOOST_TEST(result.exit_status == 0);
  BOOST_TEST(contains(result.standard_output, "rtk (redis-toolkit) "));
}

BOOST_AUTO_TEST_CASE(verbose_output_and_errors_never_show_the_password) {
  // A free port: nothing answers, so the command fails after describing where it went.
  const std::string port = std::to_string(redis_toolkit::find_free_loopback_port());
  const auto result = run_rtk({"--verbose", "--password", "s3cret", "--port", port, "health"});
  BOOST_TEST(result.exit_status != 0);
  BOOST_TEST(contains(result.standard_error, "127.0.0.1:" + port), result.standard_error);
  BOOST_TEST(contains(result.standard_error, "password=***"), result.standard_error);
  BOOST_TEST(!contains(result.standard_error + result.standard_output, "s3cret"));
}

BOOST_AUTO_TEST_SUITE_END()
