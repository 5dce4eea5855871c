#pragma once
// Small helpers the examples share; they are not part of the library.

#include <redis_toolkit/config.hpp>
#include <redis_toolkit/local_cluster.hpp>

#include <caf/actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

#include <cstdlib>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace example {

/// Records failed checks; the tour keeps going so that one run shows every problem.
class Checks {
public:
  void expect(bool passed, const std::string& what) {
    if (!passed) std::cout << "FAILED: " << what << "\n";
    failed_ = failed_ || !passed;
  }
  int finish(const std::string& name) const {
    std::cout << name << (failed_ ? ": FAILED" : ": ok") << "\n";
    return failed_ ? 1 : 0;
  }

private:
  bool failed_ = false;
};

/// Actors of ours, ended when the scope is left (by an exception too): the actor system waits for
/// every actor before it shuts down, so a forgotten one would hang the program at exit.
class OwnedActors {
public:
  OwnedActors() = default;
  OwnedActors(const OwnedActors&) = delete;
  OwnedActors& operator=(const OwnedActors&) = delete;
  ~OwnedActors() {
    for (const auto& actor : actors_) caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
  }
  caf::actor add(caf::actor actor) {
    actors_.push_back(actor);
    return actor;
  }

private:
  std::vector<caf::actor> actors_;
};

/// The Redis Cluster a cluster example runs against: the one the environment variable RTK_CLUSTER
/// names ("127.0.0.1:7000,127.0.0.1:7001", e.g. after `rtk cluster up`), or else a local cluster
/// of 3 masters and 3 replicas started here on free ports and stopped when this object goes.
///
///   auto cluster = example::ClusterForExample::start_or_connect();
///   redis_toolkit::RedisToolkit toolkit(cluster.config());
class ClusterForExample {
public:
  static ClusterForExample start_or_connect() {
    ClusterForExample chosen;
    const char* named = std::getenv("RTK_CLUSTER");
    if (named != nullptr && *named != '\0') {
      std::string text = named;
      for (std::size_t start = 0; start <= text.size();) {
        std::size_t comma = text.find(',', start);
        if (comma == std::string::npos) comma = text.size();
        if (comma > start)
          chosen.seeds_.push_back(redis_toolkit::NodeAddress::parse(text.substr(start, comma - start)));
        start = comma + 1;
      }
      if (chosen.seeds_.empty()) throw std::invalid_argument("RTK_CLUSTER names no node");
    } else {
      chosen.local_ = redis_toolkit::LocalCluster::start(); // about 2-3 s: six redis-servers
      chosen.seeds_ = chosen.local_->addresses();
    }
    return chosen;
  }

  /// A connection config in cluster mode: the startup nodes are only seeds, the toolkit learns
  /// every node and slot from any one of them.
  redis_toolkit::RedisConnectionConfig config() const {
    redis_toolkit::RedisConnectionConfig config;
    config.cluster_mode = true;
    config.startup_nodes = seeds_;
    return config;
  }
  /// True when the cluster was started here: only then may an example kill and restart its nodes.
  bool is_local() const { return local_.has_value(); }
  /// The cluster started here; call only when is_local().
  redis_toolkit::LocalCluster& local() { return local_.value(); }
  std::string describe() const {
    std::string text;
    for (const auto& seed : seeds_) text += (text.empty() ? "" : ",") + seed.to_string();
    return text + (local_ ? " (a local cluster started for this example)" : " (from RTK_CLUSTER)");
  }

private:
  std::optional<redis_toolkit::LocalCluster> local_;
  std::vector<redis_toolkit::NodeAddress> seeds_;
};

} // namespace example
