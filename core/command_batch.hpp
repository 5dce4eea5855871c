#pragma once
// One pipeline for one connection: what the router hands a node connection to send.

#include <cstdint>
#include <string>

namespace redis_toolkit::detail {

/// `count` commands back to back, RESP-encoded: one reply comes back per command, in order.
struct CommandBatch {
  std::string encoded;
  std::uint32_t count = 0;
};

} // namespace redis_toolkit::detail
