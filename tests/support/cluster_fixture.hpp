#pragma once
// A real 3-master 3-replica cluster for a test suite (one per test process: CTest runs each suite
// in a process of its own), and configs pointing at it.

#include "redis_toolkit/config.hpp"
#include "redis_toolkit/key_slot.hpp"
#include "redis_toolkit/local_cluster.hpp"

#include "redis_cli.hpp"

#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>

namespace rtk_test {

/// The suite's cluster, started on first use from the test thread (which outlives it).
inline redis_toolkit::LocalCluster& suite_cluster() {
  static redis_toolkit::LocalCluster cluster = redis_toolkit::LocalCluster::start();
  return cluster;
}

inline redis_toolkit::RedisConnectionConfig cluster_config(redis_toolkit::LocalCluster& cluster) {
  redis_toolkit::RedisConnectionConfig config;
  config.cluster_mode = true;
  config.startup_nodes = cluster.addresses();
  config.connection_timeout = std::chrono::milliseconds(2000);
  config.socket_timeout = std::chrono::milliseconds(2000);
  return config;
}

/// The port of the node that serves `key`'s slot as master now.
inline std::uint16_t port_of_master(redis_toolkit::LocalCluster& cluster, std::string_view key) {
  return cluster.node(cluster.master_of_slot(redis_toolkit::key_slot(key))).port();
}

/// A hash tag, `prefix` and a number, whose slot the master at `master_index` serves.
inline std::string tag_on_master(const redis_toolkit::LocalCluster& cluster, std::size_t master_index,
                                 const std::string& prefix) {
  for (int i = 0; i < 100000; ++i) {
    std::string tag = prefix + std::to_string(i);
    if (cluster.master_of_slot(redis_toolkit::key_slot(tag)) == master_index) return tag;
  }
  throw std::runtime_error("no hash tag found for master " + std::to_string(master_index));
}

/// A test case's view of the suite's cluster.
struct ClusterFixture {
  redis_toolkit::LocalCluster& cluster = suite_cluster();
  redis_toolkit::RedisConnectionConfig config() const { return cluster_config(cluster); }
  std::uint16_t port_of_master(std::string_view key) const {
    return rtk_test::port_of_master(cluster, key);
  }
};

/// Options for tests that fail nodes on purpose: the warnings of a failover are expected there.
inline redis_toolkit::RedisOptions quiet_options() {
  redis_toolkit::RedisOptions options;
  options.log_level = redis_toolkit::LogLevel::error;
  return options;
}

/// One field of a node's INFO section ("errorstat_ASK" in "errorstats"), "" when absent.
inline std::string info_field(std::uint16_t port, const std::string& section,
                              const std::string& field) {
  const std::string info = run_redis_cli(port, {"INFO", section});
  const std::size_t at = info.find(field + ":");
  if (at == std::string::npos) return {};
  const std::size_t start = at + field.size() + 1;
  return info.substr(start, info.find_first_of("\r\n", start) - start);
}

/// The count in an errorstat line ("count=3"), 0 when the error never happened.
inline long error_count(std::uint16_t port, const std::string& error) {
  const std::string stat = info_field(port, "errorstats", "errorstat_" + error);
  const std::size_t at = stat.find("count=");
  return at == std::string::npos ? 0 : std::stol(stat.substr(at + 6));
}

} // namespace rtk_test
