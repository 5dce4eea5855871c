#include "redis_toolkit/toolkit.hpp"

#include "completion_future.hpp"
#include "subscriber.hpp"
#include "subscription_control.hpp"
#include "cluster_scan.hpp"
#include "toolkit_core.hpp"
#include "script_eval.hpp"
#include "transaction_attempts.hpp"
#include "async_core.hpp"

#include <caf/actor.hpp>

#include <set>

namespace redis_toolkit {

using detail::ToolkitCore;

using detail::future_of;
using detail::future_of_confirmation;

RedisToolkit::RedisToolkit(RedisConnectionConfig config, RedisOptions options)
    : core_(std::make_shared<ToolkitCore>(nullptr, std::move(config), std::move(options))),
      dynamic_(std::make_shared<detail::DynamicSubscriptions>(core_)) {}

RedisToolkit::RedisToolkit(caf::actor_system& system, RedisConnectionConfig config,
                           RedisOptions options)
    : core_(std::make_shared<ToolkitCore>(&system, std::move(config), std::move(options))),
      dynamic_(std::make_shared<detail::DynamicSubscriptions>(core_)) {}

RedisToolkit::~RedisToolkit() {
  cleanup();
  // While the process exits another thread may still be inside a call on this toolkit (exit()
  // stops no thread): the closed core stays until the end, and that call fails cleanly.
  if (detail::process_exiting()) {
    detail::keep_until_exit(core_);
    detail::keep_until_exit(dynamic_);
  }
}
RedisToolkit::RedisToolkit(RedisToolkit&&) noexcept = default;
RedisToolkit& RedisToolkit::operator=(RedisToolkit&& other) noexcept {
  if (this != &other) {
    cleanup();
    core_ = std::move(other.core_);
    dynamic_ = std::move(other.dynamic_);
  }
  return *this;
}

void RedisToolkit::setter(std::string_view key, const Value& value) {
  core_->run(detail::plan_setter(core_->context(), key, value));
}

void RedisToolkit::setter_with_ttl(std::string_view key, const Value& value, std::int64_t seconds) {
  core_->run(detail::plan_setter_with_ttl(core_->context(), key, value, seconds));
}

void RedisToolkit::set_raw(std::string_view key, std::string bytes) {
  core_->run(detail::plan_set_raw(core_->context(), key, std::move(bytes)));
}

std::optional<std::string> RedisToolkit::get_raw(std::string_view key) {
  return core_->run(detail::plan_get_raw(core_->context(), key));
}

std::int64_t RedisToolkit::setter_durable(std::string_view key, const Value& value, int replicas,
                                          std::chrono::milliseconds timeout) {
  return core_->run(detail::plan_setter_durable(core_->context(), key, value, replicas, timeout));
}

std::optional<Value> RedisToolkit::getter(std::string_view key) {
  return core_->run(detail::plan_getter(core_->context(), key));
}

bool RedisToolkit::deleter(std::string_view key) {
  return core_->run(detail::plan_deleter(core_->context(), key));
}

std::int64_t RedisToolkit::get_ttl(std::string_view key) {
  return core_->run(detail::plan_get_ttl(core_->context(), key));
}

void RedisToolkit::batch_set(const KeyValues& entries) {
  core_->run(detail::plan_batch_set(core_->context(), entries));
}

BatchGetResult RedisToolkit::batch_get(const std::vector<std::string>& keys) {
  return core_->run(detail::plan_batch_get(core_->context(), keys));
}

std::int64_t RedisToolkit::batch_delete(const std::vector<std::string>& keys) {
  return core_->run(detail::plan_batch_delete(core_->context(), keys));
}

Reply RedisToolkit::command(CommandArguments arguments) {
  return core_->run(detail::plan_command(core_->context(), core_->command_table_or_load(), arguments));
}

std::vector<NodeReply> RedisToolkit::command_on_nodes(CommandArguments arguments,
                                                      CommandNodes nodes) {
  return core_->run(detail::plan_command_on_nodes(core_->context(), core_->command_table_or_load(),
                                                  arguments, nodes));
}

Pipeline RedisToolkit::pipeline() { return Pipeline(core_); }

Pipeline& Pipeline::add(CommandArguments arguments) {
  commands_.push_back(std::move(arguments));
  return *this;
}

std::vector<Reply> Pipeline::execute() {
  if (commands_.empty()) return {};
  return core_->run(
      detail::plan_pipeline(core_->context(), core_->command_table_or_load(), commands_));
}

std::optional<std::vector<Reply>> RedisToolkit::transaction(
    const std::vector<CommandArguments>& commands, const std::vector<std::string>& watch_keys) {
  return core_->run(detail::plan_transaction(core_->context(), core_->command_table_or_load(),
                                             commands, watch_keys));
}

std::optional<std::vector<Reply>> RedisToolkit::transaction(
    const std::vector<std::string>& watch_keys, const std::vector<CommandArguments>& reads,
    TransactionBuilder build, int max_attempts) {
  // The attempts' steps as blocking calls, so that `build` runs on the caller's thread: it may
  // call this toolkit or another one, which a builder run by the completion actor (on the I/O
  // thread those calls need) could not.
  using Next = detail::TransactionAttempts::Next;
  detail::TransactionAttempts attempts(watch_keys, reads, std::move(build), max_attempts);
  while (attempts.next() != Next::finished) {
    const detail::CommandTable& table = core_->command_table_or_load();
    try {
      switch (attempts.next()) {
        case Next::read:
          attempts.reads_answered(core_->run(attempts.plan_reads(core_->context(), table)));
          break;
        case Next::commit:
          attempts.committed(core_->run(attempts.plan_close(core_->context(), table)));
          break;
        case Next::give_up:
          try {
            core_->run(attempts.plan_close(core_->context(), table));
          } catch (...) {
            // What the caller hears is the transaction's error, whatever UNWATCH answers.
          }
          break;
        case Next::finished:
          break;
      }
    } catch (...) {
      attempts.failed(std::current_exception());
    }
  }
  return attempts.take_result();
}

Reply RedisToolkit::eval(const Script& script, const std::vector<std::string>& keys,
                         const std::vector<std::string>& arguments) {
  return detail::as_future<Reply>([&](Callback<Reply> done) {
           detail::run_script(core_, script, keys, arguments, std::move(done));
         })
      .get();
}

std::vector<std::string> RedisToolkit::scan_keys(std::string_view pattern) {
  // Every master of a cluster, or the one server; each key once.
  detail::ClusterScan scan(core_->context(), std::string(pattern));
  std::vector<std::string> keys;
  while (!scan.done()) {
    auto replies = core_->execute(scan.next_request(), "scan");
    for (auto& key : scan.take(replies)) keys.push_back(std::move(key));
  }
  return keys;
}

std::int64_t RedisToolkit::publisher(std::string_view channel, const Value& value,
                                     PubSubKind kind) {
  return core_->run(detail::plan_publisher(core_->context(), channel, value, kind));
}

Subscription RedisToolkit::subscribe(std::vector<std::string> channels, MessageHandler handler,
                                     PubSubKind kind) {
  auto control = detail::new_subscription_control(core_, kind);
  control->add_and_wait(channels, std::move(handler), false);
  return Subscription(std::move(control));
}

Subscription RedisToolkit::subscribe(std::vector<std::string> channels, const caf::actor& handler,
                                     PubSubKind kind) {
  auto control = detail::new_subscription_control(core_, kind);
  control->add_and_wait(channels, handler, false);
  return Subscription(std::move(control));
}

Subscription RedisToolkit::psubscribe(std::vector<std::string> patterns,
                                      PatternMessageHandler handler) {
  auto control = detail::new_subscription_control(core_);
  control->add_patterns_and_wait(patterns, std::move(handler));
  return Subscription(std::move(control));
}

Subscription RedisToolkit::psubscribe(std::vector<std::string> patterns, const caf::actor& handler) {
  auto control = detail::new_subscription_control(core_);
  control->add_patterns_and_wait(patterns, handler);
  return Subscription(std::move(control));
}

void RedisToolkit::subscribe_dynamic(const std::string& channel, MessageHandler handler) {
  future_of_confirmation([&](auto done) {
    dynamic_->subscribe(channel, std::move(handler), std::move(done));
  }).get();
}

bool RedisToolkit::unsubscribe_dynamic(const std::string& channel) {
  return future_of<bool>([&](auto done) { dynamic_->unsubscribe(channel, std::move(done)); }).get();
}

bool RedisToolkit::resubscribe_channel(const std::string& channel) {
  return future_of<bool>([&](auto done) { dynamic_->resubscribe(channel, std::move(done)); }).get();
}

SubscriptionStatistics RedisToolkit::subscription_stats() {
  return future_of<SubscriptionStatistics>(
             [&](auto done) { dynamic_->statistics(std::move(done)); })
      .get();
}

bool RedisToolkit::health_check() noexcept {
  try {
    return core_->run(detail::plan_health_check(core_->context()));
  } catch (...) {
    return false;
  }
}

PoolStatistics RedisToolkit::pool_stats() { return core_->pool_statistics(); }
ToolkitMetrics RedisToolkit::metrics() { return core_->metrics(); }

void RedisToolkit::cleanup() noexcept {
  if (dynamic_) dynamic_->stop();
  if (core_) core_->close();
}

const RedisOptions& RedisToolkit::options() const { return core_->options(); }
caf::actor_system& RedisToolkit::system() const { return core_->system(); }
const RedisConnectionConfig& RedisToolkit::config() const { return core_->config(); }
caf::actor RedisToolkit::router() const { return core_->router(); }

} // namespace redis_toolkit
