#pragma once
// A scripted "Redis" on a loopback port for the faults a real redis-server never makes: a header
// announcing gigabytes, a reply dripped byte by byte, a close in the middle of a reply, more replies
// than commands. It reads RESP commands and lets the test answer each one.
//
//   rtk_test::HostileServer server([](const rtk_test::Command& command, rtk_test::Peer& peer) {
//     if (command[0] == "PING") peer.send("+PONG\r\n");
//     else peer.send("*60000000\r\n");
//   });
//   config.port = server.port();

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace rtk_test {

using Command = std::vector<std::string>;

/// One client connection, as the script sees it.
class Peer {
public:
  explicit Peer(int fd) : fd_(fd) {}
  /// Writes everything (or until the client is gone).
  void send(const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        closed_ = true;
        return;
      }
      done += static_cast<std::size_t>(n);
    }
  }
  /// Closes the connection after this command (a close mid-reply when a partial reply was sent).
  void close() { closed_ = true; }
  bool closed() const noexcept { return closed_; }
  /// Commands received on this connection so far, this one included.
  std::size_t commands = 0;

private:
  int fd_;
  bool closed_ = false;
};

class HostileServer {
public:
  using Script = std::function<void(const Command&, Peer&)>;

  explicit HostileServer(Script script) : script_(std::move(script)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (listener_ < 0) throw std::runtime_error("hostile server: socket() failed");
    const int yes = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_, 16) != 0)
      throw std::runtime_error("hostile server: bind/listen failed");
    socklen_t length = sizeof address;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~HostileServer() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    acceptor_.join();
    std::lock_guard<std::mutex> lock(mutex_);
    for (int fd : clients_) ::shutdown(fd, SHUT_RDWR);
    for (auto& worker : workers_) worker.join();
    for (int fd : clients_) ::close(fd);
  }

  HostileServer(const HostileServer&) = delete;
  HostileServer& operator=(const HostileServer&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  /// Connections accepted so far.
  std::size_t connections() const noexcept { return connections_; }

private:
  void accept_loop() {
    while (!stopping_) {
      const int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) {
        if (errno == EINTR) continue;
        return;
      }
      ++connections_;
      std::lock_guard<std::mutex> lock(mutex_);
      clients_.push_back(fd);
      workers_.emplace_back([this, fd] { serve(fd); });
    }
  }

  /// Takes one complete command ("*N\r\n$len\r\narg\r\n...") off the front of `buffer`.
  static bool take_command(std::string& buffer, Command& command) {
    command.clear();
    std::size_t at = 0;
    auto line = [&](std::string& out) {
      const auto end = buffer.find("\r\n", at);
      if (end == std::string::npos) return false;
      out = buffer.substr(at, end - at);
      at = end + 2;
      return true;
    };
    std::string header;
    if (!line(header) || header.empty() || header[0] != '*') return false;
    const long count = std::strtol(header.c_str() + 1, nullptr, 10);
    for (long i = 0; i < count; ++i) {
      std::string length_line;
      if (!line(length_line)) return false;
      const auto length = static_cast<std::size_t>(std::strtoul(length_line.c_str() + 1, nullptr, 10));
      if (buffer.size() < at + length + 2) return false;
      command.push_back(buffer.substr(at, length));
      at += length + 2;
    }
    buffer.erase(0, at);
    return true;
  }

  void serve(int fd) {
    Peer peer(fd);
    std::string buffer;
    char chunk[65536];
    while (!peer.closed()) {
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      buffer.append(chunk, static_cast<std::size_t>(n));
      Command command;
      while (!peer.closed() && take_command(buffer, command)) {
        ++peer.commands;
        script_(command, peer);
      }
    }
    ::shutdown(fd, SHUT_RDWR);
  }

  Script script_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> connections_{0};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<int> clients_;
  std::vector<std::thread> workers_;
};

} // namespace rtk_test
