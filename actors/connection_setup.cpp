#include "connection_setup.hpp"

#include "resp.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

namespace redis_toolkit::detail {

CommandBatch login_commands(const ConnectionSettings& settings) {
  CommandBatch batch;
  if (settings.password) {
    if (settings.username)
      resp::append_command(batch.encoded, {"AUTH", *settings.username, *settings.password});
    else
      resp::append_command(batch.encoded, {"AUTH", *settings.password});
    ++batch.count;
  }
  if (settings.db != 0) {
    resp::append_command(batch.encoded, {"SELECT", std::to_string(settings.db)});
    ++batch.count;
  }
  if (settings.readonly) {
    resp::append_command(batch.encoded, {"READONLY"});
    ++batch.count;
  }
  resp::append_command(batch.encoded, {"PING"});
  ++batch.count;
  return batch;
}

std::string login_failure(const std::vector<Reply>& replies) {
  for (const Reply& reply : replies) {
    // Redis' own error texts (WRONGPASS, NOAUTH, ERR DB index is out of range) name no secret.
    if (reply.is_error()) return "login refused: " + reply.text;
    if (reply.is_failure()) return reply.text;
  }
  return {};
}

namespace {

/// The TLS handshake on a connected socket, within what is left of the connection timeout; on
/// failure the socket closes and `outcome.error` says why.
void secure(ConnectOutcome& outcome, std::shared_ptr<const TlsContext> context,
            const std::string& host, std::chrono::steady_clock::time_point deadline) {
  try {
    auto session = std::make_shared<TlsSession>(std::move(context), host);
    std::string failure = session->handshake(outcome.socket->fd(), deadline);
    if (failure.empty()) {
      outcome.tls = std::move(session);
      return;
    }
    outcome.error = std::move(failure);
  } catch (const std::exception& problem) {
    outcome.error = problem.what();
  }
  outcome.socket.reset();
}

} // namespace

void connect_in_background(const caf::actor& owner, const ConnectionSettings& settings,
                           std::uint64_t attempt) {
  auto& system = owner->home_system();
  // Arguments go through spawn rather than captures: CAF 0.17 binds a null reference (UBSan
  // reports it) when a functor actor is spawned with no arguments.
  system.spawn<caf::detached>(
      [](caf::event_based_actor* self, caf::actor receiver, std::string host, std::uint16_t port,
         std::chrono::milliseconds timeout, bool keepalive, std::uint64_t attempt_number,
         std::shared_ptr<const TlsContext> tls) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        ConnectOutcome outcome = connect_tcp(host, port, timeout, keepalive);
        if (outcome.socket && tls) secure(outcome, std::move(tls), host, deadline);
        self->send(receiver, connected_atom::value, std::move(outcome), attempt_number);
        self->quit();
      },
      owner, settings.host, settings.port, settings.connect_timeout, settings.keepalive, attempt,
      settings.tls);
}

} // namespace redis_toolkit::detail
