#pragma once
// AsyncRedisToolkit: every operation of RedisToolkit without blocking the caller, as a future or
// with a completion callback. Same values, bytes, validation and errors; the same core below.
//
//   redis_toolkit::AsyncRedisToolkit toolkit(config);
//   std::future<void> stored = toolkit.setter("user:1", Value::dict({{"name", "Ada"}}));
//   toolkit.getter("user:1", [](redis_toolkit::Result<std::optional<Value>> result) {
//     if (result.ok() && result.value()) std::cout << *result.value() << "\n";
//   });
//   stored.get();   // rethrows the typed error, if any
//   std::future<Reply> visits = toolkit.command({"INCR", "visits"});   // any Redis command
//
// Callbacks run on the toolkit's completion actor, on CAF's I/O thread beside the connections
// (as hiredis, Boost.Redis and redis-plus-plus run theirs on their event loop): never on the
// caller's thread, never while a lock of the toolkit is held. So keep them short, hand long work
// to an actor or a thread of yours, and never block in one: a blocking toolkit call there throws
// ValidationError. A callback may start further calls. A callback that throws is logged; the
// toolkit carries on. A request refused before sending (ValidationError,
// SerializationError) completes the same way, with that error. cleanup() (or the destructor)
// completes every call still pending with a ConnectionError.

#include "redis_toolkit/batch.hpp"
#include "redis_toolkit/command.hpp"
#include "redis_toolkit/config.hpp"
#include "redis_toolkit/errors.hpp"
#include "redis_toolkit/metrics.hpp"
#include "redis_toolkit/pubsub.hpp"
#include "redis_toolkit/statistics.hpp"
#include "redis_toolkit/toolkit_actor.hpp"
#include "redis_toolkit/typed_codec.hpp"
#include "redis_toolkit/value.hpp"

#include <cstdint>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace caf {
class actor;
class actor_system;
} // namespace caf

namespace redis_toolkit {

namespace detail {
class AsyncCore;
}

/// The outcome of an async operation: a value, or the typed error it failed with.
template <typename T>
class Result {
public:
  static Result success(T value) { return Result(std::move(value), nullptr); }
  static Result failure(std::exception_ptr error) { return Result(std::nullopt, std::move(error)); }

  bool ok() const noexcept { return !error_; }
  /// The value; rethrows the error when the operation failed.
  const T& value() const& {
    if (error_) std::rethrow_exception(error_);
    return *value_;
  }
  T&& value() && {
    if (error_) std::rethrow_exception(error_);
    return std::move(*value_);
  }
  std::exception_ptr error() const noexcept { return error_; }

private:
  Result(std::optional<T> value, std::exception_ptr error)
      : value_(std::move(value)), error_(std::move(error)) {}
  std::optional<T> value_;
  std::exception_ptr error_;
};

template <>
class Result<void> {
public:
  static Result success() { return Result(nullptr); }
  static Result failure(std::exception_ptr error) { return Result(std::move(error)); }
  bool ok() const noexcept { return !error_; }
  /// Rethrows the error when the operation failed.
  void value() const {
    if (error_) std::rethrow_exception(error_);
  }
  std::exception_ptr error() const noexcept { return error_; }

private:
  explicit Result(std::exception_ptr error) : error_(std::move(error)) {}
  std::exception_ptr error_;
};

template <typename T>
using Callback = std::function<void(Result<T>)>;

/// Commands gathered to be sent together, without blocking: see Pipeline (toolkit.hpp). Made by
/// AsyncRedisToolkit::pipeline(); not thread-safe.
class AsyncPipeline {
public:
  AsyncPipeline& add(CommandArguments arguments);
  std::size_t size() const noexcept { return commands_.size(); }
  std::future<std::vector<Reply>> execute();
  void execute(Callback<std::vector<Reply>> done);

private:
  friend class AsyncRedisToolkit;
  explicit AsyncPipeline(std::shared_ptr<detail::AsyncCore> core) : core_(std::move(core)) {}
  std::shared_ptr<detail::AsyncCore> core_;
  std::vector<CommandArguments> commands_;
};

class AsyncRedisToolkit {
public:
  explicit AsyncRedisToolkit(RedisConnectionConfig config = {}, RedisOptions options = {});
  /// On an actor system the caller owns (io middleman loaded; it must outlive the toolkit).
  AsyncRedisToolkit(caf::actor_system& system, RedisConnectionConfig config,
                    RedisOptions options = {});
  ~AsyncRedisToolkit();
  AsyncRedisToolkit(AsyncRedisToolkit&&) noexcept;
  AsyncRedisToolkit& operator=(AsyncRedisToolkit&&) noexcept;
  AsyncRedisToolkit(const AsyncRedisToolkit&) = delete;
  AsyncRedisToolkit& operator=(const AsyncRedisToolkit&) = delete;

