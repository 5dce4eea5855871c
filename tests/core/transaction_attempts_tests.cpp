// A read-modify-write transaction's decisions without a server: what goes next given the last
// answer (the reads, EXEC's replies, a changed watched key, an error at any step), which requests
// open and close the router's session, when UNWATCH gives a session up, and which error the
// caller hears. The blocking and async fronts carry exactly these requests.
#include "transaction_attempts.hpp"

#include "command_table.hpp"

#include "redis_toolkit/errors.hpp"

#include <boost/test/unit_test.hpp>

#include <stdexcept>
#include <string>
#include <vector>

using namespace redis_toolkit;
using detail::TransactionAttempts;
using Next = TransactionAttempts::Next;
using Names = std::vector<std::string>;

namespace {

RedisOptions default_options;
const detail::CommandTable no_table; // the second argument counts as the key
const detail::OperationContext one_server{default_options, "127.0.0.1:6379", false};
const detail::OperationContext cluster{default_options, "127.0.0.1:7000", true};

/// The command names a request sends, in order ("WATCH", "GET", "MULTI" ...).
Names names(const CommandRequest& request) {
  Names out;
  for (const Command& command : request.commands) {
    const std::string_view bytes = command_bytes(command, request.wire);
    const std::size_t length_at = bytes.find("\r\n$") + 3;
    const std::size_t name_at = bytes.find("\r\n", length_at) + 2;
    out.emplace_back(bytes.substr(name_at, std::stoul(std::string(bytes.substr(length_at)))));
  }
  return out;
}

Reply status(const char* text) {
  Reply reply;
  reply.type = Reply::Type::status;
  reply.text = text;
  return reply;
}
Reply bulk(const char* text) {
  Reply reply;
  reply.type = Reply::Type::string;
  reply.text = text;
  return reply;
}
Reply array(std::vector<Reply> elements) {
  Reply reply;
  reply.type = Reply::Type::array;
  reply.elements = std::move(elements);
  return reply;
}

/// Decodes what the server would answer to `planned`, as the fronts do.
template <typename T>
T answer(detail::PlannedOperation<T>& planned, std::vector<Reply> replies) {
  return planned.decode(replies);
}

/// Spends 30 from the balance it read.
std::vector<CommandArguments> spend(const std::vector<Reply>& read) {
  const long balance = std::stol(read.at(0).as_optional_string().value_or("0"));
  return {{"SET", "balance", std::to_string(balance - 30)}};
}

/// What `step` threw (null when it threw nothing): a planning step's refusal, a decoder's error.
template <typename Step>
std::exception_ptr error_of(Step step) {
  try {
    step();
  } catch (...) {
    return std::current_exception();
  }
  return nullptr;
}

/// A builder that refuses whatever it read, with `reason`.
TransactionBuilder gives_up(std::string reason) {
  return [reason](const std::vector<Reply>&) -> std::vector<CommandArguments> {
    throw std::runtime_error(reason);
  };
}

} // namespace

BOOST_AUTO_TEST_SUITE(transaction_attempts_tests)

BOOST_AUTO_TEST_CASE(reads_then_exec_on_one_session) {
  TransactionAttempts attempts({"balance"}, {{"GET", "balance"}}, spend, 5);
  BOOST_TEST((attempts.next() == Next::read));

  auto reads = attempts.plan_reads(one_server, no_table);
  BOOST_TEST(names(reads.request) == (Names{"WATCH", "GET"}));
  BOOST_TEST(reads.request.atomic);
  BOOST_TEST(reads.request.session != 0u); // pins a connection
  BOOST_TEST(!reads.request.session_close);
  BOOST_TEST(attempts.attempts() == 1);

  // The builder sees the reads without WATCH's OK.
  BOOST_TEST((attempts.reads_answered(answer(reads, {status("OK"), bulk("100")})) == Next::commit));
  auto commit = attempts.plan_close(one_server, no_table);
  BOOST_TEST(names(commit.request) == (Names{"MULTI", "SET", "EXEC"}));
  BOOST_TEST(commit.request.session == reads.request.session); // the same connection
  BOOST_TEST(commit.request.session_close);                    // which it then unpins
  const std::string set_bytes(command_bytes(commit.request.commands[1], commit.request.wire));
  BOOST_TEST(set_bytes.find("$2\r\n70\r\n") != std::string::npos); // 100 - 30

  auto executed = answer(commit, {status("OK"), status("QUEUED"), array({status("OK")})});
  BOOST_TEST((attempts.committed(std::move(executed)) == Next::finished));
  const auto result = attempts.take_result();
  BOOST_REQUIRE(result.has_value());
  BOOST_TEST(result->size() == 1u);
  BOOST_TEST(result->at(0).is_ok());
}

