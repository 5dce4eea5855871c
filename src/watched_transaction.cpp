#include "watched_transaction.hpp"

#include "async_core.hpp"
#include "transaction_attempts.hpp"

namespace redis_toolkit::detail {
namespace {

using Outcome = TransactionAttempts::Outcome;
using Next = TransactionAttempts::Next;

/// Carries a TransactionAttempts' requests as async calls; every answer completes on the
/// completion actor, where the machine decides the next step (the builder runs there too).
class WatchedTransaction : public std::enable_shared_from_this<WatchedTransaction> {
public:
  WatchedTransaction(const std::shared_ptr<ToolkitCore>& core, std::vector<std::string> watch_keys,
                     std::vector<CommandArguments> reads, TransactionBuilder build,
                     int max_attempts, Callback<Outcome> done)
      : core_(core), attempts_(std::move(watch_keys), std::move(reads), std::move(build),
                               max_attempts),
        done_(std::move(done)) {}

  /// Runs the step the machine asks for; a step's answer calls this again.
  void step() {
    auto core = core_.lock();
    if (!core) // nothing left to send on, nor to give a session up with
      return done_(Result<Outcome>::failure(std::make_exception_ptr(
          ConnectionError("", "transaction", "the toolkit was cleaned up"))));
    auto self = shared_from_this();
    switch (attempts_.next()) {
      case Next::read:
        // The first read may have to learn the command table first; later steps have it.
        submit_with_table<std::vector<Reply>>(
            core, "transaction",
            [self](const OperationContext& context, const CommandTable& table) {
              return self->attempts_.plan_reads(context, table);
            },
            [self](Result<std::vector<Reply>> reads) {
              if (reads.ok()) self->attempts_.reads_answered(reads.value());
              else self->attempts_.failed(reads.error());
              self->step();
            });
        return;
      case Next::commit:
        submit<Outcome>(*core, "transaction", [&] { return plan_close(*core); },
                        [self](Result<Outcome> executed) {
                          if (executed.ok()) self->attempts_.committed(std::move(executed).value());
                          else self->attempts_.failed(executed.error());
                          self->step();
                        });
        return;
      case Next::give_up:
        // What the caller hears is the transaction's error, whatever UNWATCH answers.
        submit<Outcome>(*core, "transaction", [&] { return plan_close(*core); },
                        [](Result<Outcome>) {});
        return finish();
      case Next::finished:
        return finish();
    }
  }

private:
  PlannedOperation<Outcome> plan_close(ToolkitCore& core) {
    // The reads were planned with the table, so the toolkit has it; a throw here is that step's
    // failure (submit() hands it to the step's callback).
    const CommandTable* table = core.command_table();
    if (table == nullptr)
      throw ConnectionError(core.server(), "transaction", "the command table is gone");
    return attempts_.plan_close(core.context(), *table);
  }

  void finish() {
    std::optional<Result<Outcome>> result;
    try {
      result.emplace(Result<Outcome>::success(attempts_.take_result()));
    } catch (...) {
      result.emplace(Result<Outcome>::failure(std::current_exception()));
    }
    done_(std::move(*result));
  }

  std::weak_ptr<ToolkitCore> core_;
  TransactionAttempts attempts_;
  Callback<Outcome> done_;
};

} // namespace

void run_watched_transaction(const std::shared_ptr<ToolkitCore>& core,
                             std::vector<std::string> watch_keys,
                             std::vector<CommandArguments> reads, TransactionBuilder build,
                             int max_attempts, Callback<std::optional<std::vector<Reply>>> done) {
  std::make_shared<WatchedTransaction>(core, std::move(watch_keys), std::move(reads),
                                       std::move(build), max_attempts, std::move(done))
      ->step();
}

} // namespace redis_toolkit::detail
