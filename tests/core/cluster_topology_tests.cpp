// The I/O-free cluster pieces under the router: parsing CLUSTER SHARDS / SLOTS / NODES,
// recognising redirections and cluster errors, the slot table, the cluster-wide SCAN, and how a
// batch's failures become errors. No socket, no actor.
#include "cluster_scan.hpp"
#include "cluster_topology.hpp"
#include "operations.hpp"
#include "resp.hpp"
#include "reply_builders.hpp"

#include "redis_toolkit/errors.hpp"

#include <boost/test/unit_test.hpp>

using namespace redis_toolkit;
using namespace redis_toolkit::detail;

namespace {

using rtk_test::array;
using rtk_test::error;
using rtk_test::integer;
using rtk_test::text;

Reply shard_node(std::string ip, std::int64_t port, std::string role, std::string health) {
  return array({text("id"), text("abc"), text("port"), integer(port), text("ip"), text(ip),
                text("endpoint"), text(ip), text("role"), text(role), text("replication-offset"),
                integer(0), text("health"), text(health)});
}

const NodeAddress asked{"10.0.0.9", 7000};

} // namespace

BOOST_AUTO_TEST_SUITE(cluster_topology_tests)

BOOST_AUTO_TEST_CASE(cluster_slots_groups_ranges_by_master_and_fills_empty_hosts) {
  // Two ranges of one master (as after a resharding), and a master announcing no host.
  Reply reply = array({
      array({integer(0), integer(5460), array({text("127.0.0.1"), integer(7000), text("id0")}),
             array({text("127.0.0.1"), integer(7003), text("id3")})}),
      array({integer(5461), integer(10922), array({text(""), integer(7001), text("id1")})}),
      array({integer(10923), integer(16383), array({text("127.0.0.1"), integer(7000), text("id0")})}),
  });
  ClusterTopology topology = parse_cluster_slots(reply, asked);
  BOOST_REQUIRE_EQUAL(topology.shards.size(), 2u);
  BOOST_TEST(topology.shards[0].master.to_string() == "127.0.0.1:7000");
  BOOST_REQUIRE_EQUAL(topology.shards[0].slots.size(), 2u);
  BOOST_TEST(topology.shards[0].slots[1].first == 10923);
  BOOST_REQUIRE_EQUAL(topology.shards[0].replicas.size(), 1u);
  BOOST_TEST(topology.shards[0].replicas[0].port == 7003);
  BOOST_TEST(topology.shards[1].master.to_string() == "10.0.0.9:7001");
  BOOST_TEST(topology.covered_slots() == 16384u);
}

BOOST_AUTO_TEST_CASE(cluster_shards_skips_failed_replicas_and_empty_shards) {
  Reply reply = array({
      array({text("slots"), array({integer(0), integer(8191)}), text("nodes"),
             array({shard_node("127.0.0.1", 7000, "master", "online"),
                    shard_node("127.0.0.1", 7003, "replica", "online"),
                    shard_node("127.0.0.1", 7004, "replica", "failed")})}),
      array({text("slots"), array({}), text("nodes"),
             array({shard_node("127.0.0.1", 7005, "master", "failed")})}),
  });
  ClusterTopology topology = parse_cluster_shards(reply, asked);
  BOOST_REQUIRE_EQUAL(topology.shards.size(), 1u);
  BOOST_TEST(topology.shards[0].master.port == 7000);
  BOOST_REQUIRE_EQUAL(topology.shards[0].replicas.size(), 1u);
  BOOST_TEST(topology.shards[0].replicas[0].port == 7003);
  BOOST_TEST(topology.covered_slots() == 8192u);
}

BOOST_AUTO_TEST_CASE(cluster_shards_of_a_tls_cluster_give_tls_ports_to_tls_clients) {
  // tls-cluster yes: "port" is the plain port, "tls-port" the one a TLS client must use.
  Reply node = shard_node("127.0.0.1", 7000, "master", "online");
  node.elements.push_back(text("tls-port"));
  node.elements.push_back(integer(8000));
  Reply reply = array({array({text("slots"), array({integer(0), integer(16383)}), text("nodes"),
                              array({node})})});
  BOOST_TEST(parse_cluster_shards(reply, asked, /*tls=*/true).shards.at(0).master.port == 8000);
  BOOST_TEST(parse_cluster_shards(reply, asked, /*tls=*/false).shards.at(0).master.port == 7000);
}

