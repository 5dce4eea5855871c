#pragma once
// One server connection's life, with no socket: its phases (locating the node, connecting,
// logging in, ready), the login pipeline and what its replies mean, the RESP decoding of what
// the server sends, and the health rules (when to send a PING, when an unanswered login or PING
// means the server is gone). A node connection and a subscriber each keep one and do the I/O it
// implies: open the socket, write the login and the PINGs, close on loss.
//
//   ConnectionMachine machine(limits);
//   const auto attempt = machine.connecting();             // connect in the background ...
//   if (machine.current(attempt)) machine.connected(login_commands(login).count, now);
//   machine.feed(bytes, size, now);                        // ... then, per read:
//   Reply reply;
//   for (auto step = machine.next(reply); step.kind != Step::Kind::nothing;
//        step = machine.next(reply)) { /* logged_in, login_refused, or a reply to hand on */ }
//
// Rules:
// - A connection is ready only once every login reply came back without an error; the replies
//   to the login are the machine's, every later reply is the caller's.
// - A socket is open exactly in the logging_in and ready phases; lost() closes the books on it
//   (decoder, login, PING) and says whether one was open.
// - The server is gone when a login or a PING waited longer than the socket timeout with
//   nothing read since it was sent. A connection idle for the health check interval sends PING.

#include "command_batch.hpp"
#include "resp.hpp"

#include "redis_toolkit/reply.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace redis_toolkit::detail {

/// What a new connection sends before anything else.
struct LoginSettings {
  std::optional<std::string> username;
  std::optional<std::string> password;
  int db = 0;
  bool readonly = false; ///< READONLY (a cluster replica serving reads)
};

/// AUTH, SELECT, READONLY and a PING, as one pipeline sent first on every new connection.
CommandBatch login_commands(const LoginSettings& login);

/// The first error among the login replies, described without credentials; empty when all is well.
std::string login_failure(const std::vector<Reply>& replies);

class ConnectionMachine {
public:
  using Clock = std::chrono::steady_clock;

  enum class Phase { disconnected, locating, connecting, logging_in, ready };

  struct Limits {
    std::size_t max_reply_size = resp::default_max_reply_size;
    std::chrono::milliseconds socket_timeout{5000};
    std::chrono::milliseconds health_check_interval{5000}; ///< 0: no health checks
  };

  /// What the next reply meant.
  struct Step {
    enum class Kind {
      nothing,       ///< no complete reply buffered
      login_reply,   ///< one of the login's, taken; more to come
      logged_in,     ///< the last login reply: the connection is ready
      login_refused, ///< the last login reply, with an error (`reason`): drop the connection
      reply,         ///< the caller's reply, in `reply`
    };
    Kind kind = Kind::nothing;
    std::string reason;
  };

  enum class Health {
    fine,      ///< nothing to do
    send_ping, ///< idle for the health check interval: send PING and call ping_sent()
    dead,      ///< a login or PING went unanswered too long: drop the connection (dead_reason())
  };

  explicit ConnectionMachine(Limits limits);

  Phase phase() const noexcept { return phase_; }
  bool ready() const noexcept { return phase_ == Phase::ready; }
  /// A socket is open (logging in or ready).
  bool open() const noexcept { return phase_ == Phase::logging_in || phase_ == Phase::ready; }
  /// Neither connected nor on the way to it: a connection may start.
  bool idle() const noexcept { return phase_ == Phase::disconnected; }
  const Limits& limits() const noexcept { return limits_; }
  void set_limits(const Limits& limits);

  /// Asking where to connect (a subscriber asks the router).
  void locating() { phase_ = Phase::locating; }
  /// Connecting starts: the id of this attempt. An outcome of another attempt is stale.
  std::uint64_t connecting();
  /// True for the outcome of the attempt under way.
  bool current(std::uint64_t attempt) const noexcept {
    return attempt == attempt_ && phase_ == Phase::connecting;
  }
  /// Drops the attempt under way: its outcome will be stale (a subscriber moving elsewhere).
  void abandon_attempt() noexcept { ++attempt_; }
  /// The socket is up and the login pipeline of `login_replies` commands was written.
  void connected(std::uint32_t login_replies, Clock::time_point now);

  /// Plaintext the server sent. Throws resp::DecodeError (drop the connection).
  void feed(const char* data, std::size_t size, Clock::time_point now);
  /// The next complete reply and what it means. Throws resp::DecodeError.
  Step next(Reply& reply);

  /// The health rule at `now`; `requests_waiting`: the caller has replies outstanding (then
  /// their own timeout watches the server, and a PING would only queue behind them).
  Health check_health(Clock::time_point now, bool requests_waiting) const;
  /// Why the connection is dead, for check_health's `dead`.
  std::string dead_reason() const;
  void ping_sent(Clock::time_point now);
  /// The PING's answer came (a node connection matches it among its replies; a subscriber
  /// recognises PONG).
  void pong() noexcept { ping_waiting_ = false; }
  bool ping_waiting() const noexcept { return ping_waiting_; }
  /// A login or a PING is unanswered.
  bool awaiting() const noexcept { return ping_waiting_ || phase_ == Phase::logging_in; }
  Clock::time_point last_read() const noexcept { return last_read_; }

  /// The connection ended (either side) or the attempt failed: back to disconnected. True when
  /// a socket was open.
  bool lost();

  /// A connection that must come back by itself (a subscriber's; a node connection reconnects on
  /// its next request) is lost: how long to wait before connecting again, or nothing when a
  /// reconnect is already waiting. `located`: the router names the server (cluster, Sentinel)
  /// and learns a new one within a failover window, so the wait is at most located_retry_limit.
  std::optional<Clock::duration> reconnect_after(Clock::duration retry_delay, bool located);
  /// The reconnect's wait is over: connect.
  void reconnect_due() noexcept { reconnect_waiting_ = false; }
  static constexpr std::chrono::milliseconds located_retry_limit{250};

private:
  Limits limits_;
  Phase phase_ = Phase::disconnected;
  std::uint64_t attempt_ = 0;
  resp::ReplyDecoder decoder_;
  std::uint32_t login_expected_ = 0;
  std::vector<Reply> login_replies_;
  bool ping_waiting_ = false;
  bool reconnect_waiting_ = false;
  Clock::time_point awaiting_since_{}; ///< the login or the PING was sent
  Clock::time_point last_read_{};
};

} // namespace redis_toolkit::detail
