#include "redis_toolkit/server_launcher.hpp"

#include "log_tail.hpp"

#include "redis_toolkit/errors.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <netinet/in.h>
#include <poll.h>
#include <set>
#include <sstream>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <utility>

namespace redis_toolkit {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* loopback = "127.0.0.1";
constexpr int cluster_bus_offset = 10000;
constexpr milliseconds poll_interval{10};
constexpr milliseconds graceful_stop_timeout{5000};
constexpr milliseconds forced_stop_timeout{5000};
constexpr int port_collision_attempts = 3;

const char* const install_hint =
    "install it with `apt-get install redis-server` (which brings redis-cli too), or set "
    "RTK_REDIS_SERVER / RTK_REDIS_CLI to the binaries";

std::string errno_text(const std::string& call) { return call + ": " + std::strerror(errno); }

std::string loopback_address(std::uint16_t port) {
  return std::string(loopback) + ":" + std::to_string(port);
}

/// Owns one file descriptor; closing twice or leaking one is then impossible.
class FileDescriptor {
public:
  FileDescriptor() = default;
  explicit FileDescriptor(int fd) noexcept : fd_(fd) {}
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept {
    reset(std::exchange(other.fd_, -1));
    return *this;
  }
  ~FileDescriptor() { reset(); }
  int get() const noexcept { return fd_; }
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

private:
  int fd_ = -1;
};

// ---- finding binaries ----

bool is_executable_file(const std::string& path) {
  struct stat info {};
  return !path.empty() && ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
         ::access(path.c_str(), X_OK) == 0;
}

std::optional<std::string> find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream directories(path ? path : "");
  for (std::string directory; std::getline(directories, directory, ':');) {
    const std::string candidate = (directory.empty() ? "." : directory) + "/" + name;
    if (is_executable_file(candidate)) return candidate;
  }
  return std::nullopt;
}

std::optional<std::string> find_executable(const char* environment_variable,
                                           const std::string& name) {
  if (const char* chosen = std::getenv(environment_variable); chosen && *chosen) return chosen;
  if (auto found = find_on_path(name)) return found;
  for (const char* directory : {"/usr/bin/", "/usr/local/bin/"}) {
    if (is_executable_file(directory + name)) return directory + name;
  }
  return std::nullopt;
}

// ---- ports ----

FileDescriptor loopback_socket() {
  FileDescriptor socket_fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (socket_fd.get() < 0) throw ConnectionError(loopback_address(0), "bind", errno_text("socket"));
  // Redis sets SO_REUSEADDR too, so a port in TIME_WAIT is usable by it and counts as free here.
  const int enable = 1;
  ::setsockopt(socket_fd.get(), SOL_SOCKET, SO_REUSEADDR, &enable, sizeof enable);
  return socket_fd;
}

sockaddr_in loopback_endpoint(std::uint16_t port) {
  sockaddr_in endpoint{};
  endpoint.sin_family = AF_INET;
  endpoint.sin_port = htons(port);
  endpoint.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return endpoint;
}

bool loopback_port_free(std::uint16_t port) {
  const FileDescriptor socket_fd = loopback_socket();
  const sockaddr_in endpoint = loopback_endpoint(port);
  return ::bind(socket_fd.get(), reinterpret_cast<const sockaddr*>(&endpoint), sizeof endpoint) ==
         0;
}

/// A port the kernel considers free right now (bind to port 0, read what it chose).
std::uint16_t kernel_chosen_port() {
  const FileDescriptor socket_fd = loopback_socket();
  sockaddr_in endpoint = loopback_endpoint(0);
  auto* address = reinterpret_cast<sockaddr*>(&endpoint);
  socklen_t length = sizeof endpoint;
  if (::bind(socket_fd.get(), address, sizeof endpoint) != 0 ||
      ::getsockname(socket_fd.get(), address, &length) != 0) {
    throw ConnectionError(loopback_address(0), "bind", errno_text("bind/getsockname"));
  }
  return ntohs(endpoint.sin_port);
}

// ---- hiredis ----

struct ContextDeleter {
  void operator()(redisContext* context) const { redisFree(context); }
};
struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using Context = std::unique_ptr<redisContext, ContextDeleter>;
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

