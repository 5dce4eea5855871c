// The toolkit against a real Sentinel deployment (LocalSentinel: a master, two replicas, three
// sentinels): it finds the master through the sentinels (one of them down), reads from replicas
// with readonly_mode, follows a kill -9 of the master and a SENTINEL FAILOVER under blocking, async
// and subscribing callers (typed errors only in the failover window, writes acknowledged by WAIT
// survive, subscribers deliver again on the new master), does all of it over TLS, and says
// clearly when no sentinel helps.
#include "cluster_fixture.hpp"
#include "daemon_checks.hpp"
#include "inbox.hpp"
#include "redis_cli.hpp"
#include "tls_certificates.hpp"
#include "toolkit_fixture.hpp"

#include "redis_toolkit/actor_protocol.hpp"
#include "redis_toolkit/async_toolkit.hpp"
#include "redis_toolkit/errors.hpp"
#include "redis_toolkit/key_slot.hpp"
#include "redis_toolkit/local_sentinel.hpp"
#include "redis_toolkit/toolkit.hpp"

#include <boost/test/unit_test.hpp>

#include <caf/all.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

using namespace redis_toolkit;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using rtk_test::quiet_options;

using rtk_test::Inbox;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// A loopback port nothing listens on: a sentinel that is down.
NodeAddress dead_address() {
  for (std::uint16_t port = 7950; port < 8950; ++port)
    if (rtk_test::port_free(port)) return NodeAddress{"127.0.0.1", port};
  throw std::runtime_error("no free port for a dead sentinel");
}

RedisConnectionConfig sentinel_config(const LocalSentinel& deployment) {
  RedisConnectionConfig config;
  config.sentinels = deployment.sentinel_addresses();
  config.sentinel_master_name = deployment.master_name();
  config.connection_timeout = 2000ms;
  config.socket_timeout = 2000ms;
  return config;
}

/// A router of its own per toolkit: each test case sees its own discovery.
RedisOptions own_router(RedisOptions options = quiet_options()) {
  options.use_connection_pool = false;
  return options;
}

std::uint16_t port_of(const LocalSentinel& deployment, std::size_t server) {
  return deployment.server_addresses().at(server).port;
}

long long info_number(std::uint16_t port, const std::string& section, const std::string& field) {
  const std::string text = rtk_test::info_field(port, section, field);
  return text.empty() ? 0 : std::stoll(text);
}

/// "calls=N,usec=..." of cmdstat_get on one server.
long long get_calls(std::uint16_t port) {
  const std::string stat = rtk_test::info_field(port, "commandstats", "cmdstat_get");
  if (stat.rfind("calls=", 0) != 0) return 0;
  return std::stoll(stat.substr(6, stat.find(',') - 6));
}

/// What a caller saw: each failure's time and text, and how many calls succeeded.
struct CallerLog {
  std::mutex mutex;
  std::vector<std::pair<Clock::time_point, std::string>> failures;
  std::atomic<long> successes{0};
  void failure(std::string what) {
    std::lock_guard<std::mutex> lock(mutex);
    failures.emplace_back(Clock::now(), std::move(what));
  }
};

template <typename Call>
std::thread start_caller(std::atomic<bool>& stop, CallerLog& log, Call call) {
  return std::thread([&stop, &log, call] {
    for (long round = 0; !stop; ++round) {
      try {
        call(round);
        ++log.successes;
      } catch (const TimeoutError& e) {
        log.failure(std::string("TimeoutError: ") + e.what());
      } catch (const ConnectionError& e) {
        log.failure(std::string("ConnectionError: ") + e.what());
      } catch (const CommandError& e) {
        log.failure(std::string("CommandError: ") + e.what());
      } catch (const std::exception& e) {
        log.failure(std::string("UNEXPECTED: ") + e.what());
      }
    }
  });
}

