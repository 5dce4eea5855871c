#include "redis_toolkit/key_slot.hpp"

#include <array>

namespace redis_toolkit {
namespace {

constexpr std::array<std::uint16_t, 256> make_crc16_table() {
  std::array<std::uint16_t, 256> table{};
  for (unsigned byte = 0; byte < 256; ++byte) {
    std::uint16_t crc = static_cast<std::uint16_t>(byte << 8);
    for (int bit = 0; bit < 8; ++bit)
      crc = static_cast<std::uint16_t>((crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1);
    table[byte] = crc;
  }
  return table;
}

constexpr auto crc16_table = make_crc16_table();

/// Two bytes at a time: the CRC is linear, so the byte-at-a-time step applied twice to
/// x = crc ^ (b0 << 8 | b1) is pair_table[x >> 8] ^ crc16_table[x & 0xff], two loads that do
/// not wait for each other where the plain loop waits for one load per byte.
constexpr std::array<std::uint16_t, 256> make_pair_table() {
  std::array<std::uint16_t, 256> table{};
  for (unsigned i = 0; i < 256; ++i) {
    const std::uint16_t once = crc16_table[i];
    table[i] = static_cast<std::uint16_t>(((once & 0xff) << 8) ^ crc16_table[once >> 8]);
  }
  return table;
}

constexpr auto pair_table = make_pair_table();

std::uint16_t crc16(std::string_view data) noexcept {
  std::uint16_t crc = 0;
  std::size_t at = 0;
  for (; at + 2 <= data.size(); at += 2) {
    const auto x = static_cast<std::uint16_t>(
        crc ^ (static_cast<unsigned char>(data[at]) << 8) ^ static_cast<unsigned char>(data[at + 1]));
    crc = static_cast<std::uint16_t>(pair_table[x >> 8] ^ crc16_table[x & 0xff]);
  }
  if (at < data.size())
    crc = static_cast<std::uint16_t>((crc << 8) ^
                                     crc16_table[((crc >> 8) ^ static_cast<unsigned char>(data[at])) & 0xff]);
  return crc;
}

} // namespace

std::uint16_t key_slot(std::string_view key) noexcept {
  const auto open = key.find('{');
  if (open != std::string_view::npos) {
    const auto close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1)
      key = key.substr(open + 1, close - open - 1);
  }
  return static_cast<std::uint16_t>(crc16(key) % cluster_slot_count);
}

std::string hash_tag_key(std::string_view tag, std::string_view suffix) {
  std::string key;
  key.reserve(tag.size() + suffix.size() + 3);
  key += '{';
  key += tag;
  key += "}:";
  key += suffix;
  return key;
}

} // namespace redis_toolkit
