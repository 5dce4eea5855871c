// LocalCluster and `rtk cluster up|status|down` against real redis-server processes: a 3-master
// 3-replica cluster forms, heals after a master crashes, takes the crashed node back as a replica,
// fails over by hand, and leaves no process behind.
#include "daemon_checks.hpp"
#include "redis_cli.hpp"

#include "redis_toolkit/errors.hpp"
#include "redis_toolkit/key_slot.hpp"
#include "redis_toolkit/local_cluster.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <sstream>
#include <sys/socket.h>
#include <unistd.h>

using namespace std::chrono_literals;
using namespace redis_toolkit;
namespace fs = std::filesystem;

namespace {

using rtk_test::port_free;
using rtk_test::process_gone;

using Clock = std::chrono::steady_clock;

long long milliseconds_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}


/// A base port P with P..P+5 and their bus ports P+10000.. free, below the kernel's ephemeral
/// range (32768 and up) where the other tests' free ports come from.
std::uint16_t free_base_port() {
  constexpr int low = 20000;
  constexpr int high = 22700; // P + 10005 < 32768
  const int start = low + static_cast<int>(::getpid() % 300) * 9;
  for (int step = 0; step < (high - low); step += 9) {
    const int base = low + (start - low + step) % (high - low);
    bool all_free = true;
    for (int offset = 0; offset < 6 && all_free; ++offset) {
      all_free = port_free(static_cast<std::uint16_t>(base + offset)) &&
                 port_free(static_cast<std::uint16_t>(base + offset + 10000));
    }
    if (all_free) return static_cast<std::uint16_t>(base);
  }
  throw std::runtime_error("no free range of six ports (and bus ports) in 20000..32767");
}

std::string role_of(const LocalCluster& cluster, std::size_t index) {
  return cluster.status().at(index).role;
}

} // namespace

BOOST_AUTO_TEST_SUITE(local_cluster_tests)

