#pragma once
// RedisToolkit: the blocking facade, for synchronous callers. Every call sends a request to the
// toolkit's router actor and waits for its reply; many threads may share one toolkit, and their
// requests share pipelined connections.
//
//   redis_toolkit::RedisConnectionConfig config;
//   config.host = "127.0.0.1";
//   redis_toolkit::RedisToolkit toolkit(config);
//   toolkit.setter("user:1", Value::dict({{"name", "Ada"}, {"age", 36}}));
//   std::optional<Value> user = toolkit.getter("user:1");       // nullopt: no such key
//   toolkit.setter_with_ttl("session:9", "token", std::chrono::minutes(30));
//   auto subscription = toolkit.subscribe({"news"}, [](const std::string& channel, const Value& v) {
//     std::cout << channel << ": " << v << "\n";
//   });
//   toolkit.publisher("news", "hello");
//   std::int64_t visits = toolkit.command({"INCR", "visits"}).as_integer();  // any Redis command

#include "redis_toolkit/batch.hpp"
#include "redis_toolkit/command.hpp"
#include "redis_toolkit/config.hpp"
#include "redis_toolkit/errors.hpp"
#include "redis_toolkit/metrics.hpp"
#include "redis_toolkit/pubsub.hpp"
#include "redis_toolkit/statistics.hpp"
#include "redis_toolkit/typed_codec.hpp"
#include "redis_toolkit/value.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace caf {
class actor;
class actor_system;
} // namespace caf

namespace redis_toolkit {

namespace detail {
class ToolkitCore;
class DynamicSubscriptions;
} // namespace detail

/// Commands gathered to be sent together: one round trip per node (and connection), replies in
/// the order the commands were added. Made by RedisToolkit::pipeline(); not thread-safe.
class Pipeline {
public:
  Pipeline& add(CommandArguments arguments);
  std::size_t size() const noexcept { return commands_.size(); }
  /// Sends every command (each checked first: a bad one sends nothing). One Reply per command;
  /// an error reply stays in its place (is_error()), the others are not affected. Throws the
  /// typed error (ConnectionError, TimeoutError, ClusterError) when a command got no reply at all,
  /// ValidationError / ClusterError (CROSSSLOT within one command) before sending. The commands
  /// stay in the pipeline: execute() again sends them again.
  std::vector<Reply> execute();

private:
  friend class RedisToolkit;
  explicit Pipeline(std::shared_ptr<detail::ToolkitCore> core) : core_(std::move(core)) {}
  std::shared_ptr<detail::ToolkitCore> core_;
  std::vector<CommandArguments> commands_;
};

class RedisToolkit {
public:
  /// Connects lazily: the first command opens the connection. Throws ValidationError for a bad
  /// config or options.
  explicit RedisToolkit(RedisConnectionConfig config = {}, RedisOptions options = {});
  /// Same, on an actor system the caller owns (it must have the io middleman loaded and outlive
  /// the toolkit).
  RedisToolkit(caf::actor_system& system, RedisConnectionConfig config, RedisOptions options = {});
  ~RedisToolkit();
  RedisToolkit(RedisToolkit&&) noexcept;
  RedisToolkit& operator=(RedisToolkit&&) noexcept;
  RedisToolkit(const RedisToolkit&) = delete;
  RedisToolkit& operator=(const RedisToolkit&) = delete;

  /// Stores `value` in the wire format. Throws ValidationError (nothing written),
  /// SerializationError, ConnectionError / TimeoutError after the retries, CommandError.
  void setter(std::string_view key, const Value& value);
  /// Stores `value` with an expiry; a non-positive TTL is a ValidationError.
  void setter_with_ttl(std::string_view key, const Value& value, std::int64_t seconds);
  template <typename Rep, typename Period>
  void setter_with_ttl(std::string_view key, const Value& value,
                       std::chrono::duration<Rep, Period> ttl) {
    setter_with_ttl(key, value, std::chrono::duration_cast<std::chrono::seconds>(ttl).count());
  }
  /// setter, then Redis' WAIT on the same connection: returns how many replicas acknowledged the
  /// write within `timeout` (at least `replicas` means it survives the loss of its master). For
  /// writes that must not be lost in a failover; slower than setter by a replication round trip.
  std::int64_t setter_durable(std::string_view key, const Value& value, int replicas = 1,
                              std::chrono::milliseconds timeout = std::chrono::milliseconds(1000));
  /// The stored value, or nullopt when the key does not exist (a stored None is Value()).
  std::optional<Value> getter(std::string_view key);
  /// True when the key existed.
  bool deleter(std::string_view key);
  /// Redis TTL semantics: seconds left, -1 without expiry, -2 when the key does not exist.
  std::int64_t get_ttl(std::string_view key);

