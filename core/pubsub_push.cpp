#include "pubsub_push.hpp"

#include <string_view>

namespace redis_toolkit::detail {

PushEvent classify_push(const Reply& reply) {
  PushEvent event;
  if (reply.is_error()) {
    event.kind = std::string_view(reply.text).substr(0, 5) == "MOVED" ? PushEvent::Kind::moved
                                                                      : PushEvent::Kind::error;
    event.text = &reply.text;
    return event;
  }
  if (reply.type == Reply::Type::status && reply.text == "PONG") {
    event.kind = PushEvent::Kind::pong;
    event.from_status = true;
    return event;
  }
  if (!reply.is_array() || reply.elements.empty()) return event;
  const auto& parts = reply.elements;
  const std::string& kind = parts[0].text;
  const std::size_t size = parts.size();
  if (kind == "pong") {
    event.kind = PushEvent::Kind::pong;
    return event;
  }
  if ((kind == "message" || kind == "smessage") && size >= 3) {
    event.kind = PushEvent::Kind::message;
    event.sharded = kind[0] == 's';
    event.name = event.channel = &parts[1].text;
    event.payload = &parts[2].text;
    return event;
  }
  if (kind == "pmessage" && size >= 4) {
    event.kind = PushEvent::Kind::pattern_message;
    event.target = SubscriptionTarget::pattern;
    event.name = &parts[1].text;
    event.channel = &parts[2].text;
    event.payload = &parts[3].text;
    return event;
  }
  const bool subscribed = kind == "subscribe" || kind == "ssubscribe" || kind == "psubscribe";
  const bool unsubscribed =
      kind == "unsubscribe" || kind == "sunsubscribe" || kind == "punsubscribe";
  if ((subscribed || unsubscribed) && size >= 2) {
    event.kind = subscribed ? PushEvent::Kind::subscribed : PushEvent::Kind::unsubscribed;
    event.target = kind[0] == 'p' ? SubscriptionTarget::pattern : SubscriptionTarget::channel;
    event.sharded = kind[0] == 's';
    event.name = &parts[1].text;
    if (size >= 3 && parts[2].is_integer()) event.remaining = parts[2].integer;
  }
  return event;
}

} // namespace redis_toolkit::detail
