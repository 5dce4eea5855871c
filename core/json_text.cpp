#include "json_text.hpp"

#include "base64.hpp"
#include "redis_toolkit/errors.hpp"
#include "redis_toolkit/wire_format.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <limits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace redis_toolkit::json_text {
namespace {

constexpr auto npos = std::string_view::npos;

// ---------------------------------------------------------------------------------------------
// UTF-8

/// Length of the well-formed UTF-8 sequence at `p` (Unicode Table 3-7), or 0 when ill-formed.
std::size_t utf8_sequence_length(const unsigned char* p, const unsigned char* end) noexcept {
  const unsigned char lead = *p;
  if (lead < 0x80) return 1;
  const auto continuation = [p, end](std::size_t i, unsigned char low = 0x80,
                                     unsigned char high = 0xbf) {
    return p + i < end && p[i] >= low && p[i] <= high;
  };
  if (lead >= 0xc2 && lead <= 0xdf) return continuation(1) ? 2 : 0;
  if (lead >= 0xe0 && lead <= 0xef) {
    const unsigned char low = lead == 0xe0 ? 0xa0 : 0x80;  // no overlong forms
    const unsigned char high = lead == 0xed ? 0x9f : 0xbf; // no UTF-16 surrogates
    return continuation(1, low, high) && continuation(2) ? 3 : 0;
  }
  if (lead >= 0xf0 && lead <= 0xf4) {
    const unsigned char low = lead == 0xf0 ? 0x90 : 0x80;  // no overlong forms
    const unsigned char high = lead == 0xf4 ? 0x8f : 0xbf; // nothing above U+10FFFF
    return continuation(1, low, high) && continuation(2) && continuation(3) ? 4 : 0;
  }
  return 0;
}

std::size_t utf8_sequence_length(const char* p, const char* end) noexcept {
  return utf8_sequence_length(reinterpret_cast<const unsigned char*>(p),
                              reinterpret_cast<const unsigned char*>(end));
}

void append_utf8(std::string& out, std::uint32_t code_point) {
  if (code_point < 0x80) {
    out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    out += static_cast<char>(0xc0 | code_point >> 6);
    out += static_cast<char>(0x80 | (code_point & 0x3f));
  } else if (code_point < 0x10000) {
    out += static_cast<char>(0xe0 | code_point >> 12);
    out += static_cast<char>(0x80 | (code_point >> 6 & 0x3f));
    out += static_cast<char>(0x80 | (code_point & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | code_point >> 18);
    out += static_cast<char>(0x80 | (code_point >> 12 & 0x3f));
    out += static_cast<char>(0x80 | (code_point >> 6 & 0x3f));
    out += static_cast<char>(0x80 | (code_point & 0x3f));
  }
}

// ---------------------------------------------------------------------------------------------
// Scanning eight bytes at a time

constexpr std::uint64_t every_byte(unsigned char byte) { return 0x0101010101010101ull * byte; }
constexpr std::uint64_t high_bits = every_byte(0x80);

/// The eight bytes at `p`, the first in the least significant position whatever the byte order,
/// so that the lowest flagged byte of a mask below is the first one in the text.
std::uint64_t load8(const char* p) {
  std::uint64_t block;
  std::memcpy(&block, p, sizeof block);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  block = __builtin_bswap64(block);
#endif
  return block;
}

/// Position in its block of the first byte flagged in a nonzero mask (flags are high bits).
std::size_t first_flagged_byte(std::uint64_t mask) {
  return static_cast<std::size_t>(__builtin_ctzll(mask)) / 8;
}

/// Flags (high bits) on the bytes of `block` that are a control character, '"' or '\\': the
/// bytes that end a run of literal string content. This is the "has a byte less than n" bit
/// trick: a borrow may flag a byte above a flagged one too, but the first flag is always right.
constexpr std::uint64_t string_stops_in(std::uint64_t block) {
  const auto bytes_below = [](std::uint64_t v, unsigned char n) {
    return (v - every_byte(n)) & ~v & high_bits;
  };
  return bytes_below(block, 0x20) | bytes_below(block ^ every_byte('"'), 1) |
         bytes_below(block ^ every_byte('\\'), 1);
}

// ---------------------------------------------------------------------------------------------
// Writing

/// Appends to a std::string through a raw cursor. The string's size runs ahead of what is
/// written, in large steps, and is trimmed when the Output goes away: this spares the capacity
/// check and the out-of-line call that every std::string::append costs.
class Output {
public:
  explicit Output(std::string& out) : out_(out), used_(out.size()) {}
  ~Output() { out_.resize(used_); }
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  /// Room for `n` more bytes; advance() then commits what was written there.
  char* room(std::size_t n) {
    if (out_.size() - used_ < n) {
      out_.resize(std::max({out_.capacity(), 2 * out_.size(), used_ + n + 64}));
    }
    return out_.data() + used_;
  }
  void advance(std::size_t n) { used_ += n; }

  void put(char c) {
    *room(1) = c;
    ++used_;
  }
  void append(const char* data, std::size_t n) {
    if (n == 0) return; // `data` may be null then, which memcpy does not allow
    std::memcpy(room(n), data, n);
    used_ += n;
  }
  void append(std::string_view text) { append(text.data(), text.size()); }

private:
  std::string& out_;
  std::size_t used_;
};

enum class ByteClass : std::uint8_t { copied, escaped, multibyte };

constexpr std::array<ByteClass, 256> make_byte_classes() {
  std::array<ByteClass, 256> classes{};
  for (int c = 0; c < 256; ++c) {
    classes[c] = c >= 0x80                             ? ByteClass::multibyte
                 : (c < 0x20 || c == '"' || c == '\\') ? ByteClass::escaped
                                                       : ByteClass::copied;
  }
  return classes;
}
constexpr auto byte_classes = make_byte_classes();

ByteClass byte_class(char c) { return byte_classes[static_cast<unsigned char>(c)]; }

void append_escape(Output& out, char c) {
  switch (c) {
    case '"': return out.append("\\\"");
    case '\\': return out.append("\\\\");
    case '\n': return out.append("\\n");
    case '\r': return out.append("\\r");
    case '\t': return out.append("\\t");
    case '\b': return out.append("\\b");
    case '\f': return out.append("\\f");
    default: {
      // Other control characters: Python writes "\u00XX" in lower-case hex.
      static constexpr char hex[] = "0123456789abcdef";
      const auto byte = static_cast<unsigned char>(c);
      const char escape[] = {'\\', 'u', '0', '0', hex[byte >> 4], hex[byte & 0xf]};
      return out.append(escape, sizeof escape);
    }
  }
}

/// Appends `text` as a JSON string literal as json.dumps(ensure_ascii=False) writes it: '"', '\\'
/// and control characters escaped, everything else (DEL, non-ASCII) copied. Checks UTF-8 on the
/// way; returns the offset of the first ill-formed byte, or npos.
std::size_t append_string_literal(Output& out, std::string_view text) {
  out.put('"');
  const char* const begin = text.data();
  const char* const end = begin + text.size();
  const char* run = begin; // start of the bytes not yet appended
  for (const char* p = begin; p < end;) {
    if (end - p >= 8) {
      const std::uint64_t block = load8(p);
      const std::uint64_t flags = (block & high_bits) | string_stops_in(block);
      if (flags == 0) {
        p += 8; // eight plain ASCII bytes
        continue;
      }
      p += first_flagged_byte(flags); // to the first byte that is not plain ASCII
    }
    switch (byte_class(*p)) {
      case ByteClass::copied: ++p; break;
      case ByteClass::multibyte: {
        const std::size_t length = utf8_sequence_length(p, end);
        if (length == 0) return static_cast<std::size_t>(p - begin);
        p += length;
        break;
      }
      case ByteClass::escaped:
        out.append(run, static_cast<std::size_t>(p - run));
        append_escape(out, *p);
        run = ++p;
        break;
    }
  }
  out.append(run, static_cast<std::size_t>(end - run));
  out.put('"');
  return npos;
}

void append_int(Output& out, std::int64_t value) {
  constexpr std::size_t longest = 20; // "-9223372036854775808"
  char* const at = out.room(longest);
  out.advance(static_cast<std::size_t>(std::to_chars(at, at + longest, value).ptr - at));
}

/// Appends `value` as Python's json.dumps writes a float: float.__repr__ (the shortest digits that
/// read back to the same double, fixed notation for decimal exponents in [-4, 16) with ".0" on
/// whole numbers, else scientific as "1e-05" / "1.5e+300"), and NaN, Infinity, -Infinity.
void append_double(Output& out, double value) {
  if (std::isnan(value)) return out.append("NaN");
  if (std::isinf(value)) return out.append(value < 0 ? "-Infinity" : "Infinity");

  // to_chars' scientific form has the shortest round-trip digits and exactly repr's exponent
  // layout (sign, at least two digits), so it is used as it is, or re-laid out in fixed form.
  char scientific[32];
  const auto result = std::to_chars(scientific, scientific + sizeof scientific, value,
                                    std::chars_format::scientific);
  const std::string_view text(scientific, static_cast<std::size_t>(result.ptr - scientific));
  const std::size_t e = text.find('e');
  int exponent = 0;
  std::from_chars(text.data() + e + 2, text.data() + text.size(), exponent);
  if (text[e + 1] == '-') exponent = -exponent;
  if (exponent < -4 || exponent >= 16) return out.append(text);

  std::string_view mantissa = text.substr(0, e); // "-1.25"
  if (mantissa.front() == '-') {
    out.put('-');
    mantissa.remove_prefix(1);
  }
  char digits[20]; // at most 17 significant digits
  std::size_t count = 0;
  for (char c : mantissa) {
    if (c != '.') digits[count++] = c;
  }
  if (exponent < 0) { // 0.000ddd
    out.append("0.");
    for (int zeros = -exponent - 1; zeros > 0; --zeros) out.put('0');
    return out.append(digits, count);
  }
  const auto integer_digits = static_cast<std::size_t>(exponent) + 1;
  if (count <= integer_digits) { // ddd000.0
    out.append(digits, count);
    for (std::size_t zeros = integer_digits - count; zeros > 0; --zeros) out.put('0');
    out.append(".0");
  } else { // ddd.ddd
    out.append(digits, integer_digits);
    out.put('.');
    out.append(digits + integer_digits, count - integer_digits);
  }
}

} // namespace

void append_float_repr(std::string& out, double value) {
  if (std::isnan(value)) return void(out += "nan");
  if (std::isinf(value)) return void(out += value < 0 ? "-inf" : "inf");
  Output output(out);
  append_double(output, value);
}

namespace {

class Writer {
public:
  Writer(std::string& out, Dialect dialect, std::string_view key)
      : out_(out), dialect_(dialect), key_(key) {}

