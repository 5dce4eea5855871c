#pragma once
// The toolkit's scheduling for an actor system of your own. Without a system of yours, the toolkit
// runs on one it makes itself, configured this way; with yours (to spawn your actors where the
// toolkit's live), call this on its config to get the same async speed:
//
//   caf::actor_system_config config;
//   config.load<caf::io::middleman>();              // the toolkit needs CAF's io module
//   redis_toolkit::configure_actor_system(config);  // before the system is made
//   caf::actor_system system{config};
//   redis_toolkit::AsyncRedisToolkit toolkit(system, connection);
//
// What it sets, and why (measured on 2 cores; docs/ASYNC_GUIDE.md, "Actors"):
//   - `workers` scheduler workers, by default half the cores and at least one (CAF's default is
//     max(4, cores)): a round of async calls hands over between the workers and CAF's I/O thread,
//     and Redis often runs on the same machine; more workers than the cores left to them take
//     those cores from the I/O thread and from Redis;
//   - CAF's work-stealing scheduler, except that a worker that ran out of jobs polls its queue for
//     up to 0.2 ms yielding its core between polls before it sleeps: a worker asleep between two
//     rounds makes each round wait for a wake-up, and a plain spin would hold the core the I/O
//     thread needs when the two share one;
//   - no 50 us naps between polls (CAF's moderate polling): a completion that arrives during a
//     nap waits for it;
//   - one read per readiness event on a socket (`middleman.max-consecutive-reads` 1, CAF's 50):
//     reading on until the socket runs dry costs a system call that returns nothing after every
//     reply, and what is left comes with the next event.
// Settings made on `config` afterwards win. The price is CPU: after each burst of work, a worker
// spends up to 0.2 ms of a core polling (yielding it to any thread that wants it); an idle system
// polls nothing.

#include <cstddef>

namespace caf {
class actor_system_config;
} // namespace caf

namespace redis_toolkit {

/// Half the cores, at least one: the number of workers configure_actor_system() sets by default.
std::size_t default_worker_count() noexcept;

/// Configures `config`'s scheduler as the toolkit's own actor system is configured (above).
/// `workers` 0 means default_worker_count().
void configure_actor_system(caf::actor_system_config& config, std::size_t workers = 0);

} // namespace redis_toolkit
