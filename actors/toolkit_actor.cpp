#include "toolkit_actor.hpp"

#include "command_operations.hpp"
#include "toolkit_operations.hpp"

#include "redis_toolkit/errors.hpp"

#include <caf/all.hpp>

namespace redis_toolkit {
namespace {

// The error's context: reason, subject (key, server or node), operation, the full what() text.
caf::error toolkit_error(ErrorKind kind, const std::string& reason, const std::string& subject,
                         const std::string& operation, const std::string& what) {
  return caf::error(static_cast<std::uint8_t>(kind), error_category,
                    caf::make_message(reason, subject, operation, what));
}

const std::string& context_string(const caf::error& error, std::size_t index) {
  static const std::string empty;
  const auto& context = error.context();
  if (context.size() <= index || !context.match_element<std::string>(index)) return empty;
  return context.get_as<std::string>(index);
}

} // namespace

caf::error make_toolkit_error(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const ValidationError& e) {
    return toolkit_error(ErrorKind::validation, e.reason(), e.key(), "", e.what());
  } catch (const SerializationError& e) {
    return toolkit_error(ErrorKind::serialization, e.reason(), e.key(), "", e.what());
  } catch (const ProtocolError& e) {
    return toolkit_error(ErrorKind::protocol, e.reason(), e.server(), e.operation(), e.what());
  } catch (const OverloadError& e) {
    return toolkit_error(ErrorKind::overload, e.reason(), e.server(), e.operation(), e.what());
  } catch (const TimeoutError& e) {
    return toolkit_error(ErrorKind::timeout, e.reason(), e.server(), e.operation(), e.what());
  } catch (const ConnectionError& e) {
    return toolkit_error(ErrorKind::connection, e.reason(), e.server(), e.operation(), e.what());
  } catch (const CommandError& e) {
    return toolkit_error(ErrorKind::command, e.reason(), e.server(), e.operation(), e.what());
  } catch (const ClusterError& e) {
    return toolkit_error(ErrorKind::cluster, e.reason(), e.node(), "", e.what());
  } catch (const BatchError& e) {
    return toolkit_error(ErrorKind::batch, e.reason(), "", e.operation(), e.what());
  } catch (const std::exception& e) {
    return toolkit_error(ErrorKind::other, e.what(), "", "", e.what());
  } catch (...) {
    return toolkit_error(ErrorKind::other, "unknown error", "", "", "unknown error");
  }
}

std::optional<ErrorKind> error_kind(const caf::error& error) {
  if (error.category() != error_category) return std::nullopt;
  return static_cast<ErrorKind>(error.code());
}

std::string error_text(const caf::error& error) {
  if (error.category() != error_category) return "caf error " + std::to_string(error.code());
  return context_string(error, 3);
}

void rethrow_error(const caf::error& error) {
  const auto kind = error_kind(error);
  if (!kind) throw RedisToolkitError("RedisToolkitError", "", error_text(error));
  const std::string& reason = context_string(error, 0);
  const std::string& subject = context_string(error, 1);
  const std::string& operation = context_string(error, 2);
  switch (*kind) {
    case ErrorKind::validation: throw ValidationError(reason, subject);
    case ErrorKind::serialization: throw SerializationError(reason, subject);
    case ErrorKind::timeout: throw TimeoutError(subject, operation, reason);
    case ErrorKind::connection: throw ConnectionError(subject, operation, reason);
    case ErrorKind::command: throw CommandError(subject, operation, reason);
    case ErrorKind::cluster: throw ClusterError(reason, subject);
    case ErrorKind::batch: throw RedisToolkitError("BatchError", operation, reason);
    case ErrorKind::protocol: throw ProtocolError(subject, operation, reason);
    case ErrorKind::overload: throw OverloadError(subject, operation, reason);
    case ErrorKind::other: break;
  }
  throw RedisToolkitError("RedisToolkitError", "", reason);
}

namespace detail {
namespace {

struct ToolkitActorState {
  caf::actor router;
  CommandTableHandle command_table; ///< learned on the first command

