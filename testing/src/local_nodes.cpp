#include "local_nodes.hpp"

#include "log_tail.hpp"

#include "redis_toolkit/errors.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace redis_toolkit::detail {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* loopback = "127.0.0.1";
constexpr milliseconds daemon_start_timeout{10000}; ///< one daemon, from exec to PING
constexpr milliseconds daemon_stop_timeout{5000};

std::string address_of(std::uint16_t port) { return std::string(loopback) + ":" + std::to_string(port); }

std::optional<pid_t> read_pid_file(const std::string& path) {
  std::ifstream file(path);
  long pid = 0;
  if (!(file >> pid) || pid <= 1) return std::nullopt;
  return static_cast<pid_t>(pid);
}

/// A live redis-server process serving `port`: a pid from a stale pid file may belong to anything
/// by now. Redis sets its process title to "redis-server 127.0.0.1:PORT [cluster|sentinel]"
/// ("redis-sentinel ..." when started as Debian's redis-sentinel).
bool is_redis_server_on(pid_t pid, std::uint16_t port) {
  if (!process_alive(pid)) return false;
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  if (!std::getline(comm, name) ||
      (name.rfind("redis-server", 0) != 0 && name.rfind("redis-sentinel", 0) != 0))
    return false;
  std::ifstream cmdline("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string title((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
  std::replace(title.begin(), title.end(), '\0', ' ');
  title += ' ';
  const std::string wanted = ":" + std::to_string(port);
  for (std::size_t at = title.find(wanted); at != std::string::npos; at = title.find(wanted, at + 1)) {
    const char after = title[at + wanted.size()];
    if (after < '0' || after > '9') return true;
  }
  return false;
}

bool wait_for_process_exit(pid_t pid, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (process_alive(pid)) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds{20});
  }
  return true;
}

/// The process_id in INFO server, or none when the node does not answer.
std::optional<pid_t> reported_pid(const NodeAddress& address) {
  NodeClient client(address, milliseconds{1000});
  const HiredisReply reply = client.command({"INFO", "server"});
  if (!is_text_reply(reply)) return std::nullopt;
  const auto pid = info_field(reply_text(reply), "process_id");
  if (!pid) return std::nullopt;
  return static_cast<pid_t>(std::atol(pid->c_str()));
}

/// SHUTDOWN NOSAVE NOW (NOW: a master does not wait for lagging replicas; Redis >= 7), then
/// without NOW for an older server or a sentinel that refuses it.
void send_shutdown(const NodeAddress& address) {
  NodeClient client(address, milliseconds{1000});
  const HiredisReply reply = client.command({"SHUTDOWN", "NOSAVE", "NOW"});
  if (reply && reply->type == REDIS_REPLY_ERROR) {
    NodeClient retry(address, milliseconds{1000});
    retry.command({"SHUTDOWN", "NOSAVE"}); // success closes the connection: no reply
  }
}

} // namespace

std::string make_temporary_directory(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/" + prefix + "-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr)
    throw ConnectionError(address_of(0), "start", "mkdtemp " + pattern + ": " + std::strerror(errno));
  return pattern;
}

void stop_all(std::vector<RedisServerProcess>& processes) noexcept {
  const auto stop_process = [](RedisServerProcess& process) {
    try {
      process.stop();
    } catch (...) {
      // stop() throws only for a failed kill(); the process's destructor tries again.
    }
  };
  std::vector<std::thread> stoppers;
  for (RedisServerProcess& process : processes) {
    try {
      stoppers.emplace_back(stop_process, std::ref(process));
    } catch (...) {
      stop_process(process); // no thread to be had: stop it here
    }
  }
  for (std::thread& stopper : stoppers) stopper.join();
}

bool loopback_port_free(std::uint16_t port) {
  const int socket_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (socket_fd < 0) return false;
  const int enable = 1; // as redis does: a port in TIME_WAIT is usable
  ::setsockopt(socket_fd, SOL_SOCKET, SO_REUSEADDR, &enable, sizeof enable);
  sockaddr_in endpoint{};
  endpoint.sin_family = AF_INET;
  endpoint.sin_port = htons(port);
  endpoint.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool bound =
      ::bind(socket_fd, reinterpret_cast<const sockaddr*>(&endpoint), sizeof endpoint) == 0;
  ::close(socket_fd);
  return bound;
}

