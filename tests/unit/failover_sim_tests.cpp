// `rtk failover-sim`, the pure half: scenario files (and their errors), percentiles, phases, error
// windows and delivery gaps from synthetic records, the promises, and both report forms.
#include "../../apps/rtk/failover_sim.hpp"

#include "redis_toolkit/errors.hpp"
#include "redis_toolkit/value.hpp"
#include "redis_toolkit/wire_format.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

using namespace rtk::failover;
using redis_toolkit::ValidationError;
using redis_toolkit::Value;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// The message of the ValidationError parsing `text` throws; fails the test when none is thrown.
std::string parse_error(const std::string& text) {
  try {
    parse_scenario(text, "test.toml");
  } catch (const ValidationError& error) {
    return error.what();
  }
  BOOST_ERROR("no ValidationError for:\n" + text);
  return {};
}

OpRecord op(OpKind kind, double start, double end, Outcome outcome = Outcome::ok,
            std::uint32_t source = 0) {
  return OpRecord{start, end, source, kind, outcome};
}

/// A run of 10 s: a master killed at 4 s, writes failing from 4.3 s to 5.8 s, the cluster healthy
/// again at 6.2 s; two channels, one delivering again at once, the other 2.9 s after the kill.
RunLog synthetic_run() {
  RunLog log;
  log.scenario = default_scenario();
  log.scenario.durable = true;
  log.duration_ms = 10000;
  log.writer_lanes = 2;
  log.started_at = "2026-01-01T00:00:00Z";
  log.machine = "2 cores";
  log.cluster = "local 3+3";
  for (double t = 0; t < 10000; t += 100) {
    const bool failing = t >= 4300 && t <= 5800;
    // writer 0 on the lost master, writer 1 elsewhere; a reader all along
    log.ops.push_back(op(OpKind::blocking_write, t, t + 1, failing ? Outcome::failed : Outcome::ok, 0));
    log.ops.push_back(op(OpKind::async_write, t + 50, t + 52, Outcome::ok, 1));
    log.ops.push_back(op(OpKind::read, t + 20, t + 20.5));
    log.ops.push_back(op(OpKind::publish, t, t + 1, Outcome::ok, 0));
  }
  log.errors.push_back({4301, OpKind::blocking_write, "ConnectionError: first"});
  log.errors.push_back({5801, OpKind::blocking_write, "ClusterError: last"});
  FaultRecord kill;
  kill.action = "kill_master";
  kill.detail = "kill -9 of master 127.0.0.1:7000";
  kill.at_ms = 4000;
  kill.end_ms = 4001;
  kill.master_kill = true;
  log.faults.push_back(kill);
  for (double t = 0; t < 10000; t += 200) log.health.push_back({t, t < 4000 || t >= 6200});
  log.channels = {{"sim:classic:0", false, ""}, {"sim:sharded:0:0", true, "127.0.0.1:7000"}};
  for (double t = 0; t < 10000; t += 100) {
    // The publisher numbers its messages from 1: the n-th publish carries n.
    log.deliveries.push_back({0, static_cast<std::int64_t>(t / 100) + 1, t, t + 1});
    if (t < 4000 || t >= 6800) log.deliveries.push_back({1, static_cast<std::int64_t>(t), t, t + 100});
  }
  log.writes.done = true;
  log.writes.keys_written = 100;
  log.writes.durable_keys = 90;
  return log;
}

const CheckReport& check(const Report& report, const std::string& name) {
  for (const CheckReport& c : report.checks)
    if (c.name == name) return c;
  BOOST_FAIL("no check " + name);
  return report.checks.front();
}

} // namespace

BOOST_AUTO_TEST_SUITE(failover_sim_tests)

// ---- scenarios ----

BOOST_AUTO_TEST_CASE(the_default_is_what_master_kill_toml_says) {
  const Scenario file = load_scenario(std::string(RTK_SOURCE_DIR) + "/config/failover/master_kill.toml");
  const Scenario builtin = default_scenario();
  BOOST_TEST(file.name == builtin.name);
  BOOST_TEST(file.description == builtin.description);
  BOOST_TEST(file.duration == builtin.duration);
  BOOST_TEST(file.durable == builtin.durable);
  BOOST_TEST(file.cluster.node_timeout == builtin.cluster.node_timeout);
  BOOST_TEST(file.toolkit.socket_timeout == builtin.toolkit.socket_timeout);
  BOOST_TEST(file.toolkit.retry_attempts == builtin.toolkit.retry_attempts);
  BOOST_TEST(file.workload.writer_lanes() == builtin.workload.writer_lanes());
  BOOST_TEST(file.workload.keys == builtin.workload.keys);
  BOOST_TEST(file.workload.wait_timeout == builtin.workload.wait_timeout);
  BOOST_TEST(file.workload.publish_rate == builtin.workload.publish_rate);
  BOOST_TEST(file.targets.error_window == builtin.targets.error_window);
  BOOST_TEST(file.targets.delivery_gap == builtin.targets.delivery_gap);
  BOOST_REQUIRE(file.faults.size() == builtin.faults.size());
  for (std::size_t i = 0; i < file.faults.size(); ++i) {
    BOOST_TEST(file.faults[i].at == builtin.faults[i].at);
    BOOST_TEST((file.faults[i].action == builtin.faults[i].action));
    BOOST_TEST(file.faults[i].target == builtin.faults[i].target);
  }
}

BOOST_AUTO_TEST_CASE(every_example_scenario_parses) {
  std::size_t count = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(RTK_SOURCE_DIR) + "/config/failover")) {
    if (entry.path().extension() != ".toml") continue;
    const Scenario scenario = load_scenario(entry.path().string());
    BOOST_TEST(scenario.name + ".toml" == entry.path().filename().string());
    BOOST_TEST(!scenario.faults.empty(), scenario.name);
    ++count;
  }
  BOOST_TEST(count >= 3U);
}

