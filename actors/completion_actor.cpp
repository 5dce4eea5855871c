#include "completion_actor.hpp"

#include "router.hpp"
#include "slab.hpp"
#include "spare_buffers.hpp"

#include "redis_toolkit/errors.hpp"
#include "redis_toolkit/logging.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <algorithm>
#include <vector>

namespace redis_toolkit::detail {
namespace {

/// The calls a completion actor sent to routers, by tag (a Slab: nothing allocated per call once
/// warm; a stale or unknown tag finds nothing).
class CallTable {
public:
  std::uint64_t add(std::shared_ptr<PendingCall> call, const caf::abstract_actor* router) {
    auto [tag, entry] = entries_.add();
    entry->call = std::move(call);
    entry->router = router;
    return tag;
  }

  /// The call of `tag`, out of the table; null when there is none.
  std::shared_ptr<PendingCall> take(std::uint64_t tag) {
    Entry* entry = entries_.find(tag);
    if (entry == nullptr) return nullptr;
    auto call = std::move(entry->call);
    entries_.release(tag);
    if (entries_.shrink_when_empty(slab_slots_kept)) return_freed_memory();
    return call;
  }

  /// Every call sent to `router`, out of the table.
  std::vector<std::shared_ptr<PendingCall>> take_all_of(const caf::abstract_actor* router) {
    std::vector<std::uint64_t> tags;
    entries_.for_each([&](std::uint64_t tag, Entry& entry) {
      if (entry.router == router) tags.push_back(tag);
    });
    std::vector<std::shared_ptr<PendingCall>> taken;
    for (std::uint64_t tag : tags) taken.push_back(take(tag));
    return taken;
  }

private:
  struct Entry {
    std::shared_ptr<PendingCall> call;
    /// Which router has it; only compared. Every entry of a router leaves on its down message,
    /// so no entry outlives the router it names.
    const caf::abstract_actor* router = nullptr;
    void reset() {
      call.reset();
      router = nullptr;
    }
  };
  Slab<Entry> entries_;
};

struct CompletionState {
  /// Calls sent to a router. Destroyed with the actor: every call left fails then.
  CallTable calls;
  /// Routers monitored (one or two per toolkit), found by address without touching a
  /// reference count.
  std::vector<std::pair<const caf::abstract_actor*, caf::actor_addr>> watched;
  std::uint64_t owner = 0; ///< see spawn_completion_actor
  /// Requests of this round of the mailbox, per router, sent together at the round's end.
  std::vector<std::pair<caf::actor, TaggedRequests>> outbox;
  /// How many requests the last round sent: a new round's request list is made that large at
  /// once, not grown call by call.
  std::size_t last_round = 16;
  bool flush_posted = false;
  std::vector<Reply> replies; ///< the replies of the call being completed (see reply_atom)
  static inline const char* name = "rtk_completion";
};

using send_atom = caf::atom_constant<caf::atom("rtk_csend")>;

using CompletionActor = caf::stateful_actor<CompletionState, caf::io::broker>;

void send_outbox(CompletionActor* self) {
  auto& state = self->state;
  state.flush_posted = false;
  if (state.outbox.empty()) return;
  std::vector<std::pair<caf::actor, TaggedRequests>> outbox;
  outbox.swap(state.outbox);
  state.last_round = 0;
  for (auto& [router, requests] : outbox) {
    state.last_round += requests.items.size();
    self->send(router, exec_atom::value, std::move(requests));
  }
}

/// Registers `call` and queues its request for `router`.
void add_call(CompletionActor* self, const caf::actor& router, CommandRequest& request,
              std::shared_ptr<PendingCall>& call) {
  auto& state = self->state;
  const auto* target_router = caf::actor_cast<caf::abstract_actor*>(router);
  if (std::find_if(state.watched.begin(), state.watched.end(), [&](const auto& each) {
        return each.first == target_router;
      }) == state.watched.end()) {
    self->monitor(router);
    state.watched.emplace_back(target_router, router.address());
  }
  const std::uint64_t tag = state.calls.add(std::move(call), target_router);
  // Calls made in this round (a burst from a caller, the next calls started by callbacks) go to
  // the router in one message.
  auto target = std::find_if(state.outbox.begin(), state.outbox.end(),
                             [&](const auto& each) { return each.first == router; });
  if (target == state.outbox.end()) {
    state.outbox.emplace_back(router, TaggedRequests{});
    target = std::prev(state.outbox.end());
    target->second.items = Spares<decltype(target->second.items)>::take(state.last_round);
  }
  target->second.items.emplace_back(tag, std::move(request));
}

/// The completion actor whose callbacks run on this thread just now, if any.
thread_local CompletionActor* running_here = nullptr;

/// Marks the callbacks of one message as running on this thread.
class Running {
public:
  explicit Running(CompletionActor* self) : previous_(running_here) { running_here = self; }
  ~Running() { running_here = previous_; }
  Running(const Running&) = delete;
  Running& operator=(const Running&) = delete;

private:
  CompletionActor* previous_;
};

/// Runs `callbacks` (whatever may complete calls, and so run user callbacks) as Running, then
/// sends the calls they made.
template <typename Callbacks>
void run_callbacks(CompletionActor* self, Callbacks callbacks) {
  {
    Running running(self);
    callbacks();
  }
  if (!self->state.outbox.empty()) send_outbox(self);
}

caf::behavior completion_actor(CompletionActor* self, std::uint64_t owner) {
  self->state.owner = owner;
  self->set_down_handler([self](caf::down_msg& down) {
    auto& watched = self->state.watched;
    const auto found = std::find_if(watched.begin(), watched.end(),
                                    [&](const auto& each) { return each.second == down.source; });
    if (found == watched.end()) return;
    auto lost = self->state.calls.take_all_of(found->first);
    watched.erase(found);
    run_callbacks(self, [&] {
      for (auto& call : lost) call->fail("router unavailable: it ended before answering");
    });
  });
  return {
      [self](run_atom, Task& task) { run_callbacks(self, [&] { task(self); }); },
      [self](call_atom, const caf::actor& router, CommandRequest& request,
             std::shared_ptr<PendingCall>& call) {
        add_call(self, router, request, call);
        auto& state = self->state;
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
        // Calls the callbacks make go straight into the outbox (call_here) and leave together
        // after the last callback: the router runs on this thread, so it could not start on
        // an earlier part of them anyway.
        run_callbacks(self, [&] {
          std::vector<Reply>& each = self->state.replies;
          std::size_t next = 0;
          for (const auto& [tag, count] : answers.items) {
            // One call's replies in a vector this actor keeps: its capacity serves every call.
            each.clear();
            const std::size_t end = std::min(next + count, answers.replies.size());
            for (std::size_t i = next; i < end; ++i) each.push_back(std::move(answers.replies[i]));
            next = end;
            if (auto call = self->state.calls.take(tag)) call->complete(&each, nullptr);
          }
        });
        // The router, on this thread, makes its next answers in them.
        Spares<decltype(answers.items)>::give_back(answers.items);
        Spares<decltype(answers.replies)>::give_back(answers.replies);
      },
  };
}

} // namespace

caf::actor spawn_completion_actor(caf::actor_system& system, std::uint64_t owner) {
  return system.middleman().spawn_broker(completion_actor, owner);
}

std::uint64_t new_completion_owner() noexcept {
  static std::atomic<std::uint64_t> last{0};
  return ++last;
}

bool in_completion_callback() noexcept { return running_here != nullptr; }

bool call_here(std::uint64_t owner, const caf::actor& router, CommandRequest& request,
               std::shared_ptr<PendingCall>& call) {
  CompletionActor* self = running_here;
  if (self == nullptr || self->state.owner != owner) return false;
  add_call(self, router, request, call);
  return true;
}

void PendingCall::fail_if_unanswered() noexcept {
  fail("the toolkit was shut down before the reply came");
}

void PendingCall::complete(std::vector<Reply>* replies, std::exception_ptr error) noexcept {
  if (done_.exchange(true)) return;
  try {
    finish(replies, std::move(error));
  } catch (const std::exception& problem) {
    RTK_LOG_ERROR("a completion callback of " << operation_ << " threw: " << problem.what());
  } catch (...) {
    RTK_LOG_ERROR("a completion callback of " << operation_ << " threw a non-standard exception");
  }
}

void PendingCall::fail(const char* reason) noexcept {
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
