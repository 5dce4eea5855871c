#include "redirection_policy.hpp"

#include <algorithm>

namespace redis_toolkit::detail {
namespace {

bool starts_with(const std::string& text, const char* prefix) { return text.rfind(prefix, 0) == 0; }

} // namespace

ReplyVerdict judge_reply(const Reply& reply, const NodeAddress& node, bool cluster,
                         int redirections, int max_redirections) {
  ReplyVerdict verdict;
  verdict.redirections = redirections;
  if (reply.is_failure()) {
    // A lost or timed-out connection: retried; in a cluster the node may have failed over.
    verdict.action = ReplyVerdict::Action::retry;
    verdict.refresh_topology = cluster;
    return verdict;
  }
  if (!cluster || !reply.is_error()) return verdict;

  if (auto redirection = parse_redirection(reply, node)) {
    verdict.redirections = redirections + 1;
    if (verdict.redirections > max_redirections) {
      verdict.action = ReplyVerdict::Action::give_up;
      verdict.failure = Reply::failure(Reply::Type::cluster_failed, node.to_string(),
                                       "too many redirections (" + std::to_string(redirections) +
                                           "), the last one: " + reply.text);
      return verdict;
    }
    // A MOVED says the slot table is out of date; an ASK is one migrating key, not news.
    verdict.refresh_topology = redirection->kind == Redirection::Kind::moved;
    verdict.redirection = std::move(redirection);
    verdict.action = verdict.redirections > immediate_redirections
                         ? ReplyVerdict::Action::redirect_later
                         : ReplyVerdict::Action::redirect_now;
    return verdict;
  }
  if (is_demoted_master_error(reply)) {
    // A master demoted by a failover: the command (a WAIT behind a SET that was just moved)
    // belongs on the slot's current master, which the table knows already or soon will. Past the
    // hop budget the error is the answer.
    verdict.redirections = redirections + 1;
    if (verdict.redirections <= max_redirections) {
      verdict.action = ReplyVerdict::Action::redirect_later;
      verdict.refresh_topology = true;
    }
    return verdict;
  }
  if (is_transient_cluster_error(reply)) {
    verdict.action = ReplyVerdict::Action::retry;
    verdict.tryagain = starts_with(reply.text, "TRYAGAIN");
    verdict.refresh_topology = starts_with(reply.text, "CLUSTERDOWN");
  } else if (starts_with(reply.text, "LOADING")) {
    // A restarted server (or a replica just promoted) still loading its data: retry, and ask who
    // serves meanwhile.
    verdict.action = ReplyVerdict::Action::retry;
    verdict.refresh_topology = true;
  }
  return verdict;
}

std::chrono::milliseconds redirect_delay(int most_redirections) {
  const int hop = std::max(0, most_redirections - immediate_redirections - 1);
  return std::min<std::chrono::milliseconds>(std::chrono::milliseconds(500),
                                             std::chrono::milliseconds(5) * (1 << std::min(hop, 10)));
}

} // namespace redis_toolkit::detail