BOOST_AUTO_TEST_CASE(a_scenario_file_sets_every_section_and_faults_come_sorted) {
  const Scenario s = parse_scenario(R"(
name = "mine"
duration = 20
durable = true
[cluster]
node_timeout = 2
[toolkit]
socket_timeout = 2.5
retry_attempts = 5
[workload]
blocking_writers = 3
async_writers = 0
readers = 0
keys = 10
value_size = 100
wait_timeout = 0.2
classic_channels = 0
sharded_channels_per_master = 2
[targets]
error_window = 6
[[faults]]
at = 12
action = "client_kill"
types = ["normal"]
[[faults]]
at = 3.5
action = "hang_node"
target = "master_of:user:1"
seconds = 0.5
[[faults]]
at = 9
action = "rolling_restart"
mode = "failover"
pause = 0
)");
  BOOST_TEST(s.name == "mine");
  BOOST_TEST(s.durable);
  BOOST_TEST(s.cluster.node_timeout == 2.0);
  BOOST_TEST(s.toolkit.socket_timeout == 2.5);
  BOOST_TEST(s.toolkit.retry_attempts == 5);
  BOOST_TEST(s.workload.writer_lanes() == 3);
  BOOST_TEST(s.workload.sharded_channels_per_master == 2);
  BOOST_TEST(s.targets.error_window == 6.0);
  BOOST_TEST(s.targets.delivery_gap == 5.0); // the default
  BOOST_REQUIRE(s.faults.size() == 3U);
  BOOST_TEST((s.faults[0].action == FaultAction::hang_node));
  BOOST_TEST(s.faults[0].target == "master_of:user:1");
  BOOST_TEST(s.faults[0].seconds == 0.5);
  BOOST_TEST(s.faults[0].line == 25U);
  BOOST_TEST((s.faults[1].action == FaultAction::rolling_restart));
  BOOST_TEST(s.faults[1].mode == "failover");
  BOOST_TEST((s.faults[2].action == FaultAction::client_kill));
  BOOST_TEST(s.faults[2].types == std::vector<std::string>{"normal"});
  const Scenario unnamed = parse_scenario("[[faults]]\nat = 1\naction = \"kill_master\"\ntarget = 2\n",
                                          "/some/where/my_faults.toml");
  BOOST_TEST(unnamed.faults[0].target == "2");
  BOOST_TEST(unnamed.name == "my_faults");
  BOOST_TEST(unnamed.faults.size() == 1U);
  const Scenario empty = parse_scenario("");
  BOOST_TEST(empty.name == "scenario");
  BOOST_TEST(empty.faults.empty()); // a baseline: no fault at all
  BOOST_TEST(empty.workload.keys == 3000U);
}

BOOST_AUTO_TEST_CASE(bad_scenarios_are_refused_naming_key_and_line) {
  BOOST_TEST(contains(parse_error("name = \"x\"\nspeed = 3\n"),
                      "ValidationError: key 'speed': unknown key at test.toml:2:1"));
  BOOST_TEST(contains(parse_error("[workload]\nreaders = 1\nwriters = 2\n"),
                      "key 'workload.writers': unknown key at test.toml:3:1 (known keys: blocking_writers"));
  BOOST_TEST(contains(parse_error("duration = \"long\"\n"),
                      "key 'duration': expected a number, got a string at test.toml:1:"));
  BOOST_TEST(contains(parse_error("[workload]\nkeys = 1.5\n"), "key 'workload.keys': expected an integer"));
  BOOST_TEST(contains(parse_error("[toolkit]\nsocket_timeout = 0\n"),
                      "key 'toolkit.socket_timeout': must be more than 0 to 600, got 0 at test.toml:2:"));
  BOOST_TEST(contains(parse_error("duration = 10\n[[faults]]\nat = 12\naction = \"kill_master\"\n"),
                      "key 'faults[0].at': must be from 0 to less than the duration (10 s), got 12 at test.toml:3:"));
  const std::string unknown_action = parse_error("[[faults]]\nat = 1\naction = \"explode\"\n");
  BOOST_TEST(contains(unknown_action, "key 'faults[0].action': unknown action 'explode' (known: "
                                      "kill_master, hang_node, manual_failover"));
  BOOST_TEST(contains(unknown_action, "at test.toml:3:10"));
  BOOST_TEST(contains(parse_error("[[faults]]\nat = 1\n"), "key 'faults[0]': a fault needs an action"));
  BOOST_TEST(contains(parse_error("[[faults]]\naction = \"restart_killed\"\n"), "needs `at`"));
  BOOST_TEST(contains(parse_error("[[faults]]\nat = 1\naction = \"kill_master\"\nseconds = 3\n"),
                      "key 'faults[0].seconds': does not apply to action kill_master at test.toml:4:1"));
  BOOST_TEST(contains(parse_error("[[faults]]\nat = 1\naction = \"kill_master\"\nsecs = 3\n"),
                      "key 'faults[0].secs': unknown key at test.toml:4:1"));
  BOOST_TEST(contains(parse_error("[[faults]]\nat = 1\naction = \"kill_master\"\ntarget = \"the big one\"\n"),
                      "key 'faults[0].target': expected a master's index (0, 1, ...) or \"master_of:KEY\""));
  BOOST_TEST(contains(parse_error("[[faults]]\nat = 1\naction = \"rolling_restart\"\nmode = \"gently\"\n"),
                      "key 'faults[0].mode': expected \"kill\" or \"failover\""));
  BOOST_TEST(contains(parse_error("[[faults]]\nat = 1\naction = \"client_kill\"\ntypes = [\"master\"]\n"),
                      "key 'faults[0].types': expected \"normal\" or \"pubsub\""));
  BOOST_TEST(contains(parse_error("durable = true\n[workload]\nwait_timeout = 2\n"),
                      "key 'workload.wait_timeout': must be shorter than toolkit.socket_timeout"));
  BOOST_TEST(contains(parse_error("[workload]\nblocking_writers = 0\nasync_writers = 0\n"),
                      "at least one writer"));
  BOOST_TEST(contains(parse_error("[workload]\nkeys = 3\n"), "key 'workload.keys': must be at least the number of writers (6"));
  BOOST_TEST(contains(parse_error("duration = \n"), "TOML syntax error at test.toml:1:"));
  BOOST_TEST(contains(parse_error("[cluster]\nreplicas_per_master = 0\n"), "cluster.replicas_per_master"));
  try {
    load_scenario("/nonexistent/scenario.toml");
    BOOST_ERROR("no error for a missing file");
  } catch (const ValidationError& error) {
    BOOST_TEST(contains(error.what(), "cannot open scenario file '/nonexistent/scenario.toml'"));
  }
}