BOOST_AUTO_TEST_CASE(malformed_topology_replies_are_errors_not_crashes) {
  BOOST_CHECK_THROW(parse_cluster_slots(text("nope"), asked), std::runtime_error);
  BOOST_CHECK_THROW(parse_cluster_slots(array({array({integer(0)})}), asked), std::runtime_error);
  BOOST_CHECK_THROW(parse_cluster_slots(array({array({integer(0), integer(99999),
                                                      array({text("h"), integer(1)})})}),
                                        asked),
                    std::runtime_error);
  BOOST_CHECK_THROW(parse_cluster_shards(array({array({text("slots")})}), asked),
                    std::runtime_error);
}

BOOST_AUTO_TEST_CASE(cluster_nodes_lines_become_node_infos) {
  const std::string text =
      "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:7000@17000 myself,master - 0 0 1 "
      "connected 0-5460 [5461->-292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f]\n"
      "292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f 127.0.0.1:7001@17001,host-b master,fail - "
      "1700000000 1700000001 2 disconnected 5461-10922 16383\n"
      "67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 127.0.0.1:7003@17003 slave "
      "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 1700000002 1 connected\n";
  auto nodes = parse_cluster_nodes(text, asked);
  BOOST_REQUIRE_EQUAL(nodes.size(), 3u);
  BOOST_TEST(nodes[0].myself);
  BOOST_TEST(nodes[0].role == "master");
  BOOST_TEST(nodes[0].slot_count() == 5461u); // the migrating mark is left out
  BOOST_TEST(nodes[0].connected);
  BOOST_TEST(nodes[1].failing);
  BOOST_TEST(!nodes[1].connected);
  BOOST_TEST(nodes[1].host == "127.0.0.1");
  BOOST_TEST(nodes[1].port == 7001);
  BOOST_REQUIRE_EQUAL(nodes[1].slots.size(), 2u);
  BOOST_TEST(nodes[1].slots[1].first == 16383);
  BOOST_TEST(nodes[1].config_epoch == 2u);
  BOOST_TEST(nodes[2].role == "replica");
  BOOST_TEST(nodes[2].master_id == nodes[0].id);
  BOOST_TEST(nodes[2].address() == "127.0.0.1:7003");
}

BOOST_AUTO_TEST_CASE(redirections_are_recognised) {
  auto moved = parse_redirection(error("MOVED 3999 127.0.0.1:6381"), asked);
  BOOST_REQUIRE(moved);
  BOOST_TEST((moved->kind == Redirection::Kind::moved));
  BOOST_TEST(moved->slot == 3999);
  BOOST_TEST(moved->target.to_string() == "127.0.0.1:6381");
  auto ask = parse_redirection(error("ASK 12 :7002"), asked);
  BOOST_REQUIRE(ask);
  BOOST_TEST((ask->kind == Redirection::Kind::ask));
  BOOST_TEST(ask->target.to_string() == "10.0.0.9:7002");
  BOOST_TEST(!parse_redirection(error("MOVED nonsense"), asked));
  BOOST_TEST(!parse_redirection(error("MOVED 99999 h:1"), asked));
  BOOST_TEST(!parse_redirection(error("ERR wrong"), asked));
  BOOST_TEST(!parse_redirection(text("MOVED 1 h:1"), asked)); // a value, not an error

  BOOST_TEST(is_transient_cluster_error(error("TRYAGAIN Multiple keys request during rehashing")));
  BOOST_TEST(is_transient_cluster_error(error("CLUSTERDOWN The cluster is down")));
  BOOST_TEST(!is_transient_cluster_error(error("WRONGTYPE Operation")));
  BOOST_TEST(is_cluster_error(error("CROSSSLOT Keys in request don't hash to the same slot")));
  BOOST_TEST(is_demoted_master_error(error("ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.")));
  BOOST_TEST(is_demoted_master_error(error("READONLY You can't write against a read only replica.")));
  BOOST_TEST(is_demoted_master_error(error("UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)")));
  BOOST_TEST(!is_demoted_master_error(error("ERR wrong number of arguments")));
  BOOST_TEST(std::string(TimeoutError("h:1", "getter", "no reply").what()).rfind("TimeoutError:", 0) == 0);
  BOOST_TEST(!is_cluster_error(error("ERR unknown command")));
}

