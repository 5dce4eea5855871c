#pragma once
// The buffers of spent requests, kept per thread for the next requests planned on it. A request's
// command vector and RESP bytes are made on the thread that plans the call and used up on the
// router's: RouterCore::submit swaps them with an operation's emptied ones. The router keeps
// those of async calls on its own thread, CAF's I/O thread, where the callbacks that plan the
// next calls run; a blocking caller's comes back with its replies. Memory then goes back and
// forth instead of being made on one thread and freed on another for every call, which glibc's
// allocator makes dear.
//
//   keep_request_buffers(spent);                  // on the thread that plans the next calls
//   CommandRequest request = fresh_request();     // the same thread: no allocation for its buffers
//
// Rules: only this thread's requests use what it keeps; a buffer too large to be worth keeping
// (a big value's bytes) and any beyond a bound per thread are freed, so memory stays bounded.

#include "redis_toolkit/command_request.hpp"

#include <vector>

namespace redis_toolkit::detail {

/// Keeps the buffers of `spent` (emptied) for requests this thread plans next.
void keep_request_buffers(CommandRequest& spent) noexcept;
/// A default request whose vector and bytes are kept buffers of this thread's when it has some.
CommandRequest fresh_request() noexcept;

} // namespace redis_toolkit::detail
