#include "redis_toolkit/async_toolkit.hpp"

#include "async_core.hpp"
#include "script_eval.hpp"
#include "completion_future.hpp"
#include "watched_transaction.hpp"

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
               [&] { return detail::plan_batch_set(core.context(), entries); },
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

void AsyncRedisToolkit::command(CommandArguments arguments, Callback<Reply> done) {
  detail::submit_with_table<Reply>(
      core_->core, "command",
      [arguments = std::move(arguments)](const detail::OperationContext& context,
                                         const detail::CommandTable& table) {
        return detail::plan_command(context, table, arguments);
      },
      std::move(done));
}
std::future<Reply> AsyncRedisToolkit::command(CommandArguments arguments) {
  return RTK_ASYNC_FUTURE(Reply, command(std::move(arguments), std::move(done)));
}

void AsyncRedisToolkit::command_on_nodes(CommandArguments arguments, CommandNodes nodes,
                                         Callback<std::vector<NodeReply>> done) {
  detail::submit_with_table<std::vector<NodeReply>>(
      core_->core, "command_on_nodes",
      [arguments = std::move(arguments), nodes](const detail::OperationContext& context,
                                                const detail::CommandTable& table) {
        return detail::plan_command_on_nodes(context, table, arguments, nodes);
      },
      std::move(done));
}
std::future<std::vector<NodeReply>> AsyncRedisToolkit::command_on_nodes(CommandArguments arguments,
                                                                        CommandNodes nodes) {
  return RTK_ASYNC_FUTURE(std::vector<NodeReply>,
                          command_on_nodes(std::move(arguments), nodes, std::move(done)));
}

AsyncPipeline AsyncRedisToolkit::pipeline() { return AsyncPipeline(core_); }

AsyncPipeline& AsyncPipeline::add(CommandArguments arguments) {
  commands_.push_back(std::move(arguments));
  return *this;
}

void AsyncPipeline::execute(Callback<std::vector<Reply>> done) {
  detail::submit_with_table<std::vector<Reply>>(
      core_->core, "pipeline",
      [commands = commands_](const detail::OperationContext& context,
                             const detail::CommandTable& table) {
        return detail::plan_pipeline(context, table, commands);
      },
      std::move(done));
}
std::future<std::vector<Reply>> AsyncPipeline::execute() {
  return RTK_ASYNC_FUTURE(std::vector<Reply>, execute(std::move(done)));
}

void AsyncRedisToolkit::transaction(std::vector<CommandArguments> commands,
                                    std::vector<std::string> watch_keys,
                                    Callback<std::optional<std::vector<Reply>>> done) {
  detail::submit_with_table<std::optional<std::vector<Reply>>>(
      core_->core, "transaction",
      [commands = std::move(commands), watch_keys = std::move(watch_keys)](
          const detail::OperationContext& context, const detail::CommandTable& table) {
        return detail::plan_transaction(context, table, commands, watch_keys);
      },
      std::move(done));
}
std::future<std::optional<std::vector<Reply>>> AsyncRedisToolkit::transaction(
    std::vector<CommandArguments> commands, std::vector<std::string> watch_keys) {
  return RTK_ASYNC_FUTURE(std::optional<std::vector<Reply>>,
                          transaction(std::move(commands), std::move(watch_keys), std::move(done)));
}

void AsyncRedisToolkit::transaction(std::vector<std::string> watch_keys,
                                    std::vector<CommandArguments> reads, TransactionBuilder build,
                                    int max_attempts,
                                    Callback<std::optional<std::vector<Reply>>> done) {
  detail::run_watched_transaction(core_->core, std::move(watch_keys), std::move(reads),
                                  std::move(build), max_attempts, std::move(done));
}
std::future<std::optional<std::vector<Reply>>> AsyncRedisToolkit::transaction(
    std::vector<std::string> watch_keys, std::vector<CommandArguments> reads,
    TransactionBuilder build, int max_attempts) {
  return RTK_ASYNC_FUTURE(std::optional<std::vector<Reply>>,
                          transaction(std::move(watch_keys), std::move(reads), std::move(build),
                                      max_attempts, std::move(done)));
}

void AsyncRedisToolkit::eval(const Script& script, std::vector<std::string> keys,
                             std::vector<std::string> arguments, Callback<Reply> done) {
  detail::run_script(core_->core, script, std::move(keys), std::move(arguments), std::move(done));
}
std::future<Reply> AsyncRedisToolkit::eval(const Script& script, std::vector<std::string> keys,
                                           std::vector<std::string> arguments) {
  return RTK_ASYNC_FUTURE(Reply, eval(script, std::move(keys), std::move(arguments),
                                      std::move(done)));
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

/// A new subscription, ready once `start(control, done)` reports Redis's confirmation (stopped
/// again on a failure).
template <typename Start>
std::future<Subscription> start_subscription(const std::shared_ptr<ToolkitCore>& core,
                                             PubSubKind kind, Start start) {
  auto control = detail::new_subscription_control(core, kind);
  auto promise = std::make_shared<std::promise<Subscription>>();
  auto future = promise->get_future();
  start(*control, [control, promise](std::exception_ptr error) {
    if (error) {
      control->stop();
      promise->set_exception(error);
    } else {
      promise->set_value(Subscription(control));
    }
  });
  return future;
}

template <typename Handler>
std::future<Subscription> start_subscription(const std::shared_ptr<ToolkitCore>& core,
                                             std::vector<std::string> channels, Handler handler,
                                             PubSubKind kind) {
  return start_subscription(core, kind, [&](detail::SubscriptionControl& control, auto done) {
    control.add(channels, std::move(handler), false, std::move(done));
  });
}

template <typename Handler>
std::future<Subscription> start_pattern_subscription(const std::shared_ptr<ToolkitCore>& core,
                                                     std::vector<std::string> patterns,
                                                     Handler handler) {
  return start_subscription(core, PubSubKind::classic,
                            [&](detail::SubscriptionControl& control, auto done) {
                              control.add_patterns(patterns, std::move(handler), std::move(done));
                            });
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

std::future<Subscription> AsyncRedisToolkit::psubscribe(std::vector<std::string> patterns,
                                                        PatternMessageHandler handler) {
  return start_pattern_subscription(core_->core, std::move(patterns), std::move(handler));
}

std::future<Subscription> AsyncRedisToolkit::psubscribe(std::vector<std::string> patterns,
                                                        const caf::actor& handler) {
  return start_pattern_subscription(core_->core, std::move(patterns), handler);
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

ToolkitMetrics AsyncRedisToolkit::metrics() { return core_->core->metrics(); }

void AsyncRedisToolkit::cleanup() noexcept {
  if (core_) core_->close();
}

const RedisOptions& AsyncRedisToolkit::options() const { return core_->core->options(); }
caf::actor_system& AsyncRedisToolkit::system() const { return core_->core->system(); }
const RedisConnectionConfig& AsyncRedisToolkit::config() const { return core_->core->config(); }
caf::actor AsyncRedisToolkit::router() const { return core_->core->router(); }
ToolkitActor AsyncRedisToolkit::actor() const { return core_->actor(); }

} // namespace redis_toolkit
