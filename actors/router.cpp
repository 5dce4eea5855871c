#include "router.hpp"

#include "cluster_topology.hpp"
#include "metrics_recorder.hpp"
#include "node_connection.hpp"
#include "pending_requests.hpp"
#include "redirection_policy.hpp"
#include "reply_assembly.hpp"
#include "resp.hpp"
#include "retry_policy.hpp"
#include "slab.hpp"
#include "subscriber.hpp"

#include "redis_toolkit/errors.hpp"
#include "redis_toolkit/logging.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <unordered_map>

namespace redis_toolkit::detail {
namespace {

using Clock = std::chrono::steady_clock;
using retry_atom = caf::atom_constant<caf::atom("rtk_retry")>;
using refresh_atom = caf::atom_constant<caf::atom("rtk_refrsh")>;
using redirect_atom = caf::atom_constant<caf::atom("rtk_redir")>;
using answer_atom = caf::atom_constant<caf::atom("rtk_answer")>;
using send_atom = caf::atom_constant<caf::atom("rtk_rsend")>;
using session_expiry_atom = caf::atom_constant<caf::atom("rtk_sexpir")>;

/// The least time between two topology refreshes: failures come in bursts.
constexpr auto refresh_interval = std::chrono::milliseconds(100);
/// How many known nodes one refresh asks at once (the first good answer wins).
constexpr std::size_t refresh_fan_out = 8;
const std::string asking_command = "*1\r\n$6\r\nASKING\r\n";

struct PooledConnection {
  caf::actor actor;
  std::uint64_t in_flight = 0;
  bool made_once = false; ///< a TCP connection was made in this slot before (the next is a reconnect)
};

/// The connections of one node: the shared ones, then the one for blocking commands, then the one
/// for WATCH sessions (see connection_for).
struct NodePool {
  NodeAddress address;
  ConnectionSettings settings;
  std::vector<PooledConnection> connections;
  PoolStatistics statistics;
  std::uint64_t session_owner = 0;          ///< the WATCH session on the session connection
  std::vector<std::uint64_t> session_queue; ///< operations opening a session, in arrival order
};

/// Connections a pool has besides the shared ones: for blocking commands, for WATCH sessions.
constexpr std::size_t reserved_connections = 2;

std::size_t session_connection(const NodePool& pool) { return pool.connections.size() - 1; }

/// A WATCH session between its opening request and its closing one.
struct OpenSession {
  std::int32_t node = 0;
  caf::actor connection; ///< the connection that holds the WATCH
};

/// What routing learned about one command of an operation.
struct CommandRoute {
  std::int32_t fixed_node = -1; ///< Target::node, or one master of an every_master command
  std::int32_t ask_node = -1;   ///< ASK: the next send goes here, behind ASKING
  std::int32_t last_node = -1;  ///< where it went last (for the retry statistics)
  int redirections = 0;
};

/// Where an operation's answer goes: a request's response promise, a tag to answer with to the
/// sender (in a TaggedReplies), or a ReplySink.
struct ReplyTo {
  caf::response_promise promise;
  caf::strong_actor_ptr tagged_to;
  std::uint64_t tag = 0;
  std::shared_ptr<ReplySink> sink;
};

/// Tagged answers waiting for the end of this round of the mailbox, per asker.
struct Answers {
  caf::strong_actor_ptr to;
  TaggedReplies replies;
};

/// Where the i-th reply of a pipeline belongs: command `index` of operation `operation`, or
/// nowhere (index -1: the reply to an ASKING).
struct ReplyPosition {
  std::uint64_t operation;
  std::int64_t index;
};

/// One pipeline sent to one connection and not answered yet: (part_atom, id, replies) comes back.
/// It carries the commands of every operation routed to that connection in one round of the
/// router's mailbox, each operation's commands side by side (a run).
struct Part {
  std::int32_t node = 0;
  std::size_t connection = 0;
  caf::actor target;
  CommandBatch batch;          ///< until sent
  std::vector<ReplyPosition> layout; ///< `layout[i]`: where the i-th reply goes
  std::size_t runs = 0;        ///< operations in it
};

/// One caller's request while any of its commands is unanswered or waiting for a retry.
struct Operation {
  ReplyTo reply_to;
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
  Clock::time_point received{};        ///< when the caller's request arrived

  std::vector<Reply>& sized_replies() {
    if (replies.size() != commands.size()) replies.resize(commands.size());
    return replies;
  }

  /// The RESP bytes of commands[index] (see CommandRequest::bytes).
  std::string_view bytes(std::size_t index) const { return command_bytes(commands[index], wire); }