/// Blocking and async writers and a subscriber through a failover that `fail_over` causes and
/// waits for (returning the new master): errors only typed and only from the failover on, the
/// writers carry on by themselves, every write acknowledged by WAIT before is on the new master,
/// and the subscriber, now on the new master, delivers again.
template <typename FailOver>
void writers_and_subscribers_follow(LocalSentinel& deployment, FailOver fail_over,
                                    const RedisConnectionConfig& config) {
  RedisToolkit toolkit(config, own_router());
  AsyncRedisToolkit async_toolkit(config, own_router());
  const std::size_t old_master = deployment.master();

  for (int i = 0; i < 100; ++i)
    BOOST_REQUIRE(toolkit.setter_durable("durable:" + std::to_string(i), i, 1, 5000ms) >= 1);
  BOOST_REQUIRE(async_toolkit.setter_durable("durable:async", "kept", 1, 5000ms).get() >= 1);

  Inbox inbox;
  auto subscription = toolkit.subscribe({"sentinel-news"}, inbox.handler());
  rtk_test::wait_until([&] {
    toolkit.publisher("sentinel-news", Value("before"));
    return inbox.has(Value("before"));
  }, 15s, "the subscriber receiving before the failover");

  std::atomic<bool> stop{false};
  CallerLog blocking_log, async_log;
  auto blocking_writer = start_caller(stop, blocking_log, [&](long round) {
    toolkit.setter("writer:" + std::to_string(round % 500), round);
  });
  auto async_writer = start_caller(stop, async_log, [&](long round) {
    async_toolkit.setter("async-writer:" + std::to_string(round % 500), round).get();
  });
  rtk_test::wait_until([&] { return blocking_log.successes > 100 && async_log.successes > 100; },
                       15s, "writers running before the failover");

  const auto failover_at = Clock::now();
  const std::size_t new_master = fail_over(old_master);
  BOOST_TEST(new_master != old_master);
  // The subscriber moves with the master, well before Sentinel would demote an old master that
  // is still up (about 11 s after a SENTINEL FAILOVER here) and so close its connections.
  const std::uint16_t new_port = port_of(deployment, new_master);
  rtk_test::wait_until([&] { return info_number(new_port, "stats", "pubsub_channels") >= 1; },
                       6s, "the subscriber on the new master");
  const long blocking_then = blocking_log.successes, async_then = async_log.successes;
  rtk_test::wait_until([&] { return blocking_log.successes > blocking_then + 100 &&
                                    async_log.successes > async_then + 100; },
                       20s, "writers carrying on after the failover by themselves");
  const auto recovered_at = Clock::now();
  stop = true;
  blocking_writer.join();
  async_writer.join();

  for (CallerLog* log : {&blocking_log, &async_log}) {
    for (const auto& [when, what] : log->failures) {
      BOOST_TEST(what.rfind("UNEXPECTED", 0) != 0, what);
      BOOST_TEST((when >= failover_at), "an error before the failover: " << what);
      BOOST_TEST((when <= recovered_at), "an error after the recovery: " << what);
    }
    BOOST_TEST_MESSAGE("failover: " << log->failures.size() << " errors"
                       << (log->failures.empty() ? std::string()
                                                 : ", the last " +
                                                       std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                           log->failures.back().first - failover_at).count()) +
                                                       " ms after it began: " + log->failures.back().second));
  }

  // The writes go to the new master, and the acknowledged ones are all there.
  BOOST_TEST(rtk_test::run_redis_cli(new_port, {"EXISTS", "writer:0"}).find('1') != std::string::npos);
  std::vector<std::string> keys;
  for (int i = 0; i < 100; ++i) keys.push_back("durable:" + std::to_string(i));
  const auto back = toolkit.batch_get(keys);
  long present = 0;
  for (std::size_t i = 0; i < back.size(); ++i)
    present += back[i].second && back[i].second->as_int() == static_cast<std::int64_t>(i);
  BOOST_TEST(present == 100);
  BOOST_TEST((toolkit.getter("durable:async") == std::optional<Value>(Value("kept"))));

  // The subscriber delivers again.
  rtk_test::wait_until([&] {
    toolkit.publisher("sentinel-news", Value("after"));
    std::this_thread::sleep_for(50ms);
    return inbox.has(Value("after"));
  }, 20s, "the subscriber receiving after the failover");
  BOOST_TEST(toolkit.health_check());
}

} // namespace

BOOST_AUTO_TEST_SUITE(sentinel_client_tests)

