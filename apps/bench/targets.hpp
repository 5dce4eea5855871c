#pragma once
// The users' performance targets for `rtk bench`, judged on one run's figures (ratios between two
// sides of the same run, or a time), each missed one with the reason found, in plain words.

#include "results.hpp"

#include <vector>

namespace rtk_bench {

/// Every target, in the report's order; a target whose figures were not measured in this run
/// (--only, --short) says so instead of passing or failing.
std::vector<Target> judge_targets(const SuiteResults& results);

} // namespace rtk_bench
