// The toolkit (blocking and async) vs raw hiredis vs redis-benchmark, side by side in one run on one
// server.   rtk_bench_toolkit [operations]      (default 20000; the test suite runs it with 2000)
// Starts its own redis-server on a free port. Figures are printed, never asserted.
#include <redis_toolkit/server_launcher.hpp>
#include <redis_toolkit/async_toolkit.hpp>
#include <redis_toolkit/toolkit.hpp>

#include <hiredis/hiredis.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>

using namespace redis_toolkit;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

redisContext* connect_raw(std::uint16_t port) {
  redisContext* context = redisConnect("127.0.0.1", port);
  if (context == nullptr || context->err) throw std::runtime_error("hiredis cannot connect");
  return context;
}

double raw_sequential(std::uint16_t port, int operations, const char* command) {
  redisContext* context = connect_raw(port);
  auto start = Clock::now();
  for (int i = 0; i < operations; ++i) {
    auto* reply = static_cast<redisReply*>(
        std::string(command) == "SET" ? redisCommand(context, "SET bench:k %s", "0123456789")
                                      : redisCommand(context, "GET bench:k"));
    freeReplyObject(reply);
  }
  double rate = operations / seconds_since(start);
  redisFree(context);
  return rate;
}

double raw_pipelined(std::uint16_t port, int operations) {
  redisContext* context = connect_raw(port);
  auto start = Clock::now();
  for (int i = 0; i < operations; ++i) redisAppendCommand(context, "GET bench:k");
  for (int i = 0; i < operations; ++i) {
    void* reply = nullptr;
    redisGetReply(context, &reply);
    freeReplyObject(reply);
  }
  double rate = operations / seconds_since(start);
  redisFree(context);
  return rate;
}

/// Raw hiredis keeping `window` GETs in flight: the same work as the async toolkit's window.
double raw_pipelined_window(std::uint16_t port, int operations, int window) {
  redisContext* context = connect_raw(port);
  auto start = Clock::now();
  int sent = 0, received = 0;
  for (; sent < std::min(window, operations); ++sent) redisAppendCommand(context, "GET bench:k");
  while (received < operations) {
    void* reply = nullptr;
    redisGetReply(context, &reply); // flushes what was appended, then reads one reply
    freeReplyObject(reply);
    ++received;
    if (sent < operations) {
      redisAppendCommand(context, "GET bench:k");
      ++sent;
    }
  }
  double rate = operations / seconds_since(start);
  redisFree(context);
  return rate;
}

/// Requests per second that redis-benchmark reports for GET with `clients` connections.
double redis_benchmark(std::uint16_t port, int clients, int operations) {
  const std::string command = "redis-benchmark -p " + std::to_string(port) + " -c " +
                              std::to_string(clients) + " -n " + std::to_string(operations) +
                              " -t get -q 2>/dev/null";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return 0;
  std::string output;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  ::pclose(pipe);
  // The final "GET: 89126.56 requests per second"; progress lines ("GET: rps=...") do not parse.
  const std::string marker = "GET: ";
  const std::string unit = " requests per second";
  double rate = 0;
  for (auto at = output.find(marker); at != std::string::npos; at = output.find(marker, at + 1)) {
    const char* number = output.c_str() + at + marker.size();
    char* end = nullptr;
    const double parsed = std::strtod(number, &end);
    if (end != number && output.compare(static_cast<std::size_t>(end - output.c_str()), unit.size(), unit) == 0)
      rate = parsed;
  }
  return rate;
}

/// GETs per second through the async API keeping `in_flight` calls outstanding.
double async_gets_in_flight(AsyncRedisToolkit& toolkit, int in_flight, int operations) {
  std::mutex mutex;
  std::condition_variable finished;
  int started = 0, completed = 0, failures = 0;
  std::function<void()> start_one;
  start_one = [&] {
    toolkit.get_raw("bench:k", [&](Result<std::optional<std::string>> result) {
      std::lock_guard<std::mutex> lock(mutex);
      if (!result.ok()) ++failures;
      ++completed;
      if (started < operations) {
        ++started;
        start_one(); // keep the window full
      }
      if (completed == operations) finished.notify_one();
    });
  };
  const auto start = Clock::now();
  {
    std::lock_guard<std::mutex> lock(mutex);
    started = std::min(in_flight, operations);
  }
  for (int i = 0; i < std::min(in_flight, operations); ++i) start_one();
  std::unique_lock<std::mutex> lock(mutex);
  finished.wait(lock, [&] { return completed == operations; });
  if (failures > 0) throw std::runtime_error(std::to_string(failures) + " async GETs failed");
  return operations / seconds_since(start);
}

