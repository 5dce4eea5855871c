#include "failover_sim_runner.hpp"
#include "metrics_listen.hpp"
#include "failover_sim.hpp"

#include <redis_toolkit/async_toolkit.hpp>
#include <redis_toolkit/cluster_operations.hpp>
#include <redis_toolkit/errors.hpp>
#include <redis_toolkit/key_slot.hpp>
#include <redis_toolkit/local_cluster.hpp>
#include <redis_toolkit/local_sentinel.hpp>
#include <redis_toolkit/logging.hpp>
#include <redis_toolkit/server_launcher.hpp>
#include <redis_toolkit/toolkit.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <random>
#include <sstream>
#include <string>
#include <sys/utsname.h>
#include <thread>
#include <vector>

namespace rtk {
namespace {

using namespace failover;
using redis_toolkit::AsyncRedisToolkit;
using redis_toolkit::ClusterError;
using redis_toolkit::LocalCluster;
using redis_toolkit::LocalSentinel;
using redis_toolkit::NodeAddress;
using redis_toolkit::PubSubKind;
using redis_toolkit::RedisConnectionConfig;
using redis_toolkit::RedisOptions;
using redis_toolkit::RedisToolkit;
using redis_toolkit::Result;
using redis_toolkit::ValidationError;
using redis_toolkit::Value;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::size_t max_error_samples = 5000;
constexpr std::size_t read_back_chunk = 500;
constexpr double settle_after_faults_ms = 5000; ///< the run lasts this long after the last fault
constexpr milliseconds health_interval{200};
constexpr milliseconds heal_timeout{30000};

std::string fixed(double value, int decimals = 1) {
  std::ostringstream text;
  text << std::fixed << std::setprecision(decimals) << value;
  return text.str();
}

milliseconds seconds_to_ms(double seconds) {
  return milliseconds(static_cast<long long>(std::llround(seconds * 1000.0)));
}

/// Sleeps until `until` or until `stop` is set, in short slices.
void sleep_until(Clock::time_point until, const std::atomic<bool>& stop) {
  while (!stop.load()) {
    const auto now = Clock::now();
    if (now >= until) return;
    std::this_thread::sleep_for(std::min<Clock::duration>(until - now, milliseconds(100)));
  }
}

// ---- what the run records, shared with the threads and the toolkits' callbacks ----

struct Sink {
  std::mutex mutex;
  std::vector<OpRecord> ops;
};

struct KeyState {
  std::int64_t acked = 0;   ///< the last write the master acknowledged
  std::int64_t durable = 0; ///< the last write enough replicas acknowledged (durable mode)
};

struct Records {
  explicit Records(std::size_t keys) : key_states(keys) {}

  Clock::time_point t0 = Clock::now();
  double now_ms() const {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  }

  std::vector<std::unique_ptr<Sink>> sinks; ///< fixed before any thread starts
  Sink& new_sink() {
    sinks.push_back(std::make_unique<Sink>());
    return *sinks.back();
  }

  std::vector<KeyState> key_states; ///< one per key; each written by its one writer lane only

  std::mutex errors_mutex;
  std::vector<ErrorSample> errors;
  std::mutex deliveries_mutex;
  std::vector<Delivery> deliveries;

  // For the progress line.
  std::atomic<std::uint64_t> ok[op_kind_count] = {};
  std::atomic<std::uint64_t> failed[op_kind_count] = {};
  std::atomic<std::uint64_t> delivered{0};
  std::atomic<bool> healthy{true};
  std::atomic<long long> last_data_error_us{-1};

  void record(Sink& sink, const OpRecord& op) {
    {
      std::lock_guard<std::mutex> lock(sink.mutex);
      sink.ops.push_back(op);
    }
    const auto kind = static_cast<std::size_t>(op.kind);
    if (op.outcome == Outcome::failed) {
      ++failed[kind];
      if (is_data_op(op.kind)) last_data_error_us = static_cast<long long>(op.end_ms * 1000);
    } else {
      ++ok[kind];
    }
  }

  void error(OpKind kind, double at_ms, const std::string& what) {
    std::lock_guard<std::mutex> lock(errors_mutex);
    if (errors.size() < max_error_samples) errors.push_back({at_ms, kind, what});
  }

  void delivery(const Delivery& delivery) {
    ++delivered;
    std::lock_guard<std::mutex> lock(deliveries_mutex);
    deliveries.push_back(delivery);
  }
};

/// what(), with the kind named by the error's type: a TimeoutError's what() starts with
/// "ConnectionError: " (it inherits its base's constructor), which would hide the timeouts.
std::string error_text(const std::exception& error) {
  std::string what = error.what();
  constexpr std::string_view base = "ConnectionError: ";
  if (dynamic_cast<const redis_toolkit::TimeoutError*>(&error) != nullptr && what.rfind(base, 0) == 0)
    what = "TimeoutError: " + what.substr(base.size());
  return what;
}

std::string describe_exception(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return error_text(e);
  } catch (...) {
    return "unknown error";
  }
}

/// A steady rate: wait() returns once per interval, without bursts to catch up after a stall.
class Pacer {
public:
  explicit Pacer(double per_second)
      : interval_(per_second > 0 ? std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(1.0 / per_second))
                                 : Clock::duration::zero()),
        next_(Clock::now()) {}

  void wait(const std::atomic<bool>& stop) {
    if (interval_ == Clock::duration::zero()) return;
    sleep_until(next_, stop);
    next_ += interval_;
    const auto now = Clock::now();
    if (next_ < now) next_ = now;
  }

private:
  Clock::duration interval_;
  Clock::time_point next_;
};

/// The keys of one writer lane (sim:<n> with n % lanes == lane), written round and round, each
/// write with the lane's next sequence number.
class LaneCursor {
public:
  LaneCursor(int lane, int lanes, std::size_t keys)
      : lane_(static_cast<std::size_t>(lane)), lanes_(static_cast<std::size_t>(lanes)),
        count_((keys - lane_ + lanes_ - 1) / lanes_) {}

  /// (key index, sequence number)
  std::pair<std::size_t, std::int64_t> next() {
    const std::size_t index = lane_ + position_ * lanes_;
    position_ = (position_ + 1) % count_;
    return {index, ++seq_};
  }

private:
  std::size_t lane_, lanes_, count_;
  std::size_t position_ = 0;
  std::int64_t seq_ = 0;
};

std::string key_name(std::size_t index) { return "sim:" + std::to_string(index); }

/// "<seq>:xxxx..." of value_size bytes: the sequence number is what the final check compares.
Value payload(std::int64_t seq, std::size_t size) {
  std::string text = std::to_string(seq) + ":";
  if (text.size() < size) text.append(size - text.size(), 'x');
  return Value(std::move(text));
}

std::optional<std::int64_t> payload_seq(const Value& value) {
  if (!value.is_string()) return std::nullopt;
  const std::string& text = value.as_string();
  const std::size_t colon = text.find(':');
  if (colon == 0 || colon == std::string::npos || colon > 18) return std::nullopt;
  std::int64_t seq = 0;
  for (std::size_t i = 0; i < colon; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    seq = seq * 10 + (text[i] - '0');
  }
  return seq;
}

/// redis-cli on one server, with the connection's user and password.
std::string redis_cli(const RedisConnectionConfig& config, const NodeAddress& node,
                      std::vector<std::string> arguments, milliseconds timeout = milliseconds(3000)) {
  std::vector<std::string> argv = {redis_toolkit::redis_cli_path(), "-h", node.host, "-p",
                                   std::to_string(node.port)};
  if (config.username) {
    argv.push_back("--user");
    argv.push_back(*config.username);
  }
  // The password through the environment, never on a command line others can read.
  if (config.password) ::setenv("REDISCLI_AUTH", config.password->c_str(), 1);
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  const auto output = redis_toolkit::run_program(argv, timeout);
  if (output.exit_status != 0)
    throw redis_toolkit::ConnectionError(node.to_string(), arguments.empty() ? "" : arguments[0],
                                         "redis-cli failed: " + output.standard_error +
                                             output.standard_output);
  return output.standard_output;
}

