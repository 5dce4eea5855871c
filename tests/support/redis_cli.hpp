#pragma once
// redis-cli from the tests: an independent client to set up or check what the toolkit did.
//
//   auto server = redis_toolkit::RedisServerProcess::start();
//   BOOST_TEST(rtk_test::run_redis_cli(server.port(), {"DEBUG", "SLEEP", "0"}) == "OK");

#include "redis_toolkit/server_launcher.hpp"

#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace rtk_test {

/// Runs `redis-cli -h 127.0.0.1 -p PORT ARGS...` and returns its output without the final newline.
/// redis-cli prints error replies (exit status 0) as "ERR ..."; a failure to run, a non-zero exit
/// status or the deadline throws std::runtime_error.
inline std::string run_redis_cli(std::uint16_t port, const std::vector<std::string>& arguments,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  std::vector<std::string> argv = {redis_toolkit::redis_cli_path(), "-h", "127.0.0.1", "-p",
                                   std::to_string(port)};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  redis_toolkit::ProgramOutput output = redis_toolkit::run_program(argv, timeout);
  if (output.exit_status != 0) {
    throw std::runtime_error("redis-cli on port " + std::to_string(port) + " failed (status " +
                             std::to_string(output.exit_status) + "): " + output.standard_output +
                             output.standard_error);
  }
  if (!output.standard_output.empty() && output.standard_output.back() == '\n') {
    output.standard_output.pop_back();
  }
  return output.standard_output;
}

/// SET key value then WAIT 1 on one connection to the master at `port` (WAIT counts only the writes
/// of its own connection, so a WAIT sent by another client proves nothing about this SET); returns
/// how many replicas acknowledged the write within `timeout`. A failure to connect or an error
/// reply throws std::runtime_error.
inline long long set_and_wait_for_replica(std::uint16_t port, const std::string& key,
                                          const std::string& value,
                                          std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  redisContext* context = redisConnect("127.0.0.1", port);
  if (context == nullptr || context->err) {
    const std::string reason = context ? context->errstr : "out of memory";
    redisFree(context);
    throw std::runtime_error("connecting to 127.0.0.1:" + std::to_string(port) + ": " + reason);
  }
  auto command = [&](const std::vector<std::string>& words) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const std::string& word : words) {
      argv.push_back(word.data());
      lengths.push_back(word.size());
    }
    auto* reply = static_cast<redisReply*>(redisCommandArgv(
        context, static_cast<int>(argv.size()), argv.data(), lengths.data()));
    if (reply == nullptr || reply->type == REDIS_REPLY_ERROR) {
      const std::string reason = reply ? std::string(reply->str, reply->len) : context->errstr;
      freeReplyObject(reply);
      redisFree(context);
      throw std::runtime_error(words.front() + " on port " + std::to_string(port) + ": " + reason);
    }
    const long long integer = reply->type == REDIS_REPLY_INTEGER ? reply->integer : 0;
    freeReplyObject(reply);
    return integer;
  };
  command({"SET", key, value});
  const long long acknowledged = command({"WAIT", "1", std::to_string(timeout.count())});
  redisFree(context);
  return acknowledged;
}

} // namespace rtk_test
