// Routing any command without a server: the key positions and kinds the server's COMMAND reply
// gives (a reply Redis 7.0.15 sent, in tests/data), the checks made before anything is sent, the
// RESP encoding of binary-safe arguments, typed access to replies and script digests.
#include "command_operations.hpp"
#include "command_table.hpp"
#include "resp.hpp"

#include "redis_toolkit/command.hpp"
#include "redis_toolkit/errors.hpp"
#include "redis_toolkit/key_slot.hpp"

#include <boost/test/unit_test.hpp>

#include <fstream>
#include <iterator>

using namespace redis_toolkit;
using namespace std::string_literals;
using detail::CommandTable;

namespace {

/// COMMAND INFO for ~50 commands, exactly as redis-server 7.0.15 answered it.
const CommandTable& redis7_table() {
  static const CommandTable table = [] {
    std::ifstream file(std::string(RTK_TEST_DATA_DIR) + "/command-info-redis-7.0.resp",
                       std::ios::binary);
    const std::string wire((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    BOOST_REQUIRE(!wire.empty());
    resp::ReplyDecoder decoder;
    decoder.feed(wire.data(), wire.size());
    Reply reply;
    BOOST_REQUIRE(decoder.next(reply));
    return CommandTable::parse(reply);
  }();
  return table;
}

std::vector<std::string> keys_of(const CommandArguments& arguments) {
  std::vector<std::string> keys;
  for (std::size_t position : redis7_table().key_positions(arguments)) keys.push_back(arguments[position]);
  return keys;
}

RedisOptions default_options;

detail::OperationContext context(bool cluster) { return {default_options, "127.0.0.1:6379", cluster}; }

} // namespace

BOOST_AUTO_TEST_SUITE(command_table_tests)

BOOST_AUTO_TEST_CASE(keys_are_found_as_the_server_finds_them) {
  // Each expectation is what `COMMAND GETKEYS` answered on redis-server 7.0.15.
  using Keys = std::vector<std::string>;
  BOOST_TEST(keys_of({"GET", "k"}) == Keys{"k"});
  BOOST_TEST(keys_of({"get", "k"}) == Keys{"k"}); // names in any case
  BOOST_TEST(keys_of({"MSET", "a", "1", "b", "2"}) == (Keys{"a", "b"}));
  BOOST_TEST(keys_of({"MGET", "a", "b", "c"}) == (Keys{"a", "b", "c"}));
  BOOST_TEST(keys_of({"ZUNIONSTORE", "dest", "2", "a", "b", "WEIGHTS", "1", "2"}) ==
             (Keys{"dest", "a", "b"}));
  BOOST_TEST(keys_of({"XREAD", "COUNT", "2", "STREAMS", "s1", "s2", "0", "0"}) == (Keys{"s1", "s2"}));
  BOOST_TEST(keys_of({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s1", ">"}) == Keys{"s1"});
  BOOST_TEST(keys_of({"EVAL", "return 1", "2", "k1", "k2", "a"}) == (Keys{"k1", "k2"}));
  BOOST_TEST(keys_of({"EVALSHA", "abc", "0"}).empty());
  BOOST_TEST(keys_of({"BLMPOP", "0", "2", "l1", "l2", "LEFT"}) == (Keys{"l1", "l2"}));
  BOOST_TEST(keys_of({"OBJECT", "ENCODING", "k"}) == Keys{"k"});
  BOOST_TEST(keys_of({"MEMORY", "USAGE", "k"}) == Keys{"k"});
  BOOST_TEST(keys_of({"XINFO", "STREAM", "s"}) == Keys{"s"});
  BOOST_TEST(keys_of({"GEORADIUS", "k", "0", "0", "1", "km", "STORE", "dst"}) == (Keys{"k", "dst"}));
  BOOST_TEST(keys_of({"SINTERCARD", "2", "a", "b", "LIMIT", "1"}) == (Keys{"a", "b"}));
  BOOST_TEST(keys_of({"BITOP", "AND", "d", "a", "b"}) == (Keys{"d", "a", "b"}));
  BOOST_TEST(keys_of({"COPY", "a", "b"}) == (Keys{"a", "b"}));
  // SORT's STORE key is left to the command by its spec: the first key still routes it.
  BOOST_TEST(keys_of({"SORT", "k", "BY", "w"}) == Keys{"k"});
  BOOST_TEST(keys_of({"PING"}).empty());
  BOOST_TEST(keys_of({"CONFIG", "SET", "maxmemory", "1gb"}).empty());
  BOOST_TEST(keys_of({"DBSIZE"}).empty());
  BOOST_TEST(keys_of({"NOSUCHCOMMAND", "k"}).empty());
}

BOOST_AUTO_TEST_CASE(the_one_key_shortcut_finds_what_the_key_specs_find) {
  // Commands with one key at a fixed place skip the key specs; the general path must agree for
  // every argument count, too few included.
  const std::vector<std::string> one_key{"get", "set", "incr", "hset", "expire", "lpush",
                                         "zadd", "ttl"};
  for (const std::string& name : one_key) {
    const detail::CommandInfo* info = redis7_table().find({name});
    BOOST_TEST_REQUIRE(info != nullptr, name);
    BOOST_TEST(info->single_key == 1, name);
    detail::CommandInfo general = *info;
    general.single_key = -1;
    for (std::size_t count = 1; count <= 5; ++count) {
      CommandArguments arguments{name};
      for (std::size_t i = 1; i < count; ++i) arguments.push_back("a" + std::to_string(i));
      BOOST_TEST(detail::key_positions(*info, arguments) ==
                     detail::key_positions(general, arguments),
                 name << " with " << count << " arguments");
    }
  }
  for (const std::string name : {"mget", "del", "mset", "eval", "zunionstore", "xread"}) {
    const detail::CommandInfo* info = redis7_table().find({name});
    BOOST_TEST_REQUIRE(info != nullptr, name);
    BOOST_TEST(info->single_key == -1, name);
  }
}

BOOST_AUTO_TEST_CASE(a_pipeline_remembers_names_but_never_a_subcommand_entry) {
  detail::CommandLookup lookup(redis7_table());
  BOOST_TEST(lookup.find({"GET", "a"})->display_name == "GET");
  BOOST_TEST(lookup.find({"GET", "b"})->display_name == "GET");
  BOOST_TEST(lookup.find({"SET", "a", "1"})->display_name == "SET");
  BOOST_TEST(lookup.find({"CONFIG", "SET", "x", "y"})->display_name == "CONFIG SET");
  BOOST_TEST(lookup.find({"CONFIG", "GET", "x"})->display_name == "CONFIG GET");
  BOOST_TEST(lookup.find({"NOSUCHCOMMAND"}) == nullptr);
  BOOST_TEST(lookup.find({"get", "a"})->display_name == "GET");
}

BOOST_AUTO_TEST_CASE(too_few_arguments_for_the_key_count_name_no_key_beyond_the_end) {
  // The server answers such a command with an error; routing must not read past the arguments.
  BOOST_TEST(keys_of({"EVAL", "return 1", "5", "k1"}) == std::vector<std::string>{"k1"});
  BOOST_TEST(keys_of({"EVAL", "return 1", "many"}).empty());
  BOOST_TEST(keys_of({"ZUNIONSTORE"}).empty());
}

BOOST_AUTO_TEST_CASE(kinds_come_from_the_flags_and_subcommands_have_their_own_entry) {
  const CommandTable& table = redis7_table();
  BOOST_TEST(table.find({"GET", "k"})->read_only);
  BOOST_TEST(!table.find({"SET", "k", "v"})->read_only);
  BOOST_TEST(table.find({"BLPOP", "l", "0"})->blocking);
  BOOST_TEST(!table.find({"LPUSH", "l", "x"})->blocking);
  BOOST_TEST(table.find({"CONFIG", "set", "a", "b"})->name == "config|set");
  BOOST_TEST(table.find({"CONFIG"})->name == "config");
  BOOST_TEST(table.find({"nosuch"}) == nullptr);
  BOOST_TEST(detail::command_display_name(table.find({"config", "get", "x"}), {"config", "get", "x"}) ==
             "CONFIG GET");
  BOOST_TEST(detail::command_display_name(nullptr, {"my.module.cmd", "secret"}) == "MY.MODULE.CMD");
  BOOST_TEST(detail::command_display_name(nullptr, {"a password with spaces"}) == "(unnamed command)");
}

BOOST_AUTO_TEST_CASE(a_reply_of_another_shape_is_refused) {
  Reply not_array;
  not_array.type = Reply::Type::string;
  BOOST_CHECK_THROW(CommandTable::parse(not_array), std::runtime_error);
  Reply short_entry;
  short_entry.type = Reply::Type::array;
  short_entry.elements.resize(1);
  short_entry.elements[0].type = Reply::Type::array;
  BOOST_CHECK_THROW(CommandTable::parse(short_entry), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(a_command_is_encoded_binary_safe_with_its_slot_and_kind) {
  const std::string binary = "a\0b\r\n"s;
  auto prepared = detail::prepare_command(context(true), redis7_table(), {"SET", "{user:1}k", binary});
  BOOST_TEST(prepared.command.encoded == "*3\r\n$3\r\nSET\r\n$9\r\n{user:1}k\r\n$5\r\n"s + binary + "\r\n");
  BOOST_TEST(prepared.command.slot == key_slot("user:1"));
  BOOST_TEST(!prepared.command.read_only);
  BOOST_TEST(prepared.name == "SET");
  auto read = detail::prepare_command(context(true), redis7_table(), {"get", "k"});
  BOOST_TEST(read.command.read_only);
  BOOST_TEST(read.name == "GET");
  auto blocking = detail::prepare_command(context(true), redis7_table(), {"BLPOP", "l", "1"});
  BOOST_TEST(blocking.command.blocking);
  auto keyless = detail::prepare_command(context(true), redis7_table(), {"DBSIZE"});
  BOOST_TEST(keyless.command.slot == any_slot);
}

BOOST_AUTO_TEST_CASE(keys_over_several_slots_are_refused_in_a_cluster_only) {
  try {
    detail::prepare_command(context(true), redis7_table(), {"MGET", "a", "b"});
    BOOST_FAIL("no ClusterError");
  } catch (const ClusterError& error) {
    const std::string what = error.what();
    BOOST_TEST(what.find("CROSSSLOT MGET") != std::string::npos, what);
    BOOST_TEST(what.find("'a'") != std::string::npos, what);
    BOOST_TEST(what.find("nothing was sent") != std::string::npos, what);
  }
  BOOST_CHECK_NO_THROW(detail::prepare_command(context(true), redis7_table(), {"MGET", "{t}a", "{t}b"}));
  BOOST_CHECK_NO_THROW(detail::prepare_command(context(false), redis7_table(), {"MGET", "a", "b"}));
}

BOOST_AUTO_TEST_CASE(commands_that_would_take_over_a_shared_connection_are_refused) {
  for (const CommandArguments& refused :
       std::vector<CommandArguments>{{"SUBSCRIBE", "c"}, {"psubscribe", "c*"}, {"MULTI"}, {"exec"},
                                     {"WATCH", "k"}, {"SELECT", "1"}, {"AUTH", "secret"},
                                     {"HELLO", "3"}, {"MONITOR"}, {"CLIENT", "REPLY", "OFF"},
                                     {"QUIT"}, {"RESET"}}) {
    try {
      detail::prepare_command(context(false), redis7_table(), refused);
      BOOST_FAIL("not refused: " + refused[0]);
    } catch (const ValidationError& error) {
      const std::string what = error.what();
      BOOST_TEST(what.find("secret") == std::string::npos, what); // never an argument
    }
  }
  BOOST_CHECK_NO_THROW(detail::prepare_command(context(false), redis7_table(), {"CLIENT", "SETNAME", "x"}));
  BOOST_CHECK_THROW(detail::prepare_command(context(false), redis7_table(), {}), ValidationError);
}

BOOST_AUTO_TEST_CASE(keys_and_arguments_are_validated_before_sending) {
  RedisOptions small;
  small.max_key_length = 4;
  small.max_value_size = 8;
  detail::OperationContext strict{small, "127.0.0.1:6379", false};
  BOOST_CHECK_THROW(detail::prepare_command(strict, redis7_table(), {"GET", "toolong"}), ValidationError);
  BOOST_CHECK_THROW(detail::prepare_command(strict, redis7_table(), {"SET", "k", "123456789"}),
                    ValidationError);
  BOOST_CHECK_NO_THROW(detail::prepare_command(strict, redis7_table(), {"SET", "k", "12345678"}));
  // A pipeline with one bad command sends none of them.
  BOOST_CHECK_THROW(detail::plan_pipeline(strict, redis7_table(), {{"SET", "k", "1"}, {"GET", "toolong"}}),
                    ValidationError);
}

BOOST_AUTO_TEST_CASE(a_pipeline_encodes_its_commands_into_one_buffer) {
  auto planned = detail::plan_pipeline(context(true), redis7_table(),
                                       {{"SET", "a", "1"}, {"GET", "a"}, {"INCR", "{a}n"}});
  const CommandRequest& request = planned.request;
  BOOST_TEST(request.wire == "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"
                             "*2\r\n$3\r\nGET\r\n$1\r\na\r\n*2\r\n$4\r\nINCR\r\n$4\r\n{a}n\r\n");
  BOOST_REQUIRE(request.commands.size() == 3u);
  BOOST_TEST(request.bytes(request.commands[1]) == "*2\r\n$3\r\nGET\r\n$1\r\na\r\n");
  BOOST_TEST(request.bytes(request.commands[2]) == "*2\r\n$4\r\nINCR\r\n$4\r\n{a}n\r\n");
  for (const Command& command : request.commands) {
    BOOST_TEST(command.encoded.empty());
    BOOST_TEST(command.slot == key_slot("a"));
  }
  BOOST_TEST(request.commands[1].read_only);
  BOOST_TEST(!request.commands[2].read_only);
}

BOOST_AUTO_TEST_CASE(a_transaction_is_one_atomic_unit_in_one_slot) {
  auto planned = detail::plan_transaction(context(true), redis7_table(),
                                          {{"INCR", "{acct:1}balance"}, {"LPUSH", "{acct:1}log", "x"}},
                                          {"{acct:1}balance"});
  const auto& commands = planned.request.commands;
  BOOST_TEST(planned.request.atomic);
  BOOST_REQUIRE(commands.size() == 5u); // WATCH MULTI INCR LPUSH EXEC
  BOOST_TEST(planned.request.bytes(commands.front()).find("WATCH") != std::string::npos);
  BOOST_TEST(planned.request.bytes(commands.back()) == "*1\r\n$4\r\nEXEC\r\n");
  for (const Command& command : commands) BOOST_TEST(command.slot == key_slot("acct:1"));
  BOOST_CHECK_THROW(detail::plan_transaction(context(true), redis7_table(), {{"INCR", "a"}, {"INCR", "b"}}, {}),
                    ClusterError);
  BOOST_CHECK_THROW(detail::plan_transaction(context(true), redis7_table(), {{"INCR", "a"}}, {"b"}),
                    ClusterError);
  BOOST_CHECK_NO_THROW(detail::plan_transaction(context(false), redis7_table(), {{"INCR", "a"}, {"INCR", "b"}}, {}));
  BOOST_CHECK_THROW(detail::plan_transaction(context(false), redis7_table(), {}, {}), ValidationError);

  // Decoding: EXEC's replies; nil EXEC (a watched key changed) is no value, not an error.
  std::vector<Reply> replies(5);
  replies[0].type = replies[1].type = Reply::Type::status;
  replies[0].text = replies[1].text = "OK";
  replies[2].type = replies[3].type = Reply::Type::status;
  replies[2].text = replies[3].text = "QUEUED";
  replies[4].type = Reply::Type::nil;
  auto copy = replies;
  BOOST_TEST(!planned.decode(copy).has_value());
  replies[4].type = Reply::Type::array;
  replies[4].elements.resize(2);
  replies[4].elements[0].type = Reply::Type::integer;
  replies[4].elements[0].integer = 7;
  copy = replies;
  auto result = planned.decode(copy);
  BOOST_REQUIRE(result.has_value());
  BOOST_TEST(result->at(0).as_integer() == 7);
  // EXECABORT names the command Redis refused while queueing.
  replies[3].type = replies[4].type = Reply::Type::error;
  replies[3].text = "ERR wrong number of arguments for 'lpush' command";
  replies[4].text = "EXECABORT Transaction discarded because of previous errors.";
  copy = replies;
  try {
    planned.decode(copy);
    BOOST_FAIL("no CommandError");
  } catch (const CommandError& error) {
    BOOST_TEST(std::string(error.what()).find("LPUSH: ERR wrong number") != std::string::npos,
               error.what());
  }
}

BOOST_AUTO_TEST_CASE(replies_read_as_their_kind_or_say_what_they_are) {
  Reply number;
  number.type = Reply::Type::integer;
  number.integer = 42;
  BOOST_TEST(number.as_integer() == 42);
  BOOST_TEST(number.as_double() == 42.0);
  BOOST_CHECK_THROW(number.as_string(), ValueTypeError);
  Reply text;
  text.type = Reply::Type::string;
  text.text = "3.5";
  BOOST_TEST(text.as_double() == 3.5);
  BOOST_TEST(*text.as_optional_string() == "3.5");
  try {
    text.as_integer();
    BOOST_FAIL("no ValueTypeError");
  } catch (const ValueTypeError& error) {
    BOOST_TEST(std::string(error.what()).find("a bulk string, not an integer") != std::string::npos);
  }
  Reply nil;
  BOOST_TEST(!nil.as_optional_string().has_value());
  BOOST_CHECK_THROW(nil.as_array(), ValueTypeError);
  Reply ok;
  ok.type = Reply::Type::status;
  ok.text = "OK";
  BOOST_TEST(ok.is_ok());
  BOOST_TEST(ok.as_string() == "OK");
}

BOOST_AUTO_TEST_CASE(scripts_are_named_by_their_sha1_as_redis_names_them) {
  // FIPS 180 test vectors (checked with Python's hashlib), and the digest redis-server's SCRIPT LOAD gave for "return 1".
  BOOST_TEST(sha1_hex("abc") == "a9993e364706816aba3e25717850c26c9cd0d89d");
  BOOST_TEST(sha1_hex("") == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  BOOST_TEST(sha1_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
             "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  BOOST_TEST(sha1_hex(std::string(1000000, 'a')) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  BOOST_TEST(Script("return 1").sha1() == "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
}

BOOST_AUTO_TEST_SUITE_END()
