#include "failover_sim.hpp"

#include <redis_toolkit/errors.hpp>
#include <redis_toolkit/value.hpp>
#include <redis_toolkit/wire_format.hpp>

#include <toml++/toml.h>

#include "toml_messages.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <fstream>
#include <functional>
#include <iomanip>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <system_error>

namespace rtk::failover {

using redis_toolkit::ValidationError;
using redis_toolkit::Value;

// ---- names ----

std::string_view action_name(FaultAction action) noexcept {
  switch (action) {
    case FaultAction::kill_master: return "kill_master";
    case FaultAction::hang_node: return "hang_node";
    case FaultAction::manual_failover: return "manual_failover";
    case FaultAction::restart_killed: return "restart_killed";
    case FaultAction::client_kill: return "client_kill";
    case FaultAction::rolling_restart: return "rolling_restart";
    case FaultAction::sentinel_failover: return "sentinel_failover";
  }
  return "unknown";
}

std::string_view deployment_name(Deployment deployment) noexcept {
  return deployment == Deployment::sentinel ? "sentinel" : "cluster";
}

bool allowed_on(FaultAction action, Deployment deployment) noexcept {
  switch (action) {
    case FaultAction::kill_master:
    case FaultAction::restart_killed:
    case FaultAction::client_kill: return true;
    case FaultAction::hang_node:
    case FaultAction::manual_failover:
    case FaultAction::rolling_restart: return deployment == Deployment::cluster;
    case FaultAction::sentinel_failover: return deployment == Deployment::sentinel;
  }
  return false;
}

bool FaultSpec::needs_process_control() const noexcept {
  return action != FaultAction::manual_failover && action != FaultAction::client_kill &&
         action != FaultAction::sentinel_failover;
}

std::string_view op_kind_name(OpKind kind) noexcept {
  switch (kind) {
    case OpKind::blocking_write: return "blocking_write";
    case OpKind::async_write: return "async_write";
    case OpKind::read: return "read";
    case OpKind::publish: return "publish";
  }
  return "unknown";
}

std::string_view check_status_name(CheckStatus status) noexcept {
  switch (status) {
    case CheckStatus::met: return "met";
    case CheckStatus::missed: return "missed";
    case CheckStatus::not_applicable: return "not_applicable";
  }
  return "unknown";
}

namespace {

constexpr FaultAction all_actions[] = {FaultAction::kill_master,     FaultAction::hang_node,
                                       FaultAction::manual_failover, FaultAction::restart_killed,
                                       FaultAction::client_kill,     FaultAction::rolling_restart,
                                       FaultAction::sentinel_failover};

std::string format_number(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

// ---- validation (shared by the parser and validate_scenario) ----

void require(bool ok, const std::string& field, const std::string& reason) {
  if (!ok) throw ValidationError(reason, field);
}

void require_range(const std::string& field, double value, double min, double max,
                   bool min_excluded = false) {
  const bool low = min_excluded ? value > min : value >= min;
  require(low && value <= max, field, // false for NaN
          "must be " + std::string(min_excluded ? "more than " : "from ") + format_number(min) +
              " to " + format_number(max) + ", got " + format_number(value));
}

bool is_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return c >= '0' && c <= '9';
  });
}

void validate_target(const std::string& field, const std::string& target) {
  constexpr std::string_view prefix = "master_of:";
  if (is_digits(target) && target.size() <= 4) return;
  if (target.rfind(prefix, 0) == 0 && target.size() > prefix.size()) return;
  throw ValidationError("expected a master's index (0, 1, ...) or \"master_of:KEY\", got '" +
                            target + "'",
                        field);
}

void validate_fault(const std::string& field, const FaultSpec& fault, double duration,
                    Deployment deployment) {
  require(fault.at >= 0 && fault.at < duration, field + ".at",
          "must be from 0 to less than the duration (" + format_number(duration) + " s), got " +
              format_number(fault.at));
  if (!allowed_on(fault.action, deployment)) {
    std::string instead;
    if (fault.action == FaultAction::sentinel_failover)
      instead = " (it needs a [sentinel] table; on a cluster, manual_failover)";
    else if (fault.action == FaultAction::manual_failover)
      instead = " (CLUSTER FAILOVER: on Sentinel, sentinel_failover)";
    throw ValidationError("action " + std::string(action_name(fault.action)) +
                              " does not apply to a " + std::string(deployment_name(deployment)) +
                              " scenario" + instead,
                          field + ".action");
  }
  // One master: whichever the sentinels name when the fault happens.
  if (deployment == Deployment::sentinel)
    require(fault.target == "0", field + ".target",
            "a Sentinel deployment has one master: 0 or left out, got '" + fault.target + "'");
  switch (fault.action) {
    case FaultAction::kill_master:
    case FaultAction::manual_failover:
      validate_target(field + ".target", fault.target);
      break;
    case FaultAction::hang_node:
      validate_target(field + ".target", fault.target);
      require_range(field + ".seconds", fault.seconds, 0, 600, true);
      break;
    case FaultAction::client_kill:
      require(!fault.types.empty(), field + ".types", "must name at least one client type");
      for (const std::string& type : fault.types)
        require(type == "normal" || type == "pubsub", field + ".types",
                "expected \"normal\" or \"pubsub\", got '" + type + "'");
      break;
    case FaultAction::rolling_restart:
      require(fault.mode == "kill" || fault.mode == "failover", field + ".mode",
              "expected \"kill\" or \"failover\", got '" + fault.mode + "'");
      require_range(field + ".pause", fault.pause, 0, 600);
      break;
    case FaultAction::restart_killed:
    case FaultAction::sentinel_failover: break;
  }
}

} // namespace

void validate_scenario(const Scenario& s) {
  require(!s.name.empty(), "name", "must not be empty");
  require_range("duration", s.duration, 1, 24 * 3600);
  require_range("cluster.node_timeout", s.cluster.node_timeout, 0.1, 60);
  require_range("cluster.masters", s.cluster.masters, 3, 16);
  require_range("cluster.replicas_per_master", s.cluster.replicas_per_master, 1, 5);
  const SentinelSettings& sentinel = s.sentinel;
  require(!sentinel.master_name.empty() &&
              sentinel.master_name.find_first_of(" \t\r\n\"") == std::string::npos,
          "sentinel.master_name", "must be a name without spaces or quotes, got '" + sentinel.master_name + "'");
  // The LocalSentinel limits; a failover needs a replica to promote.
  require_range("sentinel.replicas", sentinel.replicas, 1, 5);
  require_range("sentinel.sentinels", sentinel.sentinels, 1, 7);
  require_range("sentinel.quorum", sentinel.quorum, 1, sentinel.sentinels);
  require_range("sentinel.down_after", sentinel.down_after, 0.1, 60);
  require_range("sentinel.failover_timeout", sentinel.failover_timeout, 1, 600);
  const ToolkitSettings& t = s.toolkit;
  require_range("toolkit.connection_timeout", t.connection_timeout, 0, 600, true);
  require_range("toolkit.socket_timeout", t.socket_timeout, 0, 600, true);
  require_range("toolkit.retry_attempts", t.retry_attempts, 1, 100);
  require_range("toolkit.retry_delay", t.retry_delay, 0, 60);
  require_range("toolkit.retry_backoff", t.retry_backoff, 1, 100);
  const Workload& w = s.workload;
  require_range("workload.blocking_writers", w.blocking_writers, 0, 64);
  require_range("workload.async_writers", w.async_writers, 0, 64);
  require_range("workload.async_in_flight", w.async_in_flight, 1, 64);
  require_range("workload.readers", w.readers, 0, 64);
  require(w.writer_lanes() >= 1, "workload.blocking_writers",
          "there must be at least one writer (blocking_writers or async_writers)");
  require_range("workload.write_rate", w.write_rate, 0, 100000);
  require_range("workload.read_rate", w.read_rate, 0, 100000);
  require_range("workload.value_size", static_cast<double>(w.value_size), 16, 1024 * 1024);
  require_range("workload.keys", static_cast<double>(w.keys), 1, 10000000);
  require(w.keys >= static_cast<std::size_t>(w.writer_lanes()), "workload.keys",
          "must be at least the number of writers (" + std::to_string(w.writer_lanes()) +
              ", async writers counted once per write in flight), got " + std::to_string(w.keys));
  require_range("workload.wait_replicas", w.wait_replicas, 1, 5);
  require_range("workload.wait_timeout", w.wait_timeout, 0, 60, true);
  require(!s.durable || w.wait_timeout < t.socket_timeout, "workload.wait_timeout",
          "must be shorter than toolkit.socket_timeout (" + format_number(t.socket_timeout) +
              " s) in durable mode, or every WAIT that times out is a TimeoutError; got " +
              format_number(w.wait_timeout));
  require_range("workload.classic_channels", w.classic_channels, 0, 64);
  require_range("workload.sharded_channels_per_master", w.sharded_channels_per_master, 0, 64);
  if (s.deployment == Deployment::sentinel) {
    require(w.sharded_channels_per_master == 0, "workload.sharded_channels_per_master",
            "sharded channels live on a cluster's slots: a Sentinel scenario has classic channels "
            "only (leave it out or 0), got " + std::to_string(w.sharded_channels_per_master));
    require(w.wait_replicas <= sentinel.replicas, "workload.wait_replicas",
            "asks WAIT for " + std::to_string(w.wait_replicas) + " replicas, but the master has " +
                std::to_string(sentinel.replicas) + " (sentinel.replicas)");
  }
  require_range("workload.publish_rate", w.publish_rate, 0, 10000, true);
  require_range("targets.error_window", s.targets.error_window, 0, 3600, true);
  require_range("targets.delivery_gap", s.targets.delivery_gap, 0, 3600, true);
  for (std::size_t index = 0; index < s.faults.size(); ++index)
    validate_fault("faults[" + std::to_string(index) + "]", s.faults[index], s.duration,
                   s.deployment);
}

