#include "metrics_board.hpp"

#include <algorithm>

namespace rtk_bench {

using redis_toolkit::ToolkitMetrics;

MetricsBoard::Watch& MetricsBoard::Watch::operator=(Watch&& other) noexcept {
  if (this != &other) {
    end();
    board_ = std::exchange(other.board_, nullptr);
    id_ = other.id_;
  }
  return *this;
}

void MetricsBoard::Watch::end() {
  if (board_ != nullptr) std::exchange(board_, nullptr)->end(id_);
}

MetricsBoard::Watch MetricsBoard::watch(redis_toolkit::RedisToolkit& toolkit) {
  return add({&toolkit.system(), toolkit.router().id()}, [&toolkit] { return toolkit.metrics(); });
}

MetricsBoard::Watch MetricsBoard::watch(redis_toolkit::AsyncRedisToolkit& toolkit) {
  return add({&toolkit.system(), toolkit.router().id()}, [&toolkit] { return toolkit.metrics(); });
}

MetricsBoard::Watch MetricsBoard::add(RouterKey router, std::function<ToolkitMetrics()> read) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::uint64_t id = next_id_++;
  live_.push_back({id, router, std::move(read)});
  return Watch(this, id);
}

ToolkitMetrics MetricsBoard::read(const Live& live) {
  ToolkitMetrics own;
  ToolkitMetrics snapshot;
  try {
    snapshot = live.read();
  } catch (const std::exception&) {
    return own; // not answered (the toolkit closing): the router's last figures stay
  }
  own.pubsub_received = snapshot.pubsub_received;
  own.pubsub_dropped = snapshot.pubsub_dropped;
  own.handler_backlog = snapshot.handler_backlog;
  snapshot.pubsub_received = snapshot.pubsub_dropped = snapshot.handler_backlog = 0;
  routers_[live.router] = std::move(snapshot); // its counters only grow: the latest is the most
  return own;
}

void MetricsBoard::end(std::uint64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto found = std::find_if(live_.begin(), live_.end(), [&](const Live& l) { return l.id == id; });
  if (found == live_.end()) return;
  const ToolkitMetrics own = read(*found);
  ended_.pubsub_received += own.pubsub_received;
  ended_.pubsub_dropped += own.pubsub_dropped;
  const RouterKey router = found->router;
  live_.erase(found);
  if (std::any_of(live_.begin(), live_.end(), [&](const Live& l) { return l.router == router; }))
    return;
  // The router's last Watch: its figures are final, its gauges describe a router about to go,
  // and its key may name another router later.
  const auto last = routers_.find(router);
  if (last == routers_.end()) return; // never read
  last->second.pending_calls = 0;
  for (auto& node : last->second.nodes) node.connections_open = 0;
  ended_.merge(last->second);
  routers_.erase(last);
}

ToolkitMetrics MetricsBoard::total() {
  std::lock_guard<std::mutex> lock(mutex_);
  ToolkitMetrics sum = ended_;
  for (const Live& live : live_) sum.merge(read(live));
  for (const auto& entry : routers_) sum.merge(entry.second);
  return sum;
}

} // namespace rtk_bench