BOOST_AUTO_TEST_CASE(a_changed_watched_key_reads_again_on_a_new_session_up_to_the_bound) {
  int built = 0;
  TransactionAttempts attempts({"balance"}, {{"GET", "balance"}},
                               [&](const std::vector<Reply>& read) {
                                 ++built;
                                 return spend(read);
                               },
                               3);
  std::uint64_t last_session = 0;
  for (int attempt = 1; attempt <= 3; ++attempt) {
    BOOST_REQUIRE((attempts.next() == Next::read));
    auto reads = attempts.plan_reads(one_server, no_table);
    BOOST_TEST(reads.request.session != last_session); // a fresh session each attempt
    last_session = reads.request.session;
    BOOST_TEST(attempts.attempts() == attempt);
    attempts.reads_answered(answer(reads, {status("OK"), bulk("100")}));
    auto commit = attempts.plan_close(one_server, no_table);
    // EXEC answered nil: another client changed the watched key, nothing ran.
    auto executed = answer(commit, {status("OK"), status("QUEUED"), Reply()});
    BOOST_TEST(!executed.has_value());
    const Next next = attempts.committed(std::move(executed));
    BOOST_TEST((next == (attempt < 3 ? Next::read : Next::finished)));
  }
  BOOST_TEST(built == 3); // the builder ran on every attempt's reads
  BOOST_TEST(!attempts.take_result().has_value());
}

BOOST_AUTO_TEST_CASE(a_builder_that_throws_gives_the_session_up_and_its_error_reaches_the_caller) {
  TransactionAttempts attempts({"balance"}, {{"GET", "balance"}}, gives_up("insufficient funds"), 5);
  auto reads = attempts.plan_reads(one_server, no_table);
  BOOST_TEST((attempts.reads_answered(answer(reads, {status("OK"), bulk("10")})) == Next::give_up));
  auto unwatch = attempts.plan_close(one_server, no_table);
  BOOST_TEST(names(unwatch.request) == (Names{"UNWATCH"}));
  BOOST_TEST(unwatch.request.session == reads.request.session);
  BOOST_TEST(unwatch.request.session_close);
  BOOST_TEST((attempts.next() == Next::finished)); // whatever UNWATCH answers
  BOOST_CHECK_EXCEPTION(attempts.take_result(), std::runtime_error, [](const std::runtime_error& e) {
    return std::string(e.what()) == "insufficient funds";
  });
}

BOOST_AUTO_TEST_CASE(failed_reads_give_the_session_up) {
  TransactionAttempts attempts({"balance"}, {{"GET", "balance"}}, spend, 5);
  auto reads = attempts.plan_reads(one_server, no_table);
  // The reads' decoder throws the typed error of a lost connection.
  const Reply reset = Reply::failure(Reply::Type::connection_failed, "127.0.0.1:6379", "reset");
  const std::exception_ptr error = error_of([&] { answer(reads, {reset, reset}); });
  BOOST_REQUIRE(error);
  BOOST_TEST((attempts.failed(error) == Next::give_up));
  BOOST_TEST(names(attempts.plan_close(one_server, no_table).request) == (Names{"UNWATCH"}));
  BOOST_CHECK_THROW(attempts.take_result(), ConnectionError);
}

BOOST_AUTO_TEST_CASE(a_refused_plan_sends_nothing_not_even_unwatch) {
  TransactionAttempts attempts({}, {{"GET", "balance"}}, spend, 5); // no watch keys
  const std::exception_ptr error = error_of([&] { attempts.plan_reads(one_server, no_table); });
  BOOST_REQUIRE(error);
  BOOST_TEST(attempts.attempts() == 0);
  BOOST_TEST((attempts.failed(error) == Next::finished));
  BOOST_CHECK_THROW(attempts.take_result(), ValidationError);
}