timeval to_timeval(milliseconds duration) {
  const auto count = std::max<milliseconds::rep>(duration.count(), 1); // zero means "forever"
  return timeval{static_cast<time_t>(count / 1000), static_cast<suseconds_t>(count % 1000 * 1000)};
}

milliseconds remaining_until(Clock::time_point deadline) {
  return std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
}

/// One command on a fresh connection, the whole exchange within `timeout`; null on any failure.
Reply command_with_deadline(const std::string& host, std::uint16_t port, const char* command,
                            milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  Context context(redisConnectWithTimeout(host.c_str(), port, to_timeval(timeout)));
  if (!context || context->err != REDIS_OK) return nullptr;
  const milliseconds left = remaining_until(deadline);
  if (left.count() <= 0 || redisSetTimeout(context.get(), to_timeval(left)) != REDIS_OK)
    return nullptr;
  return Reply(static_cast<redisReply*>(redisCommand(context.get(), command)));
}

bool is_error_reply(const Reply& reply, const char* prefix) {
  return reply && reply->type == REDIS_REPLY_ERROR &&
         std::strncmp(reply->str, prefix, std::strlen(prefix)) == 0;
}

/// The pid the server on this port reports; -1 when it does not say (no answer, wants a password).
pid_t reported_process_id(std::uint16_t port, milliseconds timeout) {
  const Reply reply = command_with_deadline(loopback, port, "INFO server", timeout);
  if (!reply || reply->type != REDIS_REPLY_STRING) return -1;
  const char* field = std::strstr(reply->str, "process_id:");
  return field ? static_cast<pid_t>(std::atol(field + std::strlen("process_id:"))) : -1;
}

/// Polls for the child's exit until `timeout`; true (and `status` set) once it has been reaped.
bool reap_within(pid_t pid, milliseconds timeout, int& status) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const pid_t result = ::waitpid(pid, &status, WNOHANG);
    if (result == pid) return true;
    if (result < 0 && errno == ECHILD) return true; // someone else reaped it (SIGCHLD ignored)
    if (result < 0 && errno != EINTR) return false;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(poll_interval);
  }
}

// ---- child processes ----

/// Where the child's standard streams go; -1 keeps ours.
struct ChildSetup {
  int standard_input = -1;
  int standard_output = -1;
  int standard_error = -1;
  bool own_process_group = false;
};

std::vector<char*> to_c_argv(const std::vector<std::string>& argv) {
  std::vector<char*> c_argv;
  c_argv.reserve(argv.size() + 1);
  for (const std::string& argument : argv) c_argv.push_back(const_cast<char*>(argument.c_str()));
  c_argv.push_back(nullptr);
  return c_argv;
}

/// Runs in the forked child, where only async-signal-safe calls are allowed (the parent may have
/// other threads holding locks), so everything it needs was prepared before fork().
[[noreturn]] void exec_child(char* const* argv, const ChildSetup& setup, int exec_error_fd,
                             pid_t parent) {
  // Its own group keeps a Ctrl-C meant for us from reaching it first, and lets us signal the
  // server together with any child it forks.
  if (setup.own_process_group) ::setpgid(0, 0);
  // No server may outlive a crashed test process; the check closes the race with an early death.
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() != parent) ::_exit(127);
  const int streams[] = {setup.standard_input, setup.standard_output, setup.standard_error};
  for (int target = 0; target < 3; ++target) {
    if (streams[target] >= 0 && ::dup2(streams[target], target) < 0) ::_exit(127);
  }
  // Sockets and files the parent opened without O_CLOEXEC must not stay open in the server
  // (a test's client connection would outlive its close()). Marked rather than closed, so the
  // exec error pipe still works if exec fails. Linux >= 5.11.
  ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  sigset_t nothing_blocked;
  ::sigemptyset(&nothing_blocked);
  // The signal mask survives exec, and the server must see our SIGTERM.
  ::sigprocmask(SIG_SETMASK, &nothing_blocked, nullptr);
  ::execv(argv[0], argv);
  const int exec_errno = errno;
  [[maybe_unused]] const auto written = ::write(exec_error_fd, &exec_errno, sizeof exec_errno);
  ::_exit(127);
}

