#pragma once
// The requests written to one connection and not yet answered, oldest first. Redis answers in order,
// so each reply completes the oldest request; a request made of N pipelined commands completes after
// its N-th reply. No sockets and no actors here: the connection actor drives it, the tests drive it.

#include "spare_buffers.hpp"

#include "redis_toolkit/reply.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace redis_toolkit::detail {

/// `count` copies of a failure reply, the answer to a batch that never got its replies.
inline std::vector<Reply> failure_replies(std::uint32_t count, Reply::Type kind,
                                          const std::string& server, const std::string& reason) {
  return std::vector<Reply>(count, Reply::failure(kind, server, reason));
}

/// `Promise` is anything with deliver(std::vector<Reply>) (caf::response_promise in the actor).
template <typename Promise>
class PendingRequests {
public:
  using Clock = std::chrono::steady_clock;
  /// For requests the connection makes itself (the login pipeline).
  using InternalCallback = std::function<void(std::vector<Reply>&)>;

  void push(Promise promise, std::uint32_t count, Clock::time_point sent_at) {
    if (count == 0) {
      promise.deliver(std::vector<Reply>{});
      return;
    }
    entries_.push_back(Entry{std::move(promise), {}, count, sent_at, {}});
    entries_.back().replies = Spares<std::vector<Reply>>::take(count);
  }

  void push_internal(std::uint32_t count, Clock::time_point sent_at, InternalCallback callback) {
    entries_.push_back(Entry{Promise{}, {}, count, sent_at, std::move(callback)});
  }

  /// Hands one reply to the oldest request; false when no request is waiting (a protocol fault).
  bool complete_one(Reply reply) {
    if (entries_.empty()) return false;
    Entry& oldest = entries_.front();
    oldest.replies.push_back(std::move(reply));
    if (oldest.replies.size() < oldest.count) return true;
    // Take the entry out before delivering: an internal callback may fail everything else.
    Entry done = std::move(oldest);
    entries_.pop_front();
    finish(done, done.replies);
    return true;
  }

  /// Answers every waiting request with failure replies (the connection is gone).
  void fail_all(Reply::Type kind, const std::string& server, const std::string& reason) {
    std::deque<Entry> failed;
    failed.swap(entries_);
    for (Entry& entry : failed) {
      auto replies = std::move(entry.replies);
      replies.resize(entry.count, Reply::failure(kind, server, reason));
      finish(entry, replies);
    }
  }

  bool oldest_waiting_longer_than(Clock::duration limit, Clock::time_point now) const {
    return !entries_.empty() && now - entries_.front().sent_at > limit;
  }

  bool empty() const noexcept { return entries_.empty(); }
  std::size_t size() const noexcept { return entries_.size(); }

private:
  struct Entry {
    Promise promise;
    std::vector<Reply> replies;
    std::uint32_t count;
    Clock::time_point sent_at;
    InternalCallback internal;
  };

  static void finish(Entry& entry, std::vector<Reply>& replies) {
    if (entry.internal) entry.internal(replies);
    else entry.promise.deliver(std::move(replies));
  }

  std::deque<Entry> entries_;
};

} // namespace redis_toolkit::detail
