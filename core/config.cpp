#include "redis_toolkit/config.hpp"

#include "redis_toolkit/errors.hpp"

#include <toml++/toml.h>

#include "toml_messages.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <sstream>
#include <system_error>

namespace redis_toolkit {
namespace {

// --- range checks shared by the validate() functions -------------------------------------------

/// Longest delay or timeout accepted: far past any sensible setting, and small enough that no
/// clock arithmetic on it can overflow.
constexpr double max_duration_seconds = 24 * 60 * 60;
/// Redis refuses keys and values above 512 MiB (proto-max-bulk-len).
constexpr std::size_t redis_max_bulk_length = 512 * 1024 * 1024;

template <typename Number>
std::string format_number(Number value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

/// Throws ValidationError naming `field` unless min <= value <= max (NaN is out of range).
template <typename Number>
void require_range(std::string_view field, Number value, Number min, Number max) {
  if (value >= min && value <= max) return;
  throw ValidationError("must be " + format_number(min) + ".." + format_number(max) + ", got " +
                            format_number(value),
                        std::string(field));
}

void require_seconds(std::string_view field, double seconds, bool zero_allowed) {
  const bool low_ok = zero_allowed ? seconds >= 0 : seconds > 0;
  if (low_ok && seconds <= max_duration_seconds) return; // false for NaN
  throw ValidationError(std::string(zero_allowed ? "must be from 0" : "must be more than 0") +
                            " to " + format_number(max_duration_seconds) + " seconds, got " +
                            format_number(seconds),
                        std::string(field));
}

void require_seconds(std::string_view field, std::chrono::milliseconds duration) {
  require_seconds(field, std::chrono::duration<double>(duration).count(), false);
}

void require_host_and_port(std::string_view host, int port) {
  if (host.empty()) throw ValidationError("must not be empty", "host");
  require_range("port", port, 1, 65535);
}

std::string format_address(std::string_view host, long port) {
  // An IPv6 host keeps its brackets, so that the last colon still separates the port.
  const bool bracket = host.find(':') != std::string_view::npos;
  std::string text = bracket ? "[" + std::string(host) + "]" : std::string(host);
  return text + ":" + std::to_string(port);
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

/// Error messages quote at most this much of a key: enough to recognise it, never a whole blob.
constexpr std::size_t key_quote_bytes = 64;

std::string quote_key(std::string_view key) { return log::preview(key, key_quote_bytes); }

} // namespace

// --- NodeAddress ---------------------------------------------------------------------------------

std::string NodeAddress::to_string() const { return format_address(host, port); }

NodeAddress NodeAddress::parse(std::string_view text) {
  std::string_view host, port_text;
  if (!text.empty() && text.front() == '[') { // [IPv6]:port
    const std::size_t close = text.find(']');
    if (close != std::string_view::npos && text.substr(close + 1, 1) == ":") {
      host = text.substr(1, close - 1);
      port_text = text.substr(close + 2);
    }
  } else if (const std::size_t colon = text.rfind(':'); colon != std::string_view::npos) {
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) host = {}; // a bare IPv6 host is ambiguous
  }
  const std::optional<std::uint16_t> port = parse_port(port_text);
  if (host.empty() || !port) {
    throw ValidationError("'" + log::preview(text, key_quote_bytes) +
                          "' is not a node address host:port (port 1..65535, IPv6 as [host]:port)");
  }
  return NodeAddress{std::string(host), *port};
}

// --- RedisConnectionConfig -----------------------------------------------------------------------

namespace {

void validate_sentinel_fields(const RedisConnectionConfig& config) {
  if (config.sentinels.empty()) {
    if (!config.sentinel_master_name.empty())
      throw ValidationError("is set but sentinels is empty: list the sentinels to ask for it",
                            "sentinel_master_name");
    return;
  }
  if (config.cluster_mode)
    throw ValidationError("a Redis Cluster has no sentinels: set cluster_mode or sentinels, "
                          "not both",
                          "sentinels");
  for (std::size_t index = 0; index < config.sentinels.size(); ++index) {
    const NodeAddress& node = config.sentinels[index];
    if (node.host.empty() || node.port == 0) {
      throw ValidationError("sentinel " + std::to_string(index + 1) + " ('" + node.to_string() +
                                "') needs a host and a port 1..65535",
                            "sentinels");
    }
  }
  if (config.sentinel_master_name.empty())
    throw ValidationError("must name the master the sentinels monitor (e.g. \"mymaster\")",
                          "sentinel_master_name");
}

/// A file named in a TLS field must exist and be readable now (the toolkit reads it when it
/// starts); a certificate needs its key and the reverse.
void validate_tls_files(const RedisConnectionConfig& config) {
  const std::pair<const char*, const std::string*> files[] = {
      {"ssl_ca_certs", &config.ssl_ca_certs},
      {"ssl_certfile", &config.ssl_certfile},
      {"ssl_keyfile", &config.ssl_keyfile}};
  for (const auto& [field, path] : files) {
    if (path->empty()) continue;
    std::ifstream file(*path, std::ios::binary);
    if (!file) throw ValidationError("cannot read '" + *path + "'", field);
  }
  if (!config.ssl_certfile.empty() && config.ssl_keyfile.empty())
    throw ValidationError("a client certificate needs its key (ssl_keyfile)", "ssl_certfile");
  if (config.ssl_certfile.empty() && !config.ssl_keyfile.empty())
    throw ValidationError("a client key needs its certificate (ssl_certfile)", "ssl_keyfile");
}

} // namespace

void RedisConnectionConfig::validate() const {
  require_host_and_port(host, port);
  require_range("db", db, 0, 15);
  require_seconds("connection_timeout", connection_timeout);
  require_seconds("socket_timeout", socket_timeout);
  if (ssl_cert_reqs != "none" && ssl_cert_reqs != "optional" && ssl_cert_reqs != "required") {
    throw ValidationError("must be none, optional or required, got '" + ssl_cert_reqs + "'",
                          "ssl_cert_reqs");
  }
  if (ssl) validate_tls_files(*this);
  if (cluster_mode) validate_cluster_config();
  validate_sentinel_fields(*this);
}

void RedisConnectionConfig::validate_cluster_config() const {
  if (startup_nodes.empty()) require_host_and_port(host, port); // host:port is the only seed
  for (std::size_t index = 0; index < startup_nodes.size(); ++index) {
    const NodeAddress& node = startup_nodes[index];
    if (node.host.empty() || node.port == 0) {
      throw ValidationError("node " + std::to_string(index + 1) + " ('" + node.to_string() +
                                "') needs a host and a port 1..65535",
                            "startup_nodes");
    }
  }
  if (db != 0) {
    throw ValidationError("must be 0 in cluster mode (a cluster has only database 0), got " +
                              std::to_string(db),
                          "db");
  }
  require_range("max_connections_per_node", max_connections_per_node, 1, 10000);
}

std::string RedisConnectionConfig::describe() const {
  std::string text;
  if (cluster_mode) {
    text = "cluster";
    char separator = ' ';
    for (const NodeAddress& node : cluster_seed_nodes()) {
      text += separator + node.to_string();
      separator = ',';
    }
  } else if (sentinel_mode()) {
    text = "sentinel master " + sentinel_master_name + " via";
    char separator = ' ';
    for (const NodeAddress& node : sentinels) {
      text += separator + node.to_string();
      separator = ',';
    }
    text += " db=" + std::to_string(db);
  } else {
    text = format_address(host, port) + " db=" + std::to_string(db);
  }
  if (username) text += " user=" + *username;
  if (password) text += " password=***";
  if (sentinel_username) text += " sentinel_user=" + *sentinel_username;
  if (sentinel_password) text += " sentinel_password=***";
  if (ssl) text += " tls";
  return text;
}

NodeAddress RedisConnectionConfig::address() const {
  return NodeAddress{host, static_cast<std::uint16_t>(port)};
}

std::vector<NodeAddress> RedisConnectionConfig::cluster_seed_nodes() const {
  return startup_nodes.empty() ? std::vector<NodeAddress>{address()} : startup_nodes;
}

// --- RedisOptions --------------------------------------------------------------------------------

void RedisOptions::validate() const {
  if (log::level_name(log_level) == "unknown") {
    throw ValidationError("is not a LogLevel (" + std::to_string(static_cast<int>(log_level)) + ")",
                          "log_level");
  }
  // A preview longer than 1 MiB would defeat its purpose: logs never carry whole large values.
  require_range<std::size_t>("max_log_size", max_log_size, 0, 1024 * 1024);
  require_range<std::size_t>("max_value_size", max_value_size, 1, redis_max_bulk_length);
  require_range<std::size_t>("max_key_length", max_key_length, 1, redis_max_bulk_length);
  if (max_connections) require_range<std::size_t>("max_connections", *max_connections, 1, 100000);
  require_range("retry_attempts", retry_attempts, 1, 100);
  require_seconds("retry_delay", retry_delay.count(), true);
  require_range("retry_backoff", retry_backoff, 1.0, 100.0); // below 1, delays would shrink
  require_seconds("subscriber_retry_delay", subscriber_retry_delay.count(), true);
  require_seconds("subscriber_stop_timeout", subscriber_stop_timeout.count(), false);
  using MinutesCount = std::chrono::minutes::rep;
  using SecondsCount = std::chrono::seconds::rep;
  require_range<MinutesCount>("subscription_expire_minutes", subscription_expire_minutes.count(), 1,
                              7 * 24 * 60);
  require_range<SecondsCount>("subscription_check_interval", subscription_check_interval.count(), 1,
                              60 * 60);
  require_range<std::size_t>("subscriber_mailbox_limit", subscriber_mailbox_limit, 1, 10000000);
  // Below 1 KiB not even an error reply or a cluster's slot map would fit.
  require_range<std::size_t>("max_reply_size", max_reply_size, 1024,
                             std::size_t{1} << 40);
  require_seconds("health_check_interval", health_check_interval.count(), true);
  require_range<std::size_t>("max_pending_calls", max_pending_calls, 0, 100000000);
}

// --- checks before sending -----------------------------------------------------------------------

void validate_key(std::string_view key, const RedisOptions& options) {
  if (!options.enable_validation || key.size() <= options.max_key_length) return;
  throw ValidationError("key is " + std::to_string(key.size()) +
                            " bytes, longer than max_key_length " +
                            std::to_string(options.max_key_length),
                        quote_key(key));
}

void validate_serialized_size(std::string_view key, std::size_t bytes,
                              const RedisOptions& options) {
  if (!options.enable_validation || bytes <= options.max_value_size) return;
  throw ValidationError("value is " + std::to_string(bytes) +
                            " bytes, larger than max_value_size " +
                            std::to_string(options.max_value_size),
                        quote_key(key));
}

void validate_batch_size(std::size_t total_bytes, const RedisOptions& options) {
  constexpr std::size_t factor = 10;
  constexpr std::size_t largest = std::numeric_limits<std::size_t>::max();
  const std::size_t limit =
      options.max_value_size > largest / factor ? largest : options.max_value_size * factor;
  if (!options.enable_validation || total_bytes <= limit) return;
  throw ValidationError("batch is " + std::to_string(total_bytes) + " bytes, larger than " +
                        std::to_string(limit) + " (10 x max_value_size)");
}

// --- TOML ----------------------------------------------------------------------------------------
// Each struct has a table of fields: key -> how to read it. read_fields() walks a TOML table,
// refuses keys no field claims, and hands each value to its field; the typed convert() overloads
// turn a TOML node into the member's C++ type or throw a ValidationError with key, file and line.

namespace {

using redis_toolkit::detail::toml_location;
using redis_toolkit::detail::toml_type_phrase;

/// One `key = value` being read, with what an error message needs.
struct Entry {
  std::string key; ///< as the message shows it: "port", or "startup_nodes.port" inside a node
  const toml::node& node;
  std::string_view source_name;

