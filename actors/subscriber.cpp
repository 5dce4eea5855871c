#include "subscriber.hpp"

#include "pubsub_push.hpp"
#include "subscription_confirmations.hpp"
#include "subscription_set.hpp"
#include "resp.hpp"

#include "redis_toolkit/config.hpp"
#include "redis_toolkit/logging.hpp"
#include "redis_toolkit/wire_format.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

namespace redis_toolkit::detail {
namespace {

using Clock = std::chrono::system_clock;
using reconnect_atom = caf::atom_constant<caf::atom("rtk_recon")>;
using expiry_atom = caf::atom_constant<caf::atom("rtk_expire")>;
using sub_health_atom = caf::atom_constant<caf::atom("rtk_shlth")>;
using Steady = std::chrono::steady_clock;
using stop_deadline_atom = caf::atom_constant<caf::atom("rtk_stopdl")>;

/// What a subscriber subscribes (pubsub_push.hpp); both kinds may share the one connection.
using Target = SubscriptionTarget;

using Phase = ConnectionMachine::Phase;

struct SubscriberState {
  ReadSizer read_sizer; ///< the size of the next read (see ReadSizer)
  SubscriberSettings settings;
  ConnectionMachine machine{ConnectionMachine::Limits{}}; ///< phases, login, decoding, health
  caf::io::connection_handle handle;
  std::optional<TlsStream> tls; ///< set while a TLS connection is up
  SubscriptionSet<HandlerRef> subscriptions; ///< channels and patterns, with their handlers
  /// Subscribe requests waiting until Redis confirmed each of their channels or patterns.
  SubscriptionConfirmations<caf::response_promise> confirmations;
  std::string suspect; ///< cluster: the node that just failed us, for the router to avoid
  SubscriptionStatistics statistics;
  bool health_timer_armed = false; ///< see check_health
  bool loss_logged = false; ///< warned about this outage already; debug until resubscribed
  /// Set while stopping: UNSUBSCRIBE sent, the server's last confirmation awaited. Released (and
  /// its StopSignal set) when the subscriber ends.
  std::shared_ptr<StopTicket> stopping;
  static inline const char* name = "rtk_subscriber";
};

using Subscriber = caf::io::stateful_broker<SubscriberState>;

void schedule_reconnect(Subscriber* self) {
  auto& state = self->state;
  const auto delay =
      state.machine.reconnect_after(
          std::chrono::duration_cast<ConnectionMachine::Clock::duration>(state.settings.retry_delay),
          bool(state.settings.locator));
  if (delay)
    self->delayed_send(self, std::chrono::duration_cast<std::chrono::microseconds>(*delay),
                       reconnect_atom::value);
}

void connect_to_known_server(Subscriber* self) {
  auto& state = self->state;
  connect_in_background(caf::actor_cast<caf::actor>(self), state.settings.connection,
                        state.machine.connecting());
}

/// Connects, first asking the router which node to use when in a cluster.
void connect(Subscriber* self) {
  auto& state = self->state;
  if (!state.machine.idle()) return;
  if (!state.settings.locator) return connect_to_known_server(self);
  state.machine.locating();
  std::string suspect;
  suspect.swap(state.suspect);
  self->request(state.settings.locator, caf::infinite, locate_atom::value, state.settings.slot,
                std::move(suspect))
      .then(
          [self](std::string& address) {
            auto& state = self->state;
            if (state.machine.phase() != Phase::locating) return;
            state.machine.lost();
            if (address.empty()) return schedule_reconnect(self);
            try {
              NodeAddress node = NodeAddress::parse(address);
              state.settings.connection.host = node.host;
              state.settings.connection.port = node.port;
            } catch (const std::exception&) {
              return schedule_reconnect(self);
            }
            state.statistics.server = address;
            connect_to_known_server(self);
          },
          [self](caf::error&) {
            if (self->state.machine.phase() != Phase::locating) return;
            self->state.machine.lost();
            schedule_reconnect(self);
          });
}

const char* subscribe_command(const SubscriberState& state) {
  return state.settings.sharded ? "SSUBSCRIBE" : "SUBSCRIBE";
}

const char* unsubscribe_command(const SubscriberState& state) {
  return state.settings.sharded ? "SUNSUBSCRIBE" : "UNSUBSCRIBE";
}

const char* subscribe_command(const SubscriberState& state, Target target) {
  return target == Target::pattern ? "PSUBSCRIBE" : subscribe_command(state);
}

void connection_lost(Subscriber* self, const std::string& reason);

/// Writes plaintext on the connection: as it is over TCP, encrypted first over TLS.
void send_bytes(Subscriber* self, const std::string& bytes) {
  auto& state = self->state;
  if (!state.tls) {
    self->write(state.handle, bytes.size(), bytes.data());
    self->flush(state.handle);
    return;
  }
  if (!state.tls->write(bytes.data(), bytes.size())) {
    const std::string error = state.tls->error(); // losing the connection ends the stream
    connection_lost(self, error);
    return;
  }
  const std::string_view ciphertext = state.tls->to_send();
  self->write(state.handle, ciphertext.size(), ciphertext.data());
  self->flush(state.handle);
}

/// Sends `command` for `channels`; nothing when there are none, unless `even_without_channels`
/// (UNSUBSCRIBE without arguments: all of them).
void send_channel_command(Subscriber* self, std::string_view command,
                          const std::vector<std::string>& channels,
                          bool even_without_channels = false) {
  if (!self->state.machine.open() || (channels.empty() && !even_without_channels)) return;
  std::vector<std::string_view> arguments{command};
  arguments.insert(arguments.end(), channels.begin(), channels.end());
  std::string encoded;
  resp::append_command(encoded, arguments);
  send_bytes(self, encoded);
}

void finish_stopping(Subscriber* self) {
  auto& state = self->state;
  if (state.machine.lost()) self->close(state.handle);
  state.stopping.reset(); // sets the StopSignal: stop() returns
  self->quit();
}

/// Closes the connection, if open, and forgets what it was in the middle of.
void disconnect(Subscriber* self) {
  auto& state = self->state;
  if (state.machine.lost()) {
    self->close(state.handle);
    ++state.statistics.reconnects;
  }
  state.tls.reset();
}

void connection_lost(Subscriber* self, const std::string& reason) {
  auto& state = self->state;
  if (state.stopping) return finish_stopping(self); // no connection: nothing left subscribed
  if (state.machine.open()) {
    // Once per outage: a server that stays away fails every reconnect the same way.
    RTK_LOG(state.loss_logged ? LogLevel::debug : LogLevel::warning,
            "subscriber connection to " << state.settings.connection.server() << " lost: "
                                        << reason << "; reconnecting");
    state.loss_logged = true;
  }
  disconnect(self);
  if (state.settings.locator) state.suspect = state.settings.connection.server();
  schedule_reconnect(self);
}

/// The router's master moved (Sentinel mode). The old master may go on serving for seconds
/// before Sentinel demotes it, and a subscriber there hears nothing published on the new one:
/// it moves at once, through the router, also when it is still connecting to the old one.
void relocate(Subscriber* self, const std::string& master) {
  auto& state = self->state;
  if (state.stopping || !state.settings.locator || state.settings.connection.server() == master)
    return;
  if (!state.machine.open() && state.machine.phase() != Phase::connecting) return;
  RTK_LOG_INFO("subscriber on " << state.settings.connection.server() << " moves to the new master "
                                << master);
  disconnect(self);
  state.machine.abandon_attempt(); // a connect on its way is dropped (its socket closed) on arrival
  connect(self);
}

/// Subscribe calls waiting for confirmations learn at once why none will come (login refused,
/// connect failed) rather than from a timeout; the subscriber keeps retrying for its channels.
void fail_confirmations(Subscriber* self, const std::string& reason) {
  for (auto& promise : self->state.confirmations.take_all())
    promise.deliver(caf::make_error(caf::sec::runtime_error,
                                    self->state.settings.connection.server() + " " + reason));
}

/// Health checks: a subscriber hears nothing while its channels are quiet, so after
/// health_check_interval of silence it sends PING (allowed in subscribe mode). A login or PING
/// unanswered within the socket timeout means the server is gone (frozen, unreachable): reconnect
/// and resubscribe, which in a cluster asks the router for the slot's current owner.
void check_health(Subscriber* self) {
  auto& state = self->state;
  state.health_timer_armed = false;
  const auto interval = state.settings.connection.health_check_interval;
  if (!state.machine.open() || interval.count() <= 0) return;
  const auto now = Steady::now();
  switch (state.machine.check_health(now, false)) {
  case ConnectionMachine::Health::dead:
    connection_lost(self, state.machine.dead_reason());
    return;
  case ConnectionMachine::Health::send_ping: {
    std::string ping;
    resp::append_command(ping, {"PING"});
    state.machine.ping_sent(now);
    send_bytes(self, ping);
    if (!state.machine.open()) return; // the write failed: reconnecting
    break;
  }
  case ConnectionMachine::Health::fine:
    break;
  }
  state.health_timer_armed = true;
  // Often enough to notice both an idle interval and a missed answer in time.
  const auto period = std::max(std::chrono::milliseconds(50),
                               std::min(interval, state.settings.connection.socket_timeout) / 2);
  self->delayed_send(self, period, sub_health_atom::value);
}

void confirm(Subscriber* self, Target target, const std::string& name) {
  self->state.loss_logged = false; // resubscribed: the next outage is news again
  for (auto& promise : self->state.confirmations.confirm(target, name))
    promise.deliver(caf::ok_atom::value);
}

/// Delivers a message of `channel` to the handlers of `name`: the channel itself, or the pattern
/// it matched (then as a pmessage, naming both).
void deliver(Subscriber* self, Target target, const std::string& name, const std::string& channel,
             const std::string& payload) {
  auto* found = self->state.subscriptions.find(target, name);
  if (found == nullptr) return; // unsubscribed meanwhile
  auto& entry = *found;
  Value value;
  try {
    value = self->state.settings.raw_payloads ? Value(payload) : deserialize_value(payload, channel);
  } catch (const std::exception& problem) {
    ++entry.statistics.decode_errors;
    RTK_LOG_WARN("dropped a damaged message on '" << channel << "': " << problem.what());
    return;
  }
  ++entry.statistics.messages;
  ++self->state.statistics.messages;
  PubSubTotals* totals = self->state.settings.totals.get();
  if (totals) totals->received.fetch_add(1, std::memory_order_relaxed);
  entry.statistics.last_message_at = Clock::now();
  const std::size_t limit = self->state.settings.mailbox_limit;
  for (const auto& handler : entry.handlers) {
    if (handler.backlog && handler.backlog->load() >= limit) {
      ++entry.statistics.dropped; // a flood must not exhaust memory behind a slow handler
      ++self->state.statistics.dropped;
      if (totals) totals->dropped.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    if (handler.backlog) handler.backlog->fetch_add(1);
    if (target == Target::pattern)
      self->send(handler.actor, pmessage_atom::value, name, channel, value);
    else
      self->send(handler.actor, message_atom::value, channel, value);
  }
}

void on_push(Subscriber* self, const Reply& reply) {
  const PushEvent event = classify_push(reply);
  using Kind = PushEvent::Kind;
  switch (event.kind) {
    case Kind::moved:
      // A sharded subscribe sent to a node that no longer owns the slot: find the owner.
      if (self->state.settings.locator)
        return connection_lost(self, "the channels' slot moved (" + *event.text + ")");
      [[fallthrough]];
    case Kind::error:
      RTK_LOG_WARN("subscriber " << self->state.settings.connection.server() << ": "
                                 << *event.text);
      return;
    case Kind::pong:
      if (event.from_status || !self->state.stopping) self->state.machine.pong();
      return;
    default:
      break;
  }
  if (self->state.stopping) {
    // Stopping: every channel and pattern was dropped here, and Redis confirms each; the
    // confirmation that counts no subscription left on this connection ends the subscriber.
    if (event.kind == Kind::unsubscribed && event.remaining == 0) finish_stopping(self);
    return;
  }
  switch (event.kind) {
    case Kind::message:
    case Kind::pattern_message:
      deliver(self, event.target, *event.name, *event.channel, *event.payload);
      return;
    case Kind::subscribed:
      confirm(self, event.target, *event.name);
      return;
    case Kind::unsubscribed:
      // Not asked for: Redis unsubscribes sharded channels whose slot moved to another node.
      if (event.sharded && self->state.subscriptions.contains(Target::channel, *event.name))
        connection_lost(self, "Redis unsubscribed '" + *event.name + "' (its slot moved)");
      return;
    default:
      return;
  }
}

/// Drops every channel and, when the connection is up and logged in, asks Redis to drop them too:
/// the subscriber ends on its confirmation (finish_stopping), or after its stop timeout.
void begin_stopping(Subscriber* self, std::shared_ptr<StopTicket> ticket) {
  auto& state = self->state;
  state.stopping = std::move(ticket);
  const bool had_patterns = state.subscriptions.has_patterns();
  state.subscriptions.clear(); // nothing is delivered any more
  for (auto& promise : state.confirmations.take_all())
    promise.deliver(caf::make_error(caf::sec::request_receiver_down));
  if (!state.machine.ready()) {
    // No SUBSCRIBE has reached Redis on this connection (it is sent after the login replies).
    finish_stopping(self);
    return;
  }
  // Without arguments: every channel (or shard channel) of this connection, whichever the
  // server still counts, including one whose SUBSCRIBE is still on its way.
  send_channel_command(self, unsubscribe_command(state), {}, true);
  // Patterns after channels: the last confirmation, counting none left, is PUNSUBSCRIBE's.
  if (had_patterns) send_channel_command(self, "PUNSUBSCRIBE", {}, true);
  self->delayed_send(self, state.settings.stop_timeout, stop_deadline_atom::value);
}

void on_login_refused(Subscriber* self, const std::string& failure) {
  RTK_LOG_ERROR("subscriber " << self->state.settings.connection.server() << ": " << failure);
  fail_confirmations(self, failure);
  connection_lost(self, failure);
}

void on_logged_in(Subscriber* self) {
  auto& state = self->state;
  // Everything again after a reconnect: Redis forgot the lost connection's channels and patterns.
  send_channel_command(self, subscribe_command(state), state.subscriptions.names(Target::channel));
  send_channel_command(self, subscribe_command(state, Target::pattern),
                       state.subscriptions.names(Target::pattern));
}

void on_data(Subscriber* self, const caf::io::new_data_msg& message) {
  auto& state = self->state;
  if (const std::size_t next = state.read_sizer.after_read(message.buf.size()))
    self->configure_read(state.handle, caf::io::receive_policy::at_most(next));
  const char* data = message.buf.data();
  std::size_t size = message.buf.size();
  if (state.tls) {
    if (!state.tls->read(data, size)) {
      const std::string error = state.tls->error(); // losing the connection ends the stream
      connection_lost(self, error);
      return;
    }
    const std::string_view answer = state.tls->to_send();
    if (!answer.empty()) { // OpenSSL's own answer (a key update), sent as it is
      self->write(state.handle, answer.size(), answer.data());
      self->flush(state.handle);
    }
    data = state.tls->plaintext().data();
    size = state.tls->plaintext().size();
  }
  try {
    state.machine.feed(data, size, Steady::now());
    Reply reply;
    for (;;) { // next() finds nothing once the connection is lost or the subscriber stopped
      ConnectionMachine::Step step = state.machine.next(reply);
      using Kind = ConnectionMachine::Step::Kind;
      if (step.kind == Kind::nothing) return;
      if (step.kind == Kind::login_refused) return on_login_refused(self, step.reason);
      if (step.kind == Kind::logged_in) on_logged_in(self);
      if (step.kind == Kind::reply) on_push(self, reply);
    }
  } catch (const std::exception& problem) {
    connection_lost(self, problem.what());
  }
}

void on_connected(Subscriber* self, ConnectOutcome& outcome) {
  auto& state = self->state;
  if (!outcome.socket) {
    state.machine.lost();
    RTK_LOG_DEBUG("subscriber connect to " << state.settings.connection.server()
                                           << " failed: " << outcome.error);
    if (state.settings.locator) state.suspect = state.settings.connection.server();
    fail_confirmations(self, "connect failed: " + outcome.error);
    schedule_reconnect(self);
    return;
  }
  if (outcome.tls)
    state.tls.emplace(std::move(outcome.tls));
  else
    state.tls.reset();
  state.handle = self->add_scribe(outcome.socket->release());
  state.read_sizer = ReadSizer();
  self->configure_read(state.handle, caf::io::receive_policy::at_most(state.read_sizer.current()));
  state.statistics.connected = true;
  CommandBatch login = login_commands(login_of(state.settings.connection));
  state.machine.connected(login.count, Steady::now()); // its replies are the machine's
  send_bytes(self, login.encoded);
  if (!state.health_timer_armed) check_health(self);
}

void check_expiry(Subscriber* self) {
  auto& state = self->state;
  const std::vector<std::string> expired =
      state.subscriptions.expire(Clock::now(), state.settings.expire_after);
  for (const auto& name : expired) {
    RTK_LOG_INFO("dynamic subscription '" << name << "' expired");
    ++state.statistics.expired_channels;
  }
  send_channel_command(self, unsubscribe_command(state), expired);
  self->delayed_send(self, state.settings.check_interval, expiry_atom::value);
}

/// Adds `handler` to `names` (channels or patterns), subscribing those new to this subscriber; the
/// request is answered ok_atom once Redis confirmed every name (at once for names it confirmed
/// before, on this connection).
void add_subscriptions(Subscriber* self, Target target, const std::vector<std::string>& names,
                       const HandlerRef& handler, bool dynamic) {
  auto& state = self->state;
  const bool logged_in = state.machine.ready();
  auto added = state.subscriptions.add(target, names, handler, dynamic, Clock::now());
  auto promise = self->make_response_promise();
  // Names Redis already confirmed on this connection need no new confirmation.
  std::set<SubscriptionName> awaited;
  for (const auto& name : added.fresh) awaited.emplace(target, name);
  if (!logged_in)
    for (const auto& name : added.known) awaited.emplace(target, name);
  if (awaited.empty())
    promise.deliver(caf::ok_atom::value);
  else
    state.confirmations.add(std::move(promise), std::move(awaited));
  if (logged_in) send_channel_command(self, subscribe_command(state, target), added.fresh);
  connect(self);
}

caf::behavior subscriber(Subscriber* self, SubscriberSettings settings) {
  self->state.settings = std::move(settings);
  self->state.machine.set_limits(limits_of(self->state.settings.connection));
  self->state.statistics.server = self->state.settings.connection.server();
  self->delayed_send(self, self->state.settings.check_interval, expiry_atom::value);
  auto stop = [self] {
    if (self->state.machine.lost()) self->close(self->state.handle);
    self->quit();
  };
  self->set_exit_handler([stop](caf::exit_msg&) { stop(); });
  return {
      [self](subscribe_atom, std::vector<std::string>& channels, HandlerRef& handler, bool dynamic) {
        add_subscriptions(self, Target::channel, channels, handler, dynamic);
      },
      [self](psubscribe_atom, std::vector<std::string>& patterns, HandlerRef& handler) {
        add_subscriptions(self, Target::pattern, patterns, handler, false);
      },
      [self](unsubscribe_atom, std::vector<std::string>& channels, caf::actor& handler) {
        // A null handler: every handler of those channels.
        auto removed = self->state.subscriptions.remove_channels(
            channels, [&](const HandlerRef& each) { return !handler || each.actor == handler; });
        send_channel_command(self, unsubscribe_command(self->state), removed.emptied);
        return removed.any;
      },
      [self](stats_atom) {
        auto statistics = self->state.statistics;
        statistics.connected = self->state.machine.open();
        std::vector<const std::atomic<std::size_t>*> counted; // a handler of many channels: once
        self->state.subscriptions.for_each([&](const auto& channel) {
          statistics.channels.push_back(channel.statistics);
          statistics.channels.back().handlers = channel.handlers.size();
          for (const auto& handler : channel.handlers) {
            if (!handler.backlog ||
                std::find(counted.begin(), counted.end(), handler.backlog.get()) != counted.end())
              continue;
            counted.push_back(handler.backlog.get());
            statistics.handler_backlog += handler.backlog->load(std::memory_order_relaxed);
          }
        });
        return statistics;
      },
      [self](connected_atom, ConnectOutcome& outcome, std::uint64_t attempt) {
        if (!self->state.machine.current(attempt)) return;
        on_connected(self, outcome);
      },
      [self](relocate_atom, const std::string& master) { relocate(self, master); },
      [self](reconnect_atom) {
        self->state.machine.reconnect_due();
        connect(self);
      },
      [self](expiry_atom) { check_expiry(self); },
      [self](sub_health_atom) { check_health(self); },
      [self](const caf::io::new_data_msg& message) { on_data(self, message); },
      [self](const caf::io::connection_closed_msg&) {
        connection_lost(self, "connection closed by the server");
      },
      [stop](shutdown_atom) { stop(); },
      [self](shutdown_atom, std::shared_ptr<StopTicket>& ticket) {
        if (!self->state.stopping) begin_stopping(self, std::move(ticket));
      },
      [self](stop_deadline_atom) {
        if (!self->state.stopping) return;
        RTK_LOG_WARN("subscriber " << self->state.settings.connection.server()
                                   << ": no UNSUBSCRIBE confirmation within subscriber_stop_timeout; "
                                      "closing the connection");
        finish_stopping(self);
      },
  };
}

} // namespace

caf::actor spawn_subscriber(caf::actor_system& system, SubscriberSettings settings) {
  return system.middleman().spawn_broker(subscriber, std::move(settings));
}

namespace {

/// Runs one call of a function handler through its gate (none once the subscription stopped);
/// an exception is logged with `what` (the channel or pattern), never passed on.
template <typename Call>
void run_gated(HandlerGate& gate, std::atomic<std::size_t>& backlog, const std::string& what,
               Call call) {
  if (gate.enter()) { // closed: the subscription was stopped, drop the message
    try {
      call();
    } catch (const std::exception& problem) {
      RTK_LOG_ERROR("message handler for '" << what << "' threw: " << problem.what());
    } catch (...) {
      RTK_LOG_ERROR("message handler for '" << what << "' threw a non-standard exception");
    }
    gate.leave();
  }
  backlog.fetch_sub(1);
}

/// A function handler's actor; exactly one of the two functions is set (a message for the other
/// cannot come: the subscriber sends pmessage_atom only to pattern handlers).
HandlerRef spawn_gated_handler(caf::actor_system& system, MessageHandler on_message,
                               PatternMessageHandler on_pattern) {
  HandlerRef ref;
  ref.backlog = std::make_shared<std::atomic<std::size_t>>(0);
  ref.gate = std::make_shared<HandlerGate>();
  // Detached: user code may block or sleep, and on a thread of its own it holds up only itself,
  // never the scheduler workers that serve every other actor. The handlers travel as spawn
  // arguments: see connect_in_background for why.
  ref.actor = system.spawn<caf::detached>(
      [](caf::event_based_actor*, MessageHandler on_message, PatternMessageHandler on_pattern,
         std::shared_ptr<std::atomic<std::size_t>> backlog,
         std::shared_ptr<HandlerGate> gate) -> caf::behavior {
        return {
            [on_message, backlog, gate](message_atom, const std::string& channel, const Value& value) {
              run_gated(*gate, *backlog, channel, [&] { on_message(channel, value); });
            },
            [on_pattern, backlog, gate](pmessage_atom, const std::string& pattern,
                                        const std::string& channel, const Value& value) {
              run_gated(*gate, *backlog, pattern, [&] { on_pattern(pattern, channel, value); });
            },
        };
      },
      std::move(on_message), std::move(on_pattern), ref.backlog, ref.gate);
  return ref;
}

} // namespace

HandlerRef spawn_function_handler(caf::actor_system& system, MessageHandler handler) {
  return spawn_gated_handler(system, std::move(handler), nullptr);
}

HandlerRef spawn_function_handler(caf::actor_system& system, PatternMessageHandler handler) {
  return spawn_gated_handler(system, nullptr, std::move(handler));
}

} // namespace redis_toolkit::detail
