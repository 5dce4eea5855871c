#include "subscription_control.hpp"

#include "completion_actor.hpp"
#include "completion_future.hpp"
#include "subscriber.hpp"

#include "redis_toolkit/errors.hpp"

#include <caf/all.hpp>


namespace redis_toolkit::detail {
namespace {

std::exception_ptr subscribe_failure(const std::vector<std::string>& channels,
                                     const std::string& why) {
  std::string names;
  for (const auto& channel : channels) names += (names.empty() ? "" : ", ") + channel;
  return std::make_exception_ptr(ConnectionError(
      "subscriber", "subscribe", "channels [" + names + "] not confirmed by Redis: " + why));
}

} // namespace

SubscriptionControl::SubscriptionControl(std::shared_ptr<ToolkitCore> core, caf::actor subscriber,
                                         std::chrono::milliseconds wait_limit)
    : core_(std::move(core)), subscriber_(std::move(subscriber)), wait_limit_(wait_limit) {}

SubscriptionControl::~SubscriptionControl() { stop(); }

caf::actor SubscriptionControl::current_subscriber() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return subscriber_;
}

void SubscriptionControl::add(const std::vector<std::string>& channels, const caf::actor& handler,
                              bool dynamic, std::function<void(std::exception_ptr)> done) {
  add(channels, HandlerRef{handler, nullptr}, dynamic, std::move(done));
}

void SubscriptionControl::add(const std::vector<std::string>& channels, HandlerRef handler,
                              bool dynamic, std::function<void(std::exception_ptr)> done) {
  caf::actor subscriber = current_subscriber();
  if (!subscriber) {
    done(subscribe_failure(channels, "the subscription was stopped"));
    return;
  }
  const auto limit = wait_limit_;
  core_->run_task([subscriber, channels, handler, dynamic, limit,
                   done = std::move(done)](caf::event_based_actor* self) {
    self->request(subscriber, limit, subscribe_atom::value, channels, handler, dynamic)
        .then([done](caf::ok_atom) { done(nullptr); },
              [self, channels, done](caf::error& error) {
                done(subscribe_failure(channels, self->system().render(error)));
              });
  });
}

void SubscriptionControl::add(const std::vector<std::string>& channels, MessageHandler handler,
                              bool dynamic, std::function<void(std::exception_ptr)> done) {
  HandlerRef wrapped = spawn_function_handler(core_->system(), std::move(handler));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    owned_handlers_.emplace_back(wrapped.actor,
                                 std::set<std::string>(channels.begin(), channels.end()));
  }
  add(channels, wrapped, dynamic, std::move(done));
}

void SubscriptionControl::remove(const std::vector<std::string>& channels,
                                 std::function<void(bool)> done) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = owned_handlers_.begin(); it != owned_handlers_.end();) {
      for (const auto& channel : channels) it->second.erase(channel);
      if (!it->second.empty()) {
        ++it;
        continue;
      }
      caf::anon_send_exit(it->first, caf::exit_reason::user_shutdown);
      it = owned_handlers_.erase(it);
    }
  }
  caf::actor subscriber = current_subscriber();
  if (!subscriber) {
    done(false);
    return;
  }
  const auto limit = wait_limit_;
  core_->run_task([subscriber, channels, limit, done = std::move(done)](caf::event_based_actor* self) {
    self->request(subscriber, limit, unsubscribe_atom::value, channels, caf::actor())
        .then([done](bool removed) { done(removed); }, [done](caf::error&) { done(false); });
  });
}

void SubscriptionControl::statistics(std::function<void(SubscriptionStatistics)> done) {
  caf::actor subscriber = current_subscriber();
  if (!subscriber) {
    done(SubscriptionStatistics{});
    return;
  }
  const auto limit = wait_limit_;
  core_->run_task([subscriber, limit, done = std::move(done)](caf::event_based_actor* self) {
    self->request(subscriber, limit, stats_atom::value)
        .then([done](SubscriptionStatistics& answer) { done(std::move(answer)); },
              [done](caf::error&) { done(SubscriptionStatistics{}); });
  });
}

void SubscriptionControl::add_and_wait(const std::vector<std::string>& channels,
                                       MessageHandler handler, bool dynamic) {
  future_of_confirmation([&](auto done) { add(channels, std::move(handler), dynamic, done); }).get();
}

