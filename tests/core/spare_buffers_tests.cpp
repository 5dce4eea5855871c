// Spares: a buffer given back is what the same thread's next take() of that kind gets, emptied;
// small buffers are never kept; a thread keeps at most spares_per_kind of a kind and
// spare_bytes_per_thread bytes in all; a thread never takes another thread's.
#include "spare_buffers.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

using redis_toolkit::detail::spare_bytes_here;
using redis_toolkit::detail::spare_bytes_per_thread;
using redis_toolkit::detail::spare_worthy_bytes;
using redis_toolkit::detail::Spares;
using redis_toolkit::detail::spares_per_kind;

namespace {

using Words = std::vector<std::uint64_t>;
constexpr std::size_t worthy_words = spare_worthy_bytes / sizeof(std::uint64_t);

/// Each case starts from a thread that keeps nothing: a fresh thread of its own.
template <typename Body>
void on_a_fresh_thread(Body body) {
  std::thread(body).join();
}

} // namespace

BOOST_AUTO_TEST_SUITE(spare_buffers_tests)

BOOST_AUTO_TEST_CASE(a_buffer_given_back_is_the_next_one_taken_and_it_is_empty) {
  on_a_fresh_thread([] {
    Words words(worthy_words * 4, 7);
    const auto* memory = words.data();
    Spares<Words>::give_back(words);
    BOOST_TEST(words.empty());
    BOOST_TEST(Spares<Words>::kept_here() == 1u);
    BOOST_TEST(spare_bytes_here() == worthy_words * 4 * sizeof(std::uint64_t));
    Words taken = Spares<Words>::take(worthy_words);
    BOOST_TEST(taken.data() == memory); // the same memory: nothing allocated
    BOOST_TEST(taken.empty());
    BOOST_TEST(taken.capacity() >= worthy_words * 4);
    BOOST_TEST(Spares<Words>::kept_here() == 0u);
    BOOST_TEST(spare_bytes_here() == 0u);
  });
}

BOOST_AUTO_TEST_CASE(small_buffers_are_neither_kept_nor_lent) {
  on_a_fresh_thread([] {
    Words small(8, 1);
    Spares<Words>::give_back(small);
    BOOST_TEST(Spares<Words>::kept_here() == 0u);
    BOOST_TEST(small.capacity() == 0u); // freed
    // A kept large buffer is not lent to a small message (it might carry it off elsewhere).
    Words large(worthy_words * 2);
    Spares<Words>::give_back(large);
    Words taken = Spares<Words>::take(3);
    BOOST_TEST(taken.capacity() >= 3u);
    BOOST_TEST(taken.capacity() < worthy_words);
    BOOST_TEST(Spares<Words>::kept_here() == 1u);
  });
}

BOOST_AUTO_TEST_CASE(a_thread_keeps_at_most_so_many_of_a_kind) {
  on_a_fresh_thread([] {
    for (std::size_t i = 0; i < spares_per_kind + 3; ++i) {
      Words words(worthy_words);
      Spares<Words>::give_back(words);
      BOOST_TEST(words.capacity() == 0u); // kept or freed, it is left empty
    }
    BOOST_TEST(Spares<Words>::kept_here() == spares_per_kind);
    BOOST_TEST(spare_bytes_here() == spares_per_kind * worthy_words * sizeof(std::uint64_t));
  });
}

BOOST_AUTO_TEST_CASE(a_thread_keeps_at_most_so_many_bytes_of_all_kinds) {
  on_a_fresh_thread([] {
    std::string big(spare_bytes_per_thread / 2 + 1, 'x');
    Spares<std::string>::give_back(big);
    BOOST_TEST(Spares<std::string>::kept_here() == 1u);
    // Another kind that would pass the budget is freed, not kept.
    Words words(spare_bytes_per_thread / 2 / sizeof(std::uint64_t));
    Spares<Words>::give_back(words);
    BOOST_TEST(Spares<Words>::kept_here() == 0u);
    BOOST_TEST(spare_bytes_here() <= spare_bytes_per_thread);
    // A buffer larger than the whole budget is never kept.
    std::string huge(spare_bytes_per_thread + 1, 'y');
    Spares<std::string>::give_back(huge);
    BOOST_TEST(Spares<std::string>::kept_here() == 1u);
  });
}

BOOST_AUTO_TEST_CASE(a_thread_never_takes_what_another_kept) {
  on_a_fresh_thread([] {
    Words words(worthy_words * 2);
    const auto* memory = words.data();
    Spares<Words>::give_back(words);
    std::thread([memory] {
      BOOST_TEST(Spares<Words>::kept_here() == 0u);
      Words taken = Spares<Words>::take(worthy_words);
      BOOST_TEST(taken.data() != memory);
    }).join();
    BOOST_TEST(Spares<Words>::kept_here() == 1u);
  });
}

BOOST_AUTO_TEST_SUITE_END()
