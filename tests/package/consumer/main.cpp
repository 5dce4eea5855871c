// Links redis_toolkit::prometheus from an installed tree: turns a snapshot into families, and
// copies one into a prometheus::Registry of the program's own.
#include <redis_toolkit/prometheus.hpp>

#include <iostream>

namespace {

bool has_pending_calls(const std::vector<prometheus::MetricFamily>& families, double value) {
  for (const auto& family : families)
    if (family.name == "redis_toolkit_pending_calls" && family.metric.at(0).gauge.value == value)
      return true;
  return false;
}

} // namespace

int main() {
  redis_toolkit::ToolkitMetrics metrics;
  metrics.pending_calls = 3;
  if (!has_pending_calls(redis_toolkit::to_metric_families(metrics), 3)) {
    std::cout << "redis_toolkit_pending_calls missing from to_metric_families\n";
    return 1;
  }
  prometheus::Registry registry;
  redis_toolkit::RegistryMetrics in_registry(
      registry, [&] { return metrics; }, {}, std::chrono::milliseconds(0));
  if (!has_pending_calls(registry.Collect(), 3)) {
    std::cout << "redis_toolkit_pending_calls missing from the registry\n";
    return 1;
  }
  std::cout << "ok\n";
  return 0;
}
