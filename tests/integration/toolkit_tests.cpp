// RedisToolkit, the blocking facade, against a real redis-server started by each test case.
#include "redis_cli.hpp"
#include "toolkit_fixture.hpp"

#include "redis_toolkit/actor_system.hpp"
#include "redis_toolkit/async_toolkit.hpp"
#include "redis_toolkit/toolkit.hpp"
#include "redis_toolkit/wire_format.hpp"

#include <boost/test/unit_test.hpp>

#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <algorithm>
#include <atomic>
#include <future>
#include <set>
#include <thread>

using namespace redis_toolkit;
using namespace std::chrono_literals;

namespace {

struct Order {
  std::string id;
  std::vector<int> quantities;
  double total = 0;
  template <class Archive>
  void serialize(Archive& archive) {
    archive(id, quantities, total);
  }
  bool operator==(const Order& other) const {
    return id == other.id && quantities == other.quantities && total == other.total;
  }
};

std::vector<Value> every_kind() {
  return {Value(),
          Value(true),
          Value(false),
          Value(0),
          Value(1),
          Value(-42),
          Value(3.5),
          Value("hé 你好"),
          Value(""),
          Value::bytes(std::string("\x00\x01\xff", 3)),
          Value::list({1, "two", 3.0, Value(), Value::bytes("x")}),
          Value::tuple({1, "x"}),
          Value::dict({{"a", 1}, {"b", Value::list({1, 2})}, {"c", Value::dict({{"d", Value()}})}})};
}

} // namespace

BOOST_AUTO_TEST_SUITE(toolkit_tests)

BOOST_FIXTURE_TEST_CASE(every_value_kind_round_trips, rtk_test::ServerFixture) {
  RedisToolkit toolkit(config());
  auto values = every_kind();
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::string key = "kind:" + std::to_string(i);
    toolkit.setter(key, values[i]);
    auto back = toolkit.getter(key);
    BOOST_REQUIRE(back.has_value());
    BOOST_TEST(*back == values[i], key << ": " << back->to_string() << " != " << values[i]);
  }
  BOOST_TEST(!toolkit.getter("no such key").has_value());
}

BOOST_FIXTURE_TEST_CASE(stored_bytes_are_the_wire_format_both_ways, rtk_test::ServerFixture) {
  RedisToolkit toolkit(config());
  for (const Value& value : every_kind()) {
    toolkit.setter("wire", value);
    BOOST_TEST(rtk_test::run_redis_cli(server.port(), {"GET", "wire"}) == serialize_value(value));
  }
  // Bytes written by another client (as the Python toolkit writes them) read back typed.
  rtk_test::run_redis_cli(server.port(), {"SET", "py", R"({"__type__": "int", "__data__": 1})"});
  BOOST_TEST(*toolkit.getter("py") == Value(1));
  rtk_test::run_redis_cli(server.port(), {"SET", "plain", "just text"});
  BOOST_TEST(*toolkit.getter("plain") == Value("just text"));
  rtk_test::run_redis_cli(server.port(), {"SET", "none", "__NONE__"});
  BOOST_TEST(toolkit.getter("none")->is_none());
}

BOOST_FIXTURE_TEST_CASE(deleter_ttl_and_expiry, rtk_test::ServerFixture) {
  RedisToolkit toolkit(config());
  toolkit.setter("k", 1);
  BOOST_TEST(toolkit.get_ttl("k") == -1);
  BOOST_TEST(toolkit.get_ttl("missing") == -2);
  toolkit.setter_with_ttl("t", "soon", 100);
  auto ttl = toolkit.get_ttl("t");
  BOOST_TEST((ttl > 90 && ttl <= 100));
  toolkit.setter_with_ttl("c", "chrono", std::chrono::minutes(2));
  BOOST_TEST(toolkit.get_ttl("c") > 100);
  BOOST_CHECK_THROW(toolkit.setter_with_ttl("bad", 1, 0), ValidationError);
  BOOST_CHECK_THROW(toolkit.setter_with_ttl("bad", 1, -5), ValidationError);
  BOOST_TEST(!toolkit.getter("bad").has_value());
  BOOST_TEST(toolkit.deleter("k"));
  BOOST_TEST(!toolkit.deleter("k"));
}

