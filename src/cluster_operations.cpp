#include "redis_toolkit/cluster_operations.hpp"

#include "async_core.hpp"
#include "cluster_scan.hpp"
#include "toolkit_core.hpp"

namespace redis_toolkit {

namespace {

using detail::ClusterScan;
using detail::ToolkitCore;

/// The next round of `scan` from a completion actor; `done` receives every key, or the error.
void continue_scan(std::shared_ptr<ToolkitCore> core, std::shared_ptr<ClusterScan> scan,
                   std::shared_ptr<std::vector<std::string>> keys,
                   Callback<std::vector<std::string>> done) {
  auto finish = [core, scan, keys, done](std::vector<Reply>* replies, std::exception_ptr error) {
    if (error) return done(Result<std::vector<std::string>>::failure(error));
    try {
      for (auto& key : scan->take(*replies)) keys->push_back(std::move(key));
    } catch (...) {
      return done(Result<std::vector<std::string>>::failure(std::current_exception()));
    }
    if (scan->done()) return done(Result<std::vector<std::string>>::success(std::move(*keys)));
    continue_scan(core, scan, keys, done);
  };
  auto call = detail::make_pending_call(core->server(), "scan_cluster", std::move(finish));
  caf::actor router = core->router();
  if (!router) {
    core->run_task([call](caf::io::broker*) { call->fail("the toolkit was cleaned up"); });
    return;
  }
  core->call_router(router, scan->next_request(), std::move(call));
}

} // namespace

// ---- ClusterOperations ----

ClusterOperations::ClusterOperations(RedisToolkit& toolkit) : core_(toolkit.core_) {}

void ClusterOperations::scan_cluster(
    std::string_view pattern, const std::function<void(const std::vector<std::string>&)>& on_keys,
    std::size_t page_size) {
  ClusterScan scan(core_->context(), std::string(pattern), page_size);
  while (!scan.done()) {
    auto replies = core_->execute(scan.next_request(), "scan_cluster");
    auto keys = scan.take(replies);
    if (!keys.empty()) on_keys(keys);
  }
}

std::vector<std::string> ClusterOperations::scan_cluster(std::string_view pattern,
                                                         std::size_t page_size) {
  std::vector<std::string> all;
  scan_cluster(
      pattern,
      [&](const std::vector<std::string>& keys) { all.insert(all.end(), keys.begin(), keys.end()); },
      page_size);
  return all;
}

BatchGetResult ClusterOperations::mget_cluster(const std::vector<std::string>& keys) {
  return core_->run(detail::plan_batch_get(core_->context(), keys, "mget_cluster"));
}

void ClusterOperations::mset_cluster(const KeyValues& entries) {
  core_->run(detail::plan_batch_set(core_->context(), entries, "mset_cluster"));
}

std::vector<ClusterNodeInfo> ClusterOperations::get_nodes_info() {
  return core_->run(detail::plan_nodes_info(core_->context()));
}

std::map<std::string, std::vector<std::string>> ClusterOperations::group_keys_by_node(
    const std::vector<std::string>& keys) {
  std::vector<std::string> owner(cluster_slot_count);
  for (const ClusterNodeInfo& node : get_nodes_info())
    if (node.role == "master") // a failing master serves its slots until a replica takes over
      for (const SlotRange& range : node.slots)
        for (std::uint32_t slot = range.first; slot <= range.last; ++slot)
          owner[slot] = node.address();
  std::map<std::string, std::vector<std::string>> groups;
  for (const std::string& key : keys) groups[owner[key_slot(key)]].push_back(key);
  return groups;
}

// ---- AsyncClusterOperations ----

AsyncClusterOperations::AsyncClusterOperations(AsyncRedisToolkit& toolkit)
    : core_(toolkit.core_->core) {}

void AsyncClusterOperations::scan_cluster(std::string_view pattern,
                                          Callback<std::vector<std::string>> done,
                                          std::size_t page_size) {
  auto scan = std::make_shared<ClusterScan>(core_->context(), std::string(pattern), page_size);
  continue_scan(core_, std::move(scan), std::make_shared<std::vector<std::string>>(),
                std::move(done));
}

std::future<std::vector<std::string>> AsyncClusterOperations::scan_cluster(
    std::string_view pattern, std::size_t page_size) {
  return detail::as_future<std::vector<std::string>>(
      [&](Callback<std::vector<std::string>> done) { scan_cluster(pattern, std::move(done), page_size); });
}

void AsyncClusterOperations::mget_cluster(const std::vector<std::string>& keys,
                                          Callback<BatchGetResult> done) {
  detail::submit<BatchGetResult>(
      *core_, "mget_cluster",
      [&] { return detail::plan_batch_get(core_->context(), keys, "mget_cluster"); },
      std::move(done));
}

std::future<BatchGetResult> AsyncClusterOperations::mget_cluster(
    const std::vector<std::string>& keys) {
  return detail::as_future<BatchGetResult>(
      [&](Callback<BatchGetResult> done) { mget_cluster(keys, std::move(done)); });
}

void AsyncClusterOperations::mset_cluster(const KeyValues& entries, Callback<void> done) {
  detail::submit<void>(
      *core_, "mset_cluster",
      [&] { return detail::plan_batch_set(core_->context(), entries, "mset_cluster"); },
      std::move(done));
}

std::future<void> AsyncClusterOperations::mset_cluster(const KeyValues& entries) {
  return detail::as_future<void>(
      [&](Callback<void> done) { mset_cluster(entries, std::move(done)); });
}

void AsyncClusterOperations::get_nodes_info(Callback<std::vector<ClusterNodeInfo>> done) {
  detail::submit<std::vector<ClusterNodeInfo>>(
      *core_, "get_nodes_info", [&] { return detail::plan_nodes_info(core_->context()); },
      std::move(done));
}

std::future<std::vector<ClusterNodeInfo>> AsyncClusterOperations::get_nodes_info() {
  return detail::as_future<std::vector<ClusterNodeInfo>>(
      [&](Callback<std::vector<ClusterNodeInfo>> done) { get_nodes_info(std::move(done)); });
}

} // namespace redis_toolkit
