// RedisConnectionConfig, RedisOptions and ToolkitConfig: defaults, TOML loading, and the errors a
// bad file or a bad field gives.
#include "redis_toolkit/config.hpp"
#include "redis_toolkit/errors.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

using namespace redis_toolkit;
using namespace std::chrono_literals;

namespace {

const std::string config_dir = RTK_SOURCE_DIR "/config/";

/// what() of the ValidationError `action` throws; fails the test when it throws none.
template <typename Action>
std::string error_of(Action&& action) {
  try {
    action();
  } catch (const ValidationError& error) {
    return error.what();
  }
  BOOST_FAIL("expected a ValidationError");
  return {};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// A TOML snippet that must be refused, and the field the message must name.
struct BadField {
  std::string toml;
  std::string field;
};

void check_refused(const std::vector<BadField>& cases, const std::string& table) {
  for (const BadField& bad : cases) {
    BOOST_TEST_CONTEXT(bad.toml) {
      const std::string message =
          error_of([&] { ToolkitConfig::from_toml_string("[" + table + "]\n" + bad.toml); });
      BOOST_TEST(contains(message, "'" + bad.field + "'"), message);
      BOOST_TEST(contains(message, "<string>:2:"), message); // the line of the bad key
    }
  }
}

/// Sets an environment variable for one test and restores it after.
class ScopedEnvironmentVariable {
public:
  ScopedEnvironmentVariable(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) ::setenv(name, value, 1);
    else ::unsetenv(name);
  }
  ~ScopedEnvironmentVariable() {
    if (old_) ::setenv(name_, old_->c_str(), 1);
    else ::unsetenv(name_);
  }
  ScopedEnvironmentVariable(const ScopedEnvironmentVariable&) = delete;
  ScopedEnvironmentVariable& operator=(const ScopedEnvironmentVariable&) = delete;

private:
  const char* name_;
  std::optional<std::string> old_;
};

} // namespace

BOOST_AUTO_TEST_SUITE(config_tests)

BOOST_AUTO_TEST_CASE(connection_defaults_match_the_contract) {
  const RedisConnectionConfig config;
  BOOST_TEST(config.host == "localhost");
  BOOST_TEST(config.port == 6379);
  BOOST_TEST(config.db == 0);
  BOOST_TEST(!config.username);
  BOOST_TEST(!config.password);
  BOOST_TEST(config.connection_timeout.count() == 5000);
  BOOST_TEST(config.socket_timeout.count() == 5000);
  BOOST_TEST(config.socket_keepalive);
  BOOST_TEST(!config.ssl);
  BOOST_TEST(config.ssl_cert_reqs == "required");
  BOOST_TEST(config.ssl_server_name.empty());
  BOOST_TEST(!config.cluster_mode);
  BOOST_TEST(config.startup_nodes.empty());
  BOOST_TEST(!config.skip_full_coverage_check);
  BOOST_TEST(config.max_connections_per_node == 32);
  BOOST_TEST(!config.readonly_mode);
  BOOST_CHECK_NO_THROW(config.validate());
}

BOOST_AUTO_TEST_CASE(options_defaults_match_the_contract) {
  const RedisOptions options;
  BOOST_TEST(options.is_logger_info);
  BOOST_TEST(options.log_level == LogLevel::warning); // a library is quiet unless asked
  BOOST_TEST(options.max_log_size == 256u);
  BOOST_TEST(options.max_value_size == 10u * 1024 * 1024);
  BOOST_TEST(options.max_key_length == 512u);
  BOOST_TEST(options.enable_validation);
  BOOST_TEST(options.use_connection_pool);
  BOOST_TEST(!options.max_connections);
  BOOST_TEST(options.retry_attempts == 3);
  BOOST_TEST(options.retry_delay.count() == 0.1);
  BOOST_TEST(options.retry_backoff == 2.0);
  BOOST_TEST(options.subscriber_retry_delay.count() == 5.0);
  BOOST_TEST(options.subscriber_stop_timeout.count() == 5.0);
  BOOST_TEST(options.dynamic_subscriptions);
  BOOST_TEST(options.subscription_expire_minutes.count() == 5);
  BOOST_TEST(options.subscription_check_interval.count() == 30);
  BOOST_TEST(options.subscriber_mailbox_limit == 10000u);
  BOOST_CHECK_NO_THROW(options.validate());
}

