#pragma once
// A read-modify-write transaction's decisions, without I/O: which request goes next given the
// last answer. WATCH and the reads open a session (the router pins one connection); the builder
// turns the reads into commands; MULTI ... EXEC closes the session; a changed watched key starts
// another attempt, up to a bound; anything that goes wrong while a session is open gives it up
// (UNWATCH) before the caller hears the error. The blocking and async fronts only carry these
// requests, so the retry and give-up rules live here alone.
//
// Driving it:
//   TransactionAttempts attempts(watch_keys, reads, build, max_attempts);
//   while (attempts.next() != TransactionAttempts::Next::finished)
//     switch (attempts.next()) {
//       case Next::read:   run attempts.plan_reads(...)  -> reads_answered() or failed()
//       case Next::commit: run attempts.plan_close(...)  -> committed() or failed()
//       case Next::give_up: send attempts.plan_close(...), whatever it answers (now finished)
//     }
//   attempts.take_result() (throws the error)
// A planning call that throws counts as that step failing: pass its exception to failed().

#include "operations.hpp"
#include "toolkit_operations.hpp"

#include "redis_toolkit/command.hpp"

#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <vector>

namespace redis_toolkit::detail {

class CommandTable;

class TransactionAttempts {
public:
  using Outcome = std::optional<std::vector<Reply>>;

  /// What the driver does now.
  enum class Next {
    read,     ///< plan_reads() and run it
    commit,   ///< plan_close() (MULTI ... EXEC) and run it
    give_up,  ///< plan_close() (UNWATCH) and send it; its answer does not matter
    finished, ///< take_result()
  };

  TransactionAttempts(std::vector<std::string> watch_keys, std::vector<CommandArguments> reads,
                      TransactionBuilder build, int max_attempts);

  Next next() const { return next_; }
  /// How many attempts have read so far (1 after the first plan_reads()).
  int attempts() const { return attempts_; }

  /// WATCH and the reads of a new attempt, on a new session. Throws the plan's refusal
  /// (ValidationError, ClusterError: nothing sent; pass it to failed()).
  PlannedOperation<std::vector<Reply>> plan_reads(const OperationContext& context,
                                                  const CommandTable& table);
  /// The reads' replies: runs the builder (on the thread that calls this). Next: commit, or
  /// give_up with the builder's exception.
  Next reads_answered(const std::vector<Reply>& reads);
  /// MULTI, the builder's commands, EXEC (Next::commit; a builder that returned no commands gets
  /// an UNWATCH whose outcome is an empty vector: nothing ran, nothing to retry), or UNWATCH
  /// (Next::give_up, after which the transaction is finished). Throws a refused command (pass it
  /// to failed()).
  PlannedOperation<Outcome> plan_close(const OperationContext& context, const CommandTable& table);
  /// EXEC's outcome: finished with the replies; after a changed watched key another attempt, or
  /// finished with nullopt when all attempts are spent.
  Next committed(Outcome outcome);
  /// The current step failed (its plan refused, the node answered an error, the connection was
  /// lost): give_up while a session is open and nothing closed it, finished otherwise.
  Next failed(std::exception_ptr error);

  /// EXEC's replies or nullopt; throws the error the transaction ended with. Once, when finished.
  Outcome take_result();

private:
  /// Where the current attempt is; `next_` is what the driver is asked for.
  enum class Stage { idle, reading, built, committing, closing, done };

  std::vector<std::string> watch_keys_;
  std::vector<CommandArguments> reads_;
  TransactionBuilder build_;
  int max_attempts_;
  int attempts_ = 0;
  Stage stage_ = Stage::idle;
  Next next_ = Next::read;
  std::uint64_t session_ = 0;
  std::int32_t slot_ = any_slot;
  std::vector<CommandArguments> commands_; ///< the builder's, for MULTI ... EXEC
  Outcome outcome_;
  std::exception_ptr error_;
};

} // namespace redis_toolkit::detail
