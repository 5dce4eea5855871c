#pragma once
// What the router receives: commands already RESP-encoded, each with its key's hash slot, in the
// caller's order, with the retry policy they travel under. Plain C++ with no CAF: the operation
// plans build these, and the actors (actor_protocol.hpp) carry them.
//
//   CommandRequest request;
//   request.add({"GET", "user:1"}, key_slot("user:1"));
//   request.add({"INCR", "visits"}, key_slot("visits"));
//   // request.commands[1] is INCR; request.bytes(request.commands[1]) its RESP bytes

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace redis_toolkit {

/// Slot value of a command that may go to any node (no key).
inline constexpr std::int32_t any_slot = -1;

/// One command, already RESP-encoded, with the hash slot of its key for routing.
struct Command {
  /// Where the router sends it. `slot`: the node serving `slot` (any node for any_slot);
  /// `node`: the node named in `node` ("host:port"; the server itself when not in a cluster);
  /// `every_master`: once to every master, and the reply is an array of pairs: the master's
  /// "host:port" as a string, then its reply; `every_node`: the same over masters and replicas.
  enum class Target : std::uint8_t { slot, node, every_master, every_node };

  /// The command's RESP bytes when it carries its own; empty when they are `wire_length` bytes
  /// at `wire_offset` of its request's `wire` (CommandRequest::add puts them there: one buffer
  /// for a whole batch, not one allocation per command).
  std::string encoded;
  std::size_t wire_offset = 0;
  std::size_t wire_length = 0;
  std::int32_t slot = any_slot;
  Target target = Target::slot;
  std::string node;
  bool read_only = false; ///< a read: may go to a replica when readonly_mode is on
  /// May hold its connection a while (WAIT): it and the writes it waits for travel on the node's
  /// connection for such commands, so that they hold up nobody else's.
  bool blocking = false;
};

/// The RESP bytes of `command`, whose request's shared buffer is `wire`.
inline std::string_view command_bytes(const Command& command, std::string_view wire) {
  return command.wire_length > 0 ? wire.substr(command.wire_offset, command.wire_length)
                                 : std::string_view(command.encoded);
}

/// How often and how patiently the router retries a command whose connection failed or timed out
/// (RedisOptions: retry_attempts, retry_delay, retry_backoff). A command that reached Redis and got
/// an error reply is never retried.
struct RetryPolicy {
  int attempts = 3; ///< total attempts, the first included
  std::chrono::duration<double> delay{0.1};
  double backoff = 2.0;
};

/// What the router receives: commands in the caller's order. The router may split them across
/// nodes; the replies always come back in this order, one per command.
struct CommandRequest {
  std::vector<Command> commands;
  /// The RESP bytes of the commands that do not carry their own (Command::encoded), back to back.
  std::string wire;
  RetryPolicy retry;
  /// The commands are one unit (MULTI ... EXEC): they travel together to the node of the first
  /// command's slot, on one connection, back to back. A redirection or a transient cluster error
  /// (TRYAGAIN, CLUSTERDOWN, ASK) sends the whole unit again; a lost connection is not retried
  /// (the transaction may have run) and answers a connection failure for every command.
  bool atomic = false;
  /// A transaction that reads between WATCH and EXEC (both requests atomic): the request with
  /// `session` set (WATCH and the reads) pins its node's connection for such transactions; the
  /// request with the same `session` and `session_close` (MULTI ... EXEC, or UNWATCH) goes to that
  /// same connection and unpins it. Other sessions of the node wait their turn meanwhile; plain
  /// commands never use that connection. A session left open for longer than four socket timeouts
  /// (at least 5 s) is closed by the router (UNWATCH), and its late close fails. 0: no session.
  std::uint64_t session = 0;
  bool session_close = false;

  /// The RESP bytes of `command`, one of `commands`.
  std::string_view bytes(const Command& command) const { return command_bytes(command, wire); }

  /// Encodes one command and appends it.
  void add(std::initializer_list<std::string_view> arguments, std::int32_t slot = any_slot);
  void add(const std::vector<std::string_view>& arguments, std::int32_t slot = any_slot);
  /// Encodes one command for `target` (Command::Target::node needs `node`) and appends it.
  void add_targeted(std::initializer_list<std::string_view> arguments, Command::Target target,
                    std::string node = {});
};

} // namespace redis_toolkit
