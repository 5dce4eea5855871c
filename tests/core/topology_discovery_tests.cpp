// How the router learns its slot table, without a router actor or a server: TopologyDiscovery
// over a RouterCore, driven through a port that records the queries and the core's pipelines.
// Each case plays the nodes and the sentinels by answering the queries it sees.
#include "reply_builders.hpp"
#include "router_core.hpp"
#include "topology_discovery.hpp"

#include "redis_toolkit/key_slot.hpp"

#include <boost/test/unit_test.hpp>

#include <map>

using namespace redis_toolkit;
using namespace redis_toolkit::detail;
using rtk_test::array;
using rtk_test::error;
using rtk_test::integer;
using rtk_test::text;

namespace {

struct Asked {
  std::uint64_t id;
  DiscoveryTarget target;
  std::vector<std::string> command;
};

/// One port for both: the core's pipelines and answers, discovery's queries and timers.
class RecordingPort final : public RouterPort, public DiscoveryPort {
public:
  std::vector<ConnectionRef> sent_to;
  std::map<std::uint64_t, std::vector<Reply>> answers;
  std::vector<Asked> asked;
  std::vector<RouterClock::duration> timers;
  int ended = 0;
  std::vector<NodeAddress> moved_to;
  RouterClock::time_point clock = RouterClock::time_point(std::chrono::hours(1));
  RouterCore* core = nullptr;

  // RouterPort
  void parts_queued() override {}
  void send(ConnectionRef connection, CommandBatch&&, std::uint64_t) override {
    sent_to.push_back(connection);
  }
  void answer(std::uint64_t caller, std::vector<Reply>&& replies) override {
    answers[caller] = std::move(replies);
  }
  void start_timer(RouterTimer, std::uint64_t, RouterClock::duration) override {}
  void refresh_topology() override {}
  void topology_needed() override {}
  RouterClock::time_point now() override { return clock; }
  // DiscoveryPort
  void query(std::uint64_t id, DiscoveryTarget target, std::vector<std::string> command) override {
    asked.push_back(Asked{id, target, std::move(command)});
  }
  void start_refresh_timer(RouterClock::duration after) override { timers.push_back(after); }
  void discovery_ended() override { ++ended; }
  void master_moved(const NodeAddress& master) override { moved_to.push_back(master); }

  std::vector<Asked> take_asked() {
    std::vector<Asked> taken;
    taken.swap(asked);
    return taken;
  }
  /// The addresses the queries went to, nodes by the core's names for them.
  std::vector<std::string> nodes_asked(const std::vector<Asked>& queries) const {
    std::vector<std::string> nodes;
    for (const Asked& query : queries)
      nodes.push_back(core->address(static_cast<std::int32_t>(query.target.index)).to_string());
    return nodes;
  }
};

const NodeAddress node_a{"127.0.0.1", 7000};
const NodeAddress node_b{"127.0.0.1", 7001};
const NodeAddress node_c{"127.0.0.1", 7002};
const NodeAddress replica_a{"127.0.0.1", 7003};

RouterCoreSettings cluster_core() {
  RouterCoreSettings settings;
  settings.cluster = true;
  settings.server_name = "cluster 127.0.0.1:7000";
  settings.max_connections = 1;
  return settings;
}

using Shard = std::pair<NodeAddress, std::pair<int, int>>; // master, slots [first, last]

/// CLUSTER SHARDS as Redis 7 writes it: per shard "slots" and "nodes", each node a field list.
Reply shards_reply(const std::vector<Shard>& shards) {
  std::vector<Reply> entries;
  for (const auto& [master, slots] : shards) {
    const Reply node = array({text("id"), text("x"), text("port"), integer(master.port),
                              text("ip"), text(master.host), text("role"), text("master"),
                              text("health"), text("online")});
    entries.push_back(array({text("slots"), array({integer(slots.first), integer(slots.second)}),
                             text("nodes"), array({node})}));
  }
  return array(entries);
}

Reply three_masters_reply() {
  return shards_reply({{node_a, {0, 5460}}, {node_b, {5461, 10922}}, {node_c, {10923, 16383}}});
}

Reply connection_refused() {
  return Reply::failure(Reply::Type::connection_failed, "", "Connection refused");
}

CommandRequest get(const std::string& key) {
  CommandRequest request;
  request.add({"GET", key}, key_slot(key));
  return request;
}

/// A core and a discovery over it, the seeds a and b.
struct Cluster {
  RecordingPort port;
  RouterCore core{cluster_core(), port};
  TopologyDiscovery discovery{settings(), core, port};

  Cluster() { port.core = &core; }

