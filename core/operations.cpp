#include "operations.hpp"

#include "cluster_topology.hpp"
#include "request_buffers.hpp"
#include "redis_toolkit/errors.hpp"
#include "redis_toolkit/key_slot.hpp"
#include "redis_toolkit/wire_format.hpp"
#include "resp.hpp"

namespace redis_toolkit::detail {
namespace {

RetryPolicy retry_policy(const RedisOptions& options) {
  RetryPolicy policy;
  policy.attempts = std::max(1, options.retry_attempts);
  policy.delay = options.retry_delay;
  policy.backoff = options.retry_backoff;
  return policy;
}

} // namespace

CommandRequest new_request(const OperationContext& context, std::size_t expected_commands) {
  CommandRequest request = fresh_request(); // buffers a spent request left on this thread
  // (request_buffers.hpp)
  request.retry = retry_policy(context.options);
  request.commands.reserve(expected_commands);
  return request;
}

namespace {

/// Refuses a value whose encoding is sure to exceed max_value_size before that encoding is built:
/// refusing a huge value then costs no copy of it.
void refuse_before_encoding(std::string_view key, const Value& value, const RedisOptions& options) {
  if (!options.enable_validation) return;
  const std::size_t at_least = serialized_size_at_least(value);
  if (at_least <= options.max_value_size) return;
  throw ValidationError("value is at least " + std::to_string(at_least) +
                            " bytes encoded, larger than max_value_size " +
                            std::to_string(options.max_value_size) + " (refused before encoding)",
                        resp::abbreviate(key));
}

} // namespace

std::string encode_for_key(std::string_view key, const Value& value, const RedisOptions& options) {
  validate_key(key, options);
  refuse_before_encoding(key, value, options);
  std::string stored = serialize_value(value, key);
  validate_serialized_size(key, stored.size(), options);
  return stored;
}

CommandRequest as_reads(CommandRequest request) {
  for (Command& command : request.commands) command.read_only = true;
  return request;
}

CommandRequest set_request(const OperationContext& context, std::string_view key,
                           std::string stored, std::optional<std::int64_t> ttl_seconds) {
  validate_key(key, context.options);
  validate_serialized_size(key, stored.size(), context.options);
  CommandRequest request = new_request(context, 1);
  const std::int32_t slot = key_slot(key);
  if (ttl_seconds) {
    if (*ttl_seconds <= 0)
      throw ValidationError("TTL must be a positive number of seconds, got " +
                                std::to_string(*ttl_seconds),
                            std::string(key));
    request.add({"SET", key, stored, "EX", std::to_string(*ttl_seconds)}, slot);
  } else {
    request.add({"SET", key, stored}, slot);
  }
  return request;
}

CommandRequest single_key_request(const OperationContext& context, std::string_view command,
                                  std::string_view key) {
  validate_key(key, context.options);
  CommandRequest request = new_request(context, 1);
  request.add({command, key}, key_slot(key));
  return request;
}

CommandRequest batch_set_request(const OperationContext& context, const KeyValues& entries) {
  // Everything is encoded and checked before the first command is built: a bad entry sends nothing.
  std::vector<std::string> stored;
  stored.reserve(entries.size());
  std::size_t total_bytes = 0;
  for (const auto& [key, value] : entries) {
    stored.push_back(encode_for_key(key, value, context.options));
    total_bytes += stored.back().size();
  }
  validate_batch_size(total_bytes, context.options);
  CommandRequest request = new_request(context, entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i)
    request.add({"SET", entries[i].first, stored[i]}, key_slot(entries[i].first));
  return request;
}

CommandRequest per_key_request(const OperationContext& context, std::string_view command,
                               const std::vector<std::string>& keys) {
  for (const auto& key : keys) validate_key(key, context.options);
  CommandRequest request = new_request(context, keys.size());
  for (const auto& key : keys) request.add({command, key}, key_slot(key));
  return request;
}

CommandRequest publish_request(const OperationContext& context, std::string_view channel,
                               const Value& value, std::string_view command) {
  refuse_before_encoding(channel, value, context.options);
  std::string stored = serialize_value(value, channel);
  validate_serialized_size(channel, stored.size(), context.options);
  CommandRequest request = new_request(context, 1);
  request.add({command, channel, stored}, key_slot(channel));
  return request;
}

CommandRequest ping_request(const OperationContext& context) {
  CommandRequest request = new_request(context, 1);
  request.retry.attempts = 1;
  request.add({"PING"});
  return request;
}

CommandRequest keyless_request(const OperationContext& context,
                               std::initializer_list<std::string_view> arguments) {
  CommandRequest request = new_request(context, 1);
  request.add(arguments);
  return request;
}

CommandRequest scan_page_request(const OperationContext& context, std::string_view cursor,
                                 std::string_view pattern, std::size_t page_size) {
  CommandRequest request = new_request(context, 1);
  request.add({"SCAN", cursor, "MATCH", pattern, "COUNT", std::to_string(page_size)});
  return request;
}

ScanPage decode_scan_page(const Reply& reply, const std::string& server) {
  throw_if_failed(reply, server, "scan", {});
  if (reply.type != Reply::Type::array || reply.elements.size() != 2 ||
      reply.elements[1].type != Reply::Type::array)
    throw CommandError(server, "scan", "unexpected SCAN reply shape");
  ScanPage page;
  page.next_cursor = reply.elements[0].text;
  page.keys.reserve(reply.elements[1].elements.size());
  for (const Reply& key : reply.elements[1].elements) page.keys.push_back(key.text);
  return page;
}

void throw_if_failed(const Reply& reply, const std::string& server, std::string_view operation,
                     std::string_view key) {
  // Built only for a failure: this runs for every reply.
  const auto about = [&] {
    if (key.empty()) return std::string();
    const char* subject = operation == "publisher" ? "channel" : "key";
    return " (" + std::string(subject) + " '" + resp::abbreviate(key) + "')";
  };
  switch (reply.type) {
    case Reply::Type::timed_out:
      throw TimeoutError(reply.server, std::string(operation), reply.text + about());
    case Reply::Type::connection_failed:
      throw ConnectionError(reply.server, std::string(operation), reply.text + about());
    case Reply::Type::protocol_failed:
      throw ProtocolError(reply.server, std::string(operation), reply.text + about());
    case Reply::Type::overloaded:
      throw OverloadError(reply.server, std::string(operation), reply.text + about());
    case Reply::Type::cluster_failed:
      throw ClusterError(std::string(operation) + ": " + reply.text + about(), reply.server);
    case Reply::Type::error: {
      const std::string& answered_by = reply.server.empty() ? server : reply.server;
      if (is_cluster_error(reply))
        throw ClusterError(std::string(operation) + ": " + reply.text + about(), answered_by);
      throw CommandError(answered_by, std::string(operation), reply.text + about());
    }
    default:
      return;
  }
}

namespace {

const char* failure_kind(const Reply& reply) {
  switch (reply.type) {
    case Reply::Type::timed_out: return "TimeoutError";
    case Reply::Type::connection_failed: return "ConnectionError";
    case Reply::Type::cluster_failed: return "ClusterError";
    case Reply::Type::protocol_failed: return "ProtocolError";
    case Reply::Type::overloaded: return "OverloadError";
    default: return is_cluster_error(reply) ? "ClusterError" : "CommandError";
  }
}

} // namespace

void throw_if_any_failed(const std::vector<Reply>& replies, const std::string& server,
                         std::string_view operation, const std::vector<std::string>& keys) {
  std::vector<KeyFailure> failures;
  for (std::size_t i = 0; i < replies.size(); ++i) {
    const Reply& reply = replies[i];
    if (!reply.is_failure() && !reply.is_error()) continue;
    failures.push_back(KeyFailure{i < keys.size() ? keys[i] : std::string(), failure_kind(reply),
                                  reply.server.empty() ? server : reply.server, reply.text});
  }
  if (failures.empty()) return;
  if (failures.size() < replies.size()) // a partial failure: say which keys, and what happened
    throw BatchError(std::string(operation), std::move(failures), replies.size());
  // Everything failed: the typed error of the cause, naming the first keys.
  constexpr std::size_t keys_named = 5;
  std::string detail;
  for (std::size_t i = 0; i < failures.size() && i < keys_named; ++i)
    detail += (i == 0 ? "" : "; ") + std::string("key '") + resp::abbreviate(failures[i].key) +
              "': " + failures[i].reason;
  if (failures.size() > keys_named)
    detail += "; and " + std::to_string(failures.size() - keys_named) + " more";
  const std::string summary = std::to_string(failures.size()) + " of " +
                              std::to_string(replies.size()) + " commands failed: " + detail;
  const Reply& first = replies.front();
  if (is_cluster_error(first)) throw ClusterError(std::string(operation) + ": " + summary, server);
  Reply combined = first;
  combined.text = summary;
  throw_if_failed(combined, server, operation, {});
}

std::optional<Value> decode_get(const Reply& reply, std::string_view key) {
  if (reply.is_nil()) return std::nullopt;
  return deserialize_value(reply.text, key);
}

std::optional<std::string> decode_raw_get(Reply& reply) {
  if (reply.is_nil()) return std::nullopt;
  return std::move(reply.text);
}

std::int64_t decode_integer(const Reply& reply, const std::string& server,
                            std::string_view operation, std::string_view key) {
  throw_if_failed(reply, server, operation, key);
  if (reply.type != Reply::Type::integer)
    throw CommandError(server, std::string(operation), "expected an integer reply");
  return reply.integer;
}

} // namespace redis_toolkit::detail
