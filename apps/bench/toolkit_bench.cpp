// The toolkit (blocking and async) vs raw hiredis vs redis-benchmark, side by side in one run on one
// server.   rtk_bench_toolkit [operations]      (default 20000; the test suite runs it with 2000)
// Starts its own redis-server on a free port. Figures are printed, never asserted. The whole
// suite, with a cluster, reports and charts, is `rtk bench`; both measure with measure.hpp.
#include "measure.hpp"

#include <redis_toolkit/server_launcher.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>

using namespace redis_toolkit;
using namespace rtk_bench;

namespace {

void print_row(const std::string& what, double toolkit, double baseline, const std::string& name) {
  std::printf("%-44s toolkit %10.0f ops/s   %-22s %10.0f ops/s   ratio %.2fx\n", what.c_str(),
              toolkit, name.c_str(), baseline, baseline > 0 ? toolkit / baseline : 0.0);
}

} // namespace

int main(int argc, char** argv) try {
  const long operations = argc > 1 ? std::atol(argv[1]) : 20000;
  auto server = RedisServerProcess::start();
  RedisConnectionConfig config;
  config.host = server.host();
  config.port = server.port();
  RedisToolkit toolkit(config);
  RawConnection raw(server.host(), server.port());
  const std::string key = "bench:k", value = "0123456789";
  toolkit.set_raw(key, value);
  std::printf("redis-toolkit benchmark: %ld operations per figure, redis-server on %s\n",
              operations, server.address().c_str());

  const double facade_set = rate_of(operations, [&](long) { toolkit.set_raw(key, value); });
  print_row("one caller, sequential SET", facade_set,
            raw_sequential(raw, operations, {"SET", key, value}), "hiredis redisCommand");
  const double facade_get = rate_of(operations, [&](long) { toolkit.get_raw(key); });
  print_row("one caller, sequential GET", facade_get, raw_sequential(raw, operations, {"GET", key}),
            "hiredis redisCommand");

  // batch_get decodes every value from the wire format; raw hiredis only copies bytes.
  toolkit.setter("bench:v", "0123456789");
  const long in_flight = 10000;
  const std::vector<std::string> keys(in_flight, "bench:v");
  const long rounds = std::max(1L, operations / in_flight);
  const double facade_pipelined =
      in_flight * rate_of(rounds, [&](long) { toolkit.batch_get(keys); });
  print_row("10,000 GETs in flight from one caller", facade_pipelined,
            raw_window(raw, rounds * in_flight, rounds * in_flight, {{"GET", "bench:v"}}),
            "hiredis pipelined");

  const int threads = 50;
  const double facade_threads = threads_rate(threads, operations, [&] { toolkit.get_raw(key); });
  // The plan's acceptance line: async with 100 operations in flight vs the blocking facade doing the
  // same GETs one after another (measured above), and vs raw hiredis pipelining.
  AsyncRedisToolkit async_toolkit(config);
  const double async_rate = async_gets_in_flight(async_toolkit, key, 100, operations);
  print_row("async, 100 GETs in flight", async_rate, facade_get, "blocking, one by one");
  print_row("async, 100 GETs in flight", async_rate, raw_window(raw, operations, 100, {{"GET", key}}),
            "hiredis, 100 in flight");
  print_row("async, 100 GETs in flight", async_rate,
            raw_window(raw, operations, operations, {{"GET", key}}), "hiredis, all in flight");

  print_row("50 threads sharing one toolkit, GET", facade_threads,
            redis_benchmark(server.port(), threads, operations), "redis-benchmark -c 50");
  return 0;
} catch (const std::exception& error) {
  std::cerr << "rtk_bench_toolkit: " << error.what() << "\n";
  return 1;
}