  static DiscoverySettings settings() {
    DiscoverySettings settings;
    settings.seeds = {node_a, node_b};
    return settings;
  }

  /// Submits a GET (caller 1), which waits for the table, then starts a discovery: its queries.
  std::vector<Asked> start_with_a_waiting_call() {
    CommandRequest request = get("k");
    core.submit(request, 1);
    discovery.start();
    return port.take_asked();
  }

  /// Starts a discovery and answers its first query with three masters.
  void discover() {
    discovery.start();
    std::vector<Asked> asked = port.take_asked();
    BOOST_REQUIRE(!asked.empty());
    discovery.take_reply(asked.front().id, three_masters_reply());
    BOOST_REQUIRE(core.ready());
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(topology_discovery_tests)

BOOST_AUTO_TEST_CASE(the_first_answer_gives_the_table_and_later_ones_are_dropped) {
  Cluster cluster;
  std::vector<Asked> asked = cluster.start_with_a_waiting_call();
  BOOST_TEST(cluster.port.nodes_asked(asked) == (std::vector<std::string>{"127.0.0.1:7000",
                                                                          "127.0.0.1:7001"}),
             boost::test_tools::per_element());
  BOOST_TEST(asked[0].command == (std::vector<std::string>{"CLUSTER", "SHARDS"}),
             boost::test_tools::per_element());
  BOOST_TEST(cluster.discovery.running());

  cluster.discovery.take_reply(asked[1].id, three_masters_reply());
  BOOST_TEST(cluster.core.ready());
  BOOST_TEST(!cluster.discovery.running());
  BOOST_TEST(cluster.port.ended == 1);
  BOOST_TEST(cluster.core.masters().size() == 3u);
  cluster.core.flush();
  BOOST_TEST(cluster.port.sent_to.size() == 1u); // the waiting GET went out

  // The slower node's answer, even a different one, changes nothing.
  cluster.discovery.take_reply(asked[0].id, shards_reply({{node_a, {0, 16383}}}));
  BOOST_TEST(cluster.core.masters().size() == 3u);
  BOOST_TEST(cluster.port.ended == 1);
}

BOOST_AUTO_TEST_CASE(a_node_without_cluster_shards_is_asked_cluster_slots) {
  Cluster cluster;
  cluster.discovery.start();
  std::vector<Asked> asked = cluster.port.take_asked();
  cluster.discovery.take_reply(asked[0].id, error("ERR unknown subcommand 'SHARDS'"));
  std::vector<Asked> again = cluster.port.take_asked();
  BOOST_REQUIRE(again.size() == 1u);
  BOOST_TEST(again[0].command == (std::vector<std::string>{"CLUSTER", "SLOTS"}),
             boost::test_tools::per_element());
  BOOST_TEST(again[0].target.index == asked[0].target.index);
  // CLUSTER SLOTS: [first, last, [host, port, id]] per range.
  const Reply slots = array({array({integer(0), integer(16383),
                                    array({text("127.0.0.1"), integer(7000), text("id")})})});
  cluster.discovery.take_reply(again[0].id, slots);
  BOOST_TEST(cluster.core.ready());
  BOOST_TEST(cluster.core.masters().size() == 1u);
}

BOOST_AUTO_TEST_CASE(no_reachable_seed_fails_the_waiting_calls_naming_each_seed) {
  Cluster cluster;
  std::vector<Asked> asked = cluster.start_with_a_waiting_call();
  cluster.discovery.take_reply(asked[0].id, connection_refused());
  BOOST_TEST(cluster.port.answers.empty()); // b may still answer
  cluster.discovery.take_reply(asked[1].id, connection_refused());
  BOOST_REQUIRE(cluster.port.answers.count(1) == 1u);
  const Reply& failed = cluster.port.answers[1].at(0);
  BOOST_TEST((failed.type == Reply::Type::connection_failed));
  BOOST_TEST(failed.text.find("no reachable startup node") != std::string::npos);
  BOOST_TEST(failed.text.find("127.0.0.1:7000: Connection refused") != std::string::npos);
  BOOST_TEST(failed.text.find("127.0.0.1:7001: Connection refused") != std::string::npos);
  BOOST_TEST(!cluster.discovery.running());
  BOOST_TEST(cluster.port.ended == 1);
}

BOOST_AUTO_TEST_CASE(a_server_without_cluster_mode_is_a_cluster_failure) {
  Cluster cluster;
  std::vector<Asked> asked = cluster.start_with_a_waiting_call();
  cluster.discovery.take_reply(asked[0].id, error("ERR This instance has cluster support disabled"));
  cluster.discovery.take_reply(asked[1].id, connection_refused());
  BOOST_TEST(cluster.port.asked.empty()); // no CLUSTER SLOTS for a server that is no node
  const Reply& failed = cluster.port.answers.at(1).at(0);
  BOOST_TEST((failed.type == Reply::Type::cluster_failed));
  BOOST_TEST(failed.text.find("turn cluster_mode off") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_answer_of_another_shape_or_with_no_slots_is_that_nodes_failure) {
  Cluster cluster;
  std::vector<Asked> asked = cluster.start_with_a_waiting_call();
  cluster.discovery.take_reply(asked[0].id, text("not a list"));
  cluster.discovery.take_reply(asked[1].id, array({}));
  const Reply& failed = cluster.port.answers.at(1).at(0);
  BOOST_TEST((failed.type == Reply::Type::cluster_failed));
  BOOST_TEST(failed.text.find("127.0.0.1:7000: ") != std::string::npos);
  BOOST_TEST(failed.text.find("127.0.0.1:7001: it serves no slots yet") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_partly_covered_first_table_is_refused_and_fails_the_waiting_calls) {
  Cluster cluster;
  std::vector<Asked> asked = cluster.start_with_a_waiting_call();
  cluster.discovery.take_reply(asked[0].id, shards_reply({{node_a, {0, 99}}}));
  BOOST_TEST(!cluster.core.ready());
  const Reply& failed = cluster.port.answers.at(1).at(0);
  BOOST_TEST((failed.type == Reply::Type::cluster_failed));
  BOOST_TEST(failed.text.find("serves 100 of 16384 slots") != std::string::npos);
  BOOST_TEST(!cluster.discovery.running());
}

BOOST_AUTO_TEST_CASE(refreshes_ask_the_masters_and_start_once_per_interval) {
  Cluster cluster;
  cluster.discover();
  // Right after a discovery: a timer for the rest of the interval, not a query.
  cluster.port.clock += std::chrono::milliseconds(30);
  cluster.discovery.refresh();
  BOOST_TEST(cluster.port.asked.empty());
  BOOST_REQUIRE(cluster.port.timers.size() == 1u);
  BOOST_TEST((cluster.port.timers[0] == std::chrono::milliseconds(70)));
  cluster.discovery.refresh(); // already scheduled: nothing more
  BOOST_TEST(cluster.port.timers.size() == 1u);

  cluster.port.clock += std::chrono::milliseconds(70);
  cluster.discovery.timer_fired();
  std::vector<Asked> asked = cluster.port.take_asked();
  BOOST_TEST(cluster.port.nodes_asked(asked) ==
                 (std::vector<std::string>{"127.0.0.1:7000", "127.0.0.1:7001", "127.0.0.1:7002"}),
             boost::test_tools::per_element());

  // Asked for while running: one more discovery once this one ends, rate-limited as ever.
  cluster.discovery.refresh();
  cluster.discovery.refresh();
  BOOST_TEST(cluster.port.asked.empty());
  cluster.port.clock += std::chrono::milliseconds(10);
  cluster.discovery.take_reply(asked[2].id, three_masters_reply());
  BOOST_REQUIRE(cluster.port.timers.size() == 2u);
  BOOST_TEST((cluster.port.timers[1] == std::chrono::milliseconds(90)));
  cluster.port.clock += std::chrono::milliseconds(90);
  cluster.discovery.timer_fired();
  BOOST_TEST(cluster.port.take_asked().size() == 3u);
}

BOOST_AUTO_TEST_CASE(when_every_master_fails_the_table_stays_and_the_next_discovery_asks_everyone) {
  Cluster cluster;
  cluster.discover();
  cluster.port.clock += std::chrono::seconds(1);
  cluster.discovery.refresh();
  std::vector<Asked> asked = cluster.port.take_asked();
  BOOST_REQUIRE(asked.size() == 3u);
  for (const Asked& query : asked) cluster.discovery.take_reply(query.id, connection_refused());
  BOOST_TEST(cluster.core.ready()); // routing goes on by the table it has
  BOOST_TEST(cluster.core.masters().size() == 3u);
  BOOST_TEST(!cluster.discovery.running());

  cluster.core.node_for_address(replica_a); // a node learned since (a replica, say)
  cluster.port.clock += std::chrono::seconds(1);
  cluster.discovery.refresh();
  asked = cluster.port.take_asked();
  BOOST_TEST(cluster.port.nodes_asked(asked) ==
                 (std::vector<std::string>{"127.0.0.1:7000", "127.0.0.1:7001", "127.0.0.1:7002",
                                           "127.0.0.1:7003"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(one_discovery_asks_at_most_fan_out_nodes) {
  RecordingPort port;
  RouterCore core(cluster_core(), port);
  port.core = &core;
  DiscoverySettings settings;
  for (std::uint16_t port_number = 7000; port_number < 7020; ++port_number)
    settings.seeds.push_back(NodeAddress{"127.0.0.1", port_number});
  settings.fan_out = 5;
  TopologyDiscovery discovery(settings, core, port);
  discovery.start();
  BOOST_TEST(port.take_asked().size() == 5u);
}

BOOST_AUTO_TEST_CASE(after_shut_down_replies_and_refreshes_do_nothing) {
  Cluster cluster;
  std::vector<Asked> asked = cluster.start_with_a_waiting_call();
  cluster.discovery.shut_down();
  cluster.discovery.take_reply(asked[0].id, three_masters_reply());
  BOOST_TEST(!cluster.core.ready());
  cluster.discovery.refresh();
  cluster.discovery.timer_fired();
  BOOST_TEST(cluster.port.asked.empty());
  BOOST_TEST(cluster.port.timers.empty());
}

BOOST_AUTO_TEST_CASE(discovery_without_seeds_is_refused) {
  RecordingPort port;
  RouterCore core(cluster_core(), port);
  BOOST_CHECK_THROW(TopologyDiscovery(DiscoverySettings{}, core, port), std::invalid_argument);
  DiscoverySettings sentinels;
  sentinels.sentinel_mode = true;
  BOOST_CHECK_THROW(TopologyDiscovery(sentinels, core, port), std::invalid_argument);
}

// ---- Sentinel mode ----

namespace {

const NodeAddress sentinel_1{"127.0.0.1", 26379};
const NodeAddress sentinel_2{"127.0.0.1", 26380};
const NodeAddress master_1{"127.0.0.1", 6380};
const NodeAddress master_2{"127.0.0.1", 6381};

Reply address_reply(const NodeAddress& address) {
  return array({text(address.host), text(std::to_string(address.port))});
}

Reply role_reply(const std::string& role) { return array({text(role), integer(0), array({})}); }

struct Sentinels {
  RecordingPort port;
  RouterCore core{sentinel_core(), port};
  TopologyDiscovery discovery;

  explicit Sentinels(bool readonly = false) : discovery(settings(readonly), core, port) {
    port.core = &core;
  }

  static RouterCoreSettings sentinel_core() {
    RouterCoreSettings settings = cluster_core();
    settings.sentinel_mode = true;
    return settings;
  }
  static DiscoverySettings settings(bool readonly) {
    DiscoverySettings settings;
    settings.sentinel_mode = true;
    settings.readonly_mode = readonly;
    settings.sentinels = {sentinel_1, sentinel_2};
    settings.master_name = "mymaster";
    return settings;
  }

  /// Submits a GET (caller 1), which waits for the master, then starts a discovery: its query.
  Asked start_with_a_waiting_call() {
    CommandRequest request = get("k");
    core.submit(request, 1);
    discovery.start();
    return next();
  }

  /// The one query asked since the last call.
  Asked next() {
    std::vector<Asked> asked = port.take_asked();
    BOOST_REQUIRE(asked.size() == 1u);
    return asked.front();
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(a_sentinel_names_the_master_and_its_role_confirms_it) {
  Sentinels sentinels;
  Asked asked = sentinels.start_with_a_waiting_call();
  BOOST_TEST((asked.target.kind == DiscoveryTarget::Kind::sentinel));
  BOOST_TEST(asked.target.index == 0u);
  BOOST_TEST(asked.command ==
                 (std::vector<std::string>{"SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"}),
             boost::test_tools::per_element());
  sentinels.discovery.take_reply(asked.id, address_reply(master_1));
  asked = sentinels.next();
  BOOST_TEST((asked.target.kind == DiscoveryTarget::Kind::node));
  BOOST_TEST(sentinels.core.address(static_cast<std::int32_t>(asked.target.index)) == master_1);
  BOOST_TEST(asked.command == (std::vector<std::string>{"ROLE"}), boost::test_tools::per_element());
  BOOST_TEST(!sentinels.core.ready()); // not before the server says it is a master
  sentinels.discovery.take_reply(asked.id, role_reply("master"));
  BOOST_TEST(sentinels.core.ready());
  BOOST_TEST(sentinels.core.address(sentinels.core.masters().at(0)) == master_1);
  sentinels.core.flush();
  BOOST_TEST(sentinels.port.sent_to.size() == 1u);
  BOOST_TEST(sentinels.port.moved_to.empty()); // a first master is no move
}

BOOST_AUTO_TEST_CASE(sentinels_that_are_down_or_name_a_replica_or_no_master_are_skipped_in_turn) {
  Sentinels sentinels;
  Asked asked = sentinels.start_with_a_waiting_call();
  sentinels.discovery.take_reply(asked.id, address_reply(master_1));
  asked = sentinels.next();
  sentinels.discovery.take_reply(asked.id, role_reply("slave")); // it has not seen the failover
  asked = sentinels.next();
  BOOST_TEST(asked.target.index == 1u); // the next sentinel
  sentinels.discovery.take_reply(asked.id, Reply()); // nil: it does not know the name
  const Reply& failed = sentinels.port.answers.at(1).at(0);
  BOOST_TEST((failed.type == Reply::Type::connection_failed));
  BOOST_TEST(failed.text.find("no sentinel named a reachable master for 'mymaster'") !=
             std::string::npos);
  BOOST_TEST(failed.text.find("127.0.0.1:26379: it names 127.0.0.1:6380, whose ROLE is slave") !=
             std::string::npos);
  BOOST_TEST(failed.text.find("127.0.0.1:26380: does not monitor 'mymaster'") !=
             std::string::npos);
  BOOST_TEST(!sentinels.discovery.running());
}

BOOST_AUTO_TEST_CASE(a_failover_moves_the_master_and_the_sentinel_that_saw_it_is_asked_first) {
  Sentinels sentinels;
  sentinels.discovery.start();
  Asked asked = sentinels.next();
  sentinels.discovery.take_reply(asked.id, connection_refused()); // sentinel 1 is down
  asked = sentinels.next();
  BOOST_TEST(asked.target.index == 1u);
  sentinels.discovery.take_reply(asked.id, address_reply(master_1));
  sentinels.discovery.take_reply(sentinels.next().id, role_reply("master"));
  BOOST_TEST(sentinels.discovery.current_sentinel() == 1u);

  sentinels.port.clock += std::chrono::seconds(1);
  sentinels.discovery.refresh(); // +switch-master, or a failed call
  asked = sentinels.next();
  BOOST_TEST(asked.target.index == 1u); // the one that answered last
  sentinels.discovery.take_reply(asked.id, address_reply(master_2));
  sentinels.discovery.take_reply(sentinels.next().id, role_reply("master"));
  BOOST_TEST(sentinels.core.address(sentinels.core.masters().at(0)) == master_2);
  BOOST_REQUIRE(sentinels.port.moved_to.size() == 1u);
  BOOST_TEST(sentinels.port.moved_to[0] == master_2);

  // Every sentinel down now: the table stays, and nothing waits to be failed.
  sentinels.port.clock += std::chrono::seconds(1);
  sentinels.discovery.refresh();
  sentinels.discovery.take_reply(sentinels.next().id, connection_refused());
  sentinels.discovery.take_reply(sentinels.next().id, connection_refused());
  BOOST_TEST(sentinels.core.ready());
  BOOST_TEST(sentinels.core.address(sentinels.core.masters().at(0)) == master_2);
  BOOST_TEST(!sentinels.discovery.running());
}

BOOST_AUTO_TEST_CASE(with_readonly_mode_the_healthy_replicas_are_learned) {
  Sentinels sentinels(true);
  sentinels.discovery.start();
  sentinels.discovery.take_reply(sentinels.next().id, address_reply(master_1));
  sentinels.discovery.take_reply(sentinels.next().id, role_reply("master"));
  Asked asked = sentinels.next();
  BOOST_TEST((asked.target.kind == DiscoveryTarget::Kind::sentinel));
  BOOST_TEST(asked.command == (std::vector<std::string>{"SENTINEL", "REPLICAS", "mymaster"}),
             boost::test_tools::per_element());
  auto replica = [](const std::string& port, const std::string& flags, const std::string& link) {
    return array({text("ip"), text("127.0.0.1"), text("port"), text(port), text("flags"),
                  text(flags), text("master-link-status"), text(link)});
  };
  sentinels.discovery.take_reply(
      asked.id, array({replica("6390", "slave", "ok"), replica("6391", "s_down,slave", "ok"),
                       replica("6392", "slave", "err")}));
  BOOST_TEST(sentinels.core.ready());
  // The healthy replica is a node of the core now; the two others are not.
  BOOST_TEST(sentinels.core.node_count() == 2u);
  BOOST_TEST(sentinels.core.address(1) == (NodeAddress{"127.0.0.1", 6390}));
}

BOOST_AUTO_TEST_SUITE_END()
