// The checks every key, value and batch passes before anything is sent: boundaries, messages, and
// enable_validation = false.
#include "redis_toolkit/config.hpp"
#include "redis_toolkit/errors.hpp"

#include <boost/test/unit_test.hpp>

#include <initializer_list>
#include <limits>
#include <string>
#include <vector>

using redis_toolkit::RedisOptions;
using redis_toolkit::ValidationError;

namespace {

/// A predicate for BOOST_CHECK_EXCEPTION: the message holds every one of `parts`.
auto message_holds(std::initializer_list<std::string> parts) {
  return [expected = std::vector<std::string>(parts)](const ValidationError& error) {
    const std::string message = error.what();
    for (const std::string& part : expected) {
      if (message.find(part) == std::string::npos) {
        BOOST_TEST_MESSAGE("'" << part << "' is missing from: " << message);
        return false;
      }
    }
    return true;
  };
}

} // namespace

BOOST_AUTO_TEST_SUITE(validation_tests)

BOOST_AUTO_TEST_CASE(key_of_max_key_length_bytes_passes_one_more_does_not) {
  const RedisOptions options;
  BOOST_CHECK_NO_THROW(redis_toolkit::validate_key(std::string(512, 'k'), options));
  const std::string too_long = std::string(64, 'a') + std::string(449, 'Z'); // 513 bytes
  BOOST_CHECK_EXCEPTION(redis_toolkit::validate_key(too_long, options), ValidationError,
                        message_holds({std::string(64, 'a') + "...", "513", "max_key_length 512"}));
  try {
    redis_toolkit::validate_key(too_long, options);
  } catch (const ValidationError& error) {
    // Only the start of the key is quoted: a huge key never lands whole in a log.
    BOOST_TEST(std::string(error.what()).find('Z') == std::string::npos, error.what());
    BOOST_TEST(error.key().size() < 100u);
  }
}

BOOST_AUTO_TEST_CASE(the_empty_key_is_valid_as_in_redis) {
  BOOST_CHECK_NO_THROW(redis_toolkit::validate_key("", RedisOptions{}));
}

BOOST_AUTO_TEST_CASE(max_key_length_is_configurable) {
  RedisOptions options;
  options.max_key_length = 4;
  BOOST_CHECK_NO_THROW(redis_toolkit::validate_key("abcd", options));
  BOOST_CHECK_EXCEPTION(redis_toolkit::validate_key("abcde", options), ValidationError,
                        message_holds({"'abcde'", "max_key_length 4"}));
}

BOOST_AUTO_TEST_CASE(value_of_max_value_size_bytes_passes_one_more_does_not) {
  const RedisOptions options;
  const std::size_t limit = 10 * 1024 * 1024;
  BOOST_CHECK_NO_THROW(redis_toolkit::validate_serialized_size("user:1", limit, options));
  BOOST_CHECK_EXCEPTION(redis_toolkit::validate_serialized_size("user:1", limit + 1, options),
                        ValidationError,
                        message_holds({"'user:1'", std::to_string(limit + 1),
                                       "max_value_size " + std::to_string(limit)}));
}

BOOST_AUTO_TEST_CASE(batch_of_ten_times_max_value_size_passes_one_byte_more_does_not) {
  RedisOptions options;
  options.max_value_size = 100;
  BOOST_CHECK_NO_THROW(redis_toolkit::validate_batch_size(1000, options));
  BOOST_CHECK_EXCEPTION(redis_toolkit::validate_batch_size(1001, options), ValidationError,
                        message_holds({"1001", "1000"}));
}

BOOST_AUTO_TEST_CASE(batch_limit_does_not_overflow) {
  RedisOptions options;
  options.max_value_size = std::numeric_limits<std::size_t>::max() / 2;
  BOOST_CHECK_NO_THROW(
      redis_toolkit::validate_batch_size(std::numeric_limits<std::size_t>::max(), options));
}

BOOST_AUTO_TEST_CASE(enable_validation_false_turns_every_check_off) {
  RedisOptions options;
  options.enable_validation = false;
  options.max_key_length = 1;
  options.max_value_size = 1;
  BOOST_CHECK_NO_THROW(redis_toolkit::validate_key(std::string(10000, 'k'), options));
  BOOST_CHECK_NO_THROW(redis_toolkit::validate_serialized_size("k", 1u << 30, options));
  BOOST_CHECK_NO_THROW(redis_toolkit::validate_batch_size(1u << 30, options));
}

BOOST_AUTO_TEST_SUITE_END()
