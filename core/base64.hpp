#pragma once
// Private: standard base64 (RFC 4648 alphabet, '=' padding) without exceptions, so that each
// caller reports a failure as its own error kind (SerializationError, ValidationError, ...).

#include <cstddef>
#include <string>
#include <string_view>

namespace redis_toolkit::base64 {

/// Length of the base64 text of `raw_size` bytes.
constexpr std::size_t encoded_length(std::size_t raw_size) { return (raw_size + 2) / 3 * 4; }

/// Writes the encoded_length(raw.size()) characters of the base64 text of `raw` at `out`.
void encode(std::string_view raw, char* out) noexcept;

/// Replaces `out` with the bytes `text` encodes. Returns false, leaving `out` unspecified, unless
/// `text` is a whole number of 4-character groups from the standard alphabet with '=' only as
/// the last one or two characters (no whitespace, no URL-safe alphabet). Like Python's
/// b64decode, bits below the last full byte are ignored.
bool decode(std::string_view text, std::string& out);

} // namespace redis_toolkit::base64
