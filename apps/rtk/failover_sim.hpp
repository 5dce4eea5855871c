#pragma once
// `rtk failover-sim`, the pure half: the scenario (TOML), what a run records, and the report made
// from that record (phases, error windows, delivery gaps, latency percentiles, the check of every
// acknowledged write, the promises) in its two forms, one JSON line and a Markdown page. Nothing
// here talks to Redis, so all of it is unit-tested with synthetic records; the live half (cluster,
// workload, faults) is failover_sim_runner.hpp. docs/FAILOVER_SIMULATION.md explains the output.
//
//   Scenario scenario = load_scenario("config/failover/master_kill.toml");
//   RunLog log = ...;                        // filled by the runner
//   Report report = analyze(log);
//   std::cout << render_json(report) << "\n";
//   file << render_markdown(report);
//   return report.all_met ? 0 : 1;

#include "redis_toolkit/metrics.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rtk::failover {

// ---- the scenario ----

enum class FaultAction {
  kill_master,     ///< kill -9 of a master
  hang_node,       ///< SIGSTOP of a master for `seconds`, then SIGCONT
  manual_failover, ///< CLUSTER FAILOVER on the replica of a master
  restart_killed,  ///< start the node killed last again: it rejoins as a replica
  client_kill,     ///< CLIENT KILL TYPE ... on every node: the toolkit's connections drop
  rolling_restart, ///< every master in turn: kill -9 or CLUSTER FAILOVER, restart, wait healthy
  sentinel_failover, ///< SENTINEL FAILOVER: the sentinels promote a replica (Sentinel scenarios)
};

/// What a scenario runs on: a Redis Cluster (`[cluster]`, the default) or a master with replicas
/// watched by sentinels (`[sentinel]`). Each has faults of its own: see allowed_on().
enum class Deployment { cluster, sentinel };
std::string_view deployment_name(Deployment deployment) noexcept;
/// Whether `action` can run on `deployment`. Rules: CLUSTER FAILOVER, hang_node and
/// rolling_restart are cluster faults; sentinel_failover is a Sentinel fault; kill_master,
/// restart_killed and client_kill run on both.
bool allowed_on(FaultAction action, Deployment deployment) noexcept;

/// "kill_master", "hang_node", ...
std::string_view action_name(FaultAction action) noexcept;

struct FaultSpec {
  double at = 0; ///< seconds after the workload started
  FaultAction action = FaultAction::kill_master;
  /// kill_master, hang_node, manual_failover: "N" (the master serving the N-th slot range at the
  /// start, 0-based, in slot order) or "master_of:KEY" (the master serving KEY's slot when the
  /// fault happens). Sentinel scenarios have one master, the one the sentinels name when the
  /// fault happens: "0" only.
  std::string target = "0";
  double seconds = 3.0;          ///< hang_node: how long the node stays stopped
  std::string mode = "kill";     ///< rolling_restart: "kill" or "failover"
  double pause = 1.0;            ///< rolling_restart: seconds between two masters
  std::vector<std::string> types = {"normal", "pubsub"}; ///< client_kill: CLIENT KILL TYPE ...
  std::size_t line = 0;          ///< where it is in the scenario file (0: not from a file)

  /// Needs to signal or start redis-server processes: only on a cluster rtk started itself.
  bool needs_process_control() const noexcept;
};

struct ClusterSettings {
  double node_timeout = 1.0; ///< seconds: cluster-node-timeout
  int masters = 3;
  int replicas_per_master = 1;
};

/// The local Sentinel deployment rtk starts (LocalSentinel::Options).
struct SentinelSettings {
  std::string master_name = "mymaster";
  int replicas = 2;
  int sentinels = 3;
  int quorum = 2;
  double down_after = 1.0;        ///< seconds: sentinel down-after-milliseconds
  double failover_timeout = 10.0; ///< seconds: sentinel failover-timeout
};

/// The toolkit's settings under test.
struct ToolkitSettings {
  double connection_timeout = 1.0;
  double socket_timeout = 1.0;
  int retry_attempts = 3;
  double retry_delay = 0.1;
  double retry_backoff = 2.0;
};

