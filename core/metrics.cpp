#include "redis_toolkit/metrics.hpp"

#include <algorithm>

namespace redis_toolkit {

void ToolkitMetrics::merge(const ToolkitMetrics& other) {
  for (const CommandMetrics& command : other.commands) {
    auto same = std::find_if(commands.begin(), commands.end(),
                             [&](const CommandMetrics& each) { return each.command == command.command; });
    if (same == commands.end()) {
      commands.push_back(command);
      continue;
    }
    same->ok += command.ok;
    same->error += command.error;
    same->timeout += command.timeout;
    same->connection += command.connection;
    for (std::size_t i = 0; i < command.latency.buckets.size(); ++i)
      same->latency.buckets[i] += command.latency.buckets[i];
    same->latency.count += command.latency.count;
    same->latency.sum_seconds += command.latency.sum_seconds;
  }
  std::sort(commands.begin(), commands.end(),
            [](const CommandMetrics& a, const CommandMetrics& b) { return a.command < b.command; });
  for (const NodeMetrics& node : other.nodes) {
    auto same = std::find_if(nodes.begin(), nodes.end(),
                             [&](const NodeMetrics& each) { return each.node == node.node; });
    if (same == nodes.end()) {
      nodes.push_back(node);
      continue;
    }
    same->connections_open += node.connections_open;
    same->reconnects += node.reconnects;
  }
  pending_calls += other.pending_calls;
  redirections_moved += other.redirections_moved;
  redirections_ask += other.redirections_ask;
  redirections_tryagain += other.redirections_tryagain;
  topology_refreshes += other.topology_refreshes;
  pubsub_received += other.pubsub_received;
  pubsub_dropped += other.pubsub_dropped;
  handler_backlog += other.handler_backlog;
}

} // namespace redis_toolkit
