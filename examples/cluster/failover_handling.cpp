// What callers see when a master dies. Writers keep writing while the example kills (SIGKILL) the
// master of their key:
//   - with the default retries (3 attempts, 0.3 s of waiting), calls fail with typed errors
//     (ConnectionError, TimeoutError, ClusterError) until the master's replica takes over, about
//     2-3 s later; then the writer carries on by itself, with no reconnect code of its own;
//   - with patient retries (6 attempts, 3.1 s of waiting) the calls mostly just take longer;
//   - a bystander writing a key of another master sees CLUSTERDOWN for a moment too;
//   - a sharded subscriber on the dead master's slot moves to the new master by itself.
// Finally the old master comes back and rejoins as a replica.
//
// Needs a cluster it may break: with RTK_CLUSTER set (someone else's cluster) it only shows the
// writers and the subscriber working, and skips the failover. Every wait has a deadline.
#include <redis_toolkit/key_slot.hpp>
#include <redis_toolkit/toolkit.hpp>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include "example_support.hpp"

using example::Checks;
using redis_toolkit::PubSubKind;
using redis_toolkit::Value;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

long milliseconds_between(Clock::time_point from, Clock::time_point to) {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count());
}

/// Writes `key` (then reads it back, then publishes the round on `channel` unless it is empty) in
/// a loop on a thread of its own, and records every failure by its error type.
class Writer {
public:
  struct Failure {
    Clock::time_point when;
    std::string kind;
    std::string what;
  };

  Writer(redis_toolkit::RedisToolkit& toolkit, std::string key, std::string channel)
      : toolkit_(toolkit), key_(std::move(key)), channel_(std::move(channel)),
        thread_([this] { run(); }) {}
  ~Writer() { stop(); }

  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  long successes() const { return successes_; }
  std::int64_t last_round() const { return last_round_; }
  std::vector<Failure> failures() {
    std::lock_guard<std::mutex> lock(mutex_);
    return failures_;
  }
  /// Waits until `condition` holds; false when `limit` passes first.
  template <typename Condition>
  static bool wait_until(Condition condition, std::chrono::milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    while (!condition()) {
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(20ms);
    }
    return true;
  }

private:
  void run() {
    for (std::int64_t round = 1; !stop_; ++round) {
      try {
        toolkit_.setter(key_, round);
        if (toolkit_.getter(key_) != Value(round)) throw std::logic_error("read back a wrong value");
        if (!channel_.empty()) toolkit_.publisher(channel_, round, PubSubKind::sharded);
        last_round_ = round;
        ++successes_;
      } catch (const redis_toolkit::TimeoutError& e) { // before ConnectionError: it is one
        record("TimeoutError", e.what());
      } catch (const redis_toolkit::ConnectionError& e) { // the node is gone (connection refused)
        record("ConnectionError", e.what());
      } catch (const redis_toolkit::ClusterError& e) { // CLUSTERDOWN, slot not served
        record("ClusterError", e.what());
      } catch (const std::exception& e) {
        record("UNEXPECTED", e.what());
      }
      std::this_thread::sleep_for(5ms); // a steady trickle, not a benchmark
    }
  }
  void record(const std::string& kind, const std::string& what) {
    std::lock_guard<std::mutex> lock(mutex_);
    failures_.push_back({Clock::now(), kind, what});
  }

  redis_toolkit::RedisToolkit& toolkit_;
  const std::string key_, channel_;
  std::atomic<bool> stop_{false};
  std::atomic<long> successes_{0};
  std::atomic<std::int64_t> last_round_{0};
  std::mutex mutex_;
  std::vector<Failure> failures_;
  std::thread thread_; // last: starts once everything above is ready
};

