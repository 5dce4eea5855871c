// What the async toolkit is for, in figures: N GETs one after another with the blocking
// RedisToolkit, against the same N GETs with AsyncRedisToolkit keeping 100 in flight (as futures,
// then as callbacks), and raw hiredis keeping 100 in flight on one connection (the floor: no
// decoding, no threads), on the same server and data. The plan's acceptance lines are two ratios:
// async >= 3x blocking (getter against getter), and >= 0.5x raw hiredis pipelining (get_raw
// against raw hiredis: both read the stored bytes, neither decodes them). Figures are printed,
// never asserted: machines differ. A wrong value or an error exits 1.
//
//   example_async_performance_comparison [count]      (default 20000 GETs per run, 3 rounds)
//
// 20,000 rather than fewer: raw hiredis reads 5,000 in about 5 ms, short enough for one
// scheduling hiccup to move a ratio by half.
#include <redis_toolkit/async_toolkit.hpp>
#include <redis_toolkit/local_redis.hpp>
#include <redis_toolkit/toolkit.hpp>

#include <hiredis/hiredis.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <iomanip>
#include <iostream>
#include <memory>
#include <mutex>
#include <vector>

using redis_toolkit::AsyncRedisToolkit;
using redis_toolkit::RedisToolkit;
using redis_toolkit::Result;
using redis_toolkit::Value;

namespace {

constexpr std::size_t key_count = 100;
constexpr std::size_t in_flight = 100;
constexpr int rounds = 3;

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

/// Raw hiredis: the same GETs, `in_flight` appended at a time on one connection
/// (redisAppendCommand, then redisGetReply, which sends what was appended), each reply's bytes
/// compared with what the toolkit stored.
double raw_hiredis_gets(const redis_toolkit::RedisConnectionConfig& config,
                        const std::vector<std::string>& stored, std::size_t count) {
  std::unique_ptr<redisContext, decltype(&redisFree)> context(
      redisConnect(config.host.c_str(), config.port), &redisFree);
  if (!context || context->err) throw std::runtime_error("hiredis could not connect");
  const auto command = [&](std::vector<std::string> arguments) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto& argument : arguments) {
      argv.push_back(argument.data());
      lengths.push_back(argument.size());
    }
    auto* reply = static_cast<redisReply*>(
        redisCommandArgv(context.get(), static_cast<int>(argv.size()), argv.data(), lengths.data()));
    const bool ok = reply != nullptr && reply->type != REDIS_REPLY_ERROR;
    freeReplyObject(reply);
    if (!ok) throw std::runtime_error("hiredis: " + arguments.front() + " failed");
  };
  if (config.password) {
    if (config.username) command({"AUTH", *config.username, *config.password});
    else command({"AUTH", *config.password});
  }
  if (config.db != 0) command({"SELECT", std::to_string(config.db)});

  Stopwatch watch;
  std::size_t sent = 0;
  const auto append_next = [&] {
    const std::string key = key_of(sent++);
    redisAppendCommand(context.get(), "GET %b", key.data(), key.size());
  };
  while (sent < count && sent < in_flight) append_next();
  for (std::size_t done = 0; done < count; ++done) {
    void* reply = nullptr;
    if (redisGetReply(context.get(), &reply) != REDIS_OK)
      throw std::runtime_error("hiredis: the connection failed");
    std::unique_ptr<redisReply, decltype(&freeReplyObject)> owned(static_cast<redisReply*>(reply),
                                                                  &freeReplyObject);
    const std::string& expected = stored[done % key_count];
    if (owned->type != REDIS_REPLY_STRING ||
        std::string(owned->str, owned->len) != expected)
      throw std::runtime_error("hiredis read wrong bytes for " + key_of(done));
    if (sent < count) append_next();
  }
  return watch.seconds();
}

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
/// waits for any one of them; run() waits once, for the whole batch. With `stored`, the GETs are
/// get_raw calls whose bytes are compared with it; without, getter calls decoding a Value.
class CallbackGets {
public:
  CallbackGets(AsyncRedisToolkit& toolkit, std::size_t count,
               const std::vector<std::string>* stored = nullptr)
      : toolkit_(toolkit), count_(count), stored_(stored) {}

