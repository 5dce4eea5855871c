// Pub/sub with a handler: every message arrives decoded, with its type, in order. Then a pattern
// subscription (psubscribe): the handler also learns which pattern matched which channel.
#include <redis_toolkit/local_redis.hpp>
#include <redis_toolkit/toolkit.hpp>

#include <condition_variable>
#include <iostream>
#include <mutex>

using redis_toolkit::Value;

int main() try {
  auto local = redis_toolkit::LocalRedis::connect_or_start();
  redis_toolkit::RedisToolkit toolkit(local.config());

  std::mutex mutex;
  std::condition_variable arrived;
  int received = 0;
  auto subscription = toolkit.subscribe(
      {"example:orders", "example:alerts"}, [&](const std::string& channel, const Value& message) {
        std::lock_guard<std::mutex> lock(mutex);
        std::cout << "[" << channel << "] " << message << "\n";
        ++received;
        arrived.notify_all();
      });

  toolkit.publisher("example:orders", Value::dict({{"id", 1}, {"items", Value::list({"tea", "cake"})}}));
  toolkit.publisher("example:alerts", "disk almost full");
  toolkit.publisher("example:orders", Value::dict({{"id", 2}, {"items", Value::list()}}));

  // Glob patterns: "example:sensor:*" matches every sensor channel. A message matching two
  // patterns comes once per pattern, as in Redis.
  int pattern_received = 0;
  auto patterns = toolkit.psubscribe(
      {"example:sensor:*", "example:*:kitchen"},
      [&](const std::string& pattern, const std::string& channel, const Value& message) {
        std::lock_guard<std::mutex> lock(mutex);
        std::cout << "[" << pattern << " -> " << channel << "] " << message << "\n";
        ++pattern_received;
        arrived.notify_all();
      });
  toolkit.publisher("example:sensor:garden", 18.5);
  toolkit.publisher("example:sensor:kitchen", 21.0); // matches both patterns: delivered twice

  std::unique_lock<std::mutex> lock(mutex);
  const bool all = arrived.wait_for(lock, std::chrono::seconds(5),
                                    [&] { return received == 3 && pattern_received == 3; });
  lock.unlock();
  subscription.stop();
  patterns.stop();
  std::cout << (all ? "pubsub_demo: ok" : "pubsub_demo: FAILED (messages missing)") << "\n";
  return all ? 0 : 1;
} catch (const std::exception& error) {
  std::cerr << "pubsub_demo: " << error.what() << "\n";
  return 1;
}
