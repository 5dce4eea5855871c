#include "request_buffers.hpp"

#include <algorithm>

namespace redis_toolkit::detail {
namespace {

/// What one thread keeps at most: enough for ten thousand small calls in flight, and a bounded
/// amount of memory whatever the calls were (a buffer larger than a few kilobytes is not kept).
constexpr std::size_t kept_per_thread = 16384;
constexpr std::size_t kept_bytes_per_thread = 2 * 1024 * 1024; // wires and command vectors each
constexpr std::size_t largest_kept_bytes = 4096;

struct Kept {
  std::vector<std::vector<Command>> commands;
  std::vector<std::string> wires;
  std::size_t command_bytes = 0; ///< the capacity of `commands`' vectors, in bytes
  std::size_t wire_bytes = 0;    ///< the capacity of `wires`
};

Kept& kept() {
  thread_local Kept buffers;
  return buffers;
}

/// Room in `list` for one more, within the bounds; false when there is none (or no memory).
template <typename T> bool room(std::vector<T>& list, std::size_t bytes_now, std::size_t adding) {
  if (list.size() >= kept_per_thread || bytes_now + adding > kept_bytes_per_thread) return false;
  if (list.size() < list.capacity()) return true;
  try {
    list.reserve(std::min(kept_per_thread, std::max<std::size_t>(64, 2 * list.capacity())));
    return true;
  } catch (...) {
    return false;
  }
}

} // namespace

void keep_request_buffers(CommandRequest& request) noexcept {
  Kept& buffers = kept();
  const std::size_t command_bytes = request.commands.capacity() * sizeof(Command);
  if (command_bytes > 0 && command_bytes <= largest_kept_bytes &&
      room(buffers.commands, buffers.command_bytes, command_bytes)) {
    request.commands.clear();
    buffers.commands.push_back(std::move(request.commands)); // no allocation: room() reserved
    buffers.command_bytes += command_bytes;
  }
  const std::size_t wire_bytes = request.wire.capacity();
  if (wire_bytes > std::string().capacity() && wire_bytes <= largest_kept_bytes &&
      room(buffers.wires, buffers.wire_bytes, wire_bytes)) {
    request.wire.clear();
    buffers.wires.push_back(std::move(request.wire));
    buffers.wire_bytes += wire_bytes;
  }
}

CommandRequest fresh_request() noexcept {
  CommandRequest request;
  Kept& buffers = kept();
  if (!buffers.commands.empty()) {
    request.commands.swap(buffers.commands.back());
    buffers.commands.pop_back();
    buffers.command_bytes -= request.commands.capacity() * sizeof(Command);
  }
  if (!buffers.wires.empty()) {
    request.wire.swap(buffers.wires.back());
    buffers.wires.pop_back();
    buffers.wire_bytes -= request.wire.capacity();
  }
  return request;
}

} // namespace redis_toolkit::detail
