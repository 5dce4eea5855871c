#pragma once
// What the router decides, with no actor and no socket: where each command goes, which commands
// travel together in one pipeline per connection, what a reply means (an answer, a redirection,
// a retry), when an operation is answered and with what, in the caller's order. The router actor
// receives messages, calls RouterCore, and carries out what the core asks of its RouterPort:
// send a pipeline, answer a caller, start a timer, refresh the topology. A test or a simulation
// implements RouterPort instead and drives the same core with no server.
//
// Example (a RouterPort `port` that records what it is asked):
//   RouterCore core(settings, port);            // settings.cluster = false: one server, node 0
//   CommandRequest request;
//   request.add({"GET", "k"}, key_slot("k"));
//   core.submit(request, /*caller=*/7);
//   core.flush();                                // port.send(node 0, connection 1, "GET k", part)
//   std::vector<Reply> replies{Reply::bulk("v")};
//   core.take_part(part, replies);               // port.answer(7, {"v"})
//
// Rules the core keeps:
// - Each submitted operation is answered exactly once through RouterPort::answer, with one reply
//   per command, in the order the caller gave them; fan-outs (every_master) are assembled.
// - Commands of one slot always travel on the same connection of a node, so that Redis sees
//   them in the order the router received them.
// - Nothing is sent from inside submit() or take_part(): pipelines wait in the core until
//   flush(), so that everything routed to one connection in one round goes as one pipeline.

#include "cluster_topology.hpp"
#include "command_batch.hpp"
#include "metrics_recorder.hpp"
#include "reply_assembly.hpp"
#include "retry_policy.hpp"
#include "slab.hpp"

#include "redis_toolkit/command_request.hpp"
#include "redis_toolkit/reply.hpp"
#include "redis_toolkit/statistics.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace redis_toolkit::detail {

using RouterClock = std::chrono::steady_clock;

/// How the core routes and pools.
struct RouterCoreSettings {
  bool cluster = false;         ///< false: one server, node 0, every command goes there
  bool sentinel_mode = false;   ///< cluster routing over the one shard the sentinels name
  bool readonly_mode = false;   ///< reads may go to replicas
  bool skip_full_coverage_check = false;
  int max_redirections = 16;    ///< MOVED/ASK hops per command before a ClusterError
  std::size_t max_connections = 4;   ///< shared connections per node
  std::size_t max_pending_calls = 0; ///< operations in progress; beyond: overloaded (0: no bound)
  bool count_calls = true;      ///< per-command figures in metrics()
  NodeAddress single_server;    ///< cluster == false: the server's address
  std::string server_name;      ///< named in errors: the server, the seeds or the sentinel master
  std::chrono::milliseconds session_limit{5000}; ///< how long a WATCH session may stay open
};

/// One connection of the router's: a node, and the connection's place in that node's pool.
struct ConnectionRef {
  std::int32_t node = 0;
  std::size_t index = 0;
};

/// The delayed work the core asks for; each comes back as RouterCore::timer_fired(timer, id).
enum class RouterTimer {
  retry,          ///< id: an operation; send its failed commands again
  redirect,       ///< id: an operation; send its late redirections
  session_expiry, ///< id: a WATCH session its caller left open
};

/// What the core asks of whoever drives it. Called from inside the core's functions; an
/// implementation must not call back into the core from these.
class RouterPort {
public:
  virtual ~RouterPort() = default;
  /// A pipeline is waiting: call RouterCore::flush() once the messages at hand are handled.
  virtual void parts_queued() = 0;
  /// Send `batch` on `connection` (making it when there is none); its replies come back as
  /// RouterCore::take_part(part, replies), one per command, failures included.
  virtual void send(ConnectionRef connection, CommandBatch&& batch, std::uint64_t part) = 0;
  /// Operation `caller` is answered: one reply per command of its request. The port takes the
  /// vector whole or moves the replies out of it; what it leaves stays the core's, to be reused.
  virtual void answer(std::uint64_t caller, std::vector<Reply>&& replies) = 0;
  virtual void start_timer(RouterTimer timer, std::uint64_t id, RouterClock::duration after) = 0;
  /// The slot table may be wrong: discover the topology again (the port rate-limits).
  virtual void refresh_topology() = 0;
  /// Operations wait for the first slot table: discover it unless that is under way.
  virtual void topology_needed() = 0;
  virtual RouterClock::time_point now() = 0;
};

/// What routing learned about one command of an operation.
struct CommandRoute {
  std::int32_t fixed_node = -1; ///< Target::node, or one master of an every_master command
  std::int32_t ask_node = -1;   ///< ASK: the next send goes here, behind ASKING
  std::int32_t last_node = -1;  ///< where it went last (for the retry statistics)
  int redirections = 0;
};

