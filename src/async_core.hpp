#pragma once
// What the async fronts (AsyncRedisToolkit, AsyncClusterOperations) share: the async toolkit's
// state, and submit(), which plans on the caller's thread and completes the callback on a
// completion actor.

#include "completion_actor.hpp"
#include "subscription_control.hpp"
#include "toolkit_actor.hpp"
#include "toolkit_core.hpp"

#include "redis_toolkit/async_toolkit.hpp"

#include <caf/all.hpp>

#include <future>
#include <memory>
#include <mutex>
#include <optional>

namespace redis_toolkit {
namespace detail {

/// The async toolkit's state: the shared core and the dynamic subscriptions.
class AsyncCore {
public:
  AsyncCore(caf::actor_system* system, RedisConnectionConfig config, RedisOptions options)
      : core(std::make_shared<ToolkitCore>(system, std::move(config), std::move(options))),
        dynamic(std::make_shared<DynamicSubscriptions>(core)) {}

  std::shared_ptr<ToolkitCore> core;
  std::shared_ptr<DynamicSubscriptions> dynamic;

  ToolkitActor actor() {
    const CallerThreadScope caller_thread; // it may spawn the toolkit actor here
    std::lock_guard<std::mutex> lock(actor_mutex);
    if (!toolkit_actor && !core->closed())
      toolkit_actor = spawn_toolkit_actor(core->system(), core->router(), core->options(),
                                          core->server(), core->config().cluster_mode);
    return toolkit_actor;
  }

  void close() noexcept {
    dynamic->stop();
    core->close();
    std::lock_guard<std::mutex> lock(actor_mutex);
    if (toolkit_actor) caf::anon_send_exit(toolkit_actor, caf::exit_reason::user_shutdown);
    toolkit_actor = ToolkitActor();
  }

private:
  std::mutex actor_mutex;
  ToolkitActor toolkit_actor;
};

/// Decodes the replies into the operation's Result, then hands it to the user's callback exactly
/// once; a callback that throws is PendingCall's to log.
template <typename T>
Result<T> decode_result(const Decoder<T>& decode,
                        std::vector<Reply>* replies, std::exception_ptr error) {
  if (error) return Result<T>::failure(std::move(error));
  try {
    if constexpr (std::is_void_v<T>) {
      decode(*replies);
      return Result<void>::success();
    } else {
      return Result<T>::success(decode(*replies));
    }
  } catch (...) {
    return Result<T>::failure(std::current_exception());
  }
}

/// What completes an async call: decodes the replies, then hands the Result to the callback.
template <typename T>
auto finisher(Decoder<T> decode, Callback<T> done) {
  return [decode = std::move(decode), done = std::move(done)](std::vector<Reply>* replies,
                                                              std::exception_ptr error) {
    done(decode_result<T>(decode, replies, std::move(error)));
  };
}

/// Plans on the caller's thread (a refusal completes the call with its error, nothing is sent),
/// then sends the commands from a completion actor, which also runs the decoder and the callback.
template <typename T, typename Plan>
void submit(ToolkitCore& core, const char* name, Plan plan, Callback<T> done) {
  std::optional<PlannedOperation<T>> planned;
  std::exception_ptr refused;
  try {
    planned.emplace(plan());
  } catch (...) {
    refused = std::current_exception();
  }
  auto decode = planned ? std::move(planned->decode) : Decoder<T>();
  auto call = make_pending_call(core.server(), name, finisher<T>(std::move(decode), std::move(done)));
  const caf::actor* router = core.live_router();
  if (refused || router == nullptr) {
    core.run_task([call, refused](caf::io::broker*) {
      if (refused) call->complete(nullptr, refused);
      else call->fail("the toolkit was cleaned up");
    });
    return;
  }
  core.call_router(*router, std::move(planned->request), std::move(call));
}

/// submit() for an operation routed by the server's command table: when the toolkit has no table
/// yet, it is learned first (once, without blocking the caller), then the operation is planned.
/// `plan(context, table)` must own what it plans from: it may run later, on a completion actor.
template <typename T, typename Plan>
void submit_with_table(const std::shared_ptr<ToolkitCore>& core, const char* name, Plan plan,
                       Callback<T> done) {
  if (const CommandTable* table = core->command_table()) {
    submit<T>(*core, name, [&] { return plan(core->context(), *table); }, std::move(done));
    return;
  }
  std::weak_ptr<ToolkitCore> weak = core;
  auto resume = [weak, name, plan = std::move(plan), done = std::move(done)](
                    std::exception_ptr error) mutable {
    auto core = weak.lock();
    if (error || !core) {
      done(Result<T>::failure(error ? error
                                    : std::make_exception_ptr(ConnectionError(
                                          "", name, "the toolkit was cleaned up"))));
      return;
    }
    const CommandTable* table = core->command_table();
    submit<T>(*core, name, [&] { return plan(core->context(), *table); }, std::move(done));
  };
  switch (core->await_command_table(std::move(resume))) {
    case ToolkitCore::TableWait::known: // learned meanwhile: `resume` has run
    case ToolkitCore::TableWait::queued:
      return;
    case ToolkitCore::TableWait::load:
      break;
  }
  submit<CommandTableHandle>(
      *core, "COMMAND", [&] { return plan_command_table(core->context()); },
      [weak](Result<CommandTableHandle> loaded) {
        if (auto core = weak.lock())
          core->command_table_loaded(loaded.ok() ? std::move(loaded).value() : nullptr,
                                     loaded.ok() ? nullptr : loaded.error());
      });
}

/// The future form of a callback-taking call.
template <typename T, typename Start>
std::future<T> as_future(Start start) {
  auto promise = std::make_shared<std::promise<T>>();
  auto future = promise->get_future();
  start([promise](Result<T> result) {
    if (!result.ok()) return promise->set_exception(result.error());
    if constexpr (std::is_void_v<T>) promise->set_value();
    else promise->set_value(std::move(result).value());
  });
  return future;
}

} // namespace detail
} // namespace redis_toolkit