BOOST_AUTO_TEST_CASE(faults_that_need_processes_are_known) {
  FaultSpec fault;
  for (FaultAction action : {FaultAction::kill_master, FaultAction::hang_node,
                             FaultAction::restart_killed, FaultAction::rolling_restart}) {
    fault.action = action;
    BOOST_TEST(fault.needs_process_control(), action_name(action));
  }
  for (FaultAction action : {FaultAction::manual_failover, FaultAction::client_kill,
                             FaultAction::sentinel_failover}) {
    fault.action = action;
    BOOST_TEST(!fault.needs_process_control(), action_name(action));
  }
}

BOOST_AUTO_TEST_CASE(a_sentinel_table_makes_a_sentinel_scenario) {
  const Scenario s = parse_scenario(R"(
duration = 20
durable = true
[sentinel]
master_name = "prod"
replicas = 3
sentinels = 5
quorum = 3
down_after = 2.5
failover_timeout = 20
[workload]
wait_replicas = 2
classic_channels = 2
[[faults]]
at = 12
action = "sentinel_failover"
[[faults]]
at = 3
action = "kill_master"
[[faults]]
at = 8
action = "restart_killed"
[[faults]]
at = 15
action = "client_kill"
)", "/x/sentinel_drill.toml");
  BOOST_TEST(s.name == "sentinel_drill");
  BOOST_TEST((s.deployment == Deployment::sentinel));
  BOOST_TEST(deployment_name(s.deployment) == "sentinel");
  BOOST_TEST(s.sentinel.master_name == "prod");
  BOOST_TEST(s.sentinel.replicas == 3);
  BOOST_TEST(s.sentinel.sentinels == 5);
  BOOST_TEST(s.sentinel.quorum == 3);
  BOOST_TEST(s.sentinel.down_after == 2.5);
  BOOST_TEST(s.sentinel.failover_timeout == 20.0);
  // No slots on Sentinel: the sharded channels' default goes to 0.
  BOOST_TEST(s.workload.sharded_channels_per_master == 0);
  BOOST_TEST(s.workload.classic_channels == 2);
  BOOST_REQUIRE(s.faults.size() == 4U);
  BOOST_TEST((s.faults[0].action == FaultAction::kill_master));
  BOOST_TEST(s.faults[0].target == "0"); // the master the sentinels name
  BOOST_TEST((s.faults[1].action == FaultAction::restart_killed));
  BOOST_TEST((s.faults[2].action == FaultAction::sentinel_failover));
  BOOST_TEST(action_name(s.faults[2].action) == "sentinel_failover");
  BOOST_TEST((s.faults[3].action == FaultAction::client_kill));

  const Scenario defaults = parse_scenario("[sentinel]\n");
  BOOST_TEST((defaults.deployment == Deployment::sentinel));
  BOOST_TEST(defaults.sentinel.master_name == "mymaster");
  BOOST_TEST(defaults.sentinel.replicas == 2);
  BOOST_TEST(defaults.sentinel.sentinels == 3);
  BOOST_TEST(defaults.sentinel.quorum == 2);
  BOOST_TEST(defaults.sentinel.down_after == 1.0);
  BOOST_TEST((parse_scenario("").deployment == Deployment::cluster));
  BOOST_TEST(parse_scenario("").workload.sharded_channels_per_master == 1);
}

