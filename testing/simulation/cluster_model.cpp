#include "cluster_model.hpp"

#include "redirection_policy.hpp"
#include "retry_policy.hpp"

#include "redis_toolkit/command_request.hpp"
#include "redis_toolkit/key_slot.hpp"
#include "redis_toolkit/logging.hpp"

#include <algorithm>
#include <charconv>
#include <sstream>
#include <stdexcept>

namespace rtk_sim {

using namespace redis_toolkit;
using namespace redis_toolkit::detail;

namespace {

constexpr std::uint16_t first_port = 7000;
constexpr std::int64_t millisecond = 1000; // virtual time counts microseconds

// One way, per batch; an occasional spike reorders replies between connections.
constexpr std::int64_t shortest_latency = 50;
constexpr std::int64_t longest_latency = 800;
constexpr std::int64_t latency_spike = 10 * millisecond;
constexpr double spike_chance = 0.02;
constexpr std::int64_t longest_think = 2 * millisecond; // a caller's pause between operations

constexpr std::int64_t refused_delay = 1 * millisecond; // a dead or unreachable node is noticed
constexpr std::int64_t socket_timeout = 200 * millisecond;
constexpr std::int64_t refresh_interval = 100 * millisecond; // the router's rate limit
constexpr double tryagain_chance = 0.02; // per command in a migrating slot
// Faults last long enough to exhaust some callers' retries and not others'.
constexpr std::int64_t shortest_promotion = 20 * millisecond, longest_promotion = 80 * millisecond;
constexpr std::int64_t shortest_restart = 100 * millisecond, longest_restart = 300 * millisecond;
constexpr std::int64_t shortest_hang = 50 * millisecond, longest_hang = 300 * millisecond;
constexpr std::int64_t shortest_partition = 20 * millisecond, longest_partition = 200 * millisecond;
constexpr std::int64_t shortest_outage = 20 * millisecond, longest_outage = 100 * millisecond;
constexpr double outage_chance = 0.25; // when an outage is drawn: they are rarer than other faults
constexpr std::int64_t shortest_key_move = 200, longest_key_move = 1 * millisecond;

constexpr int max_redirections = 16;

RetryPolicy retry_policy() {
  RetryPolicy policy;
  policy.attempts = 5;
  policy.delay = std::chrono::milliseconds(10);
  policy.backoff = 2.0;
  return policy;
}

/// The router's seeds: the first three masters, as a configuration names a few nodes.
DiscoverySettings discovery_settings(int masters) {
  DiscoverySettings settings;
  for (int node = 0; node < std::min(masters, 3); ++node)
    settings.seeds.push_back(NodeAddress{"127.0.0.1", static_cast<std::uint16_t>(first_port + node)});
  settings.refresh_interval = std::chrono::microseconds(refresh_interval);
  return settings;
}

RouterCoreSettings router_settings(std::size_t connections_per_node) {
  RouterCoreSettings settings;
  settings.cluster = true;
  settings.max_redirections = max_redirections;
  settings.max_connections = connections_per_node;
  settings.server_name = "simulated cluster";
  return settings;
}

std::vector<Reply> failures(std::size_t count, Reply::Type kind, const std::string& server,
                            const std::string& reason) {
  return std::vector<Reply>(count, Reply::failure(kind, server, reason));
}

Reply error_reply(std::string text) {
  Reply reply;
  reply.type = Reply::Type::error;
  reply.text = std::move(text);
  return reply;
}

Reply bulk_reply(std::string bytes) {
  Reply reply;
  reply.type = Reply::Type::string;
  reply.text = std::move(bytes);
  return reply;
}

Reply ok_status() {
  Reply reply;
  reply.type = Reply::Type::status;
  reply.text = "OK";
  return reply;
}

/// `reply` as a server writes it (RESP2).
void encode(const Reply& reply, std::string& out) {
  switch (reply.type) {
  case Reply::Type::nil:
    out += "$-1\r\n";
    return;
  case Reply::Type::status:
    out += "+" + reply.text + "\r\n";
    return;
  case Reply::Type::error:
    out += "-" + reply.text + "\r\n";
    return;
  case Reply::Type::integer:
    out += ":" + std::to_string(reply.integer) + "\r\n";
    return;
  case Reply::Type::string:
    out += "$" + std::to_string(reply.text.size()) + "\r\n" + reply.text + "\r\n";
    return;
  case Reply::Type::array:
    out += "*" + std::to_string(reply.elements.size()) + "\r\n";
    for (const Reply& element : reply.elements) encode(element, out);
    return;
  default: // failures are the client's own words, never on the wire
    throw std::logic_error("a failure reply has no bytes");
  }
}

/// `topology` as CLUSTER SHARDS writes it (RESP2): per shard "slots" and "nodes", per node
/// "port", "ip", "role", "health".
Reply shards_reply(const ClusterTopology& topology) {
  auto array_of = [](std::vector<Reply> elements) {
    Reply reply;
    reply.type = Reply::Type::array;
    reply.elements = std::move(elements);
    return reply;
  };
  auto number = [](std::int64_t value) {
    Reply reply;
    reply.type = Reply::Type::integer;
    reply.integer = value;
    return reply;
  };
  auto described = [&](const NodeAddress& address, const char* role) {
    return array_of({bulk_reply("port"), number(address.port), bulk_reply("ip"),
                     bulk_reply(address.host), bulk_reply("role"), bulk_reply(role),
                     bulk_reply("health"), bulk_reply("online")});
  };
  std::vector<Reply> shards;
  for (const ClusterShard& shard : topology.shards) {
    std::vector<Reply> slots;
    for (const SlotRange& range : shard.slots) {
      slots.push_back(number(range.first));
      slots.push_back(number(range.last));
    }
    std::vector<Reply> nodes{described(shard.master, "master")};
    for (const NodeAddress& replica : shard.replicas) nodes.push_back(described(replica, "replica"));
    shards.push_back(array_of({bulk_reply("slots"), array_of(std::move(slots)),
                               bulk_reply("nodes"), array_of(std::move(nodes))}));
  }
  return array_of(std::move(shards));
}

std::string tag_text(const ClusterModel::Tag& tag) {
  return std::to_string(tag.caller) + "." + std::to_string(tag.index);
}

/// Reads "<digits>" from `text`; throws on anything else, since the model wrote the text itself.
template <typename Number> Number number_in(std::string_view text) {
  Number value{};
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size())
    throw std::runtime_error("not a number: " + std::string(text));
  return value;
}

/// The arguments of the RESP command ("*N\r\n$len\r\narg\r\n...") at `position`; moves past it.
std::vector<std::string_view> read_command(std::string_view bytes, std::size_t& position) {
  auto read_line = [&](char marker) {
    if (position >= bytes.size() || bytes[position] != marker)
      throw std::runtime_error("a batch that is not RESP commands");
    const std::size_t end = bytes.find("\r\n", position);
    const auto value = number_in<std::size_t>(bytes.substr(position + 1, end - position - 1));
    position = end + 2;
    return value;
  };
  std::vector<std::string_view> arguments(read_line('*'));
  for (std::string_view& argument : arguments) {
    const std::size_t length = read_line('$');
    argument = bytes.substr(position, length);
    position += length + 2;
  }
  return arguments;
}

/// A batch as the server reads it. Every SET and GET names its caller's command in its last
/// argument (the SET's value; a GET's extra argument, which the simulated server ignores), so
/// that sends are counted per command.
std::vector<ClusterModel::SentCommand> read_batch(std::string_view bytes) {
  std::vector<ClusterModel::SentCommand> commands;
  std::size_t position = 0;
  while (position < bytes.size()) {
    const std::vector<std::string_view> arguments = read_command(bytes, position);
    ClusterModel::SentCommand command;
    if (arguments.size() == 1 && arguments[0] == "ASKING") {
      commands.push_back(command);
      continue;
    }
    if (arguments.size() != 3 || (arguments[0] != "SET" && arguments[0] != "GET"))
      throw std::runtime_error("the simulated server knows SET, GET and ASKING only");
    command.kind = arguments[0] == "SET" ? ClusterModel::SentCommand::Kind::set
                                         : ClusterModel::SentCommand::Kind::get;
    command.key = number_in<int>(arguments[1].substr(arguments[1].rfind(':') + 1));
    const std::string_view tag = arguments[2];
    const std::size_t dot = tag.find('.');
    command.tag.caller = number_in<std::uint64_t>(tag.substr(0, dot));
    command.tag.index = number_in<std::uint32_t>(tag.substr(dot + 1));
    commands.push_back(command);
  }
  return commands;
}

} // namespace

