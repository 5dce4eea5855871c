#include "watched_transaction.hpp"

#include "async_core.hpp"

namespace redis_toolkit::detail {
namespace {

using Outcome = std::optional<std::vector<Reply>>;

class WatchedTransaction : public std::enable_shared_from_this<WatchedTransaction> {
public:
  WatchedTransaction(const std::shared_ptr<ToolkitCore>& core, std::vector<std::string> watch_keys,
                     std::vector<CommandArguments> reads, TransactionBuilder build,
                     int max_attempts, Callback<Outcome> done)
      : core_(core), watch_keys_(std::move(watch_keys)), reads_(std::move(reads)),
        build_(std::move(build)), max_attempts_(std::max(1, max_attempts)),
        done_(std::move(done)) {}

  /// One attempt: WATCH and the reads.
  void attempt() {
    auto core = core_.lock();
    if (!core) return fail(cleaned_up());
    if (attempts_++ == max_attempts_) return done_(Result<Outcome>::success(std::nullopt));
    const std::uint64_t session = next_session_id();
    auto self = shared_from_this();
    submit_with_table<std::vector<Reply>>(
        core, "transaction",
        [self, session](const OperationContext& context, const CommandTable& table) {
          return plan_session_open(context, table, session, self->watch_keys_, self->reads_,
                                   self->slot_);
        },
        [self, session](Result<std::vector<Reply>> reads) {
          self->after_reads(session, std::move(reads));
        });
  }

private:
  /// The builder, then MULTI ... EXEC; or UNWATCH when anything went wrong (its error wins).
  void after_reads(std::uint64_t session, Result<std::vector<Reply>> reads) {
    auto core = core_.lock();
    if (!core) return fail(cleaned_up());
    std::exception_ptr error = reads.error();
    std::optional<PlannedOperation<Outcome>> close;
    const CommandTable* table = core->command_table();
    if (!error) {
      try {
        close.emplace(plan_session_close(core->context(), *table, session,
                                         build_(reads.value()), slot_));
      } catch (...) {
        error = std::current_exception();
      }
    }
    auto self = shared_from_this();
    if (error) {
      // Give the session up; what the caller hears is the error, whatever UNWATCH answers.
      if (table != nullptr)
        submit<Outcome>(*core, "transaction",
                        [&] { return plan_session_close(core->context(), *table, session, {}, slot_); },
                        [](Result<Outcome>) {});
      return fail(error);
    }
    submit<Outcome>(*core, "transaction", [&] { return std::move(*close); },
                    [self](Result<Outcome> executed) {
                      if (!executed.ok()) return self->fail(executed.error());
                      if (executed.value()) return self->done_(std::move(executed));
                      self->attempt(); // a watched key changed: read and build again
                    });
  }

  void fail(std::exception_ptr error) { done_(Result<Outcome>::failure(std::move(error))); }

  static std::exception_ptr cleaned_up() {
    return std::make_exception_ptr(
        ConnectionError("", "transaction", "the toolkit was cleaned up"));
  }

  std::weak_ptr<ToolkitCore> core_;
  std::vector<std::string> watch_keys_;
  std::vector<CommandArguments> reads_;
  TransactionBuilder build_;
  int max_attempts_;
  int attempts_ = 0;
  std::int32_t slot_ = any_slot;
  Callback<Outcome> done_;
};

} // namespace

void run_watched_transaction(const std::shared_ptr<ToolkitCore>& core,
                             std::vector<std::string> watch_keys,
                             std::vector<CommandArguments> reads, TransactionBuilder build,
                             int max_attempts, Callback<std::optional<std::vector<Reply>>> done) {
  std::make_shared<WatchedTransaction>(core, std::move(watch_keys), std::move(reads),
                                       std::move(build), max_attempts, std::move(done))
      ->attempt();
}

} // namespace redis_toolkit::detail
