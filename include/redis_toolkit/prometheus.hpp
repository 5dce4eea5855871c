#pragma once
// The optional component redis_toolkit::prometheus: a toolkit's metrics (metrics.hpp) as a
// prometheus-cpp Collectable, read from the toolkit at each scrape. docs/METRICS.md lists the names.
//
//   // CMake: find_package(redis_toolkit COMPONENTS prometheus)
//   //        target_link_libraries(app PRIVATE redis_toolkit::prometheus)
//   redis_toolkit::RedisToolkit toolkit(config);
//   prometheus::Exposer exposer("127.0.0.1:9121");           // prometheus-cpp's pull server
//   auto collectable = redis_toolkit::make_metrics_collectable(toolkit);
//   exposer.RegisterCollectable(collectable);                 // GET /metrics reads the toolkit
//   ...
//   exposer.RemoveCollectable(collectable);                   // before the toolkit goes
//
// A program that already serves a prometheus::Registry of its own puts the toolkit's families in
// it instead (prometheus-cpp calls nothing of ours at scrape time, so they are refreshed on a
// thread, once a second by default, and on refresh()):
//
//   prometheus::Registry& registry = ...;                     // the program's own
//   auto in_registry = redis_toolkit::register_metrics(registry, toolkit, {{"toolkit", "sessions"}});
//   ...
//   in_registry.reset();                                      // before the toolkit goes

#include "redis_toolkit/metrics.hpp"

#include <prometheus/collectable.h>
#include <prometheus/labels.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

namespace redis_toolkit {

class RedisToolkit;
class AsyncRedisToolkit;

/// The snapshot as Prometheus metric families, each sample with `labels` added (e.g. a
/// {"toolkit", "sessions"} label telling two toolkits of one program apart).
std::vector<prometheus::MetricFamily> to_metric_families(const ToolkitMetrics& metrics,
                                                         const prometheus::Labels& labels = {});

/// Reads a snapshot from `source` at every scrape.
class MetricsCollectable : public prometheus::Collectable {
public:
  explicit MetricsCollectable(std::function<ToolkitMetrics()> source,
                              prometheus::Labels labels = {});
  std::vector<prometheus::MetricFamily> Collect() const override;

private:
  std::function<ToolkitMetrics()> source_;
  prometheus::Labels labels_;
};

/// A Collectable reading `toolkit`, which must outlive its registration (remove it from the
/// Exposer before the toolkit is destroyed).
std::shared_ptr<MetricsCollectable> make_metrics_collectable(RedisToolkit& toolkit,
                                                             prometheus::Labels labels = {});
std::shared_ptr<MetricsCollectable> make_metrics_collectable(AsyncRedisToolkit& toolkit,
                                                             prometheus::Labels labels = {});

/// The toolkit's metrics as families of a prometheus::Registry (the names of to_metric_families),
/// copied from `source` every `interval` on a thread of its own (0: only when refresh() is called)
/// and once at construction. Counters grow by what the source counted since the last copy, so a
/// source whose counts restart (a new router) never makes them go down. Several of these may share
/// one registry: their `labels` must tell them apart (std::invalid_argument otherwise).
/// The registry must outlive this object; destroying it stops the copying and removes its samples.
class RegistryMetrics {
public:
  RegistryMetrics(prometheus::Registry& registry, std::function<ToolkitMetrics()> source,
                  prometheus::Labels labels = {},
                  std::chrono::milliseconds interval = std::chrono::seconds(1));
  ~RegistryMetrics();
  RegistryMetrics(const RegistryMetrics&) = delete;
  RegistryMetrics& operator=(const RegistryMetrics&) = delete;

  /// Copies a snapshot into the registry now (the next scrape sees it). Thread-safe.
  void refresh();

private:
  struct State;
  std::unique_ptr<State> state_;
};

/// A RegistryMetrics reading `toolkit`, which must outlive it.
std::unique_ptr<RegistryMetrics> register_metrics(
    prometheus::Registry& registry, RedisToolkit& toolkit, prometheus::Labels labels = {},
    std::chrono::milliseconds interval = std::chrono::seconds(1));
std::unique_ptr<RegistryMetrics> register_metrics(
    prometheus::Registry& registry, AsyncRedisToolkit& toolkit, prometheus::Labels labels = {},
    std::chrono::milliseconds interval = std::chrono::seconds(1));

} // namespace redis_toolkit
