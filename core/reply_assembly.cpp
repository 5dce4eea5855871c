#include "reply_assembly.hpp"

#include <stdexcept>

namespace redis_toolkit::detail {

std::vector<Reply> assemble_replies(std::vector<Reply>& sent, const std::vector<Origin>& origins,
                                    const std::function<std::string(std::size_t)>& node_of_send) {
  std::vector<Reply> result;
  result.reserve(origins.size());
  for (const Origin& origin : origins) {
    if (origin.first + (origin.fan_out ? origin.count : 1) > sent.size())
      throw std::out_of_range("reply assembly: the caller's command at send " +
                              std::to_string(origin.first) + " reaches past the " +
                              std::to_string(sent.size()) + " sends");
    if (!origin.fan_out) {
      result.push_back(std::move(sent[origin.first]));
      continue;
    }
    Reply pairs;
    pairs.type = Reply::Type::array;
    pairs.elements.reserve(2 * origin.count);
    for (std::size_t i = origin.first; i < origin.first + origin.count; ++i) {
      Reply name;
      name.type = Reply::Type::string;
      name.text = node_of_send(i);
      pairs.elements.push_back(std::move(name));
      pairs.elements.push_back(std::move(sent[i]));
    }
    result.push_back(std::move(pairs));
  }
  return result;
}

} // namespace redis_toolkit::detail
