#pragma once
// What both fronts of the toolkit stand on: the actor system, the shared router of this server
// identity, and a way for a plain thread to wait for one reply.

#include "command_operations.hpp"
#include "completion_actor.hpp"
#include "toolkit_operations.hpp"
#include "router.hpp"

#include "redis_toolkit/actor_protocol.hpp"
#include "redis_toolkit/config.hpp"
#include "redis_toolkit/metrics.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace redis_toolkit::detail {

/// The process-wide actor system the toolkits share unless the caller brings one; it lives as long
/// as some toolkit uses it.
class Runtime {
public:
  static std::shared_ptr<Runtime> shared();
  Runtime();
  ~Runtime();
  caf::actor_system& system() { return *system_; }

private:
  std::unique_ptr<caf::actor_system_config> config_;
  std::unique_ptr<caf::actor_system> system_;
};

/// A router shared by every toolkit of one server identity (host, port, db, user, credentials,
/// timeouts), as the Python toolkit shared its connection pools; shut down with its last user.
class SharedRouter {
public:
  explicit SharedRouter(caf::actor router) : router_(std::move(router)) {}
  ~SharedRouter();
  const caf::actor& actor() const { return router_; }

  /// `tls`: the toolkit's TLS context (null without TLS), see connection_settings.
  static std::shared_ptr<SharedRouter> acquire(caf::actor_system& system,
                                               const RedisConnectionConfig& config,
                                               const RedisOptions& options,
                                               std::shared_ptr<const TlsContext> tls);

private:
  caf::actor router_;
};

/// Where and how to connect, from the config; `tls` is the toolkit's TLS context, made once
/// with TlsContext::create when config.ssl is set (null otherwise) and shared by every
/// connection it makes, command and subscriber alike.
ConnectionSettings connection_settings(const RedisConnectionConfig& config,
                                       std::shared_ptr<const TlsContext> tls);
/// The options' reply limit and health checks, into one connection's settings.
void apply_limits(ConnectionSettings& settings, const RedisOptions& options);
/// The same for every connection of a router, and the bound on calls in progress.
void apply_limits(RouterSettings& settings, const RedisOptions& options);

// ---- Living as long as the program (toolkit_core.cpp, "Process exit", says why) ----

/// Made on entry to every toolkit function that may touch CAF on a caller's thread. On entry: makes
/// the thread's exit safe for CAF, and registers the toolkit's exit hook when a toolkit was made
/// since the last registration. On the way out: drops the reference to the actor system's logger
/// that CAF keeps in a thread-local of every thread that spawned an actor (CAF's logging is
/// compiled out, so nothing needs it): an actor system's destructor waits until its logger is
/// gone, so a live thread holding one (a pool thread of the caller's, or main while another
/// thread calls exit()) would hold up that destructor for good.
class CallerThreadScope {
public:
  CallerThreadScope();
  ~CallerThreadScope();
  CallerThreadScope(const CallerThreadScope&) = delete;
  CallerThreadScope& operator=(const CallerThreadScope&) = delete;
};
/// Throws ValidationError naming `operation` on a thread running async callbacks: a blocking
/// call there would wait forever for the thread it holds (CAF's I/O thread).
void refuse_inside_callback(std::string_view operation);
/// True once the process is ending: the exit hook ran (main returned or exit() was called).
bool process_exiting() noexcept;
/// Keeps `object` alive (and reachable) until the process ends. A toolkit destroyed while the
/// process exits keeps its core this way: another thread may still be inside a call on it.
void keep_until_exit(std::shared_ptr<void> object);

class SubscriptionControl;
struct PubSubTotals;

class ToolkitCore {
public:
  /// `system` null: use the shared Runtime.
  ToolkitCore(caf::actor_system* system, RedisConnectionConfig config, RedisOptions options);
  ~ToolkitCore();

  caf::actor_system& system() { return *system_; }
  const std::shared_ptr<Runtime>& runtime() const { return runtime_; }
  /// The router, or an invalid handle once the toolkit is closed.
  caf::actor router() const { return closed_.load() ? caf::actor() : router_actor_; }
  /// router() without copying the handle (a copy writes its reference count, a cache line every
  /// calling thread shares): null once the toolkit is closed; valid as long as the core.
  const caf::actor* live_router() const noexcept {
    return closed_.load() ? nullptr : &router_actor_;
  }
  const RedisConnectionConfig& config() const { return config_; }
  /// The TLS context every connection of this toolkit uses; null without TLS.
  const std::shared_ptr<const TlsContext>& tls_context() const { return tls_; }
  const RedisOptions& options() const { return options_; }
  OperationContext context() const { return {options_, server_, config_.cluster_mode}; }
  const std::string& server() const { return server_; }
  bool closed() const noexcept { return closed_.load(); }

