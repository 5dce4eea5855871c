// Frozen and overloaded servers, made real: a redis-server stopped with SIGSTOP (its sockets stay
// open, nothing answers). Health checks find dead connections, subscribers included; calls beyond
// max_pending_calls fail at once; errors say what happened. Waits have deadlines, never sleeps.
#include "redis_cli.hpp"
#include "toolkit_fixture.hpp"

#include "redis_toolkit/async_toolkit.hpp"
#include "redis_toolkit/errors.hpp"
#include "redis_toolkit/toolkit.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

using namespace redis_toolkit;
using namespace std::chrono_literals;

namespace {

using rtk_test::Resume;
using rtk_test::short_timeouts;

/// Health checks every 0.3 s, on connections of the toolkit's own (no pool shared with others).
RedisOptions quick_health_checks() {
  RedisOptions options = rtk_test::quick_health_checks();
  options.use_connection_pool = false;
  return options;
}

/// The what() of the ConnectionError a subscribe on `toolkit` fails with.
std::string subscribe_failure(RedisToolkit& toolkit) {
  try {
    auto subscription = toolkit.subscribe({"ch"}, [](const std::string&, const Value&) {});
  } catch (const ConnectionError& error) {
    return error.what();
  }
  BOOST_FAIL("the subscribe must fail");
  return {};
}

/// A toolkit of its own with at most `bound` calls pending, whose calls never time out while the
/// server is stopped, and "k" stored.
AsyncRedisToolkit bounded_toolkit(RedisConnectionConfig connection, std::size_t bound) {
  connection.socket_timeout = 30000ms;
  RedisOptions options;
  options.max_pending_calls = bound;
  options.use_connection_pool = false;
  options.health_check_interval = std::chrono::duration<double>(0);
  AsyncRedisToolkit toolkit(connection, options);
  toolkit.setter("k", 1).get();
  return toolkit;
}

} // namespace

BOOST_AUTO_TEST_SUITE(fault_tests)

