#include "cli.hpp"
#include "bench_command.hpp"
#include "cluster_commands.hpp"
#include "data_commands.hpp"
#include "failover_sim_runner.hpp"
#include "sentinel_commands.hpp"
#include "simulate_command.hpp"

#include "redis_toolkit/errors.hpp"

#include <algorithm>
#include <cstdlib>
#include <cctype>
#include <charconv>
#include <istream>
#include <optional>
#include <ostream>
#include <utility>

#ifndef RTK_VERSION
#error "RTK_VERSION comes from project(VERSION) in CMakeLists.txt"
#endif

namespace rtk {
namespace {

using redis_toolkit::NodeAddress;
using redis_toolkit::RedisConnectionConfig;
using redis_toolkit::ValidationError;

constexpr const char* default_host = "127.0.0.1"; // CONTRACT.md: 127.0.0.1:6379 by default
constexpr const char* see_help = " (see rtk --help)";

// ---- the two commands the frame itself serves ----

int run_help(const CliInvocation& invocation, CommandStreams& streams) {
  if (invocation.arguments.empty()) {
    print_usage(streams.out);
    return exit_ok;
  }
  const CommandSpec* command = find_command(invocation.arguments.front());
  if (command == nullptr) {
    throw ValidationError("unknown command '" + invocation.arguments.front() + "'" + see_help);
  }
  print_command_usage(*command, streams.out);
  return exit_ok;
}

int run_version(const CliInvocation&, CommandStreams& streams) {
  streams.out << "rtk (redis-toolkit) " << RTK_VERSION << "\n";
  return exit_ok;
}

// ---- option values ----

long long parse_integer(const std::string& option, const std::string& value, long long min,
                        long long max) {
  long long number = 0;
  const char* end = value.data() + value.size();
  const auto [stop, error] = std::from_chars(value.data(), end, number);
  if (error != std::errc{} || stop != end || number < min || number > max) {
    const std::string range = max == std::numeric_limits<long long>::max()
                                  ? std::to_string(min) + " or more"
                                  : std::to_string(min) + ".." + std::to_string(max);
    throw ValidationError("option --" + option + " expects an integer " + range + ", got '" +
                          value + "'");
  }
  return number;
}

int parse_port(const std::string& option, const std::string& value) {
  return static_cast<int>(parse_integer(option, value, 1, 65535));
}

void require_positive_seconds(const std::string& option, const std::string& value) {
  double seconds = 0;
  const char* end = value.data() + value.size();
  const auto [stop, error] = std::from_chars(value.data(), end, seconds);
  if (error != std::errc{} || stop != end || !(seconds > 0)) {
    throw ValidationError("option --" + option + " expects a number of seconds above 0, got '" +
                          value + "'");
  }
}

void require_text(const std::string& option, const std::string& value) {
  if (value.empty()) throw ValidationError("option --" + option + " needs a non-empty value");
}

std::vector<NodeAddress> parse_node_list(const std::string& option, const std::string& value) {
  std::vector<NodeAddress> nodes;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = std::min(value.find(',', start), value.size());
    try {
      nodes.push_back(NodeAddress::parse(std::string_view(value).substr(start, comma - start)));
    } catch (const ValidationError& error) {
      throw ValidationError("option --" + option + ": " + error.reason());
    }
    if (comma == value.size()) return nodes;
    start = comma + 1;
  }
}

// ---- the option table ----

/// What the scan of the arguments gathers; the config is resolved from it at the end, because the
/// --config file must come first and the connection options override it wherever they stand.
struct ParseState {
  CliInvocation invocation;
  std::optional<std::string> config_file;
  std::vector<std::function<void(RedisConnectionConfig&)>> connection_overrides;
  bool help = false;
  bool version = false;

