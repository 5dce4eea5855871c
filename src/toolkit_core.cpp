#include "toolkit_core.hpp"

#include "request_buffers.hpp"
#include "subscription_control.hpp"

#include "redis_toolkit/actor_system.hpp"
#include "redis_toolkit/errors.hpp"
#include "redis_toolkit/logging.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <set>
#include <thread>

namespace redis_toolkit::detail {

// ---- Process exit ----
//
// Toolkits may be globals, function-local statics or members of singletons: destroyed after main
// returns, by exit() on whichever thread calls it, while other threads may still use them. Three
// rules make that safe:
//
// 1. CAF 0.17 keeps, in a thread-local of every thread that made an actor system or spawned an
//    actor, a reference to the system's logger. exit() destroys the exiting thread's thread-locals
//    before any static object; an actor system destroyed afterwards on that thread releases that
//    reference a second time and frees the logger twice ("free(): corrupted unsorted chunks").
//    So every thread that enters the toolkit gets a thread-local guard, made after CAF's (hence
//    destroyed before it), that clears CAF's reference while it is still valid.
// 2. The process-wide registries (the shared runtime, the shared routers, the live cores, the log
//    sink) are never destroyed: a toolkit destroyed after them would use them.
// 3. An exit hook, registered with atexit() after the toolkits made so far (on the first call into
//    the toolkit after each new toolkit, since a hook registered during a static toolkit's
//    construction would run after its destructor), closes every live toolkit: routers,
//    subscribers and completion actors end before the static objects they might use go. A
//    toolkit destroyed after the hook keeps its core (and the actor system) until the process
//    ends, closed, so that a thread still inside a call gets a ConnectionError rather than freed
//    memory; the actor system's threads are idle by then and end with the process.

namespace {

/// Destroyed before CAF's thread-local logger reference (it is made after it): releases that
/// reference while it is valid, so that CAF's own destructor and a later actor system destructor
/// on this thread find it empty.
struct CafThreadExitGuard {
  ~CafThreadExitGuard() { caf::logger::set_current_actor_system(nullptr); }
};

struct ProcessRegistry {
  std::mutex mutex;
  std::set<ToolkitCore*> live_cores;
  std::vector<std::shared_ptr<void>> kept_until_exit;
  std::atomic<bool> hook_needed{false};
  std::atomic<bool> exiting{false};
};

ProcessRegistry& process_registry() {
  static auto* registry = new ProcessRegistry; // never destroyed: rule 2 above
  return *registry;
}

void close_every_toolkit_at_exit() {
  ProcessRegistry& registry = process_registry();
  registry.exiting.store(true);
  std::lock_guard<std::mutex> lock(registry.mutex);
  for (ToolkitCore* core : registry.live_cores) core->close();
}

} // namespace

CallerThreadScope::CallerThreadScope() {
  thread_local bool guarded = false;
  if (!guarded) {
    (void)caf::logger::current_logger(); // CAF's thread-local first: it is destroyed last
    thread_local CafThreadExitGuard guard;
    (void)guard;
    guarded = true;
  }
  ProcessRegistry& registry = process_registry();
  if (registry.hook_needed.load(std::memory_order_relaxed) && registry.hook_needed.exchange(false))
    std::atexit(close_every_toolkit_at_exit);
}

CallerThreadScope::~CallerThreadScope() { caf::logger::set_current_actor_system(nullptr); }

bool process_exiting() noexcept { return process_registry().exiting.load(); }

void keep_until_exit(std::shared_ptr<void> object) {
  ProcessRegistry& registry = process_registry();
  std::lock_guard<std::mutex> lock(registry.mutex);
  registry.kept_until_exit.push_back(std::move(object));
}

// ---- Runtime ----

std::shared_ptr<Runtime> Runtime::shared() {
  struct Slot {
    std::mutex mutex;
    std::weak_ptr<Runtime> current;
  };
  static auto* slot = new Slot; // never destroyed: a static toolkit may outlive any other static
  std::lock_guard<std::mutex> lock(slot->mutex);
  auto runtime = slot->current.lock();
  if (!runtime) {
    runtime = std::make_shared<Runtime>();
    slot->current = runtime;
  }
  return runtime;
}

Runtime::Runtime() : config_(std::make_unique<caf::actor_system_config>()) {
  config_->load<caf::io::middleman>();
  configure_actor_system(*config_); // the scheduling the async toolkit is measured with
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
      std::to_string(router.max_connections), std::to_string(settings.max_reply_size),
      std::to_string(settings.health_check_interval.count()),
      std::to_string(router.max_pending_calls), router.count_calls ? "counted" : "uncounted",
      settings.tls ? "tls\x01" + settings.tls->identity() : std::string("tcp")};
  if (router.sentinel_mode()) {
    parts.push_back("sentinel " + router.sentinel_master_name);
    for (const NodeAddress& sentinel : router.sentinels) parts.push_back(sentinel.to_string());
    parts.push_back(router.sentinel_node.username.value_or(std::string("\x01")));
    parts.push_back(router.sentinel_node.password.value_or(std::string("\x01")));
  }
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
                                                    const RedisOptions& options,
                                                    std::shared_ptr<const TlsContext> tls) {
  struct Registry {
    std::mutex mutex;
    std::map<std::string, std::weak_ptr<SharedRouter>> routers;
  };
  static auto* registry = new Registry; // never destroyed: a static toolkit may outlive it
  RouterSettings settings;
  settings.node = connection_settings(config, std::move(tls));
  apply_limits(settings, options);
  // One pipelined connection per server unless asked otherwise: every command of a round then
  // travels in one write and one read; spread over several connections, each pipeline costs its
  // own syscalls on both sides (measured: docs/PERFORMANCE.md, "The morning of 2026-11-26").
  settings.max_connections = options.max_connections.value_or(RedisOptions::default_max_connections);
  if (config.cluster_mode) {
    settings.cluster = true;
    settings.seeds = config.cluster_seed_nodes();
    settings.skip_full_coverage_check = config.skip_full_coverage_check;
    settings.readonly_mode = config.readonly_mode;
    // Per node: max_connections (its default when unset) within max_connections_per_node.
    settings.max_connections = std::min<std::size_t>(
        settings.max_connections, static_cast<std::size_t>(config.max_connections_per_node));
  }
  if (config.sentinel_mode()) {
    // The router's cluster routing over one shard: pools per address, a master that moves.
    settings.cluster = true;
    settings.readonly_mode = config.readonly_mode;
    settings.sentinels = config.sentinels;
    settings.sentinel_master_name = config.sentinel_master_name;
    settings.sentinel_node = settings.node;
    settings.sentinel_node.db = 0; // a sentinel has no databases
    settings.sentinel_node.username = config.sentinel_username;
    settings.sentinel_node.password = config.sentinel_password;
  }
  if (!options.use_connection_pool) {
    // Without sharing, every toolkit gets a router (and connections) of its own.
    return std::make_shared<SharedRouter>(spawn_router(system, settings));
  }
  const std::string identity = identity_of(system, settings);
  std::lock_guard<std::mutex> lock(registry->mutex);
  auto& routers = registry->routers;
  for (auto it = routers.begin(); it != routers.end();) // forget routers nobody uses any more
    it = it->second.expired() ? routers.erase(it) : std::next(it);
  if (auto existing = routers[identity].lock()) return existing;
  auto created = std::make_shared<SharedRouter>(spawn_router(system, settings));
  routers[identity] = created;
  return created;
}