BOOST_AUTO_TEST_CASE(standalone_file_loads_with_the_defaults) {
  const ToolkitConfig config = ToolkitConfig::from_toml_file(config_dir + "standalone.toml");
  BOOST_TEST(config.connection.host == "127.0.0.1");
  BOOST_TEST(config.connection.port == 6379);
  BOOST_TEST(!config.connection.cluster_mode);
  BOOST_TEST(config.options.max_value_size == RedisOptions{}.max_value_size);
  BOOST_TEST(config.options.subscription_expire_minutes.count() == 5);
  BOOST_TEST((config.options.log_level == RedisOptions{}.log_level));
  BOOST_TEST(!config.options.max_connections);
}

BOOST_AUTO_TEST_CASE(cluster_file_lists_the_three_local_masters) {
  const ToolkitConfig config = ToolkitConfig::from_toml_file(config_dir + "cluster.toml");
  const std::vector<NodeAddress> expected = {
      {"127.0.0.1", 7000}, {"127.0.0.1", 7001}, {"127.0.0.1", 7002}};
  BOOST_TEST(config.connection.cluster_mode);
  BOOST_TEST((config.connection.startup_nodes == expected));
  BOOST_TEST(config.connection.max_connections_per_node == 32);
}

BOOST_AUTO_TEST_CASE(production_file_takes_the_password_from_the_environment) {
  const ScopedEnvironmentVariable password("REDIS_PASSWORD", "s3cret-from-vault");
  const ToolkitConfig config = ToolkitConfig::from_toml_file(config_dir + "production.toml");
  BOOST_TEST(config.connection.password.value_or("") == "s3cret-from-vault");
  BOOST_TEST(config.connection.username.value_or("") == "app");
  BOOST_TEST(config.connection.connection_timeout.count() == 2000);
  BOOST_TEST(config.options.log_level == LogLevel::warning);
  BOOST_TEST(config.options.max_connections.value_or(0) == 64u);
  BOOST_TEST(config.options.retry_attempts == 5);
  BOOST_TEST(!contains(config.connection.describe(), "s3cret"));
}

BOOST_AUTO_TEST_CASE(password_env_names_the_missing_variable) {
  const ScopedEnvironmentVariable password("REDIS_PASSWORD", nullptr);
  const std::string message =
      error_of([] { ToolkitConfig::from_toml_file(config_dir + "production.toml"); });
  BOOST_TEST(contains(message, "password_env"), message);
  BOOST_TEST(contains(message, "REDIS_PASSWORD"), message);
  BOOST_TEST(contains(message, "production.toml:"), message);
}

BOOST_AUTO_TEST_CASE(password_and_password_env_together_are_refused) {
  const ScopedEnvironmentVariable password("RTK_TEST_PASSWORD", "from-env");
  const std::string message = error_of([] {
    RedisConnectionConfig::from_toml_string("password = 'in-file'\npassword_env = 'RTK_TEST_PASSWORD'");
  });
  BOOST_TEST(contains(message, "not both"), message);
  BOOST_TEST(!contains(message, "in-file"), message);
  BOOST_TEST(!contains(message, "from-env"), message);
}

