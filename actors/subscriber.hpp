#pragma once
// The subscriber actor: one connection in subscribe mode. It decodes each message from the wire
// format and sends (message_atom, channel, Value) to every handler actor of that channel. After the
// connection drops it connects again (subscriber_retry_delay) and subscribes every channel again.
// Dynamic channels that get no message for the expiry time are unsubscribed by it.
// In a cluster it asks the router where to connect before every connect (locate_atom): any node
// for classic pub/sub, the master of its channels' slot for sharded pub/sub (SSUBSCRIBE). When
// that node fails, or the slot moves (Redis unsubscribes it, or answers MOVED), it locates the new
// owner and subscribes there by itself.
//
// Messages: (subscribe_atom, channels, HandlerRef, dynamic) -> ok_atom once Redis confirmed them all;
// (psubscribe_atom, patterns, HandlerRef) -> the same for glob patterns, whose messages go out as
// (pmessage_atom, pattern, channel, Value) (classic pub/sub only: a sharded subscriber has none);
// (unsubscribe_atom, channels, handler) -> bool (a handler that is not set removes every handler);
// (stats_atom) -> SubscriptionStatistics; (shutdown_atom) ends it and closes the socket.

#include "connection_setup.hpp"

#include "redis_toolkit/pubsub.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace redis_toolkit::detail {

/// Lets a function handler be stopped for good: once close() returns, the handler is not running
/// and never runs again (its actor ends asynchronously, but it no longer calls the function).
class HandlerGate {
public:
  /// Before each call: false once closed (the message is dropped).
  bool enter() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!open_) return false;
    running_ = true;
    runner_ = std::this_thread::get_id();
    return true;
  }
  void leave() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      running_ = false;
      runner_ = std::thread::id();
    }
    idle_.notify_all();
  }
  /// Closes the gate and waits up to `limit` for a call in progress, unless it is this very
  /// thread's (a handler that stops its own subscription). False when the wait timed out.
  bool close(std::chrono::milliseconds limit) {
    std::unique_lock<std::mutex> lock(mutex_);
    open_ = false;
    if (running_ && runner_ == std::this_thread::get_id()) return true;
    return idle_.wait_for(lock, limit, [this] { return !running_; });
  }

private:
  std::mutex mutex_;
  std::condition_variable idle_;
  bool open_ = true;
  bool running_ = false; ///< the function runs, on thread runner_
  std::thread::id runner_;
};

/// What stop() waits on: set once a subscriber has ended, which it does after Redis confirmed that
/// the connection holds no subscription any more (or without a connection, or after the socket
/// timeout). The subscriber holds it through a StopTicket, whose end sets it: a subscriber that
/// has already ended, and drops the ticket with its message, still sets it.
class StopSignal {
public:
  void set() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    ready_.notify_all();
  }
  /// True once set; false when `limit` passed first.
  bool wait_for(std::chrono::milliseconds limit) {
    std::unique_lock<std::mutex> lock(mutex_);
    return ready_.wait_for(lock, limit, [this] { return done_; });
  }

private:
  std::mutex mutex_;
  std::condition_variable ready_;
  bool done_ = false;
};

class StopTicket {
public:
  explicit StopTicket(std::shared_ptr<StopSignal> signal) : signal_(std::move(signal)) {}
  StopTicket(const StopTicket&) = delete;
  StopTicket& operator=(const StopTicket&) = delete;
  ~StopTicket() { signal_->set(); }

private:
  std::shared_ptr<StopSignal> signal_;
};

/// A handler actor and, for the function handlers we wrap, its backlog: messages sent to it and
/// not yet handled. At the mailbox limit the subscriber drops messages for it (and counts them).
/// A caller's own actor has no backlog here: its mailbox is its own business.
struct HandlerRef {
  caf::actor actor;
  std::shared_ptr<std::atomic<std::size_t>> backlog;
  std::shared_ptr<HandlerGate> gate; ///< function handlers only
  friend bool operator==(const HandlerRef& a, const HandlerRef& b) { return a.actor == b.actor; }
};

/// A toolkit's pub/sub totals, shared by all its subscribers and outliving them: counters that
/// only grow, whatever subscriptions end (ToolkitMetrics::pubsub_received and pubsub_dropped).
/// One relaxed increment per message, on the subscriber that receives it.
struct PubSubTotals {
  std::atomic<std::uint64_t> received{0};
  std::atomic<std::uint64_t> dropped{0};
};

struct SubscriberSettings {
  ConnectionSettings connection;
  std::chrono::duration<double> retry_delay{5.0};
  std::chrono::minutes expire_after{5};
  std::chrono::seconds check_interval{30};
  std::size_t mailbox_limit = 10000; ///< per function handler
  /// How long a stopping subscriber waits for Redis' UNSUBSCRIBE confirmation before it closes
  /// its connection anyway (RedisOptions::subscriber_stop_timeout).
  std::chrono::milliseconds stop_timeout{5000};
  /// Cluster mode: the router to ask where to connect; empty for a single server.
  caf::actor locator;
  bool sharded = false;          ///< SSUBSCRIBE / SUNSUBSCRIBE / smessage
  std::int32_t slot = any_slot;  ///< sharded: the slot of every channel of this subscriber
  std::shared_ptr<PubSubTotals> totals; ///< the toolkit's; may be null
  /// Payloads go to handlers as string Values, not decoded from the toolkit's wire format: for
  /// channels whose publisher is not a toolkit (a sentinel's +switch-master).
  bool raw_payloads = false;
};

caf::actor spawn_subscriber(caf::actor_system& system, SubscriberSettings settings);

/// Wraps a function handler in an actor with a thread of its own: one message at a time; an
/// exception is logged, not fatal; blocking in it stalls no other handler.
HandlerRef spawn_function_handler(caf::actor_system& system, MessageHandler handler);
/// The same for a pattern handler (it gets pmessage_atom messages).
HandlerRef spawn_function_handler(caf::actor_system& system, PatternMessageHandler handler);

} // namespace redis_toolkit::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(redis_toolkit::detail::HandlerRef)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<redis_toolkit::detail::StopTicket>)
