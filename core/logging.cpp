#include "redis_toolkit/logging.hpp"

#include "redis_toolkit/config.hpp"
#include "redis_toolkit/value.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <mutex>

namespace redis_toolkit::log {
namespace {

std::atomic<std::size_t> preview_limit{256};

struct SinkSlot {
  std::mutex mutex;
  Sink sink;
};

SinkSlot& sink_slot() {
  // Made on first use (safe to log from other statics' constructors) and never destroyed (safe
  // to log from the actors of a toolkit that is itself a static, after the other statics went).
  static auto* slot = new SinkSlot;
  return *slot;
}

void write_to_stderr(LogLevel level, std::string_view message) {
  std::string upper(level_name(level));
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  // One fprintf per line, so that lines from different threads do not interleave.
  std::fprintf(stderr, "[rtk] %s %.*s\n", upper.c_str(), static_cast<int>(message.size()),
               message.data());
}

// --- previews -------------------------------------------------------------------------------

bool is_continuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

/// Length of the well-formed UTF-8 sequence that starts at text[at], or 0 when none does
/// (stray continuation byte, overlong form, surrogate, beyond U+10FFFF, or cut short).
std::size_t utf8_sequence_length(std::string_view text, std::size_t at) {
  const auto lead = static_cast<unsigned char>(text[at]);
  std::size_t length = 0;
  unsigned char second_min = 0x80, second_max = 0xBF; // the lead byte narrows the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_min = 0xA0;
    if (lead == 0xED) second_max = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_min = 0x90;
    if (lead == 0xF4) second_max = 0x8F;
  } else {
    return 0;
  }
  if (at + length > text.size()) return 0;
  const auto second = static_cast<unsigned char>(text[at + 1]);
  if (second < second_min || second > second_max) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (!is_continuation(static_cast<unsigned char>(text[at + i]))) return 0;
  }
  return length;
}

void append_escaped_byte(std::string& out, unsigned char byte) {
  static constexpr char hex[] = "0123456789abcdef";
  out += "\\x";
  out += hex[byte >> 4];
  out += hex[byte & 0xF];
}

/// Appends at most the first `max_bytes` bytes of `text`, never splitting a UTF-8 character, with
/// control bytes and malformed UTF-8 escaped.
void append_printable(std::string& out, std::string_view text, std::size_t max_bytes) {
  const std::size_t end = std::min(max_bytes, text.size());
  std::size_t at = 0;
  while (at < end) {
    const auto byte = static_cast<unsigned char>(text[at]);
    if (byte < 0x80) {
      if (byte < 0x20 || byte == 0x7F) append_escaped_byte(out, byte);
      else out += static_cast<char>(byte);
      ++at;
      continue;
    }
    const std::size_t length = utf8_sequence_length(text, at);
    if (length == 0) {
      append_escaped_byte(out, byte);
      ++at;
    } else if (at + length > end) {
      return; // the character straddles the limit: leave it out rather than split it
    } else {
      out.append(text, at, length);
      at += length;
    }
  }
}

std::string cut_with_note(std::string_view text, std::size_t max_bytes, std::string_view note) {
  std::string out;
  append_printable(out, text, max_bytes);
  if (text.size() > max_bytes) {
    out += "...(";
    out += note;
    out += ')';
  }
  return out;
}

// The preview of a Value renders a shrunk copy of it. Every unit of budget the copy spends renders
// as at least one character before the first place where the copy's text departs from the
// original's, so both texts share their first `budget` characters.

std::string shrink_text(const std::string& text, std::size_t& budget) {
  std::string kept = text.substr(0, budget - 1); // one unit for the opening quote
  budget -= std::min(budget, text.size() + 1);
  return kept;
}

/// Precondition: budget > 0.
Value shrink_for_preview(const Value& value, std::size_t& budget) {
  switch (value.kind()) {
    case ValueKind::string: return Value(shrink_text(value.as_string(), budget));
    case ValueKind::bytes: return Value::bytes(shrink_text(value.as_bytes(), budget));
    case ValueKind::list:
    case ValueKind::tuple: {
      --budget; // the opening bracket
      Value::Array kept;
      for (auto item = value.items().begin(); item != value.items().end() && budget > 0; ++item) {
        kept.push_back(shrink_for_preview(*item, budget));
      }
      return value.is_list() ? Value::list(std::move(kept)) : Value::tuple(std::move(kept));
    }
    case ValueKind::dict: {
      --budget;
      Value::Object kept;
      for (auto entry = value.as_dict().begin(); entry != value.as_dict().end() && budget > 0;
           ++entry) {
        std::string key = shrink_text(entry->first, budget);
        Value item = budget > 0 ? shrink_for_preview(entry->second, budget) : Value();
        kept.emplace_back(std::move(key), std::move(item));
      }
      return Value::dict(std::move(kept));
    }
    default:
      --budget;
      return value;
  }
}

std::string size_note(const Value& value) {
  switch (value.kind()) {
    case ValueKind::string:
    case ValueKind::bytes: return std::to_string(value.size()) + " bytes";
    case ValueKind::list:
    case ValueKind::tuple:
    case ValueKind::dict: return std::to_string(value.size()) + " items";
    default: return value.to_string(); // a scalar cut by a tiny limit: its whole text is short
  }
}

} // namespace

void set_sink(Sink sink) {
  SinkSlot& slot = sink_slot();
  std::lock_guard<std::mutex> lock(slot.mutex);
  slot.sink = std::move(sink);
}

void write(LogLevel level, std::string_view message) noexcept {
  SinkSlot& slot = sink_slot();
  std::lock_guard<std::mutex> lock(slot.mutex);
  try {
    if (slot.sink) slot.sink(level, message);
    else write_to_stderr(level, message);
  } catch (...) {
    // Deliberately swallowed: see the header.
  }
}

void set_max_value_size(std::size_t bytes) noexcept {
  preview_limit.store(bytes, std::memory_order_relaxed);
}

std::size_t max_value_size() noexcept { return preview_limit.load(std::memory_order_relaxed); }

std::string preview(std::string_view raw) { return preview(raw, max_value_size()); }

std::string preview(std::string_view raw, std::size_t max_bytes) {
  return cut_with_note(raw, max_bytes, std::to_string(raw.size()) + " bytes");
}

std::string preview(const Value& value) {
  const std::size_t limit = max_value_size();
  std::size_t budget = limit + 1; // one past the limit, so that a cut copy is always cut below
  const std::string text = shrink_for_preview(value, budget).to_string();
  return cut_with_note(text, limit, size_note(value));
}

std::string_view level_name(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::trace: return "trace";
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warning: return "warning";
    case LogLevel::error: return "error";
    case LogLevel::off: return "off";
  }
  return "unknown";
}

std::optional<LogLevel> parse_level(std::string_view name) noexcept {
  for (LogLevel known : {LogLevel::trace, LogLevel::debug, LogLevel::info, LogLevel::warning,
                         LogLevel::error, LogLevel::off}) {
    const std::string_view candidate = level_name(known);
    const bool same = candidate.size() == name.size() &&
                      std::equal(name.begin(), name.end(), candidate.begin(), [](char a, char b) {
                        return std::tolower(static_cast<unsigned char>(a)) == b;
                      });
    if (same) return known;
  }
  return std::nullopt;
}

void apply(const RedisOptions& options) {
  set_level(options.is_logger_info ? options.log_level : LogLevel::off);
  set_max_value_size(options.max_log_size);
}

} // namespace redis_toolkit::log
