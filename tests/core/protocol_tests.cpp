// The I/O-free protocol pieces under the actors: RESP encoding and decoding, the queue of requests
// in flight on one connection, key slots and the retry delays. No socket, no actor.
#include "pending_requests.hpp"
#include "resp.hpp"
#include "retry_policy.hpp"

#include "redis_toolkit/key_slot.hpp"

#include <boost/test/unit_test.hpp>

using namespace redis_toolkit;
using namespace std::string_literals;
using detail::PendingRequests;

namespace {

struct RecordingPromise {
  std::shared_ptr<std::vector<std::vector<Reply>>> delivered =
      std::make_shared<std::vector<std::vector<Reply>>>();
  void deliver(std::vector<Reply> replies) { delivered->push_back(std::move(replies)); }
};

std::vector<Reply> decode_all(std::string_view wire, std::size_t chunk) {
  resp::ReplyDecoder decoder;
  std::vector<Reply> replies;
  for (std::size_t offset = 0; offset < wire.size(); offset += chunk) {
    auto piece = wire.substr(offset, chunk);
    decoder.feed(piece.data(), piece.size());
    Reply reply;
    while (decoder.next(reply)) replies.push_back(std::move(reply));
  }
  return replies;
}

} // namespace

BOOST_AUTO_TEST_SUITE(protocol_tests)

BOOST_AUTO_TEST_CASE(commands_are_binary_safe_resp_arrays) {
  std::string out;
  resp::append_command(out, {"SET", std::string_view("k\0y", 3), ""});
  BOOST_TEST(out == std::string("*3\r\n$3\r\nSET\r\n$3\r\nk\0y\r\n$0\r\n\r\n", 28));
}

BOOST_AUTO_TEST_CASE(every_reply_type_decodes_in_any_chunking) {
  const std::string wire = "+OK\r\n-ERR bad\r\n:42\r\n$5\r\nh\r\nl\0\r\n$-1\r\n*2\r\n$1\r\na\r\n*1\r\n:7\r\n*-1\r\n"s;
  for (std::size_t chunk : {1u, 2u, 3u, 7u, 1000u}) {
    auto replies = decode_all(std::string_view(wire.data(), wire.size()), chunk);
    BOOST_REQUIRE_EQUAL(replies.size(), 7u);
    BOOST_TEST((replies[0].type == Reply::Type::status && replies[0].text == "OK"));
    BOOST_TEST((replies[1].is_error() && replies[1].text == "ERR bad"));
    BOOST_TEST((replies[2].type == Reply::Type::integer && replies[2].integer == 42));
    BOOST_TEST(replies[3].is_string());
    BOOST_TEST(replies[3].text == "h\r\nl\0"s);
    BOOST_TEST(replies[4].is_nil());
    BOOST_REQUIRE_EQUAL(replies[5].elements.size(), 2u);
    BOOST_TEST(replies[5].elements[0].text == "a");
    BOOST_TEST(replies[5].elements[1].elements.at(0).integer == 7);
    BOOST_TEST(replies[6].is_nil());
  }
}

BOOST_AUTO_TEST_CASE(a_protocol_error_is_reported_not_crashed_on) {
  resp::ReplyDecoder decoder;
  decoder.feed("?what\r\n", 7);
  Reply reply;
  BOOST_CHECK_THROW(decoder.next(reply), std::runtime_error);
  decoder.reset();
  decoder.feed(":1\r\n", 4);
  BOOST_TEST(decoder.next(reply));
  BOOST_TEST(reply.integer == 1);
}

BOOST_AUTO_TEST_CASE(replies_complete_the_oldest_request_first) {
  PendingRequests<RecordingPromise> pending;
  RecordingPromise first, second;
  const auto now = std::chrono::steady_clock::now();
  pending.push(first, 2, now);
  pending.push(second, 1, now);
  Reply a, b, c;
  a.text = "a";
  b.text = "b";
  c.text = "c";
  BOOST_TEST(pending.complete_one(a));
  BOOST_TEST(first.delivered->empty()); // needs two replies
  BOOST_TEST(pending.complete_one(b));
  BOOST_REQUIRE_EQUAL(first.delivered->size(), 1u);
  BOOST_TEST(first.delivered->at(0).at(1).text == "b");
  BOOST_TEST(pending.complete_one(c));
  BOOST_TEST(second.delivered->at(0).at(0).text == "c");
  BOOST_TEST(!pending.complete_one(c)); // nobody waits: a protocol fault for the caller
}