  /// Back to a fresh operation, keeping what its vectors have allocated.
  void reset() {
    reply_to = ReplyTo();
    commands.clear();
    wire.clear();
    routes.clear();
    origins.clear();
    identity = false;
    replies.clear();
    retry = RetryPolicy();
    attempt = 1;
    parts_outstanding = 0;
    failed.clear();
    redirected.clear();
    redirect_later.clear();
    most_redirections = 0;
    redirect_scheduled = false;
    atomic = false;
    session = 0;
    session_close = false;
  }
};

/// The state of topology discovery (cluster mode).
struct Discovery {
  bool running = false;
  bool again = false;     ///< asked for while running: run once more afterwards
  bool scheduled = false; ///< a delayed start is on its way
  std::uint64_t round = 0;
  std::size_t outstanding = 0;
  bool answered = false;
  bool reached = false;   ///< some node answered, if only with an error
  bool ask_everyone = false; ///< the masters all failed last time: ask every known node
  std::string errors;
  Clock::time_point last_started{};
};

struct RouterState {
  RouterSettings settings;
  std::vector<NodePool> nodes;
  std::map<NodeAddress, std::size_t> node_index;
  SlotTable slots;
  std::vector<std::int32_t> masters;
  std::map<std::int32_t, std::vector<std::int32_t>> replicas_of;
  bool ready = false; ///< the slot table is known (always, for a single server)
  std::string last_discovery_failure; ///< logged once, not at every retry
  Discovery discovery;
  std::vector<std::uint64_t> waiting; ///< operations that arrived before the first slot table
  struct Locating {
    std::int32_t slot;
    std::string suspect;
    caf::response_promise promise;
  };
  std::vector<Locating> locating;
  Slab<Operation> operations; ///< in progress; a finished one's id finds nothing
  std::unordered_map<std::uint64_t, OpenSession> sessions;
  std::unordered_map<std::uint64_t, Part> parts;
  std::uint64_t next_part_id = 1;
  std::vector<Part> unsent; ///< this round's pipelines, sent by send_parts, posted once per round
  bool parts_posted = false;
  bool in_round = false; ///< a Round is open: it sends or posts what is unsent when it ends
  std::vector<Answers> answers; ///< sent by send_answers, posted once per round
  bool answers_posted = false;
  std::size_t next_any = 0;
  std::size_t next_replica = 0;
  mutable std::size_t next_subscriber_node = 0;
  bool shutting_down = false;
  MetricsRecorder metrics; ///< written here only; read by (metrics_atom)
  // Sentinel mode:
  std::vector<caf::actor> sentinel_connections; ///< one per sentinel, made on first use
  std::size_t sentinel_first = 0; ///< the sentinel that named the master last: asked first
  std::size_t next_watched_sentinel = 0;
  caf::actor sentinel_watch; ///< a subscriber on a sentinel's +switch-master
  std::vector<caf::actor> subscribers; ///< those that located a node: told when it moves
  static inline const char* name = "rtk_router";
};

using Router = caf::io::stateful_broker<RouterState>;

/// The server named in errors: the one server, or the cluster's seeds.
std::string server_name(const RouterSettings& settings) {
  if (!settings.cluster) return settings.node.server();
  if (settings.sentinel_mode()) return "sentinel master " + settings.sentinel_master_name;
  std::string seeds;
  for (const NodeAddress& seed : settings.seeds) seeds += (seeds.empty() ? "" : ",") + seed.to_string();
  return "cluster " + seeds;
}

/// The pool of the node at `address`, made on first sight (cluster mode learns nodes as it goes).
std::int32_t pool_for(RouterState& state, const NodeAddress& address) {
  if (!state.settings.cluster) return 0; // a single server answers whatever it is called
  auto found = state.node_index.find(address);
  if (found != state.node_index.end()) return static_cast<std::int32_t>(found->second);
  NodePool pool;
  pool.address = address;
  pool.settings = state.settings.node;
  pool.settings.host = address.host;
  pool.settings.port = address.port;
  // READONLY is a cluster command: a Sentinel-managed replica serves reads as it is.
  pool.settings.readonly = state.settings.readonly_mode && !state.settings.sentinel_mode();
  pool.connections.resize(std::max<std::size_t>(1, state.settings.max_connections) +
                          reserved_connections);
  pool.statistics.server = address.to_string();
  state.nodes.push_back(std::move(pool));
  state.node_index[address] = state.nodes.size() - 1;
  return static_cast<std::int32_t>(state.nodes.size() - 1);
}

/// Which connection of a node's pool carries `command`. Always the same one for a slot, so that
/// commands on one key (or channel) reach Redis in the order the router received them; keys spread
/// over the pool. Commands without a key use the first connection. After the shared connections
/// come the one kept for blocking commands (WAIT and the writes before it, BLPOP ...) and the one
/// kept for WATCH sessions.
std::size_t connection_for(const NodePool& pool, const Command& command) {
  const std::size_t shared = pool.connections.size() - reserved_connections;
  if (command.blocking) return shared;
  return command.slot < 0 ? 0 : static_cast<std::size_t>(command.slot) % shared;
}

/// The connection at `index`, connecting it on first use (and again after it ended).
PooledConnection& connection_at(Router* self, NodePool& pool, std::size_t index) {
  PooledConnection& connection = pool.connections[index];
  if (!connection.actor) {
    connection.actor = spawn_node_connection(self->system(), pool.settings,
                                             caf::actor_cast<caf::actor>(self));
    connection.in_flight = 0;
    self->monitor(connection.actor);
  }
  return connection;
}

/// The node that serves `slot` as master, or a reason why none does.
std::int32_t master_for_slot(const RouterState& state, std::int32_t slot) {
  if (!state.settings.cluster) return 0;
  if (slot < 0) return state.masters.empty() ? -1 : state.masters.front();
  return state.slots.owner(static_cast<std::uint16_t>(slot));
}

/// Where command `index` of `operation` goes now; -1 when no node serves it.
std::int32_t node_for_command(RouterState& state, Operation& operation, std::size_t index) {
  CommandRoute& route = operation.routes[index];
  if (route.ask_node >= 0) return route.ask_node;
  if (route.fixed_node >= 0) return route.fixed_node;
  if (!state.settings.cluster) return 0;
  const Command& command = operation.commands[index];
  if (command.slot < 0) {
    if (state.masters.empty()) return -1;
    return state.masters[state.next_any++ % state.masters.size()];
  }
  const std::int32_t owner = state.slots.owner(static_cast<std::uint16_t>(command.slot));
  if (owner >= 0 && state.settings.readonly_mode && command.read_only) {
    auto replicas = state.replicas_of.find(owner);
    if (replicas != state.replicas_of.end() && !replicas->second.empty())
      return replicas->second[state.next_replica++ % replicas->second.size()];
  }
  return owner;
}

void request_refresh(Router* self);
void finish_part(Router* self, std::uint64_t id);
void take_part(Router* self, std::uint64_t part_id, std::vector<Reply>& replies);

/// Books a pipeline of `count` commands as answered on `target`.
void release_connection(NodePool& pool, const caf::actor& target, std::size_t count,
                        std::size_t runs) {
  for (auto& connection : pool.connections)
    if (connection.actor == target)
      connection.in_flight -= std::min<std::uint64_t>(connection.in_flight, runs);
  pool.statistics.requests_in_flight -=
      std::min<std::uint64_t>(pool.statistics.requests_in_flight, runs);
  pool.statistics.requests_total += count;
}

/// Takes the reply to command `index`: stores it, or books it for a redirection or a retry.
void take_reply(Router* self, Operation& operation, std::size_t index, Reply reply,
                std::int32_t node) {
  auto& state = self->state;
  const NodeAddress& address = state.nodes[node].address;
  if (state.settings.cluster && reply.is_error() && reply.server.empty())
    reply.server = address.to_string(); // errors name the node that said them
  CommandRoute& route = operation.routes[index];
  ReplyVerdict verdict = judge_reply(reply, address, state.settings.cluster, route.redirections,
                                     state.settings.max_redirections);
  route.redirections = verdict.redirections;
  if (verdict.tryagain) ++state.metrics.redirections_tryagain;
  if (verdict.redirection) {
    const std::int32_t target = pool_for(state, verdict.redirection->target);
    if (verdict.redirection->kind == Redirection::Kind::moved) {
      ++state.metrics.redirections_moved;
      state.slots.assign(verdict.redirection->slot, target);
    } else {
      ++state.metrics.redirections_ask;
      route.ask_node = target;
    }
  }
  if (verdict.refresh_topology) request_refresh(self);
  switch (verdict.action) {
  case ReplyVerdict::Action::redirect_now:
    operation.redirected.push_back(index);
    return;
  case ReplyVerdict::Action::redirect_later:
    operation.redirect_later.push_back(index);
    operation.most_redirections = std::max(operation.most_redirections, route.redirections);
    return;
  case ReplyVerdict::Action::give_up:
    operation.sized_replies()[index] = std::move(*verdict.failure);
    return;
  case ReplyVerdict::Action::retry:
    operation.failed.push_back(index);
    break; // the reply stands until the retry answers
  case ReplyVerdict::Action::answer:
    break;
  }
  operation.sized_replies()[index] = std::move(reply);
}

/// Counts a redirection (or a TRYAGAIN) found in one reply of an atomic operation.
void count_redirection(MetricsRecorder& metrics, const std::optional<Redirection>& redirection,
                       const Reply& reply) {
  if (redirection)
    ++(redirection->kind == Redirection::Kind::moved ? metrics.redirections_moved
                                                     : metrics.redirections_ask);
  else if (reply.text.rfind("TRYAGAIN", 0) == 0)
    ++metrics.redirections_tryagain;
}

/// Takes the replies of an atomic operation (a transaction), which stands or falls as a unit: a
/// MOVED anywhere in it sends it all to the slot's new master, a TRYAGAIN, CLUSTERDOWN or ASK (a
/// slot mid-migration) sends it all again after the retry delay; anything else is its answer,
/// including a lost connection, which is not retried because the transaction may have run.
void take_atomic_replies(Router* self, Operation& operation, std::vector<Reply>& replies,
                         const std::vector<ReplyPosition>& layout, std::size_t first,
                         std::size_t end, std::int32_t node) {
  auto& state = self->state;
  std::optional<Redirection> moved;
  bool transient = false;
  for (std::size_t i = first; i < end; ++i) {
    if (layout[i].index < 0 || i >= replies.size()) continue;
    Reply& reply = replies[i];
    if (state.settings.cluster && reply.is_error()) {
      if (reply.server.empty()) reply.server = state.nodes[node].address.to_string();
      auto redirection = parse_redirection(reply, state.nodes[node].address);
      count_redirection(state.metrics, redirection, reply);
      if (redirection && redirection->kind == Redirection::Kind::moved) moved = redirection;
      else if (redirection || is_transient_cluster_error(reply) || is_demoted_master_error(reply))
        transient = true;
    }
    operation.sized_replies()[static_cast<std::size_t>(layout[i].index)] = std::move(reply);
  }
  if (!moved && !transient) return;
  if (operation.session != 0) { // a WATCH lives on its connection: the caller starts again
    request_refresh(self);
    return;
  }
  CommandRoute& route = operation.routes.front();
  if (++route.redirections > state.settings.max_redirections) return; // the errors stand
  std::vector<std::size_t>& again = moved ? operation.redirected : operation.failed;
  again.clear();
  for (std::size_t index = 0; index < operation.commands.size(); ++index) again.push_back(index);
  if (moved) state.slots.assign(moved->slot, pool_for(state, moved->target));
  request_refresh(self);
}

/// Sends this round's pipelines, one message per connection.
void send_parts(Router* self) {
  auto& state = self->state;
  state.parts_posted = false;
  std::vector<Part> unsent;
  unsent.swap(state.unsent);
  for (Part& part : unsent) {
    PooledConnection& connection = state.nodes[part.node].connections[part.connection];
    if (connection.actor != part.target && part.connection == session_connection(state.nodes[part.node])) {
      // The WATCH ended with its connection: a fresh one must not run the transaction unguarded.
      const std::uint64_t part_id = state.next_part_id++;
      std::vector<Reply> lost(part.layout.size(),
                              Reply::failure(Reply::Type::connection_failed,
                                             state.nodes[part.node].address.to_string(),
                                             "the connection holding the transaction's WATCH was lost"));
      state.parts.emplace(part_id, std::move(part));
      take_part(self, part_id, lost);
      continue;
    }
    if (connection.actor != part.target) { // it ended since: a fresh one takes the part
      part.target = connection_at(self, state.nodes[part.node], part.connection).actor;
      connection.in_flight += part.runs;
    }
    const std::uint64_t part_id = state.next_part_id++;
    part.batch.count = static_cast<std::uint32_t>(part.layout.size());
    self->send(part.target, exec_atom::value, std::move(part.batch), part_id);
    part.batch = CommandBatch();
    state.parts.emplace(part_id, std::move(part));
  }
}

/// Queues commands [first, first + count) of operation `id` for one connection. Everything
/// queued for a connection in this round of the mailbox goes out as one pipeline, sent by a
/// message the router posts to itself behind this round's messages.
void queue_part(Router* self, std::uint64_t id, Operation& operation, std::int32_t node,
                std::size_t connection_index, const std::size_t* first, std::size_t count) {
  auto& state = self->state;
  auto part = std::find_if(state.unsent.begin(), state.unsent.end(), [&](const Part& each) {
    return each.node == node && each.connection == connection_index;
  });
  if (part == state.unsent.end()) {
    NodePool& pool = state.nodes[node];
    Part fresh;
    fresh.node = node;
    fresh.connection = connection_index;
    fresh.target = connection_at(self, pool, connection_index).actor;
    state.unsent.push_back(std::move(fresh));
    part = std::prev(state.unsent.end());
  }
  // take_part finishes an operation once per run of its commands: commands that extend the
  // part's last run belong to that run.
  const bool continues_run = !part->layout.empty() && part->layout.back().operation == id;
  if (count > 1) { // a pipeline: room for all of it at once, not grown (and copied) step by step
    std::size_t bytes = part->batch.encoded.size();
    for (std::size_t i = 0; i < count; ++i) bytes += operation.bytes(first[i]).size();
    if (bytes > part->batch.encoded.capacity())
      part->batch.encoded.reserve(std::max(bytes, 2 * part->batch.encoded.capacity()));
    if (part->layout.size() + count > part->layout.capacity())
      part->layout.reserve(std::max(part->layout.size() + count, 2 * part->layout.capacity()));
  }
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t index = first[i];
    CommandRoute& command_route = operation.routes[index];
    if (command_route.ask_node >= 0) {
      part->batch.encoded += asking_command;
      part->layout.push_back(ReplyPosition{id, -1});
      command_route.ask_node = -1; // an ASK holds for one send
    }
    part->batch.encoded += operation.bytes(index);
    part->layout.push_back(ReplyPosition{id, static_cast<std::int64_t>(index)});
  }
  if (!continues_run) {
    ++part->runs;
    NodePool& pool = state.nodes[node];
    for (auto& connection : pool.connections)
      if (connection.actor == part->target) ++connection.in_flight;
    ++pool.statistics.requests_in_flight;
    ++operation.parts_outstanding;
  }
  if (!state.parts_posted && !state.in_round) {
    state.parts_posted = true;
    self->send(self, send_atom::value);
  }
}

/// How long a WATCH session may stay open before the router closes it.
std::chrono::milliseconds session_limit(const RouterSettings& settings) {
  return std::max<std::chrono::milliseconds>(std::chrono::seconds(5),
                                             4 * settings.node.socket_timeout);
}

void dispatch_session(Router* self, std::uint64_t id, Operation& operation);

/// The node's session connection is free again: the next waiting session takes it.
void release_session(Router* self, std::int32_t node) {
  auto& state = self->state;
  NodePool& pool = state.nodes[node];
  pool.session_owner = 0;
  while (pool.session_owner == 0 && !pool.session_queue.empty()) {
    const std::uint64_t next = pool.session_queue.front();
    pool.session_queue.erase(pool.session_queue.begin());
    if (Operation* waiting = state.operations.find(next)) {
      dispatch_session(self, next, *waiting);
      finish_part(self, next); // releases the hold taken while it waited
    }
  }
}

/// Sends a WATCH session's request: the opening one to the session connection of its slot's node
/// (or behind the session that holds it), the closing one to the connection that holds its WATCH.
void dispatch_session(Router* self, std::uint64_t id, Operation& operation) {
  auto& state = self->state;
  std::vector<std::size_t> all(operation.commands.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  auto fail_all = [&](Reply::Type kind, const std::string& server, const std::string& reason) {
    for (Reply& reply : operation.sized_replies()) reply = Reply::failure(kind, server, reason);
  };
  auto open = state.sessions.find(operation.session);
  if (operation.session_close) {
    if (open == state.sessions.end()) {
      fail_all(Reply::Type::connection_failed, server_name(state.settings),
               "the transaction's WATCH was dropped: it was open longer than " +
                   std::to_string(session_limit(state.settings).count()) + " ms");
      return;
    }
    const OpenSession session = open->second;
    state.sessions.erase(open);
    NodePool& pool = state.nodes[session.node];
    if (pool.connections[session_connection(pool)].actor != session.connection) {
      fail_all(Reply::Type::connection_failed, pool.address.to_string(),
               "the connection holding the transaction's WATCH was lost");
    } else {
      for (std::size_t index : all) operation.routes[index].last_node = session.node;
      queue_part(self, id, operation, session.node, session_connection(pool), all.data(),
                 all.size());
    }
    // What this session sent is queued ahead of the next session's on the same actor.
    release_session(self, session.node);
    return;
  }
  if (open != state.sessions.end()) {
    fail_all(Reply::Type::connection_failed, server_name(state.settings),
             "a transaction session was opened twice");
    return;
  }
  const std::int32_t node = node_for_command(state, operation, 0);
  if (node < 0) {
    fail_all(Reply::Type::cluster_failed, server_name(state.settings),
             "slot " + std::to_string(operation.commands.front().slot) + " is not served by any node");
    request_refresh(self);
    return;
  }
  NodePool& pool = state.nodes[node];
  if (pool.session_owner != 0) {
    pool.session_queue.push_back(id);
    ++operation.parts_outstanding; // held until release_session dispatches it
    return;
  }
  pool.session_owner = operation.session;
  state.sessions[operation.session] =
      OpenSession{node, connection_at(self, pool, session_connection(pool)).actor};
  for (std::size_t index : all) operation.routes[index].last_node = node;
  queue_part(self, id, operation, node, session_connection(pool), all.data(), all.size());
  self->delayed_send(self, session_limit(state.settings), session_expiry_atom::value,
                     operation.session);
}

/// Closes a session its caller left open: UNWATCH on its connection, and the next one's turn.
void expire_session(Router* self, std::uint64_t session) {
  auto& state = self->state;
  auto open = state.sessions.find(session);
  if (open == state.sessions.end()) return;
  const OpenSession expired = open->second;
  state.sessions.erase(open);
  RTK_LOG_WARN("a transaction left its WATCH open for "
               << session_limit(state.settings).count() << " ms on "
               << state.nodes[expired.node].address << ": closed it");
  CommandBatch unwatch;
  unwatch.encoded = "*1\r\n$7\r\nUNWATCH\r\n";
  unwatch.count = 1;
  // Its answer comes back under a part id nobody waits for, and is dropped.
  self->send(expired.connection, exec_atom::value, std::move(unwatch), state.next_part_id++);
  release_session(self, expired.node);
}

/// Sends the commands `indices` of operation `id`, one pipeline per (node, connection).
void dispatch(Router* self, std::uint64_t id, const std::size_t* indices, std::size_t count) {
  auto& state = self->state;
  Operation& operation = state.operations.at(id);
  if (operation.session != 0) return dispatch_session(self, id, operation);
  std::map<std::pair<std::int32_t, std::size_t>, std::vector<std::size_t>> pipelines;
  // An atomic operation goes whole where its first command goes (keyless: any one master).
  const std::int32_t atomic_node =
      operation.atomic && count > 0 ? node_for_command(state, operation, indices[0]) : -1;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t index = indices[i];
    const std::int32_t node =
        operation.atomic ? atomic_node : node_for_command(state, operation, index);
    if (node < 0) {
      const std::int32_t slot = operation.commands[index].slot;
      operation.sized_replies()[index] =
          Reply::failure(Reply::Type::cluster_failed, server_name(state.settings),
                         "slot " + std::to_string(slot) + " is not served by any node");
      operation.failed.push_back(index);
      request_refresh(self);
      continue;
    }
    operation.routes[index].last_node = node;
    const std::size_t connection = connection_for(
        state.nodes[node], operation.commands[operation.atomic ? indices[0] : index]);
    if (count == 1) { // the common single command: no grouping
      queue_part(self, id, operation, node, connection, &index, 1);
      return;
    }
    pipelines[{node, connection}].push_back(index);
  }
  for (auto& [route, part] : pipelines)
    queue_part(self, id, operation, route.first, route.second, part.data(), part.size());
}

void dispatch(Router* self, std::uint64_t id, const std::vector<std::size_t>& indices) {
  dispatch(self, id, indices.data(), indices.size());
}

/// True when `replies` answer every command of `operation`, in order, and nothing else: a part
/// made of the whole operation and no reply of it taken yet.
bool answers_whole(const Operation& operation, const std::vector<ReplyPosition>& layout,
                   const std::vector<Reply>& replies) {
  if (operation.atomic || !operation.identity || !operation.replies.empty() ||
      layout.size() != operation.commands.size() || replies.size() != layout.size())
    return false;
  for (std::size_t i = 0; i < layout.size(); ++i)
    if (layout[i].index != static_cast<std::int64_t>(i) || layout[i].operation != layout[0].operation)
      return false;
  return true;
}

/// The replies of one part: each to its command, then each operation in it goes on.
void take_part(Router* self, std::uint64_t part_id, std::vector<Reply>& replies) {
  auto& state = self->state;
  auto found_part = state.parts.find(part_id);
  if (found_part == state.parts.end()) return;
  Part part = std::move(found_part->second);
  state.parts.erase(found_part);
  release_connection(state.nodes[part.node], part.target, part.layout.size(), part.runs);
  std::size_t i = 0;
  while (i < part.layout.size()) { // one run (one operation) at a time
    const std::uint64_t id = part.layout[i].operation;
    Operation* operation = state.operations.find(id);
    if (operation != nullptr && operation->atomic) {
      const std::size_t first = i;
      while (i < part.layout.size() && part.layout[i].operation == id) ++i;
      take_atomic_replies(self, *operation, replies, part.layout, first, i, part.node);
      finish_part(self, id);
      continue;
    }
    if (operation != nullptr && i == 0 && answers_whole(*operation, part.layout, replies)) {
      // The common pipeline: one part holds every command in order. Its replies become the
      // operation's as they are; only errors and failures need a look.
      operation->replies.swap(replies);
      for (std::size_t index = 0; index < operation->replies.size(); ++index) {
        Reply& reply = operation->replies[index];
        if (reply.is_error() || reply.is_failure())
          take_reply(self, *operation, index, std::move(reply), part.node);
      }
      finish_part(self, id);
      break;
    }
    for (; i < part.layout.size() && part.layout[i].operation == id; ++i)
      if (operation != nullptr && part.layout[i].index >= 0 && i < replies.size())
        take_reply(self, *operation, static_cast<std::size_t>(part.layout[i].index),
                   std::move(replies[i]), part.node);
    if (operation != nullptr) finish_part(self, id);
  }
}

/// A connection actor ended with parts unanswered (it answers what it holds when it shuts down,
/// so this is the rare case of an actor that failed): those commands failed.
void fail_parts_of(Router* self, const caf::actor_addr& ended) {
  auto& state = self->state;
  std::vector<std::uint64_t> lost;
  for (const auto& [part_id, part] : state.parts)
    if (part.target.address() == ended) lost.push_back(part_id);
  for (std::uint64_t part_id : lost) {
    const Part& part = state.parts.at(part_id);
    std::vector<Reply> replies(
        part.layout.size(),
        Reply::failure(Reply::Type::connection_failed, state.nodes[part.node].address.to_string(),
                       "the connection actor ended"));
    take_part(self, part_id, replies);
  }
}

/// Sends the tagged answers gathered in this round, one message per asker.
void send_answers(Router* self) {
  auto& state = self->state;
  state.answers_posted = false;
  std::vector<Answers> answers;
  answers.swap(state.answers);
  for (Answers& each : answers)
    caf::anon_send(caf::actor_cast<caf::actor>(each.to), reply_atom::value,
                   std::move(each.replies));
}

void answer(Router* self, ReplyTo& reply_to, std::vector<Reply> replies) {
  if (reply_to.sink) {
    reply_to.sink->take(std::move(replies));
    return;
  }
  if (!reply_to.tagged_to) {
    reply_to.promise.deliver(std::move(replies));
    return;
  }
  // Answers that finish in the same round travel together: the flush message queued behind this
  // round's messages sends them.
  auto& state = self->state;
  auto found = std::find_if(state.answers.begin(), state.answers.end(),
                            [&](const Answers& each) { return each.to == reply_to.tagged_to; });
  if (found == state.answers.end()) {
    state.answers.push_back(Answers{reply_to.tagged_to, {}});
    found = std::prev(state.answers.end());
  }
  found->replies.items.emplace_back(reply_to.tag, std::move(replies));
  if (!state.answers_posted && !state.in_round) {
    state.answers_posted = true;
    self->send(self, answer_atom::value);
  }
}

/// The caller's replies, in the caller's order, from the expanded ones.
std::vector<Reply> assemble(Operation& operation, const RouterState& state) {
  if (operation.identity) return std::move(operation.sized_replies());
  return assemble_replies(operation.sized_replies(), operation.origins, [&](std::size_t send) {
    return state.nodes[operation.routes[send].fixed_node].address.to_string();
  });
}

/// A failure after retries says what the caller went through: the time from the request to its
/// answer and the attempts made, since the per-attempt reason ("no reply within ...") alone
/// understates how long the caller waited.
void describe_wait(const Operation& operation, std::vector<Reply>& replies) {
  std::string summary;
  for (Reply& reply : replies) {
    if (reply.type != Reply::Type::timed_out && reply.type != Reply::Type::connection_failed)
      continue;
    if (summary.empty()) {
      const double seconds =
          std::chrono::duration<double>(Clock::now() - operation.received).count();
      char waited[32];
      std::snprintf(waited, sizeof waited, "%.2f", seconds);
      summary = " (gave up after " + std::string(waited) + " s and " +
                std::to_string(operation.attempt) +
                (operation.attempt == 1 ? " attempt)" : " attempts)");
    }
    reply.text += summary;
  }
}

/// Counts each of the caller's commands once, with its outcome and the operation's time: every
/// call, blocking, async or an actor's, is answered here.
void record_calls(MetricsRecorder& metrics, const Operation& operation,
                  const std::vector<Reply>& replies) {
  const auto elapsed = Clock::now() - operation.received;
  for (std::size_t i = 0; i < replies.size(); ++i) {
    const std::size_t command = operation.identity || operation.origins.size() <= i
                                    ? i
                                    : operation.origins[i].first;
    if (command >= operation.commands.size()) continue;
    metrics.record(operation.bytes(command), outcome_of(replies[i]), elapsed);
  }
}

void deliver(Router* self, std::uint64_t id) {
  auto& state = self->state;
  Operation& operation = state.operations.at(id);
  std::vector<Reply> replies = assemble(operation, state);
  if (state.settings.count_calls) record_calls(state.metrics, operation, replies);
  describe_wait(operation, replies);
  ReplyTo reply_to = std::move(operation.reply_to);
  state.operations.release(id); // gone before anyone hears of it
  answer(self, reply_to, std::move(replies));
  if (state.operations.shrink_when_empty(slab_slots_kept)) return_freed_memory();
}

/// All parts are in: retry what failed (after the policy's delay) or answer the caller.
void settle(Router* self, std::uint64_t id) {
  auto& state = self->state;
  Operation& operation = state.operations.at(id);
  if (!operation.failed.empty() && !state.shutting_down &&
      operation.attempt < operation.retry.attempts) {
    auto delay = retry_delay_before(operation.attempt + 1, operation.retry.delay,
                                    operation.retry.backoff);
    ++operation.attempt;
    for (std::size_t index : operation.failed) {
      const std::int32_t node = operation.routes[index].last_node;
      if (node >= 0) ++state.nodes[node].statistics.retries;
    }
    RTK_LOG_DEBUG("retrying " << operation.failed.size() << " command(s) in "
                              << std::chrono::duration_cast<std::chrono::milliseconds>(delay).count()
                              << " ms (attempt " << operation.attempt << ")");
    self->delayed_send(self, std::chrono::duration_cast<std::chrono::microseconds>(delay),
                       retry_atom::value, id);
    return;
  }
  deliver(self, id);
}

void finish_part(Router* self, std::uint64_t id) {
  auto& state = self->state;
  Operation& operation = state.operations.at(id);
  --operation.parts_outstanding;
  if (!operation.redirected.empty()) {
    std::vector<std::size_t> again;
    again.swap(operation.redirected);
    dispatch(self, id, again);
  }
  if (!operation.redirect_later.empty() && !operation.redirect_scheduled) {
    operation.redirect_scheduled = true;
    ++operation.parts_outstanding; // held until the redirect message comes
    self->delayed_send(self, redirect_delay(operation.most_redirections), redirect_atom::value, id);
  }
  if (operation.parts_outstanding == 0) settle(self, id);
}

/// Turns the caller's commands into one command per send (every_master becomes one per master).
void expand(RouterState& state, Operation& operation) {
  const bool plain = std::all_of(operation.commands.begin(), operation.commands.end(),
                                 [](const Command& c) { return c.target == Command::Target::slot; });
  if (plain) { // one send per command, replies in the same places: nothing to rebuild
    operation.identity = true;
    operation.routes.resize(operation.commands.size());
    return;
  }
  std::vector<Command> original;
  original.swap(operation.commands);
  for (Command& command : original) {
    Origin origin;
    origin.first = operation.commands.size();
    if (command.target == Command::Target::every_master ||
        command.target == Command::Target::every_node) {
      std::vector<std::int32_t> nodes = state.masters;
      if (command.target == Command::Target::every_node)
        for (const auto& [master, replicas] : state.replicas_of)
          nodes.insert(nodes.end(), replicas.begin(), replicas.end());
      origin.fan_out = true;
      origin.count = nodes.size();
      for (std::int32_t node : nodes) {
        operation.commands.push_back(command);
        operation.routes.push_back(CommandRoute{node, -1, -1, 0});
      }
    } else {
      CommandRoute route;
      if (command.target == Command::Target::node) {
        try {
          route.fixed_node = pool_for(state, NodeAddress::parse(command.node));
        } catch (const std::exception&) {
          route.fixed_node = -1; // answered below as not served
        }
      }
      operation.commands.push_back(std::move(command));
      operation.routes.push_back(route);
    }
    operation.origins.push_back(origin);
  }
  operation.replies.resize(operation.commands.size());
}

/// Sends a request whose routing is known.
void start_operation(Router* self, std::uint64_t id) {
  auto& state = self->state;
  Operation& operation = state.operations.at(id);
  expand(state, operation);
  ++operation.parts_outstanding; // holds the operation open while dispatching
  if (operation.commands.size() == 1) {
    const std::size_t only = 0;
    dispatch(self, id, &only, 1);
  } else {
    std::vector<std::size_t> all(operation.commands.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    dispatch(self, id, all.data(), all.size());
  }
  finish_part(self, id);
}

// ---- topology discovery (cluster mode) ----

void start_discovery(Router* self);

/// Where a subscriber of `slot` should connect: the slot's master; for any_slot (classic pub/sub,
/// which every node serves) the first master, then replica, that is not `suspect`.
std::string locate(const RouterState& state, std::int32_t slot, const std::string& suspect) {
  if (slot >= 0 || !state.settings.cluster || state.settings.sentinel_mode()) {
    const std::int32_t node = master_for_slot(state, slot);
    return node < 0 ? std::string() : state.nodes[node].address.to_string();
  }
  // Classic subscribers spread over every node, masters and replicas alike.
  std::vector<std::int32_t> candidates = state.masters;
  for (const auto& [master, replicas] : state.replicas_of)
    candidates.insert(candidates.end(), replicas.begin(), replicas.end());
  if (candidates.empty()) return std::string();
  const std::size_t start = state.next_subscriber_node++;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const NodePool& pool = state.nodes[candidates[(start + i) % candidates.size()]];
    if (pool.address.to_string() != suspect) return pool.address.to_string();
  }
  return state.nodes[candidates.front()].address.to_string();
}

void answer_locating(Router* self) {
  auto& state = self->state;
  for (auto& each : state.locating) each.promise.deliver(locate(state, each.slot, each.suspect));
  state.locating.clear();
}

/// Fails everything that waits for the first slot table.
void fail_waiting(Router* self, Reply::Type kind, const std::string& reason) {
  auto& state = self->state;
  // A subscriber retrying against an unreachable cluster asks often: say it once per reason.
  if (reason != state.last_discovery_failure) RTK_LOG_WARN("cluster discovery failed: " << reason);
  else RTK_LOG_DEBUG("cluster discovery failed again: " << reason);
  state.last_discovery_failure = reason;
  std::vector<std::uint64_t> waiting;
  waiting.swap(state.waiting);
  for (std::uint64_t id : waiting) {
    Operation& operation = state.operations.at(id);
    operation.origins.clear();
    for (std::size_t i = 0; i < operation.commands.size(); ++i) operation.origins.push_back({i, 1, false});
    operation.replies.assign(operation.commands.size(), Reply::failure(kind, server_name(state.settings), reason));
    deliver(self, id);
  }
  for (auto& each : state.locating) each.promise.deliver(std::string());
  state.locating.clear();
}

void discovery_finished(Router* self) {
  auto& discovery = self->state.discovery;
  discovery.running = false;
  if (discovery.again) {
    discovery.again = false;
    request_refresh(self);
  }
}

void apply_topology(Router* self, const ClusterTopology& topology, const NodeAddress& source) {
  auto& state = self->state;
  const std::size_t covered = topology.covered_slots();
  if (covered < cluster_slot_count && !state.settings.skip_full_coverage_check && !state.ready) {
    fail_waiting(self, Reply::Type::cluster_failed,
                 "the cluster serves " + std::to_string(covered) + " of 16384 slots (asked " +
                     source.to_string() +
                     "); set skip_full_coverage_check to use a partly covered cluster");
    return;
  }
  SlotTable table;
  std::vector<std::int32_t> masters;
  std::map<std::int32_t, std::vector<std::int32_t>> replicas_of;
  for (const ClusterShard& shard : topology.shards) {
    const std::int32_t master = pool_for(state, shard.master);
    masters.push_back(master);
    for (const SlotRange& range : shard.slots) table.assign(range, master);
    for (const NodeAddress& replica : shard.replicas)
      replicas_of[master].push_back(pool_for(state, replica));
  }
  state.slots = table;
  state.masters = std::move(masters);
  state.replicas_of = std::move(replicas_of);
  if (!state.ready)
    RTK_LOG_INFO("cluster topology from " << source << ": " << state.masters.size()
                                          << " masters, " << covered << " slots served");
  state.ready = true;
  state.last_discovery_failure.clear();
  std::vector<std::uint64_t> waiting;
  waiting.swap(state.waiting);
  for (std::uint64_t id : waiting) start_operation(self, id);
  answer_locating(self);
}

void query_topology(Router* self, std::uint64_t round, std::int32_t node, bool shards) {
  auto& state = self->state;
  CommandBatch batch;
  batch.count = 1;
  batch.encoded = shards ? "*2\r\n$7\r\nCLUSTER\r\n$6\r\nSHARDS\r\n"
                         : "*2\r\n$7\r\nCLUSTER\r\n$5\r\nSLOTS\r\n";
  caf::actor target = connection_at(self, state.nodes[node], 0).actor;
  auto failed = [self, round, node](const std::string& reason) {
    auto& discovery = self->state.discovery;
    if (round != discovery.round) return;
    discovery.errors += (discovery.errors.empty() ? "" : "; ") +
                        self->state.nodes[node].address.to_string() + ": " + reason;
    if (--discovery.outstanding > 0 || discovery.answered) return;
    if (!self->state.ready) {
      const std::string reason_text =
          discovery.reached ? "no startup node serves a cluster (" + discovery.errors +
                                  "); for a single server, turn cluster_mode off"
                            : "no reachable startup node (" + discovery.errors + ")";
      fail_waiting(self,
                   discovery.reached ? Reply::Type::cluster_failed : Reply::Type::connection_failed,
                   reason_text);
    } else {
      if (discovery.errors != self->state.last_discovery_failure)
        RTK_LOG_WARN("cluster topology refresh failed: " << discovery.errors);
      self->state.last_discovery_failure = discovery.errors;
      discovery.ask_everyone = true;
    }
    discovery_finished(self);
  };
  self->request(target, caf::infinite, exec_atom::value, std::move(batch))
      .then(
          [self, round, node, shards, failed](std::vector<Reply>& replies) {
            auto& discovery = self->state.discovery;
            if (round != discovery.round || discovery.answered) return;
            const Reply& reply = replies.at(0);
            if (!reply.is_failure()) discovery.reached = true;
            if (reply.is_error() && shards && reply.text.find("cluster support disabled") == std::string::npos) {
              query_topology(self, round, node, false); // Redis < 7: CLUSTER SLOTS
              return;
            }
            if (reply.is_failure() || reply.is_error()) {
              failed(reply.text);
              return;
            }
            const NodeAddress source = self->state.nodes[node].address;
            ClusterTopology topology;
            try {
              // CLUSTER SLOTS answers a TLS client with TLS ports already; SHARDS lists both.
              topology = shards ? parse_cluster_shards(reply, source,
                                                       self->state.settings.node.tls != nullptr)
                                : parse_cluster_slots(reply, source);
            } catch (const std::exception& problem) {
              failed(problem.what());
              return;
            }
            if (topology.shards.empty()) {
              failed("it serves no slots yet");
              return;
            }
            discovery.answered = true;
            apply_topology(self, topology, source);
            discovery_finished(self);
          },
          [self, failed](caf::error& error) { failed(self->system().render(error)); });
}

void start_sentinel_discovery(Router* self);

void start_discovery(Router* self) {
  auto& state = self->state;
  if (state.settings.sentinel_mode()) return start_sentinel_discovery(self);
  auto& discovery = state.discovery;
  discovery.running = true;
  discovery.scheduled = false;
  discovery.again = false;
  discovery.answered = false;
  discovery.reached = false;
  discovery.errors.clear();
  discovery.last_started = Clock::now();
  ++discovery.round;
  ++state.metrics.topology_refreshes;
  // The masters know best, and a replica's view may lag (a slot just moved): ask the masters,
  // and every known node and seed only when there are none yet or they all failed last time.
  std::vector<std::int32_t> candidates;
  auto add = [&](std::int32_t node) {
    if (candidates.size() < refresh_fan_out &&
        std::find(candidates.begin(), candidates.end(), node) == candidates.end())
      candidates.push_back(node);
  };
  for (std::int32_t master : state.masters) add(master);
  if (candidates.empty() || discovery.ask_everyone) {
    for (const NodeAddress& seed : state.settings.seeds) add(pool_for(state, seed));
    for (std::size_t node = 0; node < state.nodes.size(); ++node)
      add(static_cast<std::int32_t>(node));
  }
  discovery.ask_everyone = false;
  discovery.outstanding = candidates.size();
  for (std::int32_t node : candidates) query_topology(self, discovery.round, node, true);
}

// ---- Sentinel mode ----------------------------------------------------------------------------
// Discovery asks one sentinel at a time, starting with the one that named the master last:
// GET-MASTER-ADDR-BY-NAME, then ROLE on the server it names (a sentinel that has not yet seen a
// failover names a demoted or dead master), then, with readonly_mode, its REPLICAS. The first
// sentinel whose master says "master" wins; one that is down, does not know the name or names a
// server that is not a master is skipped, and its reason kept for the error when all fail.

const std::string switch_master_channel = "+switch-master";

caf::actor sentinel_connection(Router* self, std::size_t index) {
  auto& state = self->state;
  state.sentinel_connections.resize(state.settings.sentinels.size());
  caf::actor& connection = state.sentinel_connections[index];
  if (!connection) {
    ConnectionSettings settings = state.settings.sentinel_node;
    settings.host = state.settings.sentinels[index].host;
    settings.port = state.settings.sentinels[index].port;
    connection = spawn_node_connection(self->system(), std::move(settings));
    self->monitor(connection);
  }
  return connection;
}

/// One command to `target`, its one reply (a failure when the connection fails) to `then`; a
/// reply for an older discovery round is dropped.
template <typename Then>
void ask_once(Router* self, const caf::actor& target, std::uint64_t round,
              std::initializer_list<std::string_view> command, Then then) {
  CommandBatch batch;
  batch.count = 1;
  resp::append_command(batch.encoded, command);
  self->request(target, caf::infinite, exec_atom::value, std::move(batch))
      .then(
          [self, round, then](std::vector<Reply>& replies) mutable {
            if (round != self->state.discovery.round || replies.empty()) return;
            then(replies.front());
          },
          [self, round, then](caf::error& error) mutable {
            if (round != self->state.discovery.round) return;
            Reply failed = Reply::failure(Reply::Type::connection_failed, "",
                                          self->system().render(error));
            then(failed);
          });
}

/// The sentinel after `suspect` in the list (the first one when there is no suspect).
std::string sentinel_to_watch(RouterState& state, const std::string& suspect) {
  const auto& sentinels = state.settings.sentinels;
  if (sentinels.empty()) return std::string();
  if (!suspect.empty()) ++state.next_watched_sentinel;
  return sentinels[state.next_watched_sentinel % sentinels.size()].to_string();
}

/// Keeps `subscriber` to tell when the master moves, until it ends (the down handler drops it).
void remember_subscriber(Router* self, caf::actor subscriber) {
  auto& known = self->state.subscribers;
  if (!subscriber || std::find(known.begin(), known.end(), subscriber) != known.end()) return;
  self->monitor(subscriber);
  known.push_back(std::move(subscriber));
}

/// Subscribes to +switch-master on one sentinel (moving to the next when it fails): a failover
/// then reaches the router at once, not only through the next failed call.
void watch_sentinels(Router* self) {
  auto& state = self->state;
  SubscriberSettings settings;
  settings.connection = state.settings.sentinel_node;
  settings.locator = caf::actor_cast<caf::actor>(self);
  settings.slot = sentinel_slot;
  settings.raw_payloads = true;
  settings.retry_delay = std::chrono::milliseconds(500);
  state.sentinel_watch = spawn_subscriber(self->system(), std::move(settings));
  HandlerRef handler{caf::actor_cast<caf::actor>(self), nullptr, nullptr};
  self->request(state.sentinel_watch, caf::infinite, subscribe_atom::value,
                std::vector<std::string>{switch_master_channel}, std::move(handler), false)
      .then([](caf::ok_atom) {},
            [](caf::error&) {}); // only when the router ends first: nothing to do
}

void ask_sentinel(Router* self, std::uint64_t round, std::size_t attempt);

void sentinel_skipped(Router* self, std::uint64_t round, std::size_t attempt,
                      const std::string& reason) {
  auto& discovery = self->state.discovery;
  const std::size_t index =
      (self->state.sentinel_first + attempt) % self->state.settings.sentinels.size();
  discovery.errors += (discovery.errors.empty() ? "" : "; ") +
                      self->state.settings.sentinels[index].to_string() + ": " + reason;
  ask_sentinel(self, round, attempt + 1);
}

/// `sentinel` named `master`, which says it is one: route every slot to it.
void apply_sentinel_master(Router* self, const NodeAddress& master,
                           std::vector<NodeAddress> replicas, std::size_t sentinel) {
  auto& state = self->state;
  const std::optional<NodeAddress> before =
      state.masters.empty() ? std::nullopt
                            : std::optional<NodeAddress>(state.nodes[state.masters.front()].address);
  if (!before || *before != master)
    RTK_LOG_INFO("sentinel " << state.settings.sentinels[sentinel] << ": master "
                             << state.settings.sentinel_master_name << " is " << master
                             << (before ? " (was " + before->to_string() + ")" : std::string()));
  state.sentinel_first = sentinel;
  ClusterTopology topology;
  topology.shards.push_back(ClusterShard{master, std::move(replicas),
                                         {SlotRange{0, cluster_slot_count - 1}}});
  state.discovery.answered = true;
  apply_topology(self, topology, state.settings.sentinels[sentinel]);
  if (before && *before != master) {
    // A demoted master may serve on for seconds: subscribers there would hear nothing.
    for (const caf::actor& subscriber : state.subscribers)
      self->send(subscriber, relocate_atom::value, master.to_string());
  }
  discovery_finished(self);
}

/// The replicas a sentinel lists that are up and replicating (SENTINEL REPLICAS: per replica a
/// flat field/value array).
std::vector<NodeAddress> healthy_replicas(const Reply& reply) {
  std::vector<NodeAddress> replicas;
  if (!reply.is_array()) return replicas;
  for (const Reply& entry : reply.elements) {
    if (!entry.is_array()) continue;
    std::map<std::string, std::string> fields;
    for (std::size_t i = 0; i + 1 < entry.elements.size(); i += 2)
      fields[entry.elements[i].text] = entry.elements[i + 1].text;
    const std::string& flags = fields["flags"];
    if (flags.find("s_down") != std::string::npos || flags.find("o_down") != std::string::npos ||
        flags.find("disconnected") != std::string::npos || fields["master-link-status"] != "ok")
      continue;
    try {
      replicas.push_back(NodeAddress::parse(fields["ip"] + ":" + fields["port"]));
    } catch (const ValidationError&) {
      // a replica entry without a usable address is not one to read from
    }
  }
  return replicas;
}

void ask_sentinel(Router* self, std::uint64_t round, std::size_t attempt) {
  auto& state = self->state;
  const std::size_t count = state.settings.sentinels.size();
  if (attempt == count) {
    auto& discovery = state.discovery;
    const std::string reason = "no sentinel named a reachable master for '" +
                               state.settings.sentinel_master_name + "' (" + discovery.errors + ")";
    if (!state.ready) {
      fail_waiting(self, Reply::Type::connection_failed, reason);
    } else {
      if (reason != state.last_discovery_failure) RTK_LOG_WARN(reason);
      state.last_discovery_failure = reason;
      answer_locating(self);
    }
    discovery_finished(self);
    return;
  }
  const std::size_t index = (state.sentinel_first + attempt) % count;
  const std::string& name = state.settings.sentinel_master_name;
  ask_once(
      self, sentinel_connection(self, index), round,
      {"SENTINEL", "GET-MASTER-ADDR-BY-NAME", name},
      [self, round, attempt, index](Reply& named) {
        if (named.is_failure() || named.is_error())
          return sentinel_skipped(self, round, attempt, named.text);
        if (named.is_nil())
          return sentinel_skipped(self, round, attempt,
                                  "does not monitor '" + self->state.settings.sentinel_master_name +
                                      "'");
        if (!named.is_array() || named.elements.size() != 2)
          return sentinel_skipped(self, round, attempt, "an address reply of an unknown shape");
        NodeAddress master;
        try {
          master = NodeAddress::parse(named.elements[0].text + ":" + named.elements[1].text);
        } catch (const ValidationError& problem) {
          return sentinel_skipped(self, round, attempt, problem.reason());
        }
        auto& state = self->state;
        NodePool& pool = state.nodes[pool_for(state, master)];
        ask_once(
            self, connection_at(self, pool, 0).actor, round, {"ROLE"},
            [self, round, attempt, index, master](Reply& role) {
              if (role.is_failure() || role.is_error())
                return sentinel_skipped(self, round, attempt,
                                        "it names " + master.to_string() + ": " + role.text);
              const std::string said =
                  role.is_array() && !role.elements.empty() ? role.elements[0].text : "?";
              if (said != "master")
                return sentinel_skipped(self, round, attempt,
                                        "it names " + master.to_string() + ", whose ROLE is " +
                                            said);
              if (!self->state.settings.readonly_mode)
                return apply_sentinel_master(self, master, {}, index);
              ask_once(self, sentinel_connection(self, index), round,
                       {"SENTINEL", "REPLICAS", self->state.settings.sentinel_master_name},
                       [self, index, master](Reply& replicas) {
                         // Without the list, reads go to the master: a working answer.
                         apply_sentinel_master(self, master, healthy_replicas(replicas), index);
                       });
            });
      });
}

void start_sentinel_discovery(Router* self) {
  auto& discovery = self->state.discovery;
  discovery.running = true;
  discovery.scheduled = false;
  discovery.again = false;
  discovery.answered = false;
  discovery.errors.clear();
  discovery.last_started = Clock::now();
  ++discovery.round;
  ++self->state.metrics.topology_refreshes;
  ask_sentinel(self, discovery.round, 0);
}

void request_refresh(Router* self) {
  auto& state = self->state;
  if (!state.settings.cluster || state.shutting_down) return;
  auto& discovery = state.discovery;
  if (discovery.running) {
    discovery.again = true;
    return;
  }
  if (discovery.scheduled) return;
  const auto since = Clock::now() - discovery.last_started;
  if (since >= refresh_interval) {
    start_discovery(self);
    return;
  }
  discovery.scheduled = true;
  self->delayed_send(self,
                     std::chrono::duration_cast<std::chrono::microseconds>(refresh_interval - since),
                     refresh_atom::value);
}

void shut_down(Router* self) {
  auto& state = self->state;
  state.shutting_down = true;
  state.operations.for_each([&](std::uint64_t, Operation& operation) {
    if (operation.origins.empty() && !operation.identity) // still waiting for the topology
      for (std::size_t i = 0; i < operation.commands.size(); ++i)
        operation.origins.push_back({i, 1, false});
    operation.replies.resize(operation.commands.size());
    for (auto& reply : operation.replies)
      if (reply.is_nil() || reply.is_failure())
        reply = Reply::failure(Reply::Type::connection_failed, server_name(state.settings),
                               "the toolkit was shut down");
    answer(self, operation.reply_to, assemble(operation, state));
  });
  state.operations.clear();
  state.parts.clear();
  state.unsent.clear();
  for (auto& each : state.locating) each.promise.deliver(std::string());
  state.locating.clear();
  for (auto& node : state.nodes)
    for (auto& connection : node.connections)
      if (connection.actor) self->send(connection.actor, shutdown_atom::value);
  for (auto& connection : state.sentinel_connections)
    if (connection) self->send(connection, shutdown_atom::value);
  if (state.sentinel_watch) self->send(state.sentinel_watch, shutdown_atom::value);
  self->quit();
}

/// Spans the handling of one message that may send pipelines or answers. When it ends, what is
/// unsent goes out at once if no other message waits (no one to share a message with: a lone
/// blocking call pays no extra hop), else a message posted behind the waiting ones sends it.
class Round {
public:
  explicit Round(Router* self) : self_(self) { self_->state.in_round = true; }
  ~Round() {
    auto& state = self_->state;
    state.in_round = false;
    const bool alone = self_->mailbox().empty();
    send_or_post(!state.unsent.empty(), state.parts_posted, alone, send_parts, send_atom::value);
    send_or_post(!state.answers.empty(), state.answers_posted, alone, send_answers,
                 answer_atom::value);
  }
  Round(const Round&) = delete;
  Round& operator=(const Round&) = delete;

private:
  template <typename Atom>
  void send_or_post(bool pending, bool& posted, bool alone, void (*send_now)(Router*), Atom atom) {
    if (!pending || posted) return;
    if (alone) {
      send_now(self_);
      return;
    }
    posted = true;
    self_->send(self_, atom);
  }

