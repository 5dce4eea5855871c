#include "completion_actor.hpp"

#include "request_buffers.hpp"
#include "router.hpp"
#include "slab.hpp"

#include "redis_toolkit/errors.hpp"
#include "redis_toolkit/logging.hpp"

#include <caf/all.hpp>

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
  std::size_t index = 0;
  /// Requests of this round of the mailbox, per router, sent together by the posted flush.
  std::vector<std::pair<caf::actor, TaggedRequests>> outbox;
  bool flush_posted = false;
  std::vector<Reply> replies; ///< the replies of the call being completed (see reply_atom)
  /// Replies answered and handed on as copies, to go back to the I/O thread with the next
  /// requests (take_reply); within spent_replies_kept and spent_reply_bytes_kept, the rest freed
  /// here.
  std::vector<Reply> spent_replies;
  std::size_t spent_replies_bytes = 0; ///< the capacity of their strings
  static inline const char* name = "rtk_completion";
};

using send_atom = caf::atom_constant<caf::atom("rtk_csend")>;

/// Calls made by callbacks leave in chunks of this many while later callbacks still run.
constexpr std::size_t chunk_size = 16;

/// Replies kept to go back to the I/O thread when this actor has no requests to send them with,
/// at most: so many, and so many bytes of strings. An actor whose caller stopped after a burst
/// holds them until its next requests, so the bound is what an idle actor may hold.
constexpr std::size_t spent_replies_kept = 4096;
constexpr std::size_t spent_reply_bytes_kept = 1024 * 1024;
/// The largest string a reply is copied with (take_reply): beyond it the copy costs more than
/// the free it moves.
constexpr std::size_t largest_copied_reply = 16 * 1024;

/// Puts the reply a callback gets into `into`: a copy made on this thread when it is a small
/// string (or a status, an integer, nil), `from` itself otherwise. The original goes back to the
/// I/O thread that allocated it (TaggedRequests::spent_replies): a block glibc's allocator gave
/// one thread and another frees takes the owner's arena lock, which the owner's own allocations
/// contend for, a futex round on every reply under load; a copy is freed where it was made.
void take_reply(std::vector<Reply>& into, Reply& from) {
  if (from.elements.empty() && from.text.size() <= largest_copied_reply) into.push_back(from);
  else into.push_back(std::move(from));
}

/// Keeps this round's replies, handed on as copies, for the next requests to take back; what
/// would pass the bounds is freed here instead.
void keep_spent_replies(CompletionState& state, std::vector<Reply>& replies) {
  std::size_t adding = 0;
  for (const Reply& reply : replies) adding += reply.text.capacity();
  if (state.spent_replies.size() + replies.size() <= spent_replies_kept &&
      state.spent_replies_bytes + adding <= spent_reply_bytes_kept) {
    state.spent_replies_bytes += adding;
    if (state.spent_replies.empty())
      state.spent_replies.swap(replies); // no allocation in the steady state
    else
      state.spent_replies.insert(state.spent_replies.end(),
                                 std::make_move_iterator(replies.begin()),
                                 std::make_move_iterator(replies.end()));
  }
  replies.clear();
}

using CompletionActor = caf::stateful_actor<CompletionState>;

void send_outbox(CompletionActor* self) {
  auto& state = self->state;
  state.flush_posted = false;
  std::vector<std::pair<caf::actor, TaggedRequests>> outbox;
  outbox.swap(state.outbox);
  for (auto& [router, requests] : outbox) {
    // Every router of the system runs on its one I/O thread: any of them takes the replies back.
    if (!state.spent_replies.empty()) {
      requests.spent_replies.swap(state.spent_replies);
      state.spent_replies_bytes = 0;
    }
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
    target->second.items.reserve(chunk_size); // a chunk's worth in one allocation
  }
  target->second.items.emplace_back(tag, std::move(request));
}

std::size_t outbox_size(CompletionActor* self) {
  std::size_t size = 0;
  for (const auto& each : self->state.outbox) size += each.second.items.size();
  return size;
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

caf::behavior completion_actor(CompletionActor* self, std::uint64_t owner, std::size_t index) {
  self->state.owner = owner;
  self->state.index = index;
  self->set_down_handler([self](caf::down_msg& down) {
    auto& watched = self->state.watched;
    const auto found = std::find_if(watched.begin(), watched.end(),
                                    [&](const auto& each) { return each.second == down.source; });
    if (found == watched.end()) return;
    auto lost = self->state.calls.take_all_of(found->first);
    watched.erase(found);
    for (auto& call : lost) call->fail("router unavailable: it ended before answering");
  });
  return {
      [self](run_atom, Task& task) { task(self); },
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
        // Calls the callbacks make go straight into the outbox (call_here), and leave in chunks
        // while the later callbacks still run: the router and Redis start on the first chunk
        // instead of waiting for the last callback.
        Running running(self);
        std::vector<Reply>& each = self->state.replies;
        std::size_t next = 0;
        for (const auto& [tag, count] : answers.items) {
          // One call's replies in a vector this actor keeps: its capacity serves every call.
          each.clear();
          const std::size_t end = std::min(next + count, answers.replies.size());
          for (std::size_t i = next; i < end; ++i) take_reply(each, answers.replies[i]);
          next = end;
          if (auto call = self->state.calls.take(tag)) call->complete(&each, nullptr);
          if (outbox_size(self) >= chunk_size) send_outbox(self);
        }
        if (!self->state.outbox.empty()) send_outbox(self);
        keep_request_buffers(answers.spent); // for the calls planned on this thread next
        keep_spent_replies(self->state, answers.replies);
      },
  };
}

} // namespace

caf::actor spawn_completion_actor(caf::actor_system& system, std::uint64_t owner,
                                  std::size_t index) {
  return system.spawn(completion_actor, owner, index);
}

std::uint64_t new_completion_owner() noexcept {
  static std::atomic<std::uint64_t> last{0};
  return ++last;
}

bool call_here(std::uint64_t owner, std::size_t index, const caf::actor& router,
               CommandRequest& request, std::shared_ptr<PendingCall>& call) {
  CompletionActor* self = running_here;
  if (self == nullptr || self->state.owner != owner || self->state.index != index) return false;
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
