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

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

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

protected:
  /// For subclasses: `kind` starts what() ("TimeoutError: ...").
  ConnectionError(const std::string& kind, std::string server, std::string operation,
                  std::string reason);

private:
  std::string server_;
  std::string operation_;
};

/// A request got no reply within the socket timeout; the server may still have executed it.
class TimeoutError : public ConnectionError {
public:
  TimeoutError(std::string server, std::string operation, std::string reason);
};

/// The server sent bytes that are not a RESP reply, or a reply larger than max_reply_size: the
/// connection was dropped (and is made again on the next call) before anything that size was held.
class ProtocolError : public ConnectionError {
public:
  ProtocolError(std::string server, std::string operation, std::string reason);
};

/// Refused at once, nothing sent: max_pending_calls calls were already waiting for their replies.
/// Retry later; the calls already waiting are unaffected.
class OverloadError : public RedisToolkitError {
public:
  OverloadError(std::string server, std::string operation, std::string reason);
  const std::string& server() const noexcept { return server_; }
  const std::string& operation() const noexcept { return operation_; }

private:
  std::string server_;
  std::string operation_;
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

/// One key of a batch that failed, and what happened to it.
struct KeyFailure {
  std::string key;
  std::string kind;   ///< "ConnectionError", "TimeoutError", "CommandError" or "ClusterError"
  std::string server; ///< the node that failed, when known
  std::string reason;
};

/// Part of a batch failed and the rest succeeded: every key not in failures() was written (or
/// read, or deleted). Batches that span cluster nodes are not atomic across nodes; retrying the
/// failed keys is safe for batch_set and batch_delete. A batch in which every key failed throws
/// the typed error of the cause instead (ConnectionError, ClusterError, ...).
class BatchError : public RedisToolkitError {
public:
  BatchError(std::string operation, std::vector<KeyFailure> failures, std::size_t total);
  const std::string& operation() const noexcept { return operation_; }
  const std::vector<KeyFailure>& failures() const noexcept { return failures_; }
  /// Keys in the batch, failed or not.
  std::size_t total() const noexcept { return total_; }

private:
  std::string operation_;
  std::vector<KeyFailure> failures_;
  std::size_t total_;
};

/// A Value was read as a kind it does not hold (as_int() on a string, ...).
class ValueTypeError : public RedisToolkitError {
public:
  explicit ValueTypeError(std::string reason);
};

} // namespace redis_toolkit
