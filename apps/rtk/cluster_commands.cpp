#include "cluster_commands.hpp"

#include <redis_toolkit/cluster_operations.hpp>
#include <redis_toolkit/errors.hpp>
#include <redis_toolkit/local_cluster.hpp>
#include <redis_toolkit/toolkit.hpp>
#include <redis_toolkit/wire_format.hpp>

#include <algorithm>
#include <ostream>
#include <tuple>

namespace rtk {

using redis_toolkit::ClusterError;
using redis_toolkit::ClusterNodeInfo;
using redis_toolkit::LocalCluster;
using redis_toolkit::LocalClusterNodeStatus;
using redis_toolkit::NodeAddress;

namespace {

constexpr int masters = 3;
constexpr int replicas_per_master = 1;
constexpr int node_count = masters * (1 + replicas_per_master);

struct ClusterPlace {
  std::uint16_t base_port = LocalCluster::default_detached_base_port;
  std::string directory; ///< empty: LocalCluster::default_detached_directory(base_port)
};

ClusterPlace place_of(const CliInvocation& invocation) {
  ClusterPlace place;
  // The frame has checked the form of both options already.
  if (auto port = invocation.flags.find("base-port"); port != invocation.flags.end())
    place.base_port = static_cast<std::uint16_t>(std::stoi(port->second));
  if (auto dir = invocation.flags.find("dir"); dir != invocation.flags.end())
    place.directory = dir->second;
  return place;
}

std::string directory_of(const ClusterPlace& place) {
  return place.directory.empty() ? LocalCluster::default_detached_directory(place.base_port)
                                 : place.directory;
}

/// "127.0.0.1:7000 master state=ok", "127.0.0.1:7003 replica state=ok link=up",
/// "127.0.0.1:7005 down".
void print_status_line(const LocalClusterNodeStatus& node, std::ostream& out) {
  out << node.address.to_string();
  if (!node.answering) {
    out << " down\n";
    return;
  }
  out << " " << node.role << " state=" << node.cluster_state;
  if (node.role == "replica") out << " link=" << (node.master_link_up ? "up" : "down");
  out << "\n";
}

std::string joined_addresses(const std::vector<NodeAddress>& addresses) {
  std::string text;
  for (const NodeAddress& address : addresses) {
    if (!text.empty()) text += ",";
    text += address.to_string();
  }
  return text;
}

std::string place_options(const ClusterPlace& place) {
  std::string text;
  if (place.base_port != LocalCluster::default_detached_base_port)
    text += " --base-port " + std::to_string(place.base_port);
  if (!place.directory.empty()) text += " --dir " + place.directory;
  return text;
}

int cluster_up(const ClusterPlace& place, CommandStreams& streams) {
  LocalCluster::Options options;
  options.base_port = place.base_port;
  options.directory = place.directory;
  options.masters = masters;
  options.replicas_per_master = replicas_per_master;
  const std::vector<NodeAddress> addresses = LocalCluster::start_detached(options);
  streams.out << "cluster up: " << masters << " masters, " << masters * replicas_per_master
              << " replicas, files in " << directory_of(place) << "\n";
  for (const LocalClusterNodeStatus& node : LocalCluster::status_of(place.base_port, node_count))
    print_status_line(node, streams.out);
  streams.out << "use: rtk --cluster " << joined_addresses(addresses) << " COMMAND\n"
              << "stop: rtk cluster down" << place_options(place) << "\n";
  return exit_ok;
}

int cluster_down(const ClusterPlace& place, CommandStreams& streams) {
  const std::size_t stopped =
      LocalCluster::stop_detached(place.base_port, node_count, place.directory);
  streams.out << "stopped " << stopped << " of " << node_count << " nodes\n";
  std::vector<std::string> left;
  for (const LocalClusterNodeStatus& node : LocalCluster::status_of(place.base_port, node_count)) {
    if (node.answering) left.push_back(node.address.to_string());
  }
  if (!left.empty()) {
    std::string list;
    for (const std::string& address : left) list += (list.empty() ? "" : ", ") + address;
    throw ClusterError("still answering, not started from " + directory_of(place) +
                       " (left alone): " + list);
  }
  return exit_ok;
}

/// Healthy as LocalCluster::wait_until_healthy() means it, and with all six nodes answering: a
/// cluster that serves every slot with a node down is not the cluster `up` started.
int cluster_status(const ClusterPlace& place, CommandStreams& streams) {
  std::vector<NodeAddress> addresses;
  std::vector<std::string> problems;
  for (const LocalClusterNodeStatus& node : LocalCluster::status_of(place.base_port, node_count)) {
    print_status_line(node, streams.out);
    addresses.push_back(node.address);
    if (!node.answering) problems.push_back(node.address.to_string() + " does not answer");
  }
  if (problems.size() == addresses.size()) {
    problems = {"no node answers"};
  } else {
    for (std::string& problem : LocalCluster::health_problems(addresses))
      problems.push_back(std::move(problem));
  }
  if (!problems.empty()) {
    constexpr std::size_t shown = 8; // a disagreement can show up once per pair of nodes
    std::string text;
    for (std::size_t index = 0; index < std::min(problems.size(), shown); ++index)
      text += (index == 0 ? "" : "; ") + problems[index];
    if (problems.size() > shown) text += "; and " + std::to_string(problems.size() - shown) + " more";
    throw ClusterError("not healthy: " + text);
  }
  streams.out << "healthy\n";
  return exit_ok;
}

/// One node of `rtk nodes` in the command line's JSON form.
redis_toolkit::Value node_json(const ClusterNodeInfo& node) {
  using redis_toolkit::Value;
  Value::Array slots;
  for (const redis_toolkit::SlotRange& range : node.slots)
    slots.push_back(Value::list({Value(range.first), Value(range.last)}));
  return Value::dict({
      {"id", node.id},
      {"host", node.host},
      {"port", Value(node.port)},
      {"role", node.role},
      {"slots", Value::list(std::move(slots))},
      {"master_id", node.master_id.empty() ? Value() : Value(node.master_id)},
      {"connected", node.connected},
      {"failing", node.failing},
  });
}

} // namespace

int run_nodes(const CliInvocation& invocation, CommandStreams& streams) {
  redis_toolkit::RedisToolkit toolkit(invocation.config.connection, invocation.config.options);
  redis_toolkit::ClusterOperations cluster(toolkit);
  std::vector<ClusterNodeInfo> nodes;
  try {
    nodes = cluster.get_nodes_info();
  } catch (const ClusterError& error) {
    // The library's reason names the server and Redis's answer; add what rtk needed.
    throw ClusterError(error.reason() + "; rtk nodes lists the nodes of a Redis Cluster",
                       error.node());
  }
  std::sort(nodes.begin(), nodes.end(), [](const ClusterNodeInfo& a, const ClusterNodeInfo& b) {
    return std::tie(a.host, a.port, a.id) < std::tie(b.host, b.port, b.id);
  });
  if (nodes.empty()) {
    streams.out << "[]\n";
    return exit_ok;
  }
  streams.out << "[\n";
  for (std::size_t index = 0; index < nodes.size(); ++index) {
    streams.out << "  " << redis_toolkit::format_cli_json(node_json(nodes[index]))
                << (index + 1 < nodes.size() ? ",\n" : "\n");
  }
  streams.out << "]\n";
  return exit_ok;
}

int run_cluster(const CliInvocation& invocation, CommandStreams& streams) {
  const ClusterPlace place = place_of(invocation);
  if (place.base_port + node_count - 1 > 65535 - 10000) {
    throw redis_toolkit::ValidationError(
        "--base-port " + std::to_string(place.base_port) +
        " leaves no room for six nodes and their cluster bus ports (port + 10000); use at most " +
        std::to_string(65535 - 10000 - node_count + 1));
  }
  const std::string& action = invocation.arguments.at(0);
  if (action == "up") return cluster_up(place, streams);
  if (action == "down") return cluster_down(place, streams);
  return cluster_status(place, streams);
}

} // namespace rtk