BOOST_AUTO_TEST_CASE(tls_fields_load_from_toml) {
  // /proc/self/status stands in for a PEM file: validate() only checks that it can be read.
  const auto config = RedisConnectionConfig::from_toml_string(
      "ssl = true\nssl_ca_certs = '/proc/self/status'\nssl_certfile = '/proc/self/status'\n"
      "ssl_keyfile = '/proc/self/status'\nssl_cert_reqs = 'optional'\n"
      "ssl_server_name = 'redis.internal'\n");
  BOOST_TEST(config.ssl);
  BOOST_TEST(config.ssl_ca_certs == "/proc/self/status");
  BOOST_TEST(config.ssl_certfile == "/proc/self/status");
  BOOST_TEST(config.ssl_keyfile == "/proc/self/status");
  BOOST_TEST(config.ssl_cert_reqs == "optional");
  BOOST_TEST(config.ssl_server_name == "redis.internal");
  BOOST_TEST(contains(config.describe(), " tls"));
  // ssl = true alone uses the system's CAs.
  BOOST_CHECK_NO_THROW(RedisConnectionConfig::from_toml_string("ssl = true\n"));
}

BOOST_AUTO_TEST_CASE(bad_connection_fields_are_named) {
  check_refused({{"host = ''", "host"},
                 {"port = 0", "port"},
                 {"port = 65536", "port"},
                 {"port = 99999999999", "port"},
                 {"db = 16", "db"},
                 {"db = -1", "db"},
                 {"connection_timeout = 0", "connection_timeout"},
                 {"socket_timeout = -1.5", "socket_timeout"},
                 {"socket_timeout = 0.0005", "socket_timeout"}, // finer than a millisecond
                 {"socket_timeout = inf", "socket_timeout"},
                 // TLS files are checked when TLS is on: readable, a certificate with its key.
                 {"ssl_ca_certs = '/nonexistent/ca.crt'\nssl = true", "ssl_ca_certs"},
                 {"ssl_certfile = '/nonexistent/c.crt'\nssl = true", "ssl_certfile"},
                 {"ssl_certfile = '/proc/self/status'\nssl = true", "ssl_certfile"},
                 {"ssl_keyfile = '/proc/self/status'\nssl = true", "ssl_keyfile"},
                 {"ssl_cert_reqs = 'sometimes'", "ssl_cert_reqs"},
                 {"startup_nodes = ['no-port']", "startup_nodes"},
                 {"startup_nodes = [{ host = 'a', prot = 1 }]", "startup_nodes.prot"},
                 {"startup_nodes = [{ host = 'a', port = 70000 }]", "startup_nodes.port"}},
                "connection");
}

BOOST_AUTO_TEST_CASE(bad_option_fields_are_named) {
  check_refused({{"log_level = 'loud'", "log_level"},
                 {"max_log_size = 2000000", "max_log_size"},
                 {"max_value_size = 0", "max_value_size"},
                 {"max_value_size = -1", "max_value_size"},
                 {"max_key_length = 0", "max_key_length"},
                 {"max_key_length = 600000000", "max_key_length"},
                 {"max_connections = 0", "max_connections"},
                 {"retry_attempts = 0", "retry_attempts"},
                 {"retry_attempts = 101", "retry_attempts"},
                 {"retry_delay = -0.1", "retry_delay"},
                 {"retry_delay = nan", "retry_delay"},
                 {"retry_backoff = 0.5", "retry_backoff"},
                 {"subscriber_retry_delay = 100000", "subscriber_retry_delay"},
                 {"subscriber_stop_timeout = 0", "subscriber_stop_timeout"},
                 {"subscription_expire_minutes = 0", "subscription_expire_minutes"},
                 {"subscription_check_interval = 0", "subscription_check_interval"},
                 {"subscription_check_interval = 1.5", "subscription_check_interval"},
                 {"subscriber_mailbox_limit = 0", "subscriber_mailbox_limit"}},
                "options");
}

