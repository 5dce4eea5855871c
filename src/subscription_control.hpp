#pragma once
// What a Subscription handle owns: its subscriber actor and the handler actors made for it. Every
// request to the subscriber is asynchronous (run on a completion actor); the blocking calls wait
// for the same requests.

#include "subscriber.hpp"
#include "toolkit_core.hpp"

#include "redis_toolkit/pubsub.hpp"

#include <caf/actor.hpp>

#include <exception>
#include <functional>
#include <memory>
#include <map>
#include <mutex>
#include <set>
#include <vector>

namespace redis_toolkit::detail {

class SubscriptionControl : public std::enable_shared_from_this<SubscriptionControl> {
public:
  /// `core` supplies the actor system and the completion actors; it must outlive this control.
  /// Subscribers are made on first use from `settings` (one per slot for sharded channels in a
  /// cluster, else one).
  SubscriptionControl(std::shared_ptr<ToolkitCore> core, SubscriberSettings settings,
                      std::chrono::milliseconds wait_limit);
  ~SubscriptionControl();

  /// Subscribes `handler` to `channels`; `done` gets null once Redis confirmed them all, or a
  /// ConnectionError after the wait limit.
  void add(const std::vector<std::string>& channels, const caf::actor& handler, bool dynamic,
           std::function<void(std::exception_ptr)> done);
  void add(const std::vector<std::string>& channels, HandlerRef handler, bool dynamic,
           std::function<void(std::exception_ptr)> done);
  /// The same with a function handler, wrapped in a handler actor this control owns.
  void add(const std::vector<std::string>& channels, MessageHandler handler, bool dynamic,
           std::function<void(std::exception_ptr)> done);
  /// Subscribes `handler` to the glob `patterns` (PSUBSCRIBE; classic subscriptions only), like
  /// add(). Pattern handlers are not removed by remove(): they end with stop().
  void add_patterns(const std::vector<std::string>& patterns, const caf::actor& handler,
                    std::function<void(std::exception_ptr)> done);
  void add_patterns(const std::vector<std::string>& patterns, HandlerRef handler,
                    std::function<void(std::exception_ptr)> done);
  void add_patterns(const std::vector<std::string>& patterns, PatternMessageHandler handler,
                    std::function<void(std::exception_ptr)> done);
  void remove(const std::vector<std::string>& channels, std::function<void(bool)> done);
  void statistics(std::function<void(SubscriptionStatistics)> done);

  // Blocking forms of the above, for RedisToolkit.
  void add_and_wait(const std::vector<std::string>& channels, MessageHandler handler, bool dynamic);
  void add_and_wait(const std::vector<std::string>& channels, const caf::actor& handler,
                    bool dynamic);
  void add_patterns_and_wait(const std::vector<std::string>& patterns,
                             PatternMessageHandler handler);
  void add_patterns_and_wait(const std::vector<std::string>& patterns, const caf::actor& handler);
  bool remove_and_wait(const std::vector<std::string>& channels);
  SubscriptionStatistics statistics_and_wait();

  void stop() noexcept;
  bool active() const noexcept;
  bool stopped() const noexcept;

private:
  /// The subscriber of each of `channels` (made when `create`), with its channels.
  std::map<caf::actor, std::vector<std::string>> subscribers_for(
      const std::vector<std::string>& channels, bool create);
  std::vector<caf::actor> all_subscribers() const;
  /// Sends the subscribe request (channels, or patterns when `patterns`) to each subscriber of
  /// `groups`; `done` once all confirmed, or with the first failure.
  void confirm_all(std::map<caf::actor, std::vector<std::string>> groups, bool patterns,
                   const HandlerRef& handler, bool dynamic,
                   std::function<void(std::exception_ptr)> done);

  std::shared_ptr<ToolkitCore> core_; // keeps the actor system and the executors alive
  SubscriberSettings settings_;
  std::map<std::int32_t, caf::actor> subscribers_; ///< by slot; any_slot when not sharded
  bool stopped_ = false;
  std::chrono::milliseconds wait_limit_;
  /// Function handlers wrapped here, with the channels each still serves; ended when none is left.
  std::vector<std::pair<HandlerRef, std::set<std::string>>> owned_handlers_;
  std::vector<HandlerRef> owned_pattern_handlers_; ///< pattern function handlers; ended by stop()
  mutable std::mutex mutex_;
};

/// The Python toolkit's dynamic subscriptions: one subscriber, channels added and removed at run
/// time, idle channels expiring. Shared by RedisToolkit and AsyncRedisToolkit.
class DynamicSubscriptions {
public:
  explicit DynamicSubscriptions(std::shared_ptr<ToolkitCore> core) : core_(std::move(core)) {}
  void subscribe(const std::string& channel, MessageHandler handler,
                 std::function<void(std::exception_ptr)> done);
  void unsubscribe(const std::string& channel, std::function<void(bool)> done);
  /// Unsubscribes and subscribes again with the same handler, resetting statistics and expiry.
  void resubscribe(const std::string& channel, std::function<void(bool)> done);
  void statistics(std::function<void(SubscriptionStatistics)> done);
  void stop() noexcept;

private:
  std::shared_ptr<ToolkitCore> core_;
  std::mutex mutex_;
  std::shared_ptr<SubscriptionControl> subscriber_;
  std::map<std::string, MessageHandler> handlers_;
};

/// A new subscription for `core`'s server or cluster, classic or sharded.
std::shared_ptr<SubscriptionControl> new_subscription_control(
    const std::shared_ptr<ToolkitCore>& core, PubSubKind kind = PubSubKind::classic);

} // namespace redis_toolkit::detail
