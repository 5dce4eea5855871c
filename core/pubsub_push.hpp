#pragma once
// What one reply on a subscriber's connection means, by Redis's pub/sub rules: a message, a
// confirmation, a PING's answer, an error. The subscriber actor acts on the event; the rules of
// reading it live here, tested with no server (tests/core/pubsub_push_tests.cpp).

#include "redis_toolkit/reply.hpp"

#include <cstdint>
#include <string>

namespace redis_toolkit::detail {

/// What a subscription names: a channel (SUBSCRIBE, or SSUBSCRIBE when sharded) or a glob pattern
/// (PSUBSCRIBE). Redis confirms and delivers them apart: a pattern "news" and a channel "news"
/// are two subscriptions.
enum class SubscriptionTarget { channel, pattern };

/// One reply read as a pub/sub event. The strings point into the classified reply: valid while it
/// lives, never copied (a message's payload may be large).
struct PushEvent {
  enum class Kind {
    ignored,         ///< nothing a subscriber acts on: an unknown kind, a short array, a number
    error,           ///< an error reply, `text`
    moved,           ///< an error starting "MOVED": a sharded channel's slot lives elsewhere now
    pong,            ///< a PING's answer (status PONG before any subscription, ["pong", ...] after)
    message,         ///< `name` (= `channel`) delivered `payload` (message, or smessage: `sharded`)
    pattern_message, ///< `name` (the pattern) matched `channel`, which delivered `payload`
    subscribed,      ///< Redis confirmed `name` of `target` (subscribe, ssubscribe, psubscribe)
    unsubscribed,    ///< Redis dropped `name` of `target`; `remaining` subscriptions left
  };
  Kind kind = Kind::ignored;
  SubscriptionTarget target = SubscriptionTarget::channel;
  bool sharded = false;     ///< smessage, ssubscribe, sunsubscribe
  bool from_status = false; ///< pong: the plain status PONG (no subscription on the connection)
  const std::string* text = nullptr;    ///< error, moved: the error's text
  const std::string* name = nullptr;    ///< the channel or pattern the event is about
  const std::string* channel = nullptr; ///< message, pattern_message: the channel it came on
  const std::string* payload = nullptr; ///< message, pattern_message
  /// unsubscribed: the subscriptions the connection still holds (the count Redis sends; -1 when
  /// the reply has none).
  std::int64_t remaining = -1;
};

/// Reads `reply` as a subscriber's connection receives it (RESP2 arrays).
PushEvent classify_push(const Reply& reply);

} // namespace redis_toolkit::detail
