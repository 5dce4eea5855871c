// Pattern subscriptions on a real 3-master 3-replica cluster: one node serves them (classic
// pub/sub reaches every node, so messages published on any node arrive), and they follow a master
// failover by themselves.
#include "cluster_fixture.hpp"
#include "redis_cli.hpp"
#include "toolkit_fixture.hpp"

#include "redis_toolkit/toolkit.hpp"
#include "redis_toolkit/wire_format.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <mutex>
#include <set>
#include <thread>

using namespace redis_toolkit;
using namespace std::chrono_literals;
using rtk_test::quiet_options;
using rtk_test::suite_cluster;

namespace {

/// The channels a pattern handler received, with the pattern that matched ("pattern channel").
struct Inbox {
  std::mutex mutex;
  std::set<std::string> seen;
  PatternMessageHandler handler() {
    return [this](const std::string& pattern, const std::string& channel, const Value& value) {
      std::lock_guard<std::mutex> lock(mutex);
      seen.insert(pattern + " " + channel + " " + value.as_string());
    };
  }
  bool has(const std::string& entry) {
    std::lock_guard<std::mutex> lock(mutex);
    return seen.count(entry) > 0;
  }
};

/// How many patterns each node's clients are subscribed to (PUBSUB NUMPAT is per node).
std::vector<long> numpat_per_node(LocalCluster& cluster) {
  std::vector<long> counts;
  for (std::size_t node = 0; node < cluster.size(); ++node) {
    try {
      counts.push_back(std::stol(rtk_test::run_redis_cli(cluster.node(node).port(), {"PUBSUB", "NUMPAT"}, 5s)));
    } catch (const std::exception&) {
      counts.push_back(-1); // a node that is down
    }
  }
  return counts;
}

} // namespace

BOOST_AUTO_TEST_SUITE(cluster_psubscribe_tests)

BOOST_AUTO_TEST_CASE(one_node_serves_a_pattern_and_hears_every_node) {
  LocalCluster& cluster = suite_cluster();
  RedisToolkit toolkit(rtk_test::cluster_config(cluster), quiet_options());
  Inbox inbox;
  auto subscription = toolkit.psubscribe({"cps.*"}, inbox.handler());
  const auto counts = numpat_per_node(cluster);
  BOOST_TEST(std::count(counts.begin(), counts.end(), 1) == 1); // one node, one pattern
  BOOST_TEST(std::count(counts.begin(), counts.end(), 0) == static_cast<long>(cluster.size()) - 1);
  // A message published on any node, master or replica, reaches it.
  for (std::size_t node = 0; node < cluster.size(); ++node)
    rtk_test::run_redis_cli(cluster.node(node).port(),
                            {"PUBLISH", "cps." + std::to_string(node), serialize_value(Value("x"))});
  rtk_test::wait_until(
      [&] {
        for (std::size_t node = 0; node < cluster.size(); ++node)
          if (!inbox.has("cps.* cps." + std::to_string(node) + " x")) return false;
        return true;
      },
      10s, "a message from every node");
}

BOOST_AUTO_TEST_CASE(a_pattern_subscription_follows_a_master_failover) {
  LocalCluster& cluster = suite_cluster();
  RedisToolkit toolkit(rtk_test::cluster_config(cluster), quiet_options());
  Inbox inbox;
  auto subscription = toolkit.psubscribe({"fo.*"}, inbox.handler());
  toolkit.publisher("fo.before", Value("1"));
  rtk_test::wait_until([&] { return inbox.has("fo.* fo.before 1"); }, 10s, "the first message");

  // Kill the subscriber's node when it is a master; when it is a replica, kill its master: a
  // master fails over either way, and the subscriber must deliver afterwards.
  const std::size_t serving = cluster.index_of(NodeAddress::parse(subscription.statistics().server));
  const auto masters = cluster.masters();
  std::size_t victim = serving;
  if (std::find(masters.begin(), masters.end(), serving) == masters.end())
    for (std::size_t master : masters)
      if (cluster.replica_of(master) == serving) victim = master;
  BOOST_TEST_MESSAGE("subscriber on node " << serving << ", killing master " << victim);
  cluster.node(victim).kill_hard();
  cluster.wait_until_healthy(20s);

  // Publish until it arrives: messages published while the subscriber reconnects are lost
  // (pub/sub is at most once).
  rtk_test::wait_until(
      [&] {
        toolkit.publisher("fo.after", Value("2"));
        return inbox.has("fo.* fo.after 2");
      },
      15s, "the pattern subscriber delivering after the failover");
  if (victim == serving) BOOST_TEST(subscription.statistics().reconnects >= 1u);
  const auto counts = numpat_per_node(cluster);
  BOOST_TEST(std::count(counts.begin(), counts.end(), 1) == 1); // still on exactly one node

  cluster.restart_node(victim);
  cluster.wait_until_healthy(30s);
}

BOOST_AUTO_TEST_SUITE_END()
