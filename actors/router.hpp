#pragma once
// The router actor: receives every CommandRequest, sends each command to the connection of the node
// that owns it, splits a request into one pipeline per connection, and answers one Reply per
// command in the caller's order. It owns the node connection actors, their pools and, in cluster
// mode, the slot table: discovered from any reachable startup node (CLUSTER SHARDS, falling back
// to CLUSTER SLOTS), refreshed in the background on MOVED and whenever a node fails. MOVED updates
// the table and resends, ASK resends once behind ASKING, TRYAGAIN/CLUSTERDOWN and failed
// connections are retried per the request's RetryPolicy (attempts, delay, backoff).
//
// Three ways to ask:
//   (exec_atom, CommandRequest)          a request: the response is std::vector<Reply>
//   (exec_atom, TaggedRequests)          plain messages both ways, many operations per message:
//                                        (reply_atom, TaggedReplies) comes back to the sender with
//                                        the answers that were ready together
//   (exec_atom, CommandRequest, std::shared_ptr<ReplySink>)  the router calls sink->take(replies)
// The last two keep no CAF response state per call, which costs the asker work proportional to
// everything it has pending (CAF 0.17 keeps pending responses in a flat vector), and tagged
// operations share messages: under load, one message carries many calls each way.

#include "connection_setup.hpp"

#include "redis_toolkit/config.hpp"
#include "redis_toolkit/metrics.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <chrono>
#include <memory>
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
  std::size_t max_pending_calls = 0; ///< operations in progress; beyond: overloaded at once (0: no bound)
  bool count_calls = true;           ///< per-command figures (RedisOptions::metrics_enabled)

  /// Sentinel mode: `cluster` routing over the one shard whose master the sentinels name (every
  /// slot goes to it). Discovery asks the sentinels in turn, checks the master's ROLE, and runs
  /// again on a failed connection, READONLY or LOADING, and on +switch-master.
  std::vector<NodeAddress> sentinels;
  std::string sentinel_master_name;
  ConnectionSettings sentinel_node; ///< the sentinels' login; host and port set per sentinel

  bool sentinel_mode() const { return !sentinels.empty(); }
};

/// (locate_atom, sentinel_slot, suspect) asks a Sentinel-mode router for a sentinel to watch:
/// the next one after `suspect`.
inline constexpr std::int32_t sentinel_slot = -2;

caf::actor spawn_router(caf::actor_system& system, RouterSettings settings);

/// (metrics_atom) -> ToolkitMetrics: the router's calls, connections and redirections (the pub/sub
/// figures are the subscribers').
using metrics_atom = caf::atom_constant<caf::atom("rtk_metric")>;

/// The router's answers to tagged requests: (reply_atom, TaggedReplies).
using reply_atom = caf::atom_constant<caf::atom("rtk_reply")>;

/// Operations sent together, each with the asker's tag, in the order they are to be sent.
struct TaggedRequests {
  std::vector<std::pair<std::uint64_t, CommandRequest>> items;
};

/// Answers that were ready together: each tag with how many replies its operation has, and
/// every operation's replies in one vector, in the order of `items`: one allocation per message,
/// not one per operation.
struct TaggedReplies {
  std::vector<std::pair<std::uint64_t, std::uint32_t>> items;
  std::vector<Reply> replies;
};

/// Takes an operation's replies for a caller that is not an actor waiting on a response. take() is
/// called at most once, on the I/O thread, and must hand the replies on without blocking. A sink
/// destroyed untaken (the router ended before answering) must answer its caller by itself.
class ReplySink {
public:
  virtual ~ReplySink() = default;
  virtual void take(std::vector<Reply> replies) noexcept = 0;
  /// Before take(): the spent request the router's core handed back for the caller's request
  /// (buffers emptied by an earlier operation, request_buffers.hpp), for the caller's thread to
  /// keep. The default drops it.
  virtual void keep_spent(CommandRequest&) noexcept {}
};

} // namespace redis_toolkit::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<redis_toolkit::detail::ReplySink>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(redis_toolkit::detail::TaggedRequests)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(redis_toolkit::detail::TaggedReplies)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(redis_toolkit::ToolkitMetrics)
