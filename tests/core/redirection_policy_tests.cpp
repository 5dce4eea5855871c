// The router's reply rules without a router: every redirection case, the hop budget and the
// delay between late hops, from judge_reply and redirect_delay alone. No socket, no actor.
#include "redirection_policy.hpp"
#include "reply_builders.hpp"

#include <boost/test/unit_test.hpp>

using namespace redis_toolkit;
using namespace redis_toolkit::detail;
using Action = ReplyVerdict::Action;
using std::chrono::milliseconds;

namespace {

const NodeAddress node{"127.0.0.1", 7000};
constexpr int budget = 16;

using rtk_test::error;

ReplyVerdict judge(const Reply& reply, int redirections = 0, bool cluster = true) {
  return judge_reply(reply, node, cluster, redirections, budget);
}

} // namespace

BOOST_AUTO_TEST_SUITE(redirection_policy_tests)

BOOST_AUTO_TEST_CASE(a_moved_is_followed_at_once_then_after_a_delay) {
  const Reply moved = error("MOVED 3999 127.0.0.1:7001");
  for (int before = 0; before < immediate_redirections; ++before) {
    const ReplyVerdict verdict = judge(moved, before);
    BOOST_TEST((verdict.action == Action::redirect_now));
    BOOST_TEST(verdict.redirections == before + 1);
    BOOST_REQUIRE(verdict.redirection);
    BOOST_TEST((verdict.redirection->kind == Redirection::Kind::moved));
    BOOST_TEST(verdict.redirection->slot == 3999);
    BOOST_TEST(verdict.redirection->target.to_string() == "127.0.0.1:7001");
    BOOST_TEST(verdict.refresh_topology); // the slot table is out of date
  }
  const ReplyVerdict late = judge(moved, immediate_redirections);
  BOOST_TEST((late.action == Action::redirect_later));
  BOOST_TEST(late.redirections == immediate_redirections + 1);
  BOOST_TEST(late.redirection.has_value());
}

BOOST_AUTO_TEST_CASE(an_ask_goes_to_its_target_without_asking_for_the_topology) {
  const ReplyVerdict verdict = judge(error("ASK 12 :7002"));
  BOOST_TEST((verdict.action == Action::redirect_now));
  BOOST_REQUIRE(verdict.redirection);
  BOOST_TEST((verdict.redirection->kind == Redirection::Kind::ask));
  BOOST_TEST(verdict.redirection->target.to_string() == "127.0.0.1:7002"); // the node's host
  BOOST_TEST(!verdict.refresh_topology); // one migrating key says nothing about the table
}

BOOST_AUTO_TEST_CASE(past_the_hop_budget_the_answer_names_the_node_and_the_last_redirection) {
  const ReplyVerdict within = judge(error("MOVED 1 127.0.0.1:7001"), budget - 1);
  BOOST_TEST((within.action == Action::redirect_later));
  BOOST_TEST(within.redirections == budget);

  const ReplyVerdict over = judge(error("MOVED 1 127.0.0.1:7001"), budget);
  BOOST_TEST((over.action == Action::give_up));
  BOOST_TEST(!over.redirection); // nothing to follow, the table is not touched
  BOOST_REQUIRE(over.failure);
  BOOST_TEST((over.failure->type == Reply::Type::cluster_failed));
  BOOST_TEST(over.failure->server == "127.0.0.1:7000");
  BOOST_TEST(over.failure->text ==
             "too many redirections (16), the last one: MOVED 1 127.0.0.1:7001");
}

BOOST_AUTO_TEST_CASE(a_demoted_master_sends_the_command_to_the_new_one_later) {
  for (const char* text : {"READONLY You can't write against a read only replica.",
                           "ERR WAIT cannot be used with replica instances.",
                           "UNBLOCKED force unblock from blocking operation"}) {
    const ReplyVerdict verdict = judge(error(text), 3);
    BOOST_TEST((verdict.action == Action::redirect_later), text);
    BOOST_TEST(verdict.redirections == 4);
    BOOST_TEST(verdict.refresh_topology);
    BOOST_TEST(!verdict.redirection); // the slot table (refreshed) says where
  }
  // Past the budget the error stands as the answer; the hop still counts.
  const ReplyVerdict spent = judge(error("READONLY You can't write"), budget);
  BOOST_TEST((spent.action == Action::answer));
  BOOST_TEST(spent.redirections == budget + 1);
}

