#include "script_eval.hpp"

#include "async_core.hpp"
#include "command_operations.hpp"

namespace redis_toolkit::detail {

void run_script(const std::shared_ptr<ToolkitCore>& core, const Script& script,
                std::vector<std::string> keys, std::vector<std::string> arguments,
                Callback<Reply> done) {
  struct Call {
    Script script;
    std::vector<std::string> keys;
    std::vector<std::string> arguments;
    Callback<Reply> done;
  };
  auto call = std::make_shared<Call>(Call{script, std::move(keys), std::move(arguments),
                                          std::move(done)});
  std::weak_ptr<ToolkitCore> weak = core;
  submit_with_table<std::optional<Reply>>(
      core, "eval",
      [call](const OperationContext& context, const CommandTable& table) {
        return plan_evalsha(context, table, call->script, call->keys, call->arguments);
      },
      [weak, call](Result<std::optional<Reply>> first) {
        if (!first.ok()) return call->done(Result<Reply>::failure(first.error()));
        if (first.value()) return call->done(Result<Reply>::success(std::move(*std::move(first).value())));
        auto core = weak.lock();
        if (!core)
          return call->done(Result<Reply>::failure(std::make_exception_ptr(
              ConnectionError("", "eval", "the toolkit was cleaned up"))));
        submit_with_table<Reply>(
            core, "eval",
            [call](const OperationContext& context, const CommandTable& table) {
              return plan_eval_source(context, table, call->script, call->keys, call->arguments);
            },
            [call](Result<Reply> reply) { call->done(std::move(reply)); });
      });
}

} // namespace redis_toolkit::detail