BOOST_FIXTURE_TEST_CASE(a_health_check_finds_a_frozen_server_and_the_pool_counts_it,
                        rtk_test::ServerFixture) {
  RedisToolkit toolkit(short_timeouts(config()), quick_health_checks());
  toolkit.setter("k", 1);
  BOOST_TEST(toolkit.pool_stats().connections_created == 1u);
  {
    server.pause();
    Resume resume{server};
    // Nobody calls: only the health check can notice.
    rtk_test::wait_until([&] { return toolkit.pool_stats().health_check_failures >= 1u; }, 15s,
                         "a health check failure while the server is stopped");
    BOOST_TEST(toolkit.pool_stats().connections_open == 0u);
  }
  rtk_test::wait_until(
      [&] {
        try {
          return toolkit.getter("k").value_or(Value()) == Value(1);
        } catch (const ConnectionError&) {
          return false;
        }
      },
      15s, "a call answered after SIGCONT");
  const PoolStatistics after = toolkit.pool_stats();
  BOOST_TEST(after.connections_created >= 2u); // TCP connections, not connection actors
  BOOST_TEST(after.reconnects >= 1u);
  BOOST_TEST(after.connections_open == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_subscriber_on_a_frozen_server_reconnects_and_resubscribes,
                        rtk_test::ServerFixture) {
  RedisToolkit toolkit(short_timeouts(config()), quick_health_checks());
  std::atomic<int> received{0};
  auto subscription = toolkit.subscribe({"frozen"}, [&](const std::string&, const Value&) {
    ++received;
  });
  BOOST_TEST(toolkit.publisher("frozen", 1) == 1);
  rtk_test::wait_until([&] { return received.load() == 1; }, 15s, "the first message");
  {
    server.pause();
    Resume resume{server};
    rtk_test::wait_until([&] { return subscription.statistics().reconnects >= 1u; }, 15s,
                         "the subscriber noticing the frozen server");
  }
  // Resubscribed by itself: a message published after SIGCONT arrives.
  rtk_test::wait_until(
      [&] {
        try {
          toolkit.publisher("frozen", 2);
        } catch (const ConnectionError&) {
        }
        return received.load() >= 2;
      },
      15s, "a message delivered after SIGCONT");
}

BOOST_FIXTURE_TEST_CASE(calls_beyond_max_pending_calls_fail_at_once, rtk_test::ServerFixture) {
  AsyncRedisToolkit toolkit = bounded_toolkit(config(), 100);
  constexpr int calls = 1000;
  auto overloaded = std::make_shared<std::atomic<int>>(0);
  auto answered = std::make_shared<std::atomic<int>>(0);
  auto other = std::make_shared<std::atomic<int>>(0);
  {
    server.pause();
    Resume resume{server};
    for (int i = 0; i < calls; ++i)
      toolkit.getter("k", [=](Result<std::optional<Value>> result) {
        try {
          result.value();
          ++*answered;
        } catch (const OverloadError& error) {
          if (std::string(error.what()).find("max_pending_calls") != std::string::npos)
            ++*overloaded;
        } catch (...) {
          ++*other;
        }
      });
    // Refused while the server is still stopped: at once, not after a timeout.
    rtk_test::wait_until([&] { return overloaded->load() >= calls - 100; }, 15s,
                         "calls beyond the bound refused while the server is stopped");
    BOOST_TEST(answered->load() == 0);
  }
  rtk_test::wait_until([&] { return overloaded->load() + answered->load() + other->load() == calls; },
                       15s, "every call completed after SIGCONT");
  BOOST_TEST(answered->load() == calls - overloaded->load());
  BOOST_TEST(answered->load() >= 1);
  BOOST_TEST(toolkit.getter("k").get().value_or(Value()) == Value(1)); // below the bound again
}

BOOST_FIXTURE_TEST_CASE(a_timeout_error_names_the_total_wait_and_the_attempts,
                        rtk_test::ServerFixture) {
  RedisConnectionConfig connection = config();
  connection.socket_timeout = 300ms;
  RedisOptions options;
  options.retry_attempts = 3;
  options.use_connection_pool = false;
  RedisToolkit toolkit(connection, options);
  toolkit.setter("k", 1);
  server.pause();
  Resume resume{server};
  try {
    toolkit.getter("k");
    BOOST_FAIL("a stopped server must time out");
  } catch (const TimeoutError& error) {
    const std::string what = error.what();
    BOOST_TEST(what.find("no reply within 300 ms") != std::string::npos, what);
    BOOST_TEST(what.find("3 attempts") != std::string::npos, what);
    BOOST_TEST(what.find("gave up after ") != std::string::npos, what);
  }
}

BOOST_FIXTURE_TEST_CASE(a_refused_subscribe_names_the_cause, rtk_test::ServerFixture) {
  rtk_test::run_redis_cli(server.port(), {"CONFIG", "SET", "requirepass", "right"});
  RedisConnectionConfig connection = config();
  connection.password = "wrong-secret";
  RedisToolkit toolkit(connection);
  const std::string refused = subscribe_failure(toolkit);
  BOOST_TEST(refused.find("WRONGPASS") != std::string::npos, refused);
  BOOST_TEST(refused.find("wrong-secret") == std::string::npos, refused);
  connection.password.reset();
  connection.port = 1; // nothing listens there
  RedisToolkit nowhere(connection);
  const std::string unreachable = subscribe_failure(nowhere);
  BOOST_TEST(unreachable.find("connect failed") != std::string::npos, unreachable);
}

BOOST_FIXTURE_TEST_CASE(a_stall_under_a_steady_call_rate_keeps_the_backlog_bounded,
                        rtk_test::ServerFixture) {
  // Calls keep coming at a steady pace (20 every millisecond) while the server is stopped: the
  // backlog stops at max_pending_calls, the rest are refused at once, and after SIGCONT every
  // call has completed one way or the other.
  AsyncRedisToolkit toolkit = bounded_toolkit(config(), 2000);
  constexpr int calls = 20000;
  auto overloaded = std::make_shared<std::atomic<int>>(0);
  auto completed = std::make_shared<std::atomic<int>>(0);
  {
    server.pause();
    Resume resume{server};
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < calls; ++i) {
      toolkit.getter("k", [=](Result<std::optional<Value>> result) {
        try {
          result.value();
        } catch (const OverloadError&) {
          ++*overloaded;
        } catch (...) {
        }
        ++*completed;
      });
      if (i % 20 == 19)
        std::this_thread::sleep_until(start + std::chrono::milliseconds((i + 1) / 20));
    }
    rtk_test::wait_until([&] { return overloaded->load() >= calls - 2000; }, 15s,
                         "every call beyond max_pending_calls refused during the stall");
  }
  rtk_test::wait_until([&] { return completed->load() == calls; }, 15s,
                       "every call completed after SIGCONT");
  BOOST_TEST(overloaded->load() == calls - 2000);
}

BOOST_AUTO_TEST_SUITE_END()
