#pragma once
// Running a Script, for both fronts: EVALSHA, and on NOSCRIPT (a node that never saw the script,
// or a replica promoted with an empty script cache) the source once, from the completion actor
// that saw the NOSCRIPT. The blocking front waits for the outcome.

#include "toolkit_core.hpp"

#include "redis_toolkit/async_toolkit.hpp"
#include "redis_toolkit/command.hpp"

#include <memory>
#include <string>
#include <vector>

namespace redis_toolkit::detail {

/// Completes `done` with the script's reply, or its typed error (CommandError for a script error).
void run_script(const std::shared_ptr<ToolkitCore>& core, const Script& script,
                std::vector<std::string> keys, std::vector<std::string> arguments,
                Callback<Reply> done);

} // namespace redis_toolkit::detail
