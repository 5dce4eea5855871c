// The reply decoder under hostile input: announced sizes are checked against the reply limit before
// anything is allocated, aggregates grow as their elements arrive, garbage and deep nesting are
// typed errors. No socket.
#include "resp.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace redis_toolkit;
using namespace std::string_literals;

namespace {

/// Feeds `wire` whole and returns the error text, or "" when no error was raised.
std::string decode_error(const std::string& wire, std::size_t limit = resp::default_max_reply_size) {
  resp::ReplyDecoder decoder(limit);
  decoder.feed(wire.data(), wire.size());
  Reply reply;
  try {
    while (decoder.next(reply)) {
    }
  } catch (const resp::DecodeError& error) {
    return error.what();
  }
  return {};
}

} // namespace

BOOST_AUTO_TEST_SUITE(reply_limit_tests)

BOOST_AUTO_TEST_CASE(a_huge_array_header_fails_before_any_element) {
  const std::string error = decode_error("*60000000\r\n", 1024 * 1024);
  BOOST_TEST(error.find("60000000 elements") != std::string::npos, error);
  BOOST_TEST(error.find("max_reply_size") != std::string::npos, error);
}

BOOST_AUTO_TEST_CASE(a_huge_bulk_header_fails_before_its_data) {
  const std::string error = decode_error("$99999999999\r\n");
  BOOST_TEST(error.find("99999999999 bytes") != std::string::npos, error);
}

BOOST_AUTO_TEST_CASE(the_limit_covers_the_whole_reply_not_one_element) {
  // Two bulks of 600 bytes fit one by one in a 1000-byte limit, not together.
  const std::string bulk = "$600\r\n" + std::string(600, 'x') + "\r\n";
  BOOST_TEST(decode_error(bulk, 1000).empty());
  BOOST_TEST(!decode_error("*2\r\n" + bulk + bulk, 1000).empty());
  // The next reply starts with a fresh budget.
  BOOST_TEST(decode_error(bulk + bulk, 1000).empty());
}

BOOST_AUTO_TEST_CASE(a_reply_exactly_at_the_limit_is_accepted) {
  const std::string wire = "$10\r\n0123456789\r\n";
  resp::ReplyDecoder decoder(wire.size());
  decoder.feed(wire.data(), wire.size());
  Reply reply;
  BOOST_TEST(decoder.next(reply));
  BOOST_TEST(reply.text == "0123456789");
  BOOST_TEST(!decode_error(wire, wire.size() - 1).empty());
}

BOOST_AUTO_TEST_CASE(a_header_without_crlf_is_an_error_not_a_wait) {
  BOOST_TEST(!decode_error("$" + std::string(100, '9')).empty());
  BOOST_TEST(!decode_error("+" + std::string(200, 'a'), 100).empty());
  BOOST_TEST(!decode_error("hello world\r\n").empty()); // not a RESP type byte
  BOOST_TEST(!decode_error("x").empty());               // known at its first byte
}

BOOST_AUTO_TEST_CASE(malformed_numbers_and_framing_are_errors) {
  for (const std::string& wire : {"$-2\r\n"s, "$abc\r\n"s, "*-5\r\n"s, ":12x\r\n"s, ":\r\n"s,
                                 "$3\r\nabcde\r\n"s, "+OK\rX"s, "#x\r\n"s, "|1\r\n"s})
    BOOST_TEST(!decode_error(wire).empty(), wire);
}

BOOST_AUTO_TEST_CASE(nesting_is_bounded) {
  std::string deep;
  for (std::size_t i = 0; i <= resp::ReplyDecoder::max_nesting; ++i) deep += "*1\r\n";
  deep += ":1\r\n";
  BOOST_TEST(decode_error(deep).find("nested") != std::string::npos);
  std::string allowed;
  for (std::size_t i = 0; i < resp::ReplyDecoder::max_nesting; ++i) allowed += "*1\r\n";
  BOOST_TEST(decode_error(allowed + ":1\r\n").empty());
}

BOOST_AUTO_TEST_CASE(resp3_types_read_as_their_nearest_resp2_kind) {
  const std::string wire = "_\r\n#t\r\n,1.5\r\n(123456789012345678901\r\n=7\r\ntxt:abc\r\n"
                           "!5\r\nERR x\r\n%1\r\n+k\r\n:1\r\n~1\r\n+a\r\n>2\r\n+m\r\n+n\r\n";
  resp::ReplyDecoder decoder;
  decoder.feed(wire.data(), wire.size());
  std::vector<Reply> replies;
  Reply reply;
  while (decoder.next(reply)) replies.push_back(std::move(reply));
  BOOST_REQUIRE_EQUAL(replies.size(), 9u);
  BOOST_TEST(replies[0].is_nil());
  BOOST_TEST(replies[1].integer == 1);
  BOOST_TEST(replies[2].text == "1.5");
  BOOST_TEST(replies[3].text == "123456789012345678901");
  BOOST_TEST(replies[4].text == "txt:abc");
  BOOST_TEST((replies[5].is_error() && replies[5].text == "ERR x"));
  BOOST_TEST(replies[6].elements.size() == 2u); // a map: key, value
  BOOST_TEST(replies[7].elements.size() == 1u);
  BOOST_TEST(replies[8].elements.at(1).text == "n");
}

BOOST_AUTO_TEST_CASE(an_aggregate_reserves_no_more_than_what_arrived) {
  // The count is within the limit, but only two elements are here: the reply waits, and the
  // memory held is for what arrived.
  const std::string wire = "*1000000\r\n:1\r\n:2\r\n";
  resp::ReplyDecoder decoder;
  decoder.feed(wire.data(), wire.size());
  Reply reply;
  BOOST_TEST(!decoder.next(reply));
  std::string rest;
  for (int i = 2; i < 1000000; ++i) rest += ":1\r\n";
  decoder.feed(rest.data(), rest.size());
  BOOST_TEST(decoder.next(reply));
  BOOST_TEST(reply.elements.size() == 1000000u);
}

BOOST_AUTO_TEST_CASE(after_an_error_a_reset_decoder_reads_again) {
  resp::ReplyDecoder decoder(64);
  const std::string bad = "$1000\r\n";
  decoder.feed(bad.data(), bad.size());
  Reply reply;
  BOOST_CHECK_THROW(decoder.next(reply), resp::DecodeError);
  decoder.reset();
  decoder.feed("*2\r\n:1\r\n$1\r\na\r\n", 15);
  BOOST_TEST(decoder.next(reply));
  BOOST_TEST(reply.elements.at(1).text == "a");
}

BOOST_AUTO_TEST_SUITE_END()
