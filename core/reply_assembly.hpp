#pragma once
// How the replies of the commands the router sent become the replies of the commands the caller
// sent. The router expands a caller's command aimed at every master (or every node) into one send
// per node, and answers it with one array of (node, reply) pairs; every other command is one send.
//
//   std::vector<Origin> origins{{0, 1, false}, {1, 3, true}}; // GET k, then PING on 3 masters
//   std::vector<Reply> caller = assemble_replies(sent, origins, node_of_send);
//   // caller[0]: GET's reply; caller[1]: [node0, PONG, node1, PONG, node2, PONG]

#include "redis_toolkit/reply.hpp"

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace redis_toolkit::detail {

/// Where the replies of one of the caller's commands are among the sends: `count` sends from
/// `first`; a fan-out command (every master, every node) is answered by (node, reply) pairs.
struct Origin {
  std::size_t first = 0;
  std::size_t count = 1;
  bool fan_out = false;
};

/// The caller's replies, one per origin in the caller's order, moved out of `sent` (one per send).
/// `node_of_send(i)` names the node send i went to ("host:port"), for the fan-out pairs.
/// Rule: an origin reaching past `sent` is a bug in the expansion, and throws std::out_of_range
/// rather than answering the caller with another command's reply.
std::vector<Reply> assemble_replies(std::vector<Reply>& sent, const std::vector<Origin>& origins,
                                    const std::function<std::string(std::size_t)>& node_of_send);

} // namespace redis_toolkit::detail
