#include "charts.hpp"

#include <redis_toolkit/server_launcher.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

namespace rtk_bench {

namespace {

// ---- what to draw ----

/// Adds (x, y) to the line called `name`, made on first use; a figure shared by two rows (the
/// same baseline) is drawn once.
void add_point(std::vector<ChartLine>& lines, const std::string& name, double x, double y) {
  auto line = std::find_if(lines.begin(), lines.end(),
                           [&](const ChartLine& l) { return l.name == name; });
  if (line == lines.end()) line = lines.insert(lines.end(), ChartLine{name, {}});
  const bool drawn = std::any_of(line->points.begin(), line->points.end(),
                                 [&](const auto& point) { return point.first == x; });
  if (!drawn) line->points.emplace_back(x, y);
}

/// One line per side of the scenario's rows that have an x, in the rows' unit.
std::vector<ChartLine> lines_by_side(const Scenario& scenario) {
  std::vector<ChartLine> lines;
  for (const Row& row : scenario.rows) {
    if (row.x <= 0) continue;
    for (const Side& side : row.sides) add_point(lines, side.label, row.x, side.median());
  }
  return lines;
}

/// Milliseconds per batch, one line per side and operation (batch_set, batch_get).
std::vector<ChartLine> batch_times(const Scenario& scenario) {
  std::vector<ChartLine> lines;
  for (const Row& row : scenario.rows) {
    if (row.x <= 0) continue;
    const std::string operation = row.name.substr(0, row.name.find(' '));
    for (const Side& side : row.sides) {
      if (side.median() > 0)
        add_point(lines, operation + ", " + side.label, row.x, row.x / side.median() * 1000.0);
    }
  }
  return lines;
}

std::string short_label(const std::string& label) {
  return label.rfind("toolkit, ", 0) == 0 ? label.substr(9) : label;
}

} // namespace

std::vector<Chart> charts_of(const SuiteResults& results) {
  std::vector<Chart> charts;
  if (const Scenario* in_flight = results.scenario("in-flight"); in_flight && !in_flight->rows.empty())
    charts.push_back({"throughput-in-flight.png", "GET throughput by calls in flight (one caller)",
                      "calls in flight", "GETs per second", true, true, lines_by_side(*in_flight), {}});
  if (const Scenario* callers = results.scenario("callers"); callers && !callers->rows.empty())
    charts.push_back({"throughput-callers.png", "GET throughput by callers (one call each at a time)",
                      "callers (threads, actors, redis-benchmark connections)", "GETs per second",
                      true, false, lines_by_side(*callers), {}});
  if (const Scenario* batches = results.scenario("batches"); batches && !batches->rows.empty())
    charts.push_back({"time-by-batch-size.png", "Time per batch by batch size", "keys per batch",
                      "milliseconds per batch", true, true, batch_times(*batches), {}});
  Chart ratios{"toolkit-vs-raw.png",
               "Toolkit vs its baseline, same run (above 1: the toolkit does better)",
               "ratio (rates: toolkit / baseline; times: baseline / toolkit)", "", false, false, {}, {}};
  for (const Scenario& scenario : results.scenarios) {
    for (const Row& row : scenario.rows) {
      const auto ratio = row.ratio(1);
      if (!ratio || row.unit == "switches/op") continue;
      ratios.bars.emplace_back(row.name + ": " + short_label(row.sides[0].label) + " / " +
                                   short_label(row.sides[1].label),
                               *ratio);
    }
  }
  if (!ratios.bars.empty()) charts.push_back(std::move(ratios));
  return charts;
}

// ---- the plotters ----

namespace {

std::optional<std::string> find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream directories(path == nullptr ? "/usr/bin:/bin" : path);
  for (std::string directory; std::getline(directories, directory, ':');) {
    const std::string candidate = (directory.empty() ? "." : directory) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

/// A Python 3 that imports matplotlib: python3 on PATH, then Debian's /usr/bin/python3.
std::optional<std::string> find_matplotlib_python() {
  std::vector<std::string> candidates;
  if (auto on_path = find_on_path("python3")) candidates.push_back(*on_path);
  candidates.push_back("/usr/bin/python3");
  for (const std::string& python : candidates) {
    if (::access(python.c_str(), X_OK) != 0) continue;
    try {
      if (redis_toolkit::run_program({python, "-c", "import matplotlib"}, std::chrono::seconds(60))
              .exit_status == 0)
        return python;
    } catch (const std::exception&) {
      // not runnable: try the next
    }
  }
  return std::nullopt;
}

std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string number(double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

std::string gnuplot_script(const Chart& chart, const std::string& png) {
  std::ostringstream gp;
  const int height = chart.bars.empty() ? 560 : 140 + 22 * static_cast<int>(chart.bars.size());
  gp << "set terminal pngcairo size 1000," << height << " noenhanced font \",10\"\n"
     << "set output " << quoted(png) << "\n"
     << "set title " << quoted(chart.title) << "\n"
     << "set xlabel " << quoted(chart.x_label) << "\n"
     << "set ylabel " << quoted(chart.y_label) << "\n"
     << "set grid\n";
  if (chart.log_x) gp << "set logscale x 10\n";
  if (chart.log_y) gp << "set logscale y 10\n";
  if (!chart.bars.empty()) {
    gp << "$bars << EOD\n";
    for (std::size_t i = 0; i < chart.bars.size(); ++i)
      gp << i << " " << number(chart.bars[i].second) << " " << quoted(chart.bars[i].first) << "\n";
    gp << "EOD\n"
       << "set yrange [" << chart.bars.size() << ":-1]\nset xrange [0:*]\n" // first bar on top
       << "set style fill solid 0.6\nset lmargin 62\n"
       << "set arrow from 1, graph 0 to 1, graph 1 nohead dashtype 2\n"
       << "plot $bars using 2:1:(0):2:($1-0.35):($1+0.35):ytic(3) with boxxyerror notitle\n";
    return gp.str();
  }
  gp << "set key top left\n";
  for (std::size_t i = 0; i < chart.lines.size(); ++i) {
    gp << "$line" << i << " << EOD\n";
    for (const auto& [x, y] : chart.lines[i].points) gp << number(x) << " " << number(y) << "\n";
    gp << "EOD\n";
  }
  gp << "plot ";
  for (std::size_t i = 0; i < chart.lines.size(); ++i)
    gp << (i > 0 ? ", " : "") << "$line" << i << " using 1:2 with linespoints lw 2 title "
       << quoted(chart.lines[i].name);
  gp << "\n";
  return gp.str();
}

std::string python_list(const std::vector<double>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) out += (i > 0 ? ", " : "") + number(values[i]);
  return out + "]";
}

std::string matplotlib_script(const Chart& chart, const std::string& png) {
  std::ostringstream py;
  const double height = chart.bars.empty() ? 5.6 : 1.4 + 0.22 * static_cast<double>(chart.bars.size());
  py << "import matplotlib\nmatplotlib.use(\"Agg\")\nimport matplotlib.pyplot as plt\n"
     << "fig, ax = plt.subplots(figsize=(10, " << number(height) << "))\n"
     << "ax.set_title(" << quoted(chart.title) << ")\n"
     << "ax.set_xlabel(" << quoted(chart.x_label) << ")\n"
     << "ax.set_ylabel(" << quoted(chart.y_label) << ")\n";
  if (!chart.bars.empty()) {
    std::vector<double> values;
    py << "labels = [";
    for (std::size_t i = 0; i < chart.bars.size(); ++i) {
      py << (i > 0 ? ", " : "") << quoted(chart.bars[i].first);
      values.push_back(chart.bars[i].second);
    }
    py << "]\nax.barh(range(len(labels)), " << python_list(values) << ", height=0.7, alpha=0.7)\n"
       << "ax.set_yticks(range(len(labels)))\nax.set_yticklabels(labels, fontsize=8)\n"
       << "ax.invert_yaxis()\n"
       << "ax.axvline(1.0, linestyle=\"--\", color=\"black\")\nax.grid(True, axis=\"x\", alpha=0.3)\n";
  } else {
    for (const ChartLine& line : chart.lines) {
      std::vector<double> xs, ys;
      for (const auto& [x, y] : line.points) {
        xs.push_back(x);
        ys.push_back(y);
      }
      py << "ax.plot(" << python_list(xs) << ", " << python_list(ys) << ", marker=\"o\", label="
         << quoted(line.name) << ")\n";
    }
    if (chart.log_x) py << "ax.set_xscale(\"log\")\n";
    if (chart.log_y) py << "ax.set_yscale(\"log\")\n";
    py << "ax.legend(fontsize=8)\nax.grid(True, which=\"both\", alpha=0.3)\n";
  }
  py << "fig.tight_layout()\nfig.savefig(" << quoted(png) << ", dpi=100)\n";
  return py.str();
}

} // namespace

void draw_charts(const std::vector<Chart>& charts, const std::string& directory,
                 SuiteResults& results) {
  namespace fs = std::filesystem;
  const char* forced = std::getenv("RTK_BENCH_PLOTTER");
  const std::string choice = forced == nullptr ? "" : forced;
  std::optional<std::string> gnuplot, python;
  if (choice.empty() || choice == "gnuplot") gnuplot = find_on_path("gnuplot");
  if (!gnuplot && (choice.empty() || choice == "matplotlib")) python = find_matplotlib_python();
  results.plotter = gnuplot ? "gnuplot" : python ? "matplotlib" : "none";
  if (!gnuplot && !python) {
    results.charts_note = choice == "none" ? "charts turned off (RTK_BENCH_PLOTTER=none)"
                                           : "neither gnuplot nor Python 3 with matplotlib was found "
                                             "(Debian: apt-get install gnuplot-nox)";
    return;
  }
  const fs::path scripts = fs::path(directory) / "charts";
  fs::create_directories(scripts);
  for (const Chart& chart : charts) {
    const fs::path png = fs::absolute(fs::path(directory) / chart.file);
    const fs::path script =
        scripts / (fs::path(chart.file).stem().string() + (gnuplot ? ".gp" : ".py"));
    std::ofstream(script) << (gnuplot ? gnuplot_script(chart, png.string())
                                      : matplotlib_script(chart, png.string()));
    fs::remove(png);
    const auto drawn = redis_toolkit::run_program(
        {gnuplot ? *gnuplot : *python, script.string()}, std::chrono::seconds(120));
    if (drawn.exit_status == 0 && fs::exists(png)) {
      results.charts.push_back(chart.file);
    } else {
      results.charts_note += (results.charts_note.empty() ? "" : "; ") + chart.file +
                             " failed: " + drawn.standard_error.substr(0, 300);
    }
  }
}

} // namespace rtk_bench
