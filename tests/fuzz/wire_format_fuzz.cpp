// Fuzzes the wire-format reader: whatever bytes a key holds, deserialize_value returns a Value or
// throws a typed error (SerializationError), and a value it returns encodes again. Bytes spelled
// as the toolkit spells a wrapper must read as the same bytes spelled otherwise do (the reader
// takes a shorter path for the toolkit's spelling).
#include "redis_toolkit/errors.hpp"
#include "redis_toolkit/wire_format.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace {

std::optional<redis_toolkit::Value> read(std::string_view stored) {
  try {
    return redis_toolkit::deserialize_value(stored, "fuzz");
  } catch (const redis_toolkit::RedisToolkitError&) {
    return std::nullopt;
  }
}

/// `fast`, what `stored` read as, against a respelling that stays a wrapper but leaves the
/// shorter path.
void check_spellings_agree(std::string_view stored, const std::optional<redis_toolkit::Value>& fast) {
  constexpr std::string_view spelled = R"({"__type__": )";
  if (stored.substr(0, spelled.size()) != spelled) return;
  const std::string other = R"({"__type__" : )" + std::string(stored.substr(spelled.size()));
  const std::optional<redis_toolkit::Value> whole = read(other);
  if (fast.has_value() != whole.has_value() || (fast && *fast != *whole)) std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view stored(reinterpret_cast<const char*>(data), size);
  const std::optional<redis_toolkit::Value> value = read(stored);
  check_spellings_agree(stored, value);
  if (!value) return 0; // refused, typed
  try {
    const std::string again = redis_toolkit::serialize_value(*value);
    (void)redis_toolkit::deserialize_value(again);
  } catch (const redis_toolkit::RedisToolkitError&) {
    // A value read from foreign bytes may hold what the writer refuses (strings that are not
    // UTF-8): a typed refusal is the contract.
  }
  return 0;
}
