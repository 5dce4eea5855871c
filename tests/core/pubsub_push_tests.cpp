// How a subscriber reads what arrives on its connection (classify_push): every kind of pub/sub
// reply Redis sends, and the malformed or unexpected ones it must not act on. No server.
#include "pubsub_push.hpp"

#include "reply_builders.hpp"

#include <boost/test/unit_test.hpp>

using redis_toolkit::Reply;
using redis_toolkit::detail::classify_push;
using redis_toolkit::detail::PushEvent;
using redis_toolkit::detail::SubscriptionTarget;
using Kind = PushEvent::Kind;
using rtk_test::array;
using rtk_test::integer;
using rtk_test::text;

namespace {

Reply status(std::string value) {
  Reply reply;
  reply.type = Reply::Type::status;
  reply.text = std::move(value);
  return reply;
}

} // namespace

BOOST_AUTO_TEST_SUITE(pubsub_push_tests)

BOOST_AUTO_TEST_CASE(a_message_names_its_channel_and_points_at_the_payload) {
  const Reply reply = array({text("message"), text("news"), text("payload bytes")});
  const PushEvent event = classify_push(reply);
  BOOST_TEST(static_cast<int>(event.kind) == static_cast<int>(Kind::message));
  BOOST_TEST(static_cast<int>(event.target) == static_cast<int>(SubscriptionTarget::channel));
  BOOST_TEST(!event.sharded);
  BOOST_TEST(*event.name == "news");
  BOOST_TEST(*event.channel == "news");
  BOOST_TEST(*event.payload == "payload bytes");
  BOOST_TEST(event.payload == &reply.elements[2].text); // no copy of the payload
}

BOOST_AUTO_TEST_CASE(a_sharded_message_is_a_message_of_its_channel) {
  const Reply reply = array({text("smessage"), text("orders{7}"), text("x")});
  const PushEvent event = classify_push(reply);
  BOOST_TEST(static_cast<int>(event.kind) == static_cast<int>(Kind::message));
  BOOST_TEST(event.sharded);
  BOOST_TEST(*event.name == "orders{7}");
}

BOOST_AUTO_TEST_CASE(a_pattern_message_names_the_pattern_and_the_channel) {
  const Reply reply = array({text("pmessage"), text("news.*"), text("news.sport"), text("goal")});
  const PushEvent event = classify_push(reply);
  BOOST_TEST(static_cast<int>(event.kind) == static_cast<int>(Kind::pattern_message));
  BOOST_TEST(static_cast<int>(event.target) == static_cast<int>(SubscriptionTarget::pattern));
  BOOST_TEST(*event.name == "news.*");
  BOOST_TEST(*event.channel == "news.sport");
  BOOST_TEST(*event.payload == "goal");
}

BOOST_AUTO_TEST_CASE(confirmations_say_what_they_confirm_and_how_many_remain) {
  const Reply channel = array({text("subscribe"), text("news"), integer(1)});
  const Reply sharded = array({text("ssubscribe"), text("orders{7}"), integer(1)});
  const Reply pattern = array({text("psubscribe"), text("news.*"), integer(2)});
  PushEvent event = classify_push(channel);
  BOOST_TEST(static_cast<int>(event.kind) == static_cast<int>(Kind::subscribed));
  BOOST_TEST(static_cast<int>(event.target) == static_cast<int>(SubscriptionTarget::channel));
  BOOST_TEST(*event.name == "news");
  event = classify_push(sharded);
  BOOST_TEST(static_cast<int>(event.kind) == static_cast<int>(Kind::subscribed));
  BOOST_TEST(event.sharded);
  event = classify_push(pattern);
  BOOST_TEST(static_cast<int>(event.target) == static_cast<int>(SubscriptionTarget::pattern));
  BOOST_TEST(event.remaining == 2);

  const Reply last = array({text("punsubscribe"), text("news.*"), integer(0)});
  event = classify_push(last);
  BOOST_TEST(static_cast<int>(event.kind) == static_cast<int>(Kind::unsubscribed));
  BOOST_TEST(static_cast<int>(event.target) == static_cast<int>(SubscriptionTarget::pattern));
  BOOST_TEST(event.remaining == 0);
  const Reply moved_away = array({text("sunsubscribe"), text("orders{7}"), integer(3)});
  event = classify_push(moved_away);
  BOOST_TEST(static_cast<int>(event.kind) == static_cast<int>(Kind::unsubscribed));
  BOOST_TEST(event.sharded);
  BOOST_TEST(event.remaining == 3);
}

BOOST_AUTO_TEST_CASE(an_unsubscribe_without_a_count_does_not_say_none_remain) {
  // A stopping subscriber ends on "0 remaining": a reply without the count must not end it.
  const Reply short_reply = array({text("unsubscribe"), text("news")});
  const Reply odd_count = array({text("unsubscribe"), text("news"), text("0")});
  BOOST_TEST(classify_push(short_reply).remaining == -1);
  BOOST_TEST(classify_push(odd_count).remaining == -1);
}

BOOST_AUTO_TEST_CASE(both_forms_of_pong) {
  const PushEvent plain = classify_push(status("PONG"));
  BOOST_TEST(static_cast<int>(plain.kind) == static_cast<int>(Kind::pong));
  BOOST_TEST(plain.from_status);
  const PushEvent subscribed = classify_push(array({text("pong"), text("")}));
  BOOST_TEST(static_cast<int>(subscribed.kind) == static_cast<int>(Kind::pong));
  BOOST_TEST(!subscribed.from_status);
}

BOOST_AUTO_TEST_CASE(errors_tell_a_moved_slot_from_the_rest) {
  const Reply moved = rtk_test::error("MOVED 3999 127.0.0.1:7001");
  const Reply other = rtk_test::error("ERR unknown command");
  BOOST_TEST(static_cast<int>(classify_push(moved).kind) == static_cast<int>(Kind::moved));
  BOOST_TEST(*classify_push(moved).text == "MOVED 3999 127.0.0.1:7001");
  BOOST_TEST(static_cast<int>(classify_push(other).kind) == static_cast<int>(Kind::error));
}

BOOST_AUTO_TEST_CASE(short_unknown_and_non_array_replies_are_ignored) {
  const std::vector<Reply> ignored{
      array({}),                                    // empty
      array({text("message"), text("news")}),       // no payload
      array({text("pmessage"), text("p*"), text("pa")}), // no payload
      array({text("subscribe")}),                   // no name
      array({text("invalidate"), text("key")}),     // a kind a subscriber does not take
      integer(5),
      status("OK"),
      text("message"),
  };
  for (const Reply& reply : ignored)
    BOOST_TEST(static_cast<int>(classify_push(reply).kind) == static_cast<int>(Kind::ignored));
}

BOOST_AUTO_TEST_SUITE_END()
