#pragma once
// Any Redis command through the toolkit's connections, routing and failover handling: the types
// that RedisToolkit::command(), pipeline(), transaction() and eval() (and their async forms) use.
//
//   redis_toolkit::RedisToolkit toolkit(config);
//   std::int64_t visits = toolkit.command({"INCR", "visits"}).as_integer();
//   toolkit.command({"HSET", "user:1", "name", "Ada", "lang", "C++"});
//   auto pipeline = toolkit.pipeline();
//   pipeline.add({"INCR", "a"}).add({"EXPIRE", "a", "60"});
//   std::vector<Reply> replies = pipeline.execute();           // one per command, in order
//   redis_toolkit::Script add("return redis.call('INCRBY', KEYS[1], ARGV[1])");
//   std::int64_t total = toolkit.eval(add, {"counter"}, {"5"}).as_integer();

#include "redis_toolkit/reply.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace redis_toolkit {

/// A command and its arguments, each binary-safe (NUL bytes included): {"HSET", "user:1", "n", "1"}.
using CommandArguments = std::vector<std::string>;

/// The nodes command_on_nodes() reaches: every master, or every node (masters and replicas). A
/// single server is both.
enum class CommandNodes { masters, all };

/// The read-modify-write step of a transaction: given the replies to its reads (made after WATCH),
/// the commands to run between MULTI and EXEC. It runs again on every retry: with the blocking
/// RedisToolkit on the caller's thread (it may call a toolkit), with AsyncRedisToolkit as a
/// callback (on the I/O thread: short, never blocking). An exception it throws ends the
/// transaction (nothing runs) and reaches the caller; no commands end it with nothing run (the
/// transaction answers an empty vector).
using TransactionBuilder =
    std::function<std::vector<CommandArguments>(const std::vector<Reply>& reads)>;

/// One node's reply to a command sent to several nodes. An error reply stays here, in place.
struct NodeReply {
  std::string node; ///< "host:port"
  Reply reply;
};

/// A Lua script: its source and its SHA1 digest. eval() runs it with EVALSHA and, on a node that
/// does not have it cached yet (NOSCRIPT: a fresh server, a replica promoted by a failover), sends
/// the source once with EVAL, which caches it there.
class Script {
public:
  explicit Script(std::string source);
  const std::string& source() const noexcept { return source_; }
  /// 40 lower-case hex digits, as SCRIPT LOAD answers.
  const std::string& sha1() const noexcept { return sha1_; }

private:
  std::string source_;
  std::string sha1_;
};

/// The SHA1 digest of `data` as 40 lower-case hex digits.
std::string sha1_hex(std::string_view data);

} // namespace redis_toolkit
