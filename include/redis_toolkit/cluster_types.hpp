#pragma once
// What redis-toolkit knows about a Redis Cluster's nodes (CLUSTER NODES), for get_nodes_info()
// and `rtk nodes`.
//
//   for (const auto& node : cluster.get_nodes_info())
//     if (node.role == "master") std::cout << node.address() << " " << node.slot_count() << "\n";

#include <cstdint>
#include <string>
#include <vector>

namespace redis_toolkit {

/// Slots first..last, both included.
struct SlotRange {
  std::uint16_t first = 0;
  std::uint16_t last = 0;
  friend bool operator==(const SlotRange& a, const SlotRange& b) {
    return a.first == b.first && a.last == b.last;
  }
};

/// One line of CLUSTER NODES, as a user needs it.
struct ClusterNodeInfo {
  std::string id;
  std::string host;
  std::uint16_t port = 0;
  std::string role;       ///< "master" or "replica"
  std::string master_id;  ///< the master a replica follows; empty for a master
  std::vector<SlotRange> slots; ///< served slots (masters); importing/migrating marks left out
  bool connected = false; ///< the cluster bus link to this node is up
  bool failing = false;   ///< flagged fail or pfail (suspected) by the node asked
  bool myself = false;    ///< the node that answered
  std::uint64_t config_epoch = 0;
  std::vector<std::string> flags; ///< as Redis gives them: "myself", "master", "fail?", ...

  std::string address() const { return host + ":" + std::to_string(port); }
  std::size_t slot_count() const {
    std::size_t count = 0;
    for (const SlotRange& range : slots) count += range.last - range.first + 1u;
    return count;
  }
};

} // namespace redis_toolkit
