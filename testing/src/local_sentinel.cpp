#include "redis_toolkit/local_sentinel.hpp"

#include "local_nodes.hpp"

#include "redis_toolkit/errors.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <thread>
#include <unistd.h>
#include <utility>

namespace redis_toolkit {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using detail::HiredisReply;
using detail::info_field;
using detail::is_text_reply;
using detail::NodeClient;
using detail::remaining_until;
using detail::reply_text;
using std::chrono::milliseconds;

constexpr const char* loopback = "127.0.0.1";
constexpr int sentinel_port_offset = 20000;
constexpr milliseconds query_timeout{500};
constexpr milliseconds poll_interval{100};
constexpr milliseconds process_start_timeout{10000};

std::string join(const std::vector<std::string>& parts) {
  std::string text;
  for (const std::string& part : parts) text += (text.empty() ? "" : "; ") + part;
  return text;
}

void validate(const LocalSentinel::Options& options) {
  auto require = [](bool holds, const std::string& what, const char* field) {
    if (!holds) throw ValidationError(what, field);
  };
  require(options.replicas >= 0 && options.replicas <= 5, "replicas must be 0..5", "replicas");
  require(options.sentinels >= 1 && options.sentinels <= 7, "sentinels must be 1..7", "sentinels");
  require(options.quorum >= 1 && options.quorum <= options.sentinels,
          "quorum must be 1..sentinels", "quorum");
  require(!options.master_name.empty() &&
              options.master_name.find_first_of(" \t\r\n\"") == std::string::npos,
          "master_name must be a non-empty word", "master_name");
  require(options.base_port == 0 ||
              options.base_port + sentinel_port_offset + options.sentinels - 1 <= 65535,
          "base_port leaves no room for the sentinels' ports (base_port + 20000 ...)", "base_port");
  require(options.down_after.count() >= 100, "down_after must be at least 100 ms", "down_after");
  require(options.failover_timeout.count() >= 1000, "failover_timeout must be at least 1000 ms",
          "failover_timeout");
}

/// A flat [field, value, ...] reply (SENTINEL MASTER, each of SENTINEL REPLICAS) as a map.
std::map<std::string, std::string> fields_of(const redisReply* reply) {
  std::map<std::string, std::string> fields;
  if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY) return fields;
  for (std::size_t i = 0; i + 1 < reply->elements; i += 2)
    fields[detail::reply_text(reply->element[i])] = detail::reply_text(reply->element[i + 1]);
  return fields;
}

/// What one sentinel says about the master it watches.
struct SentinelView {
  NodeAddress address;
  bool answering = false;
  std::optional<NodeAddress> master;           ///< GET-MASTER-ADDR-BY-NAME
  std::map<std::string, std::string> master_fields; ///< SENTINEL MASTER
  std::vector<std::map<std::string, std::string>> replicas; ///< SENTINEL REPLICAS
};

SentinelView ask_sentinel(const NodeAddress& address, const std::string& name) {
  SentinelView view;
  view.address = address;
  NodeClient client(address, query_timeout);
  const HiredisReply master = client.command({"SENTINEL", "GET-MASTER-ADDR-BY-NAME", name});
  if (!master) return view;
  view.answering = true;
  if (master->type == REDIS_REPLY_ARRAY && master->elements == 2) {
    view.master = NodeAddress{reply_text(master->element[0]),
                              static_cast<std::uint16_t>(std::atoi(reply_text(master->element[1]).c_str()))};
  }
  view.master_fields = fields_of(client.command({"SENTINEL", "MASTER", name}).get());
  const HiredisReply replicas = client.command({"SENTINEL", "REPLICAS", name});
  if (replicas && replicas->type == REDIS_REPLY_ARRAY)
    for (std::size_t i = 0; i < replicas->elements; ++i)
      view.replicas.push_back(fields_of(replicas->element[i]));
  return view;
}

/// What one server says of its replication (INFO replication); empty when it does not answer.
std::optional<std::string> replication_of(const NodeAddress& address) {
  NodeClient client(address, query_timeout);
  const HiredisReply reply = client.command({"INFO", "replication"});
  if (!is_text_reply(reply)) return std::nullopt;
  return reply_text(reply);
}

