// Any Redis command through the toolkit (what Python users did with `toolkit.client`): a counter,
// a hash, a pipeline, a transaction whose watched key another client changes, and a Lua script.
// Runs against 127.0.0.1:6379, or a throwaway redis-server when nothing answers there.
#include <redis_toolkit/async_toolkit.hpp>
#include <redis_toolkit/local_redis.hpp>
#include <redis_toolkit/toolkit.hpp>

#include <iostream>

#include "example_support.hpp"

using redis_toolkit::CommandArguments;
using redis_toolkit::Reply;

int main() try {
  example::Checks checks;
  auto local = redis_toolkit::LocalRedis::connect_or_start();
  std::cout << "Redis: " << local.describe() << "\n";
  redis_toolkit::RedisToolkit toolkit(local.config());
  toolkit.command({"DEL", "example:visits", "example:user:1", "example:balance", "example:total"});

  // 1. A counter: client.incr(k) in Python is command({"INCR", k}) here; replies read as their kind.
  toolkit.command({"INCR", "example:visits"});
  const std::int64_t visits = toolkit.command({"INCRBY", "example:visits", "41"}).as_integer();
  std::cout << "visits -> " << visits << "\n";
  checks.expect(visits == 42, "INCR then INCRBY 41 makes 42");

  // 2. A hash, with an expiry. Arguments are binary-safe strings.
  toolkit.command({"HSET", "example:user:1", "name", "Ada", "lang", "C++"});
  toolkit.command({"EXPIRE", "example:user:1", "3600"});
  const Reply fields = toolkit.command({"HGETALL", "example:user:1"});
  for (std::size_t i = 0; i + 1 < fields.as_array().size(); i += 2)
    std::cout << "user:1 " << fields.as_array()[i].as_string() << " = "
              << fields.as_array()[i + 1].as_string() << "\n";
  checks.expect(toolkit.command({"HGET", "example:user:1", "lang"}).as_string() == "C++", "HGET");
  checks.expect(toolkit.command({"HGET", "example:user:1", "missing"}).is_nil(), "nil reply");

  // 3. An error reply is a CommandError naming the command (never its arguments).
  try {
    toolkit.command({"LPUSH", "example:user:1", "x"});
    checks.expect(false, "LPUSH on a hash fails");
  } catch (const redis_toolkit::CommandError& error) {
    std::cout << "error  -> " << error.what() << "\n";
  }

  // 4. A pipeline: one round trip, replies in order, an error reply stays in its place.
  auto pipeline = toolkit.pipeline();
  pipeline.add({"SET", "example:balance", "100"}).add({"INCR", "example:user:1"}).add({"GET", "example:balance"});
  const std::vector<Reply> replies = pipeline.execute();
  std::cout << "pipeline -> " << replies.size() << " replies, the second an error: "
            << replies[1].is_error() << "\n";
  checks.expect(replies[0].is_ok() && replies[1].is_error() && replies[2].as_string() == "100",
                "pipeline replies in order");

  // 5. A transaction with WATCH: read, compute, write; when another client changes the balance
  //    between the read and EXEC (here on purpose, the first time), it all runs again.
  int attempts = 0;
  redis_toolkit::RedisToolkit other_client(local.config()); // stands for another program
  auto spent = toolkit.transaction(
      {"example:balance"}, {{"GET", "example:balance"}},
      [&](const std::vector<Reply>& read) -> std::vector<CommandArguments> {
        if (++attempts == 1) other_client.command({"INCRBY", "example:balance", "5"});
        const long balance = std::stol(read[0].as_string());
        return {{"SET", "example:balance", std::to_string(balance - 30)}};
      });
  std::cout << "transaction -> " << (spent ? "committed" : "gave up") << " after " << attempts
            << " attempts, balance " << toolkit.command({"GET", "example:balance"}).as_string() << "\n";
  checks.expect(spent.has_value() && attempts == 2, "the conflict made it run twice");
  checks.expect(toolkit.command({"GET", "example:balance"}).as_string() == "75", "105 - 30");

  // 6. A Lua script: EVALSHA, and the source once where the server does not have it cached.
  const redis_toolkit::Script add("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  toolkit.eval(add, {"example:total"}, {"5"});
  const std::int64_t total = toolkit.eval(add, {"example:total"}, {"10"}).as_integer();
  std::cout << "script " << add.sha1() << " -> " << total << "\n";
  checks.expect(total == 15, "the script ran twice");

  // 7. The same without blocking.
  redis_toolkit::AsyncRedisToolkit async_toolkit(local.config());
  std::future<Reply> pending = async_toolkit.command({"INCR", "example:visits"});
  checks.expect(pending.get().as_integer() == 43, "async INCR");

  toolkit.command({"DEL", "example:visits", "example:user:1", "example:balance", "example:total"});
  return checks.finish("commands");
} catch (const std::exception& error) {
  std::cerr << "commands: " << error.what() << "\n";
  return 1;
}
