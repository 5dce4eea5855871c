// Property tests of the wire format and the command-line form over seeded random Value trees,
// and of the reader over random and damaged bytes. Fixed seeds: a failure names its case and
// reproduces.

#include "redis_toolkit/errors.hpp"
#include "redis_toolkit/wire_format.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <cstring>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

using redis_toolkit::deserialize_value;
using redis_toolkit::format_cli_json;
using redis_toolkit::parse_cli_json;
using redis_toolkit::SerializationError;
using redis_toolkit::serialize_value;
using redis_toolkit::ValidationError;
using redis_toolkit::Value;
using redis_toolkit::ValueKind;

namespace {

/// Random Value trees of every kind, with the awkward corners over-represented.
class ValueGenerator {
public:
  explicit ValueGenerator(std::uint64_t seed) : random_(seed) {}

  /// A value whose containers nest at most `depth_left` deep; containers are likelier near
  /// the top, so that trees are often several levels deep but stay small.
  Value any(int depth_left) {
    const bool container = depth_left > 0 && chance(depth_left >= 5 ? 0.8 : 0.3);
    return container ? any_container(depth_left - 1) : any_scalar();
  }

  std::string text() {
    std::string out;
    for (std::size_t n = below(12); n > 0; --n) append_utf8(out, code_point());
    return out;
  }

  std::string raw_bytes() {
    std::string out(below(40), '\0');
    for (char& c : out) c = static_cast<char>(below(256));
    return out;
  }

  std::size_t below(std::size_t bound) {
    return std::uniform_int_distribution<std::size_t>(0, bound - 1)(random_);
  }

  bool chance(double probability) { return std::bernoulli_distribution(probability)(random_); }

  std::uint64_t bits() { return random_(); }

private:
  Value any_scalar() {
    switch (below(7)) {
      case 0: return Value();
      case 1: return Value(chance(0.5));
      case 2: return Value(integer());
      case 3: return Value(number());
      case 4:
      case 5: return Value(text());
      default: return Value::bytes(raw_bytes());
    }
  }

  Value any_container(int depth_left) {
    const std::size_t size = below(5);
    const std::size_t kind = below(3);
    if (kind == 2) {
      Value dict = Value::dict();
      for (std::size_t i = 0; i < size; ++i) dict.set(text(), any(depth_left)); // keys stay unique
      return dict;
    }
    Value::Array items;
    for (std::size_t i = 0; i < size; ++i) items.push_back(any(depth_left));
    return kind == 0 ? Value::list(std::move(items)) : Value::tuple(std::move(items));
  }

  std::int64_t integer() {
    static constexpr std::int64_t corners[] = {
        0, 1, -1, std::numeric_limits<std::int64_t>::min(),
        std::numeric_limits<std::int64_t>::max(), 9007199254740992, 9007199254740993,
        -9007199254740993
    };
    switch (below(3)) {
      case 0: return corners[below(std::size(corners))];
      case 1: return static_cast<std::int64_t>(bits());
      default: return static_cast<std::int64_t>(below(2001)) - 1000;
    }
  }

  double number() {
    using limits = std::numeric_limits<double>;
    static constexpr double corners[] = {
        0.0, -0.0, limits::min(), limits::denorm_min(), -limits::denorm_min(), limits::max(),
        limits::lowest(), limits::epsilon(), limits::quiet_NaN(), limits::infinity(),
        -limits::infinity(), 1e16, 1e15, 0.1, 1e-5, 1e-4, 123456789012345678.0
    };
    switch (below(5)) {
      case 0: return corners[below(std::size(corners))];
      case 1: return from_bits(bits());                         // anything, NaN payloads included
      case 2: return from_bits(bits() & 0x800fffffffffffffull); // subnormal
      case 3: return std::uniform_real_distribution<double>(-1e6, 1e6)(random_);
      default: return static_cast<double>(static_cast<std::int64_t>(below(200001)) - 100000);
    }
  }

  static double from_bits(std::uint64_t bits) {
    double value;
    std::memcpy(&value, &bits, sizeof value);
    return value;
  }

  // ASCII (controls, quotes and backslashes included) and every UTF-8 length, no surrogates.
  std::uint32_t code_point() {
    switch (below(4)) {
      case 0: return static_cast<std::uint32_t>(below(0x80));
      case 1: return static_cast<std::uint32_t>(0x80 + below(0x800 - 0x80));
      case 2: {
        const auto c = static_cast<std::uint32_t>(0x800 + below(0x10000 - 0x800));
        return c >= 0xd800 && c <= 0xdfff ? c - 0x1000 : c;
      }
      default: return static_cast<std::uint32_t>(0x10000 + below(0x110000 - 0x10000));
    }
  }

