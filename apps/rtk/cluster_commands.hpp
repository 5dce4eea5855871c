#pragma once
// `rtk cluster up|down|status`: a local 3-master 3-replica Redis Cluster of daemonized
// redis-server processes (LocalCluster's detached form), on 127.0.0.1:P .. P+5 (P = --base-port,
// 7000 by default) with their files in --dir (default $TMPDIR/rtk-cluster-P).

#include "cli.hpp"

namespace rtk {

int run_cluster(const CliInvocation& invocation, CommandStreams& streams);

} // namespace rtk
