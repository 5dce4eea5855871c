#include "toolkit_core.hpp"

#include "subscription_control.hpp"

#include "redis_toolkit/errors.hpp"
#include "redis_toolkit/logging.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <algorithm>
#include <map>

namespace redis_toolkit::detail {

// ---- Runtime ----

std::shared_ptr<Runtime> Runtime::shared() {
  static std::mutex mutex;
  static std::weak_ptr<Runtime> current;
  std::lock_guard<std::mutex> lock(mutex);
  auto runtime = current.lock();
  if (!runtime) {
    runtime = std::make_shared<Runtime>();
    current = runtime;
  }
  return runtime;
}

Runtime::Runtime() : config_(std::make_unique<caf::actor_system_config>()) {
  config_->load<caf::io::middleman>();
  system_ = std::make_unique<caf::actor_system>(*config_);
}

Runtime::~Runtime() = default; // the actor system waits for every actor to finish

// ---- SharedRouter ----

SharedRouter::~SharedRouter() { caf::anon_send(router_, shutdown_atom::value); }

namespace {

// Everything that makes two routers interchangeable. Held in memory only, never printed.
std::string identity_of(const caf::actor_system& system, const RouterSettings& router) {
  const ConnectionSettings& settings = router.node;
  std::vector<std::string> parts{
      std::to_string(reinterpret_cast<std::uintptr_t>(&system)), settings.host,
      std::to_string(settings.port), std::to_string(settings.db),
      settings.username.value_or(std::string("\x01")), settings.password.value_or("\x01"),
      std::to_string(settings.connect_timeout.count()),
      std::to_string(settings.socket_timeout.count()), std::to_string(settings.keepalive),
      std::to_string(router.max_connections)};
  if (router.cluster) {
    parts.push_back("cluster");
    for (const NodeAddress& seed : router.seeds) parts.push_back(seed.to_string());
    parts.push_back(router.readonly_mode ? "readonly" : "masters");
    parts.push_back(router.skip_full_coverage_check ? "partial" : "full");
  }
  std::string key;
  for (const std::string& part : parts) {
    key += part;
    key += '\0'; // no part holds a NUL except, perhaps, a password: unambiguous enough for a map
  }
  return key;
}

} // namespace

std::shared_ptr<SharedRouter> SharedRouter::acquire(caf::actor_system& system,
                                                    const RedisConnectionConfig& config,
                                                    const RedisOptions& options) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<SharedRouter>> routers;
  RouterSettings settings;
  settings.node = connection_settings(config);
  settings.max_connections = options.max_connections.value_or(4);
  if (config.cluster_mode) {
    settings.cluster = true;
    settings.seeds = config.cluster_seed_nodes();
    settings.skip_full_coverage_check = config.skip_full_coverage_check;
    settings.readonly_mode = config.readonly_mode;
    // Per node: max_connections (4 when unset) within max_connections_per_node.
    settings.max_connections = std::min<std::size_t>(
        settings.max_connections, static_cast<std::size_t>(config.max_connections_per_node));
  }
  if (!options.use_connection_pool) {
    // Without sharing, every toolkit gets a router (and connections) of its own.
    return std::make_shared<SharedRouter>(spawn_router(system, settings));
  }
  const std::string identity = identity_of(system, settings);
  std::lock_guard<std::mutex> lock(mutex);
  for (auto it = routers.begin(); it != routers.end();) // forget routers nobody uses any more
    it = it->second.expired() ? routers.erase(it) : std::next(it);
  if (auto existing = routers[identity].lock()) return existing;
  auto created = std::make_shared<SharedRouter>(spawn_router(system, settings));
  routers[identity] = created;
  return created;
}

ConnectionSettings connection_settings(const RedisConnectionConfig& config) {
  ConnectionSettings settings;
  settings.host = config.host;
  settings.port = static_cast<std::uint16_t>(config.port);
  settings.db = config.db;
  settings.username = config.username;
  settings.password = config.password;
  settings.connect_timeout = config.connection_timeout;
  settings.socket_timeout = config.socket_timeout;
  settings.keepalive = config.socket_keepalive;
  return settings;
}

// ---- BlockingCallers ----

/// Scoped actors are costly to create and not thread-safe, so each waiting thread borrows one.
class ToolkitCore::BlockingCallers {
public:
  explicit BlockingCallers(caf::actor_system& system) : system_(system) {}

  class Lease {
  public:
    Lease(BlockingCallers& owner, std::unique_ptr<caf::scoped_actor> actor)
        : owner_(owner), actor_(std::move(actor)) {}
    ~Lease() { owner_.give_back(std::move(actor_)); }
    caf::scoped_actor& operator*() { return *actor_; }

  private:
    BlockingCallers& owner_;
    std::unique_ptr<caf::scoped_actor> actor_;
  };

