#include "redis_toolkit/prometheus.hpp"

#include "redis_toolkit/async_toolkit.hpp"
#include "redis_toolkit/toolkit.hpp"

#include <limits>
#include <string>

namespace redis_toolkit {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

/// A sample with the caller's labels and then its own.
ClientMetric sample(const prometheus::Labels& common,
                    std::initializer_list<std::pair<const char*, std::string>> own = {}) {
  ClientMetric metric;
  for (const auto& [name, value] : common) metric.label.push_back({name, value});
  for (const auto& [name, value] : own) metric.label.push_back({name, value});
  return metric;
}

MetricFamily family(std::string name, std::string help, MetricType type) {
  MetricFamily result;
  result.name = std::move(name);
  result.help = std::move(help);
  result.type = type;
  return result;
}

ClientMetric counter(ClientMetric metric, std::uint64_t value) {
  metric.counter.value = static_cast<double>(value);
  return metric;
}

ClientMetric gauge(ClientMetric metric, std::uint64_t value) {
  metric.gauge.value = static_cast<double>(value);
  return metric;
}

ClientMetric histogram(ClientMetric metric, const LatencyHistogram& latency) {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < latency.buckets.size(); ++i) {
    cumulative += latency.buckets[i];
    const double bound = i < LatencyHistogram::bucket_count
                             ? LatencyHistogram::upper_bound(i)
                             : std::numeric_limits<double>::infinity();
    metric.histogram.bucket.push_back({cumulative, bound});
  }
  metric.histogram.sample_count = latency.count;
  metric.histogram.sample_sum = latency.sum_seconds;
  return metric;
}

/// A family of one sample, a counter or a gauge.
MetricFamily single(std::string name, std::string help, MetricType type,
                    const prometheus::Labels& labels, std::uint64_t value) {
  MetricFamily result = family(std::move(name), std::move(help), type);
  result.metric.push_back(type == MetricType::Counter ? counter(sample(labels), value)
                                                      : gauge(sample(labels), value));
  return result;
}

/// A counter family with one sample per `kind` label.
MetricFamily by_kind(std::string name, std::string help, const prometheus::Labels& labels,
                     std::initializer_list<std::pair<const char*, std::uint64_t>> kinds) {
  MetricFamily result = family(std::move(name), std::move(help), MetricType::Counter);
  for (const auto& [kind, value] : kinds)
    result.metric.push_back(counter(sample(labels, {{"kind", kind}}), value));
  return result;
}

} // namespace

std::vector<MetricFamily> to_metric_families(const ToolkitMetrics& metrics,
                                             const prometheus::Labels& labels) {
  std::vector<MetricFamily> families;
  MetricFamily calls = family("redis_toolkit_commands_total",
                              "Calls answered, per command name and outcome", MetricType::Counter);
  MetricFamily durations =
      family("redis_toolkit_command_duration_seconds",
             "Time from a call reaching the router to its answer", MetricType::Histogram);
  for (const CommandMetrics& command : metrics.commands) {
    const std::pair<const char*, std::uint64_t> outcomes[] = {
        {"ok", command.ok}, {"error", command.error}, {"timeout", command.timeout},
        {"connection", command.connection}};
    for (const auto& [outcome, value] : outcomes)
      calls.metric.push_back(
          counter(sample(labels, {{"command", command.command}, {"outcome", outcome}}), value));
    durations.metric.push_back(histogram(sample(labels, {{"command", command.command}}), command.latency));
  }
  families.push_back(std::move(calls));
  families.push_back(std::move(durations));

  families.push_back(single("redis_toolkit_pending_calls", "Calls received and not answered yet",
                            MetricType::Gauge, labels, metrics.pending_calls));

  MetricFamily connections = family("redis_toolkit_connections",
                                    "TCP connections open, per node", MetricType::Gauge);
  MetricFamily reconnects = family("redis_toolkit_reconnects_total",
                                   "Connections made again after one ended, per node",
                                   MetricType::Counter);
  for (const NodeMetrics& node : metrics.nodes) {
    connections.metric.push_back(gauge(sample(labels, {{"node", node.node}}), node.connections_open));
    reconnects.metric.push_back(counter(sample(labels, {{"node", node.node}}), node.reconnects));
  }
  families.push_back(std::move(connections));
  families.push_back(std::move(reconnects));

  families.push_back(by_kind("redis_toolkit_redirections_total",
                             "Cluster redirections followed, per kind", labels,
                             {{"moved", metrics.redirections_moved},
                              {"ask", metrics.redirections_ask},
                              {"tryagain", metrics.redirections_tryagain}}));
  families.push_back(single("redis_toolkit_topology_refreshes_total",
                            "Cluster slot-table refreshes started", MetricType::Counter, labels,
                            metrics.topology_refreshes));
  families.push_back(by_kind("redis_toolkit_pubsub_messages_total",
                             "Pub/sub messages received, and dropped at a full handler backlog",
                             labels,
                             {{"received", metrics.pubsub_received},
                              {"dropped", metrics.pubsub_dropped}}));
  families.push_back(single("redis_toolkit_pubsub_handler_backlog",
                            "Messages handed to function handlers, not handled yet",
                            MetricType::Gauge, labels, metrics.handler_backlog));
  return families;
}

MetricsCollectable::MetricsCollectable(std::function<ToolkitMetrics()> source,
                                       prometheus::Labels labels)
    : source_(std::move(source)), labels_(std::move(labels)) {}

std::vector<MetricFamily> MetricsCollectable::Collect() const {
  try {
    return to_metric_families(source_(), labels_);
  } catch (const std::exception&) {
    return {}; // the scrape thread belongs to prometheus-cpp: an exception must not reach it
  }
}

std::shared_ptr<MetricsCollectable> make_metrics_collectable(RedisToolkit& toolkit,
                                                             prometheus::Labels labels) {
  return std::make_shared<MetricsCollectable>([&toolkit] { return toolkit.metrics(); },
                                              std::move(labels));
}

std::shared_ptr<MetricsCollectable> make_metrics_collectable(AsyncRedisToolkit& toolkit,
                                                             prometheus::Labels labels) {
  return std::make_shared<MetricsCollectable>([&toolkit] { return toolkit.metrics(); },
                                              std::move(labels));
}

} // namespace redis_toolkit
