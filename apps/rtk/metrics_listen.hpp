#pragma once
// --metrics-listen HOST:PORT: a long-running command's toolkit metrics at http://HOST:PORT/metrics
// (Prometheus text, served by prometheus-cpp's Exposer) for as long as the command runs.

#include "cli.hpp"

#include "redis_toolkit/metrics.hpp"

#include <functional>
#include <memory>
#include <ostream>

namespace rtk {

/// Serves metrics while it lives; end it before the toolkits its source reads.
class MetricsListener {
public:
  /// Nothing when `invocation` has no --metrics-listen. Throws ValidationError when this rtk was
  /// built without prometheus-cpp, std::runtime_error when the address cannot be bound.
  static std::unique_ptr<MetricsListener> start(const CliInvocation& invocation,
                                                std::function<redis_toolkit::ToolkitMetrics()> source,
                                                std::ostream& err);
  virtual ~MetricsListener() = default;
  /// Adds another source (a later toolkit of the same command); its figures are summed in
  /// (ToolkitMetrics::merge).
  virtual void add_source(std::function<redis_toolkit::ToolkitMetrics()> source) = 0;
};

} // namespace rtk
