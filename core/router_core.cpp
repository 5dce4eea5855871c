#include "router_core.hpp"

#include "pending_requests.hpp"
#include "redirection_policy.hpp"
#include "spare_buffers.hpp"

#include "redis_toolkit/logging.hpp"

#include <algorithm>
#include <cstdio>
#include <optional>

namespace redis_toolkit::detail {
namespace {

const std::string asking_command = "*1\r\n$6\r\nASKING\r\n";

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

/// Counts a redirection (or a TRYAGAIN) found in one reply of an atomic operation.
void count_redirection(MetricsRecorder& metrics, const std::optional<Redirection>& redirection,
                       const Reply& reply) {
  if (redirection)
    ++(redirection->kind == Redirection::Kind::moved ? metrics.redirections_moved
                                                     : metrics.redirections_ask);
  else if (reply.text.rfind("TRYAGAIN", 0) == 0)
    ++metrics.redirections_tryagain;
}

} // namespace

void Operation::reset() {
  caller = 0;
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

RouterCore::RouterCore(RouterCoreSettings settings, RouterPort& port)
    : settings_(std::move(settings)), port_(port) {
  settings_.max_connections = std::max<std::size_t>(1, settings_.max_connections);
  if (!settings_.cluster) {
    Node single;
    single.address = settings_.single_server;
    single.connections.resize(pool_size());
    single.statistics.server = settings_.server_name;
    nodes_.push_back(std::move(single));
    masters_.push_back(0);
    ready_ = true;
  }
}

// ---- routing ----

std::int32_t RouterCore::node_for_address(const NodeAddress& address) {
  if (!settings_.cluster) return 0; // a single server answers whatever it is called
  auto found = node_index_.find(address);
  if (found != node_index_.end()) return static_cast<std::int32_t>(found->second);
  Node node;
  node.address = address;
  node.connections.resize(pool_size());
  node.statistics.server = address.to_string();
  nodes_.push_back(std::move(node));
  node_index_[address] = nodes_.size() - 1;
  return static_cast<std::int32_t>(nodes_.size() - 1);
}

/// Always the same connection for a slot, so that commands on one key (or channel) reach Redis
/// in the order the router received them; keys spread over the pool. Commands without a key use
/// the first connection. Blocking commands (WAIT and the writes before it, BLPOP ...) have their
/// own, so that they hold up no one else.
std::size_t RouterCore::connection_for(const Command& command) const {
  const std::size_t shared = settings_.max_connections;
  if (command.blocking) return shared;
  return command.slot < 0 ? 0 : static_cast<std::size_t>(command.slot) % shared;
}

std::int32_t RouterCore::master_for_slot(std::int32_t slot) const {
  if (!settings_.cluster) return 0;
  if (slot < 0) return masters_.empty() ? -1 : masters_.front();
  return slots_.owner(static_cast<std::uint16_t>(slot));
}

/// Where command `index` of `operation` goes now; -1 when no node serves it.
std::int32_t RouterCore::node_for_command(Operation& operation, std::size_t index) {
  CommandRoute& route = operation.routes[index];
  if (route.ask_node >= 0) return route.ask_node;
  if (route.fixed_node >= 0) return route.fixed_node;
  if (!settings_.cluster) return 0;
  const Command& command = operation.commands[index];
  if (command.slot < 0) {
    if (masters_.empty()) return -1;
    return masters_[next_any_++ % masters_.size()];
  }
  const std::int32_t owner = slots_.owner(static_cast<std::uint16_t>(command.slot));
  if (owner >= 0 && settings_.readonly_mode && command.read_only) {
    auto replicas = replicas_of_.find(owner);
    if (replicas != replicas_of_.end() && !replicas->second.empty())
      return replicas->second[next_replica_++ % replicas->second.size()];
  }
  return owner;
}

void RouterCore::request_refresh() {
  if (settings_.cluster && !shutting_down_) port_.refresh_topology();
}

std::string RouterCore::locate(std::int32_t slot, const std::string& suspect) const {
  if (slot >= 0 || !settings_.cluster || settings_.sentinel_mode) {
    const std::int32_t node = master_for_slot(slot);
    return node < 0 ? std::string() : nodes_[node].address.to_string();
  }
  // Classic subscribers spread over every node, masters and replicas alike.
  std::vector<std::int32_t> candidates = masters_;
  for (const auto& [master, replicas] : replicas_of_)
    candidates.insert(candidates.end(), replicas.begin(), replicas.end());
  if (candidates.empty()) return std::string();
  const std::size_t start = next_subscriber_node_++;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const Node& node = nodes_[candidates[(start + i) % candidates.size()]];
    if (node.address.to_string() != suspect) return node.address.to_string();
  }
  return nodes_[candidates.front()].address.to_string();
}

// ---- topology ----

std::optional<std::string> RouterCore::refuses(const ClusterTopology& topology,
                                               const NodeAddress& source) const {
  const std::size_t covered = topology.covered_slots();
  if (covered >= cluster_slot_count || settings_.skip_full_coverage_check || ready_)
    return std::nullopt;
  return "the cluster serves " + std::to_string(covered) + " of 16384 slots (asked " +
         source.to_string() + "); set skip_full_coverage_check to use a partly covered cluster";
}

std::optional<std::string> RouterCore::apply_topology(const ClusterTopology& topology,
                                                      const NodeAddress& source) {
  if (std::optional<std::string> refused = refuses(topology, source)) {
    fail_waiting(Reply::Type::cluster_failed, *refused);
    return refused;
  }
  SlotTable table;
  std::vector<std::int32_t> masters;
  std::map<std::int32_t, std::vector<std::int32_t>> replicas_of;
  for (const ClusterShard& shard : topology.shards) {
    const std::int32_t master = node_for_address(shard.master);
    masters.push_back(master);
    for (const SlotRange& range : shard.slots) table.assign(range, master);
    for (const NodeAddress& replica : shard.replicas)
      replicas_of[master].push_back(node_for_address(replica));
  }
  slots_ = table;
  masters_ = std::move(masters);
  replicas_of_ = std::move(replicas_of);
  if (!ready_)
    RTK_LOG_INFO("cluster topology from " << source << ": " << masters_.size() << " masters, "
                                          << topology.covered_slots() << " slots served");
  ready_ = true;
  std::vector<std::uint64_t> waiting;
  waiting.swap(waiting_);
  for (std::uint64_t id : waiting) start_operation(id);
  return std::nullopt;
}

void RouterCore::fail_waiting(Reply::Type kind, const std::string& reason) {
  std::vector<std::uint64_t> waiting;
  waiting.swap(waiting_);
  for (std::uint64_t id : waiting) fail_operation(id, kind, reason);
}

/// Answers an operation that was never sent with `reason` for each of its commands.
void RouterCore::fail_operation(std::uint64_t id, Reply::Type kind, const std::string& reason) {
  Operation& operation = operations_.at(id);
  operation.origins.clear();
  for (std::size_t i = 0; i < operation.commands.size(); ++i) operation.origins.push_back({i, 1, false});
  operation.replies.assign(operation.commands.size(),
                           Reply::failure(kind, settings_.server_name, reason));
  deliver(id);
}

// ---- operations ----

void RouterCore::submit(CommandRequest& request, std::uint64_t caller) {
  if (settings_.max_pending_calls > 0 && operations_.size() >= settings_.max_pending_calls) {
    // Refused before anything is kept for it: a stalled server then holds a bounded backlog.
    if (settings_.count_calls)
      for (const Command& command : request.commands)
        metrics_.record(request.bytes(command), CallOutcome::error, RouterClock::duration::zero());
    port_.answer(caller, failure_replies(static_cast<std::uint32_t>(request.commands.size()),
                                         Reply::Type::overloaded, settings_.server_name,
                                         std::to_string(settings_.max_pending_calls) +
                                             " calls already waiting for replies (max_pending_calls)"));
    return;
  }
  auto [id, added] = operations_.add();
  Operation& operation = *added;
  operation.caller = caller;
  // Swapped, not moved: the request leaves with the slot's emptied buffers, which the router
  // can hand back to the asker for its next requests (request_buffers.hpp).
  operation.commands.swap(request.commands);
  operation.wire.swap(request.wire);
  operation.retry = request.retry;
  operation.atomic = request.atomic;
  operation.session = request.session;
  operation.session_close = request.session_close;
  operation.received = port_.now();
  if (ready_) {
    start_operation(id);
    return;
  }
  waiting_.push_back(id);
  port_.topology_needed();
}

/// Turns the caller's commands into one command per send (every_master becomes one per master).
void RouterCore::expand(Operation& operation) {
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
      std::vector<std::int32_t> nodes = masters_;
      if (command.target == Command::Target::every_node)
        for (const auto& [master, replicas] : replicas_of_)
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
          route.fixed_node = node_for_address(NodeAddress::parse(command.node));
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
void RouterCore::start_operation(std::uint64_t id) {
  Operation& operation = operations_.at(id);
  expand(operation);
  ++operation.parts_outstanding; // holds the operation open while dispatching
  if (operation.commands.size() == 1) {
    const std::size_t only = 0;
    dispatch(id, &only, 1);
  } else {
    std::vector<std::size_t> all(operation.commands.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    dispatch(id, all.data(), all.size());
  }
  finish_part(id);
}

/// Sends the commands `indices` of operation `id`, one pipeline per (node, connection).
void RouterCore::dispatch(std::uint64_t id, const std::size_t* indices, std::size_t count) {
  Operation& operation = operations_.at(id);
  if (operation.session != 0) return dispatch_session(id, operation);
  std::map<std::pair<std::int32_t, std::size_t>, std::vector<std::size_t>> pipelines;
  // An atomic operation goes whole where its first command goes (keyless: any one master).
  const std::int32_t atomic_node =
      operation.atomic && count > 0 ? node_for_command(operation, indices[0]) : -1;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t index = indices[i];
    const std::int32_t node = operation.atomic ? atomic_node : node_for_command(operation, index);
    if (node < 0) {
      const std::int32_t slot = operation.commands[index].slot;
      operation.sized_replies()[index] =
          Reply::failure(Reply::Type::cluster_failed, settings_.server_name,
                         "slot " + std::to_string(slot) + " is not served by any node");
      operation.failed.push_back(index);
      request_refresh();
      continue;
    }
    operation.routes[index].last_node = node;
    const std::size_t connection =
        connection_for(operation.commands[operation.atomic ? indices[0] : index]);
    if (count == 1) { // the common single command: no grouping
      queue_part(id, operation, node, connection, &index, 1);
      return;
    }
    pipelines[{node, connection}].push_back(index);
  }
  for (auto& [route, part] : pipelines)
    queue_part(id, operation, route.first, route.second, part.data(), part.size());
}

/// Queues commands `first[0..count)` of operation `id` for one connection. Everything queued for
/// a connection until the next flush() goes out as one pipeline.
void RouterCore::queue_part(std::uint64_t id, Operation& operation, std::int32_t node,
                            std::size_t connection_index, const std::size_t* first,
                            std::size_t count) {
  auto part = std::find_if(unsent_.begin(), unsent_.end(), [&](const Part& each) {
    return each.node == node && each.connection == connection_index;
  });
  if (part == unsent_.end()) {
    Part fresh;
    fresh.node = node;
    fresh.connection = connection_index;
    fresh.generation = nodes_[node].connections[connection_index].generation;
    fresh.batch.encoded = Spares<std::string>::take(last_part_bytes_);
    fresh.layout = Spares<std::vector<ReplyPosition>>::take(last_part_commands_);
    unsent_.push_back(std::move(fresh));
    part = std::prev(unsent_.end());
    if (unsent_.size() == 1) port_.parts_queued();
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
    ++nodes_[node].statistics.requests_in_flight;
    ++operation.parts_outstanding;
  }
}

void RouterCore::flush() {
  std::vector<Part> unsent;
  unsent.swap(unsent_);
  // Capped: after one huge pipeline (a batch of large values) the next part, likely small, must
  // not reserve as much; a part that does grow that large grows as before.
  constexpr std::size_t largest_hint = 1 << 20;
  last_part_bytes_ = 0;
  last_part_commands_ = 0;
  for (Part& part : unsent) {
    last_part_bytes_ = std::max(last_part_bytes_, std::min(part.batch.encoded.size(), largest_hint));
    last_part_commands_ =
        std::max(last_part_commands_, std::min(part.layout.size(), largest_hint / sizeof(ReplyPosition)));
    const std::uint64_t part_id = next_part_id_++;
    const std::uint64_t generation = nodes_[part.node].connections[part.connection].generation;
    if (part.generation != generation && part.connection == session_connection()) {
      // The WATCH ended with its connection: a fresh one must not run the transaction unguarded.
      std::vector<Reply> lost(part.layout.size(),
                              Reply::failure(Reply::Type::connection_failed,
                                             nodes_[part.node].address.to_string(),
                                             "the connection holding the transaction's WATCH was lost"));
      parts_.emplace(part_id, std::move(part));
      take_part(part_id, lost);
      continue;
    }
    part.generation = generation; // a connection that ended since: a fresh one takes the part
    part.batch.count = static_cast<std::uint32_t>(part.layout.size());
    port_.send(ConnectionRef{part.node, part.connection}, std::move(part.batch), part_id);
    part.batch = CommandBatch();
    parts_.emplace(part_id, std::move(part));
  }
}

// ---- WATCH sessions ----

/// The node's session connection is free again: the next waiting session takes it.
void RouterCore::release_session(std::int32_t node) {
  Node& pool = nodes_[node];
  pool.session_owner = 0;
  while (pool.session_owner == 0 && !pool.session_queue.empty()) {
    const std::uint64_t next = pool.session_queue.front();
    pool.session_queue.erase(pool.session_queue.begin());
    if (Operation* waiting = operations_.find(next)) {
      dispatch_session(next, *waiting);
      finish_part(next); // releases the hold taken while it waited
    }
  }
}

/// Sends a WATCH session's request: the opening one to the session connection of its slot's node
/// (or behind the session that holds it), the closing one to the connection that holds its WATCH.
void RouterCore::dispatch_session(std::uint64_t id, Operation& operation) {
  std::vector<std::size_t> all(operation.commands.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  auto fail_all = [&](Reply::Type kind, const std::string& server, const std::string& reason) {
    for (Reply& reply : operation.sized_replies()) reply = Reply::failure(kind, server, reason);
  };
  auto open = sessions_.find(operation.session);
  if (operation.session_close) {
    if (open == sessions_.end()) {
      fail_all(Reply::Type::connection_failed, settings_.server_name,
               "the transaction's WATCH was dropped: it was open longer than " +
                   std::to_string(settings_.session_limit.count()) + " ms");
      return;
    }
    const OpenSession session = open->second;
    sessions_.erase(open);
    Node& pool = nodes_[session.node];
    if (pool.connections[session_connection()].generation != session.generation) {
      fail_all(Reply::Type::connection_failed, pool.address.to_string(),
               "the connection holding the transaction's WATCH was lost");
    } else {
      for (std::size_t index : all) operation.routes[index].last_node = session.node;
      queue_part(id, operation, session.node, session_connection(), all.data(), all.size());
    }
    // What this session sent is queued ahead of the next session's on the same connection.
    release_session(session.node);
    return;
  }
  if (open != sessions_.end()) {
    fail_all(Reply::Type::connection_failed, settings_.server_name,
             "a transaction session was opened twice");
    return;
  }
  const std::int32_t node = node_for_command(operation, 0);
  if (node < 0) {
    fail_all(Reply::Type::cluster_failed, settings_.server_name,
             "slot " + std::to_string(operation.commands.front().slot) + " is not served by any node");
    request_refresh();
    return;
  }
  Node& pool = nodes_[node];
  if (pool.session_owner != 0) {
    pool.session_queue.push_back(id);
    ++operation.parts_outstanding; // held until release_session dispatches it
    return;
  }
  pool.session_owner = operation.session;
  sessions_[operation.session] =
      OpenSession{node, pool.connections[session_connection()].generation};
  for (std::size_t index : all) operation.routes[index].last_node = node;
  queue_part(id, operation, node, session_connection(), all.data(), all.size());
  port_.start_timer(RouterTimer::session_expiry, operation.session, settings_.session_limit);
}

/// Closes a session its caller left open: UNWATCH on its connection, and the next one's turn.
void RouterCore::expire_session(std::uint64_t session) {
  auto open = sessions_.find(session);
  if (open == sessions_.end()) return;
  const OpenSession expired = open->second;
  sessions_.erase(open);
  RTK_LOG_WARN("a transaction left its WATCH open for " << settings_.session_limit.count()
                                                        << " ms on " << nodes_[expired.node].address
                                                        << ": closed it");
  if (nodes_[expired.node].connections[session_connection()].generation == expired.generation) {
    CommandBatch unwatch;
    unwatch.encoded = "*1\r\n$7\r\nUNWATCH\r\n";
    unwatch.count = 1;
    // Its answer comes back under a part id nobody waits for, and is dropped.
    port_.send(ConnectionRef{expired.node, session_connection()}, std::move(unwatch),
               next_part_id_++);
  } // else the WATCH ended with its connection
  release_session(expired.node);
}

// ---- replies ----

/// Books a pipeline's commands as answered.
void RouterCore::release_connection(const Part& part) {
  PoolStatistics& statistics = nodes_[part.node].statistics;
  statistics.requests_in_flight -= std::min<std::uint64_t>(statistics.requests_in_flight, part.runs);
  statistics.requests_total += part.layout.size();
}

void RouterCore::take_part(std::uint64_t part_id, std::vector<Reply>& replies) {
  auto found_part = parts_.find(part_id);
  if (found_part == parts_.end()) return;
  Part part = std::move(found_part->second);
  parts_.erase(found_part);
  release_connection(part);
  std::size_t i = 0;
  while (i < part.layout.size()) { // one run (one operation) at a time
    const std::uint64_t id = part.layout[i].operation;
    Operation* operation = operations_.find(id);
    if (operation != nullptr && operation->atomic) {
      const std::size_t first = i;
      while (i < part.layout.size() && part.layout[i].operation == id) ++i;
      take_atomic_replies(*operation, replies, part.layout, first, i, part.node);
      finish_part(id);
      continue;
    }
    if (operation != nullptr && i == 0 && answers_whole(*operation, part.layout, replies)) {
      // The common pipeline: one part holds every command in order. Its replies become the
      // operation's as they are; only errors and failures need a look.
      operation->replies.swap(replies);
      for (std::size_t index = 0; index < operation->replies.size(); ++index) {
        Reply& reply = operation->replies[index];
        if (reply.is_error() || reply.is_failure())
          take_reply(*operation, index, std::move(reply), part.node);
      }
      finish_part(id);
      break;
    }
    for (; i < part.layout.size() && part.layout[i].operation == id; ++i) {
      if (operation == nullptr || part.layout[i].index < 0) continue;
      const auto index = static_cast<std::size_t>(part.layout[i].index);
      // A pipeline cut short (a hostile or broken server): the missing replies are lost ones.
      Reply reply = i < replies.size()
                        ? std::move(replies[i])
                        : Reply::failure(Reply::Type::connection_failed,
                                         nodes_[part.node].address.to_string(),
                                         "the connection answered fewer replies than it was sent");
      take_reply(*operation, index, std::move(reply), part.node);
    }
    if (operation != nullptr) finish_part(id);
  }
  // The next round's parts are laid out in it (the router's thread queues them).
  Spares<std::vector<ReplyPosition>>::give_back(part.layout);
}

/// Takes the reply to command `index`: stores it, or books it for a redirection or a retry.
void RouterCore::take_reply(Operation& operation, std::size_t index, Reply reply,
                            std::int32_t node) {
  const NodeAddress& address = nodes_[node].address;
  if (settings_.cluster && reply.is_error() && reply.server.empty())
    reply.server = address.to_string(); // errors name the node that said them
  CommandRoute& route = operation.routes[index];
  ReplyVerdict verdict = judge_reply(reply, address, settings_.cluster, route.redirections,
                                     settings_.max_redirections);
  route.redirections = verdict.redirections;
  if (verdict.tryagain) ++metrics_.redirections_tryagain;
  if (verdict.redirection) {
    const std::int32_t target = node_for_address(verdict.redirection->target);
    if (verdict.redirection->kind == Redirection::Kind::moved) {
      ++metrics_.redirections_moved;
      slots_.assign(verdict.redirection->slot, target);
    } else {
      ++metrics_.redirections_ask;
      route.ask_node = target;
    }
  }
  if (verdict.refresh_topology) request_refresh();
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

/// Takes the replies of an atomic operation (a transaction), which stands or falls as a unit: a
/// MOVED anywhere in it sends it all to the slot's new master, a TRYAGAIN, CLUSTERDOWN or ASK (a
/// slot mid-migration) sends it all again after the retry delay; anything else is its answer,
/// including a lost connection, which is not retried because the transaction may have run.
void RouterCore::take_atomic_replies(Operation& operation, std::vector<Reply>& replies,
                                     const std::vector<ReplyPosition>& layout, std::size_t first,
                                     std::size_t end, std::int32_t node) {
  std::optional<Redirection> moved;
  bool transient = false;
  for (std::size_t i = first; i < end; ++i) {
    if (layout[i].index < 0 || i >= replies.size()) continue;
    Reply& reply = replies[i];
    if (settings_.cluster && reply.is_error()) {
      if (reply.server.empty()) reply.server = nodes_[node].address.to_string();
      auto redirection = parse_redirection(reply, nodes_[node].address);
      count_redirection(metrics_, redirection, reply);
      if (redirection && redirection->kind == Redirection::Kind::moved) moved = redirection;
      else if (redirection || is_transient_cluster_error(reply) || is_demoted_master_error(reply))
        transient = true;
    }
    operation.sized_replies()[static_cast<std::size_t>(layout[i].index)] = std::move(reply);
  }
  if (!moved && !transient) return;
  if (operation.session != 0) { // a WATCH lives on its connection: the caller starts again
    request_refresh();
    return;
  }
  CommandRoute& route = operation.routes.front();
  if (++route.redirections > settings_.max_redirections) return; // the errors stand
  std::vector<std::size_t>& again = moved ? operation.redirected : operation.failed;
  again.clear();
  for (std::size_t index = 0; index < operation.commands.size(); ++index) again.push_back(index);
  if (moved) slots_.assign(moved->slot, node_for_address(moved->target));
  request_refresh();
}

void RouterCore::finish_part(std::uint64_t id) {
  Operation& operation = operations_.at(id);
  --operation.parts_outstanding;
  if (!operation.redirected.empty()) {
    std::vector<std::size_t> again;
    again.swap(operation.redirected);
    dispatch(id, again);
  }
  if (!operation.redirect_later.empty() && !operation.redirect_scheduled) {
    operation.redirect_scheduled = true;
    ++operation.parts_outstanding; // held until the redirect timer fires
    port_.start_timer(RouterTimer::redirect, id, redirect_delay(operation.most_redirections));
  }
  if (operation.parts_outstanding == 0) settle(id);
}

/// All parts are in: retry what failed (after the policy's delay) or answer the caller.
void RouterCore::settle(std::uint64_t id) {
  Operation& operation = operations_.at(id);
  if (!operation.failed.empty() && !shutting_down_ &&
      operation.attempt < operation.retry.attempts) {
    auto delay = retry_delay_before(operation.attempt + 1, operation.retry.delay,
                                    operation.retry.backoff);
    ++operation.attempt;
    for (std::size_t index : operation.failed) {
      const std::int32_t node = operation.routes[index].last_node;
      if (node >= 0) ++nodes_[node].statistics.retries;
    }
    RTK_LOG_DEBUG("retrying " << operation.failed.size() << " command(s) in "
                              << std::chrono::duration_cast<std::chrono::milliseconds>(delay).count()
                              << " ms (attempt " << operation.attempt << ")");
    port_.start_timer(RouterTimer::retry, id,
                      std::chrono::duration_cast<RouterClock::duration>(delay));
    return;
  }
  deliver(id);
}

void RouterCore::timer_fired(RouterTimer timer, std::uint64_t id) {
  if (timer == RouterTimer::session_expiry) return expire_session(id);
  Operation* operation = operations_.find(id);
  if (operation == nullptr) return;
  std::vector<std::size_t> again;
  if (timer == RouterTimer::retry) {
    again.swap(operation->failed);
    ++operation->parts_outstanding; // holds the operation open while dispatching
  } else {
    operation->redirect_scheduled = false;
    operation->most_redirections = 0;
    again.swap(operation->redirect_later); // the hold taken when scheduled is still on
  }
  dispatch(id, again);
  finish_part(id);
}

/// The caller's replies, in the caller's order, from the expanded ones.
std::vector<Reply> RouterCore::assemble(Operation& operation) const {
  if (operation.identity) return std::move(operation.sized_replies());
  return assemble_replies(operation.sized_replies(), operation.origins, [&](std::size_t send) {
    return nodes_[operation.routes[send].fixed_node].address.to_string();
  });
}

/// A failure after retries says what the caller went through: the time from the request to its
/// answer and the attempts made, since the per-attempt reason ("no reply within ...") alone
/// understates how long the caller waited.
void RouterCore::describe_wait(const Operation& operation, std::vector<Reply>& replies) {
  std::string summary;
  for (Reply& reply : replies) {
    if (reply.type != Reply::Type::timed_out && reply.type != Reply::Type::connection_failed)
      continue;
    if (summary.empty()) {
      const double seconds =
          std::chrono::duration<double>(port_.now() - operation.received).count();
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
void RouterCore::record_calls(const Operation& operation, const std::vector<Reply>& replies) {
  const auto elapsed = port_.now() - operation.received;
  for (std::size_t i = 0; i < replies.size(); ++i) {
    const std::size_t command = operation.identity || operation.origins.size() <= i
                                    ? i
                                    : operation.origins[i].first;
    if (command >= operation.commands.size()) continue;
    metrics_.record(operation.bytes(command), outcome_of(replies[i]), elapsed);
  }
}

void RouterCore::deliver(std::uint64_t id) {
  Operation& operation = operations_.at(id);
  // The answer is built in the operation's own vector: a port that moves the replies out of it
  // (the tagged answers do) leaves its capacity to the next operation in this slot.
  if (!operation.identity) operation.replies = assemble(operation);
  std::vector<Reply>& replies = operation.identity ? operation.sized_replies() : operation.replies;
  if (settings_.count_calls) record_calls(operation, replies);
  describe_wait(operation, replies);
  port_.answer(operation.caller, std::move(replies));
  operations_.release(id);
  if (operations_.shrink_when_empty(slab_slots_kept)) return_freed_memory();
}

// ---- connections and the end ----

void RouterCore::connection_ended(ConnectionRef connection) {
  if (connection.node < 0 || static_cast<std::size_t>(connection.node) >= nodes_.size() ||
      connection.index >= pool_size())
    return;
  PoolConnection& ended = nodes_[connection.node].connections[connection.index];
  // A connection answers what it holds when it shuts down, so these are the parts of one that
  // failed: their commands failed.
  std::vector<std::uint64_t> lost;
  for (const auto& [part_id, part] : parts_)
    if (part.node == connection.node && part.connection == connection.index &&
        part.generation == ended.generation)
      lost.push_back(part_id);
  ++ended.generation;
  for (std::uint64_t part_id : lost) {
    auto found = parts_.find(part_id);
    if (found == parts_.end()) continue;
    std::vector<Reply> replies(found->second.layout.size(),
                               Reply::failure(Reply::Type::connection_failed,
                                              nodes_[connection.node].address.to_string(),
                                              "the connection actor ended"));
    take_part(part_id, replies);
  }
}

void RouterCore::shut_down() {
  shutting_down_ = true;
  std::vector<std::pair<std::uint64_t, std::vector<Reply>>> answers;
  operations_.for_each([&](std::uint64_t, Operation& operation) {
    if (operation.origins.empty() && !operation.identity) // still waiting for the topology
      for (std::size_t i = 0; i < operation.commands.size(); ++i)
        operation.origins.push_back({i, 1, false});
    operation.replies.resize(operation.commands.size());
    for (auto& reply : operation.replies)
      if (reply.is_nil() || reply.is_failure())
        reply = Reply::failure(Reply::Type::connection_failed, settings_.server_name,
                               "the toolkit was shut down");
    answers.emplace_back(operation.caller, assemble(operation));
  });
  operations_.clear();
  parts_.clear();
  unsent_.clear();
  waiting_.clear();
  for (auto& [caller, replies] : answers) port_.answer(caller, std::move(replies));
}

} // namespace redis_toolkit::detail
