#pragma once
// The shapes of batch arguments and results, shared by the blocking and the async toolkit.
//
//   redis_toolkit::KeyValues entries = {{"a", 1}, {"b", "two"}};
//   redis_toolkit::BatchGetResult got = toolkit.batch_get({"b", "missing"});
//   // got == {{"b", Value("two")}, {"missing", std::nullopt}}

#include "redis_toolkit/value.hpp"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace redis_toolkit {

/// Entries of a batch, in the caller's order.
using KeyValues = std::vector<std::pair<std::string, Value>>;
/// Results of batch_get: every requested key in the caller's order; nullopt for a missing key.
using BatchGetResult = std::vector<std::pair<std::string, std::optional<Value>>>;

} // namespace redis_toolkit
