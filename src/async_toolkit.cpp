#include "redis_toolkit/async_toolkit.hpp"

#include "async_core.hpp"
#include "completion_future.hpp"

namespace redis_toolkit {

using detail::as_future;
using detail::submit;
using detail::ToolkitCore;

AsyncRedisToolkit::AsyncRedisToolkit(RedisConnectionConfig config, RedisOptions options)
    : core_(std::make_shared<detail::AsyncCore>(nullptr, std::move(config), std::move(options))) {}

AsyncRedisToolkit::AsyncRedisToolkit(caf::actor_system& system, RedisConnectionConfig config,
                                     RedisOptions options)
    : core_(std::make_shared<detail::AsyncCore>(&system, std::move(config), std::move(options))) {}

AsyncRedisToolkit::~AsyncRedisToolkit() {
  cleanup();
  // As RedisToolkit's: a call still made on it while the process exits meets a closed core.
  if (detail::process_exiting()) detail::keep_until_exit(core_);
}
AsyncRedisToolkit::AsyncRedisToolkit(AsyncRedisToolkit&&) noexcept = default;
AsyncRedisToolkit& AsyncRedisToolkit::operator=(AsyncRedisToolkit&& other) noexcept {
  if (this != &other) {
    cleanup();
    core_ = std::move(other.core_);
  }
  return *this;
}

#define RTK_ASYNC_FUTURE(Type, call) as_future<Type>([&](Callback<Type> done) { call; })

void AsyncRedisToolkit::setter(std::string_view key, const Value& value, Callback<void> done) {
  auto& core = *core_->core;
  submit<void>(core, "setter", [&] { return detail::plan_setter(core.context(), key, value); },
               std::move(done));
}
std::future<void> AsyncRedisToolkit::setter(std::string_view key, const Value& value) {
  return RTK_ASYNC_FUTURE(void, setter(key, value, std::move(done)));
}

void AsyncRedisToolkit::setter_with_ttl(std::string_view key, const Value& value,
                                        std::int64_t seconds, Callback<void> done) {
  auto& core = *core_->core;
  submit<void>(core, "setter_with_ttl",
               [&] { return detail::plan_setter_with_ttl(core.context(), key, value, seconds); },
               std::move(done));
}
std::future<void> AsyncRedisToolkit::setter_with_ttl(std::string_view key, const Value& value,
                                                     std::int64_t seconds) {
  return RTK_ASYNC_FUTURE(void, setter_with_ttl(key, value, seconds, std::move(done)));
}

void AsyncRedisToolkit::setter_durable(std::string_view key, const Value& value, int replicas,
                                       std::chrono::milliseconds timeout,
                                       Callback<std::int64_t> done) {
  auto& core = *core_->core;
  submit<std::int64_t>(
      core, "setter_durable",
      [&] { return detail::plan_setter_durable(core.context(), key, value, replicas, timeout); },
      std::move(done));
}
std::future<std::int64_t> AsyncRedisToolkit::setter_durable(std::string_view key,
                                                            const Value& value, int replicas,
                                                            std::chrono::milliseconds timeout) {
  return RTK_ASYNC_FUTURE(std::int64_t,
                          setter_durable(key, value, replicas, timeout, std::move(done)));
}

void AsyncRedisToolkit::getter(std::string_view key, Callback<std::optional<Value>> done) {
  auto& core = *core_->core;
  submit<std::optional<Value>>(core, "getter",
                               [&] { return detail::plan_getter(core.context(), key); },
                               std::move(done));
}
std::future<std::optional<Value>> AsyncRedisToolkit::getter(std::string_view key) {
  return RTK_ASYNC_FUTURE(std::optional<Value>, getter(key, std::move(done)));
}

void AsyncRedisToolkit::deleter(std::string_view key, Callback<bool> done) {
  auto& core = *core_->core;
  submit<bool>(core, "deleter", [&] { return detail::plan_deleter(core.context(), key); },
               std::move(done));
}
std::future<bool> AsyncRedisToolkit::deleter(std::string_view key) {
  return RTK_ASYNC_FUTURE(bool, deleter(key, std::move(done)));
}

void AsyncRedisToolkit::get_ttl(std::string_view key, Callback<std::int64_t> done) {
  auto& core = *core_->core;
  submit<std::int64_t>(core, "get_ttl", [&] { return detail::plan_get_ttl(core.context(), key); },
                       std::move(done));
}
std::future<std::int64_t> AsyncRedisToolkit::get_ttl(std::string_view key) {
  return RTK_ASYNC_FUTURE(std::int64_t, get_ttl(key, std::move(done)));
}

void AsyncRedisToolkit::batch_set(const KeyValues& entries, Callback<void> done) {
  auto& core = *core_->core;
  submit<void>(core, "batch_set",
               [&] { return detail::plan_batch_set_operation(core.context(), entries); },
               std::move(done));
}
std::future<void> AsyncRedisToolkit::batch_set(const KeyValues& entries) {
  return RTK_ASYNC_FUTURE(void, batch_set(entries, std::move(done)));
}

void AsyncRedisToolkit::batch_get(const std::vector<std::string>& keys,
                                  Callback<BatchGetResult> done) {
  auto& core = *core_->core;
  submit<BatchGetResult>(core, "batch_get",
                         [&] { return detail::plan_batch_get(core.context(), keys); },
                         std::move(done));
}
std::future<BatchGetResult> AsyncRedisToolkit::batch_get(const std::vector<std::string>& keys) {
  return RTK_ASYNC_FUTURE(BatchGetResult, batch_get(keys, std::move(done)));
}

void AsyncRedisToolkit::batch_delete(const std::vector<std::string>& keys,
                                     Callback<std::int64_t> done) {
  auto& core = *core_->core;
  submit<std::int64_t>(core, "batch_delete",
                       [&] { return detail::plan_batch_delete(core.context(), keys); },
                       std::move(done));
}
std::future<std::int64_t> AsyncRedisToolkit::batch_delete(const std::vector<std::string>& keys) {
  return RTK_ASYNC_FUTURE(std::int64_t, batch_delete(keys, std::move(done)));
}

void AsyncRedisToolkit::set_raw(std::string_view key, std::string bytes, Callback<void> done) {
  auto& core = *core_->core;
  submit<void>(core, "set", [&] { return detail::plan_set_raw(core.context(), key, std::move(bytes)); },
               std::move(done));
}
std::future<void> AsyncRedisToolkit::set_raw(std::string_view key, std::string bytes) {
  return RTK_ASYNC_FUTURE(void, set_raw(key, std::move(bytes), std::move(done)));
}

void AsyncRedisToolkit::get_raw(std::string_view key, Callback<std::optional<std::string>> done) {
  auto& core = *core_->core;
  submit<std::optional<std::string>>(core, "get",
                                     [&] { return detail::plan_get_raw(core.context(), key); },
                                     std::move(done));
}
std::future<std::optional<std::string>> AsyncRedisToolkit::get_raw(std::string_view key) {
  return RTK_ASYNC_FUTURE(std::optional<std::string>, get_raw(key, std::move(done)));
}

void AsyncRedisToolkit::publisher(std::string_view channel, const Value& value,
                                  Callback<std::int64_t> done, PubSubKind kind) {
  auto& core = *core_->core;
  submit<std::int64_t>(core, "publisher",
                       [&] { return detail::plan_publisher(core.context(), channel, value, kind); },
                       std::move(done));
}
std::future<std::int64_t> AsyncRedisToolkit::publisher(std::string_view channel, const Value& value,
                                                       PubSubKind kind) {
  return RTK_ASYNC_FUTURE(std::int64_t, publisher(channel, value, std::move(done), kind));
}

void AsyncRedisToolkit::health_check(Callback<bool> done) {
  auto& core = *core_->core;
  // health_check never fails: any error is a "false".
  submit<bool>(core, "health_check", [&] { return detail::plan_health_check(core.context()); },
               [done = std::move(done)](Result<bool> result) {
                 done(Result<bool>::success(result.ok() && result.value()));
               });
}
std::future<bool> AsyncRedisToolkit::health_check() {
  return RTK_ASYNC_FUTURE(bool, health_check(std::move(done)));
}

#undef RTK_ASYNC_FUTURE

namespace {

template <typename Handler>
std::future<Subscription> start_subscription(const std::shared_ptr<ToolkitCore>& core,
                                             std::vector<std::string> channels, Handler handler,
                                             PubSubKind kind) {
  auto control = detail::new_subscription_control(core, kind);
  auto promise = std::make_shared<std::promise<Subscription>>();
  auto future = promise->get_future();
  control->add(channels, std::move(handler), false, [control, promise](std::exception_ptr error) {
    if (error) {
      control->stop();
      promise->set_exception(error);
    } else {
      promise->set_value(Subscription(control));
    }
  });
  return future;
}

} // namespace

std::future<Subscription> AsyncRedisToolkit::subscribe(std::vector<std::string> channels,
                                                       MessageHandler handler, PubSubKind kind) {
  return start_subscription(core_->core, std::move(channels), std::move(handler), kind);
}

std::future<Subscription> AsyncRedisToolkit::subscribe(std::vector<std::string> channels,
                                                       const caf::actor& handler,
                                                       PubSubKind kind) {
  return start_subscription(core_->core, std::move(channels), handler, kind);
}

std::future<void> AsyncRedisToolkit::subscribe_dynamic(const std::string& channel,
                                                       MessageHandler handler) {
  return detail::future_of_confirmation(
      [&](auto done) { core_->dynamic->subscribe(channel, std::move(handler), std::move(done)); });
}

using detail::future_of;

std::future<bool> AsyncRedisToolkit::unsubscribe_dynamic(const std::string& channel) {
  return future_of<bool>([&](auto done) { core_->dynamic->unsubscribe(channel, std::move(done)); });
}

std::future<bool> AsyncRedisToolkit::resubscribe_channel(const std::string& channel) {
  return future_of<bool>([&](auto done) { core_->dynamic->resubscribe(channel, std::move(done)); });
}

std::future<SubscriptionStatistics> AsyncRedisToolkit::subscription_stats() {
  return future_of<SubscriptionStatistics>(
      [&](auto done) { core_->dynamic->statistics(std::move(done)); });
}

void AsyncRedisToolkit::cleanup() noexcept {
  if (core_) core_->close();
}

const RedisOptions& AsyncRedisToolkit::options() const { return core_->core->options(); }
caf::actor_system& AsyncRedisToolkit::system() const { return core_->core->system(); }
const RedisConnectionConfig& AsyncRedisToolkit::config() const { return core_->core->config(); }
caf::actor AsyncRedisToolkit::router() const { return core_->core->router(); }
ToolkitActor AsyncRedisToolkit::actor() const { return core_->actor(); }

} // namespace redis_toolkit
