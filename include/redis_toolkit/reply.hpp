#pragma once
// redis_toolkit::Reply: one RESP2 reply, as command() returns it and the actors pass it around,
// plus the ways a command can fail before Redis answers it (the connection failed, no reply came
// in time, the cluster could not route it).
//
//   Reply count = toolkit.command({"INCR", "visits"});
//   std::int64_t visits = count.as_integer();          // ValueTypeError if it is not an integer
//   Reply name = toolkit.command({"HGET", "user:1", "name"});
//   if (!name.is_nil()) std::cout << name.as_string();  // bulk strings are binary-safe
//   for (const Reply& member : toolkit.command({"SMEMBERS", "tags"}).as_array()) ...

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace redis_toolkit {

struct Reply {
  enum class Type : std::uint8_t {
    nil,               ///< RESP null bulk / null array
    status,            ///< +OK
    error,             ///< -ERR ...: the server refused the command
    integer,           ///< :42
    string,            ///< $5 hello (binary-safe)
    array,             ///< *N ...
    connection_failed, ///< never reached Redis, or the connection dropped before the reply
    timed_out,         ///< no reply within the socket timeout
    cluster_failed,    ///< the cluster could not route it (slot not served, too many redirections)
    protocol_failed,   ///< the server's bytes were not RESP, or a reply exceeded max_reply_size
    overloaded,        ///< refused at once: max_pending_calls calls were already waiting
  };

  Type type = Type::nil;
  std::int64_t integer = 0;
  std::string text;           ///< status, error, bulk string, or the failure reason
  std::vector<Reply> elements;
  std::string server;         ///< "host:port" that failed (failures only)

  bool is_nil() const noexcept { return type == Type::nil; }
  bool is_string() const noexcept { return type == Type::string; }
  bool is_status() const noexcept { return type == Type::status; }
  bool is_integer() const noexcept { return type == Type::integer; }
  bool is_array() const noexcept { return type == Type::array; }
  bool is_error() const noexcept { return type == Type::error; }
  /// A +OK status.
  bool is_ok() const noexcept { return type == Type::status && text == "OK"; }

  /// Typed access: each throws ValueTypeError naming the kind it found when the reply is another.
  std::int64_t as_integer() const;
  /// A bulk string's bytes or a status' text.
  const std::string& as_string() const;
  /// A bulk string or status parsed as a number ("3.5" from INCRBYFLOAT, ZSCORE), or an integer.
  double as_double() const;
  /// The bytes of a bulk string or status; nullopt for nil (GET of a missing key).
  std::optional<std::string> as_optional_string() const;
  const std::vector<Reply>& as_array() const;
  /// "integer", "bulk string", "array", ...: for messages.
  static const char* type_name(Type type) noexcept;
  /// The command did not get an answer from Redis (connection failure, timeout, or a cluster
  /// that could not route it).
  bool is_failure() const noexcept {
    return type == Type::connection_failed || type == Type::timed_out ||
           type == Type::cluster_failed || type == Type::protocol_failed ||
           type == Type::overloaded;
  }

  static Reply failure(Type kind, std::string server, std::string reason) {
    Reply r;
    r.type = kind;
    r.server = std::move(server);
    r.text = std::move(reason);
    return r;
  }
};

} // namespace redis_toolkit
