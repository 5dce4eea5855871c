#pragma once
// `rtk bench --metrics-listen`: the metrics of every toolkit the bench has made so far, summed for
// the listener. Scenarios make and end their toolkits as they go, so the board reads a live
// toolkit only while its Watch lives and keeps the last figures of an ended one:
//
//   RedisToolkit toolkit(config, options);
//   const auto watched = context.watch(toolkit); // after the toolkit: it ends first
//
// Toolkits of the same server and options share one router and its command figures, so the board
// keeps those once per router (the latest read) and sums only the pub/sub figures, which are each
// toolkit's own. When a router's last Watch ends, its last figures join the ended ones: the bench
// ends a router's toolkits together (a scenario's scope), so a router is not watched again after.

#include <redis_toolkit/async_toolkit.hpp>
#include <redis_toolkit/metrics.hpp>
#include <redis_toolkit/toolkit.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

namespace rtk_bench {

class MetricsBoard {
public:
  /// A toolkit read by the board; ending it reads the toolkit a last time and lets it go.
  class Watch {
  public:
    Watch() = default;
    Watch(MetricsBoard* board, std::uint64_t id) : board_(board), id_(id) {}
    Watch(Watch&& other) noexcept : board_(std::exchange(other.board_, nullptr)), id_(other.id_) {}
    Watch& operator=(Watch&& other) noexcept;
    Watch(const Watch&) = delete;
    Watch& operator=(const Watch&) = delete;
    ~Watch() { end(); }
    void end();

  private:
    MetricsBoard* board_ = nullptr;
    std::uint64_t id_ = 0;
  };

  /// The toolkit must outlive the Watch (declare the Watch after it).
  Watch watch(redis_toolkit::RedisToolkit& toolkit);
  Watch watch(redis_toolkit::AsyncRedisToolkit& toolkit);

  /// Everything so far: each router's latest command figures once, every toolkit's pub/sub
  /// counters. Gauges (pending calls, connections open, handler backlog) count live toolkits only.
  redis_toolkit::ToolkitMetrics total();

private:
  /// A router: its actor system and its actor id. Unique among live routers only (a later actor
  /// system may take the same address and ids), so it names a router only while it is watched.
  using RouterKey = std::pair<const void*, std::uint64_t>;
  struct Live {
    std::uint64_t id;
    RouterKey router;
    std::function<redis_toolkit::ToolkitMetrics()> read;
  };
  Watch add(RouterKey router, std::function<redis_toolkit::ToolkitMetrics()> read);
  void end(std::uint64_t id);
  /// Reads `live` (under mutex_) into routers_; returns its pub/sub counters and backlog.
  redis_toolkit::ToolkitMetrics read(const Live& live);

  std::mutex mutex_; // the scrape's thread against the scenarios' thread
  std::uint64_t next_id_ = 1;
  std::vector<Live> live_;
  /// The watched routers' latest figures, without pub/sub.
  std::map<RouterKey, redis_toolkit::ToolkitMetrics> routers_;
  /// Ended: the last figures of routers no longer watched (gauges at 0), and the pub/sub
  /// counters of ended toolkits.
  redis_toolkit::ToolkitMetrics ended_;
};

} // namespace rtk_bench
