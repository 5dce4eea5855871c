#include "toolkit_operations.hpp"

#include "cluster_topology.hpp"

#include "redis_toolkit/key_slot.hpp"

#include "redis_toolkit/errors.hpp"

#include <cstring>

namespace redis_toolkit::detail {
namespace {

/// A decoder keeps only the server's name: it may run after the toolkit is gone.
using ErrorScope = std::string;

/// A decoder's copy of its key, for its error messages: inline up to 48 bytes, so that the keys
/// services use cost no allocation per call (a std::string keeps 15 bytes inline, and
/// "user:12345:profile" is 18); a longer key is kept on the heap. Sized so that a decoder with
/// the server's name and the key fits its InlineFunction.
class ErrorKey {
public:
  explicit ErrorKey(std::string_view key) : size_(key.size()) {
    char* to = inline_;
    if (size_ > inline_capacity) to = heap_ = new char[size_];
    if (size_ > 0) std::memcpy(to, key.data(), size_); // an empty view's data() may be null
  }
  ErrorKey(const ErrorKey& other) : ErrorKey(other.view()) {}
  /// Leaves `other` empty.
  ErrorKey(ErrorKey&& other) noexcept : size_(other.size_) {
    if (size_ > inline_capacity) heap_ = other.heap_;
    else std::memcpy(inline_, other.inline_, size_);
    other.size_ = 0;
  }
  ErrorKey& operator=(const ErrorKey&) = delete;
  ~ErrorKey() {
    if (size_ > inline_capacity) delete[] heap_;
  }