  void override_connection(std::function<void(RedisConnectionConfig&)> change) {
    connection_overrides.push_back(std::move(change));
  }
};

enum class OptionScope { connection, command, general };

/// Checks one option's value and records it; `option` is the name without dashes.
using OptionAction = void (*)(ParseState&, const std::string& option, const std::string& value);

struct OptionSpec {
  std::string_view name;
  std::string_view value_name; ///< empty for a switch
  std::string_view summary;
  OptionScope scope;
  OptionAction action;
};

void record_flag(ParseState& state, const std::string& option, const std::string& value) {
  state.invocation.flags[option] = value;
}

// The command options are kept as text for their handlers, once their form is known to be right.
void record_count(ParseState& state, const std::string& option, const std::string& value) {
  parse_integer(option, value, 1, std::numeric_limits<long long>::max());
  record_flag(state, option, value);
}

void record_seconds(ParseState& state, const std::string& option, const std::string& value) {
  require_positive_seconds(option, value);
  record_flag(state, option, value);
}

void record_address(ParseState& state, const std::string& option, const std::string& value) {
  parse_node_list(option, value); // one HOST:PORT, checked like a node's
  if (value.find(',') != std::string::npos)
    throw ValidationError("option --" + option + " takes one HOST:PORT");
  record_flag(state, option, value);
}

void record_port(ParseState& state, const std::string& option, const std::string& value) {
  parse_port(option, value);
  record_flag(state, option, value);
}

void record_text(ParseState& state, const std::string& option, const std::string& value) {
  require_text(option, value);
  record_flag(state, option, value);
}

const std::vector<OptionSpec>& option_table() {
  using S = ParseState;
  using Text = const std::string&;
  using Connection = RedisConnectionConfig;
  constexpr auto connection = OptionScope::connection;
  constexpr auto command = OptionScope::command;
  constexpr auto general = OptionScope::general;
  // clang-format off
  static const std::vector<OptionSpec> table = {
      {"host", "H", "server host (default 127.0.0.1)", connection, [](S& s, Text o, Text v) {
         require_text(o, v);
         s.override_connection([v](Connection& c) { c.host = v; });
       }},
      {"port", "P", "server port (default 6379)", connection, [](S& s, Text o, Text v) {
         s.override_connection([port = parse_port(o, v)](Connection& c) { c.port = port; });
       }},
      {"db", "N", "database number (default 0)", connection, [](S& s, Text o, Text v) {
         const auto db = static_cast<int>(parse_integer(o, v, 0, std::numeric_limits<int>::max()));
         s.override_connection([db](Connection& c) { c.db = db; });
       }},
      {"username", "U", "ACL user name", connection, [](S& s, Text o, Text v) {
         require_text(o, v);
         s.override_connection([v](Connection& c) { c.username = v; });
       }},
      {"password", "P", "password (never printed; prefer the REDISCLI_AUTH variable: "
       "a command line is visible to every local user)", connection, [](S& s, Text, Text v) {
         s.invocation.password_on_command_line = true;
         s.override_connection([v](Connection& c) { c.password = v; });
       }},
      {"cluster", "H:P[,H:P...]", "cluster mode, discovering the cluster from these nodes",
       connection, [](S& s, Text o, Text v) {
         s.override_connection([nodes = parse_node_list(o, v)](Connection& c) {
           c.cluster_mode = true;
           c.startup_nodes = nodes;
         });
       }},
      {"sentinel", "H:P[,H:P...]", "Sentinel: ask these sentinels for the master named by "
       "--master (its own password: sentinel_password_env in a --config file)",
       connection, [](S& s, Text o, Text v) {
         s.override_connection([nodes = parse_node_list(o, v)](Connection& c) {
           c.sentinels = nodes;
         });
       }},
      {"master", "NAME", "Sentinel: the master's name (mymaster for rtk sentinel up)", connection,
       [](S& s, Text o, Text v) {
         require_text(o, v);
         s.override_connection([v](Connection& c) { c.sentinel_master_name = v; });
       }},
      // TLS: redis-cli's flags. The file options take effect with --tls (or ssl = true in the
      // --config file), as in redis-cli.
      {"tls", "", "connect with TLS, checking the server's certificate and name (docs/SECURITY.md)",
       connection, [](S& s, Text, Text) {
         s.override_connection([](Connection& c) { c.ssl = true; });
       }},
      {"cacert", "FILE", "TLS: the CA certificates (PEM) the server's must chain to (default: "
       "the system's)", connection, [](S& s, Text o, Text v) {
         require_text(o, v);
         s.override_connection([v](Connection& c) { c.ssl_ca_certs = v; });
       }},
      {"cert", "FILE", "TLS: client certificate (PEM) for mutual TLS, with --key", connection,
       [](S& s, Text o, Text v) {
         require_text(o, v);
         s.override_connection([v](Connection& c) { c.ssl_certfile = v; });
       }},
      {"key", "FILE", "TLS: the client certificate's private key (PEM, no passphrase)",
       connection, [](S& s, Text o, Text v) {
         require_text(o, v);
         s.override_connection([v](Connection& c) { c.ssl_keyfile = v; });
       }},
      {"sni", "NAME", "TLS: the server name sent and checked (default: the host)", connection,
       [](S& s, Text o, Text v) {
         require_text(o, v);
         s.override_connection([v](Connection& c) { c.ssl_server_name = v; });
       }},
      {"insecure", "", "TLS: do not check the server's certificate (ssl_cert_reqs = none)",
       connection, [](S& s, Text, Text) {
         s.override_connection([](Connection& c) { c.ssl_cert_reqs = "none"; });
       }},
      {"config", "FILE.toml", "read the connection and options from a TOML file first",
       connection, [](S& s, Text o, Text v) {
         require_text(o, v);
         s.config_file = v;
       }},
      {"ttl", "SECONDS", "expire after SECONDS (an integer above 0)", command, record_count},
      {"sharded", "", "sharded pub/sub (SPUBLISH/SSUBSCRIBE): a channel lives on its slot's master",
       command, record_flag},
      {"count", "N", "stop after N messages", command, record_count},
      {"timeout", "S", "stop after S seconds (may have a fraction)", command, record_seconds},
      {"short", "", "bench: small sizes, one round (the CI run)", command, record_flag},
      {"rounds", "N", "bench: rounds per figure (default 3; 1 with --short)", command, record_count},
      {"only", "LIST", "bench: only these scenarios, comma-separated: blocking, in-flight, "
       "callers, batches, pubsub, codec, commands, failover, metrics, tls, hog", command, record_text},
      {"base-port", "P", "cluster: first of the six node ports; sentinel: first of the three "
       "server ports (the sentinels on P+20000 ..)", command, record_port},
      {"dir", "D", "directory for the nodes' files (cluster, sentinel)", command, record_text},
      {"scenario", "FILE.toml", "failover-sim: the scenario (default: the master kill of "
       "config/failover/master_kill.toml)", command, record_text},
      {"duration", "S", "failover-sim: run the workload S seconds (overrides the scenario's)",
       command, record_seconds},
      {"durable", "", "failover-sim: writers use setter_durable (SET + WAIT for a replica)",
       command, record_flag},
      {"seed", "N", "simulate: the seed that makes every choice of the run (default 1)", command,
       record_count},
      {"masters", "M", "simulate: masters of the simulated cluster, each with a replica (3 to "
       "1000; default 3)", command, record_count},
      {"calls", "C", "simulate: commands to run (default 300000)", command, record_count},
      {"report-dir", "D", "where the command writes its reports (see its help for the default)",
       command, record_text},
      {"metrics-listen", "HOST:PORT", "subscribe, psubscribe, failover-sim, bench: serve the "
       "toolkits' metrics as Prometheus text at "
       "http://HOST:PORT/metrics while the command runs (docs/METRICS.md)", command, record_address},
      {"help", "", "print usage (also -h)", general, [](S& s, Text, Text) { s.help = true; }},
      {"version", "", "print rtk's version", general, [](S& s, Text, Text) { s.version = true; }},
      {"verbose", "", "describe the connection on stderr first (never the password); log INFO",
       general,
       [](S& s, Text, Text) { s.invocation.verbose = true; }},
  };
  // clang-format on
  return table;
}

const OptionSpec* find_option(std::string_view name) {
  const auto& table = option_table();
  const auto found =
      std::find_if(table.begin(), table.end(), [&](const OptionSpec& o) { return o.name == name; });
  return found == table.end() ? nullptr : &*found;
}

// ---- scanning the arguments ----

/// "-5" and "-0.5" are values (a JSON number), not options.
bool is_negative_number(std::string_view token) {
  return token.size() > 1 && token[0] == '-' &&
         (std::isdigit(static_cast<unsigned char>(token[1])) != 0 || token[1] == '.');
}

bool is_option_token(std::string_view token) {
  return token.size() > 1 && token[0] == '-' && !is_negative_number(token);
}

/// Reads the option at arguments[index] (and its value), returns the index of the last token used.
std::size_t scan_option(const std::vector<std::string>& arguments, std::size_t index,
                        ParseState& state) {
  const std::string& token = arguments[index];
  const bool long_form = token.rfind("--", 0) == 0;
  const std::size_t equals = long_form ? token.find('=') : std::string::npos;
  std::string name =
      long_form ? token.substr(2, equals == std::string::npos ? std::string::npos : equals - 2)
                : (token == "-h" ? "help" : token);
  const OptionSpec* option = long_form || token == "-h" ? find_option(name) : nullptr;
  if (option == nullptr) {
    // Only the name: the text after '=' may be a password under a misspelt option.
    throw ValidationError("unknown option " + token.substr(0, equals) + see_help);
  }

  if (option->value_name.empty()) {
    if (equals != std::string::npos) throw ValidationError("option --" + name + " takes no value");
    option->action(state, name, "true");
    return index;
  }
  if (equals != std::string::npos) {
    option->action(state, name, token.substr(equals + 1));
    return index;
  }
  if (index + 1 >= arguments.size() || is_option_token(arguments[index + 1])) {
    throw ValidationError("option --" + name + " needs a value (" +
                          std::string(option->value_name) + ")");
  }
  option->action(state, name, arguments[index + 1]);
  return index + 1;
}

ParseState scan(const std::vector<std::string>& arguments) {
  ParseState state;
  bool options_ended = false; // after "--" everything is an argument, even "--ttl"
  for (std::size_t index = 0; index < arguments.size(); ++index) {
    const std::string& token = arguments[index];
    if (!options_ended && token == "--") {
      options_ended = true;
    } else if (!options_ended && is_option_token(token)) {
      index = scan_option(arguments, index, state);
    } else if (state.invocation.command.empty()) {
      state.invocation.command = token;
      // Everything after `command` is the Redis command, verbatim ("-1", "--", "LIMIT" ...).
      if (token == "command") options_ended = true;
    } else {
      state.invocation.arguments.push_back(token);
    }
  }
  return state;
}

// ---- checking against the command table ----

const CommandSpec& require_command(const std::string& name) {
  if (name.empty()) throw ValidationError(std::string("no command given") + see_help);
  const CommandSpec* command = find_command(name);
  if (command == nullptr) throw ValidationError("unknown command '" + name + "'" + see_help);
  return *command;
}

void check_arguments(const CommandSpec& command, const CliInvocation& invocation) {
  const std::size_t count = invocation.arguments.size();
  const std::string usage = ": usage: rtk " + command.usage;
  if (count < command.min_arguments)
    throw ValidationError("missing arguments for " + command.name + usage);
  if (count > command.max_arguments)
    throw ValidationError("too many arguments for " + command.name + usage);
  const auto& choices = command.first_argument_choices;
  if (!choices.empty() && count > 0 &&
      std::find(choices.begin(), choices.end(), invocation.arguments.front()) == choices.end()) {
    throw ValidationError("unknown " + command.name + " action '" + invocation.arguments.front() +
                          "'" + usage);
  }
  for (const auto& flag : invocation.flags) {
    if (std::find(command.options.begin(), command.options.end(), flag.first) ==
        command.options.end()) {
      throw ValidationError("option --" + flag.first + " does not apply to " + command.name +
                            usage);
    }
  }
}

redis_toolkit::ToolkitConfig resolve_config(const ParseState& state) {
  redis_toolkit::ToolkitConfig config;
  if (state.config_file) {
    config = redis_toolkit::ToolkitConfig::from_toml_file(*state.config_file);
  } else {
    config.connection.host = default_host;
    // Warnings and errors only (the library's default), unless --verbose asks for its INFO lines
    // (a cluster's topology on every start) or a config file says otherwise.
    config.options.log_level = state.invocation.verbose ? redis_toolkit::LogLevel::info
                                                        : redis_toolkit::LogLevel::warning;
  }
  for (const auto& change : state.connection_overrides) change(config.connection);
  // redis-cli's convention: the password from the environment when none was given otherwise.
  if (!config.connection.password) {
    const char* from_environment = std::getenv("REDISCLI_AUTH");
    if (from_environment != nullptr && *from_environment != '\0')
      config.connection.password = std::string(from_environment);
  }
  config.connection.validate();
  return config;
}

/// --help and --version turn any command line into the help or version command.
CliInvocation frame_invocation(const ParseState& state) {
  CliInvocation invocation;
  if (state.help) {
    invocation.command = "help";
    const std::string& asked = state.invocation.command;
    if (asked == "help")
      invocation.arguments = state.invocation.arguments;
    else if (!asked.empty())
      invocation.arguments = {asked};
  } else {
    invocation.command = "version";
  }
  return invocation;
}

// ---- printing ----

using Rows = std::vector<std::pair<std::string, std::string>>;

void print_rows(std::ostream& out, const Rows& rows) {
  std::size_t width = 0;
  for (const auto& row : rows) width = std::max(width, row.first.size());
  for (const auto& row : rows) {
    out << "  " << row.first << std::string(width - row.first.size() + 3, ' ') << row.second
        << "\n";
  }
}

std::string option_syntax(const OptionSpec& option) {
  std::string text = "--" + std::string(option.name);
  if (!option.value_name.empty()) text += " " + std::string(option.value_name);
  return text;
}

Rows option_rows(OptionScope scope) {
  Rows rows;
  for (const OptionSpec& option : option_table()) {
    if (option.scope == scope)
      rows.emplace_back(option_syntax(option), std::string(option.summary));
  }
  return rows;
}

} // namespace

