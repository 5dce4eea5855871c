// What the async toolkit is for, in figures: N GETs one after another with the blocking
// RedisToolkit, against the same N GETs with AsyncRedisToolkit keeping 100 in flight (as futures,
// then as callbacks), on the same server and data. Figures are printed, never asserted: machines
// differ. A wrong value or an error exits 1.
//
//   example_async_performance_comparison [count]      (default 5000 GETs per run)
#include <redis_toolkit/async_toolkit.hpp>
#include <redis_toolkit/local_redis.hpp>
#include <redis_toolkit/toolkit.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <iomanip>
#include <iostream>
#include <mutex>

using redis_toolkit::AsyncRedisToolkit;
using redis_toolkit::RedisToolkit;
using redis_toolkit::Result;
using redis_toolkit::Value;

namespace {

constexpr std::size_t key_count = 100;
constexpr std::size_t in_flight = 100;

std::string key_of(std::size_t i) { return "example:async:perf:" + std::to_string(i % key_count); }
Value value_of(std::size_t i) { return Value::dict({{"id", i % key_count}, {"name", "item"}}); }

/// Every GET is checked, so that a fast but wrong run cannot pass.
void expect_value(const std::optional<Value>& read, std::size_t i) {
  if (read != value_of(i)) throw std::runtime_error("wrong value read for " + key_of(i));
}

class Stopwatch {
public:
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

double blocking_gets(RedisToolkit& toolkit, std::size_t count) {
  Stopwatch watch;
  for (std::size_t i = 0; i < count; ++i) expect_value(toolkit.getter(key_of(i)), i);
  return watch.seconds();
}

/// A sliding window of futures: wait for the oldest, start the next.
double future_gets(AsyncRedisToolkit& toolkit, std::size_t count) {
  Stopwatch watch;
  std::deque<std::future<std::optional<Value>>> window;
  std::size_t started = 0;
  for (std::size_t done = 0; done < count; ++done) {
    while (started < count && window.size() < in_flight)
      window.push_back(toolkit.getter(key_of(started++)));
    expect_value(window.front().get(), done);
    window.pop_front();
  }
  return watch.seconds();
}

/// Callbacks: each completion starts the next GET, so `in_flight` stay outstanding and no thread
/// waits for any one of them; run() waits once, for the whole batch.
class CallbackGets {
public:
  CallbackGets(AsyncRedisToolkit& toolkit, std::size_t count) : toolkit_(toolkit), count_(count) {}

  double run() {
    Stopwatch watch;
    for (std::size_t i = 0; i < in_flight; ++i) start_next();
    std::unique_lock<std::mutex> lock(mutex_);
    all_done_.wait(lock, [this] { return finished_ == count_; });
    if (failure_) std::rethrow_exception(failure_);
    return watch.seconds();
  }

private:
  void start_next() {
    const std::size_t i = next_++;
    if (i >= count_) return;
    toolkit_.getter(key_of(i), [this, i](Result<std::optional<Value>> read) {
      start_next(); // first: after finish() of the last GET, run() may return and end this object
      finish(read, i);
    });
  }

  void finish(const Result<std::optional<Value>>& read, std::size_t i) {
    std::exception_ptr error = read.error();
    if (!error) {
      try {
        expect_value(read.value(), i);
      } catch (...) {
        error = std::current_exception();
      }
    }
    std::lock_guard<std::mutex> lock(mutex_);
    if (error && !failure_) failure_ = error;
    if (++finished_ == count_) all_done_.notify_all();
  }

  AsyncRedisToolkit& toolkit_;
  const std::size_t count_;
  std::atomic<std::size_t> next_{0};
  std::mutex mutex_;
  std::condition_variable all_done_;
  std::size_t finished_ = 0;
  std::exception_ptr failure_;
};

void print_header() {
  std::cout << "  " << std::left << std::setw(44) << "run" << std::right << std::setw(10)
            << "seconds" << std::setw(10) << "GET/s" << std::setw(14) << "vs blocking"
            << "\n";
}

void print_row(const std::string& name, std::size_t count, double seconds, double baseline) {
  const double per_second = static_cast<double>(count) / seconds;
  std::cout << "  " << std::left << std::setw(44) << name << std::right << std::fixed
            << std::setprecision(3) << std::setw(10) << seconds << std::setprecision(0)
            << std::setw(10) << per_second << std::setprecision(1) << std::setw(13)
            << baseline / seconds << "x\n";
}

std::size_t count_from(int argc, char** argv) {
  if (argc < 2) return 5000;
  const long long count = std::atoll(argv[1]);
  if (count <= 0) throw std::invalid_argument("usage: performance_comparison [count > 0]");
  return static_cast<std::size_t>(count);
}

} // namespace

int main(int argc, char** argv) try {
  const std::size_t count = count_from(argc, argv);
  auto local = redis_toolkit::LocalRedis::connect_or_start();
  RedisToolkit blocking(local.config());
  AsyncRedisToolkit async(local.config());

  redis_toolkit::KeyValues data;
  for (std::size_t i = 0; i < key_count; ++i) data.emplace_back(key_of(i), value_of(i));
  blocking.batch_set(data);
  // Warm up: both toolkits have their connections open before the clocks start.
  expect_value(blocking.getter(key_of(0)), 0);
  expect_value(async.getter(key_of(0)).get(), 0);

  std::cout << count << " GETs of " << key_count << " keys on " << local.describe() << "\n";
  print_header();
  const double baseline = blocking_gets(blocking, count);
  print_row("RedisToolkit, one at a time", count, baseline, baseline);
  print_row("AsyncRedisToolkit, 100 futures in flight", count, future_gets(async, count), baseline);
  print_row("AsyncRedisToolkit, 100 callbacks in flight", count, CallbackGets(async, count).run(),
            baseline);

  std::vector<std::string> keys;
  for (const auto& entry : data) keys.push_back(entry.first);
  const bool cleaned = async.batch_delete(keys).get() == static_cast<std::int64_t>(key_count);
  std::cout << (cleaned ? "async/performance_comparison: ok"
                        : "async/performance_comparison: FAILED (cleanup)")
            << "\n";
  return cleaned ? 0 : 1;
} catch (const std::exception& error) {
  std::cerr << "async/performance_comparison: " << error.what() << "\n";
  return 1;
}