  std::string_view view() const noexcept {
    return {size_ > inline_capacity ? heap_ : inline_, size_};
  }
  operator std::string_view() const noexcept { return view(); }

private:
  static constexpr std::size_t inline_capacity = 48;
  std::size_t size_;
  union {
    char inline_[inline_capacity];
    char* heap_;
  };
};

ErrorScope scope_of(const OperationContext& context) { return context.server; }

template <typename T>
PlannedOperation<T> planned(const char* name, CommandRequest request, Decoder<T> decode) {
  return {name, std::move(request), std::move(decode)};
}

// The largest decoder here (the server's name, an operation's name, the key) stays inline.
static_assert(sizeof(ErrorScope) + sizeof(const char*) + sizeof(ErrorKey) <= decoder_capacity);

Decoder<void> expect_success(ErrorScope scope, const char* name, ErrorKey key) {
  return [scope = std::move(scope), name, key = std::move(key)](std::vector<Reply>& replies) {
    throw_if_failed(replies.at(0), scope, name, key);
  };
}

Decoder<std::int64_t> expect_integer(ErrorScope scope, const char* name, ErrorKey key) {
  return [scope = std::move(scope), name, key = std::move(key)](std::vector<Reply>& replies) {
    return decode_integer(replies.at(0), scope, name, key);
  };
}

} // namespace

PlannedOperation<void> plan_setter(const OperationContext& context, std::string_view key,
                                   const Value& value) {
  auto request = set_request(context, key, encode_for_key(key, value, context.options));
  return planned<void>("setter", std::move(request),
                       expect_success(scope_of(context), "setter", ErrorKey(key)));
}

PlannedOperation<void> plan_setter_with_ttl(const OperationContext& context, std::string_view key,
                                            const Value& value, std::int64_t seconds) {
  auto request = set_request(context, key, encode_for_key(key, value, context.options), seconds);
  return planned<void>("setter_with_ttl", std::move(request),
                       expect_success(scope_of(context), "setter_with_ttl", ErrorKey(key)));
}

PlannedOperation<std::int64_t> plan_setter_durable(const OperationContext& context,
                                                   std::string_view key, const Value& value,
                                                   int replicas, std::chrono::milliseconds timeout) {
  if (replicas < 0 || timeout.count() < 0)
    throw ValidationError("replicas and timeout must not be negative", std::string(key));
  auto request = set_request(context, key, encode_for_key(key, value, context.options));
  request.add({"WAIT", std::to_string(replicas), std::to_string(timeout.count())}, key_slot(key));
  for (Command& command : request.commands) command.blocking = true; // WAIT holds its connection
  return planned<std::int64_t>(
      "setter_durable", std::move(request),
      [scope = scope_of(context), key = ErrorKey(key)](std::vector<Reply>& replies) {
        throw_if_failed(replies.at(0), scope, "setter_durable", key);
        return decode_integer(replies.at(1), scope, "setter_durable", key);
      });
}

PlannedOperation<void> plan_set_raw(const OperationContext& context, std::string_view key,
                                    std::string bytes) {
  auto request = set_request(context, key, std::move(bytes));
  return planned<void>("set", std::move(request),
                       expect_success(scope_of(context), "set", ErrorKey(key)));
}

PlannedOperation<std::optional<Value>> plan_getter(const OperationContext& context,
                                                   std::string_view key) {
  return planned<std::optional<Value>>(
      "getter", as_reads(single_key_request(context, "GET", key)),
      [scope = scope_of(context), key = ErrorKey(key)](std::vector<Reply>& replies) {
        throw_if_failed(replies.at(0), scope, "getter", key);
        return decode_get(replies[0], key);
      });
}

PlannedOperation<std::optional<std::string>> plan_get_raw(const OperationContext& context,
                                                          std::string_view key) {
  return planned<std::optional<std::string>>(
      "get", as_reads(single_key_request(context, "GET", key)),
      [scope = scope_of(context), key = ErrorKey(key)](std::vector<Reply>& replies) {
        throw_if_failed(replies.at(0), scope, "get", key);
        return decode_raw_get(replies[0]);
      });
}

PlannedOperation<bool> plan_deleter(const OperationContext& context, std::string_view key) {
  return planned<bool>("deleter", single_key_request(context, "DEL", key),
                       [scope = scope_of(context), key = ErrorKey(key)](std::vector<Reply>& replies) {
                         return decode_integer(replies.at(0), scope, "deleter", key) > 0;
                       });
}

PlannedOperation<std::int64_t> plan_get_ttl(const OperationContext& context, std::string_view key) {
  return planned<std::int64_t>("get_ttl", as_reads(single_key_request(context, "TTL", key)),
                               expect_integer(scope_of(context), "get_ttl", ErrorKey(key)));
}

PlannedOperation<void> plan_batch_set(const OperationContext& context,
                                      const KeyValues& entries, const char* name) {
  std::vector<std::string> keys;
  keys.reserve(entries.size());
  for (const auto& entry : entries) keys.push_back(entry.first);
  return planned<void>(
      name, batch_set_request(context, entries),
      [scope = scope_of(context), name, keys = std::move(keys)](std::vector<Reply>& replies) {
        throw_if_any_failed(replies, scope, name, keys);
      });
}

PlannedOperation<BatchGetResult> plan_batch_get(const OperationContext& context,
                                                const std::vector<std::string>& keys,
                                                const char* name) {
  return planned<BatchGetResult>(
      name, as_reads(per_key_request(context, "GET", keys)),
      [scope = scope_of(context), name, keys](std::vector<Reply>& replies) {
        throw_if_any_failed(replies, scope, name, keys);
        BatchGetResult result;
        result.reserve(keys.size());
        for (std::size_t i = 0; i < keys.size(); ++i)
          result.emplace_back(keys[i], decode_get(replies[i], keys[i]));
        return result;
      });
}

PlannedOperation<std::int64_t> plan_batch_delete(const OperationContext& context,
                                                 const std::vector<std::string>& keys) {
  return planned<std::int64_t>(
      "batch_delete", per_key_request(context, "DEL", keys),
      [scope = scope_of(context), keys](std::vector<Reply>& replies) {
        throw_if_any_failed(replies, scope, "batch_delete", keys);
        std::int64_t removed = 0;
        for (const auto& reply : replies) removed += reply.integer;
        return removed;
      });
}

PlannedOperation<std::int64_t> plan_publisher(const OperationContext& context,
                                              std::string_view channel, const Value& value,
                                              PubSubKind kind) {
  const char* command = kind == PubSubKind::sharded ? "SPUBLISH" : "PUBLISH";
  return planned<std::int64_t>("publisher", publish_request(context, channel, value, command),
                               expect_integer(scope_of(context), "publisher", ErrorKey(channel)));
}

PlannedOperation<std::vector<ClusterNodeInfo>> plan_nodes_info(const OperationContext& context) {
  return planned<std::vector<ClusterNodeInfo>>(
      "get_nodes_info", keyless_request(context, {"CLUSTER", "NODES"}),
      [scope = scope_of(context)](std::vector<Reply>& replies) {
        const Reply& reply = replies.at(0);
        if (reply.is_error() && reply.text.find("cluster support disabled") != std::string::npos)
          throw ClusterError("get_nodes_info: " + scope + " is not a cluster node (" + reply.text +
                                 ")",
                             scope);
        throw_if_failed(reply, scope, "get_nodes_info", {});
        if (!reply.is_string())
          throw CommandError(scope, "get_nodes_info", "unexpected CLUSTER NODES reply");
        return parse_cluster_nodes(reply.text, NodeAddress{});
      });
}

PlannedOperation<bool> plan_health_check(const OperationContext& context) {
  if (!context.cluster)
    return planned<bool>("health_check", ping_request(context), [](std::vector<Reply>& replies) {
      return !replies.empty() && replies[0].type == Reply::Type::status &&
             replies[0].text == "PONG";
    });
  // A cluster is healthy when every master answers and each says cluster_state:ok.
  CommandRequest request;
  request.retry.attempts = 1;
  request.add_targeted({"CLUSTER", "INFO"}, Command::Target::every_master);
  return planned<bool>("health_check", std::move(request), [](std::vector<Reply>& replies) {
    if (replies.size() != 1 || replies[0].elements.empty()) return false;
    const auto& pairs = replies[0].elements;
    for (std::size_t i = 1; i < pairs.size(); i += 2)
      if (!pairs[i].is_string() || pairs[i].text.find("cluster_state:ok") == std::string::npos)
        return false;
    return true;
  });
}

} // namespace redis_toolkit::detail
