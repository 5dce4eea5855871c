// The smallest process that makes the toolkit's GET path hot, for profilers that watch a whole
// process (heaptrack, strace -c, perf record): no harness, no baseline, no server in the process.
// `rtk bench` is where speed is measured against the peers; this is where its costs are counted.
//
//   profile_get blocking N [HOST PORT]           N blocking get_raw calls, one at a time
//   profile_get async N IN_FLIGHT [HOST PORT]    N async get_raw calls over 100 keys, IN_FLIGHT
//                                                kept in flight by the callbacks
//   profile_get getter N IN_FLIGHT [HOST PORT]   the same with the typed getter (it decodes the
//                                                wire format; the keys hold a stored string)
//
// PROFILE_GET_KEYS=N spreads the async calls over N keys instead of 100 (1: one key, so one
// pooled connection, as `rtk bench`'s in-flight rows read).
// Without HOST and PORT it uses LocalRedis (a throwaway redis-server with RTK_LOCAL_REDIS=
// throwaway); give a server started apart when the profiler follows children (strace -f).
// Prints the calls, the wall time and the process's CPU per call; exits 1 when a reply is wrong.
// Examples (docs/PERFORMANCE.md, "Where a GET's time goes"):
//   heaptrack build/tools/profile_get async 200000 10000 127.0.0.1 6399
//   strace -f -c build/tools/profile_get blocking 20000 127.0.0.1 6399
#include <redis_toolkit/async_toolkit.hpp>
#include <redis_toolkit/local_redis.hpp>
#include <redis_toolkit/toolkit.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
const std::string stored = "a value of 32 bytes for each key";

double cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec * 1e-6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

/// Every call's reply is checked: a profile of a path that fails would profile the wrong path.
bool blocking_gets(const redis_toolkit::RedisConnectionConfig& config, long calls) {
  redis_toolkit::RedisToolkit toolkit(config);
  toolkit.set_raw("profile:key", stored);
  for (long i = 0; i < calls; ++i) {
    const std::optional<std::string> value = toolkit.get_raw("profile:key");
    if (!value || *value != stored) return false;
  }
  return true;
}

bool async_gets(const redis_toolkit::RedisConnectionConfig& config, long calls, long in_flight,
                bool typed) {
  redis_toolkit::AsyncRedisToolkit toolkit(config);
  std::vector<std::string> keys;
  const char* key_count = std::getenv("PROFILE_GET_KEYS");
  const int count = key_count ? std::max(1, std::atoi(key_count)) : 100;
  for (int i = 0; i < count; ++i) {
    keys.push_back("profile:key:" + std::to_string(i));
    if (typed) toolkit.setter(keys.back(), redis_toolkit::Value(stored)).get();
    else toolkit.set_raw(keys.back(), stored).get();
  }
  std::mutex mutex;
  std::condition_variable finished;
  long started = std::min(in_flight, calls), completed = 0;
  std::atomic<bool> wrong{false};
  std::atomic<std::size_t> next{0};
  std::function<void()> start_one;
  // What a reply's callback does after checking it: counts it and keeps the window full.
  auto completed_one = [&] {
    bool another = false;
    {
      std::lock_guard<std::mutex> lock(mutex);
      ++completed;
      if (started < calls) {
        ++started;
        another = true;
      }
      if (completed == calls) finished.notify_one();
    }
    if (another) start_one(); // keeps the window full, from the completion's thread
  };
  start_one = [&] {
    const std::string& key = keys[next.fetch_add(1) % keys.size()];
    if (typed) {
      toolkit.getter(key, [&](redis_toolkit::Result<std::optional<redis_toolkit::Value>> result) {
        if (!result.ok() || !result.value() || result.value()->as_string() != stored) wrong = true;
        completed_one();
      });
      return;
    }
    toolkit.get_raw(key, [&](redis_toolkit::Result<std::optional<std::string>> result) {
      if (!result.ok() || !result.value() || *result.value() != stored) wrong = true;
      completed_one();
    });
  };
  for (long i = 0; i < std::min(in_flight, calls); ++i) start_one();
  std::unique_lock<std::mutex> lock(mutex);
  finished.wait(lock, [&] { return completed == calls; });
  return !wrong;
}

int usage() {
  std::cerr << "usage: profile_get blocking N [HOST PORT] | profile_get async|getter N IN_FLIGHT [HOST PORT]\n";
  return 2;
}

} // namespace

int main(int argc, char** argv) try {
  if (argc < 3) return usage();
  const std::string mode = argv[1];
  const long calls = std::atol(argv[2]);
  const bool typed = mode == "getter";
  const bool async = mode == "async" || typed;
  if ((!async && mode != "blocking") || calls <= 0 || (async && argc < 4)) return usage();
  const long in_flight = async ? std::atol(argv[3]) : 1;
  const int address_at = async ? 4 : 3;
  std::optional<redis_toolkit::LocalRedis> local;
  redis_toolkit::RedisConnectionConfig config;
  if (argc >= address_at + 2) {
    config.host = argv[address_at];
    config.port = std::atoi(argv[address_at + 1]);
  } else {
    local.emplace(redis_toolkit::LocalRedis::connect_or_start());
    config = local->config();
  }
  const double cpu_before = cpu_seconds();
  const auto begin = Clock::now();
  const bool right = async ? async_gets(config, calls, in_flight, typed) : blocking_gets(config, calls);
  const double wall = std::chrono::duration<double>(Clock::now() - begin).count();
  const double cpu = cpu_seconds() - cpu_before;
  std::cout << mode << ": " << calls << " calls (" << in_flight << " in flight) in " << wall
            << " s, " << static_cast<long>(calls / wall) << " calls/s, " << cpu * 1e6 / calls
            << " us of CPU per call (the toolkit's setup included)\n";
  if (!right) {
    std::cerr << "a GET answered something other than the value stored\n";
    return 1;
  }
  return 0;
} catch (const std::exception& error) {
  std::cerr << "profile_get: " << error.what() << "\n";
  return 1;
}
