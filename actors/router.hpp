#pragma once
// The router actor: receives every CommandRequest, sends each command to the connection of the node
// that owns it, splits a request into one pipeline per connection, and answers one Reply per
// command in the caller's order. It owns the node connection actors, their pools and, in cluster
// mode, the slot table: discovered from any reachable startup node (CLUSTER SHARDS, falling back
// to CLUSTER SLOTS), refreshed in the background on MOVED and whenever a node fails. MOVED updates
// the table and resends, ASK resends once behind ASKING, TRYAGAIN/CLUSTERDOWN and failed
// connections are retried per the request's RetryPolicy (attempts, delay, backoff).

#include "connection_setup.hpp"

#include "redis_toolkit/config.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <chrono>
#include <vector>

namespace redis_toolkit::detail {

/// How the router routes, retries and pools; taken from RedisOptions and RedisConnectionConfig.
struct RouterSettings {
  ConnectionSettings node;          ///< the server (standalone) or the template for every node
  /// Connections per node; each key slot always uses the same one (made on first use).
  std::size_t max_connections = 4;

  bool cluster = false;
  std::vector<NodeAddress> seeds;   ///< cluster: where discovery starts
  bool skip_full_coverage_check = false;
  bool readonly_mode = false;       ///< cluster: reads may go to replicas (READONLY)
  int max_redirections = 16;        ///< MOVED/ASK hops per command before a ClusterError
};

caf::actor spawn_router(caf::actor_system& system, RouterSettings settings);

} // namespace redis_toolkit::detail
