#include "redis_toolkit/local_cluster.hpp"

#include "local_nodes.hpp"
#include "log_tail.hpp"

#include "cluster_topology.hpp"

#include "redis_toolkit/errors.hpp"
#include "redis_toolkit/key_slot.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <netinet/in.h>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <utility>

namespace redis_toolkit {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* loopback = "127.0.0.1";
constexpr int cluster_bus_offset = 10000;
constexpr int highest_base_port = 65535 - cluster_bus_offset; // the bus port must exist too
constexpr milliseconds health_poll_interval{100};
constexpr milliseconds query_timeout{500};       ///< one node's answers, per question round
constexpr milliseconds node_start_timeout{10000}; ///< one node, from exec to PING

const char* const install_hint =
    "install it with `apt-get install redis-server` (which brings redis-cli too), or set "
    "RTK_REDIS_SERVER to the binary";

std::string address_of(std::uint16_t port) { return std::string(loopback) + ":" + std::to_string(port); }


std::string join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string text;
  for (const std::string& part : parts) {
    if (!text.empty()) text += separator;
    text += part;
  }
  return text;
}

using detail::info_field;
using detail::is_text_reply;
using detail::NodeClient;
using detail::reply_text;
using HiredisReply = detail::HiredisReply;
using detail::absolute_path;
using detail::create_directory;
using detail::last_lines;
using detail::loopback_port_free;
using detail::remaining_until;

// ---- what one node says ----

struct ServedRange {
  int first = 0;
  int last = 0;
  NodeAddress master;

  friend bool operator==(const ServedRange& a, const ServedRange& b) {
    return a.first == b.first && a.last == b.last && a.master == b.master;
  }
};

struct NodeView {
  LocalClusterNodeStatus status;
  NodeAddress master;  ///< replicas: master_host:master_port of INFO replication
  /// The slots as this node sees them (CLUSTER NODES), sorted, adjacent ranges of one master merged.
  std::vector<ServedRange> slots;
  bool slots_known = false;
  std::map<std::string, ClusterNodeInfo> nodes; ///< CLUSTER NODES by node id
  bool nodes_known = false;
};

bool has_flag(const ClusterNodeInfo& node, std::string_view flag) {
  return std::find(node.flags.begin(), node.flags.end(), flag) != node.flags.end();
}

/// The slot ranges the masters of `nodes` serve, sorted, adjacent ranges of one master merged.
std::vector<ServedRange> slots_of(const std::map<std::string, ClusterNodeInfo>& nodes) {
  std::vector<ServedRange> ranges;
  for (const auto& [id, node] : nodes)
    for (const redis_toolkit::SlotRange& served : node.slots)
      ranges.push_back(ServedRange{served.first, served.last, NodeAddress{node.host, node.port}});
  std::sort(ranges.begin(), ranges.end(),
            [](const ServedRange& a, const ServedRange& b) { return a.first < b.first; });
  std::vector<ServedRange> merged;
  for (ServedRange& range : ranges) {
    if (!merged.empty() && merged.back().master == range.master &&
        merged.back().last + 1 == range.first) {
      merged.back().last = range.last;
    } else {
      merged.push_back(std::move(range));
    }
  }
  return merged;
}

NodeView query_node(const NodeAddress& address, bool with_slots, milliseconds timeout) {
  NodeView view;
  view.status.address = address;
  NodeClient client(address, timeout);
  const HiredisReply id = client.command({"CLUSTER", "MYID"});
  const HiredisReply replication = client.command({"INFO", "replication"});
  const HiredisReply info = client.command({"CLUSTER", "INFO"});
  const HiredisReply nodes = with_slots ? client.command({"CLUSTER", "NODES"}) : nullptr;
  if (client.failed() || !is_text_reply(replication)) return view; // not answering
  view.status.answering = true;
  if (is_text_reply(id)) view.status.id = reply_text(id);
  const std::string replication_text = reply_text(replication);
  const std::string role = info_field(replication_text, "role").value_or("");
  view.status.role = role == "slave" ? "replica" : role;
  if (view.status.role == "replica") {
    view.status.master_link_up = info_field(replication_text, "master_link_status") == "up";
    view.master.host = info_field(replication_text, "master_host").value_or("");
    const std::string port = info_field(replication_text, "master_port").value_or("0");
    view.master.port = static_cast<std::uint16_t>(std::atoi(port.c_str()));
  }
  view.status.cluster_state =
      is_text_reply(info) ? info_field(reply_text(info), "cluster_state").value_or("unknown")
                          : "not a cluster node (" + reply_text(info) + ")";
  if (with_slots && is_text_reply(nodes)) {
    try { // the toolkit's own parser, the one its cluster commands use
      for (ClusterNodeInfo& node : detail::parse_cluster_nodes(reply_text(nodes), address))
        view.nodes[node.id] = std::move(node);
      view.nodes_known = true;
      view.slots = slots_of(view.nodes);
      view.slots_known = true;
    } catch (const std::exception&) {
      view.nodes.clear(); // a garbled answer: reported as not answered
    }
  }
  return view;
}

