#pragma once
// A Redis to talk to for the demo and the examples: the one on 127.0.0.1:6379 when it answers,
// otherwise a throwaway redis-server started on a free port (and stopped with this object).
// Setting RTK_LOCAL_REDIS=throwaway always starts a private one (the test suite does, so that it
// never touches a server someone else uses).
//
//   redis_toolkit::LocalRedis local = redis_toolkit::LocalRedis::connect_or_start();
//   redis_toolkit::RedisToolkit toolkit(local.config());

#include "redis_toolkit/config.hpp"
#include "redis_toolkit/server_launcher.hpp"

#include <optional>
#include <string>

namespace redis_toolkit {

class LocalRedis {
public:
  /// Throws ConnectionError, with the install hint, when no server answers and none can be started.
  static LocalRedis connect_or_start();

  RedisConnectionConfig config() const;
  /// True when this object started the server (it stops it when destroyed).
  bool started_here() const noexcept { return process_.has_value(); }
  /// "127.0.0.1:6379 (already running)" or "127.0.0.1:41234 (throwaway redis-server)".
  std::string describe() const;

private:
  std::string host_ = "127.0.0.1";
  std::uint16_t port_ = 6379;
  std::optional<RedisServerProcess> process_;
};

} // namespace redis_toolkit