  std::future<void> setter(std::string_view key, const Value& value);
  void setter(std::string_view key, const Value& value, Callback<void> done);
  std::future<void> setter_with_ttl(std::string_view key, const Value& value, std::int64_t seconds);
  void setter_with_ttl(std::string_view key, const Value& value, std::int64_t seconds,
                       Callback<void> done);
  /// setter + WAIT on the same connection; see RedisToolkit::setter_durable.
  std::future<std::int64_t> setter_durable(std::string_view key, const Value& value,
                                           int replicas = 1,
                                           std::chrono::milliseconds timeout =
                                               std::chrono::milliseconds(1000));
  void setter_durable(std::string_view key, const Value& value, int replicas,
                      std::chrono::milliseconds timeout, Callback<std::int64_t> done);
  std::future<std::optional<Value>> getter(std::string_view key);
  void getter(std::string_view key, Callback<std::optional<Value>> done);
  std::future<bool> deleter(std::string_view key);
  void deleter(std::string_view key, Callback<bool> done);
  std::future<std::int64_t> get_ttl(std::string_view key);
  void get_ttl(std::string_view key, Callback<std::int64_t> done);

  std::future<void> batch_set(const KeyValues& entries);
  void batch_set(const KeyValues& entries, Callback<void> done);
  std::future<BatchGetResult> batch_get(const std::vector<std::string>& keys);
  void batch_get(const std::vector<std::string>& keys, Callback<BatchGetResult> done);
  std::future<std::int64_t> batch_delete(const std::vector<std::string>& keys);
  void batch_delete(const std::vector<std::string>& keys, Callback<std::int64_t> done);

  std::future<void> set_raw(std::string_view key, std::string bytes);
  void set_raw(std::string_view key, std::string bytes, Callback<void> done);
  std::future<std::optional<std::string>> get_raw(std::string_view key);
  void get_raw(std::string_view key, Callback<std::optional<std::string>> done);

  /// Typed C++ values through cereal (binary, C++ readers only).
  template <typename T>
  std::future<void> set(std::string_view key, const T& value) {
    return set_raw(key, encode_typed(value));
  }
  template <typename T>
  void get(std::string_view key, Callback<std::optional<T>> done) {
    get_raw(key, [done = std::move(done), key = std::string(key)](
                     Result<std::optional<std::string>> stored) {
      std::optional<T> typed;
      try {
        if (stored.value()) typed = decode_typed<T>(*stored.value(), key);
      } catch (...) {
        done(Result<std::optional<T>>::failure(std::current_exception()));
        return;
      }
      done(Result<std::optional<T>>::success(std::move(typed)));
    });
  }
  template <typename T>
  std::future<std::optional<T>> get(std::string_view key) {
    auto promise = std::make_shared<std::promise<std::optional<T>>>();
    auto future = promise->get_future();
    get<T>(key, [promise](Result<std::optional<T>> result) {
      if (result.ok()) promise->set_value(std::move(result).value());
      else promise->set_exception(result.error());
    });
    return future;
  }

  /// `kind` sharded: SPUBLISH (Redis >= 7), see PubSubKind.
  std::future<std::int64_t> publisher(std::string_view channel, const Value& value,
                                      PubSubKind kind = PubSubKind::classic);
  void publisher(std::string_view channel, const Value& value, Callback<std::int64_t> done,
                 PubSubKind kind = PubSubKind::classic);

