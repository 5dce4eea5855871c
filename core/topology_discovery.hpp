#pragma once
// How the router learns its slot table, with no actor and no socket: which nodes or sentinels to
// ask, what to ask them, what each answer means, when to give up and whom that fails, and how
// often to ask again. The router actor carries its queries to connection actors and hands the
// replies back; a test or the simulated cluster answers them instead.
//
// Example (a DiscoveryPort `port` that records what it is asked; `core` a RouterCore in cluster
// mode):
//   DiscoverySettings settings;
//   settings.seeds = {NodeAddress{"10.0.0.1", 7000}};
//   TopologyDiscovery discovery(settings, core, port);
//   discovery.start();               // port.query(1, node 0, {"CLUSTER", "SHARDS"})
//   discovery.take_reply(1, shards); // core.apply_topology(...); port.discovery_ended()
//
// Rules it keeps:
// - One discovery runs at a time. A refresh asked for while one runs starts another when it ends
//   (the table may have changed meanwhile); refreshes start at most once per refresh_interval,
//   since failures come in bursts.
// - Cluster mode asks the known masters (a replica's view may lag a slot move), and every seed
//   and known node only when there are no masters yet or they all failed last time; the first
//   usable answer wins and later ones of that discovery are dropped. A node without CLUSTER SHARDS
//   (Redis < 7) is asked CLUSTER SLOTS.
// - Sentinel mode asks one sentinel at a time, starting with the one that named the master last:
//   GET-MASTER-ADDR-BY-NAME, then ROLE on the server it names (a sentinel that has not yet seen a
//   failover names a demoted or dead master), then, with readonly_mode, its REPLICAS. The first
//   sentinel whose master says "master" wins.
// - When every node or sentinel failed, the operations waiting for a first table fail with every
//   reason (a connection failure when no node was reached, a cluster failure when some answered);
//   with a table already, routing goes on by it and the failure is logged once per reason.
// - start(), refresh() and need() only read the core and send queries, so a RouterPort may call
//   them from inside the core; take_reply() and timer_fired() change the core's table and answer
//   operations, so they are called from outside it.

#include "cluster_topology.hpp"
#include "router_core.hpp"

#include "redis_toolkit/reply.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace redis_toolkit::detail {

struct DiscoverySettings {
  bool sentinel_mode = false;
  bool readonly_mode = false; ///< sentinel mode: learn the master's healthy replicas too
  bool tls = false;           ///< CLUSTER SHARDS: a node's address is its tls-port
  std::vector<NodeAddress> seeds;
  std::vector<NodeAddress> sentinels;
  std::string master_name;    ///< the master the sentinels monitor
  RouterClock::duration refresh_interval = std::chrono::milliseconds(100);
  std::size_t fan_out = 8;    ///< nodes one cluster discovery asks at once
};

/// Whom a query goes to: a node of the core (on its first pooled connection), or a sentinel
/// (an index into DiscoverySettings::sentinels).
struct DiscoveryTarget {
  enum class Kind { node, sentinel };
  Kind kind = Kind::node;
  std::size_t index = 0;
};

/// What discovery asks of whoever drives it.
class DiscoveryPort {
public:
  virtual ~DiscoveryPort() = default;
  /// Send `command` to `target`; its one reply (a failure when the connection fails) comes back
  /// as TopologyDiscovery::take_reply(query, reply).
  virtual void query(std::uint64_t query, DiscoveryTarget target,
                     std::vector<std::string> command) = 0;
  /// Call TopologyDiscovery::timer_fired() after `after`.
  virtual void start_refresh_timer(RouterClock::duration after) = 0;
  /// A discovery ended, with a table (RouterCore::ready()) or without one.
  virtual void discovery_ended() = 0;
  /// Sentinel mode: the master changed (a failover); those connected to the old one move.
  virtual void master_moved(const NodeAddress& master) = 0;
  virtual RouterClock::time_point now() = 0;
};

class TopologyDiscovery {
public:
  /// Makes the seeds nodes of `core`.
  TopologyDiscovery(DiscoverySettings settings, RouterCore& core, DiscoveryPort& port);
  TopologyDiscovery(const TopologyDiscovery&) = delete;
  TopologyDiscovery& operator=(const TopologyDiscovery&) = delete;

  /// Discovers now (the first table, before any request needs it).
  void start();
  /// The table may be wrong: discover again, no sooner than refresh_interval after the last start.
  void refresh();
  /// Operations wait for a table: discover unless a discovery is under way.
  void need();
  void timer_fired();
  /// The reply to `query`; one for a discovery that ended is dropped.
  void take_reply(std::uint64_t query, const Reply& reply);
  /// Stops discovering: later replies and timers do nothing.
  void shut_down();

  bool running() const { return running_; }
  /// Sentinel mode: the sentinel that named the master last.
  std::size_t current_sentinel() const { return sentinel_first_; }

private:
  enum class Asked { shards, slots, master_address, role, replicas };
  struct Query {
    Asked asked = Asked::shards;
    std::size_t node = 0;     ///< the node asked (shards, slots, role)
    std::size_t attempt = 0;  ///< sentinel mode: how many sentinels were skipped before
    std::size_t sentinel = 0;
    NodeAddress master;       ///< role, replicas: the master the sentinel named
  };

  void begin();
  void ask(Query query, std::vector<std::string> command);
  void take_cluster_reply(const Query& query, const Reply& reply);
  void node_failed(const Query& query, const std::string& reason);
  void take_sentinel_reply(const Query& query, const Reply& reply);
  void ask_sentinel(std::size_t attempt);
  void sentinel_skipped(const Query& query, const std::string& reason);
  void apply_sentinel_master(const NodeAddress& master, std::vector<NodeAddress> replicas,
                             std::size_t sentinel);
  void apply(const ClusterTopology& topology, const NodeAddress& source);
  void fail_waiting(Reply::Type kind, const std::string& reason);
  void note_failure(const std::string& reason);
  void finish();

  DiscoverySettings settings_;
  RouterCore& core_;
  DiscoveryPort& port_;
  std::vector<std::int32_t> seed_nodes_;
  bool running_ = false;
  bool again_ = false;     ///< asked for while running: run once more afterwards
  bool scheduled_ = false; ///< a timer will start the next one
  bool started_once_ = false;
  bool shutting_down_ = false;
  RouterClock::time_point last_started_{};
  std::unordered_map<std::uint64_t, Query> queries_; ///< of the running discovery
  std::uint64_t next_query_ = 1;
  std::size_t outstanding_ = 0; ///< cluster mode: nodes not yet answered or failed
  bool reached_ = false;        ///< some node answered, if only with an error
  bool ask_everyone_ = false;   ///< the masters all failed last time
  std::string errors_;          ///< why each node or sentinel failed, in this discovery
  std::string last_failure_;    ///< logged once, not at every retry
  std::size_t sentinel_first_ = 0;
};

/// The replicas a SENTINEL REPLICAS reply lists that are up and replicating.
std::vector<NodeAddress> healthy_replicas(const Reply& reply);

} // namespace redis_toolkit::detail
