// docs/CONFIGURATION.md is the one place that states each option's default. This suite keeps it
// true: every row of its two tables against a default-constructed struct, and every TOML key the
// code knows (from its own "known keys" list) against the rows.
#include "redis_toolkit/config.hpp"
#include "redis_toolkit/errors.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace redis_toolkit;

namespace {

/// field name -> the default cell of its row ("`5.0` s", "none (1 connection)").
using DocumentedDefaults = std::map<std::string, std::string>;

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(' ');
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(' ') - first + 1);
}

/// The rows of the first table after the heading `## heading` in docs/CONFIGURATION.md.
DocumentedDefaults documented_defaults(const std::string& heading) {
  std::ifstream file(std::string(RTK_SOURCE_DIR) + "/docs/CONFIGURATION.md");
  BOOST_TEST_REQUIRE(file.good());
  DocumentedDefaults rows;
  std::string line;
  bool in_section = false;
  while (std::getline(file, line)) {
    if (line.rfind("## ", 0) == 0) {
      if (in_section) break;
      in_section = line == "## " + heading;
      continue;
    }
    if (!in_section || line.rfind("| `", 0) != 0) continue;
    std::vector<std::string> cells;
    std::stringstream columns(line.substr(1));
    std::string cell;
    while (std::getline(columns, cell, '|')) cells.push_back(trim(cell));
    BOOST_TEST_REQUIRE(cells.size() >= 2u, line);
    // The first cell names one field or several ("`ssl_keyfile`, `ssl_certfile`").
    for (std::size_t at = cells[0].find('`'); at != std::string::npos;) {
      const std::size_t end = cells[0].find('`', at + 1);
      rows[cells[0].substr(at + 1, end - at - 1)] = cells[1];
      at = cells[0].find('`', end + 1);
    }
  }
  BOOST_TEST_REQUIRE(!rows.empty(), "no table under ## " << heading);
  return rows;
}

/// The keys a TOML table accepts, as the code lists them when it refuses an unknown one.
std::set<std::string> known_toml_keys(const std::function<void()>& load_unknown_key) {
  try {
    load_unknown_key();
  } catch (const ValidationError& error) {
    const std::string text = error.what();
    const std::string marker = "(known keys: ";
    const std::size_t start = text.find(marker);
    BOOST_TEST_REQUIRE(start != std::string::npos, text);
    std::stringstream list(text.substr(start + marker.size(),
                                       text.find(')', start) - start - marker.size()));
    std::set<std::string> keys;
    std::string key;
    while (std::getline(list, key, ',')) keys.insert(trim(key));
    return keys;
  }
  BOOST_FAIL("an unknown key was accepted");
  return {};
}

std::string code(const std::string& text) { return "`" + text + "`"; }
std::string code(bool flag) { return code(std::string(flag ? "true" : "false")); }
std::string code(long long number) { return code(std::to_string(number)); }
/// Seconds as the tables write them: "`5.0` s", "`0.1` s".
std::string seconds(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  std::string number = text;
  if (number.find('.') == std::string::npos) number += ".0";
  return code(number) + " s";
}
std::string seconds(std::chrono::milliseconds value) { return seconds(value.count() / 1000.0); }
std::string seconds(std::chrono::duration<double> value) { return seconds(value.count()); }
std::string none_or(const std::optional<std::string>& value) {
  return value ? code("\"" + *value + "\"") : "none";
}

/// Every documented default must be the code's; rows and `expected` must name the same fields.
void check(const DocumentedDefaults& rows, const std::map<std::string, std::string>& expected) {
  for (const auto& [field, spelled] : expected) {
    BOOST_TEST_CONTEXT("field " << field) {
      auto row = rows.find(field);
      BOOST_TEST_REQUIRE((row != rows.end()), "no row for " << field);
      // A default may be followed by a note: "`10485760` (10 MiB)", "`5` (minutes)".
      BOOST_TEST(row->second.rfind(spelled, 0) == 0u,
                 "documented " << row->second << ", the code's default is " << spelled);
    }
  }
  for (const auto& [field, spelled] : rows)
    BOOST_TEST(expected.count(field) == 1u, "documented field " << field << " is not checked");
}

} // namespace

BOOST_AUTO_TEST_SUITE(config_doc_tests)

