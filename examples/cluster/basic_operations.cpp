// The toolkit on a Redis Cluster: the same calls as on one server (setter, getter, batches, TTLs),
// blocking and async, with keys spread over every master, plus what only a cluster has
// (ClusterOperations: scanning every master, the nodes' view of the cluster).
//
// Runs against the cluster named by RTK_CLUSTER ("127.0.0.1:7000,127.0.0.1:7001", e.g. after
// `rtk cluster up`), or a local 3-master 3-replica cluster it starts and stops itself.
#include <redis_toolkit/async_toolkit.hpp>
#include <redis_toolkit/cluster_operations.hpp>
#include <redis_toolkit/toolkit.hpp>

#include <iostream>
#include <map>

#include "example_support.hpp"

using example::Checks;
using redis_toolkit::Value;

namespace {

const std::string prefix = "example:cluster:basic:";

std::vector<std::string> numbered_keys(const std::string& name, int count) {
  std::vector<std::string> keys;
  for (int i = 0; i < count; ++i) keys.push_back(prefix + name + ":" + std::to_string(i));
  return keys;
}

} // namespace

int main() try {
  Checks checks;
  auto cluster = example::ClusterForExample::start_or_connect();
  std::cout << "cluster: " << cluster.describe() << "\n";

  // 1. The configuration: cluster mode and a few startup nodes. The same from a file:
  //    RedisConnectionConfig::from_toml_file("config/cluster.toml").
  redis_toolkit::RedisConnectionConfig config;
  config.cluster_mode = true;
  config.startup_nodes = cluster.config().startup_nodes;
  config.validate(); // also runs validate_cluster_config(): seeds, db 0, max_connections_per_node
  std::cout << "config: " << config.describe() << "\n";

  redis_toolkit::RedisToolkit toolkit(config);
  redis_toolkit::ClusterOperations operations(toolkit);
  checks.expect(toolkit.health_check(), "health_check on the cluster");

  // 2. Single keys, blocking. Each key goes to the master of its slot; the caller never sees it.
  const auto users = numbered_keys("user", 6);
  for (std::size_t i = 0; i < users.size(); ++i)
    toolkit.setter(users[i], Value::dict({{"id", static_cast<std::int64_t>(i)}, {"name", "user"}}));
  for (const auto& [node, keys] : operations.group_keys_by_node(users)) {
    std::cout << "  master " << node << " holds";
    for (const auto& key : keys) std::cout << " " << key;
    std::cout << "\n";
  }
  const auto first = toolkit.getter(users[0]);
  std::cout << "getter(" << users[0] << ") -> " << (first ? first->to_string() : "(missing)") << "\n";
  checks.expect(first && first->find("id")->as_int() == 0, "getter reads what setter wrote");

  toolkit.setter_with_ttl(prefix + "session", "token-123", std::chrono::minutes(30));
  const auto ttl = toolkit.get_ttl(prefix + "session");
  std::cout << "get_ttl(session) -> " << ttl << " s, get_ttl(missing) -> "
            << toolkit.get_ttl(prefix + "missing") << "\n";
  checks.expect(ttl > 0 && ttl <= 1800, "the TTL is set");
  checks.expect(toolkit.deleter(prefix + "session") && !toolkit.deleter(prefix + "session"),
                "deleter is true once, then false");

  // 3. Batches over many slots: grouped per node, one pipeline per node, all nodes at once,
  //    results in the caller's order.
  const auto items = numbered_keys("item", 1000);
  redis_toolkit::KeyValues entries;
  for (std::size_t i = 0; i < items.size(); ++i)
    entries.emplace_back(items[i], static_cast<std::int64_t>(i));
  toolkit.batch_set(entries);
  const auto read = toolkit.batch_get({items[999], prefix + "nothing", items[0]});
  for (const auto& [key, value] : read)
    std::cout << "batch_get " << key << " -> " << (value ? value->to_string() : "(missing)") << "\n";
  checks.expect(read[0].second == Value(999) && !read[1].second && read[2].second == Value(0),
                "batch_get answers in the caller's order");
  std::cout << "the batch of " << items.size() << " keys spread over "
            << operations.group_keys_by_node(items).size() << " masters\n";

  // 4. The same without blocking: futures, or callbacks run on the toolkit's completion actor.
  redis_toolkit::AsyncRedisToolkit async_toolkit(config);
  std::vector<std::future<void>> writes;
  const auto orders = numbered_keys("order", 20);
  for (std::size_t i = 0; i < orders.size(); ++i)
    writes.push_back(async_toolkit.setter(orders[i], Value::list({static_cast<std::int64_t>(i), "open"})));
  for (auto& write : writes) write.get(); // rethrows the typed error, if any
  std::promise<std::optional<Value>> called_back;
  async_toolkit.getter(orders[7], [&](redis_toolkit::Result<std::optional<Value>> result) {
    if (result.ok()) called_back.set_value(result.value());
    else called_back.set_exception(result.error());
  });
  const auto seventh = called_back.get_future().get();
  std::cout << "async getter(" << orders[7] << ") -> " << (seventh ? seventh->to_string() : "(missing)")
            << "\n";
  checks.expect(seventh == Value::list({7, "open"}), "the async getter reads what was written");
  const auto async_read = async_toolkit.batch_get(orders).get();
  checks.expect(async_read.size() == orders.size() && async_read[19].second == Value::list({19, "open"}),
                "async batch_get over the masters");
  checks.expect(async_toolkit.health_check().get(), "async health_check");

  // 5. ClusterOperations: the Python toolkit's cluster names.
  operations.mset_cluster({{prefix + "a", 1}, {prefix + "b", 2.5}, {prefix + "c", "three"}});
  const auto values = operations.mget_cluster({prefix + "c", prefix + "a", prefix + "b"});
  std::cout << "mget_cluster:";
  for (const auto& [key, value] : values) std::cout << " " << key << "=" << (value ? value->to_string() : "-");
  std::cout << "\n";
  checks.expect(values[0].second == Value("three") && values[1].second == Value(1),
                "mget_cluster reads what mset_cluster wrote");

  // SCAN on every master at once, each key once (never KEYS, which blocks a server).
  const auto found = operations.scan_cluster(prefix + "item:*");
  std::cout << "scan_cluster(" << prefix << "item:*) found " << found.size() << " keys\n";
  checks.expect(found.size() == items.size(), "scan_cluster finds every batch key once");

  std::cout << "nodes (CLUSTER NODES):\n";
  const auto nodes = operations.get_nodes_info();
  std::map<std::string, std::string> address_of_id;
  for (const auto& node : nodes) address_of_id[node.id] = node.address();
  std::size_t served = 0;
  for (const auto& node : nodes) {
    std::cout << "  " << node.address() << " " << node.role;
    if (node.role == "master") std::cout << " slots=" << node.slot_count();
    else std::cout << " of " << address_of_id[node.master_id];
    std::cout << (node.connected ? "" : " (disconnected)") << (node.failing ? " (failing)" : "") << "\n";
    if (node.role == "master") served += node.slot_count();
  }
  checks.expect(served == redis_toolkit::cluster_slot_count, "the masters serve all 16384 slots");

  // Clean up: batch_delete spreads over the masters like any batch.
  std::vector<std::string> all = items;
  all.insert(all.end(), users.begin(), users.end());
  all.insert(all.end(), orders.begin(), orders.end());
  for (const char* name : {"a", "b", "c"}) all.push_back(prefix + name);
  const auto removed = toolkit.batch_delete(all);
  std::cout << "removed " << removed << " keys\n";
  checks.expect(removed == static_cast<std::int64_t>(all.size()), "every key was removed");
  return checks.finish("cluster/basic_operations");
} catch (const std::exception& error) {
  std::cerr << "cluster/basic_operations: " << error.what() << "\n";
  return 1;
}
