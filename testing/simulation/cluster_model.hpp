#pragma once
// A Redis Cluster simulated in one process and in virtual time, driving RouterCore through its
// RouterPort: masters and replicas that serve SET and GET by the cluster's rules (MOVED, ASK
// behind ASKING, TRYAGAIN, CLUSTERDOWN), live resharding, failovers, hung and unreachable nodes,
// and latencies that reorder replies between connections but never on one. Callers submit
// operations and every answer is checked against what the model knows was acknowledged.
//
//   SimulationSettings settings;
//   settings.seed = 42;
//   SimulationReport report = ClusterModel(settings).run();
//   // report.problems: every broken invariant, empty on a sound run
//
// Rules the model keeps:
// - One random generator, seeded from `seed`, makes every choice; events run in (time, order of
//   scheduling), so a seed replays exactly in the same build.
// - A node that is down, unreachable or hung executes nothing it receives: a write either ran
//   and was replicated, or never ran, before its caller hears of it.
// - Replication is synchronous: a shard's data is one store, whichever of its nodes is master.
// - What a server answers travels as RESP bytes through a ConnectionMachine, the one the node
//   connection actor keeps (login on every new socket, decoding, cut at a random point so that
//   replies arrive in pieces); a failure the connection itself reports (refused, timed out)
//   closes it.
// - The router learns the slot table as the router actor does, through TopologyDiscovery: its
//   CLUSTER SHARDS queries go to the nodes it picks, which answer what the cluster is when the
//   query arrives (stale by the time the answer lands), fail at once when down or unreachable
//   and after the socket timeout when hung.

#include "connection_machine.hpp"
#include "router_core.hpp"
#include "topology_discovery.hpp"

#include "redis_toolkit/reply.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <string>
#include <vector>

