#include "redis_toolkit/command.hpp"

#include <array>
#include <cstdint>
#include <string_view>

namespace redis_toolkit {
namespace {

// SHA-1 (FIPS 180-4), only to name scripts as Redis does: not for anything that needs security.
class Sha1 {
public:
  void update(std::string_view data) {
    for (unsigned char byte : data) {
      block_[block_used_++] = byte;
      if (block_used_ == block_.size()) {
        process_block();
        block_used_ = 0;
      }
    }
    length_bits_ += static_cast<std::uint64_t>(data.size()) * 8;
  }

  std::string hex_digest() {
    const std::uint64_t length = length_bits_;
    const unsigned char pad = 0x80;
    update(std::string_view(reinterpret_cast<const char*>(&pad), 1));
    const char zero = 0;
    while (block_used_ != 56) update(std::string_view(&zero, 1));
    std::array<char, 8> length_bytes{};
    for (int i = 0; i < 8; ++i) length_bytes[i] = static_cast<char>(length >> (56 - 8 * i));
    update(std::string_view(length_bytes.data(), length_bytes.size()));
    static const char digits[] = "0123456789abcdef";
    std::string hex;
    for (std::uint32_t word : state_)
      for (int shift = 28; shift >= 0; shift -= 4) hex += digits[(word >> shift) & 0xf];
    return hex;
  }

private:
  static std::uint32_t rotate(std::uint32_t value, int bits) {
    return (value << bits) | (value >> (32 - bits));
  }

  void process_block() {
    std::array<std::uint32_t, 80> w{};
    for (int i = 0; i < 16; ++i)
      w[i] = static_cast<std::uint32_t>(block_[4 * i]) << 24 |
             static_cast<std::uint32_t>(block_[4 * i + 1]) << 16 |
             static_cast<std::uint32_t>(block_[4 * i + 2]) << 8 |
             static_cast<std::uint32_t>(block_[4 * i + 3]);
    for (int i = 16; i < 80; ++i) w[i] = rotate(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    std::uint32_t a = state_[0], b = state_[1], c = state_[2], d = state_[3], e = state_[4];
    for (int i = 0; i < 80; ++i) {
      std::uint32_t f, k;
      if (i < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (i < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6;
      }
      const std::uint32_t next = rotate(a, 5) + f + e + k + w[i];
      e = d;
      d = c;
      c = rotate(b, 30);
      b = a;
      a = next;
    }
    state_[0] += a;
    state_[1] += b;
    state_[2] += c;
    state_[3] += d;
    state_[4] += e;
  }

  std::array<std::uint32_t, 5> state_{0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
  std::array<unsigned char, 64> block_{};
  std::size_t block_used_ = 0;
  std::uint64_t length_bits_ = 0;
};

} // namespace

std::string sha1_hex(std::string_view data) {
  Sha1 sha1;
  sha1.update(data);
  return sha1.hex_digest();
}

Script::Script(std::string source) : source_(std::move(source)), sha1_(sha1_hex(source_)) {}

} // namespace redis_toolkit
