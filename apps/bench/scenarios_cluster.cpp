// Scenarios 4 and 7 on the one server and the local cluster: batches by size, and the error window
// of a master killed under writers, on the cluster and, beside it, on a Sentinel deployment.
#include "measure.hpp"
#include "scenarios.hpp"

#include <redis_toolkit/errors.hpp>
#include <redis_toolkit/local_sentinel.hpp>
#include <redis_toolkit/wire_format.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

namespace rtk_bench {

using namespace redis_toolkit;
using namespace std::chrono_literals;

namespace {

/// The batch size whose costs are reported: the one the targets judge.
constexpr long costed_batch = 10000;

} // namespace

void run_batches(BenchContext& context, Scenario& scenario) {
  const Sizes& sizes = context.sizes();
  const std::string one_server = "toolkit, one server";
  const std::string raw_side = "hiredis pipeline, one server";
  scenario.about =
      "batch_set and batch_get of N distinct keys (a 100-byte string each, in the wire format): "
      "the toolkit on the 3+3 cluster (one pipeline per master, all at once) and on the one "
      "server, against raw hiredis sending the same N commands with the same bytes as one "
      "pipeline to the one server. Each size is repeated up to " +
      with_thousands(sizes.batch_keys) + " keys per figure; figures are keys per second. Last, "
      "one caller's sequential getter on the cluster against the one server. At " +
      with_thousands(costed_batch) + " keys, what each key cost the client (this process's CPU) "
      "and the servers (the CPU of every redis-server of the side: on the cluster the 3 masters "
      "and the 3 replicas that replay the writes).";
  RedisToolkit cluster(context.cluster_config(), BenchContext::toolkit_options());
  RedisToolkit single(context.server_config(), BenchContext::toolkit_options());
  const auto watched_cluster = context.watch(cluster);
  const auto watched_single = context.watch(single);
  RawConnection raw(context.server().host(), context.server().port());
  std::vector<int> cluster_servers;
  for (std::size_t node = 0; node < context.cluster().size(); ++node)
    cluster_servers.push_back(context.cluster().node(node).pid());
  const std::vector<int> one_server_process = {context.server().pid()};
  const Value value(text_of_size(100));
  const std::string stored = serialize_value(value);

  for (const long size : sizes.batch_sizes) {
    KeyValues entries;
    std::vector<std::string> keys;
    std::vector<Arguments> raw_sets, raw_gets;
    for (long i = 0; i < size; ++i) {
      keys.push_back("bench:batch:" + std::to_string(i));
      entries.emplace_back(keys.back(), value);
      raw_sets.push_back({"SET", keys.back(), stored});
      raw_gets.push_back({"GET", keys.back()});
    }
    const long repeats = std::max(1L, sizes.batch_keys / size);
    const auto keys_per_second = [&](const std::function<void()>& batch) {
      return static_cast<double>(size) * rate_of(repeats, [&](long) { batch(); });
    };
    // Per operation two rows sharing the one-server figure of each round: the toolkit against
    // raw hiredis, and the cluster against the one server.
    const auto measure = [&](const std::string& operation, const std::function<void()>& on_cluster,
                             const std::function<void()>& on_server,
                             const std::vector<Arguments>& raw_commands) {
      const std::string name = operation + " " + with_thousands(size);
      Row& versus_raw = scenario.row(name, "keys/s", static_cast<double>(size));
      Row& versus_server = scenario.row(name + ", cluster", "keys/s", static_cast<double>(size));
      // Cost rows have no x: the batch-time chart draws the rate rows only.
      Row* client_cpu = nullptr;
      Row* servers_cpu = nullptr;
      if (size == costed_batch) {
        client_cpu = &scenario.row(name + ", the client's CPU per key", "us/key", 0, false);
        servers_cpu = &scenario.row(name + ", the servers' CPU per key", "us/key", 0, false);
      }
      context.each_round(scenario.id, name, [&] {
        const Measured on_cluster_side = measure_calls(
            size * repeats, [&] { return keys_per_second(on_cluster); }, cluster_servers);
        const Measured on_server_side = measure_calls(
            size * repeats, [&] { return keys_per_second(on_server); }, one_server_process);
        versus_server.add("toolkit, cluster", on_cluster_side.rate);
        versus_raw.add(one_server, on_server_side.rate);
        versus_server.add(one_server, on_server_side.rate);
        versus_raw.add(raw_side, raw_batches(raw, repeats, raw_commands));
        if (client_cpu && servers_cpu) {
          client_cpu->add("toolkit, cluster", on_cluster_side.cpu_us_per_call);
          client_cpu->add(one_server, on_server_side.cpu_us_per_call);
          servers_cpu->add("toolkit, cluster", on_cluster_side.servers_cpu_us_per_call);
          servers_cpu->add(one_server, on_server_side.servers_cpu_us_per_call);
        }
      });
    };
    measure("batch_set", [&] { cluster.batch_set(entries); }, [&] { single.batch_set(entries); },
            raw_sets);
    measure("batch_get", [&] { cluster.batch_get(keys); }, [&] { single.batch_get(keys); },
            raw_gets);
  }

  const long operations = context.sizes().sequential_operations;
  Row& single_key = scenario.row("single-key getter, one at a time, cluster", "ops/s");
  cluster.setter("bench:single", value);
  single.setter("bench:single", value);
  context.each_round(scenario.id, single_key.name, [&] {
    single_key.add("toolkit, cluster", rate_of(operations, [&](long) { cluster.getter("bench:single"); }));
    single_key.add(one_server, rate_of(operations, [&](long) { single.getter("bench:single"); }));
  });
  scenario.notes.push_back("Raw hiredis has no cluster routing, so the cluster's baseline is the "
                           "toolkit on the one server; the hiredis pipeline is one connection to "
                           "one server.");
}

namespace {

/// A writer's errors, with their times, while it writes until stopped.
struct Writer {
  std::atomic<bool>& stop;
  std::atomic<long> successes{0};
  std::mutex mutex;
  std::vector<std::chrono::steady_clock::time_point> failures;
  std::thread thread;