bool same_node(const NodeAddress& a, const NodeAddress& b) {
  auto host = [](const std::string& h) { return h == "localhost" ? std::string(loopback) : h; };
  return a.port == b.port && host(a.host) == host(b.host);
}

/// Replicas copy the master at once over the socket: a new replica is in sync in milliseconds.
/// `master_port` is the master's TLS port with Options::tls: replicas then replicate over TLS.
std::vector<std::string> server_arguments(const LocalSentinel::Options& options, int index,
                                          std::uint16_t master_port) {
  std::vector<std::string> arguments{"--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0"};
  if (options.tls) arguments.insert(arguments.end(), {"--tls-replication", "yes"});
  if (index > 0) arguments.insert(arguments.end(), {"--replicaof", loopback, std::to_string(master_port)});
  arguments.insert(arguments.end(), options.extra_args.begin(), options.extra_args.end());
  return arguments;
}

std::string sentinel_config(const LocalSentinel::Options& options, std::uint16_t master_port) {
  const std::string name = options.master_name;
  return "sentinel monitor " + name + " " + loopback + " " + std::to_string(master_port) + " " +
         std::to_string(options.quorum) + "\n" +
         "sentinel down-after-milliseconds " + name + " " + std::to_string(options.down_after.count()) + "\n" +
         "sentinel failover-timeout " + name + " " + std::to_string(options.failover_timeout.count()) + "\n" +
         "sentinel parallel-syncs " + name + " 1\n" +
         // The sentinels reach the servers and each other over TLS, and announce their TLS ports.
         (options.tls ? "tls-replication yes\n" : "");
}

/// Options::tls for one process: each gets a free TLS port of its own.
std::optional<RedisServerProcess::Tls> tls_of(const LocalSentinel::Options& options) {
  std::optional<RedisServerProcess::Tls> tls = options.tls;
  if (tls) tls->port = 0;
  return tls;
}

/// The sentinels' program and the arguments that make it one (see Options::sentinel_binary).
std::string sentinel_program(const LocalSentinel::Options& options) {
  if (!options.sentinel_binary.empty()) return options.sentinel_binary;
  if (auto found = find_redis_sentinel_binary()) return *found;
  return options.binary; // empty: RedisServerProcess finds redis-server
}

/// One server as the deployment's checks see it: `control` is the plain address they query,
/// `named` the address the sentinels name (the TLS one with Options::tls).
struct ServerNode {
  NodeAddress control;
  NodeAddress named;
};

std::vector<ServerNode> plain_nodes(const std::vector<NodeAddress>& servers) {
  std::vector<ServerNode> nodes;
  for (const NodeAddress& server : servers) nodes.push_back(ServerNode{server, server});
  return nodes;
}

std::vector<std::string> health_problems_of(const std::string& master_name,
                                            const std::vector<ServerNode>& servers,
                                            const std::vector<NodeAddress>& sentinels);

} // namespace

LocalSentinel LocalSentinel::start(Options options) {
  validate(options);
  const auto deadline = Clock::now() + options.start_timeout;
  LocalSentinel deployment; // from here on, its destructor cleans up after any failure
  deployment.options_ = options;
  if (options.directory.empty()) {
    deployment.directory_ = detail::make_temporary_directory("rtk-sentinel");
    deployment.owns_directory_ = true;
  } else {
    deployment.directory_ = detail::absolute_path(options.directory);
    deployment.owns_directory_ = detail::create_directory(deployment.directory_);
  }
  auto process_options = [&](std::uint16_t port, const std::string& name) {
    RedisServerProcess::Options process;
    process.binary = options.binary;
    process.port = port;
    process.directory = deployment.directory_ + "/" + name;
    process.keep_directory = options.keep_directory;
    process.start_timeout = std::clamp(remaining_until(deadline), milliseconds{1}, process_start_timeout);
    return process;
  };
  // The port replicas replicate from and sentinels watch: the TLS one with Options::tls.
  auto master_port = [&] {
    const RedisServerProcess& master = deployment.servers_.front();
    return options.tls ? master.tls_port() : master.port();
  };
  for (int index = 0; index <= options.replicas; ++index) {
    const auto port = options.base_port == 0 ? std::uint16_t{0}
                                             : static_cast<std::uint16_t>(options.base_port + index);
    RedisServerProcess::Options server = process_options(port, "server-" + std::to_string(index));
    server.tls = tls_of(options);
    server.extra_args = server_arguments(
        options, index, index == 0 ? std::uint16_t{0} : master_port());
    deployment.servers_.push_back(RedisServerProcess::start(std::move(server)));
  }
  for (int index = 0; index < options.sentinels; ++index) {
    const auto port = options.base_port == 0
                          ? std::uint16_t{0}
                          : static_cast<std::uint16_t>(options.base_port + sentinel_port_offset + index);
    RedisServerProcess::Options sentinel = process_options(port, "sentinel-" + std::to_string(index));
    sentinel.binary = sentinel_program(options);
    sentinel.tls = tls_of(options);
    sentinel.enable_debug_command = false;
    // The sentinel rewrites its file as it learns: a file of its own, in its own directory.
    fs::create_directories(sentinel.directory);
    sentinel.config_file = sentinel.directory + "/sentinel.conf";
    std::ofstream(sentinel.config_file) << sentinel_config(options, master_port());
    sentinel.extra_args = {"--sentinel"};
    deployment.sentinels_.push_back(RedisServerProcess::start(std::move(sentinel)));
  }
  deployment.wait_until_healthy(remaining_until(deadline));
  return deployment;
}

