#pragma once
// `rtk failover-sim [--scenario FILE] [--duration S] [--durable] [--report-dir D] [--cluster ...]`:
// the live half of the failover simulation. Starts a local cluster (or uses the one --cluster
// names) or, for a scenario with a [sentinel] table, a local Sentinel deployment (or the one
// --sentinel ... --master NAME names), runs the scenario's workload through the toolkit (blocking
// and async writers, readers, classic and, on a cluster, sharded subscribers with a publisher
// each), injects the scenario's faults on
// schedule, prints a progress line a second on stderr, then reads every acknowledged write back
// and reports (failover_sim.hpp): one JSON line on stdout, a Markdown file in --report-dir.
// Exit status 0 when every promise held, 1 when one was broken, 2 for bad input.

#include "cli.hpp"

namespace rtk {

int run_failover_sim(const CliInvocation& invocation, CommandStreams& streams);

} // namespace rtk