/// fork + exec; returns once the exec happened. Throws ConnectionError (for `address`) if not.
pid_t spawn_child(const std::vector<std::string>& argv, const ChildSetup& setup,
                  const std::string& address) {
  std::vector<char*> c_argv = to_c_argv(argv);
  int error_pipe[2];
  if (::pipe2(error_pipe, O_CLOEXEC) != 0)
    throw ConnectionError(address, "start", errno_text("pipe2"));
  FileDescriptor error_reader(error_pipe[0]);
  FileDescriptor error_writer(error_pipe[1]);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw ConnectionError(address, "start", errno_text("fork"));
  if (pid == 0) exec_child(c_argv.data(), setup, error_writer.get(), parent);
  error_writer.reset();
  // No deadline needed: the pipe closes on a successful exec (O_CLOEXEC) or carries its errno,
  // a few system calls after fork() either way.
  int exec_errno = 0;
  ssize_t received;
  do {
    received = ::read(error_reader.get(), &exec_errno, sizeof exec_errno);
  } while (received < 0 && errno == EINTR);
  if (received == 0) return pid;
  int status = 0;
  reap_within(pid, forced_stop_timeout, status); // it is in _exit() already
  throw ConnectionError(address, "start",
                        "cannot run " + argv[0] + ": " +
                            std::strerror(received > 0 ? exec_errno : errno));
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
  return "ended";
}


std::string make_temporary_directory() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/rtk-redis-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw ConnectionError(loopback_address(0), "start", errno_text("mkdtemp " + pattern));
  }
  return pattern;
}

FileDescriptor open_or_throw(const std::string& path, int flags, const std::string& address) {
  FileDescriptor fd(::open(path.c_str(), flags | O_CLOEXEC, 0644));
  if (fd.get() < 0) throw ConnectionError(address, "start", errno_text("open " + path));
  return fd;
}

struct OutputPipe {
  FileDescriptor reader;
  FileDescriptor writer;
};

OutputPipe make_output_pipe(const std::string& program) {
  int ends[2];
  if (::pipe2(ends, O_CLOEXEC) != 0) throw ConnectionError(program, "run", errno_text("pipe2"));
  return OutputPipe{FileDescriptor(ends[0]), FileDescriptor(ends[1])};
}

/// Reads both pipes into their strings until both reach EOF or the deadline passes. Reading them
/// together matters: a child blocked on a full stderr pipe would never close stdout.
void collect_until(Clock::time_point deadline, FileDescriptor& first, std::string& first_text,
                   FileDescriptor& second, std::string& second_text) {
  FileDescriptor* readers[] = {&first, &second};
  std::string* texts[] = {&first_text, &second_text};
  char buffer[4096];
  while (first.get() >= 0 || second.get() >= 0) {
    pollfd watched[] = {{first.get(), POLLIN, 0}, {second.get(), POLLIN, 0}}; // fd -1 is skipped
    const milliseconds left = remaining_until(deadline);
    const int ready = left.count() > 0 ? ::poll(watched, 2, static_cast<int>(left.count())) : 0;
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return; // the deadline (or a poll failure): the caller kills the child
    for (int index = 0; index < 2; ++index) {
      if (watched[index].revents == 0) continue;
      const ssize_t received = ::read(readers[index]->get(), buffer, sizeof buffer);
      if (received > 0)
        texts[index]->append(buffer, static_cast<std::size_t>(received));
      else if (received == 0 || errno != EINTR)
        readers[index]->reset();
    }
  }
}

bool wants_cluster_bus(const std::vector<std::string>& arguments) {
  return std::find(arguments.begin(), arguments.end(), "--cluster-enabled") != arguments.end();
}

} // namespace

// ---- free functions ----

std::optional<std::string> find_redis_server_binary() {
  return find_executable("RTK_REDIS_SERVER", "redis-server");
}

std::optional<std::string> find_redis_sentinel_binary() {
  return find_executable("RTK_REDIS_SENTINEL", "redis-sentinel");
}

std::string redis_cli_path() {
  if (auto found = find_executable("RTK_REDIS_CLI", "redis-cli")) return *found;
  throw ConnectionError("redis-cli", "find", std::string("redis-cli not found; ") + install_hint);
}