// ---- the cluster: one rtk started, or one --cluster names ----

struct MasterInfo {
  std::string address;
  std::vector<redis_toolkit::SlotRange> slots;
  int first_slot() const { return slots.empty() ? 0 : slots.front().first; }
  bool serves(int slot) const {
    return std::any_of(slots.begin(), slots.end(),
                       [slot](const auto& r) { return r.first <= slot && slot <= r.last; });
  }
};

/// The masters in slot order, from CLUSTER NODES.
std::vector<MasterInfo> masters_in_slot_order(RedisToolkit& toolkit) {
  std::vector<MasterInfo> masters;
  for (const auto& node : redis_toolkit::ClusterOperations(toolkit).get_nodes_info()) {
    if (node.role != "master" || node.slots.empty() || node.failing) continue;
    MasterInfo master{node.address(), node.slots};
    std::sort(master.slots.begin(), master.slots.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    masters.push_back(std::move(master));
  }
  std::sort(masters.begin(), masters.end(),
            [](const MasterInfo& a, const MasterInfo& b) { return a.first_slot() < b.first_slot(); });
  return masters;
}

class ClusterControl {
public:
  ClusterControl(LocalCluster* local, RedisToolkit& toolkit, RedisConnectionConfig config,
                 std::vector<NodeAddress> nodes, std::vector<MasterInfo> masters)
      : local_(local), toolkit_(toolkit), config_(std::move(config)), nodes_(std::move(nodes)),
        masters_(std::move(masters)) {}

  const std::vector<NodeAddress>& nodes() const { return nodes_; }
  const std::vector<MasterInfo>& initial_masters() const { return masters_; }
  bool local() const { return local_ != nullptr; }

  /// The slot a fault's target names.
  int slot_of_target(const std::string& target) const {
    constexpr std::string_view prefix = "master_of:";
    if (target.rfind(prefix, 0) == 0) return redis_toolkit::key_slot(target.substr(prefix.size()));
    const std::size_t index = std::stoul(target);
    if (index >= masters_.size())
      throw ValidationError("master " + target + " does not exist: the cluster has " +
                            std::to_string(masters_.size()) + " masters (0.." +
                            std::to_string(masters_.size() - 1) + ")");
    return masters_[index].first_slot();
  }

  /// The node index (local cluster) of the master serving `slot` now.
  std::size_t local_master_of(int slot) const { return local_->master_of_slot(slot); }
  std::string local_address(std::size_t index) const {
    return local_->addresses().at(index).to_string();
  }

  void wait_until_healthy(milliseconds timeout) const {
    if (local_ != nullptr) return local_->wait_until_healthy(timeout);
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      const auto problems = LocalCluster::health_problems(nodes_);
      if (problems.empty()) return;
      if (Clock::now() >= deadline)
        throw ClusterError("not healthy after " + std::to_string(timeout.count()) +
                           " ms: " + problems.front());
      std::this_thread::sleep_for(milliseconds(100));
    }
  }

  /// redis-cli on one node, with the connection's user and password.
  std::string redis_cli(const NodeAddress& node, std::vector<std::string> arguments,
                        milliseconds timeout = milliseconds(3000)) const {
    return rtk::redis_cli(config_, node, std::move(arguments), timeout);
  }

  /// Existing cluster: the address of the master serving `slot`, and of its replica.
  std::pair<NodeAddress, NodeAddress> remote_master_and_replica(int slot) {
    const auto nodes = redis_toolkit::ClusterOperations(toolkit_).get_nodes_info();
    const redis_toolkit::ClusterNodeInfo* master = nullptr;
    for (const auto& node : nodes) {
      if (node.role != "master" || node.failing) continue;
      for (const auto& range : node.slots)
        if (range.first <= slot && slot <= range.last) master = &node;
    }
    if (master == nullptr) throw ClusterError("no master serves slot " + std::to_string(slot));
    for (const auto& node : nodes) {
      if (node.role == "replica" && node.master_id == master->id && !node.failing)
        return {NodeAddress{master->host, master->port}, NodeAddress{node.host, node.port}};
    }
    throw ClusterError("the master serving slot " + std::to_string(slot) + " has no live replica",
                       master->address());
  }

  LocalCluster& cluster() { return *local_; }

private:
  LocalCluster* local_;
  RedisToolkit& toolkit_;
  RedisConnectionConfig config_;
  std::vector<NodeAddress> nodes_;
  std::vector<MasterInfo> masters_;
};

// ---- Sentinel: a deployment rtk started, or one --sentinel names ----

/// The servers an existing deployment's sentinels know, the master first: SENTINEL MASTER and
/// SENTINEL REPLICAS on the first sentinel that answers (redis-cli prints their flat field/value
/// lists one item a line).
std::vector<NodeAddress> servers_named_by(const RedisConnectionConfig& config) {
  RedisConnectionConfig sentinel_login;
  sentinel_login.username = config.sentinel_username;
  sentinel_login.password = config.sentinel_password;
  const auto addresses = [](const std::string& output) {
    std::vector<std::string> items;
    std::istringstream lines(output);
    for (std::string line; std::getline(lines, line);) items.push_back(line);
    std::vector<NodeAddress> found;
    std::string ip;
    for (std::size_t i = 0; i + 1 < items.size(); i += 2) { // field, value, field, value ...
      if (items[i] == "ip") ip = items[i + 1];
      if (items[i] == "port" && !ip.empty())
        found.push_back(NodeAddress{ip, static_cast<std::uint16_t>(std::stoi(items[i + 1]))});
    }
    return found;
  };
  std::string reasons;
  for (const NodeAddress& sentinel : config.sentinels) {
    try {
      std::vector<NodeAddress> servers =
          addresses(redis_cli(sentinel_login, sentinel, {"SENTINEL", "MASTER", config.sentinel_master_name}));
      if (servers.empty()) throw ValidationError("does not monitor '" + config.sentinel_master_name + "'");
      servers.resize(1);
      for (const NodeAddress& replica :
           addresses(redis_cli(sentinel_login, sentinel, {"SENTINEL", "REPLICAS", config.sentinel_master_name})))
        servers.push_back(replica);
      return servers;
    } catch (const std::exception& error) {
      reasons += (reasons.empty() ? "" : "; ") + sentinel.to_string() + ": " + error.what();
    }
  }
  throw redis_toolkit::ConnectionError(config.sentinel_master_name, "SENTINEL MASTER",
                                       "no sentinel told the servers: " + reasons);
}

class SentinelControl {
public:
  SentinelControl(LocalSentinel* local, RedisConnectionConfig config, std::vector<NodeAddress> servers)
      : local_(local), config_(std::move(config)), servers_(std::move(servers)) {}

  bool local() const { return local_ != nullptr; }
  LocalSentinel& deployment() { return *local_; }
  /// Every server, master and replicas (CLIENT KILL goes to each).
  const std::vector<NodeAddress>& servers() const { return servers_; }
  const std::string& master_name() const { return config_.sentinel_master_name; }
  /// redis-cli on one server, with the connection's user and password.
  std::string redis_cli(const NodeAddress& node, std::vector<std::string> arguments) const {
    return rtk::redis_cli(config_, node, std::move(arguments));
  }

  std::vector<std::string> health_problems() const {
    return LocalSentinel::health_problems_at(config_.sentinel_master_name, servers_, config_.sentinels);
  }