std::string summary(const SimulationReport& report, int masters) {
  std::ostringstream line;
  line << "seed " << report.seed << ": " << masters * 2 << " nodes, " << report.calls
       << " calls in " << report.operations << " operations, " << report.virtual_seconds
       << " virtual s; MOVED " << report.moved << ", ASK " << report.ask << ", TRYAGAIN "
       << report.tryagain << ", retries " << report.retries << ", topology refreshes "
       << report.refreshes << "; " << report.migrations << " migrations, " << report.failovers
       << " failovers, " << report.hangs << " hangs, " << report.partitions << " partitions, "
       << report.outages << " router outages; "
       << report.failed_calls << " calls failed after a fault; slowest answer "
       << report.slowest_answer_seconds << " s (deadline " << report.deadline_seconds
       << " s), most sends of a call " << report.most_sends;
  return line.str();
}

SimulationSettings small_cluster_under_faults(std::uint64_t seed) {
  SimulationSettings settings;
  settings.seed = seed;
  settings.masters = 3;
  settings.calls = 300000;
  settings.keys = 4096;
  settings.key_tags = 64; // few slots, many keys each: migrations meet traffic
  return settings;
}

ClusterModel::ClusterModel(SimulationSettings settings)
    : settings_(settings), random_(settings.seed), slot_owner_(cluster_slot_count),
      migrating_to_(cluster_slot_count, -1), keys_of_slot_(cluster_slot_count),
      core_(router_settings(settings.connections_per_node), *this),
      discovery_(discovery_settings(settings.masters), core_, *this) {
  const int masters = settings_.masters;
  for (int shard = 0; shard < masters; ++shard) {
    shards_.push_back(Shard{shard, masters + shard, false});
    const int first = shard * cluster_slot_count / masters;
    const int end = (shard + 1) * cluster_slot_count / masters;
    std::fill(slot_owner_.begin() + first, slot_owner_.begin() + end, shard);
  }
  for (int node = 0; node < 2 * masters; ++node)
    nodes_.push_back(Node{static_cast<std::uint16_t>(first_port + node), node % masters});
  for (int key = 0; key < settings_.keys; ++key) {
    KeyData data;
    const std::string id = std::to_string(key);
    data.name = settings_.key_tags > 0
                    ? hash_tag_key("t" + std::to_string(key % settings_.key_tags), id)
                    : "k:" + id;
    data.slot = key_slot(data.name);
    keys_of_slot_[data.slot].push_back(key);
    keys_.push_back(std::move(data));
  }
  knowledge_.resize(keys_.size());
  for (std::uint32_t slot = 0; slot < cluster_slot_count; ++slot)
    if (!keys_of_slot_[slot].empty()) keyed_slots_.push_back(static_cast<std::uint16_t>(slot));
  calls_.emplace_back(); // caller ids count from 1

  // The bounds on sends per command and on an answer's wait. A command is sent once, then again
  // after each redirection it follows and each retry of its operation. A send is answered within
  // one hop: a timeout, or a round trip whose replies may queue behind earlier ones on the
  // connection. An operation retries in rounds, each of which may chain every redirection of one
  // command, each hop after a redirection delay; then come the retry delays and the wait for the
  // first slot table.
  const RetryPolicy policy = retry_policy();
  most_sends_allowed_ = policy.attempts + max_redirections;
  retry_attempts_ = policy.attempts;
  const std::int64_t longest_one_way = latency_spike;
  const std::int64_t hop =
      std::max({socket_timeout, 2 * longest_one_way, longest_one_way + 2 * refused_delay});
  const std::int64_t longest_redirect_wait =
      std::chrono::microseconds(redirect_delay(max_redirections)).count();
  std::int64_t retry_waits = 0;
  for (int attempt = 2; attempt <= policy.attempts; ++attempt)
    retry_waits += static_cast<std::int64_t>(
        retry_delay_before(attempt, policy.delay, policy.backoff).count() * 1e6) + 1;
  // The first table: a discovery, whose queries fail or are answered within a hop each.
  deadline_us_ = refresh_interval + 2 * hop + retry_waits +
                 policy.attempts * (1 + max_redirections) * (hop + longest_redirect_wait);
}

