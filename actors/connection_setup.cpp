#include "connection_setup.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

namespace redis_toolkit::detail {

LoginSettings login_of(const ConnectionSettings& settings) {
  LoginSettings login;
  login.username = settings.username;
  login.password = settings.password;
  login.db = settings.db;
  login.readonly = settings.readonly;
  return login;
}

ConnectionMachine::Limits limits_of(const ConnectionSettings& settings) {
  ConnectionMachine::Limits limits;
  limits.max_reply_size = settings.max_reply_size;
  limits.socket_timeout = settings.socket_timeout;
  limits.health_check_interval = settings.health_check_interval;
  return limits;
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
