// Pattern subscriptions (PSUBSCRIBE) against a real redis-server: what a handler gets, several
// patterns, one delivery per matching pattern, stop(), a server restart, actor handlers on both
// fronts, and channels and patterns sharing one subscriber connection across a reconnect.
#include "redis_cli.hpp"
#include "toolkit_fixture.hpp"

#include "subscriber.hpp"
#include "toolkit_core.hpp"

#include "redis_toolkit/actor_protocol.hpp"
#include "redis_toolkit/async_toolkit.hpp"
#include "redis_toolkit/toolkit.hpp"
#include "redis_toolkit/wire_format.hpp"

#include <boost/test/unit_test.hpp>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <algorithm>
#include <mutex>
#include <tuple>

using namespace redis_toolkit;
using namespace std::chrono_literals;

namespace {

using Delivery = std::tuple<std::string, std::string, Value>; ///< pattern, channel, value

/// Collects what a pattern handler received, for assertions from the test thread.
struct PatternInbox {
  std::mutex mutex;
  std::vector<Delivery> messages;

  void add(const std::string& pattern, const std::string& channel, const Value& value) {
    std::lock_guard<std::mutex> lock(mutex);
    messages.emplace_back(pattern, channel, value);
  }
  PatternMessageHandler handler() {
    return [this](const std::string& pattern, const std::string& channel, const Value& value) {
      add(pattern, channel, value);
    };
  }
  std::size_t size() {
    std::lock_guard<std::mutex> lock(mutex);
    return messages.size();
  }
  std::vector<Delivery> all() {
    std::lock_guard<std::mutex> lock(mutex);
    return messages;
  }
  bool has(const Delivery& wanted) {
    std::lock_guard<std::mutex> lock(mutex);
    return std::find(messages.begin(), messages.end(), wanted) != messages.end();
  }
};

/// An actor of the caller's that records (pmessage_atom, pattern, channel, Value) into `inbox`.
caf::actor spawn_pattern_recorder(caf::actor_system& system, PatternInbox& inbox) {
  // The unused argument: CAF 0.17 dereferences a null argument tuple when a function actor takes
  // none (UBSan reports it), as the other handler tests know.
  return system.spawn(
      [&inbox](caf::event_based_actor*, int) -> caf::behavior {
        return {[&inbox](pmessage_atom, const std::string& pattern, const std::string& channel,
                         const Value& value) { inbox.add(pattern, channel, value); }};
      },
      0);
}

long numpat(std::uint16_t port) { return std::stol(rtk_test::run_redis_cli(port, {"PUBSUB", "NUMPAT"})); }

} // namespace

BOOST_AUTO_TEST_SUITE(psubscribe_tests)

BOOST_FIXTURE_TEST_CASE(a_pattern_handler_gets_the_pattern_the_channel_and_the_value,
                        rtk_test::ServerFixture) {
  RedisToolkit toolkit(config());
  PatternInbox inbox;
  auto subscription = toolkit.psubscribe({"news.*", "alert?"}, inbox.handler());
  BOOST_TEST(numpat(server.port()) == 2); // confirmed by Redis before psubscribe returned
  toolkit.publisher("news.sport", Value::dict({{"score", 3}}));
  toolkit.publisher("unrelated", 1); // matches neither pattern
  toolkit.publisher("alert1", "fire");
  // Another client publishing the wire bytes is understood too.
  rtk_test::run_redis_cli(server.port(), {"PUBLISH", "news.tech", serialize_value(Value::bytes("\x01"))});
  rtk_test::wait_until([&] { return inbox.size() >= 3; }, 5s, "three pattern messages");
  const auto received = inbox.all();
  BOOST_REQUIRE_EQUAL(received.size(), 3u);
  // One subscriber connection: Redis's order is kept.
  BOOST_TEST((received[0] == Delivery{"news.*", "news.sport", Value::dict({{"score", 3}})}));
  BOOST_TEST((received[1] == Delivery{"alert?", "alert1", Value("fire")}));
  BOOST_TEST((received[2] == Delivery{"news.*", "news.tech", Value::bytes("\x01")}));

  // Statistics count per pattern, marked as patterns.
  const auto statistics = subscription.statistics();
  BOOST_TEST(statistics.messages == 3u);
  BOOST_REQUIRE_EQUAL(statistics.channels.size(), 2u);
  for (const auto& entry : statistics.channels) {
    BOOST_TEST(entry.pattern);
    BOOST_TEST(entry.handlers == 1u);
    BOOST_TEST(entry.messages == (entry.channel == "news.*" ? 2u : 1u), entry.channel);
  }
}

