#pragma once
// A real redis-server per test case, and a config pointing at it.

#include "redis_toolkit/config.hpp"
#include "redis_toolkit/server_launcher.hpp"

#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>

namespace rtk_test {

struct ServerFixture {
  redis_toolkit::RedisServerProcess server = redis_toolkit::RedisServerProcess::start();

  redis_toolkit::RedisConnectionConfig config() const {
    redis_toolkit::RedisConnectionConfig config;
    config.host = server.host();
    config.port = server.port();
    config.connection_timeout = std::chrono::milliseconds(2000);
    config.socket_timeout = std::chrono::milliseconds(2000);
    return config;
  }
};

/// Resumes a paused server (SIGCONT) whatever the test's outcome, so that its fixture can stop it,
/// or the cluster it belongs to recover.
struct Resume {
  redis_toolkit::RedisServerProcess& server;
  ~Resume() { server.resume(); }
};

/// Connection and socket timeouts of one second: with quick_health_checks, a frozen server is
/// found dead within about a second.
inline redis_toolkit::RedisConnectionConfig short_timeouts(redis_toolkit::RedisConnectionConfig config) {
  config.socket_timeout = std::chrono::milliseconds(1000);
  config.connection_timeout = std::chrono::milliseconds(1000);
  return config;
}

/// `options` with a health check (PING) after 0.3 s of silence on a connection.
inline redis_toolkit::RedisOptions quick_health_checks(redis_toolkit::RedisOptions options = {}) {
  options.health_check_interval = std::chrono::duration<double>(0.3);
  return options;
}

/// Waits until `condition` holds; fails the test with `what` after `limit`. Never loops forever.
inline void wait_until(const std::function<bool()>& condition, std::chrono::milliseconds limit,
                       const std::string& what) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("timed out after " + std::to_string(limit.count()) +
                               " ms waiting for: " + what);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

/// Waits until the server at `port` stops answering (a DEBUG SLEEP started by another thread has
/// begun), instead of guessing how long that takes.
inline void wait_until_asleep(std::uint16_t port) {
  wait_until([&] { return !redis_toolkit::redis_answers("127.0.0.1", port, std::chrono::milliseconds(100)); },
             std::chrono::seconds(10), "the server asleep in DEBUG SLEEP");
}

} // namespace rtk_test
