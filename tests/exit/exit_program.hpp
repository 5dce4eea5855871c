#pragma once
// What the exit programs share: the server to use (from the environment, so that a toolkit at
// namespace scope can be made before main) and the scenarios each program plays before it ends.
// Each program must end with status 0 whatever was still open or pending; tests/integration/
// exit_tests.cpp runs them against a real redis-server.

#include "redis_toolkit/async_toolkit.hpp"
#include "redis_toolkit/toolkit.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <string>
#include <thread>

namespace rtk_exit {

/// 127.0.0.1:$RTK_EXIT_PORT (6379 when unset), short timeouts so that nothing waits long.
inline redis_toolkit::RedisConnectionConfig config_from_environment() {
  redis_toolkit::RedisConnectionConfig config;
  config.host = "127.0.0.1";
  const char* port = std::getenv("RTK_EXIT_PORT");
  config.port = port ? std::atoi(port) : 6379;
  config.connection_timeout = std::chrono::milliseconds(2000);
  config.socket_timeout = std::chrono::milliseconds(2000);
  return config;
}

/// A few calls on both fronts, so that connections are open.
inline void make_calls(redis_toolkit::RedisToolkit& blocking,
                       redis_toolkit::AsyncRedisToolkit& async) {
  blocking.setter("exit:blocking", 1);
  if (!blocking.getter("exit:blocking")) throw std::runtime_error("exit:blocking not read back");
  async.setter("exit:async", 2).get();
  if (!async.getter("exit:async").get()) throw std::runtime_error("exit:async not read back");
}

/// Calls still in flight when the program ends: async calls never waited for, and a thread
/// that keeps making blocking calls (detached: it is still inside one when the process exits).
inline void leave_calls_pending(redis_toolkit::RedisToolkit& blocking,
                                redis_toolkit::AsyncRedisToolkit& async) {
  for (int i = 0; i < 2000; ++i) {
    async.setter("exit:pending:" + std::to_string(i % 50), i, [](redis_toolkit::Result<void>) {});
    (void)async.getter("exit:pending:" + std::to_string(i % 50)); // a future nobody waits for
  }
  static std::atomic<bool> started{false}; // the thread outlives this function
  std::thread([&blocking] {
    for (long i = 0;; ++i) {
      try {
        blocking.setter("exit:loop", i);
      } catch (const std::exception&) {
        // cleaned up or closing while the process exits: keep trying until it ends
      }
      started = true;
    }
  }).detach();
  while (!started) std::this_thread::yield();
}

/// Opens a subscription on each front, and waits until a published message came through both.
inline void open_subscriptions(redis_toolkit::RedisToolkit& blocking,
                               redis_toolkit::AsyncRedisToolkit& async,
                               redis_toolkit::Subscription& blocking_subscription,
                               redis_toolkit::Subscription& async_subscription) {
  static std::atomic<int> received{0}; // a handler may run until the subscription stops
  auto handler = [](const std::string&, const redis_toolkit::Value&) { ++received; };
  blocking_subscription = blocking.subscribe({"exit:news"}, handler);
  async_subscription = async.subscribe({"exit:news"}, handler).get();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (received < 2 && std::chrono::steady_clock::now() < deadline) {
    blocking.publisher("exit:news", 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (received < 2) throw std::runtime_error("no message came through the subscriptions");
}

/// Another thread calls exit(0) while this one keeps making calls: exit() runs the static
/// destructors while the toolkits are in use.
[[noreturn]] inline void exit_from_another_thread(redis_toolkit::RedisToolkit& blocking,
                                                  redis_toolkit::AsyncRedisToolkit& async) {
  std::thread([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::exit(0);
  }).detach();
  for (long i = 0;; ++i) {
    try {
      blocking.setter("exit:racing", i);
      async.setter("exit:racing:async", i, [](redis_toolkit::Result<void>) {});
    } catch (const std::exception&) {
      // closing while the process exits
    }
  }
}

/// Plays `scenario` on the toolkits, then returns main's exit status.
inline int play(const std::string& scenario, redis_toolkit::RedisToolkit& blocking,
                redis_toolkit::AsyncRedisToolkit& async,
                redis_toolkit::Subscription& blocking_subscription,
                redis_toolkit::Subscription& async_subscription) {
  if (scenario == "no_call") return 0;
  make_calls(blocking, async);
  if (scenario == "calls") return 0;
  if (scenario == "cleanup") {
    blocking.cleanup();
    async.cleanup();
    return 0;
  }
  if (scenario == "pending") {
    leave_calls_pending(blocking, async);
    return 0;
  }
  if (scenario == "subscribed") {
    open_subscriptions(blocking, async, blocking_subscription, async_subscription);
    return 0;
  }
  if (scenario == "exit_from_thread") exit_from_another_thread(blocking, async);
  std::fprintf(stderr, "unknown scenario '%s'\n", scenario.c_str());
  return 2;
}

} // namespace rtk_exit
