#include "command_operations.hpp"

#include "cluster_topology.hpp"
#include "resp.hpp"

#include "redis_toolkit/errors.hpp"
#include "redis_toolkit/key_slot.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>

namespace redis_toolkit::detail {
namespace {

void refuse_connection_commands(const CommandInfo* info, const CommandArguments& arguments,
                                const std::string& name) {
  // The table marks the refused commands once; a command it lacks is checked by name.
  const char* refusal = info != nullptr ? info->refusal : refusal_of(arguments);
  if (refusal != nullptr)
    throw ValidationError(name + " is not sent through command(): " + refusal, name);
}

[[noreturn]] void cross_slot(const std::string& what, std::string_view first_key,
                             std::uint16_t first_slot, std::string_view other_key,
                             std::uint16_t other_slot) {
  throw ClusterError("CROSSSLOT " + what + ": key '" + resp::abbreviate(first_key) +
                     "' hashes to slot " + std::to_string(first_slot) + ", key '" +
                     resp::abbreviate(other_key) + "' to slot " + std::to_string(other_slot) +
                     "; nothing was sent (one hash tag, such as {user:1}, puts keys in one slot)");
}

/// Tracks the one slot a set of keys must share in a cluster.
class SlotOfKeys {
public:
  /// `what` and every key added must outlive it: it keeps views of them.
  SlotOfKeys(bool cluster, std::string_view what) : cluster_(cluster), what_(what) {}
  void add(std::string_view key) {
    const std::uint16_t slot = key_slot(key);
    if (slot_ == any_slot) {
      slot_ = slot;
      first_key_ = key;
      return;
    }
    if (cluster_ && slot != slot_)
      cross_slot(std::string(what_), first_key_, static_cast<std::uint16_t>(slot_), key, slot);
  }
  /// The slot the keys must share, known before any key of these (a transaction's watch keys).
  void add_slot(std::uint16_t slot) {
    slot_ = slot;
    first_key_ = "(watched)";
  }
  std::int32_t slot() const { return slot_; }

private:
  bool cluster_;
  std::string_view what_;
  std::int32_t slot_ = any_slot;
  std::string_view first_key_;
};

/// The first failure (no reply at all) among `replies`, thrown as its typed error.
void throw_first_failure(const std::vector<Reply>& replies, const std::string& server,
                         std::string_view operation) {
  std::size_t failed = 0;
  const Reply* first = nullptr;
  for (const Reply& reply : replies)
    if (reply.is_failure()) {
      ++failed;
      if (first == nullptr) first = &reply;
    }
  if (first == nullptr) return;
  Reply summary = *first;
  summary.text = std::to_string(failed) + " of " + std::to_string(replies.size()) +
                 " commands got no reply (they may or may not have run): " + first->text;
  throw_if_failed(summary, server, operation, {});
}

Reply take_reply(std::vector<Reply>& replies, const std::string& server, const std::string& name) {
  Reply& reply = replies.at(0);
  throw_if_failed(reply, server, name, {});
  return std::move(reply);
}

bool is_noscript(const Reply& reply) {
  return reply.is_error() && reply.text.rfind("NOSCRIPT", 0) == 0;
}

CommandArguments script_arguments(const char* command, const std::string& script_or_digest,
                                  const std::vector<std::string>& keys,
                                  const std::vector<std::string>& arguments) {
  CommandArguments all;
  all.reserve(3 + keys.size() + arguments.size());
  all.push_back(command);
  all.push_back(script_or_digest);
  all.push_back(std::to_string(keys.size()));
  all.insert(all.end(), keys.begin(), keys.end());
  all.insert(all.end(), arguments.begin(), arguments.end());
  return all;
}

} // namespace

PlannedOperation<CommandTableHandle> plan_command_table(const OperationContext& context) {
  CommandRequest request = new_request(context, 1);
  request.add({"COMMAND"});
  return {"COMMAND", std::move(request), [server = context.server](std::vector<Reply>& replies) {
            const Reply& reply = replies.at(0);
            if (reply.is_error()) return std::make_shared<const CommandTable>(); // renamed away
            throw_if_failed(reply, server, "COMMAND", {});
            try {
              return std::make_shared<const CommandTable>(CommandTable::parse(reply));
            } catch (const std::exception& problem) {
              throw CommandError(server, "COMMAND", problem.what());
            }
          }};
}

const CommandInfo* CommandLookup::find(const CommandArguments& arguments) {
  // Only a command without subcommands is remembered: a subcommand's entry depends on more
  // than the name.
  if (last_info_ != nullptr && arguments[0] == last_name_) return last_info_;
  const CommandInfo* info = table_.find(arguments);
  if (info != nullptr && info->subcommands.empty() && info->name.find('|') == std::string::npos) {
    last_name_ = arguments[0];
    last_info_ = info;
  }
  return info;
}

PreparedCommand prepare_command(const OperationContext& context, const CommandTable& table,
                                const CommandArguments& arguments) {
  CommandLookup lookup(table);
  return prepare_command(context, lookup, arguments);
}

PreparedCommand prepare_command(const OperationContext& context, CommandLookup& lookup,
                                const CommandArguments& arguments, std::string* wire) {
  if (arguments.empty()) throw ValidationError("a command needs at least its name");
  const CommandInfo* info = lookup.find(arguments);
  PreparedCommand prepared;
  prepared.name = command_display_name(info, arguments);
  refuse_connection_commands(info, arguments, prepared.name);
  std::vector<std::size_t>& keys = lookup.keys();
  keys.clear();
  if (info != nullptr) key_positions(*info, arguments, keys);
  else if (lookup.table().size() == 0 && arguments.size() > 1) keys.push_back(1); // no COMMAND: a guess
  SlotOfKeys slot(context.cluster, prepared.name);
  for (std::size_t position : keys) {
    validate_key(arguments[position], context.options);
    slot.add(arguments[position]);
  }
  for (std::size_t i = 1; i < arguments.size(); ++i)
    validate_serialized_size(keys.empty() ? prepared.name : arguments[keys.front()],
                             arguments[i].size(), context.options);
  Command& command = prepared.command;
  if (wire != nullptr) {
    command.wire_offset = wire->size();
    resp::append_command(*wire, arguments);
    command.wire_length = wire->size() - command.wire_offset;
  } else {
    resp::append_command(command.encoded, arguments);
  }
  command.slot = slot.slot();
  command.read_only = info != nullptr && info->read_only;
  command.blocking = info != nullptr && info->blocking;
  return prepared;
}

PlannedOperation<Reply> plan_command(const OperationContext& context, const CommandTable& table,
                                     const CommandArguments& arguments) {
  // The hot path of command(): the bytes go into the request's wire (whose buffers the router
  // hands back for reuse) rather than a string of their own, and the key positions into this
  // thread's scratch, so that a plain command plans without an allocation of its own.
  thread_local std::vector<std::size_t> key_scratch;
  CommandRequest request = new_request(context, 1);
  CommandLookup lookup(table);
  lookup.keys().swap(key_scratch);
  PreparedCommand prepared = prepare_command(context, lookup, arguments, &request.wire);
  lookup.keys().swap(key_scratch);
  request.commands.push_back(std::move(prepared.command));
  return {"command", std::move(request),
          [server = context.server, name = std::move(prepared.name)](std::vector<Reply>& replies) {
            return take_reply(replies, server, name);
          }};
}

PlannedOperation<std::vector<NodeReply>> plan_command_on_nodes(const OperationContext& context,
                                                               const CommandTable& table,
                                                               const CommandArguments& arguments,
                                                               CommandNodes nodes) {
  PreparedCommand prepared = prepare_command(context, table, arguments);
  CommandRequest request = new_request(context, 1);
  prepared.command.target = nodes == CommandNodes::all ? Command::Target::every_node
                                                       : Command::Target::every_master;
  request.commands.push_back(std::move(prepared.command));
  return {"command_on_nodes", std::move(request),
          [server = context.server, name = std::move(prepared.name)](std::vector<Reply>& replies) {
            Reply& pairs = replies.at(0);
            throw_if_failed(pairs, server, name, {});
            std::vector<NodeReply> result;
            for (std::size_t i = 0; i + 1 < pairs.elements.size(); i += 2) {
              Reply& reply = pairs.elements[i + 1];
              if (reply.is_failure()) throw_if_failed(reply, server, name, {});
              result.push_back(NodeReply{std::move(pairs.elements[i].text), std::move(reply)});
            }
            return result;
          }};
}

PlannedOperation<std::vector<Reply>> plan_pipeline(const OperationContext& context,
                                                   const CommandTable& table,
                                                   const std::vector<CommandArguments>& commands) {
  // Every command is checked and encoded before the first is sent: a bad one sends nothing.
  CommandRequest request = new_request(context, commands.size());
  CommandLookup lookup(table);
  for (const CommandArguments& arguments : commands)
    request.commands.push_back(
        std::move(prepare_command(context, lookup, arguments, &request.wire).command));
  validate_batch_size(request.wire.size(), context.options);
  return {"pipeline", std::move(request), [server = context.server](std::vector<Reply>& replies) {
            throw_first_failure(replies, server, "pipeline");
            return std::move(replies);
          }};
}

namespace {

Command encoded_command(const CommandArguments& arguments) {
  Command command;
  resp::append_command(command.encoded, arguments);
  return command;
}

/// WATCH keys, each checked and added to `slot`.
Command watch_command(const OperationContext& context, const std::vector<std::string>& keys,
                      SlotOfKeys& slot) {
  CommandArguments watch{"WATCH"};
  for (const std::string& key : keys) {
    validate_key(key, context.options);
    slot.add(key);
    watch.push_back(key);
  }
  return encoded_command(watch);
}

/// Checks and encodes `commands` into `request`, adding their keys to `slot`; their names.
std::vector<std::string> add_commands(CommandRequest& request, const OperationContext& context,
                                      const CommandTable& table,
                                      const std::vector<CommandArguments>& commands,
                                      SlotOfKeys& slot) {
  std::vector<std::string> names;
  CommandLookup lookup(table);
  for (const CommandArguments& arguments : commands) {
    PreparedCommand prepared = prepare_command(context, lookup, arguments);
    if (prepared.command.slot != any_slot) {
      // prepare_command checked the command's own keys (left in lookup.keys()); one of them
      // stands for all.
      slot.add(arguments[lookup.keys().empty() ? 1 : lookup.keys().front()]);
    }
    names.push_back(std::move(prepared.name));
    request.commands.push_back(std::move(prepared.command));
  }
  return names;
}

/// MULTI `commands` EXEC appended to `request`; the names of the commands.
std::vector<std::string> add_multi_exec(CommandRequest& request, const OperationContext& context,
                                        const CommandTable& table,
                                        const std::vector<CommandArguments>& commands,
                                        SlotOfKeys& slot) {
  request.commands.push_back(encoded_command({"MULTI"}));
  std::vector<std::string> names = add_commands(request, context, table, commands, slot);
  request.commands.push_back(encoded_command({"EXEC"}));
  return names;
}

/// The replies of [...] MULTI commands EXEC, where replies[queued_from] answers the first command:
/// EXEC's replies, nullopt when a watched key changed; a typed error otherwise.
std::optional<std::vector<Reply>> decode_exec(std::vector<Reply>& replies, std::size_t queued_from,
                                              const std::vector<std::string>& names,
                                              const std::string& server) {
  for (const Reply& reply : replies)
    if (reply.is_failure()) throw_if_failed(reply, server, "transaction", {});
  for (std::size_t i = 0; i < queued_from; ++i) // WATCH, reads, MULTI: an error ends it here
    if (replies[i].is_error()) throw_if_failed(replies[i], server, "transaction", {});
  Reply& exec = replies.back();
  if (exec.is_nil()) return std::nullopt; // a watched key changed: nothing ran
  if (exec.is_error()) {
    // EXECABORT: a command was refused while queueing; say which, and why.
    for (std::size_t i = 0; i < names.size(); ++i)
      if (replies[queued_from + i].is_error())
        throw CommandError(server, "transaction",
                           exec.text + " (" + names[i] + ": " + replies[queued_from + i].text + ")");
    throw_if_failed(exec, server, "transaction", {});
  }
  if (!exec.is_array()) throw CommandError(server, "transaction", "unexpected EXEC reply");
  return std::move(exec.elements);
}

std::atomic<std::uint64_t> session_counter{0};

} // namespace

PlannedOperation<std::optional<std::vector<Reply>>> plan_transaction(
    const OperationContext& context, const CommandTable& table,
    const std::vector<CommandArguments>& commands, const std::vector<std::string>& watch_keys) {
  if (commands.empty()) throw ValidationError("a transaction needs at least one command");
  SlotOfKeys slot(context.cluster, "transaction");
  CommandRequest request = new_request(context, commands.size() + 3);
  request.atomic = true;
  if (!watch_keys.empty()) request.commands.push_back(watch_command(context, watch_keys, slot));
  std::vector<std::string> names = add_multi_exec(request, context, table, commands, slot);
  for (Command& command : request.commands) command.slot = slot.slot();
  const std::size_t queued_from = watch_keys.empty() ? 1 : 2;
  return {"transaction", std::move(request),
          [server = context.server, names = std::move(names), queued_from](std::vector<Reply>& replies) {
            return decode_exec(replies, queued_from, names, server);
          }};
}

std::uint64_t next_session_id() { return ++session_counter; }

PlannedOperation<std::vector<Reply>> plan_session_open(const OperationContext& context,
                                                       const CommandTable& table,
                                                       std::uint64_t session,
                                                       const std::vector<std::string>& watch_keys,
                                                       const std::vector<CommandArguments>& reads,
                                                       std::int32_t& slot) {
  if (watch_keys.empty()) throw ValidationError("a read-modify-write transaction needs watch keys");
  SlotOfKeys keys(context.cluster, "transaction");
  CommandRequest request = new_request(context, reads.size() + 1);
  request.atomic = true;
  request.session = session;
  request.commands.push_back(watch_command(context, watch_keys, keys));
  add_commands(request, context, table, reads, keys);
  for (Command& command : request.commands) command.slot = keys.slot();
  slot = keys.slot();
  return {"transaction", std::move(request), [server = context.server](std::vector<Reply>& replies) {
            for (const Reply& reply : replies)
              if (reply.is_failure()) throw_if_failed(reply, server, "transaction", {});
            throw_if_failed(replies.at(0), server, "transaction", {}); // WATCH
            return std::vector<Reply>(std::make_move_iterator(replies.begin() + 1),
                                      std::make_move_iterator(replies.end()));
          }};
}

PlannedOperation<std::optional<std::vector<Reply>>> plan_session_close(
    const OperationContext& context, const CommandTable& table, std::uint64_t session,
    const std::vector<CommandArguments>& commands, std::int32_t slot) {
  CommandRequest request = new_request(context, commands.size() + 2);
  request.atomic = true;
  request.session = session;
  request.session_close = true;
  if (commands.empty()) {
    request.commands.push_back(encoded_command({"UNWATCH"}));
    request.commands.back().slot = slot;
    return {"transaction", std::move(request), [](std::vector<Reply>&) {
              return std::optional<std::vector<Reply>>(std::vector<Reply>());
            }};
  }
  SlotOfKeys keys(context.cluster, "transaction");
  if (slot != any_slot) keys.add_slot(static_cast<std::uint16_t>(slot));
  std::vector<std::string> names = add_multi_exec(request, context, table, commands, keys);
  for (Command& command : request.commands) command.slot = keys.slot();
  return {"transaction", std::move(request),
          [server = context.server, names = std::move(names)](std::vector<Reply>& replies) {
            return decode_exec(replies, 1, names, server);
          }};
}

PlannedOperation<std::optional<Reply>> plan_evalsha(const OperationContext& context,
                                                    const CommandTable& table, const Script& script,
                                                    const std::vector<std::string>& keys,
                                                    const std::vector<std::string>& arguments) {
  PlannedOperation<Reply> planned =
      plan_command(context, table, script_arguments("EVALSHA", script.sha1(), keys, arguments));
  return {"eval", std::move(planned.request),
          [decode = std::move(planned.decode)](std::vector<Reply>& replies) -> std::optional<Reply> {
            if (is_noscript(replies.at(0))) return std::nullopt;
            return decode(replies);
          }};
}

PlannedOperation<Reply> plan_eval_source(const OperationContext& context, const CommandTable& table,
                                         const Script& script, const std::vector<std::string>& keys,
                                         const std::vector<std::string>& arguments) {
  return plan_command(context, table, script_arguments("EVAL", script.source(), keys, arguments));
}

} // namespace redis_toolkit::detail
