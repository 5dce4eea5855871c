#include "redis_toolkit/command_request.hpp"

#include "resp.hpp"

namespace redis_toolkit {

void CommandRequest::add(std::initializer_list<std::string_view> arguments, std::int32_t slot) {
  Command command;
  command.slot = slot;
  command.wire_offset = wire.size();
  resp::append_command(wire, arguments);
  command.wire_length = wire.size() - command.wire_offset;
  commands.push_back(std::move(command));
}

void CommandRequest::add(const std::vector<std::string_view>& arguments, std::int32_t slot) {
  Command command;
  command.slot = slot;
  command.wire_offset = wire.size();
  resp::append_command(wire, arguments);
  command.wire_length = wire.size() - command.wire_offset;
  commands.push_back(std::move(command));
}

void CommandRequest::add_targeted(std::initializer_list<std::string_view> arguments,
                                  Command::Target target, std::string node) {
  Command command;
  command.target = target;
  command.node = std::move(node);
  command.wire_offset = wire.size();
  resp::append_command(wire, arguments);
  command.wire_length = wire.size() - command.wire_offset;
  commands.push_back(std::move(command));
}

} // namespace redis_toolkit
