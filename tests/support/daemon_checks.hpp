#pragma once
// What the launcher tests (LocalCluster, LocalSentinel and their rtk commands) check of the
// processes and ports they leave behind.

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <fstream>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

namespace rtk_test {

/// Gone, or a zombie nobody has reaped yet (a daemon's parent may be a PID 1 that does not reap).
inline bool process_gone(pid_t pid) {
  if (::kill(pid, 0) != 0) return errno == ESRCH;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(stat, text)) return true;
  const std::size_t name_end = text.rfind(')');
  return name_end != std::string::npos && name_end + 2 < text.size() && text[name_end + 2] == 'Z';
}

/// Whether a server could bind `port` on 127.0.0.1 now.
inline bool port_free(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int enable = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &enable, sizeof enable);
  sockaddr_in endpoint{};
  endpoint.sin_family = AF_INET;
  endpoint.sin_port = htons(port);
  endpoint.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool bound = ::bind(fd, reinterpret_cast<const sockaddr*>(&endpoint), sizeof endpoint) == 0;
  ::close(fd);
  return bound;
}

} // namespace rtk_test