  Lease borrow() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!idle_.empty()) {
        auto actor = std::move(idle_.back());
        idle_.pop_back();
        return Lease(*this, std::move(actor));
      }
    }
    return Lease(*this, std::make_unique<caf::scoped_actor>(system_));
  }

private:
  void give_back(std::unique_ptr<caf::scoped_actor> actor) {
    std::lock_guard<std::mutex> lock(mutex_);
    idle_.push_back(std::move(actor));
  }

  caf::actor_system& system_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<caf::scoped_actor>> idle_;
};

// ---- ToolkitCore ----

namespace {

/// "127.0.0.1:7000,127.0.0.1:7001" for error messages about a cluster as a whole.
std::string describe_seeds(const RedisConnectionConfig& config) {
  std::string text;
  for (const NodeAddress& seed : config.cluster_seed_nodes())
    text += (text.empty() ? "" : ",") + seed.to_string();
  return text;
}

} // namespace

ToolkitCore::ToolkitCore(caf::actor_system* system, RedisConnectionConfig config,
                         RedisOptions options)
    : runtime_(system == nullptr ? Runtime::shared() : nullptr),
      system_(system == nullptr ? &runtime_->system() : system), config_(std::move(config)),
      options_(std::move(options)) {
  config_.validate();
  options_.validate();
  log::apply(options_);
  server_ = config_.cluster_mode ? "cluster " + describe_seeds(config_)
                                 : config_.host + ":" + std::to_string(config_.port);
  router_ = SharedRouter::acquire(*system_, config_, options_);
  callers_ = std::make_unique<BlockingCallers>(*system_);
}

ToolkitCore::~ToolkitCore() {
  close();
  for (auto& executor : executors_) caf::anon_send_exit(executor, caf::exit_reason::user_shutdown);
}

void ToolkitCore::run_task(Task task, std::int32_t slot) {
  // A few actors so that one slow callback does not hold up every other completion.
  constexpr std::size_t executor_count = 4;
  caf::actor executor;
  {
    std::lock_guard<std::mutex> lock(executors_mutex_);
    const std::size_t index =
        (slot >= 0 ? static_cast<std::size_t>(slot) : next_executor_++) % executor_count;
    while (executors_.size() < executor_count)
      executors_.push_back(spawn_completion_actor(*system_, executors_.size()));
    executor = executors_[index];
  }
  caf::anon_send(executor, run_atom::value, std::move(task));
}

std::vector<Reply> ToolkitCore::execute(CommandRequest request, std::string_view operation) {
  auto router = std::atomic_load(&router_); // stays alive even if close() runs meanwhile
  if (closed_.load() || !router)
    throw ConnectionError(server_, std::string(operation), "the toolkit was cleaned up");
  auto lease = callers_->borrow();
  std::vector<Reply> replies;
  std::string failure;
  (*lease)
      ->request(router->actor(), caf::infinite, exec_atom::value, std::move(request))
      .receive([&](std::vector<Reply>& answer) { replies = std::move(answer); },
               [&](caf::error& error) { failure = system_->render(error); });
  if (!failure.empty())
    throw ConnectionError(server_, std::string(operation), "router unavailable: " + failure);
  return replies;
}

PoolStatistics ToolkitCore::pool_statistics() {
  auto router = std::atomic_load(&router_);
  PoolStatistics statistics;
  statistics.server = server_;
  if (closed_.load() || !router) return statistics;
  auto lease = callers_->borrow();
  (*lease)
      ->request(router->actor(), caf::infinite, stats_atom::value)
      .receive(
          [&](std::vector<PoolStatistics>& all) {
            if (!all.empty()) statistics = all.front();
          },
          [&](caf::error&) {});
  return statistics;
}

void ToolkitCore::track(const std::shared_ptr<SubscriptionControl>& subscription) {
  std::lock_guard<std::mutex> lock(subscriptions_mutex_);
  subscriptions_.erase(std::remove_if(subscriptions_.begin(), subscriptions_.end(),
                                      [](const auto& each) { return each.expired(); }),
                       subscriptions_.end());
  subscriptions_.push_back(subscription);
}

void ToolkitCore::close() noexcept {
  if (closed_.exchange(true)) return;
  std::vector<std::weak_ptr<SubscriptionControl>> subscriptions;
  {
    std::lock_guard<std::mutex> lock(subscriptions_mutex_);
    subscriptions.swap(subscriptions_);
  }
  for (auto& each : subscriptions)
    if (auto subscription = each.lock()) subscription->stop();
  std::atomic_store(&router_, std::shared_ptr<SharedRouter>());
  // Ending the completion actors completes every call they hold (PendingCall), whether or not its
  // request still reaches the router; later tasks get fresh actors.
  std::vector<caf::actor> executors;
  {
    std::lock_guard<std::mutex> lock(executors_mutex_);
    executors.swap(executors_);
  }
  for (auto& executor : executors) caf::anon_send_exit(executor, caf::exit_reason::user_shutdown);
}

} // namespace redis_toolkit::detail
