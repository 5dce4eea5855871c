// A frozen master under a subscriber, in a real 3-master 3-replica cluster: the node is stopped
// with SIGSTOP (its sockets stay open, nothing answers), so only the health check can tell. The
// sharded subscriber, which lives on its channel's slot master, must find the connection dead and
// move to the replica the cluster promotes in its place. Waits have deadlines, never sleeps.
#include "cluster_fixture.hpp"
#include "redis_cli.hpp"
#include "toolkit_fixture.hpp"

#include "redis_toolkit/errors.hpp"
#include "redis_toolkit/key_slot.hpp"
#include "redis_toolkit/toolkit.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <sstream>

using namespace redis_toolkit;
using namespace std::chrono_literals;
using rtk_test::suite_cluster;

namespace {

/// Whether the node at `observer` sees the node at `port` as a master that is not failing, and
/// reports cluster_state:ok. False while `observer` does not answer.
bool promoted_and_ok(std::uint16_t observer, std::uint16_t port) {
  try {
    if (rtk_test::run_redis_cli(observer, {"CLUSTER", "INFO"}, 2s).find("cluster_state:ok") ==
        std::string::npos)
      return false;
    std::istringstream nodes(rtk_test::run_redis_cli(observer, {"CLUSTER", "NODES"}, 2s));
    const std::string address = ":" + std::to_string(port) + "@";
    for (std::string line; std::getline(nodes, line);) {
      std::istringstream fields(line);
      std::string id, node_address, flags;
      fields >> id >> node_address >> flags;
      if (node_address.find(address) != std::string::npos)
        return flags.find("master") != std::string::npos && flags.find("fail") == std::string::npos;
    }
  } catch (const std::exception&) {
  }
  return false;
}

} // namespace

BOOST_AUTO_TEST_SUITE(cluster_fault_tests)

BOOST_AUTO_TEST_CASE(a_sharded_subscriber_moves_off_a_frozen_master_with_its_slot) {
  LocalCluster& cluster = suite_cluster();
  // A frozen node is found dead within about a second.
  RedisToolkit toolkit(rtk_test::short_timeouts(rtk_test::cluster_config(cluster)),
                       rtk_test::quick_health_checks(rtk_test::quiet_options()));
  const std::string channel = "frozen-shard";
  std::atomic<int> before{0};
  std::atomic<int> after{0};
  auto subscription = toolkit.subscribe(
      {channel},
      [&](const std::string&, const Value& value) { ++(value == Value("after") ? after : before); },
      PubSubKind::sharded);
  rtk_test::wait_until(
      [&] {
        toolkit.publisher(channel, Value("before"), PubSubKind::sharded);
        return before.load() > 0;
      },
      10s, "the first message");

  // The subscriber is on the master of its channel's slot.
  const std::size_t serving = cluster.index_of(NodeAddress::parse(subscription.statistics().server));
  BOOST_REQUIRE(serving == cluster.master_of_slot(key_slot(channel)));
  const std::size_t replica = cluster.replica_of(serving);
  std::size_t observer = serving;
  for (std::size_t master : cluster.masters())
    if (master != serving) observer = master;
  BOOST_REQUIRE(observer != serving);
  const std::uint64_t reconnects = subscription.statistics().reconnects;
  BOOST_TEST_MESSAGE("subscriber on master " << serving << ", freezing it; replica " << replica);

  {
    cluster.node(serving).pause();
    rtk_test::Resume resume{cluster.node(serving)};
    rtk_test::wait_until(
        [&] { return promoted_and_ok(cluster.node(observer).port(), cluster.node(replica).port()); },
        30s, "the cluster promoting the frozen master's replica");
    // Messages published while the subscriber moves are lost (pub/sub is at most once): publish
    // until one arrives, through the new master. The old one is still frozen.
    rtk_test::wait_until(
        [&] {
          try {
            toolkit.publisher(channel, Value("after"), PubSubKind::sharded);
          } catch (const RedisToolkitError&) {
            // The toolkit may not know the new master yet.
          }
          return after.load() > 0;
        },
        15s, "the subscriber delivering from the promoted replica");
    const SubscriptionStatistics statistics = subscription.statistics();
    BOOST_TEST(statistics.reconnects > reconnects); // the health check declared the node dead
    BOOST_TEST(statistics.server == cluster.addresses().at(replica).to_string());
  }
  // The old master rejoins as a replica of the new one.
  cluster.wait_until_healthy(30s);
}

BOOST_AUTO_TEST_SUITE_END()