BOOST_AUTO_TEST_CASE(a_cluster_heals_after_a_crash_takes_the_node_back_and_fails_over_by_hand) {
  auto started = Clock::now();
  LocalCluster cluster = LocalCluster::start();
  BOOST_TEST_MESSAGE("LocalCluster::start(): " << milliseconds_since(started) << " ms");

  // 3 masters and 3 replicas, every slot served by a live master.
  BOOST_TEST(cluster.size() == 6U);
  BOOST_TEST(cluster.masters().size() == 3U);
  BOOST_TEST(cluster.replicas().size() == 3U);
  BOOST_TEST(LocalCluster::health_problems(cluster.addresses()).empty());
  const std::vector<std::size_t> masters = cluster.masters();
  for (int slot : {0, 5460, 5461, 10922, 10923, 16383}) {
    BOOST_TEST(std::count(masters.begin(), masters.end(), cluster.master_of_slot(slot)) == 1);
  }
  for (const LocalClusterNodeStatus& node : cluster.status()) {
    BOOST_TEST(node.answering);
    BOOST_TEST(node.cluster_state == "ok");
    BOOST_TEST(node.id.size() == 40U);
    if (node.role == "replica") BOOST_TEST(node.master_link_up);
  }

  // A key written with redis-cli -c through one node is readable through another.
  const std::string key = "user:1";
  const std::uint16_t first_port = cluster.node(0).port();
  const std::uint16_t last_port = cluster.node(5).port();
  BOOST_TEST(rtk_test::run_redis_cli(first_port, {"-c", "SET", key, "hello"}) == "OK");
  BOOST_TEST(rtk_test::run_redis_cli(last_port, {"-c", "GET", key}) == "hello");

  const int slot = key_slot(key);
  const std::size_t master = cluster.master_of_slot(slot);
  const std::size_t replica = cluster.replica_of(master);
  BOOST_TEST(role_of(cluster, replica) == "replica");
  // The write has reached the replica before the crash (replication is asynchronous): written
  // again and WAITed for on one connection, since WAIT only covers its own connection's writes.
  BOOST_REQUIRE(rtk_test::set_and_wait_for_replica(cluster.node(master).port(), key, "hello") >= 1);

  // A crash: the replica takes over within 15 s.
  cluster.node(master).kill_hard();
  const auto crashed = Clock::now();
  BOOST_TEST(!cluster.status().at(master).answering);
  try {
    cluster.wait_until_healthy(100ms); // too soon: the cluster has not noticed yet
    BOOST_ERROR("a cluster whose master was just killed counted as healthy");
  } catch (const ClusterError& error) {
    BOOST_TEST_MESSAGE(error.what());
    BOOST_TEST(contains(error.what(), cluster.node(master).address()));
  }
  cluster.wait_until_healthy(15s);
  BOOST_TEST_MESSAGE("failover after kill_hard: healthy again after " << milliseconds_since(crashed)
                                                                     << " ms");
  BOOST_TEST(cluster.master_of_slot(slot) == replica);
  BOOST_TEST(role_of(cluster, replica) == "master");
  BOOST_TEST(rtk_test::run_redis_cli(last_port == cluster.node(master).port() ? first_port : last_port,
                                     {"-c", "GET", key}) == "hello");

  // The crashed node comes back on its port and nodes.conf, as a replica of its successor.
  const auto restarted = Clock::now();
  cluster.restart_node(master);
  cluster.wait_until_healthy(15s);
  BOOST_TEST_MESSAGE("restart_node, healthy again: " << milliseconds_since(restarted) << " ms");
  BOOST_TEST(role_of(cluster, master) == "replica");
  BOOST_TEST(cluster.replica_of(replica) == master);
  BOOST_TEST(cluster.masters().size() == 3U);

  // A failover by hand gives it its slots back.
  const auto asked = Clock::now();
  cluster.manual_failover(master, 10s);
  BOOST_TEST_MESSAGE("manual_failover: " << milliseconds_since(asked) << " ms");
  cluster.wait_until_healthy(15s);
  BOOST_TEST(cluster.master_of_slot(slot) == master);
  BOOST_TEST(role_of(cluster, replica) == "replica");
  BOOST_TEST(rtk_test::run_redis_cli(first_port, {"-c", "GET", key}) == "hello");
  BOOST_CHECK_THROW(cluster.manual_failover(master, 1s), ClusterError); // a master now

  // stop() leaves no process behind.
  std::vector<pid_t> pids;
  for (std::size_t index = 0; index < cluster.size(); ++index) pids.push_back(cluster.node(index).pid());
  const auto stopping = Clock::now();
  cluster.stop();
  BOOST_TEST_MESSAGE("stop(): " << milliseconds_since(stopping) << " ms");
  for (pid_t pid : pids) {
    BOOST_TEST_CONTEXT("pid " << pid) {
      BOOST_TEST(::kill(pid, 0) == -1);
      BOOST_TEST(errno == ESRCH);
    }
  }
  const std::string directory = cluster.directory();
  BOOST_TEST(fs::exists(directory));
  { LocalCluster gone = std::move(cluster); }
  BOOST_TEST(!fs::exists(directory));
}

BOOST_AUTO_TEST_CASE(a_failed_start_is_a_typed_error_and_leaves_nothing_behind) {
  const fs::path directory =
      fs::temp_directory_path() / ("rtk-cluster-missing-" + std::to_string(::getpid()));
  LocalCluster::Options options;
  options.binary = "/nonexistent/redis-server";
  options.directory = directory.string();
  try {
    LocalCluster::start(options);
    BOOST_ERROR("a cluster started without a redis-server");
  } catch (const ConnectionError& error) {
    BOOST_TEST(contains(error.what(), "redis-server not found"));
  }
  BOOST_TEST(!fs::exists(directory));

  LocalCluster::Options two_masters;
  two_masters.masters = 2;
  BOOST_CHECK_THROW(LocalCluster::start(two_masters), ValidationError);
  LocalCluster::Options too_high;
  too_high.base_port = 55531;
  BOOST_CHECK_THROW(LocalCluster::start(too_high), ValidationError);
}

namespace {

struct RtkClusterFixture {
  std::uint16_t base_port = free_base_port();
  fs::path directory = fs::temp_directory_path() /
                       ("rtk-cluster-test-" + std::to_string(::getpid()) + "-" +
                        std::to_string(base_port));

  ~RtkClusterFixture() {
    // Whatever happened in the test, no daemon outlives it.
    LocalCluster::stop_detached(base_port, 6, directory.string());
    std::error_code ignored;
    fs::remove_all(directory, ignored);
  }

