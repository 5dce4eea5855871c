#pragma once
// redis_toolkit::Reply: one RESP2 reply as the actors pass it around, plus the two ways a command can
// fail before Redis answers it (the connection failed, or no reply came in time).
//
//   Reply r = ...;                        // from the router actor (actor_protocol.hpp: exec_atom)
//   if (r.is_string()) use(r.text);       // bulk string
//   else if (r.is_error()) log(r.text);   // "WRONGTYPE Operation against a key ..."

#include <cstdint>
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
  };

  Type type = Type::nil;
  std::int64_t integer = 0;
  std::string text;           ///< status, error, bulk string, or the failure reason
  std::vector<Reply> elements;
  std::string server;         ///< "host:port" that failed (failures only)

  bool is_nil() const noexcept { return type == Type::nil; }
  bool is_string() const noexcept { return type == Type::string; }
  bool is_error() const noexcept { return type == Type::error; }
  /// The command did not get an answer from Redis (connection failure, timeout, or a cluster
  /// that could not route it).
  bool is_failure() const noexcept {
    return type == Type::connection_failed || type == Type::timed_out ||
           type == Type::cluster_failed;
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
