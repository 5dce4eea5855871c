// Any Redis command on a Redis Cluster: each goes to the master that holds its keys, as the
// server's own COMMAND describes them (EVAL and ZUNIONSTORE included); keys that must meet share a
// hash tag; keys over several slots are refused before anything is sent; keyless commands go to
// one master, or to every node with command_on_nodes; a pipeline spans every master.
//
// Runs against the cluster named by RTK_CLUSTER, or a local 3-master 3-replica cluster it starts.
#include <redis_toolkit/key_slot.hpp>
#include <redis_toolkit/toolkit.hpp>

#include <iostream>
#include <set>

#include "example_support.hpp"

using redis_toolkit::CommandArguments;
using redis_toolkit::Reply;

int main() try {
  example::Checks checks;
  auto cluster = example::ClusterForExample::start_or_connect();
  std::cout << "cluster: " << cluster.describe() << "\n";
  redis_toolkit::RedisToolkit toolkit(cluster.config());

  // 1. Single-key commands route by their key, transparently.
  for (int i = 0; i < 6; ++i) {
    const std::string key = "example:cluster:counter:" + std::to_string(i);
    toolkit.command({"INCRBY", key, std::to_string(i)});
    std::cout << key << " (slot " << redis_toolkit::key_slot(key) << ") -> "
              << toolkit.command({"GET", key}).as_string() << "\n";
  }

  // 2. Keys used together share a hash tag ({cart:7}), so they live in one slot on one master.
  toolkit.command({"HSET", "{cart:7}:items", "book", "2", "pen", "5"});
  toolkit.command({"SET", "{cart:7}:owner", "ada"});
  const Reply both = toolkit.command({"MGET", "{cart:7}:owner", "{cart:7}:missing"});
  checks.expect(both.as_array()[0].as_string() == "ada" && both.as_array()[1].is_nil(), "MGET in one slot");

  // 3. Keys in different slots: refused with a ClusterError before anything is sent.
  try {
    toolkit.command({"MSET", "example:cluster:a", "1", "example:cluster:b", "2"});
    checks.expect(false, "a cross-slot MSET is refused");
  } catch (const redis_toolkit::ClusterError& error) {
    std::cout << "refused: " << error.what() << "\n";
  }
  checks.expect(toolkit.command({"EXISTS", "example:cluster:a"}).as_integer() == 0, "nothing was written");

  // 4. Movable keys: EVAL's keys come after numkeys; the script runs on their master.
  const redis_toolkit::Script total(
      "return redis.call('HINCRBY', KEYS[1], 'book', ARGV[1]) + tonumber(redis.call('HGET', KEYS[1], 'pen'))");
  const std::int64_t items = toolkit.eval(total, {"{cart:7}:items"}, {"1"}).as_integer();
  checks.expect(items == 8, "the script saw 3 books and 5 pens");

  // 5. A transaction in one slot, with WATCH; a conflict would run it again.
  auto checkout = toolkit.transaction(
      {"{cart:7}:items"}, {{"HGET", "{cart:7}:items", "book"}},
      [](const std::vector<Reply>& read) -> std::vector<CommandArguments> {
        return {{"HDEL", "{cart:7}:items", "book"}, {"INCRBY", "{cart:7}:sold", read[0].as_string()}};
      });
  checks.expect(checkout.has_value() && checkout->at(1).as_integer() == 3, "3 books sold");

  // 6. Keyless commands: one master by default, or every node with a reply per node.
  std::int64_t keys = 0;
  for (const auto& node : toolkit.command_on_nodes({"DBSIZE"})) {
    std::cout << "master " << node.node << ": " << node.reply.as_integer() << " keys\n";
    keys += node.reply.as_integer();
  }
  checks.expect(keys >= 9, "DBSIZE summed over the masters");
  checks.expect(toolkit.command_on_nodes({"PING"}, redis_toolkit::CommandNodes::all).size() >= 3,
                "PING on every node");

  // 7. A pipeline over every master: one round trip per node, replies in the caller's order.
  auto pipeline = toolkit.pipeline();
  for (int i = 0; i < 1000; ++i) pipeline.add({"SET", "example:cluster:p:" + std::to_string(i), std::to_string(i)});
  for (int i = 0; i < 1000; ++i) pipeline.add({"GET", "example:cluster:p:" + std::to_string(i)});
  const auto replies = pipeline.execute();
  bool in_order = true;
  for (int i = 0; i < 1000; ++i) in_order = in_order && replies[1000 + i].as_string() == std::to_string(i);
  checks.expect(in_order, "1000 GETs over three masters in order");

  auto cleanup = toolkit.pipeline();
  for (int i = 0; i < 1000; ++i) cleanup.add({"DEL", "example:cluster:p:" + std::to_string(i)});
  for (int i = 0; i < 6; ++i) cleanup.add({"DEL", "example:cluster:counter:" + std::to_string(i)});
  cleanup.add({"DEL", "{cart:7}:items", "{cart:7}:owner", "{cart:7}:sold"});
  cleanup.execute();
  return checks.finish("cluster/commands");
} catch (const std::exception& error) {
  std::cerr << "cluster/commands: " << error.what() << "\n";
  return 1;
}
