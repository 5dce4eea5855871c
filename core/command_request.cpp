#include "redis_toolkit/command_request.hpp"

#include "resp.hpp"

namespace redis_toolkit {
namespace {

/// Appends `arguments` to the request's wire and `command`, pointing at those bytes, to its commands.
template <typename Arguments>
void append(CommandRequest& request, Command command, const Arguments& arguments) {
  command.wire_offset = request.wire.size();
  resp::append_command(request.wire, arguments);
  command.wire_length = request.wire.size() - command.wire_offset;
  request.commands.push_back(std::move(command));
}

Command for_slot(std::int32_t slot) {
  Command command;
  command.slot = slot;
  return command;
}

} // namespace

void CommandRequest::add(std::initializer_list<std::string_view> arguments, std::int32_t slot) {
  append(*this, for_slot(slot), arguments);
}

void CommandRequest::add(const std::vector<std::string_view>& arguments, std::int32_t slot) {
  append(*this, for_slot(slot), arguments);
}

void CommandRequest::add_targeted(std::initializer_list<std::string_view> arguments,
                                  Command::Target target, std::string node) {
  Command command;
  command.target = target;
  command.node = std::move(node);
  append(*this, std::move(command), arguments);
}

} // namespace redis_toolkit
