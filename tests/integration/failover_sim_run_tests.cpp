// `rtk failover-sim` run for real ($RTK_RTK_EXE): it starts its own 3+3 cluster, kills a master
// under a durable workload (or hangs one), and its JSON report line says what the toolkit
// promises: no write acknowledged by WAIT lost, writers and subscribers back after the fault, an
// error window measured. The same on Sentinel: rtk starts a master, 2 replicas and 3 sentinels and
// kills the master or asks for SENTINEL FAILOVER; and on a deployment the test started itself,
// named with --sentinel. The scenarios are short, with generous targets: the timing targets of
// the shipped scenarios are for the benchmark machine, not for a shared CI box (TESTING.md).
#include "redis_toolkit/local_sentinel.hpp"
#include "redis_toolkit/server_launcher.hpp"
#include "redis_toolkit/value.hpp"
#include "redis_toolkit/wire_format.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <limits>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

using namespace std::chrono_literals;
using redis_toolkit::Value;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// A directory for one test's scenario and report, removed afterwards.
struct Workspace {
  std::filesystem::path path;
  Workspace() {
    path = std::filesystem::temp_directory_path() /
           ("rtk-failover-sim-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    std::filesystem::create_directories(path);
  }
  ~Workspace() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  static int& counter() {
    static int next = 0;
    return next;
  }
  std::string write(const std::string& name, const std::string& text) const {
    const auto file = path / name;
    std::ofstream(file) << text;
    return file.string();
  }
};

redis_toolkit::ProgramOutput run_rtk(const std::vector<std::string>& arguments,
                                     std::chrono::milliseconds limit = 120s) {
  const char* executable = std::getenv("RTK_RTK_EXE");
  BOOST_REQUIRE_MESSAGE(executable && *executable, "RTK_RTK_EXE must name the rtk binary");
  std::vector<std::string> argv = {executable};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return redis_toolkit::run_program(argv, limit);
}

/// The report: stdout must be exactly one line of JSON.
Value report_of(const redis_toolkit::ProgramOutput& run) {
  const std::string& out = run.standard_output;
  BOOST_REQUIRE_MESSAGE(!out.empty() && out.back() == '\n' && out.find('\n') == out.size() - 1,
                        "stdout is not one line: " << out << "\nstderr: " << run.standard_error);
  return redis_toolkit::parse_cli_json(out);
}

std::string status_of(const Value& report, const std::string& promise) {
  const Value* entry = report.find("promises")->find(promise);
  BOOST_REQUIRE_MESSAGE(entry != nullptr, "no promise " << promise);
  return entry->find("status")->as_string();
}

bool is_number(const Value* value) {
  return value != nullptr && (value->is_double() || value->is_int());
}

/// A percentile of the toolkit's metrics in ms: a bucket's upper bound, or the text "> BOUND" for
/// the overflow bucket (slower than any bound: infinity here).
double bound_of(const Value& percentile) {
  if (percentile.is_string()) {
    BOOST_TEST(percentile.as_string().rfind("> ", 0) == 0U, percentile.as_string());
    return std::numeric_limits<double>::infinity();
  }
  return percentile.is_int() ? static_cast<double>(percentile.as_int()) : percentile.as_double();
}

/// The toolkit's metrics per phase: each phase that happened has them, their calls add up to the
/// whole run's, and each phase's percentiles are in order.
void check_phase_metrics(const Value& report) {
  const Value* total = report.find("metrics");
  BOOST_REQUIRE_MESSAGE(total != nullptr && total->is_dict(), "no metrics for the whole run");
  const auto run_calls = total->find("calls")->as_int();
  BOOST_TEST(run_calls > 100); // the workload's writes and reads, counted by the toolkit
  std::int64_t phase_calls = 0, phase_errors = 0;
  for (const Value& phase : report.find("phases")->items()) {
    const std::string name = phase.find("name")->as_string();
    const Value& metrics = *phase.find("metrics");
    BOOST_REQUIRE_MESSAGE(metrics.is_dict(), "phase " << name << " has no metrics");
    const auto calls = metrics.find("calls")->as_int();
    phase_calls += calls;
    phase_errors += metrics.find("errors")->as_int();
    BOOST_TEST(metrics.find("errors")->as_int() <= calls, name);
    if (calls == 0) {
      BOOST_TEST(metrics.find("p50_ms")->is_none(), name);
      continue;
    }
    const double p50 = bound_of(*metrics.find("p50_ms"));
    const double p90 = bound_of(*metrics.find("p90_ms"));
    const double p99 = bound_of(*metrics.find("p99_ms"));
    BOOST_TEST(p50 > 0.0, name);
    BOOST_TEST(p50 <= p90, name);
    BOOST_TEST(p90 <= p99, name);
  }
  BOOST_TEST(phase_calls == run_calls);
  BOOST_TEST(phase_errors == total->find("errors")->as_int());
}

/// A light workload for a 2-core CI machine, with targets a loaded machine meets.
const std::string light_workload = R"(
[workload]
blocking_writers = 2
async_writers = 1
async_in_flight = 2
readers = 1
write_rate = 50
read_rate = 50
keys = 600
classic_channels = 1
sharded_channels_per_master = 1
publish_rate = 10

[targets]
error_window = 15.0
delivery_gap = 15.0
)";