BOOST_AUTO_TEST_CASE(a_dropped_connection_fails_every_waiting_request_once) {
  PendingRequests<RecordingPromise> pending;
  RecordingPromise first, second;
  const auto now = std::chrono::steady_clock::now();
  pending.push(first, 3, now);
  pending.push(second, 1, now);
  Reply done;
  pending.complete_one(done);
  pending.fail_all(Reply::Type::timed_out, "h:1", "no reply");
  BOOST_REQUIRE_EQUAL(first.delivered->size(), 1u);
  const auto& replies = first.delivered->at(0);
  BOOST_REQUIRE_EQUAL(replies.size(), 3u);
  BOOST_TEST(!replies[0].is_failure()); // the reply that did arrive is kept
  BOOST_TEST((replies[2].type == Reply::Type::timed_out && replies[2].server == "h:1"));
  BOOST_TEST(second.delivered->size() == 1u);
  BOOST_TEST(pending.empty());
}

BOOST_AUTO_TEST_CASE(the_oldest_request_decides_the_timeout) {
  PendingRequests<RecordingPromise> pending;
  const auto start = std::chrono::steady_clock::now();
  BOOST_TEST(!pending.oldest_waiting_longer_than(std::chrono::seconds(1), start));
  pending.push(RecordingPromise{}, 1, start);
  BOOST_TEST(!pending.oldest_waiting_longer_than(std::chrono::seconds(1), start + std::chrono::milliseconds(900)));
  BOOST_TEST(pending.oldest_waiting_longer_than(std::chrono::seconds(1), start + std::chrono::milliseconds(1100)));
}

BOOST_AUTO_TEST_CASE(an_empty_batch_is_answered_at_once) {
  PendingRequests<RecordingPromise> pending;
  RecordingPromise promise;
  pending.push(promise, 0, std::chrono::steady_clock::now());
  BOOST_TEST(promise.delivered->size() == 1u);
  BOOST_TEST(pending.empty());
}

BOOST_AUTO_TEST_CASE(key_slots_match_redis_cluster) {
  // Reference values from CLUSTER KEYSLOT on Redis 7.
  BOOST_TEST(key_slot("foo") == 12182);
  BOOST_TEST(key_slot("bar") == 5061);
  BOOST_TEST(key_slot("user:1000") == 1649);
  BOOST_TEST(key_slot("") == 0);
  BOOST_TEST(key_slot("{user:123}:cart") == key_slot("user:123"));
  BOOST_TEST(key_slot("{}:x") == key_slot("{}:x")); // empty tag: whole key counts
  BOOST_TEST(key_slot("{}:x") != key_slot("x"));
  BOOST_TEST(hash_tag_key("user:123", "cart") == "{user:123}:cart");
}

BOOST_AUTO_TEST_CASE(key_slots_agree_with_the_bitwise_crc16_for_every_length_and_byte) {
  // key_slot reads two bytes per step: every length (odd and even) and every byte value against
  // the CRC16-XMODEM of the Redis Cluster specification, one bit at a time.
  auto bitwise = [](const std::string& key) {
    std::uint16_t crc = 0;
    for (unsigned char c : key) {
      crc = static_cast<std::uint16_t>(crc ^ (c << 8));
      for (int bit = 0; bit < 8; ++bit)
        crc = static_cast<std::uint16_t>((crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1);
    }
    return static_cast<std::uint16_t>(crc % 16384);
  };
  BOOST_TEST(bitwise("123456789") == 0x31C3 % 16384); // the specification's check value
  std::uint32_t seed = 12345;
  for (std::size_t length = 0; length <= 67; ++length)
    for (int sample = 0; sample < 40; ++sample) {
      std::string key(length, '\0');
      for (char& c : key) {
        seed = seed * 1103515245u + 12345u;
        c = static_cast<char>((seed >> 16) & 0xff);
      }
      if (key.find('{') != std::string::npos) continue; // tags are covered above
      BOOST_TEST(key_slot(key) == bitwise(key), "length " << length);
    }
}

BOOST_AUTO_TEST_CASE(retry_delays_follow_the_python_toolkit) {
  using detail::retry_delay_before;
  std::chrono::duration<double> first(0.1);
  BOOST_TEST(retry_delay_before(1, first, 2.0).count() == 0.0);
  BOOST_TEST(retry_delay_before(2, first, 2.0).count() == 0.1, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(retry_delay_before(3, first, 2.0).count() == 0.2, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(retry_delay_before(4, first, 2.0).count() == 0.4, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_SUITE_END()