BOOST_AUTO_TEST_CASE(a_refused_command_from_the_builder_gives_the_session_up) {
  // In a cluster the builder's keys must share the watched key's slot.
  TransactionAttempts attempts({"{account:7}:balance"}, {{"GET", "{account:7}:balance"}},
                               [](const std::vector<Reply>&) -> std::vector<CommandArguments> {
                                 return {{"SET", "{account:8}:balance", "1"}};
                               },
                               5);
  auto reads = attempts.plan_reads(cluster, no_table);
  BOOST_TEST((attempts.reads_answered(answer(reads, {status("OK"), bulk("1")})) == Next::commit));
  const std::exception_ptr error = error_of([&] { attempts.plan_close(cluster, no_table); });
  BOOST_REQUIRE(error);
  BOOST_TEST((attempts.failed(error) == Next::give_up)); // the WATCH is still open: UNWATCH
  auto unwatch = attempts.plan_close(cluster, no_table);
  BOOST_TEST(names(unwatch.request) == (Names{"UNWATCH"}));
  BOOST_TEST(unwatch.request.commands[0].slot == reads.request.commands[0].slot);
  BOOST_CHECK_THROW(attempts.take_result(), ClusterError);
}

BOOST_AUTO_TEST_CASE(a_failed_exec_ends_it_without_unwatch) {
  // EXEC (or the lost connection) already ended the WATCH; the router unpins with the close.
  TransactionAttempts attempts({"balance"}, {{"GET", "balance"}}, spend, 5);
  auto reads = attempts.plan_reads(one_server, no_table);
  attempts.reads_answered(answer(reads, {status("OK"), bulk("100")}));
  auto commit = attempts.plan_close(one_server, no_table);
  Reply abort;
  abort.type = Reply::Type::error;
  abort.text = "EXECABORT Transaction discarded because of previous errors.";
  Reply refused;
  refused.type = Reply::Type::error;
  refused.text = "ERR wrong number of arguments";
  const std::exception_ptr error = error_of([&] { answer(commit, {status("OK"), refused, abort}); });
  BOOST_REQUIRE(error);
  BOOST_TEST((attempts.failed(error) == Next::finished));
  BOOST_CHECK_EXCEPTION(attempts.take_result(), CommandError, [](const CommandError& e) {
    return std::string(e.what()).find("SET: ERR wrong number") != std::string::npos;
  });
}

BOOST_AUTO_TEST_CASE(a_builder_with_nothing_to_do_ends_it_with_nothing_run) {
  TransactionAttempts attempts({"balance"}, {{"GET", "balance"}},
                               [](const std::vector<Reply>&) { return std::vector<CommandArguments>(); },
                               5);
  auto reads = attempts.plan_reads(one_server, no_table);
  BOOST_TEST((attempts.reads_answered(answer(reads, {status("OK"), bulk("1")})) == Next::commit));
  auto close = attempts.plan_close(one_server, no_table);
  BOOST_TEST(names(close.request) == (Names{"UNWATCH"}));
  BOOST_TEST(close.request.session_close);
  BOOST_TEST((attempts.committed(answer(close, {status("OK")})) == Next::finished));
  const auto result = attempts.take_result();
  BOOST_REQUIRE(result.has_value()); // not a changed key: nothing to retry
  BOOST_TEST(result->empty());
}

BOOST_AUTO_TEST_CASE(the_first_error_is_the_one_the_caller_hears) {
  TransactionAttempts attempts({"balance"}, {{"GET", "balance"}}, gives_up("builder"), 5);
  auto reads = attempts.plan_reads(one_server, no_table);
  attempts.reads_answered(answer(reads, {status("OK"), bulk("1")}));
  attempts.plan_close(one_server, no_table); // UNWATCH
  attempts.failed(std::make_exception_ptr(ConnectionError("127.0.0.1:6379", "transaction", "lost")));
  BOOST_TEST((attempts.next() == Next::finished));
  BOOST_CHECK_THROW(attempts.take_result(), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(steps_out_of_turn_are_refused) {
  TransactionAttempts attempts({"balance"}, {{"GET", "balance"}}, spend, 5);
  BOOST_CHECK_THROW(attempts.plan_close(one_server, no_table), std::logic_error);
  BOOST_CHECK_THROW(attempts.take_result(), std::logic_error);
  BOOST_CHECK_THROW(attempts.committed(std::nullopt), std::logic_error);
  attempts.plan_reads(one_server, no_table);
  BOOST_CHECK_THROW(attempts.plan_reads(one_server, no_table), std::logic_error);
}

BOOST_AUTO_TEST_SUITE_END()
