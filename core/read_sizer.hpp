#pragma once
// How much a connection asks its socket for on the next read: a rule of its own, tested with no
// socket (tests/core/read_sizer_tests.cpp).

#include <cstddef>

namespace redis_toolkit::detail {

/// The size of a connection's next read. CAF 0.17's scribe zero-fills its whole read buffer
/// before every read (it shrinks the buffer to each message's size and grows it back), so the
/// size follows what the server sends: small while replies are small, the full size as soon as a
/// read fills the buffer (a large reply, many replies at once), and small again only after many
/// reads that the small size would have held.
class ReadSizer {
public:
  static constexpr std::size_t small = 4 * 1024;
  static constexpr std::size_t large = 64 * 1024;
  /// Large reads in a row that fit in `small` before the size goes back down.
  static constexpr int shrink_after = 64;

  std::size_t current() const noexcept { return current_; }
  /// After a read of `bytes`: the size for the next read when it changes, 0 when it stays.
  std::size_t after_read(std::size_t bytes) noexcept {
    if (current_ == small) {
      if (bytes < small) return 0;
      current_ = large;
      fitting_ = 0;
      return large;
    }
    if (bytes > small) {
      fitting_ = 0;
      return 0;
    }
    if (++fitting_ < shrink_after) return 0;
    current_ = small;
    return small;
  }

private:
  std::size_t current_ = small;
  int fitting_ = 0;
};

} // namespace redis_toolkit::detail
