// Scenarios 1-3 and 8 on the one redis-server: the blocking facade, calls in flight, many callers,
// and any command through command() and pipeline().
#include "measure.hpp"
#include "scenarios.hpp"

#include <redis_toolkit/wire_format.hpp>

#include <algorithm>

namespace rtk_bench {

using namespace redis_toolkit;

namespace {

constexpr const char* hiredis_sequential = "hiredis redisCommand";

/// Calls per second of `operation`, and the context switches each call cost the process.
constexpr const char* hiredis_async = "hiredis async (libevent)";

/// The value scenarios 2 and 3 read: a string of 100 bytes in the wire format, so that the typed
/// getter of the actor callers decodes what the other callers read as bytes.
void store_benchmark_value(RedisToolkit& toolkit) {
  toolkit.setter(benchmark_get_key, Value(text_of_size(100)));
}

} // namespace

void run_blocking(BenchContext& context, Scenario& scenario) {
  const long operations = context.sizes().sequential_operations;
  scenario.about = "One caller, one call at a time: the blocking facade's set_raw/get_raw against "
                   "hiredis redisCommand on its own connection, the same key and bytes, " +
                   with_thousands(operations) + " calls per figure. Context switches are the "
                   "whole process's (getrusage), per call.";
  RedisToolkit toolkit(context.server_config(), BenchContext::toolkit_options());
  const auto watched = context.watch(toolkit);
  RawConnection raw(context.server().host(), context.server().port());
  for (const std::size_t size : {std::size_t{100}, std::size_t{10240}}) {
    const std::string size_name = size == 100 ? "100 B" : "10 KiB";
    const std::string key = "bench:blocking:" + std::to_string(size);
    const std::string value = text_of_size(size);
    toolkit.set_raw(key, value);
    struct Case {
      std::string command;
      std::function<void()> toolkit_call;
      Arguments raw_command;
    };
    const std::vector<Case> cases = {
        {"SET", [&] { toolkit.set_raw(key, value); }, {"SET", key, value}},
        {"GET", [&] { toolkit.get_raw(key); }, {"GET", key}},
    };
    for (const Case& one : cases) {
      const std::string name = one.command + " " + size_name;
      Row& rate = scenario.row(name, "ops/s");
      Row& switches = scenario.row("context switches per " + name, "switches/op", 0, false);
      Row& cpu = scenario.row("CPU per " + name, "us/op", 0, false);
      context.each_round(scenario.id, name, [&] {
        const Measured facade = measure_calls(operations, [&] {
          return rate_of(operations, [&](long) { one.toolkit_call(); });
        });
        const Measured plain = measure_calls(
            operations, [&] { return raw_sequential(raw, operations, one.raw_command); });
        add_side(rate, cpu, "toolkit", facade);
        add_side(rate, cpu, hiredis_sequential, plain);
        switches.add("toolkit", facade.switches_per_call);
        switches.add(hiredis_sequential, plain.switches_per_call);
      });
    }
  }
}

void run_in_flight(BenchContext& context, Scenario& scenario) {
  const Sizes& sizes = context.sizes();
  scenario.about =
      "One caller keeping N GETs in flight: the async toolkit (get_raw with a callback that "
      "starts the next call) against raw hiredis keeping the same N appended "
      "(redisAppendCommand / redisGetReply), raw hiredis async on a libevent loop (each reply's "
      "callback sends the next GET) and `redis-benchmark -c 1 -P N`, all reading the "
      "key redis-benchmark reads (a 100-byte string in the wire format). CPU per GET is the "
      "whole process's user + system time over the calls. " +
      with_thousands(sizes.shallow_operations) + " GETs per figure at 1 and 10 in flight, " +
      with_thousands(sizes.deep_operations) + " from 100 on. The last rows keep 100 in flight "
      "over 100 keys holding the same value (no redis-benchmark figure: it reads one key), with "
      "get_raw and then with the typed getter, which also decodes each value (its rows show the "
      "figure of hiredis async from the same round). The memory "
      "row holds 10,000 GETs over those keys in flight at once while the server sleeps (DEBUG "
      "SLEEP) and reports the process's resident memory growth per call.";
  RedisToolkit blocking(context.server_config(), BenchContext::toolkit_options());
  store_benchmark_value(blocking);
  AsyncRedisToolkit toolkit(context.server_config(), BenchContext::toolkit_options());
  const auto watched_blocking = context.watch(blocking);
  const auto watched = context.watch(toolkit);
  RawConnection raw(context.server().host(), context.server().port());
  struct Sides {
    Measured toolkit, pipelined, event_loop;
  };
  // The toolkit, pipelined hiredis and hiredis async, one after another, each keeping `window`
  // GETs of `read` (in turn) in flight: each side's rate into `rate` and CPU per GET into `cpu`.
  const auto three_sides = [&](Row& rate, Row& cpu, long operations, long window,
                               const std::vector<std::string>& read) {
    std::vector<Arguments> gets;
    for (const std::string& key : read) gets.push_back({"GET", key});
    const Measured async = measure_calls(
        operations, [&] { return async_gets_in_flight(toolkit, read, window, operations); });
    const Measured plain =
        measure_calls(operations, [&] { return raw_window(raw, operations, window, gets); });
    const Measured event_loop = measure_calls(operations, [&] {
      return raw_async_window(context.server().host(), context.server().port(), operations, window,
                              gets);
    });
    add_side(rate, cpu, "toolkit async", async);
    add_side(rate, cpu, "hiredis pipelined", plain);
    add_side(rate, cpu, hiredis_async, event_loop);
    return Sides{async, plain, event_loop};
  };
  for (const long depth : {1L, 10L, 100L, 1000L, 10000L}) {
    const long operations = depth <= 10 ? sizes.shallow_operations : sizes.deep_operations;
    const std::string name = with_thousands(depth) + " in flight";
    Row& row = scenario.row(name, "ops/s", static_cast<double>(depth));
    Row& switches = scenario.row("context switches per GET, " + name, "switches/op", 0, false);
    Row& cpu = scenario.row("CPU per GET, " + name, "us/op", 0, false);
    context.each_round(scenario.id, name, [&] {
      const Sides sides = three_sides(row, cpu, operations, depth, {benchmark_get_key});
      row.add("redis-benchmark -P", redis_benchmark(context.server().port(), 1, operations,
                                                    static_cast<int>(depth)));
      switches.add("toolkit async", sides.toolkit.switches_per_call);
      switches.add("hiredis pipelined", sides.pipelined.switches_per_call);
    });
  }
  // As services use it: the same window over 100 keys (same value), whose slots spread the calls
  // over the pooled connections; raw hiredis cycles through the same 100 GETs.
  std::vector<std::string> keys;
  const std::string stored = blocking.get_raw(benchmark_get_key).value_or(std::string());
  for (int i = 0; i < 100; ++i) {
    keys.push_back(std::string(benchmark_get_key) + ":" + std::to_string(i));
    blocking.set_raw(keys.back(), stored);
  }
  const std::string name = "100 in flight, 100 keys";
  Row& spread = scenario.row(name, "ops/s");
  Row& spread_cpu = scenario.row("CPU per GET, " + name, "us/op", 0, false);
  // The typed getter over the same keys (it decodes each value from the wire format), beside the
  // figure of hiredis async that the same round measured for get_raw.
  Row& typed = scenario.row("getter, " + name, "ops/s");
  Row& typed_cpu = scenario.row("CPU per getter, " + name, "us/op", 0, false);
  context.each_round(scenario.id, name, [&] {
    const Sides sides = three_sides(spread, spread_cpu, sizes.deep_operations, 100, keys);
    const Measured getter = measure_calls(sizes.deep_operations, [&] {
      return async_getters_in_flight(toolkit, keys, 100, sizes.deep_operations);
    });
    add_side(typed, typed_cpu, "toolkit getter", getter);
    add_side(typed, typed_cpu, hiredis_async, sides.event_loop);
  });
  // Memory per call in flight: 10,000 GETs held pending at once while the server sleeps.
  Row& memory = scenario.row("resident memory per GET held in flight, 10,000 at once", "bytes/op", 0, false);
  context.each_round(scenario.id, "memory per call in flight", [&] {
    std::atomic<std::size_t> next{0};
    memory.add("toolkit async", resident_bytes_per_held_call(
                                    context.server().host(), context.server().port(), 10000,
                                    [&](std::function<void(bool)> done) {
                                      const std::string& key = keys[next.fetch_add(1) % keys.size()];
                                      toolkit.get_raw(key, [done = std::move(done)](
                                                               Result<std::optional<std::string>> result) {
                                        done(result.ok());
                                      });
                                    }));
  });
  blocking.batch_delete(keys);
}

void run_callers(BenchContext& context, Scenario& scenario) {
  const long operations = context.sizes().caller_operations;
  scenario.about =
      "N callers sharing one toolkit, each one call at a time: N threads on the blocking facade "
      "(get_raw), and N CAF actors asking the typed toolkit actor (getter, which also decodes the "
      "wire format), against `redis-benchmark -c N` (N connections), all reading the key "
      "redis-benchmark reads. " + with_thousands(operations) + " GETs per figure.";
  RedisToolkit blocking(context.server_config(), BenchContext::toolkit_options());
  store_benchmark_value(blocking);
  AsyncRedisToolkit async_toolkit(context.server_config(), BenchContext::toolkit_options());
  const auto watched_blocking = context.watch(blocking);
  const auto watched_async = context.watch(async_toolkit);
  // One redis-benchmark figure per round serves as the baseline of both rows of a count.
  const std::string baseline = "redis-benchmark -c";
  for (const int callers : {1, 10, 50, 200}) {
    const std::string count = std::to_string(callers);
    Row& threads = scenario.row(count + (callers == 1 ? " thread" : " threads"), "ops/s", callers);
    Row& actors = scenario.row(count + (callers == 1 ? " actor" : " actors"), "ops/s", callers);
    context.each_round(scenario.id, count + " callers", [&] {
      threads.add("toolkit, threads",
                  threads_rate(callers, operations, [&] { blocking.get_raw(benchmark_get_key); }));
      actors.add("toolkit, actors", actors_rate(async_toolkit, callers, operations, benchmark_get_key));
      const double benchmark = redis_benchmark(context.server().port(), callers, operations);
      threads.add(baseline, benchmark);
      actors.add(baseline, benchmark);
    });
  }
}

void run_commands(BenchContext& context, Scenario& scenario) {
  const Sizes& sizes = context.sizes();
  const long pipeline_length = std::min<long>(10000, sizes.deep_operations);
  scenario.about =
      "command({\"GET\", key}) (any command, a Reply back) against the toolkit's own get_raw and "
      "raw hiredis, on the key redis-benchmark reads: one blocking call at a time (" +
      with_thousands(sizes.sequential_operations) + " per figure) and async with 100 in flight (" +
      with_thousands(sizes.deep_operations) + "); then pipeline() of " +
      with_thousands(pipeline_length) + " GETs over 100 keys against hiredis appending the same "
      "commands and reading every reply (each round the median of 15 of each, interleaved).";
  RedisToolkit toolkit(context.server_config(), BenchContext::toolkit_options());
  store_benchmark_value(toolkit);
  AsyncRedisToolkit async_toolkit(context.server_config(), BenchContext::toolkit_options());
  const auto watched = context.watch(toolkit);
  const auto watched_async = context.watch(async_toolkit);
  RawConnection raw(context.server().host(), context.server().port());
  const std::string key = benchmark_get_key;
  toolkit.command({"GET", key}); // learns the COMMAND table before anything is timed
  async_toolkit.command({"GET", key}).get();

  Row& sequential = scenario.row("GET one at a time", "ops/s");
  context.each_round(scenario.id, sequential.name, [&] {
    const long operations = sizes.sequential_operations;
    sequential.add("command()", rate_of(operations, [&](long) { toolkit.command({"GET", key}); }));
    sequential.add("get_raw", rate_of(operations, [&](long) { toolkit.get_raw(key); }));
    sequential.add(hiredis_sequential, raw_sequential(raw, operations, {"GET", key}));
  });

  Row& in_flight = scenario.row("GET 100 in flight", "ops/s", 100);
  context.each_round(scenario.id, in_flight.name, [&] {
    const long operations = sizes.deep_operations;
    in_flight.add("command() async",
                  async_commands_in_flight(async_toolkit, {"GET", key}, 100, operations));
    in_flight.add("get_raw async", async_gets_in_flight(async_toolkit, key, 100, operations));
    in_flight.add("hiredis pipelined", raw_window(raw, operations, 100, {{"GET", key}}));
  });

  const std::string stored = toolkit.get_raw(key).value_or(std::string());
  std::vector<std::string> keys;
  for (int i = 0; i < 100; ++i) {
    keys.push_back(key + ":" + std::to_string(i));
    toolkit.set_raw(keys.back(), stored);
  }
  std::vector<Arguments> gets;
  for (long i = 0; i < pipeline_length; ++i) gets.push_back({"GET", keys[static_cast<std::size_t>(i % 100)]});
  Row& pipelined = scenario.row("pipeline of " + with_thousands(pipeline_length) + " GETs",
                                "ops/s", static_cast<double>(pipeline_length));
  // One pipeline takes milliseconds: each round is the median of several, the two sides
  // interleaved so that a burst of load elsewhere falls on both.
  constexpr int pipelines_per_round = 15;
  context.each_round(scenario.id, pipelined.name, [&] {
    std::vector<double> toolkit_rates, raw_rates;
    for (int i = 0; i < pipelines_per_round; ++i) {
      auto pipeline = toolkit.pipeline();
      for (const Arguments& get : gets) pipeline.add(get);
      const auto start = Clock::now();
      const std::size_t replies = pipeline.execute().size();
      toolkit_rates.push_back(static_cast<double>(replies) / seconds_since(start));
      raw_rates.push_back(raw_batches(raw, 1, gets));
    }
    auto median = [](std::vector<double>& rates) {
      std::nth_element(rates.begin(), rates.begin() + rates.size() / 2, rates.end());
      return rates[rates.size() / 2];
    };
    pipelined.add("pipeline()", median(toolkit_rates));
    pipelined.add("hiredis pipeline", median(raw_rates));
  });
  toolkit.batch_delete(keys);
}

void run_metrics_cost(BenchContext& context, Scenario& scenario) {
  const long operations = context.sizes().deep_operations;
  constexpr int keys_count = 100;
  constexpr long in_flight = 100;
  scenario.about =
      "What counting the per-command metrics costs: async get_raw keeping " +
      std::to_string(in_flight) + " calls in flight over " + std::to_string(keys_count) +
      " keys (as the in-flight scenario's last row), on a toolkit with RedisOptions::"
      "metrics_enabled = true against one with false (each toolkit its own router), " +
      with_thousands(operations) + " GETs per figure, the two sides one after the other in each "
      "round, which goes first alternating. CPU per call is the whole process's user + system "
      "time (getrusage) over the calls.";
  RedisOptions counted_options = BenchContext::toolkit_options();
  counted_options.metrics_enabled = true;
  RedisOptions uncounted_options = BenchContext::toolkit_options();
  uncounted_options.metrics_enabled = false;
  RedisToolkit blocking(context.server_config(), BenchContext::toolkit_options());
  AsyncRedisToolkit counted(context.server_config(), counted_options);
  AsyncRedisToolkit uncounted(context.server_config(), uncounted_options);
  const auto watched_blocking = context.watch(blocking);
  const auto watched_counted = context.watch(counted);
  const auto watched_uncounted = context.watch(uncounted);
  store_benchmark_value(blocking);
  const std::string stored = blocking.get_raw(benchmark_get_key).value_or(std::string());
  std::vector<std::string> keys;
  for (int i = 0; i < keys_count; ++i) {
    keys.push_back(std::string(benchmark_get_key) + ":metrics:" + std::to_string(i));
    blocking.set_raw(keys.back(), stored);
  }
  // Both toolkits connected and warm before anything is timed.
  async_gets_in_flight(counted, keys, in_flight, 1000);
  async_gets_in_flight(uncounted, keys, in_flight, 1000);

  const auto measure = [&](AsyncRedisToolkit& toolkit) {
    return measure_calls(operations,
                         [&] { return async_gets_in_flight(toolkit, keys, in_flight, operations); });
  };
  const std::string name = std::to_string(in_flight) + " in flight, " +
                           std::to_string(keys_count) + " keys";
  Row& rate = scenario.row(name, "ops/s", static_cast<double>(in_flight));
  Row& cpu = scenario.row("CPU per call, " + name, "us", 0, false);
  int round = 0;
  context.each_round(scenario.id, name, [&] {
    // Alternating which side goes first: a burst of load elsewhere, or a warmer cache, falls on
    // each side as often.
    Measured on{}, off{};
    if (round++ % 2 == 0) {
      on = measure(counted);
      off = measure(uncounted);
    } else {
      off = measure(uncounted);
      on = measure(counted);
    }
    rate.add("metrics on", on.rate); // the case under test first: the ratio is on over off
    rate.add("metrics off", off.rate);
    cpu.add("metrics on", on.cpu_us_per_call);
    cpu.add("metrics off", off.cpu_us_per_call);
  });
  scenario.notes.push_back(
      "Counting is, per call, its command's outcome counter and latency bucket, kept by the "
      "router; with metrics_enabled = false the toolkit gets a router of its own that leaves the "
      "commands' figures empty (connections, redirections and pub/sub are counted either way).");
  blocking.batch_delete(keys);
}

} // namespace rtk_bench
