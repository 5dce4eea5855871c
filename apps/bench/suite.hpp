#pragma once
// The `rtk bench` suite: starts its own servers (one redis-server, a 3+3 LocalCluster), runs each
// scenario's comparisons for several rounds with both sides in the same run, then judges the
// users' targets. Progress goes to a stream (stderr in rtk); figures come back as SuiteResults.
//
//   rtk_bench::SuiteOptions options;
//   options.short_run = true;                       // small sizes, one round: the CI run
//   rtk_bench::SuiteResults results = rtk_bench::run_suite(options, std::cerr);
//   rtk_bench::write_reports(results, "bench-report");  // report.hpp

#include "results.hpp"

#include <iosfwd>
#include <string>
#include <vector>

namespace rtk_bench {

class MetricsBoard;

struct SuiteOptions {
  bool short_run = false;          ///< small sizes and, unless rounds is set, one round
  int rounds = 0;                  ///< 0: 3, or 1 for a short run
  std::vector<std::string> only;   ///< scenario ids to run; empty: all
  std::string version;             ///< rtk's, for the report
  /// Not null: every toolkit the scenarios make is watched there while it lives (rtk bench
  /// --metrics-listen serves its total). The board must outlive run_suite.
  MetricsBoard* metrics = nullptr;
};

/// Every scenario id, in the order they run: blocking, in-flight, callers, batches, pubsub,
/// codec, commands, failover (after every other scenario on the cluster: it kills one of its
/// masters), metrics (on the one redis-server), tls (on a redis-server of its own with a TLS port
/// beside the plain one).
const std::vector<std::string>& scenario_ids();

/// Runs the scenarios. A scenario that fails is recorded with its error (Scenario::failure) and
/// the others still run; throws only when no server can be started at all.
SuiteResults run_suite(const SuiteOptions& options, std::ostream& progress);

} // namespace rtk_bench
