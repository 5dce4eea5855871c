#pragma once
// What `rtk bench` found: scenarios of rows, each row the sides of one comparison measured in the
// same run on the same server and data, every side once per round; the targets judged from them;
// the machine it ran on. The report writers (report.hpp) and the charts read only this.

#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace rtk_bench {

/// One side of a comparison: a figure measured once per round.
struct Side {
  std::string label;          ///< "toolkit", "hiredis redisCommand", "redis-benchmark -c 50"...
  std::vector<double> rounds; ///< one figure per round, in the row's unit
  double median() const;
};

/// One comparison: sides[0] is the toolkit (or the case under test), the others its baselines.
struct Row {
  std::string name;
  std::string unit;             ///< "ops/s", "keys/s", "msg/s", "docs/s", "us", "s", "switches/op"
  bool higher_is_better = true; ///< false for times and costs
  double x = 0;                 ///< where the row sits on a chart: in flight, callers, keys
  std::vector<Side> sides;

  /// Records one round's figure of the side called `label` (made on first use, in that order).
  void add(const std::string& label, double figure);
  const Side* side(const std::string& label) const;
  /// How much better sides[0] does than sides[baseline]: its figure over the baseline's, or the
  /// inverse for times (above 1: better). No value when either side is missing or zero.
  std::optional<double> ratio(std::size_t baseline = 1) const;
};

struct Scenario {
  std::string id;    ///< the name --only takes: "blocking", "in-flight", ...
  std::string title; ///< "1. Blocking facade vs raw hiredis"
  std::string about; ///< what runs against what, in one paragraph
  std::deque<Row> rows; ///< a deque: a new row leaves references to the others valid
  std::vector<std::string> notes; ///< what a reader should know about these figures
  double seconds = 0;             ///< how long it ran
  std::string failure;            ///< not empty: the scenario stopped with this error

  /// The row called `name`, made on first use with `unit` and `x`.
  Row& row(const std::string& name, const std::string& unit, double x = 0,
           bool higher_is_better = true);
  const Row* find(const std::string& name) const;
};

/// One of the users' targets, judged on this run's figures.
struct Target {
  std::string name;        ///< "Wire codec vs raw RapidJSON"
  std::string requirement; ///< ">= 0.7x", "<= 4 s"
  std::optional<double> measured;
  std::string measured_text; ///< "0.82x", "2.41 s"; why not measured otherwise
  std::optional<bool> met;   ///< no value: not measured in this run
  std::string reason;        ///< for a missed target: the reason found
};

struct Machine {
  std::string cpu_model;
  unsigned cores = 0; ///< nproc
  std::string kernel;
  std::string redis_version;
  std::string load_before; ///< /proc/loadavg's three averages when the run started
  std::string load_after;
};

struct SuiteResults {
  std::string version; ///< rtk's
  std::string date;    ///< UTC, ISO 8601
  bool short_run = false;
  int rounds = 0;
  double seconds = 0;
  Machine machine;
  std::vector<Scenario> scenarios;
  std::vector<Target> targets;
  std::string plotter;             ///< "gnuplot", "matplotlib", or "none"
  std::vector<std::string> charts; ///< PNG file names written in the report directory
  std::string charts_note;         ///< why there are none, when there are none

  const Scenario* scenario(const std::string& id) const;
};

} // namespace rtk_bench
