// Real failovers on a real 3-master 3-replica cluster: kill -9 of a master while blocking and
// async writers run (errors only in the failover window, typed, then the writers carry on by
// themselves; writes acknowledged by WAIT 1 survive; subscribers on the lost node deliver again),
// a manual CLUSTER FAILOVER followed without any error, and a cluster that is down.
#include "cluster_fixture.hpp"
#include "inbox.hpp"
#include "redis_cli.hpp"
#include "toolkit_fixture.hpp"

#include "redis_toolkit/actor_protocol.hpp"
#include "redis_toolkit/async_toolkit.hpp"
#include "redis_toolkit/key_slot.hpp"
#include "redis_toolkit/metrics.hpp"
#include "redis_toolkit/toolkit.hpp"
#include "redis_toolkit/wire_format.hpp"

#include <boost/test/unit_test.hpp>

#include <caf/all.hpp>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

using namespace redis_toolkit;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using rtk_test::quiet_options;
using rtk_test::suite_cluster;

using rtk_test::Inbox;

namespace {

/// What a writer saw: each failure's time and kind, successes with their times.
struct WriterLog {
  std::mutex mutex;
  std::vector<std::pair<Clock::time_point, std::string>> failures; ///< (when, "Kind: what")
  std::atomic<long> successes{0};
  Clock::time_point last_success{};

  void success() {
    ++successes;
    std::lock_guard<std::mutex> lock(mutex);
    last_success = Clock::now();
  }
  void failure(std::string what) {
    std::lock_guard<std::mutex> lock(mutex);
    failures.emplace_back(Clock::now(), std::move(what));
  }
  long successes_after(Clock::time_point) { return successes.load(); }
};

/// Runs `write(round)` until stopped, logging each outcome by its error type.
template <typename Write>
std::thread start_writer(std::atomic<bool>& stop, WriterLog& log, Write write) {
  return std::thread([&stop, &log, write] {
    for (long round = 0; !stop; ++round) {
      try {
        write(round);
        log.success();
      } catch (const TimeoutError& e) {
        log.failure(std::string("TimeoutError: ") + e.what());
      } catch (const ConnectionError& e) {
        log.failure(std::string("ConnectionError: ") + e.what());
      } catch (const ClusterError& e) {
        log.failure(std::string("ClusterError: ") + e.what());
      } catch (const std::exception& e) {
        log.failure(std::string("UNEXPECTED: ") + e.what());
      }
    }
  });
}

/// A hash tag whose slot the node `master` serves.
std::string tag_on_master(LocalCluster& cluster, std::size_t master, const std::string& prefix) {
  for (int i = 0; i < 100000; ++i) {
    std::string tag = prefix + std::to_string(i);
    if (cluster.master_of_slot(key_slot(tag)) == master) return tag;
  }
  throw std::runtime_error("no tag found for master " + std::to_string(master));
}

} // namespace

BOOST_AUTO_TEST_SUITE(cluster_failover_tests)

