// Fuzzes the wire-format reader: whatever bytes a key holds, deserialize_value returns a Value or
// throws a typed error (SerializationError), and a value it returns encodes again.
#include "redis_toolkit/errors.hpp"
#include "redis_toolkit/wire_format.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view stored(reinterpret_cast<const char*>(data), size);
  redis_toolkit::Value value;
  try {
    value = redis_toolkit::deserialize_value(stored, "fuzz");
  } catch (const redis_toolkit::RedisToolkitError&) {
    return 0; // refused, typed
  }
  try {
    const std::string again = redis_toolkit::serialize_value(value);
    (void)redis_toolkit::deserialize_value(again);
  } catch (const redis_toolkit::RedisToolkitError&) {
    // A value read from foreign bytes may hold what the writer refuses (strings that are not
    // UTF-8): a typed refusal is the contract.
  }
  return 0;
}
