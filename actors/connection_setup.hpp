#pragma once
// What a node connection and a subscriber connection share: where to connect, how to log in, and the
// off-thread connect that hands a ready socket back to the broker.

#include "command_batch.hpp"
#include "connection_machine.hpp"
#include "read_sizer.hpp"

#include "redis_toolkit/actor_protocol.hpp"
#include "socket_connect.hpp"
#include "tls.hpp"

#include <caf/actor.hpp>
#include <caf/atom.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace redis_toolkit::detail {

/// Ask the router where a subscriber should connect: (locate_atom, std::int32_t slot, std::string
/// suspect) replies "host:port": the slot's master, or for any_slot any node other than `suspect`
/// (a node that just failed; non-empty also makes the router refresh its table). Empty when no
/// node is known yet. Answered once the cluster's topology is known.
using locate_atom = caf::atom_constant<caf::atom("rtk_locate")>;

/// Everything one connection needs to reach and log in to one server.
struct ConnectionSettings {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  int db = 0;
  std::optional<std::string> username;
  std::optional<std::string> password;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds socket_timeout{5000};
  bool keepalive = true;
  bool readonly = false; ///< send READONLY after login (cluster replicas)
  std::size_t max_reply_size = 512 * 1024 * 1024; ///< RedisOptions::max_reply_size
  /// Idle this long: PING, answered within socket_timeout or the connection is dead; 0: never.
  std::chrono::milliseconds health_check_interval{5000};
  /// Set: every connection is TLS, made from this context (shared by all of a toolkit's
  /// connections); the handshake is part of the connect and its timeout.
  std::shared_ptr<const TlsContext> tls;

  std::string server() const { return host + ":" + std::to_string(port); }
};

/// What the connection sends first (connection_machine.hpp: login_commands).
LoginSettings login_of(const ConnectionSettings& settings);

/// The connection machine's limits from `settings`.
ConnectionMachine::Limits limits_of(const ConnectionSettings& settings);

using connected_atom = caf::atom_constant<caf::atom("rtk_conn")>;
/// (relocate_atom, "host:port"): the master moved (Sentinel mode); a subscriber elsewhere moves.
using relocate_atom = caf::atom_constant<caf::atom("rtk_reloc")>;
using tick_atom = caf::atom_constant<caf::atom("rtk_tick")>;
/// A node connection's answer to a tagged batch: (part_atom, std::uint64_t tag, std::vector<Reply>).
using part_atom = caf::atom_constant<caf::atom("rtk_part")>;

/// Connects on a short-lived detached actor and sends (connected_atom, ConnectOutcome, attempt)
/// to `owner`, so that a slow or unreachable server never blocks the I/O thread.
void connect_in_background(const caf::actor& owner, const ConnectionSettings& settings,
                           std::uint64_t attempt);

} // namespace redis_toolkit::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(redis_toolkit::detail::ConnectOutcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(redis_toolkit::detail::CommandBatch)
