#pragma once
// rtk's cluster commands.
// `rtk cluster up|down|status`: a local 3-master 3-replica Redis Cluster of daemonized
// redis-server processes (LocalCluster's detached form), on 127.0.0.1:P .. P+5 (P = --base-port,
// 7000 by default) with their files in --dir (default $TMPDIR/rtk-cluster-P).

#include "cli.hpp"

namespace rtk {

int run_cluster(const CliInvocation& invocation, CommandStreams& streams);

/// `rtk nodes`: the cluster's nodes (CLUSTER NODES of one node, via ClusterOperations) as a JSON
/// array, one object per line, ordered by address:
///   [
///     {"id": "07c3...", "host": "127.0.0.1", "port": 7000, "role": "master",
///      "slots": [[0, 5460]], "master_id": null, "connected": true, "failing": false},
///     ...
///   ]
/// Against a server that is not a cluster node: ClusterError (exit 1).
int run_nodes(const CliInvocation& invocation, CommandStreams& streams);

} // namespace rtk