// ---- TOML ----

namespace {

using redis_toolkit::detail::toml_location;
using redis_toolkit::detail::toml_type_phrase;

/// One `key = value` being read: the key as messages name it ("workload.keys", "faults[1].at").
struct Entry {
  std::string key;
  const toml::node& node;
  std::string_view source_name;

  ValidationError error(const std::string& reason) const {
    return ValidationError(reason + " at " + toml_location(node.source(), source_name), key);
  }
  ValidationError type_error(std::string_view expected) const {
    return error("expected " + std::string(expected) + ", got " +
                 std::string(toml_type_phrase(node.type())));
  }

  std::string text() const {
    if (auto value = node.value_exact<std::string>()) return *value;
    throw type_error("a string");
  }
  bool boolean() const {
    if (auto value = node.value_exact<bool>()) return *value;
    throw type_error("a boolean");
  }
  double number() const {
    if (!node.is_integer() && !node.is_floating_point()) throw type_error("a number");
    return *node.value<double>();
  }
  std::int64_t integer() const {
    if (auto value = node.value_exact<std::int64_t>()) return *value;
    throw type_error("an integer");
  }
  int small_integer() const {
    const std::int64_t value = integer();
    if (value < 0 || value > std::numeric_limits<int>::max())
      throw error("must be 0 to " + std::to_string(std::numeric_limits<int>::max()) + ", got " +
                  std::to_string(value));
    return static_cast<int>(value);
  }
  std::size_t size() const {
    const std::int64_t value = integer();
    if (value < 0) throw error("must not be negative, got " + std::to_string(value));
    return static_cast<std::size_t>(value);
  }
};

template <typename Target>
struct Field {
  std::string_view key;
  std::function<void(Target&, const Entry&)> read;
};

template <typename Target>
void read_fields(const toml::table& table, const std::vector<Field<Target>>& fields,
                 std::string_view source_name, const std::string& prefix, Target& target) {
  for (auto&& [key, node] : table) {
    const std::string_view name = key.str();
    const auto field = std::find_if(fields.begin(), fields.end(),
                                    [name](const Field<Target>& f) { return f.key == name; });
    if (field == fields.end()) {
      std::string known;
      for (const Field<Target>& f : fields) known += (known.empty() ? "" : ", ") + std::string(f.key);
      throw ValidationError("unknown key at " + toml_location(key.source(), source_name) +
                                " (known keys: " + known + ")",
                            prefix + std::string(name));
    }
    field->read(target, Entry{prefix + std::string(name), node, source_name});
  }
}

const toml::table& require_table(const Entry& entry) {
  if (const toml::table* table = entry.node.as_table()) return *table;
  throw entry.type_error("a table");
}

std::vector<Field<ClusterSettings>> cluster_fields() {
  return {
      {"node_timeout", [](ClusterSettings& c, const Entry& e) { c.node_timeout = e.number(); }},
      {"masters", [](ClusterSettings& c, const Entry& e) { c.masters = e.small_integer(); }},
      {"replicas_per_master",
       [](ClusterSettings& c, const Entry& e) { c.replicas_per_master = e.small_integer(); }},
  };
}

std::vector<Field<SentinelSettings>> sentinel_fields() {
  using S = SentinelSettings;
  return {
      {"master_name", [](S& s, const Entry& e) { s.master_name = e.text(); }},
      {"replicas", [](S& s, const Entry& e) { s.replicas = e.small_integer(); }},
      {"sentinels", [](S& s, const Entry& e) { s.sentinels = e.small_integer(); }},
      {"quorum", [](S& s, const Entry& e) { s.quorum = e.small_integer(); }},
      {"down_after", [](S& s, const Entry& e) { s.down_after = e.number(); }},
      {"failover_timeout", [](S& s, const Entry& e) { s.failover_timeout = e.number(); }},
  };
}

std::vector<Field<ToolkitSettings>> toolkit_fields() {
  using T = ToolkitSettings;
  return {
      {"connection_timeout", [](T& t, const Entry& e) { t.connection_timeout = e.number(); }},
      {"socket_timeout", [](T& t, const Entry& e) { t.socket_timeout = e.number(); }},
      {"retry_attempts", [](T& t, const Entry& e) { t.retry_attempts = e.small_integer(); }},
      {"retry_delay", [](T& t, const Entry& e) { t.retry_delay = e.number(); }},
      {"retry_backoff", [](T& t, const Entry& e) { t.retry_backoff = e.number(); }},
  };
}

std::vector<Field<Workload>> workload_fields() {
  using W = Workload;
  return {
      {"blocking_writers", [](W& w, const Entry& e) { w.blocking_writers = e.small_integer(); }},
      {"async_writers", [](W& w, const Entry& e) { w.async_writers = e.small_integer(); }},
      {"async_in_flight", [](W& w, const Entry& e) { w.async_in_flight = e.small_integer(); }},
      {"readers", [](W& w, const Entry& e) { w.readers = e.small_integer(); }},
      {"write_rate", [](W& w, const Entry& e) { w.write_rate = e.number(); }},
      {"read_rate", [](W& w, const Entry& e) { w.read_rate = e.number(); }},
      {"value_size", [](W& w, const Entry& e) { w.value_size = e.size(); }},
      {"keys", [](W& w, const Entry& e) { w.keys = e.size(); }},
      {"wait_replicas", [](W& w, const Entry& e) { w.wait_replicas = e.small_integer(); }},
      {"wait_timeout", [](W& w, const Entry& e) { w.wait_timeout = e.number(); }},
      {"classic_channels", [](W& w, const Entry& e) { w.classic_channels = e.small_integer(); }},
      {"sharded_channels_per_master",
       [](W& w, const Entry& e) { w.sharded_channels_per_master = e.small_integer(); }},
      {"publish_rate", [](W& w, const Entry& e) { w.publish_rate = e.number(); }},
  };
}

std::vector<Field<Targets>> target_fields() {
  return {
      {"error_window", [](Targets& t, const Entry& e) { t.error_window = e.number(); }},
      {"delivery_gap", [](Targets& t, const Entry& e) { t.delivery_gap = e.number(); }},
  };
}

/// The keys a fault of `action` takes besides `at` and `action`.
std::vector<std::string_view> keys_of(FaultAction action) {
  switch (action) {
    case FaultAction::kill_master:
    case FaultAction::manual_failover: return {"target"};
    case FaultAction::hang_node: return {"target", "seconds"};
    case FaultAction::client_kill: return {"types"};
    case FaultAction::rolling_restart: return {"mode", "pause"};
    case FaultAction::restart_killed:
    case FaultAction::sentinel_failover: break;
  }
  return {};
}

std::string read_target(const Entry& entry) {
  if (auto index = entry.node.value_exact<std::int64_t>()) {
    if (*index < 0) throw entry.error("a master's index must not be negative");
    return std::to_string(*index);
  }
  if (auto text = entry.node.value_exact<std::string>()) return *text;
  throw entry.type_error("a master's index (an integer) or a \"master_of:KEY\" string");
}

FaultSpec read_fault(const Entry& entry) {
  const toml::table& table = require_table(entry);
  FaultSpec fault;
  fault.line = entry.node.source().begin.line;
  const toml::node* action_node = table.get("action");
  if (action_node == nullptr)
    throw entry.error("a fault needs an action (" + [] {
      std::string names;
      for (FaultAction a : all_actions) names += (names.empty() ? "" : ", ") + std::string(action_name(a));
      return names;
    }() + ")");
  const Entry action_entry{entry.key + ".action", *action_node, entry.source_name};
  const std::string action = action_entry.text();
  const auto known = std::find_if(std::begin(all_actions), std::end(all_actions),
                                  [&](FaultAction a) { return action_name(a) == action; });
  if (known == std::end(all_actions)) {
    std::string names;
    for (FaultAction a : all_actions) names += (names.empty() ? "" : ", ") + std::string(action_name(a));
    throw action_entry.error("unknown action '" + action + "' (known: " + names + ")");
  }
  fault.action = *known;
  if (!table.contains("at")) throw entry.error("a fault needs `at` (seconds after the start)");

  const std::vector<std::string_view> own = keys_of(fault.action);
  static const std::vector<Field<FaultSpec>> fields = {
      {"at", [](FaultSpec& f, const Entry& e) { f.at = e.number(); }},
      {"action", [](FaultSpec&, const Entry&) {}},
      {"target", [](FaultSpec& f, const Entry& e) { f.target = read_target(e); }},
      {"seconds", [](FaultSpec& f, const Entry& e) { f.seconds = e.number(); }},
      {"mode", [](FaultSpec& f, const Entry& e) { f.mode = e.text(); }},
      {"pause", [](FaultSpec& f, const Entry& e) { f.pause = e.number(); }},
      {"types",
       [](FaultSpec& f, const Entry& e) {
         const toml::array* array = e.node.as_array();
         if (array == nullptr) throw e.type_error("an array of strings");
         f.types.clear();
         for (const toml::node& item : *array) f.types.push_back(Entry{e.key, item, e.source_name}.text());
       }},
  };
  // Keys of another action are refused by name, not silently ignored.
  for (auto&& [key, node] : table) {
    const std::string_view name = key.str();
    if (name == "at" || name == "action") continue;
    const bool known_anywhere = std::any_of(fields.begin(), fields.end(),
                                            [name](const Field<FaultSpec>& f) { return f.key == name; });
    if (known_anywhere && std::find(own.begin(), own.end(), name) == own.end()) {
      std::string accepted = "at, action";
      for (std::string_view k : own) accepted += ", " + std::string(k);
      throw ValidationError("does not apply to action " + action + " at " +
                                toml_location(key.source(), entry.source_name) + " (its keys: " +
                                accepted + ")",
                            entry.key + "." + std::string(name));
    }
  }
  read_fields(table, fields, entry.source_name, entry.key + ".", fault);
  return fault;
}

std::vector<Field<Scenario>> scenario_fields() {
  using S = Scenario;
  return {
      {"name", [](S& s, const Entry& e) { s.name = e.text(); }},
      {"description", [](S& s, const Entry& e) { s.description = e.text(); }},
      {"duration", [](S& s, const Entry& e) { s.duration = e.number(); }},
      {"durable", [](S& s, const Entry& e) { s.durable = e.boolean(); }},
      {"cluster",
       [](S& s, const Entry& e) {
         read_fields(require_table(e), cluster_fields(), e.source_name, "cluster.", s.cluster);
       }},
      {"sentinel",
       [](S& s, const Entry& e) {
         s.deployment = Deployment::sentinel;
         read_fields(require_table(e), sentinel_fields(), e.source_name, "sentinel.", s.sentinel);
       }},
      {"toolkit",
       [](S& s, const Entry& e) {
         read_fields(require_table(e), toolkit_fields(), e.source_name, "toolkit.", s.toolkit);
       }},
      {"workload",
       [](S& s, const Entry& e) {
         read_fields(require_table(e), workload_fields(), e.source_name, "workload.", s.workload);
       }},
      {"targets",
       [](S& s, const Entry& e) {
         read_fields(require_table(e), target_fields(), e.source_name, "targets.", s.targets);
       }},
      {"faults",
       [](S& s, const Entry& e) {
         const toml::array* array = e.node.as_array();
         if (array == nullptr) throw e.type_error("an array of tables ([[faults]])");
         for (std::size_t index = 0; index < array->size(); ++index) {
           s.faults.push_back(read_fault(Entry{"faults[" + std::to_string(index) + "]",
                                               *array->get(index), e.source_name}));
         }
       }},
  };
}

} // namespace

