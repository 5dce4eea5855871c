#pragma once
// The frame of the `rtk` command line (CONTRACT.md section 3): options, the command table, help,
// dispatch and exit statuses. The commands' behaviour lives in their handlers; this file knows only
// their syntax, so parsing is testable without a server and without spawning rtk.
//
//   rtk --port 7000 set user:1 '{"name": "Ada"}' --ttl 60
//   -> CliInvocation{config.connection.port = 7000, command = "set",
//                    arguments = {"user:1", "{\"name\": \"Ada\"}"}, flags = {{"ttl", "60"}}}

#include "redis_toolkit/config.hpp"

#include <cstddef>
#include <functional>
#include <iosfwd>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace rtk {

/// rtk's exit statuses.
enum ExitStatus : int {
  exit_ok = 0,
  exit_failure = 1,       ///< a runtime error, or a negative answer (`get` of a missing key)
  exit_usage = 2,         ///< bad command line or bad input: nothing was sent
  exit_not_available = 3, ///< the command exists but this build does not implement it yet
};

/// One run of rtk, parsed and resolved.
struct CliInvocation {
  /// Defaults (host 127.0.0.1), then the --config file, then the connection options.
  redis_toolkit::ToolkitConfig config;
  /// The command; "help" for --help (arguments then name the command asked about, if any) and
  /// "version" for --version.
  std::string command;
  std::vector<std::string> arguments;
  /// The command's options, without the dashes: {"ttl", "60"}; a switch maps to "true".
  std::map<std::string, std::string> flags;
  bool verbose = false; ///< --verbose: describe the connection (never the password) on stderr
  /// --password was on the command line, where every local user can read it (ps): run_cli warns.
  bool password_on_command_line = false;
};

/// Where a command reads and writes: std::cin/cout/cerr in rtk, string streams in tests.
struct CommandStreams {
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
};

/// Runs a parsed command and returns rtk's exit status. May throw: ValidationError means bad input
/// (exit 2), any other exception a runtime failure (exit 1); run_cli reports both.
using CommandHandler = std::function<int(const CliInvocation&, CommandStreams&)>;

inline constexpr std::size_t any_number_of_arguments = std::numeric_limits<std::size_t>::max();

/// One row of the command table.
struct CommandSpec {
  std::string name;
  std::string usage;   ///< the syntax after "rtk ", as in CONTRACT.md
  std::string summary; ///< one line for the list of commands
  std::size_t min_arguments = 0;
  std::size_t max_arguments = 0;
  std::vector<std::string> options; ///< command options it accepts, without the dashes
  std::vector<std::string>
      first_argument_choices; ///< when not empty, the first argument is one of these
  CommandHandler handler;
};

/// The handler of a command this build does not implement yet: says so on stderr, exit status 3.
int not_available(const CliInvocation& invocation, CommandStreams& streams);

/// Every command rtk knows, in the order `rtk --help` lists them.
const std::vector<CommandSpec>& command_table();
/// The command called `name`, or nullptr.
const CommandSpec* find_command(std::string_view name);

/// Parses rtk's arguments (without the program name). Throws ValidationError naming the option,
/// command or argument at fault; loads --config (its errors are ValidationErrors too).
CliInvocation parse_command_line(const std::vector<std::string>& arguments);
/// Same for main()'s argc/argv (argv[0] is the program name).
CliInvocation parse_command_line(int argc, const char* const* argv);
/// main()'s arguments after the program name.
std::vector<std::string> program_arguments(int argc, const char* const* argv);

/// The list of commands and options (`rtk --help`).
void print_usage(std::ostream& out);
/// One command's syntax, summary and options (`rtk help set`, `rtk set --help`).
void print_command_usage(const CommandSpec& command, std::ostream& out);

/// Parses, dispatches to the command's handler, reports errors as "rtk: <Kind>: <reason>" on
/// streams.err, and returns the exit status.
int run_cli(const std::vector<std::string>& arguments, CommandStreams& streams);

} // namespace rtk
