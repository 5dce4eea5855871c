#pragma once
// What the benchmarks measure, shared by rtk_bench_toolkit and `rtk bench`: rates of the toolkit's
// fronts and of their baselines (raw hiredis, redis-benchmark), each on the server and data the
// caller gives, so that both sides of a comparison run in one process on one server.
//
//   rtk_bench::RawConnection raw("127.0.0.1", port);
//   double toolkit = rtk_bench::rate_of(20000, [&](long) { toolkit.get_raw("k"); });
//   double hiredis = rtk_bench::raw_sequential(raw, 20000, {"GET", "k"});

#include "results.hpp"

#include <redis_toolkit/async_toolkit.hpp>
#include <redis_toolkit/toolkit.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

struct redisContext;

namespace rtk_bench {

using Clock = std::chrono::steady_clock;
/// A command's arguments, "GET" first.
using Arguments = std::vector<std::string>;

double seconds_since(Clock::time_point start);

/// Calls per second of `operation(index)` called `operations` times one after another.
template <typename Operation>
double rate_of(long operations, Operation&& operation) {
  const auto start = Clock::now();
  for (long index = 0; index < operations; ++index) operation(index);
  return static_cast<double>(operations) / seconds_since(start);
}

/// The process's context switches so far (voluntary and involuntary, every thread): what a call
/// costs in hand-overs between threads shows as the difference around it.
long context_switches();

/// The CPU time the process has used so far, user and system, every thread (getrusage): the
/// difference around some calls, over their number, is what each cost the process.
double process_cpu_seconds();

/// The CPU time the processes `pids` have used so far, every thread, in seconds (the kernel's
/// nanosecond run time, /proc/PID/task/TID/schedstat): the servers' side of what some calls cost.
/// A process or thread that is gone counts for nothing.
double processes_cpu_seconds(const std::vector<int>& pids);

/// What some calls cost: their rate, and per call the process's context switches and CPU time,
/// and the servers' CPU time when measure_calls was given their processes.
struct Measured {
  double rate;              ///< calls per second
  double switches_per_call; ///< context_switches() over the calls
  double cpu_us_per_call;   ///< process_cpu_seconds() over the calls, in microseconds
  double servers_cpu_us_per_call = 0; ///< processes_cpu_seconds(servers) over the calls, in us
};

/// Runs `measure` (which makes `operations` calls and returns their rate) and what they cost,
/// to this process and to the processes `servers`.
template <typename Measure>
Measured measure_calls(long operations, Measure&& measure, const std::vector<int>& servers = {}) {
  const long switches_before = context_switches();
  const double cpu_before = process_cpu_seconds();
  const double servers_before = servers.empty() ? 0 : processes_cpu_seconds(servers);
  const double rate = measure();
  const double calls = static_cast<double>(operations);
  const double servers_cpu = servers.empty() ? 0 : processes_cpu_seconds(servers) - servers_before;
  return {rate, static_cast<double>(context_switches() - switches_before) / calls,
          (process_cpu_seconds() - cpu_before) * 1e6 / calls, servers_cpu * 1e6 / calls};
}

/// One side's figures into a comparison's rows: its rate into `rate`, its CPU per call into `cpu`.
inline void add_side(Row& rate, Row& cpu, const std::string& side, const Measured& measured) {
  rate.add(side, measured.rate);
  cpu.add(side, measured.cpu_us_per_call);
}

/// One plain hiredis connection: the baseline every comparison runs against.
class RawConnection {
public:
  /// Connects with a 10 s socket timeout; throws std::runtime_error naming the address.
  RawConnection(const std::string& host, std::uint16_t port);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  /// Sends one command and waits for its reply; throws on an error reply or a broken connection.
  void command(const Arguments& arguments);
  /// Queues a command (sent by the next read) / reads one reply, as hiredis pipelining does.
  void append(const Arguments& arguments);
  /// The reply's payload: the string of a bulk reply, the third element of a pub/sub message.
  std::string read_reply();
  redisContext* context() const noexcept { return context_; }

private:
  redisContext* context_ = nullptr;
  std::string address_;
};

/// Commands per second of `command`, one at a time (redisCommandArgv).
double raw_sequential(RawConnection& connection, long operations, const Arguments& command);
/// Commands per second keeping `window` of them in flight: commands[i % size] is the i-th.
/// A window of `operations` or more sends everything before reading the first reply.
double raw_window(RawConnection& connection, long operations, long window,
                  const std::vector<Arguments>& commands);
/// The same window through hiredis' async API on a libevent loop of its own (a connection of its
/// own to host:port), the loop running on this thread: what an async hiredis user gets.
double raw_async_window(const std::string& host, std::uint16_t port, long operations, long window,
                        const std::vector<Arguments>& commands);
/// Commands per second sending `commands` as one pipeline and reading every reply, `batches`
/// times: what a batch costs a plain hiredis user.
double raw_batches(RawConnection& connection, long batches, const std::vector<Arguments>& commands);

/// The redis-benchmark beside redis-cli, or on the usual paths; throws with the install hint.
std::string redis_benchmark_path();
/// Requests per second redis-benchmark reports for `test` ("get") against 127.0.0.1:port with
/// `clients` connections and `pipeline` commands in flight on each. Throws when it reports none.
double redis_benchmark(std::uint16_t port, int clients, long requests, int pipeline = 1,
                       const std::string& test = "get");

/// Starts one async call; the call reports its end through `done(ok)`, from any thread.
using StartCall = std::function<void(std::function<void(bool ok)> done)>;
/// Calls per second of `start` keeping `in_flight` calls outstanding (each completion starts the
/// next) until `operations` have completed. Throws when any failed.
double keep_in_flight(long in_flight, long operations, const StartCall& start);
/// The growth of the process's resident memory per call with `calls` calls started by `start`
/// held in flight at once (the server at host:port sleeps meanwhile, DEBUG SLEEP 1.5): what a
/// pending call costs in memory. Throws when a call fails or is answered before the sleep ends.
double resident_bytes_per_held_call(const std::string& host, std::uint16_t port, long calls,
                                    const StartCall& start);
/// GETs per second through the async toolkit keeping `in_flight` calls outstanding from one caller.
double async_gets_in_flight(redis_toolkit::AsyncRedisToolkit& toolkit, const std::string& key,
                            long in_flight, long operations);
/// The same over `keys`, in turn: their slots spread the calls over the pooled connections.
double async_gets_in_flight(redis_toolkit::AsyncRedisToolkit& toolkit,
                            const std::vector<std::string>& keys, long in_flight, long operations);
/// `command` (any command, a Reply back) through the async toolkit, the same way.
double async_commands_in_flight(redis_toolkit::AsyncRedisToolkit& toolkit, const Arguments& command,
                                long in_flight, long operations);
/// The same with the typed getter, which also decodes each value from the wire format.
double async_getters_in_flight(redis_toolkit::AsyncRedisToolkit& toolkit,
                               const std::vector<std::string>& keys, long in_flight,
                               long operations);
/// Calls per second of `operation` from `threads` threads sharing it, `operations` in all.
double threads_rate(int threads, long operations, const std::function<void()>& operation);
/// GETs per second from `actors` CAF actors, each asking the typed toolkit actor for `key`
/// (getter: reads and decodes the wire format) one request after another, `operations` in all.
double actors_rate(redis_toolkit::AsyncRedisToolkit& toolkit, int actors, long operations,
                   const std::string& key);

} // namespace rtk_bench
