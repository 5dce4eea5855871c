// The router's decisions without a router actor or a server: RouterCore driven by hand through a
// port that records what it is asked (pipelines, answers, timers, refreshes). Each case plays the
// server's part by answering the pipelines it sees.
#include "reply_builders.hpp"
#include "router_core.hpp"

#include "redis_toolkit/key_slot.hpp"

#include <boost/test/unit_test.hpp>

#include <map>
#include <optional>

using namespace redis_toolkit;
using namespace redis_toolkit::detail;
using rtk_test::error;
using rtk_test::text;

namespace {

struct Sent {
  ConnectionRef connection;
  std::string encoded;
  std::uint32_t count = 0;
  std::uint64_t part = 0;
};

struct Timer {
  RouterTimer timer;
  std::uint64_t id;
  RouterClock::duration after;
};

/// Records what the core asks; answers arrive in `answers`, each caller's answer counted.
class RecordingPort final : public RouterPort {
public:
  std::vector<Sent> sent;
  std::map<std::uint64_t, std::vector<Reply>> answers;
  std::map<std::uint64_t, int> times_answered;
  std::vector<Timer> timers;
  int parts_queued_calls = 0;
  int refreshes = 0;
  int topology_needed_calls = 0;
  bool take_elements = false; ///< move the replies out, as the router's tagged answers do
  RouterClock::time_point clock{};

  void parts_queued() override { ++parts_queued_calls; }
  void send(ConnectionRef connection, CommandBatch&& batch, std::uint64_t part) override {
    sent.push_back(Sent{connection, std::move(batch.encoded), batch.count, part});
  }
  void answer(std::uint64_t caller, std::vector<Reply>&& replies) override {
    if (take_elements)
      answers[caller].assign(std::make_move_iterator(replies.begin()),
                             std::make_move_iterator(replies.end()));
    else
      answers[caller] = std::move(replies);
    ++times_answered[caller];
  }
  void start_timer(RouterTimer timer, std::uint64_t id, RouterClock::duration after) override {
    timers.push_back(Timer{timer, id, after});
  }
  void refresh_topology() override { ++refreshes; }
  void topology_needed() override { ++topology_needed_calls; }
  RouterClock::time_point now() override { return clock; }

  /// The pipelines sent since the last call, and forgets them.
  std::vector<Sent> take_sent() {
    std::vector<Sent> taken;
    taken.swap(sent);
    return taken;
  }
};

const NodeAddress node_a{"127.0.0.1", 7000};
const NodeAddress node_b{"127.0.0.1", 7001};
const NodeAddress node_c{"127.0.0.1", 7002};

RouterCoreSettings single_server() {
  RouterCoreSettings settings;
  settings.single_server = node_a;
  settings.server_name = node_a.to_string();
  settings.max_connections = 2;
  return settings;
}

RouterCoreSettings cluster() {
  RouterCoreSettings settings;
  settings.cluster = true;
  settings.server_name = "cluster " + node_a.to_string();
  settings.max_connections = 2;
  return settings;
}

/// Three masters without replicas: a serves 0-5460, b 5461-10922, c 10923-16383.
ClusterTopology three_masters() {
  ClusterTopology topology;
  topology.shards.push_back(ClusterShard{node_a, {}, {SlotRange{0, 5460}}});
  topology.shards.push_back(ClusterShard{node_b, {}, {SlotRange{5461, 10922}}});
  topology.shards.push_back(ClusterShard{node_c, {}, {SlotRange{10923, 16383}}});
  return topology;
}

/// A key whose slot lies in [first, last].
std::string key_in(std::uint16_t first, std::uint16_t last) {
  for (int i = 0;; ++i) {
    std::string key = "key:" + std::to_string(i);
    const std::uint16_t slot = key_slot(key);
    if (slot >= first && slot <= last) return key;
  }
}

CommandRequest get(const std::string& key) {
  CommandRequest request;
  request.add({"GET", key}, key_slot(key));
  return request;
}

std::string encoded_get(const std::string& key) {
  return "*2\r\n$3\r\nGET\r\n$" + std::to_string(key.size()) + "\r\n" + key + "\r\n";
}

Reply ok() {
  Reply reply = text("OK");
  reply.type = Reply::Type::status;
  return reply;
}

/// Answers one pipeline with `replies`.
void answer(RouterCore& core, const Sent& part, std::vector<Reply> replies) {
  core.take_part(part.part, replies);
}

/// A core routing over three_masters(), and a key of node a's.
struct ThreeMasters {
  RecordingPort port;
  RouterCore core{cluster(), port};
  const std::string key = key_in(0, 5460);
  const std::string slot = std::to_string(key_slot(key));

