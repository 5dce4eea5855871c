// ToolkitMetrics against a real redis-server: after a known workload (blocking, async, pipelined
// calls, error replies, a timeout on a stopped server, messages past a handler's backlog limit)
// every count is exact and every histogram holds exactly its calls.
#include "toolkit_fixture.hpp"

#include "redis_toolkit/async_toolkit.hpp"
#include "redis_toolkit/errors.hpp"
#include "redis_toolkit/metrics.hpp"
#include "redis_toolkit/toolkit.hpp"

#include <boost/test/unit_test.hpp>

#include <condition_variable>
#include <future>
#include <mutex>
#include <numeric>

using namespace redis_toolkit;
using namespace std::chrono_literals;

namespace {

/// The figures of `name`, failing the test when the command was never counted.
const CommandMetrics& command_metrics(const ToolkitMetrics& metrics, std::string_view name) {
  const CommandMetrics* found = metrics.command(name);
  if (found == nullptr) throw std::runtime_error("no metrics for " + std::string(name));
  return *found;
}

void check_histogram_holds_its_calls(const CommandMetrics& command) {
  BOOST_TEST_CONTEXT(command.command) {
    const std::uint64_t in_buckets =
        std::accumulate(command.latency.buckets.begin(), command.latency.buckets.end(),
                        std::uint64_t{0});
    BOOST_TEST(in_buckets == command.latency.count);
    BOOST_TEST(command.latency.count == command.total());
    BOOST_TEST(command.latency.sum_seconds > 0.0);
  }
}

/// Lets a function handler block until the test opens it.
struct Latch {
  std::mutex mutex;
  std::condition_variable changed;
  bool open = false;
  void wait() {
    std::unique_lock<std::mutex> lock(mutex);
    changed.wait(lock, [&] { return open; });
  }
  void release() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      open = true;
    }
    changed.notify_all();
  }
};

/// Opens the latch whatever the test's outcome: a stopping subscription waits for its handler.
struct ReleaseOnExit {
  Latch& latch;
  ~ReleaseOnExit() { latch.release(); }
};

