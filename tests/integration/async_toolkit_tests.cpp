// AsyncRedisToolkit (futures, callbacks) and the typed toolkit actor against a real redis-server.
#include "redis_cli.hpp"
#include "toolkit_fixture.hpp"

#include "redis_toolkit/async_toolkit.hpp"
#include "redis_toolkit/toolkit.hpp"
#include "redis_toolkit/toolkit_actor.hpp"
#include "redis_toolkit/wire_format.hpp"

#include <boost/test/unit_test.hpp>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <cereal/types/string.hpp>

#include <atomic>
#include <mutex>
#include <thread>

using namespace redis_toolkit;
using namespace std::chrono_literals;

namespace {

/// Waits for a callback's Result with a deadline; the test fails instead of hanging.
template <typename T>
struct CallbackProbe {
  std::shared_ptr<std::promise<Result<T>>> promise = std::make_shared<std::promise<Result<T>>>();
  std::future<Result<T>> future = promise->get_future();
  std::shared_ptr<std::thread::id> thread = std::make_shared<std::thread::id>();

  Callback<T> callback() {
    return [promise = promise, thread = thread](Result<T> result) {
      *thread = std::this_thread::get_id();
      promise->set_value(std::move(result));
    };
  }
  Result<T> wait() {
    BOOST_REQUIRE_MESSAGE(future.wait_for(10s) == std::future_status::ready, "callback never ran");
    return future.get();
  }
};

template <typename T>
T ready(std::future<T> future) {
  BOOST_REQUIRE_MESSAGE(future.wait_for(10s) == std::future_status::ready, "future never ready");
  return future.get();
}

struct Note {
  std::string text;
  int number = 0;
  template <class Archive>
  void serialize(Archive& archive) {
    archive(text, number);
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(async_toolkit_tests)

BOOST_FIXTURE_TEST_CASE(every_operation_as_a_future, rtk_test::ServerFixture) {
  AsyncRedisToolkit toolkit(config());
  ready(toolkit.setter("a", Value::list({1, "two"})));
  BOOST_TEST(*ready(toolkit.getter("a")) == Value::list({1, "two"}));
  BOOST_TEST(!ready(toolkit.getter("missing")).has_value());
  ready(toolkit.setter_with_ttl("t", 1, 100));
  const auto ttl = ready(toolkit.get_ttl("t"));
  BOOST_TEST((ttl > 90 && ttl <= 100));
  ready(toolkit.batch_set({{"b1", 1}, {"b2", Value::bytes(std::string(1, '\0'))}}));
  auto got = ready(toolkit.batch_get({"b2", "none", "b1"}));
  BOOST_REQUIRE_EQUAL(got.size(), 3u);
  BOOST_TEST(*got[0].second == Value::bytes(std::string(1, '\0')));
  BOOST_TEST(!got[1].second.has_value());
  BOOST_TEST(ready(toolkit.batch_delete({"b1", "b2", "none"})) == 2);
  BOOST_TEST(ready(toolkit.deleter("a")));
  BOOST_TEST(!ready(toolkit.deleter("a")));
  ready(toolkit.set("note", Note{"hi", 7}));
  auto note = ready(toolkit.get<Note>("note"));
  BOOST_REQUIRE(note.has_value());
  BOOST_TEST(note->text == "hi");
  BOOST_TEST(ready(toolkit.publisher("nobody", 1)) == 0);
  BOOST_TEST(ready(toolkit.health_check()));
}

BOOST_FIXTURE_TEST_CASE(every_operation_with_a_callback_off_the_callers_thread, rtk_test::ServerFixture) {
  AsyncRedisToolkit toolkit(config());
  CallbackProbe<void> stored;
  toolkit.setter("k", "v", stored.callback());
  BOOST_TEST(stored.wait().ok());
  BOOST_TEST((*stored.thread != std::this_thread::get_id()));
  CallbackProbe<std::optional<Value>> read;
  toolkit.getter("k", read.callback());
  BOOST_TEST(*read.wait().value() == Value("v"));
  CallbackProbe<std::int64_t> ttl;
  toolkit.get_ttl("k", ttl.callback());
  BOOST_TEST(ttl.wait().value() == -1);
  CallbackProbe<void> batch;
  toolkit.batch_set({{"x", 1}, {"y", 2}}, batch.callback());
  BOOST_TEST(batch.wait().ok());
  CallbackProbe<BatchGetResult> many;
  toolkit.batch_get({"y", "x"}, many.callback());
  BOOST_TEST(*many.wait().value().at(0).second == Value(2));
  CallbackProbe<std::int64_t> removed;
  toolkit.batch_delete({"x", "y", "k"}, removed.callback());
  BOOST_TEST(removed.wait().value() == 3);
  CallbackProbe<bool> healthy;
  toolkit.health_check(healthy.callback());
  BOOST_TEST(healthy.wait().value());
}

BOOST_FIXTURE_TEST_CASE(refused_input_arrives_as_the_typed_error_and_writes_nothing, rtk_test::ServerFixture) {
  AsyncRedisToolkit toolkit(config());
  auto too_long = toolkit.setter(std::string(600, 'k'), 1);
  BOOST_CHECK_THROW(ready(std::move(too_long)), ValidationError);
  CallbackProbe<void> bad_ttl;
  toolkit.setter_with_ttl("k", 1, 0, bad_ttl.callback());
  auto result = bad_ttl.wait();
  BOOST_TEST(!result.ok());
  BOOST_CHECK_THROW(result.value(), ValidationError);
  BOOST_CHECK_THROW(ready(toolkit.batch_set({{"ok", 1}, {std::string(600, 'x'), 2}})), ValidationError);
  BOOST_TEST(rtk_test::run_redis_cli(server.port(), {"DBSIZE"}) == "0");
}

BOOST_FIXTURE_TEST_CASE(async_and_blocking_share_the_same_bytes, rtk_test::ServerFixture) {
  AsyncRedisToolkit async_toolkit(config());
  RedisToolkit blocking(config());
  // (A tuple nested in a container comes back as a list, as in Python's JSON.)
  const Value value = Value::dict({{"é", Value::list({1, 2.5})}, {"b", Value::bytes("\x01")}});
  ready(async_toolkit.setter("from-async", value));
  BOOST_TEST(*blocking.getter("from-async") == value);
  BOOST_TEST(rtk_test::run_redis_cli(server.port(), {"GET", "from-async"}) == serialize_value(value));
  blocking.setter("from-blocking", value);
  BOOST_TEST(*ready(async_toolkit.getter("from-blocking")) == value);
}

BOOST_FIXTURE_TEST_CASE(a_throwing_callback_does_not_take_the_toolkit_down, rtk_test::ServerFixture) {
  AsyncRedisToolkit toolkit(config());
  std::atomic<int> ran{0};
  for (int i = 0; i < 20; ++i)
    toolkit.setter("k", i, [&ran](Result<void>) {
      ++ran;
      throw std::runtime_error("callback failure on purpose");
    });
  rtk_test::wait_until([&] { return ran.load() == 20; }, 10s, "every throwing callback ran");
  BOOST_TEST(ready(toolkit.getter("k")).has_value());
}


// A callback runs on CAF's I/O thread, which every blocking call waits for: a blocking call made
// there is refused with a ValidationError naming the operation, instead of waiting forever, and
// the toolkits carry on. The blocking transaction's builder runs on the caller's thread, so it
// may call a toolkit.
BOOST_FIXTURE_TEST_CASE(a_blocking_call_inside_a_callback_is_refused_not_a_hang,
                        rtk_test::ServerFixture) {
  AsyncRedisToolkit toolkit(config());
  RedisToolkit blocking(config());
  blocking.setter("k", 1);
  CallbackProbe<std::string> refusal;
  toolkit.getter("k", [&blocking, done = refusal.callback()](Result<std::optional<Value>>) {
    try {
      blocking.getter("k");
      done(Result<std::string>::success("the blocking call returned"));
    } catch (const ValidationError& error) {
      done(Result<std::string>::success(error.key() + ": " + error.reason()));
    }
  });
  const std::string refused = refusal.wait().value();
  BOOST_TEST(refused.find("getter: a blocking call inside an async callback") == 0, refused);
  BOOST_TEST(ready(toolkit.getter("k"))->as_int() == 1);
  BOOST_TEST(blocking.getter("k")->as_int() == 1);

  // A subscription's statistics wait for its subscriber actor, on the same thread: refused too.
  Subscription subscription = blocking.subscribe({"news"}, [](const std::string&, const Value&) {});
  CallbackProbe<std::string> statistics_refusal;
  toolkit.getter("k", [&subscription, done = statistics_refusal.callback()](
                          Result<std::optional<Value>>) {
    try {
      subscription.statistics();
      done(Result<std::string>::success("statistics returned"));
    } catch (const ValidationError& error) {
      done(Result<std::string>::success(error.key() + ": " + error.reason()));
    }
  });
  const std::string statistics_refused = statistics_refusal.wait().value();
  BOOST_TEST(statistics_refused.find("Subscription::statistics: a blocking call inside") == 0,
             statistics_refused);
  BOOST_TEST(subscription.statistics().channels.size() == 1u); // outside a callback it answers

  blocking.command({"SET", "counter", "1"});
  const auto committed = blocking.transaction(
      {"counter"}, {{"GET", "counter"}}, [&blocking](const std::vector<Reply>& read) {
        blocking.setter("other", 2); // a call of the caller's own, from the builder
        return std::vector<CommandArguments>{
            {"SET", "counter", std::to_string(std::stoi(read[0].as_string()) + 1)}};
      });
  BOOST_TEST(committed.has_value());
  BOOST_TEST(blocking.command({"GET", "counter"}).as_string() == "2");
  BOOST_TEST(blocking.getter("other")->as_int() == 2);
}
BOOST_FIXTURE_TEST_CASE(ten_thousand_operations_from_a_hundred_actors, rtk_test::ServerFixture) {
  caf::actor_system_config actor_config;
  actor_config.load<caf::io::middleman>();
  caf::actor_system system(actor_config);
  AsyncRedisToolkit toolkit(system, config());
  ToolkitActor redis = toolkit.actor();
  std::atomic<int> correct{0}, wrong{0};
  auto worker = [&](caf::event_based_actor* self, int id) {
    for (int i = 0; i < 50; ++i) {
      const std::string key = "w:" + std::to_string(id) + ":" + std::to_string(i);
      const Value expected = Value::list({id, i});
      self->request(redis, caf::infinite, setter_atom::value, key, expected)
          .then([=, &correct, &wrong](bool) {
            self->request(redis, caf::infinite, getter_atom::value, key)
                .then([=, &correct, &wrong](std::optional<Value>& back) {
                  (back && *back == expected) ? ++correct : ++wrong;
                },
                [&wrong](caf::error&) { ++wrong; });
          },
          [&wrong](caf::error&) { ++wrong; });
    }
  };
  for (int id = 0; id < 100; ++id) system.spawn(worker, id);
  rtk_test::wait_until([&] { return correct.load() + wrong.load() == 5000; }, 60s,
                       "10,000 operations answered");
  BOOST_TEST(wrong.load() == 0);
  BOOST_TEST(correct.load() == 5000);
}

BOOST_FIXTURE_TEST_CASE(twenty_thousand_calls_in_flight_share_messages_and_each_gets_its_answer,
                        rtk_test::ServerFixture) {
  // Calls made together travel together (one router message per round of a completion actor,
  // one pipeline per connection per round of the router): every call still gets its own answer,
  // and the pool's books balance afterwards.
  AsyncRedisToolkit toolkit(config());
  RedisToolkit blocking(config()); // the same pool, to read its statistics
  const auto before = blocking.pool_stats();
  constexpr int calls = 20000;
  std::vector<std::future<void>> writes;
  writes.reserve(calls);
  for (int i = 0; i < calls; ++i)
    writes.push_back(toolkit.set_raw("many:" + std::to_string(i), std::to_string(i * 7)));
  for (auto& write : writes) ready(std::move(write));
  std::atomic<int> correct{0}, wrong{0};
  for (int i = 0; i < calls; ++i)
    toolkit.get_raw("many:" + std::to_string(i),
                    [i, &correct, &wrong](Result<std::optional<std::string>> got) {
                      (got.ok() && got.value() == std::to_string(i * 7)) ? ++correct : ++wrong;
                    });
  rtk_test::wait_until([&] { return correct.load() + wrong.load() == calls; }, 60s, "every answer");
  BOOST_TEST(wrong.load() == 0);
  const auto after = blocking.pool_stats();
  BOOST_TEST(after.requests_in_flight == 0u);
  BOOST_TEST(after.requests_total - before.requests_total >= 2u * calls);
}

BOOST_FIXTURE_TEST_CASE(the_typed_actor_answers_every_message, rtk_test::ServerFixture) {
  caf::actor_system_config actor_config;
  actor_config.load<caf::io::middleman>();
  caf::actor_system system(actor_config);
  AsyncRedisToolkit own(system, config());
  ToolkitActor redis = own.actor();
  caf::scoped_actor self(system);
  // Asks the toolkit actor and waits for a reply of type T (or the error).
  auto ask = [&](auto reply_type, auto... message) {
    using T = typename decltype(reply_type)::type;
    std::optional<T> answer;
    std::optional<caf::error> failure;
    self->request(redis, 10s, message...)
        .receive([&](T& value) { answer = std::move(value); },
                 [&](caf::error& error) { failure = error; });
    return std::make_pair(answer, failure);
  };
  struct Bool { using type = bool; };
  struct Int { using type = std::int64_t; };
  struct Optional { using type = std::optional<Value>; };
  struct Batch { using type = BatchGetResult; };
  BOOST_TEST(*ask(Bool{}, setter_atom::value, std::string("k"), Value(1)).first);
  BOOST_TEST(*ask(Bool{}, setter_atom::value, std::string("t"), Value(2), std::int64_t{100}).first);
  BOOST_TEST((*ask(Optional{}, getter_atom::value, std::string("k")).first == std::optional<Value>(Value(1))));
  BOOST_TEST(*ask(Int{}, ttl_atom::value, std::string("t")).first > 90);
  BOOST_TEST(*ask(Bool{}, batch_set_atom::value, KeyValues{{"m1", 1}, {"m2", 2}}).first);
  auto many = *ask(Batch{}, batch_get_atom::value, std::vector<std::string>{"m2", "zz"}).first;
  BOOST_TEST(*many.at(0).second == Value(2));
  BOOST_TEST(!many.at(1).second.has_value());
  BOOST_TEST(*ask(Int{}, batch_delete_atom::value, std::vector<std::string>{"m1", "m2"}).first == 2);
  BOOST_TEST(*ask(Bool{}, deleter_atom::value, std::string("k")).first);
  BOOST_TEST(*ask(Int{}, publish_atom::value, std::string("c"), Value(1)).first == 0);
  BOOST_TEST(*ask(Bool{}, health_atom::value).first);
  auto refused = ask(Bool{}, setter_atom::value, std::string(600, 'k'), Value(1)).second;
  BOOST_REQUIRE(refused.has_value());
  BOOST_TEST((error_kind(*refused) == ErrorKind::validation));
  BOOST_CHECK_THROW(rethrow_error(*refused), ValidationError);
}

BOOST_FIXTURE_TEST_CASE(handler_actors_get_every_message_in_order, rtk_test::ServerFixture) {
  caf::actor_system_config actor_config;
  actor_config.load<caf::io::middleman>();
  caf::actor_system system(actor_config);
  AsyncRedisToolkit toolkit(system, config());
  std::mutex mutex;
  std::map<std::string, std::vector<Value>> received;
  auto handler = system.spawn(
      [&](caf::event_based_actor*, int) -> caf::behavior {
        return {[&](message_atom, const std::string& channel, const Value& value) {
          std::lock_guard<std::mutex> lock(mutex);
          received[channel].push_back(value);
        }};
      },
      0);
  auto subscription = ready(toolkit.subscribe({"one", "two"}, handler));
  std::vector<std::future<std::int64_t>> published;
  for (int i = 0; i < 500; ++i) {
    published.push_back(toolkit.publisher("one", i));
    published.push_back(toolkit.publisher("two", -i));
  }
  for (auto& each : published) ready(std::move(each));
  rtk_test::wait_until(
      [&] {
        std::lock_guard<std::mutex> lock(mutex);
        return received["one"].size() == 500 && received["two"].size() == 500;
      },
      10s, "1,000 messages");
  std::lock_guard<std::mutex> lock(mutex);
  for (int i = 0; i < 500; ++i) {
    BOOST_TEST(received["one"][i] == Value(i));
    BOOST_TEST(received["two"][i] == Value(-i));
  }
  caf::anon_send_exit(handler, caf::exit_reason::user_shutdown);
}

BOOST_FIXTURE_TEST_CASE(dynamic_subscriptions_without_blocking, rtk_test::ServerFixture) {
  AsyncRedisToolkit toolkit(config());
  std::atomic<int> messages{0};
  ready(toolkit.subscribe_dynamic("d", [&](const std::string&, const Value&) { ++messages; }));
  BOOST_TEST(ready(toolkit.publisher("d", 1)) == 1);
  rtk_test::wait_until([&] { return messages.load() == 1; }, 5s, "the message");
  BOOST_TEST(ready(toolkit.subscription_stats()).channels.size() == 1u);
  BOOST_TEST(ready(toolkit.resubscribe_channel("d")));
  BOOST_TEST(ready(toolkit.unsubscribe_dynamic("d")));
  BOOST_TEST(ready(toolkit.publisher("d", 2)) == 0);
}

BOOST_FIXTURE_TEST_CASE(a_server_killed_and_restarted_mid_run, rtk_test::ServerFixture) {
  auto settings = config();
  settings.socket_timeout = 1000ms;
  settings.connection_timeout = 500ms;
  RedisOptions options;
  options.retry_attempts = 1;
  options.subscriber_retry_delay = std::chrono::duration<double>(0.1);
  AsyncRedisToolkit toolkit(settings, options);
  std::atomic<int> messages{0};
  auto subscription =
      ready(toolkit.subscribe({"events"}, [&](const std::string&, const Value&) { ++messages; }));
  ready(toolkit.setter("k", 1));
  std::thread sleeper([&] {
    try {
      rtk_test::run_redis_cli(server.port(), {"DEBUG", "SLEEP", "3"}, 10s);
    } catch (...) {
    }
  });
  rtk_test::wait_until_asleep(server.port());
  std::vector<std::future<std::optional<Value>>> pending;
  for (int i = 0; i < 100; ++i) pending.push_back(toolkit.getter("k"));
  server.kill_hard();
  sleeper.join();
  int failed = 0;
  for (auto& each : pending) {
    try {
      ready(std::move(each));
    } catch (const ConnectionError&) {
      ++failed;
    }
  }
  BOOST_TEST(failed == 100);
  server.restart();
  rtk_test::wait_until([&] { return ready(toolkit.health_check()); }, 10s, "the toolkit to reconnect");
  ready(toolkit.setter("after", 2));
  rtk_test::wait_until([&] { return ready(toolkit.publisher("events", 1)) > 0; }, 10s,
                       "the subscriber to resume");
  rtk_test::wait_until([&] { return messages.load() >= 1; }, 5s, "a message after the restart");
}

BOOST_FIXTURE_TEST_CASE(values_larger_than_the_socket_buffer_keep_order_with_small_calls,
                        rtk_test::ServerFixture) {
  // A connection writes with send(2) while CAF's scribe holds nothing unsent and hands the rest
  // to the scribe; one hash tag keeps every call here on one connection, so a 6 MiB value that
  // the socket cannot take at once is followed by small calls that must queue behind it.
  // 18 MiB through one connection: under ThreadSanitizer, with another suite beside it, a reply
  // can take longer than the fixture's 2 s socket timeout, so these calls wait longer.
  RedisConnectionConfig large = config();
  large.socket_timeout = std::chrono::milliseconds(15000);
  AsyncRedisToolkit toolkit(large);
  std::vector<std::string> big;
  for (char fill : {'a', 'b', 'c'}) big.push_back(std::string(6 * 1024 * 1024, fill));
  std::vector<std::future<void>> writes;
  std::vector<std::future<std::optional<std::string>>> reads;
  for (int round = 0; round < 3; ++round) {
    writes.push_back(toolkit.set_raw("{big}:value" + std::to_string(round), big[round]));
    for (int i = 0; i < 50; ++i) {
      const std::string key = "{big}:small" + std::to_string(round * 50 + i);
      writes.push_back(toolkit.set_raw(key, std::to_string(round * 50 + i)));
      reads.push_back(toolkit.get_raw(key)); // after its own write: same connection, same order
    }
  }
  for (auto& write : writes) ready(std::move(write));
  for (std::size_t i = 0; i < reads.size(); ++i) {
    auto value = ready(std::move(reads[i]));
    BOOST_REQUIRE(value.has_value());
    BOOST_TEST(*value == std::to_string(i));
  }
  for (int round = 0; round < 3; ++round) {
    auto value = ready(toolkit.get_raw("{big}:value" + std::to_string(round)));
    BOOST_REQUIRE(value.has_value());
    BOOST_TEST(value->size() == big[round].size());
    BOOST_TEST((*value == big[round])); // compared whole, reported without printing 6 MiB
  }
  RedisToolkit blocking(large); // the same connections, from the blocking side
  BOOST_TEST(blocking.get_raw("{big}:small149").value_or("") == "149");
}

BOOST_FIXTURE_TEST_CASE(cleanup_with_work_in_flight_completes_every_call, rtk_test::ServerFixture) {
  AsyncRedisToolkit toolkit(config());
  ready(toolkit.setter("k", 1));
  std::thread sleeper([&] { rtk_test::run_redis_cli(server.port(), {"DEBUG", "SLEEP", "1"}); });
  rtk_test::wait_until_asleep(server.port());
  std::vector<std::future<std::optional<Value>>> pending;
  std::atomic<int> callbacks{0};
  for (int i = 0; i < 200; ++i) {
    pending.push_back(toolkit.getter("k"));
    toolkit.getter("k", [&callbacks](Result<std::optional<Value>>) { ++callbacks; });
  }
  toolkit.cleanup();
  for (auto& each : pending) {
    BOOST_REQUIRE(each.wait_for(5s) == std::future_status::ready);
    BOOST_CHECK_THROW(each.get(), ConnectionError);
  }
  rtk_test::wait_until([&] { return callbacks.load() == 200; }, 5s, "every callback");
  BOOST_CHECK_THROW(ready(toolkit.getter("k")), ConnectionError);
  sleeper.join();
}

BOOST_FIXTURE_TEST_CASE(a_slow_handler_is_bounded_and_stalls_no_other_channel, rtk_test::ServerFixture) {
  RedisOptions options;
  options.subscriber_mailbox_limit = 10;
  AsyncRedisToolkit toolkit(config(), options); // the flood's side, with a tiny backlog limit
  AsyncRedisToolkit calm_side(config());        // the default limit
  std::atomic<bool> release{false};
  // However this test ends, the stuck handler is let go (or the actor system never shuts down).
  std::shared_ptr<void> let_go(nullptr, [&release](void*) { release = true; });
  std::atomic<int> slow_handled{0}, fast_handled{0};
  auto slow = ready(toolkit.subscribe({"flood"}, [&](const std::string&, const Value&) {
    while (!release.load()) std::this_thread::sleep_for(1ms);
    ++slow_handled;
  }));
  auto fast = ready(calm_side.subscribe({"calm"}, [&](const std::string&, const Value&) { ++fast_handled; }));
  std::vector<std::future<std::int64_t>> published;
  for (int i = 0; i < 200; ++i) published.push_back(toolkit.publisher("flood", i));
  for (int i = 0; i < 50; ++i) published.push_back(toolkit.publisher("calm", i));
  for (auto& each : published) ready(std::move(each));
  // The calm channel is served while the flood's handler is stuck.
  rtk_test::wait_until([&] { return fast_handled.load() == 50; }, 10s, "the calm channel's 50 messages");
  BOOST_TEST(fast.statistics().dropped == 0u);
  rtk_test::wait_until([&] { return slow.statistics().messages == 200u; }, 10s,
                       "the subscriber to see the whole flood");
  auto flooded = slow.statistics();
  BOOST_TEST(flooded.dropped == 190u); // 10 waiting for the handler, the rest dropped and counted
  BOOST_TEST(flooded.channels.at(0).dropped == 190u);
  release = true;
  rtk_test::wait_until([&] { return slow_handled.load() == 10; }, 10s, "the 10 kept messages");
  BOOST_TEST(ready(toolkit.publisher("flood", 1)) == 1); // below the limit again: delivered
  rtk_test::wait_until([&] { return slow_handled.load() == 11; }, 10s, "delivery after the flood");
}

BOOST_AUTO_TEST_SUITE_END()
