#include "data_commands.hpp"
#include "bounded_input.hpp"

#include <redis_toolkit/cluster_operations.hpp>
#include <redis_toolkit/key_slot.hpp>
#include <redis_toolkit/local_redis.hpp>
#include <redis_toolkit/toolkit.hpp>
#include <redis_toolkit/wire_format.hpp>

#include "json_text.hpp"
#include "metrics_listen.hpp"

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>

namespace rtk {

using redis_toolkit::PubSubKind;
using redis_toolkit::RedisToolkit;
using redis_toolkit::ValidationError;
using redis_toolkit::Value;

namespace {

RedisToolkit open_toolkit(const CliInvocation& invocation) {
  return RedisToolkit(invocation.config.connection, invocation.config.options);
}

bool has_flag(const CliInvocation& invocation, const std::string& name) {
  return invocation.flags.count(name) > 0;
}

/// --sharded: SPUBLISH/SSUBSCRIBE (Redis >= 7); in a cluster a channel lives on its slot's master.
PubSubKind pubsub_kind(const CliInvocation& invocation) {
  return has_flag(invocation, "sharded") ? PubSubKind::sharded : PubSubKind::classic;
}

/// What the nodes' view of the cluster shows wrong, as "; ..." parts for a health message: nodes
/// flagged failing or not connected, slots no master serves. Empty when it shows nothing (or
/// cannot be read): the health check's own answer stands either way.
std::string cluster_problems(RedisToolkit& toolkit) {
  std::string text;
  try {
    std::vector<std::string> failing;
    std::size_t served = 0;
    for (const auto& node : redis_toolkit::ClusterOperations(toolkit).get_nodes_info()) {
      if (node.failing || !node.connected)
        failing.push_back(node.address() + " (" + node.role + (node.failing ? ", failing" : "") +
                          (node.connected ? "" : ", not connected") + ")");
      if (node.role == "master" && !node.failing) served += node.slot_count();
    }
    for (std::size_t index = 0; index < failing.size(); ++index)
      text += (index == 0 ? "; " : ", ") + failing[index];
    if (served < redis_toolkit::cluster_slot_count)
      text += "; " + std::to_string(served) + " of " +
              std::to_string(redis_toolkit::cluster_slot_count) + " slots served";
  } catch (const std::exception&) {
    // No node answers CLUSTER NODES: nothing more to say than the check did.
  }
  return text;
}

} // namespace

int run_set(const CliInvocation& invocation, CommandStreams& streams) {
  const std::string& key = invocation.arguments.at(0);
  Value value = redis_toolkit::parse_cli_json(invocation.arguments.at(1));
  auto toolkit = open_toolkit(invocation);
  if (auto ttl = invocation.flags.find("ttl"); ttl != invocation.flags.end())
    toolkit.setter_with_ttl(key, value, std::stoll(ttl->second));
  else
    toolkit.setter(key, value);
  (void)streams;
  return exit_ok;
}

int run_get(const CliInvocation& invocation, CommandStreams& streams) {
  auto toolkit = open_toolkit(invocation);
  auto value = toolkit.getter(invocation.arguments.at(0));
  if (!value) return exit_failure;
  streams.out << redis_toolkit::format_cli_json(*value) << "\n";
  return exit_ok;
}

int run_del(const CliInvocation& invocation, CommandStreams& streams) {
  auto toolkit = open_toolkit(invocation);
  streams.out << toolkit.batch_delete(invocation.arguments) << "\n";
  return exit_ok;
}

int run_ttl(const CliInvocation& invocation, CommandStreams& streams) {
  auto toolkit = open_toolkit(invocation);
  streams.out << toolkit.get_ttl(invocation.arguments.at(0)) << "\n";
  return exit_ok;
}

int run_mset(const CliInvocation& invocation, CommandStreams& streams) {
  // Read in chunks and refused as soon as a value is sure to be too large: the whole of a 600 MB
  // value is never held.
  const std::string text = read_mset_input(streams.in, invocation.config.options);
  Value entries = redis_toolkit::parse_cli_json(text);
  if (!entries.is_dict())
    throw ValidationError("mset reads a JSON object {\"key\": value, ...} from standard input");
  auto toolkit = open_toolkit(invocation);
  toolkit.batch_set(entries.as_dict());
  return exit_ok;
}

int run_mget(const CliInvocation& invocation, CommandStreams& streams) {
  auto toolkit = open_toolkit(invocation);
  Value result = Value::dict();
  for (auto& [key, value] : toolkit.batch_get(invocation.arguments))
    result.set(key, value ? std::move(*value) : Value());
  streams.out << redis_toolkit::format_cli_json(result) << "\n";
  return exit_ok;
}

namespace {

/// A reply as the contract prints it: strings as JSON strings (bytes that are not UTF-8 as
/// {"$bytes": ...}), integers as numbers, nil as null, arrays as arrays; an error inside an array
/// (EXEC's) as {"error": "..."}.
Value reply_as_value(const redis_toolkit::Reply& reply) {
  using Type = redis_toolkit::Reply::Type;
  switch (reply.type) {
    case Type::status:
    case Type::string:
      if (redis_toolkit::json_text::find_invalid_utf8(reply.text) == std::string::npos)
        return Value(reply.text);
      return Value::bytes(reply.text);
    case Type::integer: return Value(reply.integer);
    case Type::array: {
      Value::Array items;
      items.reserve(reply.elements.size());
      for (const auto& element : reply.elements) items.push_back(reply_as_value(element));
      return Value::list(std::move(items));
    }
    case Type::error: return Value::dict({{"error", reply.text}});
    default: return Value();
  }
}

} // namespace

int run_command(const CliInvocation& invocation, CommandStreams& streams) {
  auto toolkit = open_toolkit(invocation);
  try {
    const redis_toolkit::Reply reply = toolkit.command(invocation.arguments);
    streams.out << redis_toolkit::format_cli_json(reply_as_value(reply)) << "\n";
  } catch (const redis_toolkit::CommandError& error) {
    streams.err << "CommandError: " << error.reason() << "\n"; // what Redis said, no more
    return exit_failure;
  }
  return exit_ok;
}

int run_publish(const CliInvocation& invocation, CommandStreams& streams) {
  Value value = redis_toolkit::parse_cli_json(invocation.arguments.at(1));
  auto toolkit = open_toolkit(invocation);
  streams.out << toolkit.publisher(invocation.arguments.at(0), value, pubsub_kind(invocation))
              << "\n";
  return exit_ok;
}

namespace {

/// Gives every message to a function that turns it into one output line.
using LineSink = std::function<void(std::string)>;

/// Starts a subscription through `start` (handing it the sink for output lines) and prints each
/// line as it comes, until --count lines or --timeout seconds; then stops the subscription.
int print_messages(const CliInvocation& invocation, CommandStreams& streams,
                   const std::function<redis_toolkit::Subscription(RedisToolkit&, LineSink)>& start) {
  std::size_t limit = 0; // 0: no limit
  if (auto count = invocation.flags.find("count"); count != invocation.flags.end())
    limit = std::stoull(count->second);
  std::optional<std::chrono::duration<double>> timeout;
  if (auto seconds = invocation.flags.find("timeout"); seconds != invocation.flags.end())
    timeout = std::chrono::duration<double>(std::stod(seconds->second));

  std::mutex mutex;
  std::condition_variable arrived;
  std::deque<std::string> lines;
  auto toolkit = open_toolkit(invocation);
  const auto metrics = MetricsListener::start(invocation, [&toolkit] { return toolkit.metrics(); },
                                              streams.err);
  auto subscription = start(toolkit, [&](std::string line) {
    std::lock_guard<std::mutex> lock(mutex);
    lines.push_back(std::move(line));
    arrived.notify_one();
  });

  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            timeout.value_or(std::chrono::hours(24 * 365)));
  std::size_t printed = 0;
  std::unique_lock<std::mutex> lock(mutex);
  while (limit == 0 || printed < limit) {
    if (!arrived.wait_until(lock, deadline, [&] { return !lines.empty(); })) break;
    while (!lines.empty() && (limit == 0 || printed < limit)) {
      streams.out << lines.front() << "\n" << std::flush;
      lines.pop_front();
      ++printed;
    }
  }
  lock.unlock();
  subscription.stop();
  return exit_ok;
}

} // namespace