void apply_limits(ConnectionSettings& settings, const RedisOptions& options) {
  settings.max_reply_size = options.max_reply_size;
  settings.health_check_interval =
      std::chrono::duration_cast<std::chrono::milliseconds>(options.health_check_interval);
}

void apply_limits(RouterSettings& settings, const RedisOptions& options) {
  apply_limits(settings.node, options);
  settings.max_pending_calls = options.max_pending_calls;
  settings.count_calls = options.metrics_enabled;
}

ConnectionSettings connection_settings(const RedisConnectionConfig& config,
                                       std::shared_ptr<const TlsContext> tls) {
  ConnectionSettings settings;
  settings.host = config.host;
  settings.port = static_cast<std::uint16_t>(config.port);
  settings.db = config.db;
  settings.username = config.username;
  settings.password = config.password;
  settings.connect_timeout = config.connection_timeout;
  settings.socket_timeout = config.socket_timeout;
  settings.keepalive = config.socket_keepalive;
  settings.tls = std::move(tls);
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

  /// Ends the idle scoped actors, and each busy one when it comes back: a live scoped actor
  /// counts as running, and an actor system's destructor waits for every running actor.
  void close() {
    std::vector<std::unique_ptr<caf::scoped_actor>> idle;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closed_ = true;
      idle.swap(idle_);
    }
  }