/// The light workload on Sentinel: no slots, so classic channels only (two, to see both move).
/// `wait_replicas`: 2 (every replica) for SENTINEL FAILOVER, whose old master keeps taking writes
/// after the promotion while the other replica still follows it and acknowledges them
/// (docs/FAILOVER_SIMULATION.md, Sentinel scenarios). `delivery_gap`: 6 s for SENTINEL FAILOVER,
/// well under the 11 s after which Sentinel demotes the old master here and so closes its
/// clients: the subscribers must move with the master, not wait for that.
std::string sentinel_workload(int wait_replicas = 1, double delivery_gap = 15) {
  std::string text = light_workload;
  const auto replace = [&text](const std::string& from, const std::string& to) {
    const std::size_t at = text.find(from);
    BOOST_REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
  };
  replace("sharded_channels_per_master = 1\n", "wait_replicas = " + std::to_string(wait_replicas) + "\n");
  replace("classic_channels = 1\n", "classic_channels = 2\n");
  replace("delivery_gap = 15.0\n", "delivery_gap = " + std::to_string(delivery_gap) + "\n");
  return text;
}

/// What every Sentinel run promises: the report of a durable run on a Sentinel deployment whose
/// faults (`actions`, in order) were all injected, each timed one with an error window and a
/// delivery gap, no write acknowledged by WAIT lost, every writer back, every promise met.
void check_sentinel_report(const Value& report, const std::vector<std::string>& actions) {
  BOOST_TEST(report.find("deployment")->as_string() == "sentinel");
  BOOST_TEST(report.find("durable")->as_bool());
  BOOST_TEST(contains(report.find("cluster")->as_string(), "Sentinel"));
  const auto& channels = report.find("workload")->find("channels")->items();
  BOOST_TEST(channels.size() == 2U);
  for (const Value& channel : channels) BOOST_TEST(channel.find("kind")->as_string() == "classic");

  BOOST_TEST(status_of(report, "durable_writes_lost") == "met");
  const Value& writes = *report.find("writes");
  BOOST_TEST(writes.find("checked")->as_bool());
  BOOST_TEST(writes.find("durable_lost")->as_int() == 0);
  BOOST_TEST(writes.find("durable_keys")->as_int() > 100);
  BOOST_TEST(writes.find("unverified")->as_int() == 0);

  const auto& faults = report.find("faults")->items();
  BOOST_REQUIRE(faults.size() == actions.size());
  for (std::size_t i = 0; i < actions.size(); ++i) {
    const Value& fault = faults[i];
    BOOST_TEST(fault.find("action")->as_string() == actions[i]);
    BOOST_TEST(fault.find("injected")->as_bool(), actions[i] << ": " << fault.find("error")->to_string());
    if (actions[i] == "restart_killed") continue;
    BOOST_TEST(is_number(fault.find("error_window_ms")),
               actions[i] << " error window: " << fault.find("error_window_ms")->to_string());
    BOOST_TEST(is_number(fault.find("healthy_ms")));
    BOOST_TEST(is_number(fault.find("delivery_gap_ms")),
               actions[i] << " delivery gap: " << fault.find("delivery_gap_ms")->to_string());
    for (const Value& gap : fault.find("channel_gaps_ms")->items()) BOOST_TEST(is_number(&gap));
  }
  BOOST_TEST(status_of(report, "error_window") == "met");
  BOOST_TEST(status_of(report, "subscribers_delivering") == "met");
  BOOST_TEST(status_of(report, "writers_recovered") == "met");
  BOOST_TEST(status_of(report, "faults_injected") == "met");
  const auto& phases = report.find("phases")->items();
  BOOST_REQUIRE(phases.size() == 3U);
  // An operation counts in the phase it started in: a write in flight at the kill started
  // "before" and may fail. On Sentinel every key is on the killed master, so each writer (2
  // blocking, 2 async lanes in the light workload) may have one such write; none may fail earlier.
  const Value& before = *phases[0].find("ops");
  BOOST_TEST(before.find("blocking_write")->find("failed")->as_int() <= 2);
  BOOST_TEST(before.find("async_write")->find("failed")->as_int() <= 2);
  BOOST_TEST(phases[2].find("ops")->find("blocking_write")->find("succeeded")->as_int() > 0);
  BOOST_TEST(report.find("ok")->as_bool());
  check_phase_metrics(report);
}

} // namespace