  void wait_until_healthy(milliseconds timeout) const {
    if (local_ != nullptr) return local_->wait_until_healthy(timeout);
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      const auto problems = health_problems();
      if (problems.empty()) return;
      if (Clock::now() >= deadline)
        throw redis_toolkit::ConnectionError(master_name(), "health",
                                             "not healthy after " + std::to_string(timeout.count()) +
                                                 " ms: " + problems.front());
      std::this_thread::sleep_for(milliseconds(100));
    }
  }

  /// The master the sentinels name now, "host:port" (an existing deployment).
  std::string remote_master() const {
    RedisConnectionConfig login;
    login.username = config_.sentinel_username;
    login.password = config_.sentinel_password;
    for (const NodeAddress& sentinel : config_.sentinels) {
      try {
        std::istringstream lines(rtk::redis_cli(login, sentinel, {"SENTINEL", "GET-MASTER-ADDR-BY-NAME", master_name()}));
        std::string host, port;
        if (std::getline(lines, host) && std::getline(lines, port) && !port.empty()) return host + ":" + port;
      } catch (const std::exception&) {
        // the next sentinel
      }
    }
    throw redis_toolkit::ConnectionError(master_name(), "SENTINEL", "no sentinel names the master");
  }

  /// SENTINEL FAILOVER on an existing deployment's first answering sentinel; returns the new
  /// master once a sentinel names it.
  std::string remote_failover(milliseconds timeout) const {
    const std::string old_master = remote_master();
    RedisConnectionConfig login;
    login.username = config_.sentinel_username;
    login.password = config_.sentinel_password;
    std::string reply;
    for (const NodeAddress& sentinel : config_.sentinels) {
      try {
        reply = rtk::redis_cli(login, sentinel, {"SENTINEL", "FAILOVER", master_name()});
        break;
      } catch (const std::exception& error) {
        reply = error.what();
      }
    }
    if (reply.rfind("OK", 0) != 0)
      throw redis_toolkit::ConnectionError(master_name(), "SENTINEL FAILOVER", "refused: " + reply);
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      try {
        const std::string now = remote_master();
        if (now != old_master) return now;
      } catch (const std::exception&) {
        // mid-failover: ask again
      }
      if (Clock::now() >= deadline)
        throw redis_toolkit::ConnectionError(master_name(), "SENTINEL FAILOVER",
                                             "no new master within " + std::to_string(timeout.count()) + " ms");
      std::this_thread::sleep_for(milliseconds(50));
    }
  }

private:
  LocalSentinel* local_;
  RedisConnectionConfig config_;
  std::vector<NodeAddress> servers_;
};

// ---- faults ----

class FaultInjector {
public:
  /// Exactly one of `cluster` and `sentinel`: the deployment the faults go to.
  FaultInjector(ClusterControl* cluster, SentinelControl* sentinel, Records& records,
                std::ostream& err, std::vector<FaultRecord>& out)
      : cluster_(cluster), sentinel_(sentinel), records_(records), err_(err), out_(out) {}

  void inject(const FaultSpec& spec) {
    if (sentinel_ != nullptr) {
      // The scenario's load refused the cluster's faults (allowed_on).
      switch (spec.action) {
        case FaultAction::kill_master:
          return guarded(spec, [&](FaultRecord& r) { sentinel_kill_master(r); });
        case FaultAction::restart_killed:
          return guarded(spec, [&](FaultRecord& r) { sentinel_restart_killed(r); });
        case FaultAction::sentinel_failover:
          return guarded(spec, [&](FaultRecord& r) { sentinel_failover(r); });
        case FaultAction::client_kill:
          return guarded(spec, [&](FaultRecord& r) { client_kill(spec, r); });
        default:
          return guarded(spec, [&](FaultRecord&) {
            throw ValidationError("not a fault of a Sentinel deployment");
          });
      }
    }
    switch (spec.action) {
      case FaultAction::kill_master: return guarded(spec, [&](FaultRecord& r) { kill_master(spec, r); });
      case FaultAction::hang_node: return guarded(spec, [&](FaultRecord& r) { hang_node(spec, r); });
      case FaultAction::manual_failover:
        return guarded(spec, [&](FaultRecord& r) { manual_failover(spec.target, r); });
      case FaultAction::restart_killed: return guarded(spec, [&](FaultRecord& r) { restart_killed(r); });
      case FaultAction::client_kill: return guarded(spec, [&](FaultRecord& r) { client_kill(spec, r); });
      case FaultAction::rolling_restart: return rolling_restart(spec);
      case FaultAction::sentinel_failover:
        return guarded(spec, [&](FaultRecord&) {
          throw ValidationError("SENTINEL FAILOVER needs a Sentinel deployment");
        });
    }
  }

private:
  /// Runs one fault into a record of its own; a fault that cannot be injected is recorded so.
  template <typename Body>
  void guarded(const FaultSpec& spec, Body body, const std::string& part_of = {}) {
    FaultRecord record;
    record.action = std::string(action_name(spec.action));
    record.part_of = part_of;
    record.disruptive = spec.action != FaultAction::restart_killed;
    record.master_kill = spec.action == FaultAction::kill_master;
    record.at_ms = records_.now_ms();
    try {
      body(record);
    } catch (const std::exception& error) {
      record.error = error.what();
    }
    if (record.end_ms <= 0) record.end_ms = records_.now_ms(); // the body may end it earlier
    record.end_ms = std::max(record.at_ms, record.end_ms);
    err_ << "failover-sim: " << fixed(record.at_ms / 1000) << " s " << record.action
         << (part_of.empty() ? "" : " (" + part_of + ")") << ": "
         << (record.error.empty() ? record.detail : "NOT INJECTED: " + record.error) << "\n"
         << std::flush;
    out_.push_back(std::move(record));
  }

  /// at_ms is the moment of the fault itself, after the lookups that precede it.
  void mark(FaultRecord& record) { record.at_ms = records_.now_ms(); }

  void kill_master(const FaultSpec& spec, FaultRecord& record) {
    const std::size_t node = control().local_master_of(control().slot_of_target(spec.target));
    record.detail = "kill -9 of master " + control().local_address(node) + " (node " +
                    std::to_string(node) + ")";
    mark(record);
    control().cluster().node(node).kill_hard();
    killed_.push_back(node);
  }

  void hang_node(const FaultSpec& spec, FaultRecord& record) {
    const std::size_t node = control().local_master_of(control().slot_of_target(spec.target));
    record.detail = "SIGSTOP of master " + control().local_address(node) + " for " +
                    fixed(spec.seconds) + " s, then SIGCONT";
    mark(record);
    control().cluster().node(node).pause();
    std::this_thread::sleep_for(seconds_to_ms(spec.seconds));
    control().cluster().node(node).resume();
  }

  void manual_failover(const std::string& target, FaultRecord& record) {
    const int slot = control().slot_of_target(target);
    // A master that does not know its replica yet ignores the request: healthy first.
    control().wait_until_healthy(heal_timeout);
    if (control().local()) {
      const std::size_t master = control().local_master_of(slot);
      const std::size_t replica = control().cluster().replica_of(master);
      record.detail = "CLUSTER FAILOVER: replica " + control().local_address(replica) +
                      " took over from " + control().local_address(master);
      mark(record);
      control().cluster().manual_failover(replica, milliseconds(15000));
      return;
    }
    const auto [master, replica] = control().remote_master_and_replica(slot);
    record.detail = "CLUSTER FAILOVER: replica " + replica.to_string() + " took over from " +
                    master.to_string();
    mark(record);
    const std::string reply = control().redis_cli(replica, {"CLUSTER", "FAILOVER"});
    if (reply.rfind("OK", 0) != 0)
      throw ClusterError("CLUSTER FAILOVER refused: " + reply, replica.to_string());
    const auto deadline = Clock::now() + milliseconds(15000);
    while (control().redis_cli(replica, {"ROLE"}).rfind("master", 0) != 0) {
      if (Clock::now() >= deadline)
        throw ClusterError("the replica did not become master within 15 s", replica.to_string());
      std::this_thread::sleep_for(milliseconds(20));
    }
  }

