#pragma once
// rtk's data commands and the demo, each a thin layer over RedisToolkit.

#include "cli.hpp"

namespace rtk {

int run_set(const CliInvocation& invocation, CommandStreams& streams);
int run_get(const CliInvocation& invocation, CommandStreams& streams);
int run_del(const CliInvocation& invocation, CommandStreams& streams);
int run_ttl(const CliInvocation& invocation, CommandStreams& streams);
int run_mset(const CliInvocation& invocation, CommandStreams& streams);
int run_mget(const CliInvocation& invocation, CommandStreams& streams);
int run_publish(const CliInvocation& invocation, CommandStreams& streams);
/// `rtk command ARG...`: any Redis command, its reply printed as JSON (CONTRACT.md section 4).
int run_command(const CliInvocation& invocation, CommandStreams& streams);
int run_subscribe(const CliInvocation& invocation, CommandStreams& streams);
int run_psubscribe(const CliInvocation& invocation, CommandStreams& streams);
int run_scan(const CliInvocation& invocation, CommandStreams& streams);
int run_health(const CliInvocation& invocation, CommandStreams& streams);
int run_demo(const CliInvocation& invocation, CommandStreams& streams);

} // namespace rtk
