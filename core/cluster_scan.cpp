#include "cluster_scan.hpp"

#include "redis_toolkit/errors.hpp"

namespace redis_toolkit::detail {

ClusterScan::ClusterScan(const OperationContext& context, std::string pattern,
                         std::size_t page_size)
    : options_(context.options), server_(context.server), pattern_(std::move(pattern)),
      page_size_(std::to_string(page_size == 0 ? 1000 : page_size)) {}

CommandRequest ClusterScan::next_request() const {
  CommandRequest request;
  request.retry.attempts = std::max(1, options_.retry_attempts);
  request.retry.delay = options_.retry_delay;
  request.retry.backoff = options_.retry_backoff;
  if (!started_) {
    request.add_targeted({"SCAN", "0", "MATCH", pattern_, "COUNT", page_size_},
                         Command::Target::every_master);
    return request;
  }
  for (const auto& [node, cursor] : cursors_)
    request.add_targeted({"SCAN", cursor, "MATCH", pattern_, "COUNT", page_size_},
                         Command::Target::node, node);
  return request;
}

std::vector<std::string> ClusterScan::take(std::vector<Reply>& replies) {
  // The pages of this round, as (node, reply).
  std::vector<std::pair<std::string, Reply*>> pages;
  if (!started_) {
    if (replies.size() != 1) throw CommandError(server_, "scan", "unexpected reply count");
    auto& pairs = replies[0].elements;
    for (std::size_t i = 0; i + 1 < pairs.size(); i += 2) pages.emplace_back(pairs[i].text, &pairs[i + 1]);
  } else {
    if (replies.size() != cursors_.size()) throw CommandError(server_, "scan", "unexpected reply count");
    for (std::size_t i = 0; i < replies.size(); ++i) pages.emplace_back(cursors_[i].first, &replies[i]);
  }
  started_ = true;
  cursors_.clear();
  std::vector<std::string> fresh;
  for (auto& [node, reply] : pages) {
    ScanPage page = decode_scan_page(*reply, node);
    for (auto& key : page.keys)
      if (seen_.insert(key).second) fresh.push_back(std::move(key));
    if (page.next_cursor != "0") cursors_.emplace_back(node, std::move(page.next_cursor));
  }
  return fresh;
}

} // namespace redis_toolkit::detail