  template <typename Write>
  Writer(std::atomic<bool>& stop_flag, Write write) : stop(stop_flag) {
    thread = std::thread([this, write] {
      for (long round = 0; !stop; ++round) {
        try {
          write(round);
          ++successes;
        } catch (const std::exception&) {
          std::lock_guard<std::mutex> lock(mutex);
          failures.push_back(std::chrono::steady_clock::now());
        }
      }
    });
  }
  ~Writer() {
    stop = true;
    if (thread.joinable()) thread.join();
  }
  std::optional<std::chrono::steady_clock::time_point> last_failure() {
    std::lock_guard<std::mutex> lock(mutex);
    if (failures.empty()) return std::nullopt;
    return failures.back();
  }
  std::size_t failure_count() {
    std::lock_guard<std::mutex> lock(mutex);
    return failures.size();
  }
};

void wait_for(const std::function<bool()>& condition, std::chrono::seconds limit,
              const std::string& what) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("timed out after " + std::to_string(limit.count()) +
                               " s waiting for " + what);
    std::this_thread::sleep_for(10ms);
  }
}

double seconds_between(std::chrono::steady_clock::time_point from,
                       std::chrono::steady_clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

/// One round of the kill: writers running, `kill` (returns the time of the kill), `heal` (returns
/// once healthy again), the writers carrying on; the figures go to the rows' `column`.
void measure_kill(RedisToolkit& toolkit, AsyncRedisToolkit& async_toolkit,
                  const std::function<std::chrono::steady_clock::time_point()>& kill,
                  const std::function<void()>& heal, Row& window, Row& healthy, Row& errors,
                  const std::string& column) {
  std::atomic<bool> stop{false};
  Writer blocking(stop, [&](long round) {
    toolkit.setter("bench:failover:" + std::to_string(round % 500), round);
  });
  Writer async(stop, [&](long round) {
    async_toolkit.setter("bench:failover:async:" + std::to_string(round % 500), round).get();
  });
  wait_for([&] { return blocking.successes > 100 && async.successes > 100; }, 15s,
           "the writers to run before the kill");
  const auto killed_at = kill();
  heal();
  const auto healthy_at = std::chrono::steady_clock::now();
  const long blocking_then = blocking.successes, async_then = async.successes;
  wait_for([&] { return blocking.successes > blocking_then + 100 &&
                        async.successes > async_then + 100; },
           15s, "the writers to carry on after the failover");
  stop = true;
  blocking.thread.join();
  async.thread.join();
  double last = 0;
  for (Writer* writer : {&blocking, &async}) {
    if (const auto failure = writer->last_failure())
      last = std::max(last, seconds_between(killed_at, *failure));
  }
  window.add(column, last);
  healthy.add(column, seconds_between(killed_at, healthy_at));
  errors.add(column, static_cast<double>(blocking.failure_count() + async.failure_count()));
}

} // namespace

