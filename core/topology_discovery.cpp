#include "topology_discovery.hpp"

#include "redis_toolkit/errors.hpp"
#include "redis_toolkit/logging.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>

namespace redis_toolkit::detail {

TopologyDiscovery::TopologyDiscovery(DiscoverySettings settings, RouterCore& core,
                                     DiscoveryPort& port)
    : settings_(std::move(settings)), core_(core), port_(port) {
  // A discovery with no one to ask would never end.
  if (settings_.sentinel_mode ? settings_.sentinels.empty() : settings_.seeds.empty())
    throw std::invalid_argument(settings_.sentinel_mode ? "topology discovery needs sentinels"
                                                        : "topology discovery needs seeds");
  // Known before any discovery runs, so that starting one never adds a node to the core.
  for (const NodeAddress& seed : settings_.seeds) seed_nodes_.push_back(core_.node_for_address(seed));
}

void TopologyDiscovery::start() {
  if (shutting_down_ || running_) return;
  begin();
}

void TopologyDiscovery::refresh() {
  if (shutting_down_) return;
  if (running_) {
    again_ = true;
    return;
  }
  if (scheduled_) return;
  const RouterClock::time_point now = port_.now();
  const RouterClock::duration since = now - last_started_;
  if (!started_once_ || since >= settings_.refresh_interval) {
    begin();
    return;
  }
  scheduled_ = true;
  port_.start_refresh_timer(settings_.refresh_interval - since);
}

void TopologyDiscovery::need() {
  if (!running_) refresh();
}

void TopologyDiscovery::timer_fired() {
  scheduled_ = false;
  if (!running_ && !shutting_down_) begin();
}

void TopologyDiscovery::shut_down() {
  shutting_down_ = true;
  queries_.clear();
}

void TopologyDiscovery::begin() {
  running_ = true;
  scheduled_ = false;
  again_ = false;
  reached_ = false;
  errors_.clear();
  queries_.clear();
  started_once_ = true;
  last_started_ = port_.now();
  ++core_.metrics().topology_refreshes;
  if (settings_.sentinel_mode) {
    ask_sentinel(0);
    return;
  }
  std::vector<std::int32_t> candidates;
  auto add = [&](std::int32_t node) {
    if (candidates.size() < settings_.fan_out &&
        std::find(candidates.begin(), candidates.end(), node) == candidates.end())
      candidates.push_back(node);
  };
  for (std::int32_t master : core_.masters()) add(master);
  if (candidates.empty() || ask_everyone_) {
    for (std::int32_t seed : seed_nodes_) add(seed);
    for (std::size_t node = 0; node < core_.node_count(); ++node)
      add(static_cast<std::int32_t>(node));
  }
  ask_everyone_ = false;
  outstanding_ = candidates.size();
  for (std::int32_t node : candidates) {
    Query query;
    query.asked = Asked::shards;
    query.node = static_cast<std::size_t>(node);
    ask(query, {"CLUSTER", "SHARDS"});
  }
}

void TopologyDiscovery::ask(Query query, std::vector<std::string> command) {
  const std::uint64_t id = next_query_++;
  const bool to_sentinel = query.asked == Asked::master_address || query.asked == Asked::replicas;
  const DiscoveryTarget target{to_sentinel ? DiscoveryTarget::Kind::sentinel
                                           : DiscoveryTarget::Kind::node,
                               to_sentinel ? query.sentinel : query.node};
  queries_.emplace(id, std::move(query));
  port_.query(id, target, std::move(command));
}

void TopologyDiscovery::take_reply(std::uint64_t id, const Reply& reply) {
  const auto found = queries_.find(id);
  if (found == queries_.end()) return; // its discovery ended, or the toolkit did
  const Query query = std::move(found->second);
  queries_.erase(found);
  if (settings_.sentinel_mode) take_sentinel_reply(query, reply);
  else take_cluster_reply(query, reply);
}

// ---- cluster mode ----

void TopologyDiscovery::take_cluster_reply(const Query& query, const Reply& reply) {
  if (!reply.is_failure()) reached_ = true;
  if (reply.is_error() && query.asked == Asked::shards &&
      reply.text.find("cluster support disabled") == std::string::npos) {
    Query older = query; // Redis < 7: CLUSTER SLOTS
    older.asked = Asked::slots;
    ask(older, {"CLUSTER", "SLOTS"});
    return;
  }
  if (reply.is_failure() || reply.is_error()) return node_failed(query, reply.text);
  const NodeAddress source = core_.address(static_cast<std::int32_t>(query.node));
  ClusterTopology topology;
  try {
    // CLUSTER SLOTS answers a TLS client with TLS ports already; SHARDS lists both.
    topology = query.asked == Asked::shards ? parse_cluster_shards(reply, source, settings_.tls)
                                            : parse_cluster_slots(reply, source);
  } catch (const std::exception& problem) {
    return node_failed(query, problem.what());
  }
  if (topology.shards.empty()) return node_failed(query, "it serves no slots yet");
  apply(topology, source);
  finish();
}

void TopologyDiscovery::node_failed(const Query& query, const std::string& reason) {
  errors_ += (errors_.empty() ? "" : "; ") +
             core_.address(static_cast<std::int32_t>(query.node)).to_string() + ": " + reason;
  if (--outstanding_ > 0) return;
  if (!core_.ready()) {
    if (reached_)
      fail_waiting(Reply::Type::cluster_failed,
                   "no startup node serves a cluster (" + errors_ +
                       "); for a single server, turn cluster_mode off");
    else
      fail_waiting(Reply::Type::connection_failed, "no reachable startup node (" + errors_ + ")");
  } else {
    note_failure("cluster topology refresh failed: " + errors_);
    ask_everyone_ = true;
  }
  finish();
}

// ---- Sentinel mode ----

void TopologyDiscovery::ask_sentinel(std::size_t attempt) {
  const std::size_t count = settings_.sentinels.size();
  if (attempt >= count) {
    const std::string reason = "no sentinel named a reachable master for '" +
                               settings_.master_name + "' (" + errors_ + ")";
    if (!core_.ready()) fail_waiting(Reply::Type::connection_failed, reason);
    else note_failure(reason);
    finish();
    return;
  }
  Query query;
  query.asked = Asked::master_address;
  query.attempt = attempt;
  query.sentinel = (sentinel_first_ + attempt) % count;
  ask(query, {"SENTINEL", "GET-MASTER-ADDR-BY-NAME", settings_.master_name});
}

void TopologyDiscovery::sentinel_skipped(const Query& query, const std::string& reason) {
  errors_ += (errors_.empty() ? "" : "; ") + settings_.sentinels[query.sentinel].to_string() +
             ": " + reason;
  ask_sentinel(query.attempt + 1);
}

void TopologyDiscovery::take_sentinel_reply(const Query& query, const Reply& reply) {
  switch (query.asked) {
  case Asked::master_address: {
    if (reply.is_failure() || reply.is_error()) return sentinel_skipped(query, reply.text);
    if (reply.is_nil())
      return sentinel_skipped(query, "does not monitor '" + settings_.master_name + "'");
    if (!reply.is_array() || reply.elements.size() != 2)
      return sentinel_skipped(query, "an address reply of an unknown shape");
    Query role = query;
    try {
      role.master = NodeAddress::parse(reply.elements[0].text + ":" + reply.elements[1].text);
    } catch (const ValidationError& problem) {
      return sentinel_skipped(query, problem.reason());
    }
    role.asked = Asked::role;
    role.node = static_cast<std::size_t>(core_.node_for_address(role.master));
    ask(role, {"ROLE"});
    return;
  }
  case Asked::role: {
    if (reply.is_failure() || reply.is_error())
      return sentinel_skipped(query, "it names " + query.master.to_string() + ": " + reply.text);
    const std::string said =
        reply.is_array() && !reply.elements.empty() ? reply.elements[0].text : "?";
    if (said != "master")
      return sentinel_skipped(query,
                              "it names " + query.master.to_string() + ", whose ROLE is " + said);
    if (!settings_.readonly_mode) return apply_sentinel_master(query.master, {}, query.sentinel);
    Query replicas = query;
    replicas.asked = Asked::replicas;
    ask(replicas, {"SENTINEL", "REPLICAS", settings_.master_name});
    return;
  }
  case Asked::replicas:
    // Without the list, reads go to the master: a working answer.
    return apply_sentinel_master(query.master, healthy_replicas(reply), query.sentinel);
  case Asked::shards:
  case Asked::slots:
    return;
  }
}

void TopologyDiscovery::apply_sentinel_master(const NodeAddress& master,
                                              std::vector<NodeAddress> replicas,
                                              std::size_t sentinel) {
  const std::optional<NodeAddress> before =
      core_.masters().empty() ? std::nullopt
                              : std::optional<NodeAddress>(core_.address(core_.masters().front()));
  if (!before || *before != master)
    RTK_LOG_INFO("sentinel " << settings_.sentinels[sentinel] << ": master "
                             << settings_.master_name << " is " << master
                             << (before ? " (was " + before->to_string() + ")" : std::string()));
  sentinel_first_ = sentinel;
  ClusterTopology topology;
  topology.shards.push_back(
      ClusterShard{master, std::move(replicas), {SlotRange{0, cluster_slot_count - 1}}});
  apply(topology, settings_.sentinels[sentinel]);
  // A demoted master may serve on for seconds: subscribers there would hear nothing.
  if (before && *before != master) port_.master_moved(master);
  finish();
}

std::vector<NodeAddress> healthy_replicas(const Reply& reply) {
  std::vector<NodeAddress> replicas;
  if (!reply.is_array()) return replicas;
  for (const Reply& entry : reply.elements) {
    if (!entry.is_array()) continue;
    std::map<std::string, std::string> fields; // SENTINEL REPLICAS: a flat field/value array each
    for (std::size_t i = 0; i + 1 < entry.elements.size(); i += 2)
      fields[entry.elements[i].text] = entry.elements[i + 1].text;
    const std::string& flags = fields["flags"];
    if (flags.find("s_down") != std::string::npos || flags.find("o_down") != std::string::npos ||
        flags.find("disconnected") != std::string::npos || fields["master-link-status"] != "ok")
      continue;
    try {
      replicas.push_back(NodeAddress::parse(fields["ip"] + ":" + fields["port"]));
    } catch (const ValidationError&) {
      // a replica entry without a usable address is not one to read from
    }
  }
  return replicas;
}

// ---- both ----

void TopologyDiscovery::apply(const ClusterTopology& topology, const NodeAddress& source) {
  if (std::optional<std::string> refused = core_.refuses(topology, source)) {
    fail_waiting(Reply::Type::cluster_failed, *refused);
    return;
  }
  core_.apply_topology(topology, source);
  last_failure_.clear();
}

/// Logged first: a caller that hears of the failure may print its own account of it at once.
void TopologyDiscovery::fail_waiting(Reply::Type kind, const std::string& reason) {
  note_failure("cluster discovery failed: " + reason);
  core_.fail_waiting(kind, reason);
}

/// A subscriber retrying against an unreachable cluster asks often: each reason is a warning
/// once, then a debug line.
void TopologyDiscovery::note_failure(const std::string& reason) {
  if (reason != last_failure_) RTK_LOG_WARN(reason);
  else RTK_LOG_DEBUG(reason << " (again)");
  last_failure_ = reason;
}

void TopologyDiscovery::finish() {
  running_ = false;
  queries_.clear(); // later replies of this discovery are dropped
  port_.discovery_ended();
  if (again_ && !shutting_down_) {
    again_ = false;
    refresh();
  }
}

} // namespace redis_toolkit::detail
