#pragma once
// A local Redis Cluster of real redis-server processes on loopback: 3 masters, 3 replicas by
// default, with the settings measured on these machines (node timeout 1000 ms, diskless sync without
// delay, replica validity factor 0) so that a killed master is replaced in about 2 s. For the
// tests, the examples, the benchmarks, `rtk failover-sim` and `rtk cluster up`.
//
//   auto cluster = redis_toolkit::LocalCluster::start();     // free ports, fresh directory
//   RedisConnectionConfig config;
//   config.cluster_mode = true;
//   config.startup_nodes = cluster.addresses();
//   ...
//   std::size_t master = cluster.master_of_slot(key_slot("user:1"));
//   cluster.node(master).kill_hard();                         // a crash
//   cluster.wait_until_healthy(std::chrono::seconds(15));     // the replica took over
//   cluster.restart_node(master);                             // rejoins as a replica
//
// Owned processes get SIGTERM when the thread that started them exits (see RedisServerProcess):
// start the cluster from a thread that outlives it. `rtk cluster up` uses the detached form
// (daemonized servers that outlive rtk; `rtk cluster down` stops them).
//
// Every wait has a deadline: a cluster that does not come up or heal in time is a ClusterError
// saying what was still wrong, a node that does not start a ConnectionError with its log's tail.

#include "redis_toolkit/config.hpp"
#include "redis_toolkit/server_launcher.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace redis_toolkit {

/// What one node says about itself and the cluster (from CLUSTER MYID, INFO replication,
/// CLUSTER INFO); for tests and `rtk cluster status`.
struct LocalClusterNodeStatus {
  NodeAddress address;
  bool answering = false;
  std::string id;          ///< the node id, empty when not answering
  std::string role;        ///< "master" or "replica"; empty when not answering
  std::string cluster_state; ///< "ok" or "fail" (CLUSTER INFO cluster_state)
  bool master_link_up = false; ///< replicas: master_link_status:up
};

class LocalCluster {
public:
  struct Options {
    std::string binary;                   ///< empty: find_redis_server_binary()
    std::uint16_t base_port = 0;          ///< 0: free ports; else base_port .. base_port+N-1
                                          ///< (and each port + 10000, the cluster bus)
    int masters = 3;                      ///< at least 3 (redis-cli --cluster create)
    int replicas_per_master = 1;          ///< 0..5; N = masters * (1 + replicas_per_master)
    std::chrono::milliseconds node_timeout{1000}; ///< cluster-node-timeout
    std::chrono::milliseconds start_timeout{60000}; ///< the whole start, until healthy
    /// Each node gets its own subdirectory (node-0 ... for start(), <port> for start_detached()).
    /// Empty: a fresh $TMPDIR/rtk-cluster-XXXXXX for start(), default_detached_directory() for
    /// start_detached().
    std::string directory;
    bool keep_directory = false;          ///< start(): leave the files (logs, nodes.conf) behind
    std::vector<std::string> extra_args;  ///< appended to every node's command line
    /// Set (start() only): every node also listens with TLS on a port of its own and the cluster
    /// runs `tls-cluster yes` and `tls-replication yes`, so nodes announce their TLS ports to TLS
    /// clients (tls_addresses()); the plain ports stay what the launcher drives the cluster with.
    /// The Tls's port is ignored (each node gets a free one).
    std::optional<RedisServerProcess::Tls> tls;
  };

  /// Starts the nodes, creates the cluster (redis-cli --cluster create), and returns once
  /// wait_until_healthy() holds, all within start_timeout. The first `masters` nodes become the
  /// masters. Throws ValidationError for a shape outside the limits above or a base_port whose
  /// last node would be beyond 55535 (its bus port beyond 65535),
  /// ConnectionError naming the node and the reason (with the tail of its log) when a node does
  /// not start or a chosen port is taken, ClusterError when `redis-cli --cluster create` fails or
  /// the cluster is not healthy in time. A failed start leaves no process behind.
  static LocalCluster start(Options options);
  static LocalCluster start() { return start(Options{}); }

  LocalCluster(LocalCluster&&) noexcept;
  LocalCluster& operator=(LocalCluster&&) noexcept;
  LocalCluster(const LocalCluster&) = delete;
  LocalCluster& operator=(const LocalCluster&) = delete;
  ~LocalCluster(); ///< stops every node, removes the directory unless kept

