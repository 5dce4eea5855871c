#include "router.hpp"

#include "request_buffers.hpp"

#include "cluster_topology.hpp"
#include "node_connection.hpp"
#include "resp.hpp"
#include "router_core.hpp"
#include "slab.hpp"
#include "spare_buffers.hpp"
#include "subscriber.hpp"
#include "topology_discovery.hpp"

#include "redis_toolkit/errors.hpp"
#include "redis_toolkit/logging.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <algorithm>
#include <optional>

namespace redis_toolkit::detail {
namespace {

using retry_atom = caf::atom_constant<caf::atom("rtk_retry")>;
using refresh_atom = caf::atom_constant<caf::atom("rtk_refrsh")>;
using redirect_atom = caf::atom_constant<caf::atom("rtk_redir")>;
using answer_atom = caf::atom_constant<caf::atom("rtk_answer")>;
using send_atom = caf::atom_constant<caf::atom("rtk_rsend")>;
using session_expiry_atom = caf::atom_constant<caf::atom("rtk_sexpir")>;

/// The actor behind one ConnectionRef of the core.
struct PooledConnection {
  caf::actor actor;
  bool made_once = false; ///< a TCP connection was made in this slot before (the next is a reconnect)
};

/// Where an operation's answer goes: a request's response promise, a tag to answer with to the
/// sender (in a TaggedReplies), or a ReplySink.
struct ReplyTo {
  caf::response_promise promise;
  caf::strong_actor_ptr tagged_to;
  std::uint64_t tag = 0;
  std::shared_ptr<ReplySink> sink;

  void reset() { *this = ReplyTo(); }
};

/// Tagged answers waiting for the end of this round of the mailbox, per asker.
struct Answers {
  caf::strong_actor_ptr to;
  TaggedReplies replies;
};

struct RouterState;
using Router = caf::io::stateful_broker<RouterState>;

/// The core's requests, carried out with messages: pipelines to connection actors, answers to
/// callers, timers as delayed messages to the router itself.
class ActorPort final : public RouterPort, public DiscoveryPort {
public:
  Router* self = nullptr;

  void parts_queued() override;
  void send(ConnectionRef connection, CommandBatch&& batch, std::uint64_t part) override;
  void answer(std::uint64_t caller, std::vector<Reply>&& replies) override;
  void start_timer(RouterTimer timer, std::uint64_t id, RouterClock::duration after) override;
  void refresh_topology() override;
  void topology_needed() override;
  /// Within a Round, the time of its first reading: a round of a thousand calls reads the clock
  /// once, not twice per call (when each call arrived, when it was answered); what it measures
  /// (call latency, waits in error messages) is never finer than one round.
  RouterClock::time_point now() override;
  std::optional<RouterClock::time_point> round_time;

