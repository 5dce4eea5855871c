#pragma once
// redis-cli from the tests: an independent client to set up or check what the toolkit did.
//
//   auto server = redis_toolkit::RedisServerProcess::start();
//   BOOST_TEST(rtk_test::run_redis_cli(server.port(), {"DEBUG", "SLEEP", "0"}) == "OK");

#include "redis_toolkit/server_launcher.hpp"

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

} // namespace rtk_test
