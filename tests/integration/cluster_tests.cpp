// Every toolkit operation against a real 3-master 3-replica cluster, blocking and async: keys on
// all three masters, batches of 10,000 keys, the cluster operations, MOVED and ASK provoked by a
// real slot migration, classic and sharded pub/sub, replica reads, and misuse.
#include "cluster_fixture.hpp"
#include "redis_cli.hpp"
#include "toolkit_fixture.hpp"

#include "redis_toolkit/async_toolkit.hpp"
#include "redis_toolkit/cluster_operations.hpp"
#include "redis_toolkit/key_slot.hpp"
#include "redis_toolkit/metrics.hpp"
#include "redis_toolkit/toolkit.hpp"
#include "redis_toolkit/toolkit_actor.hpp"
#include "redis_toolkit/wire_format.hpp"

#include <boost/test/unit_test.hpp>

#include <caf/all.hpp>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

using namespace redis_toolkit;
using namespace std::chrono_literals;
using rtk_test::run_redis_cli;
using rtk_test::suite_cluster;

namespace {

using rtk_test::ClusterFixture;

/// A master other than `master`.
std::size_t another_master(const LocalCluster& cluster, std::size_t master) {
  for (std::size_t each : cluster.masters())
    if (each != master) return each;
  throw std::runtime_error("the cluster has one master");
}

/// Keys "prefix:0" .. "prefix:count-1".
std::vector<std::string> numbered_keys(const std::string& prefix, int count) {
  std::vector<std::string> keys;
  for (int i = 0; i < count; ++i) keys.push_back(prefix + ":" + std::to_string(i));
  return keys;
}

/// A channel name, starting with `prefix`, whose slot the master `master_index` serves.
std::string channel_on_master(LocalCluster& cluster, std::size_t master_index,
                              const std::string& prefix) {
  for (int i = 0; i < 100000; ++i) {
    std::string name = prefix + std::to_string(i);
    if (cluster.master_of_slot(key_slot(name)) == master_index) return name;
  }
  throw std::runtime_error("no channel found for master " + std::to_string(master_index));
}

/// Collects messages from handlers running on other threads.
struct Inbox {
  std::mutex mutex;
  std::vector<std::pair<std::string, Value>> messages;
  MessageHandler handler() {
    return [this](const std::string& channel, const Value& value) {
      std::lock_guard<std::mutex> lock(mutex);
      messages.emplace_back(channel, value);
    };
  }
  bool has(const std::string& channel, const Value& value) {
    std::lock_guard<std::mutex> lock(mutex);
    for (auto& [c, v] : messages)
      if (c == channel && v == value) return true;
    return false;
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(cluster_tests)

BOOST_FIXTURE_TEST_CASE(every_blocking_operation_on_keys_over_all_masters, ClusterFixture) {
  RedisToolkit toolkit(config());
  const auto keys = numbered_keys("blocking", 300);
  std::set<std::size_t> masters_used;
  for (const auto& key : keys) masters_used.insert(cluster.master_of_slot(key_slot(key)));
  BOOST_REQUIRE_EQUAL(masters_used.size(), 3u);

  for (std::size_t i = 0; i < keys.size(); ++i)
    toolkit.setter(keys[i], Value::dict({{"n", static_cast<std::int64_t>(i)}, {"key", keys[i]}}));
  for (std::size_t i = 0; i < keys.size(); ++i) {
    auto back = toolkit.getter(keys[i]);
    BOOST_REQUIRE(back);
    BOOST_TEST(back->find("n")->as_int() == static_cast<std::int64_t>(i));
  }
  // The bytes on the owning master are the Python toolkit's wire format.
  toolkit.setter("blocking:raw", Value("text"));
  BOOST_TEST(run_redis_cli(port_of_master("blocking:raw"), {"GET", "blocking:raw"}) ==
             serialize_value(Value("text")));

  toolkit.setter_with_ttl("blocking:ttl", "soon gone", 100);
  const auto ttl = toolkit.get_ttl("blocking:ttl");
  BOOST_TEST(ttl > 0);
  BOOST_TEST(ttl <= 100);
  BOOST_TEST(toolkit.get_ttl("blocking:missing") == -2);
  BOOST_TEST(toolkit.deleter(keys[0]));
  BOOST_TEST(!toolkit.deleter(keys[0]));
  BOOST_TEST(!toolkit.getter(keys[0]));
  BOOST_TEST(toolkit.health_check());
  BOOST_CHECK_THROW(toolkit.setter_with_ttl("blocking:bad", 1, 0), ValidationError);
  BOOST_CHECK_THROW(toolkit.setter(std::string(600, 'k'), 1), ValidationError);
}

BOOST_FIXTURE_TEST_CASE(batches_of_ten_thousand_keys_blocking_and_async, ClusterFixture) {
  RedisToolkit toolkit(config());
  AsyncRedisToolkit async_toolkit(config());
  for (const std::string prefix : {"batch-blocking", "batch-async"}) {
    const auto keys = numbered_keys(prefix, 10000);
    KeyValues entries;
    for (std::size_t i = 0; i < keys.size(); ++i)
      entries.emplace_back(keys[i], Value(static_cast<std::int64_t>(i)));
    BatchGetResult got;
    std::int64_t removed = 0;
    if (prefix == std::string("batch-blocking")) {
      toolkit.batch_set(entries);
      got = toolkit.batch_get(keys);
      removed = toolkit.batch_delete(keys);
    } else {
      async_toolkit.batch_set(entries).get();
      got = async_toolkit.batch_get(keys).get();
      removed = async_toolkit.batch_delete(keys).get();
    }
    BOOST_REQUIRE_EQUAL(got.size(), keys.size());
    bool in_order = true;
    for (std::size_t i = 0; i < keys.size(); ++i)
      in_order = in_order && got[i].first == keys[i] && got[i].second &&
                 got[i].second->as_int() == static_cast<std::int64_t>(i);
    BOOST_TEST(in_order);
    BOOST_TEST(removed == 10000);
  }
  // A batch with one bad entry writes nothing on any node.
  KeyValues bad{{"batch-bad:1", 1}, {std::string(600, 'x'), 2}, {"batch-bad:3", 3}};
  BOOST_CHECK_THROW(toolkit.batch_set(bad), ValidationError);
  BOOST_TEST(!toolkit.getter("batch-bad:1"));
  BOOST_TEST(!toolkit.getter("batch-bad:3"));
}

BOOST_FIXTURE_TEST_CASE(every_async_operation_and_the_typed_actor, ClusterFixture) {
  AsyncRedisToolkit toolkit(config());
  const auto keys = numbered_keys("async", 60);
  std::vector<std::future<void>> writes;
  for (std::size_t i = 0; i < keys.size(); ++i)
    writes.push_back(toolkit.setter(keys[i], Value::list({static_cast<std::int64_t>(i), "x"})));
  for (auto& write : writes) write.get();
  for (std::size_t i = 0; i < keys.size(); ++i) {
    auto back = toolkit.getter(keys[i]).get();
    BOOST_REQUIRE(back);
    BOOST_TEST((*back == Value::list({static_cast<std::int64_t>(i), "x"})));
  }
  toolkit.setter_with_ttl("async:ttl", 1, 50).get();
  BOOST_TEST(toolkit.get_ttl("async:ttl").get() > 0);
  BOOST_TEST(toolkit.deleter(keys[1]).get());
  BOOST_TEST(toolkit.health_check().get());

  // The typed actor, as an actor caller uses it.
  ToolkitActor redis = toolkit.actor();
  caf::scoped_actor self(toolkit.system());
  bool stored = false;
  self->request(redis, 10s, setter_atom::value, std::string("async:actor"), Value("from an actor"))
      .receive([&](bool ok) { stored = ok; }, [&](caf::error&) { stored = false; });
  BOOST_TEST(stored);
  std::optional<Value> read;
  self->request(redis, 10s, getter_atom::value, std::string("async:actor"))
      .receive([&](std::optional<Value>& value) { read = value; }, [&](caf::error&) {});
  BOOST_TEST((read && *read == Value("from an actor")));
}

BOOST_FIXTURE_TEST_CASE(cluster_operations_in_full, ClusterFixture) {
  RedisToolkit toolkit(config());
  ClusterOperations operations(toolkit);
  const auto keys = numbered_keys("scan", 3000);
  KeyValues entries;
  for (const auto& key : keys) entries.emplace_back(key, Value(key));
  operations.mset_cluster(entries);

  auto groups = operations.group_keys_by_node(keys);
  BOOST_TEST(groups.size() == 3u);
  std::size_t grouped = 0;
  for (auto& [node, members] : groups) grouped += members.size();
  BOOST_TEST(grouped == keys.size());

  auto found = operations.scan_cluster("scan:*", 100); // small pages: many rounds
  std::set<std::string> unique(found.begin(), found.end());
  BOOST_TEST(found.size() == keys.size()); // each key once
  BOOST_TEST(unique == std::set<std::string>(keys.begin(), keys.end()));
  std::size_t paged = 0;
  operations.scan_cluster("scan:1*", [&](const std::vector<std::string>& page) { paged += page.size(); });
  BOOST_TEST(paged == 1111u); // scan:1, scan:10-19, scan:100-199, scan:1000-1999
  BOOST_TEST(toolkit.scan_keys("scan:2*").size() == 1111u);

  auto values = operations.mget_cluster({"scan:5", "scan:missing", "scan:2999"});
  BOOST_REQUIRE_EQUAL(values.size(), 3u);
  BOOST_TEST((values[0].second && *values[0].second == Value("scan:5")));
  BOOST_TEST(!values[1].second);
  BOOST_TEST(values[2].first == "scan:2999");

  auto nodes = operations.get_nodes_info();
  BOOST_REQUIRE_EQUAL(nodes.size(), 6u);
  std::set<std::string> master_ids;
  std::size_t slots = 0;
  for (const auto& node : nodes)
    if (node.role == "master") {
      master_ids.insert(node.id);
      slots += node.slot_count();
      BOOST_TEST(node.connected);
    }
  BOOST_TEST(master_ids.size() == 3u);
  BOOST_TEST(slots == 16384u);
  for (const auto& node : nodes)
    if (node.role == "replica") BOOST_TEST(master_ids.count(node.master_id) == 1u);

  BOOST_TEST(ClusterOperations::hash_tag_key("user:123", "cart") == "{user:123}:cart");
  BOOST_TEST(ClusterOperations::slot_of("{user:123}:cart") ==
             ClusterOperations::slot_of("{user:123}:orders"));

  AsyncRedisToolkit async_toolkit(config());
  AsyncClusterOperations async_operations(async_toolkit);
  BOOST_TEST(async_operations.scan_cluster("scan:*", 250).get().size() == keys.size());
  BOOST_TEST(async_operations.get_nodes_info().get().size() == 6u);
  async_operations.mset_cluster({{"scan-async:a", 1}, {"scan-async:b", 2}}).get();
  auto async_values = async_operations.mget_cluster({"scan-async:a", "scan-async:b"}).get();
  BOOST_TEST((async_values[1].second && async_values[1].second->as_int() == 2));
  BOOST_TEST(toolkit.batch_delete(keys) == 3000);
}

BOOST_FIXTURE_TEST_CASE(moved_and_ask_are_followed_during_a_real_slot_migration, ClusterFixture) {
  RedisToolkit toolkit(config());
  AsyncRedisToolkit async_toolkit(config());
  const std::string tag = "{migrating}";
  const std::uint16_t slot = key_slot(tag);
  const std::size_t source = cluster.master_of_slot(slot);
  const std::size_t target = another_master(cluster, source);
  const std::uint16_t source_port = cluster.node(source).port();
  const std::uint16_t target_port = cluster.node(target).port();
  const std::string source_id = run_redis_cli(source_port, {"CLUSTER", "MYID"});
  const std::string target_id = run_redis_cli(target_port, {"CLUSTER", "MYID"});

  std::vector<std::string> keys;
  for (int i = 0; i < 20; ++i) keys.push_back(tag + ":" + std::to_string(i));
  for (const auto& key : keys) toolkit.setter(key, key);

  // Readers and writers on the migrating slot, blocking and async, for the whole migration.
  std::atomic<bool> stop{false};
  std::atomic<long> operations{0}, failures{0};
  std::mutex failure_mutex;
  std::string first_failure;
  auto record = [&](const std::exception& e) {
    ++failures;
    std::lock_guard<std::mutex> lock(failure_mutex);
    if (first_failure.empty()) first_failure = e.what();
  };
  std::thread blocking_worker([&] {
    for (int round = 0; !stop; ++round) {
      const std::string key = keys[round % keys.size()];
      try {
        auto value = toolkit.getter(key);
        if (!value || *value != Value(key)) throw std::runtime_error("wrong value for " + key);
        toolkit.setter(tag + ":written:" + std::to_string(round % 50), round);
        ++operations;
      } catch (const std::exception& e) {
        record(e);
      }
    }
  });
  std::thread async_worker([&] {
    for (int round = 0; !stop; ++round) {
      try {
        async_toolkit.setter(tag + ":async:" + std::to_string(round % 50), round).get();
        auto value = async_toolkit.getter(keys[(round + 7) % keys.size()]).get();
        if (!value) throw std::runtime_error("missing value");
        ++operations;
      } catch (const std::exception& e) {
        record(e);
      }
    }
  });

  const long ask_before = rtk_test::error_count(source_port, "ASK");
  BOOST_TEST(run_redis_cli(target_port, {"CLUSTER", "SETSLOT", std::to_string(slot), "IMPORTING",
                                         source_id}) == "OK");
  BOOST_TEST(run_redis_cli(source_port, {"CLUSTER", "SETSLOT", std::to_string(slot), "MIGRATING",
                                         target_id}) == "OK");
  // A key the source does not have is answered with ASK: the toolkit asks the target.
  toolkit.setter(tag + ":new", 7);
  BOOST_TEST((toolkit.getter(tag + ":new") == std::optional<Value>(Value(7))));
  // The workers run against the slot while it is migrating (ASK) before the keys move.
  const long before_moves = operations.load();
  rtk_test::wait_until([&] { return operations.load() >= before_moves + 50; }, 15s,
                       "workers running on the migrating slot");
  // Move the keys one at a time, reading as they go.
  for (const auto& key : keys) {
    run_redis_cli(source_port, {"MIGRATE", "127.0.0.1", std::to_string(target_port), key, "0", "5000"});
    BOOST_TEST((toolkit.getter(key) == std::optional<Value>(Value(key))));
  }
  // Whatever the workers wrote on the source meanwhile moves too.
  for (int pass = 0; pass < 50; ++pass) {
    std::string left = run_redis_cli(source_port, {"CLUSTER", "GETKEYSINSLOT", std::to_string(slot), "100"});
    if (left.empty()) break;
    std::vector<std::string> arguments{"MIGRATE", "127.0.0.1", std::to_string(target_port), "", "0",
                                       "5000", "KEYS"};
    std::size_t start = 0;
    while (start < left.size()) {
      std::size_t end = left.find('\n', start);
      if (end == std::string::npos) end = left.size();
      if (end > start) arguments.push_back(left.substr(start, end - start));
      start = end + 1;
    }
    run_redis_cli(source_port, arguments);
  }
  BOOST_TEST(rtk_test::error_count(source_port, "ASK") > ask_before);

  const long moved_before = rtk_test::error_count(source_port, "MOVED");
  for (std::size_t node = 0; node < cluster.size(); ++node)
    if (cluster.node(node).running())
      // In node order: the owners disagree for a moment (replicas refuse SETSLOT: fine).
      run_redis_cli(cluster.node(node).port(),
                    {"CLUSTER", "SETSLOT", std::to_string(slot), "NODE", target_id});
  // The router still believes the source: MOVED, then the table is right.
  BOOST_TEST((toolkit.getter(keys[3]) == std::optional<Value>(Value(keys[3]))));
  // The workers carry on after the slot's owner changed (MOVED).
  const long before_stop = operations.load();
  rtk_test::wait_until([&] { return operations.load() >= before_stop + 50; }, 15s,
                       "workers running after the migration");
  stop = true;
  blocking_worker.join();
  async_worker.join();
  BOOST_TEST(rtk_test::error_count(source_port, "MOVED") > moved_before);
  const long moved_settled = rtk_test::error_count(source_port, "MOVED");
  for (int i = 0; i < 20; ++i) BOOST_TEST((toolkit.getter(keys[i % keys.size()]).has_value()));
  BOOST_TEST(rtk_test::error_count(source_port, "MOVED") == moved_settled); // table updated
  BOOST_TEST(cluster.master_of_slot(slot) == target);
  BOOST_TEST_MESSAGE("operations during the migration: " << operations.load());
  BOOST_TEST(operations.load() > 0);
  BOOST_TEST(failures.load() == 0, "first failure: " << first_failure);
}

BOOST_FIXTURE_TEST_CASE(classic_and_sharded_pubsub_blocking_and_async, ClusterFixture) {
  Inbox classic, sharded, async_inbox; // first: they outlive the toolkits that stop the handlers
  RedisToolkit toolkit(config());
  AsyncRedisToolkit async_toolkit(config());
  auto classic_subscription = toolkit.subscribe({"cluster-news"}, classic.handler());
  std::vector<std::string> channels;
  for (std::size_t master : cluster.masters())
    channels.push_back(channel_on_master(cluster, master, "shard-news-"));
  auto sharded_subscription = toolkit.subscribe(channels, sharded.handler(), PubSubKind::sharded);
  auto async_subscription =
      async_toolkit.subscribe({channels[1]}, async_inbox.handler(), PubSubKind::sharded).get();

  toolkit.publisher("cluster-news", Value("via the toolkit"));
  // Other clients publish classically on any node, a replica included.
  const std::uint16_t replica_port = cluster.node(cluster.replicas().front()).port();
  run_redis_cli(replica_port, {"PUBLISH", "cluster-news", serialize_value(Value("via a replica"))});
  for (const auto& channel : channels)
    BOOST_TEST(toolkit.publisher(channel, Value(channel), PubSubKind::sharded) >= 1);
  rtk_test::wait_until([&] { return classic.has("cluster-news", Value("via the toolkit")) &&
                                    classic.has("cluster-news", Value("via a replica")); },
                       10s, "classic messages delivered");
  rtk_test::wait_until([&] {
    for (const auto& channel : channels)
      if (!sharded.has(channel, Value(channel))) return false;
    return async_inbox.has(channels[1], Value(channels[1]));
  }, 10s, "sharded messages delivered on all three masters");
  auto statistics = sharded_subscription.statistics();
  BOOST_TEST(statistics.channels.size() == 3u);
  BOOST_TEST(statistics.messages == 3u);
  BOOST_TEST(async_toolkit.publisher(channels[2], Value(2), PubSubKind::sharded).get() >= 1);
  rtk_test::wait_until([&] { return sharded.has(channels[2], Value(2)); }, 10s,
                       "the async publish delivered");
}

BOOST_FIXTURE_TEST_CASE(pool_stats_cover_every_node_and_sum_up, ClusterFixture) {
  RedisOptions own_pool; // a router of its own: counts of this test's requests only
  own_pool.use_connection_pool = false;
  RedisToolkit toolkit(config(), own_pool);
  std::set<std::uint16_t> master_ports;
  for (std::size_t master : cluster.masters()) {
    const std::string key = "{" + channel_on_master(cluster, master, "pool") + "}:k";
    master_ports.insert(port_of_master(key));
    for (int i = 0; i < 10; ++i) toolkit.setter(key, i);
  }
  BOOST_TEST_REQUIRE(master_ports.size() == 3u);
  const PoolStatistics total = toolkit.pool_stats();
  BOOST_TEST(total.server.rfind("cluster ", 0) == 0u, total.server);
  std::uint64_t requests = 0, created = 0, open = 0, in_flight = 0, retries = 0;
  std::set<std::uint16_t> served;
  for (const PoolStatistics& node : total.nodes) {
    BOOST_TEST(node.nodes.empty());
    requests += node.requests_total;
    created += node.connections_created;
    open += node.connections_open;
    in_flight += node.requests_in_flight;
    retries += node.retries;
    if (node.requests_total >= 10u)
      served.insert(NodeAddress::parse(node.server).port);
  }
  BOOST_TEST(requests == total.requests_total);
  BOOST_TEST(created == total.connections_created);
  BOOST_TEST(open == total.connections_open);
  BOOST_TEST(in_flight == total.requests_in_flight);
  BOOST_TEST(retries == total.retries);
  BOOST_TEST(total.requests_total >= 30u);
  // The writes to the three masters show up on those three nodes.
  BOOST_TEST((served == master_ports));
}

BOOST_FIXTURE_TEST_CASE(readonly_mode_reads_from_replicas, ClusterFixture) {
  RedisToolkit writer(config());
  // WAIT on the toolkit's own connection: a WAIT from another client covers none of its writes.
  BOOST_REQUIRE(writer.setter_durable("replica-read", "from a replica", 1, 10s) >= 1);
  const std::size_t replica = cluster.replica_of(cluster.master_of_slot(key_slot("replica-read")));
  const std::uint16_t replica_port = cluster.node(replica).port();
  auto gets = [&] {
    const std::string stat = rtk_test::info_field(replica_port, "commandstats", "cmdstat_get");
    return stat.empty() ? 0L : std::stol(stat.substr(stat.find("calls=") + 6));
  };
  const long before = gets();
  RedisConnectionConfig readonly = config();
  readonly.readonly_mode = true;
  RedisToolkit reader(readonly);
  for (int i = 0; i < 5; ++i)
    BOOST_TEST((reader.getter("replica-read") == std::optional<Value>(Value("from a replica"))));
  BOOST_TEST(gets() >= before + 5);
}

BOOST_AUTO_TEST_CASE(cluster_mode_against_a_single_server_is_a_clear_cluster_error) {
  auto server = RedisServerProcess::start();
  RedisConnectionConfig config;
  config.cluster_mode = true;
  config.startup_nodes = {NodeAddress{"127.0.0.1", server.port()}};
  config.connection_timeout = 1000ms;
  config.socket_timeout = 1000ms;
  RedisToolkit toolkit(config);
  const auto started = std::chrono::steady_clock::now();
  try {
    toolkit.setter("k", 1);
    BOOST_FAIL("expected a ClusterError");
  } catch (const ClusterError& e) {
    BOOST_TEST(std::string(e.what()).find("cluster_mode") != std::string::npos, e.what());
  }
  BOOST_TEST((std::chrono::steady_clock::now() - started < 10s));
  BOOST_TEST(!toolkit.health_check());
  BOOST_TEST(run_redis_cli(server.port(), {"DBSIZE"}) == "0");
}

BOOST_AUTO_TEST_CASE(no_reachable_startup_node_is_a_connection_error_within_the_timeouts) {
  RedisConnectionConfig config;
  config.cluster_mode = true;
  config.startup_nodes = {NodeAddress{"127.0.0.1", find_free_loopback_port()},
                          NodeAddress{"127.0.0.1", find_free_loopback_port()}};
  config.connection_timeout = 500ms;
  config.socket_timeout = 500ms;
  RedisOptions options;
  options.retry_attempts = 2;
  RedisToolkit toolkit(config, options);
  const auto started = std::chrono::steady_clock::now();
  try {
    toolkit.getter("k");
    BOOST_FAIL("expected a ConnectionError");
  } catch (const ConnectionError& e) {
    BOOST_TEST(std::string(e.what()).find("no reachable startup node") != std::string::npos,
               e.what());
  }
  BOOST_TEST((std::chrono::steady_clock::now() - started < 10s));
  AsyncRedisToolkit async_toolkit(config, options);
  BOOST_CHECK_THROW(async_toolkit.setter("k", 1).get(), ConnectionError);
  BOOST_TEST(!async_toolkit.health_check().get());
}

BOOST_FIXTURE_TEST_CASE(metrics_count_one_redirection_per_moved_reply, ClusterFixture) {
  RedisToolkit toolkit(config());
  const std::string tag = "{metrics-moved}";
  const std::uint16_t slot = key_slot(tag);
  const std::size_t source = cluster.master_of_slot(slot);
  const std::size_t target = another_master(cluster, source);
  const std::uint16_t source_port = cluster.node(source).port();
  const std::string target_id = run_redis_cli(cluster.node(target).port(), {"CLUSTER", "MYID"});
  BOOST_TEST(toolkit.command({"GET", tag + ":first"}).is_nil()); // the router knows the table now
  const ToolkitMetrics before = toolkit.metrics();
  BOOST_TEST(before.redirections_moved == 0u);

  // The slot holds no key: it moves at once, and the router's table is stale. Importing first,
  // so that the target's NODE bumps its config epoch: otherwise gossip from the old owner may win
  // the slot back for a moment, and the two bounce the commands between them.
  const std::uint16_t target_port = cluster.node(target).port();
  const std::string source_id = run_redis_cli(source_port, {"CLUSTER", "MYID"});
  const std::string slot_text = std::to_string(slot);
  BOOST_TEST(run_redis_cli(target_port, {"CLUSTER", "SETSLOT", slot_text, "IMPORTING", source_id}) == "OK");
  BOOST_TEST(run_redis_cli(source_port, {"CLUSTER", "SETSLOT", slot_text, "MIGRATING", target_id}) == "OK");
  BOOST_TEST(run_redis_cli(target_port, {"CLUSTER", "SETSLOT", slot_text, "NODE", target_id}) == "OK");
  BOOST_TEST(run_redis_cli(source_port, {"CLUSTER", "SETSLOT", slot_text, "NODE", target_id}) == "OK");
  for (std::size_t master : cluster.masters())
    if (master != source && master != target)
      run_redis_cli(cluster.node(master).port(), {"CLUSTER", "SETSLOT", slot_text, "NODE", target_id});
  const long moved_before = rtk_test::error_count(source_port, "MOVED");
  // One pipeline to the old owner: each of its commands is answered MOVED, and followed.
  constexpr int commands = 5;
  Pipeline pipeline = toolkit.pipeline();
  for (int i = 0; i < commands; ++i) pipeline.add({"GET", tag + ":" + std::to_string(i)});
  for (const Reply& reply : pipeline.execute()) BOOST_TEST(reply.is_nil());
  const long moved_replies = rtk_test::error_count(source_port, "MOVED") - moved_before;
  BOOST_TEST(moved_replies == commands);
  ToolkitMetrics after = toolkit.metrics();
  BOOST_TEST(after.redirections_moved - before.redirections_moved == std::uint64_t(moved_replies));
  BOOST_TEST(after.redirections_ask == 0u);
  // The table was corrected by the first MOVED: nothing more is redirected.
  BOOST_TEST(toolkit.command({"GET", tag + ":last"}).is_nil());
  rtk_test::wait_until([&] { return toolkit.metrics().topology_refreshes > before.topology_refreshes; },
                       10s, "a topology refresh after MOVED");
  after = toolkit.metrics();
  BOOST_TEST(after.redirections_moved - before.redirections_moved == std::uint64_t(moved_replies));
  const CommandMetrics* get = after.command("get");
  BOOST_REQUIRE(get != nullptr);
  BOOST_TEST(get->ok == std::uint64_t(commands + 2)); // a redirected call is still one call
  BOOST_TEST(get->latency.count == get->total());
  BOOST_TEST(after.nodes.size() >= 6u); // every node the router learned, replicas included
  BOOST_TEST(after.pending_calls == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
