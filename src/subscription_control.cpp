#include "subscription_control.hpp"

#include "subscriber.hpp"

#include "redis_toolkit/errors.hpp"

#include <caf/all.hpp>

namespace redis_toolkit::detail {

SubscriptionControl::SubscriptionControl(std::shared_ptr<Runtime> runtime, caf::actor_system& system,
                                         caf::actor subscriber, std::chrono::milliseconds wait_limit)
    : runtime_(std::move(runtime)), system_(system), subscriber_(std::move(subscriber)),
      wait_limit_(wait_limit) {}

SubscriptionControl::~SubscriptionControl() { stop(); }

void SubscriptionControl::add(const std::vector<std::string>& channels, const caf::actor& handler,
                              bool dynamic) {
  caf::actor subscriber;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    subscriber = subscriber_;
  }
  if (!subscriber) throw ConnectionError("subscriber", "subscribe", "the subscription was stopped");
  caf::scoped_actor self(system_);
  std::string failure;
  self->request(subscriber, wait_limit_, subscribe_atom::value, channels, handler, dynamic)
      .receive([](caf::ok_atom) {}, [&](caf::error& error) { failure = system_.render(error); });
  if (!failure.empty()) {
    std::string names;
    for (const auto& channel : channels) names += (names.empty() ? "" : ", ") + channel;
    throw ConnectionError("subscriber", "subscribe",
                          "channels [" + names + "] not confirmed by Redis: " + failure);
  }
}

void SubscriptionControl::add(const std::vector<std::string>& channels, MessageHandler handler,
                              bool dynamic) {
  caf::actor wrapped = spawn_function_handler(system_, std::move(handler));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    owned_handlers_.push_back(wrapped);
  }
  add(channels, wrapped, dynamic);
}

bool SubscriptionControl::remove(const std::vector<std::string>& channels) {
  caf::actor subscriber;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    subscriber = subscriber_;
  }
  if (!subscriber) return false;
  caf::scoped_actor self(system_);
  bool removed = false;
  self->request(subscriber, wait_limit_, unsubscribe_atom::value, channels, caf::actor())
      .receive([&](bool answer) { removed = answer; }, [](caf::error&) {});
  return removed;
}

SubscriptionStatistics SubscriptionControl::statistics() {
  caf::actor subscriber;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    subscriber = subscriber_;
  }
  SubscriptionStatistics statistics;
  if (!subscriber) return statistics;
  caf::scoped_actor self(system_);
  self->request(subscriber, wait_limit_, stats_atom::value)
      .receive([&](SubscriptionStatistics& answer) { statistics = std::move(answer); },
               [](caf::error&) {});
  return statistics;
}

void SubscriptionControl::stop() noexcept {
  caf::actor subscriber;
  std::vector<caf::actor> handlers;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    subscriber.swap(subscriber_);
    handlers.swap(owned_handlers_);
  }
  if (subscriber) caf::anon_send(subscriber, shutdown_atom::value);
  for (auto& handler : handlers) caf::anon_send_exit(handler, caf::exit_reason::user_shutdown);
}

bool SubscriptionControl::active() const noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<bool>(subscriber_);
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
  return control_ ? control_->statistics() : SubscriptionStatistics{};
}

} // namespace redis_toolkit
