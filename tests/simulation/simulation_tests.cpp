// RouterCore driven by a simulated cluster in virtual time (cluster_model.hpp): a small cluster
// under every kind of fault, a thousand nodes resharding under load, and a sweep over seeds.
// Every run checks the invariants: each call answered once, in the caller's order, with the
// value last acknowledged; no acknowledged write lost; bounded sends; no call past its deadline;
// failures only where a fault was met. A failing run names its seed; to replay it exactly:
//   rtk_simulation_tests --run_test=simulation_tests/<case> -- --seed <seed>
#include "cluster_model.hpp"

#include <boost/test/unit_test.hpp>

#include <optional>
#include <sstream>
#include <string>

using namespace rtk_sim;

namespace {

/// `--seed N` after the `--` that ends Boost.Test's own arguments.
std::optional<std::uint64_t> seed_argument() {
  const auto& suite = boost::unit_test::framework::master_test_suite();
  for (int i = 1; i + 1 < suite.argc; ++i)
    if (std::string(suite.argv[i]) == "--seed") return std::stoull(suite.argv[i + 1]);
  return std::nullopt;
}

std::size_t suite_calls = 0;

SimulationReport run_and_check(const SimulationSettings& settings, const std::string& test_case) {
  const SimulationReport report = ClusterModel(settings).run();
  suite_calls += report.calls;
  BOOST_TEST_MESSAGE(test_case << " " << summary(report, settings.masters) << "; "
                               << suite_calls << " calls so far");
  std::ostringstream problems;
  for (const std::string& problem : report.problems) problems << "\n  " << problem;
  BOOST_TEST(report.problems.empty(),
             "seed " << report.seed << " broke an invariant " << report.problem_count
                     << " times; replay it with rtk_simulation_tests"
                     << " --run_test=simulation_tests/" << test_case << " -- --seed "
                     << report.seed << problems.str());
  BOOST_TEST(report.calls >= settings.calls, "seed " << report.seed << ": too few calls answered");
  return report;
}

} // namespace

BOOST_AUTO_TEST_SUITE(simulation_tests)

BOOST_AUTO_TEST_CASE(a_small_cluster_survives_every_kind_of_fault) {
  const SimulationSettings settings = small_cluster_under_faults(seed_argument().value_or(20240611));
  const SimulationReport report =
      run_and_check(settings, "a_small_cluster_survives_every_kind_of_fault");
  // Sanity of the model, not of the router: the faults it claims to make did happen.
  BOOST_TEST(report.ask > 0u);
  BOOST_TEST(report.moved > 0u);
  BOOST_TEST(report.retries > 0u);
  BOOST_TEST(report.failovers > 0u);
}

BOOST_AUTO_TEST_CASE(a_thousand_nodes_reshard_under_load) {
  SimulationSettings settings;
  settings.seed = seed_argument().value_or(1000);
  settings.masters = 500;
  settings.calls = 400000;
  settings.callers = 128;
  settings.keys = 20000;
  settings.key_tags = 512; // busy slots, so that migrations meet traffic
  settings.most_migrations = 32;
  settings.most_faults = 4;
  settings.fault_interval_us = 5000;
  const SimulationReport report = run_and_check(settings, "a_thousand_nodes_reshard_under_load");
  BOOST_TEST(report.ask > 0u);
  BOOST_TEST(report.moved > 0u);
}

BOOST_AUTO_TEST_CASE(many_seeds_keep_every_invariant) {
  const std::optional<std::uint64_t> only = seed_argument();
  const std::uint64_t first = only.value_or(1);
  const std::uint64_t count = only ? 1 : 24;
  for (std::uint64_t seed = first; seed < first + count; ++seed) {
    SimulationSettings settings;
    settings.seed = seed;
    // The cluster's size and the router's pool follow the seed, so that a seed alone replays.
    settings.masters = 3 + static_cast<int>(seed % 7);
    settings.connections_per_node = 1 + seed % 4;
    settings.calls = 15000;
    settings.callers = 16;
    settings.keys = 1024;
    settings.key_tags = 32;
    settings.fault_interval_us = 10000;
    run_and_check(settings, "many_seeds_keep_every_invariant");
  }
}

BOOST_AUTO_TEST_SUITE_END()
