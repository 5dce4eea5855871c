// Scenario 11: the blocking and async comparisons again with a CPU hog on every core beside the
// benchmark, as a service's busy neighbours would be: the toolkit's threads must not fight the
// work for the cores.
#include "measure.hpp"
#include "scenarios.hpp"

#include <redis_toolkit/wire_format.hpp>

#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace rtk_bench {

using namespace redis_toolkit;

namespace {

constexpr const char* hiredis_sequential = "hiredis redisCommand";
constexpr const char* hiredis_async = "hiredis async (libevent)";

/// `count` busy processes (a shell loop each) while it lives; killed and reaped when it ends, so
/// that no hog outlives the scenario, even one that throws.
class CpuHogs {
public:
  explicit CpuHogs(unsigned count) {
    for (unsigned i = 0; i < count; ++i) {
      char shell[] = "sh";
      char flag[] = "-c";
      char loop[] = "while :; do :; done";
      char* arguments[] = {shell, flag, loop, nullptr};
      pid_t pid = 0;
      const int error = ::posix_spawn(&pid, "/bin/sh", nullptr, nullptr, arguments, environ);
      if (error != 0) {
        stop();
        throw std::runtime_error(std::string("cannot start a CPU hog (/bin/sh): ") +
                                 std::strerror(error));
      }
      pids_.push_back(pid);
    }
  }
  ~CpuHogs() { stop(); }
  CpuHogs(const CpuHogs&) = delete;
  CpuHogs& operator=(const CpuHogs&) = delete;

private:
  void stop() noexcept {
    for (const pid_t pid : pids_) ::kill(pid, SIGKILL);
    for (const pid_t pid : pids_)
      while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    pids_.clear();
  }

  std::vector<pid_t> pids_;
};

} // namespace

void run_hog(BenchContext& context, Scenario& scenario) {
  const Sizes& sizes = context.sizes();
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  constexpr int keys_count = 100;
  constexpr long in_flight = 100;
  errno = 0;
  const int nice = ::getpriority(PRIO_PROCESS, 0);
  scenario.about =
      "Scenarios 1 and 2 again with " + std::to_string(cores) + " busy processes beside the "
      "benchmark, one per core (a shell loop each, at the bench's own nice value, " +
      std::to_string(nice) + " here), started before the first round and killed after the last: "
      "the blocking facade's get_raw one call at a time against hiredis redisCommand (" +
      with_thousands(sizes.sequential_operations) + " per figure), and async get_raw and getter "
      "keeping " + std::to_string(in_flight) + " calls in flight over " +
      std::to_string(keys_count) + " keys against raw hiredis async on a libevent loop (" +
      with_thousands(sizes.deep_operations) + " per figure). CPU per call is this process's user "
      "+ system time over the calls; the hogs' own time is not in it.";
  RedisToolkit blocking(context.server_config(), BenchContext::toolkit_options());
  AsyncRedisToolkit toolkit(context.server_config(), BenchContext::toolkit_options());
  const auto watched_blocking = context.watch(blocking);
  const auto watched = context.watch(toolkit);
  RawConnection raw(context.server().host(), context.server().port());
  std::vector<std::string> keys;
  std::vector<Arguments> gets;
  for (int i = 0; i < keys_count; ++i) {
    keys.push_back("bench:hog:" + std::to_string(i));
    blocking.setter(keys.back(), Value(text_of_size(100)));
    gets.push_back({"GET", keys.back()});
  }
  const std::string& key = keys.front();
  async_gets_in_flight(toolkit, keys, in_flight, 1000); // connected before anything is timed

  Row& sequential = scenario.row("GET one at a time", "ops/s");
  Row& sequential_cpu = scenario.row("CPU per GET one at a time", "us/op", 0, false);
  const std::string name = std::to_string(in_flight) + " in flight, " +
                           std::to_string(keys_count) + " keys";
  Row& spread = scenario.row(name, "ops/s");
  Row& spread_cpu = scenario.row("CPU per GET, " + name, "us/op", 0, false);
  Row& typed = scenario.row("getter, " + name, "ops/s");
  Row& typed_cpu = scenario.row("CPU per getter, " + name, "us/op", 0, false);
  const CpuHogs hogs(cores);
  context.each_round(scenario.id, "with " + std::to_string(cores) + " CPU hogs", [&] {
    const long one_by_one = sizes.sequential_operations;
    const Measured facade = measure_calls(one_by_one, [&] {
      return rate_of(one_by_one, [&](long) { blocking.get_raw(key); });
    });
    const Measured plain =
        measure_calls(one_by_one, [&] { return raw_sequential(raw, one_by_one, gets.front()); });
    const long deep = sizes.deep_operations;
    const Measured async = measure_calls(
        deep, [&] { return async_gets_in_flight(toolkit, keys, in_flight, deep); });
    const Measured getter = measure_calls(
        deep, [&] { return async_getters_in_flight(toolkit, keys, in_flight, deep); });
    const Measured event_loop = measure_calls(deep, [&] {
      return raw_async_window(context.server().host(), context.server().port(), deep, in_flight,
                              gets);
    });
    add_side(sequential, sequential_cpu, "toolkit", facade);
    add_side(sequential, sequential_cpu, hiredis_sequential, plain);
    add_side(spread, spread_cpu, "toolkit async", async);
    add_side(spread, spread_cpu, hiredis_async, event_loop);
    add_side(typed, typed_cpu, "toolkit getter", getter);
    add_side(typed, typed_cpu, hiredis_async, event_loop);
  });
  blocking.batch_delete(keys);
}

} // namespace rtk_bench
