// The read size a connection asks of CAF's scribe (ReadSizer): small while the server's replies
// are small, the full size once a read fills the small buffer, and small again only after a run
// of reads the small size would have held. No socket.
#include "read_sizer.hpp"

#include <boost/test/unit_test.hpp>

using redis_toolkit::detail::ReadSizer;

BOOST_AUTO_TEST_SUITE(read_sizer_tests)

BOOST_AUTO_TEST_CASE(starts_small_and_stays_small_while_reads_fit) {
  ReadSizer sizer;
  BOOST_TEST(sizer.current() == ReadSizer::small);
  for (int i = 0; i < 1000; ++i) BOOST_TEST(sizer.after_read(ReadSizer::small - 1) == 0u);
  BOOST_TEST(sizer.current() == ReadSizer::small);
}

BOOST_AUTO_TEST_CASE(a_read_that_fills_the_buffer_grows_it_at_once) {
  ReadSizer sizer;
  BOOST_TEST(sizer.after_read(ReadSizer::small) == ReadSizer::large);
  BOOST_TEST(sizer.current() == ReadSizer::large);
  BOOST_TEST(sizer.after_read(ReadSizer::large) == 0u); // stays large while reads are large
}

BOOST_AUTO_TEST_CASE(it_shrinks_only_after_a_run_of_small_reads) {
  ReadSizer sizer;
  sizer.after_read(ReadSizer::small);
  for (int i = 1; i < ReadSizer::shrink_after; ++i) BOOST_TEST(sizer.after_read(100) == 0u);
  // A large read breaks the run: the count starts again.
  BOOST_TEST(sizer.after_read(ReadSizer::small + 1) == 0u);
  for (int i = 1; i < ReadSizer::shrink_after; ++i) BOOST_TEST(sizer.after_read(100) == 0u);
  BOOST_TEST(sizer.current() == ReadSizer::large);
  BOOST_TEST(sizer.after_read(100) == ReadSizer::small);
  BOOST_TEST(sizer.current() == ReadSizer::small);
}

BOOST_AUTO_TEST_SUITE_END()