BOOST_AUTO_TEST_CASE(the_master_comes_from_the_sentinels_and_reads_may_go_to_replicas) {
  LocalSentinel deployment = LocalSentinel::start();
  RedisConnectionConfig config = sentinel_config(deployment);
  // A sentinel that is down, listed first, is skipped.
  config.sentinels.insert(config.sentinels.begin(), dead_address());
  RedisToolkit toolkit(config, own_router());
  BOOST_TEST(contains(config.describe(), "sentinel master mymaster via 127.0.0.1:"));

  toolkit.setter("greeting", "hello");
  BOOST_TEST((toolkit.getter("greeting") == std::optional<Value>(Value("hello"))));
  KeyValues batch;
  for (int i = 0; i < 50; ++i) batch.emplace_back("batch:" + std::to_string(i), Value(i));
  toolkit.batch_set(batch);
  BOOST_TEST(toolkit.batch_get({"batch:0", "batch:49"}).size() == 2u);
  // Written on the server the sentinels name, nowhere else first.
  const std::uint16_t master_port = port_of(deployment, deployment.master());
  BOOST_TEST(contains(rtk_test::run_redis_cli(master_port, {"EXISTS", "greeting"}), "1"));

  AsyncRedisToolkit async_toolkit(config, own_router());
  BOOST_TEST((async_toolkit.getter("greeting").get() == std::optional<Value>(Value("hello"))));
  {
    // An actor caller: a raw request to the router, answered in its order.
    CommandRequest request;
    request.add({"SET", "actor-key", "1"}, key_slot("actor-key"));
    request.add({"INCR", "actor-key"}, key_slot("actor-key"));
    caf::scoped_actor self(async_toolkit.system());
    std::vector<Reply> replies;
    self->request(async_toolkit.router(), 10s, exec_atom::value, request)
        .receive([&](std::vector<Reply>& answer) { replies = std::move(answer); },
                 [&](caf::error& error) { BOOST_FAIL(async_toolkit.system().render(error)); });
    BOOST_REQUIRE(replies.size() == 2u);
    BOOST_TEST(replies[0].is_ok());
    BOOST_TEST(replies[1].integer == 2);
  }

  // readonly_mode: reads go to the replicas SENTINEL REPLICAS lists, writes to the master.
  RedisConnectionConfig readonly = sentinel_config(deployment);
  readonly.readonly_mode = true;
  RedisToolkit reader(readonly, own_router());
  reader.setter("read-me", 7); // on the master
  for (std::size_t server = 0; server < deployment.server_count(); ++server)
    rtk_test::run_redis_cli(port_of(deployment, server), {"CONFIG", "RESETSTAT"});
  rtk_test::wait_until([&] { return reader.getter("read-me") == std::optional<Value>(Value(7)); },
                       10s, "the write replicated to the replicas");
  for (int i = 0; i < 50; ++i) reader.getter("read-me");
  long long replica_gets = 0;
  for (std::size_t server = 0; server < deployment.server_count(); ++server)
    if (server != deployment.master()) replica_gets += get_calls(port_of(deployment, server));
  BOOST_TEST(get_calls(master_port) == 0);
  BOOST_TEST(replica_gets >= 50);

  // +switch-master reaches an idle toolkit: it asks the sentinels again with no call failing
  // (the count grows when the asking starts), and its writes then reach the new master without
  // an error (setter would throw). The old master still takes writes until Sentinel demotes it,
  // so a write sent while the answer is on its way may land there: hence the loop.
  const std::uint64_t refreshes = toolkit.metrics().topology_refreshes;
  const std::size_t promoted = deployment.failover(30s);
  rtk_test::wait_until([&] { return toolkit.metrics().topology_refreshes > refreshes; }, 10s,
                       "the idle toolkit told of the failover by +switch-master");
  const std::uint16_t promoted_port = port_of(deployment, promoted);
  int round = 0;
  rtk_test::wait_until([&] {
    toolkit.setter("after-switch", ++round);
    return rtk_test::run_redis_cli(promoted_port, {"GET", "after-switch"}) ==
           R"({"__type__": "int", "__data__": )" + std::to_string(round) + "}";
  }, 10s, "writes reaching the new master");

  // A sentinel killed: a new toolkit still finds the master through the others.
  deployment.sentinel(0).kill_hard();
  RedisToolkit after_loss(sentinel_config(deployment), own_router());
  BOOST_TEST((after_loss.getter("greeting") == std::optional<Value>(Value("hello"))));
}