// ---- the command table ----

int not_available(const CliInvocation& invocation, CommandStreams& streams) {
  // Saying so beats pretending: scripts see a distinct status, not a silent success.
  streams.err << "rtk: " << invocation.command << ": not available in this build yet\n";
  return exit_not_available;
}

const std::vector<CommandSpec>& command_table() {
  constexpr std::size_t any = any_number_of_arguments;
  // One row per command: name, syntax, summary, fewest and most arguments, its options, the
  // choices for its first argument, and its handler. Wiring a command is replacing not_available.
  // clang-format off
  static const std::vector<CommandSpec> table = {
      {"set", "set KEY VALUE [--ttl SECONDS]", "store VALUE in the wire format",
       2, 2, {"ttl"}, {}, run_set},
      {"get", "get KEY", "print the value; a missing key prints nothing and exits 1",
       1, 1, {}, {}, run_get},
      {"del", "del KEY...", "print how many keys were removed",
       1, any, {}, {}, run_del},
      {"ttl", "ttl KEY", "print the time to live in seconds: -1 no expiry, -2 no such key",
       1, 1, {}, {}, run_ttl},
      {"mset", "mset", "store every entry of a JSON object read from standard input (a batch); "
       "a value sure to exceed max_value_size is refused while it is read, nothing stored",
       0, 0, {}, {}, run_mset},
      {"mget", "mget KEY...", "print a JSON object key -> value or null, in the order given",
       1, any, {}, {}, run_mget},
      {"command", "command ARG...",
       "run any Redis command (routed by its keys with --cluster) and print the reply as JSON; "
       "rtk's options go before 'command', everything after it is the command",
       1, any, {}, {}, run_command},
      {"publish", "publish CHANNEL VALUE [--sharded]", "publish VALUE in the wire format",
       2, 2, {"sharded"}, {}, run_publish},
      {"subscribe", "subscribe CHANNEL... [--sharded] [--count N] [--timeout S]",
       "print one JSON line {\"channel\": ..., \"data\": ...} per message; stop after N messages "
       "or S seconds; --metrics-listen HOST:PORT serves its metrics",
       1, any, {"sharded", "count", "timeout", "metrics-listen"}, {}, run_subscribe},
      {"psubscribe", "psubscribe PATTERN... [--count N] [--timeout S]",
       "print one JSON line {\"pattern\": ..., \"channel\": ..., \"data\": ...} per message "
       "matching a glob PATTERN; stop after N messages or S seconds; --metrics-listen HOST:PORT "
       "serves its metrics",
       1, any, {"count", "timeout", "metrics-listen"}, {}, run_psubscribe},
      {"scan", "scan PATTERN",
       "print every matching key once, one per line (every master in a cluster)",
       1, 1, {}, {}, run_scan},
      {"nodes", "nodes", "print a JSON array, one object per node: id, host, port, role, slots, "
       "master_id, connected, failing",
       0, 0, {}, {}, run_nodes},
      {"health", "health", "print ok and exit 0, or say what is wrong and exit 1",
       0, 0, {}, {}, run_health},
      {"cluster", "cluster up|down|status [--base-port P] [--dir D]",
       "a local 3-master 3-replica cluster of redis-server processes",
       1, 1, {"base-port", "dir"}, {"up", "down", "status"}, run_cluster},
      {"sentinel", "sentinel up|down|status [--base-port P] [--dir D]",
       "a local master, 2 replicas and 3 sentinels watching 'mymaster', of redis-server processes",
       1, 1, {"base-port", "dir"}, {"up", "down", "status"}, run_sentinel},
      {"failover-sim", "failover-sim [...]",
       "the failover simulation harness ([--scenario FILE.toml] [--duration S] [--durable] "
       "[--report-dir D] [--metrics-listen HOST:PORT]): one JSON report line, a Markdown report in D (default .); exit 1 when "
       "a promise is broken",
       0, 0, {"scenario", "duration", "durable", "report-dir", "metrics-listen"}, {}, run_failover_sim},
      {"bench", "bench [...]",
       "the benchmark suite ([--short] [--rounds N] [--only LIST] [--report-dir D] "
       "[--metrics-listen HOST:PORT]) on its own servers: toolkit vs raw hiredis, redis-benchmark "
       "and RapidJSON; JSON results, a Markdown report and PNG charts in D (default "
       "./bench-report); --metrics-listen serves its toolkits' metrics while it runs",
       0, 0, {"short", "rounds", "only", "report-dir", "metrics-listen"}, {}, run_bench},
      {"simulate", "simulate [--seed N] [--masters M] [--calls C]",
       "the router's logic in a simulated cluster, in virtual time and with no server: resharding, "
       "failovers, hangs and partitions from seed N; exit 1 when an invariant broke "
       "(docs/ARCHITECTURE.md)",
       0, 0, {"seed", "masters", "calls"}, {}, run_simulate},
      {"demo", "demo", "a tour, against 127.0.0.1:6379 or a throwaway redis-server",
       0, 0, {}, {}, run_demo},
      {"help", "help [COMMAND]", "this list, or one command's usage",
       0, 1, {}, {}, run_help},
      {"version", "version", "print rtk's version",
       0, 0, {}, {}, run_version},
  };
  // clang-format on
  return table;
}