// ---- the event loop ----

void ClusterModel::at(std::int64_t time, std::function<void()> action) {
  std::size_t slot;
  if (free_actions_.empty()) {
    slot = actions_.size();
    actions_.push_back(std::move(action));
  } else {
    slot = free_actions_.back();
    free_actions_.pop_back();
    actions_[slot] = std::move(action);
  }
  queue_.push(Scheduled{time, next_order_++, slot});
}

std::int64_t ClusterModel::random(std::int64_t low, std::int64_t high) {
  return std::uniform_int_distribution<std::int64_t>(low, high)(random_);
}

bool ClusterModel::chance(double probability) {
  return std::uniform_real_distribution<double>(0.0, 1.0)(random_) < probability;
}

std::int64_t ClusterModel::latency() {
  return chance(spike_chance) ? random(longest_latency, latency_spike)
                              : random(shortest_latency, longest_latency);
}

std::string ClusterModel::address_of(int node) const {
  return "127.0.0.1:" + std::to_string(nodes_[node].port);
}

SimulationReport ClusterModel::run() {
  report_.seed = settings_.seed;
  // The router's warnings (a refresh failed during an outage) are the model's faults at work;
  // the report says what happened.
  const redis_toolkit::LogLevel level = redis_toolkit::log::level();
  redis_toolkit::log::set_level(redis_toolkit::LogLevel::error);
  discovery_.start(); // as the router actor does when it starts
  for (std::size_t lane = 0; lane < settings_.callers; ++lane)
    at(random(0, millisecond), [this, lane] { submit_next(lane); });
  if (settings_.resharding || settings_.failovers || settings_.hangs || settings_.partitions ||
      settings_.router_outages)
    at(random(0, settings_.fault_interval_us), [this] { next_disturbance(); });
  while (!queue_.empty()) {
    const Scheduled next = queue_.top();
    queue_.pop();
    now_ = next.at;
    std::function<void()> action = std::move(actions_[next.action]);
    free_actions_.push_back(next.action);
    action();
  }
  problems_kept_ = report_.problems.size() + problems_kept_per_phase; // the end's own, too
  for (std::uint64_t caller = 1; caller < calls_.size(); ++caller)
    if (!calls_[caller].answered) {
      problem("operation " + std::to_string(caller) + " was never answered");
      for (const SentCommand& command : calls_[caller].commands) // its writes may have run
        if (command.kind == SentCommand::Kind::set)
          knowledge_[command.key].possible.push_back(tag_text(command.tag));
    }
  if (core_.pending_calls() != 0)
    problem("the router still holds " + std::to_string(core_.pending_calls()) + " operations");
  if (discovery_.running()) problem("a topology discovery never ended");
  if (!core_.ready()) problem("the router never learned the slot table");
  check_final_state();
  report_.virtual_seconds = static_cast<double>(now_) / 1e6;
  report_.deadline_seconds = static_cast<double>(deadline_us_) / 1e6;
  report_.moved = core_.metrics().redirections_moved;
  report_.ask = core_.metrics().redirections_ask;
  report_.tryagain = core_.metrics().redirections_tryagain;
  report_.refreshes = core_.metrics().topology_refreshes;
  redis_toolkit::log::set_level(level);
  for (std::size_t node = 0; node < core_.node_count(); ++node)
    report_.retries += core_.statistics(static_cast<std::int32_t>(node)).retries;
  return report_;
}