BOOST_AUTO_TEST_CASE(faults_and_keys_of_the_other_deployment_are_refused_at_load) {
  BOOST_TEST(allowed_on(FaultAction::sentinel_failover, Deployment::sentinel));
  BOOST_TEST(!allowed_on(FaultAction::sentinel_failover, Deployment::cluster));
  for (FaultAction action : {FaultAction::hang_node, FaultAction::manual_failover,
                             FaultAction::rolling_restart}) {
    BOOST_TEST(allowed_on(action, Deployment::cluster), action_name(action));
    BOOST_TEST(!allowed_on(action, Deployment::sentinel), action_name(action));
  }
  for (FaultAction action : {FaultAction::kill_master, FaultAction::restart_killed,
                             FaultAction::client_kill}) {
    BOOST_TEST(allowed_on(action, Deployment::cluster), action_name(action));
    BOOST_TEST(allowed_on(action, Deployment::sentinel), action_name(action));
  }
  BOOST_TEST(contains(parse_error("[[faults]]\nat = 1\naction = \"sentinel_failover\"\n"),
                      "key 'faults[0].action': action sentinel_failover does not apply to a cluster "
                      "scenario (it needs a [sentinel] table; on a cluster, manual_failover) at "
                      "test.toml:3:10"));
  BOOST_TEST(contains(parse_error("[sentinel]\n[[faults]]\nat = 1\naction = \"manual_failover\"\n"),
                      "key 'faults[0].action': action manual_failover does not apply to a sentinel "
                      "scenario (CLUSTER FAILOVER: on Sentinel, sentinel_failover) at test.toml:4:10"));
  BOOST_TEST(contains(parse_error("[sentinel]\n[[faults]]\nat = 1\naction = \"hang_node\"\n"),
                      "key 'faults[0].action': action hang_node does not apply to a sentinel scenario"));
  BOOST_TEST(contains(parse_error("[sentinel]\n[[faults]]\nat = 1\naction = \"rolling_restart\"\n"),
                      "key 'faults[0].action': action rolling_restart does not apply"));
  BOOST_TEST(contains(parse_error("[sentinel]\n[[faults]]\nat = 1\naction = \"kill_master\"\ntarget = 2\n"),
                      "key 'faults[0].target': a Sentinel deployment has one master: 0 or left out, got '2' "
                      "at test.toml:5:"));
  BOOST_TEST(contains(parse_error("[sentinel]\n[[faults]]\nat = 1\naction = \"sentinel_failover\"\ntarget = 0\n"),
                      "key 'faults[0].target': does not apply to action sentinel_failover at test.toml:5:1"));
  BOOST_TEST(contains(parse_error("[cluster]\nmasters = 3\n[sentinel]\nreplicas = 2\n"),
                      "key 'cluster': a scenario runs on a cluster or on Sentinel, not both: [cluster] "
                      "at test.toml:1:1 beside [sentinel]"));
  BOOST_TEST(contains(parse_error("[sentinel]\n[workload]\nsharded_channels_per_master = 1\n"),
                      "key 'workload.sharded_channels_per_master': sharded channels live on a "
                      "cluster's slots: a Sentinel scenario has classic channels only"));
  BOOST_TEST(contains(parse_error("durable = true\n[sentinel]\nreplicas = 1\n[workload]\nwait_replicas = 2\n"),
                      "key 'workload.wait_replicas': asks WAIT for 2 replicas, but the master has 1"));
  BOOST_TEST(contains(parse_error("[sentinel]\nreplicas = 0\n"),
                      "key 'sentinel.replicas': must be from 1 to 5, got 0 at test.toml:2:"));
  BOOST_TEST(contains(parse_error("[sentinel]\nsentinels = 3\nquorum = 4\n"),
                      "key 'sentinel.quorum': must be from 1 to 3, got 4"));
  BOOST_TEST(contains(parse_error("[sentinel]\ndown_after = 0.01\n"), "key 'sentinel.down_after'"));
  BOOST_TEST(contains(parse_error("[sentinel]\nmaster_name = \"my master\"\n"),
                      "key 'sentinel.master_name': must be a name without spaces"));
  BOOST_TEST(contains(parse_error("[sentinel]\nnode_timeout = 1\n"),
                      "key 'sentinel.node_timeout': unknown key at test.toml:2:1 (known keys: master_name"));
  BOOST_TEST(contains(parse_error("sentinel = 3\n"), "key 'sentinel': expected a table"));
}

BOOST_AUTO_TEST_CASE(a_subscriber_that_delivers_at_first_then_goes_deaf_has_a_gap_until_it_is_back) {
  // Channel 0 gets the two messages published right after the fault (on the old master, before
  // the publisher moved), then misses everything until the one published at 7.0 s.
  RunLog log = synthetic_run();
  log.deliveries.erase(std::remove_if(log.deliveries.begin(), log.deliveries.end(),
                                      [](const Delivery& d) {
                                        return d.channel == 0 && d.published_ms >= 4200 &&
                                               d.published_ms < 7000;
                                      }),
                       log.deliveries.end());
  const Report report = analyze(log);
  BOOST_REQUIRE(report.faults.front().channel_gaps_ms.size() == 2U);
  BOOST_TEST(*report.faults.front().channel_gaps_ms[0] == 3001.0); // not 1 ms: deaf until 7.0 s
  BOOST_TEST(*report.faults.front().delivery_gap_ms == 3001.0);
  // A failed publish is no message missed.
  RunLog failed_publish = synthetic_run();
  for (OpRecord& record : failed_publish.ops)
    if (record.kind == OpKind::publish && record.start_ms == 5000) record.outcome = Outcome::failed;
  failed_publish.deliveries.erase(
      std::remove_if(failed_publish.deliveries.begin(), failed_publish.deliveries.end(),
                     [](const Delivery& d) { return d.channel == 0 && d.published_ms == 5000; }),
      failed_publish.deliveries.end());
  BOOST_TEST(*analyze(failed_publish).faults.front().channel_gaps_ms[0] == 1.0);
}

BOOST_AUTO_TEST_CASE(a_sentinel_failover_is_held_to_the_targets_like_a_master_kill) {
  RunLog log = synthetic_run();
  log.scenario.deployment = Deployment::sentinel;
  log.faults.front().action = "sentinel_failover";
  log.faults.front().master_kill = false;
  BOOST_TEST(log.faults.front().timed());
  const Report report = analyze(log);
  const CheckReport& window = check(report, "error_window");
  BOOST_TEST(check_status_name(window.status) == "met");
  BOOST_TEST(contains(window.target, "from each master kill or SENTINEL FAILOVER"));
  BOOST_REQUIRE(window.measured_value.has_value());
  BOOST_TEST(*window.measured_value == 1901.0); // as for the kill: writes clear at 5.9 s
  BOOST_TEST(check_status_name(check(report, "subscribers_delivering").status) == "met");
  const Value json = redis_toolkit::parse_cli_json(render_json(report));
  BOOST_TEST(json.find("deployment")->as_string() == "sentinel");
  BOOST_TEST(contains(render_markdown(report), "- Sentinel: local 3+3"));
  // A CLUSTER FAILOVER is not held to them (nor is any other fault).
  log.faults.front().action = "manual_failover";
  BOOST_TEST(!log.faults.front().timed());
  BOOST_TEST(check_status_name(check(analyze(log), "error_window").status) == "not_applicable");
}

// ---- figures ----