  /// Writes `value`, which sits inside `depth` containers.
  void write(const Value& value, std::size_t depth) {
    switch (value.kind()) {
      case ValueKind::none: return out_.append("null");
      case ValueKind::boolean: return out_.append(value.as_bool() ? "true" : "false");
      case ValueKind::integer: return append_int(out_, value.as_int());
      case ValueKind::floating: return append_double(out_, value.as_double());
      case ValueKind::string: return write_string(value.as_string(), "a string");
      case ValueKind::bytes: return write_bytes(value.as_bytes());
      case ValueKind::list: return write_array(value.as_list(), depth + 1);
      case ValueKind::tuple: return write_tuple(value.as_tuple(), depth + 1);
      case ValueKind::dict: return write_object(value.as_dict(), depth + 1);
    }
  }

private:
  void write_string(std::string_view text, const char* what) {
    const std::size_t bad = append_string_literal(out_, text);
    if (bad == npos) return;
    static constexpr char hex[] = "0123456789abcdef";
    const auto byte = static_cast<unsigned char>(text[bad]);
    throw SerializationError(std::string(what) + " is not valid UTF-8 (byte 0x" + hex[byte >> 4] +
                                 hex[byte & 0xf] + " at offset " + std::to_string(bad) + ")",
                             std::string(key_));
  }