int run_subscribe(const CliInvocation& invocation, CommandStreams& streams) {
  return print_messages(invocation, streams, [&](RedisToolkit& toolkit, LineSink sink) {
    return toolkit.subscribe(invocation.arguments, [sink](const std::string& channel, const Value& data) {
      sink(redis_toolkit::format_cli_json(Value::dict({{"channel", channel}, {"data", data}})));
    }, pubsub_kind(invocation));
  });
}

int run_psubscribe(const CliInvocation& invocation, CommandStreams& streams) {
  return print_messages(invocation, streams, [&](RedisToolkit& toolkit, LineSink sink) {
    return toolkit.psubscribe(invocation.arguments, [sink](const std::string& pattern,
                                                           const std::string& channel,
                                                           const Value& data) {
      sink(redis_toolkit::format_cli_json(
          Value::dict({{"pattern", pattern}, {"channel", channel}, {"data", data}})));
    });
  });
}

int run_scan(const CliInvocation& invocation, CommandStreams& streams) {
  // Every master of a cluster (the one server otherwise), each key once; a page is printed as soon
  // as it arrives, so a large keyspace streams instead of piling up in memory.
  auto toolkit = open_toolkit(invocation);
  redis_toolkit::ClusterOperations cluster(toolkit);
  cluster.scan_cluster(invocation.arguments.at(0), [&](const std::vector<std::string>& keys) {
    for (const auto& key : keys) streams.out << key << "\n";
    streams.out << std::flush;
  });
  return exit_ok;
}