/// Prints what a writer saw during the failover; checks that every error was typed and fell in
/// the failover window.
void report(const std::string& name, Writer& writer, Clock::time_point killed_at,
            Clock::time_point healthy_at, Checks& checks) {
  const auto failures = writer.failures();
  std::map<std::string, long> by_kind;
  std::map<std::string, std::string> example_of;
  bool inside_window = true;
  for (const auto& failure : failures) {
    ++by_kind[failure.kind];
    example_of.emplace(failure.kind, failure.what);
    inside_window = inside_window && failure.when >= killed_at && failure.when <= healthy_at + 5s;
  }
  std::cout << name << ": " << writer.successes() << " rounds done, ";
  if (failures.empty()) {
    std::cout << "no call failed (the retries covered the whole window)\n";
  } else {
    std::cout << failures.size() << " failed, from +"
              << milliseconds_between(killed_at, failures.front().when) << " ms to +"
              << milliseconds_between(killed_at, failures.back().when) << " ms after the kill\n";
    for (const auto& [kind, count] : by_kind)
      std::cout << "    " << count << " x " << example_of[kind] << "\n";
  }
  checks.expect(by_kind.count("UNEXPECTED") == 0, name + ": every error was a typed toolkit error");
  checks.expect(inside_window, name + ": errors happened only in the failover window");
}

/// The newest round a subscriber received (shared with its handler, which runs on its own thread).
struct LastReceived {
  std::atomic<std::int64_t> round{0};
  std::atomic<long> messages{0};
};

} // namespace

