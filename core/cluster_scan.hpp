#pragma once
// SCAN over every master of a cluster (or the one server), a page at a time, each key once: the
// first request asks every master for its first page, each later request asks every master that
// has more for its next page, all masters at once. Plain logic; the fronts send the requests.

#include "operations.hpp"

#include <set>
#include <string>
#include <vector>

namespace redis_toolkit::detail {

class ClusterScan {
public:
  ClusterScan(const OperationContext& context, std::string pattern, std::size_t page_size = 1000);

  bool done() const noexcept { return started_ && cursors_.empty(); }
  /// The next request; call only while !done().
  CommandRequest next_request() const;
  /// Takes the replies to next_request(): returns the keys not seen before, in the order Redis
  /// gave them. Throws the typed error of a failed page.
  std::vector<std::string> take(std::vector<Reply>& replies);

private:
  RedisOptions options_;
  std::string server_;
  std::string pattern_;
  std::string page_size_;
  bool started_ = false;
  std::vector<std::pair<std::string, std::string>> cursors_; ///< (node, cursor) still to go
  std::set<std::string> seen_;
};

} // namespace redis_toolkit::detail