  void restart_killed(FaultRecord& record) {
    if (killed_.empty()) throw ValidationError("no node was killed before: nothing to restart");
    const std::size_t node = killed_.back();
    record.detail = "restart of " + control().local_address(node) + " (node " +
                    std::to_string(node) + "), which rejoins as a replica";
    mark(record);
    control().cluster().restart_node(node);
    killed_.pop_back();
  }

  void client_kill(const FaultSpec& spec, FaultRecord& record) {
    long long killed = 0;
    std::string types;
    for (const std::string& type : spec.types) types += (types.empty() ? "" : ", ") + type;
    const std::vector<NodeAddress>& nodes = cluster_ ? cluster_->nodes() : sentinel_->servers();
    mark(record);
    for (const NodeAddress& node : nodes) {
      for (const std::string& type : spec.types) {
        try {
          const std::vector<std::string> command = {"CLIENT", "KILL", "TYPE", type};
          killed += std::atoll((cluster_ ? cluster_->redis_cli(node, command)
                                         : sentinel_->redis_cli(node, command))
                                   .c_str());
        } catch (const std::exception&) {
          // a node that is down has no connection to kill
        }
      }
    }
    record.detail = "CLIENT KILL TYPE " + types + " on " + std::to_string(nodes.size()) +
                    " nodes: " + std::to_string(killed) + " connections closed";
  }

  void rolling_restart(const FaultSpec& spec) {
    const std::string part_of = "rolling_restart";
    bool failed = false;
    guarded(FaultSpec{spec.at, FaultAction::manual_failover, "0", 0, "", 0, {}, 0},
            [&](FaultRecord& record) {
              record.action = "rolling_restart";
              record.disruptive = false;
              record.detail = "every master in turn (" + spec.mode + "), " +
                              std::to_string(control().initial_masters().size()) + " masters";
              control().wait_until_healthy(heal_timeout);
            });
    if (!out_.back().error.empty()) return;
    for (std::size_t index = 0; index < control().initial_masters().size() && !failed; ++index) {
      const std::string target = std::to_string(index);
      std::size_t node = 0;
      if (spec.mode == "kill") {
        FaultSpec kill{spec.at, FaultAction::kill_master, target, 0, "", 0, {}, 0};
        guarded(kill, [&](FaultRecord& record) {
          kill_master(kill, record);
          record.end_ms = records_.now_ms();
          node = killed_.back();
          control().wait_until_healthy(heal_timeout); // the replica took over
        }, part_of);
      } else {
        FaultSpec failover{spec.at, FaultAction::manual_failover, target, 0, "", 0, {}, 0};
        guarded(failover, [&](FaultRecord& record) {
          node = control().local_master_of(control().slot_of_target(target));
          manual_failover(target, record);
          record.end_ms = records_.now_ms();
          // As an operator would: every node agrees on the new master before the old one stops.
          // Restarting it at once made the cluster report CLUSTERDOWN for a moment here.
          control().wait_until_healthy(heal_timeout);
        }, part_of);
      }
      if (!out_.back().error.empty()) break;
      guarded(FaultSpec{spec.at, FaultAction::restart_killed, "", 0, "", 0, {}, 0},
              [&](FaultRecord& record) {
                record.action = "restart_node";
                record.detail = "restart of " + control().local_address(node) +
                                ", which rejoins as a replica";
                mark(record);
                control().cluster().restart_node(node);
                record.end_ms = records_.now_ms(); // it answers
                if (!killed_.empty() && killed_.back() == node) killed_.pop_back();
                control().wait_until_healthy(heal_timeout);
              },
              part_of);
      failed = !out_.back().error.empty();
      if (!failed) std::this_thread::sleep_for(seconds_to_ms(spec.pause));
    }
  }

  // ---- Sentinel: the master is the one the sentinels name when the fault happens ----

  std::string server_text(std::size_t index) {
    return sentinel_->deployment().server_addresses().at(index).to_string() + " (server " +
           std::to_string(index) + ")";
  }

  void sentinel_kill_master(FaultRecord& record) {
    if (!sentinel_->local()) throw ValidationError("kill_master needs a deployment rtk started");
    LocalSentinel& deployment = sentinel_->deployment();
    const std::size_t master = deployment.master();
    record.detail = "kill -9 of master " + server_text(master) + ", as the sentinels named it";
    mark(record);
    deployment.server(master).kill_hard();
    killed_.push_back(master);
  }

  /// Rules: the killed server starts again only once the sentinels have promoted another, so that
  /// it rejoins as a replica (started before, it would simply be the master again); and the
  /// restart is done once the deployment is healthy, that server a replica with its link up. The
  /// sentinels convert a returning master only some seconds after it answers, so the run's 5 s
  /// after the last fault count from then, not from its first answer.
  void sentinel_restart_killed(FaultRecord& record) {
    if (killed_.empty()) throw ValidationError("no server was killed before: nothing to restart");
    LocalSentinel& deployment = sentinel_->deployment();
    const std::size_t server = killed_.back();
    const std::size_t master = deployment.wait_for_new_master(server, heal_timeout);
    record.detail = "restart of " + server_text(server) + ", which rejoins as a replica of " +
                    server_text(master);
    mark(record);
    deployment.restart_server(server);
    killed_.pop_back();
    deployment.wait_until_healthy(heal_timeout);
  }

  void sentinel_failover(FaultRecord& record) {
    // The sentinels refuse (NOGOODSLAVE) while no replica is in sync: healthy first.
    sentinel_->wait_until_healthy(heal_timeout);
    if (sentinel_->local()) {
      LocalSentinel& deployment = sentinel_->deployment();
      const std::size_t old_master = deployment.master();
      mark(record);
      const std::size_t new_master = deployment.failover(milliseconds(15000));
      record.detail = "SENTINEL FAILOVER: " + server_text(new_master) + " took over from " +
                      server_text(old_master);
      return;
    }
    const std::string old_master = sentinel_->remote_master();
    mark(record);
    const std::string new_master = sentinel_->remote_failover(milliseconds(15000));
    record.detail = "SENTINEL FAILOVER: " + new_master + " took over from " + old_master;
  }

  ClusterControl& control() { return *cluster_; }

  ClusterControl* cluster_;
  SentinelControl* sentinel_;
  Records& records_;
  std::ostream& err_;
  std::vector<FaultRecord>& out_;
  std::vector<std::size_t> killed_;
};

// ---- the workload ----

struct AsyncLanes {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<bool> busy;
  int in_flight = 0;
};

class WorkloadRunner {
public:
  WorkloadRunner(const Scenario& scenario, std::shared_ptr<Records> records, RedisToolkit& toolkit,
           AsyncRedisToolkit& async_toolkit)
      : scenario_(scenario), w_(scenario.workload), records_(std::move(records)),
        toolkit_(toolkit), async_(async_toolkit) {}

  ~WorkloadRunner() { stop(); }

  void subscribe(const std::vector<ChannelInfo>& channels) {
    channels_ = channels;
    for (std::uint32_t index = 0; index < channels_.size(); ++index) {
      auto records = records_;
      subscriptions_.push_back(toolkit_.subscribe(
          {channels_[index].name},
          [records, index](const std::string&, const Value& message) {
            const double delivered = records->now_ms();
            try {
              const auto& items = message.items();
              if (items.size() != 2) return;
              records->delivery({index, items[0].as_int(), items[1].as_double(), delivered});
            } catch (const std::exception&) {
              // not one of ours
            }
          },
          channels_[index].sharded ? PubSubKind::sharded : PubSubKind::classic));
    }
  }

