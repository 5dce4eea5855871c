// Fuzzes the RESP reply decoder: any bytes, fed in chunks of any size, under a small and a large
// reply limit. The decoder must return replies or throw DecodeError: never crash, never throw
// anything else, never hold more than the limit allows.
#include "resp.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

namespace {

// Small enough that the limit checks run often; the large one is the default.
constexpr std::size_t small_limit = 4096;

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  // The first byte chooses the chunk size and the limit; the rest is what the server sent.
  const std::size_t chunk = 1 + (data[0] & 0x3f);
  const std::size_t limit =
      (data[0] & 0x40) != 0 ? small_limit : redis_toolkit::resp::default_max_reply_size;
  const char* bytes = reinterpret_cast<const char*>(data + 1);
  const std::size_t length = size - 1;
  redis_toolkit::resp::ReplyDecoder decoder(limit);
  redis_toolkit::Reply reply;
  try {
    for (std::size_t offset = 0; offset < length; offset += chunk) {
      const std::size_t piece = length - offset < chunk ? length - offset : chunk;
      decoder.feed(bytes + offset, piece);
      while (decoder.next(reply)) {
        // A reply's own bytes bound its text: nothing was invented from a header.
        if (reply.text.size() > length) std::abort();
      }
    }
  } catch (const redis_toolkit::resp::DecodeError&) {
    // The typed refusal: a reset decoder must work again.
    decoder.reset();
    decoder.feed(":1\r\n", 4);
    if (!decoder.next(reply) || reply.integer != 1) std::abort();
  }
  return 0;
}