private:
  void give_back(std::unique_ptr<caf::scoped_actor> actor) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!closed_) idle_.push_back(std::move(actor));
  }

  caf::actor_system& system_;
  std::mutex mutex_;
  bool closed_ = false;
  std::vector<std::unique_ptr<caf::scoped_actor>> idle_;
};

void refuse_inside_callback(std::string_view operation) {
  if (in_completion_callback())
    throw ValidationError("a blocking call inside an async callback would wait forever for the "
                          "thread that runs it (CAF's I/O thread); start the async call instead",
                          std::string(operation));
}

// ---- ToolkitCore ----

namespace {

/// What a blocked caller waits on: the router's replies, or why none will come. It lives on the
/// caller's stack, so the rule: deliver() and fail() do everything under the mutex, and wait()
/// returns only after taking that mutex; once the answering thread has unlocked it, the caller
/// may return and the Waiter be gone, and the answering thread touches it no more.
class Waiter {
public:
  void deliver(std::vector<Reply> replies, CommandRequest spent) {
    std::lock_guard<std::mutex> lock(mutex_);
    replies_ = std::move(replies);
    spent_ = std::move(spent);
    done_ = true;
    flag_.store(true, std::memory_order_release);
    ready_.notify_one();
  }

  void fail(std::string reason) {
    std::lock_guard<std::mutex> lock(mutex_);
    failure_ = std::move(reason);
    done_ = true;
    ready_.notify_one();
  }

  /// Blocks until deliver() or fail(); the failure's reason, or empty with `replies` filled.
  std::string wait(std::vector<Reply>& replies) {
    spin_briefly();
    std::unique_lock<std::mutex> lock(mutex_); // also waits for the answering thread to be done
    ready_.wait(lock, [this] { return done_; });
    replies = std::move(replies_);
    keep_request_buffers(spent_); // for this thread's next call
    return std::move(failure_);
  }

private:
  /// A round trip on loopback takes tens of microseconds, about what it costs to put a thread to
  /// sleep and wake it again. So a waiting caller (one per two cores at a time) watches for its
  /// reply for up to spin_limit, yielding the core, before it sleeps; a caller whose replies keep
  /// coming later than that (a remote or busy server) stops watching for a while (measured:
  /// docs/PERFORMANCE.md, sequential blocking calls).
  void spin_briefly() {
    static std::atomic<int> spinning{0};
    thread_local unsigned misses = 0;
    thread_local unsigned skip = 0;
    if (skip > 0) {
      --skip;
      return;
    }
    if (spinning.fetch_add(1, std::memory_order_relaxed) >= max_spinners()) {
      spinning.fetch_sub(1, std::memory_order_relaxed);
      return;
    }
    const auto deadline = std::chrono::steady_clock::now() + spin_limit;
    bool answered = false;
    // Yielding, not busy-waiting: on a machine with few cores the I/O thread that will answer
    // may be waiting for this very core.
    while (!(answered = flag_.load(std::memory_order_acquire)) &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::yield();
    spinning.fetch_sub(1, std::memory_order_relaxed);
    if (answered) {
      misses = 0;
    } else {
      misses = std::min(misses + 1, 10u);
      skip = (1u << misses) - 1; // 1, 3, 7 ... 1023 calls without watching
    }
  }

  static int max_spinners() {
    static const int limit = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / 2);
    return limit;
  }

  static constexpr std::chrono::microseconds spin_limit{100};