Scenario parse_scenario(std::string_view text, std::string_view source_name) {
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& error) {
    throw ValidationError("TOML syntax error at " + toml_location(error.source(), source_name) + ": " +
                          std::string(error.description()));
  }
  Scenario scenario;
  // Unnamed, a scenario is called after its file: my_faults.toml -> my_faults.
  const std::string_view stem = source_name.substr(source_name.find_last_of('/') + 1);
  constexpr std::string_view suffix = ".toml";
  scenario.name = stem.size() > suffix.size() && stem.substr(stem.size() - suffix.size()) == suffix
                      ? std::string(stem.substr(0, stem.size() - suffix.size()))
                      : "scenario";
  read_fields(root, scenario_fields(), source_name, "", scenario);
  if (scenario.deployment == Deployment::sentinel) {
    if (const toml::node* cluster = root.get("cluster"))
      throw ValidationError("a scenario runs on a cluster or on Sentinel, not both: [cluster] at " +
                                toml_location(cluster->source(), source_name) +
                                " beside [sentinel]",
                            "cluster");
    // Sharded channels are a cluster's: a Sentinel scenario leaves them out by default.
    if (!toml::at_path(root, "workload.sharded_channels_per_master"))
      scenario.workload.sharded_channels_per_master = 0;
  }
  try {
    validate_scenario(scenario);
  } catch (const ValidationError& error) {
    // Say where the key is; a key the file leaves out is named alone.
    const toml::node* node = toml::at_path(root, error.key()).node();
    if (node == nullptr && error.key().size() > 3 &&
        error.key().compare(error.key().size() - 3, 3, ".at") != 0) {
      // faults[i].target left at its default: point at the fault itself
      const std::size_t dot = error.key().rfind('.');
      if (dot != std::string::npos) node = toml::at_path(root, error.key().substr(0, dot)).node();
    }
    const std::string where = node ? toml_location(node->source(), source_name) : std::string(source_name);
    throw ValidationError(error.reason() + " at " + where, error.key());
  }
  std::stable_sort(scenario.faults.begin(), scenario.faults.end(),
                   [](const FaultSpec& a, const FaultSpec& b) { return a.at < b.at; });
  return scenario;
}

Scenario load_scenario(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    throw ValidationError("cannot open scenario file '" + path + "': " +
                          std::generic_category().message(errno));
  }
  std::ostringstream text;
  text << file.rdbuf();
  return parse_scenario(text.str(), path);
}