  /// Sends `request` to the router and waits for its replies (bounded by the connection's socket
  /// timeout and the retry policy). Throws ConnectionError once the toolkit is closed.
  std::vector<Reply> execute(CommandRequest request, std::string_view operation);
  /// Runs a planned operation and decodes its replies, waiting like execute().
  template <typename T>
  T run(PlannedOperation<T> operation) {
    auto replies = execute(std::move(operation.request), operation.name);
    return operation.decode(replies);
  }
  PoolStatistics pool_statistics();
  /// The router's figures and this core's subscriptions', merged (ToolkitMetrics).
  ToolkitMetrics metrics();
  /// The table command() routes with, or null before it was learned (the server's COMMAND reply,
  /// asked once per toolkit; it never changes afterwards).
  const CommandTable* command_table() const noexcept {
    return command_table_.load(std::memory_order_acquire);
  }
  /// Keeps `table` unless one was stored first; returns the one kept.
  const CommandTable* store_command_table(CommandTableHandle table);
  /// command_table(), asking the server (and waiting) the first time.
  const CommandTable& command_table_or_load();
  /// One COMMAND request at a time, however many calls need the table before it is known:
  /// `known` (the table is there; `then` ran already), `load` (the caller asks the server and
  /// reports with command_table_loaded; `then` runs then), or `queued` (another call is asking;
  /// `then` runs when it has the answer). `then` gets null, or the error that stopped the load.
  enum class TableWait { known, load, queued };
  TableWait await_command_table(std::function<void(std::exception_ptr)> then);
  /// The outcome of a load await_command_table asked for: the table, or `error`; runs the waiters.
  void command_table_loaded(CommandTableHandle table, std::exception_ptr error);
  /// Runs `task` on the core's completion actor (made on first use, ended with the core), after
  /// every task and call given before it from the same thread.
  void run_task(Task task);
  /// Sends `request` to `router` from the completion actor, which completes `call` with the
  /// replies. Calls from one thread reach the router in the order given.
  void call_router(const caf::actor& router, CommandRequest request,
                   std::shared_ptr<PendingCall> call);
  /// Stops `subscription` when the core closes (the toolkit's cleanup stops every subscriber).
  void track(const std::shared_ptr<SubscriptionControl>& subscription);
  /// What every subscription of this core received and dropped, ended ones included.
  const std::shared_ptr<PubSubTotals>& pubsub_totals() const noexcept { return pubsub_totals_; }
  /// Releases the router, stops tracked subscriptions, completes pending async calls; idempotent.
  void close() noexcept;

private:
  class BlockingCallers;
  /// Closed, and the process is exiting: nothing new may start (run_task says why).
  bool closed_for_exit() const noexcept;
  /// The completion actor, made on first use; invalid once closed while the process exits.
  caf::actor completion_actor();

  std::shared_ptr<Runtime> runtime_; // first member: destroyed last
  caf::actor_system* system_;
  RedisConnectionConfig config_;
  RedisOptions options_;
  std::shared_ptr<const TlsContext> tls_; ///< made once, before the router
  std::shared_ptr<PubSubTotals> pubsub_totals_; ///< shared with this core's subscribers
  std::string server_;
  /// Held until close(): the last toolkit of a server identity to let go shuts its router down.
  std::shared_ptr<SharedRouter> router_;
  /// The router's handle, written once in the constructor and never again, so a call reads it
  /// without synchronisation (an atomic shared_ptr load takes a process-wide lock in libstdc++,
  /// on every call). A call that races close() reaches a router that has ended: its reply sink
  /// is destroyed unanswered and fails the call.
  caf::actor router_actor_;
  std::unique_ptr<BlockingCallers> callers_;
  std::mutex subscriptions_mutex_;
  std::vector<std::weak_ptr<SubscriptionControl>> subscriptions_;
  std::mutex completion_mutex_;
  caf::actor completion_; ///< see completion_actor()
  /// This core's number for its completion actor (call_here).
  const std::uint64_t completion_owner_ = new_completion_owner();
  std::atomic<bool> closed_{false};
  std::mutex command_table_mutex_;
  bool command_table_loading_ = false;
  std::vector<std::function<void(std::exception_ptr)>> command_table_waiters_;
  CommandTableHandle command_table_owner_;
  std::atomic<const CommandTable*> command_table_{nullptr};
};

} // namespace redis_toolkit::detail