void ClusterModel::problem(const std::string& text) {
  ++report_.problem_count;
  if (report_.problems.size() < problems_kept_)
    report_.problems.push_back("at " + std::to_string(now_) + " us: " + text);
}

// ---- callers ----

void ClusterModel::submit_next(std::size_t lane) {
  if (commands_submitted_ >= settings_.calls) return;
  const std::uint64_t caller = calls_.size();
  Call call;
  call.lane = lane;
  call.submitted = now_;
  CommandRequest request;
  request.retry = retry_policy();
  const auto wanted = random(1, settings_.most_commands);
  for (std::int64_t i = 0; i < wanted; ++i) {
    int key = -1;
    for (int tries = 0; tries < 4 && key < 0; ++tries) {
      key = static_cast<int>(random(0, settings_.keys - 1));
      if (knowledge_[key].busy) key = -1;
    }
    if (key < 0) continue;
    knowledge_[key].busy = true;
    SentCommand command;
    command.kind = chance(0.5) ? SentCommand::Kind::set : SentCommand::Kind::get;
    command.key = key;
    command.tag = Tag{caller, static_cast<std::uint32_t>(call.commands.size())};
    const std::string tag = tag_text(command.tag);
    request.add({command.kind == SentCommand::Kind::set ? "SET" : "GET", keys_[key].name, tag},
                keys_[key].slot);
    call.commands.push_back(command);
  }
  if (call.commands.empty()) { // every key it drew is in use: try again shortly
    at(now_ + random(1, millisecond), [this, lane] { submit_next(lane); });
    return;
  }
  call.sends.assign(call.commands.size(), 0);
  call.faulted.assign(call.commands.size(), false);
  call.redirected_to.assign(call.commands.size(), -1);
  call.retryable_failures.assign(call.commands.size(), 0);
  call.redirected_by_ask.assign(call.commands.size(), false);
  call.redirected_epoch.assign(call.commands.size(), 0);
  commands_submitted_ += call.commands.size();
  calls_.push_back(std::move(call));
  core_.submit(request, caller);
}

void ClusterModel::answer(std::uint64_t caller, std::vector<Reply>&& replies) {
  if (caller == 0 || caller >= calls_.size()) {
    problem("an answer for operation " + std::to_string(caller) + ", which was never submitted");
    return;
  }
  Call& call = calls_[caller];
  if (call.answered) {
    problem("operation " + std::to_string(caller) + " was answered twice");
    return;
  }
  call.answered = true;
  ++report_.operations;
  check_answer(call, caller, replies);
  for (const SentCommand& command : call.commands) knowledge_[command.key].busy = false;
  call.commands = {};
  call.sends = {};
  call.faulted = {};
  call.redirected_to = {};
  call.retryable_failures = {};
  call.redirected_by_ask = {};
  call.redirected_epoch = {};
  const std::size_t lane = call.lane;
  at(now_ + random(0, longest_think), [this, lane] { submit_next(lane); });
}

/// The invariants of one answer: its size and order, each value against what the model knows
/// was acknowledged, the sends per command, the time it took, and no failure without a fault.
void ClusterModel::check_answer(Call& call, std::uint64_t caller, std::vector<Reply>& replies) {
  const std::string name = "operation " + std::to_string(caller);
  const std::int64_t waited = now_ - call.submitted;
  report_.slowest_answer_seconds =
      std::max(report_.slowest_answer_seconds, static_cast<double>(waited) / 1e6);
  if (waited > deadline_us_)
    problem(name + " was answered after " + std::to_string(waited) + " us, past its deadline of " +
            std::to_string(deadline_us_) + " us");
  if (replies.size() != call.commands.size()) {
    problem(name + " got " + std::to_string(replies.size()) + " replies for " +
            std::to_string(call.commands.size()) + " commands");
    return;
  }
  for (std::size_t i = 0; i < replies.size(); ++i) {
    const SentCommand& command = call.commands[i];
    const Reply& reply = replies[i];
    KeyKnowledge& known = knowledge_[command.key];
    const std::string what = name + " command " + std::to_string(i) + " (" +
                             (command.kind == SentCommand::Kind::set ? "SET " : "GET ") +
                             keys_[command.key].name + ")";
    ++report_.calls;
    report_.most_sends = std::max(report_.most_sends, call.sends[i]);
    if (call.sends[i] > most_sends_allowed_)
      problem(what + " was sent " + std::to_string(call.sends[i]) + " times");
    if (reply.is_failure() || reply.is_error()) {
      ++report_.failed_calls;
      if (!call.faulted[i])
        problem(what + " failed though it met no fault: " + reply.text);
      // It may have run before the fault: its value is one the key may now hold.
      if (command.kind == SentCommand::Kind::set) known.possible.push_back(tag_text(command.tag));
      continue;
    }
    if (command.kind == SentCommand::Kind::set) {
      if (!reply.is_ok())
        problem(what + " was answered " + Reply::type_name(reply.type) + " " + reply.text);
      known.possible.assign(1, tag_text(command.tag));
      known.may_be_absent = false;
    } else if (reply.is_nil()) {
      if (!known.may_be_absent) problem(what + " read nothing, but a value was acknowledged");
    } else if (!reply.is_string() || std::find(known.possible.begin(), known.possible.end(),
                                               reply.text) == known.possible.end()) {
      problem(what + " read " + Reply::type_name(reply.type) + " \"" + reply.text +
              "\", which is no value acknowledged for it");
    }
  }
}

