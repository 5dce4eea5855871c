// Any Redis command through the toolkit against a real redis-server, blocking, async and as an
// actor: every reply kind, binary arguments, error replies, refused commands, pipelines,
// transactions (a WATCH conflict made by a second client), scripts (NOSCRIPT after SCRIPT FLUSH).
#include "redis_cli.hpp"
#include "toolkit_fixture.hpp"

#include "redis_toolkit/async_toolkit.hpp"
#include "redis_toolkit/toolkit.hpp"
#include "redis_toolkit/toolkit_actor.hpp"

#include <boost/test/unit_test.hpp>

#include <caf/all.hpp>

#include <future>

using namespace redis_toolkit;
using namespace std::chrono_literals;
using namespace std::string_literals;
using rtk_test::run_redis_cli;

BOOST_FIXTURE_TEST_SUITE(command_tests, rtk_test::ServerFixture)

BOOST_AUTO_TEST_CASE(every_reply_kind_reads_as_what_it_is) {
  RedisToolkit toolkit(config());
  BOOST_TEST(toolkit.command({"SET", "counter", "41"}).is_ok());
  const Reply incremented = toolkit.command({"INCR", "counter"});
  BOOST_TEST(incremented.is_integer());
  BOOST_TEST(incremented.as_integer() == 42);
  BOOST_TEST(toolkit.command({"GET", "counter"}).as_string() == "42");
  BOOST_TEST(toolkit.command({"GET", "missing"}).is_nil());
  BOOST_TEST(!toolkit.command({"GET", "missing"}).as_optional_string().has_value());
  BOOST_TEST(toolkit.command({"PING"}).as_string() == "PONG");
  BOOST_TEST(toolkit.command({"INCRBYFLOAT", "float", "1.5"}).as_double() == 1.5);
  toolkit.command({"RPUSH", "list", "a", "b", "c"});
  const Reply list = toolkit.command({"LRANGE", "list", "0", "-1"});
  BOOST_REQUIRE(list.is_array());
  BOOST_REQUIRE(list.as_array().size() == 3u);
  BOOST_TEST(list.as_array()[2].as_string() == "c");
  BOOST_TEST(toolkit.command({"LRANGE", "nolist", "0", "-1"}).as_array().empty());
  BOOST_TEST(toolkit.command({"HSET", "user:1", "name", "Ada", "lang", "C++"}).as_integer() == 2);
  BOOST_TEST(toolkit.command({"HGET", "user:1", "lang"}).as_string() == "C++");
  BOOST_TEST(toolkit.command({"EXPIRE", "user:1", "100"}).as_integer() == 1);
  BOOST_TEST(toolkit.get_ttl("user:1") > 0);
  // Nested arrays: XRANGE answers [[id, [field, value]], ...].
  toolkit.command({"XADD", "stream", "1-1", "f", "v"});
  const Reply entries = toolkit.command({"XRANGE", "stream", "-", "+"});
  BOOST_TEST(entries.as_array().at(0).as_array().at(1).as_array().at(1).as_string() == "v");
  // Values the toolkit wrote read back through command() as their stored bytes, and vice versa.
  toolkit.setter("typed", 7);
  BOOST_TEST(toolkit.command({"GET", "typed"}).as_string() == R"({"__type__": "int", "__data__": 7})");
}

BOOST_AUTO_TEST_CASE(arguments_are_binary_safe_up_to_a_mebibyte) {
  RedisToolkit toolkit(config());
  const std::string binary = "\0\r\n\xff$3\r\n"s;
  toolkit.command({"SET", "bin\0key"s, binary});
  BOOST_TEST(toolkit.command({"GET", "bin\0key"s}).as_string() == binary);
  BOOST_TEST(toolkit.command({"STRLEN", "bin\0key"s}).as_integer() == static_cast<long>(binary.size()));
  std::string large(1 << 20, 'x');
  large[12345] = '\0';
  toolkit.command({"SET", "large", large});
  BOOST_TEST(toolkit.command({"GET", "large"}).as_string() == large);
  BOOST_TEST(run_redis_cli(server.port(), {"STRLEN", "large"}) == std::to_string(1 << 20));
}

