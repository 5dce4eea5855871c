// rtk mset's bounded reading of standard input: text within the limits comes back whole; a key,
// a value or a batch sure to break a limit is refused as soon as it does, before the rest is read.
#include "bounded_input.hpp"

#include "redis_toolkit/errors.hpp"
#include "redis_toolkit/wire_format.hpp"

#include <boost/test/unit_test.hpp>

#include <sstream>
#include <streambuf>

using namespace redis_toolkit;

namespace {

/// An endless `{"key": "xxxx...` that counts what was taken from it.
class EndlessValue : public std::streambuf {
public:
  explicit EndlessValue(std::string prefix) : prefix_(std::move(prefix)), chunk_(65536, 'x') {}
  std::size_t taken() const { return taken_; }

protected:
  int_type underflow() override {
    std::string& next = taken_ == 0 ? prefix_ : chunk_;
    setg(next.data(), next.data(), next.data() + next.size());
    taken_ += next.size();
    return traits_type::to_int_type(next.front());
  }

private:
  std::string prefix_;
  std::string chunk_;
  std::size_t taken_ = 0;
};

RedisOptions limited(std::size_t max_value_size) {
  RedisOptions options;
  options.max_value_size = max_value_size;
  return options;
}

std::string read(const std::string& text, const RedisOptions& options) {
  std::istringstream in(text);
  return rtk::read_mset_input(in, options);
}

/// The message of the ValidationError reading `text` ends in; empty when it is read.
std::string refusal(const std::string& text, const RedisOptions& options) {
  try {
    read(text, options);
  } catch (const ValidationError& error) {
    return error.what();
  }
  return {};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_SUITE(mset_input_tests)

BOOST_AUTO_TEST_CASE(text_within_the_limits_comes_back_whole) {
  const std::string text = " {\"a\": 1,\n \"b\": [\"two\", {\"$bytes\": \"AAE=\"}], \"c\": null}\n";
  BOOST_TEST(read(text, RedisOptions{}) == text);
  const std::string large = "{\"k\": \"" + std::string(300000, 'y') + "\"}"; // several chunks
  BOOST_TEST(read(large, RedisOptions{}) == large);
}

BOOST_AUTO_TEST_CASE(a_value_is_refused_once_it_exceeds_max_value_size_without_reading_the_rest) {
  EndlessValue source("{\"small\": 1, \"big\": \"");
  std::istream in(&source);
  try {
    rtk::read_mset_input(in, limited(1000000));
    BOOST_FAIL("an endless value must be refused");
  } catch (const ValidationError& error) {
    const std::string what = error.what();
    BOOST_TEST(error.key() == "big");
    BOOST_TEST(contains(what, "value is at least "), what);
    BOOST_TEST(contains(what, " bytes encoded, larger than max_value_size 1000000"), what);
    BOOST_TEST(contains(what, "refused after reading"), what);
  }
  BOOST_TEST(source.taken() <= 1000000 + 2 * rtk::input_chunk_size);
}

BOOST_AUTO_TEST_CASE(no_value_the_library_accepts_is_refused) {
  // Each value's encoded size is the limit: the count, a lower bound, must stay within it.
  const std::vector<Value> values = {
      Value("plain"), Value("é 你好 \"quoted\" \\ \n\t\x01"), Value(), Value(true), Value(-42),
      Value(0.1), Value(1e300), Value::bytes(std::string("\x00\x01\xff", 3)), Value::bytes(""),
      Value::list({Value::tuple({}), Value::tuple({1}), Value::tuple({Value::tuple({})})}),
      Value::dict({{"a", 1}, {"$tuple", 2}, {"longer key", Value::list({1, 2})}}),
      Value::list({Value::dict({}), Value::list({}), Value::bytes("x"), Value::dict({{"k", Value()}})})};
  for (const Value& value : values) {
    const std::size_t encoded = serialize_value(value).size();
    const std::string text = "{\"k\": " + format_cli_json(value) + "}";
    BOOST_TEST(refusal(text, limited(encoded)).empty(), text);
    // Spelled with escapes, excess digits and whitespace, it counts no more.
    const std::string spread = "{ \"k\" :\n\t" + format_cli_json(value) + " \n}";
    BOOST_TEST(refusal(spread, limited(encoded)).empty(), spread);
  }
  BOOST_TEST(refusal(R"({"k": ["\u00e9\u00e9\u00e9\u00e9", 0.100000000000000000000]})",
                     limited(serialize_value(Value::list({"éééé", 0.1})).size()))
                 .empty());
}

BOOST_AUTO_TEST_CASE(the_batch_and_the_key_have_their_limits_too) {
  std::string entries = "{";
  for (int i = 0; i < 20; ++i)
    entries += (i ? ", \"k" : "\"k") + std::to_string(i) + "\": \"" + std::string(90, 'v') + "\"";
  entries += "}";
  const std::string batch = refusal(entries, limited(100)); // 20 values of 92+ bytes > 10 x 100
  BOOST_TEST(contains(batch, "batch is at least "), batch);
  BOOST_TEST(contains(batch, " bytes, larger than 1000 (10 x max_value_size"), batch);

  RedisOptions short_keys;
  short_keys.max_key_length = 8;
  const std::string key = refusal("{\"" + std::string(100, 'n') + "\": 1}", short_keys);
  BOOST_TEST(contains(key, "key is at least 100 bytes, longer than max_key_length 8"), key);
}

BOOST_AUTO_TEST_CASE(text_that_cannot_become_an_mset_object_is_refused_at_once) {
  BOOST_TEST(contains(refusal("[1, 2]", RedisOptions{}), "mset reads a JSON object"));
  BOOST_TEST(contains(refusal("{\"a\": 1} {\"b\": 2}", RedisOptions{}), "extra data"));
  BOOST_TEST(contains(refusal("{\"a\": " + std::string(1000, '['), RedisOptions{}),
                      "nested deeper than"));
}

BOOST_AUTO_TEST_CASE(without_validation_the_text_is_read_whole) {
  RedisOptions unchecked = limited(10);
  unchecked.enable_validation = false;
  const std::string text = "{\"k\": \"" + std::string(1000, 'z') + "\"}";
  BOOST_TEST(read(text, unchecked) == text);
}

BOOST_AUTO_TEST_SUITE_END()