LocalSentinel::LocalSentinel(LocalSentinel&& other) noexcept
    : servers_(std::move(other.servers_)), sentinels_(std::move(other.sentinels_)),
      directory_(std::move(other.directory_)),
      owns_directory_(std::exchange(other.owns_directory_, false)),
      options_(std::move(other.options_)) {
  other.servers_.clear();
  other.sentinels_.clear();
}

LocalSentinel& LocalSentinel::operator=(LocalSentinel&& other) noexcept {
  if (this != &other) {
    release();
    servers_ = std::move(other.servers_);
    sentinels_ = std::move(other.sentinels_);
    other.servers_.clear();
    other.sentinels_.clear();
    directory_ = std::move(other.directory_);
    owns_directory_ = std::exchange(other.owns_directory_, false);
    options_ = std::move(other.options_);
  }
  return *this;
}

LocalSentinel::~LocalSentinel() { release(); }

void LocalSentinel::release() noexcept {
  stop();
  servers_.clear(); // each removes its own subdirectory unless kept
  sentinels_.clear();
  if (owns_directory_ && !options_.keep_directory) {
    std::error_code ignored;
    fs::remove_all(directory_, ignored);
  }
  owns_directory_ = false;
}

std::vector<NodeAddress> LocalSentinel::server_addresses() const {
  std::vector<NodeAddress> result;
  for (const RedisServerProcess& server : servers_) result.push_back(NodeAddress{server.host(), server.port()});
  return result;
}

std::vector<NodeAddress> LocalSentinel::sentinel_addresses() const {
  std::vector<NodeAddress> result;
  for (const RedisServerProcess& sentinel : sentinels_)
    result.push_back(NodeAddress{sentinel.host(), sentinel.port()});
  return result;
}

std::vector<NodeAddress> LocalSentinel::tls_server_addresses() const {
  std::vector<NodeAddress> result;
  for (const RedisServerProcess& server : servers_) result.push_back(NodeAddress{server.host(), server.tls_port()});
  return result;
}

std::vector<NodeAddress> LocalSentinel::tls_sentinel_addresses() const {
  std::vector<NodeAddress> result;
  for (const RedisServerProcess& sentinel : sentinels_)
    result.push_back(NodeAddress{sentinel.host(), sentinel.tls_port()});
  return result;
}

std::size_t LocalSentinel::master() const {
  std::optional<NodeAddress> named;
  for (const NodeAddress& address : sentinel_addresses()) {
    const SentinelView view = ask_sentinel(address, options_.master_name);
    if (!view.answering) continue;
    if (!view.master)
      throw ConnectionError(address.to_string(), "SENTINEL GET-MASTER-ADDR-BY-NAME",
                            "does not know the master '" + options_.master_name + "'");
    if (named && !same_node(*named, *view.master))
      throw ConnectionError(address.to_string(), "SENTINEL GET-MASTER-ADDR-BY-NAME",
                            "names " + view.master->to_string() + ", another sentinel " +
                                named->to_string());
    named = view.master;
  }
  if (!named) throw ConnectionError(sentinel_addresses().front().to_string(), "SENTINEL", "no sentinel answers");
  const auto servers = options_.tls ? tls_server_addresses() : server_addresses();
  for (std::size_t index = 0; index < servers.size(); ++index)
    if (same_node(servers[index], *named)) return index;
  throw ConnectionError(named->to_string(), "SENTINEL", "the sentinels name a server not of this deployment");
}