std::vector<NodeView> query_nodes(const std::vector<NodeAddress>& addresses, bool with_slots,
                                  milliseconds timeout = query_timeout) {
  std::vector<NodeView> views;
  views.reserve(addresses.size());
  for (const NodeAddress& address : addresses) views.push_back(query_node(address, with_slots, timeout));
  return views;
}

std::string describe_range(const ServedRange& range) {
  return range.first == range.last ? "slot " + std::to_string(range.first)
                                   : "slots " + std::to_string(range.first) + "-" +
                                         std::to_string(range.last);
}

/// The rules of wait_until_healthy(), applied to one round of answers.
std::vector<std::string> problems_in(const std::vector<NodeView>& views) {
  std::vector<std::string> problems;
  std::set<NodeAddress> live;
  for (const NodeView& view : views) {
    if (view.status.answering) live.insert(view.status.address);
  }
  if (live.empty()) return {"no node answers"};

  const NodeView* reference = nullptr; // the first live node's view of the slots
  for (const NodeView& view : views) {
    if (!view.status.answering) continue;
    const std::string name = view.status.address.to_string();
    if (view.status.cluster_state != "ok")
      problems.push_back(name + " reports cluster_state:" + view.status.cluster_state);
    if (view.status.role == "replica" && !view.status.master_link_up)
      problems.push_back(name + " is a replica whose master_link_status is not up");
    if (view.status.role != "master" && view.status.role != "replica")
      problems.push_back(name + " reports role '" + view.status.role + "'");
    if (view.status.id.empty()) problems.push_back(name + " did not answer CLUSTER MYID");
    if (!view.slots_known) {
      problems.push_back(name + " did not answer CLUSTER NODES");
      continue;
    }
    if (reference == nullptr) {
      reference = &view;
    } else if (view.slots != reference->slots) {
      problems.push_back(name + " and " + reference->status.address.to_string() +
                         " disagree about which masters serve the slots");
    }
  }
  // Every live node sees every other one as it sees itself: the same role, the same master, not
  // failing, connected. A node that reports itself a replica before its master has learnt so
  // would, for one, ignore a manual failover.
  for (const NodeView& observer : views) {
    if (!observer.status.answering) continue;
    if (!observer.nodes_known) {
      problems.push_back(observer.status.address.to_string() + " did not answer CLUSTER NODES");
      continue;
    }
    for (const NodeView& observed : views) {
      if (&observed == &observer || !observed.status.answering || !observed.nodes_known) continue;
      const auto self = observed.nodes.find(observed.status.id);
      if (self == observed.nodes.end()) continue; // its id is unknown: reported above
      const std::string pair = observer.status.address.to_string() + " sees " +
                               observed.status.address.to_string();
      const auto seen = observer.nodes.find(observed.status.id);
      if (seen == observer.nodes.end()) {
        problems.push_back(observer.status.address.to_string() + " does not know " +
                           observed.status.address.to_string() + " yet");
        continue;
      }
      const ClusterNodeInfo& entry = seen->second;
      const bool is_master = has_flag(self->second, "master");
      for (const char* bad : {"fail?", "fail", "handshake", "noaddr"}) {
        if (has_flag(entry, bad)) problems.push_back(pair + " with flag " + bad);
      }
      if (is_master && !has_flag(entry, "master")) {
        problems.push_back(pair + " not as the master it is");
      } else if (!is_master && (!has_flag(entry, "slave") ||
                                entry.master_id != self->second.master_id)) {
        problems.push_back(pair + " not as the replica of " + self->second.master_id + " it is");
      }
      if (!entry.connected) problems.push_back(pair + " disconnected");
    }
  }
  if (reference == nullptr) return problems;

  const std::string seen_by = " (CLUSTER NODES of " + reference->status.address.to_string() + ")";
  int next_slot = 0;
  for (const ServedRange& range : reference->slots) {
    if (range.first > next_slot) {
      problems.push_back(describe_range({next_slot, range.first - 1, {}}) + " are not served" +
                         seen_by);
    }
    next_slot = std::max(next_slot, range.last + 1);
    if (live.count(range.master) == 0) {
      problems.push_back(describe_range(range) + " are served by " + range.master.to_string() +
                         ", which does not answer" + seen_by);
    }
  }
  if (next_slot < cluster_slot_count) {
    problems.push_back(describe_range({next_slot, cluster_slot_count - 1, {}}) +
                       " are not served" + seen_by);
  }
  return problems;
}

