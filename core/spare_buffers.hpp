#pragma once
// Emptied buffers kept per thread for the next message of the same kind. The messages of a round
// of async calls carry large buffers between the actors of CAF's I/O thread: the completion
// actor's requests, the router's pipelines and their reply layouts, a connection's replies, the
// router's answers. Each was made for its message and freed by its receiver, so every round
// allocated and freed megabytes at 10,000 calls in flight, and glibc's allocator answered with
// fresh pages (mmap, or a heap it had trimmed with madvise) that the kernel then faulted in
// again, round after round. A receiver now gives the emptied buffer back here, and the next
// sender of that kind on the same thread takes it: the memory and its pages stay warm.
//
//   auto items = Spares<std::vector<Item>>::take(expected); // empty, room for `expected`
//   ... fill, send; the receiver, done with it:
//   Spares<std::vector<Item>>::give_back(items);            // emptied and kept, or freed
//
// Its counterpart for small buffers is request_buffers.hpp, which keeps thousands of each call's
// own command vectors and bytes; this keeps a few large buffers that carry a whole round.
//
// Rules: a small buffer (under spare_worthy_bytes) is made fresh, as glibc's per-thread caches
// serve those well, and a kept buffer is not lent to a small message that may carry it off to
// another thread (a blocking caller's replies). A thread keeps at most spares_per_kind buffers
// of a kind and spare_bytes_per_thread bytes of them all; a buffer beyond either bound is freed
// as before, so what a burst leaves behind stays bounded. Only the thread that kept a buffer
// takes it: no locking.

#include <cstddef>
#include <utility>

namespace redis_toolkit::detail {

/// Buffers of one kind a thread keeps at most: one per message of that kind a round has in
/// flight at once (a connection's replies while the router's answers of the last part wait).
inline constexpr std::size_t spares_per_kind = 4;
/// Bytes of spare buffers one thread keeps at most, all kinds together: enough for the buffers
/// of a round of 10,000 small calls.
inline constexpr std::size_t spare_bytes_per_thread = 8 * 1024 * 1024;

/// The size from which a buffer is taken from and given back to the spares.
inline constexpr std::size_t spare_worthy_bytes = 4096;

/// The bytes this thread keeps in spare buffers now, all kinds together.
inline std::size_t& spare_bytes_here() noexcept {
  thread_local std::size_t bytes = 0;
  return bytes;
}

/// Spare buffers of kind `Buffer` (a std::vector or std::basic_string) for this thread.
template <typename Buffer>
class Spares {
public:
  /// An empty buffer with room for at least `size` elements: a kept one when this thread has one
  /// and `size` is worth one.
  static Buffer take(std::size_t size) {
    List& kept = list();
    Buffer buffer;
    if (kept.count > 0 && size * sizeof(typename Buffer::value_type) >= spare_worthy_bytes) {
      buffer.swap(kept.items[--kept.count]);
      spare_bytes_here() -= bytes_of(buffer);
    }
    if (buffer.capacity() < size) buffer.reserve(size);
    return buffer;
  }

  /// Empties `buffer` and keeps its memory for this thread's next take(), within the bounds;
  /// beyond them `buffer` is freed. Either way it is left empty.
  static void give_back(Buffer& buffer) noexcept {
    List& kept = list();
    const std::size_t bytes = bytes_of(buffer);
    buffer.clear();
    if (bytes < spare_worthy_bytes || kept.count == spares_per_kind ||
        spare_bytes_here() + bytes > spare_bytes_per_thread) {
      Buffer().swap(buffer);
      return;
    }
    kept.items[kept.count++].swap(buffer);
    spare_bytes_here() += bytes;
  }

  /// Buffers of this kind kept on this thread now.
  static std::size_t kept_here() noexcept { return list().count; }

private:
  struct List {
    Buffer items[spares_per_kind];
    std::size_t count = 0;
  };

  static List& list() noexcept {
    thread_local List kept;
    return kept;
  }

  static std::size_t bytes_of(const Buffer& buffer) noexcept {
    return buffer.capacity() * sizeof(typename Buffer::value_type);
  }
};

} // namespace redis_toolkit::detail