  Router* self_;
};

void receive_request(Router* self, CommandRequest& request, ReplyTo reply_to) {
  auto& state = self->state;
  if (state.settings.max_pending_calls > 0 &&
      state.operations.size() >= state.settings.max_pending_calls) {
    // Refused before anything is kept for it: a stalled server then holds a bounded backlog.
    if (state.settings.count_calls)
      for (const Command& command : request.commands)
        state.metrics.record(request.bytes(command), CallOutcome::error, Clock::duration::zero());
    answer(self, reply_to,
           failure_replies(static_cast<std::uint32_t>(request.commands.size()),
                           Reply::Type::overloaded, server_name(state.settings),
                           std::to_string(state.settings.max_pending_calls) +
                               " calls already waiting for replies (max_pending_calls)"));
    return;
  }
  auto [id, added] = state.operations.add();
  Operation& operation = *added;
  operation.reply_to = std::move(reply_to);
  operation.commands = std::move(request.commands);
  operation.wire = std::move(request.wire);
  operation.retry = request.retry;
  operation.atomic = request.atomic;
  operation.session = request.session;
  operation.session_close = request.session_close;
  operation.received = Clock::now();
  if (state.ready) {
    start_operation(self, id);
    return;
  }
  state.waiting.push_back(id);
  if (!state.discovery.running) request_refresh(self);
}

/// A connection actor made or lost a TCP connection: the pool statistics count connections as the
/// server sees them, not actors (an actor reconnects many times).
void on_link(Router* self, bool up, bool health_check_failed) {
  const caf::actor_addr sender = caf::actor_cast<caf::actor_addr>(self->current_sender());
  for (auto& node : self->state.nodes) {
    for (auto& connection : node.connections) {
      if (!connection.actor || connection.actor.address() != sender) continue;
      PoolStatistics& statistics = node.statistics;
      if (up) {
        if (connection.made_once) ++statistics.reconnects;
        connection.made_once = true;
        ++statistics.connections_created;
        ++statistics.connections_open;
      } else {
        if (statistics.connections_open > 0) --statistics.connections_open;
        if (health_check_failed) ++statistics.health_check_failures;
      }
      return;
    }
  }
}

caf::behavior router(Router* self, RouterSettings settings) {
  auto& state = self->state;
  state.settings = std::move(settings);
  if (!state.settings.cluster) {
    NodePool single;
    single.settings = state.settings.node;
    single.address = NodeAddress{single.settings.host, single.settings.port};
    single.connections.resize(std::max<std::size_t>(1, state.settings.max_connections) +
                              reserved_connections);
    single.statistics.server = single.settings.server();
    state.nodes.push_back(std::move(single));
    state.masters.push_back(0);
    state.ready = true;
  } else {
    for (const NodeAddress& seed : state.settings.seeds) pool_for(state, seed);
    start_discovery(self); // early: the first request finds the table ready
    if (state.settings.sentinel_mode()) watch_sentinels(self);
  }
  self->set_exit_handler([self](caf::exit_msg&) { shut_down(self); });
  // A connection actor that ends leaves a gap in its pool, filled on next use; the requests it
  // held were answered with failures.
  self->set_down_handler([self](caf::down_msg& down) {
    fail_parts_of(self, down.source);
    for (auto& connection : self->state.sentinel_connections)
      if (connection && connection.address() == down.source) connection = caf::actor();
    auto& subscribers = self->state.subscribers;
    subscribers.erase(std::remove_if(subscribers.begin(), subscribers.end(),
                                     [&](const caf::actor& subscriber) {
                                       return subscriber.address() == down.source;
                                     }),
                      subscribers.end());
    for (auto& node : self->state.nodes) {
      for (auto& connection : node.connections) {
        if (connection.actor && connection.actor.address() == down.source) {
          connection.actor = caf::actor();
          return;
        }
      }
    }
  });
  return {
      [self](exec_atom, CommandRequest& request) {
        Round round(self);
        receive_request(self, request, ReplyTo{self->make_response_promise(), {}, 0, {}});
      },
      [self](exec_atom, TaggedRequests& requests) {
        Round round(self);
        const caf::strong_actor_ptr& sender = self->current_sender();
        for (auto& [tag, request] : requests.items)
          receive_request(self, request, ReplyTo{{}, sender, tag, {}});
      },
      [self](answer_atom) { send_answers(self); },
      [self](send_atom) { send_parts(self); },
      [self](exec_atom, CommandRequest& request, std::shared_ptr<ReplySink>& sink) {
        Round round(self);
        receive_request(self, request, ReplyTo{{}, {}, 0, std::move(sink)});
      },
      [self](part_atom, std::uint64_t part_id, std::vector<Reply>& replies) {
        Round round(self);
        take_part(self, part_id, replies);
      },
      [self](retry_atom, std::uint64_t id) {
        Operation* operation = self->state.operations.find(id);
        if (operation == nullptr) return;
        std::vector<std::size_t> again;
        again.swap(operation->failed);
        ++operation->parts_outstanding;
        dispatch(self, id, again);
        finish_part(self, id);
      },
      [self](redirect_atom, std::uint64_t id) {
        Operation* found = self->state.operations.find(id);
        if (found == nullptr) return;
        Operation& operation = *found;
        operation.redirect_scheduled = false;
        operation.most_redirections = 0;
        std::vector<std::size_t> again;
        again.swap(operation.redirect_later);
        dispatch(self, id, again);
        finish_part(self, id); // releases the part held while waiting
      },
      [self](session_expiry_atom, std::uint64_t session) { expire_session(self, session); },
      [self](refresh_atom) {
        self->state.discovery.scheduled = false;
        if (!self->state.discovery.running) start_discovery(self);
      },
      [self](locate_atom, std::int32_t slot, std::string& suspect) {
        auto& state = self->state;
        // Before make_response_promise(), which takes the sender over.
        caf::actor asker = caf::actor_cast<caf::actor>(self->current_sender());
        auto promise = self->make_response_promise();
        if (slot == sentinel_slot) {
          promise.deliver(sentinel_to_watch(state, suspect));
          return;
        }
        if (!suspect.empty()) request_refresh(self); // a subscriber lost that node
        if (state.settings.sentinel_mode()) remember_subscriber(self, std::move(asker));
        if (state.settings.sentinel_mode() && !suspect.empty()) {
          // The master it lost is most likely being replaced: answer once the sentinels were
          // asked, so that the subscriber follows the new master rather than the old one.
          state.locating.push_back({slot, std::move(suspect), std::move(promise)});
          return;
        }
        if (state.ready) {
          promise.deliver(locate(state, slot, suspect));
          return;
        }
        state.locating.push_back({slot, std::move(suspect), std::move(promise)});
        if (!state.discovery.running) request_refresh(self);
      },
      [self](stats_atom) {
        std::vector<PoolStatistics> all;
        for (const auto& node : self->state.nodes) all.push_back(node.statistics);
        return all;
      },
      [self](metrics_atom) {
        const auto& state = self->state;
        ToolkitMetrics metrics;
        metrics.commands = state.metrics.commands();
        metrics.pending_calls = state.operations.size();
        for (const auto& node : state.nodes)
          metrics.nodes.push_back(
              {node.address.to_string(), node.statistics.connections_open, node.statistics.reconnects});
        metrics.redirections_moved = state.metrics.redirections_moved;
        metrics.redirections_ask = state.metrics.redirections_ask;
        metrics.redirections_tryagain = state.metrics.redirections_tryagain;
        metrics.topology_refreshes = state.metrics.topology_refreshes;
        return metrics;
      },
      [self](message_atom, const std::string& channel, const Value& value) {
        // +switch-master "<name> <old ip> <old port> <new ip> <new port>": ask the sentinels
        // again (and check the new master's ROLE) rather than trust one announcement.
        const std::string* text = value.is_string() ? &value.as_string() : nullptr;
        if (channel == switch_master_channel && text != nullptr &&
            text->rfind(self->state.settings.sentinel_master_name + " ", 0) == 0) {
          RTK_LOG_INFO("sentinel announced " << channel << " " << *text);
          request_refresh(self);
        }
      },
      [self](link_atom, bool up, bool health_check_failed) {
        on_link(self, up, health_check_failed);
      },
      [self](shutdown_atom) { shut_down(self); },
  };
}

} // namespace

caf::actor spawn_router(caf::actor_system& system, RouterSettings settings) {
  return system.middleman().spawn_broker(router, std::move(settings));
}

} // namespace redis_toolkit::detail