/// Resumes a paused server whatever the test's outcome, so the fixture can stop it.
struct Resume {
  RedisServerProcess& server;
  ~Resume() { server.resume(); }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(metrics_tests, rtk_test::ServerFixture)

BOOST_AUTO_TEST_CASE(blocking_calls_and_error_replies_are_counted_exactly) {
  constexpr int calls = 25;
  constexpr int errors = 4;
  RedisToolkit toolkit(config());
  for (int i = 0; i < calls; ++i) toolkit.command({"SET", "text", "not a number"});
  for (int i = 0; i < errors; ++i) BOOST_CHECK_THROW(toolkit.command({"INCR", "text"}), CommandError);
  // A pipeline counts each of its commands, an error reply in it included.
  const auto replies = toolkit.pipeline().add({"GET", "text"}).add({"INCR", "text"}).add({"GET", "x"}).execute();
  BOOST_REQUIRE(replies.size() == 3u);

  const ToolkitMetrics metrics = toolkit.metrics();
  const CommandMetrics& set = command_metrics(metrics, "set");
  BOOST_TEST(set.ok == std::uint64_t(calls));
  BOOST_TEST(set.error == 0u);
  BOOST_TEST(set.timeout == 0u);
  BOOST_TEST(set.connection == 0u);
  const CommandMetrics& incr = command_metrics(metrics, "incr");
  BOOST_TEST(incr.ok == 0u);
  BOOST_TEST(incr.error == std::uint64_t(errors + 1));
  BOOST_TEST(command_metrics(metrics, "get").ok == 2u);
  for (const CommandMetrics& command : metrics.commands) check_histogram_holds_its_calls(command);
  BOOST_TEST(metrics.pending_calls == 0u);
  BOOST_REQUIRE(metrics.nodes.size() == 1u);
  BOOST_TEST(metrics.nodes[0].node == server.host() + ":" + std::to_string(server.port()));
  BOOST_TEST(metrics.nodes[0].connections_open >= 1u);
  BOOST_TEST(metrics.nodes[0].reconnects == 0u);
  BOOST_TEST(metrics.redirections_moved == 0u);
  BOOST_TEST(metrics.topology_refreshes == 0u); // a single server has no slot table to refresh
}

BOOST_AUTO_TEST_CASE(async_calls_in_flight_are_counted_once_each) {
  constexpr int calls = 300;
  AsyncRedisToolkit toolkit(config());
  // command() learns the server's command table on first use, and calls made before it is known
  // each ask for it: one call first keeps the burst below to the calls it counts.
  BOOST_TEST(toolkit.command({"PING"}).get().as_string() == "PONG");
  std::vector<std::future<Reply>> pending;
  for (int i = 0; i < calls; ++i)
    pending.push_back(toolkit.command({"INCR", "counter:" + std::to_string(i % 7)}));
  for (auto& each : pending) BOOST_TEST(each.get().is_integer());
  std::promise<void> done;
  toolkit.command({"HSET", "h", "f", "v"}, [&](Result<Reply>) { done.set_value(); });
  done.get_future().get();

  const ToolkitMetrics metrics = toolkit.metrics();
  BOOST_TEST(command_metrics(metrics, "incr").ok == std::uint64_t(calls));
  BOOST_TEST(command_metrics(metrics, "hset").ok == 1u);
  for (const CommandMetrics& command : metrics.commands) check_histogram_holds_its_calls(command);
  BOOST_TEST(metrics.pending_calls == 0u);
}

BOOST_AUTO_TEST_CASE(a_call_to_a_stopped_server_counts_as_a_timeout_and_pending_meanwhile) {
  RedisConnectionConfig quick = config();
  quick.socket_timeout = 300ms;
  RedisOptions options;
  options.retry_attempts = 1;
  options.health_check_interval = std::chrono::duration<double>(0);
  options.use_connection_pool = false;
  AsyncRedisToolkit toolkit(quick, options);
  BOOST_TEST(toolkit.command({"SET", "k", "v"}).get().is_ok());
  {
    server.pause();
    Resume resume{server};
    std::future<Reply> stuck = toolkit.command({"GET", "k"});
    rtk_test::wait_until([&] { return toolkit.metrics().pending_calls == 1u; }, 10s,
                         "the GET pending while the server is stopped");
    BOOST_CHECK_THROW(stuck.get(), TimeoutError);
  }
  const ToolkitMetrics metrics = toolkit.metrics();
  const CommandMetrics& get = command_metrics(metrics, "get");
  BOOST_TEST(get.timeout == 1u);
  BOOST_TEST(get.ok == 0u);
  check_histogram_holds_its_calls(get);
  // It waited the socket timeout at least: its bucket's bound is past it.
  std::size_t bucket = 0;
  while (get.latency.buckets[bucket] == 0) ++bucket;
  BOOST_TEST((bucket == LatencyHistogram::bucket_count ||
              LatencyHistogram::upper_bound(bucket) >= 0.3));
  BOOST_TEST(metrics.pending_calls == 0u);
}

BOOST_AUTO_TEST_CASE(messages_past_a_handler_backlog_are_counted_as_dropped) {
  constexpr int published = 7;
  RedisOptions options;
  options.subscriber_mailbox_limit = 2;
  RedisToolkit toolkit(config(), options);
  Latch latch;
  std::atomic<int> handled{0};
  ReleaseOnExit release{latch};
  auto subscription = toolkit.subscribe({"flood"}, [&](const std::string&, const Value&) {
    latch.wait(); // the first message holds the handler: the next one waits, the rest are dropped
    ++handled;
  });
  for (int i = 0; i < published; ++i) BOOST_TEST(toolkit.publisher("flood", i) == 1);
  rtk_test::wait_until([&] { return toolkit.metrics().pubsub_received == std::uint64_t(published); },
                       10s, "every message received");
  ToolkitMetrics metrics = toolkit.metrics();
  BOOST_TEST(metrics.pubsub_dropped == std::uint64_t(published - 2));
  BOOST_TEST(metrics.handler_backlog == 2u);
  latch.release();
  rtk_test::wait_until([&] { return toolkit.metrics().handler_backlog == 0u; }, 10s,
                       "the backlog handled");
  BOOST_TEST(handled.load() == 2);
  metrics = toolkit.metrics();
  BOOST_TEST(metrics.pubsub_received == std::uint64_t(published));
  BOOST_TEST(metrics.pubsub_dropped == std::uint64_t(published - 2));
  BOOST_TEST(command_metrics(metrics, "publish").ok == std::uint64_t(published));

  // Counters only grow: the counts stay when the subscription that made them ends.
  subscription.stop();
  metrics = toolkit.metrics();
  BOOST_TEST(metrics.pubsub_received == std::uint64_t(published));
  BOOST_TEST(metrics.pubsub_dropped == std::uint64_t(published - 2));
  BOOST_TEST(metrics.handler_backlog == 0u);
}

BOOST_AUTO_TEST_CASE(metrics_disabled_leave_the_command_figures_empty) {
  RedisOptions off;
  off.metrics_enabled = false;
  RedisToolkit quiet(config(), off);
  RedisToolkit counted(config()); // a router of its own: the switch is part of its identity
  for (int i = 0; i < 5; ++i) quiet.command({"SET", "quiet", std::to_string(i)});
  counted.command({"GET", "quiet"});

  const ToolkitMetrics unmeasured = quiet.metrics();
  BOOST_TEST(unmeasured.commands.empty());
  BOOST_TEST(unmeasured.pending_calls == 0u);
  BOOST_REQUIRE(unmeasured.nodes.size() == 1u); // connections are counted either way
  BOOST_TEST(unmeasured.nodes[0].connections_open >= 1u);

  const ToolkitMetrics measured = counted.metrics();
  BOOST_TEST(measured.command("set") == nullptr);
  BOOST_TEST(command_metrics(measured, "get").ok == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