BOOST_AUTO_TEST_CASE(percentiles_are_nearest_rank) {
  const std::vector<double> ten = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  BOOST_TEST(percentile(ten, 50) == 5.0);
  BOOST_TEST(percentile(ten, 90) == 9.0);
  BOOST_TEST(percentile(ten, 91) == 10.0);
  BOOST_TEST(percentile(ten, 99) == 10.0);
  BOOST_TEST(percentile(ten, 0) == 1.0);
  BOOST_TEST(percentile(ten, 100) == 10.0);
  BOOST_TEST(percentile(ten, 250) == 10.0);
  BOOST_TEST(percentile({}, 50) == 0.0);
  BOOST_TEST(percentile({7}, 99.9) == 7.0);
  std::vector<double> thousand;
  for (int i = 1000; i >= 1; --i) thousand.push_back(i);
  const LatencySummary summary = summarize(thousand);
  BOOST_TEST(summary.count == 1000U);
  BOOST_TEST(summary.p50 == 500.0);
  BOOST_TEST(summary.p99 == 990.0);
  BOOST_TEST(summary.p999 == 999.0);
  BOOST_TEST(summary.max == 1000.0);
  BOOST_TEST(summarize({}).count == 0U);
}

BOOST_AUTO_TEST_CASE(phases_windows_and_gaps_from_a_synthetic_run) {
  const Report report = analyze(synthetic_run());
  BOOST_REQUIRE(report.faults.size() == 1U);
  const FaultReport& kill = report.faults[0];
  BOOST_TEST(kill.errors == 16U); // 4300, 4400, ..., 5800
  BOOST_TEST(*kill.first_error_ms == 301.0);
  BOOST_TEST(*kill.last_error_ms == 1801.0);
  // All clear: the writer that failed succeeds again at 5.901 s (the others never failed).
  BOOST_TEST(*kill.first_success_ms == 1901.0);
  BOOST_TEST(*kill.error_window_ms == 1901.0);
  BOOST_TEST(*kill.healthy_ms == 2200.0);
  BOOST_REQUIRE(kill.channel_gaps_ms.size() == 2U);
  BOOST_TEST(*kill.channel_gaps_ms[0] == 1.0);
  BOOST_TEST(*kill.channel_gaps_ms[1] == 2900.0);
  BOOST_TEST(*kill.delivery_gap_ms == 2900.0);
  BOOST_TEST(kill.first_error == "ConnectionError: first");
  BOOST_TEST(kill.last_error == "ClusterError: last");

  // Recovery: healthy (6.2 s) and every client succeeding again (5.901 s): the later one.
  BOOST_TEST(*report.recovered_ms == 6200.0);
  BOOST_REQUIRE(report.phases.size() == 3U);
  BOOST_TEST(*report.phases[0].end_ms == 4000.0);
  BOOST_TEST(*report.phases[1].start_ms == 4000.0);
  BOOST_TEST(*report.phases[1].end_ms == 6200.0);
  BOOST_TEST(*report.phases[2].end_ms == 10000.0);
  const auto blocking = static_cast<std::size_t>(OpKind::blocking_write);
  BOOST_TEST(report.phases[0].counts[blocking].attempted == 40U);
  BOOST_TEST(report.phases[0].counts[blocking].failed == 0U);
  BOOST_TEST(report.phases[1].counts[blocking].attempted == 22U);
  BOOST_TEST(report.phases[1].counts[blocking].failed == 16U);
  BOOST_TEST(report.phases[2].counts[blocking].attempted == 38U);
  BOOST_TEST(report.totals[blocking].attempted == 100U);
  BOOST_TEST(report.phases[0].write_latency.count == 80U);
  BOOST_TEST(report.phases[0].read_latency.p50 == 0.5);
  // Published per phase, and delivered of those: channel 1 misses 4.0 .. 6.7 s.
  BOOST_TEST(report.phases[1].published == 22U);
  BOOST_TEST(report.published == 100U);
  BOOST_TEST(report.delivered == 100U + 72U);

  BOOST_TEST((check(report, "error_window").status == CheckStatus::met));
  BOOST_TEST(*check(report, "error_window").measured_value == 1901.0);
  BOOST_TEST((check(report, "subscribers_delivering").status == CheckStatus::met));
  BOOST_TEST((check(report, "durable_writes_lost").status == CheckStatus::met));
  BOOST_TEST((check(report, "writers_recovered").status == CheckStatus::met));
  BOOST_TEST((check(report, "faults_injected").status == CheckStatus::met));
  BOOST_TEST(report.all_met);
}

BOOST_AUTO_TEST_CASE(broken_promises_are_missed) {
  RunLog log = synthetic_run();
  log.scenario.targets.error_window = 1.0; // 1.9 s measured
  log.writes.durable_lost = 2;
  // The sharded subscriber never delivers again.
  log.deliveries.erase(std::remove_if(log.deliveries.begin(), log.deliveries.end(),
                                      [](const Delivery& d) { return d.channel == 1 && d.published_ms >= 4000; }),
                       log.deliveries.end());
  const Report report = analyze(log);
  BOOST_TEST((check(report, "error_window").status == CheckStatus::missed));
  BOOST_TEST((check(report, "durable_writes_lost").status == CheckStatus::missed));
  BOOST_TEST((check(report, "subscribers_delivering").status == CheckStatus::missed));
  BOOST_TEST(!report.faults[0].delivery_gap_ms.has_value());
  BOOST_TEST(!report.all_met);

  RunLog plain = synthetic_run();
  plain.scenario.durable = false;
  plain.writes.lost = 3; // allowed without WAIT: reported, not a broken promise
  const Report plain_report = analyze(plain);
  BOOST_TEST((check(plain_report, "durable_writes_lost").status == CheckStatus::not_applicable));
  BOOST_TEST(contains(check(plain_report, "durable_writes_lost").measured, "3 of 100 keys lost"));
  BOOST_TEST(plain_report.all_met);

  RunLog failed_fault = synthetic_run();
  failed_fault.faults[0].error = "no live replica";
  BOOST_TEST((check(analyze(failed_fault), "faults_injected").status == CheckStatus::missed));
}

