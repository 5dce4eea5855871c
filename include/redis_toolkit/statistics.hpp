#pragma once
// Statistics the toolkit reports about its connection pools and subscriptions.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace redis_toolkit {

/// Connection statistics of the pools a toolkit uses. RedisToolkit::pool_stats() answers the total
/// over every node it has talked to, with each node's own figures in `nodes` (one entry for a
/// standalone server; one per node the router knows in a cluster, replicas included).
struct PoolStatistics {
  /// "host:port" of a node; for the total, the toolkit's server: "host:port" standalone,
  /// "cluster host:port,host:port..." (its seeds) in a cluster.
  std::string server;
  std::uint64_t connections_created = 0; ///< TCP connections made (logged in), reconnects included
  std::uint64_t connections_open = 0;    ///< TCP connections logged in and not ended
  std::uint64_t reconnects = 0;          ///< connections made again after one ended
  std::uint64_t health_check_failures = 0; ///< connections found dead by a health check PING
  std::uint64_t requests_in_flight = 0; ///< pipelines sent and not yet answered
  std::uint64_t requests_total = 0;     ///< commands answered
  std::uint64_t retries = 0;            ///< commands sent again after a connection failure
  /// Per node, in the order the router learned them; empty inside a node's own entry.
  std::vector<PoolStatistics> nodes;
};

/// One subscribed channel, or one pattern (psubscribe): its messages are counted per pattern.
struct ChannelStatistics {
  std::string channel; ///< the channel, or the pattern when `pattern`
  std::uint64_t messages = 0;       ///< delivered to handlers
  std::uint64_t decode_errors = 0;  ///< messages whose bytes were damaged (logged, skipped)
  std::uint64_t dropped = 0;        ///< not delivered: a function handler's backlog was full
  std::size_t handlers = 0;
  bool dynamic = false;             ///< subject to expiry (subscribe_dynamic)
  bool pattern = false;             ///< `channel` is a glob pattern (PSUBSCRIBE)
  std::chrono::system_clock::time_point subscribed_at;
  std::chrono::system_clock::time_point last_message_at; ///< subscribed_at until a message came
};

/// A subscriber: its channels and its connection.
struct SubscriptionStatistics {
  std::string server;
  bool connected = false;
  std::uint64_t reconnects = 0;
  std::uint64_t messages = 0;
  std::uint64_t dropped = 0; ///< deliveries dropped at subscriber_mailbox_limit
  std::uint64_t expired_channels = 0;
  /// Messages handed to function handlers and not handled yet (each counts toward
  /// subscriber_mailbox_limit); a backlog that stays high is a handler too slow for its channel.
  std::uint64_t handler_backlog = 0;
  std::vector<ChannelStatistics> channels;
};

} // namespace redis_toolkit
