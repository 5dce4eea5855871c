// redis_toolkit::Value on its own: kinds, accessors, dict order, equality and the repr text.
#include "redis_toolkit/errors.hpp"
#include "redis_toolkit/value.hpp"

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>

using redis_toolkit::Value;
using redis_toolkit::ValueKind;

BOOST_AUTO_TEST_SUITE(value_tests)

BOOST_AUTO_TEST_CASE(each_constructor_makes_its_kind) {
  BOOST_TEST((Value().kind() == ValueKind::none));
  BOOST_TEST((Value(nullptr).kind() == ValueKind::none));
  BOOST_TEST((Value(true).kind() == ValueKind::boolean));
  BOOST_TEST((Value(7).kind() == ValueKind::integer));
  BOOST_TEST((Value(std::uint16_t{7}).kind() == ValueKind::integer));
  BOOST_TEST((Value(2.5).kind() == ValueKind::floating));
  BOOST_TEST((Value("text").kind() == ValueKind::string));
  BOOST_TEST((Value::bytes("raw").kind() == ValueKind::bytes));
  BOOST_TEST((Value::list({1}).kind() == ValueKind::list));
  BOOST_TEST((Value::tuple({1}).kind() == ValueKind::tuple));
  BOOST_TEST((Value::dict({{"a", 1}}).kind() == ValueKind::dict));
}

BOOST_AUTO_TEST_CASE(a_bytes_literal_keeps_its_zero_bytes) {
  BOOST_TEST(Value::bytes("\x00\x01").as_bytes() == std::string("\x00\x01", 2));
  BOOST_TEST(Value::bytes("").as_bytes().empty());
}

BOOST_AUTO_TEST_CASE(a_wrong_accessor_names_both_kinds) {
  try {
    Value("text").as_int();
    BOOST_FAIL("as_int on a string must throw");
  } catch (const redis_toolkit::ValueTypeError& error) {
    BOOST_TEST(std::string(error.what()).find("int") != std::string::npos);
    BOOST_TEST(std::string(error.what()).find("str") != std::string::npos);
  }
  BOOST_CHECK_THROW(Value(std::numeric_limits<std::uint64_t>::max()), redis_toolkit::ValueTypeError);
  BOOST_TEST(Value(3).as_double() == 3.0); // ints widen to floats, nothing else converts
  BOOST_CHECK_THROW(Value(true).as_double(), redis_toolkit::ValueTypeError);
}

BOOST_AUTO_TEST_CASE(dicts_keep_insertion_order_and_replace_in_place) {
  Value dict = Value::dict({{"b", 1}, {"a", 2}});
  dict.set("c", 3);
  dict.set("b", 10);
  const auto& entries = dict.as_dict();
  BOOST_REQUIRE_EQUAL(entries.size(), 3u);
  BOOST_TEST(entries[0].first == "b");
  BOOST_TEST(entries[0].second == Value(10));
  BOOST_TEST(entries[2].first == "c");
  BOOST_TEST(dict.find("a")->as_int() == 2);
  BOOST_TEST(dict.find("missing") == nullptr);
}

BOOST_AUTO_TEST_CASE(equality_is_structural_and_kinds_matter) {
  BOOST_TEST(Value::list({1, "x"}) == Value::list({1, "x"}));
  BOOST_TEST(Value::list({1}) != Value::tuple({1}));
  BOOST_TEST(Value(1) != Value(1.0));
  BOOST_TEST(Value(1) != Value(true));
  BOOST_TEST(Value(std::nan("")) == Value(std::nan(""))); // so round trips can be compared
  BOOST_TEST(Value("x") != Value::bytes("x"));
}

BOOST_AUTO_TEST_CASE(to_string_reads_like_python) {
  BOOST_TEST(Value().to_string() == "None");
  BOOST_TEST(Value(false).to_string() == "False");
  BOOST_TEST(Value(3.0).to_string() == "3.0");
  BOOST_TEST(Value(1e15).to_string() == "1000000000000000.0");
  BOOST_TEST(Value(1e16).to_string() == "1e+16");
  BOOST_TEST(Value(-std::numeric_limits<double>::infinity()).to_string() == "-inf");
  BOOST_TEST(Value("it's").to_string() == "'it\\'s'");
  BOOST_TEST(Value::bytes("\x00\xff").to_string() == "b'\\x00\\xff'");
  BOOST_TEST(Value::tuple({1}).to_string() == "(1,)");
  BOOST_TEST(Value::dict({{"a", Value::list({1, Value()})}}).to_string() == "{'a': [1, None]}");
}

BOOST_AUTO_TEST_SUITE_END()
