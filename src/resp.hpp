#pragma once
// RESP2 encoding and decoding, free of sockets and actors so it can be unit-tested alone.

#include "redis_toolkit/reply.hpp"

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct redisReader;

namespace redis_toolkit::resp {

/// Appends one command ("*N\r\n$len\r\narg\r\n...") to `out`; arguments are binary-safe.
void append_command(std::string& out, std::initializer_list<std::string_view> arguments);
void append_command(std::string& out, const std::vector<std::string_view>& arguments);
void append_command(std::string& out, const std::vector<std::string>& arguments);

/// Incremental RESP2 reply parser built on hiredis' redisReader, producing Reply trees directly
/// (custom object functions: no intermediate redisReply allocations).
class ReplyDecoder {
public:
  ReplyDecoder();
  ~ReplyDecoder();
  ReplyDecoder(const ReplyDecoder&) = delete;
  ReplyDecoder& operator=(const ReplyDecoder&) = delete;

  /// Hands received bytes to the parser.
  void feed(const char* data, std::size_t size);
  /// Takes the next complete reply; false when more bytes are needed.
  /// Throws std::runtime_error on a protocol error (the connection must be dropped).
  bool next(Reply& out);
  /// Forgets any partial reply (after a reconnect).
  void reset();

private:
  redisReader* reader_ = nullptr;
};

/// Shortens text for error messages and logs without building a copy of a huge value.
std::string abbreviate(std::string_view text, std::size_t limit = 64);

} // namespace redis_toolkit::resp
