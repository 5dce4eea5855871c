#include "metrics_recorder.hpp"

#include <algorithm>
#include <charconv>

namespace redis_toolkit::detail {

CallOutcome outcome_of(const Reply& reply) noexcept {
  switch (reply.type) {
  case Reply::Type::error:
  case Reply::Type::cluster_failed:
  case Reply::Type::overloaded:
    return CallOutcome::error;
  case Reply::Type::timed_out:
    return CallOutcome::timeout;
  case Reply::Type::connection_failed:
  case Reply::Type::protocol_failed:
    return CallOutcome::connection;
  default:
    return CallOutcome::ok;
  }
}

std::string_view command_name_of(std::string_view encoded, char (&buffer)[32]) noexcept {
  const std::size_t header_end = encoded.find("\r\n");
  if (encoded.empty() || encoded[0] != '*' || header_end == std::string_view::npos) return {};
  std::size_t at = header_end + 2;
  if (at >= encoded.size() || encoded[at] != '$') return {};
  ++at;
  std::size_t length = 0;
  const auto [end, problem] = std::from_chars(encoded.data() + at, encoded.data() + encoded.size(), length);
  if (problem != std::errc()) return {};
  at = static_cast<std::size_t>(end - encoded.data()) + 2; // past "\r\n"
  if (length == 0 || length > sizeof buffer || at + length > encoded.size()) return {};
  for (std::size_t i = 0; i < length; ++i) {
    const char c = encoded[at + i];
    buffer[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return {buffer, length};
}

std::size_t latency_bucket(std::chrono::nanoseconds elapsed) noexcept {
  constexpr std::uint64_t first =
      std::chrono::duration_cast<std::chrono::nanoseconds>(LatencyHistogram::first_bound).count();
  const std::int64_t nanoseconds = elapsed.count();
  if (nanoseconds <= static_cast<std::int64_t>(first)) return 0;
  // Bucket k holds (first * 2^(k-1), first * 2^k]: k is the bit width of (elapsed - 1) / first.
  std::uint64_t quotient = (static_cast<std::uint64_t>(nanoseconds) - 1) / first;
  std::size_t bucket = 0;
  while (quotient != 0 && bucket < LatencyHistogram::bucket_count) {
    quotient >>= 1;
    ++bucket;
  }
  return quotient != 0 ? LatencyHistogram::bucket_count : bucket;
}

MetricsRecorder::Counts& MetricsRecorder::counts_for(std::string_view name) {
  if (name.empty()) name = "unknown";
  if (last_name_ != nullptr && *last_name_ == name) return *last_counts_;
  auto found = by_name_.find(name);
  if (found == by_name_.end()) {
    if (by_name_.size() >= ToolkitMetrics::max_command_names) name = "other";
    found = by_name_.try_emplace(std::string(name)).first;
  }
  last_name_ = &found->first;
  last_counts_ = &found->second;
  return found->second;
}

void MetricsRecorder::record(std::string_view encoded, CallOutcome outcome,
                             std::chrono::nanoseconds elapsed) {
  char buffer[32];
  Counts& counts = counts_for(command_name_of(encoded, buffer));
  ++counts.outcomes[static_cast<int>(outcome)];
  ++counts.buckets[latency_bucket(elapsed)];
  counts.nanoseconds += static_cast<std::uint64_t>(std::max<std::int64_t>(0, elapsed.count()));
}

std::vector<CommandMetrics> MetricsRecorder::commands() const {
  std::vector<CommandMetrics> result;
  result.reserve(by_name_.size());
  for (const auto& [name, counts] : by_name_) {
    CommandMetrics each;
    each.command = name;
    each.ok = counts.outcomes[static_cast<int>(CallOutcome::ok)];
    each.error = counts.outcomes[static_cast<int>(CallOutcome::error)];
    each.timeout = counts.outcomes[static_cast<int>(CallOutcome::timeout)];
    each.connection = counts.outcomes[static_cast<int>(CallOutcome::connection)];
    for (std::size_t i = 0; i < each.latency.buckets.size(); ++i) {
      each.latency.buckets[i] = counts.buckets[i];
      each.latency.count += counts.buckets[i];
    }
    each.latency.sum_seconds = static_cast<double>(counts.nanoseconds) * 1e-9;
    result.push_back(std::move(each));
  }
  return result;
}

} // namespace redis_toolkit::detail