  void write_bytes(std::string_view raw) {
    out_.append(dialect_ == Dialect::wire ? R"({"__type__": "bytes", "__data__": ")"
                                          : R"({"$bytes": ")");
    const std::size_t length = base64::encoded_length(raw.size());
    base64::encode(raw, out_.room(length));
    out_.advance(length);
    out_.append("\"}");
  }

  void write_array(const Value::Array& items, std::size_t level) {
    check_level(level);
    out_.put('[');
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i != 0) out_.append(", ");
      write(items[i], level);
    }
    out_.put(']');
  }

  // The wire form has no tuple inside a container: Python's json.dumps writes it as an array.
  void write_tuple(const Value::Array& items, std::size_t level) {
    if (dialect_ == Dialect::wire) return write_array(items, level);
    out_.append(R"({"$tuple": )");
    write_array(items, level);
    out_.put('}');
  }

  void write_object(const Value::Object& entries, std::size_t level) {
    check_level(level);
    out_.put('{');
    bool first = true;
    for (const auto& [entry_key, entry_value] : entries) {
      if (!first) out_.append(", ");
      first = false;
      write_string(entry_key, "a dict key");
      out_.append(": ");
      write(entry_value, level);
    }
    out_.put('}');
  }

  void check_level(std::size_t level) const {
    if (level > max_nesting_depth) {
      throw SerializationError("value nested deeper than " + std::to_string(max_nesting_depth) +
                                   " levels",
                               std::string(key_));
    }
  }

  Output out_;
  Dialect dialect_;
  std::string_view key_;
};