BOOST_AUTO_TEST_CASE(validate_names_the_field_and_the_value) {
  RedisOptions options;
  options.retry_attempts = 0;
  std::string message = error_of([&] { options.validate(); });
  BOOST_TEST(contains(message, "retry_attempts"), message);
  BOOST_TEST(contains(message, "got 0"), message);

  RedisConnectionConfig config;
  config.port = 70000;
  message = error_of([&] { config.validate(); });
  BOOST_TEST(contains(message, "'port'"), message);
  BOOST_TEST(contains(message, "70000"), message);

  config = RedisConnectionConfig{};
  config.ssl = true;
  config.ssl_keyfile = "/proc/self/status"; // readable, but a key needs its certificate
  message = error_of([&] { config.validate(); });
  BOOST_TEST(contains(message, "'ssl_keyfile'"), message);
  BOOST_TEST(contains(message, "ssl_certfile"), message);
}

BOOST_AUTO_TEST_CASE(unknown_key_names_the_key_the_file_and_the_line) {
  const std::string message = error_of([] {
    ToolkitConfig::from_toml_string("[connection]\nhost = 'a'\n\nhots = 'b'\n", "app.toml");
  });
  BOOST_TEST(contains(message, "'hots'"), message);
  BOOST_TEST(contains(message, "app.toml:4:"), message);
  BOOST_TEST(contains(message, "known keys: host, port"), message);

  const std::string top_level = error_of([] { ToolkitConfig::from_toml_string("host = 'a'"); });
  BOOST_TEST(contains(top_level, "'host'"), top_level);
  BOOST_TEST(contains(top_level, "known keys: connection, options"), top_level);
}

BOOST_AUTO_TEST_CASE(wrong_type_names_the_key_the_expected_type_and_the_line) {
  const std::string port = error_of([] {
    ToolkitConfig::from_toml_string("[connection]\n\nport = '6379'\n", "app.toml");
  });
  BOOST_TEST(contains(port, "'port'"), port);
  BOOST_TEST(contains(port, "expected an integer, got a string"), port);
  BOOST_TEST(contains(port, "app.toml:3:"), port);

  const std::string keepalive =
      error_of([] { RedisConnectionConfig::from_toml_string("socket_keepalive = 1"); });
  BOOST_TEST(contains(keepalive, "expected a boolean, got an integer"), keepalive);

  const std::string section = error_of([] { ToolkitConfig::from_toml_string("options = 3"); });
  BOOST_TEST(contains(section, "'options'"), section);
  BOOST_TEST(contains(section, "expected a table"), section);
}

BOOST_AUTO_TEST_CASE(syntax_error_gives_file_line_and_column) {
  const std::string message = error_of([] {
    ToolkitConfig::from_toml_string("[connection]\nhost = 'a'\nport = = 1\n", "broken.toml");
  });
  BOOST_TEST(contains(message, "TOML syntax error at broken.toml:3:"), message);
  BOOST_TEST(contains(message, "Error while parsing"), message); // toml++'s own description
}

BOOST_AUTO_TEST_CASE(missing_file_is_named) {
  const std::string message =
      error_of([] { ToolkitConfig::from_toml_file(config_dir + "no-such-file.toml"); });
  BOOST_TEST(contains(message, "no-such-file.toml"), message);
}

BOOST_AUTO_TEST_CASE(passwords_never_appear_in_messages) {
  const auto config = RedisConnectionConfig::from_toml_string(
      "host = '127.0.0.1'\nusername = 'alice'\npassword = 'hunter2'");
  BOOST_TEST(config.describe() == "127.0.0.1:6379 db=0 user=alice password=***");

  const std::vector<std::string> files = {
      "password = 'hunter2'\nport = 0",             // a bad field beside the password
      "password = 'hunter2'\npasword = 'hunter2'",  // an unknown key holding it
      "password = hunter2",                         // a syntax error on its line
      "password = \"hunter2\\q\"",                  // a bad escape toml++ would quote
      "password = 'hunter2' x",                     // trailing garbage toml++ would quote
      "password = ['hunter2']",                     // the wrong type
  };
  for (const std::string& file : files) {
    BOOST_TEST_CONTEXT(file) {
      const std::string message = error_of([&] { RedisConnectionConfig::from_toml_string(file); });
      BOOST_TEST(!contains(message, "hunter"), message);
      BOOST_TEST(!contains(message, "'h'"), message);
    }
  }
}

