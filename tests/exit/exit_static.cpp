// Toolkits as function-local statics, as members of a singleton, and on an actor system of the
// caller's that is itself a static; all destroyed after main returns (or by exit() from another
// thread). Usage: rtk_exit_static PLACE SCENARIO, PLACE one of local_static, singleton,
// own_system; SCENARIO as in exit_program.hpp.
#include "exit_program.hpp"

#include "redis_toolkit/actor_system.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>

#include <memory>

namespace {

redis_toolkit::RedisToolkit& local_blocking() {
  static redis_toolkit::RedisToolkit toolkit(rtk_exit::config_from_environment());
  return toolkit;
}

redis_toolkit::AsyncRedisToolkit& local_async() {
  static redis_toolkit::AsyncRedisToolkit toolkit(rtk_exit::config_from_environment());
  return toolkit;
}

redis_toolkit::Subscription& local_subscription(int which) {
  static redis_toolkit::Subscription subscriptions[2];
  return subscriptions[which];
}

/// The usual process-wide client: a Meyers singleton holding both fronts and its subscriptions.
class RedisClients {
public:
  static RedisClients& instance() {
    static RedisClients clients;
    return clients;
  }
  redis_toolkit::RedisToolkit blocking{rtk_exit::config_from_environment()};
  redis_toolkit::AsyncRedisToolkit async{rtk_exit::config_from_environment()};
  redis_toolkit::Subscription blocking_subscription;
  redis_toolkit::Subscription async_subscription;
};

/// An actor system of the caller's, a static made before the toolkits that use it.
caf::actor_system& own_system() {
  static caf::actor_system_config config = [] {
    caf::actor_system_config made;
    made.load<caf::io::middleman>();
    redis_toolkit::configure_actor_system(made);
    return made;
  }();
  static caf::actor_system system(config);
  return system;
}

struct OnOwnSystem {
  static OnOwnSystem& instance() {
    static OnOwnSystem toolkits;
    return toolkits;
  }
  redis_toolkit::RedisToolkit blocking{own_system(), rtk_exit::config_from_environment()};
  redis_toolkit::AsyncRedisToolkit async{own_system(), rtk_exit::config_from_environment()};
  redis_toolkit::Subscription blocking_subscription;
  redis_toolkit::Subscription async_subscription;
};

} // namespace

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  const std::string place = argv[1];
  const std::string scenario = argv[2];
  if (place == "local_static")
    return rtk_exit::play(scenario, local_blocking(), local_async(), local_subscription(0),
                          local_subscription(1));
  if (place == "singleton") {
    RedisClients& clients = RedisClients::instance();
    return rtk_exit::play(scenario, clients.blocking, clients.async, clients.blocking_subscription,
                          clients.async_subscription);
  }
  if (place == "own_system") {
    OnOwnSystem& toolkits = OnOwnSystem::instance();
    return rtk_exit::play(scenario, toolkits.blocking, toolkits.async,
                          toolkits.blocking_subscription, toolkits.async_subscription);
  }
  return 2;
}