BOOST_AUTO_TEST_SUITE(failover_sim_run_tests)

BOOST_AUTO_TEST_CASE(a_sentinel_master_kill_in_durable_mode_loses_no_acknowledged_write) {
  Workspace workspace;
  // config/failover/sentinel_master_kill.toml, shorter and lighter.
  const std::string scenario = workspace.write("sentinel_kill.toml", R"(
name = "test_sentinel_kill"
duration = 12
[sentinel]
replicas = 2
sentinels = 3
)" + sentinel_workload() + R"(
[[faults]]
at = 3
action = "kill_master"

[[faults]]
at = 7
action = "restart_killed"
)");
  const auto run = run_rtk({"failover-sim", "--scenario", scenario, "--durable", "--report-dir",
                            workspace.path.string()});
  BOOST_TEST_MESSAGE("stderr:\n" << run.standard_error);
  BOOST_TEST(run.exit_status == 0, run.standard_error);
  const Value report = report_of(run);
  BOOST_TEST(report.find("scenario")->as_string() == "test_sentinel_kill");
  check_sentinel_report(report, {"kill_master", "restart_killed"});
  const Value& restart = report.find("faults")->items().at(1);
  BOOST_TEST(contains(restart.find("detail")->as_string(), "rejoins as a replica of"));
  BOOST_TEST(is_number(restart.find("healthy_ms"))); // back as a replica, the deployment healthy

  std::ifstream markdown(workspace.path / "failover-report-test_sentinel_kill.md");
  BOOST_REQUIRE(markdown.good());
  std::stringstream text;
  text << markdown.rdbuf();
  BOOST_TEST(contains(text.str(), "- Sentinel: local Sentinel 1+2"));
  BOOST_TEST(contains(text.str(), "from each master kill or SENTINEL FAILOVER"));
}

BOOST_AUTO_TEST_CASE(a_sentinel_failover_in_durable_mode_loses_no_acknowledged_write) {
  Workspace workspace;
  // config/failover/sentinel_failover.toml, shorter and lighter: one failover, and long enough
  // after it for the subscribers to be back.
  const std::string scenario = workspace.write("sentinel_failover.toml", R"(
name = "test_sentinel_failover"
duration = 22
[sentinel]
)" + sentinel_workload(2, 6) + R"(
[[faults]]
at = 3
action = "sentinel_failover"
)");
  const auto run = run_rtk({"failover-sim", "--scenario", scenario, "--durable", "--report-dir",
                            workspace.path.string()});
  BOOST_TEST_MESSAGE("stderr:\n" << run.standard_error);
  BOOST_TEST(run.exit_status == 0, run.standard_error);
  const Value report = report_of(run);
  check_sentinel_report(report, {"sentinel_failover"});
  for (const Value& fault : report.find("faults")->items())
    BOOST_TEST(contains(fault.find("detail")->as_string(), "SENTINEL FAILOVER: "));
}

BOOST_AUTO_TEST_CASE(an_existing_sentinel_deployment_named_with_sentinel_is_failed_over) {
  // A deployment rtk did not start: only faults that need no process (sentinel_failover here).
  const auto deployment = redis_toolkit::LocalSentinel::start();
  std::string sentinels;
  for (const auto& address : deployment.sentinel_addresses())
    sentinels += (sentinels.empty() ? "" : ",") + address.to_string();
  Workspace workspace;
  const std::string scenario = workspace.write("existing.toml", R"(
name = "test_sentinel_existing"
duration = 22
[sentinel]
)" + sentinel_workload(2, 6) + R"(
[[faults]]
at = 3
action = "sentinel_failover"
)");
  const std::size_t old_master = deployment.master();
  const auto run = run_rtk({"--sentinel", sentinels, "--master", deployment.master_name(),
                            "failover-sim", "--scenario", scenario, "--durable", "--report-dir",
                            workspace.path.string()});
  BOOST_TEST_MESSAGE("stderr:\n" << run.standard_error);
  BOOST_TEST(run.exit_status == 0, run.standard_error);
  const Value report = report_of(run);
  check_sentinel_report(report, {"sentinel_failover"});
  BOOST_TEST(contains(report.find("cluster")->as_string(), "existing Sentinel deployment (--sentinel "));
  deployment.wait_until_healthy(30s);
  BOOST_TEST(deployment.master() != old_master); // the failover happened here, for real
}

