#pragma once
// Completion actors: where the async toolkit's continuations and user callbacks run. A toolkit has
// one, a broker on CAF's I/O thread beside the routers and connections it talks to, so a round of
// calls (the replies, their callbacks, the calls those make) moves between actors of one thread:
// a message between them is a queue entry, where one to a worker thread is a wake-up (a futex, or
// the multiplexer's pipe back), which costs more than the rest of the call on virtual machines.
// A Task starts requests with the actor as `self`, so their replies (and the callbacks they
// complete) arrive on that actor, never on the caller's thread.

#include "redis_toolkit/actor_protocol.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/io/broker.hpp>

#include <atomic>
#include <exception>
#include <functional>
#include <memory>
#include <string>

namespace redis_toolkit::detail {

using run_atom = caf::atom_constant<caf::atom("rtk_run")>;
/// Send a request for a PendingCall: (call_atom, caf::actor router, CommandRequest,
/// std::shared_ptr<PendingCall>). The completion actor asks the router with a tag of its own
/// (router.hpp) and completes the call when the tagged reply comes, or fails it when the router
/// ends first; its own end fails every call it still holds.
using call_atom = caf::atom_constant<caf::atom("rtk_call")>;
/// Work for a completion actor: (run_atom, Task).
using Task = std::function<void(caf::io::broker* self)>;

/// `owner` names the actor for call_here: the completion actor of the owner whose number is
/// `owner` (new_completion_owner()). The system must have loaded CAF's middleman.
caf::actor spawn_completion_actor(caf::actor_system& system, std::uint64_t owner);
/// A number no other owner of completion actors in this process has had.
std::uint64_t new_completion_owner() noexcept;

/// One async call of a plain C++ caller. It completes exactly once: with the replies, with an
/// error, or, when it is destroyed unanswered (the toolkit was shut down), with a ConnectionError.
/// Made by make_pending_call(), one allocation with the function that finishes it.
class PendingCall {
public:
  PendingCall(std::string server, const char* operation)
      : server_(std::move(server)), operation_(operation) {}
  virtual ~PendingCall() = default;
  PendingCall(const PendingCall&) = delete;
  PendingCall& operator=(const PendingCall&) = delete;

  /// Runs the finishing function with the replies (null on error) or the error, once.
  void complete(std::vector<Reply>* replies, std::exception_ptr error) noexcept;
  void fail(const char* reason) noexcept;

protected:
  virtual void finish(std::vector<Reply>* replies, std::exception_ptr error) = 0;
  /// Every final class calls this in its destructor, while finish() can still run.
  void fail_if_unanswered() noexcept;

private:
  std::string server_;
  const char* operation_;
  std::atomic<bool> done_{false};
};

template <typename Finish>
class PendingCallOf final : public PendingCall {
public:
  PendingCallOf(std::string server, const char* operation, Finish finish)
      : PendingCall(std::move(server), operation), finish_(std::move(finish)) {}
  ~PendingCallOf() override { fail_if_unanswered(); }

private:
  void finish(std::vector<Reply>* replies, std::exception_ptr error) override {
    finish_(replies, std::move(error));
  }
  Finish finish_;
};

/// A call whose completion runs `finish(std::vector<Reply>* replies, std::exception_ptr error)`:
/// the decoder and the user callback. `operation` names it in errors (a string literal).
template <typename Finish>
std::shared_ptr<PendingCall> make_pending_call(std::string server, const char* operation,
                                               Finish finish) {
  return std::make_shared<PendingCallOf<Finish>>(std::move(server), operation, std::move(finish));
}

/// True on a thread running a completion actor's callbacks: a blocking call there would wait for
/// the very thread it holds.
bool in_completion_callback() noexcept;

/// When this thread is running callbacks of the completion actor of `owner`, registers
/// `call` and queues its request for `router` right there, as (call_atom, ...) would, and returns
/// true: the calls a callback makes need no message of their own, and they leave with the
/// callbacks' round. Calls from one thread keep their order either way. It touches no lock and no
/// reference count: it runs for nearly every call of a caller that calls from its callbacks.
bool call_here(std::uint64_t owner, const caf::actor& router,
               CommandRequest& request, std::shared_ptr<PendingCall>& call);

} // namespace redis_toolkit::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(redis_toolkit::detail::Task)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<redis_toolkit::detail::PendingCall>)