// ---------------------------------------------------------------------------------------------
// Reading

/// The deepest JSON nesting read_json accepts. Counted in JSON levels, it admits every value
/// the writers accept (max_nesting_depth containers): on the wire, serialize_value's wrapper
/// object and a bytes marker at the bottom add two levels; on the command line, each tuple is
/// two levels ({"$tuple": [...]}) and a bytes marker one more.
constexpr std::size_t max_json_depth(Dialect dialect) {
  return dialect == Dialect::wire ? max_nesting_depth + 2 : 2 * max_nesting_depth + 1;
}

bool is_whitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// Bytes that end a run of literal string content: the closing quote, an escape, and the
/// control characters JSON forbids inside strings.
constexpr std::array<bool, 256> make_string_stops() {
  std::array<bool, 256> stops{};
  for (int c = 0; c < 0x20; ++c) stops[c] = true;
  stops['"'] = stops['\\'] = true;
  return stops;
}
constexpr auto string_stops = make_string_stops();

bool is_string_stop(char c) { return string_stops[static_cast<unsigned char>(c)]; }

bool has_repeated_key(const Value::Object& entries) {
  // Small objects: comparing pairs is cheapest. Larger ones: sorted hashes, and the keys
  // themselves only when two hashes agree.
  constexpr std::size_t pairwise_limit = 8;
  const std::size_t count = entries.size();
  if (count <= pairwise_limit) {
    for (std::size_t i = 1; i < count; ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        if (entries[i].first == entries[j].first) return true;
      }
    }
    return false;
  }
  std::vector<std::size_t> hashes;
  hashes.reserve(count);
  for (const auto& entry : entries) hashes.push_back(std::hash<std::string_view>{}(entry.first));
  std::sort(hashes.begin(), hashes.end());
  if (std::adjacent_find(hashes.begin(), hashes.end()) == hashes.end()) return false;
  std::unordered_set<std::string_view> seen(count * 2);
  for (const auto& entry : entries) {
    if (!seen.insert(entry.first).second) return true;
  }
  return false;
}

/// Python's dict keeps a repeated key at its first position, with its last value.
void merge_repeated_keys(Value::Object& entries) {
  if (entries.size() < 2 || !has_repeated_key(entries)) return;
  Value::Object merged;
  merged.reserve(entries.size()); // no reallocation: the views below stay valid
  std::unordered_map<std::string_view, std::size_t> position;
  for (auto& entry : entries) {
    const auto found = position.find(entry.first);
    if (found != position.end()) {
      merged[found->second].second = std::move(entry.second);
    } else {
      merged.push_back(std::move(entry));
      position.emplace(merged.back().first, merged.size() - 1);
    }
  }
  entries = std::move(merged);
}

