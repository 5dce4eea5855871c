#pragma once
// What the local launchers (LocalCluster, LocalSentinel) share: a short synchronous hiredis
// connection for asking a node a few questions, and INFO-text parsing. Internal; not the toolkit's
// client (the launchers must work when the toolkit's own connections are what is being tested).

#include "redis_toolkit/config.hpp"
#include "redis_toolkit/server_launcher.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <sys/types.h>
#include <sstream>
#include <string>
#include <vector>

namespace redis_toolkit::detail {

struct HiredisContextDeleter {
  void operator()(redisContext* context) const { redisFree(context); }
};
struct HiredisReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using HiredisReply = std::unique_ptr<redisReply, HiredisReplyDeleter>;

inline timeval to_timeval(std::chrono::milliseconds duration) {
  const auto count = std::max<std::chrono::milliseconds::rep>(duration.count(), 1); // 0: "forever"
  return timeval{static_cast<time_t>(count / 1000), static_cast<suseconds_t>(count % 1000 * 1000)};
}

/// One connection to a node for a few questions; every question is bounded by `timeout`. Once one
/// fails (no connection, no reply in time) the node counts as not answering and the rest are
/// not asked.
class NodeClient {
public:
  NodeClient(const NodeAddress& address, std::chrono::milliseconds timeout)
      : context_(redisConnectWithTimeout(address.host.c_str(), address.port, to_timeval(timeout))) {
    if (!context_ || context_->err != REDIS_OK ||
        redisSetTimeout(context_.get(), to_timeval(timeout)) != REDIS_OK) {
      failed_ = true;
    }
  }

  bool failed() const noexcept { return failed_; }

  /// The reply (an error reply included), or null when the node did not answer.
  HiredisReply command(const std::vector<std::string>& arguments) {
    if (failed_) return nullptr;
    std::vector<const char*> pointers;
    std::vector<std::size_t> lengths;
    for (const std::string& argument : arguments) {
      pointers.push_back(argument.data());
      lengths.push_back(argument.size());
    }
    HiredisReply reply(static_cast<redisReply*>(redisCommandArgv(
        context_.get(), static_cast<int>(arguments.size()), pointers.data(), lengths.data())));
    if (!reply) failed_ = true;
    return reply;
  }

private:
  std::unique_ptr<redisContext, HiredisContextDeleter> context_;
  bool failed_ = false;
};

inline std::string reply_text(const HiredisReply& reply) {
  if (!reply || reply->str == nullptr) return {};
  return std::string(reply->str, reply->len);
}

inline std::string reply_text(const redisReply* reply) {
  if (reply == nullptr || reply->str == nullptr) return {};
  return std::string(reply->str, reply->len);
}

inline bool is_text_reply(const HiredisReply& reply) {
  return reply && (reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_STATUS);
}

/// The value of `name:` in an INFO-style text ("field:value\r\n" lines), or none.
inline std::optional<std::string> info_field(const std::string& text, const std::string& name) {
  const std::string wanted = name + ":";
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.compare(0, wanted.size(), wanted) == 0) return line.substr(wanted.size());
  }
  return std::nullopt;
}

// ---- the launchers' files, ports and daemons (local_nodes.cpp) ----

/// The time left until `deadline`, never negative.
inline std::chrono::milliseconds remaining_until(std::chrono::steady_clock::time_point deadline) {
  return std::max(std::chrono::milliseconds{0},
                  std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now()));
}

/// A fresh directory $TMPDIR/<prefix>-XXXXXX (/tmp without TMPDIR). Throws ConnectionError.
std::string make_temporary_directory(const std::string& prefix);

/// Stops every process at once (each stop waits for its exit: together they take as long as the
/// slowest one, not the sum). Never throws.
void stop_all(std::vector<RedisServerProcess>& processes) noexcept;

/// Whether a server could bind `port` on 127.0.0.1 now.
bool loopback_port_free(std::uint16_t port);
/// The end of `text`, at most `max_bytes`, from a line start.
std::string last_lines(const std::string& text, std::size_t max_bytes = 1500);
/// Creates `directory` when missing; true when it was created here. Throws ConnectionError.
bool create_directory(const std::string& directory);
std::string absolute_path(const std::string& path);

std::string pid_file_of(const std::string& daemon_directory); ///< DIR/redis.pid
/// Alive and not a zombie.
bool process_alive(pid_t pid);

/// Starts one daemonized redis-server on `port` in `directory` (created; a stale pid file there is
/// removed): RedisServerProcess::command_line with `process`'s settings, then --daemonize yes and
/// a pid file. Returns once it answers PING; throws ConnectionError with its log's tail.
void start_daemon(const std::string& binary, std::uint16_t port, const std::string& directory,
                  const RedisServerProcess::Options& process,
                  std::chrono::steady_clock::time_point deadline);

/// Stops the daemons at `daemons` (each address with the directory it was started in): SHUTDOWN
/// NOSAVE (or SIGTERM for one that does not answer), then SIGKILL for one still alive after 5 s;
/// all asked first, then waited for together. A server at an address that is not its pid file's
/// process is left alone. Returns how many were running.
std::size_t stop_daemons(const std::vector<std::pair<NodeAddress, std::string>>& daemons);

} // namespace redis_toolkit::detail