Scenario default_scenario() {
  Scenario scenario;
  scenario.name = "master_kill";
  scenario.description = "kill -9 of a master under load; the killed node restarts and rejoins "
                         "as a replica";
  scenario.duration = 30;
  FaultSpec kill;
  kill.at = 8;
  kill.action = FaultAction::kill_master;
  kill.target = "0";
  FaultSpec restart;
  restart.at = 18;
  restart.action = FaultAction::restart_killed;
  scenario.faults = {kill, restart};
  return scenario;
}

// ---- analysis ----

double percentile(const std::vector<double>& sorted, double percent) {
  if (sorted.empty()) return 0;
  percent = std::clamp(percent, 0.0, 100.0);
  // The epsilon keeps 99.9 % of 1000 at rank 999, not 1000 (99.9 / 100 * 1000 is 999.0000000001).
  const double rank = std::ceil(percent / 100.0 * static_cast<double>(sorted.size()) - 1e-9);
  const std::size_t index = rank < 1 ? 0 : static_cast<std::size_t>(rank) - 1;
  return sorted[std::min(index, sorted.size() - 1)];
}

LatencySummary summarize(std::vector<double> values) {
  LatencySummary summary;
  summary.count = values.size();
  if (values.empty()) return summary;
  std::sort(values.begin(), values.end());
  summary.p50 = percentile(values, 50);
  summary.p90 = percentile(values, 90);
  summary.p99 = percentile(values, 99);
  summary.p999 = percentile(values, 99.9);
  summary.max = values.back();
  return summary;
}

MetricsSample metrics_sample(double at_ms, const redis_toolkit::ToolkitMetrics& metrics) {
  MetricsSample sample;
  sample.at_ms = at_ms;
  for (const redis_toolkit::CommandMetrics& command : metrics.commands) {
    sample.calls += command.total();
    sample.errors += command.error + command.timeout + command.connection;
    for (std::size_t i = 0; i < sample.latency.buckets.size(); ++i)
      sample.latency.buckets[i] += command.latency.buckets[i];
    sample.latency.count += command.latency.count;
    sample.latency.sum_seconds += command.latency.sum_seconds;
  }
  return sample;
}

redis_toolkit::LatencyHistogram histogram_difference(const redis_toolkit::LatencyHistogram& later,
                                                     const redis_toolkit::LatencyHistogram& earlier) {
  const auto minus = [](std::uint64_t a, std::uint64_t b) { return a > b ? a - b : 0; };
  redis_toolkit::LatencyHistogram difference;
  for (std::size_t i = 0; i < difference.buckets.size(); ++i) {
    difference.buckets[i] = minus(later.buckets[i], earlier.buckets[i]);
    difference.count += difference.buckets[i]; // the sum of the buckets, as in a snapshot
  }
  difference.sum_seconds = std::max(0.0, later.sum_seconds - earlier.sum_seconds);
  return difference;
}

std::optional<std::size_t> percentile_bucket(const redis_toolkit::LatencyHistogram& histogram,
                                             double percent) {
  std::uint64_t total = 0;
  for (const std::uint64_t calls : histogram.buckets) total += calls;
  if (total == 0) return std::nullopt;
  percent = std::clamp(percent, 0.0, 100.0);
  // The rank of the call sought, 1-based: at least the first call, at most the last.
  const auto rank = std::clamp<std::uint64_t>(
      static_cast<std::uint64_t>(std::ceil(percent / 100.0 * static_cast<double>(total))), 1, total);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < histogram.buckets.size(); ++i) {
    seen += histogram.buckets[i];
    if (seen >= rank) return i;
  }
  return histogram.buckets.size() - 1; // not reached: seen ends at total
}

std::string percentile_bound_text(const std::optional<std::size_t>& bucket) {
  using redis_toolkit::LatencyHistogram;
  if (!bucket) return "-";
  const bool overflow = *bucket >= LatencyHistogram::bucket_count;
  const double bound_ms =
      LatencyHistogram::upper_bound(overflow ? LatencyHistogram::bucket_count - 1 : *bucket) * 1000.0;
  std::ostringstream text;
  text << (overflow ? "> " : "") << std::fixed << std::setprecision(1) << bound_ms;
  return text.str();
}

namespace {

/// The sample taken nearest `at` (the earlier of two as near).
const MetricsSample* nearest_sample(const std::vector<MetricsSample>& samples, double at) {
  const MetricsSample* best = nullptr;
  for (const MetricsSample& sample : samples)
    if (best == nullptr || std::abs(sample.at_ms - at) < std::abs(best->at_ms - at)) best = &sample;
  return best;
}

} // namespace

std::optional<MetricsSpan> metrics_between(const std::vector<MetricsSample>& samples,
                                           double start_ms, double end_ms) {
  const MetricsSample* from = nearest_sample(samples, start_ms);
  const MetricsSample* to = nearest_sample(samples, end_ms);
  if (from == nullptr || to == nullptr) return std::nullopt;
  MetricsSpan span;
  span.from_ms = from->at_ms;
  span.to_ms = to->at_ms;
  span.calls = to->calls > from->calls ? to->calls - from->calls : 0;
  span.errors = to->errors > from->errors ? to->errors - from->errors : 0;
  span.latency = histogram_difference(to->latency, from->latency);
  return span;
}

namespace {

constexpr double infinity = std::numeric_limits<double>::infinity();

bool succeeded(const OpRecord& op) { return op.outcome != Outcome::failed; }

/// The first healthy sample taken at or after `from`.
std::optional<double> healthy_from(const std::vector<HealthSample>& health, double from) {
  std::optional<double> best;
  for (const HealthSample& sample : health) {
    if (sample.healthy && sample.at_ms >= from && (!best || sample.at_ms < *best)) best = sample.at_ms;
  }
  return best;
}

/// The data operations' errors that ended in [from, until), and when every client (writer lane,
/// reader) that got one succeeded again after its last one.
struct ErrorSpan {
  std::size_t errors = 0;
  std::optional<double> first_error, last_error;
  /// The latest of the clients' first successes after their last error; no value when a client
  /// never succeeded again (or when there was no error).
  std::optional<double> all_clear;
};

ErrorSpan error_span(const std::vector<OpRecord>& ops, double from, double until) {
  using Client = std::pair<int, std::uint32_t>;
  std::map<Client, double> last_error;
  ErrorSpan span;
  for (const OpRecord& op : ops) {
    if (!is_data_op(op.kind) || op.outcome != Outcome::failed) continue;
    if (op.end_ms < from || op.end_ms >= until) continue;
    ++span.errors;
    span.first_error = std::min(span.first_error.value_or(infinity), op.end_ms);
    span.last_error = std::max(span.last_error.value_or(0), op.end_ms);
    double& last = last_error[{static_cast<int>(op.kind), op.source}];
    last = std::max(last, op.end_ms);
  }
  if (last_error.empty()) return span;
  std::map<Client, double> clear;
  for (const OpRecord& op : ops) {
    if (!is_data_op(op.kind) || !succeeded(op)) continue;
    const auto failed = last_error.find({static_cast<int>(op.kind), op.source});
    if (failed == last_error.end() || op.end_ms <= failed->second) continue;
    auto [entry, inserted] = clear.emplace(failed->first, op.end_ms);
    if (!inserted) entry->second = std::min(entry->second, op.end_ms);
  }
  if (clear.size() < last_error.size()) return span; // one never succeeded again
  double latest = 0;
  for (const auto& entry : clear) latest = std::max(latest, entry.second);
  span.all_clear = latest;
  return span;
}

std::optional<double> minus(const std::optional<double>& value, double origin) {
  if (!value) return std::nullopt;
  return *value - origin;
}

void count(OpCounts& counts, const OpRecord& op) {
  ++counts.attempted;
  if (op.outcome == Outcome::failed) ++counts.failed;
  else ++counts.succeeded;
  if (op.outcome == Outcome::unreplicated) ++counts.unreplicated;
}

std::string format_ms(const std::optional<double>& ms) {
  if (!ms) return "none";
  std::ostringstream text;
  text << std::fixed << std::setprecision(0) << *ms << " ms";
  return text.str();
}

/// The worst of the figures, or no value when one of them has none (never happened).
std::optional<double> worst(const std::vector<std::optional<double>>& figures) {
  std::optional<double> result;
  for (const auto& figure : figures) {
    if (!figure) return std::nullopt;
    result = std::max(result.value_or(0), *figure);
  }
  return result;
}

void add_timing_check(Report& report, const std::string& name, double target_s,
                      const std::string& what,
                      std::optional<double> FaultReport::*figure, bool applicable) {
  CheckReport check;
  check.name = name;
  check.target = "<= " + format_ms(target_s * 1000) + " " + what;
  std::vector<std::optional<double>> figures;
  std::string each;
  for (const FaultReport& fault : report.faults) {
    if (!fault.fault.timed() || !fault.fault.error.empty()) continue;
    figures.push_back(fault.*figure);
    each += (each.empty() ? "" : ", ") + format_ms(fault.*figure);
  }
  if (!applicable || figures.empty()) {
    check.status = CheckStatus::not_applicable;
    check.measured = !applicable ? "no subscribers" : "no master was killed";
  } else {
    check.measured_value = worst(figures);
    check.status = check.measured_value && *check.measured_value <= target_s * 1000
                       ? CheckStatus::met
                       : CheckStatus::missed;
    check.measured = figures.size() == 1 ? each : "worst " + format_ms(check.measured_value) +
                                                      " (" + each + ")";
  }
  report.checks.push_back(std::move(check));
}

} // namespace

