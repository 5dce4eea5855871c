// The logging facade: thresholds, the zero-cost disabled path, the sink, and value previews.
#include "redis_toolkit/config.hpp"
#include "redis_toolkit/logging.hpp"
#include "redis_toolkit/value.hpp"

#include <boost/test/unit_test.hpp>

#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using redis_toolkit::LogLevel;
using redis_toolkit::Value;
namespace logging = redis_toolkit::log;

namespace {

/// Captures every message in `lines` and puts the global logging state back afterwards.
struct CapturingSink {
  std::vector<std::pair<LogLevel, std::string>> lines;

  CapturingSink() {
    logging::set_sink([this](LogLevel level, std::string_view message) {
      lines.emplace_back(level, std::string(message));
    });
  }
  ~CapturingSink() {
    logging::set_sink({});
    logging::set_level(LogLevel::warning);
    logging::set_max_value_size(256);
  }
};

bool ends_with(const std::string& text, const std::string& end) {
  return text.size() >= end.size() && text.compare(text.size() - end.size(), end.size(), end) == 0;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(logging_tests, CapturingSink)

BOOST_AUTO_TEST_CASE(a_disabled_level_does_not_evaluate_the_expression) {
  logging::set_level(LogLevel::warning);
  int evaluations = 0;
  auto costly = [&] {
    ++evaluations;
    return "costly";
  };
  RTK_LOG_DEBUG("value " << costly());
  RTK_LOG_INFO(costly());
  RTK_LOG(LogLevel::trace, costly());
  BOOST_TEST(evaluations == 0);
  BOOST_TEST(lines.empty());

  RTK_LOG_WARN("value " << costly());
  RTK_LOG_ERROR(costly());
  BOOST_TEST(evaluations == 2);
  BOOST_TEST(lines.size() == 2u);
}

BOOST_AUTO_TEST_CASE(the_sink_receives_level_and_formatted_message) {
  logging::set_level(LogLevel::trace);
  RTK_LOG_INFO("connected to " << "127.0.0.1:6379" << " in " << 12 << " ms");
  RTK_LOG_TRACE("t");
  BOOST_TEST_REQUIRE(lines.size() == 2u);
  BOOST_TEST((lines[0].first == LogLevel::info));
  BOOST_TEST(lines[0].second == "connected to 127.0.0.1:6379 in 12 ms");
  BOOST_TEST((lines[1].first == LogLevel::trace));
}

BOOST_AUTO_TEST_CASE(off_silences_everything) {
  logging::set_level(LogLevel::off);
  RTK_LOG_ERROR("nothing");
  RTK_LOG(LogLevel::off, "nothing either");
  BOOST_TEST(lines.empty());
  BOOST_TEST(!logging::enabled(LogLevel::off));
  logging::set_level(LogLevel::trace);
  BOOST_TEST(!logging::enabled(LogLevel::off)); // `off` is a threshold, never a message level
}

BOOST_AUTO_TEST_CASE(a_throwing_sink_does_not_fail_the_caller) {
  logging::set_sink([](LogLevel, std::string_view) { throw std::runtime_error("sink down"); });
  BOOST_CHECK_NO_THROW(RTK_LOG_ERROR("still fine"));
}

BOOST_AUTO_TEST_CASE(concurrent_messages_reach_the_sink_whole) {
  logging::set_level(LogLevel::info);
  constexpr int threads = 4, per_thread = 500;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([t] {
      for (int i = 0; i < per_thread; ++i) RTK_LOG_INFO("thread " << t << " message " << i);
    });
  }
  for (std::thread& worker : workers) worker.join();
  BOOST_TEST(lines.size() == std::size_t{threads * per_thread});
}

BOOST_AUTO_TEST_CASE(apply_takes_level_and_preview_size_from_the_options) {
  redis_toolkit::RedisOptions options;
  options.log_level = LogLevel::debug;
  options.max_log_size = 32;
  logging::apply(options);
  BOOST_TEST((logging::level() == LogLevel::debug));
  BOOST_TEST(logging::max_value_size() == 32u);
  options.is_logger_info = false;
  logging::apply(options);
  BOOST_TEST((logging::level() == LogLevel::off));
}

BOOST_AUTO_TEST_CASE(default_options_log_warnings_and_errors_only) {
  logging::set_level(LogLevel::trace);
  logging::apply(redis_toolkit::RedisOptions{});
  RTK_LOG_INFO("a cluster topology, discovered");
  RTK_LOG_DEBUG("a command");
  RTK_LOG_WARN("a node went away");
  BOOST_TEST_REQUIRE(lines.size() == 1u);
  BOOST_TEST((lines[0].first == LogLevel::warning));
}

BOOST_AUTO_TEST_CASE(level_names_read_back_in_any_case) {
  for (LogLevel level : {LogLevel::trace, LogLevel::debug, LogLevel::info, LogLevel::warning,
                         LogLevel::error, LogLevel::off}) {
    BOOST_TEST((logging::parse_level(logging::level_name(level)) == level));
  }
  BOOST_TEST((logging::parse_level("WARNING") == LogLevel::warning));
  BOOST_TEST(!logging::parse_level("loud"));
}

BOOST_AUTO_TEST_CASE(preview_cuts_at_max_log_size) {
  logging::set_max_value_size(10);
  BOOST_TEST(logging::preview("0123456789") == "0123456789");
  BOOST_TEST(logging::preview("0123456789abcdef") == "0123456789...(16 bytes)");
  BOOST_TEST(logging::preview(Value("0123456789abcdef")) == "'012345678...(16 bytes)");
  BOOST_TEST(logging::preview(Value::list({1, 2, 3})) == "[1, 2, 3]");
  BOOST_TEST(logging::preview(Value::list({100, 200, 300, 400})) == "[100, 200,...(4 items)");
}

BOOST_AUTO_TEST_CASE(preview_escapes_what_would_garble_a_log_line) {
  BOOST_TEST(logging::preview(std::string("a\nb\x01\xff", 5)) == "a\\x0ab\\x01\\xff");
  BOOST_TEST(logging::preview("h\xc3\xa9") == "h\xc3\xa9"); // UTF-8 stays as it is
  // A cut never splits a UTF-8 character.
  BOOST_TEST(logging::preview("h\xc3\xa9", 2) == "h...(3 bytes)");
}

BOOST_AUTO_TEST_CASE(preview_of_a_10_mib_value_is_short) {
  const std::string big(10 * 1024 * 1024, 'x');
  const std::string raw = logging::preview(big);
  BOOST_TEST(raw.size() < 300u);
  BOOST_TEST(ends_with(raw, "...(10485760 bytes)"), raw);

  const std::string bytes = logging::preview(Value::bytes(big));
  BOOST_TEST(bytes.size() < 300u);
  BOOST_TEST(ends_with(bytes, "...(10485760 bytes)"), bytes);

  const Value nested = Value::dict({{"blob", Value::bytes(big)}, {"n", 1}});
  const std::string dict = logging::preview(nested);
  BOOST_TEST(dict.size() < 300u);
  BOOST_TEST(ends_with(dict, "...(2 items)"), dict);
}

BOOST_AUTO_TEST_CASE(a_value_preview_is_the_start_of_its_text) {
  const Value value = Value::dict(
      {{"name", "Ada"},
       {"tags", Value::list({"admin", 1.5, Value::tuple({true, Value()}), Value::bytes("\x00\x01")})},
       {"nested", Value::dict({{"deeper", Value::list({1, 2, 3, 4, 5, 6, 7, 8, 9})}})}});
  const std::string full = value.to_string();
  for (std::size_t limit = 0; limit <= full.size() + 1; ++limit) {
    logging::set_max_value_size(limit);
    const std::string preview = logging::preview(value);
    BOOST_TEST_CONTEXT("limit " << limit << ": " << preview) {
      if (limit >= full.size()) {
        BOOST_TEST(preview == full);
      } else {
        BOOST_TEST(preview == full.substr(0, limit) + "...(3 items)");
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
