#pragma once
// Any Redis command as a planned operation: checked (refused commands, key length, argument size,
// one slot per command in a cluster), routed by the server's own description of its keys
// (CommandTable), encoded before anything is sent, and decoded into Reply values or a typed error.
// The blocking and async fronts and the toolkit actor all run these.

#include "command_table.hpp"
#include "toolkit_operations.hpp"

#include "redis_toolkit/command.hpp"

#include <memory>
#include <optional>

namespace redis_toolkit::detail {

/// The table a toolkit routes commands with; an empty one when the server refused COMMAND (it
/// was renamed away): then the second argument counts as the key.
using CommandTableHandle = std::shared_ptr<const CommandTable>;

/// COMMAND, parsed into the table.
PlannedOperation<CommandTableHandle> plan_command_table(const OperationContext& context);

/// One command, checked and encoded, with the name errors may show ("GET", "CONFIG SET").
struct PreparedCommand {
  Command command;
  std::string name;
};
/// Throws ValidationError for a command that would take over a shared connection (SUBSCRIBE,
/// MULTI, SELECT ...), an empty one, a key over max_key_length or an argument over
/// max_value_size; in a cluster, ClusterError (CROSSSLOT) when its keys hash to several slots.
PreparedCommand prepare_command(const OperationContext& context, const CommandTable& table,
                                const CommandArguments& arguments);

/// What preparing one command after another can reuse: the last name's table entry (a pipeline
/// repeats its commands) and the storage for key positions.
class CommandLookup {
public:
  explicit CommandLookup(const CommandTable& table) : table_(table) {}
  const CommandInfo* find(const CommandArguments& arguments);
  std::vector<std::size_t>& keys() { return keys_; }
  const CommandTable& table() const { return table_; }

private:
  const CommandTable& table_;
  std::string last_name_;
  const CommandInfo* last_info_ = nullptr;
  std::vector<std::size_t> keys_;
};
/// With `wire`, the command is encoded at its end (Command::wire_offset, wire_length) instead of
/// into Command::encoded: a pipeline's commands share one buffer.
PreparedCommand prepare_command(const OperationContext& context, CommandLookup& lookup,
                                const CommandArguments& arguments, std::string* wire = nullptr);

/// The reply, or the typed error: CommandError for an error reply (naming the command, never its
/// arguments), ClusterError, ConnectionError, TimeoutError.
PlannedOperation<Reply> plan_command(const OperationContext& context, const CommandTable& table,
                                     const CommandArguments& arguments);
/// The command once on each node of `nodes`; error replies stay in place, per node.
PlannedOperation<std::vector<NodeReply>> plan_command_on_nodes(const OperationContext& context,
                                                               const CommandTable& table,
                                                               const CommandArguments& arguments,
                                                               CommandNodes nodes);
/// Every command in one request (the router sends one pipeline per node and connection); replies
/// in order, error replies in place; a command that got no reply at all throws its typed error.
PlannedOperation<std::vector<Reply>> plan_pipeline(const OperationContext& context,
                                                   const CommandTable& table,
                                                   const std::vector<CommandArguments>& commands);
/// [WATCH keys] MULTI commands EXEC as one atomic unit on one connection: EXEC's replies, or
/// nullopt when a watched key changed. In a cluster every key (watched ones too) must hash to one
/// slot: ClusterError (CROSSSLOT) before anything is sent otherwise.
PlannedOperation<std::optional<std::vector<Reply>>> plan_transaction(
    const OperationContext& context, const CommandTable& table,
    const std::vector<CommandArguments>& commands, const std::vector<std::string>& watch_keys);
/// A read-modify-write transaction's first request: WATCH `watch_keys`, then `reads`, on a
/// session the router pins (CommandRequest::session); decodes to the replies of the reads (error
/// replies in place). `slot` receives the slot every later command must share (any_slot if none).
PlannedOperation<std::vector<Reply>> plan_session_open(const OperationContext& context,
                                                       const CommandTable& table,
                                                       std::uint64_t session,
                                                       const std::vector<std::string>& watch_keys,
                                                       const std::vector<CommandArguments>& reads,
                                                       std::int32_t& slot);
/// Its second: MULTI commands EXEC on the session's connection (nullopt: a watched key changed),
/// or with no commands an UNWATCH that gives the session up (decodes to an empty vector).
PlannedOperation<std::optional<std::vector<Reply>>> plan_session_close(
    const OperationContext& context, const CommandTable& table, std::uint64_t session,
    const std::vector<CommandArguments>& commands, std::int32_t slot);
/// A process-wide fresh session id.
std::uint64_t next_session_id();

/// EVALSHA; nullopt when the node answered NOSCRIPT (then plan_eval_source, once).
PlannedOperation<std::optional<Reply>> plan_evalsha(const OperationContext& context,
                                                    const CommandTable& table, const Script& script,
                                                    const std::vector<std::string>& keys,
                                                    const std::vector<std::string>& arguments);
/// EVAL with the source, which also caches the script on the node that runs it.
PlannedOperation<Reply> plan_eval_source(const OperationContext& context, const CommandTable& table,
                                         const Script& script, const std::vector<std::string>& keys,
                                         const std::vector<std::string>& arguments);

} // namespace redis_toolkit::detail
