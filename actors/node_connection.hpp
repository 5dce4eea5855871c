#pragma once
// The node connection actor: one socket to one Redis server, many requests in flight.
//
// It receives (exec_atom, CommandBatch) and answers std::vector<Reply>, one reply per command, in
// the order Redis answers (Redis answers in order, so pipelining costs nothing). The router sends
// (exec_atom, CommandBatch, std::uint64_t tag) instead and gets (part_atom, tag, replies) back: a
// plain message, so that thousands of batches in flight cost no CAF response bookkeeping. It connects on first
// use, logs in (AUTH, SELECT) before anything else, and when the socket drops or the oldest request
// waits longer than the socket timeout, it fails everything in flight (Reply::Type::connection_failed
// or timed_out) and connects again on the next request. Retrying is the router's business.

#include "connection_setup.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

namespace redis_toolkit::detail {

/// (link_atom, bool up, bool health_check_failed) goes to `owner` when a TCP connection is logged
/// in (up) and when it ends (down; health_check_failed when a health check PING found it dead).
using link_atom = caf::atom_constant<caf::atom("rtk_link")>;

caf::actor spawn_node_connection(caf::actor_system& system, ConnectionSettings settings,
                                 caf::actor owner = caf::actor());

} // namespace redis_toolkit::detail
