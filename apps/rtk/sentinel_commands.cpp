#include "sentinel_commands.hpp"

#include <redis_toolkit/errors.hpp>
#include <redis_toolkit/local_sentinel.hpp>

#include <algorithm>
#include <ostream>

namespace rtk {

using redis_toolkit::ConnectionError;
using redis_toolkit::LocalSentinel;
using redis_toolkit::LocalSentinelProcessStatus;
using redis_toolkit::NodeAddress;

namespace {

LocalSentinel::Options options_of(const CliInvocation& invocation) {
  LocalSentinel::Options options;
  options.base_port = LocalSentinel::default_detached_base_port;
  // The frame has checked the form of both options already.
  if (auto port = invocation.flags.find("base-port"); port != invocation.flags.end())
    options.base_port = static_cast<std::uint16_t>(std::stoi(port->second));
  if (auto dir = invocation.flags.find("dir"); dir != invocation.flags.end())
    options.directory = dir->second;
  return options;
}

std::string directory_of(const LocalSentinel::Options& options) {
  return options.directory.empty() ? LocalSentinel::default_detached_directory(options.base_port)
                                   : options.directory;
}

std::string place_options(const LocalSentinel::Options& options) {
  std::string text;
  if (options.base_port != LocalSentinel::default_detached_base_port)
    text += " --base-port " + std::to_string(options.base_port);
  if (!options.directory.empty()) text += " --dir " + options.directory;
  return text;
}

/// "127.0.0.1:6400 master", "127.0.0.1:6401 replica link=up", "127.0.0.1:26400 sentinel
/// master=127.0.0.1:6400", "127.0.0.1:6402 down".
void print_status_line(const LocalSentinelProcessStatus& process, std::ostream& out) {
  out << process.address.to_string();
  if (!process.answering) {
    out << " down\n";
    return;
  }
  out << " " << process.role;
  if (process.role == "replica") out << " link=" << (process.master_link_up ? "up" : "down");
  if (process.role == "sentinel")
    out << " master=" << (process.named_master.empty() ? "unknown" : process.named_master);
  out << "\n";
}

std::string joined(const std::vector<NodeAddress>& addresses) {
  std::string text;
  for (const NodeAddress& address : addresses) text += (text.empty() ? "" : ",") + address.to_string();
  return text;
}

int sentinel_up(const LocalSentinel::Options& options, CommandStreams& streams) {
  LocalSentinel::start_detached(options);
  streams.out << "sentinel up: a master, " << options.replicas << " replicas and "
              << options.sentinels << " sentinels watching '" << options.master_name
              << "', files in " << directory_of(options) << "\n";
  for (const LocalSentinelProcessStatus& process : LocalSentinel::status_of(options))
    print_status_line(process, streams.out);
  streams.out << "sentinels: " << joined(LocalSentinel::detached_sentinels(options)) << "\n"
              << "stop: rtk sentinel down" << place_options(options) << "\n";
  return exit_ok;
}

int sentinel_down(const LocalSentinel::Options& options, CommandStreams& streams) {
  const std::size_t stopped = LocalSentinel::stop_detached(options);
  const std::size_t all = static_cast<std::size_t>(options.replicas + 1 + options.sentinels);
  streams.out << "stopped " << stopped << " of " << all << " processes\n";
  std::string left;
  for (const LocalSentinelProcessStatus& process : LocalSentinel::status_of(options))
    if (process.answering) left += (left.empty() ? "" : ", ") + process.address.to_string();
  if (!left.empty())
    throw ConnectionError(left, "sentinel down",
                          "still answering, not started from " + directory_of(options) + " (left alone)");
  return exit_ok;
}

/// Healthy as LocalSentinel::wait_until_healthy() means it, with every process answering.
int sentinel_status(const LocalSentinel::Options& options, CommandStreams& streams) {
  std::vector<std::string> problems;
  const auto processes = LocalSentinel::status_of(options);
  for (const LocalSentinelProcessStatus& process : processes) {
    print_status_line(process, streams.out);
    if (!process.answering) problems.push_back(process.address.to_string() + " does not answer");
  }
  if (problems.size() == processes.size()) {
    problems = {"nothing answers"};
  } else {
    for (std::string& problem : LocalSentinel::health_problems_at(
             options.master_name, LocalSentinel::detached_servers(options),
             LocalSentinel::detached_sentinels(options)))
      problems.push_back(std::move(problem));
  }
  if (!problems.empty()) {
    constexpr std::size_t shown = 8;
    std::string text;
    for (std::size_t index = 0; index < std::min(problems.size(), shown); ++index)
      text += (index == 0 ? "" : "; ") + problems[index];
    if (problems.size() > shown) text += "; and " + std::to_string(problems.size() - shown) + " more";
    throw ConnectionError(LocalSentinel::detached_sentinels(options).front().to_string(),
                          "sentinel status", "not healthy: " + text);
  }
  streams.out << "healthy\n";
  return exit_ok;
}

} // namespace

int run_sentinel(const CliInvocation& invocation, CommandStreams& streams) {
  const LocalSentinel::Options options = options_of(invocation);
  if (options.base_port + 20000 + options.sentinels - 1 > 65535) {
    throw redis_toolkit::ValidationError(
        "--base-port " + std::to_string(options.base_port) +
        " leaves no room for the sentinels' ports (port + 20000); use at most " +
        std::to_string(65535 - 20000 - options.sentinels + 1));
  }
  const std::string& action = invocation.arguments.at(0);
  if (action == "up") return sentinel_up(options, streams);
  if (action == "down") return sentinel_down(options, streams);
  return sentinel_status(options, streams);
}

} // namespace rtk
