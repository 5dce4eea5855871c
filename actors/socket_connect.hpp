#pragma once
// Connecting a TCP socket with a deadline, off the I/O thread (CAF's own connect blocks its caller).

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace redis_toolkit::detail {

class TlsSession;

/// Owns a connected socket until someone takes it, so that a socket whose receiver is gone is
/// closed rather than leaked. Shared so that it can travel inside a CAF message.
class ConnectedSocket {
public:
  explicit ConnectedSocket(int fd) noexcept : fd_(fd) {}
  ~ConnectedSocket();
  ConnectedSocket(const ConnectedSocket&) = delete;
  ConnectedSocket& operator=(const ConnectedSocket&) = delete;
  int fd() const noexcept { return fd_; }
  /// Hands the descriptor over; the caller closes it from now on.
  int release() noexcept;

private:
  int fd_;
};

struct ConnectOutcome {
  std::shared_ptr<ConnectedSocket> socket; ///< null on failure
  /// The TLS session after a completed handshake when the connection uses TLS; null otherwise.
  std::shared_ptr<TlsSession> tls;
  std::string error;                        ///< why it failed (never contains credentials)
};

/// Resolves `host`, connects non-blocking within `timeout`, sets TCP_NODELAY and keep-alive.
ConnectOutcome connect_tcp(const std::string& host, std::uint16_t port,
                           std::chrono::milliseconds timeout, bool keepalive = true);

} // namespace redis_toolkit::detail
