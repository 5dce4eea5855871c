// The limits of this phase as configuration (max_reply_size, health_check_interval,
// max_pending_calls) and the size bound that refuses a huge value before it is encoded.
#include "redis_toolkit/config.hpp"
#include "redis_toolkit/errors.hpp"
#include "redis_toolkit/wire_format.hpp"

#include <boost/test/unit_test.hpp>

using namespace redis_toolkit;

BOOST_AUTO_TEST_SUITE(limits_tests)

BOOST_AUTO_TEST_CASE(the_limits_have_their_contract_defaults) {
  RedisOptions options;
  BOOST_TEST(options.max_reply_size == 512u * 1024 * 1024);
  BOOST_TEST(options.health_check_interval.count() == 5.0);
  BOOST_TEST(options.max_pending_calls > 0u);
  options.validate();
}

BOOST_AUTO_TEST_CASE(the_limits_load_from_toml_and_are_checked) {
  auto options = RedisOptions::from_toml_string(
      "max_reply_size = 1048576\nhealth_check_interval = 0.5\nmax_pending_calls = 20000\n");
  BOOST_TEST(options.max_reply_size == 1048576u);
  BOOST_TEST(options.health_check_interval.count() == 0.5);
  BOOST_TEST(options.max_pending_calls == 20000u);
  BOOST_TEST(RedisOptions::from_toml_string("health_check_interval = 0\n")
                 .health_check_interval.count() == 0.0); // off
  BOOST_TEST(RedisOptions().metrics_enabled);
  BOOST_TEST(!RedisOptions::from_toml_string("metrics_enabled = false\n").metrics_enabled);
  BOOST_CHECK_THROW(RedisOptions::from_toml_string("metrics_enabled = 1\n"), ValidationError);
  BOOST_CHECK_THROW(RedisOptions::from_toml_string("max_reply_size = 10\n"), ValidationError);
  BOOST_CHECK_THROW(RedisOptions::from_toml_string("health_check_interval = -1\n"),
                    ValidationError);
  try {
    RedisOptions::from_toml_string("max_reply_size = 10\n");
  } catch (const ValidationError& error) {
    BOOST_TEST(std::string(error.what()).find("max_reply_size") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(the_size_bound_never_exceeds_the_encoding) {
  const std::vector<Value> values = {
      Value(),           Value(true),          Value(-42),          Value(3.5),
      Value("hé 你好"),  Value(""),            Value("quote\" and \\"),
      Value::bytes(std::string("\x00\x01\xff", 3)),                   Value::bytes(""),
      Value::list({1, "two", 3.0, Value(), Value::bytes("x")}),       Value::tuple({1, "x"}),
      Value::dict({{"a", 1}, {"b", Value::list({1, 2})}, {"c", Value::dict({{"d", Value()}})}})};
  for (const Value& value : values)
    BOOST_TEST(serialized_size_at_least(value) <= serialize_value(value).size(), value.to_string());
}

BOOST_AUTO_TEST_CASE(the_size_bound_sees_a_large_payload) {
  const std::string large(1000000, 'x');
  BOOST_TEST(serialized_size_at_least(Value(large)) >= large.size());
  BOOST_TEST(serialized_size_at_least(Value::list({Value(large), Value(large)})) >= 2 * large.size());
  BOOST_TEST(serialized_size_at_least(Value::bytes(large)) >= large.size() / 3 * 4);
}

BOOST_AUTO_TEST_SUITE_END()