  /// Validates every entry first (nothing is sent when one is bad), then writes them in one pipeline.
  void batch_set(const KeyValues& entries);
  BatchGetResult batch_get(const std::vector<std::string>& keys);
  /// How many of the keys existed.
  std::int64_t batch_delete(const std::vector<std::string>& keys);

  /// Typed C++ values through cereal (binary, for C++ readers only).
  template <typename T>
  void set(std::string_view key, const T& value) {
    set_raw(key, encode_typed(value));
  }
  template <typename T>
  std::optional<T> get(std::string_view key) {
    auto stored = get_raw(key);
    if (!stored) return std::nullopt;
    return decode_typed<T>(*stored, key);
  }
  /// Raw bytes, not wrapped in the wire format (validated like any value).
  void set_raw(std::string_view key, std::string bytes);
  std::optional<std::string> get_raw(std::string_view key);

  /// Any Redis command, e.g. {"HSET", "user:1", "name", "Ada"}: the reply (see reply.hpp for
  /// typed access), sent through the toolkit's shared connections with its retries, and in a
  /// cluster to the node that holds its keys (as the server's COMMAND describes them; MOVED, ASK
  /// and failovers are followed). Throws CommandError for an error reply (naming the command,
  /// never its arguments); ClusterError before sending when its keys span several slots;
  /// ValidationError for a command that would take over a shared connection (SUBSCRIBE, MULTI,
  /// SELECT, ...: each has its own door). Blocking commands (BLPOP, XREAD BLOCK) travel on the
  /// node's connection for blocking commands; their own timeout must stay below socket_timeout.
  Reply command(CommandArguments arguments);
  /// A command once on every master (or every node: masters and replicas), e.g. {"DBSIZE"},
  /// {"SCRIPT", "FLUSH"}: one NodeReply per node, error replies in place. A single server is one.
  std::vector<NodeReply> command_on_nodes(CommandArguments arguments,
                                          CommandNodes nodes = CommandNodes::masters);
  /// An empty pipeline on this toolkit's connections.
  Pipeline pipeline();
  /// MULTI, the commands, EXEC, sent together on one connection: EXEC's replies (an error reply
  /// of one command stays in its place, as Redis runs the others), or nullopt when one of
  /// `watch_keys` was changed by another client between WATCH and EXEC (nothing ran). In a
  /// cluster every key, watched ones too, must hash to one slot: ClusterError (CROSSSLOT) before
  /// anything is sent otherwise. A CommandError when Redis refused a command while queueing
  /// (nothing ran). A lost connection is not retried: the transaction may have run.
  std::optional<std::vector<Reply>> transaction(const std::vector<CommandArguments>& commands,
                                                const std::vector<std::string>& watch_keys = {});
  /// Read-modify-write: WATCH `watch_keys`, run `reads`, hand their replies to `build`, run the
  /// commands it returns between MULTI and EXEC on the same connection. When another client
  /// changed a watched key meanwhile, all of it runs again, up to `max_attempts` times; then
  /// nullopt. In a cluster every key must hash to one slot. `build` runs on the caller's thread
  /// and may call this toolkit.
  ///   auto done = toolkit.transaction({"balance"}, {{"GET", "balance"}},
  ///       [](const std::vector<Reply>& read) -> std::vector<CommandArguments> {
  ///         const long balance = std::stol(read[0].as_optional_string().value_or("0"));
  ///         return {{"SET", "balance", std::to_string(balance - 30)}};
  ///       });
  std::optional<std::vector<Reply>> transaction(const std::vector<std::string>& watch_keys,
                                                const std::vector<CommandArguments>& reads,
                                                TransactionBuilder build, int max_attempts = 5);
  /// Runs `script` with EVALSHA; where the node has not cached it (NOSCRIPT: a fresh server, a
  /// replica just promoted), once more with EVAL and the source, which caches it there.
  Reply eval(const Script& script, const std::vector<std::string>& keys = {},
             const std::vector<std::string>& arguments = {});

