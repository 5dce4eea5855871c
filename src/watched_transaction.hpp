#pragma once
// The async front of a read-modify-write transaction: the steps TransactionAttempts
// (core/transaction_attempts.hpp) decides, sent as async calls; every step and the builder run on
// the completion actor. The blocking front (RedisToolkit::transaction) drives the same machine
// with blocking calls, so that its builder runs on the caller's thread.

#include "toolkit_core.hpp"

#include "redis_toolkit/async_toolkit.hpp"
#include "redis_toolkit/command.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace redis_toolkit::detail {

/// Completes `done` with EXEC's replies, nullopt when every one of `max_attempts` attempts met a
/// changed watched key, or the typed error (a builder's exception included). A session given up
/// after its WATCH is always closed (UNWATCH), so the node's next transaction does not wait.
void run_watched_transaction(const std::shared_ptr<ToolkitCore>& core,
                             std::vector<std::string> watch_keys,
                             std::vector<CommandArguments> reads, TransactionBuilder build,
                             int max_attempts, Callback<std::optional<std::vector<Reply>>> done);

} // namespace redis_toolkit::detail
