// Scenario 10: what TLS costs the toolkit, against plain TCP on the same redis-server.
#include "measure.hpp"
#include "scenarios.hpp"

#include <redis_toolkit/wire_format.hpp>

namespace rtk_bench {

using namespace redis_toolkit;

namespace {

constexpr const char* tls_side = "TLS";
constexpr const char* plain_side = "plain TCP";

/// The two sides of one comparison, one after the other in each round, which goes first
/// alternating so that a burst of load elsewhere, or a warmer cache, falls on each as often.
void measure_both(BenchContext& context, Scenario& scenario, const std::string& name,
                  long operations, const std::function<double(bool tls)>& measure) {
  Row& rate = scenario.row(name, "ops/s");
  Row& cpu = scenario.row("CPU per call, " + name, "us", 0, false);
  int round = 0;
  context.each_round(scenario.id, name, [&] {
    Measured secure{}, plain{};
    const auto run = [&](bool tls) { return measure_calls(operations, [&] { return measure(tls); }); };
    if (round++ % 2 == 0) {
      secure = run(true);
      plain = run(false);
    } else {
      plain = run(false);
      secure = run(true);
    }
    rate.add(tls_side, secure.rate); // the case under test first: the ratio is TLS over plain
    rate.add(plain_side, plain.rate);
    cpu.add(tls_side, secure.cpu_us_per_call);
    cpu.add(plain_side, plain.cpu_us_per_call);
  });
}

} // namespace

void run_tls(BenchContext& context, Scenario& scenario) {
  const Sizes& sizes = context.sizes();
  constexpr int keys_count = 100;
  constexpr long in_flight = 100;
  scenario.about =
      "The same calls over TLS and over plain TCP, to one redis-server listening on both ports "
      "(TLS 1.3, a P-256 certificate from a throwaway CA, verified with its name): the blocking "
      "facade's get_raw one call at a time (" + with_thousands(sizes.sequential_operations) +
      " per figure), and async get_raw keeping " + std::to_string(in_flight) + " calls in flight "
      "over " + std::to_string(keys_count) + " keys holding a 100-byte value (" +
      with_thousands(sizes.deep_operations) + " per figure). Each side has its own toolkits "
      "(a router and connection each); the two sides run one after the other in each round, "
      "which goes first alternating. CPU per call is this process's user + system time "
      "(getrusage) over the calls: the client's encryption, not the server's.";
  RedisToolkit plain(context.tls_server_config(false), BenchContext::toolkit_options());
  RedisToolkit secure(context.tls_server_config(true), BenchContext::toolkit_options());
  AsyncRedisToolkit plain_async(context.tls_server_config(false), BenchContext::toolkit_options());
  AsyncRedisToolkit secure_async(context.tls_server_config(true), BenchContext::toolkit_options());
  const auto watched_plain = context.watch(plain);
  const auto watched_secure = context.watch(secure);
  const auto watched_plain_async = context.watch(plain_async);
  const auto watched_secure_async = context.watch(secure_async);

  std::vector<std::string> keys;
  for (int i = 0; i < keys_count; ++i) {
    keys.push_back("bench:tls:" + std::to_string(i));
    plain.setter(keys.back(), Value(text_of_size(100)));
  }
  const std::string& key = keys.front();
  // Every toolkit connected (the TLS ones past their handshakes) before anything is timed.
  secure.get_raw(key);
  plain.get_raw(key);
  async_gets_in_flight(secure_async, keys, in_flight, 1000);
  async_gets_in_flight(plain_async, keys, in_flight, 1000);

  measure_both(context, scenario, "GET one at a time", sizes.sequential_operations, [&](bool tls) {
    RedisToolkit& toolkit = tls ? secure : plain;
    return rate_of(sizes.sequential_operations, [&](long) { toolkit.get_raw(key); });
  });
  const std::string name = std::to_string(in_flight) + " in flight, " +
                           std::to_string(keys_count) + " keys";
  measure_both(context, scenario, name, sizes.deep_operations, [&](bool tls) {
    return async_gets_in_flight(tls ? secure_async : plain_async, keys, in_flight,
                                sizes.deep_operations);
  });
  scenario.notes.push_back(
      "Over TLS each read is decrypted into a buffer the connection keeps and each write "
      "encrypted into another (OpenSSL over memory BIOs, on the same CAF path as plain TCP); "
      "redis-server does the same work on its side, on the same cores.");
  scenario.notes.push_back(
      "CPU per call one at a time includes the blocked caller's brief watch for its reply (up "
      "to 100 us, yielding the core) on both sides: it follows the round trip's time more than "
      "the work done; the CPU per call at 100 in flight is the work.");
  plain.batch_delete(keys);
}

} // namespace rtk_bench
