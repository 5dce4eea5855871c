// RedisServerProcess against the real redis-server: start, stop, crash, pause, restart, cleanup.
#include "redis_cli.hpp"
#include "redis_toolkit/errors.hpp"
#include "redis_toolkit/server_launcher.hpp"

#include <boost/test/unit_test.hpp>
#include <hiredis/hiredis.h>

#include <cerrno>
#include <csignal>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

using namespace std::chrono_literals;
using redis_toolkit::ConnectionError;
using redis_toolkit::RedisServerProcess;
namespace fs = std::filesystem;

namespace {

struct ContextDeleter {
  void operator()(redisContext* context) const { redisFree(context); }
};
using Context = std::unique_ptr<redisContext, ContextDeleter>;

Context connect(std::uint16_t port) {
  return Context(redisConnectWithTimeout("127.0.0.1", port, timeval{2, 0}));
}

/// The reply to PING over a plain hiredis connection, or the connection error.
std::string ping(std::uint16_t port) {
  const Context context = connect(port);
  if (context->err != 0) return std::string("connect failed: ") + context->errstr;
  auto* reply = static_cast<redisReply*>(redisCommand(context.get(), "PING"));
  if (reply == nullptr) return std::string("no reply: ") + context->errstr;
  std::string text(reply->str, reply->len);
  freeReplyObject(reply);
  return text;
}

bool process_exists(pid_t pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

/// A path under the temporary directory that does not exist yet.
fs::path unused_path(const std::string& stem) {
  return fs::temp_directory_path() / (stem + "-" + std::to_string(::getpid()) + "-" +
                                      std::to_string(redis_toolkit::find_free_loopback_port()));
}

} // namespace

BOOST_AUTO_TEST_SUITE(server_launcher_tests)

BOOST_AUTO_TEST_CASE(a_started_server_answers_ping_on_its_own_port) {
  RedisServerProcess server = RedisServerProcess::start();
  BOOST_TEST(server.running());
  BOOST_TEST(server.host() == "127.0.0.1");
  BOOST_TEST(server.address() == "127.0.0.1:" + std::to_string(server.port()));
  BOOST_TEST(server.port() != 6379);
  BOOST_TEST(ping(server.port()) == "PONG");
  BOOST_TEST(redis_toolkit::redis_answers("127.0.0.1", server.port(), 1s));
  BOOST_TEST(fs::is_directory(server.directory()));
  BOOST_TEST(fs::path(server.directory()).filename().string().rfind("rtk-redis-", 0) == 0);
  BOOST_TEST(fs::exists(server.log_file()));
}

BOOST_AUTO_TEST_CASE(stop_closes_the_port_and_the_destructor_removes_the_directory) {
  std::string directory;
  std::uint16_t port = 0;
  {
    RedisServerProcess server = RedisServerProcess::start();
    directory = server.directory();
    port = server.port();
    server.stop();
    BOOST_TEST(!server.running());
    BOOST_TEST(connect(port)->err != 0); // refused: nothing listens any more
    BOOST_TEST(!redis_toolkit::redis_answers("127.0.0.1", port, 500ms));
    server.stop(); // idempotent
    BOOST_TEST(fs::exists(directory));
  }
  BOOST_TEST(!fs::exists(directory));
}

BOOST_AUTO_TEST_CASE(a_scope_left_by_an_exception_still_stops_the_server_and_cleans_up) {
  pid_t pid = -1;
  std::string directory;
  try {
    RedisServerProcess server = RedisServerProcess::start();
    pid = server.pid();
    directory = server.directory();
    throw std::runtime_error("simulated failing test");
  } catch (const std::runtime_error&) {
  }
  BOOST_REQUIRE(pid > 0);
  BOOST_TEST(!process_exists(pid)); // stopped and reaped: not even a zombie is left
  BOOST_TEST(!fs::exists(directory));
}

BOOST_AUTO_TEST_CASE(kill_hard_is_a_crash) {
  RedisServerProcess server = RedisServerProcess::start();
  const pid_t pid = server.pid();
  server.kill_hard();
  BOOST_TEST(!server.running());
  BOOST_TEST(!process_exists(pid));
  BOOST_TEST(!redis_toolkit::redis_answers("127.0.0.1", server.port(), 500ms));
}

BOOST_AUTO_TEST_CASE(a_paused_server_accepts_but_does_not_answer_until_resumed) {
  RedisServerProcess server = RedisServerProcess::start();
  server.pause();
  server.pause(); // already paused: returns at once
  BOOST_TEST(server.running());
  BOOST_TEST(!redis_toolkit::redis_answers("127.0.0.1", server.port(), 300ms));
  server.resume();
  BOOST_TEST(redis_toolkit::redis_answers("127.0.0.1", server.port(), 5s));
}

BOOST_AUTO_TEST_CASE(stop_ends_a_paused_server) {
  RedisServerProcess server = RedisServerProcess::start();
  const pid_t pid = server.pid();
  server.pause();
  server.stop();
  BOOST_TEST(!server.running());
  BOOST_TEST(!process_exists(pid));
}

BOOST_AUTO_TEST_CASE(restart_comes_back_on_the_same_port_and_directory) {
  RedisServerProcess server = RedisServerProcess::start();
  const std::uint16_t port = server.port();
  const std::string directory = server.directory();
  const pid_t first_pid = server.pid();
  server.kill_hard();
  server.restart();
  BOOST_TEST(server.running());
  BOOST_TEST(server.port() == port);
  BOOST_TEST(server.directory() == directory);
  BOOST_TEST(server.pid() != first_pid);
  BOOST_TEST(ping(port) == "PONG");
  server.restart(); // from a running server too
  BOOST_TEST(ping(port) == "PONG");
}

BOOST_AUTO_TEST_CASE(two_servers_get_different_ports_and_directories) {
  RedisServerProcess first = RedisServerProcess::start();
  RedisServerProcess second = RedisServerProcess::start();
  BOOST_TEST(first.port() != second.port());
  BOOST_TEST(first.directory() != second.directory());
  BOOST_TEST(ping(first.port()) == "PONG");
  BOOST_TEST(ping(second.port()) == "PONG");
}

BOOST_AUTO_TEST_CASE(a_moved_server_is_owned_by_its_new_holder) {
  RedisServerProcess original = RedisServerProcess::start();
  const std::uint16_t port = original.port();
  RedisServerProcess holder = std::move(original);
  // The moved-from state is the point here. NOLINTNEXTLINE
  BOOST_TEST(!original.running());
  BOOST_TEST(holder.running());
  { RedisServerProcess discarded = std::move(original); } // NOLINT: its destructor stops nothing
  BOOST_TEST(ping(port) == "PONG");
  BOOST_TEST(holder.running());
}

BOOST_AUTO_TEST_CASE(a_missing_binary_is_a_typed_error_with_the_install_hint) {
  RedisServerProcess::Options options;
  options.binary = "/nonexistent/redis-server";
  options.directory = unused_path("rtk-launcher-missing").string();
  BOOST_CHECK_EXCEPTION(
      RedisServerProcess::start(options), ConnectionError, [](const ConnectionError& e) {
        BOOST_TEST_MESSAGE(e.what());
        return e.operation() == "start" && e.server().rfind("127.0.0.1:", 0) == 0 &&
               e.reason().find("/nonexistent/redis-server") != std::string::npos &&
               e.reason().find("apt-get install redis-server") != std::string::npos;
      });
  BOOST_TEST(!fs::exists(options.directory)); // created for the server, removed with it
}

BOOST_AUTO_TEST_CASE(a_server_that_refuses_its_arguments_reports_its_log) {
  RedisServerProcess::Options options;
  options.extra_args = {"--no-such-directive", "yes"};
  options.start_timeout = 5s;
  BOOST_CHECK_EXCEPTION(RedisServerProcess::start(options), ConnectionError,
                        [](const ConnectionError& e) {
                          BOOST_TEST_MESSAGE(e.what());
                          return e.reason().find("exited with status 1") != std::string::npos &&
                                 e.reason().find("no-such-directive") != std::string::npos;
                        });
}

BOOST_AUTO_TEST_CASE(the_debug_command_is_enabled) {
  RedisServerProcess server = RedisServerProcess::start();
  BOOST_TEST(rtk_test::run_redis_cli(server.port(), {"DEBUG", "SLEEP", "0"}) == "OK");
}

BOOST_AUTO_TEST_CASE(a_chosen_port_and_a_kept_directory_are_respected) {
  RedisServerProcess::Options options;
  options.port = redis_toolkit::find_free_loopback_port();
  options.directory = unused_path("rtk-launcher-kept").string();
  options.keep_directory = true;
  {
    RedisServerProcess server = RedisServerProcess::start(options);
    BOOST_TEST(server.port() == options.port);
    BOOST_TEST(server.directory() == options.directory);
  }
  BOOST_TEST(fs::exists(fs::path(options.directory) / "redis.log"));
  fs::remove_all(options.directory);
}

BOOST_AUTO_TEST_CASE(a_directory_that_already_existed_is_not_removed) {
  const fs::path existing = unused_path("rtk-launcher-existing");
  fs::create_directories(existing);
  RedisServerProcess::Options options;
  options.directory = existing.string();
  { RedisServerProcess server = RedisServerProcess::start(options); }
  BOOST_TEST(fs::is_directory(existing));
  fs::remove_all(existing);
}

BOOST_AUTO_TEST_CASE(free_ports_are_never_handed_out_twice_and_can_leave_room_for_the_bus) {
  const std::uint16_t first = redis_toolkit::find_free_loopback_port();
  const std::uint16_t with_bus = redis_toolkit::find_free_loopback_port(true);
  BOOST_TEST(first != with_bus);
  BOOST_TEST(with_bus <= 65535 - 10000);
  BOOST_TEST(redis_toolkit::find_free_loopback_port() != with_bus + 10000);
}

BOOST_AUTO_TEST_CASE(the_command_line_carries_the_defaults_then_the_extra_arguments) {
  RedisServerProcess::Options options;
  options.extra_args = {"--cluster-enabled", "yes"};
  const auto argv =
      RedisServerProcess::command_line("/usr/bin/redis-server", 7000, "/tmp/d", options);
  const std::vector<std::string> expected = {"/usr/bin/redis-server",
                                             "--port",
                                             "7000",
                                             "--bind",
                                             "127.0.0.1",
                                             "--save",
                                             "",
                                             "--appendonly",
                                             "no",
                                             "--daemonize",
                                             "no",
                                             "--dir",
                                             "/tmp/d",
                                             "--logfile",
                                             "/tmp/d/redis.log",
                                             "--enable-debug-command",
                                             "local",
                                             "--cluster-enabled",
                                             "yes"};
  BOOST_TEST(argv == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(run_program_collects_output_and_enforces_its_deadline) {
  const auto echoed = redis_toolkit::run_program({"/bin/echo", "hello"}, 5s);
  BOOST_TEST(echoed.exit_status == 0);
  BOOST_TEST(echoed.standard_output == "hello\n");
  const auto slept = redis_toolkit::run_program({"/bin/sleep", "30"}, 200ms);
  BOOST_TEST(slept.exit_status == -1);
  BOOST_CHECK_THROW(redis_toolkit::run_program({"/nonexistent/program"}, 1s), ConnectionError);
}

BOOST_AUTO_TEST_SUITE_END()