  /// Any Redis command; see RedisToolkit::command. The first command of a toolkit first learns
  /// the server's COMMAND table (once), without blocking the caller.
  std::future<Reply> command(CommandArguments arguments);
  void command(CommandArguments arguments, Callback<Reply> done);
  /// See RedisToolkit::command_on_nodes.
  std::future<std::vector<NodeReply>> command_on_nodes(CommandArguments arguments,
                                                       CommandNodes nodes = CommandNodes::masters);
  void command_on_nodes(CommandArguments arguments, CommandNodes nodes,
                        Callback<std::vector<NodeReply>> done);
  AsyncPipeline pipeline();
  /// See RedisToolkit::transaction: nullopt when a watched key changed.
  std::future<std::optional<std::vector<Reply>>> transaction(
      std::vector<CommandArguments> commands, std::vector<std::string> watch_keys = {});
  void transaction(std::vector<CommandArguments> commands, std::vector<std::string> watch_keys,
                   Callback<std::optional<std::vector<Reply>>> done);
  /// Read-modify-write with retries; see RedisToolkit::transaction(watch_keys, reads, build).
  std::future<std::optional<std::vector<Reply>>> transaction(std::vector<std::string> watch_keys,
                                                             std::vector<CommandArguments> reads,
                                                             TransactionBuilder build,
                                                             int max_attempts = 5);
  void transaction(std::vector<std::string> watch_keys, std::vector<CommandArguments> reads,
                   TransactionBuilder build, int max_attempts,
                   Callback<std::optional<std::vector<Reply>>> done);
  /// See RedisToolkit::eval.
  std::future<Reply> eval(const Script& script, std::vector<std::string> keys = {},
                          std::vector<std::string> arguments = {});
  void eval(const Script& script, std::vector<std::string> keys,
            std::vector<std::string> arguments, Callback<Reply> done);

  /// True when the server answers PING within the socket timeout; never fails.
  std::future<bool> health_check();
  void health_check(Callback<bool> done);

  /// Starts a subscription; the future is ready once Redis confirmed every channel.
  std::future<Subscription> subscribe(std::vector<std::string> channels, MessageHandler handler,
                                      PubSubKind kind = PubSubKind::classic);
  std::future<Subscription> subscribe(std::vector<std::string> channels, const caf::actor& handler,
                                      PubSubKind kind = PubSubKind::classic);
  /// Pattern subscriptions, see RedisToolkit::psubscribe; ready once Redis confirmed every pattern.
  std::future<Subscription> psubscribe(std::vector<std::string> patterns,
                                       PatternMessageHandler handler);
  /// Delivers (pmessage_atom, pattern, channel, Value) to `handler`.
  std::future<Subscription> psubscribe(std::vector<std::string> patterns, const caf::actor& handler);
  std::future<void> subscribe_dynamic(const std::string& channel, MessageHandler handler);
  std::future<bool> unsubscribe_dynamic(const std::string& channel);
  std::future<bool> resubscribe_channel(const std::string& channel);
  std::future<SubscriptionStatistics> subscription_stats();
  /// See RedisToolkit::metrics. Waits for the actors' counts (a few messages, no Redis call):
  /// call it from a plain thread (a scrape, a report), not from inside an actor's handler.
  ToolkitMetrics metrics();

  /// Completes every pending call with a ConnectionError, stops subscribers, releases the
  /// connections; later calls complete with ConnectionError. Idempotent; the destructor calls it.
  void cleanup() noexcept;

  const RedisOptions& options() const;
  /// The actor system the toolkit runs on (the shared one, or the caller's): for spawning handler
  /// actors and workers next to it.
  caf::actor_system& system() const;
  const RedisConnectionConfig& config() const;
  /// The typed toolkit actor (toolkit_actor.hpp): the same operations as messages, for callers
  /// that are actors. Made on first use; ended by cleanup().
  ToolkitActor actor() const;
  /// The router actor (actor_protocol.hpp): raw commands, for callers that are actors.
  caf::actor router() const;

private:
  friend class AsyncClusterOperations;
  std::shared_ptr<detail::AsyncCore> core_;
};

} // namespace redis_toolkit