ClusterModel::Call* ClusterModel::call_of(const Tag& tag) {
  return tag.caller < calls_.size() && !calls_[tag.caller].answered ? &calls_[tag.caller] : nullptr;
}

void ClusterModel::mark_faulted(const std::vector<Tag>& tags) {
  for (const Tag& tag : tags)
    if (Call* call = call_of(tag)) call->faulted[tag.index] = true;
}

// ---- RouterPort ----

void ClusterModel::parts_queued() {
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  at(now_, [this] { // after the events already due now, as the actor handles its mailbox first
    flush_scheduled_ = false;
    core_.flush();
  });
}

void ClusterModel::start_timer(RouterTimer timer, std::uint64_t id, RouterClock::duration after) {
  const auto wait = std::chrono::ceil<std::chrono::microseconds>(after).count();
  at(now_ + wait, [this, timer, id] { core_.timer_fired(timer, id); });
}

void ClusterModel::topology_needed() { discovery_.need(); }

void ClusterModel::refresh_topology() { discovery_.refresh(); }

// ---- DiscoveryPort ----

void ClusterModel::query(std::uint64_t query, DiscoveryTarget target,
                         std::vector<std::string> command) {
  if (target.kind != DiscoveryTarget::Kind::node || command.size() != 2 ||
      command[0] != "CLUSTER" || command[1] != "SHARDS") {
    problem("discovery asked a simulated node something other than CLUSTER SHARDS");
    return;
  }
  const int node = core_.address(static_cast<std::int32_t>(target.index)).port - first_port;
  auto fail = [this, query](std::string reason) {
    discovery_.take_reply(query, Reply::failure(Reply::Type::connection_failed,
                                                "simulated node", std::move(reason)));
  };
  auto reachable = [this, node] {
    return !nodes_[node].down && now_ >= nodes_[node].unreachable_until;
  };
  if (!reachable()) {
    at(now_ + refused_delay, [fail] { fail("Connection refused"); });
    return;
  }
  at(now_ + latency(), [this, node, query, fail, reachable] {
    if (!reachable()) return fail("Connection reset by peer");
    if (now_ < nodes_[node].hung_until) {
      at(now_ + socket_timeout, [fail] { fail("timed out"); });
      return;
    }
    // What the cluster is now; by the time it lands it may be out of date.
    at(now_ + latency(), [this, query, described = shards_reply(truth())] {
      discovery_.take_reply(query, described);
    });
  });
}

void ClusterModel::start_refresh_timer(RouterClock::duration after) {
  const auto wait = std::chrono::ceil<std::chrono::microseconds>(after).count();
  at(now_ + wait, [this] { discovery_.timer_fired(); });
}

void ClusterModel::discovery_ended() {
  // The table may have changed: a redirection given before it no longer binds the next send.
  ++topology_epoch_;
}

void ClusterModel::master_moved(const NodeAddress&) {
  problem("a simulated cluster has no sentinels, yet discovery says the master moved");
}

RouterClock::time_point ClusterModel::now() {
  return RouterClock::time_point(std::chrono::microseconds(now_));
}

ClusterModel::Connection& ClusterModel::connection(ConnectionRef ref) {
  const std::size_t index = static_cast<std::size_t>(ref.node) * core_.pool_size() + ref.index;
  if (index >= connections_.size()) connections_.resize(index + 1);
  return connections_[index];
}

int ClusterModel::node_of(ConnectionRef ref) const {
  return core_.address(ref.node).port - first_port;
}

void ClusterModel::send(ConnectionRef ref, CommandBatch&& batch, std::uint64_t part) {
  std::vector<SentCommand> commands = read_batch(batch.encoded);
  if (commands.size() != batch.count)
    problem("a batch of " + std::to_string(commands.size()) + " commands counted " +
            std::to_string(batch.count));
  std::vector<Tag> tags;
  bool asking = false;
  for (const SentCommand& command : commands) {
    if (command.kind == SentCommand::Kind::asking) {
      asking = true;
      continue;
    }
    if (Call* call = call_of(command.tag)) {
      ++call->sends[command.tag.index];
      // Each retry round sends a failed command once more; the policy allows `attempts` rounds.
      if (call->retryable_failures[command.tag.index] >= retry_attempts_)
        problem("command " + tag_text(command.tag) + " sent again after " +
                std::to_string(call->retryable_failures[command.tag.index]) +
                " failures; the retry policy allows " + std::to_string(retry_attempts_) +
                " attempts");
      check_redirection_followed(*call, command, node_of(ref), asking);
    } else {
      problem("operation " + std::to_string(command.tag.caller) + " sent after its answer");
    }
    asking = false;
    tags.push_back(command.tag);
  }
  Connection& line = connection(ref);
  // A connection delivers in order: a batch arrives no earlier than the one sent before it.
  const std::int64_t arrival = std::max(now_ + latency(), line.last_arrival);
  line.last_arrival = arrival;
  line.in_flight.emplace(part, std::move(tags));
  at(arrival, [this, ref, part, generation = line.generation, commands = std::move(commands),
               sent = now_] { serve(ref, part, generation, commands, sent); });
}

