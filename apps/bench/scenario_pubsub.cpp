// Scenario 5: pub/sub, from the publish call to the handler, on the one server and the cluster,
// classic and sharded: the toolkit's subscription and publisher against a raw hiredis subscriber
// thread and publisher connection.
#include "measure.hpp"
#include "scenarios.hpp"

#include <redis_toolkit/async_toolkit.hpp>
#include <redis_toolkit/key_slot.hpp>
#include <redis_toolkit/toolkit.hpp>
#include <redis_toolkit/wire_format.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace rtk_bench {

using namespace redis_toolkit;
using namespace std::chrono_literals;

namespace {

std::int64_t now_nanoseconds() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

/// What a subscriber received: how many messages, when the last came, and the latencies of
/// those sent one at a time (their payload is the send time in ns).
class Inbox {
public:
  /// Called by the receiving side for each message.
  void receive(std::int64_t sent_at) {
    const std::int64_t now = now_nanoseconds();
    std::lock_guard<std::mutex> lock(mutex_);
    ++received_;
    last_at_ = Clock::now();
    if (timing_) latencies_.push_back(static_cast<double>(now - sent_at) / 1000.0);
    changed_.notify_all();
  }
  long received() {
    std::lock_guard<std::mutex> lock(mutex_);
    return received_;
  }
  /// Waits until `count` messages came in all; false when none came for `idle`.
  bool wait_for(long count, std::chrono::milliseconds idle = 3000ms) {
    std::unique_lock<std::mutex> lock(mutex_);
    while (received_ < count) {
      const long before = received_;
      changed_.wait_for(lock, idle, [&] { return received_ >= count; });
      if (received_ == before) return false;
    }
    return true;
  }
  Clock::time_point last_at() {
    std::lock_guard<std::mutex> lock(mutex_);
    return last_at_;
  }
  void start_timing() {
    std::lock_guard<std::mutex> lock(mutex_);
    timing_ = true;
  }
  std::vector<double> latencies() {
    std::lock_guard<std::mutex> lock(mutex_);
    return latencies_;
  }

private:
  std::mutex mutex_;
  std::condition_variable changed_;
  long received_ = 0;
  Clock::time_point last_at_{};
  bool timing_ = false;
  std::vector<double> latencies_; ///< microseconds
};

double percentile(std::vector<double> values, double fraction) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(std::ceil(fraction * values.size())) - 1;
  return values[std::min(index, values.size() - 1)];
}

/// The figures of one side: messages per second under load, latency one message at a time.
struct PubSubFigures {
  double messages_per_second = 0;
  double p50_microseconds = 0;
  double p99_microseconds = 0;
  long lost = 0;
};

/// The two phases both sides go through, around their own way of publishing.
template <typename PublishWindow, typename PublishOne>
PubSubFigures measure(Inbox& inbox, long messages, long latency_messages,
                      PublishWindow publish_window, PublishOne publish_one) {
  PubSubFigures figures;
  const long before = inbox.received();
  const auto start = Clock::now();
  publish_window(messages);
  inbox.wait_for(before + messages);
  const long arrived = inbox.received() - before;
  if (arrived == 0) throw std::runtime_error("no message arrived in 3 s");
  figures.lost = messages - arrived;
  figures.messages_per_second =
      static_cast<double>(arrived) / std::chrono::duration<double>(inbox.last_at() - start).count();
  inbox.start_timing();
  for (long i = 0; i < latency_messages; ++i) {
    const long expected = inbox.received() + 1;
    publish_one(now_nanoseconds());
    if (!inbox.wait_for(expected, 2000ms)) ++figures.lost;
  }
  const std::vector<double> latencies = inbox.latencies();
  figures.p50_microseconds = percentile(latencies, 0.50);
  figures.p99_microseconds = percentile(latencies, 0.99);
  return figures;
}

/// Where a pub/sub test runs: the config for the toolkit, the node for the raw side.
struct PubSubSetup {
  std::string name;
  RedisConnectionConfig config;
  PubSubKind kind;
  std::string channel;
  NodeAddress raw_node;
};

PubSubFigures toolkit_side(BenchContext& context, const PubSubSetup& setup, long messages,
                           long latency_messages) {
  RedisToolkit toolkit(setup.config, BenchContext::toolkit_options());
  AsyncRedisToolkit async_toolkit(setup.config, BenchContext::toolkit_options());
  const auto watched = context.watch(toolkit);
  const auto watched_async = context.watch(async_toolkit);
  Inbox inbox;
  Subscription subscription = toolkit.subscribe(
      {setup.channel},
      [&inbox](const std::string&, const Value& message) {
        inbox.receive(message.is_int() ? message.as_int() : 0);
      },
      setup.kind);
  // A classic message in a cluster may cross the cluster bus: wait until one arrives.
  toolkit.publisher(setup.channel, Value(now_nanoseconds()), setup.kind);
  if (!inbox.wait_for(1, 5000ms)) throw std::runtime_error(setup.name + ": the toolkit's subscriber got nothing");
  const long window = 100;
  return measure(
      inbox, messages, latency_messages,
      [&](long count) {
        // The async publisher with `window` calls in flight: one caller publishing flat out.
        keep_in_flight(window, count, [&](std::function<void(bool)> done) {
          async_toolkit.publisher(
              setup.channel, Value(now_nanoseconds()),
              [done = std::move(done)](Result<std::int64_t> result) { done(result.ok()); },
              setup.kind);
        });
      },
      [&](std::int64_t sent_at) { toolkit.publisher(setup.channel, Value(sent_at), setup.kind); });
}

