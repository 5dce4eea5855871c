#include "subscription_control.hpp"

#include "completion_actor.hpp"
#include "completion_future.hpp"
#include "subscriber.hpp"

#include "redis_toolkit/errors.hpp"
#include "redis_toolkit/key_slot.hpp"

#include <caf/all.hpp>


namespace redis_toolkit::detail {
namespace {

std::exception_ptr subscribe_failure(const std::vector<std::string>& channels,
                                     const std::string& why, bool patterns = false) {
  std::string names;
  for (const auto& channel : channels) names += (names.empty() ? "" : ", ") + channel;
  return std::make_exception_ptr(ConnectionError(
      "subscriber", patterns ? "psubscribe" : "subscribe",
      std::string(patterns ? "patterns [" : "channels [") + names +
          "] not confirmed by Redis: " + why));
}

/// The subscriber's own reason (login refused, connect failed) when it gave one, else CAF's.
std::string describe_failure(caf::actor_system& system, const caf::error& error) {
  if (error.category() == caf::atom("system") &&
      error.code() == static_cast<std::uint8_t>(caf::sec::runtime_error) &&
      error.context().match_elements<std::string>())
    return error.context().get_as<std::string>(0);
  return system.render(error);
}

} // namespace

SubscriptionControl::SubscriptionControl(std::shared_ptr<ToolkitCore> core,
                                         SubscriberSettings settings,
                                         std::chrono::milliseconds wait_limit)
    : core_(std::move(core)), settings_(std::move(settings)), wait_limit_(wait_limit) {}

SubscriptionControl::~SubscriptionControl() { stop(); }

std::map<caf::actor, std::vector<std::string>>
SubscriptionControl::subscribers_for(const std::vector<std::string>& channels, bool create) {
  std::map<caf::actor, std::vector<std::string>> groups;
  const CallerThreadScope caller_thread; // it may spawn subscribers here
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopped_) return groups;
  // Sharded channels in a cluster live on the master of their slot: one subscriber per slot.
  const bool by_slot = settings_.sharded && settings_.locator;
  for (const auto& channel : channels) {
    const std::int32_t slot = by_slot ? static_cast<std::int32_t>(key_slot(channel)) : any_slot;
    auto found = subscribers_.find(slot);
    if (found == subscribers_.end()) {
      if (!create) continue;
      SubscriberSettings settings = settings_;
      settings.slot = slot;
      found = subscribers_.emplace(slot, spawn_subscriber(core_->system(), std::move(settings))).first;
    }
    groups[found->second].push_back(channel);
  }
  return groups;
}

std::vector<caf::actor> SubscriptionControl::all_subscribers() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<caf::actor> all;
  for (const auto& entry : subscribers_) all.push_back(entry.second);
  return all;
}

void SubscriptionControl::add(const std::vector<std::string>& channels, const caf::actor& handler,
                              bool dynamic, std::function<void(std::exception_ptr)> done) {
  add(channels, HandlerRef{handler, nullptr, nullptr}, dynamic, std::move(done));
}

void SubscriptionControl::add(const std::vector<std::string>& channels, HandlerRef handler,
                              bool dynamic, std::function<void(std::exception_ptr)> done) {
  auto groups = subscribers_for(channels, true);
  if (groups.empty()) {
    done(subscribe_failure(channels, stopped() ? "the subscription was stopped" : "no channels"));
    return;
  }
  confirm_all(std::move(groups), false, handler, dynamic, std::move(done));
}

void SubscriptionControl::add_patterns(const std::vector<std::string>& patterns,
                                       const caf::actor& handler,
                                       std::function<void(std::exception_ptr)> done) {
  add_patterns(patterns, HandlerRef{handler, nullptr, nullptr}, std::move(done));
}

void SubscriptionControl::add_patterns(const std::vector<std::string>& patterns, HandlerRef handler,
                                       std::function<void(std::exception_ptr)> done) {
  // Classic pub/sub reaches every node of a cluster, so one subscriber (any node) hears every
  // channel a pattern matches; sharded pub/sub has no pattern form.
  std::map<caf::actor, std::vector<std::string>> groups;
  if (!settings_.sharded) groups = subscribers_for(patterns, true);
  if (groups.empty()) {
    done(subscribe_failure(patterns,
                           settings_.sharded ? "sharded pub/sub has no pattern subscriptions"
                           : stopped()       ? "the subscription was stopped"
                                             : "no patterns",
                           true));
    return;
  }
  confirm_all(std::move(groups), true, handler, false, std::move(done));
}

void SubscriptionControl::add_patterns(const std::vector<std::string>& patterns,
                                       PatternMessageHandler handler,
                                       std::function<void(std::exception_ptr)> done) {
  HandlerRef wrapped = spawn_function_handler(core_->system(), std::move(handler));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    owned_pattern_handlers_.push_back(wrapped);
  }
  add_patterns(patterns, wrapped, std::move(done));
}

