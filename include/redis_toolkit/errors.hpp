#pragma once
// The error types of redis-toolkit: one base class, one subclass per thing that can go wrong.
//
//   try {
//     toolkit.setter("user:1", value);
//   } catch (const redis_toolkit::ValidationError& e) {   // nothing was written
//     std::cerr << e.key() << ": " << e.reason() << "\n";
//   } catch (const redis_toolkit::RedisToolkitError& e) { // anything else of ours
//     std::cerr << e.what() << "\n";
//   }

#include <stdexcept>
#include <string>

namespace redis_toolkit {

/// Base of every error redis-toolkit throws; what() reads "Kind: context: reason".
class RedisToolkitError : public std::runtime_error {
public:
  RedisToolkitError(const std::string& kind, const std::string& context, std::string reason);
  /// The reason alone, without the kind and context.
  const std::string& reason() const noexcept { return reason_; }

private:
  std::string reason_;
};

/// A value could not be encoded or decoded; names the key when there is one.
class SerializationError : public RedisToolkitError {
public:
  explicit SerializationError(std::string reason, std::string key = {});
  const std::string& key() const noexcept { return key_; }

private:
  std::string key_;
};

/// Input refused before anything was sent: key too long, value too large, bad TTL, bad config.
class ValidationError : public RedisToolkitError {
public:
  /// `subject` is the key (or the config field) the reason is about.
  explicit ValidationError(std::string reason, std::string subject = {});
  const std::string& key() const noexcept { return subject_; }

private:
  std::string subject_;
};

/// A server could not be reached or answered with an error, after the configured retries.
class ConnectionError : public RedisToolkitError {
public:
  ConnectionError(std::string server, std::string operation, std::string reason);
  /// "host:port" of the server concerned.
  const std::string& server() const noexcept { return server_; }
  /// The command or toolkit operation that failed ("GET", "batch_set", "connect").
  const std::string& operation() const noexcept { return operation_; }

private:
  std::string server_;
  std::string operation_;
};

/// A request got no reply within the socket timeout; the server may still have executed it.
class TimeoutError : public ConnectionError {
public:
  using ConnectionError::ConnectionError;
};

/// The server answered a command with an error reply (wrong type, unknown command, ...).
class CommandError : public RedisToolkitError {
public:
  CommandError(std::string server, std::string operation, std::string reply);
  const std::string& server() const noexcept { return server_; }
  const std::string& operation() const noexcept { return operation_; }

private:
  std::string server_;
  std::string operation_;
};

/// The cluster cannot serve the request: cluster down, slot not covered, too many redirections.
class ClusterError : public RedisToolkitError {
public:
  explicit ClusterError(std::string reason, std::string node = {});
  const std::string& node() const noexcept { return node_; }

private:
  std::string node_;
};

/// A Value was read as a kind it does not hold (as_int() on a string, ...).
class ValueTypeError : public RedisToolkitError {
public:
  explicit ValueTypeError(std::string reason);
};

} // namespace redis_toolkit
