// Pub/sub through RedisToolkit against a real redis-server: handlers, restarts, dynamic channels.
#include "redis_cli.hpp"
#include "toolkit_fixture.hpp"

#include "redis_toolkit/toolkit.hpp"
#include "redis_toolkit/wire_format.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>

using namespace redis_toolkit;
using namespace std::chrono_literals;

namespace {

/// Collects what a handler received, for assertions from the test thread.
struct Inbox {
  std::mutex mutex;
  std::vector<std::pair<std::string, Value>> messages;

  MessageHandler handler() {
    return [this](const std::string& channel, const Value& value) {
      std::lock_guard<std::mutex> lock(mutex);
      messages.emplace_back(channel, value);
    };
  }
  std::size_t size() {
    std::lock_guard<std::mutex> lock(mutex);
    return messages.size();
  }
  std::pair<std::string, Value> at(std::size_t i) {
    std::lock_guard<std::mutex> lock(mutex);
    return messages.at(i);
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(pubsub_tests)

BOOST_FIXTURE_TEST_CASE(published_values_reach_the_handler_typed_and_in_order, rtk_test::ServerFixture) {
  RedisToolkit toolkit(config());
  Inbox inbox;
  auto subscription = toolkit.subscribe({"news", "alerts"}, inbox.handler());
  BOOST_TEST(toolkit.publisher("news", Value::dict({{"title", "hi"}})) == 1);
  for (int i = 0; i < 100; ++i) toolkit.publisher("alerts", i);
  rtk_test::wait_until([&] { return inbox.size() == 101; }, 5s, "101 messages");
  BOOST_TEST(inbox.at(0).first == "news");
  BOOST_TEST(inbox.at(0).second == Value::dict({{"title", "hi"}}));
  for (int i = 0; i < 100; ++i) BOOST_TEST(inbox.at(1 + i).second == Value(i));
  // Another client publishing the wire bytes is understood too.
  rtk_test::run_redis_cli(server.port(), {"PUBLISH", "news", serialize_value(Value::bytes("\x01"))});
  rtk_test::wait_until([&] { return inbox.size() == 102; }, 5s, "the redis-cli message");
  BOOST_TEST(inbox.at(101).second == Value::bytes("\x01"));
  subscription.stop();
  BOOST_TEST(!subscription.active());
  BOOST_TEST(toolkit.publisher("news", 1) == 0);
}

BOOST_FIXTURE_TEST_CASE(once_stop_returns_redis_counts_no_receiver, rtk_test::ServerFixture) {
  // stop() waits for Redis' UNSUBSCRIBE confirmation: a PUBLISH from another client right after
  // it reaches nobody, every time (it used to count the stopped subscriber now and then).
  RedisToolkit toolkit(config());
  for (int round = 0; round < 50; ++round) {
    BOOST_TEST_CONTEXT("round " << round) {
      const PubSubKind kind = round % 5 == 4 ? PubSubKind::sharded : PubSubKind::classic;
      const std::string channel = "stopping:" + std::to_string(round);
      auto subscription = toolkit.subscribe({channel}, [](const std::string&, const Value&) {}, kind);
      const std::string publish = kind == PubSubKind::sharded ? "SPUBLISH" : "PUBLISH";
      BOOST_TEST(rtk_test::run_redis_cli(server.port(), {publish, channel, "x"}) == "1");
      subscription.stop();
      BOOST_TEST(rtk_test::run_redis_cli(server.port(), {publish, channel, "x"}) == "0");
    }
  }
}

BOOST_FIXTURE_TEST_CASE(after_stop_returns_the_handler_neither_runs_nor_runs_again,
                        rtk_test::ServerFixture) {
  // What a handler touches may be destroyed as soon as stop() returns.
  RedisToolkit toolkit(config());
  auto state = std::make_unique<std::atomic<int>>(0); // the handler's state, freed after stop()
  std::atomic<bool> inside{false};
  std::atomic<int> calls{0};
  auto subscription = toolkit.subscribe({"slow"}, [&, counter = state.get()](const std::string&,
                                                                             const Value&) {
    inside = true;
    std::this_thread::sleep_for(300ms);
    ++*counter;
    ++calls;
    inside = false;
  });
  toolkit.publisher("slow", 1);
  toolkit.publisher("slow", 2);
  rtk_test::wait_until([&] { return inside.load(); }, 5s, "the handler to start");
  subscription.stop();
  BOOST_TEST(!inside.load()); // the call in progress was waited for
  const int seen = calls.load();
  BOOST_TEST(seen == 1);
  state.reset(); // a handler called now would write to freed memory (the sanitizers watch)
  toolkit.publisher("slow", 3);
  std::this_thread::sleep_for(700ms); // room for the queued message 2 and message 3
  BOOST_TEST(calls.load() == seen);
}

BOOST_FIXTURE_TEST_CASE(a_throwing_handler_does_not_stop_delivery, rtk_test::ServerFixture) {
  RedisToolkit toolkit(config());
  Inbox inbox;
  auto thrower = toolkit.subscribe({"c"}, [](const std::string&, const Value& value) {
    if (value == Value(1)) throw std::runtime_error("handler failure on purpose");
  });
  auto listener = toolkit.subscribe({"c"}, inbox.handler());
  toolkit.publisher("c", 1);
  toolkit.publisher("c", 2);
  rtk_test::wait_until([&] { return inbox.size() == 2; }, 5s, "both messages");
  BOOST_TEST(thrower.statistics().channels.at(0).messages == 2u);
}

BOOST_FIXTURE_TEST_CASE(the_subscriber_comes_back_after_a_server_restart, rtk_test::ServerFixture) {
  RedisOptions options;
  options.subscriber_retry_delay = std::chrono::duration<double>(0.1);
  RedisToolkit toolkit(config(), options);
  Inbox inbox;
  auto subscription = toolkit.subscribe({"events"}, inbox.handler());
  toolkit.publisher("events", "before");
  rtk_test::wait_until([&] { return inbox.size() == 1; }, 5s, "the first message");
  server.kill_hard();
  server.restart();
  // Publish until the subscriber is back: it re-subscribes by itself.
  rtk_test::wait_until([&] { return toolkit.publisher("events", "after") > 0; }, 10s,
                       "the subscriber to re-subscribe");
  rtk_test::wait_until([&] { return inbox.size() >= 2; }, 5s, "a message after the restart");
  BOOST_TEST(inbox.at(inbox.size() - 1).second == Value("after"));
  BOOST_TEST(subscription.statistics().reconnects >= 1u);
}

BOOST_FIXTURE_TEST_CASE(dynamic_subscriptions, rtk_test::ServerFixture) {
  RedisToolkit toolkit(config());
  Inbox inbox;
  toolkit.subscribe_dynamic("dyn:a", inbox.handler());
  toolkit.subscribe_dynamic("dyn:b", inbox.handler());
  toolkit.publisher("dyn:a", 1);
  toolkit.publisher("dyn:b", 2);
  rtk_test::wait_until([&] { return inbox.size() == 2; }, 5s, "two messages");
  auto statistics = toolkit.subscription_stats();
  BOOST_TEST(statistics.channels.size() == 2u);
  BOOST_TEST(statistics.messages == 2u);
  for (const auto& channel : statistics.channels) {
    BOOST_TEST(channel.dynamic);
    BOOST_TEST(channel.messages == 1u);
  }
  BOOST_TEST(toolkit.resubscribe_channel("dyn:a"));
  BOOST_TEST(!toolkit.resubscribe_channel("never"));
  BOOST_TEST(toolkit.unsubscribe_dynamic("dyn:b"));
  BOOST_TEST(!toolkit.unsubscribe_dynamic("dyn:b"));
  BOOST_TEST(toolkit.publisher("dyn:b", 3) == 0);
  BOOST_TEST(toolkit.publisher("dyn:a", 4) == 1);
  rtk_test::wait_until([&] { return inbox.size() == 3; }, 5s, "the message after resubscribe");
  BOOST_TEST(toolkit.subscription_stats().channels.size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(an_idle_dynamic_subscription_expires, rtk_test::ServerFixture) {
  RedisOptions options;
  options.subscription_expire_minutes = std::chrono::minutes(1); // the smallest the options allow
  options.subscription_check_interval = std::chrono::seconds(1);
  RedisToolkit toolkit(config(), options);
  Inbox inbox;
  toolkit.subscribe_dynamic("idle", inbox.handler());
  BOOST_TEST(toolkit.publisher("idle", 1) == 1);
  rtk_test::wait_until([&] { return toolkit.subscription_stats().expired_channels == 1u; }, 75s,
                       "the idle channel to expire");
  BOOST_TEST(toolkit.publisher("idle", 2) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