/// A redirection is followed: after an ASK the command's next send goes to the node it named,
/// behind ASKING; after a MOVED, to the node it named unless the router was handed a topology
/// since (which may name another owner by then). Only then may the router look elsewhere.
void ClusterModel::check_redirection_followed(Call& call, const SentCommand& command, int node,
                                              bool asking) {
  const std::uint32_t index = command.tag.index;
  const int target = call.redirected_to[index];
  if (target < 0) {
    if (asking) problem("operation " + tag_text(command.tag) + " sent behind ASKING unasked");
    return;
  }
  call.redirected_to[index] = -1;
  const std::string what = "command " + tag_text(command.tag);
  if (call.redirected_by_ask[index]) {
    if (node != target || !asking)
      problem(what + " was told ASK " + address_of(target) + " and went to " + address_of(node) +
              (asking ? " behind ASKING" : " without ASKING"));
    return;
  }
  if (asking) problem(what + " was told MOVED and went behind ASKING");
  if (node != target && call.redirected_epoch[index] == topology_epoch_)
    problem(what + " was told MOVED " + address_of(target) + " and went to " + address_of(node));
}

void ClusterModel::retryable_failures_received(const std::vector<Tag>& tags) {
  for (const Tag& tag : tags)
    if (Call* call = call_of(tag)) ++call->retryable_failures[tag.index];
}

/// Books a redirection the server gave; it counts once the router receives the reply (a reply
/// lost with its connection redirects nothing).
void ClusterModel::redirected(const SentCommand& command, int target, bool ask) {
  serving_redirections_.push_back(Redirected{command.tag, target, ask});
}

void ClusterModel::redirections_received(const std::vector<Redirected>& redirections) {
  for (const Redirected& each : redirections) {
    Call* call = call_of(each.tag);
    if (call == nullptr) continue;
    call->redirected_to[each.tag.index] = each.target;
    call->redirected_by_ask[each.tag.index] = each.ask;
    call->redirected_epoch[each.tag.index] = topology_epoch_;
  }
}

// ---- the simulated servers ----

void ClusterModel::serve(ConnectionRef ref, std::uint64_t part, std::uint64_t generation,
                         const std::vector<SentCommand>& commands, std::int64_t sent) {
  Connection& line = connection(ref);
  if (line.generation != generation) return; // the connection ended: the batch never arrives
  const int node = node_of(ref);
  const Node& state = nodes_[node];
  if (state.down || now_ < state.unreachable_until) {
    mark_faulted(line.in_flight[part]);
    if (chance(0.5)) {
      at(now_ + refused_delay, [this, ref, generation] { end_connection(ref, generation); });
      return;
    }
    deliver(ref, part, generation,
            failures(commands.size(), Reply::Type::connection_failed, address_of(node),
                     "connection refused"),
            now_ + refused_delay, {}, line.in_flight[part]);
    return;
  }
  if (now_ < state.hung_until) { // the node executes nothing; the router's socket times out
    mark_faulted(line.in_flight[part]);
    deliver(ref, part, generation,
            failures(commands.size(), Reply::Type::timed_out, address_of(node), "no reply in time"),
            sent + socket_timeout, {}, line.in_flight[part]);
    return;
  }
  std::vector<Reply> replies;
  replies.reserve(commands.size());
  serving_redirections_.clear();
  serving_retryable_.clear();
  bool asking = false;
  for (const SentCommand& command : commands) {
    if (command.kind == SentCommand::Kind::asking) {
      replies.push_back(ok_status());
      asking = true;
      continue;
    }
    replies.push_back(serve_command(node, command, asking));
    asking = false;
  }
  deliver(ref, part, generation, std::move(replies), now_ + latency(),
          std::move(serving_redirections_), std::move(serving_retryable_));
  serving_redirections_.clear();
  serving_retryable_.clear();
}

/// One SET or GET on `node` by the cluster's rules for its key's slot.
Reply ClusterModel::serve_command(int node, const SentCommand& command, bool asking) {
  KeyData& key = keys_[command.key];
  const int owner = slot_owner_[key.slot];
  const int importer = migrating_to_[key.slot];
  const int shard = nodes_[node].shard;
  const bool is_master = shards_[shard].master == node;
  const bool owns = is_master && shard == owner;
  if (owns && importer >= 0 && !(key.exists && !key.moved)) {
    redirected(command, shards_[importer].master, true);
    return error_reply("ASK " + std::to_string(key.slot) + " " +
                           address_of(shards_[importer].master));
  }
  const bool imports = is_master && shard == importer && asking;
  auto fault = [&](const std::string& text) { // TRYAGAIN, CLUSTERDOWN: the router retries them
    if (Call* call = call_of(command.tag)) call->faulted[command.tag.index] = true;
    serving_retryable_.push_back(command.tag);
    return error_reply(text);
  };
  if (!owns && !imports) {
    if (nodes_[shards_[owner].master].down && settings_.transient_errors)
      return fault("CLUSTERDOWN The cluster is down");
    redirected(command, shards_[owner].master, false);
    return error_reply("MOVED " + std::to_string(key.slot) + " " +
                           address_of(shards_[owner].master));
  }
  if (importer >= 0 && settings_.transient_errors && chance(tryagain_chance))
    return fault("TRYAGAIN Multiple keys request during rehashing of slot");
  if (command.kind == SentCommand::Kind::set) {
    key.exists = true;
    key.moved = imports;
    key.value = tag_text(command.tag);
    return ok_status();
  }
  const bool present = imports ? key.exists && key.moved : key.exists;
  return present ? bulk_reply(key.value) : Reply();
}