BOOST_AUTO_TEST_CASE(deployments_that_do_not_match_the_scenario_exit_2) {
  const std::string source = RTK_SOURCE_DIR;
  // Killing a master needs a deployment rtk started (nothing answers there, and nothing is asked).
  const auto kill = run_rtk({"--sentinel", "127.0.0.1:1", "--master", "mymaster", "failover-sim",
                             "--scenario", source + "/config/failover/sentinel_master_kill.toml"}, 20s);
  BOOST_TEST(kill.exit_status == 2);
  BOOST_TEST(contains(kill.standard_error, "ValidationError: fault kill_master at 8.0 s needs to signal "
                                           "or start redis-server processes"));
  BOOST_TEST(contains(kill.standard_error, "drop --sentinel"));
  const auto cluster = run_rtk({"--cluster", "127.0.0.1:1", "failover-sim", "--scenario",
                                source + "/config/failover/sentinel_failover.toml"}, 20s);
  BOOST_TEST(cluster.exit_status == 2);
  BOOST_TEST(contains(cluster.standard_error, "runs on Sentinel ([sentinel])"));
  const auto sentinel = run_rtk({"--sentinel", "127.0.0.1:1", "--master", "mymaster", "failover-sim"}, 20s);
  BOOST_TEST(sentinel.exit_status == 2);
  BOOST_TEST(contains(sentinel.standard_error, "runs on a cluster: --sentinel needs a scenario with a "
                                               "[sentinel] table"));
}

BOOST_AUTO_TEST_CASE(a_master_kill_in_durable_mode_loses_no_acknowledged_write) {
  Workspace workspace;
  const std::string scenario = workspace.write("kill.toml", R"(
name = "test_kill"
duration = 12
)" + light_workload + R"(
[[faults]]
at = 4
action = "kill_master"
target = 0

[[faults]]
at = 8
action = "restart_killed"
)");
  const auto run = run_rtk({"failover-sim", "--scenario", scenario, "--durable", "--report-dir",
                            workspace.path.string()});
  BOOST_TEST_MESSAGE("stderr:\n" << run.standard_error);
  BOOST_TEST(run.exit_status == 0, run.standard_error);
  const Value report = report_of(run);
  BOOST_TEST(report.find("scenario")->as_string() == "test_kill");
  BOOST_TEST(report.find("durable")->as_bool());

  // Zero writes acknowledged by WAIT lost, and there were such writes.
  BOOST_TEST(status_of(report, "durable_writes_lost") == "met");
  const Value& writes = *report.find("writes");
  BOOST_TEST(writes.find("checked")->as_bool());
  BOOST_TEST(writes.find("durable_lost")->as_int() == 0);
  BOOST_TEST(writes.find("durable_keys")->as_int() > 100);
  BOOST_TEST(writes.find("unverified")->as_int() == 0);

  // The kill: injected, an error window measured, subscribers delivering again.
  const auto& faults = report.find("faults")->items();
  BOOST_REQUIRE(faults.size() == 2U);
  const Value& kill = faults[0];
  BOOST_TEST(kill.find("action")->as_string() == "kill_master");
  BOOST_TEST(kill.find("injected")->as_bool());
  BOOST_TEST(is_number(kill.find("error_window_ms")), "error window: " << kill.find("error_window_ms")->to_string());
  BOOST_TEST(is_number(kill.find("healthy_ms")));
  BOOST_TEST(is_number(kill.find("delivery_gap_ms")), "delivery gap: " << kill.find("delivery_gap_ms")->to_string());
  for (const Value& gap : kill.find("channel_gaps_ms")->items()) BOOST_TEST(is_number(&gap));
  BOOST_TEST(faults[1].find("action")->as_string() == "restart_killed");
  BOOST_TEST(faults[1].find("injected")->as_bool());
  BOOST_TEST(status_of(report, "error_window") == "met");
  BOOST_TEST(status_of(report, "subscribers_delivering") == "met");

  // Writers back by themselves; the phases around the fault.
  BOOST_TEST(status_of(report, "writers_recovered") == "met");
  BOOST_TEST(is_number(report.find("recovered_ms")));
  const auto& phases = report.find("phases")->items();
  BOOST_REQUIRE(phases.size() == 3U);
  const Value& after = *phases[2].find("ops")->find("blocking_write");
  BOOST_TEST(after.find("succeeded")->as_int() > 0);
  BOOST_TEST(after.find("failed")->as_int() == 0);
  BOOST_TEST(phases[0].find("ops")->find("blocking_write")->find("failed")->as_int() == 0);
  BOOST_TEST(report.find("ok")->as_bool());
  check_phase_metrics(report);

  // The Markdown report beside it; the progress lines on stderr.
  std::ifstream markdown(workspace.path / "failover-report-test_kill.md");
  BOOST_REQUIRE(markdown.good());
  std::stringstream text;
  text << markdown.rdbuf();
  BOOST_TEST(contains(text.str(), "## Promises"));
  BOOST_TEST(contains(text.str(), "kill_master"));
  BOOST_TEST(contains(text.str(), "upper bound of the bucket"));
  BOOST_TEST(contains(text.str(), "| whole run | "));
  BOOST_TEST(contains(run.standard_error, "failover-sim "));
  BOOST_TEST(contains(run.standard_error, " during "));
}

