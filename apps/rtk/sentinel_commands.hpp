#pragma once
// `rtk sentinel up|down|status`: a local Redis Sentinel deployment of daemonized redis-server
// processes (LocalSentinel's detached form): a master and two replicas on 127.0.0.1:P .. P+2,
// three sentinels watching "mymaster" on P+20000 .. P+20002 (P = --base-port, 6400 by default),
// their files in --dir (default $TMPDIR/rtk-sentinel-P).

#include "cli.hpp"

namespace rtk {

int run_sentinel(const CliInvocation& invocation, CommandStreams& streams);

} // namespace rtk