BOOST_FIXTURE_TEST_CASE(batches_keep_the_callers_order, rtk_test::ServerFixture) {
  RedisToolkit toolkit(config());
  KeyValues entries;
  for (int i = 0; i < 500; ++i) entries.emplace_back("b:" + std::to_string(i), Value::list({i, "v"}));
  toolkit.batch_set(entries);
  std::vector<std::string> keys = {"b:499", "missing", "b:0", "b:250"};
  auto got = toolkit.batch_get(keys);
  BOOST_REQUIRE_EQUAL(got.size(), 4u);
  BOOST_TEST(got[0].first == "b:499");
  BOOST_TEST(*got[0].second == Value::list({499, "v"}));
  BOOST_TEST(!got[1].second.has_value());
  BOOST_TEST(*got[2].second == Value::list({0, "v"}));
  BOOST_TEST(*got[3].second == Value::list({250, "v"}));
  BOOST_TEST(toolkit.batch_delete({"b:0", "b:1", "missing"}) == 2);
  BOOST_TEST(toolkit.batch_get({}).empty());
  toolkit.batch_set({});
}

BOOST_FIXTURE_TEST_CASE(a_batch_with_one_bad_item_writes_nothing, rtk_test::ServerFixture) {
  RedisToolkit toolkit(config());
  KeyValues entries = {{"good:1", 1}, {std::string(600, 'k'), 2}, {"good:2", 3}};
  try {
    toolkit.batch_set(entries);
    BOOST_FAIL("a key of 600 bytes must be refused");
  } catch (const ValidationError& error) {
    BOOST_TEST(std::string(error.what()).find("kkkk") != std::string::npos);
  }
  RedisOptions small;
  small.max_value_size = 64;
  RedisToolkit strict(config(), small);
  BOOST_CHECK_THROW(strict.batch_set({{"good:3", 1}, {"big", std::string(100, 'x')}}), ValidationError);
  BOOST_CHECK_THROW(strict.setter("big", std::string(100, 'x')), ValidationError);
  BOOST_TEST(rtk_test::run_redis_cli(server.port(), {"DBSIZE"}) == "0");
}

BOOST_FIXTURE_TEST_CASE(scan_lists_every_matching_key_once, rtk_test::ServerFixture) {
  RedisToolkit toolkit(config());
  KeyValues entries;
  for (int i = 0; i < 2500; ++i) entries.emplace_back("scan:" + std::to_string(i), i);
  entries.emplace_back("other:1", 1);
  toolkit.batch_set(entries);
  auto keys = toolkit.scan_keys("scan:*");
  BOOST_TEST(keys.size() == 2500u);
  std::set<std::string> unique(keys.begin(), keys.end());
  BOOST_TEST(unique.size() == 2500u);
  BOOST_TEST(unique.count("scan:2499") == 1u);
  BOOST_TEST(unique.count("other:1") == 0u);
  BOOST_TEST(toolkit.scan_keys("nothing:*").empty());
}

BOOST_FIXTURE_TEST_CASE(typed_values_through_cereal, rtk_test::ServerFixture) {
  RedisToolkit toolkit(config());
  Order order{"o-1", {1, 2, 3}, 9.5};
  toolkit.set("order", order);
  auto back = toolkit.get<Order>("order");
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST((*back == order));
  BOOST_TEST(!toolkit.get<Order>("missing").has_value());
  toolkit.setter("json", 1);
  BOOST_CHECK_THROW(toolkit.get<Order>("json"), SerializationError);
}