BOOST_AUTO_TEST_CASE(an_error_reply_is_a_command_error_naming_the_command_not_its_arguments) {
  RedisToolkit toolkit(config());
  toolkit.command({"SET", "text", "not a number"});
  try {
    toolkit.command({"INCRBY", "text", "secret-argument-5"});
    BOOST_FAIL("no CommandError");
  } catch (const CommandError& error) {
    const std::string what = error.what();
    BOOST_TEST(error.operation() == "INCRBY");
    BOOST_TEST(what.find("ERR value is not an integer") != std::string::npos, what);
    BOOST_TEST(what.find("secret-argument") == std::string::npos, what);
    BOOST_TEST(error.server() == server.address());
  }
  try {
    toolkit.command({"CONFIG", "SET", "no-such-parameter", "hunter2"});
    BOOST_FAIL("no CommandError");
  } catch (const CommandError& error) {
    BOOST_TEST(error.operation() == "CONFIG SET");
    BOOST_TEST(std::string(error.what()).find("hunter2") == std::string::npos, error.what());
  }
  BOOST_CHECK_THROW(toolkit.command({"NOSUCHCOMMAND", "x"}), CommandError);
  BOOST_CHECK_THROW(toolkit.command({"LPUSH", "text", "x"}), CommandError); // WRONGTYPE
  // Refused before sending: nothing reaches the server.
  BOOST_CHECK_THROW(toolkit.command({"SUBSCRIBE", "channel"}), ValidationError);
  BOOST_CHECK_THROW(toolkit.command({"SELECT", "3"}), ValidationError);
  BOOST_CHECK_THROW(toolkit.command({}), ValidationError);
  // The toolkit's connection still works after all of that.
  BOOST_TEST(toolkit.command({"GET", "text"}).as_string() == "not a number");
}

BOOST_AUTO_TEST_CASE(a_blocking_command_does_not_hold_up_the_shared_connection) {
  RedisToolkit toolkit(config());
  AsyncRedisToolkit async_toolkit(config());
  // BLPOP waits on the connection kept for blocking commands; other calls carry on meanwhile.
  auto popped = async_toolkit.command({"BLPOP", "jobs", "1"});
  for (int i = 0; i < 20; ++i) toolkit.command({"INCR", "busy"});
  toolkit.command({"RPUSH", "jobs", "job-1"});
  const Reply reply = popped.get();
  BOOST_REQUIRE(reply.is_array());
  BOOST_TEST(reply.as_array().at(1).as_string() == "job-1");
  BOOST_TEST(toolkit.command({"GET", "busy"}).as_string() == "20");
}

