#pragma once
// The files a `rtk bench` run leaves: bench-results.json (every round of every side, the
// targets, the machine), bench-report.md (tables of medians and ratios, targets with reasons,
// the charts) and the PNG charts (charts.hpp).

#include "results.hpp"

#include <string>

namespace rtk_bench {

std::string results_json(const SuiteResults& results);
std::string markdown_report(const SuiteResults& results);

/// Writes the charts, then bench-results.json and bench-report.md, into `directory` (created when
/// missing). Throws std::runtime_error when a file cannot be written.
void write_reports(SuiteResults& results, const std::string& directory);

} // namespace rtk_bench