  ThreeMasters() { core.apply_topology(three_masters(), node_a); }

  /// Submits GET key as `caller` and flushes: the one pipeline sent.
  Sent get_sent(std::uint64_t caller) {
    CommandRequest request = get(key);
    core.submit(request, caller);
    core.flush();
    std::vector<Sent> sent = port.take_sent();
    BOOST_REQUIRE(sent.size() == 1u);
    return sent[0];
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(router_core_tests)

BOOST_AUTO_TEST_CASE(a_command_waits_for_flush_and_its_reply_answers_the_caller_once) {
  RecordingPort port;
  RouterCore core(single_server(), port);
  CommandRequest request = get("k");
  core.submit(request, 7);
  BOOST_TEST(port.sent.empty()); // nothing leaves before flush
  BOOST_TEST(port.parts_queued_calls == 1);
  core.flush();
  std::vector<Sent> sent = port.take_sent();
  BOOST_REQUIRE(sent.size() == 1u);
  BOOST_TEST(sent[0].connection.node == 0);
  BOOST_TEST(sent[0].connection.index == key_slot("k") % 2u); // the slot's shared connection
  BOOST_TEST(sent[0].encoded == encoded_get("k"));
  BOOST_TEST(sent[0].count == 1u);
  BOOST_TEST(core.pending_calls() == 1u);

  answer(core, sent[0], {text("v")});
  BOOST_TEST(port.times_answered[7] == 1);
  BOOST_REQUIRE(port.answers[7].size() == 1u);
  BOOST_TEST(port.answers[7][0].text == "v");
  BOOST_TEST(core.pending_calls() == 0u);
  // A late or repeated reply to the same part finds nothing to answer.
  answer(core, sent[0], {text("again")});
  BOOST_TEST(port.times_answered[7] == 1);
  BOOST_TEST(core.statistics(0).requests_total == 1u);
}

BOOST_AUTO_TEST_CASE(a_port_that_moves_the_replies_out_leaves_the_next_operation_clean) {
  RecordingPort port;
  port.take_elements = true;
  RouterCore core(single_server(), port);
  // One operation after another in the same slot of the core, each answered with its own
  // replies, whatever the one before left in the vector the port emptied.
  for (std::uint64_t caller = 1; caller <= 3; ++caller) {
    CommandRequest request;
    for (std::uint64_t i = 0; i < caller; ++i) request.add({"GET", "k"}, key_slot("k"));
    core.submit(request, caller);
    core.flush();
    std::vector<Sent> sent = port.take_sent();
    BOOST_REQUIRE(sent.size() == 1u);
    std::vector<Reply> replies;
    for (std::uint64_t i = 0; i < caller; ++i) replies.push_back(text("v" + std::to_string(i)));
    answer(core, sent[0], std::move(replies));
    BOOST_REQUIRE(port.answers[caller].size() == caller);
    for (std::uint64_t i = 0; i < caller; ++i)
      BOOST_TEST(port.answers[caller][i].text == "v" + std::to_string(i));
  }
  // A fan-out's assembled answer takes the same way out.
  CommandRequest fan_out;
  fan_out.add_targeted({"PING"}, Command::Target::every_master, "");
  core.submit(fan_out, 4);
  core.flush();
  answer(core, port.take_sent().at(0), {text("PONG")});
  BOOST_REQUIRE(port.answers[4].size() == 1u);
  BOOST_TEST(port.answers[4][0].elements.size() == 2u); // (node, reply)
  BOOST_TEST(core.pending_calls() == 0u);
}

BOOST_AUTO_TEST_CASE(operations_of_one_round_share_a_pipeline_and_get_their_own_replies) {
  RecordingPort port;
  RouterCore core(single_server(), port);
  // Two keys whose slots use the same connection, and one key without a slot.
  const std::string first = "k";
  std::string second;
  for (int i = 0; second.empty(); ++i) {
    std::string candidate = "other:" + std::to_string(i);
    if (key_slot(candidate) % 2 == key_slot(first) % 2) second = candidate;
  }
  CommandRequest a = get(first);
  CommandRequest b = get(second);
  CommandRequest batch;
  batch.add({"GET", first}, key_slot(first));
  batch.add({"GET", second}, key_slot(second));
  core.submit(a, 1);
  core.submit(b, 2);
  core.submit(batch, 3);
  BOOST_TEST(port.parts_queued_calls == 1); // once for the round, not once per operation
  core.flush();
  std::vector<Sent> sent = port.take_sent();
  BOOST_REQUIRE(sent.size() == 1u);
  BOOST_TEST(sent[0].count == 4u);
  BOOST_TEST(sent[0].encoded ==
             encoded_get(first) + encoded_get(second) + encoded_get(first) + encoded_get(second));
  answer(core, sent[0], {text("1"), text("2"), text("3"), text("4")});
  BOOST_TEST(port.answers[1][0].text == "1");
  BOOST_TEST(port.answers[2][0].text == "2");
  BOOST_REQUIRE(port.answers[3].size() == 2u);
  BOOST_TEST(port.answers[3][0].text == "3");
  BOOST_TEST(port.answers[3][1].text == "4");
}

BOOST_FIXTURE_TEST_CASE(a_batch_over_three_masters_is_answered_in_the_callers_order, ThreeMasters) {
  const std::string on_a = key_in(0, 5460), on_b = key_in(5461, 10922),
                    on_c = key_in(10923, 16383);
  CommandRequest batch;
  for (const std::string* key : {&on_c, &on_a, &on_b, &on_c})
    batch.add({"GET", *key}, key_slot(*key));
  core.submit(batch, 9);
  core.flush();
  std::vector<Sent> sent = port.take_sent();
  BOOST_REQUIRE(sent.size() == 3u);
  // The nodes answer in an order of their own; the caller's order stands.
  std::map<std::int32_t, const Sent*> by_node;
  for (const Sent& part : sent) by_node[part.connection.node] = &part;
  const std::int32_t a = core.node_for_address(node_a), b = core.node_for_address(node_b),
                     c = core.node_for_address(node_c);
  BOOST_REQUIRE(by_node.count(c) == 1u);
  BOOST_TEST(by_node[c]->count == 2u);
  answer(core, *by_node[b], {text("b")});
  answer(core, *by_node[c], {text("c1"), text("c2")});
  BOOST_TEST(port.answers.empty());
  answer(core, *by_node[a], {text("a")});
  BOOST_REQUIRE(port.answers[9].size() == 4u);
  BOOST_TEST(port.answers[9][0].text == "c1");
  BOOST_TEST(port.answers[9][1].text == "a");
  BOOST_TEST(port.answers[9][2].text == "b");
  BOOST_TEST(port.answers[9][3].text == "c2");
}

BOOST_AUTO_TEST_CASE(operations_before_the_first_slot_table_wait_for_it) {
  RecordingPort port;
  RouterCore core(cluster(), port);
  CommandRequest request = get("k");
  core.submit(request, 1);
  BOOST_TEST(port.topology_needed_calls == 1);
  core.flush();
  BOOST_TEST(port.sent.empty());

  // A first table with a hole is refused, and what waited fails naming the gap.
  ClusterTopology partial;
  partial.shards.push_back(ClusterShard{node_a, {}, {SlotRange{0, 100}}});
  BOOST_TEST(core.refuses(partial, node_a).has_value());
  CommandRequest second = get("k");
  core.submit(second, 2);
  BOOST_TEST(core.apply_topology(partial, node_a).has_value());
  BOOST_TEST(!core.ready());
  BOOST_TEST((port.answers[1][0].type == Reply::Type::cluster_failed));
  BOOST_TEST(port.answers[1][0].text.find("101 of 16384 slots") != std::string::npos);
  BOOST_TEST(port.times_answered[2] == 1);

  CommandRequest third = get("k");
  core.submit(third, 3);
  BOOST_TEST(!core.apply_topology(three_masters(), node_a).has_value());
  BOOST_TEST(core.ready());
  core.flush();
  BOOST_REQUIRE(port.sent.size() == 1u);
  BOOST_TEST(core.address(port.sent[0].connection.node) == node_b); // slot 7629 is b's

  // No topology at all: the waiting fail with the reason given.
  RouterCore lonely(cluster(), port);
  CommandRequest fourth = get("k");
  lonely.submit(fourth, 4);
  lonely.fail_waiting(Reply::Type::connection_failed, "no reachable startup node");
  BOOST_TEST((port.answers[4][0].type == Reply::Type::connection_failed));
  BOOST_TEST(port.answers[4][0].text.find("no reachable startup node") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(a_moved_teaches_the_slot_table_and_is_followed_in_the_next_round,
                        ThreeMasters) {
  answer(core, get_sent(1), {error("MOVED " + slot + " 127.0.0.1:7001")});
  BOOST_TEST(port.answers.empty());
  BOOST_TEST(port.refreshes == 1);
  BOOST_TEST(core.metrics().redirections_moved == 1u);
  core.flush();
  std::vector<Sent> second = port.take_sent();
  BOOST_REQUIRE(second.size() == 1u);
  BOOST_TEST(core.address(second[0].connection.node) == node_b);
  BOOST_TEST(second[0].encoded == encoded_get(key)); // no ASKING before a MOVED's resend
  answer(core, second[0], {text("v")});
  BOOST_TEST(port.answers[1][0].text == "v");
  // The table learned it: the next command of that slot goes to b at once.
  BOOST_TEST(core.address(get_sent(2).connection.node) == node_b);
}

BOOST_FIXTURE_TEST_CASE(an_ask_sends_once_behind_asking_and_leaves_the_table_alone,
                        ThreeMasters) {
  answer(core, get_sent(1), {error("ASK " + slot + " 127.0.0.1:7002")});
  BOOST_TEST(port.refreshes == 0);
  core.flush();
  std::vector<Sent> asked = port.take_sent();
  BOOST_REQUIRE(asked.size() == 1u);
  BOOST_TEST(core.address(asked[0].connection.node) == node_c);
  BOOST_TEST(asked[0].count == 2u);
  BOOST_TEST(asked[0].encoded == "*1\r\n$6\r\nASKING\r\n" + encoded_get(key));
  answer(core, asked[0], {ok(), text("v")}); // ASKING's own reply is no one's
  BOOST_REQUIRE(port.answers[1].size() == 1u);
  BOOST_TEST(port.answers[1][0].text == "v");
  BOOST_TEST(core.metrics().redirections_ask == 1u);
  BOOST_TEST(core.address(get_sent(2).connection.node) == node_a);
}

BOOST_AUTO_TEST_CASE(past_two_hops_a_redirection_waits_for_a_timer_and_the_budget_ends_it) {
  RecordingPort port;
  RouterCoreSettings settings = cluster();
  settings.max_redirections = 4;
  RouterCore core(settings, port);
  core.apply_topology(three_masters(), node_a);
  const std::string key = key_in(0, 5460);
  const std::string moved = "MOVED " + std::to_string(key_slot(key)) + " 127.0.0.1:7001";
  CommandRequest request = get(key);
  core.submit(request, 1);
  int sends = 0;
  while (port.times_answered[1] == 0) {
    core.flush();
    std::vector<Sent> sent = port.take_sent();
    if (sent.empty()) { // waiting for the redirect timer
      BOOST_REQUIRE(port.timers.size() == 1u);
      BOOST_TEST((port.timers[0].timer == RouterTimer::redirect));
      const std::uint64_t id = port.timers[0].id;
      port.timers.clear();
      core.timer_fired(RouterTimer::redirect, id);
      continue;
    }
    BOOST_REQUIRE(sent.size() == 1u);
    ++sends;
    BOOST_REQUIRE(sends <= 10);
    answer(core, sent[0], {error(moved)});
  }
  BOOST_TEST(sends == 5); // the first send and four hops
  BOOST_TEST((port.answers[1][0].type == Reply::Type::cluster_failed));
  BOOST_TEST(port.answers[1][0].text.find(moved) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_lost_connection_is_retried_after_the_policys_delay) {
  RecordingPort port;
  RouterCore core(single_server(), port);
  CommandRequest request = get("k");
  request.retry.attempts = 3;
  request.retry.delay = std::chrono::duration<double>(0.01);
  request.retry.backoff = 2.0;
  core.submit(request, 1);
  core.flush();
  answer(core, port.take_sent().at(0),
         {Reply::failure(Reply::Type::connection_failed, "127.0.0.1:7000", "reset")});
  BOOST_TEST(port.answers.empty());
  BOOST_REQUIRE(port.timers.size() == 1u);
  BOOST_TEST((port.timers[0].timer == RouterTimer::retry));
  BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(port.timers[0].after).count() == 10);
  core.timer_fired(RouterTimer::retry, port.timers[0].id);
  core.flush();
  answer(core, port.take_sent().at(0),
         {Reply::failure(Reply::Type::timed_out, "127.0.0.1:7000", "no reply within 1000 ms")});
  BOOST_REQUIRE(port.timers.size() == 2u);
  BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(port.timers[1].after).count() == 20);
  port.clock += std::chrono::milliseconds(1500);
  core.timer_fired(RouterTimer::retry, port.timers[1].id);
  core.flush();
  answer(core, port.take_sent().at(0),
         {Reply::failure(Reply::Type::timed_out, "127.0.0.1:7000", "no reply within 1000 ms")});
  // Three attempts spent: the failure is the answer, and says what the caller went through.
  BOOST_TEST(port.timers.size() == 2u);
  BOOST_REQUIRE(port.times_answered[1] == 1);
  BOOST_TEST((port.answers[1][0].type == Reply::Type::timed_out));
  BOOST_TEST(port.answers[1][0].text.find("gave up after 1.50 s and 3 attempts") != std::string::npos,
             port.answers[1][0].text);
  BOOST_TEST(core.statistics(0).retries == 2u);
}

BOOST_AUTO_TEST_CASE(an_error_reply_is_an_answer_and_only_the_failed_command_is_retried) {
  RecordingPort port;
  RouterCore core(single_server(), port);
  CommandRequest request;
  request.add({"GET", "a"}, key_slot("a"));
  request.add({"INCR", "a"}, key_slot("a"));
  request.add({"GET", "b"}, key_slot("b"));
  request.retry.attempts = 2;
  core.submit(request, 1);
  core.flush();
  std::vector<Sent> sent = port.take_sent();
  std::size_t commands = 0;
  for (const Sent& part : sent) commands += part.count;
  BOOST_REQUIRE(commands == 3u);
  for (const Sent& part : sent) {
    std::vector<Reply> replies;
    for (std::uint32_t i = 0; i < part.count; ++i) {
      if (part.encoded.find("INCR") != std::string::npos && i == 1)
        replies.push_back(error("ERR value is not an integer or out of range"));
      else if (part.encoded.rfind(encoded_get("b"), 0) == 0)
        replies.push_back(Reply::failure(Reply::Type::connection_failed, "127.0.0.1:7000", "reset"));
      else
        replies.push_back(text("x"));
    }
    answer(core, part, std::move(replies));
  }
  BOOST_REQUIRE(port.timers.size() == 1u);
  core.timer_fired(RouterTimer::retry, port.timers[0].id);
  core.flush();
  sent = port.take_sent();
  BOOST_REQUIRE(sent.size() == 1u);
  BOOST_TEST(sent[0].encoded == encoded_get("b")); // only the lost command goes again
  answer(core, sent[0], {text("b")});
  BOOST_REQUIRE(port.answers[1].size() == 3u);
  BOOST_TEST(port.answers[1][0].text == "x");
  BOOST_TEST(port.answers[1][1].is_error());
  BOOST_TEST(port.answers[1][2].text == "b");
}

BOOST_FIXTURE_TEST_CASE(every_master_fans_out_and_comes_back_as_node_reply_pairs, ThreeMasters) {
  CommandRequest request;
  request.add({"GET", "k"}, key_slot("k"));
  request.add_targeted({"PING"}, Command::Target::every_master, "");
  core.submit(request, 1);
  core.flush();
  std::vector<Sent> sent = port.take_sent();
  std::size_t pings = 0;
  for (const Sent& part : sent) {
    std::vector<Reply> replies;
    for (std::uint32_t i = 0; i < part.count; ++i) {
      const bool ping = part.encoded.find("PING") != std::string::npos &&
                        (part.count == 1 || i == 1);
      pings += ping ? 1 : 0;
      replies.push_back(ping ? text("PONG " + core.address(part.connection.node).to_string())
                             : text("v"));
    }
    answer(core, part, std::move(replies));
  }
  BOOST_TEST(pings == 3u);
  BOOST_REQUIRE(port.answers[1].size() == 2u);
  BOOST_TEST(port.answers[1][0].text == "v");
  const Reply& fan_out = port.answers[1][1];
  BOOST_REQUIRE(fan_out.elements.size() == 6u);
  for (std::size_t i = 0; i < 6; i += 2)
    BOOST_TEST(fan_out.elements[i + 1].text == "PONG " + fan_out.elements[i].text);
}

BOOST_AUTO_TEST_CASE(an_ended_connection_fails_what_it_held_and_a_fresh_one_takes_the_retry) {
  RecordingPort port;
  RouterCore core(single_server(), port);
  CommandRequest request = get("k");
  core.submit(request, 1);
  core.flush();
  const Sent held = port.take_sent().at(0);
  core.connection_ended(held.connection);
  BOOST_REQUIRE(port.timers.size() == 1u); // connection_failed: retried
  core.timer_fired(RouterTimer::retry, port.timers[0].id);
  core.flush();
  const Sent retried = port.take_sent().at(0);
  BOOST_TEST(retried.connection.index == held.connection.index);
  // The ended connection's late reply finds nothing; the fresh one's answers.
  answer(core, held, {text("stale")});
  BOOST_TEST(port.answers.empty());
  answer(core, retried, {text("fresh")});
  BOOST_TEST(port.answers[1][0].text == "fresh");
}

BOOST_AUTO_TEST_CASE(a_watch_session_holds_its_connection_and_fails_when_it_is_lost) {
  RecordingPort port;
  RouterCore core(single_server(), port);
  auto open = [](std::uint64_t session) {
    CommandRequest request;
    request.add({"WATCH", "k"}, key_slot("k"));
    request.atomic = true;
    request.session = session;
    return request;
  };
  auto close = [](std::uint64_t session) {
    CommandRequest request;
    request.add({"MULTI"}, key_slot("k"));
    request.add({"EXEC"}, key_slot("k"));
    request.atomic = true;
    request.session = session;
    request.session_close = true;
    return request;
  };
  CommandRequest first = open(1), second = open(2);
  core.submit(first, 10);
  core.submit(second, 20); // waits: the session connection is taken
  core.flush();
  std::vector<Sent> sent = port.take_sent();
  BOOST_REQUIRE(sent.size() == 1u);
  const std::size_t session_connection = core.pool_size() - 1;
  BOOST_TEST(sent[0].connection.index == session_connection);
  BOOST_REQUIRE(port.timers.size() == 1u);
  BOOST_TEST((port.timers[0].timer == RouterTimer::session_expiry));
  answer(core, sent[0], {ok()});
  BOOST_TEST(port.times_answered[10] == 1);
  BOOST_TEST(port.times_answered.count(20) == 0u);

  // The connection holding session 1's WATCH ends: its close fails, and session 2 goes next.
  core.connection_ended(ConnectionRef{0, session_connection});
  CommandRequest closing = close(1);
  core.submit(closing, 11);
  BOOST_REQUIRE(port.times_answered[11] == 1);
  BOOST_TEST((port.answers[11][0].type == Reply::Type::connection_failed));
  BOOST_TEST(port.answers[11][0].text.find("WATCH was lost") != std::string::npos);
  core.flush();
  sent = port.take_sent();
  BOOST_REQUIRE(sent.size() == 1u); // session 2's WATCH, on the fresh connection
  BOOST_TEST(sent[0].connection.index == session_connection);
  answer(core, sent[0], {ok()});
  BOOST_TEST(port.times_answered[20] == 1);

  // Session 2 left open: expiry sends UNWATCH on its connection; its late close fails.
  core.timer_fired(RouterTimer::session_expiry, 2);
  sent = port.take_sent();
  BOOST_REQUIRE(sent.size() == 1u);
  BOOST_TEST(sent[0].encoded == "*1\r\n$7\r\nUNWATCH\r\n");
  CommandRequest late = close(2);
  core.submit(late, 21);
  BOOST_TEST(port.answers[21][0].text.find("WATCH was dropped") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(a_transaction_moves_whole_and_a_lost_one_is_not_sent_twice, ThreeMasters) {
  const std::string moved = "MOVED " + slot + " 127.0.0.1:7001";
  auto transaction = [&] {
    CommandRequest request;
    request.add({"MULTI"}, key_slot(key));
    request.add({"SET", key, "1"}, key_slot(key));
    request.add({"EXEC"}, key_slot(key));
    request.atomic = true;
    return request;
  };
  CommandRequest moving = transaction();
  core.submit(moving, 1);
  core.flush();
  answer(core, port.take_sent().at(0), {ok(), error(moved), error("EXECABORT")});
  core.flush();
  std::vector<Sent> again = port.take_sent();
  BOOST_REQUIRE(again.size() == 1u);
  BOOST_TEST(again[0].count == 3u); // all of it, to the slot's new owner
  BOOST_TEST(core.address(again[0].connection.node) == node_b);
  answer(core, again[0], {ok(), text("QUEUED"), rtk_test::array({ok()})});
  BOOST_TEST(port.answers[1][2].elements.size() == 1u);

  CommandRequest lost = transaction();
  lost.retry.attempts = 3;
  core.submit(lost, 2);
  core.flush();
  const Sent sent = port.take_sent().at(0);
  std::vector<Reply> failed(3, Reply::failure(Reply::Type::connection_failed, "127.0.0.1:7001", "reset"));
  answer(core, sent, failed);
  BOOST_TEST(port.timers.empty()); // it may have run: the failure is the answer
  BOOST_TEST((port.answers[2][0].type == Reply::Type::connection_failed));
}

BOOST_AUTO_TEST_CASE(a_pipeline_answered_short_fails_the_missing_commands_rather_than_nil) {
  RecordingPort port;
  RouterCore core(single_server(), port);
  CommandRequest request;
  request.add({"GET", "k"}, key_slot("k"));
  request.add({"GET", "k"}, key_slot("k"));
  request.retry.attempts = 1;
  core.submit(request, 1);
  core.flush();
  answer(core, port.take_sent().at(0), {text("v")});
  BOOST_REQUIRE(port.answers[1].size() == 2u);
  BOOST_TEST(port.answers[1][0].text == "v");
  BOOST_TEST((port.answers[1][1].type == Reply::Type::connection_failed));
  BOOST_TEST(port.answers[1][1].text.find("fewer replies") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(past_max_pending_calls_a_call_is_refused_at_once) {
  RecordingPort port;
  RouterCoreSettings settings = single_server();
  settings.max_pending_calls = 2;
  RouterCore core(settings, port);
  CommandRequest a = get("a"), b = get("b"), c = get("c");
  core.submit(a, 1);
  core.submit(b, 2);
  core.submit(c, 3);
  BOOST_REQUIRE(port.times_answered[3] == 1);
  BOOST_TEST((port.answers[3][0].type == Reply::Type::overloaded));
  BOOST_TEST(port.answers[3][0].text.find("max_pending_calls") != std::string::npos);
  BOOST_TEST(core.pending_calls() == 2u);
}

BOOST_AUTO_TEST_CASE(shut_down_answers_every_operation_once) {
  RecordingPort port;
  RouterCore core(cluster(), port);
  CommandRequest waiting = get("k");
  core.submit(waiting, 1); // no slot table yet
  core.apply_topology(three_masters(), node_a);
  CommandRequest sent = get("k");
  core.submit(sent, 2);
  core.flush();
  CommandRequest unsent = get("k");
  core.submit(unsent, 3);
  core.shut_down();
  for (std::uint64_t caller : {1, 2, 3}) {
    BOOST_TEST(port.times_answered[caller] == 1);
    BOOST_TEST(port.answers[caller][0].text.find("shut down") != std::string::npos);
  }
  BOOST_TEST(core.pending_calls() == 0u);
  // Replies after the end find nothing.
  answer(core, port.sent.at(0), {text("late")});
  BOOST_TEST(port.times_answered[2] == 1);
}

BOOST_AUTO_TEST_CASE(reads_go_to_replicas_in_readonly_mode_and_subscribers_spread) {
  RecordingPort port;
  RouterCoreSettings settings = cluster();
  settings.readonly_mode = true;
  RouterCore core(settings, port);
  ClusterTopology topology;
  topology.shards.push_back(ClusterShard{node_a, {node_b}, {SlotRange{0, 16383}}});
  core.apply_topology(topology, node_a);
  CommandRequest read;
  read.add({"GET", "k"}, key_slot("k"));
  read.commands[0].read_only = true;
  CommandRequest write;
  write.add({"SET", "k", "v"}, key_slot("k"));
  core.submit(read, 1);
  core.submit(write, 2);
  core.flush();
  std::vector<Sent> sent = port.take_sent();
  BOOST_REQUIRE(sent.size() == 2u);
  for (const Sent& part : sent) {
    const bool is_read = part.encoded.find("GET") != std::string::npos;
    BOOST_TEST(core.address(part.connection.node) == (is_read ? node_b : node_a));
  }
  // Classic subscribers spread over masters and replicas, avoiding a suspect.
  BOOST_TEST(core.locate(any_slot, node_a.to_string()) == node_b.to_string());
  BOOST_TEST(core.locate(any_slot, node_b.to_string()) == node_a.to_string());
  BOOST_TEST(core.locate(key_slot("k"), "") == node_a.to_string());
}

BOOST_AUTO_TEST_SUITE_END()
