#include "node_connection.hpp"

#include "pending_requests.hpp"
#include "resp.hpp"

#include "redis_toolkit/logging.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <deque>

namespace redis_toolkit::detail {
namespace {

using Clock = std::chrono::steady_clock;

enum class Phase { disconnected, connecting, logging_in, connected };

struct NodeConnectionState {
  ConnectionSettings settings;
  Phase phase = Phase::disconnected;
  caf::io::connection_handle handle;
  resp::ReplyDecoder decoder;
  PendingRequests<caf::response_promise> in_flight;
  // Batches that arrived before the socket was ready, written right after the login pipeline.
  std::deque<std::pair<CommandBatch, caf::response_promise>> waiting;
  std::uint64_t connect_attempt = 0;
  bool timer_armed = false;
  static inline const char* name = "rtk_node_connection";
};

using NodeConnection = caf::io::stateful_broker<NodeConnectionState>;

void fail_everything(NodeConnection* self, Reply::Type kind, const std::string& reason) {
  auto& state = self->state;
  const std::string server = state.settings.server();
  state.in_flight.fail_all(kind, server, reason);
  while (!state.waiting.empty()) {
    auto [batch, promise] = std::move(state.waiting.front());
    state.waiting.pop_front();
    promise.deliver(failure_replies(batch.count, kind, server, reason));
  }
}

/// Closes the socket, if open, and fails everything waiting; `level` says how loudly: a failure
/// warns, the toolkit's own shutdown is routine.
void end_connection(NodeConnection* self, Reply::Type kind, const std::string& reason,
                    LogLevel level) {
  auto& state = self->state;
  if (state.phase == Phase::logging_in || state.phase == Phase::connected) {
    RTK_LOG(level, "connection to " << state.settings.server() << " ended: " << reason);
    self->close(state.handle);
  }
  state.phase = Phase::disconnected;
  state.decoder.reset();
  fail_everything(self, kind, reason);
}

void drop_connection(NodeConnection* self, Reply::Type kind, const std::string& reason) {
  end_connection(self, kind, reason, LogLevel::warning);
}

void shut_down(NodeConnection* self) {
  end_connection(self, Reply::Type::connection_failed, "the toolkit was shut down", LogLevel::debug);
}

void write_batch(NodeConnection* self, const CommandBatch& batch) {
  self->write(self->state.handle, batch.encoded.size(), batch.encoded.data());
}

void arm_timer(NodeConnection* self) {
  auto& state = self->state;
  if (state.timer_armed || state.in_flight.empty()) return;
  state.timer_armed = true;
  auto interval = std::max(std::chrono::milliseconds(10), state.settings.socket_timeout / 4);
  self->delayed_send(self, interval, tick_atom::value);
}

void send_batch(NodeConnection* self, CommandBatch batch, caf::response_promise promise) {
  auto& state = self->state;
  if (state.phase == Phase::disconnected || state.phase == Phase::connecting) {
    state.waiting.emplace_back(std::move(batch), std::move(promise));
    if (state.phase == Phase::disconnected) {
      state.phase = Phase::connecting;
      connect_in_background(caf::actor_cast<caf::actor>(self), state.settings,
                            ++state.connect_attempt);
    }
    return;
  }
  write_batch(self, batch);
  self->flush(state.handle);
  state.in_flight.push(std::move(promise), batch.count, Clock::now());
  arm_timer(self);
}

void on_connected(NodeConnection* self, ConnectOutcome& outcome) {
  auto& state = self->state;
  if (!outcome.socket) {
    state.phase = Phase::disconnected;
    RTK_LOG_DEBUG("connect to " << state.settings.server() << " failed: " << outcome.error);
    fail_everything(self, Reply::Type::connection_failed, "connect failed: " + outcome.error);
    return;
  }
  state.handle = self->add_scribe(outcome.socket->release());
  self->configure_read(state.handle, caf::io::receive_policy::at_most(64 * 1024));
  state.phase = Phase::logging_in;
  CommandBatch login = login_commands(state.settings);
  write_batch(self, login);
  state.in_flight.push_internal(login.count, Clock::now(),
                                [self](std::vector<Reply>& replies) {
                                  std::string failure = login_failure(replies);
                                  if (!failure.empty()) {
                                    drop_connection(self, Reply::Type::connection_failed, failure);
                                    return;
                                  }
                                  self->state.phase = Phase::connected;
                                });
  // Everything that waited goes out right behind the login: Redis runs it only after AUTH.
  while (!state.waiting.empty()) {
    auto [batch, promise] = std::move(state.waiting.front());
    state.waiting.pop_front();
    write_batch(self, batch);
    state.in_flight.push(std::move(promise), batch.count, Clock::now());
  }
  self->flush(state.handle);
  arm_timer(self);
}

void on_data(NodeConnection* self, const caf::io::new_data_msg& message) {
  auto& state = self->state;
  try {
    state.decoder.feed(message.buf.data(), message.buf.size());
    Reply reply;
    while (state.decoder.next(reply)) {
      if (!state.in_flight.complete_one(std::move(reply)))
        throw std::runtime_error("reply received with no request waiting for it");
      if (state.phase == Phase::disconnected) return; // the login callback dropped us
    }
  } catch (const std::exception& problem) {
    drop_connection(self, Reply::Type::connection_failed, problem.what());
  }
}

void on_tick(NodeConnection* self) {
  auto& state = self->state;
  state.timer_armed = false;
  if (state.in_flight.oldest_waiting_longer_than(state.settings.socket_timeout, Clock::now())) {
    drop_connection(self, Reply::Type::timed_out,
                    "no reply within " + std::to_string(state.settings.socket_timeout.count()) +
                        " ms");
    return;
  }
  arm_timer(self);
}

caf::behavior node_connection(NodeConnection* self, ConnectionSettings settings) {
  self->state.settings = std::move(settings);
  self->set_exit_handler([self](caf::exit_msg& message) {
    shut_down(self);
    self->quit(message.reason);
  });
  return {
      [self](exec_atom, CommandBatch& batch) {
        send_batch(self, std::move(batch), self->make_response_promise());
      },
      [self](connected_atom, ConnectOutcome& outcome, std::uint64_t attempt) {
        if (attempt != self->state.connect_attempt || self->state.phase != Phase::connecting)
          return; // stale: the socket closes with the outcome
        on_connected(self, outcome);
      },
      [self](const caf::io::new_data_msg& message) { on_data(self, message); },
      [self](const caf::io::connection_closed_msg&) {
        drop_connection(self, Reply::Type::connection_failed, "connection closed by the server");
      },
      [self](tick_atom) { on_tick(self); },
      [self](shutdown_atom) {
        shut_down(self);
        self->quit();
      },
  };
}

} // namespace

caf::actor spawn_node_connection(caf::actor_system& system, ConnectionSettings settings) {
  return system.middleman().spawn_broker(node_connection, std::move(settings));
}

} // namespace redis_toolkit::detail
