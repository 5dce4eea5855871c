#pragma once
// The router actor: receives every CommandRequest, sends each command to the connection of the node
// that owns it, splits a request into one pipeline per connection, retries commands whose connection
// failed (RedisOptions: attempts, delay, backoff), and answers one Reply per command in the
// caller's order. It owns the node connection actors and their pools.

#include "connection_setup.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <chrono>

namespace redis_toolkit::detail {

/// How the router retries and pools; taken from RedisOptions and RedisConnectionConfig.
struct RouterSettings {
  ConnectionSettings node;          ///< the server (standalone) or the template for every node
  /// Connections per node; each key slot always uses the same one (made on first use).
  std::size_t max_connections = 4;
};

caf::actor spawn_router(caf::actor_system& system, RouterSettings settings);

} // namespace redis_toolkit::detail
