#include "simulate_command.hpp"

#include "cluster_model.hpp"

#include "redis_toolkit/errors.hpp"

#include <string>

namespace rtk {
namespace {

/// The option's value (checked by the parser to be a positive integer), or `fallback`.
unsigned long long option_or(const CliInvocation& invocation, const std::string& name,
                             unsigned long long fallback) {
  const auto found = invocation.flags.find(name);
  return found == invocation.flags.end() ? fallback : std::stoull(found->second);
}

/// Beyond these the run takes minutes or more memory than a check needs.
constexpr unsigned long long most_masters = 1000;
constexpr unsigned long long most_calls = 100000000;

} // namespace

int run_simulate(const CliInvocation& invocation, CommandStreams& streams) {
  rtk_sim::SimulationSettings settings =
      rtk_sim::small_cluster_under_faults(option_or(invocation, "seed", 1));
  const unsigned long long masters = option_or(invocation, "masters", 3);
  const unsigned long long calls = option_or(invocation, "calls", settings.calls);
  if (masters < 3 || masters > most_masters)
    throw redis_toolkit::ValidationError("option --masters takes 3 to " +
                                         std::to_string(most_masters));
  if (calls > most_calls)
    throw redis_toolkit::ValidationError("option --calls takes at most " +
                                         std::to_string(most_calls));
  settings.masters = static_cast<int>(masters);
  settings.calls = static_cast<std::size_t>(calls);
  if (masters > 50) { // a large cluster: more callers and keys, so that every shard sees traffic
    settings.callers = 128;
    settings.keys = 20000;
    settings.key_tags = 512;
    settings.most_migrations = 32;
    settings.most_faults = 4;
    settings.fault_interval_us = 5000;
  }
  const rtk_sim::SimulationReport report = rtk_sim::ClusterModel(settings).run();
  streams.out << rtk_sim::summary(report, settings.masters) << "\n";
  if (report.problems.empty()) return exit_ok;
  streams.err << "rtk: simulate: seed " << report.seed << " broke an invariant "
              << report.problem_count << " times:\n";
  for (const std::string& problem : report.problems) streams.err << "  " << problem << "\n";
  return exit_failure;
}

} // namespace rtk