  ValidationError error(const std::string& reason) const {
    return ValidationError(reason + " at " + toml_location(node.source(), source_name), key);
  }
  ValidationError type_error(std::string_view expected) const {
    return error("expected " + std::string(expected) + ", got " +
                 std::string(toml_type_phrase(node.type())));
  }
};

template <typename T>
struct As {};

bool convert(const Entry& entry, As<bool>) {
  if (const auto value = entry.node.value_exact<bool>()) return *value;
  throw entry.type_error("a boolean");
}

std::string convert(const Entry& entry, As<std::string>) {
  if (const auto value = entry.node.value_exact<std::string>()) return *value;
  throw entry.type_error("a string");
}

template <typename Integer>
Integer read_integer(const Entry& entry) {
  using Limits = std::numeric_limits<Integer>;
  const std::optional<std::int64_t> value = entry.node.value_exact<std::int64_t>();
  if (!value) throw entry.type_error("an integer");
  bool fits = false;
  if constexpr (std::is_signed_v<Integer>) {
    fits = *value >= std::int64_t{Limits::min()} && *value <= std::int64_t{Limits::max()};
  } else {
    if (*value < 0) throw entry.error("must not be negative, got " + std::to_string(*value));
    fits = static_cast<std::uint64_t>(*value) <= std::uint64_t{Limits::max()};
  }
  if (!fits) {
    throw entry.error("must be " + format_number(+Limits::min()) + ".." +
                      format_number(+Limits::max()) + ", got " + std::to_string(*value));
  }
  return static_cast<Integer>(*value);
}

int convert(const Entry& entry, As<int>) { return read_integer<int>(entry); }
std::size_t convert(const Entry& entry, As<std::size_t>) {
  return read_integer<std::size_t>(entry);
}
std::uint16_t convert(const Entry& entry, As<std::uint16_t>) {
  return read_integer<std::uint16_t>(entry);
}

double read_number(const Entry& entry, std::string_view expected) {
  if (!entry.node.is_integer() && !entry.node.is_floating_point()) throw entry.type_error(expected);
  return *entry.node.value<double>();
}

double convert(const Entry& entry, As<double>) { return read_number(entry, "a number"); }

template <typename T>
std::optional<T> convert(const Entry& entry, As<std::optional<T>>) {
  return convert(entry, As<T>{});
}

/// Durations are written in seconds, as the Python toolkit takes them: connection_timeout = 2.5.
template <typename Rep, typename Period>
std::chrono::duration<Rep, Period> convert(const Entry& entry,
                                           As<std::chrono::duration<Rep, Period>>) {
  const double seconds = read_number(entry, "a number of seconds");
  const std::chrono::duration<double, Period> exact{std::chrono::duration<double>(seconds)};
  if constexpr (std::is_floating_point_v<Rep>) {
    return std::chrono::duration<Rep, Period>(exact.count());
  } else {
    // Refuse what an integer count would round away, instead of silently changing the setting.
    const double whole = std::round(exact.count());
    constexpr std::string_view unit = std::is_same_v<Period, std::milli> ? "millisecond" : "second";
    if (!(std::abs(exact.count() - whole) < 1e-6) || std::abs(whole) > 1e15) {
      throw entry.error("must be a whole number of " + std::string(unit) + "s, got " +
                 format_number(seconds) + " s");
    }
    return std::chrono::duration<Rep, Period>(static_cast<Rep>(whole));
  }
}

/// The one duration counted in minutes in TOML, as its name says: subscription_expire_minutes = 5.
std::chrono::minutes convert(const Entry& entry, As<std::chrono::minutes>) {
  return std::chrono::minutes(read_integer<int>(entry));
}

LogLevel convert(const Entry& entry, As<LogLevel>) {
  const std::string name = convert(entry, As<std::string>{});
  if (const auto level = log::parse_level(name)) return *level;
  throw entry.error("expected one of trace, debug, info, warning, error, off, got '" +
             log::preview(name, 32) + "'");
}

const toml::table& require_table(const Entry& entry) {
  if (const toml::table* table = entry.node.as_table()) return *table;
  throw entry.type_error("a table");
}

template <typename Config>
struct Field {
  std::string_view key;
  std::function<void(Config&, const Entry&)> read;
};

/// A field stored as is in `member`, converted by the convert() overload for its type.
template <typename Config, typename Member>
Field<Config> member_field(std::string_view key, Member Config::*member) {
  return {key, [member](Config& config, const Entry& entry) {
            config.*member = convert(entry, As<Member>{});
          }};
}

template <typename Config>
[[noreturn]] void throw_unknown_key(const toml::key& key, const std::vector<Field<Config>>& fields,
                                    std::string_view source_name, std::string_view key_prefix) {
  std::string known;
  for (const Field<Config>& field : fields) {
    known += (known.empty() ? "" : ", ") + std::string(field.key);
  }
  throw ValidationError("unknown key at " + toml_location(key.source(), source_name) +
                            " (known keys: " + known + ")",
                        std::string(key_prefix) + std::string(key.str()));
}

/// `key_prefix` names the table in messages when its keys alone would mislead ("startup_nodes.").
template <typename Config>
void read_fields(const toml::table& table, const std::vector<Field<Config>>& fields,
                 std::string_view source_name, Config& config, std::string_view key_prefix = {}) {
  for (auto&& [key, node] : table) {
    const std::string_view name = key.str(); // C++17 lambdas cannot capture a structured binding
    const auto field = std::find_if(fields.begin(), fields.end(),
                                    [name](const Field<Config>& f) { return f.key == name; });
    if (field == fields.end()) throw_unknown_key(key, fields, source_name, key_prefix);
    field->read(config, Entry{std::string(key_prefix) + std::string(name), node, source_name});
  }
}

/// validate(), with the location of the offending key added when the table holds it.
template <typename Config>
void validate_read_config(const Config& config, const toml::table& table,
                          std::string_view source_name) {
  try {
    config.validate();
  } catch (const ValidationError& error) {
    const toml::node* node = table.get(error.key());
    const std::string where =
        node ? toml_location(node->source(), source_name) : std::string(source_name);
    throw ValidationError(error.reason() + " at " + where, error.key());
  }
}

NodeAddress read_node_address(const Entry& item) {
  if (const auto text = item.node.value_exact<std::string>()) {
    try {
      return NodeAddress::parse(*text);
    } catch (const ValidationError& error) {
      throw item.error(error.reason());
    }
  }
  if (const toml::table* table = item.node.as_table()) {
    static const std::vector<Field<NodeAddress>> fields = {
        member_field("host", &NodeAddress::host), member_field("port", &NodeAddress::port)};
    NodeAddress node;
    read_fields(*table, fields, item.source_name, node, item.key + ".");
    return node; // a missing host or port is reported by validate_cluster_config()
  }
  throw item.type_error("a \"host:port\" string or a {host, port} table");
}

std::vector<NodeAddress> convert(const Entry& entry, As<std::vector<NodeAddress>>) {
  const toml::array* array = entry.node.as_array();
  if (!array) throw entry.type_error("an array of \"host:port\" strings or {host, port} tables");
  std::vector<NodeAddress> nodes;
  std::transform(array->begin(), array->end(), std::back_inserter(nodes),
                 [&](const toml::node& item) {
                   return read_node_address(Entry{entry.key, item, entry.source_name});
                 });
  return nodes;
}

/// password_env = "REDIS_PASSWORD": the password comes from that variable, not from the file.
std::string password_from_environment(const Entry& entry) {
  const std::string variable = convert(entry, As<std::string>{});
  const char* value = std::getenv(variable.c_str());
  if (value == nullptr || *value == '\0') {
    throw entry.error("the environment variable " + variable + " is not set or empty");
  }
  return value;
}

void read_password_from_environment(RedisConnectionConfig& config, const Entry& entry) {
  config.password = password_from_environment(entry);
}

void read_sentinel_password_from_environment(RedisConnectionConfig& config, const Entry& entry) {
  config.sentinel_password = password_from_environment(entry);
}

RedisConnectionConfig read_connection(const toml::table& table, std::string_view source_name) {
  using Config = RedisConnectionConfig;
  static const std::vector<Field<Config>> fields = {
      member_field("host", &Config::host),
      member_field("port", &Config::port),
      member_field("db", &Config::db),
      member_field("username", &Config::username),
      member_field("password", &Config::password),
      {"password_env", read_password_from_environment},
      member_field("connection_timeout", &Config::connection_timeout),
      member_field("socket_timeout", &Config::socket_timeout),
      member_field("socket_keepalive", &Config::socket_keepalive),
      member_field("ssl", &Config::ssl),
      member_field("ssl_keyfile", &Config::ssl_keyfile),
      member_field("ssl_certfile", &Config::ssl_certfile),
      member_field("ssl_ca_certs", &Config::ssl_ca_certs),
      member_field("ssl_cert_reqs", &Config::ssl_cert_reqs),
      member_field("ssl_server_name", &Config::ssl_server_name),
      member_field("cluster_mode", &Config::cluster_mode),
      member_field("startup_nodes", &Config::startup_nodes),
      member_field("skip_full_coverage_check", &Config::skip_full_coverage_check),
      member_field("max_connections_per_node", &Config::max_connections_per_node),
      member_field("readonly_mode", &Config::readonly_mode),
      member_field("sentinels", &Config::sentinels),
      member_field("sentinel_master_name", &Config::sentinel_master_name),
      member_field("sentinel_username", &Config::sentinel_username),
      member_field("sentinel_password", &Config::sentinel_password),
      {"sentinel_password_env", read_sentinel_password_from_environment},
  };
  Config config;
  read_fields(table, fields, source_name, config);
  if (table.contains("password") && table.contains("password_env")) {
    throw Entry{"password_env", *table.get("password_env"), source_name}.error(
        "set password or password_env, not both");
  }
  if (table.contains("sentinel_password") && table.contains("sentinel_password_env")) {
    throw Entry{"sentinel_password_env", *table.get("sentinel_password_env"), source_name}.error(
        "set sentinel_password or sentinel_password_env, not both");
  }
  validate_read_config(config, table, source_name);
  return config;
}

RedisOptions read_options(const toml::table& table, std::string_view source_name) {
  using Options = RedisOptions;
  static const std::vector<Field<Options>> fields = {
      member_field("is_logger_info", &Options::is_logger_info),
      member_field("log_level", &Options::log_level),
      member_field("max_log_size", &Options::max_log_size),
      member_field("max_value_size", &Options::max_value_size),
      member_field("max_key_length", &Options::max_key_length),
      member_field("enable_validation", &Options::enable_validation),
      member_field("use_connection_pool", &Options::use_connection_pool),
      member_field("max_connections", &Options::max_connections),
      member_field("retry_attempts", &Options::retry_attempts),
      member_field("retry_delay", &Options::retry_delay),
      member_field("retry_backoff", &Options::retry_backoff),
      member_field("subscriber_retry_delay", &Options::subscriber_retry_delay),
      member_field("subscriber_stop_timeout", &Options::subscriber_stop_timeout),
      member_field("dynamic_subscriptions", &Options::dynamic_subscriptions),
      member_field("subscription_expire_minutes", &Options::subscription_expire_minutes),
      member_field("subscription_check_interval", &Options::subscription_check_interval),
      member_field("subscriber_mailbox_limit", &Options::subscriber_mailbox_limit),
      member_field("max_reply_size", &Options::max_reply_size),
      member_field("health_check_interval", &Options::health_check_interval),
      member_field("max_pending_calls", &Options::max_pending_calls),
      member_field("metrics_enabled", &Options::metrics_enabled),
  };
  Options options;
  read_fields(table, fields, source_name, options);
  validate_read_config(options, table, source_name);
  return options;
}

RedisConnectionConfig convert(const Entry& entry, As<RedisConnectionConfig>) {
  return read_connection(require_table(entry), entry.source_name);
}

RedisOptions convert(const Entry& entry, As<RedisOptions>) {
  return read_options(require_table(entry), entry.source_name);
}

ToolkitConfig read_toolkit(const toml::table& root, std::string_view source_name) {
  static const std::vector<Field<ToolkitConfig>> fields = {
      member_field("connection", &ToolkitConfig::connection),
      member_field("options", &ToolkitConfig::options)};
  ToolkitConfig config;
  read_fields(root, fields, source_name, config);
  return config;
}

/// A file with a [connection] or an [options] table is a whole toolkit file; any other file holds
/// the keys of one struct at its top level.
bool is_toolkit_document(const toml::table& root) {
  return root.contains("connection") || root.contains("options");
}

/// True when line `line_number` (from 1) of `text` mentions a password. toml++ may quote a
/// character or two of a value it cannot parse; not even that much of a password may be shown.
bool line_mentions_password(std::string_view text, std::size_t line_number) {
  std::size_t begin = 0;
  for (std::size_t line = 1; line < line_number && begin != std::string_view::npos; ++line) {
    begin = text.find('\n', begin);
    if (begin != std::string_view::npos) ++begin;
  }
  if (begin == std::string_view::npos) return false;
  const std::string_view line = text.substr(begin, text.find('\n', begin) - begin);
  return line.find("password") != std::string_view::npos;
}

toml::table parse_document(std::string_view text, std::string_view source_name) {
  try {
    return toml::parse(text, source_name);
  } catch (const toml::parse_error& error) {
    const std::string details = line_mentions_password(text, error.source().begin.line)
                                    ? "the line sets a password, so the details are withheld"
                                    : std::string(error.description());
    throw ValidationError("TOML syntax error at " + toml_location(error.source(), source_name) + ": " +
                          details);
  }
}

std::string read_text_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    throw ValidationError("cannot open config file '" + path + "': " +
                          std::generic_category().message(errno));
  }
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

} // namespace

RedisConnectionConfig RedisConnectionConfig::from_toml_string(std::string_view text,
                                                              std::string_view source_name) {
  const toml::table root = parse_document(text, source_name);
  return is_toolkit_document(root) ? read_toolkit(root, source_name).connection
                                   : read_connection(root, source_name);
}

RedisConnectionConfig RedisConnectionConfig::from_toml_file(const std::string& path) {
  return from_toml_string(read_text_file(path), path);
}

RedisOptions RedisOptions::from_toml_string(std::string_view text, std::string_view source_name) {
  const toml::table root = parse_document(text, source_name);
  return is_toolkit_document(root) ? read_toolkit(root, source_name).options
                                   : read_options(root, source_name);
}

RedisOptions RedisOptions::from_toml_file(const std::string& path) {
  return from_toml_string(read_text_file(path), path);
}

ToolkitConfig ToolkitConfig::from_toml_string(std::string_view text, std::string_view source_name) {
  return read_toolkit(parse_document(text, source_name), source_name);
}

ToolkitConfig ToolkitConfig::from_toml_file(const std::string& path) {
  return from_toml_string(read_text_file(path), path);
}

} // namespace redis_toolkit