void ClusterModel::deliver(ConnectionRef ref, std::uint64_t part, std::uint64_t generation,
                           std::vector<Reply> replies, std::int64_t when,
                           std::vector<Redirected> redirections, std::vector<Tag> retryable) {
  Connection& line = connection(ref);
  when = std::max(when, line.last_delivery); // and replies come back in order
  line.last_delivery = when;
  at(when, [this, ref, part, generation, replies = std::move(replies),
            redirections = std::move(redirections), retryable = std::move(retryable)]() mutable {
    Connection& line = connection(ref);
    if (line.generation != generation) return; // the router failed the part when it ended
    line.in_flight.erase(part);
    redirections_received(redirections);
    retryable_failures_received(retryable);
    if (!replies.empty() && replies.front().is_failure()) {
      if (line.machine) line.machine->lost(); // refused or timed out: the actor drops the socket
      core_.take_part(part, replies);
      return;
    }
    std::vector<Reply> received = through_connection(line, replies);
    core_.take_part(part, received);
  });
}

/// The replies as the router gets them: encoded, cut in two at a random point, fed to the
/// connection's machine (which logs a new socket in first) and decoded again.
std::vector<Reply> ClusterModel::through_connection(Connection& line,
                                                    const std::vector<Reply>& replies) {
  if (!line.machine) line.machine = std::make_unique<ConnectionMachine>(ConnectionMachine::Limits{});
  ConnectionMachine& machine = *line.machine;
  const auto at = ConnectionMachine::Clock::time_point(std::chrono::microseconds(now_));
  std::string bytes;
  if (!machine.open()) { // a new socket: the login (a PING) is answered first
    machine.connecting();
    machine.connected(1, at);
    bytes = "+PONG\r\n";
  }
  for (const Reply& reply : replies) encode(reply, bytes);
  std::vector<Reply> received;
  auto drain = [&] {
    Reply reply;
    for (;;) {
      const ConnectionMachine::Step step = machine.next(reply);
      if (step.kind == ConnectionMachine::Step::Kind::nothing) return;
      if (step.kind == ConnectionMachine::Step::Kind::login_refused)
        problem("the connection refused a login the server accepted: " + step.reason);
      if (step.kind == ConnectionMachine::Step::Kind::reply) received.push_back(std::move(reply));
    }
  };
  const auto cut = static_cast<std::size_t>(random(0, static_cast<std::int64_t>(bytes.size())));
  try {
    machine.feed(bytes.data(), cut, at);
    drain();
    machine.feed(bytes.data() + cut, bytes.size() - cut, at);
    drain();
  } catch (const std::exception& error) {
    problem(std::string("the connection could not decode what the server sent: ") + error.what());
  }
  if (!machine.ready() || received.size() != replies.size()) {
    problem("the connection decoded " + std::to_string(received.size()) + " of " +
            std::to_string(replies.size()) + " replies" +
            (machine.ready() ? "" : ", and is not logged in"));
    return replies;
  }
  for (std::size_t i = 0; i < replies.size(); ++i)
    if (received[i].type != replies[i].type || received[i].text != replies[i].text)
      problem("the connection decoded reply " + std::to_string(i) + " as another");
  return received;
}

void ClusterModel::end_connection(ConnectionRef ref, std::uint64_t generation) {
  Connection& line = connection(ref);
  if (line.generation != generation) return;
  ++line.generation;
  if (line.machine) line.machine->lost();
  for (const auto& [part, tags] : line.in_flight) {
    mark_faulted(tags);
    retryable_failures_received(tags); // the router fails them as lost
  }
  line.in_flight.clear();
  core_.connection_ended(ref);
}

/// What CLUSTER SHARDS would say now: each shard's master, its replica when up, its slots.
ClusterTopology ClusterModel::truth() const {
  ClusterTopology topology;
  for (const Shard& shard : shards_) {
    ClusterShard described;
    described.master = NodeAddress{"127.0.0.1", nodes_[shard.master].port};
    if (!nodes_[shard.replica].down)
      described.replicas.push_back(NodeAddress{"127.0.0.1", nodes_[shard.replica].port});
    topology.shards.push_back(std::move(described));
  }
  std::uint32_t first = 0;
  for (std::uint32_t slot = 1; slot <= cluster_slot_count; ++slot)
    if (slot == cluster_slot_count || slot_owner_[slot] != slot_owner_[first]) {
      topology.shards[slot_owner_[first]].slots.push_back(
          SlotRange{static_cast<std::uint16_t>(first), static_cast<std::uint16_t>(slot - 1)});
      first = slot;
    }
  return topology;
}

// ---- resharding and faults ----

