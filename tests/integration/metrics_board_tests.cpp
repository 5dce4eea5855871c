// `rtk bench --metrics-listen` reads its toolkits through a MetricsBoard: a toolkit is read only
// while its Watch lives (the Watch ends before the toolkit), an ended one keeps counting with its
// last figures, and toolkits that share a router count its calls once.
#include "metrics_board.hpp"
#include "toolkit_fixture.hpp"

#include <boost/test/unit_test.hpp>

#include <optional>
#include <thread>

using namespace redis_toolkit;

namespace {

std::uint64_t ok_calls(const ToolkitMetrics& metrics, const std::string& command) {
  const CommandMetrics* found = metrics.command(command);
  return found == nullptr ? 0 : found->ok;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(metrics_board_tests, rtk_test::ServerFixture)

BOOST_AUTO_TEST_CASE(toolkits_sharing_a_router_count_once_and_ended_ones_keep_their_figures) {
  rtk_bench::MetricsBoard board;
  BOOST_TEST(board.total().commands.empty());
  {
    RedisToolkit blocking(config());
    AsyncRedisToolkit async_toolkit(config()); // same server and options: the same router
    const auto watched = board.watch(blocking);
    const auto watched_async = board.watch(async_toolkit);
    for (int i = 0; i < 5; ++i) blocking.set_raw("board:" + std::to_string(i), "x");
    for (int i = 0; i < 3; ++i) BOOST_TEST(async_toolkit.get_raw("board:0").get().has_value());
    const ToolkitMetrics live = board.total();
    BOOST_TEST(ok_calls(live, "set") == 5U);
    BOOST_TEST(ok_calls(live, "get") == 3U);
    BOOST_TEST(live.nodes.size() == 1U);
    BOOST_TEST(live.nodes.front().connections_open >= 1U);
  } // the Watches end first, then the toolkits
  const ToolkitMetrics ended = board.total();
  BOOST_TEST(ok_calls(ended, "set") == 5U);
  BOOST_TEST(ok_calls(ended, "get") == 3U);
  BOOST_TEST(ended.pending_calls == 0U);
  for (const NodeMetrics& node : ended.nodes) BOOST_TEST(node.connections_open == 0U, node.node);

  // A later toolkit: its calls are added to the ended ones' (its router is new, or the same one
  // whose counters carry on: counted once either way).
  RedisToolkit later(config());
  const auto watched_later = board.watch(later);
  later.set_raw("board:later", "y");
  BOOST_TEST(ok_calls(board.total(), "set") == 6U);
  BOOST_TEST(ok_calls(board.total(), "get") == 3U);
}

BOOST_AUTO_TEST_CASE(a_scrape_while_toolkits_come_and_go_reads_only_live_ones) {
  rtk_bench::MetricsBoard board;
  std::atomic<bool> stop{false};
  std::atomic<long> reads{0};
  std::thread scraper([&] {
    while (!stop) {
      (void)board.total();
      ++reads;
    }
  });
  struct Join {
    std::atomic<bool>& stop;
    std::thread& thread;
    ~Join() {
      stop = true;
      thread.join();
    }
  } join{stop, scraper};
  RedisOptions uncounted;
  uncounted.metrics_enabled = false;
  for (int round = 0; round < 10; ++round) {
    AsyncRedisToolkit toolkit(config(), round % 2 == 0 ? RedisOptions{} : uncounted);
    const auto watched = board.watch(toolkit);
    toolkit.set_raw("board:churn", "z").get();
  }
  rtk_test::wait_until([&] { return reads.load() > 0; }, std::chrono::seconds(30), "a scrape");
  // Only the counting toolkits' SETs: five rounds of one.
  BOOST_TEST(ok_calls(board.total(), "set") == 5U);
}

BOOST_AUTO_TEST_SUITE_END()
