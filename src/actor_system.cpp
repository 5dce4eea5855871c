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
/// a plain spin holds that core until the kernel preempts it. Measured on 2 cores, 100 calls in
/// flight over 100 keys with the worker and the I/O thread pinned to one core: 0.29-0.35M GETs/s
/// with CAF's spin of 50,000 polls, 0.44-0.59M with this (PERFORMANCE.md).
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
  // from Redis. Measured on 2 cores (rtk bench, 100 async calls in flight): one key 0.70-0.93x of
  // raw hiredis with 1 worker, 0.55-0.63x with CAF's 4; 100 keys 0.43-0.68x against 0.29-0.35x.
  const unsigned cores = std::thread::hardware_concurrency();
  return std::max<std::size_t>(1, cores / 2);
}

void configure_actor_system(caf::actor_system_config& config, std::size_t workers) {
  config.set("scheduler.max-threads", workers == 0 ? default_worker_count() : workers);
  // After the yielding poll, CAF's dequeue polls a few times, then would sleep 50 us between
  // polls 500 times before it waits on a condition variable; those naps delay every completion
  // that arrives during one (async calls at 1 and 100 in flight ran 1.6x faster without them), so
  // an idle worker goes straight to the condition variable.
  config.set("work-stealing.moderate-poll-attempts", std::size_t{0});
  // The scheduler module: CAF makes its own only when no factory made one.
  config.module_factories.push_back([](caf::actor_system& system) -> caf::actor_system::module* {
    return new caf::scheduler::coordinator<YieldingStealing>(system);
  });
}

} // namespace redis_toolkit
