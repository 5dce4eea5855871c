#pragma once
// `rtk simulate [--seed N] [--masters M] [--calls C]`: the router's logic (RouterCore) in a
// simulated Redis Cluster, in virtual time, with no server: M masters and their replicas
// resharding, failing over, hanging and partitioned under C calls, every choice made by seed N.
// It prints one line on what the run did and every broken invariant; exit 1 when one broke. A
// seed replays exactly, so a failure of `ctest -L simulation` is looked into with this command.

#include "cli.hpp"

namespace rtk {

int run_simulate(const CliInvocation& invocation, CommandStreams& streams);

} // namespace rtk
