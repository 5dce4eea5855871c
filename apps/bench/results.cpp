#include "results.hpp"

#include <algorithm>

namespace rtk_bench {

double Side::median() const {
  if (rounds.empty()) return 0;
  std::vector<double> sorted = rounds;
  std::sort(sorted.begin(), sorted.end());
  const std::size_t middle = sorted.size() / 2;
  return sorted.size() % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

void Row::add(const std::string& label, double figure) {
  auto found = std::find_if(sides.begin(), sides.end(),
                            [&](const Side& side) { return side.label == label; });
  if (found == sides.end()) found = sides.insert(sides.end(), Side{label, {}});
  found->rounds.push_back(figure);
}

const Side* Row::side(const std::string& label) const {
  const auto found = std::find_if(sides.begin(), sides.end(),
                                  [&](const Side& side) { return side.label == label; });
  return found == sides.end() ? nullptr : &*found;
}

std::optional<double> Row::ratio(std::size_t baseline) const {
  if (sides.size() <= baseline) return std::nullopt;
  const double subject = sides.front().median(), other = sides[baseline].median();
  if (subject <= 0 || other <= 0) return std::nullopt;
  return higher_is_better ? subject / other : other / subject;
}

Row& Scenario::row(const std::string& name, const std::string& unit, double x,
                   bool higher_is_better) {
  auto found =
      std::find_if(rows.begin(), rows.end(), [&](const Row& row) { return row.name == name; });
  if (found != rows.end()) return *found;
  rows.push_back(Row{name, unit, higher_is_better, x, {}});
  return rows.back();
}

const Row* Scenario::find(const std::string& name) const {
  const auto found =
      std::find_if(rows.begin(), rows.end(), [&](const Row& row) { return row.name == name; });
  return found == rows.end() ? nullptr : &*found;
}

const Scenario* SuiteResults::scenario(const std::string& id) const {
  const auto found = std::find_if(scenarios.begin(), scenarios.end(),
                                  [&](const Scenario& scenario) { return scenario.id == id; });
  return found == scenarios.end() ? nullptr : &*found;
}

} // namespace rtk_bench