BOOST_AUTO_TEST_CASE(durations_are_seconds_except_the_minutes_field) {
  const ToolkitConfig config = ToolkitConfig::from_toml_string(
      "[connection]\nconnection_timeout = 2.5\nsocket_timeout = 3\n"
      "[options]\nretry_delay = 1\nsubscriber_stop_timeout = 0.25\n"
      "subscription_expire_minutes = 7\nsubscription_check_interval = 10.0\n");
  BOOST_TEST(config.connection.connection_timeout.count() == 2500);
  BOOST_TEST(config.connection.socket_timeout.count() == 3000);
  BOOST_TEST(config.options.retry_delay.count() == 1.0);
  BOOST_TEST(config.options.subscriber_stop_timeout.count() == 0.25);
  BOOST_TEST(config.options.subscription_expire_minutes.count() == 7);
  BOOST_TEST(config.options.subscription_check_interval.count() == 10);
}

BOOST_AUTO_TEST_CASE(every_field_reads_from_toml) {
  const ToolkitConfig config = ToolkitConfig::from_toml_string(R"(
    [connection]
    host = "10.0.0.5"
    port = 6380
    db = 3
    username = "alice"
    socket_keepalive = false
    ssl_keyfile = "k.pem"
    ssl_certfile = "c.pem"
    ssl_ca_certs = "ca.pem"
    ssl_cert_reqs = "none"
    skip_full_coverage_check = true
    max_connections_per_node = 8
    readonly_mode = true
    [options]
    is_logger_info = false
    log_level = "WARNING"
    max_log_size = 64
    max_value_size = 1024
    max_key_length = 100
    enable_validation = false
    use_connection_pool = false
    max_connections = 12
    retry_attempts = 1
    retry_backoff = 1.5
    subscriber_retry_delay = 0
    dynamic_subscriptions = false
    subscriber_mailbox_limit = 50
  )");
  const RedisConnectionConfig& c = config.connection;
  BOOST_TEST(c.host == "10.0.0.5");
  BOOST_TEST(c.port == 6380);
  BOOST_TEST(c.db == 3);
  BOOST_TEST(c.username.value_or("") == "alice");
  BOOST_TEST(!c.socket_keepalive);
  BOOST_TEST(c.ssl_keyfile + c.ssl_certfile + c.ssl_ca_certs == "k.pemc.pemca.pem");
  BOOST_TEST(c.ssl_cert_reqs == "none");
  BOOST_TEST(c.skip_full_coverage_check);
  BOOST_TEST(c.max_connections_per_node == 8);
  BOOST_TEST(c.readonly_mode);
  const RedisOptions& o = config.options;
  BOOST_TEST(!o.is_logger_info);
  BOOST_TEST(o.log_level == LogLevel::warning);
  BOOST_TEST(o.max_log_size == 64u);
  BOOST_TEST(o.max_value_size == 1024u);
  BOOST_TEST(o.max_key_length == 100u);
  BOOST_TEST(!o.enable_validation);
  BOOST_TEST(!o.use_connection_pool);
  BOOST_TEST(o.max_connections.value_or(0) == 12u);
  BOOST_TEST(o.retry_attempts == 1);
  BOOST_TEST(o.retry_backoff == 1.5);
  BOOST_TEST(o.subscriber_retry_delay.count() == 0.0);
  BOOST_TEST(!o.dynamic_subscriptions);
  BOOST_TEST(o.subscriber_mailbox_limit == 50u);
}

BOOST_AUTO_TEST_CASE(startup_nodes_accept_strings_and_tables) {
  const RedisConnectionConfig config = RedisConnectionConfig::from_toml_string(
      "cluster_mode = true\n"
      "startup_nodes = ['10.0.0.1:7000', { host = '10.0.0.2', port = 7001 }, '[::1]:7002']\n");
  const std::vector<NodeAddress> expected = {
      {"10.0.0.1", 7000}, {"10.0.0.2", 7001}, {"::1", 7002}};
  BOOST_TEST((config.startup_nodes == expected));
  BOOST_TEST(config.describe() == "cluster 10.0.0.1:7000,10.0.0.2:7001,[::1]:7002");
}

