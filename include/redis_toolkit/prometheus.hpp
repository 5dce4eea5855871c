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
// prometheus-cpp's Registry holds only the families it builds itself; a Collectable of one's own,
// read at scrape time, is registered beside it with the Exposer (or a push Gateway), as above.

#include "redis_toolkit/metrics.hpp"

#include <prometheus/collectable.h>
#include <prometheus/labels.h>
#include <prometheus/metric_family.h>

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

} // namespace redis_toolkit
