#pragma once
// Redis Cluster topology and redirections as plain functions: parsing CLUSTER SHARDS, CLUSTER
// SLOTS and CLUSTER NODES, recognising MOVED/ASK/TRYAGAIN/CLUSTERDOWN replies, and the slot table
// the router owns. No sockets, no actors: the router drives them, the unit tests drive them.

#include "redis_toolkit/cluster_types.hpp"
#include "redis_toolkit/config.hpp"
#include "redis_toolkit/key_slot.hpp"
#include "redis_toolkit/reply.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace redis_toolkit::detail {

/// One master, its replicas, and the slots it serves.
struct ClusterShard {
  NodeAddress master;
  std::vector<NodeAddress> replicas;
  std::vector<SlotRange> slots;
};

struct ClusterTopology {
  std::vector<ClusterShard> shards;
  /// How many of the 16,384 slots some shard serves.
  std::size_t covered_slots() const;
};

/// CLUSTER SHARDS (Redis >= 7). `asked` stands in for a node that reports no address. Replicas
/// reported failed are left out. With `tls`, a node's "tls-port" is its address (a TLS cluster
/// reports its plain port as "port"). Throws std::runtime_error on a reply of another shape.
ClusterTopology parse_cluster_shards(const Reply& reply, const NodeAddress& asked,
                                     bool tls = false);
/// CLUSTER SLOTS (every version). Same conventions.
ClusterTopology parse_cluster_slots(const Reply& reply, const NodeAddress& asked);
/// CLUSTER NODES text, one ClusterNodeInfo per line; `asked` fills an empty host.
std::vector<ClusterNodeInfo> parse_cluster_nodes(std::string_view text, const NodeAddress& asked);

/// A MOVED or ASK error reply: "MOVED 3999 127.0.0.1:6381".
struct Redirection {
  enum class Kind { moved, ask };
  Kind kind = Kind::moved;
  std::uint16_t slot = 0;
  NodeAddress target;
};
/// The redirection `reply` asks for, if it is one; `asked` fills an empty host (":6381").
std::optional<Redirection> parse_redirection(const Reply& reply, const NodeAddress& asked);
/// TRYAGAIN (a multi-key command during resharding) and CLUSTERDOWN: worth retrying after a delay.
bool is_transient_cluster_error(const Reply& reply);
/// A node answering as a replica what only a master can do (WAIT, or a write on a READONLY
/// connection), or a WAIT it cut short when it stopped being master: it was the slot's master
/// until a failover.
bool is_demoted_master_error(const Reply& reply);
/// Any reply that says the cluster, not the command, is at fault (the above, MOVED/ASK left after
/// too many redirections, CROSSSLOT): reported as ClusterError.
bool is_cluster_error(const Reply& reply);

/// The router's table: slot -> index of the serving shard's master node, -1 when unknown.
class SlotTable {
public:
  SlotTable() { owner_.fill(-1); }
  std::int32_t owner(std::uint16_t slot) const { return owner_[slot]; }
  void assign(std::uint16_t slot, std::int32_t node) { owner_[slot] = node; }
  void assign(const SlotRange& range, std::int32_t node);
  std::size_t covered() const;

private:
  std::array<std::int32_t, cluster_slot_count> owner_;
};

} // namespace redis_toolkit::detail