std::uint16_t find_free_loopback_port(bool free_with_bus) {
  static std::mutex mutex;
  static std::set<std::uint16_t> handed_out; // includes the bus ports of cluster nodes
  const std::lock_guard<std::mutex> lock(mutex);
  constexpr int attempts = 1000;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    const std::uint16_t port = kernel_chosen_port();
    if (handed_out.count(port) != 0) continue;
    if (free_with_bus) {
      if (port > 65535 - cluster_bus_offset) continue;
      const auto bus_port = static_cast<std::uint16_t>(port + cluster_bus_offset);
      if (handed_out.count(bus_port) != 0 || !loopback_port_free(bus_port)) continue;
      handed_out.insert(bus_port);
    }
    handed_out.insert(port);
    return port;
  }
  throw ConnectionError(loopback_address(0), "find_free_loopback_port",
                        "no free port after " + std::to_string(attempts) + " attempts");
}

bool redis_answers(const std::string& host, std::uint16_t port, milliseconds timeout) {
  const Reply reply = command_with_deadline(host, port, "PING", timeout);
  const bool pong =
      reply && reply->type == REDIS_REPLY_STATUS && std::strcmp(reply->str, "PONG") == 0;
  return pong || is_error_reply(reply, "NOAUTH");
}

ProgramOutput run_program(const std::vector<std::string>& argv, milliseconds timeout) {
  if (argv.empty()) throw ConnectionError("(nothing)", "run", "no program given");
  const std::string& program = argv.front();
  const auto deadline = Clock::now() + timeout;
  OutputPipe output = make_output_pipe(program);
  OutputPipe errors = make_output_pipe(program);
  const FileDescriptor no_input = open_or_throw("/dev/null", O_RDONLY, program);
  ChildSetup setup;
  setup.standard_input = no_input.get();
  setup.standard_output = output.writer.get();
  setup.standard_error = errors.writer.get();
  const pid_t pid = spawn_child(argv, setup, program);
  // The child holds the only writers now, so its exit gives us EOF on both.
  output.writer.reset();
  errors.writer.reset();

  ProgramOutput result;
  collect_until(deadline, output.reader, result.standard_output, errors.reader,
                result.standard_error);
  int status = 0;
  if (reap_within(pid, std::max(remaining_until(deadline), milliseconds{0}), status)) {
    result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  } else {
    ::kill(pid, SIGKILL);
    reap_within(pid, forced_stop_timeout, status);
  }
  return result;
}

// ---- RedisServerProcess ----

std::vector<std::string> RedisServerProcess::command_line(const std::string& binary,
                                                          std::uint16_t port,
                                                          const std::string& directory,
                                                          const Options& options) {
  std::vector<std::string> argv = {binary};
  if (!options.config_file.empty()) argv.push_back(options.config_file); // must come first
  argv.insert(argv.end(), {"--port", std::to_string(port)});
  if (options.tls) { // TLS beside the plain port, which the launcher keeps using
    argv.insert(argv.end(), {"--tls-port", std::to_string(options.tls->port),
                             "--tls-cert-file", options.tls->cert_file,
                             "--tls-key-file", options.tls->key_file,
                             "--tls-ca-cert-file", options.tls->ca_cert_file,
                             "--tls-auth-clients", options.tls->auth_clients ? "yes" : "no"});
    // A TLS cluster node would put its bus on tls-port + 10000; it stays on port + 10000, the
    // port find_free_loopback_port checked.
    if (wants_cluster_bus(options.extra_args))
      argv.insert(argv.end(), {"--cluster-port", std::to_string(port + 10000)});
  }
  argv.insert(argv.end(), {
      "--bind", loopback,
      // No persistence: a test server starts empty and leaves no dump behind.
      "--save", "", "--appendonly", "no",
      // We must own the pid to stop, pause and reap it.
      "--daemonize", "no", "--dir", directory, "--logfile", directory + "/redis.log"});
  if (options.enable_debug_command) {
    argv.insert(argv.end(), {"--enable-debug-command", "local"});
  }
  argv.insert(argv.end(), options.extra_args.begin(), options.extra_args.end());
  return argv;
}