  double run() {
    Stopwatch watch;
    for (std::size_t i = 0; i < in_flight; ++i) start_next();
    std::unique_lock<std::mutex> lock(mutex_);
    all_done_.wait(lock, [this] { return all_finished_; });
    if (failure_) std::rethrow_exception(failure_);
    return watch.seconds();
  }

private:
  void start_next() {
    const std::size_t i = next_++;
    if (i >= count_) return;
    // start_next() first: after finish() of the last GET, run() may return and end this object.
    if (stored_ != nullptr) {
      toolkit_.get_raw(key_of(i), [this, i](Result<std::optional<std::string>> read) {
        start_next();
        finish(read, [&] {
          if (read.value() != (*stored_)[i % key_count])
            throw std::runtime_error("wrong bytes read for " + key_of(i));
        });
      });
    } else {
      toolkit_.getter(key_of(i), [this, i](Result<std::optional<Value>> read) {
        start_next();
        finish(read, [&] { expect_value(read.value(), i); });
      });
    }
  }

  template <typename Read, typename Check>
  void finish(const Read& read, Check check) {
    std::exception_ptr error = read.error();
    if (!error) {
      try {
        check();
      } catch (...) {
        error = std::current_exception();
      }
    }
    // Callbacks run on CAF's I/O thread while the caller's thread may start more calls: the
    // common path touches an atomic only, the lock is for a failure and the last completion.
    if (error) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!failure_) failure_ = error;
    }
    if (finished_.fetch_add(1) + 1 == count_) {
      // The flag, set under the lock, is what run() waits for: it cannot return (and end this
      // object) between the count reaching count_ and this notification.
      std::lock_guard<std::mutex> lock(mutex_);
      all_finished_ = true;
      all_done_.notify_all();
    }
  }

  AsyncRedisToolkit& toolkit_;
  const std::size_t count_;
  const std::vector<std::string>* stored_;
  std::atomic<std::size_t> next_{0};
  std::mutex mutex_;
  std::condition_variable all_done_;
  std::atomic<std::size_t> finished_{0};
  bool all_finished_ = false; ///< guarded by mutex_
  std::exception_ptr failure_;
};

void print_header() {
  std::cout << "  " << std::left << std::setw(44) << "run" << std::right << std::setw(10)
            << "seconds" << std::setw(10) << "GET/s" << std::setw(14) << "vs blocking"
            << std::setw(12) << "vs hiredis" << "\n";
}

/// `blocking` and `hiredis`: the seconds of those runs, for the two ratios.
void print_row(const std::string& name, std::size_t count, double seconds, double blocking,
               double hiredis) {
  const double per_second = static_cast<double>(count) / seconds;
  std::cout << "  " << std::left << std::setw(44) << name << std::right << std::fixed
            << std::setprecision(3) << std::setw(10) << seconds << std::setprecision(0)
            << std::setw(10) << per_second << std::setprecision(1) << std::setw(13)
            << blocking / seconds << "x" << std::setprecision(2) << std::setw(11)
            << hiredis / seconds << "x\n";
}

double median(std::vector<double> seconds) {
  std::sort(seconds.begin(), seconds.end());
  return seconds[seconds.size() / 2];
}

std::size_t count_from(int argc, char** argv) {
  if (argc < 2) return 20000;
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

  std::vector<std::string> stored; // the bytes as stored, for raw hiredis to compare
  for (std::size_t i = 0; i < key_count; ++i) stored.push_back(*blocking.get_raw(key_of(i)));

  std::cout << count << " GETs of " << key_count << " keys on " << local.describe()
            << ", the median of " << rounds << " rounds\n";
  std::vector<double> hiredis, baseline, futures, callbacks, raw_callbacks; // seconds per round
  for (int round = 0; round < rounds; ++round) { // interleaved, so that a slow moment hits all
    hiredis.push_back(raw_hiredis_gets(local.config(), stored, count));
    baseline.push_back(blocking_gets(blocking, count));
    futures.push_back(future_gets(async, count));
    callbacks.push_back(CallbackGets(async, count).run());
    raw_callbacks.push_back(CallbackGets(async, count, &stored).run());
  }
  print_header();
  const double blocking_median = median(baseline), hiredis_median = median(hiredis);
  print_row("RedisToolkit, one at a time", count, blocking_median, blocking_median, hiredis_median);
  print_row("AsyncRedisToolkit, 100 futures in flight", count, median(futures), blocking_median,
            hiredis_median);
  print_row("AsyncRedisToolkit, 100 callbacks in flight", count, median(callbacks),
            blocking_median, hiredis_median);
  print_row("  the same with get_raw (bytes, like hiredis)", count, median(raw_callbacks),
            blocking_median, hiredis_median);
  print_row("raw hiredis, 100 appended in flight", count, hiredis_median, blocking_median,
            hiredis_median);

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