/// Python's float() of a number std::from_chars found outside double's range: ±inf above the
/// range, ±0.0 below it. The order of magnitude decides which; being at least 300 decades away
/// from 1, it needs no precision.
double out_of_range_double(std::string_view number) {
  const bool negative = number.front() == '-';
  if (negative) number.remove_prefix(1);
  const std::size_t e = number.find_first_of("eE");
  const std::string_view mantissa = number.substr(0, e);
  long long exponent = 0;
  if (e != npos) {
    std::string_view digits = number.substr(e + 1);
    const bool negative_exponent = digits.front() == '-';
    if (digits.front() == '-' || digits.front() == '+') digits.remove_prefix(1);
    for (char c : digits) {
      if (exponent < 1'000'000'000) exponent = exponent * 10 + (c - '0'); // saturates
    }
    if (negative_exponent) exponent = -exponent;
  }
  const std::size_t point = std::min(mantissa.find('.'), mantissa.size());
  const std::size_t first_significant = mantissa.find_first_not_of("0.");
  const auto magnitude = static_cast<long long>(point) - static_cast<long long>(first_significant);
  const double result = magnitude + exponent > 0 ? std::numeric_limits<double>::infinity() : 0.0;
  return negative ? -result : result;
}

/// Where the items and entries of the containers being read gather until their container ends
/// and they move into a vector of the exact size. Kept per thread from one document to the next,
/// so that a steady stream of reads allocates only the vectors it returns.
struct ReadStacks {
  Value::Array items;
  Value::Object entries;
};

/// Lends the calling thread's ReadStacks to one read, leaving them empty whatever happens, and
/// releases a stack's memory after an unusually large document rather than keep it for good.
class BorrowedStacks {
public:
  BorrowedStacks() : stacks_(per_thread()) {}
  ~BorrowedStacks() {
    release(stacks_.items);
    release(stacks_.entries);
  }
  BorrowedStacks(const BorrowedStacks&) = delete;
  BorrowedStacks& operator=(const BorrowedStacks&) = delete;

  Value::Array& items() { return stacks_.items; }
  Value::Object& entries() { return stacks_.entries; }

private:
  static ReadStacks& per_thread() {
    thread_local ReadStacks stacks;
    return stacks;
  }

  template <typename Stack>
  static void release(Stack& stack) {
    constexpr std::size_t kept_bytes = 1 << 20;
    if (stack.capacity() * sizeof(typename Stack::value_type) > kept_bytes) Stack().swap(stack);
    stack.clear();
  }

  ReadStacks& stacks_;
};

class Reader {
public:
  Reader(std::string_view text, Dialect dialect)
      : begin_(text.data()), pos_(begin_), end_(begin_ + text.size()), dialect_(dialect),
        max_depth_(max_json_depth(dialect)), item_stack_(stacks_.items()),
        entry_stack_(stacks_.entries()) {}

  Value read_document() {
    Value value = read_value(0);
    skip_whitespace();
    if (pos_ != end_) fail_syntax("extra data after the JSON value");
    return value;
  }

  // Reads exactly what read_document would up to the data, in the same order, so that an error
  // on the way is the one read_document would raise; the text is left to read_document only
  // where its spelling departs from the toolkit's before anything could fail.
  std::optional<Wrapped> read_wrapped() {
    skip_whitespace();
    if (!consume_word(R"({"__type__": )") || peek() != '"') return std::nullopt;
    std::string type = read_string();
    if (!consume_word(R"(, "__data__": )")) return std::nullopt;
    Value data = read_value(1); // the outer object is level 1, as in read_object
    skip_whitespace();
    if (!consume('}')) return std::nullopt; // another key follows: read_object's rules apply
    if (names_bytes(type)) {
      data = decode_bytes(data, "a bytes value");
      type = "bytes";
    }
    skip_whitespace();
    if (pos_ != end_) fail_syntax("extra data after the JSON value");
    return Wrapped{std::move(type), std::move(data)};
  }

private:
  using Cause = ReadError::Cause;

  /// Reads the value at pos_, which sits inside `depth` containers.
  Value read_value(std::size_t depth) {
    skip_whitespace();
    const char c = peek();
    switch (c) {
      case '{': return read_object(depth + 1);
      case '[': return read_array(depth + 1);
      case '"': return Value(read_string());
      default: return c == '-' || is_digit(c) ? read_number() : read_word();
    }
  }

  Value read_word() {
    if (consume_word("true")) return Value(true);
    if (consume_word("false")) return Value(false);
    if (consume_word("null")) return Value();
    if (consume_word("NaN")) return Value(std::numeric_limits<double>::quiet_NaN());
    if (consume_word("Infinity")) return Value(std::numeric_limits<double>::infinity());
    fail_syntax(pos_ == end_ ? "expected a value, found the end" : "expected a value");
  }

  // Python's grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?, or -Infinity.
  Value read_number() {
    const char* const start = pos_;
    consume('-');
    if (consume_word("Infinity")) return Value(-std::numeric_limits<double>::infinity());
    if (!consume('0')) skip_digits("expected a digit");
    bool integral = true;
    if (consume('.')) {
      integral = false;
      skip_digits("expected a digit after '.'");
    }
    if (consume('e') || consume('E')) {
      integral = false;
      if (!consume('+')) consume('-');
      skip_digits("expected a digit in the exponent");
    }
    return integral ? to_integer(start) : to_double(start);
  }

  Value to_integer(const char* start) {
    std::int64_t value = 0;
    if (std::from_chars(start, pos_, value).ec == std::errc::result_out_of_range) {
      fail_at(start, Cause::content, "integer out of the signed 64-bit range");
    }
    return Value(value);
  }

  Value to_double(const char* start) const {
    double value = 0;
    if (std::from_chars(start, pos_, value).ec == std::errc::result_out_of_range) {
      value = out_of_range_double(std::string_view(start, static_cast<std::size_t>(pos_ - start)));
    }
    return Value(value);
  }

  void skip_digits(const char* message_if_none) {
    if (!is_digit(peek())) fail_syntax(message_if_none);
    while (is_digit(peek())) ++pos_;
  }

  // pos_ is at the opening quote. The input is valid UTF-8, so multibyte text is copied as is.
  std::string read_string() {
    ++pos_;
    const char* run = pos_;
    skip_literal_run();
    std::string text(run, pos_); // a string without escapes is built in one allocation
    for (;;) {
      if (pos_ == end_) fail_syntax("unterminated string");
      if (*pos_ == '"') break;
      if (*pos_ != '\\') fail_syntax("control character in a string");
      read_escape(text);
      run = pos_;
      skip_literal_run();
      text.append(run, pos_);
    }
    ++pos_;
    return text;
  }

  void skip_literal_run() {
    while (end_ - pos_ >= 8) {
      const std::uint64_t stops = string_stops_in(load8(pos_));
      if (stops != 0) {
        pos_ += first_flagged_byte(stops);
        return;
      }
      pos_ += 8;
    }
    while (pos_ != end_ && !is_string_stop(*pos_)) ++pos_;
  }

  void read_escape(std::string& out) {
    ++pos_; // the backslash
    if (pos_ == end_) fail_syntax("unterminated string");
    const char c = *pos_++;
    switch (c) {
      case '"':
      case '\\':
      case '/': out += c; return;
      case 'b': out += '\b'; return;
      case 'f': out += '\f'; return;
      case 'n': out += '\n'; return;
      case 'r': out += '\r'; return;
      case 't': out += '\t'; return;
      case 'u': return append_utf8(out, read_code_point());
      default: --pos_; fail_syntax("invalid escape in a string");
    }
  }

  // After "\u": one code point, from a surrogate pair when it is above U+FFFF. A lone
  // surrogate has no UTF-8 form (Python would keep it in a str that cannot be encoded).
  std::uint32_t read_code_point() {
    const std::uint32_t unit = read_hex4();
    if (unit >= 0xdc00 && unit <= 0xdfff) fail_syntax("lone surrogate in a \\u escape");
    if (unit < 0xd800 || unit > 0xdbff) return unit;
    if (!consume_word("\\u")) fail_syntax("lone surrogate in a \\u escape");
    const std::uint32_t low = read_hex4();
    if (low < 0xdc00 || low > 0xdfff) fail_syntax("lone surrogate in a \\u escape");
    return 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
  }

  std::uint32_t read_hex4() {
    std::uint32_t unit = 0;
    for (int i = 0; i < 4; ++i, ++pos_) {
      const char c = peek();
      const int digit = is_digit(c)              ? c - '0'
                        : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                        : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                                 : -1;
      if (digit < 0) fail_syntax("invalid \\u escape");
      unit = unit << 4 | static_cast<std::uint32_t>(digit);
    }
    return unit;
  }

  // Items and entries gather on stacks shared by every container of the document, then move
  // into a vector of the exact size: no growth and reallocation per container.
  Value read_array(std::size_t level) {
    check_level(level);
    ++pos_;
    const std::size_t first = item_stack_.size();
    skip_whitespace();
    if (!consume(']')) {
      for (;;) {
        item_stack_.push_back(read_value(level));
        skip_whitespace();
        if (consume(',')) continue;
        if (consume(']')) break;
        fail_syntax("expected ',' or ']'");
      }
    }
    return Value::list(take_from(item_stack_, first));
  }

  Value read_object(std::size_t level) {
    check_level(level);
    ++pos_;
    const std::size_t first = entry_stack_.size();
    bool has_marker_key = false;
    skip_whitespace();
    if (!consume('}')) {
      for (;;) {
        skip_whitespace();
        if (peek() != '"') fail_syntax("expected a string key");
        std::string key = read_string();
        has_marker_key = has_marker_key || is_marker_key(key);
        skip_whitespace();
        if (!consume(':')) fail_syntax("expected ':'");
        Value item = read_value(level);
        entry_stack_.emplace_back(std::move(key), std::move(item));
        skip_whitespace();
        if (consume(',')) continue;
        if (consume('}')) break;
        fail_syntax("expected ',' or '}'");
      }
    }
    Value::Object entries = take_from(entry_stack_, first);
    merge_repeated_keys(entries);
    return has_marker_key ? from_marker(std::move(entries)) : Value::dict(std::move(entries));
  }

  template <typename Element>
  static std::vector<Element> take_from(std::vector<Element>& stack, std::size_t first) {
    const auto begin = stack.begin() + static_cast<std::ptrdiff_t>(first);
    std::vector<Element> taken(std::make_move_iterator(begin),
                               std::make_move_iterator(stack.end()));
    stack.erase(begin, stack.end());
    return taken;
  }

  /// Whether a wrapper's type stands for bytes: 0.3.x wrote bytes and bytearray alike.
  static bool names_bytes(std::string_view type) { return type == "bytes" || type == "bytearray"; }

  bool is_marker_key(std::string_view key) const {
    return dialect_ == Dialect::wire ? key == "__type__" : key == "$bytes" || key == "$tuple";
  }

  /// An object holding a marker key: the bytes or tuple it spells, or else a plain dict.
  Value from_marker(Value::Object entries) {
    if (dialect_ == Dialect::wire) {
      const Value* type = nullptr;
      Value* data = nullptr;
      for (auto& [entry_key, entry_value] : entries) {
        if (entry_key == "__type__") type = &entry_value;
        if (entry_key == "__data__") data = &entry_value;
      }
      const bool is_bytes_marker = type && data && type->is_string() && names_bytes(type->as_string());
      return is_bytes_marker ? decode_bytes(*data, "a bytes value")
                             : Value::dict(std::move(entries));
    }
    if (entries.size() != 1) return Value::dict(std::move(entries));
    auto& [marker, data] = entries.front();
    if (marker == "$bytes") return decode_bytes(data, "$bytes");
    if (!data.is_list()) fail_at(pos_, Cause::content, "$tuple must hold an array");
    return Value::tuple(std::move(data.items()));
  }

  Value decode_bytes(const Value& data, const std::string& what) const {
    std::string raw;
    if (!data.is_string() || !base64::decode(data.as_string(), raw)) {
      fail_at(pos_, Cause::content, what + " must hold a standard base64 string");
    }
    return Value::bytes(std::move(raw));
  }

  void check_level(std::size_t level) const {
    if (level > max_depth_) {
      fail_at(pos_, Cause::content, "nested deeper than " + std::to_string(max_depth_) + " levels");
    }
  }

  char peek() const { return pos_ == end_ ? '\0' : *pos_; }

  bool consume(char c) {
    if (pos_ == end_ || *pos_ != c) return false;
    ++pos_;
    return true;
  }

  bool consume_word(std::string_view word) {
    if (static_cast<std::size_t>(end_ - pos_) < word.size() ||
        std::memcmp(pos_, word.data(), word.size()) != 0)
      return false;
    pos_ += word.size();
    return true;
  }

  void skip_whitespace() {
    while (pos_ != end_ && is_whitespace(*pos_)) ++pos_;
  }

  [[noreturn]] void fail_syntax(const std::string& reason) const {
    fail_at(pos_, Cause::syntax, reason);
  }

  [[noreturn]] void fail_at(const char* where, Cause cause, const std::string& reason) const {
    throw ReadError(cause, static_cast<std::size_t>(where - begin_), reason);
  }

  const char* const begin_;
  const char* pos_;
  const char* const end_;
  const Dialect dialect_;
  const std::size_t max_depth_;
  BorrowedStacks stacks_;
  Value::Array& item_stack_;
  Value::Object& entry_stack_;
};

} // namespace