Report analyze(RunLog log) {
  Report report;
  const std::vector<OpRecord>& ops = log.ops;
  const double end = log.duration_ms;

  // ---- phases ----
  std::optional<double> first_fault, last_fault_end;
  for (const FaultRecord& fault : log.faults) {
    first_fault = std::min(first_fault.value_or(infinity), fault.at_ms);
    last_fault_end = std::max(last_fault_end.value_or(0), std::max(fault.end_ms, fault.at_ms));
  }
  if (first_fault) {
    // Recovered: the cluster healthy after the last fault, and every client that got an error
    // since the first fault succeeding again.
    const ErrorSpan span = error_span(ops, *first_fault, infinity);
    const std::optional<double> healthy = healthy_from(log.health, *last_fault_end);
    if (healthy) {
      if (span.errors == 0) report.recovered_ms = healthy;
      else if (span.all_clear) report.recovered_ms = std::max(*healthy, *span.all_clear);
    }
  }
  PhaseReport before{"before", 0.0, first_fault.value_or(end), {}, {}, {}, {}, 0, 0, {}};
  PhaseReport during{"during", first_fault, first_fault ? report.recovered_ms.value_or(end)
                                                        : std::optional<double>(),
                     {}, {}, {}, {}, 0, 0, {}};
  PhaseReport after{"after", report.recovered_ms, report.recovered_ms ? std::optional<double>(end)
                                                                      : std::optional<double>(),
                    {}, {}, {}, {}, 0, 0, {}};
  // The toolkit's own figures per phase: the samples nearest the phase's ends (a boundary the
  // runner knows live, the first fault, has a sample taken just before it; recovery, known only
  // now, falls within a health-check interval of one).
  for (PhaseReport* phase : {&before, &during, &after})
    if (phase->start_ms && phase->end_ms)
      phase->metrics = metrics_between(log.metrics, *phase->start_ms, *phase->end_ms);
  report.metrics = metrics_between(log.metrics, 0.0, end);
  const auto phase_of = [&](double at) -> PhaseReport& {
    if (!first_fault || at < *first_fault) return before;
    if (!report.recovered_ms || at < *report.recovered_ms) return during;
    return after;
  };
  {
    std::vector<double> latencies[3][3]; // phase x (write, read, publish)
    const auto phase_index = [&](const PhaseReport& phase) {
      return &phase == &before ? 0 : &phase == &during ? 1 : 2;
    };
    for (const OpRecord& op : ops) {
      PhaseReport& phase = phase_of(op.start_ms);
      const auto kind = static_cast<std::size_t>(op.kind);
      count(phase.counts[kind], op);
      count(report.totals[kind], op);
      if (op.kind == OpKind::publish && succeeded(op)) ++phase.published;
      if (!succeeded(op)) continue;
      const int column = is_write(op.kind) ? 0 : op.kind == OpKind::read ? 1 : 2;
      latencies[phase_index(phase)][column].push_back(op.end_ms - op.start_ms);
    }
    PhaseReport* phases[] = {&before, &during, &after};
    for (int index = 0; index < 3; ++index) {
      phases[index]->write_latency = summarize(std::move(latencies[index][0]));
      phases[index]->read_latency = summarize(std::move(latencies[index][1]));
      phases[index]->publish_latency = summarize(std::move(latencies[index][2]));
    }
  }
  {
    std::set<std::pair<std::uint32_t, std::int64_t>> seen;
    for (const Delivery& delivery : log.deliveries) {
      if (!seen.insert({delivery.channel, delivery.seq}).second) continue;
      ++phase_of(delivery.published_ms).delivered;
      ++report.delivered;
    }
  }
  for (const OpCounts& counts : report.totals) report.unreplicated += counts.unreplicated;
  report.published = report.totals[static_cast<std::size_t>(OpKind::publish)].succeeded;
  report.phases = {before, during, after};

  // ---- each fault ----
  std::vector<double> disruptive_times;
  for (const FaultRecord& fault : log.faults)
    if (fault.disruptive) disruptive_times.push_back(fault.at_ms);
  std::sort(disruptive_times.begin(), disruptive_times.end());
  // Per channel: its publishes in order, (published at, without error); the n-th of them carried
  // the sequence number n (the publisher numbers every attempt from 1). And the numbers delivered.
  std::vector<std::vector<std::pair<double, bool>>> publishes(log.channels.size());
  std::vector<std::set<std::int64_t>> delivered_seqs(log.channels.size());
  for (const OpRecord& op : ops)
    if (op.kind == OpKind::publish && op.source < publishes.size())
      publishes[op.source].push_back({op.start_ms, succeeded(op)});
  for (auto& channel_publishes : publishes) std::sort(channel_publishes.begin(), channel_publishes.end());
  for (const Delivery& delivery : log.deliveries)
    if (delivery.channel < delivered_seqs.size()) delivered_seqs[delivery.channel].insert(delivery.seq);
  for (const FaultRecord& fault : log.faults) {
    FaultReport item;
    item.fault = fault;
    item.healthy_ms = minus(healthy_from(log.health, std::max(fault.end_ms, fault.at_ms)), fault.at_ms);
    if (fault.disruptive) {
      const auto next = std::upper_bound(disruptive_times.begin(), disruptive_times.end(), fault.at_ms);
      const double until = next == disruptive_times.end() ? infinity : *next;
      const ErrorSpan span = error_span(ops, fault.at_ms, until);
      item.errors = span.errors;
      item.first_error_ms = minus(span.first_error, fault.at_ms);
      item.last_error_ms = minus(span.last_error, fault.at_ms);
      if (span.errors > 0) {
        item.first_success_ms = minus(span.all_clear, fault.at_ms);
        item.error_window_ms = item.first_success_ms;
        for (const ErrorSample& sample : log.errors) {
          if (sample.at_ms < fault.at_ms || sample.at_ms >= until || !is_data_op(sample.kind))
            continue;
          if (item.first_error.empty()) item.first_error = sample.error;
          item.last_error = sample.error;
        }
      } else {
        item.error_window_ms = 0.0;
      }
      // Each channel: until it delivers again for good. Rule: its first delivery of a message
      // published after the last message (published after the fault, before the next one) that
      // it missed; with none missed, its first delivery of a message published after the fault.
      // The first delivery alone is not enough: a subscriber left on a demoted master still gets
      // what is published there in the moment before the publishers move, then nothing.
      for (std::uint32_t channel = 0; channel < log.channels.size(); ++channel) {
        const auto& channel_publishes = publishes[channel];
        const auto& channel_seqs = delivered_seqs[channel];
        double missed_until = fault.at_ms; // deliveries count from messages published at or after this
        bool missed = false;
        for (std::size_t index = 0; index < channel_publishes.size(); ++index) {
          const auto& [published_ms, ok] = channel_publishes[index];
          if (!ok || published_ms < fault.at_ms || published_ms >= until) continue;
          if (channel_seqs.count(static_cast<std::int64_t>(index) + 1) == 0) {
            missed_until = published_ms;
            missed = true;
          }
        }
        std::optional<double> first;
        for (const Delivery& delivery : log.deliveries) {
          if (delivery.channel != channel) continue;
          if (missed ? delivery.published_ms > missed_until : delivery.published_ms >= fault.at_ms)
            first = std::min(first.value_or(infinity), delivery.delivered_ms);
        }
        item.channel_gaps_ms.push_back(minus(first, fault.at_ms));
      }
      if (!item.channel_gaps_ms.empty()) item.delivery_gap_ms = worst(item.channel_gaps_ms);
    }
    report.faults.push_back(std::move(item));
  }

  // ---- the checks ----
  const Scenario& scenario = log.scenario;
  const std::string from = scenario.deployment == Deployment::sentinel
                               ? "from each master kill or SENTINEL FAILOVER"
                               : "from each master kill";
  add_timing_check(report, "error_window", scenario.targets.error_window,
                   from + " until operations succeed again", &FaultReport::error_window_ms, true);
  add_timing_check(report, "subscribers_delivering", scenario.targets.delivery_gap,
                   from + " until every subscriber delivers again", &FaultReport::delivery_gap_ms,
                   !log.channels.empty());
  {
    CheckReport check;
    check.name = "durable_writes_lost";
    check.target = "0 writes acknowledged by WAIT lost";
    const WriteCheck& writes = log.writes;
    if (!scenario.durable) {
      check.status = CheckStatus::not_applicable;
      check.measured = "durable mode off (" + std::to_string(writes.lost) + " of " +
                       std::to_string(writes.keys_written) +
                       " keys lost an acknowledged write, which asynchronous replication allows)";
    } else {
      check.measured_value = static_cast<double>(writes.durable_lost);
      check.measured = std::to_string(writes.durable_lost) + " of " +
                       std::to_string(writes.durable_keys) + " keys";
      if (!writes.done) check.measured += "; the keys could not be read back";
      if (writes.unverified > 0)
        check.measured += "; " + std::to_string(writes.unverified) + " keys could not be read back";
      if (writes.durable_keys == 0) check.measured += "; no write was acknowledged by a replica";
      check.status = writes.done && writes.durable_lost == 0 && writes.unverified == 0 &&
                             writes.durable_keys > 0
                         ? CheckStatus::met
                         : CheckStatus::missed;
    }
    report.checks.push_back(std::move(check));
  }
  {
    CheckReport check;
    check.name = "writers_recovered";
    check.target = "every writer succeeding again after the faults";
    if (log.faults.empty()) {
      check.status = CheckStatus::not_applicable;
      check.measured = "no fault";
    } else {
      std::map<std::pair<int, std::uint32_t>, std::pair<double, double>> lanes; // last error, last success
      for (const OpRecord& op : ops) {
        if (!is_write(op.kind)) continue;
        auto& lane = lanes[{static_cast<int>(op.kind), op.source}];
        if (succeeded(op)) lane.second = std::max(lane.second, op.end_ms);
        else lane.first = std::max(lane.first, op.end_ms);
      }
      std::size_t recovered = 0;
      for (const auto& entry : lanes) recovered += entry.second.second > entry.second.first;
      const std::size_t total = static_cast<std::size_t>(std::max(log.writer_lanes, 0));
      check.measured = std::to_string(recovered) + " of " + std::to_string(total) +
                       " writers; recovered " +
                       (report.recovered_ms ? format_ms(minus(report.recovered_ms, *first_fault)) +
                                                  " after the first fault"
                                            : std::string("never (the run ended first)"));
      check.measured_value = report.recovered_ms ? minus(report.recovered_ms, *first_fault)
                                                 : std::optional<double>();
      check.status = recovered == total && lanes.size() == total && report.recovered_ms
                         ? CheckStatus::met
                         : CheckStatus::missed;
    }
    report.checks.push_back(std::move(check));
  }
  {
    CheckReport check;
    check.name = "faults_injected";
    check.target = "every fault of the scenario injected";
    std::size_t failed = 0;
    std::string first;
    for (const FaultRecord& fault : log.faults) {
      if (fault.error.empty()) continue;
      if (failed++ == 0) first = fault.action + ": " + fault.error;
    }
    check.measured = std::to_string(log.faults.size() - failed) + " of " +
                     std::to_string(log.faults.size()) + (first.empty() ? "" : "; " + first);
    check.status = log.faults.empty() ? CheckStatus::not_applicable
                   : failed == 0      ? CheckStatus::met
                                      : CheckStatus::missed;
    report.checks.push_back(std::move(check));
  }
  for (const CheckReport& check : report.checks)
    if (check.status == CheckStatus::missed) report.all_met = false;

  log.ops.clear();
  log.ops.shrink_to_fit();
  log.deliveries.clear();
  log.deliveries.shrink_to_fit();
  report.log = std::move(log);
  return report;
}

