#pragma once
// How to reach Redis (RedisConnectionConfig), how the toolkit behaves (RedisOptions), both loadable
// from TOML, and the checks every key, value and batch passes before anything is sent.
// docs/CONFIGURATION.md lists every field with its default and its range.
//
//   auto config = redis_toolkit::ToolkitConfig::from_toml_file("config/standalone.toml");
//   redis_toolkit::RedisConnectionConfig connection;   // or from code
//   connection.host = "10.0.0.5";
//   connection.validate();                              // ValidationError naming the field

#include "redis_toolkit/logging.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace redis_toolkit {

/// One Redis server: "host:port", or "[::1]:6379" for an IPv6 host.
struct NodeAddress {
  std::string host;
  std::uint16_t port = 0;

  std::string to_string() const;
  /// Parses "host:port" (port 1..65535); throws ValidationError on anything else.
  static NodeAddress parse(std::string_view text);

  friend bool operator==(const NodeAddress& a, const NodeAddress& b) {
    return a.port == b.port && a.host == b.host;
  }
  friend bool operator!=(const NodeAddress& a, const NodeAddress& b) { return !(a == b); }
  friend bool operator<(const NodeAddress& a, const NodeAddress& b) {
    return a.host != b.host ? a.host < b.host : a.port < b.port;
  }
  friend std::ostream& operator<<(std::ostream& out, const NodeAddress& node) {
    return out << node.to_string();
  }
};

/// Where the Redis server (or cluster) is and how to log in; Python's RedisConnectionConfig.
struct RedisConnectionConfig {
  std::string host = "localhost";
  int port = 6379;
  int db = 0;
  std::optional<std::string> username;
  std::optional<std::string> password; ///< never logged, described or put in an error message
  std::chrono::milliseconds connection_timeout{5000};
  std::chrono::milliseconds socket_timeout{5000};
  bool socket_keepalive = true;

  // TLS (docs/SECURITY.md), for every connection: commands, subscribers, cluster nodes. TLS 1.2
  // is the minimum. The files are read once, when the toolkit starts.
  /// Connect with TLS. `ssl = true` alone verifies the server against the system's CAs.
  bool ssl = false;
  /// Client certificate (PEM, the chain may follow it) and its unencrypted key, for mutual TLS;
  /// both or neither: `ssl_certfile = "/etc/redis/client.crt"; ssl_keyfile = ".../client.key"`.
  std::string ssl_keyfile, ssl_certfile;
  /// CA certificates (PEM) the server's certificate must chain to; empty: the system's default
  /// store. `ssl_ca_certs = "/etc/redis/ca.crt"`.
  std::string ssl_ca_certs;
  /// "required" (default): the chain and the server's name are checked. "optional": the same,
  /// since a TLS server always sends its certificate. "none": nothing is checked (tests only:
  /// anyone on the path can read and change the traffic).
  std::string ssl_cert_reqs = "required";
  /// The name sent as SNI and checked against the certificate; empty: the host connected to (an
  /// IP address is then checked against the certificate's IP entries, and no SNI is sent).
  /// For a server reached by address whose certificate names it: `ssl_server_name = "redis.internal"`.
  std::string ssl_server_name;

  bool cluster_mode = false;
  /// Seeds for discovering the cluster; when empty, host:port is the only seed.
  std::vector<NodeAddress> startup_nodes;
  bool skip_full_coverage_check = false;
  int max_connections_per_node = 32;
  bool readonly_mode = false; ///< read from replicas (a cluster's, or the Sentinel master's)

  /// Sentinel: the sentinels to ask for the master (in this order; one that is down or names a
  /// server that is not a master is skipped). When set, host and port are not used: the toolkit
  /// connects to whatever master the sentinels name, and follows a failover by itself.
  ///
  ///   config.sentinels = {redis_toolkit::NodeAddress::parse("10.0.0.7:26379"),
  ///                       redis_toolkit::NodeAddress::parse("10.0.0.8:26379")};
  ///   config.sentinel_master_name = "mymaster";
  std::vector<NodeAddress> sentinels;
  std::string sentinel_master_name; ///< the name the sentinels monitor; required with sentinels
  /// The sentinels' own login (Sentinel's ACL user and requirepass), apart from the servers'.
  std::optional<std::string> sentinel_username;
  std::optional<std::string> sentinel_password; ///< never logged, described or put in an error

