#pragma once
// The PNG charts of a `rtk bench` run, drawn by whichever plotter this machine has: gnuplot, else
// Python 3 with matplotlib (Debian: gnuplot-nox or python3-matplotlib). With neither there are no
// charts, and the report says so. RTK_BENCH_PLOTTER=gnuplot|matplotlib|none picks one.

#include "results.hpp"

#include <string>
#include <utility>
#include <vector>

namespace rtk_bench {

struct ChartLine {
  std::string name;
  std::vector<std::pair<double, double>> points;
};

/// A line chart (lines), or horizontal bars with a dashed reference at 1 (bars).
struct Chart {
  std::string file; ///< "throughput-in-flight.png"
  std::string title;
  std::string x_label;
  std::string y_label;
  bool log_x = false;
  bool log_y = false;
  std::vector<ChartLine> lines;
  std::vector<std::pair<std::string, double>> bars;
};

/// The charts a run's figures make: throughput by calls in flight and by callers, time by batch
/// size, and every comparison's ratio (toolkit vs its first baseline). Charts without figures
/// (scenarios not run) are left out.
std::vector<Chart> charts_of(const SuiteResults& results);

/// Draws `charts` into `directory` (their scripts go to directory/charts/) and records in
/// `results` the plotter and the PNGs written, or in charts_note why there are none.
void draw_charts(const std::vector<Chart>& charts, const std::string& directory,
                 SuiteResults& results);

} // namespace rtk_bench
