// rtk against a real Sentinel deployment: --sentinel and --master find the master, whichever
// server the sentinels name, over TLS too (--tls --cacert), and a master name no sentinel knows is
// a clear error.
#include "redis_cli.hpp"
#include "tls_certificates.hpp"

#include "redis_toolkit/local_sentinel.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdlib>

using namespace redis_toolkit;
using namespace std::chrono_literals;

namespace {

std::string sentinel_list(const LocalSentinel& deployment, bool tls = false) {
  std::string list;
  for (const NodeAddress& sentinel :
       tls ? deployment.tls_sentinel_addresses() : deployment.sentinel_addresses())
    list += (list.empty() ? "" : ",") + sentinel.to_string();
  return list;
}

ProgramOutput rtk(const std::vector<std::string>& arguments) {
  const char* executable = std::getenv("RTK_RTK_EXE");
  BOOST_REQUIRE_MESSAGE(executable != nullptr, "RTK_RTK_EXE must name the rtk binary");
  std::vector<std::string> argv = {executable};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return run_program(argv, 30s);
}

} // namespace

BOOST_AUTO_TEST_SUITE(cli_sentinel_tests)

BOOST_AUTO_TEST_CASE(sentinel_and_master_reach_the_master_the_sentinels_name) {
  LocalSentinel deployment = LocalSentinel::start();
  const std::string sentinels = sentinel_list(deployment);
  auto set = rtk({"--sentinel", sentinels, "--master", "mymaster", "set", "k", "42"});
  BOOST_TEST(set.exit_status == 0, set.standard_error);
  const std::uint16_t master = deployment.server_addresses().at(deployment.master()).port;
  BOOST_TEST(rtk_test::run_redis_cli(master, {"GET", "k"}) == R"({"__type__": "int", "__data__": 42})");

  // After a failover the same command line finds the new master.
  const std::size_t promoted = deployment.failover(30s);
  auto get = rtk({"--sentinel", sentinels, "--master", "mymaster", "get", "k"});
  BOOST_TEST(get.exit_status == 0, get.standard_error);
  BOOST_TEST(get.standard_output == "42\n");
  auto set_again = rtk({"--sentinel", sentinels, "--master", "mymaster", "set", "k", "43"});
  BOOST_TEST(set_again.exit_status == 0, set_again.standard_error);
  BOOST_TEST(rtk_test::run_redis_cli(deployment.server_addresses().at(promoted).port,
                                     {"GET", "k"}) == R"({"__type__": "int", "__data__": 43})");

  auto unknown = rtk({"--sentinel", sentinels, "--master", "nobody", "get", "k"});
  BOOST_TEST(unknown.exit_status == 1);
  BOOST_TEST(unknown.standard_error.find("ConnectionError") != std::string::npos,
             unknown.standard_error);
  BOOST_TEST(unknown.standard_error.find("does not monitor 'nobody'") != std::string::npos,
             unknown.standard_error);
}

BOOST_AUTO_TEST_CASE(tls_and_sentinel_together_reach_a_tls_deployment) {
  rtk_bench::TlsCertificates certificates;
  LocalSentinel::Options options;
  options.tls = certificates.server().tls;
  LocalSentinel deployment = LocalSentinel::start(options);
  const std::string sentinels = sentinel_list(deployment, true);
  const std::string ca = certificates.file("ca.crt");
  auto set = rtk({"--tls", "--cacert", ca, "--sentinel", sentinels, "--master", "mymaster", "set", "k", "7"});
  BOOST_TEST(set.exit_status == 0, set.standard_error);
  const std::uint16_t master = deployment.server_addresses().at(deployment.master()).port;
  BOOST_TEST(rtk_test::run_redis_cli(master, {"GET", "k"}) == R"({"__type__": "int", "__data__": 7})");

  // The TLS ports without --tls: the sentinels do not answer plain RESP, a clear error.
  auto plain = rtk({"--sentinel", sentinels, "--master", "mymaster", "get", "k"});
  BOOST_TEST(plain.exit_status == 1);
  BOOST_TEST(plain.standard_error.find("ConnectionError") != std::string::npos, plain.standard_error);
}

BOOST_AUTO_TEST_SUITE_END()
