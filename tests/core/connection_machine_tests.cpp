// One connection's life without a socket: phases, stale connect outcomes, the login and what its
// replies mean, decoding, the health rules (PING when idle, dead when a login or PING goes
// unanswered), and what a loss resets.
#include "connection_machine.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace redis_toolkit;
using namespace redis_toolkit::detail;
using Machine = ConnectionMachine;
using Kind = Machine::Step::Kind;
using Health = Machine::Health;
using std::chrono::milliseconds;

namespace {

const Machine::Clock::time_point start = Machine::Clock::time_point() + std::chrono::hours(1);

Machine::Limits limits() {
  Machine::Limits limits;
  limits.socket_timeout = milliseconds(1000);
  limits.health_check_interval = milliseconds(5000);
  return limits;
}

void feed(Machine& machine, const std::string& bytes, Machine::Clock::time_point at) {
  machine.feed(bytes.data(), bytes.size(), at);
}

/// Connects `machine` and logs it in with a plain PING login, at `start`.
void log_in(Machine& machine) {
  machine.connecting();
  machine.connected(1, start);
  feed(machine, "+PONG\r\n", start);
  Reply reply;
  BOOST_REQUIRE((machine.next(reply).kind == Kind::logged_in));
}

} // namespace

BOOST_AUTO_TEST_SUITE(connection_machine_tests)

BOOST_AUTO_TEST_CASE(the_login_pipeline_holds_only_what_the_settings_ask) {
  LoginSettings plain;
  CommandBatch login = login_commands(plain);
  BOOST_TEST(login.count == 1u);
  BOOST_TEST(login.encoded == "*1\r\n$4\r\nPING\r\n");
  LoginSettings full;
  full.username = "app";
  full.password = "secret";
  full.db = 3;
  full.readonly = true;
  login = login_commands(full);
  BOOST_TEST(login.count == 4u);
  BOOST_TEST(login.encoded == "*3\r\n$4\r\nAUTH\r\n$3\r\napp\r\n$6\r\nsecret\r\n"
                              "*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*1\r\n$8\r\nREADONLY\r\n"
                              "*1\r\n$4\r\nPING\r\n");
}

BOOST_AUTO_TEST_CASE(login_replies_are_the_machines_and_later_ones_the_callers) {
  Machine machine(limits());
  BOOST_TEST(machine.idle());
  const std::uint64_t attempt = machine.connecting();
  BOOST_TEST(!machine.current(attempt + 1)); // another attempt's outcome is stale
  BOOST_TEST(machine.current(attempt));
  BOOST_TEST(!machine.open());
  machine.connected(2, start);
  BOOST_TEST((machine.phase() == Machine::Phase::logging_in));
  BOOST_TEST(machine.open());
  BOOST_TEST(!machine.current(attempt)); // connected: no outcome is awaited any more
  // The login's two replies and the first reply of the caller's come in one read.
  feed(machine, "+OK\r\n+PONG\r\n$5\r\nhello\r\n", start + milliseconds(1));
  Reply reply;
  BOOST_TEST((machine.next(reply).kind == Kind::login_reply));
  BOOST_TEST((machine.next(reply).kind == Kind::logged_in));
  BOOST_TEST(machine.ready());
  BOOST_TEST((machine.next(reply).kind == Kind::reply));
  BOOST_TEST(reply.text == "hello");
  BOOST_TEST((machine.next(reply).kind == Kind::nothing));
}

BOOST_AUTO_TEST_CASE(a_refused_login_says_why_without_the_password) {
  Machine machine(limits());
  machine.connecting();
  machine.connected(2, start);
  feed(machine, "-WRONGPASS invalid username-password pair or user is disabled.\r\n+PONG\r\n",
       start);
  Reply reply;
  BOOST_TEST((machine.next(reply).kind == Kind::login_reply));
  const Machine::Step refused = machine.next(reply);
  BOOST_TEST((refused.kind == Kind::login_refused));
  BOOST_TEST(refused.reason == "login refused: WRONGPASS invalid username-password pair or user "
                               "is disabled.");
  BOOST_TEST(!machine.ready());
  BOOST_TEST(machine.lost()); // a socket was open
  BOOST_TEST(machine.idle());
}

BOOST_AUTO_TEST_CASE(nothing_is_read_once_the_connection_is_lost) {
  Machine machine(limits());
  log_in(machine);
  feed(machine, "$1\r\na\r\n$1\r\n", start);
  Reply reply;
  BOOST_TEST((machine.next(reply).kind == Kind::reply));
  BOOST_TEST(machine.lost());
  BOOST_TEST(!machine.lost()); // nothing was open any more
  BOOST_TEST((machine.next(reply).kind == Kind::nothing));
  // A new connection starts with an empty decoder: the half reply of the old one is gone.
  machine.connecting();
  machine.connected(1, start);
  feed(machine, "+PONG\r\n", start);
  BOOST_TEST((machine.next(reply).kind == Kind::logged_in));
}