void SubscriptionControl::confirm_all(std::map<caf::actor, std::vector<std::string>> groups,
                                      bool patterns, const HandlerRef& handler, bool dynamic,
                                      std::function<void(std::exception_ptr)> done) {
  // Done once every subscriber confirmed its channels, or with the first failure.
  struct Countdown {
    std::mutex mutex;
    std::size_t left;
    std::function<void(std::exception_ptr)> done;
  };
  auto countdown = std::make_shared<Countdown>();
  countdown->left = groups.size();
  countdown->done = std::move(done);
  auto finish = [countdown](std::exception_ptr error) {
    std::function<void(std::exception_ptr)> done;
    {
      std::lock_guard<std::mutex> lock(countdown->mutex);
      if (!countdown->done) return;
      if (!error && --countdown->left > 0) return;
      done.swap(countdown->done);
    }
    done(error);
  };
  const auto limit = wait_limit_;
  for (auto& [subscriber, group] : groups) {
    core_->run_task([subscriber = subscriber, group = group, handler, dynamic, patterns, limit,
                     finish](caf::io::broker* self) {
      auto confirmed = [finish](caf::ok_atom) { finish(nullptr); };
      auto failed = [self, group, patterns, finish](caf::error& error) {
        finish(subscribe_failure(group, describe_failure(self->system(), error), patterns));
      };
      if (patterns)
        self->request(subscriber, limit, psubscribe_atom::value, group, handler)
            .then(confirmed, failed);
      else
        self->request(subscriber, limit, subscribe_atom::value, group, handler, dynamic)
            .then(confirmed, failed);
    });
  }
}

void SubscriptionControl::add(const std::vector<std::string>& channels, MessageHandler handler,
                              bool dynamic, std::function<void(std::exception_ptr)> done) {
  const CallerThreadScope caller_thread;
  HandlerRef wrapped = spawn_function_handler(core_->system(), std::move(handler));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    owned_handlers_.emplace_back(wrapped, std::set<std::string>(channels.begin(), channels.end()));
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
      caf::anon_send_exit(it->first.actor, caf::exit_reason::user_shutdown);
      it = owned_handlers_.erase(it);
    }
  }
  auto groups = subscribers_for(channels, false);
  if (groups.empty()) {
    done(false);
    return;
  }
  struct Tally {
    std::mutex mutex;
    std::size_t left;
    bool any = false;
    std::function<void(bool)> done;
  };
  auto tally = std::make_shared<Tally>();
  tally->left = groups.size();
  tally->done = std::move(done);
  auto finish = [tally](bool removed) {
    std::function<void(bool)> done;
    bool any;
    {
      std::lock_guard<std::mutex> lock(tally->mutex);
      tally->any = tally->any || removed;
      if (--tally->left > 0) return;
      done.swap(tally->done);
      any = tally->any;
    }
    done(any);
  };
  const auto limit = wait_limit_;
  for (auto& [subscriber, group] : groups) {
    core_->run_task([subscriber = subscriber, group = group, limit, finish](caf::io::broker* self) {
      self->request(subscriber, limit, unsubscribe_atom::value, group, caf::actor())
          .then([finish](bool removed) { finish(removed); }, [finish](caf::error&) { finish(false); });
    });
  }
}

void SubscriptionControl::statistics(std::function<void(SubscriptionStatistics)> done) {
  auto subscribers = all_subscribers();
  if (subscribers.empty()) {
    done(SubscriptionStatistics{});
    return;
  }
  // One subscriber (the usual case) answers as it is; several are summed up.
  struct Sum {
    std::mutex mutex;
    std::size_t left;
    SubscriptionStatistics total;
    std::function<void(SubscriptionStatistics)> done;
  };
  auto sum = std::make_shared<Sum>();
  sum->left = subscribers.size();
  sum->total.connected = true;
  sum->done = std::move(done);
  auto finish = [sum](SubscriptionStatistics part) {
    std::function<void(SubscriptionStatistics)> done;
    {
      std::lock_guard<std::mutex> lock(sum->mutex);
      auto& total = sum->total;
      if (!part.server.empty() && total.server.find(part.server) == std::string::npos)
        total.server += (total.server.empty() ? "" : ",") + part.server;
      total.connected = total.connected && part.connected;
      total.reconnects += part.reconnects;
      total.messages += part.messages;
      total.dropped += part.dropped;
      total.expired_channels += part.expired_channels;
      total.handler_backlog += part.handler_backlog;
      total.channels.insert(total.channels.end(), part.channels.begin(), part.channels.end());
      if (--sum->left > 0) return;
      done.swap(sum->done);
    }
    done(std::move(sum->total));
  };
  const auto limit = wait_limit_;
  for (auto& subscriber : subscribers) {
    core_->run_task([subscriber, limit, finish](caf::io::broker* self) {
      self->request(subscriber, limit, stats_atom::value)
          .then([finish](SubscriptionStatistics& answer) { finish(std::move(answer)); },
                [finish](caf::error&) {
                  SubscriptionStatistics unknown;
                  unknown.connected = false;
                  finish(std::move(unknown));
                });
    });
  }
}