  std::mutex mutex_;
  std::condition_variable ready_;
  bool done_ = false;
  std::atomic<bool> flag_{false};
  std::vector<Reply> replies_;
  CommandRequest spent_;
  std::string failure_;
};

/// Travels to the router for one blocking call and answers its Waiter exactly once: with the
/// replies, or, when the router ends without taking it, with a failure. The Waiter outlives that
/// answer (its caller waits for it) and nothing after it: the ticket touches it no more.
class WaiterTicket final : public ReplySink {
public:
  explicit WaiterTicket(Waiter& waiter) : waiter_(&waiter) {}
  ~WaiterTicket() override {
    if (!taken_) waiter_->fail("the router ended before answering");
  }
  void take(std::vector<Reply> replies) noexcept override {
    taken_ = true;
    waiter_->deliver(std::move(replies), std::move(spent_));
  }
  /// Kept until take() hands it to the caller's thread; one that comes after take() is dropped.
  void keep_spent(CommandRequest& spent) noexcept override {
    if (!taken_) spent_ = std::move(spent);
  }

private:
  Waiter* waiter_;
  CommandRequest spent_;
  bool taken_ = false;
};

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
      options_(std::move(options)), pubsub_totals_(std::make_shared<PubSubTotals>()) {
  const CallerThreadScope caller_thread;
  config_.validate();
  options_.validate();
  log::apply(options_);
  server_ = config_.cluster_mode    ? "cluster " + describe_seeds(config_)
            : config_.sentinel_mode() ? "sentinel master " + config_.sentinel_master_name
                                      : config_.host + ":" + std::to_string(config_.port);
  // Reads the CA, certificate and key files now, once for every connection of the toolkit: a
  // bad one is a ValidationError at start rather than a failure on every connect.
  if (config_.ssl) tls_ = TlsContext::create(config_);
  router_ = SharedRouter::acquire(*system_, config_, options_, tls_);
  router_actor_ = router_->actor();
  callers_ = std::make_unique<BlockingCallers>(*system_);
  ProcessRegistry& registry = process_registry();
  std::lock_guard<std::mutex> lock(registry.mutex);
  registry.live_cores.insert(this);
  registry.hook_needed.store(true); // a hook registered before this toolkit would run after it
}

ToolkitCore::~ToolkitCore() {
  {
    ProcessRegistry& registry = process_registry();
    std::lock_guard<std::mutex> lock(registry.mutex);
    registry.live_cores.erase(this);
  }
  close();
  caf::anon_send_exit(completion_, caf::exit_reason::user_shutdown);
}

caf::actor ToolkitCore::completion_actor() {
  const CallerThreadScope caller_thread;
  std::lock_guard<std::mutex> lock(completion_mutex_);
  // Checked under the lock close() takes the actor under: none is made after that while the
  // process exits (run_task says why); a message to the invalid handle is dropped.
  if (closed_for_exit()) return caf::actor();
  if (!completion_) completion_ = spawn_completion_actor(*system_, completion_owner_);
  return completion_;
}

bool ToolkitCore::closed_for_exit() const noexcept { return closed_.load() && process_exiting(); }

void ToolkitCore::run_task(Task task) {
  // While the process exits, a closed toolkit spawns no completion actor: an actor system that is
  // a static of the caller's would wait for it forever. The task is dropped, and with it the call
  // it holds, which then completes with its ConnectionError (PendingCall's destructor).
  if (closed_for_exit()) return;
  caf::anon_send(completion_actor(), run_atom::value, std::move(task));
}

void ToolkitCore::call_router(const caf::actor& router, CommandRequest request,
                              std::shared_ptr<PendingCall> call) {
  if (closed_for_exit()) return; // as run_task
  // A callback of that very actor: no lock, no handle copied, no message.
  if (call_here(completion_owner_, router, request, call)) return;
  caf::anon_send(completion_actor(), call_atom::value, router, std::move(request), std::move(call));
}

std::vector<Reply> ToolkitCore::execute(CommandRequest request, std::string_view operation) {
  const CallerThreadScope caller_thread;
  if (closed_.load())
    throw ConnectionError(server_, std::string(operation), "the toolkit was cleaned up");
  refuse_inside_callback(operation);
  // No scoped actor here: its mailbox lock is contended by the I/O thread on every reply, and
  // the router answers a ReplySink without any CAF response bookkeeping. The handle itself, not
  // a copy: a copy bumps the router's reference count, one cache line every calling thread writes.
  Waiter waiter;
  caf::anon_send(router_actor_, exec_atom::value, std::move(request),
                 std::shared_ptr<ReplySink>(std::make_shared<WaiterTicket>(waiter)));
  std::vector<Reply> replies;
  const std::string failure = waiter.wait(replies);
  if (!failure.empty())
    throw ConnectionError(server_, std::string(operation), "router unavailable: " + failure);
  return replies;
}

PoolStatistics ToolkitCore::pool_statistics() {
  const CallerThreadScope caller_thread;
  caf::actor router = this->router();
  PoolStatistics statistics;
  statistics.server = server_;
  if (!router) return statistics;
  refuse_inside_callback("pool_statistics");
  auto lease = callers_->borrow();
  (*lease)
      ->request(router, caf::infinite, stats_atom::value)
      .receive(
          [&](std::vector<PoolStatistics>& nodes) {
            for (const PoolStatistics& node : nodes) {
              statistics.connections_created += node.connections_created;
              statistics.connections_open += node.connections_open;
              statistics.reconnects += node.reconnects;
              statistics.health_check_failures += node.health_check_failures;
              statistics.requests_in_flight += node.requests_in_flight;
              statistics.requests_total += node.requests_total;
              statistics.retries += node.retries;
            }
            statistics.nodes = std::move(nodes);
          },
          [&](caf::error&) {});
  return statistics;
}

ToolkitMetrics ToolkitCore::metrics() {
  const CallerThreadScope caller_thread;
  ToolkitMetrics metrics;
  if (caf::actor router = this->router()) {
    refuse_inside_callback("metrics");
    auto lease = callers_->borrow();
    (*lease)
        ->request(router, caf::infinite, metrics_atom::value)
        .receive([&](ToolkitMetrics& answer) { metrics = std::move(answer); },
                 [&](caf::error&) {});
  }
  std::vector<std::shared_ptr<SubscriptionControl>> subscriptions;
  {
    std::lock_guard<std::mutex> lock(subscriptions_mutex_);
    for (const auto& each : subscriptions_)
      if (auto subscription = each.lock()) subscriptions.push_back(std::move(subscription));
  }
  // The backlog is a gauge of the live subscriptions; the message counts outlive them.
  for (const auto& subscription : subscriptions)
    metrics.handler_backlog += subscription->statistics_and_wait().handler_backlog;
  metrics.pubsub_received = pubsub_totals_->received.load(std::memory_order_relaxed);
  metrics.pubsub_dropped = pubsub_totals_->dropped.load(std::memory_order_relaxed);
  return metrics;
}

const CommandTable* ToolkitCore::store_command_table(CommandTableHandle table) {
  std::lock_guard<std::mutex> lock(command_table_mutex_);
  if (!command_table_owner_) {
    command_table_owner_ = std::move(table);
    command_table_.store(command_table_owner_.get(), std::memory_order_release);
  }
  return command_table_owner_.get();
}

ToolkitCore::TableWait ToolkitCore::await_command_table(std::function<void(std::exception_ptr)> then) {
  {
    std::lock_guard<std::mutex> lock(command_table_mutex_);
    if (!command_table_owner_) {
      command_table_waiters_.push_back(std::move(then));
      if (command_table_loading_) return TableWait::queued;
      command_table_loading_ = true;
      return TableWait::load;
    }
  }
  then(nullptr); // learned since the caller looked
  return TableWait::known;
}

void ToolkitCore::command_table_loaded(CommandTableHandle table, std::exception_ptr error) {
  std::vector<std::function<void(std::exception_ptr)>> waiters;
  bool known = false;
  {
    std::lock_guard<std::mutex> lock(command_table_mutex_);
    if (table && !command_table_owner_) {
      command_table_owner_ = std::move(table);
      command_table_.store(command_table_owner_.get(), std::memory_order_release);
    }
    known = command_table_owner_ != nullptr;
    command_table_loading_ = false; // a failed load is tried again by the next call
    waiters.swap(command_table_waiters_);
  }
  if (!error && !known)
    error = std::make_exception_ptr(ConnectionError(server_, "COMMAND", "no command table"));
  for (auto& waiter : waiters) waiter(error);
}

const CommandTable& ToolkitCore::command_table_or_load() {
  if (const CommandTable* table = command_table()) return *table;
  return *store_command_table(run(plan_command_table(context())));
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
  // Calls waiting for the command table end now, like every other pending call.
  command_table_loaded(nullptr, std::make_exception_ptr(ConnectionError(
                                    server_, "command", "the toolkit was cleaned up")));
  std::vector<std::weak_ptr<SubscriptionControl>> subscriptions;
  {
    std::lock_guard<std::mutex> lock(subscriptions_mutex_);
    subscriptions.swap(subscriptions_);
  }
  for (auto& each : subscriptions)
    if (auto subscription = each.lock()) subscription->stop();
  router_.reset(); // no call reads router_ (router() reads router_actor_ after closed_)
  callers_->close();
  // Ending the completion actor completes every call it holds (PendingCall), whether or not its
  // request still reaches the router; later tasks get a fresh actor.
  caf::actor completion;
  {
    std::lock_guard<std::mutex> lock(completion_mutex_);
    completion.swap(completion_);
  }
  caf::anon_send_exit(completion, caf::exit_reason::user_shutdown);
}

} // namespace redis_toolkit::detail
