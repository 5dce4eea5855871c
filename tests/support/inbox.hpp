#pragma once
// What a subscription's function handler received, for tests that wait on it: the handler runs on
// a thread of its own, so every read takes the lock.

#include "redis_toolkit/pubsub.hpp"
#include "redis_toolkit/value.hpp"

#include <algorithm>
#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

namespace rtk_test {

struct Inbox {
  std::mutex mutex;
  std::vector<redis_toolkit::Value> values;

  redis_toolkit::MessageHandler handler() {
    return [this](const std::string&, const redis_toolkit::Value& value) {
      std::lock_guard<std::mutex> lock(mutex);
      values.push_back(value);
    };
  }
  bool has(const redis_toolkit::Value& value) {
    std::lock_guard<std::mutex> lock(mutex);
    return std::find(values.begin(), values.end(), value) != values.end();
  }
  std::size_t size() {
    std::lock_guard<std::mutex> lock(mutex);
    return values.size();
  }
};

} // namespace rtk_test