struct Workload {
  int blocking_writers = 2;  ///< threads calling RedisToolkit::setter (setter_durable)
  int async_writers = 1;     ///< AsyncRedisToolkit writers ...
  int async_in_flight = 4;   ///< ... each with this many writes in flight, each on its own keys
  int readers = 1;           ///< threads calling getter on random keys
  double write_rate = 100;   ///< writes per second per writer; 0: as fast as possible
  double read_rate = 100;    ///< reads per second per reader; 0: as fast as possible
  std::size_t value_size = 64;  ///< bytes per value
  std::size_t keys = 3000;      ///< sim:0 .. sim:<keys-1>, spread over every master
  int wait_replicas = 1;        ///< durable mode: WAIT for this many replicas
  double wait_timeout = 0.1;    ///< durable mode: seconds WAIT waits (it holds up its connection)
  int classic_channels = 1;     ///< SUBSCRIBE channels, one subscriber each
  /// SSUBSCRIBE channels on each master's slots; cluster only (a Sentinel scenario's default is 0).
  int sharded_channels_per_master = 1;
  double publish_rate = 20;     ///< messages per second per channel

  /// Writers in all, async lanes counted one by one: the keys are dealt among them.
  int writer_lanes() const noexcept { return blocking_writers + async_writers * async_in_flight; }
};

struct Targets {
  /// seconds: from a master kill (or SENTINEL FAILOVER) until operations succeed again
  double error_window = 4.0;
  /// seconds: from a master kill (or SENTINEL FAILOVER) until every subscriber delivers again
  double delivery_gap = 5.0;
};

struct Scenario {
  std::string name = "scenario"; ///< parse_scenario: the file's name without .toml when unset
  std::string description;
  double duration = 30;  ///< seconds of workload (longer when the faults outlast it)
  bool durable = false;  ///< writers use setter_durable: SET + WAIT
  Deployment deployment = Deployment::cluster; ///< a `[sentinel]` table makes it sentinel
  ClusterSettings cluster;   ///< cluster scenarios
  SentinelSettings sentinel; ///< sentinel scenarios
  ToolkitSettings toolkit;
  Workload workload;
  Targets targets;
  std::vector<FaultSpec> faults; ///< in the order of `at`
};

/// Parses a scenario. Unknown keys, wrong types and values out of range are ValidationErrors that
/// name the key and say where it is (source:line:column); so is a key that does not apply to its
/// fault's action, and a fault or key that does not apply to the deployment (`[cluster]` and
/// `[sentinel]` together, sentinel_failover without `[sentinel]`, ...). Faults come back sorted
/// by `at`.
Scenario parse_scenario(std::string_view text, std::string_view source_name = "<scenario>");
/// The same from a file; a file that cannot be read is a ValidationError too.
Scenario load_scenario(const std::string& path);
/// What config/failover/master_kill.toml says: the scenario of `rtk failover-sim` without
/// --scenario.
Scenario default_scenario();
/// The checks parse_scenario makes after reading, for a scenario changed since (--duration):
/// throws ValidationError naming the field.
void validate_scenario(const Scenario& scenario);

// ---- what a run records (times in milliseconds since the workload started) ----

enum class OpKind : std::uint8_t { blocking_write, async_write, read, publish };
inline constexpr std::size_t op_kind_count = 4;
std::string_view op_kind_name(OpKind kind) noexcept;
inline bool is_data_op(OpKind kind) noexcept { return kind != OpKind::publish; }
inline bool is_write(OpKind kind) noexcept {
  return kind == OpKind::blocking_write || kind == OpKind::async_write;
}

enum class Outcome : std::uint8_t {
  ok,
  failed,       ///< a typed error
  unreplicated, ///< durable mode: the master took the write, fewer replicas than asked for did
};

struct OpRecord {
  double start_ms = 0;
  double end_ms = 0;
  std::uint32_t source = 0; ///< writers: the lane; readers: the reader; publish: the channel
  OpKind kind = OpKind::blocking_write;
  Outcome outcome = Outcome::ok;
};

/// One error's text, kept for the first errors of a run (the report quotes the first after each
/// fault).
struct ErrorSample {
  double at_ms = 0;
  OpKind kind = OpKind::blocking_write;
  std::string error; ///< "ConnectionError: ..." as what() gives it
};