BOOST_AUTO_TEST_CASE(a_file_without_sections_holds_one_struct_at_top_level) {
  const auto connection = RedisConnectionConfig::from_toml_string("host = 'h'\nport = 7");
  BOOST_TEST(connection.host == "h");
  BOOST_TEST(connection.port == 7);
  const auto options = RedisOptions::from_toml_string("retry_attempts = 9");
  BOOST_TEST(options.retry_attempts == 9);

  // A sectioned file: each struct reads its own table, and the whole file must be valid.
  const std::string both = "[connection]\nport = 7\n[options]\nretry_attempts = 9\n";
  BOOST_TEST(RedisConnectionConfig::from_toml_string(both).port == 7);
  BOOST_TEST(RedisOptions::from_toml_string(both).retry_attempts == 9);
  const std::string message = error_of([] {
    RedisConnectionConfig::from_toml_string("[connection]\nport = 7\n[options]\nretry_attempts = 0");
  });
  BOOST_TEST(contains(message, "retry_attempts"), message);
}

BOOST_AUTO_TEST_CASE(cluster_config_rules) {
  RedisConnectionConfig config;
  config.cluster_mode = true;
  BOOST_CHECK_NO_THROW(config.validate()); // no startup nodes: host:port is the seed
  BOOST_TEST((config.cluster_seed_nodes() == std::vector<NodeAddress>{{"localhost", 6379}}));

  config.db = 1;
  BOOST_TEST(contains(error_of([&] { config.validate(); }), "'db'"));
  config.db = 0;

  config.max_connections_per_node = 10000;
  BOOST_CHECK_NO_THROW(config.validate_cluster_config());
  for (int bad : {0, 10001}) {
    config.max_connections_per_node = bad;
    BOOST_TEST(contains(error_of([&] { config.validate_cluster_config(); }),
                        "max_connections_per_node"));
  }
  config.max_connections_per_node = 32;

  config.startup_nodes = {{"10.0.0.1", 7000}, {"", 7001}};
  BOOST_TEST(contains(error_of([&] { config.validate(); }), "'startup_nodes'"));
  config.startup_nodes = {{"10.0.0.1", 7000}, {"10.0.0.2", 0}};
  BOOST_TEST(contains(error_of([&] { config.validate(); }), "node 2"));
  config.startup_nodes = {{"10.0.0.1", 7000}};
  BOOST_TEST((config.cluster_seed_nodes() == config.startup_nodes));

  // Outside cluster mode the cluster fields are not checked by validate().
  config.cluster_mode = false;
  config.max_connections_per_node = 0;
  BOOST_CHECK_NO_THROW(config.validate());
}

BOOST_AUTO_TEST_CASE(sentinel_config_rules) {
  RedisConnectionConfig config;
  config.sentinels = {{"10.0.0.7", 26379}};
  BOOST_TEST(contains(error_of([&] { config.validate(); }), "'sentinel_master_name'"));
  config.sentinel_master_name = "mymaster";
  BOOST_CHECK_NO_THROW(config.validate());
  BOOST_TEST(config.sentinel_mode());
  config.sentinels.push_back({"10.0.0.8", 0});
  BOOST_TEST(contains(error_of([&] { config.validate(); }), "sentinel 2"));
  config.sentinels.pop_back();
  config.cluster_mode = true;
  BOOST_TEST(contains(error_of([&] { config.validate(); }), "'sentinels'"));
  config.cluster_mode = false;
  config.sentinels.clear();
  BOOST_TEST(contains(error_of([&] { config.validate(); }), "'sentinel_master_name'"));
}

