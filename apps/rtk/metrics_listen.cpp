#include "metrics_listen.hpp"

#include "redis_toolkit/errors.hpp"

#include <mutex>
#include <vector>

#ifdef RTK_HAVE_PROMETHEUS
#include "redis_toolkit/prometheus.hpp"

#include <prometheus/exposer.h>
#endif

namespace rtk {

#ifdef RTK_HAVE_PROMETHEUS
namespace {

class ExposedMetrics final : public MetricsListener {
public:
  ExposedMetrics(const std::string& address, std::function<redis_toolkit::ToolkitMetrics()> source)
      : exposer_(std::make_unique<prometheus::Exposer>(address, 1)) {
    sources_.push_back(std::move(source));
    collectable_ = std::make_shared<redis_toolkit::MetricsCollectable>([this] { return sum(); });
    exposer_->RegisterCollectable(collectable_);
  }
  // The server first: a scrape in progress reads the sources, which must still be there.
  ~ExposedMetrics() override { exposer_.reset(); }

  void add_source(std::function<redis_toolkit::ToolkitMetrics()> source) override {
    std::lock_guard<std::mutex> lock(mutex_);
    sources_.push_back(std::move(source));
  }

private:
  redis_toolkit::ToolkitMetrics sum() {
    std::lock_guard<std::mutex> lock(mutex_); // a scrape against add_source, never a call path
    redis_toolkit::ToolkitMetrics total;
    for (const auto& source : sources_) total.merge(source());
    return total;
  }

  std::unique_ptr<prometheus::Exposer> exposer_;
  std::mutex mutex_;
  std::vector<std::function<redis_toolkit::ToolkitMetrics()>> sources_;
  std::shared_ptr<redis_toolkit::MetricsCollectable> collectable_;
};

} // namespace
#endif

std::unique_ptr<MetricsListener> MetricsListener::start(
    const CliInvocation& invocation, std::function<redis_toolkit::ToolkitMetrics()> source,
    std::ostream& err) {
  const auto listen = invocation.flags.find("metrics-listen");
  if (listen == invocation.flags.end()) return nullptr;
#ifdef RTK_HAVE_PROMETHEUS
  std::unique_ptr<MetricsListener> listener;
  try {
    listener = std::make_unique<ExposedMetrics>(listen->second, std::move(source));
  } catch (const std::exception& problem) {
    throw std::runtime_error("--metrics-listen " + listen->second + ": cannot listen (" +
                             problem.what() + ")");
  }
  err << "rtk: metrics at http://" << listen->second << "/metrics\n" << std::flush;
  return listener;
#else
  (void)source;
  (void)err;
  throw redis_toolkit::ValidationError(
      "--metrics-listen: this rtk was built without prometheus-cpp (install prometheus-cpp-dev "
      "and build again)");
#endif
}

} // namespace rtk
