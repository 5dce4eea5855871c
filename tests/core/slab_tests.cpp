// Slab: ids that find nothing once released, and the rule for giving a burst's memory back (only
// after a round that stayed within what the slab keeps, so a load that keeps many objects in
// flight and empties the slab between its rounds does not free and regrow it every round).
#include "slab.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <set>
#include <vector>

using redis_toolkit::detail::Slab;

namespace {

struct Item {
  int value = 0;
  void reset() { value = 0; }
};

/// Adds `count` objects, then releases them all, asking for a shrink after each release as the
/// router and the completion actors do; true when one of those asks shrank the slab.
bool round_of(Slab<Item>& slab, std::size_t count, std::size_t keep,
              std::set<std::uint64_t>* ids = nullptr) {
  std::vector<std::uint64_t> added;
  for (std::size_t i = 0; i < count; ++i) {
    added.push_back(slab.add().first);
    if (ids != nullptr) BOOST_TEST(ids->insert(added.back()).second); // never an id seen before
  }
  bool shrank = false;
  for (std::uint64_t id : added) {
    slab.release(id);
    shrank = slab.shrink_when_empty(keep) || shrank;
  }
  return shrank;
}

} // namespace

BOOST_AUTO_TEST_SUITE(slab_tests)

BOOST_AUTO_TEST_CASE(a_released_id_finds_nothing_and_its_slot_is_reused) {
  Slab<Item> slab;
  auto [first, item] = slab.add();
  item->value = 7;
  BOOST_TEST(slab.at(first).value == 7);
  slab.release(first);
  BOOST_TEST(slab.find(first) == nullptr);
  const auto second = slab.add().first;
  BOOST_TEST(second != first);
  BOOST_TEST(slab.capacity() == 1u); // the same slot, a new generation
  BOOST_TEST(slab.at(second).value == 0);
}

BOOST_AUTO_TEST_CASE(rounds_larger_than_what_is_kept_keep_their_slots) {
  Slab<Item> slab;
  constexpr std::size_t keep = 8;
  for (int round = 0; round < 20; ++round) BOOST_TEST(!round_of(slab, 50, keep));
  BOOST_TEST(slab.capacity() == 50u);
}

BOOST_AUTO_TEST_CASE(a_burst_is_given_back_after_the_next_small_round) {
  Slab<Item> slab;
  constexpr std::size_t keep = 8;
  std::set<std::uint64_t> ids;
  BOOST_TEST(!round_of(slab, 50, keep, &ids)); // the burst: kept until a round shows it is over
  BOOST_TEST(slab.capacity() == 50u);
  BOOST_TEST(round_of(slab, 3, keep, &ids));
  BOOST_TEST(slab.capacity() == 0u);
  // Ids made after the shrink are new ones: a late message about an old id finds nothing.
  BOOST_TEST(!round_of(slab, 5, keep, &ids));
  for (std::uint64_t id : ids) BOOST_TEST(slab.find(id) == nullptr);
}

BOOST_AUTO_TEST_CASE(a_slab_within_what_is_kept_is_never_shrunk) {
  Slab<Item> slab;
  BOOST_TEST(!round_of(slab, 8, 8));
  BOOST_TEST(!round_of(slab, 1, 8));
  BOOST_TEST(slab.capacity() == 8u);
}

BOOST_AUTO_TEST_SUITE_END()
