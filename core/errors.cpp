#include "redis_toolkit/errors.hpp"

namespace redis_toolkit {
namespace {

std::string compose(const std::string& kind, const std::string& context, const std::string& reason) {
  std::string text = kind;
  text += ": ";
  if (!context.empty()) {
    text += context;
    text += ": ";
  }
  text += reason;
  return text;
}

std::string quoted_key(const std::string& key) {
  return key.empty() ? std::string{} : "key '" + key + "'";
}

} // namespace

RedisToolkitError::RedisToolkitError(const std::string& kind, const std::string& context,
                                     std::string reason)
    : std::runtime_error(compose(kind, context, reason)), reason_(std::move(reason)) {}

SerializationError::SerializationError(std::string reason, std::string key)
    : RedisToolkitError("SerializationError", quoted_key(key), std::move(reason)),
      key_(std::move(key)) {}

ValidationError::ValidationError(std::string reason, std::string subject)
    : RedisToolkitError("ValidationError", quoted_key(subject), std::move(reason)),
      subject_(std::move(subject)) {}

ConnectionError::ConnectionError(std::string server, std::string operation, std::string reason)
    : ConnectionError("ConnectionError", std::move(server), std::move(operation),
                      std::move(reason)) {}

ConnectionError::ConnectionError(const std::string& kind, std::string server,
                                 std::string operation, std::string reason)
    : RedisToolkitError(kind, server + " " + operation, std::move(reason)),
      server_(std::move(server)), operation_(std::move(operation)) {}

TimeoutError::TimeoutError(std::string server, std::string operation, std::string reason)
    : ConnectionError("TimeoutError", std::move(server), std::move(operation),
                      std::move(reason)) {}

ProtocolError::ProtocolError(std::string server, std::string operation, std::string reason)
    : ConnectionError("ProtocolError", std::move(server), std::move(operation),
                      std::move(reason)) {}

OverloadError::OverloadError(std::string server, std::string operation, std::string reason)
    : RedisToolkitError("OverloadError", server + " " + operation, std::move(reason)),
      server_(std::move(server)), operation_(std::move(operation)) {}

CommandError::CommandError(std::string server, std::string operation, std::string reply)
    : RedisToolkitError("CommandError", server + " " + operation, std::move(reply)),
      server_(std::move(server)), operation_(std::move(operation)) {}

ClusterError::ClusterError(std::string reason, std::string node)
    : RedisToolkitError("ClusterError", node, std::move(reason)), node_(std::move(node)) {}

namespace {

std::string describe_failures(const std::vector<KeyFailure>& failures, std::size_t total) {
  constexpr std::size_t keys_named = 5;
  std::string text = std::to_string(failures.size()) + " of " + std::to_string(total) +
                     " keys failed (the others succeeded): ";
  for (std::size_t i = 0; i < failures.size() && i < keys_named; ++i)
    text += (i == 0 ? "" : "; ") + std::string("key '") + failures[i].key + "': " +
            failures[i].kind + " " + (failures[i].server.empty() ? "" : failures[i].server + " ") +
            failures[i].reason;
  if (failures.size() > keys_named)
    text += "; and " + std::to_string(failures.size() - keys_named) + " more";
  return text;
}

} // namespace

BatchError::BatchError(std::string operation, std::vector<KeyFailure> failures, std::size_t total)
    : RedisToolkitError("BatchError", operation, describe_failures(failures, total)),
      operation_(std::move(operation)), failures_(std::move(failures)), total_(total) {}

ValueTypeError::ValueTypeError(std::string reason)
    : RedisToolkitError("ValueTypeError", {}, std::move(reason)) {}

} // namespace redis_toolkit