void print_row(const std::string& what, double toolkit, double baseline, const std::string& name) {
  std::printf("%-44s toolkit %10.0f ops/s   %-22s %10.0f ops/s   ratio %.2fx\n", what.c_str(),
              toolkit, name.c_str(), baseline, baseline > 0 ? toolkit / baseline : 0.0);
}

} // namespace

int main(int argc, char** argv) try {
  const int operations = argc > 1 ? std::atoi(argv[1]) : 20000;
  auto server = RedisServerProcess::start();
  RedisConnectionConfig config;
  config.host = server.host();
  config.port = server.port();
  RedisToolkit toolkit(config);
  toolkit.set_raw("bench:k", "0123456789");
  std::printf("redis-toolkit benchmark: %d operations per figure, redis-server on %s\n",
              operations, server.address().c_str());

  auto start = Clock::now();
  for (int i = 0; i < operations; ++i) toolkit.set_raw("bench:k", "0123456789");
  const double facade_set = operations / seconds_since(start);
  print_row("one caller, sequential SET", facade_set, raw_sequential(server.port(), operations, "SET"),
            "hiredis redisCommand");

  start = Clock::now();
  for (int i = 0; i < operations; ++i) toolkit.get_raw("bench:k");
  const double facade_get = operations / seconds_since(start);
  print_row("one caller, sequential GET", facade_get, raw_sequential(server.port(), operations, "GET"),
            "hiredis redisCommand");

  // batch_get decodes every value from the wire format; raw hiredis only copies bytes.
  toolkit.setter("bench:v", "0123456789");
  const int in_flight = 10000;
  std::vector<std::string> keys(in_flight, "bench:v");
  int rounds = std::max(1, operations / in_flight);
  start = Clock::now();
  for (int round = 0; round < rounds; ++round) toolkit.batch_get(keys);
  const double facade_pipelined = rounds * in_flight / seconds_since(start);
  print_row("10,000 GETs in flight from one caller", facade_pipelined,
            raw_pipelined(server.port(), rounds * in_flight), "hiredis pipelined");

  const int threads = 50;
  std::atomic<int> next{0};
  std::vector<std::thread> workers;
  start = Clock::now();
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&] {
      while (next.fetch_add(1) < operations) toolkit.get_raw("bench:k");
    });
  for (auto& worker : workers) worker.join();
  const double facade_threads = operations / seconds_since(start);
  // The plan's acceptance line: async with 100 operations in flight vs the blocking facade doing the
  // same GETs one after another (measured above), and vs raw hiredis pipelining.
  AsyncRedisToolkit async_toolkit(config);
  const double async_rate = async_gets_in_flight(async_toolkit, 100, operations);
  print_row("async, 100 GETs in flight", async_rate, facade_get, "blocking, one by one");
  print_row("async, 100 GETs in flight", async_rate,
            raw_pipelined_window(server.port(), operations, 100), "hiredis, 100 in flight");
  print_row("async, 100 GETs in flight", async_rate, raw_pipelined(server.port(), operations),
            "hiredis, all in flight");

  const double benchmark_rate = redis_benchmark(server.port(), threads, operations);
  print_row("50 threads sharing one toolkit, GET", facade_threads, benchmark_rate,
            "redis-benchmark -c 50");
  if (benchmark_rate <= 0) {
    std::cerr << "rtk_bench_toolkit: no figure from redis-benchmark (is it installed?)\n";
    return 1;
  }
  return 0;
} catch (const std::exception& error) {
  std::cerr << "rtk_bench_toolkit: " << error.what() << "\n";
  return 1;
}