  void query(std::uint64_t query, DiscoveryTarget target,
             std::vector<std::string> command) override;
  void start_refresh_timer(RouterClock::duration after) override;
  void discovery_ended() override;
  void master_moved(const NodeAddress& master) override;
};

struct RouterState {
  RouterSettings settings;
  ActorPort port;
  std::optional<RouterCore> core; ///< made when the actor starts (it needs the port's actor)
  std::optional<TopologyDiscovery> discovery; ///< cluster and Sentinel mode
  std::vector<std::vector<PooledConnection>> connections; ///< per node of the core, per pool place
  Slab<ReplyTo> callers; ///< whom each operation in the core answers, by the core's caller id
  struct Locating {
    std::int32_t slot;
    std::string suspect;
    caf::response_promise promise;
  };
  std::vector<Locating> locating;
  bool parts_posted = false;
  bool in_round = false; ///< a Round is open: it sends or posts what is unsent when it ends
  std::vector<Answers> answers; ///< sent by send_answers, posted once per round
  /// Operations the last answers carried: a new round's answers are made that large at once.
  std::size_t last_answered = 16;
  bool answers_posted = false;
  // Sentinel mode:
  std::vector<caf::actor> sentinel_connections; ///< one per sentinel, made on first use
  std::size_t next_watched_sentinel = 0;
  caf::actor sentinel_watch; ///< a subscriber on a sentinel's +switch-master
  std::vector<caf::actor> subscribers; ///< those that located a node: told when it moves
  static inline const char* name = "rtk_router";
};

/// The server named in errors: the one server, or the cluster's seeds.
std::string server_name(const RouterSettings& settings) {
  if (!settings.cluster) return settings.node.server();
  if (settings.sentinel_mode()) return "sentinel master " + settings.sentinel_master_name;
  std::string seeds;
  for (const NodeAddress& seed : settings.seeds) seeds += (seeds.empty() ? "" : ",") + seed.to_string();
  return "cluster " + seeds;
}

/// How long a WATCH session may stay open before the router closes it.
std::chrono::milliseconds session_limit(const RouterSettings& settings) {
  return std::max<std::chrono::milliseconds>(std::chrono::seconds(5),
                                             4 * settings.node.socket_timeout);
}

RouterCoreSettings core_settings(const RouterSettings& settings) {
  RouterCoreSettings core;
  core.cluster = settings.cluster;
  core.sentinel_mode = settings.sentinel_mode();
  core.readonly_mode = settings.readonly_mode;
  core.skip_full_coverage_check = settings.skip_full_coverage_check;
  core.max_redirections = settings.max_redirections;
  core.max_connections = settings.max_connections;
  core.max_pending_calls = settings.max_pending_calls;
  core.count_calls = settings.count_calls;
  core.single_server = NodeAddress{settings.node.host, settings.node.port};
  core.server_name = server_name(settings);
  core.session_limit = session_limit(settings);
  return core;
}

/// The actor of `connection`, made on first use (and again after it ended).
caf::actor connection_at(Router* self, ConnectionRef connection) {
  auto& state = self->state;
  auto& nodes = state.connections;
  if (nodes.size() <= static_cast<std::size_t>(connection.node))
    nodes.resize(static_cast<std::size_t>(connection.node) + 1);
  auto& pool = nodes[static_cast<std::size_t>(connection.node)];
  if (pool.empty()) pool.resize(state.core->pool_size());
  PooledConnection& pooled = pool[connection.index];
  if (!pooled.actor) {
    ConnectionSettings settings = state.settings.node;
    if (state.settings.cluster) {
      const NodeAddress& address = state.core->address(connection.node);
      settings.host = address.host;
      settings.port = address.port;
      // READONLY is a cluster command: a Sentinel-managed replica serves reads as it is.
      settings.readonly = state.settings.readonly_mode && !state.settings.sentinel_mode();
    }
    pooled.actor = spawn_node_connection(self->system(), std::move(settings),
                                         caf::actor_cast<caf::actor>(self));
    self->monitor(pooled.actor);
  }
  return pooled.actor;
}

/// The core's place of the connection actor at `address`, if it is one of the pools'.
std::optional<ConnectionRef> connection_of(RouterState& state, const caf::actor_addr& address) {
  for (std::size_t node = 0; node < state.connections.size(); ++node)
    for (std::size_t index = 0; index < state.connections[node].size(); ++index) {
      const caf::actor& actor = state.connections[node][index].actor;
      if (actor && actor.address() == address)
        return ConnectionRef{static_cast<std::int32_t>(node), index};
    }
  return std::nullopt;
}

void send_answers(Router* self);
caf::actor sentinel_connection(Router* self, std::size_t index);
void take_discovery_reply(Router* self, std::uint64_t query, Reply reply);

RouterClock::time_point ActorPort::now() {
  if (!self->state.in_round) return RouterClock::now();
  if (!round_time) round_time = RouterClock::now();
  return *round_time;
}

void ActorPort::parts_queued() {
  auto& state = self->state;
  if (state.parts_posted || state.in_round) return; // the Round sends them when it ends
  state.parts_posted = true;
  self->send(self, send_atom::value);
}

void ActorPort::send(ConnectionRef connection, CommandBatch&& batch, std::uint64_t part) {
  self->send(connection_at(self, connection), exec_atom::value, std::move(batch), part);
}

void ActorPort::answer(std::uint64_t caller, std::vector<Reply>&& replies) {
  auto& state = self->state;
  ReplyTo* found = state.callers.find(caller);
  if (found == nullptr) return;
  ReplyTo reply_to = std::move(*found);
  state.callers.release(caller);
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
  auto each = std::find_if(state.answers.begin(), state.answers.end(),
                           [&](const Answers& one) { return one.to == reply_to.tagged_to; });
  if (each == state.answers.end()) {
    state.answers.push_back(Answers{reply_to.tagged_to, {}});
    each = std::prev(state.answers.end());
    each->replies.items = Spares<decltype(each->replies.items)>::take(state.last_answered);
    each->replies.replies = Spares<decltype(each->replies.replies)>::take(state.last_answered);
  }
  each->replies.items.emplace_back(reply_to.tag, static_cast<std::uint32_t>(replies.size()));
  // The replies move; the vector stays the core's, for its next operation (RouterPort::answer).
  each->replies.replies.insert(each->replies.replies.end(),
                               std::make_move_iterator(replies.begin()),
                               std::make_move_iterator(replies.end()));
  if (!state.answers_posted && !state.in_round) {
    state.answers_posted = true;
    self->send(self, answer_atom::value);
  }
}

void ActorPort::start_timer(RouterTimer timer, std::uint64_t id, RouterClock::duration after) {
  const auto delay = std::chrono::duration_cast<std::chrono::microseconds>(after);
  switch (timer) {
  case RouterTimer::retry:
    self->delayed_send(self, delay, retry_atom::value, id);
    return;
  case RouterTimer::redirect:
    self->delayed_send(self, delay, redirect_atom::value, id);
    return;
  case RouterTimer::session_expiry:
    self->delayed_send(self, delay, session_expiry_atom::value, id);
    return;
  }
}

void ActorPort::refresh_topology() {
  if (self->state.discovery) self->state.discovery->refresh();
}

void ActorPort::topology_needed() {
  if (self->state.discovery) self->state.discovery->need();
}

void ActorPort::query(std::uint64_t query, DiscoveryTarget target,
                      std::vector<std::string> command) {
  CommandBatch batch;
  batch.count = 1;
  resp::append_command(batch.encoded, command);
  const caf::actor to =
      target.kind == DiscoveryTarget::Kind::sentinel
          ? sentinel_connection(self, target.index)
          : connection_at(self, ConnectionRef{static_cast<std::int32_t>(target.index), 0});
  Router* router = self;
  self->request(to, caf::infinite, exec_atom::value, std::move(batch))
      .then(
          [router, query](std::vector<Reply>& replies) {
            take_discovery_reply(router, query,
                                 replies.empty() ? Reply::failure(Reply::Type::connection_failed,
                                                                  "", "no reply")
                                                 : std::move(replies.front()));
          },
          [router, query](caf::error& error) {
            take_discovery_reply(router, query,
                                 Reply::failure(Reply::Type::connection_failed, "",
                                                router->system().render(error)));
          });
}

void ActorPort::start_refresh_timer(RouterClock::duration after) {
  self->delayed_send(self, std::chrono::duration_cast<std::chrono::microseconds>(after),
                     refresh_atom::value);
}

/// Subscribers that asked where to connect while the table was unknown hear now: a node, or
/// none when discovery failed.
void ActorPort::discovery_ended() {
  auto& state = self->state;
  for (auto& each : state.locating)
    each.promise.deliver(state.core->ready() ? state.core->locate(each.slot, each.suspect)
                                             : std::string());
  state.locating.clear();
}

void ActorPort::master_moved(const NodeAddress& master) {
  for (const caf::actor& subscriber : self->state.subscribers)
    self->send(subscriber, relocate_atom::value, master.to_string());
}

/// Sends this round's pipelines, one message per connection.
void send_parts(Router* self) {
  self->state.parts_posted = false;
  self->state.core->flush();
}

/// Sends the tagged answers gathered in this round, one message per asker.
void send_answers(Router* self) {
  auto& state = self->state;
  state.answers_posted = false;
  std::vector<Answers> answers;
  answers.swap(state.answers);
  state.last_answered = 0;
  for (Answers& each : answers) {
    state.last_answered = std::max(state.last_answered, each.replies.items.size());
    caf::anon_send(caf::actor_cast<caf::actor>(each.to), reply_atom::value,
                   std::move(each.replies));
  }
}

// ---- Sentinel mode ----------------------------------------------------------------------------
// TopologyDiscovery asks the sentinels; the router keeps a connection per sentinel for it, and a
// subscriber on one sentinel's +switch-master so that a failover reaches it at once.

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

void shut_down(Router* self) {
  auto& state = self->state;
  state.core->shut_down();
  if (state.discovery) state.discovery->shut_down();
  for (auto& each : state.locating) each.promise.deliver(std::string());
  state.locating.clear();
  for (auto& pool : state.connections)
    for (auto& connection : pool)
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
    state.port.round_time.reset();
    const bool alone = self_->mailbox().empty();
    send_or_post(state.core->has_unsent(), state.parts_posted, alone, send_parts, send_atom::value);
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

void take_discovery_reply(Router* self, std::uint64_t query, Reply reply) {
  Round round(self); // operations that waited for the table may go out at once
  self->state.discovery->take_reply(query, reply);
}

void receive_request(Router* self, CommandRequest& request, ReplyTo reply_to) {
  auto& state = self->state;
  auto [caller, added] = state.callers.add();
  *added = std::move(reply_to);
  state.core->submit(request, caller);
}

/// A connection actor made or lost a TCP connection: the pool statistics count connections as the
/// server sees them, not actors (an actor reconnects many times).
void on_link(Router* self, bool up, bool health_check_failed) {
  auto& state = self->state;
  const auto connection =
      connection_of(state, caf::actor_cast<caf::actor_addr>(self->current_sender()));
  if (!connection) return;
  PooledConnection& pooled = state.connections[connection->node][connection->index];
  PoolStatistics& statistics = state.core->statistics(connection->node);
  if (up) {
    if (pooled.made_once) ++statistics.reconnects;
    pooled.made_once = true;
    ++statistics.connections_created;
    ++statistics.connections_open;
  } else {
    if (statistics.connections_open > 0) --statistics.connections_open;
    if (health_check_failed) ++statistics.health_check_failures;
  }
}

caf::behavior router(Router* self, RouterSettings settings) {
  auto& state = self->state;
  state.settings = std::move(settings);
  state.port.self = self;
  state.core.emplace(core_settings(state.settings), state.port);
  if (state.settings.cluster) {
    DiscoverySettings discovery;
    discovery.sentinel_mode = state.settings.sentinel_mode();
    discovery.readonly_mode = state.settings.readonly_mode;
    discovery.tls = state.settings.node.tls != nullptr;
    discovery.seeds = state.settings.seeds;
    discovery.sentinels = state.settings.sentinels;
    discovery.master_name = state.settings.sentinel_master_name;
    state.discovery.emplace(std::move(discovery), *state.core, state.port);
    state.discovery->start(); // early: the first request finds the table ready
    if (state.settings.sentinel_mode()) watch_sentinels(self);
  }
  self->set_exit_handler([self](caf::exit_msg&) { shut_down(self); });
  // A connection actor that ends leaves a gap in its pool, filled on next use; the requests it
  // held were answered with failures.
  self->set_down_handler([self](caf::down_msg& down) {
    auto& state = self->state;
    if (const auto connection = connection_of(state, down.source)) {
      state.connections[connection->node][connection->index].actor = caf::actor();
      Round round(self); // what failed with it may be sent again at once
      state.core->connection_ended(*connection);
      return;
    }
    for (auto& connection : state.sentinel_connections)
      if (connection && connection.address() == down.source) connection = caf::actor();
    auto& subscribers = state.subscribers;
    subscribers.erase(std::remove_if(subscribers.begin(), subscribers.end(),
                                     [&](const caf::actor& subscriber) {
                                       return subscriber.address() == down.source;
                                     }),
                      subscribers.end());
  });
  return {
      [self](exec_atom, CommandRequest& request) {
        Round round(self);
        receive_request(self, request, ReplyTo{self->make_response_promise(), {}, 0, {}});
      },
      [self](exec_atom, TaggedRequests& requests) {
        Round round(self);
        const caf::strong_actor_ptr& sender = self->current_sender();
        for (auto& [tag, request] : requests.items) {
          receive_request(self, request, ReplyTo{{}, sender, tag, {}});
          // Spent now (RouterCore::submit swapped in an emptied operation's buffers). The asker,
          // a completion actor, runs on this thread, and so do the callbacks that plan its next
          // calls: they find the buffers here.
          keep_request_buffers(request);
        }
        // The completion actor, on this thread, makes its next requests in it.
        Spares<decltype(requests.items)>::give_back(requests.items);
      },
      [self](answer_atom) { send_answers(self); },
      [self](send_atom) { send_parts(self); },
      [self](exec_atom, CommandRequest& request, std::shared_ptr<ReplySink>& sink) {
        Round round(self);
        // Held here: the core may answer (and drop the caller's entry) before submit returns.
        const std::shared_ptr<ReplySink> taker = sink;
        receive_request(self, request, ReplyTo{{}, {}, 0, std::move(sink)});
        taker->keep_spent(request);
      },
      [self](part_atom, std::uint64_t part_id, std::vector<Reply>& replies) {
        Round round(self);
        self->state.core->take_part(part_id, replies);
        // The connection, on this thread, collects its next replies in it.
        Spares<std::vector<Reply>>::give_back(replies);
      },
      [self](retry_atom, std::uint64_t id) {
        self->state.core->timer_fired(RouterTimer::retry, id);
      },
      [self](redirect_atom, std::uint64_t id) {
        self->state.core->timer_fired(RouterTimer::redirect, id);
      },
      [self](session_expiry_atom, std::uint64_t session) {
        self->state.core->timer_fired(RouterTimer::session_expiry, session);
      },
      [self](refresh_atom) {
        Round round(self);
        self->state.discovery->timer_fired();
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
        if (!suspect.empty() && state.discovery)
          state.discovery->refresh(); // a subscriber lost that node
        if (state.settings.sentinel_mode()) remember_subscriber(self, std::move(asker));
        if (state.settings.sentinel_mode() && !suspect.empty()) {
          // The master it lost is most likely being replaced: answer once the sentinels were
          // asked, so that the subscriber follows the new master rather than the old one.
          state.locating.push_back({slot, std::move(suspect), std::move(promise)});
          return;
        }
        if (state.core->ready()) {
          promise.deliver(state.core->locate(slot, suspect));
          return;
        }
        state.locating.push_back({slot, std::move(suspect), std::move(promise)});
        if (state.discovery) state.discovery->need();
      },
      [self](stats_atom) {
        const RouterCore& core = *self->state.core;
        std::vector<PoolStatistics> all;
        for (std::size_t node = 0; node < core.node_count(); ++node)
          all.push_back(core.statistics(static_cast<std::int32_t>(node)));
        return all;
      },
      [self](metrics_atom) {
        const RouterCore& core = *self->state.core;
        const MetricsRecorder& recorded = core.metrics();
        ToolkitMetrics metrics;
        metrics.commands = recorded.commands();
        metrics.pending_calls = core.pending_calls();
        for (std::size_t node = 0; node < core.node_count(); ++node) {
          const PoolStatistics& statistics = core.statistics(static_cast<std::int32_t>(node));
          metrics.nodes.push_back(
              {statistics.server, statistics.connections_open, statistics.reconnects});
        }
        metrics.redirections_moved = recorded.redirections_moved;
        metrics.redirections_ask = recorded.redirections_ask;
        metrics.redirections_tryagain = recorded.redirections_tryagain;
        metrics.topology_refreshes = recorded.topology_refreshes;
        return metrics;
      },
      [self](message_atom, const std::string& channel, const Value& value) {
        // +switch-master "<name> <old ip> <old port> <new ip> <new port>": ask the sentinels
        // again (and check the new master's ROLE) rather than trust one announcement.
        const std::string* text = value.is_string() ? &value.as_string() : nullptr;
        if (channel == switch_master_channel && text != nullptr &&
            text->rfind(self->state.settings.sentinel_master_name + " ", 0) == 0) {
          RTK_LOG_INFO("sentinel announced " << channel << " " << *text);
          self->state.discovery->refresh();
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
