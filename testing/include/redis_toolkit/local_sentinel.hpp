#pragma once
// A local Redis Sentinel deployment of real processes on loopback: a master, its replicas (2 by
// default) and sentinels (3 by default, quorum 2) watching it under one name ("mymaster"), with
// settings that make a killed master replaced quickly here (docs/SENTINEL.md gives the
// measurements). For the tests, the examples and `rtk failover-sim`; LocalCluster's sibling.
//
//   auto deployment = redis_toolkit::LocalSentinel::start();   // free ports, fresh directory
//   std::size_t master = deployment.master();                   // as the sentinels say
//   deployment.server(master).kill_hard();                      // a crash
//   deployment.wait_for_new_master(master, std::chrono::seconds(30));
//   deployment.wait_until_healthy(std::chrono::seconds(30));
//
// Over TLS: options.tls = RedisServerProcess::Tls{cert, key, ca}; a client then lists
// deployment.tls_sentinel_addresses() with ssl = true and ssl_ca_certs = ca.
//
// Owned processes get SIGTERM when the thread that started them exits (see RedisServerProcess):
// start it from a thread that outlives it. Every wait has a deadline; what was still wrong when
// it passed is a ConnectionError naming a server or sentinel.
#include "redis_toolkit/config.hpp"
#include "redis_toolkit/server_launcher.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace redis_toolkit {

/// What one process of a local Sentinel deployment says about itself; for `rtk sentinel status`.
struct LocalSentinelProcessStatus {
  NodeAddress address;
  bool answering = false;
  std::string role;            ///< "master", "replica" or "sentinel"; empty when not answering
  bool master_link_up = false; ///< replicas: master_link_status:up
  std::string named_master;    ///< sentinels: the master they name ("host:port"), empty if none
};

class LocalSentinel {
public:
  struct Options {
    std::string binary;                  ///< the servers'; empty: find_redis_server_binary()
    /// The sentinels'; empty: find_redis_sentinel_binary() (Debian's redis-sentinel), and when
    /// there is none, the servers' binary in sentinel mode (the same program).
    std::string sentinel_binary;
    std::string master_name = "mymaster";
    int replicas = 2;                    ///< 0..5
    int sentinels = 3;                   ///< 1..7
    int quorum = 2;                      ///< sentinels that must agree the master is down
    /// Servers on base_port .. base_port+replicas, sentinels on base_port+20000 .. (0: free ports).
    std::uint16_t base_port = 0;
    std::chrono::milliseconds down_after{1000};       ///< sentinel down-after-milliseconds
    std::chrono::milliseconds failover_timeout{10000}; ///< sentinel failover-timeout
    std::chrono::milliseconds start_timeout{60000};   ///< the whole start, until healthy
    /// Empty: a fresh $TMPDIR/rtk-sentinel-XXXXXX, removed with the deployment unless kept.
    std::string directory;
    bool keep_directory = false;
    std::vector<std::string> extra_args; ///< appended to every server's (not sentinel's) command line
    /// Set: every server and sentinel also listens on a TLS port of its own (the `port` field is
    /// ignored) with these certificates; replicas replicate and sentinels talk to the servers and
    /// to each other over TLS, so the sentinels name TLS addresses. A TLS client lists
    /// tls_sentinel_addresses(). The plain ports stay, for the deployment's own checks. Not for
    /// the detached form.
    std::optional<RedisServerProcess::Tls> tls;
  };

  /// Starts the servers (server 0 the master, the others its replicas) and the sentinels, and
  /// returns once wait_until_healthy() holds, all within start_timeout. Throws ValidationError for
  /// options outside the limits above, ConnectionError naming the process and the reason when one
  /// does not start or the deployment is not healthy in time. A failed start leaves no process.
  static LocalSentinel start(Options options);
  static LocalSentinel start() { return start(Options{}); }

  LocalSentinel(LocalSentinel&&) noexcept;
  LocalSentinel& operator=(LocalSentinel&&) noexcept;
  LocalSentinel(const LocalSentinel&) = delete;
  LocalSentinel& operator=(const LocalSentinel&) = delete;
  ~LocalSentinel(); ///< stops every process, removes the directory unless kept