int main() try {
  Checks checks;
  auto cluster = example::ClusterForExample::start_or_connect();
  std::cout << "cluster: " << cluster.describe() << "\n";

  // Short timeouts bound every call during the failover window; the retries (3 attempts, 0.1 s
  // then 0.2 s apart) absorb short hiccups. Warnings about lost nodes are expected here.
  redis_toolkit::RedisConnectionConfig config = cluster.config();
  config.connection_timeout = 1s;
  config.socket_timeout = 1s;
  redis_toolkit::RedisOptions options;
  options.log_level = redis_toolkit::LogLevel::error;
  redis_toolkit::RedisToolkit toolkit(config, options);
  // A patient caller: 6 attempts wait 0.1 + 0.2 + 0.4 + 0.8 + 1.6 = 3.1 s in all, longer than a
  // failover of the local cluster (about 2-3 s), so its calls mostly just take longer.
  redis_toolkit::RedisOptions patient_options = options;
  patient_options.retry_attempts = 6;
  redis_toolkit::RedisToolkit patient_toolkit(config, patient_options);

  // The key and the channel share a hash tag: same slot, same master, the one we will kill.
  const std::string key = redis_toolkit::hash_tag_key("example:failover", "counter");
  const std::string channel = redis_toolkit::hash_tag_key("example:failover", "events");
  const std::string patient_key = redis_toolkit::hash_tag_key("example:failover", "patient");

  auto received = std::make_shared<LastReceived>();
  auto subscription = toolkit.subscribe(
      {channel},
      [received](const std::string&, const Value& message) {
        received->round = message.as_int();
        ++received->messages;
      },
      PubSubKind::sharded);

  Writer writer(toolkit, key, channel);
  Writer patient_writer(patient_toolkit, patient_key, "");
  checks.expect(Writer::wait_until([&] { return writer.successes() >= 50 && received->messages > 0; }, 10s),
                "the writer runs and the subscriber receives");
  std::cout << "writer: " << writer.successes() << " rounds; subscriber: " << received->messages
            << " messages\n";

  if (!cluster.is_local()) {
    std::cout << "RTK_CLUSTER names a cluster this example did not start: the failover part needs a "
                 "local cluster (it kills a node), skipped\n";
    writer.stop();
    patient_writer.stop();
    subscription.stop();
    toolkit.batch_delete({key, patient_key});
    checks.expect(writer.failures().empty() && patient_writer.failures().empty(),
                  "no errors without a failover");
    return checks.finish("cluster/failover_handling");
  }

  // ---- the failover ----
  redis_toolkit::LocalCluster& local = cluster.local();
  const std::size_t victim = local.master_of_slot(redis_toolkit::key_slot(key));
  const std::size_t heir = local.replica_of(victim);
  std::cout << "killing the master of " << key << ": " << local.node(victim).address()
            << " (its replica is " << local.node(heir).address() << ")\n";
  // A bystander writes a key of another master: while a slot has no master, the whole cluster
  // says CLUSTERDOWN (cluster-require-full-coverage, the default), so it sees the failover too.
  std::string other_key;
  for (int i = 0; other_key.empty(); ++i) {
    const std::string candidate = "example:failover:other:" + std::to_string(i);
    if (local.master_of_slot(redis_toolkit::key_slot(candidate)) != victim) other_key = candidate;
  }
  Writer bystander(toolkit, other_key, "");
  checks.expect(Writer::wait_until([&] { return bystander.successes() >= 10; }, 10s),
                "the bystander runs");

  const auto killed_at = Clock::now();
  local.node(victim).kill_hard();

  local.wait_until_healthy(20s); // the replica took over; ClusterError if not within 20 s
  const auto healthy_at = Clock::now();
  const long successes_when_healthy = writer.successes();
  std::cout << "cluster healthy again after " << milliseconds_between(killed_at, healthy_at)
            << " ms; slot " << redis_toolkit::key_slot(key) << " is now served by "
            << local.node(local.master_of_slot(redis_toolkit::key_slot(key))).address() << "\n";
  checks.expect(local.master_of_slot(redis_toolkit::key_slot(key)) == heir,
                "the replica became the master");

  // Nobody told the writer or the subscriber anything: they find the new master by themselves.
  checks.expect(Writer::wait_until([&] { return writer.successes() >= successes_when_healthy + 50; }, 15s),
                "the writer carries on after the failover");
  const std::int64_t round_after = writer.last_round();
  checks.expect(Writer::wait_until([&] { return received->round > round_after; }, 15s),
                "the subscriber receives again, from the new master");
  std::cout << "after the failover: writer at round " << writer.last_round()
            << ", subscriber at round " << received->round << "\n";

  // The old master comes back: it learns that its slots moved and rejoins as a replica.
  local.restart_node(victim);
  local.wait_until_healthy(30s);
  const auto replicas = local.replicas();
  const bool rejoined = std::find(replicas.begin(), replicas.end(), victim) != replicas.end();
  std::cout << local.node(victim).address() << " restarted: "
            << (rejoined ? "a replica now" : "NOT a replica") << "\n";
  checks.expect(rejoined, "the restarted node rejoined as a replica");
  const long before_stop = writer.successes();
  checks.expect(Writer::wait_until([&] { return writer.successes() >= before_stop + 20; }, 10s),
                "the writer runs on after the restart");
  writer.stop();
  patient_writer.stop();
  bystander.stop();
  // The last message published may still be on its way.
  checks.expect(Writer::wait_until([&] { return received->round == writer.last_round(); }, 5s),
                "the subscriber received the writer's last round");
  std::cout << "after the restart: writer at round " << writer.last_round() << ", subscriber at round "
            << received->round << "\n";
  subscription.stop();

  // ---- what the callers saw ----
  report("writer, default retries (3 attempts)", writer, killed_at, healthy_at, checks);
  report("writer, patient retries (6 attempts)", patient_writer, killed_at, healthy_at, checks);
  report("bystander on another master", bystander, killed_at, healthy_at, checks);
  std::cout << "subscriber: " << received->messages << " messages of " << writer.successes()
            << " published (those published while it moved are lost: pub/sub keeps nothing)\n";

  toolkit.batch_delete({key, patient_key, other_key});
  return checks.finish("cluster/failover_handling");
} catch (const std::exception& error) {
  std::cerr << "cluster/failover_handling: " << error.what() << "\n";
  return 1;
}
