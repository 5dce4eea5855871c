// LocalSentinel against real redis-server processes, the sentinels in sentinel mode: a master, two
// replicas and three sentinels come up healthy, a killed master is replaced by a replica and comes
// back as a replica, SENTINEL FAILOVER moves the master, and nothing is left behind.
#include "daemon_checks.hpp"
#include "redis_cli.hpp"

#include "redis_toolkit/errors.hpp"
#include "redis_toolkit/local_sentinel.hpp"

#include <boost/test/unit_test.hpp>

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
using Clock = std::chrono::steady_clock;

namespace {

using rtk_test::port_free;
using rtk_test::process_gone;

std::string role_of(std::uint16_t port) {
  const std::string info = rtk_test::run_redis_cli(port, {"INFO", "replication"});
  const std::size_t at = info.find("role:");
  if (at == std::string::npos) return "";
  return info.substr(at + 5, info.find_first_of("\r\n", at) - at - 5);
}

long long milliseconds_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}


/// A base port P with the servers' P..P+2 and the sentinels' P+20000..P+20002 free: P in
/// 3000..5999, so neither range meets the cluster tests' (20000.. and their bus ports 30000..) nor
/// the kernel's ephemeral ports (32768 and up) where the other tests' free ports come from.
std::uint16_t free_base_port() {
  constexpr int low = 3000;
  constexpr int high = 6000;
  const int start = low + static_cast<int>(::getpid() % 300) * 7;
  for (int step = 0; step < (high - low); step += 7) {
    const int base = low + (start - low + step) % (high - low);
    bool all_free = true;
    for (int offset = 0; offset < 3 && all_free; ++offset)
      all_free = port_free(static_cast<std::uint16_t>(base + offset)) &&
                 port_free(static_cast<std::uint16_t>(base + 20000 + offset));
    if (all_free) return static_cast<std::uint16_t>(base);
  }
  throw std::runtime_error("no free base port in 3000..5999 for a sentinel deployment");
}

struct RtkSentinelFixture {
  std::uint16_t base_port = free_base_port();
  std::filesystem::path directory =
      std::filesystem::temp_directory_path() /
      ("rtk-sentinel-test-" + std::to_string(::getpid()) + "-" + std::to_string(base_port));

  ~RtkSentinelFixture() {
    // Whatever happened in the test, no daemon outlives it.
    LocalSentinel::Options options;
    options.base_port = base_port;
    options.directory = directory.string();
    LocalSentinel::stop_detached(options);
    std::error_code ignored;
    std::filesystem::remove_all(directory, ignored);
  }

  ProgramOutput rtk(const std::string& action) {
    const char* executable = std::getenv("RTK_RTK_EXE");
    BOOST_REQUIRE_MESSAGE(executable != nullptr, "RTK_RTK_EXE must name the rtk binary");
    return run_program({executable, "sentinel", action, "--base-port", std::to_string(base_port),
                        "--dir", directory.string()},
                       90s);
  }
};

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

BOOST_FIXTURE_TEST_CASE(rtk_sentinel_up_status_down, RtkSentinelFixture) {
  const auto started = Clock::now();
  const ProgramOutput up = rtk("up");
  BOOST_TEST_MESSAGE("rtk sentinel up: " << milliseconds_since(started) << " ms\n" << up.standard_output);
  BOOST_TEST_REQUIRE(up.exit_status == 0, up.standard_error);
  const std::string master = "127.0.0.1:" + std::to_string(base_port);
  std::string sentinels;
  for (int offset = 0; offset < 3; ++offset)
    sentinels += (offset ? "," : "") + std::string("127.0.0.1:") + std::to_string(base_port + 20000 + offset);
  BOOST_TEST(contains(up.standard_output, "sentinels: " + sentinels));
  BOOST_TEST(contains(up.standard_output, directory.string()));

  // The daemons outlived rtk: the sentinels name the master, which replicates to both replicas.
  std::vector<pid_t> pids;
  for (int offset : {0, 1, 2, 20000, 20001, 20002}) {
    std::ifstream pid_file(directory / std::to_string(base_port + offset) / "redis.pid");
    pid_t pid = 0;
    BOOST_TEST_REQUIRE(static_cast<bool>(pid_file >> pid));
    pids.push_back(pid);
  }
  BOOST_TEST(rtk_test::run_redis_cli(base_port, {"SET", "k", "v"}) == "OK");
  BOOST_TEST(rtk_test::run_redis_cli(base_port, {"WAIT", "2", "5000"}) == "2");
  BOOST_TEST(contains(rtk_test::run_redis_cli(static_cast<std::uint16_t>(base_port + 20001),
                                              {"SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"}),
                      std::to_string(base_port)));

  const ProgramOutput status = rtk("status");
  BOOST_TEST(status.exit_status == 0, status.standard_error);
  BOOST_TEST(contains(status.standard_output, master + " master\n"));
  std::istringstream lines(status.standard_output);
  int replicas = 0, watching = 0;
  for (std::string line; std::getline(lines, line);) {
    replicas += contains(line, " replica link=up");
    watching += contains(line, " sentinel master=" + master);
  }
  BOOST_TEST(replicas == 2);
  BOOST_TEST(watching == 3);
  BOOST_TEST(contains(status.standard_output, "healthy\n"));

  const ProgramOutput again = rtk("up"); // refuses, and touches nothing
  BOOST_TEST(again.exit_status == 1);
  BOOST_TEST(contains(again.standard_error, "already answers"), again.standard_error);
  BOOST_TEST(rtk("status").exit_status == 0);

  const ProgramOutput down = rtk("down");
  BOOST_TEST(down.exit_status == 0, down.standard_error);
  BOOST_TEST(contains(down.standard_output, "stopped 6 of 6 processes"));
  for (pid_t pid : pids) BOOST_TEST(process_gone(pid), "pid " << pid << " is still running");
  const ProgramOutput after = rtk("status");
  BOOST_TEST(after.exit_status == 1);
  BOOST_TEST(contains(after.standard_output, master + " down"));
  BOOST_TEST(contains(after.standard_error, "nothing answers"));
}

BOOST_AUTO_TEST_SUITE_END()
