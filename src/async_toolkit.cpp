#include "redis_toolkit/async_toolkit.hpp"

#include "completion_actor.hpp"
#include "completion_future.hpp"
#include "subscription_control.hpp"
#include "toolkit_actor.hpp"
#include "toolkit_core.hpp"

#include <caf/all.hpp>

#include <mutex>

namespace redis_toolkit {
namespace detail {

/// The async toolkit's state: the shared core and the dynamic subscriptions.
class AsyncCore {
public:
  AsyncCore(caf::actor_system* system, RedisConnectionConfig config, RedisOptions options)
      : core(std::make_shared<ToolkitCore>(system, std::move(config), std::move(options))),
        dynamic(std::make_shared<DynamicSubscriptions>(core)) {}

  std::shared_ptr<ToolkitCore> core;
  std::shared_ptr<DynamicSubscriptions> dynamic;

  ToolkitActor actor() {
    std::lock_guard<std::mutex> lock(actor_mutex);
    if (!toolkit_actor && !core->closed())
      toolkit_actor = spawn_toolkit_actor(core->system(), core->router(), core->options(),
                                          core->server());
    return toolkit_actor;
  }

  void close() noexcept {
    dynamic->stop();
    core->close();
    std::lock_guard<std::mutex> lock(actor_mutex);
    if (toolkit_actor) caf::anon_send_exit(toolkit_actor, caf::exit_reason::user_shutdown);
    toolkit_actor = ToolkitActor();
  }

private:
  std::mutex actor_mutex;
  ToolkitActor toolkit_actor;
};

} // namespace detail

namespace {

using detail::PendingCall;
using detail::PlannedOperation;
using detail::ToolkitCore;

/// Decodes the replies into the operation's Result, then hands it to the user's callback exactly
/// once; a callback that throws is PendingCall's to log.
template <typename T>
Result<T> decode_result(const std::function<T(std::vector<Reply>&)>& decode,
                        std::vector<Reply>* replies, std::exception_ptr error) {
  if (error) return Result<T>::failure(std::move(error));
  try {
    if constexpr (std::is_void_v<T>) {
      decode(*replies);
      return Result<void>::success();
    } else {
      return Result<T>::success(decode(*replies));
    }
  } catch (...) {
    return Result<T>::failure(std::current_exception());
  }
}

template <typename T>
PendingCall::Finish finisher(std::function<T(std::vector<Reply>&)> decode, Callback<T> done) {
  return [decode = std::move(decode), done = std::move(done)](std::vector<Reply>* replies,
                                                              std::exception_ptr error) {
    done(decode_result<T>(decode, replies, std::move(error)));
  };
}

/// Plans on the caller's thread (a refusal completes the call with its error, nothing is sent),
/// then sends the commands from a completion actor, which also runs the decoder and the callback.
template <typename T, typename Plan>
void submit(ToolkitCore& core, const char* name, Plan plan, Callback<T> done) {
  std::optional<PlannedOperation<T>> planned;
  std::exception_ptr refused;
  try {
    planned.emplace(plan());
  } catch (...) {
    refused = std::current_exception();
  }
  auto decode = planned ? std::move(planned->decode) : std::function<T(std::vector<Reply>&)>();
  auto call = std::make_shared<PendingCall>(core.server(), name,
                                            finisher<T>(std::move(decode), std::move(done)));
  caf::actor router = core.router();
  if (refused || !router) {
    core.run_task([call, refused](caf::event_based_actor*) {
      if (refused) call->complete(nullptr, refused);
      else call->fail("the toolkit was cleaned up");
    });
    return;
  }
  const std::int32_t slot =
      planned->request.commands.empty() ? any_slot : planned->request.commands.front().slot;
  core.run_task(detail::router_call(std::move(router), std::move(planned->request), std::move(call)),
                slot);
}

/// The future form of a callback-taking call.
template <typename T, typename Start>
std::future<T> as_future(Start start) {
  auto promise = std::make_shared<std::promise<T>>();
  auto future = promise->get_future();
  start([promise](Result<T> result) {
    if (!result.ok()) return promise->set_exception(result.error());
    if constexpr (std::is_void_v<T>) promise->set_value();
    else promise->set_value(std::move(result).value());
  });
  return future;
}

} // namespace

AsyncRedisToolkit::AsyncRedisToolkit(RedisConnectionConfig config, RedisOptions options)
    : core_(std::make_shared<detail::AsyncCore>(nullptr, std::move(config), std::move(options))) {}

AsyncRedisToolkit::AsyncRedisToolkit(caf::actor_system& system, RedisConnectionConfig config,
                                     RedisOptions options)
    : core_(std::make_shared<detail::AsyncCore>(&system, std::move(config), std::move(options))) {}

AsyncRedisToolkit::~AsyncRedisToolkit() { cleanup(); }
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
                                  Callback<std::int64_t> done) {
  auto& core = *core_->core;
  submit<std::int64_t>(core, "publisher",
                       [&] { return detail::plan_publisher(core.context(), channel, value); },
                       std::move(done));
}
std::future<std::int64_t> AsyncRedisToolkit::publisher(std::string_view channel, const Value& value) {
  return RTK_ASYNC_FUTURE(std::int64_t, publisher(channel, value, std::move(done)));
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
                                             std::vector<std::string> channels, Handler handler) {
  auto control = detail::new_subscription_control(core);
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
                                                       MessageHandler handler) {
  return start_subscription(core_->core, std::move(channels), std::move(handler));
}

std::future<Subscription> AsyncRedisToolkit::subscribe(std::vector<std::string> channels,
                                                       const caf::actor& handler) {
  return start_subscription(core_->core, std::move(channels), handler);
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
