#pragma once
// The Python toolkit's retry rule: wait retry_delay before the second attempt, multiplied by
// retry_backoff before each attempt after that.

#include <chrono>
#include <cmath>

namespace redis_toolkit::detail {

/// Delay before attempt number `attempt` (2 = the first retry).
inline std::chrono::duration<double> retry_delay_before(int attempt,
                                                        std::chrono::duration<double> first_delay,
                                                        double backoff) {
  if (attempt <= 1) return std::chrono::duration<double>(0);
  return first_delay * std::pow(backoff, attempt - 2);
}

} // namespace redis_toolkit::detail