  void start() {
    const int lanes = w_.writer_lanes();
    // Every sink exists before the first thread: the vector never moves under them.
    std::vector<Sink*> writer_sinks, reader_sinks, publisher_sinks;
    for (int i = 0; i < lanes; ++i) writer_sinks.push_back(&records_->new_sink());
    for (int i = 0; i < w_.readers; ++i) reader_sinks.push_back(&records_->new_sink());
    for (std::size_t i = 0; i < channels_.size(); ++i) publisher_sinks.push_back(&records_->new_sink());

    for (int writer = 0; writer < w_.blocking_writers; ++writer)
      threads_.emplace_back([this, writer, lanes, sink = writer_sinks[writer]] {
        blocking_writer(writer, lanes, *sink);
      });
    for (int writer = 0; writer < w_.async_writers; ++writer) {
      auto lanes_state = std::make_shared<AsyncLanes>();
      lanes_state->busy.assign(static_cast<std::size_t>(w_.async_in_flight), false);
      async_lanes_.push_back(lanes_state);
      const int first_lane = w_.blocking_writers + writer * w_.async_in_flight;
      std::vector<Sink*> sinks(writer_sinks.begin() + first_lane,
                               writer_sinks.begin() + first_lane + w_.async_in_flight);
      threads_.emplace_back([this, lanes_state, first_lane, lanes, sinks] {
        async_writer(*lanes_state, lanes_state, first_lane, lanes, sinks);
      });
    }
    for (int reader = 0; reader < w_.readers; ++reader)
      threads_.emplace_back([this, reader, sink = reader_sinks[reader]] { read_loop(reader, *sink); });
    for (std::uint32_t channel = 0; channel < channels_.size(); ++channel)
      threads_.emplace_back([this, channel, sink = publisher_sinks[channel]] {
        publish_loop(channel, *sink);
      });
  }

  /// Stops every thread and waits for the async writes in flight (bounded).
  void stop() {
    stop_ = true;
    for (std::thread& thread : threads_)
      if (thread.joinable()) thread.join();
    threads_.clear();
  }

  /// After stop(): the messages still on their way arrive, then the subscribers stop.
  void stop_subscribers(milliseconds linger) {
    if (!subscriptions_.empty()) std::this_thread::sleep_for(linger);
    for (auto& subscription : subscriptions_) subscription.stop();
    subscriptions_.clear();
  }

private:
  void record_failure(Sink& sink, OpRecord op, const std::string& what) {
    op.end_ms = records_->now_ms();
    op.outcome = Outcome::failed;
    records_->error(op.kind, op.end_ms, what);
    records_->record(sink, op);
  }

  void blocking_writer(int lane, int lanes, Sink& sink) {
    Pacer pacer(w_.write_rate);
    LaneCursor cursor(lane, lanes, w_.keys);
    const auto wait_timeout = seconds_to_ms(w_.wait_timeout);
    while (!stop_) {
      pacer.wait(stop_);
      if (stop_) break;
      const auto [index, seq] = cursor.next();
      const std::string key = key_name(index);
      const Value value = payload(seq, w_.value_size);
      OpRecord op{records_->now_ms(), 0, static_cast<std::uint32_t>(lane), OpKind::blocking_write,
                  Outcome::ok};
      try {
        KeyState& state = records_->key_states[index];
        if (scenario_.durable) {
          const std::int64_t replicas = toolkit_.setter_durable(key, value, w_.wait_replicas, wait_timeout);
          op.outcome = replicas >= w_.wait_replicas ? Outcome::ok : Outcome::unreplicated;
          if (op.outcome == Outcome::ok) state.durable = seq;
        } else {
          toolkit_.setter(key, value);
        }
        state.acked = seq;
        op.end_ms = records_->now_ms();
        records_->record(sink, op);
      } catch (const std::exception& error) {
        record_failure(sink, op, error_text(error));
      }
    }
  }

  void async_writer(AsyncLanes& lanes_state, const std::shared_ptr<AsyncLanes>& shared_lanes,
                    int first_lane, int lanes, const std::vector<Sink*>& sinks) {
    Pacer pacer(w_.write_rate);
    std::vector<LaneCursor> cursors;
    for (int slot = 0; slot < w_.async_in_flight; ++slot)
      cursors.emplace_back(first_lane + slot, lanes, w_.keys);
    const auto wait_timeout = seconds_to_ms(w_.wait_timeout);
    const bool durable = scenario_.durable;
    const int wait_replicas = w_.wait_replicas;
    std::size_t slot = cursors.size() - 1; // the lane used last
    while (!stop_) {
      pacer.wait(stop_);
      if (stop_) break;
      {
        // The next free lane after the last one used: every lane (hence every key) gets writes,
        // also when one lane at a time is enough for the rate.
        std::unique_lock<std::mutex> lock(lanes_state.mutex);
        const std::size_t count = lanes_state.busy.size();
        for (;;) {
          std::size_t tried = 0;
          while (tried < count && lanes_state.busy[(slot + 1 + tried) % count]) ++tried;
          if (tried < count) {
            slot = (slot + 1 + tried) % count;
            break;
          }
          if (stop_) return drain(lanes_state);
          lanes_state.changed.wait_for(lock, milliseconds(100));
        }
        lanes_state.busy[slot] = true;
        ++lanes_state.in_flight;
      }
      const auto [index, seq] = cursors[slot].next();
      const std::string key = key_name(index);
      const Value value = payload(seq, w_.value_size);
      const OpRecord op{records_->now_ms(), 0, static_cast<std::uint32_t>(first_lane) +
                                                   static_cast<std::uint32_t>(slot),
                        OpKind::async_write, Outcome::ok};
      auto records = records_;
      Sink* sink = sinks[slot];
      // Runs on the completion actor; frees the lane for its next write afterwards.
      auto finish = [records, shared_lanes, sink, slot, index = index, seq = seq](
                        OpRecord done, std::exception_ptr error, bool durable_ack) {
        done.end_ms = records->now_ms();
        if (error) {
          done.outcome = Outcome::failed;
          records->error(done.kind, done.end_ms, describe_exception(error));
        } else {
          KeyState& state = records->key_states[index];
          state.acked = seq;
          if (durable_ack) state.durable = seq;
        }
        records->record(*sink, done);
        std::lock_guard<std::mutex> lock(shared_lanes->mutex);
        shared_lanes->busy[slot] = false;
        --shared_lanes->in_flight;
        shared_lanes->changed.notify_all();
      };
      try {
        if (durable) {
          async_.setter_durable(key, value, wait_replicas, wait_timeout,
                                [finish, op, wait_replicas](Result<std::int64_t> result) {
                                  OpRecord done = op;
                                  if (!result.ok()) return finish(done, result.error(), false);
                                  const bool ack = result.value() >= wait_replicas;
                                  done.outcome = ack ? Outcome::ok : Outcome::unreplicated;
                                  finish(done, nullptr, ack);
                                });
        } else {
          async_.setter(key, value, [finish, op](Result<void> result) {
            finish(op, result.error(), false);
          });
        }
      } catch (...) {
        finish(op, std::current_exception(), false);
      }
    }
    drain(lanes_state);
  }

  /// Waits for the writes in flight: their outcome belongs to the record.
  static void drain(AsyncLanes& lanes_state) {
    std::unique_lock<std::mutex> lock(lanes_state.mutex);
    lanes_state.changed.wait_for(lock, milliseconds(15000),
                                 [&] { return lanes_state.in_flight == 0; });
  }

  void read_loop(int reader, Sink& sink) {
    Pacer pacer(w_.read_rate);
    std::mt19937_64 random(static_cast<std::uint64_t>(reader) * 7919 + 17);
    std::uniform_int_distribution<std::size_t> pick(0, w_.keys - 1);
    while (!stop_) {
      pacer.wait(stop_);
      if (stop_) break;
      OpRecord op{records_->now_ms(), 0, static_cast<std::uint32_t>(reader), OpKind::read, Outcome::ok};
      try {
        (void)toolkit_.getter(key_name(pick(random)));
        op.end_ms = records_->now_ms();
        records_->record(sink, op);
      } catch (const std::exception& error) {
        record_failure(sink, op, error_text(error));
      }
    }
  }