namespace {

bool is_json_whitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/// Skips [0-9]+ at `at`; false when there is no digit.
bool skip_scalar_digits(std::string_view text, std::size_t& at) {
  const std::size_t start = at;
  while (at < text.size() && text[at] >= '0' && text[at] <= '9') ++at;
  return at > start;
}

/// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)? or -Infinity, the whole of `text`.
bool is_json_number(std::string_view text) {
  std::size_t at = 0;
  if (at < text.size() && text[at] == '-') ++at;
  if (text.substr(at) == "Infinity") return at == 1;
  if (at < text.size() && text[at] == '0') ++at;
  else if (!skip_scalar_digits(text, at)) return false;
  if (at < text.size() && text[at] == '.' && !skip_scalar_digits(text, ++at)) return false;
  if (at < text.size() && (text[at] == 'e' || text[at] == 'E')) {
    ++at;
    if (at < text.size() && (text[at] == '+' || text[at] == '-')) ++at;
    if (!skip_scalar_digits(text, at)) return false;
  }
  return at == text.size();
}

} // namespace

bool is_json_scalar(std::string_view text) noexcept {
  while (!text.empty() && is_json_whitespace(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_json_whitespace(text.back())) text.remove_suffix(1);
  return text == "true" || text == "false" || text == "null" || text == "NaN" ||
         text == "Infinity" || is_json_number(text);
}

std::size_t find_invalid_utf8(std::string_view text) noexcept {
  const char* const begin = text.data();
  const char* const end = begin + text.size();
  const char* p = begin;
  while (p < end) {
    // ASCII fast path: skip eight bytes at a time while none has its high bit set.
    std::uint64_t block;
    if (end - p >= 8 && (std::memcpy(&block, p, 8), (block & 0x8080808080808080ull) == 0)) {
      p += 8;
      continue;
    }
    const std::size_t length = utf8_sequence_length(p, end);
    if (length == 0) return static_cast<std::size_t>(p - begin);
    p += length;
  }
  return npos;
}

void append_json(std::string& out, const Value& value, Dialect dialect, std::string_view key) {
  Writer(out, dialect, key).write(value, 0);
}

Value read_json(std::string_view text, Dialect dialect) {
  return Reader(text, dialect).read_document();
}

std::optional<Wrapped> read_wrapped(std::string_view text) {
  return Reader(text, Dialect::wire).read_wrapped();
}

} // namespace redis_toolkit::json_text
