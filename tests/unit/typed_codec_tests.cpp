// Typed (cereal) values: round trips of nested structs and std types, the header, and every way
// a stored value can fail to be the T asked for.

#include "redis_toolkit/errors.hpp"
#include "redis_toolkit/typed_codec.hpp"
#include "redis_toolkit/wire_format.hpp"

#include <boost/test/unit_test.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace typed_codec_test {

enum class Role : std::uint8_t { guest, member, admin };

struct Address {
  std::string city;
  std::int32_t zip = 0;
  template <class Archive>
  void serialize(Archive& archive) {
    archive(city, zip);
  }
  friend bool operator==(const Address& a, const Address& b) {
    return a.city == b.city && a.zip == b.zip;
  }
};

struct Person {
  std::string name;
  std::uint8_t age = 0;
  double score = 0;
  bool active = false;
  Role role = Role::guest;
  std::vector<Address> addresses;
  std::map<std::string, std::int64_t> counters;
  std::optional<std::string> nickname;
  template <class Archive>
  void serialize(Archive& archive) {
    archive(name, age, score, active, role, addresses, counters, nickname);
  }
  friend bool operator==(const Person& a, const Person& b) {
    return a.name == b.name && a.age == b.age && a.score == b.score && a.active == b.active &&
           a.role == b.role && a.addresses == b.addresses && a.counters == b.counters &&
           a.nickname == b.nickname;
  }
};

/// Laid out exactly like Address, under another name: only the type hash tells them apart.
struct Place {
  std::string city;
  std::int32_t zip = 0;
  template <class Archive>
  void serialize(Archive& archive) {
    archive(city, zip);
  }
};

Person sample_person() {
  return Person{"Ada \xc3\xa9",
                36,
                -1.5,
                true,
                Role::admin,
                {{"London", 12345}, {"", -1}},
                {{"logins", 9}, {"", INT64_MIN}},
                "countess"};
}

} // namespace typed_codec_test

RTK_TYPE_NAME(typed_codec_test::Person, "tests.Person");
RTK_TYPE_NAME(typed_codec_test::Address, "tests.Address");
RTK_TYPE_NAME(typed_codec_test::Place, "tests.Place");

namespace {

using redis_toolkit::decode_typed;
using redis_toolkit::encode_typed;
using redis_toolkit::SerializationError;
using typed_codec_test::Address;
using typed_codec_test::Person;
using typed_codec_test::Place;

template <class T>
std::string refusal(const std::string& stored) {
  try {
    decode_typed<T>(stored, "typed:1");
  } catch (const SerializationError& error) {
    BOOST_TEST(error.key() == "typed:1");
    return error.reason();
  }
  return "no error";
}

std::uint64_t fnv1a(const std::string& text) {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : text) hash = (hash ^ c) * 0x100000001b3ull;
  return hash;
}

} // namespace

BOOST_AUTO_TEST_SUITE(typed_codec_tests)

BOOST_AUTO_TEST_CASE(nested_structs_round_trip) {
  const Person person = typed_codec_test::sample_person();
  BOOST_TEST((decode_typed<Person>(encode_typed(person)) == person));
  Person empty;
  BOOST_TEST((decode_typed<Person>(encode_typed(empty)) == empty));
}

BOOST_AUTO_TEST_CASE(std_types_round_trip_under_their_default_names) {
  const std::vector<std::string> words = {"a", "", "\xf0\x9f\x9a\x80"};
  BOOST_TEST((decode_typed<std::vector<std::string>>(encode_typed(words)) == words));
  const std::map<std::string, std::vector<double>> table = {{"x", {1.5, -0.0}}, {"y", {}}};
  BOOST_TEST(
      (decode_typed<std::map<std::string, std::vector<double>>>(encode_typed(table)) == table));
  BOOST_TEST(decode_typed<std::int64_t>(encode_typed(std::int64_t{-42})) == -42);
  BOOST_TEST(decode_typed<std::string>(encode_typed(std::string(3, '\0'))) == std::string(3, '\0'));
}

BOOST_AUTO_TEST_CASE(header_is_magic_version_and_type_hash) {
  const std::string stored = encode_typed(Address{"Paris", 75001});
  BOOST_TEST(redis_toolkit::type_name<Address>::value() == "tests.Address");
  BOOST_REQUIRE(stored.size() > 13u);
  BOOST_TEST(stored.substr(0, 4) == "RTKC");
  BOOST_TEST(stored[4] == '\x01');
  std::uint64_t hash = 0;
  for (int i = 7; i >= 0; --i) hash = hash << 8 | static_cast<unsigned char>(stored[5 + i]);
  BOOST_TEST(hash == fnv1a("tests.Address"));
}

BOOST_AUTO_TEST_CASE(another_type_is_refused) {
  const std::string stored = encode_typed(Address{"Paris", 75001});
  BOOST_TEST(refusal<Place>(stored).find("another type") != std::string::npos);
  BOOST_TEST(refusal<Person>(stored).find("another type") != std::string::npos);
  BOOST_TEST(refusal<std::int32_t>(stored).find("another type") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(wire_format_values_and_empty_input_are_refused) {
  for (const redis_toolkit::Value& value :
       {redis_toolkit::Value(), redis_toolkit::Value(1), redis_toolkit::Value("RTKC")}) {
    BOOST_TEST(refusal<Person>(redis_toolkit::serialize_value(value)).find("RTKC") !=
               std::string::npos);
  }
  BOOST_TEST(refusal<Person>("") != "no error");
  BOOST_TEST(refusal<Person>("RTKC") != "no error");
}

BOOST_AUTO_TEST_CASE(every_truncation_and_trailing_bytes_are_refused) {
  const std::string stored = encode_typed(typed_codec_test::sample_person());
  for (std::size_t length = 0; length < stored.size(); ++length) {
    BOOST_TEST_CONTEXT("length " << length) {
      BOOST_TEST(refusal<Person>(stored.substr(0, length)) != "no error");
    }
  }
  BOOST_TEST(refusal<Person>(stored + '\0').find("unexpected bytes") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(damaged_payloads_are_refused_without_undefined_behaviour) {
  const std::string stored = encode_typed(typed_codec_test::sample_person());
  constexpr std::size_t header = 13;
  // The name's length field claims far more bytes than there are: refused before allocating.
  std::string huge_count = stored;
  for (std::size_t i = 0; i < 8; ++i) huge_count[header + i] = '\xff';
  BOOST_TEST(refusal<Person>(huge_count).find("elements announced") != std::string::npos);
  // `active` is neither 0 nor 1: reading it into a bool would be undefined behaviour.
  const std::size_t active_at = header + 8 + std::string("Ada \xc3\xa9").size() + 1 + 8;
  std::string bad_bool = stored;
  BOOST_REQUIRE(bad_bool[active_at] == '\x01');
  bad_bool[active_at] = '\x02';
  BOOST_TEST(refusal<Person>(bad_bool).find("bool") != std::string::npos);
  // A future format version is not guessed at.
  std::string future = stored;
  future[4] = '\x02';
  BOOST_TEST(refusal<Person>(future).find("version") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