BOOST_AUTO_TEST_CASE(writers_that_never_recover_are_missed) {
  RunLog log = synthetic_run();
  for (OpRecord& record : log.ops)
    if (record.kind == OpKind::blocking_write && record.start_ms >= 4300) record.outcome = Outcome::failed;
  const Report report = analyze(log);
  BOOST_TEST((check(report, "writers_recovered").status == CheckStatus::missed));
  BOOST_TEST(contains(check(report, "writers_recovered").measured, "1 of 2 writers"));
  // That writer never succeeds again: no recovery within the run.
  BOOST_TEST(!report.recovered_ms.has_value());
  BOOST_TEST(!report.phases[2].start_ms.has_value());
}

BOOST_AUTO_TEST_CASE(each_error_belongs_to_the_disruptive_fault_before_it) {
  RunLog log = synthetic_run();
  FaultRecord restart; // not disruptive: errors after it stay the kill's
  restart.action = "restart_killed";
  restart.at_ms = 5000;
  restart.end_ms = 5100;
  restart.disruptive = false;
  FaultRecord client_kill;
  client_kill.action = "client_kill";
  client_kill.at_ms = 5500;
  client_kill.end_ms = 5500;
  log.faults.push_back(restart);
  log.faults.push_back(client_kill);
  const Report report = analyze(log);
  BOOST_REQUIRE(report.faults.size() == 3U);
  BOOST_TEST(report.faults[0].errors == 12U);            // 4.3 .. 5.4 s
  BOOST_TEST(*report.faults[0].last_error_ms == 1401.0); // 5.401 s
  BOOST_TEST(report.faults[2].errors == 4U);             // 5.5 .. 5.8 s
  BOOST_TEST(*report.faults[2].first_error_ms == 1.0);
  BOOST_TEST(!report.faults[1].error_window_ms.has_value()); // a restart has no window
  BOOST_TEST(*report.faults[1].healthy_ms == 1200.0);        // 6.2 s
  // The kill's window: its writer's first success after its last error (5.401 s) is at 5.901 s.
  BOOST_TEST(*report.faults[0].error_window_ms == 1901.0);
  // The checks look at master kills only.
  BOOST_TEST(*check(report, "error_window").measured_value == 1901.0);
}

BOOST_AUTO_TEST_CASE(a_run_without_faults_is_all_before) {
  RunLog log = synthetic_run();
  log.faults.clear();
  for (OpRecord& record : log.ops) record.outcome = Outcome::ok;
  const Report report = analyze(log);
  BOOST_TEST(*report.phases[0].end_ms == 10000.0);
  BOOST_TEST(!report.phases[1].start_ms.has_value());
  BOOST_TEST((check(report, "error_window").status == CheckStatus::not_applicable));
  BOOST_TEST((check(report, "writers_recovered").status == CheckStatus::not_applicable));
  BOOST_TEST(report.all_met);
}

// ---- the reports ----

BOOST_AUTO_TEST_CASE(the_json_line_holds_the_figures) {
  const Report report = analyze(synthetic_run());
  const std::string line = render_json(report);
  BOOST_TEST(line.find('\n') == std::string::npos);
  const Value json = redis_toolkit::parse_cli_json(line);
  BOOST_TEST(json.find("scenario")->as_string() == "master_kill");
  BOOST_TEST(json.find("ok")->as_bool());
  BOOST_TEST(json.find("durable")->as_bool());
  const Value& promises = *json.find("promises");
  for (const char* name : {"error_window", "subscribers_delivering", "durable_writes_lost",
                           "writers_recovered", "faults_injected"}) {
    BOOST_REQUIRE_MESSAGE(promises.find(name) != nullptr, name);
    BOOST_TEST(promises.find(name)->find("status")->as_string() == "met", name);
  }
  BOOST_TEST(promises.find("error_window")->find("value")->as_double() == 1901.0);
  const Value& fault = json.find("faults")->items().at(0);
  BOOST_TEST(fault.find("action")->as_string() == "kill_master");
  BOOST_TEST(fault.find("error_window_ms")->as_double() == 1901.0);
  BOOST_TEST(fault.find("first_error_ms")->as_double() == 301.0);
  BOOST_TEST(fault.find("last_error_ms")->as_double() == 1801.0);
  BOOST_TEST(fault.find("first_success_ms")->as_double() == 1901.0);
  BOOST_TEST(fault.find("delivery_gap_ms")->as_double() == 2900.0);
  BOOST_TEST(fault.find("healthy_ms")->as_double() == 2200.0);
  const auto& phases = json.find("phases")->items();
  BOOST_REQUIRE(phases.size() == 3U);
  BOOST_TEST(phases[1].find("name")->as_string() == "during");
  BOOST_TEST(phases[1].find("ops")->find("blocking_write")->find("failed")->as_int() == 16);
  BOOST_TEST(phases[0].find("latency_ms")->find("write")->find("p99")->as_double() >= 1.0);
  BOOST_TEST(phases[1].find("pubsub")->find("published")->as_int() == 22);
  BOOST_TEST(json.find("writes")->find("durable_lost")->as_int() == 0);
  BOOST_TEST(json.find("recovered_ms")->as_double() == 6200.0);
  BOOST_TEST(json.find("pubsub")->find("delivered")->as_int() == 172);
}

