#pragma once
// Which arguments of a command are keys, and what kind of command it is, as the server itself
// describes them in its COMMAND reply. Learned once per toolkit, then used to route any command
// in a cluster, to refuse a multi-key command over several slots before sending it, to let reads
// go to replicas, and to keep blocking commands off the shared connections. No sockets, no actors.

#include "redis_toolkit/reply.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace redis_toolkit::detail {

/// One of a command's key specifications (Redis >= 7): where the search for keys begins, then
/// how the keys are found from there. Mirrors the server's own definition (COMMAND DOCS).
struct KeySpec {
  enum class Begin : std::uint8_t { index, keyword, unknown };
  enum class Find : std::uint8_t { range, keynum, unknown };
  Begin begin = Begin::unknown;
  int index = 0;           ///< Begin::index: the argument where keys begin
  std::string keyword;     ///< Begin::keyword: keys begin after this argument (any case)
  int start_from = 0;      ///< Begin::keyword: search from here; negative counts from the end
  Find find = Find::unknown;
  int last_key = 0;        ///< Find::range: the last key, relative; negative counts from the end
  int key_step = 1;
  int limit = 0;           ///< Find::range with last_key < 0: keys are 1/limit of what follows
  int keynum_index = 0;    ///< Find::keynum: the argument holding the key count, relative
  int first_key = 1;       ///< Find::keynum: the first key, relative
};

/// What routing needs to know about one command (or subcommand, "config|set").
struct CommandInfo {
  std::string name;        ///< lower case
  std::string display_name; ///< "GET", "CONFIG SET": what error messages show
  /// Why command() refuses it (it would take over a connection other callers share), or null.
  const char* refusal = nullptr;
  int arity = 0;           ///< Redis' arity: exact when positive, a minimum when negative
  bool read_only = false;
  bool blocking = false;   ///< may hold its connection (BLPOP, XREAD BLOCK, WAIT)
  bool movable_keys = false;
  int first_key = 0;       ///< the legacy (Redis < 7) key positions, 0 when it has no keys
  int last_key = 0;
  int key_step = 0;
  std::vector<KeySpec> key_specs;
  std::map<std::string, CommandInfo, std::less<>> subcommands; ///< by lower-case subcommand
  /// The one key's position when the command has exactly one key at a fixed place (GET, SET,
  /// HSET ...), else -1: most commands, routed without running the key specs.
  int single_key = -1;
};

class CommandTable {
public:
  /// Parses the reply of COMMAND (any Redis from 2.8: key specs and subcommands when present).
  /// Throws std::runtime_error on a reply of another shape.
  static CommandTable parse(const Reply& reply);

  /// The command `arguments` runs (the subcommand's entry for container commands such as
  /// CONFIG SET), or nullptr for a command the server does not know.
  const CommandInfo* find(const std::vector<std::string>& arguments) const;
  /// The positions in `arguments` that hold keys, in order (none for keyless commands).
  std::vector<std::size_t> key_positions(const std::vector<std::string>& arguments) const;
  std::size_t size() const { return commands_.size(); }

private:
  std::map<std::string, CommandInfo, std::less<>> commands_; ///< by lower-case name
};

/// The key positions `info` gives to `arguments` (arguments[0] is the command's name).
std::vector<std::size_t> key_positions(const CommandInfo& info,
                                       const std::vector<std::string>& arguments);
/// The same into `keys` (cleared first), which keeps its storage from call to call.
void key_positions(const CommandInfo& info, const std::vector<std::string>& arguments,
                   std::vector<std::size_t>& keys);

/// "GET", or "CONFIG SET" for a subcommand: the name an error message may show, never an argument.
std::string command_display_name(const CommandInfo* info, const std::vector<std::string>& arguments);

/// Why command() refuses `arguments` (a command that would take over or change a connection other
/// callers share), or null. For tables without the command (COMMAND renamed away) and for tests.
const char* refusal_of(const std::vector<std::string>& arguments);

} // namespace redis_toolkit::detail
