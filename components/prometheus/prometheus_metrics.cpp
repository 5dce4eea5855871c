#include "redis_toolkit/prometheus.hpp"

#include "redis_toolkit/async_toolkit.hpp"
#include "redis_toolkit/toolkit.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

#include <condition_variable>
#include <limits>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

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

// ---- RegistryMetrics ----

namespace {

/// What a counter grows by when its source went from `last` to `now`: a source that restarted
/// (now < last) counted `now` since.
double growth(std::uint64_t last, std::uint64_t now) {
  return static_cast<double>(now >= last ? now - last : now);
}

prometheus::Labels with(const prometheus::Labels& common,
                        std::initializer_list<std::pair<const char*, std::string>> own) {
  prometheus::Labels labels = common;
  for (const auto& [name, value] : own) labels[name] = value;
  return labels;
}

prometheus::Histogram::BucketBoundaries latency_bounds() {
  prometheus::Histogram::BucketBoundaries bounds;
  for (std::size_t i = 0; i < LatencyHistogram::bucket_count; ++i)
    bounds.push_back(LatencyHistogram::upper_bound(i));
  return bounds;
}

/// One counter sample and the source's value at the last copy.
struct TrackedCounter {
  prometheus::Counter* counter = nullptr;
  std::uint64_t last = 0;
  void copy(std::uint64_t now) {
    counter->Increment(growth(last, now));
    last = now;
  }
};

} // namespace

struct RegistryMetrics::State {
  prometheus::Registry* registry;
  std::function<ToolkitMetrics()> source;
  prometheus::Labels labels;

  prometheus::Family<prometheus::Counter>* calls;
  prometheus::Family<prometheus::Histogram>* durations;
  prometheus::Family<prometheus::Gauge>* pending;
  prometheus::Family<prometheus::Gauge>* connections;
  prometheus::Family<prometheus::Counter>* reconnects;
  prometheus::Family<prometheus::Counter>* redirections;
  prometheus::Family<prometheus::Counter>* refreshes;
  prometheus::Family<prometheus::Counter>* pubsub;
  prometheus::Family<prometheus::Gauge>* backlog;

  std::mutex copying; // one copy at a time: the thread's and refresh()'s
  std::map<std::pair<std::string, std::string>, TrackedCounter> call_counts; // (command, outcome)
  std::map<std::string, std::pair<prometheus::Histogram*, LatencyHistogram>> latencies;
  prometheus::Gauge* pending_calls = nullptr;
  std::map<std::string, prometheus::Gauge*> open_connections; // by node
  std::map<std::string, TrackedCounter> node_reconnects;
  std::map<std::string, TrackedCounter> by_kind; // redirections, pub/sub: "family/kind"
  TrackedCounter topology_refreshes;
  prometheus::Gauge* handler_backlog = nullptr;

  std::mutex stopping;
  std::condition_variable stop_requested;
  bool stop = false;
  std::thread thread;

  void copy(const ToolkitMetrics& metrics) {
    std::lock_guard<std::mutex> lock(copying);
    static const prometheus::Histogram::BucketBoundaries bounds = latency_bounds();
    for (const CommandMetrics& command : metrics.commands) {
      const std::pair<const char*, std::uint64_t> outcomes[] = {
          {"ok", command.ok}, {"error", command.error}, {"timeout", command.timeout},
          {"connection", command.connection}};
      for (const auto& [outcome, value] : outcomes) {
        TrackedCounter& tracked = call_counts[{command.command, outcome}];
        if (tracked.counter == nullptr)
          tracked.counter = &calls->Add(with(labels, {{"command", command.command}, {"outcome", outcome}}));
        tracked.copy(value);
      }
      auto& [histogram, last] = latencies[command.command];
      if (histogram == nullptr)
        histogram = &durations->Add(with(labels, {{"command", command.command}}), bounds);
      const bool restarted = command.latency.count < last.count;
      std::vector<double> increments(command.latency.buckets.size());
      for (std::size_t i = 0; i < increments.size(); ++i)
        increments[i] = restarted ? static_cast<double>(command.latency.buckets[i])
                                  : growth(last.buckets[i], command.latency.buckets[i]);
      const double seconds = restarted ? command.latency.sum_seconds
                                       : std::max(0.0, command.latency.sum_seconds - last.sum_seconds);
      histogram->ObserveMultiple(increments, seconds);
      last = command.latency;
    }
    pending_calls->Set(static_cast<double>(metrics.pending_calls));
    for (const NodeMetrics& node : metrics.nodes) {
      prometheus::Gauge*& open = open_connections[node.node];
      if (open == nullptr) open = &connections->Add(with(labels, {{"node", node.node}}));
      open->Set(static_cast<double>(node.connections_open));
      TrackedCounter& made_again = node_reconnects[node.node];
      if (made_again.counter == nullptr)
        made_again.counter = &reconnects->Add(with(labels, {{"node", node.node}}));
      made_again.copy(node.reconnects);
    }
    by_kind["redirections/moved"].copy(metrics.redirections_moved);
    by_kind["redirections/ask"].copy(metrics.redirections_ask);
    by_kind["redirections/tryagain"].copy(metrics.redirections_tryagain);
    by_kind["pubsub/received"].copy(metrics.pubsub_received);
    by_kind["pubsub/dropped"].copy(metrics.pubsub_dropped);
    topology_refreshes.copy(metrics.topology_refreshes);
    handler_backlog->Set(static_cast<double>(metrics.handler_backlog));
  }

