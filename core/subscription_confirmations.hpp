#pragma once
// Subscribe calls waiting for Redis to confirm their channels and patterns: a call is answered
// once every name it asked for was confirmed on the connection, in the order the calls came. The
// subscriber actor keeps one of these with its callers' response promises as `Waiter`s; the
// bookkeeping is tested here with plain values (tests/core/subscription_confirmations_tests.cpp).
//
//   SubscriptionConfirmations<int> waiting;
//   waiting.add(7, {{SubscriptionTarget::channel, "news"}, {SubscriptionTarget::pattern, "a*"}});
//   waiting.confirm(SubscriptionTarget::channel, "news");   // {} : "a*" is still awaited
//   waiting.confirm(SubscriptionTarget::pattern, "a*");     // {7}

#include "pubsub_push.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace redis_toolkit::detail {

using SubscriptionName = std::pair<SubscriptionTarget, std::string>;

template <typename Waiter>
class SubscriptionConfirmations {
public:
  /// `waiter` waits until every one of `names` is confirmed; `names` must not be empty (a call
  /// with nothing to wait for is answered by its caller at once).
  void add(Waiter waiter, std::set<SubscriptionName> names) {
    entries_.push_back({std::move(waiter), std::move(names)});
  }

  /// Redis confirmed `name` of `target`: it counts for every waiter that asked for it. Returns
  /// the waiters it was the last name of, in the order they were added.
  std::vector<Waiter> confirm(SubscriptionTarget target, const std::string& name) {
    for (auto& entry : entries_) entry.names.erase({target, name});
    auto done = std::stable_partition(entries_.begin(), entries_.end(),
                                      [](const Entry& entry) { return !entry.names.empty(); });
    std::vector<Waiter> answered;
    for (auto it = done; it != entries_.end(); ++it) answered.push_back(std::move(it->waiter));
    entries_.erase(done, entries_.end());
    return answered;
  }

  /// Every waiter, in the order added, and none left: the confirmations will not come.
  std::vector<Waiter> take_all() {
    std::vector<Waiter> all;
    for (auto& entry : entries_) all.push_back(std::move(entry.waiter));
    entries_.clear();
    return all;
  }

  bool empty() const noexcept { return entries_.empty(); }
  std::size_t size() const noexcept { return entries_.size(); }

private:
  struct Entry {
    Waiter waiter;
    std::set<SubscriptionName> names;
  };
  std::vector<Entry> entries_;
};

} // namespace redis_toolkit::detail