RedisServerProcess RedisServerProcess::start(Options options) {
  std::string binary =
      options.binary.empty() ? find_redis_server_binary().value_or(std::string{}) : options.binary;
  RedisServerProcess server(std::move(binary), std::move(options));
  server.launch(); // if this throws, the destructor removes what the constructor created
  return server;
}

RedisServerProcess::RedisServerProcess(std::string binary, Options options)
    : binary_(std::move(binary)), options_(std::move(options)) {
  port_ = options_.port != 0 ? options_.port
                             : find_free_loopback_port(wants_cluster_bus(options_.extra_args));
  if (options_.tls && options_.tls->port == 0) options_.tls->port = find_free_loopback_port();
  if (options_.directory.empty()) {
    directory_ = make_temporary_directory();
    owns_directory_ = true;
  } else {
    // A directory that already existed is the caller's: it is never removed.
    directory_ = options_.directory;
    std::error_code error;
    owns_directory_ = std::filesystem::create_directories(directory_, error);
    if (error)
      throw ConnectionError(address(), "start",
                            "cannot create " + directory_ + ": " + error.message());
  }
}

RedisServerProcess::RedisServerProcess(RedisServerProcess&& other) noexcept
    : binary_(std::move(other.binary_)), options_(std::move(other.options_)),
      host_(std::move(other.host_)), port_(other.port_), directory_(std::move(other.directory_)),
      owns_directory_(std::exchange(other.owns_directory_, false)),
      pid_(std::exchange(other.pid_, -1)), alive_(std::exchange(other.alive_, false)),
      paused_(std::exchange(other.paused_, false)) {}

RedisServerProcess& RedisServerProcess::operator=(RedisServerProcess&& other) noexcept {
  if (this != &other) {
    release();
    binary_ = std::move(other.binary_);
    options_ = std::move(other.options_);
    host_ = std::move(other.host_);
    port_ = other.port_;
    directory_ = std::move(other.directory_);
    owns_directory_ = std::exchange(other.owns_directory_, false);
    pid_ = std::exchange(other.pid_, -1);
    alive_ = std::exchange(other.alive_, false);
    paused_ = std::exchange(other.paused_, false);
  }
  return *this;
}

RedisServerProcess::~RedisServerProcess() { release(); }

void RedisServerProcess::release() noexcept {
  try {
    stop();
  } catch (...) {
    // stop() only throws for a failed kill(); nothing more can be done from a destructor.
  }
  if (owns_directory_ && !options_.keep_directory) {
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }
  owns_directory_ = false;
}

std::string RedisServerProcess::address() const { return host_ + ":" + std::to_string(port_); }

std::string RedisServerProcess::log_file() const { return directory_ + "/redis.log"; }

void RedisServerProcess::launch() {
  if (!is_executable_file(binary_)) {
    throw ConnectionError(address(), "start",
                          "redis-server not found" + (binary_.empty() ? "" : " at " + binary_) +
                              "; " + install_hint);
  }
  // A port chosen here can be taken by another process before the server binds it: then the
  // server exits at once and we try a fresh port. A port the caller chose is kept.
  const bool may_change_port = options_.port == 0 && pid_ < 0;
  for (int attempt = 1;; ++attempt) {
    spawn();
    const std::optional<std::string> failure = wait_until_answering();
    if (!failure) return;
    stop();
    const std::string log = detail::tail_of_file(log_file(), 2000);
    const bool port_taken = log.find("Address already in use") != std::string::npos;
    if (port_taken && may_change_port && attempt < port_collision_attempts) {
      port_ = find_free_loopback_port(wants_cluster_bus(options_.extra_args));
      if (options_.tls) options_.tls->port = find_free_loopback_port();
      continue;
    }
    throw ConnectionError(address(), "start",
                          "redis-server " + *failure + "; end of " + log_file() + ":\n" + log);
  }
}

void RedisServerProcess::spawn() {
  const std::string log = log_file();
  const FileDescriptor no_input = open_or_throw("/dev/null", O_RDONLY, address());
  // Until redis opens --logfile itself, its complaints (a bad argument) go to stderr: the log too.
  const FileDescriptor log_output = open_or_throw(log, O_WRONLY | O_CREAT | O_APPEND, address());
  ChildSetup setup;
  setup.standard_input = no_input.get();
  setup.standard_output = log_output.get();
  setup.standard_error = log_output.get();
  setup.own_process_group = true;
  pid_ = spawn_child(command_line(binary_, port_, directory_, options_), setup, address());
  alive_ = true;
}

