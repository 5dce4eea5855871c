// The router's call counting without a server: command names read from the encoded bytes,
// outcomes from the reply kinds, latency buckets at their bounds, the bound on distinct names.
#include "metrics_recorder.hpp"

#include "redis_toolkit/actor_protocol.hpp"

#include <boost/test/unit_test.hpp>

using namespace redis_toolkit;
using namespace redis_toolkit::detail;
using namespace std::chrono_literals;

namespace {

std::string encoded(std::initializer_list<std::string_view> arguments) {
  CommandRequest request;
  request.add(arguments);
  return std::string(request.bytes(request.commands.front()));
}

Reply of_type(Reply::Type type, std::string text = {}) {
  Reply reply;
  reply.type = type;
  reply.text = std::move(text);
  return reply;
}

} // namespace

BOOST_AUTO_TEST_SUITE(metrics_tests)

BOOST_AUTO_TEST_CASE(the_command_name_is_read_from_the_encoded_command_in_lower_case) {
  char buffer[32];
  BOOST_TEST(command_name_of(encoded({"GET", "k"}), buffer) == "get");
  BOOST_TEST(command_name_of(encoded({"ZUnionStore", "d", "2", "a", "b"}), buffer) == "zunionstore");
  BOOST_TEST(command_name_of(encoded({"PING"}), buffer) == "ping");
  BOOST_TEST(command_name_of("", buffer).empty());
  BOOST_TEST(command_name_of("*1\r\n$9\r\nGET\r\n", buffer).empty()); // a length past the bytes
  BOOST_TEST(command_name_of("+OK\r\n", buffer).empty());
  BOOST_TEST(command_name_of(encoded({std::string(33, 'x')}), buffer).empty()); // too long a name
}

BOOST_AUTO_TEST_CASE(each_reply_kind_counts_as_its_outcome) {
  BOOST_TEST((outcome_of(of_type(Reply::Type::status, "OK")) == CallOutcome::ok));
  BOOST_TEST((outcome_of(Reply()) == CallOutcome::ok)); // nil
  BOOST_TEST((outcome_of(of_type(Reply::Type::error, "ERR no")) == CallOutcome::error));
  BOOST_TEST((outcome_of(Reply::failure(Reply::Type::overloaded, "s", "x")) == CallOutcome::error));
  BOOST_TEST((outcome_of(Reply::failure(Reply::Type::cluster_failed, "s", "x")) == CallOutcome::error));
  BOOST_TEST((outcome_of(Reply::failure(Reply::Type::timed_out, "s", "x")) == CallOutcome::timeout));
  BOOST_TEST((outcome_of(Reply::failure(Reply::Type::connection_failed, "s", "x")) ==
              CallOutcome::connection));
  BOOST_TEST((outcome_of(Reply::failure(Reply::Type::protocol_failed, "s", "x")) ==
              CallOutcome::connection));
}

BOOST_AUTO_TEST_CASE(a_latency_falls_in_the_bucket_whose_bound_is_the_first_at_or_above_it) {
  BOOST_TEST(latency_bucket(0ns) == 0u);
  BOOST_TEST(latency_bucket(100us) == 0u);
  BOOST_TEST(latency_bucket(100001ns) == 1u);
  BOOST_TEST(latency_bucket(200us) == 1u);
  BOOST_TEST(latency_bucket(200001ns) == 2u);
  BOOST_TEST(latency_bucket(400us) == 2u);
  const auto last_bound = std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double>(LatencyHistogram::upper_bound(LatencyHistogram::bucket_count - 1)));
  BOOST_TEST(latency_bucket(last_bound) == LatencyHistogram::bucket_count - 1);
  BOOST_TEST(latency_bucket(last_bound + 1ns) == LatencyHistogram::bucket_count);
  BOOST_TEST(latency_bucket(1h) == LatencyHistogram::bucket_count);
  BOOST_TEST(LatencyHistogram::upper_bound(0) == 0.0001);
  BOOST_TEST(LatencyHistogram::upper_bound(3) == 0.0008);
}

