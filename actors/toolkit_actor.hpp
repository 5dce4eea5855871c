#pragma once
// The typed toolkit actor (include/redis_toolkit/toolkit_actor.hpp): the toolkit's operations as
// messages. It plans each operation (validation first), asks the router, decodes the replies and
// answers the caller; errors go back as caf::errors of the category "redis_tk".

#include "redis_toolkit/config.hpp"
#include "redis_toolkit/toolkit_actor.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

namespace redis_toolkit::detail {

ToolkitActor spawn_toolkit_actor(caf::actor_system& system, caf::actor router, RedisOptions options,
                                 std::string server, bool cluster);

} // namespace redis_toolkit::detail