BOOST_AUTO_TEST_CASE(kill_minus_nine_of_the_master_under_blocking_async_and_subscribing_callers) {
  LocalSentinel deployment = LocalSentinel::start();
  writers_and_subscribers_follow(deployment, [&](std::size_t old_master) {
    deployment.server(old_master).kill_hard();
    return deployment.wait_for_new_master(old_master, 30s);
  }, sentinel_config(deployment));
}

BOOST_AUTO_TEST_CASE(a_sentinel_failover_is_followed) {
  LocalSentinel deployment = LocalSentinel::start();
  writers_and_subscribers_follow(deployment, [&](std::size_t) { return deployment.failover(30s); },
                                 sentinel_config(deployment));
}

BOOST_AUTO_TEST_CASE(over_tls_the_sentinels_the_master_and_a_kill_minus_nine_are_followed) {
  // Every process speaks TLS on its TLS port, and the sentinels name TLS addresses: a client
  // that lists the sentinels' TLS ports reaches them, and the masters they name, only over TLS.
  rtk_bench::TlsCertificates certificates;
  LocalSentinel::Options options;
  options.tls = certificates.server().tls;
  LocalSentinel deployment = LocalSentinel::start(options);
  RedisConnectionConfig config = sentinel_config(deployment);
  config.sentinels = deployment.tls_sentinel_addresses();
  config.ssl = true;
  config.ssl_ca_certs = certificates.file("ca.crt");

  RedisToolkit toolkit(config, own_router());
  toolkit.setter("over-tls", "yes");
  const std::uint16_t master_port = port_of(deployment, deployment.master());
  BOOST_TEST(contains(rtk_test::run_redis_cli(master_port, {"EXISTS", "over-tls"}), "1"));

  // A CA that signed none of them: the sentinels are refused, each named, with the reason.
  RedisConnectionConfig wrong_ca = config;
  wrong_ca.ssl_ca_certs = certificates.file("other_ca.crt");
  RedisOptions once = own_router();
  once.retry_attempts = 1;
  RedisToolkit refused(wrong_ca, once);
  try {
    refused.getter("over-tls");
    BOOST_FAIL("a sentinel with an unknown CA was trusted");
  } catch (const ConnectionError& e) {
    BOOST_TEST(contains(e.what(), "certificate verify failed"), e.what());
    BOOST_TEST(contains(e.what(), config.sentinels.front().to_string()), e.what());
  }

  writers_and_subscribers_follow(deployment, [&](std::size_t old_master) {
    deployment.server(old_master).kill_hard();
    return deployment.wait_for_new_master(old_master, 30s);
  }, config);
}

BOOST_AUTO_TEST_CASE(no_sentinel_that_helps_is_a_typed_error_naming_the_master) {
  // Every sentinel down: a ConnectionError naming the master and each sentinel, in time.
  RedisConnectionConfig config;
  const NodeAddress first = dead_address();
  config.sentinels = {first, NodeAddress{"127.0.0.1", static_cast<std::uint16_t>(first.port + 1)}};
  config.sentinel_master_name = "mymaster";
  config.connection_timeout = 1000ms;
  RedisOptions options = own_router();
  options.retry_attempts = 1;
  RedisToolkit toolkit(config, options);
  const auto started = Clock::now();
  try {
    toolkit.setter("key", 1);
    BOOST_FAIL("a write with every sentinel down succeeded");
  } catch (const ConnectionError& e) {
    const std::string what = e.what();
    BOOST_TEST(contains(what, "'mymaster'"), what);
    BOOST_TEST(contains(what, first.to_string()), what);
  }
  BOOST_TEST((Clock::now() - started < 10s));
  BOOST_TEST(!toolkit.health_check());

  // Sentinels that answer but do not monitor that name: the same error, saying so.
  LocalSentinel deployment = LocalSentinel::start();
  RedisConnectionConfig unknown = sentinel_config(deployment);
  unknown.sentinel_master_name = "no-such-master";
  RedisToolkit lost(unknown, options);
  try {
    lost.getter("key");
    BOOST_FAIL("a read of an unknown master succeeded");
  } catch (const ConnectionError& e) {
    BOOST_TEST(contains(e.what(), "does not monitor 'no-such-master'"), e.what());
  }
}

BOOST_AUTO_TEST_SUITE_END()
