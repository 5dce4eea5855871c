#include "redis_toolkit/typed_codec.hpp"

namespace redis_toolkit::detail {
namespace {

constexpr std::string_view magic = "RTKC";
constexpr char format_version = 1;
constexpr std::size_t hash_size = 8;
constexpr std::size_t header_size = magic.size() + 1 + hash_size;

std::uint64_t fnv1a_64(std::string_view text) {
  std::uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

} // namespace

std::string typed_header(std::string_view type_name) {
  std::string header(magic);
  header += format_version;
  const std::uint64_t hash = fnv1a_64(type_name);
  for (std::size_t i = 0; i < hash_size; ++i) header += static_cast<char>(hash >> (8 * i) & 0xff);
  return header;
}

std::string_view typed_payload(std::string_view stored, std::string_view type_name,
                               std::string_view key) {
  if (stored.substr(0, magic.size()) != magic) {
    throw_typed_error("not a typed value (no RTKC header); wire-format values are read with "
                      "deserialize_value",
                      key);
  }
  if (stored.size() < header_size) throw_typed_error("truncated typed-value header", key);
  if (stored[magic.size()] != format_version) {
    throw_typed_error("unsupported typed-value format version " +
                          std::to_string(static_cast<unsigned char>(stored[magic.size()])),
                      key);
  }
  const std::string expected = typed_header(type_name);
  if (stored.substr(0, header_size) != expected) {
    throw_typed_error("stored for another type than " + std::string(type_name), key);
  }
  return stored.substr(header_size);
}

void throw_typed_error(const std::string& reason, std::string_view key) {
  throw SerializationError(reason, std::string(key));
}

} // namespace redis_toolkit::detail
