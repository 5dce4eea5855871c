#pragma once
// The router's own count of the calls it answers (per command name: outcome and latency), kept in
// its state and written only by it: plain integers, no lock, no atomic on the call path.

#include "redis_toolkit/metrics.hpp"
#include "redis_toolkit/reply.hpp"

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace redis_toolkit::detail {

enum class CallOutcome { ok, error, timeout, connection };

/// The outcome a reply counts as (see CommandMetrics).
CallOutcome outcome_of(const Reply& reply) noexcept;

/// The command name of one RESP-encoded command ("*N\r\n$L\r\nNAME..."), lower-cased into
/// `buffer`; empty when the bytes are not such a command or the name does not fit.
std::string_view command_name_of(std::string_view encoded, char (&buffer)[32]) noexcept;

/// The histogram bucket of a call that took `elapsed`.
std::size_t latency_bucket(std::chrono::nanoseconds elapsed) noexcept;

class MetricsRecorder {
public:
  MetricsRecorder() = default;
  MetricsRecorder(const MetricsRecorder&) = delete; // the last entry's cache points into by_name_
  MetricsRecorder& operator=(const MetricsRecorder&) = delete;
  /// One call of the command encoded as `encoded`, answered with `outcome` after `elapsed`.
  void record(std::string_view encoded, CallOutcome outcome, std::chrono::nanoseconds elapsed);
  /// The commands so far, sorted by name, with the figures counted outside this class.
  std::vector<CommandMetrics> commands() const;

  std::uint64_t redirections_moved = 0;
  std::uint64_t redirections_ask = 0;
  std::uint64_t redirections_tryagain = 0;
  std::uint64_t topology_refreshes = 0;

private:
  struct Counts {
    std::uint64_t outcomes[4] = {};
    std::uint64_t buckets[LatencyHistogram::bucket_count + 1] = {};
    std::uint64_t nanoseconds = 0;
  };
  Counts& counts_for(std::string_view name);
  std::map<std::string, Counts, std::less<>> by_name_;
  /// The entry the last call counted into (a map's entries stay put): calls come in runs of one
  /// command, and a compare of a short name costs less than a walk of the map per call.
  const std::string* last_name_ = nullptr;
  Counts* last_counts_ = nullptr;
};

} // namespace redis_toolkit::detail