BOOST_FIXTURE_TEST_CASE(a_thousand_threads_get_their_own_answers, rtk_test::ServerFixture) {
  RedisToolkit toolkit(config());
  std::atomic<int> wrong{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 1000; ++t) {
    threads.emplace_back([&, t] {
      try {
        const std::string key = "thread:" + std::to_string(t);
        for (int round = 0; round < 5; ++round) {
          toolkit.setter(key, Value::list({t, round}));
          auto back = toolkit.getter(key);
          if (!back || *back != Value::list({t, round})) ++wrong;
        }
      } catch (...) {
        ++failed;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  BOOST_TEST(wrong.load() == 0);
  BOOST_TEST(failed.load() == 0);
}

BOOST_FIXTURE_TEST_CASE(server_killed_and_restarted, rtk_test::ServerFixture) {
  auto settings = config();
  settings.socket_timeout = 1000ms;
  settings.connection_timeout = 500ms;
  RedisOptions options;
  options.retry_attempts = 2;
  options.retry_delay = std::chrono::duration<double>(0.05);
  RedisToolkit toolkit(settings, options);
  toolkit.setter("before", 1);
  server.kill_hard();
  const auto started = std::chrono::steady_clock::now();
  BOOST_CHECK_THROW(toolkit.setter("during", 2), ConnectionError);
  BOOST_TEST((std::chrono::steady_clock::now() - started < 5s));
  BOOST_TEST(!toolkit.health_check());
  server.restart();
  toolkit.setter("after", 3);
  BOOST_TEST(*toolkit.getter("after") == Value(3));
  BOOST_TEST(toolkit.health_check());
}

BOOST_FIXTURE_TEST_CASE(in_flight_requests_fail_when_the_server_dies, rtk_test::ServerFixture) {
  auto settings = config();
  settings.socket_timeout = 3000ms;
  RedisOptions options;
  options.retry_attempts = 1;
  RedisToolkit toolkit(settings, options);
  toolkit.setter("x", 1);
  // DEBUG SLEEP holds the server; our GET waits in flight, then the server is killed under it.
  std::thread sleeper([&] {
    try {
      rtk_test::run_redis_cli(server.port(), {"DEBUG", "SLEEP", "5"}, 10s);
    } catch (...) {
    }
  });
  rtk_test::wait_until_asleep(server.port());
  std::thread killer([&] {
    // The kill comes once our GET is on the wire (in flight at the router), not after a guess.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (toolkit.pool_stats().requests_in_flight == 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(10ms);
    server.kill_hard();
  });
  const auto started = std::chrono::steady_clock::now();
  BOOST_CHECK_THROW(toolkit.getter("x"), ConnectionError);
  BOOST_TEST((std::chrono::steady_clock::now() - started < 3s));
  killer.join();
  sleeper.join();
}

BOOST_FIXTURE_TEST_CASE(client_kill_is_survived, rtk_test::ServerFixture) {
  RedisToolkit toolkit(config());
  toolkit.setter("k", "v");
  rtk_test::run_redis_cli(server.port(), {"CLIENT", "KILL", "TYPE", "normal"});
  // No pause: the next call may meet the killed connection before the toolkit noticed the close,
  // and must recover either way (reconnect, retry).
  BOOST_TEST(*toolkit.getter("k") == Value("v"));
}

BOOST_FIXTURE_TEST_CASE(debug_sleep_longer_than_the_socket_timeout_is_a_timeout, rtk_test::ServerFixture) {
  auto settings = config();
  settings.socket_timeout = 500ms;
  RedisOptions options;
  options.retry_attempts = 1;
  RedisToolkit toolkit(settings, options);
  toolkit.setter("k", 1);
  std::thread sleeper([&] { rtk_test::run_redis_cli(server.port(), {"DEBUG", "SLEEP", "2"}); });
  rtk_test::wait_until_asleep(server.port());
  const auto started = std::chrono::steady_clock::now();
  BOOST_CHECK_THROW(toolkit.getter("k"), TimeoutError);
  BOOST_TEST((std::chrono::steady_clock::now() - started < 1900ms));
  sleeper.join();
  BOOST_TEST(*toolkit.getter("k") == Value(1)); // the connection recovers by itself
}

BOOST_FIXTURE_TEST_CASE(health_check_never_throws, rtk_test::ServerFixture) {
  RedisToolkit toolkit(config());
  BOOST_TEST(toolkit.health_check());
  RedisConnectionConfig nowhere;
  nowhere.host = "127.0.0.1";
  nowhere.port = redis_toolkit::find_free_loopback_port();
  nowhere.connection_timeout = 300ms;
  RedisToolkit down(nowhere);
  const auto started = std::chrono::steady_clock::now();
  BOOST_TEST(!down.health_check());
  BOOST_TEST((std::chrono::steady_clock::now() - started < 3s));
  try {
    down.getter("k");
    BOOST_FAIL("a server that is down must give ConnectionError");
  } catch (const ConnectionError& error) {
    BOOST_TEST(error.server() == nowhere.host + ":" + std::to_string(nowhere.port));
  }
}

BOOST_FIXTURE_TEST_CASE(authentication_and_db_selection, rtk_test::ServerFixture) {
  rtk_test::run_redis_cli(server.port(), {"ACL", "SETUSER", "alice", "on", ">s3cret-pass", "~*", "+@all"});
  auto settings = config();
  settings.username = "alice";
  settings.password = "s3cret-pass";
  settings.db = 3;
  RedisToolkit toolkit(settings);
  toolkit.setter("in-db-3", 1);
  BOOST_TEST(rtk_test::run_redis_cli(server.port(), {"-n", "3", "EXISTS", "in-db-3"}) == "1");
  settings.password = "wrong-pass";
  RedisOptions once;
  once.retry_attempts = 1;
  RedisToolkit refused(settings, once);
  try {
    refused.getter("in-db-3");
    BOOST_FAIL("a wrong password must be refused");
  } catch (const ConnectionError& error) {
    BOOST_TEST(std::string(error.what()).find("wrong-pass") == std::string::npos);
    BOOST_TEST(std::string(error.what()).find("WRONGPASS") != std::string::npos);
  }
}

BOOST_FIXTURE_TEST_CASE(toolkits_of_one_server_share_connections, rtk_test::ServerFixture) {
  RedisToolkit first(config());
  RedisToolkit second(config());
  for (int i = 0; i < 50; ++i) {
    first.setter("a:" + std::to_string(i), i);
    second.setter("b:" + std::to_string(i), i);
  }
  auto seen_by_first = first.pool_stats();
  auto seen_by_second = second.pool_stats();
  // One pool: both see every request, and the connections are bounded by the pool size.
  BOOST_TEST(seen_by_first.requests_total >= 100u);
  BOOST_TEST(seen_by_first.requests_total == seen_by_second.requests_total);
  BOOST_TEST(seen_by_first.connections_created == seen_by_second.connections_created);
  // One pipelined connection per server by default, whatever the keys' slots.
  BOOST_TEST(seen_by_first.connections_created == 1u);
  // Standalone: the total is the one node's figures, and the server is "host:port".
  BOOST_TEST_REQUIRE(seen_by_first.nodes.size() == 1u);
  BOOST_TEST(seen_by_first.nodes.front().requests_total == seen_by_first.requests_total);
  BOOST_TEST(seen_by_first.server == server.host() + ":" + std::to_string(server.port()));
  auto list = rtk_test::run_redis_cli(server.port(), {"CLIENT", "LIST", "TYPE", "normal"});
  const auto clients = static_cast<std::uint64_t>(std::count(list.begin(), list.end(), '\n') + 1);
  BOOST_TEST(clients == seen_by_first.connections_open + 1); // + redis-cli itself
  RedisOptions own_pool;
  own_pool.use_connection_pool = false;
  RedisToolkit alone(config(), own_pool);
  alone.setter("c", 1);
  BOOST_TEST(alone.pool_stats().requests_total == 1u);

  RedisOptions four;
  four.max_connections = 4; // keys spread over up to 4 connections, each slot always on one
  RedisToolkit spread(config(), four);
  for (int i = 0; i < 50; ++i) spread.setter("d:" + std::to_string(i), i);
  for (int i = 0; i < 50; ++i) BOOST_TEST(spread.getter("d:" + std::to_string(i)).value_or(Value()) == Value(i));
  const auto spread_stats = spread.pool_stats();
  BOOST_TEST(spread_stats.connections_created > 1u);
  BOOST_TEST(spread_stats.connections_created <= 4u);
}

BOOST_FIXTURE_TEST_CASE(cleanup_leaves_no_connection_behind, rtk_test::ServerFixture) {
  auto clients = [&] {
    auto list = rtk_test::run_redis_cli(server.port(), {"CLIENT", "LIST"});
    return std::count(list.begin(), list.end(), '\n') + 1; // redis-cli itself is one of them
  };
  {
    RedisToolkit toolkit(config());
    toolkit.setter("k", 1);
    auto subscription = toolkit.subscribe({"ch"}, [](const std::string&, const Value&) {});
    toolkit.subscribe_dynamic("dyn", [](const std::string&, const Value&) {});
    BOOST_TEST(clients() == 4);
    toolkit.cleanup();
    BOOST_CHECK_THROW(toolkit.getter("k"), ConnectionError);
    // cleanup stops every subscriber, also those whose Subscription the caller still holds.
    BOOST_TEST(!subscription.active());
    rtk_test::wait_until([&] { return clients() == 1; }, 5s, "connections closed by cleanup");
  }
  rtk_test::wait_until([&] { return clients() == 1; }, 5s, "every toolkit connection closed");
}

BOOST_FIXTURE_TEST_CASE(no_actor_outlives_the_toolkit, rtk_test::ServerFixture) {
  caf::actor_system_config actor_config;
  actor_config.load<caf::io::middleman>();
  caf::actor_system system(actor_config);
  const auto baseline = system.registry().running();
  {
    RedisToolkit toolkit(system, config());
    toolkit.setter("k", 1);
    auto subscription = toolkit.subscribe({"ch"}, [](const std::string&, const Value&) {});
    toolkit.subscribe_dynamic("dyn", [](const std::string&, const Value&) {});
    BOOST_TEST(system.registry().running() > baseline);
  }
  rtk_test::wait_until([&] { return system.registry().running() == baseline; }, 5s,
                       "every toolkit actor finished");
}

BOOST_FIXTURE_TEST_CASE(the_shared_actor_system_runs_half_the_cores_in_workers,
                        rtk_test::ServerFixture) {
  // The toolkit's own system: max(1, cores / 2) workers, so that polling workers leave cores to
  // CAF's I/O thread and to Redis (ASYNC_GUIDE.md); a system of the caller's keeps its own.
  const std::size_t half = std::max<std::size_t>(1, std::thread::hardware_concurrency() / 2);
  BOOST_TEST(redis_toolkit::default_worker_count() == half);
  RedisToolkit shared(config());
  shared.setter("k", 1);
  BOOST_TEST(shared.system().scheduler().num_workers() == half);

  caf::actor_system_config actor_config;
  actor_config.load<caf::io::middleman>();
  actor_config.set("scheduler.max-threads", half + 2);
  caf::actor_system system(actor_config);
  {
    RedisToolkit own(system, config());
    BOOST_TEST(own.getter("k").value_or(Value()) == Value(1));
    BOOST_TEST(&own.system() == &system);
    BOOST_TEST(own.system().scheduler().num_workers() == half + 2);
  }
}

BOOST_FIXTURE_TEST_CASE(a_system_configured_like_the_toolkits_serves_async_calls,
                        rtk_test::ServerFixture) {
  // configure_actor_system(): the worker count asked for (or the default), and a scheduler that
  // runs the toolkit's actors, callbacks and the caller's own actors.
  for (const std::size_t workers : {std::size_t{0}, std::size_t{3}}) {
    caf::actor_system_config actor_config;
    actor_config.load<caf::io::middleman>();
    redis_toolkit::configure_actor_system(actor_config, workers);
    caf::actor_system system(actor_config);
    BOOST_TEST(system.scheduler().num_workers() ==
               (workers == 0 ? redis_toolkit::default_worker_count() : workers));
    {
      // Declared before the toolkit: a call still pending when it is destroyed completes then.
      constexpr int calls = 2000;
      std::atomic<int> answered{0}, right{0};
      std::promise<void> all_done;
      AsyncRedisToolkit toolkit(system, config());
      for (int i = 0; i < calls; ++i) {
        const std::string key = "configured:" + std::to_string(i % 50);
        toolkit.setter(key, i % 50).get();
        toolkit.getter(key, [&, i](Result<std::optional<Value>> read) {
          if (read.ok() && read.value() == std::optional<Value>(Value(i % 50))) ++right;
          if (++answered == calls) all_done.set_value();
        });
      }
      BOOST_TEST((all_done.get_future().wait_for(10s) == std::future_status::ready));
      BOOST_TEST(right.load() == calls);
      // An actor of the caller's own, on the same scheduler.
      caf::scoped_actor self{system};
      auto doubler = system.spawn([](caf::event_based_actor*, int) -> caf::behavior {
        return {[](int value) { return value * 2; }};
      }, 0);
      int doubled = 0;
      self->request(doubler, caf::infinite, 21).receive([&](int value) { doubled = value; },
                                                         [](caf::error&) {});
      BOOST_TEST(doubled == 42);
      caf::anon_send_exit(doubler, caf::exit_reason::user_shutdown);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
