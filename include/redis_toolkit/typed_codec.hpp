#pragma once
// Typed C++ values (your own structs, std containers) stored through cereal's binary archive.
// FOR C++ READERS ONLY: the Python toolkit and plain clients cannot read these bytes, and the
// payload is in the writer's native byte order. Use Value and the wire format for shared data.
//
//   struct Point {
//     int x = 0, y = 0;
//     std::vector<std::string> tags;
//     template <class Archive> void serialize(Archive& archive) { archive(x, y, tags); }
//   };
//   RTK_TYPE_NAME(Point, "geo.Point");   // at global scope; optional, see type_name
//
//   std::string stored = redis_toolkit::encode_typed(Point{1, 2, {"home"}});
//   Point back = redis_toolkit::decode_typed<Point>(stored, "point:1");
//   redis_toolkit::decode_typed<int>(stored, "point:1");   // throws SerializationError: wrong type
//
// Stored layout: "RTKC", one format-version byte (1), the 64-bit FNV-1a hash of
// type_name<T>::value() (little-endian), then the payload exactly as cereal::BinaryOutputArchive
// writes it. Include cereal/types/<header>.hpp for the std types your struct holds.

#include "redis_toolkit/errors.hpp"

#include <cereal/archives/binary.hpp>
#include <cereal/cereal.hpp>

#include <cstdint>
#include <cstring>
#include <ios>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>

namespace redis_toolkit {

/// The name whose hash tags a stored T, checked when reading it back. The default,
/// typeid(T).name(), differs between compilers and standard libraries; specialise this (or use
/// RTK_TYPE_NAME) with a fixed name when values cross builds, and keep it when renaming the type.
template <typename T>
struct type_name {
  static std::string value() { return typeid(T).name(); }
};

/// Gives `Type` the stable name `Name` (a string literal). Use at global namespace scope, with
/// the type's fully qualified name.
#define RTK_TYPE_NAME(Type, Name)                                                                  \
  template <>                                                                                      \
  struct redis_toolkit::type_name<Type> {                                                          \
    static std::string value() { return Name; }                                                    \
  }

namespace detail {

/// "RTKC", the format version and the type hash of `type_name`: the first bytes of a typed value.
std::string typed_header(std::string_view type_name);

/// The cereal payload of `stored` after checking its header against `type_name`; throws
/// SerializationError naming `key` when the magic, the version or the type does not match.
std::string_view typed_payload(std::string_view stored, std::string_view type_name,
                               std::string_view key);

[[noreturn]] void throw_typed_error(const std::string& reason, std::string_view key);

/// Reads what cereal::BinaryOutputArchive writes, straight from memory, and refuses what would
/// be undefined behaviour or an outsized allocation on damaged input: reading past the end, a
/// bool byte other than 0 or 1, and an element count larger than the bytes left (which means
/// containers of zero-byte elements, such as empty structs, cannot be read back).
class TypedPayloadReader
    : public cereal::InputArchive<TypedPayloadReader, cereal::AllowEmptyClassElision> {
public:
  explicit TypedPayloadReader(std::string_view payload)
      : InputArchive<TypedPayloadReader, cereal::AllowEmptyClassElision>(this), rest_(payload) {}

  void loadBinary(void* data, std::size_t size) {
    if (size > rest_.size()) {
      throw cereal::Exception("truncated payload: " + std::to_string(size) + " bytes needed, " +
                              std::to_string(rest_.size()) + " left");
    }
    if (size != 0) std::memcpy(data, rest_.data(), size);
    rest_.remove_prefix(size);
  }

  std::size_t remaining() const noexcept { return rest_.size(); }

private:
  std::string_view rest_;
};

inline void reject_non_boolean_bytes(const void* data, std::size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < size; ++i) {
    if (bytes[i] > 1) throw cereal::Exception("damaged payload: a bool byte is neither 0 nor 1");
  }
}

template <class T>
std::enable_if_t<std::is_arithmetic_v<T>> CEREAL_LOAD_FUNCTION_NAME(TypedPayloadReader& archive,
                                                                    T& value) {
  archive.loadBinary(std::addressof(value), sizeof value);
  if constexpr (std::is_same_v<T, bool>) reject_non_boolean_bytes(std::addressof(value), 1);
}

template <class T>
void CEREAL_LOAD_FUNCTION_NAME(TypedPayloadReader& archive, cereal::BinaryData<T>& data) {
  archive.loadBinary(data.data, static_cast<std::size_t>(data.size));
  using Element = std::remove_cv_t<std::remove_pointer_t<std::remove_reference_t<T>>>;
  if constexpr (std::is_same_v<Element, bool>) {
    reject_non_boolean_bytes(data.data, static_cast<std::size_t>(data.size));
  }
}

template <class T>
void CEREAL_SERIALIZE_FUNCTION_NAME(TypedPayloadReader& archive, cereal::NameValuePair<T>& pair) {
  archive(pair.value);
}

template <class T>
void CEREAL_SERIALIZE_FUNCTION_NAME(TypedPayloadReader& archive, cereal::SizeTag<T>& tag) {
  archive(tag.size);
  if (tag.size > archive.remaining()) {
    throw cereal::Exception("damaged payload: " + std::to_string(tag.size) +
                            " elements announced, " + std::to_string(archive.remaining()) +
                            " bytes left");
  }
}

} // namespace detail

/// Encodes `value` (any type cereal can serialize) as a typed value; see the top of this file.
template <class T>
std::string encode_typed(const T& value) {
  std::ostringstream stream(detail::typed_header(type_name<T>::value()),
                            std::ios::binary | std::ios::ate);
  {
    cereal::BinaryOutputArchive archive(stream);
    archive(value);
  }
  return stream.str();
}

/// Decodes a value encode_typed<T> stored. Throws SerializationError naming `key` when `stored`
/// is not a typed value (no "RTKC" header: a wire-format value, say), holds another type, or is
/// truncated, damaged or followed by extra bytes. T must be default-constructible.
template <class T>
T decode_typed(std::string_view stored, std::string_view key = {}) {
  static_assert(std::is_default_constructible_v<T>, "decode_typed needs a default-constructible T");
  detail::TypedPayloadReader archive(detail::typed_payload(stored, type_name<T>::value(), key));
  T value{};
  try {
    archive(value);
  } catch (const cereal::Exception& error) {
    detail::throw_typed_error(error.what(), key);
  }
  if (archive.remaining() != 0) {
    detail::throw_typed_error(
        std::to_string(archive.remaining()) + " unexpected bytes after the value", key);
  }
  return value;
}

} // namespace redis_toolkit

// The reader serves types registered for polymorphic serialization too, and pairs with cereal's
// binary output archive so that save_minimal/load_minimal types (enums, ...) resolve.
CEREAL_REGISTER_ARCHIVE(redis_toolkit::detail::TypedPayloadReader)
namespace cereal::traits::detail {
template <>
struct get_output_from_input<redis_toolkit::detail::TypedPayloadReader> {
  using type = cereal::BinaryOutputArchive;
};
} // namespace cereal::traits::detail