std::optional<std::string> RedisServerProcess::wait_until_answering() {
  const auto deadline = Clock::now() + options_.start_timeout;
  constexpr milliseconds attempt_timeout{250};
  int status = 0;
  while (Clock::now() < deadline) {
    if (reap_within(pid_, milliseconds{0}, status)) {
      alive_ = false;
      return describe_wait_status(status) + " before answering";
    }
    if (redis_answers(host_, port_, attempt_timeout)) {
      // Another server may hold the port (our child then dies of "Address already in use").
      const pid_t reported = reported_process_id(port_, attempt_timeout);
      if (reported == pid_ || (reported < 0 && running())) return std::nullopt;
    }
    std::this_thread::sleep_for(poll_interval);
  }
  return "did not answer PING within " + std::to_string(options_.start_timeout.count()) + " ms";
}

bool RedisServerProcess::running() {
  if (!alive_) return false;
  int status = 0;
  if (reap_within(pid_, milliseconds{0}, status)) alive_ = false;
  return alive_;
}

void RedisServerProcess::signal_group(int signal_number) const {
  // pid_ is our unreaped child and its group's leader, so the group id cannot have been reused.
  if (::kill(-pid_, signal_number) != 0 && errno != ESRCH) {
    throw ConnectionError(address(), "signal", errno_text("kill " + std::to_string(signal_number)));
  }
}

bool RedisServerProcess::wait_for_exit(milliseconds timeout) {
  int status = 0;
  if (reap_within(pid_, timeout, status)) alive_ = false;
  return !alive_;
}

void RedisServerProcess::stop() {
  if (!running()) return;
  signal_group(SIGTERM);
  signal_group(SIGCONT); // a paused server would only see the SIGTERM once resumed
  paused_ = false;
  if (wait_for_exit(graceful_stop_timeout)) return;
  kill_hard();
}

void RedisServerProcess::kill_hard() {
  if (!running()) return;
  signal_group(SIGKILL);
  paused_ = false;
  if (!wait_for_exit(forced_stop_timeout)) {
    throw ConnectionError(address(), "kill",
                          "process " + std::to_string(pid_) + " survived SIGKILL");
  }
}

void RedisServerProcess::pause() {
  if (!running()) throw ConnectionError(address(), "pause", "the server is not running");
  if (paused_) return; // a second SIGSTOP would bring no stop report to wait for
  signal_group(SIGSTOP);
  // SIGSTOP takes effect when the process is next scheduled; return only once it has.
  const auto deadline = Clock::now() + forced_stop_timeout;
  int status = 0;
  for (;;) {
    const pid_t result = ::waitpid(pid_, &status, WNOHANG | WUNTRACED);
    if (result == pid_ && WIFSTOPPED(status)) {
      paused_ = true;
      return;
    }
    if (result == pid_) {
      alive_ = false;
      throw ConnectionError(address(), "pause", "redis-server " + describe_wait_status(status));
    }
    if (result < 0 && errno != EINTR)
      throw ConnectionError(address(), "pause", errno_text("waitpid"));
    if (Clock::now() >= deadline)
      throw ConnectionError(address(), "pause", "the process did not stop");
    std::this_thread::sleep_for(poll_interval);
  }
}

void RedisServerProcess::resume() {
  if (!running()) throw ConnectionError(address(), "resume", "the server is not running");
  signal_group(SIGCONT);
  paused_ = false;
}

void RedisServerProcess::restart() {
  stop();
  launch();
}

namespace detail {

std::string tail_of_file(const std::string& path, std::size_t max_bytes) {
  std::ifstream file(path, std::ios::binary | std::ios::ate);
  if (!file) return "(no log file)";
  const std::streamoff size = file.tellg();
  const std::streamoff start =
      std::max<std::streamoff>(0, size - static_cast<std::streamoff>(max_bytes));
  file.seekg(start);
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (start > 0) text.erase(0, text.find('\n') + 1); // begin on a whole line
  return text.empty() ? "(empty log file)" : text;
}

} // namespace detail
} // namespace redis_toolkit