BOOST_AUTO_TEST_CASE(command_on_nodes_answers_once_per_node) {
  RedisToolkit toolkit(config());
  toolkit.command({"SET", "a", "1"});
  const auto sizes = toolkit.command_on_nodes({"DBSIZE"});
  BOOST_REQUIRE(sizes.size() == 1u);
  BOOST_TEST(sizes[0].node == server.address());
  BOOST_TEST(sizes[0].reply.as_integer() == 1);
  BOOST_TEST(toolkit.command_on_nodes({"DBSIZE"}, CommandNodes::all).size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_pipeline_answers_in_order_with_errors_in_place) {
  RedisToolkit toolkit(config());
  toolkit.command({"SET", "text", "abc"});
  auto pipeline = toolkit.pipeline();
  for (int i = 0; i < 10000; ++i) pipeline.add({"INCR", "n:" + std::to_string(i % 100)});
  pipeline.add({"INCR", "text"}).add({"GET", "n:7"});
  BOOST_TEST(pipeline.size() == 10002u);
  const std::vector<Reply> replies = pipeline.execute();
  BOOST_REQUIRE(replies.size() == 10002u);
  for (int i = 0; i < 10000; ++i) BOOST_REQUIRE(replies[i].as_integer() == i / 100 + 1);
  BOOST_TEST(replies[10000].is_error());
  BOOST_TEST(replies[10000].text.find("not an integer") != std::string::npos);
  BOOST_TEST(replies[10001].as_string() == "100");
  // A bad command refuses the whole pipeline before anything is sent.
  auto refused = toolkit.pipeline();
  refused.add({"SET", "never", "1"}).add({"MULTI"});
  BOOST_CHECK_THROW(refused.execute(), ValidationError);
  BOOST_TEST(toolkit.command({"EXISTS", "never"}).as_integer() == 0);
  BOOST_TEST(toolkit.pipeline().execute().empty());
}

BOOST_AUTO_TEST_CASE(a_transaction_runs_whole_and_a_watch_conflict_is_no_value) {
  RedisToolkit toolkit(config());
  auto replies = toolkit.transaction({{"SET", "balance", "100"}, {"DECRBY", "balance", "30"},
                                      {"LPUSH", "balance", "x"}, {"GET", "balance"}});
  BOOST_REQUIRE(replies.has_value());
  BOOST_REQUIRE(replies->size() == 4u);
  BOOST_TEST(replies->at(1).as_integer() == 70);
  BOOST_TEST(replies->at(2).is_error()); // WRONGTYPE at EXEC: Redis runs the others
  BOOST_TEST(replies->at(3).as_string() == "70");
  // Refused while queueing: nothing runs, a CommandError names the command.
  try {
    toolkit.transaction({{"INCR", "balance"}, {"GET"}});
    BOOST_FAIL("no CommandError");
  } catch (const CommandError& error) {
    BOOST_TEST(std::string(error.what()).find("EXECABORT") != std::string::npos, error.what());
  }
  BOOST_TEST(toolkit.command({"GET", "balance"}).as_string() == "70");

}

BOOST_AUTO_TEST_CASE(a_read_modify_write_transaction_runs_again_when_another_client_wrote) {
  RedisToolkit toolkit(config());
  toolkit.command({"SET", "balance", "100"});
  int builds = 0;
  // The builder runs between WATCH and EXEC: the first time, a second client (redis-cli) changes
  // the watched key right then, so that EXEC must fail and everything run again.
  auto result = toolkit.transaction(
      {"balance"}, {{"GET", "balance"}},
      [&](const std::vector<Reply>& read) -> std::vector<CommandArguments> {
        if (++builds == 1) run_redis_cli(server.port(), {"INCRBY", "balance", "5"});
        const long balance = std::stol(read.at(0).as_string());
        return {{"SET", "balance", std::to_string(balance - 30)}, {"GET", "balance"}};
      });
  BOOST_REQUIRE(result.has_value());
  BOOST_TEST(builds == 2);
  BOOST_TEST(result->at(1).as_string() == "75"); // (100 + 5) - 30: nothing was lost
  BOOST_TEST(toolkit.command({"GET", "balance"}).as_string() == "75");

  // Conflicting every time: no value after max_attempts, and nothing of it ran.
  int tries = 0;
  auto never = toolkit.transaction(
      {"balance"}, {},
      [&](const std::vector<Reply>&) -> std::vector<CommandArguments> {
        ++tries;
        run_redis_cli(server.port(), {"INCR", "balance"});
        return {{"SET", "balance", "0"}};
      },
      3);
  BOOST_TEST(!never.has_value());
  BOOST_TEST(tries == 3);
  BOOST_TEST(toolkit.command({"GET", "balance"}).as_string() == "78");

  // A builder that throws: its exception reaches the caller, nothing runs, and the session is
  // closed at once (the next transaction on this node does not wait for it to expire).
  BOOST_CHECK_THROW(toolkit.transaction({"balance"}, {},
                                        [](const std::vector<Reply>&) -> std::vector<CommandArguments> {
                                          throw std::runtime_error("the builder gave up");
                                        }),
                    std::runtime_error);
  AsyncRedisToolkit async_toolkit(config());
  auto after = async_toolkit.transaction(
      {"balance"}, {{"GET", "balance"}},
      [](const std::vector<Reply>& read) -> std::vector<CommandArguments> {
        return {{"SET", "balance", std::to_string(std::stol(read[0].as_string()) + 1)}};
      });
  BOOST_REQUIRE(after.wait_for(10s) == std::future_status::ready);
  BOOST_TEST(after.get().has_value());
  BOOST_TEST(toolkit.command({"GET", "balance"}).as_string() == "79");
  // The builder's commands are checked like any: a refused one ends the transaction.
  BOOST_CHECK_THROW(toolkit.transaction({"balance"}, {},
                                        [](const std::vector<Reply>&) -> std::vector<CommandArguments> {
                                          return {{"SELECT", "2"}};
                                        }),
                    ValidationError);
  BOOST_TEST(toolkit.command({"GET", "balance"}).as_string() == "79");
  // A builder with nothing to do: nothing runs, the answer is an empty vector (not a conflict,
  // which would be nullopt), and the session is closed at once for the next one, on both fronts.
  auto nothing_to_do = [](const std::vector<Reply>&) { return std::vector<CommandArguments>(); };
  auto nothing = toolkit.transaction({"balance"}, {{"GET", "balance"}}, nothing_to_do);
  BOOST_REQUIRE(nothing.has_value());
  BOOST_TEST(nothing->empty());
  auto nothing_async = async_toolkit.transaction({"balance"}, {{"GET", "balance"}}, nothing_to_do);
  BOOST_REQUIRE(nothing_async.wait_for(10s) == std::future_status::ready);
  const auto nothing_ran = nothing_async.get();
  BOOST_REQUIRE(nothing_ran.has_value());
  BOOST_TEST(nothing_ran->empty());
  auto spend_one = [](const std::vector<Reply>& read) -> std::vector<CommandArguments> {
    return {{"SET", "balance", std::to_string(std::stol(read.at(0).as_string()) - 1)}};
  };
  BOOST_TEST(toolkit.transaction({"balance"}, {{"GET", "balance"}}, spend_one).has_value());
  BOOST_TEST(toolkit.command({"GET", "balance"}).as_string() == "78");
}

BOOST_AUTO_TEST_CASE(concurrent_read_modify_write_transactions_lose_no_update) {
  RedisToolkit toolkit(config());
  toolkit.command({"SET", "shared", "0"});
  std::vector<std::future<std::optional<std::vector<Reply>>>> running;
  for (int i = 0; i < 8; ++i)
    running.push_back(std::async(std::launch::async, [&] {
      return toolkit.transaction({"shared"}, {{"GET", "shared"}},
                                 [](const std::vector<Reply>& read) -> std::vector<CommandArguments> {
                                   return {{"SET", "shared",
                                            std::to_string(std::stol(read[0].as_string()) + 1)}};
                                 },
                                 100);
    }));
  for (auto& each : running) BOOST_TEST(each.get().has_value());
  BOOST_TEST(toolkit.command({"GET", "shared"}).as_string() == "8");
}

BOOST_AUTO_TEST_CASE(calls_made_before_the_command_table_is_known_share_one_command_request) {
  auto command_calls = [&] {
    const std::string stats = run_redis_cli(server.port(), {"INFO", "commandstats"});
    const std::string field = "cmdstat_command:calls=";
    const auto at = stats.find(field);
    return at == std::string::npos ? 0L : std::stol(stats.substr(at + field.size()));
  };
  const long before = command_calls();
  AsyncRedisToolkit toolkit(config());
  std::vector<std::future<Reply>> calls;
  for (int i = 0; i < 300; ++i)
    calls.push_back(toolkit.command({"INCR", "early:" + std::to_string(i % 10)}));
  long total = 0;
  for (auto& call : calls) total += call.get().as_integer();
  BOOST_TEST(total == 10 * (30 * 31 / 2)); // each of the 10 counters counted 1..30
  BOOST_TEST(command_calls() - before == 1); // one COMMAND, not one per call
}

BOOST_AUTO_TEST_CASE(a_script_loads_itself_where_the_server_lacks_it) {
  RedisToolkit toolkit(config());
  AsyncRedisToolkit async_toolkit(config());
  const Script add("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  auto calls = [&](const std::string& command) {
    const std::string stats = run_redis_cli(server.port(), {"INFO", "commandstats"});
    const auto at = stats.find("cmdstat_" + command + ":calls=");
    return at == std::string::npos ? 0L : std::stol(stats.substr(at + 15 + command.size()));
  };
  BOOST_TEST(run_redis_cli(server.port(), {"SCRIPT", "EXISTS", add.sha1()}) == "0");
  BOOST_TEST(toolkit.eval(add, {"total"}, {"5"}).as_integer() == 5); // NOSCRIPT, then EVAL
  BOOST_TEST(run_redis_cli(server.port(), {"SCRIPT", "EXISTS", add.sha1()}) == "1");
  BOOST_TEST(toolkit.eval(add, {"total"}, {"2"}).as_integer() == 7); // EVALSHA alone
  BOOST_TEST(calls("eval") == 1);
  BOOST_TEST(calls("evalsha") == 2);
  run_redis_cli(server.port(), {"SCRIPT", "FLUSH"});
  BOOST_TEST(async_toolkit.eval(add, {"total"}, {"3"}).get().as_integer() == 10);
  BOOST_TEST(calls("eval") == 2);
  try {
    toolkit.eval(Script("return redis.error_reply('my own error')"));
    BOOST_FAIL("no CommandError");
  } catch (const CommandError& error) {
    BOOST_TEST(std::string(error.what()).find("my own error") != std::string::npos, error.what());
  }
}

BOOST_AUTO_TEST_CASE(the_async_toolkit_and_actor_callers_run_any_command) {
  AsyncRedisToolkit toolkit(config());
  BOOST_TEST(toolkit.command({"INCR", "n"}).get().as_integer() == 1);
  std::promise<std::int64_t> counted;
  toolkit.command({"INCR", "n"}, [&](Result<Reply> result) {
    try {
      counted.set_value(result.value().as_integer());
    } catch (...) {
      counted.set_exception(std::current_exception());
    }
  });
  BOOST_TEST(counted.get_future().get() == 2);
  std::vector<std::future<Reply>> in_flight;
  for (int i = 0; i < 100; ++i) in_flight.push_back(toolkit.command({"INCR", "n"}));
  for (auto& each : in_flight) each.get();
  BOOST_TEST(toolkit.command({"GET", "n"}).get().as_string() == "102");
  BOOST_CHECK_THROW(toolkit.command({"INCRBY", "n", "x"}).get(), CommandError);
  BOOST_CHECK_THROW(toolkit.command({"MONITOR"}).get(), ValidationError);
  auto pipeline = toolkit.pipeline();
  pipeline.add({"INCR", "n"}).add({"HSET", "n", "f", "v"}).add({"GET", "n"});
  const auto replies = pipeline.execute().get();
  BOOST_REQUIRE(replies.size() == 3u);
  BOOST_TEST(replies[0].as_integer() == 103);
  BOOST_TEST(replies[1].is_error());
  BOOST_TEST(replies[2].as_string() == "103");
  auto executed = toolkit.transaction({{"INCR", "n"}, {"INCR", "n"}}).get();
  BOOST_REQUIRE(executed.has_value());
  BOOST_TEST(executed->at(1).as_integer() == 105);
  BOOST_TEST(toolkit.command_on_nodes({"DBSIZE"}).get().at(0).reply.as_integer() == 1);

  caf::scoped_actor self(toolkit.system());
  self->request(toolkit.actor(), 10s, command_atom::value, CommandArguments{"INCR", "n"})
      .receive([&](Reply& reply) { BOOST_TEST(reply.as_integer() == 106); },
               [&](caf::error& error) { BOOST_FAIL(error_text(error)); });
  self->request(toolkit.actor(), 10s, pipeline_atom::value,
                std::vector<CommandArguments>{{"INCR", "n"}, {"GET", "n"}})
      .receive([&](std::vector<Reply>& replies) { BOOST_TEST(replies.at(1).as_string() == "107"); },
               [&](caf::error& error) { BOOST_FAIL(error_text(error)); });
  self->request(toolkit.actor(), 10s, command_atom::value, CommandArguments{"INCRBY", "n", "x"})
      .receive([&](Reply&) { BOOST_FAIL("an error reply answered as a Reply"); },
               [&](caf::error& error) { BOOST_TEST((error_kind(error) == ErrorKind::command)); });
}

BOOST_AUTO_TEST_SUITE_END()
