// The wire format of redis-toolkit 0.3.x (docs/WIRE_FORMAT.md): the wrapper object around each
// stored value, the reading rules for what other programs stored, and the command-line form.
// The JSON text itself is json_text's job; this file decides what it means.

#include "redis_toolkit/wire_format.hpp"

#include "base64.hpp"
#include "json_text.hpp"
#include "redis_toolkit/errors.hpp"

#include <optional>
#include <string>

namespace redis_toolkit {
namespace {

using json_text::Dialect;
using json_text::ReadError;

/// How 0.3.x stores "no value": these bytes, which are not JSON.
constexpr std::string_view none_marker = "__NONE__";

/// How every value the toolkit writes begins. Bytes that begin so but are not valid UTF-8 or not
/// valid JSON were written by a toolkit and damaged since (truncated, most likely): an error,
/// where other bytes would read back as bytes or as a plain string.
constexpr std::string_view wrapper_prefix = R"({"__type__")";

std::string_view without_leading_whitespace(std::string_view text) {
  const std::size_t first = text.find_first_not_of(" \t\n\r");
  return first == std::string_view::npos ? std::string_view{} : text.substr(first);
}

/// Whether `text` (without leading whitespace) can start a JSON value. Plain text that cannot
/// is returned as a string without a parse attempt and the exception it would end in.
bool may_be_json(std::string_view text) {
  // Objects, arrays, strings, numbers, true, false, null, NaN and Infinity.
  constexpr std::string_view value_starts = "{[\"-0123456789tfnNI";
  return !text.empty() && value_starts.find(text.front()) != std::string_view::npos;
}

/// A first guess at the encoded size that spares most reallocations: the wrapper, plus the
/// payload of a string or bytes, or a few bytes per item of a container.
std::size_t initial_capacity(const Value& value) {
  constexpr std::size_t wrapper = 40;
  switch (value.kind()) {
    case ValueKind::string: return wrapper + value.size() + value.size() / 8;
    case ValueKind::bytes: return wrapper + (value.size() + 2) / 3 * 4;
    case ValueKind::list:
    case ValueKind::tuple:
    case ValueKind::dict: return wrapper + 16 * value.size();
    default: return wrapper;
  }
}

/// The value a wrapper of type `type_name` holding `data` stands for, its data checked against
/// the type.
Value typed_data(const std::string& type_name, Value data, std::string_view key) {
  const auto require = [&](bool holds_expected, const char* expected) {
    if (holds_expected) return;
    throw SerializationError("a \"" + type_name + "\" value must hold " + expected + ", not " +
                                 std::string(kind_name(data.kind())),
                             std::string(key));
  };
  // 0.3.x read {"__type__": "int", "__data__": 1} back as True: ints stay ints here.
  if (type_name == "int") {
    require(data.is_int(), "an integer");
  } else if (type_name == "float") {
    require(data.is_double() || data.is_int(), "a number");
    data = Value(data.as_double());
  } else if (type_name == "str") {
    require(data.is_string(), "a string");
  } else if (type_name == "bool") {
    require(data.is_bool(), "true or false");
  } else if (type_name == "list") {
    require(data.is_list(), "an array");
  } else if (type_name == "tuple") {
    require(data.is_list(), "an array");
    data = Value::tuple(std::move(data.items()));
  } else if (type_name == "dict") {
    require(data.is_dict(), "an object");
  }
  // "bytes" and "bytearray" data comes decoded (json_text reads them as bytes markers). Data of
  // a type this reader does not know is the best answer there is, as in 0.3.x.
  return data;
}

/// What a decoded document stands for. A wrapper ({"__type__": <string>, "__data__": ...}, extra
/// keys ignored as 0.3.x does) is unpacked and its data checked against the type; anything else
/// is plain JSON written by another program and stands for itself.
Value unwrap(Value document, std::string_view key) {
  if (!document.is_dict()) return document;
  const Value* type = nullptr;
  Value* data = nullptr;
  for (auto& [entry_key, entry_value] : document.as_dict()) {
    if (entry_key == "__type__") type = &entry_value;
    if (entry_key == "__data__") data = &entry_value;
  }
  if (!type || !data || !type->is_string()) return document;
  return typed_data(type->as_string(), std::move(*data), key);
}

/// Position of byte `offset` counted in characters (code points), as Python reports positions.
std::size_t character_offset(std::string_view text, std::size_t offset) {
  std::size_t characters = 0;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xc0) != 0x80) ++characters;
  }
  return characters;
}

} // namespace