BOOST_AUTO_TEST_CASE(the_markdown_report_names_every_section_and_figure) {
  RunLog log = synthetic_run();
  log.writes.lost_examples = {"sim:7: acknowledged #3, read nothing"};
  log.faults[0].detail = "kill -9 | of a master"; // a pipe must not break the table
  const std::string md = render_markdown(analyze(log));
  for (const char* part :
       {"# Failover simulation: master_kill", "## Promises", "| error_window | <= 4000 ms",
        "**met**", "## Faults", "| 4.0 s | kill_master | kill -9 / of a master | 16 | 301 | 1801 | "
        "1901 | 1901 | 2200 | 2900 |", "ConnectionError: first", "ClusterError: last", "## Phases",
        "| during | 4.0 s – 6.2 s |", "## Acknowledged writes", "Keys with a write acknowledged by "
        "WAIT: 90; lost: 0", "sim:7: acknowledged #3", "## Pub/sub", "| sim:sharded:0:0 | sharded | "
        "127.0.0.1:7000 | 2900 ms |", "FAILOVER_SIMULATION.md"}) {
    BOOST_TEST(contains(md, part), part);
  }
  log.scenario.targets.delivery_gap = 1;
  BOOST_TEST(contains(render_markdown(analyze(log)), "**MISSED**"));
}

// ---- the toolkit's metrics per phase ----

