#pragma once
// The typed actor interface, for callers that are actors: the toolkit's operations as messages,
// with typed replies, so an actor never blocks on Redis.
//
//   redis_toolkit::ToolkitActor toolkit = async_toolkit.actor();
//   self->request(toolkit, caf::infinite, redis_toolkit::getter_atom::value, std::string("user:1"))
//       .then([](std::optional<Value>& user) { /* nullopt: no such key */ },
//             [](caf::error& error) {
//               // the typed error: redis_toolkit::rethrow_error(error) throws ValidationError, ...
//             });
//
// Errors arrive as caf::error of the category "redis_tk"; error_kind() and error_text() read them,
// rethrow_error() turns one back into the RedisToolkitError subclass it stands for.

#include "redis_toolkit/actor_protocol.hpp"
#include "redis_toolkit/batch.hpp"
#include "redis_toolkit/command.hpp"

#include <caf/error.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace redis_toolkit {

using setter_atom = caf::atom_constant<caf::atom("rtk_set")>;        ///< (key, Value[, ttl seconds]) -> bool
using getter_atom = caf::atom_constant<caf::atom("rtk_get")>;        ///< (key) -> optional<Value>
using deleter_atom = caf::atom_constant<caf::atom("rtk_del")>;       ///< (key) -> bool existed
using ttl_atom = caf::atom_constant<caf::atom("rtk_ttl")>;           ///< (key) -> int64
using batch_set_atom = caf::atom_constant<caf::atom("rtk_mset")>;    ///< (KeyValues) -> bool
using batch_get_atom = caf::atom_constant<caf::atom("rtk_mget")>;    ///< (keys) -> BatchGetResult
using batch_delete_atom = caf::atom_constant<caf::atom("rtk_mdel")>; ///< (keys) -> int64
using publish_atom = caf::atom_constant<caf::atom("rtk_pub")>;       ///< (channel, Value) -> int64
using health_atom = caf::atom_constant<caf::atom("rtk_health")>;     ///< () -> bool, never an error
using command_atom = caf::atom_constant<caf::atom("rtk_cmd")>;       ///< (CommandArguments) -> Reply
using pipeline_atom = caf::atom_constant<caf::atom("rtk_pipe")>;     ///< (vector<CommandArguments>) -> vector<Reply>

using ToolkitActor = caf::typed_actor<
    caf::replies_to<setter_atom, std::string, Value>::with<bool>,
    caf::replies_to<setter_atom, std::string, Value, std::int64_t>::with<bool>,
    caf::replies_to<getter_atom, std::string>::with<std::optional<Value>>,
    caf::replies_to<deleter_atom, std::string>::with<bool>,
    caf::replies_to<ttl_atom, std::string>::with<std::int64_t>,
    caf::replies_to<batch_set_atom, KeyValues>::with<bool>,
    caf::replies_to<batch_get_atom, std::vector<std::string>>::with<BatchGetResult>,
    caf::replies_to<batch_delete_atom, std::vector<std::string>>::with<std::int64_t>,
    caf::replies_to<publish_atom, std::string, Value>::with<std::int64_t>,
    caf::replies_to<health_atom>::with<bool>,
    caf::replies_to<command_atom, CommandArguments>::with<Reply>,
    caf::replies_to<pipeline_atom, std::vector<CommandArguments>>::with<std::vector<Reply>>>;

/// Which RedisToolkitError subclass a caf::error of ours stands for.
enum class ErrorKind : std::uint8_t {
  validation = 1,
  serialization,
  connection,
  timeout,
  command,
  cluster,
  batch, ///< BatchError: the reason lists the keys that failed
  other,
  protocol, ///< ProtocolError
  overload, ///< OverloadError
};

/// The category of the toolkit's caf::errors.
inline constexpr caf::atom_value error_category = caf::atom("redis_tk");

/// The caf::error for the exception `error` (a RedisToolkitError or anything else).
caf::error make_toolkit_error(std::exception_ptr error);
/// The kind of a toolkit error; nullopt for errors of other categories.
std::optional<ErrorKind> error_kind(const caf::error& error);
/// The full what() text of the toolkit error.
std::string error_text(const caf::error& error);
/// Throws the RedisToolkitError the caf::error stands for (a RedisToolkitError for foreign ones).
[[noreturn]] void rethrow_error(const caf::error& error);

} // namespace redis_toolkit

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::optional<redis_toolkit::Value>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(redis_toolkit::KeyValues)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(redis_toolkit::BatchGetResult)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<redis_toolkit::CommandArguments>)
