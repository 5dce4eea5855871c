#include "cluster_topology.hpp"

#include <algorithm>
#include <stdexcept>

namespace redis_toolkit::detail {
namespace {

[[noreturn]] void bad_shape(const char* what) {
  throw std::runtime_error(std::string("unexpected ") + what + " reply shape");
}

std::uint16_t slot_number(std::int64_t value) {
  if (value < 0 || value >= cluster_slot_count) throw std::runtime_error("slot out of range");
  return static_cast<std::uint16_t>(value);
}

std::uint16_t port_number(std::int64_t value) {
  if (value <= 0 || value > 65535) throw std::runtime_error("port out of range");
  return static_cast<std::uint16_t>(value);
}

/// An address a node reports; empty or "?" hosts mean "the node you asked".
NodeAddress reported_address(std::string host, std::uint16_t port, const NodeAddress& asked) {
  if (host.empty() || host == "?") host = asked.host;
  return NodeAddress{std::move(host), port};
}

std::int64_t integer_of(const Reply& reply) {
  if (reply.type == Reply::Type::integer) return reply.integer;
  if (reply.type == Reply::Type::string || reply.type == Reply::Type::status)
    return std::stoll(reply.text);
  bad_shape("integer");
}

/// A RESP2 map: key, value, key, value...
const Reply* map_value(const Reply& map, std::string_view key) {
  if (map.type != Reply::Type::array) return nullptr;
  for (std::size_t i = 0; i + 1 < map.elements.size(); i += 2)
    if (map.elements[i].text == key) return &map.elements[i + 1];
  return nullptr;
}

std::string map_text(const Reply& map, std::string_view key) {
  const Reply* value = map_value(map, key);
  return value == nullptr ? std::string() : value->text;
}

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(separator, start);
    if (end == std::string_view::npos) end = text.size();
    if (end > start) parts.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

/// "host:port" where host may be empty (":6381") or an IPv6 address.
NodeAddress parse_host_port(std::string_view text, const NodeAddress& asked) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) throw std::runtime_error("no port in address");
  std::string host(text.substr(0, colon));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  return reported_address(std::move(host), port_number(std::stoll(std::string(text.substr(colon + 1)))),
                          asked);
}

} // namespace

std::size_t ClusterTopology::covered_slots() const {
  SlotTable table;
  for (const auto& shard : shards)
    for (const auto& range : shard.slots) table.assign(range, 0);
  return table.covered();
}

ClusterTopology parse_cluster_shards(const Reply& reply, const NodeAddress& asked, bool tls) {
  if (reply.type != Reply::Type::array) bad_shape("CLUSTER SHARDS");
  ClusterTopology topology;
  for (const Reply& entry : reply.elements) {
    const Reply* slots = map_value(entry, "slots");
    const Reply* nodes = map_value(entry, "nodes");
    if (slots == nullptr || nodes == nullptr || slots->type != Reply::Type::array ||
        nodes->type != Reply::Type::array)
      bad_shape("CLUSTER SHARDS");
    ClusterShard shard;
    for (std::size_t i = 0; i + 1 < slots->elements.size(); i += 2)
      shard.slots.push_back(SlotRange{slot_number(integer_of(slots->elements[i])),
                                      slot_number(integer_of(slots->elements[i + 1]))});
    bool has_master = false;
    for (const Reply& node : nodes->elements) {
      const Reply* port = tls ? map_value(node, "tls-port") : nullptr;
      if (port == nullptr) port = map_value(node, "port");
      if (port == nullptr) continue; // a TLS-only node seen by a plain client: not reachable
      std::string host = map_text(node, "ip");
      if (host.empty()) host = map_text(node, "endpoint");
      NodeAddress address = reported_address(host, port_number(integer_of(*port)), asked);
      const std::string role = map_text(node, "role");
      const std::string health = map_text(node, "health");
      if (role == "master") {
        // A shard lists one master; a failed one is still the owner until a replica takes over.
        if (!has_master || health == "online") shard.master = address;
        has_master = true;
      } else if (health != "failed" && health != "fail") {
        shard.replicas.push_back(address);
      }
    }
    if (!has_master || shard.slots.empty()) continue; // an empty master: serves nothing
    topology.shards.push_back(std::move(shard));
  }
  return topology;
}

