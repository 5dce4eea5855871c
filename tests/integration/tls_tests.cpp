// TLS against real redis-server processes listening with --tls-port, with certificates the test
// makes with openssl (apps/bench/tls_certificates.hpp, which `rtk bench` uses too). Data, batches
// and pub/sub travel encrypted for the blocking and async toolkits; every way a handshake can go
// wrong is a ConnectionError naming the server and the reason, within the connection timeout.
// Waits have deadlines, never sleeps.
#include "inbox.hpp"
#include "tls_certificates.hpp"
#include "toolkit_fixture.hpp"

#include "redis_toolkit/async_toolkit.hpp"
#include "redis_toolkit/errors.hpp"
#include "redis_toolkit/key_slot.hpp"
#include "redis_toolkit/local_cluster.hpp"
#include "redis_toolkit/server_launcher.hpp"
#include "redis_toolkit/toolkit.hpp"
#include "socket_connect.hpp"
#include "tls.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace redis_toolkit;
using namespace std::chrono_literals;

using rtk_test::Inbox;

namespace {

using Clock = std::chrono::steady_clock;

/// One set of certificates for the whole suite (making them takes a moment).
const rtk_bench::TlsCertificates& certificates() {
  static const rtk_bench::TlsCertificates made;
  return made;
}

constexpr auto connect_limit = 2000ms;

/// A TLS connection to 127.0.0.1:`port` trusting the CA named `ca` ("ca" or "other_ca").
RedisConnectionConfig tls_config(std::uint16_t port, const std::string& ca = "ca") {
  RedisConnectionConfig config;
  config.host = "127.0.0.1";
  config.port = port;
  config.ssl = true;
  config.ssl_ca_certs = certificates().file(ca + ".crt");
  config.connection_timeout = connect_limit;
  config.socket_timeout = connect_limit;
  return config;
}

/// Connections of the toolkit's own, and one attempt: a failure shows at once.
RedisOptions single_attempt() {
  RedisOptions options;
  options.use_connection_pool = false;
  options.retry_attempts = 1;
  return options;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// The what() of the ConnectionError a getter fails with, checked to name the server and to come
/// within the connection timeout (and a margin for a loaded machine), never a hang.
std::string failure_of(const RedisConnectionConfig& config) {
  const auto started = Clock::now();
  try {
    RedisToolkit toolkit(config, single_attempt());
    toolkit.getter("k");
  } catch (const ConnectionError& error) {
    const auto took = Clock::now() - started;
    BOOST_TEST((took < config.connection_timeout + config.socket_timeout + 3s));
    const std::string message = error.what();
    BOOST_TEST(contains(message, config.host + ":" + std::to_string(config.port)), message);
    return message;
  }
  BOOST_FAIL("the connection must fail");
  return {};
}

struct TlsServer {
  RedisServerProcess server = RedisServerProcess::start(certificates().server());
};

} // namespace

BOOST_AUTO_TEST_SUITE(tls_tests)

BOOST_FIXTURE_TEST_CASE(set_get_and_batches_travel_over_tls, TlsServer) {
  RedisToolkit toolkit(tls_config(server.tls_port()));
  toolkit.setter("k", Value::dict({{"a", 1}}));
  BOOST_TEST(toolkit.getter("k").value_or(Value()) == Value::dict({{"a", 1}}));
  KeyValues entries;
  std::vector<std::string> keys;
  for (int i = 0; i < 500; ++i) {
    entries.emplace_back("key" + std::to_string(i), std::string(1000, 'x') + std::to_string(i));
    keys.push_back("key" + std::to_string(i));
  }
  toolkit.batch_set(entries); // ~0.5 MB: many TLS records, in both directions
  const BatchGetResult got = toolkit.batch_get(keys);
  BOOST_REQUIRE_EQUAL(got.size(), 500u);
  for (int i = 0; i < 500; ++i) BOOST_TEST(got[i].second.value_or(Value()) == entries[i].second);
  BOOST_TEST(toolkit.command({"PING"}).text == "PONG");
  BOOST_TEST(toolkit.health_check());
}

BOOST_FIXTURE_TEST_CASE(the_async_toolkit_works_over_tls, TlsServer) {
  AsyncRedisToolkit toolkit(tls_config(server.tls_port()));
  std::vector<std::future<void>> writes;
  for (int i = 0; i < 200; ++i) writes.push_back(toolkit.setter("a" + std::to_string(i), i));
  for (auto& write : writes) write.get();
  std::vector<std::future<std::optional<Value>>> reads;
  for (int i = 0; i < 200; ++i) reads.push_back(toolkit.getter("a" + std::to_string(i)));
  for (int i = 0; i < 200; ++i) BOOST_TEST(reads[i].get().value_or(Value()) == Value(i));
  toolkit.batch_set({{"b1", 1}, {"b2", 2}}).get();
  BOOST_TEST(toolkit.batch_get({"b1", "b2"}).get().at(1).second.value_or(Value()) == Value(2));
}

BOOST_FIXTURE_TEST_CASE(first_handshakes_on_many_threads_share_one_context, TlsServer) {
  // A toolkit's connections (a cluster's seeds, a Sentinel's sentinels) shake hands on their own
  // threads with its one TLS context. Eight first handshakes released at once: OpenSSL fills a
  // certificate's caches on first use, and nothing may be filled while the context is shared
  // (the ThreadSanitizer run reports it if it is).
  const auto context = detail::TlsContext::create(tls_config(server.tls_port()));
  constexpr int threads = 8;
  std::atomic<int> ready{0};
  std::vector<std::string> outcomes(threads);
  std::vector<std::thread> shakers;
  for (int t = 0; t < threads; ++t)
    shakers.emplace_back([&, t] {
      detail::ConnectOutcome connected =
          detail::connect_tcp("127.0.0.1", server.tls_port(), connect_limit);
      ++ready;
      while (ready.load() < threads) std::this_thread::yield();
      if (!connected.socket) {
        outcomes[t] = "connect: " + connected.error;
        return;
      }
      detail::TlsSession session(context, "127.0.0.1");
      outcomes[t] = session.handshake(connected.socket->fd(), Clock::now() + 10s);
    });
  for (auto& shaker : shakers) shaker.join();
  for (const std::string& outcome : outcomes) BOOST_TEST(outcome.empty(), outcome);
}

BOOST_FIXTURE_TEST_CASE(pubsub_works_over_tls, TlsServer) {
  RedisToolkit toolkit(tls_config(server.tls_port()));
  Inbox inbox;
  auto subscription = toolkit.subscribe({"news"}, inbox.handler());
  for (int i = 0; i < 100; ++i) toolkit.publisher("news", i);
  rtk_test::wait_until([&] { return inbox.size() == 100; }, 10s, "100 messages over TLS");
  std::lock_guard<std::mutex> lock(inbox.mutex);
  for (int i = 0; i < 100; ++i) BOOST_TEST(inbox.values[i] == Value(i));
}

BOOST_FIXTURE_TEST_CASE(the_files_are_read_once_for_commands_and_subscribers, TlsServer) {
  // One TLS context per toolkit, made when it starts: a subscriber made later connects with it,
  // even once the CA file it was read from is gone.
  const std::string ca = certificates().file("ca-read-once.crt");
  std::filesystem::copy_file(certificates().file("ca.crt"), ca,
                             std::filesystem::copy_options::overwrite_existing);
  RedisConnectionConfig config = tls_config(server.tls_port());
  config.ssl_ca_certs = ca;
  RedisToolkit toolkit(config);
  toolkit.setter("read-once", 1);
  std::filesystem::remove(ca);
  Inbox inbox;
  auto subscription = toolkit.subscribe({"read-once"}, inbox.handler());
  toolkit.publisher("read-once", 2);
  rtk_test::wait_until([&] { return inbox.size() == 1; }, 10s, "a message over TLS");
  BOOST_TEST(toolkit.getter("read-once").value_or(Value()) == Value(1));
}

BOOST_FIXTURE_TEST_CASE(a_host_name_is_checked_and_sent_as_sni, TlsServer) {
  RedisConnectionConfig config = tls_config(server.tls_port());
  config.host = "localhost"; // the certificate names it (DNS), as it names 127.0.0.1 (IP)
  RedisToolkit toolkit(config);
  toolkit.setter("k", 1);
  BOOST_TEST(toolkit.getter("k").value_or(Value()) == Value(1));
}

BOOST_FIXTURE_TEST_CASE(an_unknown_ca_is_a_connection_error, TlsServer) {
  const std::string message = failure_of(tls_config(server.tls_port(), "other_ca"));
  BOOST_TEST(contains(message, "certificate verify failed"), message);
  BOOST_TEST(contains(message, "ssl_ca_certs"), message);
  // "optional" checks a certificate that is sent, and a TLS server always sends one.
  RedisConnectionConfig optional = tls_config(server.tls_port(), "other_ca");
  optional.ssl_cert_reqs = "optional";
  BOOST_TEST(contains(failure_of(optional), "certificate verify failed"));
}

BOOST_FIXTURE_TEST_CASE(a_name_the_certificate_lacks_is_a_connection_error, TlsServer) {
  RedisConnectionConfig config = tls_config(server.tls_port());
  config.ssl_server_name = "redis.example.com";
  const std::string message = failure_of(config);
  BOOST_TEST(contains(message, "hostname mismatch"), message);
  BOOST_TEST(contains(message, "redis.example.com"), message);
}

BOOST_AUTO_TEST_CASE(an_expired_certificate_is_a_connection_error) {
  RedisServerProcess server = RedisServerProcess::start(certificates().server("expired"));
  const std::string message = failure_of(tls_config(server.tls_port()));
  BOOST_TEST(contains(message, "certificate has expired"), message);
}

BOOST_AUTO_TEST_CASE(mutual_tls_needs_the_client_certificate) {
  RedisServerProcess server =
      RedisServerProcess::start(certificates().server("server", /*auth_clients=*/true));
  const std::string message = failure_of(tls_config(server.tls_port()));
  BOOST_TEST(contains(message, "client certificate"), message);

  RedisConnectionConfig config = tls_config(server.tls_port());
  config.ssl_certfile = certificates().file("client.crt");
  config.ssl_keyfile = certificates().file("client.key");
  RedisToolkit toolkit(config);
  toolkit.setter("k", "mutual");
  BOOST_TEST(toolkit.getter("k").value_or(Value()) == Value("mutual"));
  Inbox inbox;
  auto subscription = toolkit.subscribe({"ch"}, inbox.handler());
  toolkit.publisher("ch", 1);
  rtk_test::wait_until([&] { return inbox.size() == 1; }, 10s, "a message over mutual TLS");
}

BOOST_FIXTURE_TEST_CASE(cert_reqs_none_accepts_an_unknown_ca, TlsServer) {
  RedisConnectionConfig config = tls_config(server.tls_port(), "other_ca");
  config.ssl_cert_reqs = "none";
  config.ssl_server_name = "anything.example.com"; // nor is the name checked
  RedisToolkit toolkit(config);
  toolkit.setter("k", 2);
  BOOST_TEST(toolkit.getter("k").value_or(Value()) == Value(2));
}

BOOST_AUTO_TEST_CASE(a_plain_server_on_the_port_is_a_connection_error) {
  RedisServerProcess plain = RedisServerProcess::start();
  const std::string message = failure_of(tls_config(plain.port()));
  // A plain Redis either answers the ClientHello with an error (not TLS) or waits for the rest
  // of a line that never comes (the handshake times out): both say so.
  BOOST_TEST((contains(message, "did not answer TLS") || contains(message, "timed out") ||
              contains(message, "closed the connection during the TLS handshake")),
             message);
}

BOOST_FIXTURE_TEST_CASE(a_plain_client_on_the_tls_port_is_a_connection_error, TlsServer) {
  RedisConnectionConfig config = tls_config(server.tls_port());
  config.ssl = false;
  failure_of(config);
}

BOOST_AUTO_TEST_CASE(bad_files_are_refused_when_the_toolkit_starts) {
  RedisConnectionConfig config;
  config.ssl = true;
  config.ssl_ca_certs = certificates().file("server.ext"); // readable, but no certificate
  try {
    RedisToolkit toolkit(config, single_attempt());
    BOOST_FAIL("a CA file without certificates must be refused");
  } catch (const ValidationError& error) {
    BOOST_TEST(contains(error.what(), "ssl_ca_certs"), error.what());
  }
  config.ssl_ca_certs = certificates().file("ca.crt");
  config.ssl_certfile = certificates().file("client.crt");
  config.ssl_keyfile = certificates().file("server.key"); // not the certificate's key
  try {
    RedisToolkit toolkit(config, single_attempt());
    BOOST_FAIL("a key that does not match the certificate must be refused");
  } catch (const ValidationError& error) {
    BOOST_TEST(contains(error.what(), "ssl_keyfile"), error.what());
  }
}

BOOST_FIXTURE_TEST_CASE(rtk_takes_redis_cli_tls_flags, TlsServer) {
  const char* executable = std::getenv("RTK_RTK_EXE");
  BOOST_REQUIRE_MESSAGE(executable != nullptr, "RTK_RTK_EXE must name the rtk binary");
  const std::vector<std::string> common = {executable, "--tls", "--cacert",
                                           certificates().file("ca.crt"), "--port",
                                           std::to_string(server.tls_port())};
  auto with = [&](std::vector<std::string> more) {
    std::vector<std::string> argv = common;
    argv.insert(argv.end(), more.begin(), more.end());
    return run_program(argv, 20s);
  };
  BOOST_TEST(with({"set", "k", "\"v\""}).exit_status == 0);
  BOOST_TEST(with({"get", "k"}).standard_output == "\"v\"\n");
  const auto wrong_name = with({"--sni", "redis.example.com", "get", "k"});
  BOOST_TEST(wrong_name.exit_status == 1);
  BOOST_TEST(contains(wrong_name.standard_error, "hostname mismatch"), wrong_name.standard_error);
  BOOST_TEST(with({"--sni", "redis.example.com", "--insecure", "get", "k"}).exit_status == 0);
}

BOOST_AUTO_TEST_CASE(a_tls_cluster_serves_batches_and_survives_a_master_kill) {
  LocalCluster::Options options;
  RedisServerProcess::Tls tls = *certificates().server().tls;
  options.tls = tls;
  LocalCluster cluster = LocalCluster::start(options);
  RedisConnectionConfig config = tls_config(cluster.tls_addresses().at(0).port);
  config.cluster_mode = true;
  config.startup_nodes = cluster.tls_addresses();
  RedisToolkit toolkit(config);
  // The nodes announce their TLS ports (tls-cluster yes): every master is reached over TLS.
  KeyValues entries;
  std::vector<std::string> keys;
  for (int i = 0; i < 300; ++i) {
    entries.emplace_back("user:" + std::to_string(i), i);
    keys.push_back("user:" + std::to_string(i));
  }
  toolkit.batch_set(entries);
  const BatchGetResult got = toolkit.batch_get(keys);
  BOOST_REQUIRE_EQUAL(got.size(), 300u);
  for (int i = 0; i < 300; ++i) BOOST_TEST(got[i].second.value_or(Value()) == Value(i));
  BOOST_TEST(cluster.masters().size() == 3u);

  // A master crashes: its replica takes over (replicated over TLS) and the toolkit follows.
  const std::size_t master = cluster.master_of_slot(key_slot("user:7"));
  cluster.node(master).kill_hard();
  cluster.wait_until_healthy(30s);
  rtk_test::wait_until(
      [&] {
        try {
          toolkit.setter("user:7", "after");
          return toolkit.getter("user:7").value_or(Value()) == Value("after");
        } catch (const RedisToolkitError&) { // connection or cluster errors while it moves
          return false;
        }
      },
      30s, "writes to the promoted replica over TLS");
  BOOST_TEST(toolkit.batch_get(keys).size() == 300u);
}

BOOST_AUTO_TEST_SUITE_END()