void SubscriptionControl::add_and_wait(const std::vector<std::string>& channels,
                                       const caf::actor& handler, bool dynamic) {
  future_of_confirmation([&](auto done) { add(channels, handler, dynamic, done); }).get();
}

bool SubscriptionControl::remove_and_wait(const std::vector<std::string>& channels) {
  return future_of<bool>([&](auto done) { remove(channels, done); }).get();
}

SubscriptionStatistics SubscriptionControl::statistics_and_wait() {
  return future_of<SubscriptionStatistics>([&](auto done) { statistics(done); }).get();
}

void SubscriptionControl::stop() noexcept {
  caf::actor subscriber;
  std::vector<std::pair<caf::actor, std::set<std::string>>> handlers;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    subscriber.swap(subscriber_);
    handlers.swap(owned_handlers_);
  }
  if (subscriber) caf::anon_send(subscriber, shutdown_atom::value);
  for (auto& handler : handlers) caf::anon_send_exit(handler.first, caf::exit_reason::user_shutdown);
}

bool SubscriptionControl::active() const noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<bool>(subscriber_);
}

void DynamicSubscriptions::subscribe(const std::string& channel, MessageHandler handler,
                                     std::function<void(std::exception_ptr)> done) {
  std::shared_ptr<SubscriptionControl> subscriber;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!subscriber_) subscriber_ = new_subscription_control(core_);
    handlers_[channel] = handler;
    subscriber = subscriber_;
  }
  subscriber->add({channel}, std::move(handler), true, std::move(done));
}

void DynamicSubscriptions::unsubscribe(const std::string& channel, std::function<void(bool)> done) {
  std::shared_ptr<SubscriptionControl> subscriber;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    handlers_.erase(channel);
    subscriber = subscriber_;
  }
  if (!subscriber) return done(false);
  subscriber->remove({channel}, std::move(done));
}

void DynamicSubscriptions::resubscribe(const std::string& channel, std::function<void(bool)> done) {
  std::shared_ptr<SubscriptionControl> subscriber;
  MessageHandler handler;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto known = handlers_.find(channel);
    if (subscriber_ && known != handlers_.end()) {
      subscriber = subscriber_;
      handler = known->second;
    }
  }
  if (!subscriber) return done(false);
  subscriber->remove({channel}, [subscriber, channel, handler, done](bool) {
    subscriber->add({channel}, handler, true,
                    [done](std::exception_ptr error) { done(error == nullptr); });
  });
}

void DynamicSubscriptions::statistics(std::function<void(SubscriptionStatistics)> done) {
  std::shared_ptr<SubscriptionControl> subscriber;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    subscriber = subscriber_;
  }
  if (!subscriber) {
    SubscriptionStatistics none;
    none.server = core_->server();
    return done(std::move(none));
  }
  subscriber->statistics(std::move(done));
}

void DynamicSubscriptions::stop() noexcept {
  std::shared_ptr<SubscriptionControl> subscriber;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    subscriber.swap(subscriber_);
    handlers_.clear();
  }
  if (subscriber) subscriber->stop();
}

std::shared_ptr<SubscriptionControl> new_subscription_control(const std::shared_ptr<ToolkitCore>& core) {
  SubscriberSettings settings;
  settings.connection = connection_settings(core->config());
  settings.retry_delay = core->options().subscriber_retry_delay;
  settings.expire_after = core->options().subscription_expire_minutes;
  settings.check_interval = core->options().subscription_check_interval;
  settings.mailbox_limit = core->options().subscriber_mailbox_limit;
  const auto wait_limit = core->config().connection_timeout + core->config().socket_timeout;
  auto control = std::make_shared<SubscriptionControl>(
      core, spawn_subscriber(core->system(), std::move(settings)), wait_limit);
  core->track(control);
  return control;
}

} // namespace redis_toolkit::detail

namespace redis_toolkit {

Subscription::Subscription(std::shared_ptr<detail::SubscriptionControl> control)
    : control_(std::move(control)) {}

Subscription::~Subscription() { stop(); }

Subscription& Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    stop();
    control_ = std::move(other.control_);
  }
  return *this;
}

void Subscription::stop() noexcept {
  if (control_) control_->stop();
}

bool Subscription::active() const noexcept { return control_ && control_->active(); }

SubscriptionStatistics Subscription::statistics() const {
  return control_ ? control_->statistics_and_wait() : SubscriptionStatistics{};
}

} // namespace redis_toolkit
