// A subscriber's channels and patterns without a subscriber: what a subscribe call must send,
// what an unsubscribe call empties, what expires, what a reconnect subscribes again.
#include "subscription_set.hpp"

#include <boost/test/unit_test.hpp>

using namespace redis_toolkit;
using namespace redis_toolkit::detail;
using Target = SubscriptionTarget;
using Names = std::vector<std::string>;
using Clock = std::chrono::system_clock;
using std::chrono::seconds;

namespace {

const Clock::time_point start = Clock::time_point() + std::chrono::hours(1000);

auto handler_is(int wanted) {
  return [wanted](int handler) { return handler == wanted; };
}

} // namespace

BOOST_AUTO_TEST_SUITE(subscription_set_tests)

BOOST_AUTO_TEST_CASE(a_name_is_subscribed_once_however_many_handlers_it_has) {
  SubscriptionSet<int> set;
  auto first = set.add(Target::channel, {"news", "sport", "news"}, 7, false, start);
  BOOST_TEST(first.fresh == (Names{"news", "sport"}));
  BOOST_TEST(first.known == (Names{"news"})); // the second "news" of the same call
  auto second = set.add(Target::channel, {"news", "weather"}, 8, false, start);
  BOOST_TEST(second.fresh == (Names{"weather"}));
  BOOST_TEST(second.known == (Names{"news"}));
  const auto* news = set.find(Target::channel, "news");
  BOOST_REQUIRE(news != nullptr);
  BOOST_TEST(news->handlers == (std::vector<int>{7, 8}));
  BOOST_TEST(news->statistics.channel == "news");
  BOOST_TEST(!news->statistics.pattern);
  BOOST_TEST((news->statistics.subscribed_at == start));
  // The same handler twice is one handler.
  set.add(Target::channel, {"news"}, 7, false, start);
  BOOST_TEST(set.find(Target::channel, "news")->handlers.size() == 2u);
}

BOOST_AUTO_TEST_CASE(channels_and_patterns_of_one_name_are_apart) {
  SubscriptionSet<int> set;
  set.add(Target::channel, {"a*"}, 1, false, start);
  auto pattern = set.add(Target::pattern, {"a*"}, 1, false, start);
  BOOST_TEST(pattern.fresh == (Names{"a*"}));
  BOOST_TEST(set.find(Target::pattern, "a*")->statistics.pattern);
  BOOST_TEST(set.has_patterns());
  BOOST_TEST(set.names(Target::channel) == (Names{"a*"}));
  BOOST_TEST(set.names(Target::pattern) == (Names{"a*"}));
  // Unsubscribing channels leaves patterns alone.
  set.remove_channels({"a*"}, handler_is(1));
  BOOST_TEST(!set.contains(Target::channel, "a*"));
  BOOST_TEST(set.contains(Target::pattern, "a*"));
}

BOOST_AUTO_TEST_CASE(a_channel_is_emptied_when_its_last_handler_leaves) {
  SubscriptionSet<int> set;
  set.add(Target::channel, {"news", "sport"}, 7, false, start);
  set.add(Target::channel, {"news"}, 8, false, start);
  auto removed = set.remove_channels({"news", "sport", "never"}, handler_is(7));
  BOOST_TEST(removed.any);
  // "news" keeps handler 8; "never" was not here, and unsubscribing it again is harmless.
  BOOST_TEST(removed.emptied == (Names{"sport", "never"}));
  BOOST_TEST(set.find(Target::channel, "news")->handlers == (std::vector<int>{8}));
  BOOST_TEST(set.find(Target::channel, "sport") == nullptr);

  auto all = set.remove_channels({"news"}, [](int) { return true; });
  BOOST_TEST(all.emptied == (Names{"news"}));
  BOOST_TEST(set.names(Target::channel).empty());
  BOOST_TEST(!set.remove_channels({"news"}, handler_is(8)).any);
}

BOOST_AUTO_TEST_CASE(only_quiet_dynamic_channels_expire) {
  SubscriptionSet<int> set;
  set.add(Target::channel, {"dyn:quiet", "dyn:busy"}, 1, true, start);
  set.add(Target::channel, {"static"}, 1, false, start);
  set.find(Target::channel, "dyn:busy")->statistics.last_message_at = start + seconds(50);
  BOOST_TEST(set.expire(start + seconds(60), seconds(60)).empty()); // not longer than 60 s yet
  BOOST_TEST(set.expire(start + seconds(61), seconds(60)) == (Names{"dyn:quiet"}));
  BOOST_TEST(set.names(Target::channel) == (Names{"dyn:busy", "static"}));
  BOOST_TEST(set.expire(start + seconds(1000), seconds(60)) == (Names{"dyn:busy"}));
  // A dynamic subscribe makes a static channel dynamic; nothing makes a dynamic one static.
  set.add(Target::channel, {"static"}, 2, true, start);
  BOOST_TEST(set.expire(start + seconds(1000), seconds(60)) == (Names{"static"}));
}

BOOST_AUTO_TEST_CASE(clear_forgets_everything_and_for_each_visits_channels_then_patterns) {
  SubscriptionSet<int> set;
  set.add(Target::pattern, {"p*"}, 1, false, start);
  set.add(Target::channel, {"b", "a"}, 1, false, start);
  Names visited;
  set.for_each([&](const SubscriptionSet<int>::Entry& entry) {
    visited.push_back(entry.statistics.channel);
  });
  BOOST_TEST(visited == (Names{"a", "b", "p*"}));
  set.clear();
  BOOST_TEST(set.names(Target::channel).empty());
  BOOST_TEST(!set.has_patterns());
}

BOOST_AUTO_TEST_SUITE_END()