int run_health(const CliInvocation& invocation, CommandStreams& streams) {
  auto toolkit = open_toolkit(invocation);
  if (toolkit.health_check()) {
    streams.out << "ok\n";
    return exit_ok;
  }
  if (invocation.config.connection.cluster_mode) {
    streams.err << "rtk: health: " << invocation.config.connection.describe()
                << " is not healthy: a master does not answer, or a node does not report"
                   " cluster_state:ok"
                << cluster_problems(toolkit) << "\n";
  } else {
    streams.err << "rtk: health: " << invocation.config.connection.describe()
                << " does not answer PING\n";
  }
  return exit_failure;
}

int run_demo(const CliInvocation& invocation, CommandStreams& streams) {
  auto& out = streams.out;
  auto local = redis_toolkit::LocalRedis::connect_or_start();
  out << "redis-toolkit demo against " << local.describe() << "\n\n";
  RedisToolkit toolkit(local.config(), invocation.config.options);

  out << "1. Every kind of value, stored in the Python toolkit's wire format and read back:\n";
  const std::vector<Value> values = {
      Value(), Value(true), Value(42), Value(3.5), Value("hé 你好"),
      Value::bytes(std::string("\x00\xff", 2)), Value::list({1, "two", 3.0}),
      Value::tuple({1, "x"}), Value::dict({{"name", "Ada"}, {"tags", Value::list({"admin"})}})};
  bool all_equal = true;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::string key = "rtk:demo:" + std::to_string(i);
    toolkit.setter(key, values[i]);
    Value back = toolkit.getter(key).value();
    all_equal = all_equal && back == values[i];
    out << "   " << key << " = " << back.to_string() << "   stored as "
        << redis_toolkit::serialize_value(values[i]).substr(0, 60) << "\n";
  }

  out << "\n2. A batch of 1,000 keys in one pipeline, read back in the caller's order:\n";
  redis_toolkit::KeyValues batch;
  std::vector<std::string> keys;
  for (int i = 0; i < 1000; ++i) {
    batch.emplace_back("rtk:demo:batch:" + std::to_string(i), Value::list({i, i * i}));
    keys.push_back(batch.back().first);
  }
  toolkit.batch_set(batch);
  auto read = toolkit.batch_get(keys);
  out << "   " << read.size() << " values, the last: " << read.back().first << " = "
      << read.back().second->to_string() << "\n";

  out << "\n3. A TTL:\n";
  toolkit.setter_with_ttl("rtk:demo:session", "token", 60);
  out << "   rtk:demo:session expires in " << toolkit.get_ttl("rtk:demo:session") << " s\n";

  out << "\n4. Pub/sub round trip through a handler actor:\n";
  std::mutex mutex;
  std::condition_variable arrived;
  std::optional<Value> received;
  auto subscription = toolkit.subscribe({"rtk:demo:channel"}, [&](const std::string&, const Value& v) {
    std::lock_guard<std::mutex> lock(mutex);
    received = v;
    arrived.notify_one();
  });
  const Value message = Value::dict({{"event", "demo"}, {"ok", true}});
  toolkit.publisher("rtk:demo:channel", message);
  {
    std::unique_lock<std::mutex> lock(mutex);
    arrived.wait_for(lock, std::chrono::seconds(5), [&] { return received.has_value(); });
  }
  subscription.stop();
  out << "   received " << (received ? received->to_string() : std::string("nothing")) << "\n";

  keys.push_back("rtk:demo:session");
  for (std::size_t i = 0; i < values.size(); ++i) keys.push_back("rtk:demo:" + std::to_string(i));
  toolkit.batch_delete(keys);

  const bool ok = all_equal && read.size() == 1000 && received == message;
  out << "\n" << (ok ? "demo: ok" : "demo: FAILED") << "\n";
  return ok ? exit_ok : exit_failure;
}

} // namespace rtk
