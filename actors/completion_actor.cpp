#include "completion_actor.hpp"

#include "router.hpp"

#include "redis_toolkit/errors.hpp"
#include "redis_toolkit/logging.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <unordered_map>

namespace redis_toolkit::detail {
namespace {

struct CompletionState {
  struct Waiting {
    std::shared_ptr<PendingCall> call;
    caf::actor_addr router;
  };
  /// Calls sent to a router, by tag. Destroyed with the actor: every call left fails then.
  std::unordered_map<std::uint64_t, Waiting> calls;
  std::uint64_t next_tag = 1;
  std::vector<caf::actor_addr> watched; ///< routers monitored (one or two per toolkit)
  /// Requests of this round of the mailbox, per router, sent together by the posted flush.
  std::vector<std::pair<caf::actor, TaggedRequests>> outbox;
  bool flush_posted = false;
  static inline const char* name = "rtk_completion";
};

using send_atom = caf::atom_constant<caf::atom("rtk_csend")>;

using CompletionActor = caf::stateful_actor<CompletionState>;

void send_outbox(CompletionActor* self) {
  auto& state = self->state;
  state.flush_posted = false;
  std::vector<std::pair<caf::actor, TaggedRequests>> outbox;
  outbox.swap(state.outbox);
  for (auto& [router, requests] : outbox) self->send(router, exec_atom::value, std::move(requests));
}

caf::behavior completion_actor(CompletionActor* self, std::size_t) {
  self->set_down_handler([self](caf::down_msg& down) {
    auto& calls = self->state.calls;
    std::vector<std::shared_ptr<PendingCall>> lost;
    for (auto it = calls.begin(); it != calls.end();) {
      if (it->second.router == down.source) {
        lost.push_back(std::move(it->second.call));
        it = calls.erase(it);
      } else {
        ++it;
      }
    }
    auto& watched = self->state.watched;
    watched.erase(std::remove(watched.begin(), watched.end(), down.source), watched.end());
    for (auto& call : lost) call->fail("router unavailable: it ended before answering");
  });
  return {
      [self](run_atom, Task& task) { task(self); },
      [self](call_atom, const caf::actor& router, CommandRequest& request,
             std::shared_ptr<PendingCall>& call) {
        auto& state = self->state;
        if (std::find(state.watched.begin(), state.watched.end(), router.address()) ==
            state.watched.end()) {
          self->monitor(router);
          state.watched.push_back(router.address());
        }
        const std::uint64_t tag = state.next_tag++;
        state.calls.emplace(tag, CompletionState::Waiting{std::move(call), router.address()});
        // Calls made in this round (a burst from a caller, the next calls started by callbacks)
        // go to the router in one message, sent by a flush queued behind them.
        auto target = std::find_if(state.outbox.begin(), state.outbox.end(),
                                   [&](const auto& each) { return each.first == router; });
        if (target == state.outbox.end()) {
          state.outbox.emplace_back(router, TaggedRequests{});
          target = std::prev(state.outbox.end());
        }
        target->second.items.emplace_back(tag, std::move(request));
        if (state.flush_posted) return;
        if (self->mailbox().empty()) { // no other call to share the message with
          send_outbox(self);
          return;
        }
        state.flush_posted = true;
        self->send(self, send_atom::value);
      },
      [self](send_atom) { send_outbox(self); },
      [self](reply_atom, TaggedReplies& answers) {
        for (auto& [tag, replies] : answers.items) {
          auto found = self->state.calls.find(tag);
          if (found == self->state.calls.end()) continue;
          auto call = std::move(found->second.call);
          self->state.calls.erase(found);
          call->complete(&replies, nullptr);
        }
      },
  };
}

} // namespace

caf::actor spawn_completion_actor(caf::actor_system& system, std::size_t index) {
  // The index travels as a spawn argument: CAF 0.17 binds a null reference for argument-less
  // functor actors (UBSan reports it).
  return system.spawn(completion_actor, index);
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

} // namespace redis_toolkit::detail
