// A Sentinel-managed master, lost and replaced, as callers see it. The toolkit is given only the
// sentinels and the master's name; it asks them for the master, checks its ROLE, and follows a
// failover by itself:
//   - a writer and a subscriber run while the example kills (SIGKILL) the master;
//   - until a replica is promoted (a few seconds here) calls fail with typed errors
//     (ConnectionError, TimeoutError), then the writer carries on with no reconnect code of its own;
//   - the subscriber moves to the new master and receives again;
//   - a write acknowledged by a replica (setter_durable: SET + WAIT) before the kill is still there.
//
// It starts its own deployment (LocalSentinel: a master, two replicas, three sentinels on free
// ports). Every wait has a deadline.
#include <redis_toolkit/local_sentinel.hpp>
#include <redis_toolkit/toolkit.hpp>

#include <atomic>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include "example_support.hpp"

using example::Checks;
using redis_toolkit::Value;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

long milliseconds_since(Clock::time_point from) {
  return static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - from).count());
}

template <typename Condition>
bool wait_until(Condition condition, std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  while (!condition()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

} // namespace

int main() try {
  Checks checks;
  std::cout << "starting a master, 2 replicas and 3 sentinels ...\n";
  auto deployment = redis_toolkit::LocalSentinel::start();

  redis_toolkit::RedisConnectionConfig config;
  config.sentinels = deployment.sentinel_addresses(); // in production: your sentinels' addresses
  config.sentinel_master_name = deployment.master_name();
  config.connection_timeout = 1s;
  config.socket_timeout = 1s;
  redis_toolkit::RedisOptions options;
  options.log_level = redis_toolkit::LogLevel::error; // warnings about the lost master are expected
  redis_toolkit::RedisToolkit toolkit(config, options);
  std::cout << "toolkit: " << config.describe() << "\n";

  // Acknowledged by at least one replica before the call returns: survives the master's loss.
  checks.expect(toolkit.setter_durable("example:sentinel:durable", "kept", 1, 2s) >= 1,
                "a durable write acknowledged by a replica");

  std::atomic<std::int64_t> received{0};
  auto subscription = toolkit.subscribe(
      {"example:sentinel:events"},
      [&received](const std::string&, const Value& message) { received = message.as_int(); });

  std::atomic<bool> stop{false};
  std::atomic<std::int64_t> last_round{0};
  std::mutex mutex;
  std::map<std::string, long> failures; // by error type
  Clock::time_point last_failure{};
  std::thread writer([&] {
    for (std::int64_t round = 1; !stop; ++round) {
      try {
        toolkit.setter("example:sentinel:counter", round);
        toolkit.publisher("example:sentinel:events", round);
        last_round = round;
      } catch (const redis_toolkit::TimeoutError&) { // before ConnectionError: it is one
        std::lock_guard<std::mutex> lock(mutex);
        ++failures["TimeoutError"];
        last_failure = Clock::now();
      } catch (const redis_toolkit::ConnectionError&) {
        std::lock_guard<std::mutex> lock(mutex);
        ++failures["ConnectionError"];
        last_failure = Clock::now();
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(mutex);
        ++failures[std::string("UNEXPECTED ") + e.what()];
      }
      std::this_thread::sleep_for(5ms); // a steady trickle, not a benchmark
    }
  });
  checks.expect(wait_until([&] { return last_round > 20 && received > 0; }, 10s),
                "the writer runs and the subscriber receives");

  const std::size_t old_master = deployment.master();
  std::cout << "killing the master " << deployment.server_addresses()[old_master] << "\n";
  const auto killed_at = Clock::now();
  deployment.server(old_master).kill_hard();
  const std::size_t new_master = deployment.wait_for_new_master(old_master, 30s);
  std::cout << "the sentinels promoted " << deployment.server_addresses()[new_master] << " after "
            << milliseconds_since(killed_at) << " ms\n";

  const std::int64_t round_then = last_round;
  checks.expect(wait_until([&] { return last_round > round_then + 50; }, 20s),
                "the writer carries on by itself");
  checks.expect(wait_until([&] { return received > round_then; }, 20s),
                "the subscriber receives again, from the new master");
  stop = true;
  writer.join();
  subscription.stop();

  {
    std::lock_guard<std::mutex> lock(mutex);
    for (const auto& [kind, count] : failures) {
      std::cout << "  " << count << " x " << kind << "\n";
      checks.expect(kind.rfind("UNEXPECTED", 0) != 0, "every error was a typed toolkit error");
    }
    if (!failures.empty())
      std::cout << "errors ended " << std::chrono::duration_cast<std::chrono::milliseconds>(
                                          last_failure - killed_at).count()
                << " ms after the kill\n";
  }
  checks.expect(toolkit.getter("example:sentinel:durable") == Value("kept"),
                "the durable write survived the master's loss");
  std::cout << "writer at round " << last_round << ", subscriber at " << received << "\n";
  return checks.finish("sentinel_failover");
} catch (const std::exception& e) {
  std::cerr << "sentinel_failover: " << e.what() << "\n";
  return 1;
}