BOOST_FIXTURE_TEST_CASE(a_message_matching_two_patterns_comes_once_per_pattern,
                        rtk_test::ServerFixture) {
  RedisToolkit toolkit(config());
  PatternInbox inbox;
  auto subscription = toolkit.psubscribe({"orders.*", "*.eu"}, inbox.handler());
  toolkit.publisher("orders.eu", 7);
  toolkit.publisher("orders.us", 8); // only the first pattern
  rtk_test::wait_until([&] { return inbox.size() >= 3; }, 5s, "three deliveries");
  BOOST_TEST(inbox.size() == 3u);
  BOOST_TEST(inbox.has(Delivery{"orders.*", "orders.eu", Value(7)}));
  BOOST_TEST(inbox.has(Delivery{"*.eu", "orders.eu", Value(7)}));
  BOOST_TEST(inbox.has(Delivery{"orders.*", "orders.us", Value(8)}));
}

BOOST_FIXTURE_TEST_CASE(stop_ends_a_pattern_subscription, rtk_test::ServerFixture) {
  RedisToolkit toolkit(config());
  PatternInbox inbox;
  auto subscription = toolkit.psubscribe({"p.*"}, inbox.handler());
  BOOST_TEST(toolkit.publisher("p.1", 1) == 1);
  rtk_test::wait_until([&] { return inbox.size() == 1; }, 5s, "the first message");
  subscription.stop();
  BOOST_TEST(!subscription.active());
  rtk_test::wait_until([&] { return numpat(server.port()) == 0; }, 5s,
                       "the server to drop the pattern");
  BOOST_TEST(toolkit.publisher("p.2", 2) == 0);
  BOOST_TEST(inbox.size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(patterns_are_subscribed_again_after_a_server_restart,
                        rtk_test::ServerFixture) {
  RedisOptions options;
  options.subscriber_retry_delay = std::chrono::duration<double>(0.1);
  options.log_level = LogLevel::error; // the lost connection's warning is expected
  RedisToolkit toolkit(config(), options);
  PatternInbox inbox;
  auto subscription = toolkit.psubscribe({"events.*", "audit.*"}, inbox.handler());
  toolkit.publisher("events.a", "before");
  rtk_test::wait_until([&] { return inbox.size() == 1; }, 5s, "the first message");
  server.kill_hard();
  server.restart();
  // Both patterns come back by themselves (the restarted server knows no subscriber at first).
  rtk_test::wait_until([&] { return numpat(server.port()) == 2; }, 10s,
                       "the subscriber to subscribe both patterns again");
  toolkit.publisher("events.b", "after");
  toolkit.publisher("audit.x", "after");
  rtk_test::wait_until([&] { return inbox.size() == 3; }, 5s, "both messages after the restart");
  BOOST_TEST(inbox.has(Delivery{"events.*", "events.b", Value("after")}));
  BOOST_TEST(inbox.has(Delivery{"audit.*", "audit.x", Value("after")}));
  BOOST_TEST(subscription.statistics().reconnects >= 1u);
}

BOOST_FIXTURE_TEST_CASE(actor_handlers_get_pmessages_on_both_fronts, rtk_test::ServerFixture) {
  AsyncRedisToolkit async_toolkit(config());
  RedisToolkit toolkit(config());
  PatternInbox async_inbox, blocking_inbox;
  auto async_handler = spawn_pattern_recorder(async_toolkit.system(), async_inbox);
  auto blocking_handler = spawn_pattern_recorder(toolkit.system(), blocking_inbox);
  auto async_subscription = async_toolkit.psubscribe({"a.*"}, async_handler).get();
  auto blocking_subscription = toolkit.psubscribe({"*.b"}, blocking_handler);
  toolkit.publisher("a.b", 1); // both
  toolkit.publisher("a.c", 2); // the async one only
  rtk_test::wait_until([&] { return async_inbox.size() == 2 && blocking_inbox.size() == 1; }, 5s,
                       "three deliveries");
  BOOST_TEST(async_inbox.has(Delivery{"a.*", "a.b", Value(1)}));
  BOOST_TEST(async_inbox.has(Delivery{"a.*", "a.c", Value(2)}));
  BOOST_TEST(blocking_inbox.has(Delivery{"*.b", "a.b", Value(1)}));
  async_subscription.stop();
  blocking_subscription.stop();
  caf::anon_send_exit(async_handler, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(blocking_handler, caf::exit_reason::user_shutdown);
}

BOOST_FIXTURE_TEST_CASE(async_function_handlers_and_a_handler_that_throws, rtk_test::ServerFixture) {
  AsyncRedisToolkit toolkit(config());
  PatternInbox inbox;
  auto thrower = toolkit.psubscribe({"t.*"}, [](const std::string&, const std::string&,
                                                 const Value& value) {
    if (value == Value(1)) throw std::runtime_error("pattern handler failure on purpose");
  }).get();
  auto listener = toolkit.psubscribe({"t.*"}, inbox.handler()).get();
  toolkit.publisher("t.x", 1).get();
  toolkit.publisher("t.x", 2).get();
  rtk_test::wait_until([&] { return inbox.size() == 2; }, 5s, "both messages");
  BOOST_TEST(thrower.statistics().channels.at(0).messages == 2u);
  BOOST_TEST(thrower.active());
}

BOOST_FIXTURE_TEST_CASE(channels_and_patterns_share_a_subscriber_across_a_reconnect,
                        rtk_test::ServerFixture) {
  // The public API gives each Subscription its own subscriber; one subscriber actor serving both
  // kinds (as Redis allows on one connection) must still subscribe both again after a reconnect.
  caf::actor_system_config actor_config;
  actor_config.load<caf::io::middleman>();
  caf::actor_system system(actor_config);
  detail::SubscriberSettings settings;
  settings.connection = detail::connection_settings(config(), nullptr);
  settings.retry_delay = std::chrono::duration<double>(0.1);
  auto subscriber = detail::spawn_subscriber(system, settings);
  caf::scoped_actor self(system);
  detail::HandlerRef handler{caf::actor_cast<caf::actor>(self), nullptr, nullptr};
  auto confirmed = [&](auto... request) {
    bool ok = false;
    self->request(subscriber, 5s, request...)
        .receive([&](caf::ok_atom) { ok = true; }, [&](caf::error&) {});
    return ok;
  };
  BOOST_REQUIRE(confirmed(subscribe_atom::value, std::vector<std::string>{"same"}, handler, false));
  // A pattern spelled like the channel is a subscription of its own.
  BOOST_REQUIRE(confirmed(psubscribe_atom::value, std::vector<std::string>{"same"}, handler));
  BOOST_REQUIRE(confirmed(psubscribe_atom::value, std::vector<std::string>{"s*"}, handler));
  auto expect_all_three = [&] {
    rtk_test::run_redis_cli(server.port(), {"PUBLISH", "same", serialize_value(Value(5))});
    bool channel = false, exact = false, glob = false;
    for (int i = 0; i < 3; ++i)
      self->receive(
          [&](message_atom, const std::string& name, const Value& value) {
            channel = name == "same" && value == Value(5);
          },
          [&](pmessage_atom, const std::string& pattern, const std::string& name, const Value&) {
            (pattern == "same" ? exact : glob) = name == "same";
          },
          caf::after(5s) >> [] {});
    BOOST_TEST(channel);
    BOOST_TEST(exact);
    BOOST_TEST(glob);
  };
  expect_all_three();
  server.kill_hard();
  server.restart();
  rtk_test::wait_until(
      [&] {
        return numpat(server.port()) == 2 &&
               rtk_test::run_redis_cli(server.port(), {"PUBSUB", "NUMSUB", "same"}) == "same\n1";
      },
      10s, "the channel and both patterns subscribed again");
  expect_all_three();
  self->send(subscriber, shutdown_atom::value);
}

BOOST_AUTO_TEST_SUITE_END()