  void publish_loop(std::uint32_t channel, Sink& sink) {
    Pacer pacer(w_.publish_rate);
    const ChannelInfo& info = channels_[channel];
    const PubSubKind kind = info.sharded ? PubSubKind::sharded : PubSubKind::classic;
    for (std::int64_t seq = 1; !stop_; ++seq) {
      pacer.wait(stop_);
      if (stop_) break;
      OpRecord op{records_->now_ms(), 0, channel, OpKind::publish, Outcome::ok};
      try {
        toolkit_.publisher(info.name, Value::list({Value(seq), Value(op.start_ms)}), kind);
        op.end_ms = records_->now_ms();
        records_->record(sink, op);
      } catch (const std::exception& error) {
        record_failure(sink, op, error_text(error));
      }
    }
  }

  const Scenario& scenario_;
  const failover::Workload& w_;
  std::shared_ptr<Records> records_;
  RedisToolkit& toolkit_;
  AsyncRedisToolkit& async_;
  std::vector<ChannelInfo> channels_;
  std::vector<redis_toolkit::Subscription> subscriptions_;
  std::vector<std::shared_ptr<AsyncLanes>> async_lanes_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
};

/// Classic channels, then for each master (slot order) channels whose slots it serves.
std::vector<ChannelInfo> choose_channels(const failover::Workload& w,
                                         const std::vector<MasterInfo>& masters) {
  std::vector<ChannelInfo> channels;
  for (int i = 0; i < w.classic_channels; ++i)
    channels.push_back({"sim:classic:" + std::to_string(i), false, ""});
  for (std::size_t m = 0; m < masters.size(); ++m) {
    int found = 0;
    for (int n = 0; found < w.sharded_channels_per_master && n < 1000000; ++n) {
      std::string name = "sim:sharded:" + std::to_string(m) + ":" + std::to_string(n);
      if (!masters[m].serves(redis_toolkit::key_slot(name))) continue;
      channels.push_back({std::move(name), true, masters[m].address});
      ++found;
    }
  }
  return channels;
}

// ---- health, metrics and progress ----

/// The toolkit's metrics sampled through the run (MetricsSample): the monitor takes one with each
/// health check, the main thread one just before each fault, so that the report can split the
/// toolkit's own figures at the phases' ends.
class MetricsSampler {
public:
  MetricsSampler(RedisToolkit& toolkit, const Records& records) : toolkit_(toolkit), records_(records) {}
  void sample() {
    // The time first: the snapshot counts what was answered by then, at least.
    const double at = records_.now_ms();
    MetricsSample taken = metrics_sample(at, toolkit_.metrics());
    std::lock_guard<std::mutex> lock(mutex_);
    samples_.push_back(std::move(taken));
  }
  /// In the order of their times; after the last sample().
  std::vector<MetricsSample> take() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::sort(samples_.begin(), samples_.end(),
              [](const MetricsSample& a, const MetricsSample& b) { return a.at_ms < b.at_ms; });
    return std::move(samples_);
  }

private:
  RedisToolkit& toolkit_; ///< its router counts the async toolkit's calls too (one router)
  const Records& records_;
  std::mutex mutex_; // the monitor's thread and the main thread both sample
  std::vector<MetricsSample> samples_;
};

class Monitor {
public:
  /// `healthy` asks the deployment once (it may throw: not healthy).
  Monitor(std::function<bool()> healthy, std::shared_ptr<Records> records,
          std::vector<HealthSample>& samples, MetricsSampler& metrics)
      : healthy_(std::move(healthy)), records_(std::move(records)), samples_(samples), metrics_(metrics) {
    thread_ = std::thread([this] { run(); });
  }
  ~Monitor() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

private:
  void run() {
    while (!stop_) {
      const double at = records_->now_ms();
      bool healthy = false;
      try {
        healthy = healthy_();
      } catch (const std::exception&) {
        healthy = false;
      }
      samples_.push_back({at, healthy});
      records_->healthy = healthy;
      try {
        metrics_.sample();
      } catch (const std::exception&) {
        // a snapshot refused (the toolkit closing): the next check takes another
      }
      sleep_until(Clock::now() + health_interval, stop_);
    }
  }