// ---- rendering ----

namespace {

/// Milliseconds to a tenth: enough for the figures, short in the JSON.
Value ms_value(double ms) { return Value(std::round(ms * 10.0) / 10.0); }
Value ms_value(const std::optional<double>& ms) { return ms ? ms_value(*ms) : Value(); }
Value count_value(std::size_t n) { return Value(static_cast<std::int64_t>(n)); }

Value latency_value(const LatencySummary& s) {
  return Value::dict({{"count", count_value(s.count)},
                      {"p50", ms_value(s.p50)},
                      {"p90", ms_value(s.p90)},
                      {"p99", ms_value(s.p99)},
                      {"p999", ms_value(s.p999)},
                      {"max", ms_value(s.max)}});
}

/// A percentile of the toolkit's histogram: its bucket's upper bound in ms, the text "> 13107.2"
/// for the overflow bucket (slower than the last bound), null for no calls.
Value bound_value(const std::optional<std::size_t>& bucket) {
  using redis_toolkit::LatencyHistogram;
  if (!bucket) return Value();
  if (*bucket >= LatencyHistogram::bucket_count) return Value(percentile_bound_text(bucket));
  return ms_value(LatencyHistogram::upper_bound(*bucket) * 1000.0);
}

Value metrics_value(const std::optional<MetricsSpan>& span) {
  if (!span) return Value();
  return Value::dict({{"calls", Value(static_cast<std::int64_t>(span->calls))},
                      {"errors", Value(static_cast<std::int64_t>(span->errors))},
                      {"p50_ms", bound_value(percentile_bucket(span->latency, 50))},
                      {"p90_ms", bound_value(percentile_bucket(span->latency, 90))},
                      {"p99_ms", bound_value(percentile_bucket(span->latency, 99))}});
}

Value counts_value(const OpCounts& c, bool with_unreplicated) {
  Value value = Value::dict({{"attempted", count_value(c.attempted)},
                             {"succeeded", count_value(c.succeeded)},
                             {"failed", count_value(c.failed)}});
  if (with_unreplicated) value.set("unreplicated", count_value(c.unreplicated));
  return value;
}

Value ops_value(const OpCounts (&counts)[op_kind_count], bool durable) {
  Value value = Value::dict();
  for (std::size_t kind = 0; kind < op_kind_count; ++kind) {
    const auto op = static_cast<OpKind>(kind);
    value.set(std::string(op_kind_name(op)), counts_value(counts[kind], durable && is_write(op)));
  }
  return value;
}

Value optional_ms_list(const std::vector<std::optional<double>>& values) {
  Value::Array items;
  for (const auto& v : values) items.push_back(ms_value(v));
  return Value::list(std::move(items));
}

} // namespace