std::size_t LocalSentinel::wait_for_new_master(std::size_t old_master, milliseconds timeout) const {
  const auto deadline = Clock::now() + timeout;
  std::string last_problem = "the sentinels still name the old master";
  for (;;) {
    try {
      const std::size_t now = master();
      if (now != old_master) return now;
    } catch (const ConnectionError& problem) {
      last_problem = problem.what(); // sentinels disagree mid-failover: ask again
    }
    if (Clock::now() >= deadline)
      throw ConnectionError(server_addresses().at(old_master).to_string(), "failover",
                            "no new master within " + std::to_string(timeout.count()) + " ms: " + last_problem);
    std::this_thread::sleep_for(std::min(poll_interval, remaining_until(deadline)));
  }
}

std::vector<std::string> LocalSentinel::health_problems() const {
  std::vector<ServerNode> servers = plain_nodes(server_addresses());
  if (options_.tls) {
    const std::vector<NodeAddress> named = tls_server_addresses();
    for (std::size_t index = 0; index < servers.size(); ++index) servers[index].named = named[index];
  }
  return health_problems_of(options_.master_name, servers, sentinel_addresses());
}

std::vector<std::string> LocalSentinel::health_problems_at(const std::string& master_name,
                                                           const std::vector<NodeAddress>& servers,
                                                           const std::vector<NodeAddress>& sentinels) {
  return health_problems_of(master_name, plain_nodes(servers), sentinels);
}

namespace {

std::vector<std::string> health_problems_of(const std::string& master_name,
                                            const std::vector<ServerNode>& servers,
                                            const std::vector<NodeAddress>& sentinels) {
  std::vector<std::string> problems;
  std::vector<SentinelView> views;
  for (const NodeAddress& address : sentinels) {
    SentinelView view = ask_sentinel(address, master_name);
    if (view.answering) views.push_back(std::move(view));
  }
  if (views.empty()) return {"no sentinel answers"};
  std::optional<NodeAddress> master;
  for (const SentinelView& view : views) {
    if (!view.master) {
      problems.push_back("sentinel " + view.address.to_string() + " does not know the master");
      continue;
    }
    if (master && !same_node(*master, *view.master))
      problems.push_back("sentinel " + view.address.to_string() + " names master " +
                         view.master->to_string() + ", another " + master->to_string());
    if (!master) master = view.master;
  }
  if (!master) return problems;

  // The servers that answer now, and what each says of its replication.
  std::size_t live_replicas = 0;
  NodeAddress master_control = *master; // a master not of these servers is asked where named
  for (const ServerNode& node : servers) {
    const NodeAddress& server = node.named;
    const auto replication = replication_of(node.control);
    if (same_node(server, *master)) master_control = node.control;
    if (!replication) continue;
    const std::string role = info_field(*replication, "role").value_or("");
    if (same_node(server, *master)) {
      if (role != "master") problems.push_back("the named master " + server.to_string() + " is a " + role);
      continue;
    }
    ++live_replicas;
    const bool follows =
        role == "slave" && info_field(*replication, "master_port").value_or("") == std::to_string(master->port);
    if (!follows)
      problems.push_back("server " + server.to_string() + " does not replicate the master " +
                         master->to_string() + " (role " + role + ")");
    else if (info_field(*replication, "master_link_status").value_or("") != "up")
      problems.push_back("server " + server.to_string() + ": link to the master not up yet");
  }
  if (const auto replication = replication_of(master_control)) {
    const std::string connected = info_field(*replication, "connected_slaves").value_or("0");
    if (connected != std::to_string(live_replicas))
      problems.push_back("the master has " + connected + " replicas connected, " +
                         std::to_string(live_replicas) + " live");
  } else {
    problems.push_back("the named master " + master->to_string() + " does not answer");
  }
  for (const SentinelView& view : views) {
    const std::string who = "sentinel " + view.address.to_string();
    const auto field = [&](const char* name) {
      const auto found = view.master_fields.find(name);
      return found == view.master_fields.end() ? std::string() : found->second;
    };
    if (field("flags") != "master") problems.push_back(who + ": master flags " + field("flags"));
    if (field("num-other-sentinels") != std::to_string(views.size() - 1))
      problems.push_back(who + " knows " + field("num-other-sentinels") + " other sentinels, " +
                         std::to_string(views.size() - 1) + " answer");
    std::size_t replicas_up = 0;
    for (const auto& replica : view.replicas) {
      const auto flags = replica.find("flags");
      replicas_up += flags != replica.end() && flags->second == "slave";
    }
    if (replicas_up != live_replicas)
      problems.push_back(who + " sees " + std::to_string(replicas_up) + " replicas up, " +
                         std::to_string(live_replicas) + " live");
  }
  return problems;
}

} // namespace