BOOST_AUTO_TEST_CASE(kill_minus_nine_of_a_master_under_writers_and_subscribers) {
  LocalCluster& cluster = suite_cluster();
  const RedisConnectionConfig config = rtk_test::cluster_config(cluster);
  RedisToolkit toolkit(config, quiet_options());
  AsyncRedisToolkit async_toolkit(config, quiet_options());
  const std::size_t victim = cluster.masters().front();
  const std::size_t heir = cluster.replica_of(victim);
  const std::string tag = "{" + tag_on_master(cluster, victim, "durable") + "}";

  // Writes acknowledged by a replica (WAIT 1) before the kill: half through setter_durable, half
  // as one raw pipeline (SETs then WAIT) through the router, as an actor caller would.
  for (int i = 0; i < 100; ++i)
    BOOST_REQUIRE(toolkit.setter_durable(tag + ":" + std::to_string(i), i, 1, 5000ms) >= 1);
  CommandRequest durable;
  for (int i = 100; i < 200; ++i) {
    const std::string key = tag + ":" + std::to_string(i);
    durable.add({"SET", key, serialize_value(Value(i))}, key_slot(key));
  }
  durable.add({"WAIT", "1", "5000"}, key_slot(tag));
  {
    caf::scoped_actor self(async_toolkit.system());
    std::int64_t acknowledged = -1;
    self->request(async_toolkit.router(), 10s, exec_atom::value, durable)
        .receive([&](std::vector<Reply>& replies) { acknowledged = replies.back().integer; },
                 [&](caf::error&) {});
    BOOST_REQUIRE_MESSAGE(acknowledged >= 1, "WAIT 1 acknowledged by " << acknowledged);
  }
  BOOST_TEST(async_toolkit.setter_durable(tag + ":async", "durable").get() >= 1);

  // Subscribers: sharded on the victim's slot, classic wherever the router put it.
  Inbox sharded, classic;
  auto sharded_subscription =
      toolkit.subscribe({tag + ":events"}, sharded.handler(), PubSubKind::sharded);
  auto classic_subscription = toolkit.subscribe({"failover-news"}, classic.handler());

  // The metrics count every writer call once, through the failover (both toolkits share a router).
  const ToolkitMetrics metrics_before = toolkit.metrics();
  std::atomic<bool> stop{false};
  WriterLog blocking_log, async_log;
  auto blocking_writer = start_writer(stop, blocking_log, [&](long round) {
    toolkit.setter("writer:" + std::to_string(round % 500), round);
  });
  auto async_writer = start_writer(stop, async_log, [&](long round) {
    async_toolkit.setter("async-writer:" + std::to_string(round % 500), round).get();
  });
  rtk_test::wait_until([&] { return blocking_log.successes > 100 && async_log.successes > 100; },
                       15s, "writers running before the kill");

  const auto killed_at = Clock::now();
  cluster.node(victim).kill_hard();
  // Right after the kill, a batch over every master: the lost master's keys fail, named one by
  // one in a BatchError; the others are written (no cross-node atomicity).
  KeyValues spread;
  for (int i = 0; i < 300; ++i) spread.emplace_back("spread:" + std::to_string(i), Value(i));
  std::set<std::string> failed_keys;
  try {
    toolkit.batch_set(spread);
    BOOST_FAIL("a batch over a just-killed master succeeded");
  } catch (const BatchError& e) {
    for (const auto& failure : e.failures()) {
      failed_keys.insert(failure.key);
      BOOST_TEST(failure.server == cluster.node(victim).address(), failure.key);
      BOOST_TEST((failure.kind == "ConnectionError" || failure.kind == "TimeoutError"));
    }
    BOOST_TEST(e.total() == spread.size());
  }
  BOOST_TEST(!failed_keys.empty());
  cluster.wait_until_healthy(20s);
  const auto healthy_at = Clock::now();
  BOOST_TEST(cluster.master_of_slot(key_slot(tag)) == heir);
  const long blocking_then = blocking_log.successes, async_then = async_log.successes;
  rtk_test::wait_until([&] { return blocking_log.successes > blocking_then + 100 &&
                                    async_log.successes > async_then + 100; },
                       15s, "writers carrying on after the failover by themselves");
  stop = true;
  blocking_writer.join();
  async_writer.join();

  {
    // Each writer call and each key of the batch is one SET answered once, with the outcome the
    // caller saw; the lost master made the router read the slot table again.
    const ToolkitMetrics metrics_after = toolkit.metrics();
    const CommandMetrics empty;
    const CommandMetrics* set_before = metrics_before.command("set");
    const CommandMetrics& before = set_before ? *set_before : empty;
    BOOST_REQUIRE(metrics_after.command("set") != nullptr);
    const CommandMetrics& after = *metrics_after.command("set");
    const std::uint64_t successes = std::uint64_t(blocking_log.successes + async_log.successes);
    const std::uint64_t failures = blocking_log.failures.size() + async_log.failures.size();
    BOOST_TEST(after.ok - before.ok == successes + spread.size() - failed_keys.size());
    BOOST_TEST(after.total() - after.ok - (before.total() - before.ok) ==
               failures + failed_keys.size());
    BOOST_TEST(after.latency.count - before.latency.count == after.total() - before.total());
    BOOST_TEST(metrics_after.pending_calls == 0u);
    BOOST_TEST(metrics_after.topology_refreshes > metrics_before.topology_refreshes);
    BOOST_TEST_MESSAGE("metrics through the failover: "
                       << after.ok - before.ok << " SET ok, " << after.error - before.error
                       << " error, " << after.timeout - before.timeout << " timeout, "
                       << after.connection - before.connection << " connection; "
                       << metrics_after.topology_refreshes - metrics_before.topology_refreshes
                       << " topology refreshes");
  }

  // Errors: typed, only in the failover window.
  for (WriterLog* log : {&blocking_log, &async_log}) {
    for (const auto& [when, what] : log->failures) {
      BOOST_TEST(what.rfind("UNEXPECTED", 0) != 0, what);
      BOOST_TEST((when >= killed_at), "an error before the kill: " << what);
      BOOST_TEST((when <= healthy_at + 5s), "an error long after recovery: " << what);
    }
    if (!log->failures.empty())
      BOOST_TEST_MESSAGE("error window "
                         << std::chrono::duration_cast<std::chrono::milliseconds>(
                                log->failures.back().first - killed_at).count()
                         << " ms after the kill, " << log->failures.size() << " errors, first: "
                         << log->failures.front().second);
  }
  BOOST_TEST_MESSAGE("cluster healthy again "
                     << std::chrono::duration_cast<std::chrono::milliseconds>(healthy_at - killed_at).count()
                     << " ms after the kill");

  // Every acknowledged write is on the promoted replica.
  std::vector<std::string> keys;
  for (int i = 0; i < 200; ++i) keys.push_back(tag + ":" + std::to_string(i));
  auto back = toolkit.batch_get(keys);
  long present = 0;
  for (std::size_t i = 0; i < back.size(); ++i)
    present += back[i].second && back[i].second->as_int() == static_cast<std::int64_t>(i);
  BOOST_TEST(present == 200);

  // The batch's other keys were written; its failed keys were all the lost master's.
  for (const auto& [key, value] : spread) {
    if (failed_keys.count(key)) continue;
    auto stored = toolkit.getter(key);
    BOOST_TEST((stored && *stored == value), key);
  }

  // Subscribers deliver again: messages published after the recovery arrive.
  rtk_test::wait_until([&] {
    toolkit.publisher(tag + ":events", Value("after"), PubSubKind::sharded);
    toolkit.publisher("failover-news", Value("after"));
    std::this_thread::sleep_for(100ms);
    return sharded.has(Value("after")) && classic.has(Value("after"));
  }, 15s, "subscribers receiving after the failover");

  // The killed node comes back as a replica.
  cluster.restart_node(victim);
  cluster.wait_until_healthy(30s);
  const auto replicas = cluster.replicas();
  BOOST_TEST((std::find(replicas.begin(), replicas.end(), victim) != replicas.end()));
  BOOST_TEST(toolkit.health_check());
}