/// The first few problems, joined: one disagreement can show up once per pair of nodes.
std::string summary_of(const std::vector<std::string>& problems) {
  constexpr std::size_t shown = 8;
  if (problems.size() <= shown) return join(problems, "; ");
  return join(std::vector<std::string>(problems.begin(), problems.begin() + shown), "; ") +
         "; and " + std::to_string(problems.size() - shown) + " more";
}

void wait_until_healthy_at(const std::vector<NodeAddress>& addresses, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const milliseconds left = remaining_until(deadline);
    const auto problems =
        problems_in(query_nodes(addresses, true, std::clamp(left, milliseconds{50}, query_timeout)));
    if (problems.empty()) return;
    if (Clock::now() >= deadline) {
      throw ClusterError("not healthy after " + std::to_string(timeout.count()) +
                         " ms: " + summary_of(problems));
    }
    std::this_thread::sleep_for(std::min(health_poll_interval, remaining_until(deadline)));
  }
}

// ---- starting ----

void validate_shape(const LocalCluster::Options& options) {
  if (options.masters < 3)
    throw ValidationError("a Redis Cluster needs at least 3 masters, not " +
                              std::to_string(options.masters),
                          "masters");
  if (options.replicas_per_master < 0 || options.replicas_per_master > 5)
    throw ValidationError("replicas_per_master must be 0..5, not " +
                              std::to_string(options.replicas_per_master),
                          "replicas_per_master");
  if (options.node_timeout.count() < 100)
    throw ValidationError("node_timeout must be at least 100 ms", "node_timeout");
  const int count = options.masters * (1 + options.replicas_per_master);
  if (options.base_port != 0 && options.base_port + count - 1 > highest_base_port) {
    throw ValidationError("base port " + std::to_string(options.base_port) + " leaves no room for " +
                              std::to_string(count) + " nodes and their cluster bus ports (+" +
                              std::to_string(cluster_bus_offset) + "); use at most " +
                              std::to_string(highest_base_port - count + 1),
                          "base_port");
  }
}

int node_count(const LocalCluster::Options& options) {
  return options.masters * (1 + options.replicas_per_master);
}

/// The arguments that make a redis-server a cluster node with the settings of TESTING.md.
std::vector<std::string> cluster_arguments(const LocalCluster::Options& options,
                                           const std::string& node_directory) {
  std::vector<std::string> arguments = {
      "--cluster-enabled", "yes",
      "--cluster-config-file", node_directory + "/nodes.conf",
      "--cluster-node-timeout", std::to_string(options.node_timeout.count()),
      // A master waits 5 s before its first sync to a replica otherwise.
      "--repl-diskless-sync-delay", "0",
      // Without it, a master killed right after the cluster forms leaves its replica refusing to
      // take over ("Disconnected from master for longer than allowed").
      "--cluster-replica-validity-factor", "0",
      "--save", "", "--appendonly", "no"};
  arguments.insert(arguments.end(), options.extra_args.begin(), options.extra_args.end());
  return arguments;
}

void require_free_ports(std::uint16_t base_port, int count) {
  for (int offset = 0; offset < count; ++offset) {
    const auto port = static_cast<std::uint16_t>(base_port + offset);
    const auto bus_port = static_cast<std::uint16_t>(port + cluster_bus_offset);
    if (!loopback_port_free(port) || !loopback_port_free(bus_port)) {
      throw ConnectionError(address_of(port), "start",
                            "port " + std::to_string(port) + " or its cluster bus port " +
                                std::to_string(bus_port) + " is in use on 127.0.0.1");
    }
  }
}