  /// Throws ValidationError naming the first bad field; checks the cluster fields in cluster mode
  /// and the Sentinel fields when sentinels are given.
  void validate() const;
  /// Checks the cluster fields alone: valid seeds, db 0, max_connections_per_node 1..10000.
  void validate_cluster_config() const;
  /// True when the master is found through sentinels.
  bool sentinel_mode() const { return !sentinels.empty(); }
  /// "127.0.0.1:6379 db=0 user=alice password=***"; never the password itself.
  std::string describe() const;
  NodeAddress address() const;
  /// startup_nodes, or host:port when there are none.
  std::vector<NodeAddress> cluster_seed_nodes() const;

  /// Reads the [connection] table of a toolkit file, or the top-level keys of a file that has
  /// neither [connection] nor [options]; then validate(). Errors name the key, file and line.
  static RedisConnectionConfig from_toml_file(const std::string& path);
  static RedisConnectionConfig from_toml_string(std::string_view text,
                                                std::string_view source_name = "<string>");
};

/// How the toolkit behaves: limits, retries, logging, subscriptions; Python's RedisOptions.
struct RedisOptions {
  bool is_logger_info = true; ///< false: no logging at all
  /// A library is quiet unless asked: warnings and errors by default; info or debug on request.
  LogLevel log_level = LogLevel::warning;
  std::size_t max_log_size = 256; ///< bytes of a value shown in a log line

  std::size_t max_value_size = 10 * 1024 * 1024; ///< bytes of one serialized value
  std::size_t max_key_length = 512;               ///< bytes of one key
  bool enable_validation = true; ///< false skips validate_key/_serialized_size/_batch_size

  bool use_connection_pool = true;
  /// Pipelined connections per server (per node in a cluster); nullopt: default_max_connections.
  std::optional<std::size_t> max_connections;
  static constexpr std::size_t default_max_connections = 1;

  int retry_attempts = 3; ///< attempts in all, the first included: 1 means no retry
  std::chrono::duration<double> retry_delay{0.1}; ///< before the second attempt
  double retry_backoff = 2.0;                     ///< each further delay is this times longer

  std::chrono::duration<double> subscriber_retry_delay{5.0}; ///< between resubscribe attempts
  std::chrono::duration<double> subscriber_stop_timeout{5.0};

  bool dynamic_subscriptions = true;
  std::chrono::minutes subscription_expire_minutes{5}; ///< an idle dynamic subscription expires
  std::chrono::seconds subscription_check_interval{30};
  std::size_t subscriber_mailbox_limit = 10000; ///< per handler; beyond it messages are dropped

  /// Bytes one reply may take on the wire (Redis's own proto-max-bulk-len by default). A reply
  /// announcing more is a ProtocolError before anything that size is allocated.
  std::size_t max_reply_size = 512 * 1024 * 1024;
  /// A connection idle this long (subscribers included) sends PING; no answer within the socket
  /// timeout makes it dead: reconnect, resubscribe, pending calls fail with TimeoutError. 0: off.
  std::chrono::duration<double> health_check_interval{5.0};
  /// Calls waiting for replies, per server identity; a call beyond it fails at once with
  /// OverloadError. 0: no bound.
  std::size_t max_pending_calls = 100000;
  /// Count every call per command name, outcome and latency (metrics()). Off, the commands'
  /// figures stay empty; connections, redirections and pub/sub are counted either way.
  bool metrics_enabled = true;

  /// Throws ValidationError naming the first field out of its range, and its value.
  void validate() const;

  /// Reads the [options] table of a toolkit file, or the top-level keys of a file that has
  /// neither [connection] nor [options]; then validate().
  static RedisOptions from_toml_file(const std::string& path);
  static RedisOptions from_toml_string(std::string_view text,
                                       std::string_view source_name = "<string>");
};

/// A whole toolkit file: the tables [connection] and [options], each optional.
struct ToolkitConfig {
  RedisConnectionConfig connection;
  RedisOptions options;

  static ToolkitConfig from_toml_file(const std::string& path);
  static ToolkitConfig from_toml_string(std::string_view text,
                                        std::string_view source_name = "<string>");
};

// The checks done before anything is sent; each does nothing when enable_validation is false.

/// A key longer than max_key_length bytes throws ValidationError quoting its first 64 bytes.
/// The empty key is valid, as in Redis.
void validate_key(std::string_view key, const RedisOptions& options);
/// A serialized value larger than max_value_size bytes throws ValidationError naming the key.
void validate_serialized_size(std::string_view key, std::size_t bytes, const RedisOptions& options);
/// A batch larger than 10 x max_value_size bytes in all throws ValidationError.
void validate_batch_size(std::size_t total_bytes, const RedisOptions& options);

} // namespace redis_toolkit