std::string serialize_value(const Value& value, std::string_view key) {
  if (value.is_none()) return std::string(none_marker);
  std::string out;
  out.reserve(initial_capacity(value));
  if (value.is_bytes()) { // the bytes marker {"__type__": "bytes", ...} is its own wrapper
    json_text::append_json(out, value, Dialect::wire, key);
    return out;
  }
  out += R"({"__type__": ")";
  out += kind_name(value.kind());
  out += R"(", "__data__": )";
  json_text::append_json(out, value, Dialect::wire, key);
  out += '}';
  return out;
}

namespace {

std::size_t payload_at_least(const Value& value, std::size_t depth) {
  if (depth > max_nesting_depth) return 0; // serialize_value refuses it anyway
  switch (value.kind()) {
    case ValueKind::string: return value.as_string().size() + 2; // quoted
    case ValueKind::bytes: return (value.as_bytes().size() + 2) / 3 * 4;
    case ValueKind::list:
    case ValueKind::tuple: {
      std::size_t total = 2;
      for (const Value& item : value.items()) total += payload_at_least(item, depth + 1);
      return total;
    }
    case ValueKind::dict: {
      std::size_t total = 2;
      for (const auto& [entry_key, entry_value] : value.as_dict())
        total += entry_key.size() + 2 + payload_at_least(entry_value, depth + 1);
      return total;
    }
    default: return 1;
  }
}

} // namespace

std::size_t serialized_size_at_least(const Value& value) {
  if (value.is_none()) return none_marker.size();
  return payload_at_least(value, 0);
}

Value deserialize_value(std::string_view stored, std::string_view key) {
  if (stored == none_marker) return Value();
  const std::string_view text = without_leading_whitespace(stored);
  const bool wrapper_like = text.substr(0, wrapper_prefix.size()) == wrapper_prefix;
  const auto damaged = [key](const std::string& reason, std::size_t offset) {
    return SerializationError("damaged toolkit value: " + reason + " at byte " +
                                  std::to_string(offset),
                              std::string(key));
  };

  const std::size_t bad_byte = json_text::find_invalid_utf8(stored);
  if (bad_byte != std::string_view::npos) {
    if (wrapper_like) throw damaged("not valid UTF-8", bad_byte); // cut inside a character
    return Value::bytes(std::string(stored));
  }
  if (!may_be_json(text)) return Value(std::string(stored));
  // Text another program stored that merely starts like a number or a word ("2024-01-01",
  // "nothing") is a string: tell it without a failed parse, which costs an exception.
  const bool scalar_start = text.front() != '{' && text.front() != '[' && text.front() != '"';
  if (scalar_start && !json_text::is_json_scalar(text)) return Value(std::string(stored));

  Value document;
  try {
    // What the toolkit wrote reads without the outer object; any other spelling of a wrapper
    // reads as a document, and unwrap finds the wrapper in it.
    if (wrapper_like) {
      if (std::optional<json_text::Wrapped> wrapped = json_text::read_wrapped(stored))
        return typed_data(wrapped->type, std::move(wrapped->data), key);
    }
    document = json_text::read_json(stored, Dialect::wire);
  } catch (const ReadError& error) {
    if (error.cause() == ReadError::Cause::content) {
      throw SerializationError("unreadable value: " + std::string(error.what()) + " at byte " +
                                   std::to_string(error.offset()),
                               std::string(key));
    }
    if (wrapper_like) throw damaged(error.what(), error.offset());
    return Value(std::string(stored)); // text another program stored
  }
  return unwrap(std::move(document), key);
}

Value parse_cli_json(std::string_view text) {
  const auto invalid = [text](std::size_t offset, const std::string& reason) {
    return ValidationError("invalid JSON value: " + reason + " at character " +
                           std::to_string(character_offset(text, offset)));
  };
  const std::size_t bad_byte = json_text::find_invalid_utf8(text);
  if (bad_byte != std::string_view::npos) throw invalid(bad_byte, "not valid UTF-8");
  try {
    return json_text::read_json(text, Dialect::cli);
  } catch (const ReadError& error) {
    throw invalid(error.offset(), error.what());
  }
}

std::string format_cli_json(const Value& value) {
  std::string out;
  out.reserve(initial_capacity(value));
  json_text::append_json(out, value, Dialect::cli, {});
  return out;
}

std::string encode_base64(std::string_view raw) {
  std::string text(base64::encoded_length(raw.size()), '\0');
  base64::encode(raw, text.data());
  return text;
}

std::string decode_base64(std::string_view text) {
  std::string raw;
  if (!base64::decode(text, raw)) {
    throw SerializationError("not standard base64 (A-Z a-z 0-9 + / with '=' padding, length a "
                             "multiple of 4)");
  }
  return raw;
}

} // namespace redis_toolkit