/// Where the i-th reply of a pipeline belongs: command `index` of operation `operation`, or
/// nowhere (index -1: the reply to an ASKING).
struct ReplyPosition {
  std::uint64_t operation;
  std::int64_t index;
};

/// One caller's request while any of its commands is unanswered or waiting for a retry.
struct Operation {
  std::uint64_t caller = 0;      ///< the port's name for whom to answer
  std::vector<Command> commands; ///< as the caller sent them until expanded, then one per send
  std::string wire;              ///< CommandRequest::wire: the bytes of commands without their own
  std::vector<CommandRoute> routes;
  std::vector<Origin> origins;   ///< empty until expanded, and when `identity`
  bool identity = false;         ///< expanded one to one: reply i answers the caller's command i
  /// One per send once a reply arrived; sized lazily (sized_replies) so that a part answering the
  /// whole operation hands its reply vector over instead of filling a fresh one.
  std::vector<Reply> replies;
  RetryPolicy retry;
  int attempt = 1;
  std::size_t parts_outstanding = 0;
  std::vector<std::size_t> failed;     ///< to send again after the retry delay
  std::vector<std::size_t> redirected; ///< to send again at once (MOVED, ASK)
  std::vector<std::size_t> redirect_later; ///< to send again after a short wait
  int most_redirections = 0;           ///< among redirect_later
  bool redirect_scheduled = false;
  bool atomic = false;                 ///< CommandRequest::atomic: routed and resent as one unit
  std::uint64_t session = 0;           ///< CommandRequest::session
  bool session_close = false;
  RouterClock::time_point received{};  ///< when the caller's request arrived

  std::vector<Reply>& sized_replies() {
    if (replies.size() != commands.size()) replies.resize(commands.size());
    return replies;
  }

  /// The RESP bytes of commands[index] (see CommandRequest::bytes).
  std::string_view bytes(std::size_t index) const { return command_bytes(commands[index], wire); }

  /// Back to a fresh operation, keeping what its vectors have allocated.
  void reset();
};

class RouterCore {
public:
  RouterCore(RouterCoreSettings settings, RouterPort& port);
  RouterCore(const RouterCore&) = delete;
  RouterCore& operator=(const RouterCore&) = delete;

  // ---- what drives the core ----
  /// A caller's request; `caller` comes back with its answer. Takes the request's commands and
  /// bytes, leaving it empty buffers the caller's thread may reuse (request_buffers.hpp).
  void submit(CommandRequest& request, std::uint64_t caller);
  /// The replies to pipeline `part`, one per command (fewer: the rest are lost).
  void take_part(std::uint64_t part, std::vector<Reply>& replies);
  /// Hands every waiting pipeline to RouterPort::send, one per connection.
  void flush();
  bool has_unsent() const { return !unsent_.empty(); }
  void timer_fired(RouterTimer timer, std::uint64_t id);
  /// The connection ended (the actor behind it, not one TCP connection): what it held failed,
  /// and a WATCH on it is gone.
  void connection_ended(ConnectionRef connection);
  /// Answers every operation with "the toolkit was shut down" and keeps nothing.
  void shut_down();

  // ---- topology ----
  bool ready() const { return ready_; }
  /// Routes by `topology` (from `source`), then sends what waited for it. A first table that
  /// covers too few slots fails the waiting operations instead, and is refused: the reason.
  std::optional<std::string> apply_topology(const ClusterTopology& topology,
                                            const NodeAddress& source);
  /// Why apply_topology would refuse `topology` (from `source`): a first table that covers too
  /// few slots. Nothing when it would take it.
  std::optional<std::string> refuses(const ClusterTopology& topology,
                                     const NodeAddress& source) const;
  /// No topology could be had: fails every operation waiting for the first one.
  void fail_waiting(Reply::Type kind, const std::string& reason);
  /// The node at `address`, known from now on (cluster mode learns nodes as it goes).
  std::int32_t node_for_address(const NodeAddress& address);
  const NodeAddress& address(std::int32_t node) const { return nodes_[node].address; }
  std::size_t node_count() const { return nodes_.size(); }
  const std::vector<std::int32_t>& masters() const { return masters_; }
  /// Where a subscriber of `slot` should connect ("host:port", empty when no node is known): the
  /// slot's master; for any_slot, spread over every node, the first that is not `suspect`.
  std::string locate(std::int32_t slot, const std::string& suspect) const;
  /// Connections in each node's pool: the shared ones, then one for blocking commands, then one
  /// for WATCH sessions.
  std::size_t pool_size() const { return settings_.max_connections + reserved_connections; }

