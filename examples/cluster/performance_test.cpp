// What a cluster costs, side by side in one run: the same work on the Redis Cluster and on one
// standalone redis-server started here.
//   - a batch of N keys (batch_set, then batch_get): on the cluster split into one pipeline per
//     master, all masters at once; on one server a single pipeline;
//   - single keys one after another (setter, then getter), one round trip each.
// Each measurement runs on both targets back to back (which goes first alternates), for several
// rounds, and the best round of each is kept: other programs on the machine then disturb both
// alike. The targets are a cluster at least 0.8x the server's throughput for batches and 0.9x for
// single keys; figures are printed, never asserted (machines are noisy). A wrong value read back
// or an error exits 1.
//
//   example_cluster_performance_test [batch keys] [single-key operations] [rounds]
//                                    (default 10000 1000 5)
//
// Runs against the cluster named by RTK_CLUSTER, or a local 3-master 3-replica cluster.
#include <redis_toolkit/server_launcher.hpp>
#include <redis_toolkit/toolkit.hpp>

#include <algorithm>
#include <array>
#include <functional>
#include <iomanip>
#include <iostream>
#include <memory>

#include "example_support.hpp"

using example::Checks;
using redis_toolkit::RedisToolkit;
using redis_toolkit::Value;

namespace {

struct Settings {
  std::size_t batch_keys = 10000;
  std::size_t single_operations = 1000;
  int rounds = 5;
};

Settings settings_from(int argc, char** argv) {
  Settings settings;
  auto positive = [&](int index) {
    const long long value = std::atoll(argv[index]);
    if (value <= 0)
      throw std::invalid_argument("usage: performance_test [batch keys] [single-key operations] [rounds]");
    return value;
  };
  if (argc > 1) settings.batch_keys = static_cast<std::size_t>(positive(1));
  if (argc > 2) settings.single_operations = static_cast<std::size_t>(positive(2));
  if (argc > 3) settings.rounds = static_cast<int>(positive(3));
  return settings;
}

std::string key_of(std::size_t i) { return "example:cluster:perf:" + std::to_string(i); }
Value value_of(std::size_t i) {
  return Value::dict({{"id", static_cast<std::int64_t>(i)}, {"name", "item"}, {"price", 9.5}});
}

/// One side of the comparison: a toolkit and the best rate of each measurement so far.
struct Target {
  std::string name;
  RedisToolkit& toolkit;
  std::array<double, 4> best{}; ///< operations per second, one per measurement
};

/// A measurement: does `count` operations on a toolkit, checking what it reads.
struct Measurement {
  std::string name;
  double target_ratio;
  std::size_t count;
  std::function<void(Target&, Checks&)> run;
};

std::vector<Measurement> measurements(const Settings& settings) {
  auto entries = std::make_shared<redis_toolkit::KeyValues>();
  auto keys = std::make_shared<std::vector<std::string>>();
  for (std::size_t i = 0; i < settings.batch_keys; ++i) {
    keys->push_back(key_of(i));
    entries->emplace_back(keys->back(), value_of(i));
  }
  const std::size_t singles = settings.single_operations;
  return {
      {"batch_set (" + std::to_string(settings.batch_keys) + " keys)", 0.8, settings.batch_keys,
       [entries](Target& target, Checks&) { target.toolkit.batch_set(*entries); }},
      {"batch_get (" + std::to_string(settings.batch_keys) + " keys)", 0.8, settings.batch_keys,
       [keys](Target& target, Checks& checks) {
         const auto read = target.toolkit.batch_get(*keys);
         bool right = read.size() == keys->size();
         for (std::size_t i = 0; right && i < read.size(); ++i)
           right = read[i].first == (*keys)[i] && read[i].second == value_of(i);
         checks.expect(right, target.name + ": batch_get returns every value, in order");
       }},
      {"setter, one at a time", 0.9, singles,
       [singles](Target& target, Checks&) {
         for (std::size_t i = 0; i < singles; ++i) target.toolkit.setter(key_of(i), value_of(i));
       }},
      {"getter, one at a time", 0.9, singles,
       [singles](Target& target, Checks& checks) {
         bool right = true;
         for (std::size_t i = 0; i < singles; ++i)
           right = target.toolkit.getter(key_of(i)) == value_of(i) && right;
         checks.expect(right, target.name + ": getter returns every value");
       }},
  };
}

void measure(const Measurement& measurement, std::size_t index, Target& target, Checks& checks) {
  const auto start = std::chrono::steady_clock::now();
  measurement.run(target, checks);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  target.best[index] = std::max(target.best[index], static_cast<double>(measurement.count) / seconds);
}

void print_row(const Measurement& measurement, double cluster, double standalone) {
  const double ratio = cluster / standalone;
  std::cout << "  " << std::left << std::setw(26) << measurement.name << std::right << std::fixed
            << std::setprecision(0) << std::setw(10) << cluster << std::setw(12) << standalone
            << std::setprecision(2) << std::setw(8) << ratio << "x   (target >= "
            << std::setprecision(1) << measurement.target_ratio << "x: "
            << (ratio >= measurement.target_ratio ? "met" : "not met") << ")\n";
}

} // namespace

int main(int argc, char** argv) try {
  const Settings settings = settings_from(argc, argv);
  Checks checks;
  auto cluster = example::ClusterForExample::start_or_connect();
  auto server = redis_toolkit::RedisServerProcess::start(); // one standalone redis-server
  std::cout << "cluster:    " << cluster.describe() << "\n"
            << "standalone: " << server.address() << " (started for this example)\n";

  RedisToolkit on_cluster(cluster.config());
  redis_toolkit::RedisConnectionConfig standalone_config;
  standalone_config.host = server.host();
  standalone_config.port = server.port();
  RedisToolkit on_server(standalone_config);
  // Warm up: connections open and the cluster's slot table known before any clock starts.
  checks.expect(on_cluster.health_check() && on_server.health_check(), "both answer");
  Target targets[2] = {{"cluster", on_cluster, {}}, {"standalone", on_server, {}}};
  const auto work = measurements(settings);
  for (const auto& measurement : work)
    for (auto& target : targets) measurement.run(target, checks);

  for (int round = 0; round < settings.rounds; ++round) {
    for (std::size_t index = 0; index < work.size(); ++index) {
      // Back to back, alternating which goes first.
      measure(work[index], index, targets[round % 2], checks);
      measure(work[index], index, targets[1 - round % 2], checks);
    }
  }

  std::cout << "best of " << settings.rounds << " rounds, operations per second:\n"
            << "  " << std::string(26, ' ') << "   cluster  standalone   ratio\n";
  for (std::size_t index = 0; index < work.size(); ++index)
    print_row(work[index], targets[0].best[index], targets[1].best[index]);
  std::cout << "(figures vary from run to run; they are not checked)\n";

  std::vector<std::string> written;
  for (std::size_t i = 0; i < std::max(settings.batch_keys, settings.single_operations); ++i)
    written.push_back(key_of(i));
  for (auto& target : targets)
    checks.expect(target.toolkit.batch_delete(written) == static_cast<std::int64_t>(written.size()),
                  target.name + ": batch_delete removed every key");
  return checks.finish("cluster/performance_test");
} catch (const std::exception& error) {
  std::cerr << "cluster/performance_test: " << error.what() << "\n";
  return 1;
}