BOOST_AUTO_TEST_CASE(calls_are_counted_per_name_and_outcome_with_their_latency) {
  MetricsRecorder recorder;
  for (int i = 0; i < 5; ++i) recorder.record(encoded({"SET", "k", "v"}), CallOutcome::ok, 150us);
  recorder.record(encoded({"set", "k", "v"}), CallOutcome::timeout, 2s);
  recorder.record(encoded({"INCR", "k"}), CallOutcome::error, 50us);
  const auto commands = recorder.commands();
  BOOST_REQUIRE(commands.size() == 2u);
  BOOST_TEST(commands[0].command == "incr"); // sorted by name
  BOOST_TEST(commands[0].error == 1u);
  BOOST_TEST(commands[0].latency.buckets[0] == 1u);
  const CommandMetrics& set = commands[1];
  BOOST_TEST(set.command == "set");
  BOOST_TEST(set.ok == 5u);
  BOOST_TEST(set.timeout == 1u);
  BOOST_TEST(set.total() == 6u);
  BOOST_TEST(set.latency.count == 6u);
  BOOST_TEST(set.latency.buckets[1] == 5u);
  BOOST_TEST(set.latency.buckets[latency_bucket(2s)] == 1u);
  BOOST_TEST(set.latency.sum_seconds == 2.00075, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(names_past_the_bound_are_counted_as_other) {
  MetricsRecorder recorder;
  for (std::size_t i = 0; i < ToolkitMetrics::max_command_names + 10; ++i)
    recorder.record(encoded({"made-up-" + std::to_string(i)}), CallOutcome::error, 1us);
  recorder.record(encoded({"made-up-0"}), CallOutcome::error, 1us); // known before the bound
  ToolkitMetrics metrics;
  metrics.commands = recorder.commands();
  BOOST_TEST(metrics.commands.size() == ToolkitMetrics::max_command_names + 1);
  BOOST_REQUIRE(metrics.command("other") != nullptr);
  BOOST_TEST(metrics.command("other")->error == 10u);
  BOOST_TEST(metrics.command("made-up-0")->error == 2u);
  BOOST_TEST(metrics.command("never") == nullptr);
}

BOOST_AUTO_TEST_CASE(merge_sums_counters_and_gauges_and_merges_commands_and_nodes_by_name) {
  ToolkitMetrics into;
  CommandMetrics get;
  get.command = "get";
  get.ok = 4;
  get.timeout = 1;
  get.latency.buckets[0] = 3;
  get.latency.buckets[LatencyHistogram::bucket_count] = 2;
  get.latency.count = 5;
  get.latency.sum_seconds = 30.0;
  CommandMetrics set;
  set.command = "set";
  set.ok = 2;
  set.latency.buckets[1] = 2;
  set.latency.count = 2;
  set.latency.sum_seconds = 0.5;
  into.commands = {get, set};
  into.nodes = {{"127.0.0.1:7000", 2, 1}};
  into.pending_calls = 3;
  into.redirections_moved = 1;
  into.pubsub_received = 10;
  into.handler_backlog = 2;

  ToolkitMetrics other;
  CommandMetrics more_get = get;
  more_get.ok = 6;
  more_get.error = 2;
  more_get.connection = 1;
  CommandMetrics del;
  del.command = "del";
  del.ok = 1;
  del.latency.buckets[2] = 1;
  del.latency.count = 1;
  other.commands = {del, more_get};
  other.nodes = {{"127.0.0.1:7001", 1, 0}, {"127.0.0.1:7000", 1, 4}};
  other.pending_calls = 1;
  other.redirections_moved = 2;
  other.redirections_ask = 3;
  other.redirections_tryagain = 4;
  other.topology_refreshes = 5;
  other.pubsub_received = 1;
  other.pubsub_dropped = 6;
  other.handler_backlog = 1;

  into.merge(other);
  BOOST_REQUIRE(into.commands.size() == 3U);
  BOOST_TEST(into.commands[0].command == "del"); // sorted by name
  BOOST_TEST(into.commands[1].command == "get");
  BOOST_TEST(into.commands[2].command == "set");
  const CommandMetrics& merged = *into.command("get");
  BOOST_TEST(merged.ok == 10U);
  BOOST_TEST(merged.error == 2U);
  BOOST_TEST(merged.timeout == 2U);
  BOOST_TEST(merged.connection == 1U);
  BOOST_TEST(merged.latency.buckets[0] == 6U);
  BOOST_TEST(merged.latency.buckets[LatencyHistogram::bucket_count] == 4U);
  BOOST_TEST(merged.latency.count == 10U);
  BOOST_TEST(merged.latency.sum_seconds == 60.0);
  BOOST_TEST(into.command("set")->ok == 2U); // only in `into`: unchanged
  BOOST_TEST(into.command("del")->latency.buckets[2] == 1U);
  BOOST_REQUIRE(into.nodes.size() == 2U);
  BOOST_TEST(into.nodes[0].node == "127.0.0.1:7000"); // known ones first, then the new
  BOOST_TEST(into.nodes[0].connections_open == 3U);
  BOOST_TEST(into.nodes[0].reconnects == 5U);
  BOOST_TEST(into.nodes[1].node == "127.0.0.1:7001");
  BOOST_TEST(into.pending_calls == 4U);
  BOOST_TEST(into.redirections_moved == 3U);
  BOOST_TEST(into.redirections_ask == 3U);
  BOOST_TEST(into.redirections_tryagain == 4U);
  BOOST_TEST(into.topology_refreshes == 5U);
  BOOST_TEST(into.pubsub_received == 11U);
  BOOST_TEST(into.pubsub_dropped == 6U);
  BOOST_TEST(into.handler_backlog == 3U);

  // Merging into an empty snapshot copies.
  ToolkitMetrics empty;
  empty.merge(other);
  BOOST_TEST(empty.command("get")->ok == 6U);
  BOOST_TEST(empty.nodes.size() == 2U);
}

BOOST_AUTO_TEST_SUITE_END()
