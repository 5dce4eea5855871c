// Links redis_toolkit::prometheus from an installed tree and turns a snapshot into families.
#include <redis_toolkit/prometheus.hpp>

#include <iostream>

int main() {
  redis_toolkit::ToolkitMetrics metrics;
  metrics.pending_calls = 3;
  for (const auto& family : redis_toolkit::to_metric_families(metrics)) {
    if (family.name == "redis_toolkit_pending_calls" && family.metric.at(0).gauge.value == 3) {
      std::cout << "ok\n";
      return 0;
    }
  }
  std::cout << "redis_toolkit_pending_calls missing\n";
  return 1;
}
