#pragma once
// Every toolkit operation defined once: the commands it sends (validated and encoded before
// anything is sent) and how its replies become the result or a typed error. The blocking facade,
// the async toolkit and the toolkit actor all run these and add no logic of their own.

#include "inline_function.hpp"
#include "operations.hpp"

#include "redis_toolkit/batch.hpp"
#include "redis_toolkit/cluster_types.hpp"
#include "redis_toolkit/pubsub.hpp"

#include <functional>

namespace redis_toolkit::detail {

/// Turns the replies (one per command, in order) into the result; throws the typed error. Room
/// inside for what the decoders here capture (a server's name, a key, a word or two, or another
/// decoder), so that a call's decoder costs no allocation of its own.
inline constexpr std::size_t decoder_capacity = 96;
template <typename T>
using Decoder = InlineFunction<T(std::vector<Reply>&), decoder_capacity>;

template <typename T>
struct PlannedOperation {
  const char* name = "";          ///< the toolkit's name for it, for error messages
  CommandRequest request;
  Decoder<T> decode;
};

PlannedOperation<void> plan_setter(const OperationContext& context, std::string_view key,
                                   const Value& value);
PlannedOperation<void> plan_setter_with_ttl(const OperationContext& context, std::string_view key,
                                            const Value& value, std::int64_t seconds);
/// SET then WAIT replicas timeout, both on the key's connection (WAIT covers that connection's
/// writes); decodes to the number of replicas that acknowledged.
PlannedOperation<std::int64_t> plan_setter_durable(const OperationContext& context,
                                                   std::string_view key, const Value& value,
                                                   int replicas, std::chrono::milliseconds timeout);
PlannedOperation<void> plan_set_raw(const OperationContext& context, std::string_view key,
                                    std::string bytes);
PlannedOperation<std::optional<Value>> plan_getter(const OperationContext& context,
                                                   std::string_view key);
PlannedOperation<std::optional<std::string>> plan_get_raw(const OperationContext& context,
                                                          std::string_view key);
PlannedOperation<bool> plan_deleter(const OperationContext& context, std::string_view key);
PlannedOperation<std::int64_t> plan_get_ttl(const OperationContext& context, std::string_view key);
/// `name`: the caller's name for it in errors ("batch_set", or "mset_cluster").
PlannedOperation<void> plan_batch_set(const OperationContext& context,
                                      const KeyValues& entries,
                                      const char* name = "batch_set");
PlannedOperation<BatchGetResult> plan_batch_get(const OperationContext& context,
                                                const std::vector<std::string>& keys,
                                                const char* name = "batch_get");
PlannedOperation<std::int64_t> plan_batch_delete(const OperationContext& context,
                                                 const std::vector<std::string>& keys);
PlannedOperation<std::int64_t> plan_publisher(const OperationContext& context,
                                              std::string_view channel, const Value& value,
                                              PubSubKind kind = PubSubKind::classic);
/// CLUSTER NODES of any master, one entry per node; ClusterError on a server without cluster.
PlannedOperation<std::vector<ClusterNodeInfo>> plan_nodes_info(const OperationContext& context);
/// Decodes to false instead of throwing: health_check never throws.
PlannedOperation<bool> plan_health_check(const OperationContext& context);

} // namespace redis_toolkit::detail