namespace rtk_sim {

using redis_toolkit::Reply;
using redis_toolkit::detail::CommandBatch;
using redis_toolkit::detail::ConnectionRef;
using redis_toolkit::detail::RouterClock;
using redis_toolkit::detail::RouterTimer;

/// The cluster, the load and the faults of one run.
struct SimulationSettings {
  std::uint64_t seed = 1;
  int masters = 3;                  ///< each with one replica
  std::size_t calls = 100000;       ///< commands to submit over the run
  std::size_t callers = 64;         ///< operations in progress at once
  int most_commands = 8;            ///< per operation
  std::size_t connections_per_node = 4; ///< the router's max_connections
  int keys = 4096;
  int key_tags = 0;                 ///< keys share this many hash tags (few, busy slots); 0: none
  bool resharding = true;
  bool failovers = true;
  bool hangs = true;
  bool partitions = true;
  bool router_outages = true;       ///< now and then the router loses every node at once
  bool transient_errors = true;     ///< TRYAGAIN during migrations, CLUSTERDOWN during failovers
  int most_migrations = 2;          ///< slots migrating at once
  int most_faults = 1;              ///< nodes down, hung or unreachable at once
  std::int64_t fault_interval_us = 40000; ///< mean time between resharding or fault events
};

/// What a run did and what it found wrong.
struct SimulationReport {
  std::uint64_t seed = 0;
  std::size_t calls = 0;            ///< commands answered
  std::size_t operations = 0;
  std::size_t failed_calls = 0;     ///< answered with a failure or a cluster error (after a fault)
  double virtual_seconds = 0;
  double slowest_answer_seconds = 0;
  double deadline_seconds = 0;      ///< what no answer may take longer than
  int most_sends = 0;               ///< of one command
  std::uint64_t moved = 0, ask = 0, tryagain = 0, retries = 0, refreshes = 0;
  std::size_t migrations = 0, failovers = 0, hangs = 0, partitions = 0, outages = 0;
  std::vector<std::string> problems; ///< broken invariants: the first few of the run, of the end
  std::size_t problem_count = 0;
};

/// One line: the run's size, what happened in it and its slowest answer.
std::string summary(const SimulationReport& report, int masters);

/// The 3-master cluster under every kind of fault that `rtk simulate` runs by default.
SimulationSettings small_cluster_under_faults(std::uint64_t seed);

class ClusterModel : public redis_toolkit::detail::RouterPort,
                     public redis_toolkit::detail::DiscoveryPort {
public:
  explicit ClusterModel(SimulationSettings settings);
  /// Runs the load to its end and drains every event; then checks what is left in the cluster.
  SimulationReport run();

  // ---- RouterPort ----
  void parts_queued() override;
  void send(ConnectionRef connection, CommandBatch&& batch, std::uint64_t part) override;
  void answer(std::uint64_t caller, std::vector<Reply>&& replies) override;
  void start_timer(RouterTimer timer, std::uint64_t id, RouterClock::duration after) override;
  void refresh_topology() override;
  void topology_needed() override;
  RouterClock::time_point now() override; // both ports'

  // ---- DiscoveryPort ----
  void query(std::uint64_t query, redis_toolkit::detail::DiscoveryTarget target,
             std::vector<std::string> command) override;
  void start_refresh_timer(RouterClock::duration after) override;
  void discovery_ended() override;
  void master_moved(const redis_toolkit::NodeAddress& master) override;

  /// A command of a caller's operation: `index` of operation `caller`.
  struct Tag {
    std::uint64_t caller = 0;
    std::uint32_t index = 0;
  };
  /// A command as the simulated server reads it.
  struct SentCommand {
    enum class Kind { asking, set, get } kind = Kind::asking;
    int key = -1;
    Tag tag;
  };

private:
  struct Node {
    std::uint16_t port = 0;
    int shard = 0;
    bool down = false;
    std::int64_t unreachable_until = 0;
    std::int64_t hung_until = 0;
  };
  struct Shard {
    int master = 0;
    int replica = 0;
    bool failing_over = false;
  };
  /// A key's data in the cluster; during its slot's migration `moved` says it is on the target.
  struct KeyData {
    std::string name;
    std::uint16_t slot = 0;
    bool exists = false;
    bool moved = false;
    std::string value;
  };
  /// What callers know of a key: the values it may hold (more than one after a write that
  /// failed, which may or may not have run).
  struct KeyKnowledge {
    std::vector<std::string> possible;
    bool may_be_absent = true;
    bool busy = false; ///< an operation in progress uses it: no other touches it meanwhile
  };
  struct Call {
    std::size_t lane = 0;
    std::int64_t submitted = 0;
    bool answered = false;
    std::vector<SentCommand> commands; ///< what was asked, tag.index the position
    std::vector<int> sends;
    std::vector<bool> faulted; ///< met a down, hung or unreachable node, TRYAGAIN or CLUSTERDOWN
    /// Where its last redirection pointed, for its next send to go there: the node, -1 when
    /// none is pending; with `redirected_epoch`, the topology the router had then.
    std::vector<int> redirected_to;
    std::vector<bool> redirected_by_ask;
    std::vector<std::uint64_t> redirected_epoch;
    /// Replies the router retries (a failure, a lost reply, TRYAGAIN, CLUSTERDOWN) it received.
    std::vector<int> retryable_failures;
  };
  struct Connection {
    std::uint64_t generation = 0; ///< counts connection_ended: a later batch is on a new one
    std::int64_t last_arrival = 0;
    std::int64_t last_delivery = 0;
    std::map<std::uint64_t, std::vector<Tag>> in_flight; ///< by part
    /// The client side of the socket: a server's replies reach the router through it as bytes,
    /// behind a login on each new socket, as in the node connection actor.
    std::unique_ptr<redis_toolkit::detail::ConnectionMachine> machine;
  };
  struct Scheduled {
    std::int64_t at;
    std::uint64_t order;
    std::size_t action;
  };
  struct Later {
    bool operator()(const Scheduled& a, const Scheduled& b) const {
      return a.at != b.at ? a.at > b.at : a.order > b.order;
    }
  };

  void at(std::int64_t time, std::function<void()> action);
  std::int64_t random(std::int64_t low, std::int64_t high);
  bool chance(double probability);
  std::int64_t latency();
  std::string address_of(int node) const;
  Connection& connection(ConnectionRef ref);
  int node_of(ConnectionRef ref) const;
  Call* call_of(const Tag& tag);
  void mark_faulted(const std::vector<Tag>& tags);
  /// A MOVED or ASK a server gave to a command: `target` is the node it names.
  struct Redirected {
    Tag tag;
    int target = -1;
    bool ask = false;
  };
  void redirected(const SentCommand& command, int target, bool ask);
  void redirections_received(const std::vector<Redirected>& redirections);
  void retryable_failures_received(const std::vector<Tag>& tags);
  void check_redirection_followed(Call& call, const SentCommand& command, int node, bool asking);

  void submit_next(std::size_t lane);
  void check_answer(Call& call, std::uint64_t caller, std::vector<Reply>& replies);
  void problem(const std::string& text);

  void serve(ConnectionRef ref, std::uint64_t part, std::uint64_t generation,
             const std::vector<SentCommand>& commands, std::int64_t sent);
  Reply serve_command(int node, const SentCommand& command, bool asking);
  void deliver(ConnectionRef ref, std::uint64_t part, std::uint64_t generation,
               std::vector<Reply> replies, std::int64_t when,
               std::vector<Redirected> redirections = {}, std::vector<Tag> retryable = {});
  void end_connection(ConnectionRef ref, std::uint64_t generation);
  std::vector<Reply> through_connection(Connection& line, const std::vector<Reply>& replies);
  redis_toolkit::detail::ClusterTopology truth() const;

  void next_disturbance();
  void start_migration();
  void migrate_step(std::uint16_t slot);
  void fail_over(int shard);
  void isolate(int node, bool hang);
  void cut_off_router();
  int fault_free_master();
  void check_final_state();

  SimulationSettings settings_;
  std::mt19937_64 random_;
  std::int64_t now_ = 0;
  std::uint64_t next_order_ = 0;
  std::priority_queue<Scheduled, std::vector<Scheduled>, Later> queue_;
  std::vector<std::function<void()>> actions_;
  std::vector<std::size_t> free_actions_;

  std::vector<Node> nodes_;
  std::vector<Shard> shards_;
  std::vector<int> slot_owner_;   ///< shard
  std::vector<int> migrating_to_; ///< shard, -1 when the slot is not migrating
  std::vector<KeyData> keys_;
  std::uint64_t topology_epoch_ = 0; ///< counts the topologies handed to the router
  std::vector<Redirected> serving_redirections_; ///< given by the batch being served
  std::vector<Tag> serving_retryable_;           ///< its commands answered TRYAGAIN, CLUSTERDOWN
  int retry_attempts_ = 0;
  std::vector<KeyKnowledge> knowledge_;
  std::vector<std::vector<int>> keys_of_slot_;
  std::vector<std::uint16_t> keyed_slots_;
  int migrations_running_ = 0;
  int faults_running_ = 0;

  std::vector<Connection> connections_; ///< by core node, then pool index
  std::vector<Call> calls_;             ///< by caller id, which counts from 1
  std::size_t commands_submitted_ = 0;
  std::size_t lanes_idle_ = 0;
  bool flush_scheduled_ = false;
  std::int64_t deadline_us_ = 0;
  int most_sends_allowed_ = 0;
  SimulationReport report_;
  static constexpr std::size_t problems_kept_per_phase = 20;
  std::size_t problems_kept_ = problems_kept_per_phase;
  redis_toolkit::detail::RouterCore core_;
  redis_toolkit::detail::TopologyDiscovery discovery_;
};

} // namespace rtk_sim
