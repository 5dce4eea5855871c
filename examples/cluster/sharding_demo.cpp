// How a Redis Cluster spreads keys and channels: every key hashes to one of 16384 slots, each
// master serves a share of the slots, and a hash tag ("{user:123}:cart") keeps related keys in
// one slot. Then pub/sub both ways: sharded channels live on the master of their slot (the load
// spreads over the masters), classic channels are broadcast to every node.
//
// Runs against the cluster named by RTK_CLUSTER, or a local 3-master 3-replica cluster.
#include <redis_toolkit/cluster_operations.hpp>
#include <redis_toolkit/key_slot.hpp>
#include <redis_toolkit/toolkit.hpp>

#include <condition_variable>
#include <iomanip>
#include <iostream>
#include <map>
#include <mutex>
#include <set>

#include "example_support.hpp"

using example::Checks;
using redis_toolkit::ClusterOperations;
using redis_toolkit::PubSubKind;
using redis_toolkit::Value;

namespace {

using namespace std::chrono_literals;

/// Messages received by handlers (on their own threads), for main() to wait on with a deadline.
/// Shared with the handlers, which may still run after a subscription is stopped.
class Inbox {
public:
  redis_toolkit::MessageHandler handler(std::shared_ptr<Inbox> self) {
    return [self](const std::string& channel, const Value& message) {
      std::lock_guard<std::mutex> lock(self->mutex_);
      self->received_[channel].push_back(message);
      self->changed_.notify_all();
    };
  }
  /// True once every channel of `channels` got a message; false when `limit` passes first.
  bool wait_for_all(const std::vector<std::string>& channels, std::chrono::milliseconds limit) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, limit, [&] {
      for (const auto& channel : channels)
        if (received_[channel].empty()) return false;
      return true;
    });
  }

private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, std::vector<Value>> received_;
};

/// key -> the master serving it now, from one look at the cluster's nodes.
std::map<std::string, std::string> master_of_each(ClusterOperations& operations,
                                                  const std::vector<std::string>& keys) {
  std::map<std::string, std::string> owner;
  for (const auto& [node, members] : operations.group_keys_by_node(keys))
    for (const auto& key : members) owner[key] = node;
  return owner;
}

} // namespace

int main() try {
  Checks checks;
  auto cluster = example::ClusterForExample::start_or_connect();
  std::cout << "cluster: " << cluster.describe() << "\n";
  redis_toolkit::RedisToolkit toolkit(cluster.config());
  ClusterOperations operations(toolkit);

  // 1. Key slots: CRC16 of the key modulo 16384. Only the part between '{' and '}' counts when
  //    there is one, so keys with the same tag share a slot, hence a master.
  const std::string cart = ClusterOperations::hash_tag_key("user:123", "cart"); // "{user:123}:cart"
  const std::vector<std::string> keys = {"user:1000", "user:1001", "user:1002", cart,
                                         "{user:123}:orders", "{user:123}:profile"};
  const auto owner = master_of_each(operations, keys);
  std::cout << "key                   slot  master\n";
  for (const auto& key : keys)
    std::cout << std::left << std::setw(20) << key << std::right << std::setw(6)
              << redis_toolkit::key_slot(key) << "  " << owner.at(key) << "\n";
  checks.expect(redis_toolkit::key_slot(cart) == redis_toolkit::key_slot("{user:123}:orders") &&
                    owner.at(cart) == owner.at("{user:123}:profile"),
                "keys with one hash tag share a slot and a master");

  // 2. How a batch spreads: plain keys go everywhere; tagged keys all go to one master, so a
  //    batch of them is one pipeline to one node.
  std::vector<std::string> plain, tagged;
  for (int i = 0; i < 30; ++i) {
    plain.push_back("example:cluster:shard:item:" + std::to_string(i));
    tagged.push_back(ClusterOperations::hash_tag_key("example:cluster:shard:basket", std::to_string(i)));
  }
  const auto plain_groups = operations.group_keys_by_node(plain);
  const auto tagged_groups = operations.group_keys_by_node(tagged);
  std::cout << "30 plain keys:";
  for (const auto& [node, members] : plain_groups) std::cout << " " << node << " x" << members.size();
  std::cout << "\n30 tagged keys:";
  for (const auto& [node, members] : tagged_groups) std::cout << " " << node << " x" << members.size();
  std::cout << "\n";
  checks.expect(plain_groups.size() > 1, "plain keys spread over the masters");
  checks.expect(tagged_groups.size() == 1, "tagged keys all live on one master");

  redis_toolkit::KeyValues basket;
  for (std::size_t i = 0; i < tagged.size(); ++i) basket.emplace_back(tagged[i], static_cast<std::int64_t>(i));
  toolkit.batch_set(basket);
  checks.expect(toolkit.batch_delete(tagged) == 30, "a batch of tagged keys, written and removed");

  // 3. Sharded pub/sub (SPUBLISH/SSUBSCRIBE, Redis 7): a channel lives on the master of its slot.
  //    Pick one channel per master; the subscription keeps one subscriber (one connection) per
  //    slot, on that master.
  std::vector<std::string> candidates;
  for (int i = 0; i < 64; ++i) candidates.push_back("example:cluster:shard:news:" + std::to_string(i));
  std::vector<std::string> sharded_channels;
  std::set<std::string> masters_used;
  for (const auto& [channel, master] : master_of_each(operations, candidates))
    if (masters_used.insert(master).second) sharded_channels.push_back(channel);
  // Two channels with one hash tag share a slot, hence one subscriber and connection.
  sharded_channels.push_back("{example:room:7}:chat");
  sharded_channels.push_back("{example:room:7}:presence");

  auto sharded_inbox = std::make_shared<Inbox>();
  auto sharded = toolkit.subscribe(sharded_channels, sharded_inbox->handler(sharded_inbox),
                                   PubSubKind::sharded);
  const auto channel_owner = master_of_each(operations, sharded_channels);
  bool each_reached_one = true;
  for (const auto& channel : sharded_channels) {
    const auto receivers = toolkit.publisher(channel, Value::dict({{"on", channel}}), PubSubKind::sharded);
    std::cout << "SPUBLISH " << std::left << std::setw(32) << channel << std::right << " on "
              << channel_owner.at(channel) << " -> " << receivers << " subscriber(s)\n";
    each_reached_one = each_reached_one && receivers == 1;
  }
  checks.expect(each_reached_one, "each sharded message reached the subscriber on its master");
  checks.expect(sharded_inbox->wait_for_all(sharded_channels, 10s),
                "the handler received a message on every sharded channel");

  // 4. Classic pub/sub (PUBLISH/SUBSCRIBE): every node sees every message, so a subscriber on any
  //    node receives it. The count PUBLISH returns covers only the node that took the message.
  const std::string broadcast = "example:cluster:shard:broadcast";
  auto classic_inbox = std::make_shared<Inbox>();
  auto classic = toolkit.subscribe({broadcast}, classic_inbox->handler(classic_inbox));
  const auto receivers = toolkit.publisher(broadcast, "to everyone");
  std::cout << "PUBLISH " << broadcast << " -> " << receivers
            << " subscriber(s) on the node that took it\n";
  checks.expect(classic_inbox->wait_for_all({broadcast}, 10s),
                "the classic subscriber received the broadcast");
  std::cout << "sharded subscriber statistics: " << sharded.statistics().messages << " messages\n";

  sharded.stop();
  classic.stop();
  return checks.finish("cluster/sharding_demo");
} catch (const std::exception& error) {
  std::cerr << "cluster/sharding_demo: " << error.what() << "\n";
  return 1;
}