ClusterTopology parse_cluster_slots(const Reply& reply, const NodeAddress& asked) {
  if (reply.type != Reply::Type::array) bad_shape("CLUSTER SLOTS");
  ClusterTopology topology;
  for (const Reply& entry : reply.elements) {
    if (entry.type != Reply::Type::array || entry.elements.size() < 3) bad_shape("CLUSTER SLOTS");
    const SlotRange range{slot_number(integer_of(entry.elements[0])),
                          slot_number(integer_of(entry.elements[1]))};
    std::vector<NodeAddress> nodes;
    for (std::size_t i = 2; i < entry.elements.size(); ++i) {
      const Reply& node = entry.elements[i];
      if (node.type != Reply::Type::array || node.elements.size() < 2) bad_shape("CLUSTER SLOTS");
      nodes.push_back(reported_address(node.elements[0].text,
                                       port_number(integer_of(node.elements[1])), asked));
    }
    // CLUSTER SLOTS repeats a master once per range: gather its ranges in one shard.
    auto same_master = std::find_if(topology.shards.begin(), topology.shards.end(),
                                    [&](const ClusterShard& s) { return s.master == nodes[0]; });
    if (same_master == topology.shards.end()) {
      ClusterShard shard;
      shard.master = nodes[0];
      shard.replicas.assign(nodes.begin() + 1, nodes.end());
      topology.shards.push_back(std::move(shard));
      same_master = std::prev(topology.shards.end());
    }
    same_master->slots.push_back(range);
  }
  return topology;
}

std::vector<ClusterNodeInfo> parse_cluster_nodes(std::string_view text, const NodeAddress& asked) {
  std::vector<ClusterNodeInfo> nodes;
  for (const std::string& line : split(text, '\n')) {
    std::vector<std::string> fields = split(line, ' ');
    if (fields.size() < 8) continue;
    ClusterNodeInfo node;
    node.id = fields[0];
    // ip:port@cport[,hostname]
    std::string address = fields[1].substr(0, fields[1].find_first_of("@,"));
    NodeAddress parsed = parse_host_port(address, asked);
    node.host = parsed.host;
    node.port = parsed.port;
    node.flags = split(fields[2], ',');
    auto has_flag = [&](std::string_view flag) {
      return std::find(node.flags.begin(), node.flags.end(), flag) != node.flags.end();
    };
    node.role = has_flag("master") ? "master" : "replica";
    node.myself = has_flag("myself");
    node.failing = has_flag("fail") || has_flag("fail?");
    node.master_id = fields[3] == "-" ? std::string() : fields[3];
    node.config_epoch = std::stoull(fields[6]);
    node.connected = fields[7] == "connected";
    for (std::size_t i = 8; i < fields.size(); ++i) {
      const std::string& slot = fields[i];
      if (slot.empty() || slot.front() == '[') continue; // [slot->-id] / [slot-<-id]: migrating
      const std::size_t dash = slot.find('-');
      SlotRange range;
      range.first = slot_number(std::stoll(slot.substr(0, dash)));
      range.last = dash == std::string::npos ? range.first : slot_number(std::stoll(slot.substr(dash + 1)));
      node.slots.push_back(range);
    }
    nodes.push_back(std::move(node));
  }
  return nodes;
}

std::optional<Redirection> parse_redirection(const Reply& reply, const NodeAddress& asked) {
  if (reply.type != Reply::Type::error) return std::nullopt;
  Redirection redirection;
  std::string_view text = reply.text;
  if (text.rfind("MOVED ", 0) == 0) {
    redirection.kind = Redirection::Kind::moved;
    text.remove_prefix(6);
  } else if (text.rfind("ASK ", 0) == 0) {
    redirection.kind = Redirection::Kind::ask;
    text.remove_prefix(4);
  } else {
    return std::nullopt;
  }
  const std::size_t space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  try {
    redirection.slot = slot_number(std::stoll(std::string(text.substr(0, space))));
    redirection.target = parse_host_port(text.substr(space + 1), asked);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return redirection;
}

bool is_transient_cluster_error(const Reply& reply) {
  if (reply.type != Reply::Type::error) return false;
  return reply.text.rfind("TRYAGAIN", 0) == 0 || reply.text.rfind("CLUSTERDOWN", 0) == 0;
}

bool is_demoted_master_error(const Reply& reply) {
  if (reply.type != Reply::Type::error) return false;
  // UNBLOCKED: a WAIT cut short because its master became a replica (a manual failover, which
  // first lets the replica catch up, so the writes it waited for are on the new master).
  return reply.text.rfind("READONLY", 0) == 0 ||
         reply.text.rfind("ERR WAIT cannot be used with replica", 0) == 0 ||
         reply.text.rfind("UNBLOCKED", 0) == 0;
}

bool is_cluster_error(const Reply& reply) {
  if (reply.type != Reply::Type::error) return false;
  for (const char* prefix : {"TRYAGAIN", "CLUSTERDOWN", "MOVED ", "ASK ", "CROSSSLOT"})
    if (reply.text.rfind(prefix, 0) == 0) return true;
  return false;
}

void SlotTable::assign(const SlotRange& range, std::int32_t node) {
  for (std::uint32_t slot = range.first; slot <= range.last; ++slot) owner_[slot] = node;
}

std::size_t SlotTable::covered() const {
  return static_cast<std::size_t>(
      std::count_if(owner_.begin(), owner_.end(), [](std::int32_t node) { return node >= 0; }));
}

} // namespace redis_toolkit::detail
