#pragma once
// Replies built by hand for the tests of the I/O-free pieces (topology parsers, reply rules,
// reply assembly): what the RESP decoder would have made of a server's answer.
//
//   const Reply shards = rtk_test::array({rtk_test::text("slots"), rtk_test::integer(0)});

#include "redis_toolkit/reply.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace rtk_test {

inline redis_toolkit::Reply text(std::string value) {
  redis_toolkit::Reply reply;
  reply.type = redis_toolkit::Reply::Type::string;
  reply.text = std::move(value);
  return reply;
}

inline redis_toolkit::Reply error(std::string value) {
  redis_toolkit::Reply reply;
  reply.type = redis_toolkit::Reply::Type::error;
  reply.text = std::move(value);
  return reply;
}

inline redis_toolkit::Reply integer(std::int64_t value) {
  redis_toolkit::Reply reply;
  reply.type = redis_toolkit::Reply::Type::integer;
  reply.integer = value;
  return reply;
}

inline redis_toolkit::Reply array(std::vector<redis_toolkit::Reply> elements) {
  redis_toolkit::Reply reply;
  reply.type = redis_toolkit::Reply::Type::array;
  reply.elements = std::move(elements);
  return reply;
}

} // namespace rtk_test
