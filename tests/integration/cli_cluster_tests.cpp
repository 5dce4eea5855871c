// The rtk data commands with --cluster, run as a separate process against a real 3-master
// 3-replica cluster: keys on every master, scan over every master, nodes, sharded pub/sub, health;
// and nodes against a server that is not a cluster.
#include "cluster_fixture.hpp"
#include "redis_cli.hpp"
#include "toolkit_fixture.hpp"

#include "redis_toolkit/key_slot.hpp"
#include "redis_toolkit/toolkit.hpp"
#include "redis_toolkit/wire_format.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <functional>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

using namespace redis_toolkit;
using namespace std::chrono_literals;
using rtk_test::run_redis_cli;
using rtk_test::suite_cluster;

namespace {

std::string rtk_executable() {
  const char* executable = std::getenv("RTK_RTK_EXE");
  BOOST_REQUIRE_MESSAGE(executable != nullptr && *executable != '\0',
                        "RTK_RTK_EXE must name the rtk binary (CTest sets it)");
  return executable;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

/// An rtk run on a thread of its own (a subscriber); joined by the destructor at the latest, so
/// that a failed wait in the test cannot leave the thread running.
class BackgroundRun {
public:
  explicit BackgroundRun(std::function<ProgramOutput()> run)
      : thread_([this, run = std::move(run)] {
          output_ = run();
          finished_ = true;
        }) {}
  ~BackgroundRun() {
    if (thread_.joinable()) thread_.join();
  }
  bool finished() const { return finished_; }
  const ProgramOutput& output() {
    if (thread_.joinable()) thread_.join();
    return output_;
  }

private:
  ProgramOutput output_;
  std::atomic<bool> finished_{false};
  std::thread thread_;
};

struct CliClusterFixture {
  LocalCluster& cluster = suite_cluster();

  /// "127.0.0.1:P1,127.0.0.1:P2,..." for --cluster: every node, as a user would list seeds.
  std::string seeds() const {
    std::string text;
    for (const NodeAddress& address : cluster.addresses())
      text += (text.empty() ? "" : ",") + address.to_string();
    return text;
  }

  ProgramOutput rtk(const std::vector<std::string>& arguments, std::chrono::milliseconds limit = 30s) {
    std::vector<std::string> argv = {rtk_executable(), "--cluster", seeds()};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    return run_program(argv, limit);
  }

  std::uint16_t port_of_master(std::string_view key) {
    return cluster.node(cluster.master_of_slot(key_slot(key))).port();
  }

  /// Runs `listen` (an rtk subscribe or psubscribe) for one message, publishes `value` on
  /// `channel` (classic) until it has printed it and exited, and returns what it printed. A
  /// classic PUBLISH reaches every node's subscribers but counts only those of the node that
  /// took it, so its count cannot tell when the subscriber listens.
  std::string one_classic_message(std::vector<std::string> listen, const std::string& channel,
                                  const std::string& value) {
    listen.insert(listen.end(), {"--count", "1", "--timeout", "10"});
    BackgroundRun subscriber([&] { return rtk(listen); });
    rtk_test::wait_until(
        [&] {
          const auto published = rtk({"publish", channel, value});
          BOOST_TEST_REQUIRE(published.exit_status == 0, published.standard_error);
          return subscriber.finished();
        },
        10s, "rtk " + listen.front() + " to receive a message");
    const ProgramOutput& received = subscriber.output();
    BOOST_TEST(received.exit_status == 0, received.standard_error);
    return received.standard_output;
  }

  /// "prefix:N", the first N whose slot the master `master_index` serves.
  std::string key_on_master(std::size_t master_index, const std::string& prefix) {
    for (int i = 0; i < 100000; ++i) {
      std::string key = prefix + ":" + std::to_string(i);
      if (cluster.master_of_slot(key_slot(key)) == master_index) return key;
    }
    throw std::runtime_error("no key found for master " + std::to_string(master_index));
  }

  /// One key per master, in the order of cluster.masters().
  std::vector<std::string> one_key_per_master(const std::string& prefix) {
    std::vector<std::string> keys;
    for (std::size_t master : cluster.masters()) keys.push_back(key_on_master(master, prefix));
    return keys;
  }

  /// How many different masters serve `keys`.
  std::size_t masters_of(const std::vector<std::string>& keys) {
    std::set<std::size_t> masters;
    for (const std::string& key : keys) masters.insert(cluster.master_of_slot(key_slot(key)));
    return masters.size();
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(cli_cluster_tests, CliClusterFixture)

BOOST_AUTO_TEST_CASE(set_get_ttl_del_on_every_master) {
  const std::vector<std::string> keys = one_key_per_master("cli:one");
  BOOST_REQUIRE_EQUAL(keys.size(), 3U);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const std::string& key = keys[i];
    auto set = rtk({"set", key, R"({"n": )" + std::to_string(i) + R"(, "b": {"$bytes": "AAE="}})",
                    "--ttl", "100"});
    BOOST_TEST(set.exit_status == 0, key << ": " << set.standard_error);
    // Stored in the wire format on the master that serves the key's slot.
    BOOST_TEST(run_redis_cli(port_of_master(key), {"GET", key}) ==
                   R"({"__type__": "dict", "__data__": {"n": )" + std::to_string(i) +
                       R"(, "b": {"__type__": "bytes", "__data__": "AAE="}}})",
               key);
    auto get = rtk({"get", key});
    BOOST_TEST(get.exit_status == 0, key << ": " << get.standard_error);
    BOOST_TEST(get.standard_output ==
                   "{\"n\": " + std::to_string(i) + ", \"b\": {\"$bytes\": \"AAE=\"}}\n",
               key);
    const auto ttl = std::stoi(rtk({"ttl", key}).standard_output);
    BOOST_TEST((ttl > 90 && ttl <= 100), key << ": ttl " << ttl);
  }
  auto missing = rtk({"get", "cli:one:missing"});
  BOOST_TEST(missing.exit_status == 1);
  BOOST_TEST(missing.standard_output.empty());
  // One del over keys of all three masters.
  std::vector<std::string> del = {"del"};
  del.insert(del.end(), keys.begin(), keys.end());
  del.push_back("cli:one:missing");
  auto deleted = rtk(del);
  BOOST_TEST(deleted.exit_status == 0, deleted.standard_error);
  BOOST_TEST(deleted.standard_output == "3\n");
  for (const std::string& key : keys) BOOST_TEST(rtk({"ttl", key}).standard_output == "-2\n");
}

BOOST_AUTO_TEST_CASE(mset_from_stdin_and_mget_over_all_masters) {
  std::vector<std::string> keys;
  std::string entries = "{";
  for (int i = 0; i < 50; ++i) {
    keys.push_back("cli:batch:" + std::to_string(i));
    entries += (i == 0 ? "" : ", ") + std::string("\"") + keys.back() + "\": [" + std::to_string(i) + ", \"v\"]";
  }
  entries += "}";
  BOOST_REQUIRE_EQUAL(masters_of(keys), 3U);
  const std::string input_file = cluster.directory() + "/cli-mset.json";
  {
    std::ofstream out(input_file);
    out << entries;
  }
  auto mset = run_program({"/bin/sh", "-c",
                           rtk_executable() + " --cluster " + seeds() + " mset < " + input_file},
                          30s);
  BOOST_TEST(mset.exit_status == 0, mset.standard_error);
  for (const std::string& key : keys) {
    const std::string stored = run_redis_cli(port_of_master(key), {"GET", key});
    BOOST_TEST(stored == R"({"__type__": "list", "__data__": [)" + key.substr(10) + R"(, "v"]})",
               key);
  }

  // Keys of all three masters, in the caller's order, with a missing one in the middle.
  const std::vector<std::string> asked = {keys[7], keys[0], "cli:batch:none", keys[42], keys[13]};
  std::vector<std::string> mget = {"mget"};
  mget.insert(mget.end(), asked.begin(), asked.end());
  auto read = rtk(mget);
  BOOST_TEST(read.exit_status == 0, read.standard_error);
  BOOST_TEST(read.standard_output == "{\"" + keys[7] + "\": [7, \"v\"], \"" + keys[0] +
                                         "\": [0, \"v\"], \"cli:batch:none\": null, \"" + keys[42] +
                                         "\": [42, \"v\"], \"" + keys[13] + "\": [13, \"v\"]}\n");
}

BOOST_AUTO_TEST_CASE(scan_prints_each_key_of_every_master_once) {
  RedisToolkit toolkit(rtk_test::cluster_config(cluster));
  KeyValues entries;
  std::vector<std::string> expected;
  for (int i = 0; i < 2500; ++i) { // more than one SCAN page on each master
    expected.push_back("cli:scan:" + std::to_string(i));
    entries.emplace_back(expected.back(), i);
  }
  entries.emplace_back("cli:other:1", 1);
  toolkit.batch_set(entries);
  BOOST_REQUIRE_EQUAL(masters_of(expected), 3U);

  auto scan = rtk({"scan", "cli:scan:*"}, 60s);
  BOOST_TEST(scan.exit_status == 0, scan.standard_error);
  std::vector<std::string> printed = lines_of(scan.standard_output);
  BOOST_TEST(printed.size() == expected.size()); // each once: no duplicates
  std::sort(printed.begin(), printed.end());
  std::sort(expected.begin(), expected.end());
  BOOST_TEST(printed == expected, boost::test_tools::per_element());

  auto none = rtk({"scan", "cli:nothing:*"});
  BOOST_TEST(none.exit_status == 0, none.standard_error);
  BOOST_TEST(none.standard_output.empty());
}

BOOST_AUTO_TEST_CASE(nodes_prints_six_nodes_whose_masters_cover_every_slot) {
  auto nodes = rtk({"nodes"});
  BOOST_REQUIRE_MESSAGE(nodes.exit_status == 0, nodes.standard_error);
  const Value parsed = parse_cli_json(nodes.standard_output);
  BOOST_REQUIRE(parsed.is_list());
  const auto& list = parsed.as_list();
  BOOST_REQUIRE_EQUAL(list.size(), 6U);

  std::set<std::uint16_t> cluster_ports;
  for (const NodeAddress& address : cluster.addresses()) cluster_ports.insert(address.port);
  std::set<std::uint16_t> ports;
  std::set<std::string> master_ids;
  std::vector<std::string> followed;
  std::vector<int> slot_owners(cluster_slot_count, 0);
  for (const Value& node : list) {
    BOOST_REQUIRE(node.is_dict());
    std::vector<std::string> fields;
    for (const auto& entry : node.as_dict()) fields.push_back(entry.first);
    BOOST_TEST(fields == (std::vector<std::string>{"id", "host", "port", "role", "slots",
                                                   "master_id", "connected", "failing"}),
               boost::test_tools::per_element());
    BOOST_TEST(node.find("id")->as_string().size() == 40U);
    BOOST_TEST(node.find("host")->as_string() == "127.0.0.1");
    ports.insert(static_cast<std::uint16_t>(node.find("port")->as_int()));
    BOOST_TEST(node.find("connected")->as_bool());
    BOOST_TEST(!node.find("failing")->as_bool());
    const std::string role = node.find("role")->as_string();
    if (role == "master") {
      master_ids.insert(node.find("id")->as_string());
      BOOST_TEST(node.find("master_id")->is_none());
      for (const Value& range : node.find("slots")->as_list()) {
        BOOST_REQUIRE_EQUAL(range.as_list().size(), 2U);
        const auto first = range.as_list()[0].as_int();
        const auto last = range.as_list()[1].as_int();
        BOOST_REQUIRE((0 <= first && first <= last && last < std::int64_t{cluster_slot_count}));
        for (auto slot = first; slot <= last; ++slot) ++slot_owners[static_cast<std::size_t>(slot)];
      }
    } else {
      BOOST_TEST(role == "replica");
      BOOST_TEST(node.find("slots")->as_list().empty());
      followed.push_back(node.find("master_id")->as_string());
    }
  }
  BOOST_TEST(ports == cluster_ports, boost::test_tools::per_element());
  BOOST_TEST(master_ids.size() == 3U);
  BOOST_TEST(followed.size() == 3U);
  for (const std::string& id : followed) BOOST_TEST(master_ids.count(id) == 1U, id);
  BOOST_TEST(std::all_of(slot_owners.begin(), slot_owners.end(), [](int n) { return n == 1; }),
             "every one of the 16384 slots is served by exactly one master");
}

BOOST_AUTO_TEST_CASE(sharded_publish_and_subscribe_deliver) {
  // Two channels on two different masters: the subscriber needs one connection per shard.
  const std::vector<std::size_t> masters = cluster.masters();
  BOOST_REQUIRE_GE(masters.size(), 2U);
  const std::string first = key_on_master(masters[0], "cli:shard");
  const std::string second = key_on_master(masters[1], "cli:shard");

  BackgroundRun subscriber([&] {
    return rtk({"subscribe", first, second, "--sharded", "--count", "2", "--timeout", "10"});
  });
  // SPUBLISH counts the subscribers of the channel's shard: publish until the subscriber listens
  // on both (a message nobody received is not printed).
  rtk_test::wait_until(
      [&] { return rtk({"publish", first, "\"one\"", "--sharded"}).standard_output != "0\n"; }, 10s,
      "the rtk subscriber to listen on " + first);
  ProgramOutput published;
  rtk_test::wait_until(
      [&] {
        published = rtk({"publish", second, "{\"n\": 2}", "--sharded"});
        return published.standard_output != "0\n";
      },
      10s, "the rtk subscriber to listen on " + second);
  BOOST_TEST(published.exit_status == 0, published.standard_error);
  BOOST_TEST(published.standard_output == "1\n");
  const ProgramOutput& received = subscriber.output();
  BOOST_TEST(received.exit_status == 0, received.standard_error);
  // Two shards, two subscriber connections: the lines may come in either order.
  const std::string line_one = "{\"channel\": \"" + first + "\", \"data\": \"one\"}\n";
  const std::string line_two = "{\"channel\": \"" + second + "\", \"data\": {\"n\": 2}}\n";
  BOOST_TEST((received.standard_output == line_one + line_two ||
              received.standard_output == line_two + line_one),
             received.standard_output);
  // SPUBLISH went to the shard's master, not through classic PUBLISH.
  BOOST_TEST(rtk_test::info_field(port_of_master(second), "commandstats", "cmdstat_spublish") != "");
}

BOOST_AUTO_TEST_CASE(a_single_sharded_subscriber_gets_one_message) {
  const std::string channel = "cli:shard:single";
  BackgroundRun subscriber([&] {
    return rtk({"subscribe", channel, "--sharded", "--count", "1", "--timeout", "10"});
  });
  rtk_test::wait_until(
      [&] { return rtk({"publish", channel, "[1, 2.5]", "--sharded"}).standard_output != "0\n"; },
      10s, "the rtk subscriber to listen");
  const ProgramOutput& received = subscriber.output();
  BOOST_TEST(received.exit_status == 0, received.standard_error);
  BOOST_TEST(received.standard_output ==
             "{\"channel\": \"" + channel + "\", \"data\": [1, 2.5]}\n");
}

BOOST_AUTO_TEST_CASE(classic_publish_and_subscribe_work_in_cluster_mode) {
  BOOST_TEST(one_classic_message({"subscribe", "cli:classic"}, "cli:classic", "\"hi\"") ==
             "{\"channel\": \"cli:classic\", \"data\": \"hi\"}\n");
}

BOOST_AUTO_TEST_CASE(psubscribe_works_in_cluster_mode) {
  BOOST_TEST(one_classic_message({"psubscribe", "cli:pat:*"}, "cli:pat:x", "{\"n\": 1}") ==
             "{\"pattern\": \"cli:pat:*\", \"channel\": \"cli:pat:x\", \"data\": {\"n\": 1}}\n");
}

BOOST_AUTO_TEST_CASE(health_is_ok_when_every_master_answers) {
  auto health = rtk({"health"});
  BOOST_TEST(health.exit_status == 0, health.standard_error);
  BOOST_TEST(health.standard_output == "ok\n");

  // A seed where nothing listens: not healthy, said on stderr.
  const std::string nowhere = "127.0.0.1:" + std::to_string(find_free_loopback_port());
  auto down = run_program({rtk_executable(), "--cluster", nowhere, "health"}, 60s);
  BOOST_TEST(down.exit_status == 1);
  BOOST_TEST(down.standard_output.empty());
  BOOST_TEST(contains(down.standard_error, "rtk: health: cluster " + nowhere), down.standard_error);
  BOOST_TEST(contains(down.standard_error, "not healthy"), down.standard_error);
}

BOOST_AUTO_TEST_CASE(health_fails_while_a_master_is_down_and_says_which) {
  // Last of the cluster cases: it kills a master, and leaves the cluster healthy again after.
  // The check names a master by what the survivors' CLUSTER NODES say of it. Right after the kill
  // they may still show its link as connected (they reconnect every 100 ms), and a second later
  // its replica may have taken over: so the replica holds off while the test waits for the
  // survivors to flag the master failing, which then lasts.
  const std::size_t master = cluster.masters().front();
  const std::uint16_t port = cluster.node(master).port();
  const std::uint16_t replica = cluster.node(cluster.replica_of(master)).port();
  BOOST_REQUIRE(run_redis_cli(replica, {"CONFIG", "SET", "cluster-replica-no-failover", "yes"}) ==
                "OK");
  cluster.node(master).kill_hard();
  const std::string address = "127.0.0.1:" + std::to_string(port) + "@";
  rtk_test::wait_until(
      [&] {
        for (std::size_t i = 0; i < cluster.size(); ++i) {
          if (i == master) continue;
          const std::string nodes = run_redis_cli(cluster.node(i).port(), {"CLUSTER", "NODES"});
          const std::size_t line = nodes.find(address);
          if (line == std::string::npos) return false;
          const std::string entry = nodes.substr(line, nodes.find('\n', line) - line);
          if (!contains(entry, "fail")) return false;
        }
        return true;
      },
      15s, "every survivor flags the killed master failing");
  auto health = rtk({"health"});
  BOOST_TEST(health.exit_status == 1);
  BOOST_TEST(health.standard_output.empty());
  BOOST_TEST(contains(health.standard_error, "not healthy"), health.standard_error);
  BOOST_TEST(contains(health.standard_error, "127.0.0.1:" + std::to_string(port) + " (master"),
             health.standard_error);

  BOOST_REQUIRE(run_redis_cli(replica, {"CONFIG", "SET", "cluster-replica-no-failover", "no"}) ==
                "OK");
  cluster.wait_until_healthy(15s); // its replica took over
  BOOST_TEST(rtk({"health"}).standard_output == "ok\n");
  cluster.restart_node(master);
  cluster.wait_until_healthy(15s);
}

BOOST_AUTO_TEST_CASE(nodes_against_a_standalone_server_is_a_clear_error) {
  auto server = RedisServerProcess::start();
  auto nodes = run_program({rtk_executable(), "--port", std::to_string(server.port()), "nodes"}, 30s);
  BOOST_TEST(nodes.exit_status == 1);
  BOOST_TEST(nodes.standard_output.empty());
  BOOST_TEST(contains(nodes.standard_error, "rtk: ClusterError: "), nodes.standard_error);
  BOOST_TEST(contains(nodes.standard_error, "not a cluster node"), nodes.standard_error);
  BOOST_TEST(contains(nodes.standard_error, "127.0.0.1:" + std::to_string(server.port())),
             nodes.standard_error);
}

BOOST_AUTO_TEST_CASE(command_is_routed_by_its_keys_on_every_master) {
  const std::vector<std::string> keys = one_key_per_master("cli:command");
  BOOST_REQUIRE_EQUAL(keys.size(), 3U);
  for (const std::string& key : keys) {
    auto incremented = rtk({"command", "INCRBY", key, "7"});
    BOOST_TEST(incremented.exit_status == 0, key << ": " << incremented.standard_error);
    BOOST_TEST(incremented.standard_output == "7\n", key);
    BOOST_TEST(run_redis_cli(port_of_master(key), {"GET", key}) == "7", key);
  }
  BOOST_TEST(rtk({"command", "MSET", "{cli}a", "1", "{cli}b", "2"}).standard_output == "\"OK\"\n");
  BOOST_TEST(rtk({"command", "MGET", "{cli}a", "{cli}b", "{cli}c"}).standard_output ==
             "[\"1\", \"2\", null]\n");
  auto cross = rtk({"command", "MSET", keys[0], "1", keys[1], "2"});
  BOOST_TEST(cross.exit_status == 1);
  BOOST_TEST(cross.standard_error.find("CROSSSLOT") != std::string::npos, cross.standard_error);
  BOOST_TEST(run_redis_cli(port_of_master(keys[0]), {"GET", keys[0]}) == "7"); // nothing written
}

BOOST_AUTO_TEST_SUITE_END()