  // ---- figures ----
  MetricsRecorder& metrics() { return metrics_; }
  const MetricsRecorder& metrics() const { return metrics_; }
  PoolStatistics& statistics(std::int32_t node) { return nodes_[node].statistics; }
  const PoolStatistics& statistics(std::int32_t node) const { return nodes_[node].statistics; }
  std::size_t pending_calls() const { return operations_.size(); }
  const RouterCoreSettings& settings() const { return settings_; }

  static constexpr std::size_t reserved_connections = 2;

private:
  struct PoolConnection {
    std::uint64_t generation = 0; ///< connection_ended() counts up: a WATCH holds one generation
  };
  struct Node {
    NodeAddress address;
    std::vector<PoolConnection> connections;
    PoolStatistics statistics;
    std::uint64_t session_owner = 0;          ///< the WATCH session on the session connection
    std::vector<std::uint64_t> session_queue; ///< operations opening a session, in arrival order
  };
  /// A WATCH session between its opening request and its closing one.
  struct OpenSession {
    std::int32_t node = 0;
    std::uint64_t generation = 0; ///< of the session connection that holds the WATCH
  };
  /// One pipeline for one connection: queued in this round, then sent and not yet answered. It
  /// carries the commands of every operation routed to that connection in one round, each
  /// operation's commands side by side (a run).
  struct Part {
    std::int32_t node = 0;
    std::size_t connection = 0;
    std::uint64_t generation = 0; ///< of the connection when queued
    CommandBatch batch;           ///< until sent
    std::vector<ReplyPosition> layout; ///< `layout[i]`: where the i-th reply goes
    std::size_t runs = 0;         ///< operations in it
  };

  std::size_t session_connection() const { return pool_size() - 1; }
  std::size_t connection_for(const Command& command) const;
  std::int32_t master_for_slot(std::int32_t slot) const;
  std::int32_t node_for_command(Operation& operation, std::size_t index);
  void request_refresh();
  void start_operation(std::uint64_t id);
  void expand(Operation& operation);
  void dispatch(std::uint64_t id, const std::size_t* indices, std::size_t count);
  void dispatch(std::uint64_t id, const std::vector<std::size_t>& indices) {
    dispatch(id, indices.data(), indices.size());
  }
  void dispatch_session(std::uint64_t id, Operation& operation);
  void release_session(std::int32_t node);
  void expire_session(std::uint64_t session);
  void queue_part(std::uint64_t id, Operation& operation, std::int32_t node,
                  std::size_t connection_index, const std::size_t* first, std::size_t count);
  void take_reply(Operation& operation, std::size_t index, Reply reply, std::int32_t node);
  void take_atomic_replies(Operation& operation, std::vector<Reply>& replies,
                           const std::vector<ReplyPosition>& layout, std::size_t first,
                           std::size_t end, std::int32_t node);
  void release_connection(const Part& part);
  void finish_part(std::uint64_t id);
  void settle(std::uint64_t id);
  void deliver(std::uint64_t id);
  std::vector<Reply> assemble(Operation& operation) const;
  void describe_wait(const Operation& operation, std::vector<Reply>& replies);
  void record_calls(const Operation& operation, const std::vector<Reply>& replies);
  void fail_operation(std::uint64_t id, Reply::Type kind, const std::string& reason);

  RouterCoreSettings settings_;
  RouterPort& port_;
  std::vector<Node> nodes_;
  std::map<NodeAddress, std::size_t> node_index_;
  SlotTable slots_;
  std::vector<std::int32_t> masters_;
  std::map<std::int32_t, std::vector<std::int32_t>> replicas_of_;
  bool ready_ = false; ///< the slot table is known (always, for a single server)
  std::vector<std::uint64_t> waiting_; ///< operations that arrived before the first slot table
  Slab<Operation> operations_; ///< in progress; a finished one's id finds nothing
  std::unordered_map<std::uint64_t, OpenSession> sessions_;
  std::unordered_map<std::uint64_t, Part> parts_;
  std::uint64_t next_part_id_ = 1;
  std::vector<Part> unsent_; ///< this round's pipelines, until flush()
  /// The largest pipeline of the last flush(), in bytes and commands: a new part's buffers are
  /// made (or taken from the spares) that large at once, not grown command by command.
  std::size_t last_part_bytes_ = 0;
  std::size_t last_part_commands_ = 0;
  std::size_t next_any_ = 0;
  std::size_t next_replica_ = 0;
  mutable std::size_t next_subscriber_node_ = 0;
  bool shutting_down_ = false;
  MetricsRecorder metrics_;
};

} // namespace redis_toolkit::detail
