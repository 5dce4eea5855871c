#include "redis_toolkit/actor_system.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/policy/work_stealing.hpp>
#include <caf/scheduler/coordinator.hpp>

#include <algorithm>
#include <chrono>
#include <thread>

namespace redis_toolkit {
namespace {

/// CAF's work stealing, except that a worker that has run out of jobs keeps polling its queue for
/// up to 0.2 ms, yielding its core between polls, before CAF's own dequeue (a few polls, then a
/// condition variable that a new job signals). Async calls move in rounds (a completion, the next
/// calls, the replies, the next completion), and a worker asleep between two rounds makes each
/// round wait for a futex wake-up, which on virtual machines is what the round waits for. The
/// yield matters when the worker shares a core with the thread it waits for (CAF's I/O thread):
/// a plain spin holds that core until the kernel preempts it (measured against CAF's own spin:
/// docs/PERFORMANCE.md, "fewer workers, a yielding poll").
class YieldingStealing : public caf::policy::work_stealing {
public:
  static constexpr std::chrono::microseconds poll_time{200};

  template <class Worker>
  caf::resumable* dequeue(Worker* self) {
    const auto deadline = std::chrono::steady_clock::now() + poll_time;
    for (std::size_t polls = 0;; ++polls) {
      if (caf::resumable* job = d(self).queue.take_head()) return job;
      if (polls % 8 == 0)
        if (caf::resumable* job = try_steal(self)) return job;
      if (std::chrono::steady_clock::now() >= deadline) break;
      std::this_thread::yield();
    }
    return caf::policy::work_stealing::dequeue(self);
  }
};

} // namespace

std::size_t default_worker_count() noexcept {
  // Half the cores, at least one; CAF's own default is max(4, cores). The toolkit's actors hand a
  // round of calls between the workers and CAF's I/O thread (which runs the routers and the
  // connections), and Redis itself often runs on the same machine: workers polling between
  // rounds on more threads than the cores left to them take those cores from the I/O thread and
  // from Redis (the measurements: docs/PERFORMANCE.md, "fewer workers, a yielding poll").
  const unsigned cores = std::thread::hardware_concurrency();
  return std::max<std::size_t>(1, cores / 2);
}

void configure_actor_system(caf::actor_system_config& config, std::size_t workers) {
  config.set("scheduler.max-threads", workers == 0 ? default_worker_count() : workers);
  // After the yielding poll, CAF's dequeue polls a few times, then would sleep 50 us between
  // polls 500 times before it waits on a condition variable; those naps delay every completion
  // that arrives during one, so an idle worker goes straight to the condition variable.
  config.set("work-stealing.moderate-poll-attempts", std::size_t{0});
  // A connection reads once per readiness event: the socket is level-triggered, so what is left
  // comes with the next event, and the read CAF would add until the socket runs dry is a system
  // call that returns nothing after every reply of a lone caller.
  config.set("middleman.max-consecutive-reads", std::size_t{1});
  // The scheduler module: CAF makes its own only when no factory made one.
  config.module_factories.push_back([](caf::actor_system& system) -> caf::actor_system::module* {
    return new caf::scheduler::coordinator<YieldingStealing>(system);
  });
}

} // namespace redis_toolkit