/// `redis-cli --cluster create` over the nodes, the first `masters` of them becoming masters.
void create_cluster(const std::vector<NodeAddress>& addresses, const LocalCluster::Options& options,
                    Clock::time_point deadline) {
  std::vector<std::string> argv = {redis_cli_path(), "--cluster", "create"};
  for (const NodeAddress& address : addresses) argv.push_back(address.to_string());
  argv.insert(argv.end(), {"--cluster-replicas", std::to_string(options.replicas_per_master),
                           "--cluster-yes"});
  const milliseconds limit = remaining_until(deadline);
  const ProgramOutput output = run_program(argv, limit);
  if (output.exit_status != 0) {
    throw ClusterError(
        "redis-cli --cluster create " +
            (output.exit_status < 0 ? "did not finish within " + std::to_string(limit.count()) + " ms"
                                    : "failed with status " + std::to_string(output.exit_status)) +
            ": " + last_lines(output.standard_output + output.standard_error),
        addresses.front().to_string());
  }
}

std::string redis_server_binary(const LocalCluster::Options& options) {
  if (!options.binary.empty()) return options.binary;
  if (auto found = find_redis_server_binary()) return *found;
  throw ConnectionError(address_of(options.base_port), "start",
                        std::string("redis-server not found; ") + install_hint);
}

// ---- detached nodes ----

std::string detached_node_directory(const std::string& directory, std::uint16_t port) {
  return directory + "/" + std::to_string(port);
}

/// Starts one daemonized node of a new, empty cluster; returns once it answers PING.
void start_detached_node(const std::string& binary, std::uint16_t port,
                         const std::string& node_directory, const LocalCluster::Options& options,
                         Clock::time_point deadline) {
  std::error_code ignored;
  fs::remove(node_directory + "/nodes.conf", ignored); // always a new, empty cluster
  RedisServerProcess::Options node;
  node.extra_args = cluster_arguments(options, node_directory);
  detail::start_daemon(binary, port, node_directory, node, deadline);
}

std::vector<NodeAddress> port_range(std::uint16_t base_port, int count) {
  std::vector<NodeAddress> addresses;
  for (int offset = 0; offset < count; ++offset)
    addresses.push_back(NodeAddress{loopback, static_cast<std::uint16_t>(base_port + offset)});
  return addresses;
}

} // namespace

// ---- the owned form ----

LocalCluster LocalCluster::start(Options options) {
  validate_shape(options);
  const auto deadline = Clock::now() + options.start_timeout;
  const int count = node_count(options);
  if (options.base_port != 0) require_free_ports(options.base_port, count);

  LocalCluster cluster; // from here on, its destructor cleans up after any failure
  cluster.options_ = options;
  if (options.directory.empty()) {
    cluster.directory_ = detail::make_temporary_directory("rtk-cluster");
    cluster.owns_directory_ = true;
  } else {
    cluster.directory_ = absolute_path(options.directory);
    cluster.owns_directory_ = create_directory(cluster.directory_);
  }

  cluster.nodes_.reserve(static_cast<std::size_t>(count));
  for (int index = 0; index < count; ++index) {
    RedisServerProcess::Options node;
    node.binary = options.binary;
    node.port = options.base_port == 0 ? 0 : static_cast<std::uint16_t>(options.base_port + index);
    node.directory = cluster.directory_ + "/node-" + std::to_string(index);
    node.keep_directory = options.keep_directory;
    node.start_timeout = std::clamp(remaining_until(deadline), milliseconds{1}, node_start_timeout);
    node.extra_args = cluster_arguments(options, node.directory);
    if (options.tls) {
      node.tls = options.tls;
      node.tls->port = 0;
      node.extra_args.insert(node.extra_args.end(),
                             {"--tls-cluster", "yes", "--tls-replication", "yes"});
    }
    cluster.nodes_.push_back(RedisServerProcess::start(std::move(node)));
  }
  const std::vector<NodeAddress> addresses = cluster.addresses();
  create_cluster(addresses, options, deadline);
  wait_until_healthy_at(addresses, remaining_until(deadline));
  return cluster;
}

