// InlineFunction (inline_function.hpp): std::function's contract whether the callable is kept
// inside the object or on the heap, and the decoders' captures kept inside.
#include "inline_function.hpp"
#include "toolkit_operations.hpp"

#include "redis_toolkit/config.hpp"
#include "redis_toolkit/errors.hpp"

#include <boost/test/unit_test.hpp>

#include <array>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

using namespace redis_toolkit;
using namespace redis_toolkit::detail;

namespace {

using Small = InlineFunction<int(int), 48>;

/// Counts the copies of it that are alive: a copy, move or destruction that went wrong shows.
struct Tracked {
  explicit Tracked(std::shared_ptr<int> alive) : alive(std::move(alive)) { ++*this->alive; }
  Tracked(const Tracked& other) : alive(other.alive) { ++*alive; }
  Tracked(Tracked&& other) noexcept : alive(other.alive) { ++*alive; }
  ~Tracked() { --*alive; }
  Tracked& operator=(const Tracked&) = delete;
  std::shared_ptr<int> alive;
};

/// A callable of `Padding` bytes that answers x + base, counted by Tracked.
template <std::size_t Padding>
struct Adder {
  int operator()(int x) const { return x + base; }
  int base;
  Tracked tracked;
  std::array<char, Padding> padding{};
};

} // namespace

BOOST_AUTO_TEST_SUITE(inline_function_tests)

BOOST_AUTO_TEST_CASE(an_empty_one_is_false_and_throws_bad_function_call) {
  Small none;
  BOOST_TEST(!none);
  BOOST_CHECK_THROW(none(1), std::bad_function_call);
  Small from_null = nullptr;
  BOOST_TEST(!from_null);
  int (*no_pointer)(int) = nullptr;
  BOOST_TEST(!Small(no_pointer));
  BOOST_TEST(!Small(std::function<int(int)>()));
}

BOOST_AUTO_TEST_CASE(small_and_large_callables_keep_the_same_contract) {
  static_assert(Small::holds_inline<Adder<8>>());
  static_assert(!Small::holds_inline<Adder<256>>());
  auto alive = std::make_shared<int>(0);
  {
    Small inside = Adder<8>{5, Tracked(alive), {}};
    Small outside = Adder<256>{7, Tracked(alive), {}};
    BOOST_TEST(*alive == 2); // the temporaries are gone: one each, in the functions
    BOOST_TEST(inside(1) == 6);
    BOOST_TEST(outside(1) == 8);

    Small inside_copy = inside;
    Small outside_copy = outside;
    BOOST_TEST(*alive == 4);
    BOOST_TEST(inside_copy(2) == 7);
    BOOST_TEST(outside_copy(2) == 9);

    Small moved = std::move(inside);
    BOOST_TEST(!inside); // NOLINT(bugprone-use-after-move): a move leaves it empty
    BOOST_TEST(moved(3) == 8);
    Small moved_outside = std::move(outside);
    BOOST_TEST(!outside); // NOLINT(bugprone-use-after-move)
    BOOST_TEST(moved_outside(3) == 10);
    BOOST_TEST(*alive == 4);

    moved = moved_outside; // copy assignment over one kept inside
    BOOST_TEST(moved(0) == 7);
    BOOST_TEST(*alive == 4);
    moved_outside = std::move(inside_copy); // move assignment over one kept outside
    BOOST_TEST(moved_outside(0) == 5);
    BOOST_TEST(*alive == 3);
    moved = nullptr;
    BOOST_TEST(!moved);
    BOOST_TEST(*alive == 2);
  }
  BOOST_TEST(*alive == 0);
}

BOOST_AUTO_TEST_CASE(a_mutable_target_keeps_its_state_and_a_copy_starts_from_the_copied_state) {
  Small counter = [calls = 0](int step) mutable { return calls += step; };
  BOOST_TEST(counter(1) == 1);
  BOOST_TEST(counter(1) == 2);
  Small copy = counter;
  BOOST_TEST(copy(10) == 12);
  BOOST_TEST(counter(1) == 3);
}

BOOST_AUTO_TEST_CASE(what_the_target_throws_reaches_the_caller) {
  Small failing = [](int) -> int { throw std::runtime_error("no reply"); };
  BOOST_CHECK_THROW(failing(0), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(a_decoder_that_keeps_a_server_name_and_a_key_costs_no_allocation) {
  // What the single-key decoders capture: their error messages name both.
  auto decoder = [server = std::string("cluster 127.0.0.1:7000,127.0.0.1:7001"),
                  key = std::string("user:1234567890:profile"),
                  name = "getter"](std::vector<Reply>& replies) {
    return replies.size() + server.size() + key.size() + std::string(name).size();
  };
  static_assert(Decoder<std::size_t>::holds_inline<decltype(decoder)>());
  Decoder<std::size_t> decode = decoder;
  std::vector<Reply> replies(2);
  BOOST_TEST(decode(replies) == 2u + 37u + 23u + 6u);
}

BOOST_AUTO_TEST_CASE(a_single_key_decoder_names_its_key_short_or_long_through_copies) {
  // The decoders keep the key inline up to a bound and on the heap beyond: both name it, in the
  // decoder as planned, in a copy and in what a move leaves behind.
  RedisOptions options;
  const OperationContext context{options, "127.0.0.1:6379", false};
  for (const std::string& key : {std::string("user:12345:profile"), std::string(48, 'k'),
                                std::string(49, 'l'), std::string(60, 'm')}) {
    auto planned = plan_get_raw(context, key);
    auto copy = planned.decode;
    auto moved = std::move(planned.decode);
    for (auto* decode : {&copy, &moved}) {
      std::vector<Reply> replies{Reply::failure(Reply::Type::timed_out, "127.0.0.1:6379", "no reply")};
      try {
        (*decode)(replies);
        BOOST_FAIL("a failed reply must throw");
      } catch (const TimeoutError& error) {
        BOOST_TEST(std::string(error.what()).find("'" + key + "'") != std::string::npos,
                   error.what());
      }
    }
    std::vector<Reply> value(1);
    value[0].type = Reply::Type::string;
    value[0].text = "stored";
    BOOST_TEST(copy(value).value_or("") == "stored");
  }
}

BOOST_AUTO_TEST_SUITE_END()
