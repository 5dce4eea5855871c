// The caller's replies rebuilt from the router's sends: plain commands in the caller's order, a
// command sent to every master answered by (node, reply) pairs in the order of its sends, and an
// expansion that does not fit the replies refused. No socket, no actor.
#include "reply_assembly.hpp"
#include "reply_builders.hpp"

#include <boost/test/unit_test.hpp>

#include <stdexcept>

using namespace redis_toolkit;
using namespace redis_toolkit::detail;

namespace {

using rtk_test::text;

std::string node_name(std::size_t send) { return "10.0.0." + std::to_string(send) + ":7000"; }

} // namespace

BOOST_AUTO_TEST_SUITE(reply_assembly_tests)

BOOST_AUTO_TEST_CASE(plain_commands_and_a_fan_out_come_back_in_the_callers_order) {
  // The caller sent GET a, PING to every master (3 sends), GET b.
  std::vector<Reply> sent{text("a"), text("PONG0"), text("PONG1"), text("PONG2"), text("b")};
  const std::vector<Origin> origins{{0, 1, false}, {1, 3, true}, {4, 1, false}};
  const std::vector<Reply> caller = assemble_replies(sent, origins, node_name);
  BOOST_REQUIRE_EQUAL(caller.size(), 3u);
  BOOST_TEST(caller[0].text == "a");
  BOOST_TEST(caller[2].text == "b");
  const Reply& pairs = caller[1];
  BOOST_TEST((pairs.type == Reply::Type::array));
  BOOST_REQUIRE_EQUAL(pairs.elements.size(), 6u);
  for (std::size_t i = 0; i < 3; ++i) {
    BOOST_TEST(pairs.elements[2 * i].text == node_name(1 + i));
    BOOST_TEST(pairs.elements[2 * i + 1].text == "PONG" + std::to_string(i));
  }
}

BOOST_AUTO_TEST_CASE(an_error_on_one_node_stays_beside_that_node) {
  Reply refused;
  refused.type = Reply::Type::error;
  refused.text = "ERR unknown command";
  std::vector<Reply> sent{text("OK"), refused};
  const std::vector<Reply> caller = assemble_replies(sent, {{0, 2, true}}, node_name);
  BOOST_REQUIRE_EQUAL(caller.size(), 1u);
  BOOST_REQUIRE_EQUAL(caller[0].elements.size(), 4u);
  BOOST_TEST(caller[0].elements[2].text == node_name(1));
  BOOST_TEST(caller[0].elements[3].is_error());
}

BOOST_AUTO_TEST_CASE(a_fan_out_over_no_node_is_an_empty_array) {
  std::vector<Reply> sent{text("x")};
  const std::vector<Reply> caller =
      assemble_replies(sent, {{0, 0, true}, {0, 1, false}}, node_name);
  BOOST_REQUIRE_EQUAL(caller.size(), 2u);
  BOOST_TEST((caller[0].type == Reply::Type::array));
  BOOST_TEST(caller[0].elements.empty());
  BOOST_TEST(caller[1].text == "x");
}

BOOST_AUTO_TEST_CASE(an_expansion_past_the_replies_is_refused_not_misanswered) {
  std::vector<Reply> sent{text("a"), text("b")};
  BOOST_CHECK_THROW(assemble_replies(sent, {{0, 1, false}, {1, 2, true}}, node_name),
                    std::out_of_range);
  BOOST_CHECK_THROW(assemble_replies(sent, {{2, 1, false}}, node_name), std::out_of_range);
}

BOOST_AUTO_TEST_SUITE_END()
