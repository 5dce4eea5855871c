// Toolkits that live as long as the program: globals, function-local statics, members of a
// singleton, toolkits on a static actor system of the caller's. Each scenario is a program of its
// own (tests/exit) run against a real redis-server; every one must exit with status 0, whatever
// was still open (subscriptions), pending (calls) or cleaned up, and when exit() comes from
// another thread while calls run.
#include "redis_toolkit/server_launcher.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

using namespace redis_toolkit;
using namespace std::chrono_literals;

namespace {

const std::vector<std::string> scenarios = {"no_call",    "calls",      "cleanup",
                                            "pending",    "subscribed", "exit_from_thread"};

struct ExitFixture {
  RedisServerProcess server = RedisServerProcess::start();
  ExitFixture() { ::setenv("RTK_EXIT_PORT", std::to_string(server.port()).c_str(), 1); }
};

void expect_clean_exit(const std::vector<std::string>& argv) {
  std::string description;
  for (const auto& word : argv) description += (description.empty() ? "" : " ") + word;
  BOOST_TEST_CONTEXT(description) {
    const ProgramOutput output = run_program(argv, 120s);
    BOOST_TEST(output.exit_status == 0, "exit status " << output.exit_status << ", stderr: "
                                                       << output.standard_error);
  }
}

} // namespace

BOOST_AUTO_TEST_SUITE(exit_tests)

BOOST_FIXTURE_TEST_CASE(global_toolkits_exit_cleanly_in_every_scenario, ExitFixture) {
  for (const auto& scenario : scenarios) expect_clean_exit({RTK_EXIT_GLOBAL, scenario});
}

BOOST_FIXTURE_TEST_CASE(function_local_static_toolkits_exit_cleanly, ExitFixture) {
  for (const auto& scenario : scenarios) expect_clean_exit({RTK_EXIT_STATIC, "local_static", scenario});
}

BOOST_FIXTURE_TEST_CASE(toolkits_in_a_singleton_exit_cleanly, ExitFixture) {
  for (const auto& scenario : scenarios) expect_clean_exit({RTK_EXIT_STATIC, "singleton", scenario});
}

BOOST_FIXTURE_TEST_CASE(toolkits_on_a_static_actor_system_of_the_callers_exit_cleanly, ExitFixture) {
  for (const auto& scenario : scenarios) expect_clean_exit({RTK_EXIT_STATIC, "own_system", scenario});
}

BOOST_FIXTURE_TEST_CASE(a_program_with_global_toolkits_exits_0_in_100_of_100_runs, ExitFixture) {
  int clean = 0;
  for (int run = 0; run < 100; ++run) {
    const std::string& scenario = scenarios[static_cast<std::size_t>(run) % scenarios.size()];
    const ProgramOutput output = run_program({RTK_EXIT_GLOBAL, scenario}, 120s);
    if (output.exit_status == 0) ++clean;
    else BOOST_TEST_MESSAGE("run " << run << " (" << scenario << "): status " << output.exit_status
                                   << ", stderr: " << output.standard_error);
  }
  BOOST_TEST(clean == 100);
}

BOOST_AUTO_TEST_SUITE_END()
