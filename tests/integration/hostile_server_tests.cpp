// The toolkit against a scripted server that breaks the protocol on purpose: huge headers, a drip,
// a close mid-reply, replies nobody asked for. Each is a typed error naming the server, within a
// generous bound, and the next call on a fresh connection works.
#include "hostile_server.hpp"
#include "toolkit_fixture.hpp"

#include "redis_toolkit/errors.hpp"
#include "redis_toolkit/toolkit.hpp"
#include "redis_toolkit/wire_format.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <thread>

using namespace redis_toolkit;
using namespace std::chrono_literals;
using rtk_test::Command;
using rtk_test::HostileServer;
using rtk_test::Peer;

namespace {

RedisConnectionConfig config_for(const HostileServer& server) {
  RedisConnectionConfig config;
  config.host = "127.0.0.1";
  config.port = server.port();
  config.connection_timeout = 2000ms;
  config.socket_timeout = 2000ms;
  return config;
}

RedisOptions one_attempt() {
  RedisOptions options;
  options.retry_attempts = 1;
  options.use_connection_pool = false;
  return options;
}

std::string bulk(const std::string& text) {
  return "$" + std::to_string(text.size()) + "\r\n" + text + "\r\n";
}

/// Answers the login PING; GET gets `hostile` the first time and a proper value afterwards.
HostileServer::Script first_get_gets(std::string hostile, bool close_after = false) {
  auto served = std::make_shared<std::atomic<int>>(0);
  return [hostile, close_after, served](const Command& command, Peer& peer) {
    if (command.at(0) == "PING") return peer.send("+PONG\r\n");
    if (command.at(0) == "GET") {
      if (served->fetch_add(1) == 0) {
        peer.send(hostile);
        if (close_after) peer.close();
        return;
      }
      return peer.send(bulk(serialize_value(Value("fine"))));
    }
    peer.send("-ERR unknown command\r\n");
  };
}

template <typename Error>
std::string expect_error(RedisToolkit& toolkit) {
  const auto started = std::chrono::steady_clock::now();
  try {
    toolkit.getter("k");
  } catch (const Error& error) {
    BOOST_TEST((std::chrono::steady_clock::now() - started < 15s));
    return error.what();
  }
  BOOST_FAIL("no error raised");
  return {};
}

} // namespace

BOOST_AUTO_TEST_SUITE(hostile_server_tests)

BOOST_AUTO_TEST_CASE(a_huge_array_header_is_a_protocol_error_not_an_allocation) {
  HostileServer server(first_get_gets("*60000000\r\n"));
  RedisOptions options = one_attempt();
  options.max_reply_size = 1024 * 1024;
  RedisToolkit toolkit(config_for(server), options);
  const std::string what = expect_error<ProtocolError>(toolkit);
  BOOST_TEST(what.find("127.0.0.1:" + std::to_string(server.port())) != std::string::npos, what);
  BOOST_TEST(what.find("60000000 elements") != std::string::npos, what);
  BOOST_TEST(toolkit.getter("k")->as_string() == "fine"); // a new connection
  BOOST_TEST(server.connections() == 2u);
}

BOOST_AUTO_TEST_CASE(a_huge_bulk_header_is_refused_before_its_data) {
  // The data follows the header: it is never read into memory.
  HostileServer server(first_get_gets("$99999999999\r\n" + std::string(64 * 1024, 'x')));
  RedisToolkit toolkit(config_for(server), one_attempt());
  const std::string what = expect_error<ProtocolError>(toolkit);
  BOOST_TEST(what.find("99999999999 bytes") != std::string::npos, what);
  BOOST_TEST(what.find("max_reply_size") != std::string::npos, what);
  BOOST_TEST(toolkit.getter("k")->as_string() == "fine");
}