LocalCluster::LocalCluster(LocalCluster&& other) noexcept
    : nodes_(std::move(other.nodes_)), directory_(std::move(other.directory_)),
      owns_directory_(std::exchange(other.owns_directory_, false)),
      options_(std::move(other.options_)) {
  other.nodes_.clear();
}

LocalCluster& LocalCluster::operator=(LocalCluster&& other) noexcept {
  if (this != &other) {
    release();
    nodes_ = std::move(other.nodes_);
    other.nodes_.clear();
    directory_ = std::move(other.directory_);
    owns_directory_ = std::exchange(other.owns_directory_, false);
    options_ = std::move(other.options_);
  }
  return *this;
}

LocalCluster::~LocalCluster() { release(); }

void LocalCluster::release() noexcept {
  stop();
  nodes_.clear(); // each node removes its own subdirectory unless kept
  if (owns_directory_ && !options_.keep_directory) {
    std::error_code ignored;
    fs::remove_all(directory_, ignored);
  }
  owns_directory_ = false;
}

std::vector<NodeAddress> LocalCluster::addresses() const {
  std::vector<NodeAddress> result;
  result.reserve(nodes_.size());
  for (const RedisServerProcess& node : nodes_) result.push_back(NodeAddress{node.host(), node.port()});
  return result;
}

std::vector<NodeAddress> LocalCluster::tls_addresses() const {
  std::vector<NodeAddress> result;
  result.reserve(nodes_.size());
  for (const RedisServerProcess& node : nodes_)
    result.push_back(NodeAddress{node.host(), node.tls_port()});
  return result;
}

std::size_t LocalCluster::index_of(const NodeAddress& address) const {
  for (std::size_t index = 0; index < nodes_.size(); ++index) {
    if (nodes_[index].port() == address.port &&
        (nodes_[index].host() == address.host ||
         (address.host == "localhost" && nodes_[index].host() == loopback))) {
      return index;
    }
  }
  throw std::out_of_range("no node of this local cluster at " + address.to_string());
}

std::vector<std::size_t> LocalCluster::masters() const {
  std::vector<std::size_t> result;
  const auto views = query_nodes(addresses(), false);
  for (std::size_t index = 0; index < views.size(); ++index) {
    if (views[index].status.answering && views[index].status.role == "master") result.push_back(index);
  }
  return result;
}

std::vector<std::size_t> LocalCluster::replicas() const {
  std::vector<std::size_t> result;
  const auto views = query_nodes(addresses(), false);
  for (std::size_t index = 0; index < views.size(); ++index) {
    if (views[index].status.answering && views[index].status.role == "replica") result.push_back(index);
  }
  return result;
}

std::size_t LocalCluster::master_of_slot(int slot) const {
  if (slot < 0 || slot >= cluster_slot_count)
    throw ValidationError("slot " + std::to_string(slot) + " is not in 0..16383", "slot");
  for (const NodeAddress& address : addresses()) {
    const NodeView view = query_node(address, true, query_timeout);
    if (!view.status.answering || !view.slots_known) continue;
    for (const ServedRange& range : view.slots) {
      if (range.first <= slot && slot <= range.last) {
        try {
          return index_of(range.master);
        } catch (const std::out_of_range&) {
          throw ClusterError("slot " + std::to_string(slot) + " is served by " +
                                 range.master.to_string() + ", not a node of this local cluster",
                             address.to_string());
        }
      }
    }
    throw ClusterError("slot " + std::to_string(slot) + " is not served", address.to_string());
  }
  throw ClusterError("no node of the local cluster answers CLUSTER SLOTS");
}

std::size_t LocalCluster::replica_of(std::size_t master_index) const {
  const NodeAddress master = addresses().at(master_index);
  const auto views = query_nodes(addresses(), false);
  for (std::size_t index = 0; index < views.size(); ++index) {
    const NodeView& view = views[index];
    if (view.status.answering && view.status.role == "replica" && view.master.port == master.port &&
        (view.master.host == master.host || view.master.host == "localhost")) {
      return index;
    }
  }
  throw ClusterError("no live replica follows this master", master.to_string());
}

void LocalCluster::wait_until_healthy(milliseconds timeout) const {
  wait_until_healthy_at(addresses(), timeout);
}

