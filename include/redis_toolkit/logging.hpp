#pragma once
// The toolkit's one logging facade: a level threshold, a replaceable sink, and previews that never
// print a whole value. A disabled level costs one relaxed atomic load and a branch: the message
// is not formatted and its stream expression is not evaluated.
//
//   RTK_LOG_INFO("connected to " << server << " in " << ms << " ms");
//   RTK_LOG_DEBUG("GET " << key << " -> " << redis_toolkit::log::preview(reply));
//   redis_toolkit::log::set_sink([](redis_toolkit::LogLevel level, std::string_view text) {...});

#include <atomic>
#include <cstddef>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

namespace redis_toolkit {

class Value;
struct RedisOptions;

/// Severity of a log message, and the threshold below which messages are dropped (`off`: all).
enum class LogLevel { trace, debug, info, warning, error, off };

namespace log {

/// Receives each message that passes the threshold. Called under a mutex: it must not log itself.
using Sink = std::function<void(LogLevel level, std::string_view message)>;

namespace detail {
/// The threshold, kept inline so that a disabled RTK_LOG is a load and a branch, not a call.
/// Warnings by default, as RedisOptions::log_level: a library is quiet unless asked.
inline std::atomic<LogLevel> threshold{LogLevel::warning};
} // namespace detail

inline void set_level(LogLevel level) noexcept {
  detail::threshold.store(level, std::memory_order_relaxed);
}
inline LogLevel level() noexcept { return detail::threshold.load(std::memory_order_relaxed); }
/// True when a message of `level` reaches the sink; never true for `off`.
inline bool enabled(LogLevel message_level) noexcept {
  return message_level != LogLevel::off && message_level >= level();
}

/// Replaces the sink; an empty function restores the default, which writes
/// "[rtk] LEVEL message" lines to stderr.
void set_sink(Sink sink);
/// Hands a formatted message to the sink; a sink that throws is ignored, because logging must
/// never fail the operation that logs.
void write(LogLevel level, std::string_view message) noexcept;

/// How many bytes of a value a preview shows (RedisOptions::max_log_size; default 256).
void set_max_value_size(std::size_t bytes) noexcept;
std::size_t max_value_size() noexcept;

/// The first max_value_size() bytes of `raw`, then "...(N bytes)" when cut. Control bytes and
/// bytes that are not UTF-8 are shown as \xNN, so binary data cannot garble a log line.
std::string preview(std::string_view raw);
/// The same with an explicit limit (error messages quote at most 64 bytes of a key).
std::string preview(std::string_view raw, std::size_t max_bytes);
// Text converts to both std::string_view and Value: these pick the raw-bytes preview.
inline std::string preview(const std::string& raw) { return preview(std::string_view(raw)); }
inline std::string preview(const char* raw) { return preview(std::string_view(raw)); }
/// Value::to_string() cut the same way, "...(N bytes)" or "...(N items)"; only about
/// max_value_size() of the value is rendered, so a preview of a 10 MiB value stays cheap.
std::string preview(const Value& value);

/// Lower-case name of a level: "trace", "debug", "info", "warning", "error", "off".
std::string_view level_name(LogLevel level) noexcept;
/// The level named `name`, ignoring case ("INFO" as Python writes it); nullopt when unknown.
std::optional<LogLevel> parse_level(std::string_view name) noexcept;

/// Applies the logging options: `is_logger_info` false turns logging off, otherwise the threshold
/// becomes `log_level`; previews are cut at `max_log_size`.
void apply(const RedisOptions& options);

} // namespace log

inline std::ostream& operator<<(std::ostream& out, LogLevel level) {
  return out << log::level_name(level);
}

} // namespace redis_toolkit

/// Logs `stream_expression` (anything `std::ostream <<` accepts, chained with <<) at `level`,
/// evaluating it only when that level is enabled.
#define RTK_LOG(level, stream_expression)                                                          \
  do {                                                                                             \
    const ::redis_toolkit::LogLevel rtk_log_level_ = (level);                                      \
    if (::redis_toolkit::log::enabled(rtk_log_level_)) {                                           \
      std::ostringstream rtk_log_stream_;                                                          \
      rtk_log_stream_ << stream_expression;                                                        \
      ::redis_toolkit::log::write(rtk_log_level_, rtk_log_stream_.str());                          \
    }                                                                                              \
  } while (false)

#define RTK_LOG_TRACE(stream_expression)                                                           \
  RTK_LOG(::redis_toolkit::LogLevel::trace, stream_expression)
#define RTK_LOG_DEBUG(stream_expression)                                                           \
  RTK_LOG(::redis_toolkit::LogLevel::debug, stream_expression)
#define RTK_LOG_INFO(stream_expression)                                                            \
  RTK_LOG(::redis_toolkit::LogLevel::info, stream_expression)
#define RTK_LOG_WARN(stream_expression)                                                            \
  RTK_LOG(::redis_toolkit::LogLevel::warning, stream_expression)
#define RTK_LOG_ERROR(stream_expression)                                                           \
  RTK_LOG(::redis_toolkit::LogLevel::error, stream_expression)
