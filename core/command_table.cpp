#include "command_table.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <stdexcept>

namespace redis_toolkit::detail {
namespace {

std::string lower(std::string_view text) {
  std::string result(text);
  for (char& c : result) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return result;
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

/// Commands that would take over or change a connection every caller shares, each with the door
/// the toolkit has for it instead.
struct Refusal {
  const char* name; ///< lower case; "client|reply" for a subcommand
  const char* instead;
};
constexpr Refusal refusals[] = {
    {"subscribe", "use subscribe()"},
    {"psubscribe", "use psubscribe()"},
    {"ssubscribe", "use subscribe() with PubSubKind::sharded"},
    {"unsubscribe", "stop the Subscription"},
    {"punsubscribe", "stop the Subscription"},
    {"sunsubscribe", "stop the Subscription"},
    {"multi", "use transaction()"},
    {"exec", "use transaction()"},
    {"discard", "use transaction()"},
    {"watch", "use transaction() with watch keys"},
    {"unwatch", "use transaction() with watch keys"},
    {"select", "set RedisConnectionConfig::db"},
    {"auth", "set RedisConnectionConfig::username and password"},
    {"hello", "the toolkit's connections speak RESP2"},
    {"reset", "it would reset a connection other callers share"},
    {"quit", "use cleanup()"},
    {"monitor", "it takes over the connection; use redis-cli MONITOR"},
    {"sync", "it takes over the connection"},
    {"psync", "it takes over the connection"},
    {"client|reply", "the toolkit matches every command with its reply"},
    {"wait", "it covers only the writes of its own connection, which other callers share: use "
             "setter_durable()"},
    {"waitaof", "it covers only the writes of its own connection, which other callers share"},
};

/// A command name in lower case, on the stack: every command is looked up, so no allocation. A
/// name longer than any command's is kept as it is (and found by no lookup).
class LowerCaseName {
public:
  explicit LowerCaseName(std::string_view name) : size_(name.size()) {
    if (size_ > sizeof(buffer_)) {
      long_name_ = name;
      return;
    }
    for (std::size_t i = 0; i < size_; ++i) {
      const char c = name[i];
      buffer_[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    }
  }
  std::string_view view() const { return long_name_.empty() ? std::string_view(buffer_, size_) : long_name_; }

private:
  char buffer_[40];
  std::size_t size_;
  std::string_view long_name_;
};

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

[[noreturn]] void malformed(const std::string& what) {
  throw std::runtime_error("unexpected COMMAND reply: " + what);
}

int as_int(const Reply& reply, const char* what) {
  if (reply.type != Reply::Type::integer) malformed(std::string(what) + " is not an integer");
  return static_cast<int>(reply.integer);
}

/// A RESP2 map is a flat array of key, value, key, value.
const Reply* map_value(const Reply& map, std::string_view key) {
  if (map.type != Reply::Type::array) return nullptr;
  for (std::size_t i = 0; i + 1 < map.elements.size(); i += 2)
    if (map.elements[i].text == key) return &map.elements[i + 1];
  return nullptr;
}

int map_int(const Reply& map, std::string_view key, int otherwise) {
  const Reply* value = map_value(map, key);
  return value != nullptr && value->type == Reply::Type::integer ? static_cast<int>(value->integer)
                                                                : otherwise;
}

KeySpec parse_key_spec(const Reply& spec) {
  KeySpec result;
  if (const Reply* begin = map_value(spec, "begin_search")) {
    const Reply* type = map_value(*begin, "type");
    const Reply* details = map_value(*begin, "spec");
    if (type != nullptr && details != nullptr) {
      if (type->text == "index") {
        result.begin = KeySpec::Begin::index;
        result.index = map_int(*details, "index", 0);
      } else if (type->text == "keyword") {
        result.begin = KeySpec::Begin::keyword;
        if (const Reply* keyword = map_value(*details, "keyword")) result.keyword = keyword->text;
        result.start_from = map_int(*details, "startfrom", 1);
      }
    }
  }
  if (const Reply* find = map_value(spec, "find_keys")) {
    const Reply* type = map_value(*find, "type");
    const Reply* details = map_value(*find, "spec");
    if (type != nullptr && details != nullptr) {
      if (type->text == "range") {
        result.find = KeySpec::Find::range;
        result.last_key = map_int(*details, "lastkey", 0);
        result.key_step = map_int(*details, "keystep", 1);
        result.limit = map_int(*details, "limit", 0);
      } else if (type->text == "keynum") {
        result.find = KeySpec::Find::keynum;
        result.keynum_index = map_int(*details, "keynumidx", 0);
        result.first_key = map_int(*details, "firstkey", 1);
        result.key_step = map_int(*details, "keystep", 1);
      }
    }
  }
  return result;
}

/// CommandInfo::single_key: one key spec naming one key at a fixed index (Redis >= 7), or, with
/// no key specs, the legacy description of one key; anything else takes the general path.
int single_key_of(const CommandInfo& info) {
  if (info.movable_keys) return -1;
  if (info.key_specs.empty())
    return info.first_key > 0 && info.last_key == info.first_key ? info.first_key : -1;
  if (info.key_specs.size() != 1) return -1;
  const KeySpec& spec = info.key_specs.front();
  const bool one = spec.begin == KeySpec::Begin::index && spec.index > 0 &&
                   spec.find == KeySpec::Find::range && spec.last_key == 0;
  return one ? spec.index : -1;
}

CommandInfo parse_entry(const Reply& entry) {
  if (entry.type != Reply::Type::array || entry.elements.size() < 6)
    malformed("an entry is not an array of at least 6 elements");
  const auto& fields = entry.elements;
  CommandInfo info;
  info.name = lower(fields[0].text);
  info.arity = as_int(fields[1], "arity");
  for (const Reply& flag : fields[2].elements) {
    if (flag.text == "readonly") info.read_only = true;
    else if (flag.text == "blocking") info.blocking = true;
    else if (flag.text == "movablekeys") info.movable_keys = true;
  }
  const auto bar = info.name.find('|');
  info.display_name = bar == std::string::npos
                          ? upper(info.name)
                          : upper(info.name.substr(0, bar)) + " " + upper(info.name.substr(bar + 1));
  info.first_key = as_int(fields[3], "first key");
  info.last_key = as_int(fields[4], "last key");
  info.key_step = as_int(fields[5], "step");
  if (fields.size() > 8 && fields[8].type == Reply::Type::array)
    for (const Reply& spec : fields[8].elements) info.key_specs.push_back(parse_key_spec(spec));
  if (fields.size() > 9 && fields[9].type == Reply::Type::array) {
    for (const Reply& sub : fields[9].elements) {
      CommandInfo subcommand = parse_entry(sub);
      const auto bar = subcommand.name.find('|');
      std::string key = bar == std::string::npos ? subcommand.name : subcommand.name.substr(bar + 1);
      info.subcommands.emplace(std::move(key), std::move(subcommand));
    }
  }
  info.single_key = single_key_of(info);
  return info;
}

/// A whole non-negative decimal argument, or -1.
long parse_count(const std::string& text) {
  long value = -1;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0) return -1;
  return value;
}

/// Keys of one key spec, appended to `keys`; false when the spec cannot be followed (an unknown
/// kind, or arguments the server would refuse anyway).
bool add_spec_keys(const KeySpec& spec, const std::vector<std::string>& arguments,
                   std::vector<std::size_t>& keys) {
  const long argc = static_cast<long>(arguments.size());
  long first = 0;
  if (spec.begin == KeySpec::Begin::index) {
    first = spec.index;
  } else if (spec.begin == KeySpec::Begin::keyword) {
    // As the server searches: forwards from start_from, or backwards from the end; the last
    // argument is never the keyword (no key could follow it).
    const long start = spec.start_from > 0 ? spec.start_from : argc + spec.start_from;
    const long end = spec.start_from > 0 ? argc - 1 : 1;
    for (long i = start; i != end; i = start <= end ? i + 1 : i - 1) {
      if (i >= argc || i < 1) break;
      if (equal_ignoring_case(arguments[static_cast<std::size_t>(i)], spec.keyword)) {
        first = i + 1;
        break;
      }
    }
    if (first == 0) return true; // the keyword is absent: this spec names no keys
  } else {
    return false;
  }
  long last = 0;
  long step = std::max(1, spec.key_step);
  if (spec.find == KeySpec::Find::range) {
    if (spec.last_key >= 0) last = first + spec.last_key;
    else if (spec.limit == 0) last = argc + spec.last_key;
    else last = first + ((argc - first) / spec.limit + spec.last_key);
  } else if (spec.find == KeySpec::Find::keynum) {
    const long count_at = first + spec.keynum_index;
    if (count_at >= argc) return false;
    const long count = parse_count(arguments[static_cast<std::size_t>(count_at)]);
    if (count < 0) return false;
    first += spec.first_key;
    if (count == 0) return true;
    last = first + (count - 1) * step;
  } else {
    return false;
  }
  for (long i = first; i <= last; i += step) {
    if (i >= argc || i < 1) return false; // too few arguments: the server answers the error
    keys.push_back(static_cast<std::size_t>(i));
  }
  return true;
}

/// Servers before Redis 7 describe movable keys by a flag only: the common cases by their rules.
bool add_legacy_movable_keys(const CommandInfo& info, const std::vector<std::string>& arguments,
                             std::vector<std::size_t>& keys) {
  KeySpec spec;
  const std::string& name = info.name;
  if (name == "eval" || name == "evalsha" || name == "eval_ro" || name == "evalsha_ro" ||
      name == "fcall" || name == "fcall_ro") {
    spec = KeySpec{KeySpec::Begin::index, 2, {}, 0, KeySpec::Find::keynum, 0, 1, 0, 0, 1};
  } else if (name == "zunionstore" || name == "zinterstore" || name == "zdiffstore") {
    keys.push_back(1);
    spec = KeySpec{KeySpec::Begin::index, 2, {}, 0, KeySpec::Find::keynum, 0, 1, 0, 0, 1};
  } else if (name == "zunion" || name == "zinter" || name == "zdiff") {
    spec = KeySpec{KeySpec::Begin::index, 1, {}, 0, KeySpec::Find::keynum, 0, 1, 0, 0, 1};
  } else if (name == "xread" || name == "xreadgroup") {
    spec = KeySpec{KeySpec::Begin::keyword, 0, "STREAMS", 1, KeySpec::Find::range, -1, 1, 2, 0, 1};
  } else {
    return false;
  }
  return add_spec_keys(spec, arguments, keys);
}

} // namespace

CommandTable CommandTable::parse(const Reply& reply) {
  if (reply.type != Reply::Type::array) malformed("not an array");
  CommandTable table;
  for (const Reply& entry : reply.elements) {
    CommandInfo info = parse_entry(entry);
    std::string name = info.name;
    table.commands_.emplace(std::move(name), std::move(info));
  }
  if (table.commands_.empty()) malformed("no commands");
  for (const Refusal& refusal : refusals) {
    const std::string_view name = refusal.name;
    const auto bar = name.find('|');
    auto found = table.commands_.find(name.substr(0, bar));
    if (found == table.commands_.end()) continue;
    CommandInfo* info = &found->second;
    if (bar != std::string_view::npos) {
      auto sub = info->subcommands.find(name.substr(bar + 1));
      if (sub == info->subcommands.end()) continue;
      info = &sub->second;
    }
    info->refusal = refusal.instead;
  }
  return table;
}

const char* refusal_of(const std::vector<std::string>& arguments) {
  if (arguments.empty()) return nullptr;
  for (const Refusal& refusal : refusals) {
    const std::string_view name = refusal.name;
    const auto bar = name.find('|');
    if (!equal_ignoring_case(arguments[0], name.substr(0, bar))) continue;
    if (bar == std::string_view::npos) return refusal.instead;
    if (arguments.size() > 1 && equal_ignoring_case(arguments[1], name.substr(bar + 1)))
      return refusal.instead;
  }
  return nullptr;
}

const CommandInfo* CommandTable::find(const std::vector<std::string>& arguments) const {
  if (arguments.empty()) return nullptr;
  LowerCaseName name(arguments[0]);
  auto found = commands_.find(name.view());
  if (found == commands_.end()) return nullptr;
  const CommandInfo& info = found->second;
  if (!info.subcommands.empty() && arguments.size() > 1) {
    LowerCaseName subcommand(arguments[1]);
    auto sub = info.subcommands.find(subcommand.view());
    if (sub != info.subcommands.end()) return &sub->second;
  }
  return &info;
}

std::vector<std::size_t> CommandTable::key_positions(const std::vector<std::string>& arguments) const {
  const CommandInfo* info = find(arguments);
  return info == nullptr ? std::vector<std::size_t>() : detail::key_positions(*info, arguments);
}

std::vector<std::size_t> key_positions(const CommandInfo& info,
                                       const std::vector<std::string>& arguments) {
  std::vector<std::size_t> keys;
  key_positions(info, arguments, keys);
  return keys;
}

void key_positions(const CommandInfo& info, const std::vector<std::string>& arguments,
                   std::vector<std::size_t>& keys) {
  keys.clear();
  if (info.single_key > 0) {
    // Too few arguments name no key: the server answers the arity error.
    if (static_cast<std::size_t>(info.single_key) < arguments.size())
      keys.push_back(static_cast<std::size_t>(info.single_key));
    return;
  }
  // Key specs (Redis >= 7) describe every key; a spec the server leaves to the command itself
  // (SORT ... STORE) or none at all (older servers) falls back on the legacy description.
  bool complete = !info.key_specs.empty();
  for (const KeySpec& spec : info.key_specs)
    complete = add_spec_keys(spec, arguments, keys) && complete;
  if (!complete) {
    std::vector<std::size_t> legacy;
    if (!(info.movable_keys && add_legacy_movable_keys(info, arguments, legacy))) {
      legacy.clear();
      const long argc = static_cast<long>(arguments.size());
      const long last = info.last_key >= 0 ? info.last_key : argc + info.last_key;
      const long step = std::max(1, info.key_step);
      for (long i = info.first_key; info.first_key > 0 && i <= last && i < argc; i += step)
        legacy.push_back(static_cast<std::size_t>(i));
    }
    keys.insert(keys.end(), legacy.begin(), legacy.end());
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
}

std::string command_display_name(const CommandInfo* info, const std::vector<std::string>& arguments) {
  if (info != nullptr) return info->display_name;
  if (arguments.empty()) return std::string();
  // Only a name that looks like one: an unknown first word may be anything, a secret too.
  const std::string& name = arguments[0];
  const bool plain = name.size() <= 32 && std::all_of(name.begin(), name.end(), [](char c) {
                       return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ||
                              c == '.' || c == '|';
                     });
  return plain ? upper(name) : std::string("(unnamed command)");
}

} // namespace redis_toolkit::detail