std::string last_lines(const std::string& text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::string tail = text.substr(text.size() - max_bytes);
  return tail.substr(tail.find('\n') + 1);
}

bool create_directory(const std::string& directory) {
  std::error_code error;
  const bool created = fs::create_directories(directory, error);
  if (error) {
    throw ConnectionError(address_of(0), "start",
                          "cannot create " + directory + ": " + error.message());
  }
  return created;
}

std::string absolute_path(const std::string& path) {
  std::error_code error;
  const fs::path absolute = fs::absolute(path, error);
  return error ? path : absolute.lexically_normal().string();
}

std::string pid_file_of(const std::string& daemon_directory) { return daemon_directory + "/redis.pid"; }

bool process_alive(pid_t pid) {
  // A daemon's parent is init or a subreaper that may reap it late: a zombie counts as gone.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(stat, text)) return ::kill(pid, 0) == 0;
  const std::size_t name_end = text.rfind(')');
  return name_end == std::string::npos || name_end + 2 >= text.size() || text[name_end + 2] != 'Z';
}

void start_daemon(const std::string& binary, std::uint16_t port, const std::string& directory,
                  const RedisServerProcess::Options& process, Clock::time_point deadline) {
  const std::string address = address_of(port);
  create_directory(directory);
  std::error_code ignored;
  fs::remove(pid_file_of(directory), ignored);
  RedisServerProcess::Options daemon = process;
  daemon.extra_args.insert(daemon.extra_args.end(),
                           {"--daemonize", "yes", "--pidfile", pid_file_of(directory)});
  const std::vector<std::string> argv = RedisServerProcess::command_line(binary, port, directory, daemon);
  const std::string log_file = directory + "/redis.log";
  const ProgramOutput output = run_program(argv, std::min(daemon_start_timeout, remaining_until(deadline)));
  if (output.exit_status != 0) {
    throw ConnectionError(address, "start",
                          "redis-server " + binary + " exited with status " +
                              std::to_string(output.exit_status) + ": " +
                              last_lines(output.standard_output + output.standard_error) +
                              "; end of " + log_file + ":\n" + tail_of_file(log_file));
  }
  const auto daemon_deadline = std::min(deadline, Clock::now() + daemon_start_timeout);
  while (!redis_answers(loopback, port, milliseconds{250})) {
    if (Clock::now() >= daemon_deadline) {
      throw ConnectionError(address, "start",
                            "redis-server did not answer PING in time; end of " + log_file + ":\n" +
                                tail_of_file(log_file));
    }
    std::this_thread::sleep_for(milliseconds{20});
  }
}

std::size_t stop_daemons(const std::vector<std::pair<NodeAddress, std::string>>& daemons) {
  std::size_t stopped = 0;
  std::vector<std::pair<std::string, pid_t>> waiting;
  for (const auto& [address, directory] : daemons) {
    const std::string pid_file = pid_file_of(directory);
    const std::optional<pid_t> pid = read_pid_file(pid_file);
    const std::optional<pid_t> answering_pid = reported_pid(address);
    // A server that is not the pid file's process holds the port: not ours, left alone.
    if (!pid || !is_redis_server_on(*pid, address.port) || (answering_pid && answering_pid != pid)) {
      std::error_code ignored;
      fs::remove(pid_file, ignored); // stale
      continue;
    }
    ++stopped;
    if (answering_pid) {
      send_shutdown(address);
    } else {
      // Ours but not answering (paused, hung): a signal does what SHUTDOWN cannot.
      ::kill(*pid, SIGTERM);
      ::kill(*pid, SIGCONT);
    }
    waiting.emplace_back(pid_file, *pid);
  }
  for (const auto& [pid_file, pid] : waiting) {
    if (!wait_for_process_exit(pid, daemon_stop_timeout) && process_alive(pid)) {
      ::kill(pid, SIGKILL);
      wait_for_process_exit(pid, daemon_stop_timeout);
    }
    std::error_code ignored;
    fs::remove(pid_file, ignored); // redis removes it on a clean exit, not after SIGKILL
  }
  return stopped;
}

} // namespace redis_toolkit::detail
