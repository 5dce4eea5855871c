#include "base64.hpp"

#include <array>
#include <cstdint>

namespace redis_toolkit::base64 {
namespace {

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::uint8_t not_base64 = 0xff;

constexpr std::array<std::uint8_t, 256> make_decode_table() {
  std::array<std::uint8_t, 256> table{};
  for (auto& entry : table) entry = not_base64;
  for (std::uint8_t i = 0; i < 64; ++i) table[static_cast<unsigned char>(alphabet[i])] = i;
  return table;
}
constexpr auto decode_table = make_decode_table();

std::uint8_t sextet(char c) { return decode_table[static_cast<unsigned char>(c)]; }

} // namespace

void encode(std::string_view raw, char* dst) noexcept {
  const auto* src = reinterpret_cast<const unsigned char*>(raw.data());
  std::size_t remaining = raw.size();
  for (; remaining >= 3; remaining -= 3, src += 3) {
    const std::uint32_t group = std::uint32_t{src[0]} << 16 | std::uint32_t{src[1]} << 8 | src[2];
    *dst++ = alphabet[group >> 18];
    *dst++ = alphabet[group >> 12 & 0x3f];
    *dst++ = alphabet[group >> 6 & 0x3f];
    *dst++ = alphabet[group & 0x3f];
  }
  if (remaining == 0) return;
  const std::uint32_t group = std::uint32_t{src[0]} << 16 | (remaining == 2 ? src[1] << 8 : 0);
  *dst++ = alphabet[group >> 18];
  *dst++ = alphabet[group >> 12 & 0x3f];
  *dst++ = remaining == 2 ? alphabet[group >> 6 & 0x3f] : '=';
  *dst = '=';
}

bool decode(std::string_view text, std::string& out) {
  out.clear();
  if (text.size() % 4 != 0) return false;
  std::size_t padding = 0;
  if (!text.empty() && text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  out.resize(text.size() / 4 * 3 - padding);

  char* dst = out.data();
  const std::size_t full_groups = text.size() / 4 - (padding ? 1 : 0);
  const char* src = text.data();
  for (std::size_t i = 0; i < full_groups; ++i, src += 4) {
    const std::uint8_t a = sextet(src[0]), b = sextet(src[1]), c = sextet(src[2]),
                       d = sextet(src[3]);
    if ((a | b | c | d) > 63) return false; // not_base64 sets the high bits
    const std::uint32_t group = std::uint32_t{a} << 18 | std::uint32_t{b} << 12 | c << 6 | d;
    *dst++ = static_cast<char>(group >> 16);
    *dst++ = static_cast<char>(group >> 8 & 0xff);
    *dst++ = static_cast<char>(group & 0xff);
  }
  if (padding == 0) return true;

  // The last group holds one byte ("xx==") or two ("xxx="); '=' may appear nowhere else.
  const std::uint8_t a = sextet(src[0]), b = sextet(src[1]);
  const std::uint8_t c = padding == 1 ? sextet(src[2]) : 0;
  if ((a | b | c) > 63) return false;
  const std::uint32_t group = std::uint32_t{a} << 18 | std::uint32_t{b} << 12 | c << 6;
  *dst++ = static_cast<char>(group >> 16);
  if (padding == 1) *dst = static_cast<char>(group >> 8 & 0xff);
  return true;
}

} // namespace redis_toolkit::base64