  /// Every node's address, in start order; the startup nodes for a toolkit.
  std::vector<NodeAddress> addresses() const;
  /// Every node's TLS address (Options::tls), in start order: the startup nodes for a TLS toolkit.
  std::vector<NodeAddress> tls_addresses() const;
  std::size_t size() const noexcept { return nodes_.size(); }
  RedisServerProcess& node(std::size_t index) { return nodes_.at(index); }
  /// The index of the node at `address`; throws std::out_of_range.
  std::size_t index_of(const NodeAddress& address) const;
  const std::string& directory() const noexcept { return directory_; }

  /// Indices of the nodes that are masters now (asked of the live nodes), ascending.
  std::vector<std::size_t> masters() const;
  /// Indices of the nodes that are replicas now.
  std::vector<std::size_t> replicas() const;
  /// The node that serves `slot` as master now (CLUSTER SLOTS of the first live node). Throws
  /// ValidationError for a slot outside 0..16383, ClusterError when no node answers or the slot
  /// is not served.
  std::size_t master_of_slot(int slot) const;
  /// A live replica of the master at `master_index` (by INFO replication of the replicas, so it
  /// works for a master that was just killed too); throws ClusterError when there is none.
  std::size_t replica_of(std::size_t master_index) const;

  /// Waits until the live nodes (those that answer) agree and are well: each reports
  /// cluster_state:ok; all 16384 slots are served by live masters, the same ones in every live
  /// node's CLUSTER SLOTS; each live replica shows master_link_status:up; and in each live node's
  /// CLUSTER NODES every other live node has the role and master it reports itself, is connected
  /// and not flagged failing. Throws ClusterError with what was still wrong when `timeout` passes.
  void wait_until_healthy(std::chrono::milliseconds timeout) const;
  /// Starts a stopped or killed node again (same port, same nodes.conf): it rejoins, as a replica
  /// when its slots moved meanwhile; returns once it answers (call wait_until_healthy after).
  void restart_node(std::size_t index);
  /// CLUSTER FAILOVER on the replica at `replica_index`; returns once it reports itself master
  /// (call wait_until_healthy before: a master that does not know its replica yet ignores the
  /// request). Throws ClusterError when the node does not answer, is not a replica, refuses, or
  /// is not master within `timeout`.
  void manual_failover(std::size_t replica_index, std::chrono::milliseconds timeout);
  /// Every node's status; a node that does not answer is reported, not thrown.
  std::vector<LocalClusterNodeStatus> status() const;

  /// Stops every node, all at once (SIGTERM, SIGKILL after 5 s); idempotent.
  void stop() noexcept;

  // ---- the detached form, for `rtk cluster up|down|status` ----

  static constexpr std::uint16_t default_detached_base_port = 7000;

  /// $TMPDIR/rtk-cluster-<base_port> (/tmp when TMPDIR is not set).
  static std::string default_detached_directory(std::uint16_t base_port);
  /// Starts daemonized nodes on base_port .. base_port+N-1 (0: default_detached_base_port), each in
  /// `directory`/<port> (created; a stale nodes.conf there is removed, so the cluster is always a
  /// new, empty one), creates the cluster and waits until healthy; the processes outlive this
  /// process. Throws like start(), and ClusterError when a node already answers on one of the
  /// ports (a cluster is up there). A failed start stops what it started.
  static std::vector<NodeAddress> start_detached(Options options);
  /// Stops the nodes on base_port .. base_port+count-1 that were started in `directory` (empty:
  /// the default): SHUTDOWN NOSAVE, then SIGKILL for a pid file's process that is still alive
  /// after 5 s. A server on those ports that was not started there (its pid is not the one in
  /// the pid file) is left alone. Returns how many were running. Idempotent.
  static std::size_t stop_detached(std::uint16_t base_port, int count, const std::string& directory);
  /// The status of the nodes on base_port .. base_port+count-1.
  static std::vector<LocalClusterNodeStatus> status_of(std::uint16_t base_port, int count);
  /// What keeps the nodes at `nodes` from being healthy by the rules of wait_until_healthy(), one
  /// entry per problem; empty when healthy. Asks once, never waits.
  static std::vector<std::string> health_problems(const std::vector<NodeAddress>& nodes);

private:
  LocalCluster() = default;
  void release() noexcept;
  std::vector<RedisServerProcess> nodes_;
  std::string directory_;
  bool owns_directory_ = false;
  Options options_;
};

} // namespace redis_toolkit
