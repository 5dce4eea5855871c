#include "node_connection.hpp"

#include "pending_requests.hpp"
#include "resp.hpp"
#include "spare_buffers.hpp"

#include "redis_toolkit/logging.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <cstring>
#include <deque>
#include <optional>
#include <string_view>

#include <cerrno>
#include <sys/socket.h>

namespace redis_toolkit::detail {
namespace {

using Clock = std::chrono::steady_clock;
using flush_atom = caf::atom_constant<caf::atom("rtk_flush")>;
using health_atom = caf::atom_constant<caf::atom("rtk_health")>;


/// Who waits for a batch: a request's response promise, or a tag to answer with (part_atom).
struct Requester {
  caf::response_promise promise;
  caf::strong_actor_ptr tagged_to;
  std::uint64_t tag = 0;

  void deliver(std::vector<Reply> replies) {
    if (tagged_to)
      caf::anon_send(caf::actor_cast<caf::actor>(tagged_to), part_atom::value, tag,
                     std::move(replies));
    else
      promise.deliver(std::move(replies));
  }
};

struct NodeConnectionState {
  ReadSizer read_sizer; ///< the size of the next read (see ReadSizer)
  ConnectionSettings settings;
  ConnectionMachine machine{ConnectionMachine::Limits{}}; ///< phases, login, decoding, health
  caf::io::connection_handle handle;
  int fd = -1; ///< the scribe's socket, written directly while the scribe holds nothing unsent
  std::uint64_t scribe_unsent = 0; ///< bytes handed to the scribe and not yet written by it
  std::string outgoing;             ///< batches of this round of messages, written as one
  bool flush_posted = false;        ///< a flush_atom is on its way to write `outgoing`
  PendingRequests<Requester> in_flight;
  // Batches that arrived before the socket was ready, written right after the login pipeline.
  std::deque<std::pair<CommandBatch, Requester>> waiting;
  bool timer_armed = false;
  bool health_timer_armed = false;
  std::optional<TlsStream> tls; ///< set while a TLS connection is up
  caf::actor owner;   ///< told of every TCP connection made and ended (statistics)
  bool linked = false; ///< logged in and reported up
  static inline const char* name = "rtk_node_connection";
};

using NodeConnection = caf::io::stateful_broker<NodeConnectionState>;

void fail_everything(NodeConnection* self, Reply::Type kind, const std::string& reason) {
  auto& state = self->state;
  const std::string server = state.settings.server();
  state.in_flight.fail_all(kind, server, reason);
  while (!state.waiting.empty()) {
    auto [batch, requester] = std::move(state.waiting.front());
    state.waiting.pop_front();
    requester.deliver(failure_replies(batch.count, kind, server, reason));
  }
}

/// Closes the socket, if open, and fails everything waiting; `level` says how loudly: a failure
/// warns, the toolkit's own shutdown is routine.
void end_connection(NodeConnection* self, Reply::Type kind, const std::string& reason,
                    LogLevel level) {
  auto& state = self->state;
  if (state.machine.open()) {
    RTK_LOG(level, "connection to " << state.settings.server() << " ended: " << reason);
    self->close(state.handle);
  }
  if (state.linked && state.owner)
    self->send(state.owner, link_atom::value, false,
               kind == Reply::Type::timed_out && state.machine.ping_waiting());
  state.linked = false;
  state.machine.lost();
  state.fd = -1;
  state.scribe_unsent = 0;
  state.outgoing.clear();
  state.tls.reset();
  fail_everything(self, kind, reason);
}

void drop_connection(NodeConnection* self, Reply::Type kind, const std::string& reason) {
  end_connection(self, kind, reason, LogLevel::warning);
}

void shut_down(NodeConnection* self) {
  end_connection(self, Reply::Type::connection_failed, "the toolkit was shut down", LogLevel::debug);
}

/// Hands bytes to the scribe (CAF writes them when the socket takes them, in order).
void write_to_scribe(NodeConnection* self, const char* data, std::size_t size) {
  self->write(self->state.handle, size, data);
  self->state.scribe_unsent += size;
}

/// Encrypts `size` bytes of plaintext into the stream's to_send(); false on a TLS error (errno
/// EPROTO).
bool seal(NodeConnectionState& state, const char* data, std::size_t size) {
  if (state.tls->write(data, size)) return true;
  RTK_LOG_DEBUG("TLS to " << state.settings.server() << ": " << state.tls->error());
  return false;
}

/// Hands a batch to the scribe; false on a TLS error.
bool write_batch(NodeConnection* self, const CommandBatch& batch) {
  auto& state = self->state;
  if (!state.tls) {
    write_to_scribe(self, batch.encoded.data(), batch.encoded.size());
    return true;
  }
  if (!seal(state, batch.encoded.data(), batch.encoded.size())) return false;
  const std::string_view ciphertext = state.tls->to_send();
  write_to_scribe(self, ciphertext.data(), ciphertext.size());
  return true;
}

/// Writes `outgoing` at once with send(2) when nothing is queued before it, which spares CAF's
/// register-for-writing round (two epoll_ctl and a wake-up per write); whatever the socket does
/// not take now, and everything while the scribe still holds bytes, goes through the scribe.
/// False when the socket failed (the caller drops the connection).
bool write_bytes_now(NodeConnection* self, const char* data, std::size_t size) {
  auto& state = self->state;
  if (state.scribe_unsent == 0 && state.fd >= 0) {
    while (size > 0) {
      const ssize_t sent = ::send(state.fd, data, size, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (sent > 0) {
        data += sent;
        size -= static_cast<std::size_t>(sent);
        continue;
      }
      if (sent < 0 && errno == EINTR) continue;
      if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      return false;
    }
    if (size == 0) return true;
  }
  write_to_scribe(self, data, size);
  self->flush(state.handle);
  return true;
}

/// write_bytes_now for plaintext: over TLS, the ciphertext takes the same path.
bool write_now(NodeConnection* self, const std::string& outgoing) {
  auto& state = self->state;
  if (!state.tls) return write_bytes_now(self, outgoing.data(), outgoing.size());
  if (!seal(state, outgoing.data(), outgoing.size())) return false;
  const std::string_view ciphertext = state.tls->to_send();
  return write_bytes_now(self, ciphertext.data(), ciphertext.size());
}

void arm_timer(NodeConnection* self) {
  auto& state = self->state;
  if (state.timer_armed || (state.in_flight.empty() && !state.machine.awaiting())) return;
  state.timer_armed = true;
  auto interval = std::max(std::chrono::milliseconds(10), state.settings.socket_timeout / 4);
  self->delayed_send(self, interval, tick_atom::value);
}

void flush_outgoing(NodeConnection* self);

/// Health checks: while connected, a timer looks every health_check_interval; a connection that
/// heard nothing from its server for that long sends PING, which the socket timeout then bounds
/// like any request. A dead peer (frozen process, lost route) thus ends the connection within
/// interval + socket_timeout, rather than when the kernel's keepalive gives up.
void arm_health_check(NodeConnection* self) {
  auto& state = self->state;
  if (state.health_timer_armed || state.settings.health_check_interval.count() <= 0) return;
  state.health_timer_armed = true;
  self->delayed_send(self, state.settings.health_check_interval, health_atom::value);
}

void on_health_check(NodeConnection* self) {
  auto& state = self->state;
  state.health_timer_armed = false;
  if (!state.machine.ready()) return; // armed again on the next connection
  const auto now = Clock::now();
  if (state.machine.check_health(now, !state.in_flight.empty()) ==
      ConnectionMachine::Health::send_ping) {
    std::string ping;
    resp::append_command(ping, {"PING"});
    state.machine.ping_sent(now);
    // Its reply comes in order among the others; its timeout is theirs (on_tick).
    state.in_flight.push_internal(1, now, [self](std::vector<Reply>&) {
      self->state.machine.pong();
    });
    arm_timer(self);
    if (!write_now(self, ping)) {
      drop_connection(self, Reply::Type::connection_failed,
                      std::string("write failed: ") + std::strerror(errno));
      return;
    }
  }
  arm_health_check(self);
}

void send_batch(NodeConnection* self, CommandBatch batch, Requester requester) {
  auto& state = self->state;
  if (!state.machine.open()) {
    state.waiting.emplace_back(std::move(batch), std::move(requester));
    if (state.machine.idle())
      connect_in_background(caf::actor_cast<caf::actor>(self), state.settings,
                            state.machine.connecting());
    return;
  }
  state.in_flight.push(std::move(requester), batch.count, Clock::now());
  arm_timer(self);
  // Batches that are already in the mailbox join this one: a flush message queued behind them
  // writes them all with one system call. The first of a round lends its bytes (no copy); the
  // emptied buffer goes back to the router's spares, on this thread, for its next pipeline.
  if (state.outgoing.empty()) state.outgoing.swap(batch.encoded);
  else state.outgoing += batch.encoded;
  Spares<std::string>::give_back(batch.encoded);
  if (state.flush_posted) return;
  if (self->mailbox().empty()) { // nothing to share a write with
    flush_outgoing(self);
    return;
  }
  state.flush_posted = true;
  self->send(self, flush_atom::value);
}

void flush_outgoing(NodeConnection* self) {
  auto& state = self->state;
  state.flush_posted = false;
  if (state.outgoing.empty() || !state.machine.open()) return;
  const bool written = write_now(self, state.outgoing);
  state.outgoing.clear();
  if (!written)
    drop_connection(self, Reply::Type::connection_failed,
                    std::string("write failed: ") + std::strerror(errno));
}

void on_connected(NodeConnection* self, ConnectOutcome& outcome) {
  auto& state = self->state;
  if (!outcome.socket) {
    state.machine.lost();
    RTK_LOG_DEBUG("connect to " << state.settings.server() << " failed: " << outcome.error);
    fail_everything(self, Reply::Type::connection_failed, "connect failed: " + outcome.error);
    return;
  }
  if (outcome.tls)
    state.tls.emplace(std::move(outcome.tls));
  else
    state.tls.reset();
  state.fd = outcome.socket->release();
  state.scribe_unsent = 0;
  state.handle = self->add_scribe(state.fd);
  state.read_sizer = ReadSizer();
  self->configure_read(state.handle, caf::io::receive_policy::at_most(state.read_sizer.current()));
  self->ack_writes(state.handle, true); // data_transferred_msg: when the scribe is empty again
  CommandBatch login = login_commands(login_of(state.settings));
  state.machine.connected(login.count, Clock::now()); // its replies are the machine's
  bool written = write_batch(self, login);
  // Everything that waited goes out right behind the login: Redis runs it only after AUTH.
  while (!state.waiting.empty()) {
    auto [batch, requester] = std::move(state.waiting.front());
    state.waiting.pop_front();
    written = written && write_batch(self, batch);
    state.in_flight.push(std::move(requester), batch.count, Clock::now());
  }
  if (!written) {
    drop_connection(self, Reply::Type::connection_failed, "TLS error while sending");
    return;
  }
  self->flush(state.handle);
  arm_timer(self);
}

void on_data(NodeConnection* self, const caf::io::new_data_msg& message) {
  auto& state = self->state;
  if (const std::size_t next = state.read_sizer.after_read(message.buf.size()))
    self->configure_read(state.handle, caf::io::receive_policy::at_most(next));
  const char* data = message.buf.data();
  std::size_t size = message.buf.size();
  if (state.tls) {
    // Ciphertext in, plaintext for the decoder; whatever OpenSSL answers on its own (a key
    // update) goes out at once. The server's close_notify or alert ends the connection.
    if (!state.tls->read(data, size)) {
      const std::string error = state.tls->error(); // dropping the connection ends the stream
      drop_connection(self, Reply::Type::connection_failed, error);
      return;
    }
    const std::string_view answer = state.tls->to_send();
    if (!answer.empty() && !write_bytes_now(self, answer.data(), answer.size())) {
      drop_connection(self, Reply::Type::connection_failed,
                      std::string("write failed: ") + std::strerror(errno));
      return;
    }
    data = state.tls->plaintext().data();
    size = state.tls->plaintext().size();
  }
  try {
    state.machine.feed(data, size, Clock::now());
    Reply reply;
    for (;;) {
      ConnectionMachine::Step step = state.machine.next(reply);
      using Kind = ConnectionMachine::Step::Kind;
      if (step.kind == Kind::nothing) return;
      if (step.kind == Kind::login_refused)
        return drop_connection(self, Reply::Type::connection_failed, step.reason);
      if (step.kind == Kind::logged_in) {
        if (state.owner) {
          state.linked = true;
          self->send(state.owner, link_atom::value, true, false);
        }
        arm_health_check(self);
      }
      if (step.kind != Kind::reply) continue;
      if (!state.in_flight.complete_one(std::move(reply)))
        throw resp::DecodeError("a reply received with no request waiting for it");
    }
  } catch (const resp::DecodeError& problem) {
    // Nothing after it can be trusted: every request in flight fails, typed, and the next
    // request connects again.
    drop_connection(self, Reply::Type::protocol_failed, problem.what());
  } catch (const std::exception& problem) {
    drop_connection(self, Reply::Type::connection_failed, problem.what());
  }
}

void on_tick(NodeConnection* self) {
  auto& state = self->state;
  state.timer_armed = false;
  const auto now = Clock::now();
  if (state.in_flight.oldest_waiting_longer_than(state.settings.socket_timeout, now)) {
    const std::string limit = std::to_string(state.settings.socket_timeout.count()) + " ms";
    drop_connection(self, Reply::Type::timed_out,
                    state.machine.ping_waiting() ? state.machine.dead_reason()
                                                 : "no reply within " + limit);
    return;
  }
  if (state.machine.check_health(now, !state.in_flight.empty()) ==
      ConnectionMachine::Health::dead) {
    drop_connection(self, Reply::Type::timed_out, state.machine.dead_reason());
    return;
  }
  arm_timer(self);
}

caf::behavior node_connection(NodeConnection* self, ConnectionSettings settings,
                              caf::actor owner) {
  self->state.settings = std::move(settings);
  self->state.owner = std::move(owner);
  self->state.machine.set_limits(limits_of(self->state.settings));
  self->set_exit_handler([self](caf::exit_msg& message) {
    shut_down(self);
    self->quit(message.reason);
  });
  return {
      [self](exec_atom, CommandBatch& batch) {
        send_batch(self, std::move(batch), Requester{self->make_response_promise(), {}, 0});
      },
      [self](exec_atom, CommandBatch& batch, std::uint64_t tag) {
        send_batch(self, std::move(batch), Requester{{}, self->current_sender(), tag});
      },
      [self](flush_atom) { flush_outgoing(self); },
      [self](const caf::io::data_transferred_msg& message) {
        auto& unsent = self->state.scribe_unsent;
        unsent -= std::min<std::uint64_t>(unsent, message.written);
      },
      [self](connected_atom, ConnectOutcome& outcome, std::uint64_t attempt) {
        if (!self->state.machine.current(attempt))
          return; // stale: the socket closes with the outcome
        on_connected(self, outcome);
      },
      [self](const caf::io::new_data_msg& message) { on_data(self, message); },
      [self](const caf::io::connection_closed_msg&) {
        drop_connection(self, Reply::Type::connection_failed, "connection closed by the server");
      },
      [self](tick_atom) { on_tick(self); },
      [self](health_atom) { on_health_check(self); },
      [self](shutdown_atom) {
        shut_down(self);
        self->quit();
      },
  };
}

} // namespace

caf::actor spawn_node_connection(caf::actor_system& system, ConnectionSettings settings,
                                 caf::actor owner) {
  return system.middleman().spawn_broker(node_connection, std::move(settings), std::move(owner));
}

} // namespace redis_toolkit::detail