BOOST_AUTO_TEST_CASE(transient_cluster_errors_and_loading_are_retried) {
  const ReplyVerdict tryagain = judge(error("TRYAGAIN Multiple keys request during rehashing"));
  BOOST_TEST((tryagain.action == Action::retry));
  BOOST_TEST(tryagain.tryagain);
  BOOST_TEST(!tryagain.refresh_topology); // a migration in progress, not a new owner
  BOOST_TEST(tryagain.redirections == 0); // retries have their own budget

  const ReplyVerdict down = judge(error("CLUSTERDOWN The cluster is down"));
  BOOST_TEST((down.action == Action::retry));
  BOOST_TEST(!down.tryagain);
  BOOST_TEST(down.refresh_topology);

  const ReplyVerdict loading = judge(error("LOADING Redis is loading the dataset in memory"));
  BOOST_TEST((loading.action == Action::retry));
  BOOST_TEST(loading.refresh_topology);
}

BOOST_AUTO_TEST_CASE(a_lost_connection_is_retried_and_in_a_cluster_the_topology_asked_for) {
  const Reply lost = Reply::failure(Reply::Type::connection_failed, "127.0.0.1:7000", "reset");
  const ReplyVerdict in_cluster = judge(lost);
  BOOST_TEST((in_cluster.action == Action::retry));
  BOOST_TEST(in_cluster.refresh_topology);
  const ReplyVerdict alone = judge(lost, 0, false);
  BOOST_TEST((alone.action == Action::retry));
  BOOST_TEST(!alone.refresh_topology);
  const ReplyVerdict timed_out =
      judge(Reply::failure(Reply::Type::timed_out, "127.0.0.1:7000", "no reply in 2000 ms"));
  BOOST_TEST((timed_out.action == Action::retry));
}

BOOST_AUTO_TEST_CASE(everything_else_is_the_answer) {
  for (const char* text : {"ERR unknown command 'FOO'", "WRONGTYPE Operation against a key",
                           "CROSSSLOT Keys in request don't hash to the same slot",
                           "MOVED nonsense", "MOVED 99999 h:1"}) {
    const ReplyVerdict verdict = judge(error(text), 5);
    BOOST_TEST((verdict.action == Action::answer), text);
    BOOST_TEST(verdict.redirections == 5);
    BOOST_TEST(!verdict.refresh_topology);
  }
  Reply value;
  value.type = Reply::Type::string;
  value.text = "MOVED 1 127.0.0.1:7001"; // a stored value that reads like a redirection
  BOOST_TEST((judge(value).action == Action::answer));
  // One server alone (no cluster, no Sentinel) has nowhere else to send it: the error stands.
  BOOST_TEST((judge(error("MOVED 1 127.0.0.1:7001"), 0, false).action == Action::answer));
  BOOST_TEST((judge(error("LOADING Redis is loading"), 0, false).action == Action::answer));
}

BOOST_AUTO_TEST_CASE(late_hops_wait_5_ms_doubling_up_to_half_a_second) {
  BOOST_TEST(redirect_delay(0).count() == 5);
  BOOST_TEST(redirect_delay(immediate_redirections + 1).count() == 5);
  BOOST_TEST(redirect_delay(immediate_redirections + 2).count() == 10);
  BOOST_TEST(redirect_delay(immediate_redirections + 3).count() == 20);
  BOOST_TEST(redirect_delay(immediate_redirections + 7).count() == 320);
  BOOST_TEST(redirect_delay(immediate_redirections + 8).count() == 500);
  BOOST_TEST(redirect_delay(1000).count() == 500); // no overflow however many hops
}

BOOST_AUTO_TEST_SUITE_END()