struct FaultRecord {
  std::string action;  ///< action_name(), of the step for the steps of a rolling restart
  std::string detail;  ///< the node concerned, how many connections, ...
  std::string part_of; ///< "rolling_restart" for its steps, else empty
  double at_ms = 0;    ///< when the fault was injected
  double end_ms = 0;   ///< when it was done (the SIGCONT of a hang, a restarted node answering)
  bool disruptive = true;  ///< errors after it are its own (a restart is not disruptive)
  bool master_kill = false; ///< kill -9 of a master
  /// The targets (error window, delivery gap) apply: a master kill, or SENTINEL FAILOVER (a
  /// change of master the clients must follow).
  bool timed() const noexcept { return master_kill || action == "sentinel_failover"; }
  std::string error;   ///< empty when injected; else why it could not be
};

struct HealthSample {
  double at_ms = 0;
  bool healthy = false;
};

struct ChannelInfo {
  std::string name;
  bool sharded = false;
  std::string node; ///< the master serving it at the start (sharded), empty for classic
};

struct Delivery {
  std::uint32_t channel = 0;
  std::int64_t seq = 0;
  double published_ms = 0; ///< when the publisher sent it (carried in the message)
  double delivered_ms = 0; ///< when the handler got it
};

struct WriteCheck {
  bool done = false;             ///< the keys were read back
  std::size_t keys_written = 0;  ///< keys with at least one acknowledged write
  std::size_t lost = 0;          ///< of those: missing, or older than the last acknowledged write
  std::size_t durable_keys = 0;  ///< keys with a write acknowledged by a replica (durable mode)
  std::size_t durable_lost = 0;  ///< of those: missing, or older than that write
  std::size_t unverified = 0;    ///< keys that could not be read back
  std::vector<std::string> lost_examples; ///< "sim:12: acknowledged #40 (durable #40), read #38"
};

/// The toolkit's own count of its calls (every command summed) at one moment of the run: the
/// runner takes one when the workload starts, every health check, just before each fault and when
/// the workload has stopped.
struct MetricsSample {
  double at_ms = 0;
  std::uint64_t calls = 0;  ///< answered, whatever the outcome
  std::uint64_t errors = 0; ///< of those: error, timeout or connection
  redis_toolkit::LatencyHistogram latency;
};
/// The sample of `metrics` taken at `at_ms`.
MetricsSample metrics_sample(double at_ms, const redis_toolkit::ToolkitMetrics& metrics);

struct RunLog {
  Scenario scenario;
  std::string cluster;      ///< "local 3+3 (started by rtk): 127.0.0.1:..." or the --cluster nodes
  bool local_cluster = true;
  std::string started_at;   ///< wall clock, ISO 8601 UTC
  std::string machine;      ///< "N cores"
  double duration_ms = 0;   ///< the workload's whole run
  std::vector<OpRecord> ops;
  std::vector<ErrorSample> errors;
  std::vector<FaultRecord> faults; ///< in the order injected
  std::vector<HealthSample> health;
  std::vector<ChannelInfo> channels;
  std::vector<Delivery> deliveries;
  int writer_lanes = 0;
  WriteCheck writes;
  std::vector<MetricsSample> metrics; ///< in the order of at_ms
};

// ---- the report ----

/// Nearest-rank percentile of sorted values: the smallest value with at least `percent` % of the
/// values at or below it. 0 for no values; percent is clamped to 0..100.
double percentile(const std::vector<double>& sorted, double percent);

struct LatencySummary {
  std::size_t count = 0;
  double p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;
};
/// Of unsorted values (milliseconds).
LatencySummary summarize(std::vector<double> values);

/// What happened between two histograms of the same counters: `later` minus `earlier`, bucket by
/// bucket (a bucket that went down, which counters never do, counts 0).
redis_toolkit::LatencyHistogram histogram_difference(const redis_toolkit::LatencyHistogram& later,
                                                     const redis_toolkit::LatencyHistogram& earlier);
/// Nearest rank over buckets: the index of the bucket holding the `percent`-th percentile call
/// (the first bucket at which the calls counted so far reach percent % of them, at least one).
/// LatencyHistogram::bucket_count is the overflow bucket; no value for an empty histogram.
/// percent is clamped to 0..100. The call's time is known only to be at most the bucket's upper
/// bound (and above the bound before), so that bound is what the report gives.
std::optional<std::size_t> percentile_bucket(const redis_toolkit::LatencyHistogram& histogram,
                                             double percent);
