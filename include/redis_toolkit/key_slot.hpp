#pragma once
// Redis Cluster key slots: CRC16 (XMODEM) of the key, or of its hash tag, modulo 16384.
//
//   redis_toolkit::key_slot("user:1000");          // 1649
//   redis_toolkit::key_slot("{user:123}:cart") == redis_toolkit::key_slot("{user:123}:orders");
//   redis_toolkit::hash_tag_key("user:123", "cart") // "{user:123}:cart"

#include <cstdint>
#include <string>
#include <string_view>

namespace redis_toolkit {

inline constexpr std::uint16_t cluster_slot_count = 16384;

/// The slot of `key`; only the part between the first '{' and the next '}' counts when non-empty.
std::uint16_t key_slot(std::string_view key) noexcept;

/// A key that lands in the slot of `tag`: "{tag}:suffix".
std::string hash_tag_key(std::string_view tag, std::string_view suffix);

} // namespace redis_toolkit