  /// Every sample this object added leaves the registry (the families stay, maybe shared).
  void remove_samples() {
    for (auto& [key, tracked] : call_counts) calls->Remove(tracked.counter);
    for (auto& [name, latency] : latencies) durations->Remove(latency.first);
    pending->Remove(pending_calls);
    for (auto& [node, gauge] : open_connections) connections->Remove(gauge);
    for (auto& [node, tracked] : node_reconnects) reconnects->Remove(tracked.counter);
    for (auto& [key, tracked] : by_kind)
      (key.rfind("pubsub/", 0) == 0 ? pubsub : redirections)->Remove(tracked.counter);
    refreshes->Remove(topology_refreshes.counter);
    backlog->Remove(handler_backlog);
  }
};

RegistryMetrics::RegistryMetrics(prometheus::Registry& registry,
                                 std::function<ToolkitMetrics()> source, prometheus::Labels labels,
                                 std::chrono::milliseconds interval)
    : state_(std::make_unique<State>()) {
  State& state = *state_;
  state.registry = &registry;
  state.source = std::move(source);
  state.labels = std::move(labels);
  // No constant labels on the families: two toolkits' samples, told apart by their own labels,
  // then share each family (prometheus-cpp merges families of one name only when their constant
  // labels are equal).
  state.calls = &prometheus::BuildCounter()
                     .Name("redis_toolkit_commands_total")
                     .Help("Calls answered, per command name and outcome")
                     .Register(registry);
  state.durations = &prometheus::BuildHistogram()
                         .Name("redis_toolkit_command_duration_seconds")
                         .Help("Time from a call reaching the router to its answer")
                         .Register(registry);
  state.pending = &prometheus::BuildGauge()
                       .Name("redis_toolkit_pending_calls")
                       .Help("Calls received and not answered yet")
                       .Register(registry);
  state.connections = &prometheus::BuildGauge()
                           .Name("redis_toolkit_connections")
                           .Help("TCP connections open, per node")
                           .Register(registry);
  state.reconnects = &prometheus::BuildCounter()
                          .Name("redis_toolkit_reconnects_total")
                          .Help("Connections made again after one ended, per node")
                          .Register(registry);
  state.redirections = &prometheus::BuildCounter()
                            .Name("redis_toolkit_redirections_total")
                            .Help("Cluster redirections followed, per kind")
                            .Register(registry);
  state.refreshes = &prometheus::BuildCounter()
                         .Name("redis_toolkit_topology_refreshes_total")
                         .Help("Cluster slot-table refreshes started")
                         .Register(registry);
  state.pubsub = &prometheus::BuildCounter()
                      .Name("redis_toolkit_pubsub_messages_total")
                      .Help("Pub/sub messages received, and dropped at a full handler backlog")
                      .Register(registry);
  state.backlog = &prometheus::BuildGauge()
                       .Name("redis_toolkit_pubsub_handler_backlog")
                       .Help("Messages handed to function handlers, not handled yet")
                       .Register(registry);
  if (state.pending->Has(state.labels))
    throw std::invalid_argument(
        "this prometheus::Registry already holds redis_toolkit metrics with the same labels: give "
        "each toolkit's RegistryMetrics labels of its own");
  state.pending_calls = &state.pending->Add(state.labels);
  state.handler_backlog = &state.backlog->Add(state.labels);
  state.topology_refreshes.counter = &state.refreshes->Add(state.labels);
  for (const char* kind : {"moved", "ask", "tryagain"})
    state.by_kind[std::string("redirections/") + kind].counter =
        &state.redirections->Add(with(state.labels, {{"kind", kind}}));
  for (const char* kind : {"received", "dropped"})
    state.by_kind[std::string("pubsub/") + kind].counter =
        &state.pubsub->Add(with(state.labels, {{"kind", kind}}));
  try {
    refresh();
  } catch (...) {
    state.remove_samples();
    throw;
  }
  if (interval.count() > 0)
    state.thread = std::thread([&state, interval] {
      std::unique_lock<std::mutex> lock(state.stopping);
      while (!state.stop_requested.wait_for(lock, interval, [&] { return state.stop; })) {
        lock.unlock();
        try {
          state.copy(state.source());
        } catch (const std::exception&) {
          // A toolkit closing under the copy: the next one, or the destructor, settles it.
        }
        lock.lock();
      }
    });
}

RegistryMetrics::~RegistryMetrics() {
  {
    std::lock_guard<std::mutex> lock(state_->stopping);
    state_->stop = true;
  }
  state_->stop_requested.notify_all();
  if (state_->thread.joinable()) state_->thread.join();
  state_->remove_samples();
}

void RegistryMetrics::refresh() { state_->copy(state_->source()); }

std::unique_ptr<RegistryMetrics> register_metrics(prometheus::Registry& registry,
                                                  RedisToolkit& toolkit, prometheus::Labels labels,
                                                  std::chrono::milliseconds interval) {
  return std::make_unique<RegistryMetrics>(
      registry, [&toolkit] { return toolkit.metrics(); }, std::move(labels), interval);
}

std::unique_ptr<RegistryMetrics> register_metrics(prometheus::Registry& registry,
                                                  AsyncRedisToolkit& toolkit,
                                                  prometheus::Labels labels,
                                                  std::chrono::milliseconds interval) {
  return std::make_unique<RegistryMetrics>(
      registry, [&toolkit] { return toolkit.metrics(); }, std::move(labels), interval);
}

} // namespace redis_toolkit