/// The report's text for percentile_bucket: the bucket's upper bound in ms ("0.4", "12.8"),
/// "> 13107.2" for the overflow bucket, "-" for none.
std::string percentile_bound_text(const std::optional<std::size_t>& bucket);

/// The toolkit's metrics over one span: the difference of the samples nearest its two ends.
struct MetricsSpan {
  double from_ms = 0, to_ms = 0; ///< when those samples were taken
  std::uint64_t calls = 0, errors = 0;
  redis_toolkit::LatencyHistogram latency;
};
/// The span from the sample nearest `start_ms` to the sample nearest `end_ms`; no value without
/// samples. Samples sorted by at_ms.
std::optional<MetricsSpan> metrics_between(const std::vector<MetricsSample>& samples,
                                           double start_ms, double end_ms);

struct OpCounts {
  std::size_t attempted = 0, succeeded = 0, failed = 0, unreplicated = 0;
};

struct PhaseReport {
  std::string name; ///< "before", "during", "after"
  std::optional<double> start_ms, end_ms; ///< no value: the phase did not happen
  OpCounts counts[op_kind_count];
  LatencySummary write_latency, read_latency, publish_latency; ///< completed operations
  std::size_t published = 0; ///< messages the publishers sent without an error
  std::size_t delivered = 0; ///< of the messages published in the phase, delivered at least once
  /// The toolkit's metrics over the phase: no value when the phase did not happen or the run
  /// took no samples. The spans of the phases join end to end, so their calls add up to
  /// Report::metrics's.
  std::optional<MetricsSpan> metrics;
};

struct FaultReport {
  FaultRecord fault;
  std::size_t errors = 0; ///< data operations (writes, reads) failing after it, before the next
  // All relative to the fault's at_ms.
  std::optional<double> first_error_ms, last_error_ms;
  /// All clear: every writer lane and reader that got one of these errors has succeeded after
  /// its last one (the latest of their first successes); no value when one never did.
  std::optional<double> first_success_ms;
  /// Until operations succeeded again: first_success_ms when there were errors, 0 without.
  std::optional<double> error_window_ms;
  std::optional<double> healthy_ms; ///< the cluster healthy again (first health check after end)
  /// Until every subscriber delivered a message published after the fault; no value when one
  /// never did (or when there are no subscribers: see has_channels).
  std::optional<double> delivery_gap_ms;
  std::vector<std::optional<double>> channel_gaps_ms; ///< the same per channel
  std::string first_error; ///< the text of its first error and of its last
  std::string last_error;
};

enum class CheckStatus { met, missed, not_applicable };
std::string_view check_status_name(CheckStatus status) noexcept;

struct CheckReport {
  std::string name;    ///< "error_window", "durable_writes_lost", ...
  std::string target;  ///< "<= 4000 ms after each master kill"
  std::string measured;
  std::optional<double> measured_value; ///< for the JSON: the worst figure, when there is one
  CheckStatus status = CheckStatus::not_applicable;
};

struct Report {
  RunLog log; ///< scenario, cluster, faults, write check: as recorded (ops and deliveries dropped)
  std::vector<PhaseReport> phases; ///< before, during, after
  std::vector<FaultReport> faults;
  std::optional<double> recovered_ms; ///< the end of the "during" phase
  OpCounts totals[op_kind_count];
  std::size_t published = 0, delivered = 0;
  std::size_t unreplicated = 0;
  std::optional<MetricsSpan> metrics; ///< the toolkit's metrics over the whole run
  std::vector<CheckReport> checks;
  bool all_met = true; ///< no check missed: rtk exits 0
};

/// Everything the report says, from the record alone.
Report analyze(RunLog log);
/// One line of JSON (no newline), in the command line's JSON form.
std::string render_json(const Report& report);
/// A Markdown page for people.
std::string render_markdown(const Report& report);
/// "failover-report-<scenario name>.md", the name made safe for a file name.
std::string report_file_name(const Scenario& scenario);

} // namespace rtk::failover