/// The send time in a payload the toolkit wrote: {"__type__": "int", "__data__": 123}.
std::int64_t sent_at_in(const std::string& payload) {
  const std::size_t space = payload.rfind(' ');
  return space == std::string::npos ? 0 : std::strtoll(payload.c_str() + space + 1, nullptr, 10);
}

PubSubFigures raw_side(const PubSubSetup& setup, long messages, long latency_messages) {
  const bool sharded = setup.kind == PubSubKind::sharded;
  const std::string publish = sharded ? "SPUBLISH" : "PUBLISH";
  const std::string stop_payload = "stop";
  RawConnection subscriber(setup.raw_node.host, setup.raw_node.port);
  RawConnection publisher(setup.raw_node.host, setup.raw_node.port);
  subscriber.command({sharded ? "SSUBSCRIBE" : "SUBSCRIBE", setup.channel});
  Inbox inbox;
  std::thread reader([&] {
    try {
      for (;;) {
        const std::string payload = subscriber.read_reply();
        if (payload == stop_payload) return;
        inbox.receive(sent_at_in(payload));
      }
    } catch (const std::exception&) {
      // the connection broke or timed out: the counts tell what arrived
    }
  });
  PubSubFigures figures;
  try {
    figures = measure(
        inbox, messages, latency_messages,
        [&](long count) {
          raw_window(publisher, count, 100,
                     {{publish, setup.channel, serialize_value(Value(now_nanoseconds()))}});
        },
        [&](std::int64_t sent_at) {
          publisher.command({publish, setup.channel, serialize_value(Value(sent_at))});
        });
  } catch (...) {
    publisher.command({publish, setup.channel, stop_payload});
    reader.join();
    throw;
  }
  publisher.command({publish, setup.channel, stop_payload});
  reader.join();
  return figures;
}

} // namespace

void run_pubsub(BenchContext& context, Scenario& scenario) {
  const Sizes& sizes = context.sizes();
  scenario.about =
      "Messages per second from the publish call to the handler, and the latency of one message "
      "at a time (p50/p99, publish call to handler, the send time travels in the message). The "
      "toolkit: subscribe() with a function handler, the async publisher keeping 100 publishes in "
      "flight (throughput) and the blocking publisher (latency); raw hiredis: a thread reading a "
      "SUBSCRIBE/SSUBSCRIBE connection, PUBLISH/SPUBLISH pipelined 100 deep on another, the same "
      "bytes (an int in the wire format). " + with_thousands(sizes.pubsub_messages) +
      " messages per throughput figure, " + with_thousands(sizes.latency_messages) +
      " for latency.";
  std::vector<PubSubSetup> setups;
  const NodeAddress server{context.server().host(), context.server().port()};
  setups.push_back({"one server, classic", context.server_config(), PubSubKind::classic,
                    "bench:news", server});
  setups.push_back({"one server, sharded", context.server_config(), PubSubKind::sharded,
                    "bench:shard-news", server});
  LocalCluster& cluster = context.cluster();
  const auto node_of = [&](const std::string& channel) {
    const auto addresses = cluster.addresses();
    return addresses.at(cluster.master_of_slot(key_slot(channel)));
  };
  setups.push_back({"cluster, classic", context.cluster_config(), PubSubKind::classic,
                    "bench:news", node_of("bench:news")});
  setups.push_back({"cluster, sharded", context.cluster_config(), PubSubKind::sharded,
                    "bench:shard-news", node_of("bench:shard-news")});

  for (const PubSubSetup& setup : setups) {
    Row& throughput = scenario.row(setup.name + ": throughput", "msg/s");
    Row& p50 = scenario.row(setup.name + ": latency p50", "us", 0, false);
    Row& p99 = scenario.row(setup.name + ": latency p99", "us", 0, false);
    long lost = 0;
    context.each_round(scenario.id, setup.name, [&] {
      const PubSubFigures toolkit = toolkit_side(context, setup, sizes.pubsub_messages, sizes.latency_messages);
      const PubSubFigures raw = raw_side(setup, sizes.pubsub_messages, sizes.latency_messages);
      throughput.add("toolkit", toolkit.messages_per_second);
      throughput.add("hiredis", raw.messages_per_second);
      p50.add("toolkit", toolkit.p50_microseconds);
      p50.add("hiredis", raw.p50_microseconds);
      p99.add("toolkit", toolkit.p99_microseconds);
      p99.add("hiredis", raw.p99_microseconds);
      lost += toolkit.lost;
    });
    if (lost > 0)
      scenario.notes.push_back(setup.name + ": " + with_thousands(lost) +
                               " messages did not reach the toolkit's handler (a full handler "
                               "backlog drops them, subscriber_mailbox_limit).");
  }
  scenario.notes.push_back("In the cluster the raw side publishes and subscribes on the master of "
                           "the channel's slot; the toolkit's classic subscriber may sit on "
                           "another node, so its messages may cross the cluster bus.");
}

} // namespace rtk_bench
