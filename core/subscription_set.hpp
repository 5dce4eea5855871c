#pragma once
// The channels and patterns one subscriber holds, each with its handlers and figures: which names
// a subscribe call adds (and so must be sent to Redis), which an unsubscribe call empties (and so
// must be unsubscribed), which dynamic channels went quiet for too long, and what to subscribe
// again after a reconnect. The subscriber actor keeps one with its handler references as
// `Handler`s; the bookkeeping is tested with plain values (tests/core/subscription_set_tests.cpp).
//
//   SubscriptionSet<int> set;
//   set.add(SubscriptionTarget::channel, {"news", "sport"}, 7, false, now).fresh; // {news, sport}
//   set.add(SubscriptionTarget::channel, {"news"}, 8, false, now).fresh;          // {}
//   set.remove_channels({"news"}, [](int h) { return h == 7; }).emptied;          // {}: 8 is left
//   set.names(SubscriptionTarget::channel);                                        // {news, sport}
//
// Rules: a name is in the set while it has a handler; a name is subscribed on Redis once however
// many handlers it has; channels and patterns of the same name are different entries.

#include "pubsub_push.hpp"

#include "redis_toolkit/statistics.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace redis_toolkit::detail {

template <typename Handler>
class SubscriptionSet {
public:
  using Clock = std::chrono::system_clock;

  struct Entry {
    std::vector<Handler> handlers;
    ChannelStatistics statistics;
  };

  struct Added {
    std::vector<std::string> fresh; ///< names new to the set, in the order given: to subscribe
    std::vector<std::string> known; ///< names that were in the set already
  };

  /// Adds `handler` (once) to each of `names`. `dynamic` channels expire when quiet (expire()).
  Added add(SubscriptionTarget target, const std::vector<std::string>& names,
            const Handler& handler, bool dynamic, Clock::time_point now) {
    Added added;
    auto& subscribed = of(target);
    for (const std::string& name : names) {
      auto [it, inserted] = subscribed.try_emplace(name);
      Entry& entry = it->second;
      if (inserted) {
        entry.statistics.channel = name;
        entry.statistics.pattern = target == SubscriptionTarget::pattern;
        entry.statistics.subscribed_at = entry.statistics.last_message_at = now;
        added.fresh.push_back(name);
      } else {
        added.known.push_back(name);
      }
      entry.statistics.dynamic = entry.statistics.dynamic || dynamic;
      if (std::find(entry.handlers.begin(), entry.handlers.end(), handler) == entry.handlers.end())
        entry.handlers.push_back(handler);
    }
    return added;
  }

  struct Removed {
    bool any = false;                 ///< some of `names` was subscribed here
    std::vector<std::string> emptied; ///< names with no handler left: to unsubscribe
  };

  /// Removes from each channel of `names` the handlers `matches` accepts. A name that ends with
  /// no handler leaves the set, and a name that is not here counts as emptied (unsubscribing it
  /// again is harmless, and Redis may still hold it from a call on its way).
  template <typename Matches>
  Removed remove_channels(const std::vector<std::string>& names, Matches matches) {
    Removed removed;
    for (const std::string& name : names) {
      auto found = channels_.find(name);
      if (found != channels_.end()) {
        removed.any = true;
        auto& handlers = found->second.handlers;
        handlers.erase(std::remove_if(handlers.begin(), handlers.end(), matches), handlers.end());
        if (handlers.empty()) channels_.erase(found);
      }
      if (channels_.count(name) == 0) removed.emptied.push_back(name);
    }
    return removed;
  }

  /// Drops the dynamic channels that heard nothing for longer than `quiet`: their names.
  std::vector<std::string> expire(Clock::time_point now, Clock::duration quiet) {
    std::vector<std::string> expired;
    for (auto it = channels_.begin(); it != channels_.end();) {
      const ChannelStatistics& statistics = it->second.statistics;
      if (statistics.dynamic && now - statistics.last_message_at > quiet) {
        expired.push_back(it->first);
        it = channels_.erase(it);
      } else {
        ++it;
      }
    }
    return expired;
  }

  /// Every name of `target`, in order: what a fresh connection subscribes again.
  std::vector<std::string> names(SubscriptionTarget target) const {
    std::vector<std::string> all;
    for (const auto& entry : of(target)) all.push_back(entry.first);
    return all;
  }

  /// The entry of `name`, or null when it is not subscribed (a message after unsubscribing).
  Entry* find(SubscriptionTarget target, const std::string& name) {
    auto& subscribed = of(target);
    auto found = subscribed.find(name);
    return found == subscribed.end() ? nullptr : &found->second;
  }

  bool contains(SubscriptionTarget target, const std::string& name) const {
    return of(target).count(name) > 0;
  }
  bool has_patterns() const { return !patterns_.empty(); }

  /// Forgets everything (a subscriber stopping).
  void clear() {
    channels_.clear();
    patterns_.clear();
  }

  /// Calls `visit(entry)` for every channel, then every pattern, in name order.
  template <typename Visit>
  void for_each(Visit visit) const {
    for (const auto* subscribed : {&channels_, &patterns_})
      for (const auto& entry : *subscribed) visit(entry.second);
  }

private:
  std::map<std::string, Entry>& of(SubscriptionTarget target) {
    return target == SubscriptionTarget::pattern ? patterns_ : channels_;
  }
  const std::map<std::string, Entry>& of(SubscriptionTarget target) const {
    return target == SubscriptionTarget::pattern ? patterns_ : channels_;
  }

  std::map<std::string, Entry> channels_;
  std::map<std::string, Entry> patterns_; ///< never sharded, never dynamic
};

} // namespace redis_toolkit::detail