const CommandSpec* find_command(std::string_view name) {
  const auto& table = command_table();
  const auto found = std::find_if(table.begin(), table.end(),
                                  [&](const CommandSpec& c) { return c.name == name; });
  return found == table.end() ? nullptr : &*found;
}

// ---- parsing ----

CliInvocation parse_command_line(const std::vector<std::string>& arguments) {
  ParseState state = scan(arguments);
  // Help and the version need no valid command line beyond known options, nor a readable config.
  if (state.help || state.version) return frame_invocation(state);
  const CommandSpec& command = require_command(state.invocation.command);
  check_arguments(command, state.invocation);
  state.invocation.config = resolve_config(state);
  return std::move(state.invocation);
}

CliInvocation parse_command_line(int argc, const char* const* argv) {
  return parse_command_line(program_arguments(argc, argv));
}

std::vector<std::string> program_arguments(int argc, const char* const* argv) {
  return argc < 1 ? std::vector<std::string>{} : std::vector<std::string>(argv + 1, argv + argc);
}

// ---- help ----

void print_usage(std::ostream& out) {
  out << "usage: rtk [OPTIONS] COMMAND [ARGUMENTS]\n\nCommands:\n";
  // Syntax and summary on two lines: the longest syntax would push summaries off the screen.
  for (const CommandSpec& command : command_table()) {
    out << "  " << command.usage << "\n      " << command.summary << "\n";
  }
  out << "\nConnection options (before or after the command):\n";
  print_rows(out, option_rows(OptionScope::connection));
  out << "\nCommand options:\n";
  print_rows(out, option_rows(OptionScope::command));
  out << "\nOther options:\n";
  print_rows(out, option_rows(OptionScope::general));
  out << "\nValues are JSON: 42 (int), 4.2 (float), \"text\", true, false, null (none),\n"
      << "[...] (list), {...} (dict), {\"$tuple\": [...]} (tuple),\n"
      << "{\"$bytes\": \"<base64>\"} (bytes).\n"
      << "With --cluster every data command works on the whole cluster: keys go to the master\n"
      << "of their slot, scan covers every master, health needs every master to answer with\n"
      << "cluster_state:ok, nodes needs a cluster node.\n"
      << "Exit status: 0 success, 1 failure, 2 usage error, 3 not available in this build.\n";
}