std::string render_json(const Report& report) {
  const RunLog& log = report.log;
  const Scenario& s = log.scenario;
  const Workload& w = s.workload;

  Value phases = Value::list();
  for (const PhaseReport& phase : report.phases) {
    phases.items().push_back(Value::dict({
        {"name", phase.name},
        {"start_ms", ms_value(phase.start_ms)},
        {"end_ms", ms_value(phase.end_ms)},
        {"ops", ops_value(phase.counts, s.durable)},
        {"latency_ms", Value::dict({{"write", latency_value(phase.write_latency)},
                                    {"read", latency_value(phase.read_latency)},
                                    {"publish", latency_value(phase.publish_latency)}})},
        {"pubsub", Value::dict({{"published", count_value(phase.published)},
                                {"delivered", count_value(phase.delivered)}})},
        {"metrics", metrics_value(phase.metrics)},
    }));
  }
  Value faults = Value::list();
  for (const FaultReport& fault : report.faults) {
    const FaultRecord& f = fault.fault;
    Value item = Value::dict({
        {"action", f.action},
        {"detail", f.detail},
        {"part_of", f.part_of.empty() ? Value() : Value(f.part_of)},
        {"at_ms", ms_value(f.at_ms)},
        {"took_ms", ms_value(std::max(0.0, f.end_ms - f.at_ms))},
        {"injected", f.error.empty()},
        {"error", f.error.empty() ? Value() : Value(f.error)},
        {"master_kill", f.master_kill},
        {"disruptive", f.disruptive},
        {"healthy_ms", ms_value(fault.healthy_ms)},
    });
    if (f.disruptive) {
      item.set("errors", count_value(fault.errors));
      item.set("first_error_ms", ms_value(fault.first_error_ms));
      item.set("last_error_ms", ms_value(fault.last_error_ms));
      item.set("first_success_ms", ms_value(fault.first_success_ms));
      item.set("error_window_ms", ms_value(fault.error_window_ms));
      item.set("delivery_gap_ms", ms_value(fault.delivery_gap_ms));
      item.set("channel_gaps_ms", optional_ms_list(fault.channel_gaps_ms));
      item.set("first_error", fault.first_error.empty() ? Value() : Value(fault.first_error));
      item.set("last_error", fault.last_error.empty() ? Value() : Value(fault.last_error));
    }
    faults.items().push_back(std::move(item));
  }
  Value channels = Value::list();
  for (const ChannelInfo& channel : log.channels) {
    channels.items().push_back(
        Value::dict({{"name", channel.name},
                     {"kind", channel.sharded ? "sharded" : "classic"},
                     {"node", channel.node.empty() ? Value() : Value(channel.node)}}));
  }
  Value lost_examples = Value::list();
  for (const std::string& example : log.writes.lost_examples) lost_examples.items().push_back(example);
  Value checks = Value::dict();
  for (const CheckReport& check : report.checks) {
    checks.set(check.name, Value::dict({{"status", std::string(check_status_name(check.status))},
                                        {"target", check.target},
                                        {"measured", check.measured},
                                        {"value", check.measured_value
                                                      ? Value(std::round(*check.measured_value * 10) / 10)
                                                      : Value()}}));
  }

  Value root = Value::dict({
      {"report", "rtk failover-sim"},
      {"scenario", s.name},
      {"durable", s.durable},
      {"deployment", std::string(deployment_name(s.deployment))},
      {"started_at", log.started_at},
      {"machine", log.machine},
      {"cluster", log.cluster},
      {"duration_ms", ms_value(log.duration_ms)},
      {"workload", Value::dict({{"blocking_writers", w.blocking_writers},
                                {"async_writers", w.async_writers},
                                {"async_in_flight", w.async_in_flight},
                                {"readers", w.readers},
                                {"write_rate", w.write_rate},
                                {"read_rate", w.read_rate},
                                {"value_size", count_value(w.value_size)},
                                {"keys", count_value(w.keys)},
                                {"publish_rate", w.publish_rate},
                                {"channels", channels}})},
      {"ok", report.all_met},
      {"promises", checks},
      {"recovered_ms", ms_value(report.recovered_ms)},
      {"totals", ops_value(report.totals, s.durable)},
      {"phases", phases},
      {"metrics", metrics_value(report.metrics)},
      {"faults", faults},
      {"writes", Value::dict({{"checked", log.writes.done},
                              {"keys_written", count_value(log.writes.keys_written)},
                              {"lost", count_value(log.writes.lost)},
                              {"durable_keys", count_value(log.writes.durable_keys)},
                              {"durable_lost", count_value(log.writes.durable_lost)},
                              {"unverified", count_value(log.writes.unverified)},
                              {"unreplicated", count_value(report.unreplicated)},
                              {"lost_examples", lost_examples}})},
      {"pubsub", Value::dict({{"published", count_value(report.published)},
                              {"delivered", count_value(report.delivered)}})},
  });
  return redis_toolkit::format_cli_json(root);
}

