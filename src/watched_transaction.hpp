#pragma once
// A read-modify-write transaction, for both fronts: WATCH and the reads on a session the router
// pins, the caller's builder, then MULTI ... EXEC on the same connection; a watched key changed by
// another client meanwhile runs it all again, up to a bound. Every step completes on a completion
// actor; the blocking front waits for the last one.

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