namespace {

using redis_toolkit::LatencyHistogram;

LatencyHistogram histogram(std::initializer_list<std::pair<std::size_t, std::uint64_t>> buckets) {
  LatencyHistogram made;
  for (const auto& [index, calls] : buckets) {
    made.buckets.at(index) = calls;
    made.count += calls;
    made.sum_seconds += static_cast<double>(calls) * LatencyHistogram::upper_bound(
                                                          std::min(index, LatencyHistogram::bucket_count - 1));
  }
  return made;
}

MetricsSample metrics_at(double at_ms, std::uint64_t calls, std::uint64_t errors, LatencyHistogram latency) {
  MetricsSample sample;
  sample.at_ms = at_ms;
  sample.calls = calls;
  sample.errors = errors;
  sample.latency = latency;
  return sample;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_histogram_difference_is_bucket_by_bucket) {
  const LatencyHistogram later = histogram({{0, 5}, {3, 7}, {LatencyHistogram::bucket_count, 2}});
  const LatencyHistogram earlier = histogram({{0, 2}, {3, 7}});
  const LatencyHistogram between = histogram_difference(later, earlier);
  BOOST_TEST(between.buckets[0] == 3U);
  BOOST_TEST(between.buckets[3] == 0U);
  BOOST_TEST(between.buckets[LatencyHistogram::bucket_count] == 2U);
  BOOST_TEST(between.count == 5U);
  BOOST_TEST(between.sum_seconds == later.sum_seconds - earlier.sum_seconds,
             boost::test_tools::tolerance(1e-12));
  // Counters never go down; if a bucket did, it counts nothing rather than wrapping around.
  const LatencyHistogram backwards = histogram_difference(earlier, later);
  BOOST_TEST(backwards.buckets[0] == 0U);
  BOOST_TEST(backwards.count == 0U);
  BOOST_TEST(backwards.sum_seconds == 0.0);
  BOOST_TEST(histogram_difference(later, later).count == 0U);
}

BOOST_AUTO_TEST_CASE(percentiles_from_buckets_are_nearest_rank_bucket_upper_bounds) {
  // 100 calls: 50 at most 0.1 ms, 40 in (0.2, 0.4] ms, 9 in (1.6, 3.2] ms, 1 slower than the last bound.
  const LatencyHistogram calls =
      histogram({{0, 50}, {2, 40}, {5, 9}, {LatencyHistogram::bucket_count, 1}});
  BOOST_TEST(percentile_bucket(calls, 0).value() == 0U); // the first call
  BOOST_TEST(percentile_bucket(calls, 50).value() == 0U);
  BOOST_TEST(percentile_bucket(calls, 51).value() == 2U);
  BOOST_TEST(percentile_bucket(calls, 90).value() == 2U);
  BOOST_TEST(percentile_bucket(calls, 99).value() == 5U);
  BOOST_TEST(percentile_bucket(calls, 99.5).value() == LatencyHistogram::bucket_count);
  BOOST_TEST(percentile_bucket(calls, 100).value() == LatencyHistogram::bucket_count);
  BOOST_TEST(percentile_bucket(calls, 250).value() == LatencyHistogram::bucket_count); // clamped
  BOOST_TEST(percentile_bound_text(percentile_bucket(calls, 50)) == "0.1");
  BOOST_TEST(percentile_bound_text(percentile_bucket(calls, 90)) == "0.4");
  BOOST_TEST(percentile_bound_text(percentile_bucket(calls, 99)) == "3.2");
  BOOST_TEST(percentile_bound_text(percentile_bucket(calls, 100)) == "> 13107.2");

  // No calls: no percentile.
  BOOST_TEST(!percentile_bucket(LatencyHistogram{}, 50).has_value());
  BOOST_TEST(percentile_bound_text(std::nullopt) == "-");
  // Only slow calls: every percentile is the overflow bucket.
  const LatencyHistogram slow = histogram({{LatencyHistogram::bucket_count, 3}});
  BOOST_TEST(percentile_bucket(slow, 1).value() == LatencyHistogram::bucket_count);
  BOOST_TEST(percentile_bucket(slow, 50).value() == LatencyHistogram::bucket_count);
  // The last bounded bucket is not the overflow.
  const LatencyHistogram last = histogram({{LatencyHistogram::bucket_count - 1, 1}});
  BOOST_TEST(percentile_bound_text(percentile_bucket(last, 99)) == "13107.2");
}

BOOST_AUTO_TEST_CASE(a_metrics_sample_sums_every_command) {
  redis_toolkit::ToolkitMetrics metrics;
  redis_toolkit::CommandMetrics get;
  get.command = "get";
  get.ok = 10;
  get.timeout = 2;
  get.latency = histogram({{1, 12}});
  redis_toolkit::CommandMetrics set;
  set.command = "set";
  set.ok = 5;
  set.error = 1;
  set.connection = 3;
  set.latency = histogram({{1, 4}, {LatencyHistogram::bucket_count, 5}});
  metrics.commands = {get, set};
  const MetricsSample sample = metrics_sample(12.5, metrics);
  BOOST_TEST(sample.at_ms == 12.5);
  BOOST_TEST(sample.calls == 21U);
  BOOST_TEST(sample.errors == 6U);
  BOOST_TEST(sample.latency.buckets[1] == 16U);
  BOOST_TEST(sample.latency.buckets[LatencyHistogram::bucket_count] == 5U);
  BOOST_TEST(sample.latency.count == 21U);
}

BOOST_AUTO_TEST_CASE(each_phase_gets_the_metrics_between_the_samples_nearest_its_ends) {
  RunLog log = synthetic_run(); // the fault at 4 s, recovered at 6.2 s, the end at 10 s
  log.metrics = {
      metrics_at(0.2, 3, 0, histogram({{0, 3}})),                                  // the start
      metrics_at(2000, 103, 0, histogram({{0, 103}})),
      metrics_at(3999, 203, 0, histogram({{0, 200}, {1, 3}})),                     // before the fault
      metrics_at(6150, 263, 10, histogram({{0, 200}, {1, 3}, {4, 50}, {LatencyHistogram::bucket_count, 10}})),
      metrics_at(6350, 273, 10, histogram({{0, 210}, {1, 3}, {4, 50}, {LatencyHistogram::bucket_count, 10}})),
      metrics_at(10003, 473, 10, histogram({{0, 410}, {1, 3}, {4, 50}, {LatencyHistogram::bucket_count, 10}})),
  };
  const Report report = analyze(log);
  BOOST_REQUIRE(report.phases.size() == 3U);
  BOOST_REQUIRE(report.metrics.has_value());
  BOOST_TEST(report.metrics->calls == 470U);
  BOOST_TEST(report.metrics->errors == 10U);
  const auto& before = report.phases[0].metrics;
  const auto& during = report.phases[1].metrics;
  const auto& after = report.phases[2].metrics;
  BOOST_REQUIRE((before && during && after));
  BOOST_TEST(before->from_ms == 0.2);
  BOOST_TEST(before->to_ms == 3999.0);
  BOOST_TEST(before->calls == 200U);
  BOOST_TEST(before->errors == 0U);
  BOOST_TEST(during->from_ms == 3999.0);
  BOOST_TEST(during->to_ms == 6150.0); // 50 ms from the recovery at 6.2 s, the other 150 ms
  BOOST_TEST(during->calls == 60U);
  BOOST_TEST(during->errors == 10U);
  BOOST_TEST(after->calls == 210U);
  BOOST_TEST(before->calls + during->calls + after->calls == report.metrics->calls);
  BOOST_TEST(percentile_bucket(before->latency, 99).value() == 1U);
  BOOST_TEST(percentile_bucket(during->latency, 50).value() == 4U);
  BOOST_TEST(percentile_bucket(during->latency, 90).value() == LatencyHistogram::bucket_count);

  const Value json = redis_toolkit::parse_cli_json(render_json(report));
  const Value& during_json = *json.find("phases")->items().at(1).find("metrics");
  BOOST_TEST(during_json.find("calls")->as_int() == 60);
  BOOST_TEST(during_json.find("errors")->as_int() == 10);
  BOOST_TEST(during_json.find("p50_ms")->as_double() == 1.6);
  BOOST_TEST(during_json.find("p90_ms")->as_string() == "> 13107.2");
  BOOST_TEST(during_json.find("p99_ms")->as_string() == "> 13107.2");
  const Value& before_json = *json.find("phases")->items().at(0).find("metrics");
  BOOST_TEST(before_json.find("p50_ms")->as_double() == 0.1);
  BOOST_TEST(before_json.find("p99_ms")->as_double() == 0.2);
  BOOST_TEST(json.find("metrics")->find("calls")->as_int() == 470);

  const std::string md = render_markdown(report);
  for (const char* part : {"upper bound of the bucket", "| phase | calls | errors | p50 <= ms |",
                           "| before | 200 | 0 | 0.1 | 0.1 | 0.2 |",
                           "| during | 60 | 10 | 1.6 | > 13107.2 | > 13107.2 |",
                           "| whole run | 470 | 10 |"})
    BOOST_TEST(contains(md, part), part);
}

BOOST_AUTO_TEST_CASE(without_samples_or_calls_the_metrics_say_so) {
  const Report none = analyze(synthetic_run()); // no samples
  BOOST_TEST(!none.metrics.has_value());
  BOOST_TEST(!none.phases[0].metrics.has_value());
  const Value json = redis_toolkit::parse_cli_json(render_json(none));
  BOOST_TEST(json.find("metrics")->is_none());
  BOOST_TEST(json.find("phases")->items().at(0).find("metrics")->is_none());
  BOOST_TEST(contains(render_markdown(none), "| before | — | — |"));

  RunLog idle = synthetic_run();
  idle.metrics = {metrics_at(0, 7, 0, histogram({{0, 7}})), metrics_at(10000, 7, 0, histogram({{0, 7}}))};
  const Report quiet = analyze(idle);
  BOOST_REQUIRE(quiet.metrics.has_value());
  BOOST_TEST(quiet.metrics->calls == 0U);
  const Value quiet_json = redis_toolkit::parse_cli_json(render_json(quiet));
  BOOST_TEST(quiet_json.find("metrics")->find("p50_ms")->is_none());
  BOOST_TEST(contains(render_markdown(quiet), "| whole run | 0 | 0 | - | - | - |"));
}

BOOST_AUTO_TEST_CASE(the_report_file_is_named_after_the_scenario) {
  Scenario scenario;
  scenario.name = "master_kill";
  BOOST_TEST(report_file_name(scenario) == "failover-report-master_kill.md");
  scenario.name = "../etc/my scenario";
  BOOST_TEST(report_file_name(scenario) == "failover-report-.._etc_my_scenario.md");
}

BOOST_AUTO_TEST_SUITE_END()
