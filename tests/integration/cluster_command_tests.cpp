// Any Redis command against a real 3-master 3-replica cluster: single-key, multi-key, movable-key
// and keyless commands checked against the node that really holds the key, CROSSSLOT refused
// before sending, pipelines of 10,000 commands over three masters, transactions (MOVED after a
// slot move, a WATCH conflict), and a script that keeps working after its master is killed (the
// promoted replica has an empty script cache).
#include "cluster_fixture.hpp"
#include "redis_cli.hpp"
#include "toolkit_fixture.hpp"

#include "redis_toolkit/async_toolkit.hpp"
#include "redis_toolkit/key_slot.hpp"
#include "redis_toolkit/toolkit.hpp"

#include <boost/test/unit_test.hpp>

#include <set>

using namespace redis_toolkit;
using namespace std::chrono_literals;
using rtk_test::run_redis_cli;
using rtk_test::suite_cluster;

namespace {

struct ClusterFixture : rtk_test::ClusterFixture {
  /// What the master that owns `key` holds under it, asked without the toolkit.
  std::string stored_on_its_master(const std::string& key) const {
    return run_redis_cli(port_of_master(key), {"GET", key});
  }
  std::string tag_on_master(std::size_t master_index, const std::string& prefix) const {
    return rtk_test::tag_on_master(cluster, master_index, prefix);
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(cluster_command_tests)

BOOST_FIXTURE_TEST_CASE(single_and_multi_key_commands_reach_the_node_that_holds_their_keys,
                        ClusterFixture) {
  RedisToolkit toolkit(config());
  std::set<std::uint16_t> masters_reached;
  for (int i = 0; i < 30; ++i) {
    const std::string key = "single:" + std::to_string(i);
    BOOST_TEST(toolkit.command({"SET", key, "v" + std::to_string(i)}).is_ok());
    BOOST_TEST(stored_on_its_master(key) == "v" + std::to_string(i));
    masters_reached.insert(port_of_master(key));
    BOOST_TEST(toolkit.command({"GET", key}).as_string() == "v" + std::to_string(i));
  }
  BOOST_TEST(masters_reached.size() == 3u);
  // Several keys in one slot (one hash tag).
  toolkit.command({"MSET", "{multi}a", "1", "{multi}b", "2"});
  BOOST_TEST(stored_on_its_master("{multi}b") == "2");
  const Reply both = toolkit.command({"MGET", "{multi}a", "{multi}b", "{multi}missing"});
  BOOST_TEST(both.as_array().at(1).as_string() == "2");
  BOOST_TEST(both.as_array().at(2).is_nil());
  // Movable keys: found by numkeys and by keyword, as the server's COMMAND describes them.
  const Script put("redis.call('SET', KEYS[1], ARGV[1]) return redis.call('GET', KEYS[2])");
  toolkit.command({"SET", "{movable}other", "there"});
  BOOST_TEST(toolkit.eval(put, {"{movable}key", "{movable}other"}, {"here"}).as_string() == "there");
  BOOST_TEST(stored_on_its_master("{movable}key") == "here");
  toolkit.command({"ZADD", "{z}a", "1", "x"});
  toolkit.command({"ZADD", "{z}b", "2", "y"});
  BOOST_TEST(toolkit.command({"ZUNIONSTORE", "{z}dest", "2", "{z}a", "{z}b"}).as_integer() == 2);
  BOOST_TEST(run_redis_cli(port_of_master("{z}dest"), {"ZCARD", "{z}dest"}) == "2");
  toolkit.command({"XADD", "{s}1", "1-1", "f", "v"});
  toolkit.command({"XADD", "{s}2", "1-1", "f", "w"});
  const Reply streams = toolkit.command({"XREAD", "COUNT", "5", "STREAMS", "{s}1", "{s}2", "0", "0"});
  BOOST_TEST(streams.as_array().size() == 2u);
}

BOOST_FIXTURE_TEST_CASE(keys_over_several_slots_are_refused_before_anything_is_sent,
                        ClusterFixture) {
  RedisToolkit toolkit(config());
  const long crossslot_before = rtk_test::error_count(port_of_master("cross:a"), "CROSSSLOT");
  try {
    toolkit.command({"MSET", "cross:a", "1", "cross:b", "2"});
    BOOST_FAIL("no ClusterError");
  } catch (const ClusterError& error) {
    BOOST_TEST(std::string(error.what()).find("CROSSSLOT") != std::string::npos, error.what());
  }
  BOOST_TEST(stored_on_its_master("cross:a").empty());
  BOOST_TEST(stored_on_its_master("cross:b").empty());
  BOOST_TEST(rtk_test::error_count(port_of_master("cross:a"), "CROSSSLOT") == crossslot_before);
  BOOST_CHECK_THROW(toolkit.transaction({{"SET", "cross:a", "1"}, {"SET", "cross:b", "1"}}),
                    ClusterError);
  BOOST_CHECK_THROW(toolkit.transaction({{"SET", "{t}a", "1"}}, {"cross:b"}), ClusterError);
  BOOST_TEST(stored_on_its_master("cross:a").empty());
}

BOOST_FIXTURE_TEST_CASE(keyless_commands_go_to_one_master_or_to_every_node, ClusterFixture) {
  RedisToolkit toolkit(config());
  toolkit.command_on_nodes({"FLUSHALL"});
  for (int i = 0; i < 60; ++i) toolkit.command({"SET", "keyless:" + std::to_string(i), "1"});
  const auto sizes = toolkit.command_on_nodes({"DBSIZE"});
  BOOST_REQUIRE(sizes.size() == 3u);
  std::int64_t total = 0;
  for (const NodeReply& each : sizes) {
    total += each.reply.as_integer();
    BOOST_TEST(each.reply.as_integer() > 0, each.node);
  }
  BOOST_TEST(total == 60);
  const auto everywhere = toolkit.command_on_nodes({"PING"}, CommandNodes::all);
  BOOST_TEST(everywhere.size() == 6u);
  for (const NodeReply& each : everywhere) BOOST_TEST(each.reply.as_string() == "PONG");
  BOOST_TEST(toolkit.command({"PING"}).as_string() == "PONG");
  const std::int64_t one_master = toolkit.command({"DBSIZE"}).as_integer();
  BOOST_TEST((one_master == sizes[0].reply.as_integer() || one_master == sizes[1].reply.as_integer() ||
              one_master == sizes[2].reply.as_integer()));
}

BOOST_FIXTURE_TEST_CASE(a_pipeline_of_ten_thousand_commands_over_three_masters_answers_in_order,
                        ClusterFixture) {
  RedisToolkit toolkit(config());
  AsyncRedisToolkit async_toolkit(config());
  auto writes = toolkit.pipeline();
  for (int i = 0; i < 10000; ++i)
    writes.add({"SET", "pipelined:" + std::to_string(i), std::to_string(i)});
  for (const Reply& reply : writes.execute()) BOOST_REQUIRE(reply.is_ok());
  auto reads = async_toolkit.pipeline();
  std::set<std::uint16_t> masters;
  for (int i = 0; i < 10000; ++i) {
    reads.add({"GET", "pipelined:" + std::to_string(i)});
    if (i % 500 == 0) masters.insert(port_of_master("pipelined:" + std::to_string(i)));
  }
  BOOST_TEST(masters.size() == 3u);
  const std::vector<Reply> replies = reads.execute().get();
  BOOST_REQUIRE(replies.size() == 10000u);
  for (int i = 0; i < 10000; ++i) BOOST_REQUIRE(replies[i].as_string() == std::to_string(i));
  BOOST_TEST(stored_on_its_master("pipelined:9999") == "9999");
}

BOOST_FIXTURE_TEST_CASE(transactions_run_in_their_slot_and_follow_a_moved_slot, ClusterFixture) {
  RedisToolkit toolkit(config());
  const std::size_t source = cluster.masters().front();
  const std::size_t target = cluster.masters().back();
  const std::string tag = "{" + tag_on_master(source, "moving") + "}";
  const int slot = key_slot(tag);
  auto first = toolkit.transaction({{"SET", tag + "balance", "10"}, {"INCRBY", tag + "balance", "5"}});
  BOOST_REQUIRE(first.has_value());
  BOOST_TEST(first->at(1).as_integer() == 15);

  // Move the slot (and its key) to another master behind the router's back.
  const std::uint16_t source_port = cluster.node(source).port();
  const std::uint16_t target_port = cluster.node(target).port();
  const std::string source_id = run_redis_cli(source_port, {"CLUSTER", "MYID"});
  const std::string target_id = run_redis_cli(target_port, {"CLUSTER", "MYID"});
  BOOST_TEST(run_redis_cli(target_port, {"CLUSTER", "SETSLOT", std::to_string(slot), "IMPORTING",
                                         source_id}) == "OK");
  BOOST_TEST(run_redis_cli(source_port, {"CLUSTER", "SETSLOT", std::to_string(slot), "MIGRATING",
                                         target_id}) == "OK");
  run_redis_cli(source_port,
                {"MIGRATE", "127.0.0.1", std::to_string(target_port), tag + "balance", "0", "5000"});
  for (std::size_t node = 0; node < cluster.size(); ++node)
    run_redis_cli(cluster.node(node).port(),
                  {"CLUSTER", "SETSLOT", std::to_string(slot), "NODE", target_id});
  const long moved_before = rtk_test::error_count(source_port, "MOVED");
  // The router still believes the source: the whole transaction follows MOVED to the target.
  auto moved = toolkit.transaction({{"INCRBY", tag + "balance", "5"}, {"GET", tag + "balance"}});
  BOOST_REQUIRE(moved.has_value());
  BOOST_TEST(moved->at(1).as_string() == "20");
  BOOST_TEST(rtk_test::error_count(source_port, "MOVED") > moved_before);
  BOOST_TEST(run_redis_cli(target_port, {"GET", tag + "balance"}) == "20");
  // A plain command after the move, and a read-modify-write in the moved slot.
  BOOST_TEST(toolkit.command({"INCR", tag + "balance"}).as_integer() == 21);
  int builds = 0;
  auto watched = toolkit.transaction(
      {tag + "balance"}, {{"GET", tag + "balance"}},
      [&](const std::vector<Reply>& read) -> std::vector<CommandArguments> {
        if (++builds == 1) run_redis_cli(target_port, {"INCR", tag + "balance"}); // a conflict
        return {{"SET", tag + "balance", std::to_string(std::stol(read[0].as_string()) * 2)}};
      });
  BOOST_REQUIRE(watched.has_value());
  BOOST_TEST(builds == 2);
  BOOST_TEST(run_redis_cli(target_port, {"GET", tag + "balance"}) == "44");
}

BOOST_FIXTURE_TEST_CASE(a_script_keeps_working_after_its_master_is_killed, ClusterFixture) {
  RedisToolkit toolkit(config());
  const std::size_t victim = cluster.masters().front();
  const std::size_t heir = cluster.replica_of(victim);
  const std::string tag = "{" + tag_on_master(victim, "scripted") + "}";
  const Script add("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  BOOST_TEST(toolkit.eval(add, {tag + "total"}, {"5"}).as_integer() == 5);
  BOOST_TEST(run_redis_cli(cluster.node(victim).port(), {"SCRIPT", "EXISTS", add.sha1()}) == "1");
  // The replica that will take over must not have the script: its cache starts empty.
  run_redis_cli(cluster.node(heir).port(), {"SCRIPT", "FLUSH"});
  BOOST_TEST(run_redis_cli(cluster.node(heir).port(), {"SCRIPT", "EXISTS", add.sha1()}) == "0");
  // The write is on the replica before the kill (its own offset has caught up with the master's).
  const auto offset_of = [&](std::size_t node, const std::string& field) {
    return std::stol(rtk_test::info_field(cluster.node(node).port(), "replication", field));
  };
  const long written = offset_of(victim, "master_repl_offset");
  rtk_test::wait_until([&] { return offset_of(heir, "slave_repl_offset") >= written; }, 15s,
                       "the replica has the script's write");
  cluster.node(victim).kill_hard();
  cluster.wait_until_healthy(30s);
  BOOST_REQUIRE(cluster.master_of_slot(key_slot(tag)) == heir);
  // EVALSHA meets NOSCRIPT on the promoted replica; the source follows once.
  BOOST_TEST(toolkit.eval(add, {tag + "total"}, {"2"}).as_integer() == 7);
  BOOST_TEST(run_redis_cli(cluster.node(heir).port(), {"SCRIPT", "EXISTS", add.sha1()}) == "1");
  cluster.restart_node(victim);
  cluster.wait_until_healthy(30s);
}

BOOST_AUTO_TEST_SUITE_END()
