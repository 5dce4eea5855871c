// Subscribe calls waiting for Redis's confirmations (SubscriptionConfirmations): answered once
// each of their names is confirmed, in the order they came, and all at once when none will come.
// No server.
#include "subscription_confirmations.hpp"

#include <boost/test/unit_test.hpp>

#include <vector>

using redis_toolkit::detail::SubscriptionConfirmations;
using redis_toolkit::detail::SubscriptionTarget;

namespace {
constexpr auto channel = SubscriptionTarget::channel;
constexpr auto pattern = SubscriptionTarget::pattern;
using Answered = std::vector<int>;
} // namespace

BOOST_AUTO_TEST_SUITE(subscription_confirmations_tests)

BOOST_AUTO_TEST_CASE(a_call_is_answered_when_its_last_name_is_confirmed) {
  SubscriptionConfirmations<int> waiting;
  waiting.add(1, {{channel, "news"}, {channel, "sport"}});
  BOOST_TEST(waiting.confirm(channel, "news") == Answered{});
  BOOST_TEST(waiting.confirm(channel, "sport") == Answered{1});
  BOOST_TEST(waiting.empty());
}

BOOST_AUTO_TEST_CASE(one_confirmation_counts_for_every_call_that_asked_for_it) {
  SubscriptionConfirmations<int> waiting;
  waiting.add(1, {{channel, "news"}});
  waiting.add(2, {{channel, "sport"}, {channel, "news"}});
  waiting.add(3, {{channel, "news"}});
  BOOST_TEST(waiting.confirm(channel, "news") == (Answered{1, 3})); // in the order they came
  BOOST_TEST(waiting.size() == 1u);
  BOOST_TEST(waiting.confirm(channel, "sport") == Answered{2});
}

BOOST_AUTO_TEST_CASE(a_pattern_and_a_channel_of_the_same_name_are_two_confirmations) {
  SubscriptionConfirmations<int> waiting;
  waiting.add(1, {{pattern, "news"}});
  BOOST_TEST(waiting.confirm(channel, "news") == Answered{});
  BOOST_TEST(waiting.confirm(pattern, "news") == Answered{1});
}

BOOST_AUTO_TEST_CASE(a_confirmation_nobody_waits_for_answers_nobody) {
  SubscriptionConfirmations<int> waiting;
  BOOST_TEST(waiting.confirm(channel, "news") == Answered{}); // a resubscription after a reconnect
  waiting.add(1, {{channel, "a"}});
  BOOST_TEST(waiting.confirm(channel, "b") == Answered{});
  BOOST_TEST(waiting.size() == 1u);
}

BOOST_AUTO_TEST_CASE(take_all_hands_every_call_back_in_order_and_leaves_none) {
  SubscriptionConfirmations<int> waiting;
  waiting.add(1, {{channel, "a"}});
  waiting.add(2, {{pattern, "b*"}});
  BOOST_TEST(waiting.take_all() == (Answered{1, 2}));
  BOOST_TEST(waiting.empty());
  BOOST_TEST(waiting.confirm(channel, "a") == Answered{});
}

BOOST_AUTO_TEST_SUITE_END()
