#pragma once
// A snapshot of what a toolkit has been doing: calls per command and outcome, their latency,
// connections, redirections and pub/sub traffic. RedisToolkit::metrics() and
// AsyncRedisToolkit::metrics() answer it; the optional component redis_toolkit::prometheus
// (redis_toolkit/prometheus.hpp) serves it to Prometheus. docs/METRICS.md describes every figure.
//
//   redis_toolkit::RedisToolkit toolkit(config);
//   toolkit.set("user:1", redis_toolkit::Value("Ada"));
//   const redis_toolkit::ToolkitMetrics metrics = toolkit.metrics();
//   if (const redis_toolkit::CommandMetrics* set = metrics.command("set"))
//     std::cout << set->ok << " SET answered, " << set->latency.count << " timed\n";
//
// The counters only grow (but for the gauges: pending_calls, connections_open, handler_backlog),
// so two snapshots subtracted give what happened in between.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace redis_toolkit {

/// How long calls took, from the router receiving a call to the router answering it, in fixed
/// buckets: bucket i holds the calls that took more than upper_bound(i - 1) and at most
/// upper_bound(i); the last bucket (index bucket_count) holds the slower ones.
struct LatencyHistogram {
  static constexpr std::size_t bucket_count = 18;
  /// Where the bucket bounds start; each bound doubles the one before.
  static constexpr std::chrono::microseconds first_bound{100};
  /// Bucket `index`'s upper bound, in seconds (index < bucket_count).
  static double upper_bound(std::size_t index) {
    return std::chrono::duration<double>(first_bound).count() * static_cast<double>(1ULL << index);
  }

  std::array<std::uint64_t, bucket_count + 1> buckets{}; ///< calls per bucket, not cumulative
  std::uint64_t count = 0;      ///< every call timed: the sum of `buckets`
  double sum_seconds = 0;       ///< their total time
};

/// The calls of one command name (lower case, as "get", "set", "incr"). Each command of a batch,
/// pipeline or transaction counts as one call, timed as its whole batch.
struct CommandMetrics {
  std::string command;
  std::uint64_t ok = 0;         ///< answered with a value (a nil included)
  std::uint64_t error = 0;      ///< an error reply from Redis, or refused by the toolkit (overload,
                                ///< a cluster slot nobody serves, too many redirections)
  std::uint64_t timeout = 0;    ///< no reply within the socket timeout (after the retries)
  std::uint64_t connection = 0; ///< the connection failed, or its bytes were not RESP
  LatencyHistogram latency;
  std::uint64_t total() const { return ok + error + timeout + connection; }
};

/// One Redis node the toolkit talks to.
struct NodeMetrics {
  std::string node;                  ///< "host:port"
  std::uint64_t connections_open = 0; ///< TCP connections logged in now
  std::uint64_t reconnects = 0;      ///< connections made again after one ended
};

/// Everything at one moment. Command figures belong to the toolkit's router, which every toolkit
/// of the same server and credentials in the process shares; pub/sub figures to this toolkit's
/// own subscriptions.
struct ToolkitMetrics {
  /// Names past this many distinct ones are counted under "other": a program sending made-up
  /// command names must not grow the snapshot without bound.
  static constexpr std::size_t max_command_names = 256;

  std::vector<CommandMetrics> commands; ///< sorted by name
  std::uint64_t pending_calls = 0;      ///< calls received and not answered yet
  std::vector<NodeMetrics> nodes;       ///< in the order the toolkit learned them
  std::uint64_t redirections_moved = 0; ///< MOVED replies followed (cluster)
  std::uint64_t redirections_ask = 0;   ///< ASK replies followed (cluster)
  std::uint64_t redirections_tryagain = 0; ///< TRYAGAIN replies (a slot mid-migration)
  std::uint64_t topology_refreshes = 0; ///< cluster slot-table refreshes started
  std::uint64_t pubsub_received = 0;    ///< pub/sub messages received and decoded
  std::uint64_t pubsub_dropped = 0;     ///< not delivered: a handler's backlog was full
  std::uint64_t handler_backlog = 0;    ///< messages handed to function handlers, not yet handled

  /// Adds `other` into this snapshot, as one figure for several toolkits (a program's toolkits on
  /// different servers): counters and gauges summed, commands merged by name (kept sorted),
  /// nodes by "host:port" (a new one after the known ones). Toolkits of the same server and
  /// options share one router and so the same command figures: merge only one snapshot per
  /// router, or those calls count twice.
  void merge(const ToolkitMetrics& other);

  /// The figures of `name` (lower case), or null when it was never called.
  const CommandMetrics* command(std::string_view name) const {
    for (const CommandMetrics& each : commands)
      if (each.command == name) return &each;
    return nullptr;
  }
};

} // namespace redis_toolkit
