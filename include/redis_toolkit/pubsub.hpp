#pragma once
// Pub/sub handlers and the Subscription handle.
//
//   auto subscription = toolkit.subscribe({"orders", "alerts"},
//       [](const std::string& channel, const Value& message) { handle(channel, message); });
//   ...
//   subscription.stop();   // or let it go out of scope

#include "redis_toolkit/statistics.hpp"
#include "redis_toolkit/value.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace redis_toolkit {

/// A function handler; it runs on a handler actor of its own, one message at a time, in order per
/// channel. An exception it throws is logged and the next message is delivered as usual.
using MessageHandler = std::function<void(const std::string& channel, const Value& message)>;
/// A pattern handler: the pattern that matched, the channel the message was published on, the value.
/// It runs like a MessageHandler; a message matching two patterns of it runs it twice.
using PatternMessageHandler = std::function<void(const std::string& pattern, const std::string& channel, const Value& message)>;

/// Classic pub/sub (PUBLISH/SUBSCRIBE: in a cluster any node serves it, and every node sees every
/// message) or sharded (SPUBLISH/SSUBSCRIBE, Redis >= 7: a channel lives on the master of its
/// slot, so the load spreads over the masters; channels with one hash tag share a subscriber).
enum class PubSubKind { classic, sharded };

namespace detail {
class SubscriptionControl;
}

/// Owns one subscriber (its connection and handler actor). Move-only; stopping is idempotent.
class Subscription {
public:
  Subscription() = default;
  explicit Subscription(std::shared_ptr<detail::SubscriptionControl> control);
  ~Subscription();
  Subscription(Subscription&&) noexcept = default;
  Subscription& operator=(Subscription&&) noexcept;
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  /// Unsubscribes, closes the connection and ends the handler actor. Once it returns, Redis has
  /// confirmed the UNSUBSCRIBE (a PUBLISH counts no receiver of this subscription), unless no
  /// confirmation came within RedisOptions::subscriber_stop_timeout (then the connection is closed
  /// anyway, with a warning); a function handler neither runs nor runs again: a
  /// call in progress is waited for (up to 5 s), queued messages are dropped. Callable from the
  /// handler itself.
  void stop() noexcept;
  bool active() const noexcept;
  SubscriptionStatistics statistics() const;

private:
  std::shared_ptr<detail::SubscriptionControl> control_;
};

} // namespace redis_toolkit