namespace {

std::string fixed(double value, int decimals = 1) {
  std::ostringstream text;
  text << std::fixed << std::setprecision(decimals) << value;
  return text.str();
}

std::string md_ms(const std::optional<double>& ms) { return ms ? fixed(*ms, 0) : "—"; }

std::string md_seconds(const std::optional<double>& ms) {
  return ms ? fixed(*ms / 1000.0, 1) + " s" : "—";
}

/// Text in a table cell: no pipe or newline breaks the row.
std::string cell(std::string text) {
  for (char& c : text)
    if (c == '|' || c == '\n' || c == '\r') c = c == '|' ? '/' : ' ';
  if (text.size() > 160) text = text.substr(0, 157) + "...";
  return text;
}

/// "1 reader", "2 readers"
std::string counted(long long n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

std::string status_mark(CheckStatus status) {
  switch (status) {
    case CheckStatus::met: return "**met**";
    case CheckStatus::missed: return "**MISSED**";
    case CheckStatus::not_applicable: return "n/a";
  }
  return "";
}

} // namespace

std::string render_markdown(const Report& report) {
  const RunLog& log = report.log;
  const Scenario& s = log.scenario;
  const Workload& w = s.workload;
  std::ostringstream md;
  md << "# Failover simulation: " << s.name << "\n\n";
  if (!s.description.empty()) md << s.description << "\n\n";
  md << "- Result: " << (report.all_met ? "**every promise held**" : "**a promise was broken**")
     << "\n- Started: " << log.started_at << " on " << log.machine
     << (s.deployment == Deployment::sentinel ? "\n- Sentinel: " : "\n- Cluster: ")
     << log.cluster << "\n- Run: " << fixed(log.duration_ms / 1000.0) << " s, "
     << (s.durable ? "durable mode (setter_durable: SET + WAIT " + std::to_string(w.wait_replicas) +
                         ", " + fixed(w.wait_timeout * 1000, 0) + " ms)"
                   : std::string("plain writes (setter)"))
     << "\n- Workload: " << counted(w.blocking_writers, "blocking writer") << ", "
     << counted(w.async_writers, "async writer") << " x " << w.async_in_flight << " in flight, "
     << counted(w.readers, "reader") << "; "
     << (w.write_rate > 0 ? fixed(w.write_rate, 0) + " writes/s" : std::string("unthrottled writes"))
     << " and "
     << (w.read_rate > 0 ? fixed(w.read_rate, 0) + " reads/s" : std::string("unthrottled reads"))
     << " each; " << w.value_size << "-byte values over " << w.keys << " keys; "
     << log.channels.size() << " channels at " << fixed(w.publish_rate, 0) << " messages/s each\n"
     << "- Toolkit: connection timeout " << fixed(s.toolkit.connection_timeout * 1000, 0)
     << " ms, socket timeout " << fixed(s.toolkit.socket_timeout * 1000, 0) << " ms, "
     << s.toolkit.retry_attempts << " attempts (delay " << fixed(s.toolkit.retry_delay * 1000, 0)
     << " ms, backoff " << s.toolkit.retry_backoff << ")\n\n";

  md << "## Promises\n\n| check | target | measured | status |\n| --- | --- | --- | --- |\n";
  for (const CheckReport& check : report.checks) {
    md << "| " << check.name << " | " << cell(check.target) << " | " << cell(check.measured)
       << " | " << status_mark(check.status) << " |\n";
  }

  md << "\n## Faults\n\nTimes in ms after the fault. Errors are those of writes and reads "
        "until the next fault; the error window ends when every writer and reader that got one "
        "has succeeded again (all clear).\n\n"
        "| at | fault | detail | errors | first error | last error | all clear | error "
        "window | cluster healthy | delivery gap |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
  for (const FaultReport& fault : report.faults) {
    const FaultRecord& f = fault.fault;
    std::string name = f.action + (f.part_of.empty() ? "" : " (" + f.part_of + ")");
    std::string detail = f.error.empty() ? f.detail : f.detail + " NOT INJECTED: " + f.error;
    md << "| " << md_seconds(f.at_ms) << " | " << cell(name) << " | " << cell(detail) << " | ";
    if (f.disruptive) {
      md << fault.errors << " | " << md_ms(fault.first_error_ms) << " | "
         << md_ms(fault.last_error_ms) << " | " << md_ms(fault.first_success_ms) << " | "
         << md_ms(fault.error_window_ms) << " | " << md_ms(fault.healthy_ms) << " | "
         << (log.channels.empty() ? std::string("—") : md_ms(fault.delivery_gap_ms)) << " |\n";
    } else {
      md << "— | — | — | — | — | " << md_ms(fault.healthy_ms) << " | — |\n";
    }
  }
  bool any_error = false;
  for (const FaultReport& fault : report.faults) {
    if (fault.first_error.empty()) continue;
    if (!any_error) md << "\nThe first and the last error after each fault:\n\n";
    any_error = true;
    md << "- " << fault.fault.action << " at " << md_seconds(fault.fault.at_ms) << ": `"
       << cell(fault.first_error) << "`";
    if (fault.errors > 1) md << "\n  ... `" << cell(fault.last_error) << "`";
    md << "\n";
  }

  md << "\n## Phases\n\nBefore: start to the first fault. During: to recovery (cluster healthy "
        "and operations succeeding again";
  if (report.recovered_ms) md << ", at " << md_seconds(report.recovered_ms);
  md << "). After: to the end. Operations count in the phase they started in.\n\n"
        "| phase | span | writes ok / failed | reads ok / failed | write p50 / p99 / max ms | "
        "read p50 / p99 / max ms | published | delivered |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- |\n";
  for (const PhaseReport& phase : report.phases) {
    const OpCounts& b = phase.counts[static_cast<std::size_t>(OpKind::blocking_write)];
    const OpCounts& a = phase.counts[static_cast<std::size_t>(OpKind::async_write)];
    const OpCounts& r = phase.counts[static_cast<std::size_t>(OpKind::read)];
    const std::string span = phase.start_ms ? md_seconds(phase.start_ms) + " – " +
                                                  md_seconds(phase.end_ms)
                                            : std::string("did not happen");
    const auto lat = [](const LatencySummary& l) {
      return l.count == 0 ? std::string("—")
                          : fixed(l.p50, 2) + " / " + fixed(l.p99, 2) + " / " + fixed(l.max, 1);
    };
    md << "| " << phase.name << " | " << span << " | " << b.succeeded + a.succeeded << " / "
       << b.failed + a.failed << " | " << r.succeeded << " / " << r.failed << " | "
       << lat(phase.write_latency) << " | " << lat(phase.read_latency) << " | " << phase.published
       << " | " << phase.delivered << " |\n";
  }
  md << "\nThe toolkit's own metrics per phase (every command it answered, the workload's and the "
        "fault injection's): calls, errors (error, timeout, connection) and latency percentiles "
        "from its histogram. A percentile is the upper bound of the bucket holding it (the call "
        "took at most that long); \"> 13107.2\" is the overflow bucket, slower than the last "
        "bound. Phase ends are the metrics samples nearest them (every 200 ms, and just before "
        "the first fault).\n\n"
        "| phase | calls | errors | p50 <= ms | p90 <= ms | p99 <= ms |\n"
        "| --- | --- | --- | --- | --- | --- |\n";
  const auto metrics_row = [&](const std::string& name, const std::optional<MetricsSpan>& span) {
    md << "| " << name << " | ";
    if (!span) {
      md << "— | — | — | — | — |\n";
      return;
    }
    md << span->calls << " | " << span->errors << " | "
       << percentile_bound_text(percentile_bucket(span->latency, 50)) << " | "
       << percentile_bound_text(percentile_bucket(span->latency, 90)) << " | "
       << percentile_bound_text(percentile_bucket(span->latency, 99)) << " |\n";
  };
  for (const PhaseReport& phase : report.phases) metrics_row(phase.name, phase.metrics);
  metrics_row("whole run", report.metrics);
  md << "\n| operations | attempted | succeeded | failed |" << (s.durable ? " unreplicated |" : "")
     << "\n| --- | --- | --- | --- |" << (s.durable ? " --- |" : "") << "\n";
  for (std::size_t kind = 0; kind < op_kind_count; ++kind) {
    const OpCounts& c = report.totals[kind];
    md << "| " << op_kind_name(static_cast<OpKind>(kind)) << " | " << c.attempted << " | "
       << c.succeeded << " | " << c.failed << " |"
       << (s.durable ? " " + std::to_string(c.unreplicated) + " |" : "") << "\n";
  }

  md << "\n## Acknowledged writes\n\n";
  const WriteCheck& writes = log.writes;
  if (!writes.done) {
    md << "The keys could not be read back: nothing is known about lost writes.\n";
  } else {
    md << "Every key with an acknowledged write was read back at the end; a key whose value is "
          "missing or older than its last acknowledged write lost that write.\n\n"
       << "- Keys with an acknowledged write: " << writes.keys_written << "; lost: " << writes.lost
       << (s.durable ? "" : " (plain writes: asynchronous replication may lose a few in a failover)")
       << "\n";
    if (s.durable)
      md << "- Keys with a write acknowledged by WAIT: " << writes.durable_keys
         << "; lost: " << writes.durable_lost << " (the promise: 0)\n"
         << "- Writes the master took but no replica acknowledged in time (not counted as "
            "durable): "
         << report.unreplicated << "\n";
    if (writes.unverified > 0) md << "- Keys that could not be read back: " << writes.unverified << "\n";
    for (const std::string& example : writes.lost_examples) md << "  - `" << cell(example) << "`\n";
  }

  md << "\n## Pub/sub\n\n";
  if (log.channels.empty()) {
    md << "No subscribers in this scenario.\n";
  } else {
    md << "Published: " << report.published << "; delivered: " << report.delivered
       << " (at most once: messages published while a subscriber reconnects are not delivered).\n\n"
       << "| channel | kind | node at the start |";
    for (const FaultReport& fault : report.faults)
      if (fault.fault.disruptive)
        md << " gap after " << fault.fault.action << " at " << md_seconds(fault.fault.at_ms) << " |";
    md << "\n| --- | --- | --- |";
    for (const FaultReport& fault : report.faults)
      if (fault.fault.disruptive) md << " --- |";
    md << "\n";
    for (std::size_t index = 0; index < log.channels.size(); ++index) {
      const ChannelInfo& channel = log.channels[index];
      md << "| " << cell(channel.name) << " | " << (channel.sharded ? "sharded" : "classic") << " | "
         << (channel.node.empty() ? "—" : channel.node) << " |";
      for (const FaultReport& fault : report.faults) {
        if (!fault.fault.disruptive) continue;
        md << " " << (index < fault.channel_gaps_ms.size() ? md_ms(fault.channel_gaps_ms[index]) : "—")
           << " ms |";
      }
      md << "\n";
    }
  }
  md << "\nSee docs/FAILOVER_SIMULATION.md for how to read this report.\n";
  return md.str();
}

std::string report_file_name(const Scenario& scenario) {
  std::string safe;
  for (char c : scenario.name) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '_' || c == '.';
    safe += plain ? c : '_';
  }
  if (safe.empty()) safe = "_";
  return "failover-report-" + safe + ".md";
}

} // namespace rtk::failover
