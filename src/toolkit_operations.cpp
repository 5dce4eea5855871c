#include "toolkit_operations.hpp"

namespace redis_toolkit::detail {
namespace {

/// A decoder keeps only the server's name: it may run after the toolkit is gone.
using ErrorScope = std::string;

ErrorScope scope_of(const OperationContext& context) { return context.server; }

template <typename T>
PlannedOperation<T> planned(const char* name, CommandRequest request,
                            std::function<T(std::vector<Reply>&)> decode) {
  return {name, std::move(request), std::move(decode)};
}

std::function<void(std::vector<Reply>&)> expect_success(ErrorScope scope, const char* name,
                                                        std::string key) {
  return [scope = std::move(scope), name, key = std::move(key)](std::vector<Reply>& replies) {
    throw_if_failed(replies.at(0), scope, name, key);
  };
}

std::function<std::int64_t(std::vector<Reply>&)> expect_integer(ErrorScope scope, const char* name,
                                                                std::string key) {
  return [scope = std::move(scope), name, key = std::move(key)](std::vector<Reply>& replies) {
    return decode_integer(replies.at(0), scope, name, key);
  };
}

} // namespace

PlannedOperation<void> plan_setter(const OperationContext& context, std::string_view key,
                                   const Value& value) {
  auto request = plan_set(context, key, encode_for_key(key, value, context.options));
  return planned<void>("setter", std::move(request),
                       expect_success(scope_of(context), "setter", std::string(key)));
}

PlannedOperation<void> plan_setter_with_ttl(const OperationContext& context, std::string_view key,
                                            const Value& value, std::int64_t seconds) {
  auto request = plan_set(context, key, encode_for_key(key, value, context.options), seconds);
  return planned<void>("setter_with_ttl", std::move(request),
                       expect_success(scope_of(context), "setter_with_ttl", std::string(key)));
}

PlannedOperation<void> plan_set_raw(const OperationContext& context, std::string_view key,
                                    std::string bytes) {
  auto request = plan_set(context, key, std::move(bytes));
  return planned<void>("set", std::move(request),
                       expect_success(scope_of(context), "set", std::string(key)));
}

PlannedOperation<std::optional<Value>> plan_getter(const OperationContext& context,
                                                   std::string_view key) {
  return planned<std::optional<Value>>(
      "getter", plan_single_key(context, "GET", key),
      [scope = scope_of(context), key = std::string(key)](std::vector<Reply>& replies) {
        throw_if_failed(replies.at(0), scope, "getter", key);
        return decode_get(replies[0], key);
      });
}

PlannedOperation<std::optional<std::string>> plan_get_raw(const OperationContext& context,
                                                          std::string_view key) {
  return planned<std::optional<std::string>>(
      "get", plan_single_key(context, "GET", key),
      [scope = scope_of(context), key = std::string(key)](std::vector<Reply>& replies) {
        throw_if_failed(replies.at(0), scope, "get", key);
        return decode_raw_get(replies[0]);
      });
}

PlannedOperation<bool> plan_deleter(const OperationContext& context, std::string_view key) {
  auto count = expect_integer(scope_of(context), "deleter", std::string(key));
  return planned<bool>("deleter", plan_single_key(context, "DEL", key),
                       [count](std::vector<Reply>& replies) { return count(replies) > 0; });
}

PlannedOperation<std::int64_t> plan_get_ttl(const OperationContext& context, std::string_view key) {
  return planned<std::int64_t>("get_ttl", plan_single_key(context, "TTL", key),
                               expect_integer(scope_of(context), "get_ttl", std::string(key)));
}

PlannedOperation<void> plan_batch_set_operation(const OperationContext& context,
                                                const KeyValues& entries) {
  std::vector<std::string> keys;
  keys.reserve(entries.size());
  for (const auto& entry : entries) keys.push_back(entry.first);
  return planned<void>(
      "batch_set", plan_batch_set(context, entries),
      [scope = scope_of(context), keys = std::move(keys)](std::vector<Reply>& replies) {
        throw_if_any_failed(replies, scope, "batch_set", keys);
      });
}

PlannedOperation<BatchGetResult> plan_batch_get(const OperationContext& context,
                                                const std::vector<std::string>& keys) {
  return planned<BatchGetResult>(
      "batch_get", plan_per_key(context, "GET", keys),
      [scope = scope_of(context), keys](std::vector<Reply>& replies) {
        throw_if_any_failed(replies, scope, "batch_get", keys);
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
      "batch_delete", plan_per_key(context, "DEL", keys),
      [scope = scope_of(context), keys](std::vector<Reply>& replies) {
        throw_if_any_failed(replies, scope, "batch_delete", keys);
        std::int64_t removed = 0;
        for (const auto& reply : replies) removed += reply.integer;
        return removed;
      });
}

PlannedOperation<std::int64_t> plan_publisher(const OperationContext& context,
                                              std::string_view channel, const Value& value) {
  return planned<std::int64_t>("publisher", plan_publish(context, channel, value),
                               expect_integer(scope_of(context), "publisher", std::string(channel)));
}

PlannedOperation<bool> plan_health_check(const OperationContext& context) {
  return planned<bool>("health_check", plan_ping(context), [](std::vector<Reply>& replies) {
    return !replies.empty() && replies[0].type == Reply::Type::status && replies[0].text == "PONG";
  });
}

} // namespace redis_toolkit::detail
