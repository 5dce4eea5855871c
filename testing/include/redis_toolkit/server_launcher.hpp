#pragma once
// Real redis-server processes on free loopback ports, owned by this process: for the tests, the
// examples, the demo and `rtk cluster up`.
//
//   auto server = redis_toolkit::RedisServerProcess::start();   // fresh directory, free port
//   RedisConnectionConfig config; config.port = server.port();
//   ...
//   server.kill_hard();   // simulate a crash
//   server.restart();     // same port, same directory
//   // the destructor stops the server and removes its directory
//
// A cluster node is the same process with more arguments (`--cluster-enabled yes ...` in
// Options::extra_args), so a local cluster is a handful of RedisServerProcess objects.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace redis_toolkit {

/// The redis-server to run: $RTK_REDIS_SERVER when set (returned as given, so that a wrong
/// setting is reported rather than silently replaced), else redis-server on PATH, else
/// /usr/bin/redis-server or /usr/local/bin/redis-server. No value when none is executable.
std::optional<std::string> find_redis_server_binary();

/// The redis-sentinel to run (Debian's `redis-sentinel` package): $RTK_REDIS_SENTINEL when set,
/// else redis-sentinel on PATH, /usr/bin or /usr/local/bin. No value when none is executable;
/// LocalSentinel then runs redis-server in sentinel mode, the same program under another name.
std::optional<std::string> find_redis_sentinel_binary();

/// The redis-cli to run, found the same way ($RTK_REDIS_CLI, PATH, /usr/bin, /usr/local/bin).
/// Throws ConnectionError with the install hint when there is none.
std::string redis_cli_path();

/// A loopback port nothing listens on, never the same one twice in this process. With
/// `free_with_bus`, port + 10000 (the Redis Cluster bus) is free as well. Another process can
/// still take the port before it is used: RedisServerProcess::start retries on a fresh one.
/// Throws ConnectionError when no such port turns up.
std::uint16_t find_free_loopback_port(bool free_with_bus = false);

/// True when host:port answers PING with PONG, or with NOAUTH (a server that wants a password
/// is answering). `timeout` bounds the connection and the reply together.
bool redis_answers(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout);

/// What a finished program printed and how it ended (see run_program).
struct ProgramOutput {
  int exit_status = -1; ///< exit code, or -1 when killed by a signal or the deadline
  std::string standard_output;
  std::string standard_error;
};

