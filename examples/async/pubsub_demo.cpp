// Async pub/sub: a subscription is a future that is ready once Redis confirmed its channels;
// messages go to a function handler or to a CAF actor of yours; dynamic subscriptions come and go
// at run time; pattern subscriptions (psubscribe) name the pattern and the channel. Every
// subscription has its own handler actor, so a slow handler holds up only its own messages.
#include <redis_toolkit/actor_system.hpp>
#include <redis_toolkit/actor_protocol.hpp>
#include <redis_toolkit/async_toolkit.hpp>
#include <redis_toolkit/local_redis.hpp>

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>

#include <chrono>
#include <condition_variable>
#include <iostream>
#include <mutex>

#include "example_support.hpp"

using example::Checks;
using example::OwnedActors;
using redis_toolkit::AsyncRedisToolkit;
using redis_toolkit::Value;

namespace {

using namespace std::chrono_literals;

/// What a function handler received, for main() to wait on. Shared with the handler, which may
/// still be running when the subscription is stopped.
class Inbox {
public:
  void add(const std::string& channel, const Value& message) {
    std::lock_guard<std::mutex> lock(mutex_);
    lines_.push_back(channel + " " + message.to_string());
    changed_.notify_all();
  }
  /// The lines received, once there are `count` of them or after `limit`.
  std::vector<std::string> wait_for(std::size_t count, std::chrono::milliseconds limit) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, limit, [&] { return lines_.size() >= count; });
    return lines_;
  }

private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> lines_;
};

redis_toolkit::MessageHandler handler_for(const std::shared_ptr<Inbox>& inbox) {
  return [inbox](const std::string& channel, const Value& message) {
    std::cout << "  [function] " << channel << ": " << message << "\n";
    inbox->add(channel, message);
  };
}

// A function handler: the handler runs on the subscription's own actor, one message at a time.
void tour_function_handler(AsyncRedisToolkit& toolkit, Checks& checks) {
  std::cout << "-- function handler\n";
  auto inbox = std::make_shared<Inbox>();
  redis_toolkit::Subscription subscription =
      toolkit.subscribe({"example:async:orders", "example:async:alerts"}, handler_for(inbox)).get();
  // Confirmed by Redis: nothing published from here on is missed.
  auto first = toolkit.publisher("example:async:orders", Value::dict({{"id", 1}, {"qty", 2}}));
  auto second = toolkit.publisher("example:async:alerts", "disk almost full");
  checks.expect(first.get() == 1 && second.get() == 1, "each message reached one subscriber");

  const auto lines = inbox->wait_for(2, 5s);
  checks.expect(lines.size() == 2, "the handler received both messages");
  subscription.stop();
  checks.expect(!subscription.active(), "a stopped subscription is no longer active");
}

// A CAF actor of yours as the handler: it receives (message_atom, channel, Value) in its mailbox
// and reports each message to `report_to`, with how many it has seen.
caf::behavior audit_log(caf::stateful_actor<int>* self, caf::actor report_to) {
  return {
      [=](redis_toolkit::message_atom, const std::string& channel, const Value& message) {
        self->send(report_to, ++self->state, channel, message);
      },
  };
}

void tour_actor_handler(caf::actor_system& system, AsyncRedisToolkit& toolkit, Checks& checks) {
  std::cout << "-- actor handler\n";
  caf::scoped_actor main_actor{system};
  // The handler actor is ours: the toolkit only sends to it, so we end it.
  OwnedActors actors;
  caf::actor audit = actors.add(system.spawn(audit_log, caf::actor_cast<caf::actor>(main_actor)));
  redis_toolkit::Subscription subscription =
      toolkit.subscribe({"example:async:audit"}, audit).get();

  const std::vector<Value> sent = {Value::dict({{"user", "ada"}, {"action", "login"}}),
                                   Value::list({1, 2, 3})};
  for (const Value& message : sent) toolkit.publisher("example:async:audit", message).get();

  std::vector<Value> received;
  for (std::size_t i = 0; i < sent.size(); ++i) {
    main_actor->receive(
        [&](int seen, const std::string& channel, const Value& message) {
          std::cout << "  [actor #" << seen << "] " << channel << ": " << message << "\n";
          received.push_back(message);
        },
        caf::after(5s) >> [] {});
  }
  checks.expect(received == sent, "the actor received every message, in order, with its type");
}

