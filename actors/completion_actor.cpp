#include "completion_actor.hpp"

#include "redis_toolkit/errors.hpp"
#include "redis_toolkit/logging.hpp"

#include <caf/all.hpp>

namespace redis_toolkit::detail {

caf::actor spawn_completion_actor(caf::actor_system& system, std::size_t index) {
  // The index travels as a spawn argument: CAF 0.17 binds a null reference for argument-less
  // functor actors (UBSan reports it).
  return system.spawn(
      [](caf::event_based_actor* self, std::size_t) -> caf::behavior {
        return {[self](run_atom, Task& task) { task(self); }};
      },
      index);
}

PendingCall::~PendingCall() { fail("the toolkit was shut down before the reply came"); }

void PendingCall::complete(std::vector<Reply>* replies, std::exception_ptr error) noexcept {
  if (done_.exchange(true)) return;
  try {
    finish_(replies, std::move(error));
  } catch (const std::exception& problem) {
    RTK_LOG_ERROR("a completion callback of " << operation_ << " threw: " << problem.what());
  } catch (...) {
    RTK_LOG_ERROR("a completion callback of " << operation_ << " threw a non-standard exception");
  }
}

void PendingCall::fail(const std::string& reason) noexcept {
  if (done_.load()) return;
  std::exception_ptr error;
  try {
    throw ConnectionError(server_, operation_, reason);
  } catch (...) {
    error = std::current_exception();
  }
  complete(nullptr, error);
}

Task router_call(caf::actor router, CommandRequest request, std::shared_ptr<PendingCall> call) {
  return [router = std::move(router), request = std::move(request),
          call = std::move(call)](caf::event_based_actor* self) mutable {
    self->request(router, caf::infinite, exec_atom::value, std::move(request))
        .then([call](std::vector<Reply>& replies) { call->complete(&replies, nullptr); },
              [self, call](caf::error& error) {
                call->fail("router unavailable: " + self->system().render(error));
              });
  };
}

} // namespace redis_toolkit::detail
