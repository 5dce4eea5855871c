#pragma once
// Futures for calls that complete through a callback: the async fronts return them, the blocking
// fronts wait on them, so a call exists once, in its completion-taking form.

#include <exception>
#include <future>
#include <memory>
#include <utility>

namespace redis_toolkit::detail {

/// The future of `start(completion)`, where the completion receives the answer (a T).
template <typename T, typename Start>
std::future<T> future_of(Start start) {
  auto promise = std::make_shared<std::promise<T>>();
  auto future = promise->get_future();
  start([promise](T answer) { promise->set_value(std::move(answer)); });
  return future;
}

/// The future of `start(completion)`, where the completion receives a null exception_ptr on
/// success, or the error.
template <typename Start>
std::future<void> future_of_confirmation(Start start) {
  auto promise = std::make_shared<std::promise<void>>();
  auto future = promise->get_future();
  start([promise](std::exception_ptr error) {
    if (error) promise->set_exception(std::move(error));
    else promise->set_value();
  });
  return future;
}

} // namespace redis_toolkit::detail
