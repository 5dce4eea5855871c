#include "transaction_attempts.hpp"

#include "command_operations.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace redis_toolkit::detail {

TransactionAttempts::TransactionAttempts(std::vector<std::string> watch_keys,
                                         std::vector<CommandArguments> reads,
                                         TransactionBuilder build, int max_attempts)
    : watch_keys_(std::move(watch_keys)), reads_(std::move(reads)), build_(std::move(build)),
      max_attempts_(std::max(1, max_attempts)) {}

PlannedOperation<std::vector<Reply>> TransactionAttempts::plan_reads(const OperationContext& context,
                                                                     const CommandTable& table) {
  if (stage_ != Stage::idle) throw std::logic_error("transaction: reads planned out of turn");
  const std::uint64_t session = next_session_id();
  std::int32_t slot = any_slot;
  auto planned = plan_session_open(context, table, session, watch_keys_, reads_, slot);
  // Only a plan that was made opens a session: a refused one left nothing to give up.
  session_ = session;
  slot_ = slot;
  ++attempts_;
  stage_ = Stage::reading;
  return planned;
}

TransactionAttempts::Next TransactionAttempts::reads_answered(const std::vector<Reply>& reads) {
  if (stage_ != Stage::reading) throw std::logic_error("transaction: reads answered out of turn");
  try {
    commands_ = build_(reads);
  } catch (...) {
    return failed(std::current_exception());
  }
  stage_ = Stage::built;
  return next_ = Next::commit;
}

PlannedOperation<TransactionAttempts::Outcome> TransactionAttempts::plan_close(
    const OperationContext& context, const CommandTable& table) {
  if (stage_ == Stage::closing) {
    stage_ = Stage::done;
    next_ = Next::finished;
    return plan_session_close(context, table, session_, {}, slot_);
  }
  if (stage_ != Stage::built) throw std::logic_error("transaction: close planned out of turn");
  auto planned = plan_session_close(context, table, session_, commands_, slot_);
  stage_ = Stage::committing;
  return planned;
}

TransactionAttempts::Next TransactionAttempts::committed(Outcome outcome) {
  if (stage_ != Stage::committing) throw std::logic_error("transaction: committed out of turn");
  commands_.clear();
  if (outcome || attempts_ == max_attempts_) {
    // The replies, or a watched key changed on every attempt.
    outcome_ = std::move(outcome);
    stage_ = Stage::done;
    return next_ = Next::finished;
  }
  stage_ = Stage::idle; // a watched key changed: read and build again
  return next_ = Next::read;
}

TransactionAttempts::Next TransactionAttempts::failed(std::exception_ptr error) {
  if (!error_) error_ = std::move(error); // the first error is the one the caller hears
  // The session is open from the reads' plan until a close was sent: EXEC or DISCARD ends the
  // WATCH (and the router unpins the connection with the close, whatever it answers).
  const bool session_open = stage_ == Stage::reading || stage_ == Stage::built;
  stage_ = session_open ? Stage::closing : Stage::done;
  return next_ = session_open ? Next::give_up : Next::finished;
}

TransactionAttempts::Outcome TransactionAttempts::take_result() {
  if (stage_ != Stage::done) throw std::logic_error("transaction: result taken before the end");
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  return std::move(outcome_);
}

} // namespace redis_toolkit::detail
