#pragma once
// The wire format shared with the Python toolkit (redis-toolkit 0.3.x): the exact bytes stored in
// Redis for each Value, and the reader that accepts those bytes and what plain clients wrote.
//
//   std::string stored = redis_toolkit::serialize_value(Value::list({1, "two"}));
//   // stored == R"({"__type__": "list", "__data__": [1, "two"]})"
//   Value back = redis_toolkit::deserialize_value(stored);   // back == Value::list({1, "two"})

#include "redis_toolkit/value.hpp"

#include <string>
#include <string_view>

namespace redis_toolkit {

/// Deepest nesting of lists/tuples/dicts accepted in either direction.
inline constexpr std::size_t max_nesting_depth = 256;

/// Encodes a value byte for byte as redis-toolkit 0.3.x does. Throws SerializationError
/// (naming `key` when given) for strings or dict keys that are not valid UTF-8, or nesting
/// deeper than max_nesting_depth.
std::string serialize_value(const Value& value, std::string_view key = {});

/// A lower bound of serialize_value(value).size(), found without encoding: the payload of every
/// string (bytes: their base64) in the value. Lets a value too large for max_value_size be refused
/// before its encoding is built.
std::size_t serialized_size_at_least(const Value& value);

/// Decodes stored bytes (see docs/WIRE_FORMAT.md for the rules). Throws SerializationError
/// (naming `key` when given) for damaged toolkit values: a truncated or malformed wrapper,
/// a wrong type inside the wrapper, invalid base64, an integer out of int64 range, deep nesting.
Value deserialize_value(std::string_view stored, std::string_view key = {});

/// The command line's JSON form of a value (CONTRACT.md section 3): ints, floats, strings,
/// true/false, null, arrays (list), objects (dict), {"$bytes": "<base64>"}, {"$tuple": [...]}.
/// Throws ValidationError with the position for malformed text.
Value parse_cli_json(std::string_view text);
/// The same form as compact text with Python's separators (", " and ": ").
std::string format_cli_json(const Value& value);

/// Standard base64 (with padding); decode_base64 throws SerializationError on invalid input.
std::string encode_base64(std::string_view raw);
std::string decode_base64(std::string_view text);

} // namespace redis_toolkit