BOOST_AUTO_TEST_CASE(connection_defaults_are_the_documented_ones) {
  const RedisConnectionConfig c;
  check(documented_defaults("RedisConnectionConfig"),
        {{"host", code("\"" + c.host + "\"")},
         {"port", code(static_cast<long long>(c.port))},
         {"db", code(static_cast<long long>(c.db))},
         {"username", none_or(c.username)},
         {"password", none_or(c.password)},
         {"password_env", "(TOML only)"},
         {"connection_timeout", seconds(c.connection_timeout)},
         {"socket_timeout", seconds(c.socket_timeout)},
         {"socket_keepalive", code(c.socket_keepalive)},
         {"ssl", code(c.ssl)},
         {"ssl_keyfile", code("\"" + c.ssl_keyfile + "\"")},
         {"ssl_certfile", code("\"" + c.ssl_certfile + "\"")},
         {"ssl_ca_certs", code("\"" + c.ssl_ca_certs + "\"")},
         {"ssl_cert_reqs", code("\"" + c.ssl_cert_reqs + "\"")},
         {"ssl_server_name", code("\"" + c.ssl_server_name + "\"")},
         {"cluster_mode", code(c.cluster_mode)},
         {"startup_nodes", c.startup_nodes.empty() ? "empty" : "?"},
         {"skip_full_coverage_check", code(c.skip_full_coverage_check)},
         {"max_connections_per_node", code(static_cast<long long>(c.max_connections_per_node))},
         {"readonly_mode", code(c.readonly_mode)},
         {"sentinels", c.sentinels.empty() ? "empty" : "?"},
         {"sentinel_master_name", code("\"" + c.sentinel_master_name + "\"")},
         {"sentinel_username", none_or(c.sentinel_username)},
         {"sentinel_password", none_or(c.sentinel_password)},
         {"sentinel_password_env", "(TOML only)"}});
}

BOOST_AUTO_TEST_CASE(option_defaults_are_the_documented_ones) {
  const RedisOptions o;
  check(documented_defaults("RedisOptions"),
        {{"is_logger_info", code(o.is_logger_info)},
         {"log_level", code(std::string(log::level_name(o.log_level)))},
         {"max_log_size", code(static_cast<long long>(o.max_log_size))},
         {"max_value_size", code(static_cast<long long>(o.max_value_size))},
         {"max_key_length", code(static_cast<long long>(o.max_key_length))},
         {"enable_validation", code(o.enable_validation)},
         {"use_connection_pool", code(o.use_connection_pool)},
         // Unset means RedisOptions::default_max_connections connections, which the row states.
         {"max_connections",
          o.max_connections ? "?"
                            : "none (" + std::to_string(RedisOptions::default_max_connections) +
                                  " connection" +
                                  (RedisOptions::default_max_connections == 1 ? ")" : "s)")},
         {"retry_attempts", code(static_cast<long long>(o.retry_attempts))},
         {"retry_delay", seconds(o.retry_delay)},
         {"retry_backoff", code(std::string(o.retry_backoff == 2.0 ? "2.0" : "?"))},
         {"subscriber_retry_delay", seconds(o.subscriber_retry_delay)},
         {"subscriber_stop_timeout", seconds(o.subscriber_stop_timeout)},
         {"dynamic_subscriptions", code(o.dynamic_subscriptions)},
         {"subscription_expire_minutes",
          code(static_cast<long long>(o.subscription_expire_minutes.count()))},
         {"subscription_check_interval",
          code(static_cast<long long>(o.subscription_check_interval.count())) + " s"},
         {"subscriber_mailbox_limit", code(static_cast<long long>(o.subscriber_mailbox_limit))},
         {"max_reply_size", code(static_cast<long long>(o.max_reply_size))},
         {"health_check_interval", seconds(o.health_check_interval)},
         {"max_pending_calls", code(static_cast<long long>(o.max_pending_calls))},
         {"metrics_enabled", code(o.metrics_enabled)}});
}

BOOST_AUTO_TEST_CASE(every_toml_key_has_a_documented_default) {
  const auto connection_rows = documented_defaults("RedisConnectionConfig");
  for (const auto& key :
       known_toml_keys([] { RedisConnectionConfig::from_toml_string("no_such_key = 1"); }))
    BOOST_TEST(connection_rows.count(key) == 1u, "[connection] key " << key << " has no row");
  const auto option_rows = documented_defaults("RedisOptions");
  for (const auto& key : known_toml_keys([] { RedisOptions::from_toml_string("no_such_key = 1"); }))
    BOOST_TEST(option_rows.count(key) == 1u, "[options] key " << key << " has no row");
}

BOOST_AUTO_TEST_SUITE_END()
