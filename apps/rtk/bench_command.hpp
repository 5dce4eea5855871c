#pragma once
// `rtk bench [--short] [--rounds N] [--only LIST] [--report-dir D] [--metrics-listen HOST:PORT]`:
// the benchmark suite (apps/bench/suite.hpp); --metrics-listen serves the metrics of every toolkit
// the suite has made so far while it runs (apps/bench/metrics_board.hpp). Starts its own redis-server and 3+3 cluster, prints progress on stderr,
// writes bench-results.json, bench-report.md and the PNG charts into D (default ./bench-report),
// and prints the targets, met or missed, on stdout. Exit 1 when a scenario failed; a missed
// target is a figure, not a failure.

#include "cli.hpp"

namespace rtk {

int run_bench(const CliInvocation& invocation, CommandStreams& streams);

} // namespace rtk