void LocalSentinel::wait_until_healthy(milliseconds timeout) const {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const std::vector<std::string> problems = health_problems();
    if (problems.empty()) return;
    if (Clock::now() >= deadline)
      throw ConnectionError(sentinel_addresses().front().to_string(), "wait until healthy",
                            "not healthy within " + std::to_string(timeout.count()) + " ms: " + join(problems));
    std::this_thread::sleep_for(std::min(poll_interval, remaining_until(deadline)));
  }
}

std::size_t LocalSentinel::failover(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  const std::size_t old_master = master();
  for (const NodeAddress& address : sentinel_addresses()) {
    NodeClient client(address, query_timeout);
    const HiredisReply reply = client.command({"SENTINEL", "FAILOVER", options_.master_name});
    if (!reply) continue; // not answering: the next one
    if (reply->type == REDIS_REPLY_ERROR)
      throw ConnectionError(address.to_string(), "SENTINEL FAILOVER", "refused: " + reply_text(reply));
    return wait_for_new_master(old_master, remaining_until(deadline));
  }
  throw ConnectionError(sentinel_addresses().front().to_string(), "SENTINEL FAILOVER", "no sentinel answers");
}

void LocalSentinel::stop() noexcept {
  // Sentinels first: one that sees the servers go would start a failover.
  detail::stop_all(sentinels_);
  detail::stop_all(servers_);
}

// ---- the detached form ----

std::string LocalSentinel::default_detached_directory(std::uint16_t base_port) {
  const char* base = std::getenv("TMPDIR");
  return std::string(base && *base ? base : "/tmp") + "/rtk-sentinel-" + std::to_string(base_port);
}

namespace {

LocalSentinel::Options detached_defaults(LocalSentinel::Options options) {
  if (options.base_port == 0) options.base_port = LocalSentinel::default_detached_base_port;
  options.directory = options.directory.empty()
                          ? LocalSentinel::default_detached_directory(options.base_port)
                          : detail::absolute_path(options.directory);
  return options;
}

std::string daemon_directory(const LocalSentinel::Options& options, std::uint16_t port) {
  return options.directory + "/" + std::to_string(port);
}

} // namespace

std::vector<NodeAddress> LocalSentinel::detached_servers(const Options& given) {
  const Options options = detached_defaults(given);
  std::vector<NodeAddress> result;
  for (int index = 0; index <= options.replicas; ++index)
    result.push_back(NodeAddress{loopback, static_cast<std::uint16_t>(options.base_port + index)});
  return result;
}

std::vector<NodeAddress> LocalSentinel::detached_sentinels(const Options& given) {
  const Options options = detached_defaults(given);
  std::vector<NodeAddress> result;
  for (int index = 0; index < options.sentinels; ++index)
    result.push_back(NodeAddress{
        loopback, static_cast<std::uint16_t>(options.base_port + sentinel_port_offset + index)});
  return result;
}