void ClusterModel::next_disturbance() {
  if (commands_submitted_ >= settings_.calls) return; // the load is over: let the cluster settle
  std::vector<int> kinds;
  if (settings_.resharding) kinds.insert(kinds.end(), 3, 0); // the most frequent
  if (settings_.failovers) kinds.push_back(1);
  if (settings_.hangs) kinds.push_back(2);
  if (settings_.partitions) kinds.push_back(3);
  if (settings_.router_outages) kinds.push_back(4);
  const int kind = kinds[random(0, static_cast<std::int64_t>(kinds.size()) - 1)];
  if (kind == 0) start_migration();
  else if (kind == 4) {
    if (chance(outage_chance)) cut_off_router();
  } else if (faults_running_ < settings_.most_faults) {
    const int master = fault_free_master();
    if (master >= 0 && kind == 1) fail_over(nodes_[master].shard);
    else if (master >= 0) isolate(master, kind == 2);
  }
  const std::int64_t mean = settings_.fault_interval_us;
  at(now_ + random(mean / 2, mean + mean / 2), [this] { next_disturbance(); });
}

void ClusterModel::start_migration() {
  if (migrations_running_ >= settings_.most_migrations || keyed_slots_.empty() ||
      shards_.size() < 2)
    return;
  const std::uint16_t slot =
      keyed_slots_[random(0, static_cast<std::int64_t>(keyed_slots_.size()) - 1)];
  if (migrating_to_[slot] >= 0) return;
  const int source = slot_owner_[slot];
  int target = static_cast<int>(random(0, static_cast<std::int64_t>(shards_.size()) - 2));
  if (target >= source) ++target;
  migrating_to_[slot] = target; // the source MIGRATING, the target IMPORTING
  ++migrations_running_;
  ++report_.migrations;
  at(now_ + random(shortest_key_move, longest_key_move), [this, slot] { migrate_step(slot); });
}

/// Moves one key of a migrating slot to its target; with none left, hands the slot over.
void ClusterModel::migrate_step(std::uint16_t slot) {
  for (int key : keys_of_slot_[slot]) {
    KeyData& data = keys_[key];
    if (data.exists && !data.moved) {
      data.moved = true;
      at(now_ + random(shortest_key_move, longest_key_move), [this, slot] { migrate_step(slot); });
      return;
    }
  }
  slot_owner_[slot] = migrating_to_[slot];
  migrating_to_[slot] = -1;
  for (int key : keys_of_slot_[slot]) keys_[key].moved = false;
  --migrations_running_;
}

int ClusterModel::fault_free_master() {
  const int master = shards_[random(0, static_cast<std::int64_t>(shards_.size()) - 1)].master;
  const Node& node = nodes_[master];
  const bool faulty = node.down || now_ < node.unreachable_until || now_ < node.hung_until ||
                      shards_[node.shard].failing_over;
  return faulty ? -1 : master;
}

/// The master goes down; its replica, holding every write it acknowledged, is promoted; later the
/// old master comes back as the replica.
void ClusterModel::fail_over(int shard) {
  Shard& failing = shards_[shard];
  if (nodes_[failing.replica].down) return;
  failing.failing_over = true;
  nodes_[failing.master].down = true;
  ++faults_running_;
  ++report_.failovers;
  const std::int64_t promoted = now_ + random(shortest_promotion, longest_promotion);
  at(promoted, [this, shard] { std::swap(shards_[shard].master, shards_[shard].replica); });
  at(promoted + random(shortest_restart, longest_restart), [this, shard] {
    nodes_[shards_[shard].replica].down = false;
    shards_[shard].failing_over = false;
    --faults_running_;
  });
}

/// The node hangs (the router's socket times out) or is unreachable (connections are refused
/// or drop) for a while, then is as it was.
void ClusterModel::isolate(int node, bool hang) {
  const std::int64_t until = now_ + (hang ? random(shortest_hang, longest_hang)
                                          : random(shortest_partition, longest_partition));
  (hang ? nodes_[node].hung_until : nodes_[node].unreachable_until) = until;
  ++(hang ? report_.hangs : report_.partitions);
  ++faults_running_;
  at(until, [this] { --faults_running_; });
}

/// The router's own network fails: every node is unreachable for a while, so that every
/// discovery query fails too and the router must find the cluster again afterwards.
void ClusterModel::cut_off_router() {
  const std::int64_t until = now_ + random(shortest_outage, longest_outage);
  for (Node& node : nodes_) node.unreachable_until = std::max(node.unreachable_until, until);
  ++report_.outages;
  ++faults_running_;
  at(until, [this] { --faults_running_; });
}

/// No acknowledged write lost: each key holds, where the cluster says its slot is, a value it
/// may hold (the last acknowledged one, or a later write whose caller heard of a failure).
void ClusterModel::check_final_state() {
  for (std::size_t slot = 0; slot < cluster_slot_count; ++slot)
    if (migrating_to_[slot] >= 0) problem("slot " + std::to_string(slot) + " is still migrating");
  for (std::size_t key = 0; key < keys_.size(); ++key) {
    const KeyData& data = keys_[key];
    const KeyKnowledge& known = knowledge_[key];
    if (!data.exists) {
      if (!known.may_be_absent) problem(data.name + " lost its acknowledged value");
    } else if (std::find(known.possible.begin(), known.possible.end(), data.value) ==
               known.possible.end()) {
      problem(data.name + " holds \"" + data.value + "\", not its last acknowledged value \"" +
              (known.possible.empty() ? std::string() : known.possible.back()) + "\"");
    }
  }
}

} // namespace rtk_sim