  // Written out here rather than borrowed from the library under test.
  static void append_utf8(std::string& out, std::uint32_t c) {
    const auto put = [&out](std::uint32_t byte) { out += static_cast<char>(byte); };
    if (c < 0x80) {
      put(c);
    } else if (c < 0x800) {
      put(0xc0 | c >> 6), put(0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
      put(0xe0 | c >> 12), put(0x80 | (c >> 6 & 0x3f)), put(0x80 | (c & 0x3f));
    } else {
      put(0xf0 | c >> 18), put(0x80 | (c >> 12 & 0x3f)), put(0x80 | (c >> 6 & 0x3f)),
          put(0x80 | (c & 0x3f));
    }
  }

  std::mt19937_64 random_;
};

/// `value` with every tuple turned into a list: what a nested tuple reads back as.
Value tuples_as_lists(const Value& value) {
  switch (value.kind()) {
    case ValueKind::list:
    case ValueKind::tuple: {
      Value::Array items;
      for (const Value& item : value.items()) items.push_back(tuples_as_lists(item));
      return Value::list(std::move(items));
    }
    case ValueKind::dict: {
      Value::Object entries;
      for (const auto& [key, item] : value.as_dict())
        entries.emplace_back(key, tuples_as_lists(item));
      return Value::dict(std::move(entries));
    }
    default: return value;
  }
}

/// What the wire format gives back for `value`: a tuple stays a tuple at the top level only.
Value expected_from_wire(const Value& value) {
  if (!value.is_tuple()) return tuples_as_lists(value);
  return Value::tuple(tuples_as_lists(value).as_list());
}

/// `stored` damaged in one of several ways a broken writer or a bad copy could.
std::string damaged(std::string stored, ValueGenerator& random) {
  if (stored.empty()) return stored;
  const std::size_t at = random.below(stored.size());
  switch (random.below(5)) {
    case 0: stored.resize(at); break;
    case 1: stored[at] = static_cast<char>(random.below(256)); break;
    case 2: stored.insert(at, 1, "{}[]\",:\\ 0-eE.u"[random.below(16)]); break;
    case 3: stored.erase(at, 1); break;
    default: stored.insert(at, stored.substr(at, random.below(stored.size() - at) + 1)); break;
  }
  return stored;
}

/// Text made of JSON's tokens and the toolkit's markers, mostly not quite JSON.
std::string token_soup(ValueGenerator& random) {
  static const char* const tokens[] = {
      "{", "}", "[", "]", "\"", ":", ", ", "\\", "\\u", "d83d", "dc00", "00e9", "__type__",
      "\"__type__\": ", "\"__data__\": ", "\"bytes\"", "\"AAE=\"", "\"tuple\"", "0", "-", "12", "e",
      "E+", ".", "5", "true", "null", "NaN", "Infinity", " ", "\n", "\xc3\xa9", "\"$tuple\""
  };
  std::string out;
  for (std::size_t n = random.below(30); n > 0; --n) out += tokens[random.below(std::size(tokens))];
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(wire_roundtrip_tests)

BOOST_AUTO_TEST_CASE(random_values_survive_the_wire_and_the_command_line) {
  ValueGenerator random(0x5eed'0001);
  constexpr int cases = 6000;
  int wire_failures = 0, cli_failures = 0;
  for (int i = 0; i < cases; ++i) {
    const Value value = random.any(6);
    const Value expected = expected_from_wire(value);
    const Value back = deserialize_value(serialize_value(value));
    if (back != expected && ++wire_failures <= 5) {
      BOOST_ERROR("wire case " << i << ": " << value << " read back as " << back);
    }
    const Value from_cli = parse_cli_json(format_cli_json(value));
    if (from_cli != value && ++cli_failures <= 5) {
      BOOST_ERROR("cli case " << i << ": " << value << " read back as " << from_cli);
    }
  }
  BOOST_TEST(wire_failures == 0);
  BOOST_TEST(cli_failures == 0);
}

BOOST_AUTO_TEST_CASE(random_bytes_never_crash_the_reader) {
  ValueGenerator random(0x5eed'0002);
  constexpr int cases = 20000;
  int decoded = 0, refused = 0;
  for (int i = 0; i < cases; ++i) {
    std::string input;
    switch (i % 4) {
      case 0: input = random.raw_bytes(); break;
      case 1: input = token_soup(random); break;
      default: input = damaged(serialize_value(random.any(3)), random); break;
    }
    Value value;
    try {
      value = deserialize_value(input, "fuzz");
      ++decoded;
    } catch (const SerializationError&) {
      ++refused;
      continue;
    }
    // Whatever was read is stored and read again unchanged (unless it is too deep to store).
    std::string stored;
    try {
      stored = serialize_value(value);
    } catch (const SerializationError&) {
      continue;
    }
    if (deserialize_value(stored) != value)
      BOOST_ERROR("case " << i << ": " << value << " changed");
    try {
      parse_cli_json(input);
    } catch (const ValidationError&) {
    }
  }
  BOOST_TEST(decoded + refused == cases);
  BOOST_TEST(refused > 0);
  BOOST_TEST(decoded > 0);
}

BOOST_AUTO_TEST_SUITE_END()