  std::function<bool()> healthy_;
  std::shared_ptr<Records> records_;
  std::vector<HealthSample>& samples_; ///< read after stop()
  MetricsSampler& metrics_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class Progress {
public:
  Progress(std::shared_ptr<Records> records, const std::vector<FaultRecord>& faults,
           std::mutex& faults_mutex, double planned_ms, std::ostream& err)
      : records_(std::move(records)), faults_(faults), faults_mutex_(faults_mutex),
        planned_ms_(planned_ms), err_(err) {
    thread_ = std::thread([this] { run(); });
  }
  ~Progress() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

private:
  void run() {
    auto next = Clock::now() + std::chrono::seconds(1);
    while (!stop_) {
      sleep_until(next, stop_);
      if (stop_) break;
      next += std::chrono::seconds(1);
      print();
    }
  }

  std::string phase() {
    std::lock_guard<std::mutex> lock(faults_mutex_);
    if (faults_.empty()) return "before";
    const double now = records_->now_ms();
    const double last_end = faults_.back().end_ms;
    const double last_error = static_cast<double>(records_->last_data_error_us.load()) / 1000;
    if (records_->healthy && now - last_end > 1000 && now - last_error > 1000) return "after";
    return "during";
  }

  void print() {
    const auto sum = [&](std::atomic<std::uint64_t>* counters, OpKind a, OpKind b) {
      return counters[static_cast<std::size_t>(a)].load() + counters[static_cast<std::size_t>(b)].load();
    };
    const auto one = [&](std::atomic<std::uint64_t>* counters, OpKind kind) {
      return counters[static_cast<std::size_t>(kind)].load();
    };
    err_ << "failover-sim " << std::setw(5) << fixed(records_->now_ms() / 1000) << "/"
         << fixed(planned_ms_ / 1000, 0) << " s  " << std::left << std::setw(6) << phase()
         << std::right << "  writes " << sum(records_->ok, OpKind::blocking_write, OpKind::async_write)
         << " ok " << sum(records_->failed, OpKind::blocking_write, OpKind::async_write)
         << " failed  reads " << one(records_->ok, OpKind::read) << " ok "
         << one(records_->failed, OpKind::read) << " failed  published "
         << one(records_->ok, OpKind::publish) << " delivered " << records_->delivered.load()
         << "  cluster " << (records_->healthy ? "healthy" : "NOT healthy") << "\n"
         << std::flush;
  }

  std::shared_ptr<Records> records_;
  const std::vector<FaultRecord>& faults_;
  std::mutex& faults_mutex_;
  double planned_ms_;
  std::ostream& err_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// ---- the final check of every acknowledged write ----

WriteCheck check_writes(RedisToolkit& toolkit, const std::vector<KeyState>& states,
                        bool durable) {
  WriteCheck check;
  std::vector<std::size_t> indices;
  for (std::size_t index = 0; index < states.size(); ++index) {
    if (states[index].acked > 0 || states[index].durable > 0) indices.push_back(index);
  }
  const auto judge = [&](std::size_t index, const std::optional<Value>& value) {
    const KeyState& state = states[index];
    const std::optional<std::int64_t> seq = value ? payload_seq(*value) : std::nullopt;
    const std::int64_t found = seq.value_or(0);
    const bool lost = state.acked > 0 && found < state.acked;
    const bool durable_lost = durable && state.durable > 0 && found < state.durable;
    check.lost += lost;
    check.durable_lost += durable_lost;
    if ((lost || durable_lost) && check.lost_examples.size() < 10) {
      check.lost_examples.push_back(
          key_name(index) + ": acknowledged #" + std::to_string(state.acked) +
          (durable ? " (by a replica #" + std::to_string(state.durable) + ")" : std::string()) +
          ", read " + (value ? (seq ? "#" + std::to_string(*seq) : std::string("a foreign value"))
                             : std::string("nothing")));
    }
  };
  for (std::size_t index : indices) {
    ++check.keys_written;
    check.durable_keys += durable && states[index].durable > 0;
  }
  for (std::size_t begin = 0; begin < indices.size(); begin += read_back_chunk) {
    const std::size_t end = std::min(indices.size(), begin + read_back_chunk);
    std::vector<std::string> keys;
    for (std::size_t i = begin; i < end; ++i) keys.push_back(key_name(indices[i]));
    std::optional<redis_toolkit::BatchGetResult> values;
    for (int attempt = 0; attempt < 5 && !values; ++attempt) {
      try {
        values = toolkit.batch_get(keys);
      } catch (const std::exception&) {
        std::this_thread::sleep_for(milliseconds(500));
      }
    }
    if (values && values->size() == keys.size()) {
      for (std::size_t i = begin; i < end; ++i) judge(indices[i], (*values)[i - begin].second);
      continue;
    }
    for (std::size_t i = begin; i < end; ++i) { // one by one, what can be read
      try {
        judge(indices[i], toolkit.getter(key_name(indices[i])));
      } catch (const std::exception&) {
        ++check.unverified;
      }
    }
  }
  check.done = true;
  return check;
}

// ---- the command ----

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm parts{};
  gmtime_r(&now, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

std::string machine() {
  std::string text = std::to_string(std::max(1u, std::thread::hardware_concurrency())) + " cores";
  utsname name{};
  if (uname(&name) == 0) text += ", " + std::string(name.sysname) + " " + name.machine;
  return text;
}

std::string joined(const std::vector<NodeAddress>& nodes) {
  std::string text;
  for (const NodeAddress& node : nodes) text += (text.empty() ? "" : ",") + node.to_string();
  return text;
}

Scenario scenario_of(const CliInvocation& invocation) {
  const auto& flags = invocation.flags;
  Scenario scenario = flags.count("scenario") ? load_scenario(flags.at("scenario")) : default_scenario();
  if (flags.count("duration")) scenario.duration = std::stod(flags.at("duration"));
  if (flags.count("durable")) scenario.durable = true;
  try {
    validate_scenario(scenario);
  } catch (const ValidationError& error) {
    // Most likely --duration: name what it collides with.
    throw ValidationError(error.reason() + (flags.count("duration") ? " (with --duration " +
                                                                          flags.at("duration") + ")"
                                                                    : std::string()),
                          error.key());
  }
  return scenario;
}

std::filesystem::path report_directory(const CliInvocation& invocation) {
  const auto found = invocation.flags.find("report-dir");
  const std::filesystem::path directory = found == invocation.flags.end() ? "." : found->second;
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (!std::filesystem::is_directory(directory, error))
    throw ValidationError("--report-dir " + directory.string() + " is not a directory that can be created");
  return directory;
}

} // namespace

int run_failover_sim(const CliInvocation& invocation, CommandStreams& streams) {
  const Scenario scenario = scenario_of(invocation);
  const std::filesystem::path directory = report_directory(invocation);
  const bool sentinel = scenario.deployment == Deployment::sentinel;
  const RedisConnectionConfig& given = invocation.config.connection;
  // Rule: the deployment named on the command line must be the scenario's kind.
  if (sentinel && given.cluster_mode)
    throw ValidationError("scenario " + scenario.name + " runs on Sentinel ([sentinel]): name its "
                          "sentinels with --sentinel H:P,... --master NAME, not --cluster");
  if (!sentinel && given.sentinel_mode())
    throw ValidationError("scenario " + scenario.name + " runs on a cluster: --sentinel needs a "
                          "scenario with a [sentinel] table");
  const bool existing = sentinel ? given.sentinel_mode() : given.cluster_mode;
  if (existing) {
    for (const FaultSpec& fault : scenario.faults) {
      if (!fault.needs_process_control()) continue;
      throw ValidationError(
          "fault " + std::string(action_name(fault.action)) + " at " + fixed(fault.at) +
          " s needs to signal or start redis-server processes, which rtk can do only on a " +
          (sentinel ? "deployment it starts itself: drop --sentinel, or use a scenario with "
                      "sentinel_failover and client_kill only"
                    : "cluster it starts itself: drop --cluster, or use a scenario with "
                      "manual_failover and client_kill only"));
    }
  }

  RedisOptions options = invocation.config.options;
  options.retry_attempts = scenario.toolkit.retry_attempts;
  options.retry_delay = std::chrono::duration<double>(scenario.toolkit.retry_delay);
  options.retry_backoff = scenario.toolkit.retry_backoff;
  // Warnings are expected by the hundred in a failover; they would drown the progress lines.
  if (!invocation.verbose) options.log_level = redis_toolkit::LogLevel::error;
  redis_toolkit::log::apply(options);

  std::ostream& err = streams.err;
  std::optional<LocalCluster> local;
  std::optional<LocalSentinel> local_sentinel;
  RedisConnectionConfig connection = invocation.config.connection;
  std::string cluster_text;
  if (sentinel && !existing) {
    const SentinelSettings& settings = scenario.sentinel;
    err << "failover-sim: starting a local Sentinel deployment (a master, " << settings.replicas
        << " replica(s), " << settings.sentinels << " sentinels, quorum " << settings.quorum
        << ", down-after " << fixed(settings.down_after * 1000, 0) << " ms)\n"
        << std::flush;
    LocalSentinel::Options sentinel_options;
    sentinel_options.master_name = settings.master_name;
    sentinel_options.replicas = settings.replicas;
    sentinel_options.sentinels = settings.sentinels;
    sentinel_options.quorum = settings.quorum;
    sentinel_options.down_after = seconds_to_ms(settings.down_after);
    sentinel_options.failover_timeout = seconds_to_ms(settings.failover_timeout);
    local_sentinel = LocalSentinel::start(sentinel_options); // from this thread, which outlives it
    connection = RedisConnectionConfig{};
    connection.host = "127.0.0.1";
    connection.sentinels = local_sentinel->sentinel_addresses();
    connection.sentinel_master_name = settings.master_name;
    cluster_text = "local Sentinel 1+" + std::to_string(settings.replicas) + ", " +
                   std::to_string(settings.sentinels) + " sentinels (quorum " +
                   std::to_string(settings.quorum) + ", down-after " +
                   fixed(settings.down_after * 1000, 0) + " ms) started by rtk, master '" +
                   settings.master_name + "': servers " + joined(local_sentinel->server_addresses()) +
                   ", sentinels " + joined(local_sentinel->sentinel_addresses());
  } else if (!sentinel && !existing) {
    err << "failover-sim: starting a local cluster (" << scenario.cluster.masters << " masters, "
        << scenario.cluster.replicas_per_master << " replica(s) each, cluster-node-timeout "
        << fixed(scenario.cluster.node_timeout * 1000, 0) << " ms)\n"
        << std::flush;
    LocalCluster::Options cluster_options;
    cluster_options.masters = scenario.cluster.masters;
    cluster_options.replicas_per_master = scenario.cluster.replicas_per_master;
    cluster_options.node_timeout = seconds_to_ms(scenario.cluster.node_timeout);
    local = LocalCluster::start(cluster_options); // from this thread, which outlives it
    connection = RedisConnectionConfig{};
    connection.host = "127.0.0.1";
    connection.cluster_mode = true;
    connection.startup_nodes = local->addresses();
    cluster_text = "local " + std::to_string(scenario.cluster.masters) + "+" +
                   std::to_string(scenario.cluster.masters * scenario.cluster.replicas_per_master) +
                   " started by rtk, cluster-node-timeout " +
                   fixed(scenario.cluster.node_timeout * 1000, 0) + " ms: " +
                   joined(local->addresses());
  }
  connection.connection_timeout = seconds_to_ms(scenario.toolkit.connection_timeout);
  connection.socket_timeout = seconds_to_ms(scenario.toolkit.socket_timeout);
  connection.validate();

  auto records = std::make_shared<Records>(scenario.workload.keys);
  RunLog log;
  log.scenario = scenario;
  log.local_cluster = !existing;
  log.started_at = utc_now();
  log.machine = machine();
  log.writer_lanes = scenario.workload.writer_lanes();

  RedisToolkit toolkit(connection, options);
  AsyncRedisToolkit async_toolkit(connection, options);
  // Both toolkits share one router (same server and options): its figures once, and the pub/sub
  // figures of each toolkit's own subscriptions.
  const auto metrics = MetricsListener::start(invocation, [&] {
    redis_toolkit::ToolkitMetrics total = toolkit.metrics();
    const redis_toolkit::ToolkitMetrics async_part = async_toolkit.metrics();
    total.pubsub_received += async_part.pubsub_received;
    total.pubsub_dropped += async_part.pubsub_dropped;
    total.handler_backlog += async_part.handler_backlog;
    return total;
  }, err);
  // The deployment's control: the cluster's slots and nodes, or the sentinels' servers. A
  // Sentinel deployment has no slots: no masters in slot order, hence classic channels only.
  std::vector<MasterInfo> masters;
  std::vector<NodeAddress> nodes;
  std::optional<ClusterControl> cluster_control;
  std::optional<SentinelControl> sentinel_control;
  std::function<bool()> healthy;
  if (sentinel) {
    if (local_sentinel) {
      nodes = local_sentinel->server_addresses();
    } else {
      nodes = servers_named_by(connection);
      cluster_text = "existing Sentinel deployment (--sentinel " + joined(connection.sentinels) +
                     " --master " + connection.sentinel_master_name + "): servers " + joined(nodes);
    }
    sentinel_control.emplace(local_sentinel ? &*local_sentinel : nullptr, connection, nodes);
    healthy = [&control = *sentinel_control] { return control.health_problems().empty(); };
  } else {
    masters = masters_in_slot_order(toolkit);
    if (local) {
      nodes = local->addresses();
    } else {
      for (const auto& node : redis_toolkit::ClusterOperations(toolkit).get_nodes_info())
        nodes.push_back(NodeAddress{node.host, node.port});
      cluster_text = "existing cluster (--cluster): " + joined(nodes);
    }
    cluster_control.emplace(local ? &*local : nullptr, toolkit, connection, nodes, masters);
    for (const FaultSpec& fault : scenario.faults) {
      if (fault.action == FaultAction::kill_master || fault.action == FaultAction::hang_node ||
          fault.action == FaultAction::manual_failover)
        (void)cluster_control->slot_of_target(fault.target); // a master index beyond the cluster: exit 2
    }
    if (scenario.durable && local &&
        scenario.workload.wait_replicas > scenario.cluster.replicas_per_master)
      throw ValidationError("asks WAIT for " + std::to_string(scenario.workload.wait_replicas) +
                                " replicas, but each master has " +
                                std::to_string(scenario.cluster.replicas_per_master),
                            "workload.wait_replicas");
    healthy = [nodes] { return LocalCluster::health_problems(nodes).empty(); };
  }
  log.cluster = cluster_text;
  const auto wait_until_healthy = [&](milliseconds timeout) {
    if (sentinel_control) sentinel_control->wait_until_healthy(timeout);
    else cluster_control->wait_until_healthy(timeout);
  };
  wait_until_healthy(heal_timeout);
  log.channels = choose_channels(scenario.workload, masters);

  std::vector<FaultRecord> faults;
  std::mutex faults_mutex; // the progress line reads them while faults are injected
  std::vector<FaultRecord> injected;
  err << "failover-sim: scenario " << scenario.name << ", " << fixed(scenario.duration, 0) << " s, "
      << (scenario.durable ? "durable writes (SET + WAIT)" : "plain writes") << ", "
      << scenario.faults.size() << " faults; " << log.cluster << "\n"
      << std::flush;

  double end_ms = 0;
  {
    WorkloadRunner workload(scenario, records, toolkit, async_toolkit);
    workload.subscribe(log.channels);
    std::vector<HealthSample> health;
    records->t0 = Clock::now();
    MetricsSampler metrics_samples(toolkit, *records);
    metrics_samples.sample(); // the start of the "before" phase
    Monitor monitor(healthy, records, health, metrics_samples);
    Progress progress(records, faults, faults_mutex, scenario.duration * 1000, err);
    workload.start();

    FaultInjector injector(cluster_control ? &*cluster_control : nullptr,
                           sentinel_control ? &*sentinel_control : nullptr, *records, err, injected);
    const std::atomic<bool> never{false};
    for (const FaultSpec& spec : scenario.faults) {
      sleep_until(records->t0 + seconds_to_ms(spec.at), never);
      metrics_samples.sample(); // the first is the end of the "before" phase
      const std::size_t before = injected.size();
      injector.inject(spec);
      std::lock_guard<std::mutex> lock(faults_mutex);
      faults.insert(faults.end(), injected.begin() + static_cast<std::ptrdiff_t>(before), injected.end());
    }
    double last_fault_end = 0;
    for (const FaultRecord& fault : injected) last_fault_end = std::max(last_fault_end, fault.end_ms);
    const double run_ms = std::max(scenario.duration * 1000,
                                   injected.empty() ? 0.0 : last_fault_end + settle_after_faults_ms);
    sleep_until(records->t0 + milliseconds(static_cast<long long>(run_ms)), never);

    workload.stop();
    end_ms = records->now_ms();
    metrics_samples.sample(); // the end of the last phase
    workload.stop_subscribers(milliseconds(1000));
    progress.stop();
    monitor.stop();
    log.health = std::move(health);
    log.metrics = metrics_samples.take();
  }
  log.duration_ms = end_ms;
  log.faults = injected;

  err << "failover-sim: workload done; reading every acknowledged write back\n" << std::flush;
  try {
    wait_until_healthy(heal_timeout);
  } catch (const std::exception& error) {
    err << "failover-sim: " << error.what() << "; reading back anyway\n";
  }
  log.writes = check_writes(toolkit, records->key_states, scenario.durable);
  for (auto& sink : records->sinks) {
    std::lock_guard<std::mutex> lock(sink->mutex);
    log.ops.insert(log.ops.end(), sink->ops.begin(), sink->ops.end());
  }
  {
    std::lock_guard<std::mutex> lock(records->errors_mutex);
    log.errors = records->errors;
  }
  {
    std::lock_guard<std::mutex> lock(records->deliveries_mutex);
    log.deliveries = records->deliveries;
  }
  std::sort(log.errors.begin(), log.errors.end(),
            [](const ErrorSample& a, const ErrorSample& b) { return a.at_ms < b.at_ms; });
  if (invocation.verbose) {
    for (const ErrorSample& error : log.errors)
      err << "failover-sim: error at " << fixed(error.at_ms / 1000, 3) << " s ("
          << op_kind_name(error.kind) << "): " << error.error << "\n";
  }
  async_toolkit.cleanup();
  toolkit.cleanup();

  const Report report = analyze(std::move(log));
  streams.out << render_json(report) << "\n" << std::flush;
  const std::filesystem::path file = directory / report_file_name(scenario);
  {
    std::ofstream markdown(file, std::ios::binary | std::ios::trunc);
    markdown << render_markdown(report);
    if (!markdown) err << "failover-sim: could not write " << file.string() << "\n";
  }
  for (const CheckReport& check : report.checks) {
    err << "failover-sim: " << check_status_name(check.status) << ": " << check.name << " ("
        << check.target << "): " << check.measured << "\n";
  }
  err << "failover-sim: report in " << file.string() << "\n" << std::flush;
  return report.all_met ? exit_ok : exit_failure;
}

} // namespace rtk