void SubscriptionControl::add_and_wait(const std::vector<std::string>& channels,
                                       MessageHandler handler, bool dynamic) {
  future_of_confirmation([&](auto done) { add(channels, std::move(handler), dynamic, done); }).get();
}

void SubscriptionControl::add_and_wait(const std::vector<std::string>& channels,
                                       const caf::actor& handler, bool dynamic) {
  future_of_confirmation([&](auto done) { add(channels, handler, dynamic, done); }).get();
}

void SubscriptionControl::add_patterns_and_wait(const std::vector<std::string>& patterns,
                                                PatternMessageHandler handler) {
  future_of_confirmation([&](auto done) { add_patterns(patterns, std::move(handler), done); }).get();
}

void SubscriptionControl::add_patterns_and_wait(const std::vector<std::string>& patterns,
                                                const caf::actor& handler) {
  future_of_confirmation([&](auto done) { add_patterns(patterns, handler, done); }).get();
}

bool SubscriptionControl::remove_and_wait(const std::vector<std::string>& channels) {
  return future_of<bool>([&](auto done) { remove(channels, done); }).get();
}

SubscriptionStatistics SubscriptionControl::statistics_and_wait() {
  refuse_inside_callback("Subscription::statistics");
  return future_of<SubscriptionStatistics>([&](auto done) { statistics(done); }).get();
}

void SubscriptionControl::stop() noexcept {
  std::map<std::int32_t, caf::actor> subscribers;
  std::vector<std::pair<HandlerRef, std::set<std::string>>> handlers;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopped_ = true;
    subscribers.swap(subscribers_);
    handlers.swap(owned_handlers_);
    for (auto& handler : owned_pattern_handlers_) handlers.emplace_back(std::move(handler), std::set<std::string>{});
    owned_pattern_handlers_.clear();
  }
  // Each subscriber unsubscribes everything and ends on Redis' confirmation (or after
  // subscriber_stop_timeout): once stop() returns, a PUBLISH counts no receiver on them.
  std::vector<std::shared_ptr<StopSignal>> signals;
  for (auto& entry : subscribers) {
    signals.push_back(std::make_shared<StopSignal>());
    caf::anon_send(entry.second, shutdown_atom::value, std::make_shared<StopTicket>(signals.back()));
  }
  for (auto& handler : handlers) {
    // After stop() no function handler runs: one in progress is waited for (a handler stuck
    // longer than this is left to finish on its own thread, and said so).
    if (handler.first.gate && !handler.first.gate->close(std::chrono::seconds(5)))
      RTK_LOG_WARN("a message handler still runs 5 s after its subscription was stopped");
    caf::anon_send_exit(handler.first.actor, caf::exit_reason::user_shutdown);
  }
  // The subscriber's own deadline is settings_.stop_timeout; this one also covers a busy mailbox.
  const auto limit = settings_.stop_timeout + wait_limit_;
  for (auto& signal : signals)
    if (!signal->wait_for(limit))
      RTK_LOG_WARN("a subscriber did not end within " << limit.count()
                                                      << " ms of its subscription's stop()");
}

bool SubscriptionControl::active() const noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  return !stopped_;
}

bool SubscriptionControl::stopped() const noexcept { return !active(); }

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

std::shared_ptr<SubscriptionControl> new_subscription_control(const std::shared_ptr<ToolkitCore>& core,
                                                              PubSubKind kind) {
  SubscriberSettings settings;
  settings.connection = connection_settings(core->config(), core->tls_context());
  apply_limits(settings.connection, core->options());
  settings.retry_delay = core->options().subscriber_retry_delay;
  settings.expire_after = core->options().subscription_expire_minutes;
  settings.check_interval = core->options().subscription_check_interval;
  settings.mailbox_limit = core->options().subscriber_mailbox_limit;
  settings.stop_timeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(core->options().subscriber_stop_timeout);
  settings.sharded = kind == PubSubKind::sharded;
  settings.totals = core->pubsub_totals();
  // A cluster's or a Sentinel-managed master's subscribers ask the router where to connect.
  if (core->config().cluster_mode || core->config().sentinel_mode()) settings.locator = core->router();
  const auto wait_limit = core->config().connection_timeout + core->config().socket_timeout;
  auto control = std::make_shared<SubscriptionControl>(core, std::move(settings), wait_limit);
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
