#pragma once
// RESP2 encoding and decoding, free of sockets and actors so it can be unit-tested alone.

#include "redis_toolkit/reply.hpp"

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace redis_toolkit::resp {

/// Appends one command ("*N\r\n$len\r\narg\r\n...") to `out`; arguments are binary-safe.
void append_command(std::string& out, std::initializer_list<std::string_view> arguments);
void append_command(std::string& out, const std::vector<std::string_view>& arguments);
void append_command(std::string& out, const std::vector<std::string>& arguments);

/// What the decoder throws on bytes that are not a RESP reply, or announce more than the reply limit;
/// the stream cannot be trusted after it and the connection must be dropped.
class DecodeError : public std::runtime_error {
public:
  explicit DecodeError(const std::string& reason) : std::runtime_error("protocol error: " + reason) {}
};

/// Redis's own proto-max-bulk-len; RedisOptions::max_reply_size defaults to it.
inline constexpr std::size_t default_max_reply_size = 512u * 1024u * 1024u;

/// Incremental RESP2 reply parser (RESP3 types are read as their nearest RESP2 kind) producing
/// Reply trees directly. A reply's announced sizes are checked against `max_reply_size` (bytes of the
/// whole reply on the wire) before anything is allocated for them, and aggregates grow as their
/// elements arrive, so a hostile header costs nothing.
class ReplyDecoder {
public:
  explicit ReplyDecoder(std::size_t max_reply_size = default_max_reply_size);
  ~ReplyDecoder();
  ReplyDecoder(const ReplyDecoder&) = delete;
  ReplyDecoder& operator=(const ReplyDecoder&) = delete;

  /// Hands received bytes to the parser.
  void feed(const char* data, std::size_t size);
  /// Takes the next complete reply; false when more bytes are needed.
  /// Throws DecodeError on a protocol error or a reply over the limit (the connection must be
  /// dropped).
  bool next(Reply& out);
  /// Forgets any partial reply and gives back the buffer (after a reconnect).
  void reset();
  void set_max_reply_size(std::size_t bytes);
  std::size_t max_reply_size() const noexcept { return max_reply_size_; }

  /// Aggregates nested deeper than this are refused (Redis itself never nests that deep).
  static constexpr std::size_t max_nesting = 32;

private:
  struct OpenAggregate {
    Reply* reply;          ///< inside its parent's elements; only the innermost one grows
    std::size_t expected;  ///< elements announced
  };

  [[noreturn]] void fail(const std::string& reason);
  Reply& place();
  void charge(std::size_t bytes);
  std::size_t budget_left() const;
  bool close_finished();
  bool take(Reply& out);
  void clear_partial();

  std::size_t max_reply_size_;
  std::string buffer_;
  std::size_t position_ = 0; ///< bytes of buffer_ already turned into elements
  Reply root_;
  bool root_open_ = false;
  std::vector<OpenAggregate> open_;
  std::size_t reply_bytes_ = 0; ///< bytes of the current reply consumed so far
};

/// Shortens text for error messages and logs without building a copy of a huge value.
std::string abbreviate(std::string_view text, std::size_t limit = 64);

} // namespace redis_toolkit::resp
