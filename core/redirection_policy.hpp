#pragma once
// What the router does with one command's reply: the redirection rules of a cluster (MOVED, ASK,
// a demoted master, TRYAGAIN, CLUSTERDOWN, LOADING) and of a lost connection, as a pure function
// of the reply and the command's hop count, so that every case is tested without a server.
//
//   ReplyVerdict verdict = judge_reply(reply, {"127.0.0.1", 7000}, true, route.redirections, 16);
//   route.redirections = verdict.redirections;
//   if (verdict.action == ReplyVerdict::Action::redirect_later)
//     schedule(redirect_delay(verdict.redirections));

#include "cluster_topology.hpp"
#include "redis_toolkit/config.hpp"
#include "redis_toolkit/reply.hpp"

#include <chrono>
#include <optional>

namespace redis_toolkit::detail {

/// Redirections followed at once; after these a command waits redirect_delay before each further
/// hop, so that a slot whose two owners briefly disagree (mid-migration, mid-failover) is not
/// bounced max_redirections times within a millisecond.
constexpr int immediate_redirections = 2;

struct ReplyVerdict {
  enum class Action {
    answer,         ///< the reply is the command's answer
    redirect_now,   ///< send the command again at once, to `redirection`'s target for a MOVED/ASK
    redirect_later, ///< send it again after redirect_delay (to the slot's owner then)
    retry,          ///< a failure worth retrying under the caller's retry policy
    give_up,        ///< past the hop budget: `failure` is the command's answer
  };
  Action action = Action::answer;
  /// The hop count after this reply (the command's `redirections`, kept by the caller).
  int redirections = 0;
  /// MOVED: the slot has a new owner (the table learns it); ASK: the next send alone goes to the
  /// target, behind ASKING. Set only with redirect_now and redirect_later.
  std::optional<Redirection> redirection;
  /// The topology is worth asking for again (a refresh is rate-limited by the router).
  bool refresh_topology = false;
  /// A TRYAGAIN (counted apart from MOVED and ASK in the metrics).
  bool tryagain = false;
  /// With give_up: the reply that replaces the error, naming the node and the last redirection.
  std::optional<Reply> failure;
};

/// Judges `reply`, the answer of `node` to a command that has been redirected `redirections`
/// times so far. `cluster`: the router routes by slot (a cluster, or a Sentinel-managed master);
/// one server alone has nowhere else to send a command, and its error is the answer.
ReplyVerdict judge_reply(const Reply& reply, const NodeAddress& node, bool cluster,
                         int redirections, int max_redirections);

/// The wait before a delayed redirection, given the most hops among the commands waiting: 5 ms
/// for the first hop past immediate_redirections, doubling, at most 500 ms.
std::chrono::milliseconds redirect_delay(int most_redirections);

} // namespace redis_toolkit::detail
