#pragma once
// The toolkit's operations as plain functions: each turns a call into a CommandRequest (validating
// and encoding everything before anything is sent) and turns the replies back into a result or a
// typed error. The blocking and the async fronts share these; neither adds logic of its own.
//
// Names: `X_request` builds only the CommandRequest (the commands, their slots, the retry policy);
// `plan_X` (toolkit_operations.hpp, command_operations.hpp) is a whole operation, a request and
// the decoder of its replies.

#include "redis_toolkit/command_request.hpp"
#include "redis_toolkit/reply.hpp"
#include "redis_toolkit/batch.hpp"
#include "redis_toolkit/config.hpp"
#include "redis_toolkit/value.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace redis_toolkit::detail {

/// What every operation needs besides its arguments.
struct OperationContext {
  const RedisOptions& options;
  std::string server; ///< "host:port" for error messages
  bool cluster = false; ///< cluster mode: health checks ask every master
};

/// An empty request with the options' retry policy, room for `expected_commands`.
CommandRequest new_request(const OperationContext& context, std::size_t expected_commands);

/// Marks every command of `request` as a read (readonly_mode may send it to a replica).
CommandRequest as_reads(CommandRequest request);

/// Serializes `value` for `key`, checking the key length and the value size.
std::string encode_for_key(std::string_view key, const Value& value, const RedisOptions& options);

CommandRequest set_request(const OperationContext& context, std::string_view key,
                           std::string stored,
                           std::optional<std::int64_t> ttl_seconds = std::nullopt);
CommandRequest single_key_request(const OperationContext& context, std::string_view command,
                                  std::string_view key);
CommandRequest batch_set_request(const OperationContext& context, const KeyValues& entries);
CommandRequest per_key_request(const OperationContext& context, std::string_view command,
                               const std::vector<std::string>& keys);
/// PUBLISH (or `command` SPUBLISH) of `value` in the wire format.
CommandRequest publish_request(const OperationContext& context, std::string_view channel,
                               const Value& value, std::string_view command = "PUBLISH");
CommandRequest ping_request(const OperationContext& context);
/// One keyless command (any node), with the options' retry policy.
CommandRequest keyless_request(const OperationContext& context,
                               std::initializer_list<std::string_view> arguments);
/// One page of SCAN: `SCAN cursor MATCH pattern COUNT page_size`.
CommandRequest scan_page_request(const OperationContext& context, std::string_view cursor,
                                 std::string_view pattern, std::size_t page_size = 1000);

/// Throws the typed error a reply stands for (TimeoutError, ConnectionError, CommandError).
/// `server` names the server in CommandError (failure replies carry their own).
void throw_if_failed(const Reply& reply, const std::string& server, std::string_view operation,
                     std::string_view key);
/// The same for a batch: one error naming every key that failed (up to a few) and why.
void throw_if_any_failed(const std::vector<Reply>& replies, const std::string& server,
                         std::string_view operation, const std::vector<std::string>& keys);

std::optional<Value> decode_get(const Reply& reply, std::string_view key);
/// The bytes of a GET reply, moved out of it; nullopt for nil.
std::optional<std::string> decode_raw_get(Reply& reply);
/// A SCAN reply: the next cursor ("0" when done) and the keys of this page.
struct ScanPage {
  std::string next_cursor;
  std::vector<std::string> keys;
};
ScanPage decode_scan_page(const Reply& reply, const std::string& server);

std::int64_t decode_integer(const Reply& reply, const std::string& server,
                            std::string_view operation, std::string_view key);

} // namespace redis_toolkit::detail
