// The buffers of spent requests kept per thread (request_buffers.hpp): a fresh request takes them
// back empty, large ones are freed, and a thread keeps no more than its bound.
#include "request_buffers.hpp"

#include <boost/test/unit_test.hpp>

#include <ostream>

#include <string>
#include <thread>
#include <vector>

using namespace redis_toolkit;
using namespace redis_toolkit::detail;

namespace {

/// A request as the router hands it back: used, with its buffers allocated.
CommandRequest spent_request(std::size_t bytes) {
  CommandRequest request;
  request.add({"SET", "key", std::string(bytes, 'x')}, 0);
  request.retry.attempts = 7;
  request.atomic = true;
  request.session = 9;
  return request;
}

/// How many command vectors and byte strings a thread had kept.
struct Kept {
  std::size_t vectors = 0;
  std::size_t strings = 0;
  bool operator==(const Kept& other) const {
    return vectors == other.vectors && strings == other.strings;
  }
};

std::ostream& operator<<(std::ostream& out, const Kept& kept) {
  return out << kept.vectors << " vectors, " << kept.strings << " strings";
}

/// Takes every kept buffer of this thread back.
Kept drain() {
  Kept kept;
  for (;;) {
    CommandRequest request = fresh_request();
    const bool vector = request.commands.capacity() > 0;
    const bool string = request.wire.capacity() > std::string().capacity();
    if (!vector && !string) return kept;
    kept.vectors += vector ? 1 : 0;
    kept.strings += string ? 1 : 0;
  }
}

/// Keeps every request of `spent`, as the router does for a round's requests, and empties it.
void keep_all(std::vector<CommandRequest>& spent) {
  for (CommandRequest& request : spent) keep_request_buffers(request);
  spent.clear();
}

} // namespace

BOOST_AUTO_TEST_SUITE(request_buffers_tests)

BOOST_AUTO_TEST_CASE(a_fresh_request_takes_a_kept_buffer_back_empty) {
  drain();
  std::vector<CommandRequest> spent;
  spent.push_back(spent_request(100));
  const Command* commands = spent[0].commands.data();
  const char* wire = spent[0].wire.data();
  keep_all(spent);
  BOOST_TEST(spent.empty());

  CommandRequest fresh = fresh_request();
  BOOST_TEST(fresh.commands.empty());
  BOOST_TEST(fresh.wire.empty());
  BOOST_TEST(fresh.commands.data() == commands); // the same memory, no allocation
  BOOST_TEST(fresh.wire.data() == wire);
  // Nothing else of the spent request comes along.
  BOOST_TEST(fresh.retry.attempts == RetryPolicy().attempts);
  BOOST_TEST(!fresh.atomic);
  BOOST_TEST(fresh.session == 0u);
  fresh.add({"GET", "k"}, 0);
  BOOST_TEST(fresh.commands.size() == 1u);
  BOOST_TEST(fresh.bytes(fresh.commands[0]) == "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
  BOOST_TEST(drain() == (Kept{0, 0}));
}

BOOST_AUTO_TEST_CASE(a_large_value_s_bytes_are_freed_not_kept) {
  drain();
  std::vector<CommandRequest> spent;
  spent.push_back(spent_request(64 * 1024));
  keep_all(spent);
  BOOST_TEST(drain() == (Kept{1, 0})); // the command vector only
}

BOOST_AUTO_TEST_CASE(a_thread_keeps_at_most_its_bound_and_only_for_itself) {
  drain();
  std::vector<CommandRequest> spent;
  for (int i = 0; i < 20000; ++i) spent.push_back(spent_request(10));
  keep_all(spent);
  Kept elsewhere{1, 1};
  std::thread other([&] { elsewhere = drain(); });
  other.join();
  BOOST_TEST(elsewhere == (Kept{0, 0}));
  BOOST_TEST(drain() == (Kept{16384, 16384})); // the count's bound, well within the bytes'
  // The bytes' bound: 4 KiB strings, 2 MiB of them.
  for (int i = 0; i < 1000; ++i) spent.push_back(spent_request(4000));
  keep_all(spent);
  const Kept large = drain();
  BOOST_TEST(large.strings == 2u * 1024 * 1024 / spent_request(4000).wire.capacity());
}

BOOST_AUTO_TEST_SUITE_END()