BOOST_AUTO_TEST_CASE(a_manual_failover_is_followed_without_any_error) {
  LocalCluster& cluster = suite_cluster();
  const RedisConnectionConfig config = rtk_test::cluster_config(cluster);
  RedisToolkit toolkit(config, quiet_options());
  AsyncRedisToolkit async_toolkit(config, quiet_options());
  const std::size_t master = cluster.masters().back();
  const std::size_t replica = cluster.replica_of(master);
  const std::string tag = "{" + tag_on_master(cluster, master, "manual") + "}";
  Inbox sharded;
  auto subscription = toolkit.subscribe({tag + ":events"}, sharded.handler(), PubSubKind::sharded);

  std::atomic<bool> stop{false};
  WriterLog blocking_log, async_log, durable_log;
  // WAIT follows its SET to the new master (the old one answers WAIT with an error).
  auto durable_writer = start_writer(stop, durable_log, [&](long round) {
    if (toolkit.setter_durable(tag + ":d" + std::to_string(round % 100), round, 1, 2000ms) < 1)
      throw std::runtime_error("a durable write no replica acknowledged");
  });
  auto blocking_writer = start_writer(stop, blocking_log, [&](long round) {
    toolkit.setter(tag + ":b" + std::to_string(round % 100), round); // all on the moving shard
    toolkit.setter("spread:" + std::to_string(round % 300), round);
  });
  auto async_writer = start_writer(stop, async_log, [&](long round) {
    async_toolkit.setter(tag + ":a" + std::to_string(round % 100), round).get();
  });
  rtk_test::wait_until([&] { return blocking_log.successes > 100 && async_log.successes > 100; },
                       15s, "writers running");
  cluster.manual_failover(replica, 20s);
  rtk_test::wait_until([&] { return cluster.master_of_slot(key_slot(tag)) == replica; }, 10s,
                       "every node seeing the promoted replica as the slot's master");
  const long blocking_then = blocking_log.successes, async_then = async_log.successes;
  rtk_test::wait_until([&] { return blocking_log.successes > blocking_then + 200 &&
                                    async_log.successes > async_then + 200; },
                       15s, "writers carrying on on the new master");
  stop = true;
  blocking_writer.join();
  async_writer.join();
  durable_writer.join();
  BOOST_TEST(durable_log.successes > 0);
  for (WriterLog* log : {&blocking_log, &async_log, &durable_log}) {
    BOOST_TEST(log->failures.empty(),
               log->failures.size() << " errors, first: "
                                    << (log->failures.empty() ? "" : log->failures.front().second));
  }
  rtk_test::wait_until([&] {
    toolkit.publisher(tag + ":events", Value("moved"), PubSubKind::sharded);
    std::this_thread::sleep_for(100ms);
    return sharded.has(Value("moved"));
  }, 15s, "the sharded subscriber following its slot to the new master");
  cluster.wait_until_healthy(20s);
}

