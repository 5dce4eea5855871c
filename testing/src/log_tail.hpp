#pragma once
// The end of a server's log file, for error messages about a server that did not come up.

#include <cstddef>
#include <string>

namespace redis_toolkit::detail {

/// The last `max_bytes` of `path`, starting on a whole line; says so when there is no such file.
std::string tail_of_file(const std::string& path, std::size_t max_bytes = 1500);

} // namespace redis_toolkit::detail
