#include "socket_connect.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace redis_toolkit::detail {

ConnectedSocket::~ConnectedSocket() {
  if (fd_ >= 0) ::close(fd_);
}

int ConnectedSocket::release() noexcept {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

namespace {

using Clock = std::chrono::steady_clock;

std::string system_error_text(int code) { return std::strerror(code); }

// One attempt at one resolved address; returns the fd or -1 with `error` set.
int connect_one(const addrinfo& address, Clock::time_point deadline, std::string& error) {
  int fd = ::socket(address.ai_family, address.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    address.ai_protocol);
  if (fd < 0) {
    error = "socket: " + system_error_text(errno);
    return -1;
  }
  if (::connect(fd, address.ai_addr, address.ai_addrlen) != 0 && errno != EINPROGRESS) {
    error = system_error_text(errno);
    ::close(fd);
    return -1;
  }
  for (;;) {
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (remaining.count() <= 0) {
      error = "connect timed out";
      ::close(fd);
      return -1;
    }
    pollfd watch{fd, POLLOUT, 0};
    int ready = ::poll(&watch, 1, static_cast<int>(remaining.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue; // timeout is handled at the top of the loop
    int socket_error = 0;
    socklen_t length = sizeof socket_error;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &socket_error, &length);
    if (socket_error != 0) {
      error = system_error_text(socket_error);
      ::close(fd);
      return -1;
    }
    return fd;
  }
}

} // namespace

ConnectOutcome connect_tcp(const std::string& host, std::uint16_t port,
                           std::chrono::milliseconds timeout, bool keepalive) {
  ConnectOutcome outcome;
  const auto deadline = Clock::now() + timeout;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* addresses = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &addresses); rc != 0) {
    outcome.error = std::string("cannot resolve host: ") + ::gai_strerror(rc);
    return outcome;
  }
  std::string error = "no address";
  for (addrinfo* address = addresses; address != nullptr; address = address->ai_next) {
    int fd = connect_one(*address, deadline, error);
    if (fd < 0) continue;
    int on = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    if (keepalive) ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    outcome.socket = std::make_shared<ConnectedSocket>(fd);
    break;
  }
  ::freeaddrinfo(addresses);
  if (!outcome.socket) outcome.error = error;
  return outcome;
}

} // namespace redis_toolkit::detail
