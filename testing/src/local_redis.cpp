#include "redis_toolkit/local_redis.hpp"

#include <cstdlib>
#include <cstring>

namespace redis_toolkit {

LocalRedis LocalRedis::connect_or_start() {
  LocalRedis local;
  const char* mode = std::getenv("RTK_LOCAL_REDIS");
  const bool throwaway_only = mode != nullptr && std::strcmp(mode, "throwaway") == 0;
  if (!throwaway_only && redis_answers(local.host_, local.port_, std::chrono::milliseconds(300)))
    return local;
  local.process_.emplace(RedisServerProcess::start());
  local.host_ = local.process_->host();
  local.port_ = local.process_->port();
  return local;
}

RedisConnectionConfig LocalRedis::config() const {
  RedisConnectionConfig config;
  config.host = host_;
  config.port = port_;
  return config;
}

std::string LocalRedis::describe() const {
  return host_ + ":" + std::to_string(port_) +
         (started_here() ? " (throwaway redis-server)" : " (already running)");
}

} // namespace redis_toolkit