void run_failover(BenchContext& context, Scenario& scenario) {
  scenario.about =
      "A master of the 3+3 cluster (cluster-node-timeout 1000 ms) is killed with SIGKILL while a "
      "blocking and an async writer each write keys spread over every master. The error window "
      "is the time from the kill to the last error either writer saw; the writers carry on by "
      "themselves. Then the killed node is restarted (it rejoins as a replica) before the next "
      "round. The same master-kill as the failover harness, on the bench's own cluster. Beside "
      "it, the same on Sentinel: a master, 2 replicas and 3 sentinels (down-after 1000 ms, "
      "quorum 2) started for this scenario, the master the sentinels name killed, the toolkit "
      "connected through the sentinels.";
  LocalCluster& cluster = context.cluster();
  RedisToolkit toolkit(context.cluster_config(), BenchContext::toolkit_options(LogLevel::off));
  AsyncRedisToolkit async_toolkit(context.cluster_config(),
                                  BenchContext::toolkit_options(LogLevel::off));
  const auto watched = context.watch(toolkit);
  const auto watched_async = context.watch(async_toolkit);
  Row& window = scenario.row("error window after the kill", "s", 0, false);
  Row& healthy = scenario.row("cluster healthy again after the kill", "s", 0, false);
  Row& errors = scenario.row("errors seen by the writers", "errors", 0, false);
  context.each_round(scenario.id, "kill -9 of a master", [&] {
    cluster.wait_until_healthy(30s);
    const std::size_t victim = cluster.masters().front();
    measure_kill(
        toolkit, async_toolkit,
        [&] {
          const auto killed_at = std::chrono::steady_clock::now();
          cluster.node(victim).kill_hard();
          return killed_at;
        },
        [&] { cluster.wait_until_healthy(20s); }, window, healthy, errors, "toolkit writers");
    context.progress(scenario.id, "restarting the killed node");
    cluster.restart_node(victim);
    cluster.wait_until_healthy(30s);
  });

  // The Sentinel rows, measured in the same run: its own deployment, started from this thread
  // (its processes outlive the rounds, not the scenario).
  context.progress(scenario.id, "starting a Sentinel deployment");
  LocalSentinel deployment = LocalSentinel::start();
  RedisConnectionConfig sentinel_config;
  sentinel_config.sentinels = deployment.sentinel_addresses();
  sentinel_config.sentinel_master_name = deployment.master_name();
  sentinel_config.connection_timeout = std::chrono::milliseconds(2000);
  sentinel_config.socket_timeout = std::chrono::milliseconds(2000);
  RedisToolkit sentinel_toolkit(sentinel_config, BenchContext::toolkit_options(LogLevel::off));
  AsyncRedisToolkit sentinel_async(sentinel_config, BenchContext::toolkit_options(LogLevel::off));
  const auto watched_sentinel = context.watch(sentinel_toolkit);
  const auto watched_sentinel_async = context.watch(sentinel_async);
  Row& sentinel_window = scenario.row("error window after the kill, Sentinel", "s", 0, false);
  Row& sentinel_healthy = scenario.row("Sentinel deployment healthy again after the kill", "s", 0, false);
  Row& sentinel_errors = scenario.row("errors seen by the writers, Sentinel", "errors", 0, false);
  context.each_round(scenario.id, "kill -9 of the Sentinel master", [&] {
    deployment.wait_until_healthy(30s);
    const std::size_t victim = deployment.master();
    measure_kill(
        sentinel_toolkit, sentinel_async,
        [&] {
          const auto killed_at = std::chrono::steady_clock::now();
          deployment.server(victim).kill_hard();
          return killed_at;
        },
        [&] {
          deployment.wait_for_new_master(victim, 30s);
          deployment.wait_until_healthy(30s);
        },
        sentinel_window, sentinel_healthy, sentinel_errors, "toolkit writers");
    context.progress(scenario.id, "restarting the killed Sentinel master");
    deployment.restart_server(victim);
    deployment.wait_until_healthy(30s);
  });
  scenario.notes.push_back("Toolkit timeouts as in the test suites: connection and socket timeout "
                           "2 s, 3 attempts with 0.1 s backoff doubling.");
}

} // namespace rtk_bench