BOOST_AUTO_TEST_CASE(a_dripped_reply_is_read_whole) {
  const std::string reply = bulk(serialize_value(Value("dripped")));
  HostileServer server([reply](const Command& command, Peer& peer) {
    if (command.at(0) == "PING") return peer.send("+PONG\r\n");
    for (char byte : reply) {
      peer.send(std::string(1, byte));
      std::this_thread::sleep_for(1ms);
    }
  });
  RedisToolkit toolkit(config_for(server), one_attempt());
  BOOST_TEST(toolkit.getter("k")->as_string() == "dripped");
}

BOOST_AUTO_TEST_CASE(a_close_mid_reply_is_a_connection_error) {
  HostileServer server(first_get_gets("$100\r\nonly part of it", true));
  RedisToolkit toolkit(config_for(server), one_attempt());
  const std::string what = expect_error<ConnectionError>(toolkit);
  BOOST_TEST(what.find("closed") != std::string::npos, what);
  BOOST_TEST(toolkit.getter("k")->as_string() == "fine");
}

BOOST_AUTO_TEST_CASE(garbage_is_a_protocol_error) {
  HostileServer server(first_get_gets("HTTP/1.1 400 Bad Request\r\n\r\n"));
  RedisToolkit toolkit(config_for(server), one_attempt());
  const std::string what = expect_error<ProtocolError>(toolkit);
  BOOST_TEST(what.find("unexpected reply type") != std::string::npos, what);
}

BOOST_AUTO_TEST_CASE(too_many_replies_end_the_connection_and_the_next_call_works) {
  // Two replies to the first GET: the second answers nothing, so nothing on that connection can
  // be trusted; the next call connects again.
  const std::string value = bulk(serialize_value(Value("first")));
  HostileServer server(first_get_gets(value + ":1\r\n"));
  RedisToolkit toolkit(config_for(server), one_attempt());
  BOOST_TEST(toolkit.getter("k")->as_string() == "first");
  rtk_test::wait_until(
      [&] {
        try {
          return toolkit.getter("k")->as_string() == "fine" && server.connections() == 2u;
        } catch (const ConnectionError&) {
          return false; // the call raced the drop: the next one connects again
        }
      },
      15s, "a second connection after the unsolicited reply");
}

BOOST_AUTO_TEST_CASE(a_reply_to_nothing_right_after_login_ends_the_connection) {
  auto logins = std::make_shared<std::atomic<int>>(0);
  HostileServer server([logins](const Command& command, Peer& peer) {
    if (command.at(0) == "PING") {
      // The first connection gets a second reply nobody asked for.
      peer.send(logins->fetch_add(1) == 0 ? "+PONG\r\n+SURPRISE\r\n" : "+PONG\r\n");
      return;
    }
    peer.send(bulk(serialize_value(Value("fine"))));
  });
  RedisToolkit toolkit(config_for(server), one_attempt());
  rtk_test::wait_until(
      [&] {
        try {
          return toolkit.getter("k")->as_string() == "fine" && server.connections() == 2u;
        } catch (const ConnectionError&) {
          return false;
        }
      },
      15s, "a second connection after the reply to nothing");
}

BOOST_AUTO_TEST_CASE(the_limit_applies_to_what_real_replies_need) {
  // A reply just under the limit passes; the same value one byte over the limit is refused.
  const std::string value = serialize_value(Value(std::string(4000, 'v')));
  const std::string reply = bulk(value);
  HostileServer server([reply](const Command& command, Peer& peer) {
    if (command.at(0) == "PING") return peer.send("+PONG\r\n");
    peer.send(reply);
  });
  RedisOptions options = one_attempt();
  options.max_reply_size = reply.size();
  {
    RedisToolkit toolkit(config_for(server), options);
    BOOST_TEST(toolkit.getter("k")->as_string().size() == 4000u);
  }
  options.max_reply_size = reply.size() - 1;
  RedisToolkit toolkit(config_for(server), options);
  expect_error<ProtocolError>(toolkit);
}

BOOST_AUTO_TEST_SUITE_END()