  RedisOptions options;
  std::string server;
  bool cluster = false;
  static inline const char* name = "rtk_toolkit_actor";
  OperationContext context() const { return {options, server, cluster}; }
};

using ToolkitActorPointer = ToolkitActor::stateful_pointer<ToolkitActorState>;

/// Asks the router for `planned`, answers `promise` with the decoded result.
template <typename Reply_, typename Result_, typename Convert>
void forward_planned(ToolkitActorPointer self, std::optional<PlannedOperation<Result_>>& planned,
                     caf::typed_response_promise<Reply_> promise, Convert convert) {
  const std::string server = self->state.server;
  const char* name = planned->name;
  self->request(self->state.router, caf::infinite, exec_atom::value, std::move(planned->request))
      .then(
          [promise, convert, decode = std::move(planned->decode)](std::vector<Reply>& replies) mutable {
            try {
              promise.deliver(convert(decode, replies));
            } catch (...) {
              promise.deliver(make_toolkit_error(std::current_exception()));
            }
          },
          [self, promise, server, name](caf::error& error) mutable {
            promise.deliver(make_toolkit_error(std::make_exception_ptr(ConnectionError(
                server, name, "router unavailable: " + self->system().render(error)))));
          });
}

/// Plans (a refusal is answered at once), asks the router, answers with the decoded result.
template <typename Reply_, typename Result_, typename Plan, typename Convert>
caf::result<Reply_> forward(ToolkitActorPointer self, Plan plan, Convert convert) {
  std::optional<PlannedOperation<Result_>> planned;
  try {
    planned.emplace(plan(self->state.context()));
  } catch (...) {
    return make_toolkit_error(std::current_exception());
  }
  auto promise = self->template make_response_promise<Reply_>();
  forward_planned(self, planned, promise, convert);
  return promise;
}

/// An operation routed by the server's command table: the table is learned first, once.
template <typename T, typename Plan>
caf::result<T> forward_with_table(ToolkitActorPointer self, Plan plan) {
  auto as_is = [](auto& decode, std::vector<Reply>& replies) { return decode(replies); };
  if (self->state.command_table)
    return forward<T, T>(self, [&](auto context) { return plan(context, *self->state.command_table); },
                         as_is);
  auto promise = self->template make_response_promise<T>();
  auto load = plan_command_table(self->state.context());
  self->request(self->state.router, caf::infinite, exec_atom::value, std::move(load.request))
      .then(
          [self, promise, plan, as_is, decode = std::move(load.decode)](
              std::vector<Reply>& replies) mutable {
            std::optional<PlannedOperation<T>> planned;
            try {
              if (!self->state.command_table) self->state.command_table = decode(replies);
              planned.emplace(plan(self->state.context(), *self->state.command_table));
            } catch (...) {
              promise.deliver(make_toolkit_error(std::current_exception()));
              return;
            }
            forward_planned(self, planned, promise, as_is);
          },
          [self, promise](caf::error& error) mutable {
            promise.deliver(make_toolkit_error(std::make_exception_ptr(ConnectionError(
                self->state.server, "COMMAND", "router unavailable: " + self->system().render(error)))));
          });
  return promise;
}

/// Operations with a result answer it as it is.
template <typename T, typename Plan>
caf::result<T> forward_value(ToolkitActorPointer self, Plan plan) {
  return forward<T, T>(self, plan, [](auto& decode, std::vector<Reply>& replies) {
    return decode(replies);
  });
}

/// Operations without a result answer `true` once done.
template <typename Plan>
caf::result<bool> forward_done(ToolkitActorPointer self, Plan plan) {
  return forward<bool, void>(self, plan, [](auto& decode, std::vector<Reply>& replies) {
    decode(replies);
    return true;
  });
}

ToolkitActor::behavior_type toolkit_actor(ToolkitActorPointer self, caf::actor router,
                                          RedisOptions options, std::string server,
                                          bool cluster) {
  self->state.router = std::move(router);
  self->state.options = std::move(options);
  self->state.server = std::move(server);
  self->state.cluster = cluster;
  return {
      [self](setter_atom, const std::string& key, const Value& value) {
        return forward_done(self, [&](auto context) { return plan_setter(context, key, value); });
      },
      [self](setter_atom, const std::string& key, const Value& value, std::int64_t seconds) {
        return forward_done(
            self, [&](auto context) { return plan_setter_with_ttl(context, key, value, seconds); });
      },
      [self](getter_atom, const std::string& key) {
        return forward_value<std::optional<Value>>(
            self, [&](auto context) { return plan_getter(context, key); });
      },
      [self](deleter_atom, const std::string& key) {
        return forward_value<bool>(self, [&](auto context) { return plan_deleter(context, key); });
      },
      [self](ttl_atom, const std::string& key) {
        return forward_value<std::int64_t>(self,
                                           [&](auto context) { return plan_get_ttl(context, key); });
      },
      [self](batch_set_atom, const KeyValues& entries) {
        return forward_done(
            self, [&](auto context) { return plan_batch_set(context, entries); });
      },
      [self](batch_get_atom, const std::vector<std::string>& keys) {
        return forward_value<BatchGetResult>(
            self, [&](auto context) { return plan_batch_get(context, keys); });
      },
      [self](batch_delete_atom, const std::vector<std::string>& keys) {
        return forward_value<std::int64_t>(
            self, [&](auto context) { return plan_batch_delete(context, keys); });
      },
      [self](publish_atom, const std::string& channel, const Value& value) {
        return forward_value<std::int64_t>(
            self, [&](auto context) { return plan_publisher(context, channel, value); });
      },
      [self](command_atom, const CommandArguments& arguments) {
        return forward_with_table<Reply>(
            self, [arguments](auto context, const CommandTable& table) {
              return plan_command(context, table, arguments);
            });
      },
      [self](pipeline_atom, const std::vector<CommandArguments>& commands) {
        return forward_with_table<std::vector<Reply>>(
            self, [commands](auto context, const CommandTable& table) {
              return plan_pipeline(context, table, commands);
            });
      },
      [self](health_atom) -> caf::result<bool> {
        auto promise = self->make_response_promise<bool>();
        auto health = plan_health_check(self->state.context());
        self->request(self->state.router, caf::infinite, exec_atom::value,
                      std::move(health.request))
            .then(
                [promise, decode = std::move(health.decode)](std::vector<Reply>& replies) mutable {
                  promise.deliver(decode(replies));
                },
                [promise](caf::error&) mutable { promise.deliver(false); });
        return promise;
      },
  };
}

} // namespace

ToolkitActor spawn_toolkit_actor(caf::actor_system& system, caf::actor router, RedisOptions options,
                                 std::string server, bool cluster) {
  return system.spawn(toolkit_actor, std::move(router), std::move(options), std::move(server),
                      cluster);
}

} // namespace detail
} // namespace redis_toolkit