  const std::string& master_name() const noexcept { return options_.master_name; }
  std::size_t server_count() const noexcept { return servers_.size(); }
  std::size_t sentinel_count() const noexcept { return sentinels_.size(); }
  RedisServerProcess& server(std::size_t index) { return servers_.at(index); }
  RedisServerProcess& sentinel(std::size_t index) { return sentinels_.at(index); }
  std::vector<NodeAddress> server_addresses() const;
  std::vector<NodeAddress> sentinel_addresses() const; ///< what a client's `sentinels` lists
  /// With Options::tls: the TLS addresses, which the sentinels name and a TLS client lists.
  std::vector<NodeAddress> tls_server_addresses() const;
  std::vector<NodeAddress> tls_sentinel_addresses() const;
  const std::string& directory() const noexcept { return directory_; }

  /// The server the answering sentinels name as master (SENTINEL GET-MASTER-ADDR-BY-NAME). Throws
  /// ConnectionError when no sentinel answers, they disagree, or they name a server not of this
  /// deployment.
  std::size_t master() const;
  /// Waits until the answering sentinels all name one master other than `old_master`.
  std::size_t wait_for_new_master(std::size_t old_master, std::chrono::milliseconds timeout) const;
  /// Waits until all is well: the answering sentinels name the same master, see it up, see every
  /// live replica up and every other answering sentinel; the master has every live server as its
  /// replica, each with its link up. Throws ConnectionError with what was still wrong.
  void wait_until_healthy(std::chrono::milliseconds timeout) const;
  /// What keeps the deployment from being healthy now, one entry per problem; empty when healthy.
  std::vector<std::string> health_problems() const;
  /// SENTINEL FAILOVER (no agreement needed) on the first answering sentinel; returns the new
  /// master once the sentinels name it. Throws ConnectionError when refused or not done in time.
  std::size_t failover(std::chrono::milliseconds timeout);
  /// Starts a stopped or killed server again (same port and directory); the sentinels make it a
  /// replica of the current master. Returns once it answers (call wait_until_healthy after).
  void restart_server(std::size_t index) { servers_.at(index).restart(); }

  /// Stops every process, all at once; idempotent.
  void stop() noexcept;

  // ---- the detached form, for `rtk sentinel up|down|status` ----
  static constexpr std::uint16_t default_detached_base_port = 6400;
  /// $TMPDIR/rtk-sentinel-<base_port> (/tmp when TMPDIR is not set).
  static std::string default_detached_directory(std::uint16_t base_port);
  /// The servers' and the sentinels' addresses of a detached deployment with `options`
  /// (base_port 0: default_detached_base_port).
  static std::vector<NodeAddress> detached_servers(const Options& options);
  static std::vector<NodeAddress> detached_sentinels(const Options& options);
  /// Starts daemonized servers and sentinels (each in `directory`/<port>, default
  /// default_detached_directory()) and waits until healthy; the processes outlive this process.
  /// Throws like start(), and ConnectionError when a server already answers on one of the ports.
  /// A failed start stops what it started.
  static void start_detached(Options options);
  /// Stops the detached deployment's processes started from its directory (sentinels first);
  /// returns how many were running. A server on those ports not started there is left alone.
  static std::size_t stop_detached(Options options);
  /// Every process of the detached deployment, servers first.
  static std::vector<LocalSentinelProcessStatus> status_of(Options options);
  /// What keeps the processes at these addresses from being a healthy deployment (the rules of
  /// wait_until_healthy); empty when healthy. Asks once, never waits.
  static std::vector<std::string> health_problems_at(const std::string& master_name,
                                                     const std::vector<NodeAddress>& servers,
                                                     const std::vector<NodeAddress>& sentinels);

private:
  LocalSentinel() = default;
  void release() noexcept;

  std::vector<RedisServerProcess> servers_;
  std::vector<RedisServerProcess> sentinels_;
  std::string directory_;
  bool owns_directory_ = false;
  Options options_;
};

} // namespace redis_toolkit
