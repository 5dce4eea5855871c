// The wire format against the bytes redis-toolkit 0.3.2 wrote (tests/data/wire-vectors.json, read
// with RapidJSON so that the vectors do not go through the parser under test), then the float
// text, escaping, reading rules, damaged input and the command-line form.

#include "redis_toolkit/errors.hpp"
#include "redis_toolkit/wire_format.hpp"

#include <boost/test/unit_test.hpp>
#include <rapidjson/document.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

using redis_toolkit::decode_base64;
using redis_toolkit::deserialize_value;
using redis_toolkit::encode_base64;
using redis_toolkit::format_cli_json;
using redis_toolkit::parse_cli_json;
using redis_toolkit::SerializationError;
using redis_toolkit::serialize_value;
using redis_toolkit::ValidationError;
using redis_toolkit::Value;

namespace {

const rapidjson::Document& wire_vectors() {
  static const rapidjson::Document document = [] {
    std::ifstream file(RTK_TEST_DATA_DIR "/wire-vectors.json", std::ios::binary);
    const std::string text{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
    rapidjson::Document parsed;
    parsed.Parse<rapidjson::kParseFullPrecisionFlag>(text.c_str(), text.size());
    if (parsed.HasParseError() || !parsed.IsObject())
      throw std::runtime_error("bad wire-vectors.json");
    return parsed;
  }();
  return document;
}

std::string as_text(const rapidjson::Value& json) {
  return std::string(json.GetString(), json.GetStringLength());
}

/// A vector value: {"t": kind, "v": data}; bytes and bytearray hold base64, dicts [key, value]
/// pairs.
Value from_vector(const rapidjson::Value& json) {
  const std::string kind = as_text(json["t"]);
  if (kind == "none") return Value();
  const rapidjson::Value& data = json["v"];
  if (kind == "bool") return Value(data.GetBool());
  if (kind == "int") return Value(data.GetInt64());
  if (kind == "float") return Value(data.GetDouble());
  if (kind == "str") return Value(as_text(data));
  if (kind == "bytes" || kind == "bytearray") return Value::bytes(decode_base64(as_text(data)));
  if (kind == "list" || kind == "tuple") {
    Value::Array items;
    for (const auto& item : data.GetArray()) items.push_back(from_vector(item));
    return kind == "list" ? Value::list(std::move(items)) : Value::tuple(std::move(items));
  }
  if (kind == "dict") {
    Value::Object entries;
    for (const auto& pair : data.GetArray())
      entries.emplace_back(as_text(pair[0]), from_vector(pair[1]));
    return Value::dict(std::move(entries));
  }
  throw std::runtime_error("unknown vector kind " + kind);
}

/// Whether a vector value holds a bytearray inside a container, which 0.3.2 marked "bytearray".
bool holds_nested_bytearray(const rapidjson::Value& json, bool nested = false) {
  const std::string kind = as_text(json["t"]);
  if (kind == "bytearray") return nested;
  if (kind == "list" || kind == "tuple") {
    for (const auto& item : json["v"].GetArray()) {
      if (holds_nested_bytearray(item, true)) return true;
    }
  }
  if (kind == "dict") {
    for (const auto& pair : json["v"].GetArray()) {
      if (holds_nested_bytearray(pair[1], true)) return true;
    }
  }
  return false;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

/// `text` inside a list wrapper, where any damage must be an error.
std::string wrapped(const std::string& data) {
  return R"({"__type__": "list", "__data__": )" + data + "}";
}

// [value] and (value,), moving rather than copying (an initializer list would copy the subtree).
Value in_list(Value value) {
  Value::Array items;
  items.push_back(std::move(value));
  return Value::list(std::move(items));
}

Value in_tuple(Value value) {
  Value::Array items;
  items.push_back(std::move(value));
  return Value::tuple(std::move(items));
}

Value nested_lists(std::size_t depth) {
  Value value = Value::list();
  for (std::size_t i = 1; i < depth; ++i) value = in_list(std::move(value));
  return value;
}

std::string message_of_serialize(const Value& value, const std::string& key) {
  try {
    serialize_value(value, key);
  } catch (const SerializationError& error) {
    return error.what();
  }
  return "no error";
}

std::string message_of_cli_parse(const std::string& text) {
  try {
    parse_cli_json(text);
  } catch (const ValidationError& error) {
    return error.what();
  }
  return "no error";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_SUITE(wire_format_tests)

// ---- the 0.3.2 vectors ----

BOOST_AUTO_TEST_CASE(vector_file_holds_the_expected_counts) {
  BOOST_TEST(wire_vectors()["encode"].Size() == 26u);
  BOOST_TEST(wire_vectors()["decode"].Size() == 14u);
}

BOOST_AUTO_TEST_CASE(every_encode_vector_is_written_byte_for_byte_and_read_back) {
  for (const auto& vector : wire_vectors()["encode"].GetArray()) {
    const Value value = from_vector(vector["value"]);
    const std::string stored = decode_base64(as_text(vector["bytes"]));
    BOOST_TEST_CONTEXT("value " << value) {
      BOOST_TEST(stored == as_text(vector["text"]));
      BOOST_TEST(deserialize_value(stored) == from_vector(vector["reads_back_as"]));
      // Value has no bytearray kind (CONTRACT.md: such vectors are for reading): inside a
      // container we write the bytes marker that 0.3.2 writes for bytes there.
      const std::string written =
          holds_nested_bytearray(vector["value"])
              ? replace_all(stored, R"("__type__": "bytearray")", R"("__type__": "bytes")")
              : stored;
      BOOST_TEST(serialize_value(value) == written);
    }
  }
}

BOOST_AUTO_TEST_CASE(every_decode_vector_reads_back_as_expected) {
  for (const auto& vector : wire_vectors()["decode"].GetArray()) {
    const std::string stored = decode_base64(as_text(vector["bytes"]));
    BOOST_TEST_CONTEXT("stored " << stored) {
      BOOST_TEST(deserialize_value(stored) == from_vector(vector["expect"]));
    }
  }
}

BOOST_AUTO_TEST_CASE(ints_read_back_as_ints_not_bools) {
  BOOST_TEST(deserialize_value(R"({"__type__": "int", "__data__": 1})").is_int());
  BOOST_TEST(deserialize_value(R"({"__type__": "int", "__data__": 0})").is_int());
  BOOST_TEST(deserialize_value(R"({"__type__": "bool", "__data__": true})") == Value(true));
}

// ---- float text ----

BOOST_AUTO_TEST_CASE(floats_are_written_as_python_repr) {
  const std::vector<std::pair<double, std::string>> cases = {
      {0.1, "0.1"},
      {1e16, "1e+16"},
      {1e15, "1000000000000000.0"},
      {123456789012345678.0, "1.2345678901234568e+17"},
      {5e-324, "5e-324"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
      {0.0001, "0.0001"},
      {0.00001, "1e-05"},
      {-0.0, "-0.0"},
      {0.0, "0.0"},
      {3.0, "3.0"},
      {-1.0, "-1.0"},
      {100000.0, "100000.0"},
      {12.5, "12.5"},
      {-0.25, "-0.25"},
      {1e-10, "1e-10"},
      {1.5e300, "1.5e+300"},
      {2.2250738585072014e-308, "2.2250738585072014e-308"},
      {9007199254740993.0, "9007199254740992.0"},
      {std::numeric_limits<double>::quiet_NaN(), "NaN"},
      {std::numeric_limits<double>::infinity(), "Infinity"},
      {-std::numeric_limits<double>::infinity(), "-Infinity"}};
  for (const auto& [number, text] : cases) {
    BOOST_TEST(serialize_value(Value(number)) ==
               R"({"__type__": "float", "__data__": )" + text + "}");
    BOOST_TEST(format_cli_json(Value(number)) == text);
    BOOST_TEST(deserialize_value(serialize_value(Value(number))) == Value(number));
  }
  BOOST_TEST(std::signbit(deserialize_value(serialize_value(Value(-0.0))).as_double()));
}

BOOST_AUTO_TEST_CASE(numbers_are_read_as_python_reads_them) {
  BOOST_TEST(deserialize_value("1E2") == Value(100.0));
  BOOST_TEST(deserialize_value("-0") == Value(0));
  BOOST_TEST(deserialize_value("1e400") == Value(std::numeric_limits<double>::infinity()));
  BOOST_TEST(deserialize_value("-1e400") == Value(-std::numeric_limits<double>::infinity()));
  BOOST_TEST(deserialize_value("1e-400") == Value(0.0));
  BOOST_TEST(std::signbit(deserialize_value("-0.0001e-400").as_double()));
  BOOST_TEST(deserialize_value("NaN") == Value(std::nan("")));
  BOOST_TEST(deserialize_value("[Infinity, -Infinity]") ==
             Value::list({std::numeric_limits<double>::infinity(),
                          -std::numeric_limits<double>::infinity()}));
  BOOST_TEST(deserialize_value("9223372036854775807") == Value(INT64_MAX));
  BOOST_TEST(deserialize_value("-9223372036854775808") == Value(INT64_MIN));
  BOOST_TEST(deserialize_value(R"({"__type__": "float", "__data__": 2})").is_double());
}

// ---- strings ----

BOOST_AUTO_TEST_CASE(strings_escape_what_python_escapes_and_nothing_else) {
  std::string controls;
  for (char c = 0; c < 0x20; ++c) controls += c;
  const std::string expected_controls =
      R"(\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e\u000f)"
      R"(\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017)"
      R"(\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f)";
  BOOST_TEST(serialize_value(Value(controls)) ==
             R"({"__type__": "str", "__data__": ")" + expected_controls + "\"}");
  BOOST_TEST(deserialize_value(serialize_value(Value(controls))) == Value(controls));

  BOOST_TEST(serialize_value(Value("a\"b\\c/d\x7f")) ==
             "{\"__type__\": \"str\", \"__data__\": \"a\\\"b\\\\c/d\x7f\"}");
  BOOST_TEST(deserialize_value(R"("\/\b\f\u00e9\u4f60\ud83d\ude80")") ==
             Value("/\b\f\xc3\xa9\xe4\xbd\xa0\xf0\x9f\x9a\x80"));
  BOOST_TEST(deserialize_value(R"("\u0000")") == Value(std::string(1, '\0')));
}

BOOST_AUTO_TEST_CASE(non_ascii_is_written_raw) {
  const std::string text = "h\xc3\xa9 \xe4\xbd\xa0\xe5\xa5\xbd \xf0\x9f\x9a\x80 \xe2\x80\xa8";
  BOOST_TEST(serialize_value(Value::dict({{text, text}})) ==
             R"({"__type__": "dict", "__data__": {")" + text + R"(": ")" + text + "\"}}");
  BOOST_TEST(format_cli_json(Value(text)) == "\"" + text + "\"");
}

BOOST_AUTO_TEST_CASE(invalid_utf8_is_refused_naming_the_key) {
  const std::vector<std::string> invalid = {
      "\xff", "a\x80", "\xc0\xaf", "\xe4\xbd", "\xed\xa0\x80", "\xf4\x90\x80\x80",
      "\xf8\x88\x80\x80\x80"
  };
  for (const std::string& text : invalid) {
    BOOST_TEST_CONTEXT("text of " << text.size() << " bytes") {
      const std::string message = message_of_serialize(Value(text), "user:1");
      BOOST_TEST(contains(message, "user:1"));
      BOOST_TEST(contains(message, "UTF-8"));
      BOOST_TEST(
          contains(message_of_serialize(Value::list({Value::dict({{text, 1}})}), "k2"), "k2"));
      BOOST_CHECK_THROW(format_cli_json(Value(text)), SerializationError);
      BOOST_TEST(deserialize_value(text) == Value::bytes(text));
    }
  }
}

// ---- reading rules ----

BOOST_AUTO_TEST_CASE(reading_accepts_what_plain_clients_stored) {
  BOOST_TEST(deserialize_value("__NONE__").is_none());
  BOOST_TEST(deserialize_value("__NONE__ ") == Value("__NONE__ "));
  BOOST_TEST(deserialize_value("") == Value(""));
  BOOST_TEST(deserialize_value("   ") == Value("   "));
  BOOST_TEST(deserialize_value("hello world") == Value("hello world"));
  BOOST_TEST(deserialize_value(" \n 42 \t") == Value(42));
  BOOST_TEST(deserialize_value("null").is_none());
  BOOST_TEST(deserialize_value("false") == Value(false));
  BOOST_TEST(deserialize_value(std::string("\x00\x01\xfe", 3)) ==
             Value::bytes(std::string("\x00\x01\xfe", 3)));
  BOOST_TEST(deserialize_value("{\xff") == Value::bytes("{\xff"));
  BOOST_CHECK_THROW(deserialize_value("{\"__type__\": \"str\", \"__data__\": \"\xc3"),
                    SerializationError);
  BOOST_TEST(deserialize_value(R"({"__type__": "bytearray", "__data__": "AAE="})") ==
             Value::bytes(std::string("\x00\x01", 2)));
  BOOST_TEST(deserialize_value(R"({"x": [{"__type__": "bytearray", "__data__": "eQ=="}]})") ==
             Value::dict({{"x", Value::list({Value::bytes("y")})}}));
}

BOOST_AUTO_TEST_CASE(wrapper_rules) {
  // Extra keys are ignored, as 0.3.x does; a __type__ that is not a string is no wrapper.
  BOOST_TEST(deserialize_value(R"({"__data__": 5, "x": 1, "__type__": "int"})") == Value(5));
  BOOST_TEST(deserialize_value(R"({"__type__": 5, "__data__": 1})") ==
             Value::dict({{"__type__", 5}, {"__data__", 1}}));
  BOOST_TEST(deserialize_value(R"({"__type__": "int"})") == Value::dict({{"__type__", "int"}}));
  BOOST_TEST(deserialize_value(R"({"__type__": "NoneType", "__data__": null})").is_none());
  BOOST_TEST(
      deserialize_value(
          R"({"__type__": "set", "__data__": [1, {"__type__": "bytes", "__data__": "eA=="}]})") ==
      Value::list({1, Value::bytes("x")}));
  // A repeated key keeps its first position and its last value, as a Python dict does.
  BOOST_TEST(deserialize_value(R"({"a": 1, "b": 2, "a": 3})") == Value::dict({{"a", 3}, {"b", 2}}));
  // A tuple is a tuple at the top level only: inside a container Python wrote an array.
  BOOST_TEST(deserialize_value(serialize_value(Value::tuple({1, Value::tuple({2})}))) ==
             Value::tuple({1, Value::list({2})}));
}

BOOST_AUTO_TEST_CASE(wrong_data_inside_a_wrapper_is_refused) {
  const std::vector<std::string> damaged = {
      R"({"__type__": "int", "__data__": 1.5})", R"({"__type__": "int", "__data__": "1"})",
      R"({"__type__": "int", "__data__": true})", R"({"__type__": "float", "__data__": "x"})",
      R"({"__type__": "float", "__data__": true})", R"({"__type__": "str", "__data__": 1})",
      R"({"__type__": "bool", "__data__": 1})", R"({"__type__": "bool", "__data__": 0})",
      R"({"__type__": "list", "__data__": {}})", R"({"__type__": "tuple", "__data__": "x"})",
      R"({"__type__": "dict", "__data__": []})", R"({"__type__": "bytes", "__data__": 5})",
      R"({"__type__": "bytes", "__data__": "!!!!"})", R"({"__type__": "bytes", "__data__": "AAE"})",
      R"({"__type__": "bytes", "__data__": "AA E="})",
      R"({"__type__": "bytearray", "__data__": null})",
      R"([{"__type__": "bytes", "__data__": "*"}])"
  };
  for (const std::string& stored : damaged) {
    BOOST_TEST_CONTEXT(stored) {
      try {
        deserialize_value(stored, "key:7");
        BOOST_ERROR("no error");
      } catch (const SerializationError& error) {
        BOOST_TEST(error.key() == "key:7");
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(invalid_json_is_a_string_outside_a_wrapper_and_an_error_inside) {
  const std::vector<std::string> not_json = {
      "[1, 2,]", R"({"a": 1,})", "{'a': 1}", R"("\x")", R"("\ud800")", R"("\udc00")",
      R"("\ud800\u0041")", R"("\u12")", "01", "1.", ".5", "+1", "-", "tru", "nul", "-NaN",
      "infinity", "\"a\tb\"", "\"open", "1 2", R"({"a" 1})", "{1: 2}", "[1 2]", "[", "{",
      R"({"a": })", "[1,,2]", "\"\\"
  };
  for (const std::string& text : not_json) {
    BOOST_TEST_CONTEXT(text) {
      BOOST_TEST(deserialize_value(text) == Value(text));
      BOOST_CHECK_THROW(deserialize_value(wrapped(text)), SerializationError);
      BOOST_CHECK_THROW(parse_cli_json(text), ValidationError);
    }
  }
}

BOOST_AUTO_TEST_CASE(every_truncation_of_a_toolkit_value_is_an_error_or_plain_text) {
  const std::vector<Value> values = {
      Value(true),
      Value(-7),
      Value(1.5e300),
      Value("h\xc3\xa9 \xf0\x9f\x9a\x80"),
      Value::bytes(std::string("\x00\x01\xff", 3)),
      Value::tuple({1, "x"}),
      Value::dict({{"a", Value::list({1, Value::bytes("z"), Value()})}, {"b", Value::dict({})}})};
  const std::string prefix = R"({"__type__")";
  for (const Value& value : values) {
    const std::string stored = serialize_value(value);
    for (std::size_t length = 0; length < stored.size(); ++length) {
      const std::string cut = stored.substr(0, length);
      BOOST_TEST_CONTEXT(cut) {
        if (length < prefix.size()) {
          BOOST_TEST(deserialize_value(cut) == Value(cut));
        } else {
          BOOST_CHECK_THROW(deserialize_value(cut), SerializationError);
        }
      }
    }
  }
}

// The toolkit's own spelling of a wrapper is read without building the outer object; any other
// spelling goes through the whole document. Both must agree on every text: the same value, or
// both a SerializationError naming the key.
BOOST_AUTO_TEST_CASE(the_toolkit_spelling_and_any_other_read_alike) {
  const std::string spelled = R"({"__type__": )";
  const std::string respaced = R"({"__type__" : )"; // still a wrapper, not the toolkit's spelling
  std::vector<std::string> texts = {
      R"({"__type__": "int", "__data__": 1, "x": 2})",
      R"({"__type__": "int", "__data__": 1, "__data__": 2})",
      R"({"__type__": "int", "__data__": 1} x)",
      R"({"__type__": "int", "__data__": 1}  )",
      R"({"__type__": "int", "__data__" : 1})",
      R"({"__type__": "int",  "__data__": 1})",
      R"({"__type__": "float", "__data__": 2})",
      R"({"__type__": "tuple", "__data__": [1, [2]]})",
      R"({"__type__": "set", "__data__": [1]})",
      R"({"__type__": "bytes", "__data__": "AAE="} x)",
      R"({"__type__": "bytes", "__data__": "AAE"})",
      R"({"__type__": "bytearray", "__data__": "AAE="})",
      R"({"__type__": "b\u0079tes", "__data__": "AAE="})",
      R"({"__type__": "int", "__data__": [[[[1]]]]})",
      R"({"__type__": "dict", "__data__": {"a": 1, "a": 2}})",
  };
  for (const Value& value : {Value(true), Value(-7), Value(1.5e300), Value("q\"\n"),
                             Value::bytes(std::string("\x00\x01\xff", 3)), Value::tuple({1, "x"}),
                             Value::dict({{"a", Value::list({1, Value::bytes("z"), Value()})}})}) {
    const std::string stored = serialize_value(value);
    for (std::size_t length = spelled.size(); length <= stored.size(); ++length)
      texts.push_back(stored.substr(0, length));
  }
  const auto outcome = [](const std::string& text) -> std::optional<Value> {
    try {
      return deserialize_value(text, "key:9");
    } catch (const SerializationError& error) {
      BOOST_TEST(error.key() == "key:9");
      return std::nullopt;
    }
  };
  for (const std::string& text : texts) {
    BOOST_TEST_CONTEXT(text) {
      BOOST_REQUIRE(text.compare(0, spelled.size(), spelled) == 0);
      const std::string other = respaced + text.substr(spelled.size());
      const std::optional<Value> fast = outcome(text);
      const std::optional<Value> whole = outcome(other);
      BOOST_TEST(fast.has_value() == whole.has_value());
      if (fast && whole) BOOST_TEST(*fast == *whole);
    }
  }
  // What the fast reading returns, spelled out.
  BOOST_TEST(deserialize_value(R"({"__type__": "int", "__data__": 1, "__data__": 2})") == Value(2));
  BOOST_TEST(deserialize_value(R"({"__type__": "bytearray", "__data__": "AAE="})") ==
             Value::bytes(std::string("\x00\x01", 2)));
  BOOST_TEST(deserialize_value(R"(  {"__type__": "float", "__data__": 2}  )") == Value(2.0));
  BOOST_CHECK_THROW(deserialize_value(R"({"__type__": "int", "__data__": 1} x)"), SerializationError);
}

BOOST_AUTO_TEST_CASE(integers_beyond_int64_are_refused) {
  BOOST_CHECK_THROW(deserialize_value("99999999999999999999"), SerializationError);
  BOOST_CHECK_THROW(deserialize_value("-9223372036854775809"), SerializationError);
  BOOST_CHECK_THROW(deserialize_value(R"({"__type__": "int", "__data__": 99999999999999999999})"),
                    SerializationError);
  BOOST_CHECK_THROW(parse_cli_json("[99999999999999999999]"), ValidationError);
}

BOOST_AUTO_TEST_CASE(deep_nesting_is_refused_without_exhausting_the_stack) {
  BOOST_CHECK_THROW(deserialize_value(std::string(10000, '[')), SerializationError);
  BOOST_CHECK_THROW(deserialize_value(std::string(10000, '[') + std::string(10000, ']')),
                    SerializationError);
  std::string objects;
  for (int i = 0; i < 10000; ++i) objects += R"({"a": )";
  BOOST_CHECK_THROW(deserialize_value(objects), SerializationError);
  BOOST_CHECK_THROW(deserialize_value(objects + "1" + std::string(10000, '}')), SerializationError);
  BOOST_CHECK_THROW(parse_cli_json(std::string(10000, '[')), ValidationError);
  BOOST_CHECK_THROW(parse_cli_json(std::string(10000, '[') + std::string(10000, ']')),
                    ValidationError);

  const std::size_t limit = redis_toolkit::max_nesting_depth;
  const Value deepest = nested_lists(limit);
  BOOST_TEST(deserialize_value(serialize_value(deepest)) == deepest);
  BOOST_TEST(parse_cli_json(format_cli_json(deepest)) == deepest);
  BOOST_TEST(contains(message_of_serialize(nested_lists(limit + 1), "deep"), "deep"));
  BOOST_CHECK_THROW(format_cli_json(nested_lists(limit + 1)), SerializationError);
  BOOST_CHECK_THROW(serialize_value(nested_lists(1000)), SerializationError);

  // The extra JSON levels of bytes markers and {"$tuple": [...]} do not cut the limit short.
  Value bottom = Value::list({Value::bytes("b")});
  Value tuples = Value::tuple({Value::bytes("b")});
  for (std::size_t i = 1; i < limit; ++i) {
    bottom = in_list(std::move(bottom));
    tuples = in_tuple(std::move(tuples));
  }
  BOOST_TEST(deserialize_value(serialize_value(bottom)) == bottom);
  BOOST_TEST(parse_cli_json(format_cli_json(tuples)) == tuples);
}

// ---- base64 ----

BOOST_AUTO_TEST_CASE(base64_is_strict_standard_base64) {
  const std::vector<std::pair<std::string, std::string>> rfc4648 = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
      {std::string("\x00\xff\xfe", 3), "AP/+"}};
  for (const auto& [raw, text] : rfc4648) {
    BOOST_TEST(encode_base64(raw) == text);
    BOOST_TEST(decode_base64(text) == raw);
  }
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes += static_cast<char>(i);
  BOOST_TEST(decode_base64(encode_base64(all_bytes)) == all_bytes);
  const std::vector<std::string> invalid = {"A",    "AB",    "ABC",  "A===",     "====", "AB=C",
                                            "AB C", "AB\n=", "-_==", "AA==AA==", "Zg=",  "Zm9v\n"};
  for (const std::string& bad : invalid) {
    BOOST_CHECK_THROW(decode_base64(bad), SerializationError);
  }
}

// ---- the command-line form ----

BOOST_AUTO_TEST_CASE(cli_json_reads_every_kind) {
  BOOST_TEST(parse_cli_json("42") == Value(42));
  BOOST_TEST(parse_cli_json("-42").is_int());
  BOOST_TEST(parse_cli_json("1.0") == Value(1.0));
  BOOST_TEST(parse_cli_json("1e3") == Value(1000.0));
  BOOST_TEST(parse_cli_json(R"("h\u00e9")") == Value("h\xc3\xa9"));
  BOOST_TEST(parse_cli_json(" true ") == Value(true));
  BOOST_TEST(parse_cli_json("null").is_none());
  BOOST_TEST(parse_cli_json(R"([1, "a", [], {}])") ==
             Value::list({1, "a", Value::list(), Value::dict({})}));
  BOOST_TEST(parse_cli_json(R"({"$bytes": "AAE="})") == Value::bytes(std::string("\x00\x01", 2)));
  BOOST_TEST(parse_cli_json(R"({"$tuple": [1, {"$tuple": []}]})") ==
             Value::tuple({1, Value::tuple({})}));
  // A marker key among others is a plain dict key; the wire markers mean nothing here.
  BOOST_TEST(parse_cli_json(R"({"$tuple": [], "x": 1})") ==
             Value::dict({{"$tuple", Value::list()}, {"x", 1}}));
  BOOST_TEST(parse_cli_json(R"({"__type__": "bytes", "__data__": "AA=="})") ==
             Value::dict({{"__type__", "bytes"}, {"__data__", "AA=="}}));
}

BOOST_AUTO_TEST_CASE(cli_json_errors_give_the_character_offset) {
  BOOST_TEST(contains(message_of_cli_parse("[1, 2,]"), "at character 6"));
  BOOST_TEST(contains(message_of_cli_parse("[\"\xc3\xa9\xe4\xbd\xa0\", x]"), "at character 7"));
  BOOST_TEST(contains(message_of_cli_parse(""), "at character 0"));
  BOOST_TEST(contains(message_of_cli_parse("\"\xc3\xa9\xff\""), "at character 2"));
  BOOST_TEST(contains(message_of_cli_parse(R"({"$bytes": 1})"), "$bytes"));
  BOOST_TEST(contains(message_of_cli_parse(R"({"$bytes": "A"})"), "base64"));
  BOOST_TEST(contains(message_of_cli_parse(R"({"$tuple": {}})"), "$tuple"));
}

BOOST_AUTO_TEST_CASE(cli_json_writes_the_same_form) {
  const Value value = Value::dict({{"n", Value()},
                                   {"b", true},
                                   {"i", -3},
                                   {"f", 2.0},
                                   {"s", "\xc3\xa9\n"},
                                   {"raw", Value::bytes(std::string("\x00\x01", 2))},
                                   {"t", Value::tuple({1, Value::list({})})}});
  const std::string text = format_cli_json(value);
  BOOST_TEST(text == R"({"n": null, "b": true, "i": -3, "f": 2.0, "s": ")"
                     "\xc3\xa9"
                     R"(\n", "raw": {"$bytes": "AAE="}, "t": {"$tuple": [1, []]}})");
  BOOST_TEST(parse_cli_json(text) == value);
  BOOST_TEST(format_cli_json(Value()) == "null");
  BOOST_TEST(format_cli_json(Value::bytes("")) == R"({"$bytes": ""})");
}

BOOST_AUTO_TEST_CASE(text_that_only_starts_like_a_json_scalar_is_a_string) {
  for (const char* text : {"2024-01-01", "0123", "1.2.3", "1.", "-", "1e", "1e+", "nothing",
                           "true story", "NaNa", "Infinity war", "-Inf", "12 34"}) {
    BOOST_TEST(redis_toolkit::deserialize_value(text) == redis_toolkit::Value(text), text);
  }
  BOOST_TEST(redis_toolkit::deserialize_value(" 12 \n") == redis_toolkit::Value(12));
  BOOST_TEST(redis_toolkit::deserialize_value("-0.5e-3") == redis_toolkit::Value(-0.5e-3));
  BOOST_TEST(redis_toolkit::deserialize_value("-Infinity").as_double() ==
             -std::numeric_limits<double>::infinity());
  BOOST_TEST(redis_toolkit::deserialize_value("null").is_none());
  BOOST_CHECK_THROW(redis_toolkit::deserialize_value("99999999999999999999"),
                    redis_toolkit::SerializationError);
}

BOOST_AUTO_TEST_SUITE_END()