BOOST_AUTO_TEST_CASE(the_slot_table_tracks_owners) {
  SlotTable table;
  BOOST_TEST(table.covered() == 0u);
  table.assign(SlotRange{0, 99}, 2);
  table.assign(50, 1);
  BOOST_TEST(table.covered() == 100u);
  BOOST_TEST(table.owner(50) == 1);
  BOOST_TEST(table.owner(99) == 2);
  BOOST_TEST(table.owner(100) == -1);
}

BOOST_AUTO_TEST_CASE(cluster_scan_asks_every_master_then_each_unfinished_node) {
  RedisOptions options;
  ClusterScan scan(OperationContext{options, "cluster", true}, "user:*", 50);
  BOOST_TEST(!scan.done());
  CommandRequest first = scan.next_request();
  BOOST_REQUIRE_EQUAL(first.commands.size(), 1u);
  BOOST_TEST((first.commands[0].target == Command::Target::every_master));
  BOOST_TEST(first.bytes(first.commands[0]).find("user:*") != std::string::npos);

  auto page = [](std::string cursor, std::vector<std::string> keys) {
    std::vector<Reply> key_replies;
    for (auto& key : keys) key_replies.push_back(text(key));
    return array({text(cursor), array(key_replies)});
  };
  std::vector<Reply> round1{array({text("127.0.0.1:7000"), page("17", {"user:1", "user:2"}),
                                   text("127.0.0.1:7001"), page("0", {"user:3"})})};
  auto keys = scan.take(round1);
  BOOST_TEST(keys.size() == 3u);
  BOOST_TEST(!scan.done());
  CommandRequest second = scan.next_request();
  BOOST_REQUIRE_EQUAL(second.commands.size(), 1u);
  BOOST_TEST((second.commands[0].target == Command::Target::node));
  BOOST_TEST(second.commands[0].node == "127.0.0.1:7000");
  BOOST_TEST(second.bytes(second.commands[0]).find("$2\r\n17\r\n") != std::string::npos);
  std::vector<Reply> round2{page("0", {"user:2", "user:4"})}; // user:2 again: SCAN may repeat
  keys = scan.take(round2);
  BOOST_REQUIRE_EQUAL(keys.size(), 1u);
  BOOST_TEST(keys[0] == "user:4");
  BOOST_TEST(scan.done());
}

BOOST_AUTO_TEST_CASE(a_failed_scan_page_is_a_typed_error) {
  RedisOptions options;
  ClusterScan scan(OperationContext{options, "cluster", true}, "*");
  std::vector<Reply> round{array({text("127.0.0.1:7000"),
                                  Reply::failure(Reply::Type::connection_failed, "127.0.0.1:7000",
                                                 "connection refused")})};
  BOOST_CHECK_THROW(scan.take(round), ConnectionError);
}

BOOST_AUTO_TEST_CASE(a_partly_failed_batch_names_each_failed_key) {
  std::vector<Reply> replies{Reply{}, error("CLUSTERDOWN The cluster is down"), Reply{},
                             Reply::failure(Reply::Type::timed_out, "127.0.0.1:7001", "no reply")};
  replies[0].type = replies[2].type = Reply::Type::status;
  try {
    throw_if_any_failed(replies, "cluster", "batch_set", {"a", "b", "c", "d"});
    BOOST_FAIL("expected a BatchError");
  } catch (const BatchError& e) {
    BOOST_REQUIRE_EQUAL(e.failures().size(), 2u);
    BOOST_TEST(e.failures()[0].key == "b");
    BOOST_TEST(e.failures()[0].kind == "ClusterError");
    BOOST_TEST(e.failures()[1].key == "d");
    BOOST_TEST(e.failures()[1].kind == "TimeoutError");
    BOOST_TEST(e.failures()[1].server == "127.0.0.1:7001");
    BOOST_TEST(e.total() == 4u);
    BOOST_TEST(std::string(e.what()).find("key 'd'") != std::string::npos);
  }
  // Every key failed: the cause's own type.
  std::vector<Reply> down(2, error("CLUSTERDOWN The cluster is down"));
  BOOST_CHECK_THROW(throw_if_any_failed(down, "cluster", "batch_get", {"a", "b"}), ClusterError);
  std::vector<Reply> gone(2, Reply::failure(Reply::Type::cluster_failed, "n", "slot 1 is not served"));
  BOOST_CHECK_THROW(throw_if_any_failed(gone, "cluster", "batch_get", {"a", "b"}), ClusterError);
}

BOOST_AUTO_TEST_SUITE_END()
