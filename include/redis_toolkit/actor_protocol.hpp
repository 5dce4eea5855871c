#pragma once
// The messages redis-toolkit's actors understand, for callers that are actors themselves.
//
//   // inside an event-based actor that holds `router` (AsyncRedisToolkit::router()):
//   CommandRequest request;
//   request.add({"GET", "user:1"}, key_slot("user:1"));
//   self->request(router, caf::infinite, exec_atom::value, std::move(request))
//       .then([](std::vector<Reply>& replies) { /* replies[0] is the GET reply */ });

#include "redis_toolkit/command_request.hpp"
#include "redis_toolkit/reply.hpp"
#include "redis_toolkit/statistics.hpp"
#include "redis_toolkit/value.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace redis_toolkit {

/// Run a CommandRequest on the router; replies std::vector<Reply>, one per command, in order.
using exec_atom = caf::atom_constant<caf::atom("rtk_exec")>;
/// Ask for statistics; the router replies PoolStatistics, a subscriber SubscriptionStatistics.
using stats_atom = caf::atom_constant<caf::atom("rtk_stats")>;
/// Subscribe / unsubscribe channels on a subscriber actor.
using subscribe_atom = caf::atom_constant<caf::atom("rtk_sub")>;
using unsubscribe_atom = caf::atom_constant<caf::atom("rtk_unsub")>;
/// A pub/sub message delivered to a handler actor: (message_atom, channel, Value).
using message_atom = caf::atom_constant<caf::atom("rtk_msg")>;
/// Subscribe glob patterns (PSUBSCRIBE) on a subscriber actor.
using psubscribe_atom = caf::atom_constant<caf::atom("rtk_psub")>;
/// A message that matched a pattern, delivered to a handler actor: (pmessage_atom, pattern,
/// channel, Value). A message matching several patterns comes once per pattern (Redis's rule).
using pmessage_atom = caf::atom_constant<caf::atom("rtk_pmsg")>;
/// Orderly shutdown of a toolkit actor: fails what is pending, closes sockets, quits.
using shutdown_atom = caf::atom_constant<caf::atom("rtk_stop")>;

} // namespace redis_toolkit

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(redis_toolkit::Reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<redis_toolkit::Reply>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(redis_toolkit::CommandRequest)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(redis_toolkit::PoolStatistics)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<redis_toolkit::PoolStatistics>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(redis_toolkit::Value)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(redis_toolkit::SubscriptionStatistics)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<std::string>)
