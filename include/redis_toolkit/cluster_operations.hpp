#pragma once
// ClusterOperations / AsyncClusterOperations: what only makes sense across a Redis Cluster's
// nodes, on top of a toolkit in cluster mode (they also work on a single server, which is then the
// only "master"). The toolkit's own calls (setter, batch_get, ...) already work on a cluster;
// these add scanning every master, the Python toolkit's mget_cluster/mset_cluster names, the
// nodes' view of the cluster, and hash tags.
//
//   RedisConnectionConfig config;
//   config.cluster_mode = true;
//   config.startup_nodes = {NodeAddress::parse("127.0.0.1:7000")};
//   RedisToolkit toolkit(config);
//   ClusterOperations cluster(toolkit);
//   cluster.mset_cluster({{"user:1", 1}, {"user:2", 2}});          // grouped per node
//   std::vector<std::string> users = cluster.scan_cluster("user:*"); // every master, each key once
//   std::string cart = ClusterOperations::hash_tag_key("user:123", "cart"); // "{user:123}:cart"
//   for (const ClusterNodeInfo& node : cluster.get_nodes_info()) ...

#include "redis_toolkit/async_toolkit.hpp"
#include "redis_toolkit/batch.hpp"
#include "redis_toolkit/cluster_types.hpp"
#include "redis_toolkit/key_slot.hpp"
#include "redis_toolkit/toolkit.hpp"

#include <functional>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace redis_toolkit {

namespace detail {
class ToolkitCore;
}

/// The blocking form. Holds the toolkit's core: it stays usable while the toolkit lives (after
/// cleanup() its calls throw ConnectionError).
class ClusterOperations {
public:
  explicit ClusterOperations(RedisToolkit& toolkit);

  /// Every key matching `pattern` on every master, each once (SCAN, `page_size` keys a page, all
  /// masters at once). Throws the typed error of a page that failed.
  std::vector<std::string> scan_cluster(std::string_view pattern, std::size_t page_size = 1000);
  /// The same a page at a time, for large clusters: `on_keys` receives each round's new keys.
  void scan_cluster(std::string_view pattern,
                    const std::function<void(const std::vector<std::string>&)>& on_keys,
                    std::size_t page_size = 1000);
  /// batch_get over any keys: one pipeline per node, all nodes at once, the caller's order.
  BatchGetResult mget_cluster(const std::vector<std::string>& keys);
  /// batch_set over any keys, grouped per node. Not atomic across nodes: a partial failure
  /// throws BatchError naming the keys that failed.
  void mset_cluster(const KeyValues& entries);
  /// CLUSTER NODES as one entry per node. Throws ClusterError on a server that is not a cluster.
  std::vector<ClusterNodeInfo> get_nodes_info();
  /// The masters serving `keys` now ("host:port" -> the keys, in the caller's order), from
  /// get_nodes_info(): to see how a batch spreads.
  std::map<std::string, std::vector<std::string>> group_keys_by_node(
      const std::vector<std::string>& keys);

  /// "{tag}:suffix": keys with the same tag share a slot, hence a node (multi-key commands,
  /// sharded pub/sub channels that should live together).
  static std::string hash_tag_key(std::string_view tag, std::string_view suffix) {
    return redis_toolkit::hash_tag_key(tag, suffix);
  }
  static std::uint16_t slot_of(std::string_view key) { return key_slot(key); }

private:
  std::shared_ptr<detail::ToolkitCore> core_;
};

/// The same without blocking: futures, or callbacks run on the toolkit's completion actor.
class AsyncClusterOperations {
public:
  explicit AsyncClusterOperations(AsyncRedisToolkit& toolkit);

  std::future<std::vector<std::string>> scan_cluster(std::string_view pattern,
                                                     std::size_t page_size = 1000);
  void scan_cluster(std::string_view pattern, Callback<std::vector<std::string>> done,
                    std::size_t page_size = 1000);
  std::future<BatchGetResult> mget_cluster(const std::vector<std::string>& keys);
  void mget_cluster(const std::vector<std::string>& keys, Callback<BatchGetResult> done);
  std::future<void> mset_cluster(const KeyValues& entries);
  void mset_cluster(const KeyValues& entries, Callback<void> done);
  std::future<std::vector<ClusterNodeInfo>> get_nodes_info();
  void get_nodes_info(Callback<std::vector<ClusterNodeInfo>> done);

  static std::string hash_tag_key(std::string_view tag, std::string_view suffix) {
    return redis_toolkit::hash_tag_key(tag, suffix);
  }

private:
  std::shared_ptr<detail::ToolkitCore> core_;
};

} // namespace redis_toolkit