BOOST_AUTO_TEST_CASE(sentinel_fields_read_from_toml_and_the_password_from_the_environment) {
  const ScopedEnvironmentVariable password("RTK_TEST_SENTINEL_PASSWORD", "sentinel-secret");
  const RedisConnectionConfig config = RedisConnectionConfig::from_toml_string(
      "sentinels = ['10.0.0.7:26379', { host = '10.0.0.8', port = 26380 }]\n"
      "sentinel_master_name = 'mymaster'\nsentinel_username = 'watcher'\n"
      "sentinel_password_env = 'RTK_TEST_SENTINEL_PASSWORD'\nreadonly_mode = true\n");
  BOOST_TEST((config.sentinels ==
              std::vector<NodeAddress>{{"10.0.0.7", 26379}, {"10.0.0.8", 26380}}));
  BOOST_TEST(config.sentinel_master_name == "mymaster");
  BOOST_TEST(config.sentinel_username.value_or("") == "watcher");
  BOOST_TEST(config.sentinel_password.value_or("") == "sentinel-secret");
  BOOST_TEST(config.describe() ==
             "sentinel master mymaster via 10.0.0.7:26379,10.0.0.8:26380 db=0 "
             "sentinel_user=watcher sentinel_password=***");
  const std::string both = error_of([] {
    RedisConnectionConfig::from_toml_string(
        "sentinels = ['a:1']\nsentinel_master_name = 'm'\nsentinel_password = 'in-file'\n"
        "sentinel_password_env = 'RTK_TEST_SENTINEL_PASSWORD'");
  });
  BOOST_TEST(contains(both, "not both"), both);
  BOOST_TEST(!contains(both, "in-file"), both);
  const std::string unset = error_of([] {
    RedisConnectionConfig::from_toml_string("sentinel_password_env = 'RTK_TEST_UNSET_VARIABLE'");
  });
  BOOST_TEST(contains(unset, "RTK_TEST_UNSET_VARIABLE"), unset);
}

BOOST_AUTO_TEST_CASE(node_address_parses_host_and_port) {
  BOOST_TEST((NodeAddress::parse("127.0.0.1:7000") == NodeAddress{"127.0.0.1", 7000}));
  BOOST_TEST((NodeAddress::parse("redis.local:65535") == NodeAddress{"redis.local", 65535}));
  BOOST_TEST((NodeAddress::parse("[::1]:6379") == NodeAddress{"::1", 6379}));
  for (const char* text : {"127.0.0.1:7000", "redis.local:1", "[::1]:6379"}) {
    BOOST_TEST(NodeAddress::parse(text).to_string() == text);
  }
  BOOST_TEST((NodeAddress{"a", 2} < NodeAddress{"b", 1}));
  BOOST_TEST((NodeAddress{"a", 1} < NodeAddress{"a", 2}));
  BOOST_TEST((NodeAddress{"a", 1} != NodeAddress{"a", 2}));
}

BOOST_AUTO_TEST_CASE(node_address_refuses_anything_else) {
  for (const char* text : {"", "host", "host:", ":6379", "host:0", "host:65536", "host:12ab",
                           "host:+5", "host: 5", "host:-1", "::1:6379", "[::1]", "[::1:6379",
                           "[]:6379", "[::1]6379"}) {
    BOOST_TEST_CONTEXT("'" << text << "'") {
      const std::string message = error_of([&] { NodeAddress::parse(text); });
      BOOST_TEST(contains(message, "host:port"), message);
    }
  }
}

BOOST_AUTO_TEST_CASE(describe_shows_where_and_who_never_the_password) {
  RedisConnectionConfig config;
  BOOST_TEST(config.describe() == "localhost:6379 db=0");
  config.db = 2;
  config.password = "pw";
  BOOST_TEST(config.describe() == "localhost:6379 db=2 password=***");
  BOOST_TEST((config.address() == NodeAddress{"localhost", 6379}));
}

BOOST_AUTO_TEST_SUITE_END()