/// Runs argv[0] (a path, not looked up on PATH) with argv, stdin from /dev/null, and collects
/// what it writes. Kills it when `timeout` passes (exit_status -1). Throws ConnectionError when it
/// cannot be started. For redis-cli in the tests and `redis-cli --cluster create` in `rtk`.
ProgramOutput run_program(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

/// One redis-server child process, listening on 127.0.0.1. Move-only; the destructor stops it
/// and removes the directory it created. Not thread-safe: one owner drives it. Start it from a
/// thread that outlives it: the server gets SIGTERM when the thread that forked it exits
/// (PR_SET_PDEATHSIG, so that a crashed test leaves no server behind). Signals go to the server's
/// process group, so a child it forked (a diskless sync to a replica) shares its fate.
class RedisServerProcess {
public:
  /// A TLS server: tls_port() speaks TLS (`--tls-port`) beside the plain port(), which stays what
  /// the launcher (and LocalCluster, redis-cli in the tests) checks and drives the server with, so
  /// a server that requires client certificates needs none from them. Clients of the toolkit
  /// under test connect to tls_port().
  ///   RedisServerProcess::Tls tls;
  ///   tls.cert_file = dir + "/server.crt"; tls.key_file = dir + "/server.key";
  ///   tls.ca_cert_file = dir + "/ca.crt";
  ///   options.tls = tls;
  struct Tls {
    std::string cert_file;    ///< --tls-cert-file (PEM)
    std::string key_file;     ///< --tls-key-file (PEM)
    std::string ca_cert_file; ///< --tls-ca-cert-file: the CA client certificates must chain to
    bool auth_clients = false; ///< --tls-auth-clients yes: a client certificate is required
    std::uint16_t port = 0; ///< the TLS port; 0: a free port
  };

  struct Options {
    std::string binary;                  ///< empty: find_redis_server_binary()
    std::vector<std::string> extra_args; ///< appended last, so they override the defaults
    std::uint16_t port = 0;              ///< 0: a free port
    bool enable_debug_command = true;    ///< `--enable-debug-command local` (Redis >= 7)
    std::chrono::milliseconds start_timeout{10000};
    /// Empty: a fresh $TMPDIR/rtk-redis-XXXXXX. Created when missing; the destructor removes only
    /// a directory created here, never one that already existed.
    std::string directory;
    bool keep_directory = false; ///< leave the directory (and redis.log) behind
    /// A configuration file read before the command-line settings (a sentinel needs one, which it
    /// rewrites); empty: none.
    std::string config_file;
    /// Set: TLS on tls_port() as well (see Tls).
    std::optional<Tls> tls;
  };

  /// Starts the server and returns once it answers PING. Throws ConnectionError naming the
  /// address when the binary is missing (with the install hint) or the server does not answer
  /// within start_timeout (with the tail of its log). A failed start leaves nothing behind.
  static RedisServerProcess start(Options options);
  static RedisServerProcess start() { return start(Options{}); }

  /// The command line the server runs with, argv[0] included. Exposed for the cluster launcher
  /// and for diagnostics.
  static std::vector<std::string> command_line(const std::string& binary, std::uint16_t port,
                                               const std::string& directory,
                                               const Options& options);

  RedisServerProcess(RedisServerProcess&& other) noexcept;
  RedisServerProcess& operator=(RedisServerProcess&& other) noexcept;
  RedisServerProcess(const RedisServerProcess&) = delete;
  RedisServerProcess& operator=(const RedisServerProcess&) = delete;
  ~RedisServerProcess();

  const std::string& host() const noexcept { return host_; }
  std::uint16_t port() const noexcept { return port_; }
  /// The TLS port of a server started with Options::tls; 0 otherwise.
  std::uint16_t tls_port() const noexcept { return options_.tls ? options_.tls->port : 0; }
  /// "127.0.0.1:port"
  std::string address() const;
  /// The pid of the last process started, kept after it is stopped (for checks with kill(pid, 0)).
  pid_t pid() const noexcept { return pid_; }
  const std::string& directory() const noexcept { return directory_; }
  std::string log_file() const;

  /// Whether the process is still alive; reaps it when it has exited.
  bool running();
  /// SIGTERM, up to 5 s for a clean exit, then SIGKILL; always reaps. Idempotent.
  void stop();
  /// SIGKILL and reap: a crash as clients see it.
  void kill_hard();
  /// SIGSTOP (returns once the process is stopped): the server hangs with its sockets open.
  /// Pausing a paused server does nothing.
  void pause();
  /// SIGCONT.
  void resume();
  /// Stops the server if it runs, then starts it again on the same port and directory and waits
  /// until it answers. Throws like start().
  void restart();

private:
  RedisServerProcess(std::string binary, Options options);
  void launch();
  void spawn();
  /// No value once the server answers; otherwise why it did not come up.
  std::optional<std::string> wait_until_answering();
  void signal_group(int signal_number) const;
  bool wait_for_exit(std::chrono::milliseconds timeout);
  void release() noexcept;

  std::string binary_;
  Options options_;
  std::string host_ = "127.0.0.1";
  std::uint16_t port_ = 0;
  std::string directory_;
  bool owns_directory_ = false; ///< created here: removed by the destructor unless kept
  pid_t pid_ = -1;
  bool alive_ = false;  ///< pid_ is a child not yet reaped
  bool paused_ = false; ///< stopped by pause(), not yet resumed
};

} // namespace redis_toolkit