BOOST_AUTO_TEST_CASE(a_hung_master_is_replaced_and_the_workload_carries_on) {
  Workspace workspace;
  const std::string scenario = workspace.write("hang.toml", R"(
name = "test_hang"
duration = 9
)" + light_workload + R"(
[[faults]]
at = 3
action = "hang_node"
target = 1
seconds = 2.0
)");
  const auto run = run_rtk({"failover-sim", "--scenario", scenario, "--report-dir",
                            workspace.path.string()});
  BOOST_TEST_MESSAGE("stderr:\n" << run.standard_error);
  BOOST_TEST(run.exit_status == 0, run.standard_error);
  const Value report = report_of(run);
  const Value& hang = report.find("faults")->items().at(0);
  BOOST_TEST(hang.find("action")->as_string() == "hang_node");
  BOOST_TEST(hang.find("injected")->as_bool());
  BOOST_TEST(hang.find("took_ms")->as_double() >= 2000.0);
  BOOST_TEST(is_number(hang.find("error_window_ms")));
  BOOST_TEST(is_number(hang.find("healthy_ms")));
  BOOST_TEST(is_number(hang.find("delivery_gap_ms")));
  BOOST_TEST(status_of(report, "writers_recovered") == "met");
  BOOST_TEST(status_of(report, "durable_writes_lost") == "not_applicable");
  BOOST_TEST(report.find("writes")->find("keys_written")->as_int() > 100);
  check_phase_metrics(report);
  BOOST_TEST(std::filesystem::exists(workspace.path / "failover-report-test_hang.md"));
}

BOOST_AUTO_TEST_CASE(bad_input_exits_2_before_starting_anything) {
  Workspace workspace;
  const auto missing = run_rtk({"failover-sim", "--scenario", (workspace.path / "none.toml").string()}, 20s);
  BOOST_TEST(missing.exit_status == 2);
  BOOST_TEST(contains(missing.standard_error, "cannot open scenario file"));

  const std::string bad = workspace.write("bad.toml", "[[faults]]\nat = 1\naction = \"kill_master\"\nsecs = 2\n");
  const auto unknown = run_rtk({"failover-sim", "--scenario", bad}, 20s);
  BOOST_TEST(unknown.exit_status == 2);
  BOOST_TEST(contains(unknown.standard_error, "key 'faults[0].secs': unknown key at " + bad + ":4:1"));

  // A cluster rtk did not start: no process to kill (nothing answers there, and nothing is asked).
  const auto existing = run_rtk({"--cluster", "127.0.0.1:1", "failover-sim"}, 20s);
  BOOST_TEST(existing.exit_status == 2);
  BOOST_TEST(contains(existing.standard_error, "ValidationError: fault kill_master at 8.0 s needs to "
                                               "signal or start redis-server processes"));
  const auto too_short = run_rtk({"failover-sim", "--duration", "5"}, 20s);
  BOOST_TEST(too_short.exit_status == 2);
  BOOST_TEST(contains(too_short.standard_error, "faults[0].at"));
  BOOST_TEST(contains(too_short.standard_error, "(with --duration 5)"));
}

BOOST_AUTO_TEST_SUITE_END()
