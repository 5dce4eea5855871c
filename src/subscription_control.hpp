#pragma once
// What a Subscription handle owns: its subscriber actor and the handler actors made for it.

#include "toolkit_core.hpp"

#include "redis_toolkit/pubsub.hpp"

#include <caf/actor.hpp>

#include <memory>
#include <mutex>
#include <vector>

namespace redis_toolkit::detail {

class SubscriptionControl {
public:
  SubscriptionControl(std::shared_ptr<Runtime> runtime, caf::actor_system& system,
                      caf::actor subscriber, std::chrono::milliseconds wait_limit);
  ~SubscriptionControl();

  /// Subscribes `handler` to `channels` and waits until Redis confirmed them (ConnectionError
  /// after `wait_limit`).
  void add(const std::vector<std::string>& channels, const caf::actor& handler, bool dynamic);
  /// The same with a function handler, wrapped in a handler actor this control owns.
  void add(const std::vector<std::string>& channels, MessageHandler handler, bool dynamic);
  bool remove(const std::vector<std::string>& channels);
  SubscriptionStatistics statistics();
  void stop() noexcept;
  bool active() const noexcept;

private:
  std::shared_ptr<Runtime> runtime_; // keeps the shared actor system alive while we are
  caf::actor_system& system_;
  caf::actor subscriber_;
  std::chrono::milliseconds wait_limit_;
  std::vector<caf::actor> owned_handlers_;
  mutable std::mutex mutex_;
};

} // namespace redis_toolkit::detail