void LocalSentinel::start_detached(Options given) {
  const Options options = detached_defaults(std::move(given));
  validate(options);
  if (options.tls) throw ValidationError("a detached deployment has no TLS; use LocalSentinel::start", "tls");
  const auto deadline = Clock::now() + options.start_timeout;
  const std::vector<NodeAddress> servers = detached_servers(options);
  const std::vector<NodeAddress> sentinels = detached_sentinels(options);
  std::vector<NodeAddress> all = servers;
  all.insert(all.end(), sentinels.begin(), sentinels.end());
  for (const NodeAddress& address : all) {
    if (redis_answers(address.host, address.port, milliseconds{500}))
      throw ConnectionError(address.to_string(), "start",
                            "a server already answers there (a deployment that is up? see `rtk "
                            "sentinel status` and `rtk sentinel down`)");
    if (!detail::loopback_port_free(address.port))
      throw ConnectionError(address.to_string(), "start", "the port is in use on 127.0.0.1");
  }
  std::string binary = options.binary.empty() ? find_redis_server_binary().value_or("") : options.binary;
  if (binary.empty())
    throw ConnectionError(servers.front().to_string(), "start",
                          "redis-server not found; install it with `apt-get install redis-server`, "
                          "or set RTK_REDIS_SERVER to the binary");
  detail::create_directory(options.directory);
  try {
    for (std::size_t index = 0; index < servers.size(); ++index) {
      RedisServerProcess::Options server;
      server.extra_args = server_arguments(options, static_cast<int>(index), servers.front().port);
      detail::start_daemon(binary, servers[index].port, daemon_directory(options, servers[index].port),
                           server, deadline);
    }
    for (const NodeAddress& address : sentinels) {
      RedisServerProcess::Options sentinel;
      sentinel.enable_debug_command = false;
      const std::string directory = daemon_directory(options, address.port);
      detail::create_directory(directory);
      // A new deployment each time: the sentinel's file starts from the monitor line again.
      sentinel.config_file = directory + "/sentinel.conf";
      std::ofstream(sentinel.config_file, std::ios::trunc) << sentinel_config(options, servers.front().port);
      sentinel.extra_args = {"--sentinel"};
      const std::string sentinel_binary = sentinel_program(options);
      detail::start_daemon(sentinel_binary.empty() ? binary : sentinel_binary, address.port, directory,
                           sentinel, deadline);
    }
    for (;;) {
      const std::vector<std::string> problems = health_problems_at(options.master_name, servers, sentinels);
      if (problems.empty()) break;
      if (Clock::now() >= deadline)
        throw ConnectionError(sentinels.front().to_string(), "start",
                              "not healthy within " + std::to_string(options.start_timeout.count()) +
                                  " ms: " + join(problems));
      std::this_thread::sleep_for(std::min(poll_interval, remaining_until(deadline)));
    }
  } catch (...) {
    stop_detached(options);
    throw;
  }
}

std::size_t LocalSentinel::stop_detached(Options given) {
  const Options options = detached_defaults(std::move(given));
  std::size_t stopped = 0;
  // Sentinels first: one that sees the servers go would start a failover.
  for (const auto& group : {detached_sentinels(options), detached_servers(options)}) {
    std::vector<std::pair<NodeAddress, std::string>> daemons;
    for (const NodeAddress& address : group) daemons.emplace_back(address, daemon_directory(options, address.port));
    stopped += detail::stop_daemons(daemons);
  }
  return stopped;
}

std::vector<LocalSentinelProcessStatus> LocalSentinel::status_of(Options given) {
  const Options options = detached_defaults(std::move(given));
  std::vector<LocalSentinelProcessStatus> result;
  for (const NodeAddress& address : detached_servers(options)) {
    LocalSentinelProcessStatus status;
    status.address = address;
    if (const auto replication = replication_of(address)) {
      status.answering = true;
      const std::string role = info_field(*replication, "role").value_or("");
      status.role = role == "slave" ? "replica" : role;
      status.master_link_up = info_field(*replication, "master_link_status").value_or("") == "up";
    }
    result.push_back(std::move(status));
  }
  for (const NodeAddress& address : detached_sentinels(options)) {
    LocalSentinelProcessStatus status;
    status.address = address;
    const SentinelView view = ask_sentinel(address, options.master_name);
    status.answering = view.answering;
    if (view.answering) status.role = "sentinel";
    if (view.master) status.named_master = view.master->to_string();
    result.push_back(std::move(status));
  }
  return result;
}

} // namespace redis_toolkit