BOOST_AUTO_TEST_CASE(a_cluster_that_is_down_gives_clear_errors_within_the_timeouts) {
  // Runs last: it takes a whole shard away.
  LocalCluster& cluster = suite_cluster();
  RedisConnectionConfig config = rtk_test::cluster_config(cluster);
  config.connection_timeout = 500ms;
  config.socket_timeout = 500ms;
  RedisToolkit toolkit(config, quiet_options());
  toolkit.setter("before-the-end", 1);
  const std::size_t master = cluster.masters().front();
  const std::size_t replica = cluster.replica_of(master);
  const std::string key = "{" + tag_on_master(cluster, master, "gone") + "}:k";
  cluster.node(replica).kill_hard();
  cluster.node(master).kill_hard();
  std::size_t survivor = 0;
  while (survivor == master || survivor == replica) ++survivor;
  rtk_test::wait_until([&] {
    try {
      return rtk_test::run_redis_cli(cluster.node(survivor).port(), {"CLUSTER", "INFO"})
                 .find("cluster_state:fail") != std::string::npos;
    } catch (const std::exception&) {
      return false;
    }
  }, 20s, "the cluster noticing it lost a whole shard");

  const auto started = Clock::now();
  try {
    toolkit.setter(key, 1);
    BOOST_FAIL("a write to a lost shard succeeded");
  } catch (const ClusterError& e) {
    BOOST_TEST_MESSAGE("ClusterError: " << e.what());
  } catch (const ConnectionError& e) {
    BOOST_TEST_MESSAGE("ConnectionError: " << e.what());
  }
  BOOST_TEST((Clock::now() - started < 10s));
  // The rest of the cluster refuses too (full coverage required): CLUSTERDOWN, a ClusterError.
  BOOST_CHECK_THROW(toolkit.getter("before-the-end"), ClusterError);
  BOOST_TEST(!toolkit.health_check());
}

BOOST_AUTO_TEST_SUITE_END()
