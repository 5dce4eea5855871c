#include "router.hpp"

#include "node_connection.hpp"
#include "retry_policy.hpp"

#include "redis_toolkit/logging.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <map>
#include <unordered_map>

namespace redis_toolkit::detail {
namespace {

using retry_atom = caf::atom_constant<caf::atom("rtk_retry")>;

struct PooledConnection {
  caf::actor actor;
  std::uint64_t in_flight = 0;
};

/// The connections of one node.
struct NodePool {
  ConnectionSettings settings;
  std::vector<PooledConnection> connections;
  PoolStatistics statistics;
};

/// One caller's request while any of its commands is unanswered or waiting for a retry.
struct Operation {
  caf::response_promise promise;
  std::vector<Command> commands;
  std::vector<Reply> replies;
  RetryPolicy retry;
  int attempt = 1;
  std::size_t parts_outstanding = 0;
  std::vector<std::size_t> failed; ///< indices to send again
};

struct RouterState {
  RouterSettings settings;
  std::vector<NodePool> nodes;
  std::unordered_map<std::uint64_t, Operation> operations;
  std::uint64_t next_operation_id = 1;
  bool shutting_down = false;
  static inline const char* name = "rtk_router";
};

using Router = caf::io::stateful_broker<RouterState>;

/// The node that serves `slot`; a single server serves them all.
std::size_t node_for_slot(const RouterState&, std::int32_t) { return 0; }

/// Which connection of a node's pool carries commands of `slot`. Always the same one for a slot, so
/// that commands on one key (or channel) reach Redis in the order the router received them; keys
/// spread over the pool. Commands without a key use the first connection.
std::size_t connection_for_slot(const NodePool& pool, std::int32_t slot) {
  return slot < 0 ? 0 : static_cast<std::size_t>(slot) % pool.connections.size();
}

/// The connection at `index`, connecting it on first use (and again after it ended).
PooledConnection& connection_at(Router* self, NodePool& pool, std::size_t index) {
  PooledConnection& connection = pool.connections[index];
  if (!connection.actor) {
    connection.actor = spawn_node_connection(self->system(), pool.settings);
    connection.in_flight = 0;
    self->monitor(connection.actor);
    ++pool.statistics.connections_created;
    ++pool.statistics.connections_open;
  }
  return connection;
}

void finish_part(Router* self, std::uint64_t id);

/// Books a pipeline of `count` commands as answered on `target`.
void release_connection(NodePool& pool, const caf::actor& target, std::size_t count) {
  for (auto& connection : pool.connections)
    if (connection.actor == target && connection.in_flight > 0) --connection.in_flight;
  if (pool.statistics.requests_in_flight > 0) --pool.statistics.requests_in_flight;
  pool.statistics.requests_total += count;
}

/// Sends the commands `indices` of operation `id`, one pipeline per node.
void dispatch(Router* self, std::uint64_t id, const std::vector<std::size_t>& indices) {
  auto& state = self->state;
  Operation& operation = state.operations.at(id);
  // One pipeline per (node, connection), all sent at once.
  std::map<std::pair<std::size_t, std::size_t>, std::vector<std::size_t>> pipelines;
  for (std::size_t index : indices) {
    const std::int32_t slot = operation.commands[index].slot;
    const std::size_t node = node_for_slot(state, slot);
    pipelines[{node, connection_for_slot(state.nodes[node], slot)}].push_back(index);
  }

  for (auto& [route, part] : pipelines) {
    const auto [node, connection_index] = route;
    CommandBatch batch;
    batch.count = static_cast<std::uint32_t>(part.size());
    std::size_t bytes = 0;
    for (std::size_t index : part) bytes += operation.commands[index].encoded.size();
    batch.encoded.reserve(bytes);
    for (std::size_t index : part) batch.encoded += operation.commands[index].encoded;

    NodePool& pool = state.nodes[node];
    PooledConnection& connection = connection_at(self, pool, connection_index);
    ++connection.in_flight;
    ++pool.statistics.requests_in_flight;
    ++operation.parts_outstanding;
    caf::actor target = connection.actor;
    self->request(target, caf::infinite, exec_atom::value, std::move(batch))
        .then(
            [self, id, node = node, target, part = std::move(part)](std::vector<Reply>& replies) {
              auto& state = self->state;
              release_connection(state.nodes[node], target, part.size());
              auto found = state.operations.find(id);
              if (found == state.operations.end()) return;
              Operation& operation = found->second;
              for (std::size_t i = 0; i < part.size() && i < replies.size(); ++i) {
                if (replies[i].is_failure()) operation.failed.push_back(part[i]);
                operation.replies[part[i]] = std::move(replies[i]);
              }
              finish_part(self, id);
            },
            [self, id, node = node, target, server = pool.settings.server(),
             part](caf::error& error) {
              auto& state = self->state;
              release_connection(state.nodes[node], target, part.size());
              auto found = state.operations.find(id);
              if (found == state.operations.end()) return;
              Operation& operation = found->second;
              for (std::size_t index : part) {
                operation.replies[index] = Reply::failure(
                    Reply::Type::connection_failed, server,
                    "connection actor failed: " + self->system().render(error));
                operation.failed.push_back(index);
              }
              finish_part(self, id);
            });
  }
}

void finish_part(Router* self, std::uint64_t id) {
  auto& state = self->state;
  Operation& operation = state.operations.at(id);
  if (--operation.parts_outstanding > 0) return;
  if (!operation.failed.empty() && !state.shutting_down &&
      operation.attempt < operation.retry.attempts) {
    auto delay = retry_delay_before(operation.attempt + 1, operation.retry.delay,
                                    operation.retry.backoff);
    ++operation.attempt;
    for (auto& node : state.nodes) node.statistics.retries += operation.failed.size();
    RTK_LOG_DEBUG("retrying " << operation.failed.size() << " command(s) in "
                              << std::chrono::duration_cast<std::chrono::milliseconds>(delay).count()
                              << " ms (attempt " << operation.attempt << ")");
    self->delayed_send(self, std::chrono::duration_cast<std::chrono::microseconds>(delay),
                       retry_atom::value, id);
    return;
  }
  operation.promise.deliver(std::move(operation.replies));
  state.operations.erase(id);
}

void shut_down(Router* self) {
  auto& state = self->state;
  state.shutting_down = true;
  for (auto& [id, operation] : state.operations) {
    for (auto& reply : operation.replies)
      if (reply.is_nil() || reply.is_failure())
        reply = Reply::failure(Reply::Type::connection_failed, state.settings.node.server(),
                               "the toolkit was shut down");
    operation.promise.deliver(std::move(operation.replies));
  }
  state.operations.clear();
  for (auto& node : state.nodes)
    for (auto& connection : node.connections)
      if (connection.actor) self->send(connection.actor, shutdown_atom::value);
  self->quit();
}

caf::behavior router(Router* self, RouterSettings settings) {
  self->state.settings = std::move(settings);
  NodePool single;
  single.settings = self->state.settings.node;
  single.connections.resize(std::max<std::size_t>(1, self->state.settings.max_connections));
  single.statistics.server = single.settings.server();
  self->state.nodes.push_back(std::move(single));
  self->set_exit_handler([self](caf::exit_msg&) { shut_down(self); });
  // A connection actor that ends leaves its pool; requests it held were answered with failures.
  // A connection actor that ends leaves a gap in its pool, filled on next use; the requests it
  // held were answered with failures.
  self->set_down_handler([self](caf::down_msg& down) {
    for (auto& node : self->state.nodes) {
      for (auto& connection : node.connections) {
        if (connection.actor && connection.actor.address() == down.source) {
          connection.actor = caf::actor();
          --node.statistics.connections_open;
          return;
        }
      }
    }
  });
  return {
      [self](exec_atom, CommandRequest& request) {
        auto& state = self->state;
        const std::uint64_t id = state.next_operation_id++;
        Operation& operation = state.operations[id];
        operation.promise = self->make_response_promise();
        operation.replies.resize(request.commands.size());
        operation.commands = std::move(request.commands);
        operation.retry = request.retry;
        if (operation.commands.empty()) {
          finish_part(self, (++operation.parts_outstanding, id));
          return;
        }
        std::vector<std::size_t> all(operation.commands.size());
        for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
        dispatch(self, id, all);
      },
      [self](retry_atom, std::uint64_t id) {
        auto found = self->state.operations.find(id);
        if (found == self->state.operations.end()) return;
        std::vector<std::size_t> again;
        again.swap(found->second.failed);
        dispatch(self, id, again);
      },
      [self](stats_atom) {
        std::vector<PoolStatistics> all;
        for (const auto& node : self->state.nodes) all.push_back(node.statistics);
        return all;
      },
      [self](shutdown_atom) { shut_down(self); },
  };
}

} // namespace

caf::actor spawn_router(caf::actor_system& system, RouterSettings settings) {
  return system.middleman().spawn_broker(router, std::move(settings));
}

} // namespace redis_toolkit::detail