void LocalCluster::restart_node(std::size_t index) { nodes_.at(index).restart(); }

void LocalCluster::manual_failover(std::size_t replica_index, milliseconds timeout) {
  const NodeAddress address = addresses().at(replica_index);
  const auto deadline = Clock::now() + timeout;
  const NodeView before = query_node(address, false, query_timeout);
  if (!before.status.answering)
    throw ClusterError("cannot fail over: the node does not answer", address.to_string());
  if (before.status.role != "replica")
    throw ClusterError("cannot fail over: the node is a " + before.status.role + ", not a replica",
                       address.to_string());
  {
    NodeClient client(address, std::max(milliseconds{100}, remaining_until(deadline)));
    const HiredisReply reply = client.command({"CLUSTER", "FAILOVER"});
    if (!reply) throw ClusterError("CLUSTER FAILOVER got no reply", address.to_string());
    if (reply->type == REDIS_REPLY_ERROR)
      throw ClusterError("CLUSTER FAILOVER refused: " + reply_text(reply), address.to_string());
  }
  for (;;) {
    const NodeView view = query_node(address, false, query_timeout);
    if (view.status.answering && view.status.role == "master") return;
    if (Clock::now() >= deadline) {
      throw ClusterError("CLUSTER FAILOVER: the node did not become master within " +
                             std::to_string(timeout.count()) + " ms",
                         address.to_string());
    }
    std::this_thread::sleep_for(std::min(milliseconds{20}, remaining_until(deadline)));
  }
}

std::vector<LocalClusterNodeStatus> LocalCluster::status() const {
  std::vector<LocalClusterNodeStatus> result;
  for (NodeView& view : query_nodes(addresses(), false)) result.push_back(std::move(view.status));
  return result;
}

void LocalCluster::stop() noexcept { detail::stop_all(nodes_); }

std::vector<std::string> LocalCluster::health_problems(const std::vector<NodeAddress>& nodes) {
  return problems_in(query_nodes(nodes, true));
}

// ---- the detached form ----

std::string LocalCluster::default_detached_directory(std::uint16_t base_port) {
  const char* base = std::getenv("TMPDIR");
  return std::string(base && *base ? base : "/tmp") + "/rtk-cluster-" + std::to_string(base_port);
}

std::vector<NodeAddress> LocalCluster::start_detached(Options options) {
  if (options.base_port == 0) options.base_port = default_detached_base_port;
  validate_shape(options);
  const auto deadline = Clock::now() + options.start_timeout;
  const int count = node_count(options);
  const std::vector<NodeAddress> addresses = port_range(options.base_port, count);
  for (const NodeAddress& address : addresses) {
    if (redis_answers(address.host, address.port, milliseconds{500})) {
      throw ClusterError("a server already answers there (a cluster that is up? see `rtk cluster "
                         "status` and `rtk cluster down`)",
                         address.to_string());
    }
  }
  require_free_ports(options.base_port, count);
  const std::string binary = redis_server_binary(options);
  const std::string directory = options.directory.empty()
                                    ? default_detached_directory(options.base_port)
                                    : absolute_path(options.directory);
  create_directory(directory);
  try {
    for (const NodeAddress& address : addresses) {
      start_detached_node(binary, address.port, detached_node_directory(directory, address.port),
                          options, deadline);
    }
    create_cluster(addresses, options, deadline);
    wait_until_healthy_at(addresses, remaining_until(deadline));
  } catch (...) {
    stop_detached(options.base_port, count, directory);
    throw;
  }
  return addresses;
}

std::size_t LocalCluster::stop_detached(std::uint16_t base_port, int count,
                                        const std::string& directory) {
  const std::string root =
      directory.empty() ? default_detached_directory(base_port) : absolute_path(directory);
  std::vector<std::pair<NodeAddress, std::string>> daemons;
  for (const NodeAddress& address : port_range(base_port, count))
    daemons.emplace_back(address, detached_node_directory(root, address.port));
  return detail::stop_daemons(daemons);
}

std::vector<LocalClusterNodeStatus> LocalCluster::status_of(std::uint16_t base_port, int count) {
  std::vector<LocalClusterNodeStatus> result;
  for (NodeView& view : query_nodes(port_range(base_port, count), false))
    result.push_back(std::move(view.status));
  return result;
}

} // namespace redis_toolkit