  /// Every key matching the glob `pattern`, each once, read with SCAN page by page (never KEYS,
  /// which blocks the server). Keys written or removed meanwhile may or may not be listed.
  std::vector<std::string> scan_keys(std::string_view pattern);

  /// Publishes `value` in the wire format; returns how many subscribers received it (in a
  /// cluster: those of the node that took it). `kind` sharded uses SPUBLISH (Redis >= 7).
  std::int64_t publisher(std::string_view channel, const Value& value,
                         PubSubKind kind = PubSubKind::classic);

  /// A subscription that delivers every message of `channels` to `handler` (run on its own handler
  /// actor). Re-subscribes by itself after a reconnect, and in a cluster after a failover or a
  /// slot move. Stops when the Subscription is destroyed.
  Subscription subscribe(std::vector<std::string> channels, MessageHandler handler,
                         PubSubKind kind = PubSubKind::classic);
  /// The same, delivering (message_atom, channel, Value) to an actor of the caller's.
  Subscription subscribe(std::vector<std::string> channels, const caf::actor& handler,
                         PubSubKind kind = PubSubKind::classic);
  /// Pattern subscriptions (PSUBSCRIBE, glob patterns such as "orders.*"): `handler` gets the
  /// pattern that matched, the channel and the value; a message matching two of the patterns comes
  /// twice, once per pattern (Redis's rule). Re-subscribed after reconnects and failovers like
  /// channels. In a cluster on one node: classic pub/sub reaches every node.
  Subscription psubscribe(std::vector<std::string> patterns, PatternMessageHandler handler);
  /// The same, delivering (pmessage_atom, pattern, channel, Value) to an actor of the caller's.
  Subscription psubscribe(std::vector<std::string> patterns, const caf::actor& handler);

  /// The Python toolkit's dynamic subscriptions, on one subscriber owned by the toolkit.
  /// A channel that gets no message for subscription_expire_minutes is unsubscribed by itself.
  void subscribe_dynamic(const std::string& channel, MessageHandler handler);
  bool unsubscribe_dynamic(const std::string& channel);
  /// Unsubscribes and subscribes again, resetting its statistics and expiry.
  bool resubscribe_channel(const std::string& channel);
  SubscriptionStatistics subscription_stats();

  /// True when the server answers PING within the socket timeout; never throws.
  bool health_check() noexcept;
  /// Statistics of the connection pool this toolkit uses (shared with toolkits of the same server).
  PoolStatistics pool_stats();
  /// What the toolkit has done so far: calls per command and outcome with their latency, pending
  /// calls, connections, redirections, pub/sub messages (redis_toolkit/metrics.hpp,
  /// docs/METRICS.md). Counting is always on; this asks the actors for their counts and waits.
  ToolkitMetrics metrics();
  /// Stops subscribers and releases connections; later calls throw ConnectionError. Idempotent;
  /// the destructor calls it.
  void cleanup() noexcept;

  const RedisOptions& options() const;
  /// The actor system the toolkit runs on (the shared one, or the caller's): for spawning handler
  /// actors and workers next to it.
  caf::actor_system& system() const;
  const RedisConnectionConfig& config() const;
  /// The router actor, for callers that are actors (see actor_protocol.hpp).
  caf::actor router() const;

private:
  friend class ClusterOperations;
  std::shared_ptr<detail::ToolkitCore> core_;
  std::shared_ptr<detail::DynamicSubscriptions> dynamic_;
};

} // namespace redis_toolkit
