// LocalSentinel against real redis-server processes, the sentinels in sentinel mode: a master, two
// replicas and three sentinels come up healthy, a killed master is replaced by a replica and comes
// back as a replica, SENTINEL FAILOVER moves the master, and nothing is left behind.
#include "redis_cli.hpp"

#include "redis_toolkit/errors.hpp"
#include "redis_toolkit/local_sentinel.hpp"

#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <csignal>
#include <filesystem>

using namespace std::chrono_literals;
using namespace redis_toolkit;
using Clock = std::chrono::steady_clock;

namespace {

std::string role_of(std::uint16_t port) {
  const std::string info = rtk_test::run_redis_cli(port, {"INFO", "replication"});
  const std::size_t at = info.find("role:");
  if (at == std::string::npos) return "";
  return info.substr(at + 5, info.find_first_of("\r\n", at) - at - 5);
}

long long milliseconds_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

} // namespace

BOOST_AUTO_TEST_SUITE(local_sentinel_tests)

BOOST_AUTO_TEST_CASE(a_master_two_replicas_and_three_sentinels_come_up_healthy) {
  LocalSentinel deployment = LocalSentinel::start();
  BOOST_TEST(deployment.server_count() == 3u);
  BOOST_TEST(deployment.sentinel_count() == 3u);
  BOOST_TEST(deployment.master_name() == "mymaster");
  BOOST_TEST(deployment.master() == 0u);
  BOOST_TEST(deployment.health_problems().empty());
  const std::uint16_t master = deployment.server(0).port();
  BOOST_TEST(role_of(master) == "master");
  BOOST_TEST(role_of(deployment.server(1).port()) == "slave");
  // A write acknowledged by both replicas is on both.
  BOOST_TEST(rtk_test::run_redis_cli(master, {"SET", "greeting", "hello"}) == "OK");
  BOOST_TEST(rtk_test::run_redis_cli(master, {"WAIT", "2", "5000"}) == "2");
  for (std::size_t replica : {1u, 2u})
    BOOST_TEST(rtk_test::run_redis_cli(deployment.server(replica).port(), {"GET", "greeting"}) == "hello");
  // Each sentinel answers the question a client asks first.
  for (const NodeAddress& sentinel : deployment.sentinel_addresses()) {
    const std::string answer =
        rtk_test::run_redis_cli(sentinel.port, {"SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"});
    BOOST_TEST(answer.find(std::to_string(master)) != std::string::npos, answer);
  }
}

BOOST_AUTO_TEST_CASE(a_killed_master_is_replaced_and_comes_back_as_a_replica) {
  LocalSentinel deployment = LocalSentinel::start();
  BOOST_TEST(rtk_test::run_redis_cli(deployment.server(0).port(), {"SET", "kept", "1"}) == "OK");
  BOOST_TEST(rtk_test::run_redis_cli(deployment.server(0).port(), {"WAIT", "2", "5000"}) == "2");
  const auto killed_at = Clock::now();
  deployment.server(0).kill_hard();
  BOOST_TEST(deployment.wait_for_new_master(0, 30s) != 0u);
  BOOST_TEST_MESSAGE("a replica promoted " << milliseconds_since(killed_at) << " ms after kill -9");
  deployment.wait_until_healthy(30s); // the other replica follows the new master
  BOOST_TEST_MESSAGE("healthy again " << milliseconds_since(killed_at) << " ms after kill -9");
  // Asked once settled: sentinels that start elections together may fail over twice (the higher
  // epoch wins) before they agree.
  const std::size_t heir = deployment.master();
  BOOST_TEST(heir != 0u);
  const std::uint16_t heir_port = deployment.server(heir).port();
  BOOST_TEST(role_of(heir_port) == "master");
  BOOST_TEST(rtk_test::run_redis_cli(heir_port, {"GET", "kept"}) == "1"); // the WAITed write

  deployment.restart_server(0);
  deployment.wait_until_healthy(30s);
  BOOST_TEST(role_of(deployment.server(0).port()) == "slave");
  BOOST_TEST(deployment.master() == heir);
}

BOOST_AUTO_TEST_CASE(sentinel_failover_moves_the_master_without_losing_a_write) {
  LocalSentinel deployment = LocalSentinel::start();
  BOOST_TEST(rtk_test::run_redis_cli(deployment.server(0).port(), {"SET", "moved", "yes"}) == "OK");
  const auto started = Clock::now();
  const std::size_t heir = deployment.failover(30s);
  BOOST_TEST_MESSAGE("SENTINEL FAILOVER done in " << milliseconds_since(started) << " ms");
  BOOST_TEST(heir != 0u);
  deployment.wait_until_healthy(30s);
  BOOST_TEST(role_of(deployment.server(heir).port()) == "master");
  BOOST_TEST(role_of(deployment.server(0).port()) == "slave");
  BOOST_TEST(rtk_test::run_redis_cli(deployment.server(heir).port(), {"GET", "moved"}) == "yes");
}

BOOST_AUTO_TEST_CASE(a_stopped_deployment_leaves_no_process_and_no_directory) {
  std::vector<pid_t> pids;
  std::string directory;
  {
    LocalSentinel deployment = LocalSentinel::start();
    directory = deployment.directory();
    for (std::size_t i = 0; i < deployment.server_count(); ++i) pids.push_back(deployment.server(i).pid());
    for (std::size_t i = 0; i < deployment.sentinel_count(); ++i) pids.push_back(deployment.sentinel(i).pid());
  }
  for (pid_t pid : pids) BOOST_TEST((::kill(pid, 0) != 0 && errno == ESRCH), "pid " << pid);
  BOOST_TEST(!std::filesystem::exists(directory));
}

BOOST_AUTO_TEST_CASE(options_out_of_range_are_refused_before_anything_starts) {
  LocalSentinel::Options options;
  options.sentinels = 0;
  BOOST_CHECK_THROW(LocalSentinel::start(options), ValidationError);
  options = {};
  options.quorum = 4; // more than the three sentinels
  BOOST_CHECK_THROW(LocalSentinel::start(options), ValidationError);
  options = {};
  options.master_name = "two words";
  BOOST_CHECK_THROW(LocalSentinel::start(options), ValidationError);
}

BOOST_AUTO_TEST_SUITE_END()
