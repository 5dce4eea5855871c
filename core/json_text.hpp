#pragma once
// Private: the library's own JSON reader and writer for Value, in the two spellings the toolkit
// uses. One string escaper, one number formatter and one parser serve both, so the wire format
// and the command line cannot drift apart. Not a general JSON library: it reads into Value and
// writes from Value, nothing else.

#include "redis_toolkit/value.hpp"

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace redis_toolkit::json_text {

/// How the two kinds without a JSON counterpart (bytes, tuples) are spelled.
enum class Dialect {
  /// redis-toolkit 0.3.x: bytes are {"__type__": "bytes", "__data__": "<base64>"} (read back from
  /// "bytearray" too), tuples are plain arrays (and so read back as lists).
  wire,
  /// The rtk command line: {"$bytes": "<base64>"} and {"$tuple": [...]}, each the only key.
  cli,
};

/// Why read_json refused its input. Callers treat the two causes differently: text that is not
/// JSON may still be a plain string, JSON that we cannot represent never is.
class ReadError : public std::runtime_error {
public:
  enum class Cause {
    syntax,  ///< not JSON (Python's json.loads would refuse it too, or it holds a lone surrogate)
    content, ///< JSON, but too deep, an integer beyond int64, or a damaged bytes/tuple marker
  };
  ReadError(Cause cause, std::size_t offset, const std::string& reason)
      : std::runtime_error(reason), cause_(cause), offset_(offset) {}
  Cause cause() const noexcept { return cause_; }
  /// Byte offset in the text where reading stopped.
  std::size_t offset() const noexcept { return offset_; }

private:
  Cause cause_;
  std::size_t offset_;
};

/// Offset of the first byte that does not start a well-formed UTF-8 sequence (overlong forms,
/// surrogates and code points above U+10FFFF are ill-formed, as in Python's strict decoder), or
/// std::string_view::npos when the whole text is valid.
std::size_t find_invalid_utf8(std::string_view text) noexcept;

/// Whether `text` (surrounding JSON whitespace allowed) is exactly one JSON number (Python's
/// grammar, -Infinity included) or one of the words true, false, null, NaN, Infinity. Lets the
/// reader tell "2024-01-01" or "nothing" from JSON without a failed parse (an exception).
bool is_json_scalar(std::string_view text) noexcept;

/// Appends `value` as Python's json.dumps(value, ensure_ascii=False) writes it, in `dialect`.
/// Throws SerializationError naming `key` for a string or dict key that is not valid UTF-8 or for
/// nesting deeper than max_nesting_depth.
void append_json(std::string& out, const Value& value, Dialect dialect, std::string_view key);

/// Parses one JSON document (surrounding whitespace allowed) in `dialect`: Python's json.loads
/// grammar including NaN, Infinity and -Infinity; integers become int64, numbers with a fraction
/// or an exponent become double; repeated dict keys keep the first position and the last value,
/// as a Python dict does. `text` must be valid UTF-8 (see find_invalid_utf8). Throws ReadError.
Value read_json(std::string_view text, Dialect dialect);

/// A value in the toolkit's wrapper, {"__type__": <type>, "__data__": <data>}.
struct Wrapped {
  std::string type;
  Value data;
};

/// Reads `text` (Dialect::wire) as the wrapper spelled the way the toolkit and 0.3.x write it:
/// the two keys in that order, no other key, Python's separators. Reading it so skips building,
/// checking and taking apart the outer object that read_json would. The data is read as read_json
/// reads it, and a "bytes" or "bytearray" wrapper comes back decoded, with type "bytes". Returns
/// nullopt when the text is spelled otherwise up to and just past the data: read_json then reads
/// the whole text as any document. Throws the ReadError read_json would throw for the same text.
std::optional<Wrapped> read_wrapped(std::string_view text);

/// Appends Python's repr() of a float: the JSON form above for finite values, and nan, inf, -inf.
void append_float_repr(std::string& out, double value);

} // namespace redis_toolkit::json_text
