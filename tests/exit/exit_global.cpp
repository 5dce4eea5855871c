// Toolkits at namespace scope, destroyed after main returns (or by exit() from another thread),
// in whatever order the static destructors run. Usage: rtk_exit_global SCENARIO
// (no_call, calls, cleanup, pending, subscribed, exit_from_thread; see exit_program.hpp).
#include "exit_program.hpp"

namespace {
redis_toolkit::RedisToolkit blocking_toolkit(rtk_exit::config_from_environment());
redis_toolkit::AsyncRedisToolkit async_toolkit(rtk_exit::config_from_environment());
// Declared after the toolkits: destroyed before them, while they still run.
redis_toolkit::Subscription blocking_subscription;
redis_toolkit::Subscription async_subscription;
} // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  return rtk_exit::play(argv[1], blocking_toolkit, async_toolkit, blocking_subscription,
                        async_subscription);
}