void print_command_usage(const CommandSpec& command, std::ostream& out) {
  out << "usage: rtk " << command.usage << "\n\n" << command.summary << "\n";
  if (!command.options.empty()) {
    Rows rows;
    for (const std::string& name : command.options) {
      const OptionSpec& option = *find_option(name);
      rows.emplace_back(option_syntax(option), std::string(option.summary));
    }
    out << "\nOptions:\n";
    print_rows(out, rows);
  }
  out << "\nConnection options:";
  for (const OptionSpec& option : option_table()) {
    if (option.scope == OptionScope::connection) out << " [" << option_syntax(option) << "]";
  }
  out << "\n";
}

// ---- running ----

int run_cli(const std::vector<std::string>& arguments, CommandStreams& streams) {
  // Every error becomes one line "rtk: <Kind>: <reason>"; what() already reads "Kind: reason".
  try {
    const CliInvocation invocation = parse_command_line(arguments);
    if (invocation.password_on_command_line)
      streams.err << "rtk: warning: a password given with --password is visible to other local "
                     "users (ps); set REDISCLI_AUTH instead\n";
    if (invocation.verbose) {
      streams.err << "rtk: " << invocation.command << " on "
                  << invocation.config.connection.describe() << "\n";
    }
    return find_command(invocation.command)->handler(invocation, streams);
  } catch (const ValidationError& error) {
    streams.err << "rtk: " << error.what() << "\n";
    return exit_usage;
  } catch (const redis_toolkit::RedisToolkitError& error) {
    streams.err << "rtk: " << error.what() << "\n";
    return exit_failure;
  } catch (const std::exception& error) {
    streams.err << "rtk: Error: " << error.what() << "\n";
    return exit_failure;
  }
}

} // namespace rtk