  ProgramOutput rtk(const std::string& action, std::vector<std::string> more = {},
                    std::chrono::milliseconds limit = 60s) {
    const char* executable = std::getenv("RTK_RTK_EXE");
    BOOST_REQUIRE_MESSAGE(executable != nullptr, "RTK_RTK_EXE must name the rtk binary");
    std::vector<std::string> argv = {executable, "cluster", action, "--base-port",
                                     std::to_string(base_port), "--dir", directory.string()};
    argv.insert(argv.end(), more.begin(), more.end());
    return run_program(argv, limit);
  }
};

} // namespace

BOOST_FIXTURE_TEST_CASE(rtk_cluster_up_status_down, RtkClusterFixture) {
  std::string addresses;
  for (int offset = 0; offset < 6; ++offset)
    addresses += (offset ? "," : "") + std::string("127.0.0.1:") + std::to_string(base_port + offset);

  const auto started = Clock::now();
  const ProgramOutput up = rtk("up");
  BOOST_TEST_MESSAGE("rtk cluster up: " << milliseconds_since(started) << " ms\n" << up.standard_output);
  BOOST_TEST_REQUIRE(up.exit_status == 0, up.standard_error);
  BOOST_TEST(contains(up.standard_output, "rtk --cluster " + addresses));
  BOOST_TEST(contains(up.standard_output, directory.string()));

  std::vector<pid_t> pids;
  for (int offset = 0; offset < 6; ++offset) {
    std::ifstream pid_file(directory / std::to_string(base_port + offset) / "redis.pid");
    pid_t pid = 0;
    BOOST_TEST_REQUIRE(static_cast<bool>(pid_file >> pid));
    pids.push_back(pid);
  }
  // The daemons outlived rtk, and answer as a cluster.
  BOOST_TEST(rtk_test::run_redis_cli(base_port, {"-c", "SET", "k", "v"}) == "OK");
  BOOST_TEST(rtk_test::run_redis_cli(static_cast<std::uint16_t>(base_port + 5), {"-c", "GET", "k"}) == "v");

  const ProgramOutput status = rtk("status");
  BOOST_TEST(status.exit_status == 0, status.standard_error);
  std::istringstream lines(status.standard_output);
  int master_lines = 0;
  int replica_lines = 0;
  for (std::string line; std::getline(lines, line);) {
    if (contains(line, " master state=ok")) ++master_lines;
    if (contains(line, " replica state=ok link=up")) ++replica_lines;
  }
  BOOST_TEST(master_lines == 3);
  BOOST_TEST(replica_lines == 3);
  BOOST_TEST(contains(status.standard_output, "healthy\n"));

  // A second `up` on the same ports refuses, and touches nothing.
  const ProgramOutput again = rtk("up");
  BOOST_TEST(again.exit_status == 1);
  BOOST_TEST(contains(again.standard_error, "ClusterError"));
  BOOST_TEST(contains(again.standard_error, "already answers"));
  BOOST_TEST(rtk("status").exit_status == 0);

  const ProgramOutput down = rtk("down");
  BOOST_TEST(down.exit_status == 0, down.standard_error);
  BOOST_TEST(contains(down.standard_output, "stopped 6 of 6 nodes"));
  for (pid_t pid : pids) BOOST_TEST(process_gone(pid), "pid " << pid << " is still running");

  const ProgramOutput after = rtk("status");
  BOOST_TEST(after.exit_status == 1);
  BOOST_TEST(contains(after.standard_output, "127.0.0.1:" + std::to_string(base_port) + " down"));
  BOOST_TEST(contains(after.standard_error, "no node answers"));
  BOOST_TEST(contains(rtk("down").standard_output, "stopped 0 of 6 nodes"));
}

BOOST_AUTO_TEST_CASE(rtk_cluster_refuses_a_base_port_without_room_for_the_bus) {
  const char* executable = std::getenv("RTK_RTK_EXE");
  BOOST_REQUIRE(executable != nullptr);
  const ProgramOutput result =
      run_program({executable, "cluster", "up", "--base-port", "60000"}, 20s);
  BOOST_TEST(result.exit_status == 2);
  BOOST_TEST(contains(result.standard_error, "ValidationError"));
  BOOST_TEST(contains(result.standard_error, "--base-port 60000"));
}

BOOST_AUTO_TEST_SUITE_END()
