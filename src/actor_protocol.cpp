#include "redis_toolkit/actor_protocol.hpp"

#include "resp.hpp"

namespace redis_toolkit {

void CommandRequest::add(std::initializer_list<std::string_view> arguments, std::int32_t slot) {
  Command command;
  command.slot = slot;
  resp::append_command(command.encoded, arguments);
  commands.push_back(std::move(command));
}

void CommandRequest::add(const std::vector<std::string_view>& arguments, std::int32_t slot) {
  Command command;
  command.slot = slot;
  resp::append_command(command.encoded, arguments);
  commands.push_back(std::move(command));
}

void CommandRequest::add_targeted(std::initializer_list<std::string_view> arguments,
                                  Command::Target target, std::string node) {
  Command command;
  command.target = target;
  command.node = std::move(node);
  resp::append_command(command.encoded, arguments);
  commands.push_back(std::move(command));
}

} // namespace redis_toolkit