BOOST_AUTO_TEST_CASE(bytes_that_are_not_resp_throw) {
  Machine machine(limits());
  log_in(machine);
  feed(machine, "!nonsense\r\n", start);
  Reply reply;
  BOOST_CHECK_THROW(machine.next(reply), resp::DecodeError);
}

BOOST_AUTO_TEST_CASE(an_idle_connection_pings_and_a_silent_server_is_dead) {
  Machine machine(limits());
  log_in(machine);
  BOOST_TEST((machine.check_health(start + milliseconds(4999), false) == Health::fine));
  // Requests waiting have their own timeout: no PING behind them.
  BOOST_TEST((machine.check_health(start + milliseconds(5000), true) == Health::fine));
  BOOST_TEST((machine.check_health(start + milliseconds(5000), false) == Health::send_ping));
  machine.ping_sent(start + milliseconds(5000));
  BOOST_TEST(machine.awaiting());
  BOOST_TEST((machine.check_health(start + milliseconds(6000), false) == Health::fine));
  BOOST_TEST((machine.check_health(start + milliseconds(6001), false) == Health::dead));
  BOOST_TEST(machine.dead_reason() ==
             "the connection is dead: no answer to a health check PING within 1000 ms");
  // Anything read since the PING means the server lives.
  feed(machine, "+PONG\r\n", start + milliseconds(5500));
  BOOST_TEST((machine.check_health(start + milliseconds(9000), false) == Health::fine));
  machine.pong();
  BOOST_TEST(!machine.awaiting());
  BOOST_TEST((machine.check_health(start + milliseconds(10500), false) == Health::send_ping));
}

BOOST_AUTO_TEST_CASE(an_unanswered_login_is_dead_after_the_socket_timeout) {
  Machine machine(limits());
  machine.connecting();
  machine.connected(1, start);
  BOOST_TEST((machine.check_health(start + milliseconds(1000), false) == Health::fine));
  BOOST_TEST((machine.check_health(start + milliseconds(1001), false) == Health::dead));
  BOOST_TEST(machine.dead_reason() == "no answer to the login within 1000 ms");
}

BOOST_AUTO_TEST_CASE(health_checks_off_never_ping_and_a_closed_machine_is_fine) {
  Machine::Limits off = limits();
  off.health_check_interval = milliseconds(0);
  Machine machine(off);
  BOOST_TEST((machine.check_health(start, false) == Health::fine));
  machine.connecting();
  machine.connected(1, start);
  feed(machine, "+PONG\r\n", start);
  Reply reply;
  machine.next(reply);
  BOOST_TEST((machine.check_health(start + std::chrono::hours(1), false) == Health::fine));
}

BOOST_AUTO_TEST_CASE(a_reply_over_the_limit_throws) {
  Machine::Limits small = limits();
  small.max_reply_size = 16;
  Machine machine(small);
  machine.connecting();
  machine.connected(1, start);
  feed(machine, "+PONG\r\n$100\r\n", start);
  Reply reply;
  BOOST_TEST((machine.next(reply).kind == Kind::logged_in));
  BOOST_CHECK_THROW(machine.next(reply), resp::DecodeError);
}

BOOST_AUTO_TEST_CASE(a_lost_connection_reconnects_once_after_its_delay) {
  Machine machine(limits());
  const auto five_seconds = std::chrono::seconds(5);
  // A single server: the configured delay, and one reconnect waiting at a time.
  auto delay = machine.reconnect_after(five_seconds, false);
  BOOST_REQUIRE(delay.has_value());
  BOOST_TEST((*delay == five_seconds));
  BOOST_TEST(!machine.reconnect_after(five_seconds, false).has_value());
  machine.reconnect_due();
  // Located by the router (cluster, Sentinel): soon, since the router learns the new owner.
  delay = machine.reconnect_after(five_seconds, true);
  BOOST_REQUIRE(delay.has_value());
  BOOST_TEST((*delay == Machine::located_retry_limit));
  machine.reconnect_due();
  delay = machine.reconnect_after(milliseconds(10), true); // a shorter delay stays as it is
  BOOST_REQUIRE(delay.has_value());
  BOOST_TEST((*delay == milliseconds(10)));
}

BOOST_AUTO_TEST_SUITE_END()