// Pattern subscriptions: glob patterns instead of channel names; a function handler gets the
// pattern, the channel and the value, an actor gets (pmessage_atom, pattern, channel, Value).
void tour_patterns(caf::actor_system& system, AsyncRedisToolkit& toolkit, Checks& checks) {
  std::cout << "-- pattern subscriptions\n";
  auto inbox = std::make_shared<Inbox>();
  redis_toolkit::Subscription by_function =
      toolkit
          .psubscribe({"example:async:metrics:*"},
                      [inbox](const std::string& pattern, const std::string& channel,
                              const Value& message) {
                        std::cout << "  [function " << pattern << "] " << channel << ": " << message
                                  << "\n";
                        inbox->add(channel, message);
                      })
          .get();

  caf::scoped_actor main_actor{system};
  OwnedActors actors;
  caf::actor relay = actors.add(system.spawn(
      [](caf::event_based_actor* self, caf::actor report_to) -> caf::behavior {
        return {[=](redis_toolkit::pmessage_atom, const std::string& pattern,
                    const std::string& channel, const Value& message) {
          self->send(report_to, pattern, channel, message);
        }};
      },
      caf::actor_cast<caf::actor>(main_actor)));
  redis_toolkit::Subscription by_actor = toolkit.psubscribe({"example:async:*:cpu"}, relay).get();

  // "metrics:cpu" matches both subscriptions' patterns, "metrics:disk" only the first.
  toolkit.publisher("example:async:metrics:cpu", 0.75).get();
  toolkit.publisher("example:async:metrics:disk", 0.5).get();
  checks.expect(inbox->wait_for(2, 5s).size() == 2, "the pattern function handler got both");
  std::string actor_saw;
  main_actor->receive(
      [&](const std::string& pattern, const std::string& channel, const Value& message) {
        std::cout << "  [actor " << pattern << "] " << channel << ": " << message << "\n";
        actor_saw = pattern + " " + channel;
      },
      caf::after(5s) >> [] {});
  checks.expect(actor_saw == "example:async:*:cpu example:async:metrics:cpu",
                "the actor learned the pattern and the channel");
  by_function.stop();
  by_actor.stop();
}

// Dynamic subscriptions: channels added and removed at run time on one subscriber the toolkit
// owns; a channel that stays idle for subscription_expire_minutes is dropped by itself.
void tour_dynamic(AsyncRedisToolkit& toolkit, Checks& checks) {
  std::cout << "-- dynamic subscriptions\n";
  auto inbox = std::make_shared<Inbox>();
  toolkit.subscribe_dynamic("example:async:news", handler_for(inbox)).get();
  toolkit.publisher("example:async:news", "first edition").get();
  checks.expect(inbox->wait_for(1, 5s).size() == 1, "the dynamic handler received the message");

  const redis_toolkit::SubscriptionStatistics statistics = toolkit.subscription_stats().get();
  for (const auto& channel : statistics.channels)
    std::cout << "  stats: " << channel.channel << " messages=" << channel.messages
              << " dynamic=" << std::boolalpha << channel.dynamic << "\n";
  checks.expect(statistics.channels.size() == 1 && statistics.channels[0].messages == 1,
                "subscription_stats counts the channel's message");

  checks.expect(toolkit.unsubscribe_dynamic("example:async:news").get(),
                "unsubscribe_dynamic answers true for a subscribed channel");
  checks.expect(!toolkit.unsubscribe_dynamic("example:async:news").get(),
                "and false once it is gone");
  // The subscriber forgot the channel: a late message is not delivered to the old handler.
  toolkit.publisher("example:async:news", "late edition").get();
  checks.expect(inbox->wait_for(2, 300ms).size() == 1, "no message after unsubscribing");
}

} // namespace

int main() try {
  auto local = redis_toolkit::LocalRedis::connect_or_start();
  std::cout << "Redis: " << local.describe() << "\n";
  // Our own actor system, so that the handler actor we spawn lives where the toolkit's actors do.
  // Declared before the toolkit: it must outlive it.
  caf::actor_system_config config;
  config.load<caf::io::middleman>();
  redis_toolkit::configure_actor_system(config); // the toolkit's scheduling (workers, polling)
  caf::actor_system system{config};
  AsyncRedisToolkit toolkit(system, local.config());
  Checks checks;

  tour_function_handler(toolkit, checks);
  tour_actor_handler(system, toolkit, checks);
  tour_patterns(system, toolkit, checks);
  tour_dynamic(toolkit, checks);
  return checks.finish("async/pubsub_demo");
} catch (const std::exception& error) {
  std::cerr << "async/pubsub_demo: " << error.what() << "\n";
  return 1;
}
