#include "bench_command.hpp"

#include "metrics_board.hpp"
#include "metrics_listen.hpp"
#include "report.hpp"
#include "suite.hpp"

#include <redis_toolkit/errors.hpp>

#include <algorithm>
#include <ostream>

#ifndef RTK_VERSION
#error "RTK_VERSION comes from project(VERSION) in CMakeLists.txt"
#endif

namespace rtk {

namespace {

constexpr const char* default_report_directory = "bench-report";

std::string flag_or(const CliInvocation& invocation, const std::string& name,
                    const std::string& otherwise) {
  const auto found = invocation.flags.find(name);
  return found == invocation.flags.end() ? otherwise : found->second;
}

/// "blocking,codec" -> {"blocking", "codec"}; an unknown name is a usage error naming the known.
std::vector<std::string> scenarios_named(const std::string& list) {
  const std::vector<std::string>& known = rtk_bench::scenario_ids();
  std::vector<std::string> names;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    const std::string name = list.substr(start, comma - start);
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string choices;
      for (const std::string& id : known) choices += (choices.empty() ? "" : ", ") + id;
      throw redis_toolkit::ValidationError("option --only: unknown scenario '" + name +
                                           "' (choose among " + choices + ")");
    }
    names.push_back(name);
    if (comma == list.size()) return names;
    start = comma + 1;
  }
}

} // namespace

int run_bench(const CliInvocation& invocation, CommandStreams& streams) {
  rtk_bench::SuiteOptions options;
  options.short_run = invocation.flags.count("short") > 0;
  options.rounds = std::stoi(flag_or(invocation, "rounds", "0")); // its form is checked already
  if (const auto only = invocation.flags.find("only"); only != invocation.flags.end())
    options.only = scenarios_named(only->second);
  options.version = RTK_VERSION;
  const std::string directory = flag_or(invocation, "report-dir", default_report_directory);

  // --metrics-listen: the listener reads the board, which reads each scenario's toolkits while
  // they live and keeps their last figures after; the listener ends first (declared last).
  rtk_bench::MetricsBoard board;
  const auto listener = MetricsListener::start(invocation, [&board] { return board.total(); },
                                               streams.err);
  if (listener) options.metrics = &board;

  rtk_bench::SuiteResults results = rtk_bench::run_suite(options, streams.err);
  rtk_bench::write_reports(results, directory);

  int failed = 0;
  for (const rtk_bench::Scenario& scenario : results.scenarios) {
    if (scenario.failure.empty()) continue;
    ++failed;
    streams.err << "rtk: bench: " << scenario.id << " failed: " << scenario.failure << "\n";
  }
  for (const rtk_bench::Target& target : results.targets) {
    streams.out << (!target.met ? "not measured" : *target.met ? "met" : "MISSED") << ": "
                << target.name << ": " << target.measured_text << " (required "
                << target.requirement << ")\n";
  }
  streams.out << "results: " << directory << "/bench-results.json\nreport: " << directory
              << "/bench-report.md\ncharts: ";
  if (results.charts.empty()) streams.out << "none (" << results.charts_note << ")\n";
  else streams.out << results.charts.size() << " PNG by " << results.plotter << "\n";
  return failed > 0 ? exit_failure : exit_ok;
}

} // namespace rtk
