// AsyncRedisToolkit in one page: the same operations as RedisToolkit, started without blocking,
// finished through a std::future or a callback that receives a Result<T>; errors arrive the same
// two ways. Runs against 127.0.0.1:6379, or a throwaway redis-server when nothing answers there.
#include <redis_toolkit/async_toolkit.hpp>
#include <redis_toolkit/local_redis.hpp>

#include <condition_variable>
#include <iostream>
#include <mutex>

#include "example_support.hpp"

using example::Checks;
using redis_toolkit::AsyncRedisToolkit;
using redis_toolkit::Result;
using redis_toolkit::Value;

namespace {

/// Every key the tour may write; deleted at the end.
const std::vector<std::string> example_keys = {
    "example:async:user", "example:async:session", "example:async:a",
    "example:async:b",    "example:async:counter", "example:async:bad-ttl",
};

/// Lets main() wait for callbacks: they run on the toolkit's completion actor, and the program
/// must neither read their results nor end before they ran. No time limit is needed: every call
/// completes exactly once, at worst with a ConnectionError after the socket timeout and retries.
class Countdown {
public:
  explicit Countdown(int count) : count_(count) {}
  void count_down() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (--count_ == 0) zero_.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    zero_.wait(lock, [this] { return count_ == 0; });
  }

private:
  std::mutex mutex_;
  std::condition_variable zero_;
  int count_;
};

std::string describe(const std::optional<Value>& value) {
  return value ? value->to_string() : "(missing)";
}

// Futures: start several operations at once, collect each result where it is needed.
void tour_futures(AsyncRedisToolkit& toolkit, Checks& checks) {
  std::cout << "-- futures\n";
  const Value user = Value::dict({{"name", "Ada"}, {"langs", Value::list({"C++", "Python"})}});
  std::future<void> stored = toolkit.setter("example:async:user", user);
  std::future<void> session = toolkit.setter_with_ttl("example:async:session", "token-123", 1800);
  std::future<void> batch = toolkit.batch_set({{"example:async:a", 1}, {"example:async:b", 2.5}});
  // Only calls on one key keep their order; batches and calls on other keys may overtake one
  // another. So wait for the writes before reading them back.
  stored.get(); // rethrows the typed error, if any
  session.get();
  batch.get();

  auto read = toolkit.getter("example:async:user");
  auto ttl = toolkit.get_ttl("example:async:session");
  auto pair = toolkit.batch_get({"example:async:b", "example:async:missing"});
  const std::optional<Value> back = read.get();
  const std::int64_t seconds_left = ttl.get();
  const redis_toolkit::BatchGetResult both = pair.get();

  std::cout << "user    -> " << describe(back) << "\n";
  std::cout << "session -> ttl " << seconds_left << " s\n";
  for (const auto& [key, value] : both)
    std::cout << "batch   " << key << " -> " << describe(value) << "\n";

  checks.expect(back == user, "getter returns the dict as it was stored");
  checks.expect(seconds_left > 0 && seconds_left <= 1800, "setter_with_ttl set an expiry");
  checks.expect(both.size() == 2 && both[0].second == Value(2.5) && !both[1].second,
                "batch_get answers in the caller's order, nullopt for a missing key");
}

// Callbacks: the reply is handled where it arrives; no thread waits for it. A callback may start
// the next call (here: read back what was just written) but must not block on a future.
void tour_callbacks(AsyncRedisToolkit& toolkit, Checks& checks) {
  std::cout << "-- callbacks\n";
  Countdown pending(2);
  std::optional<Value> counter;
  bool healthy = false;

  toolkit.setter("example:async:counter", 41, [&](Result<void> stored) {
    if (!stored.ok()) return pending.count_down();
    toolkit.getter("example:async:counter", [&](Result<std::optional<Value>> read) {
      if (read.ok()) counter = read.value();
      pending.count_down();
    });
  });
  toolkit.health_check([&](Result<bool> answer) { // health_check never fails: false instead
    healthy = answer.value();
    pending.count_down();
  });

  pending.wait();
  std::cout << "counter -> " << describe(counter) << ", healthy -> " << std::boolalpha << healthy
            << "\n";
  checks.expect(counter == Value(41), "a callback chained a getter after its setter");
  checks.expect(healthy, "health_check answered true");
}

// Errors: a refused request completes like any other, with the typed error; nothing was sent.
void tour_errors(AsyncRedisToolkit& toolkit, Checks& checks) {
  std::cout << "-- errors\n";
  const std::string long_key(600, 'k'); // max_key_length is 512 by default
  bool future_refused = false;
  try {
    toolkit.setter(long_key, 1).get();
  } catch (const redis_toolkit::ValidationError& error) {
    future_refused = true;
    std::cout << "future   -> " << error.reason() << "\n";
  }
  checks.expect(future_refused, "a too-long key is a ValidationError from future.get()");

  Countdown pending(1);
  std::exception_ptr failure;
  toolkit.setter_with_ttl("example:async:bad-ttl", "never stored", 0, [&](Result<void> stored) {
    failure = stored.error(); // or stored.value(), which rethrows it
    pending.count_down();
  });
  pending.wait();
  bool callback_refused = false;
  try {
    if (failure) std::rethrow_exception(failure);
  } catch (const redis_toolkit::ValidationError& error) {
    callback_refused = true;
    std::cout << "callback -> " << error.what() << "\n";
  }
  checks.expect(callback_refused, "a TTL of 0 is a ValidationError in the callback's Result");
  checks.expect(!toolkit.getter("example:async:bad-ttl").get(), "a refused setter wrote nothing");
}

} // namespace

int main() try {
  auto local = redis_toolkit::LocalRedis::connect_or_start();
  std::cout << "Redis: " << local.describe() << "\n";
  AsyncRedisToolkit toolkit(local.config());
  Checks checks;

  tour_futures(toolkit, checks);
  tour_callbacks(toolkit, checks);
  tour_errors(toolkit, checks);

  const std::int64_t removed = toolkit.batch_delete(example_keys).get();
  std::cout << "removed " << removed << " keys\n";
  checks.expect(removed == 5, "batch_delete removed the five keys the tour wrote");
  return checks.finish("async/basic_usage");
} catch (const std::exception& error) {
  std::cerr << "async/basic_usage: " << error.what() << "\n";
  return 1;
}
