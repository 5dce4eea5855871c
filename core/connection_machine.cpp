#include "connection_machine.hpp"

#include <algorithm>

namespace redis_toolkit::detail {

CommandBatch login_commands(const LoginSettings& login) {
  CommandBatch batch;
  if (login.password) {
    if (login.username)
      resp::append_command(batch.encoded, {"AUTH", *login.username, *login.password});
    else
      resp::append_command(batch.encoded, {"AUTH", *login.password});
    ++batch.count;
  }
  if (login.db != 0) {
    resp::append_command(batch.encoded, {"SELECT", std::to_string(login.db)});
    ++batch.count;
  }
  if (login.readonly) {
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

ConnectionMachine::ConnectionMachine(Limits limits)
    : limits_(limits), decoder_(limits.max_reply_size) {}

void ConnectionMachine::set_limits(const Limits& limits) {
  limits_ = limits;
  decoder_.set_max_reply_size(limits.max_reply_size);
}

std::uint64_t ConnectionMachine::connecting() {
  phase_ = Phase::connecting;
  return ++attempt_;
}

void ConnectionMachine::connected(std::uint32_t login_replies, Clock::time_point now) {
  phase_ = Phase::logging_in;
  decoder_.reset();
  login_expected_ = login_replies;
  login_replies_.clear();
  ping_waiting_ = false;
  awaiting_since_ = now;
  last_read_ = now;
}

void ConnectionMachine::feed(const char* data, std::size_t size, Clock::time_point now) {
  last_read_ = now;
  decoder_.feed(data, size);
}

ConnectionMachine::Step ConnectionMachine::next(Reply& reply) {
  Step step;
  if (!open() || !decoder_.next(reply)) return step;
  if (phase_ != Phase::logging_in) {
    step.kind = Step::Kind::reply;
    return step;
  }
  login_replies_.push_back(std::move(reply));
  if (login_replies_.size() < login_expected_) {
    step.kind = Step::Kind::login_reply;
    return step;
  }
  step.reason = login_failure(login_replies_);
  login_replies_.clear();
  if (!step.reason.empty()) {
    step.kind = Step::Kind::login_refused;
    return step;
  }
  phase_ = Phase::ready;
  step.kind = Step::Kind::logged_in;
  return step;
}

ConnectionMachine::Health ConnectionMachine::check_health(Clock::time_point now,
                                                          bool requests_waiting) const {
  if (!open()) return Health::fine;
  if (awaiting() && last_read_ <= awaiting_since_ &&
      now - awaiting_since_ > limits_.socket_timeout)
    return Health::dead;
  if (phase_ == Phase::ready && !awaiting() && !requests_waiting &&
      limits_.health_check_interval.count() > 0 &&
      now - last_read_ >= limits_.health_check_interval)
    return Health::send_ping;
  return Health::fine;
}

std::string ConnectionMachine::dead_reason() const {
  const std::string limit = std::to_string(limits_.socket_timeout.count()) + " ms";
  if (phase_ == Phase::logging_in) return "no answer to the login within " + limit;
  return "the connection is dead: no answer to a health check PING within " + limit;
}

void ConnectionMachine::ping_sent(Clock::time_point now) {
  ping_waiting_ = true;
  awaiting_since_ = now;
}

bool ConnectionMachine::lost() {
  const bool was_open = open();
  phase_ = Phase::disconnected;
  decoder_.reset();
  login_expected_ = 0;
  login_replies_.clear();
  ping_waiting_ = false;
  return was_open;
}

std::optional<ConnectionMachine::Clock::duration>
ConnectionMachine::reconnect_after(Clock::duration retry_delay, bool located) {
  if (reconnect_waiting_) return std::nullopt;
  reconnect_waiting_ = true;
  if (located) return std::min<Clock::duration>(retry_delay, located_retry_limit);
  return retry_delay;
}

} // namespace redis_toolkit::detail
