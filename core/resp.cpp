#include "resp.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace redis_toolkit::resp {
namespace {

std::size_t decimal_digits(std::size_t number) {
  std::size_t digits = 1;
  for (; number >= 10; number /= 10) ++digits;
  return digits;
}

/// Writes `number` in decimal at `at`; returns the position after it.
char* write_decimal(char* at, std::size_t number) {
  return std::to_chars(at, at + 20, number).ptr;
}

char* write_text(char* at, std::string_view text) {
  if (!text.empty()) std::memcpy(at, text.data(), text.size());
  return at + text.size();
}

template <typename Range>
void append_command_range(std::string& out, const Range& arguments, std::size_t count) {
  // The exact size first, then written in place: every command sent is encoded here, and
  // appending piece by piece cost a capacity check and a call per piece.
  std::size_t needed = 1 + decimal_digits(count) + 2;
  for (const auto& argument : arguments) {
    const std::size_t size = std::string_view(argument).size();
    needed += 1 + decimal_digits(size) + 2 + size + 2;
  }
  const std::size_t start = out.size();
  out.resize(start + needed);
  char* at = out.data() + start;
  *at++ = '*';
  at = write_decimal(at, count);
  at = write_text(at, "\r\n");
  for (const auto& argument : arguments) {
    const std::string_view text(argument);
    *at++ = '$';
    at = write_decimal(at, text.size());
    at = write_text(at, "\r\n");
    at = write_text(at, text);
    at = write_text(at, "\r\n");
  }
}

char hex_digit(unsigned value) { return "0123456789abcdef"[value & 0xfu]; }

std::string hex_byte(char byte) {
  const auto value = static_cast<unsigned char>(byte);
  return {hex_digit(value >> 4u), hex_digit(value)};
}

} // namespace

void append_command(std::string& out, std::initializer_list<std::string_view> arguments) {
  append_command_range(out, arguments, arguments.size());
}

void append_command(std::string& out, const std::vector<std::string_view>& arguments) {
  append_command_range(out, arguments, arguments.size());
}

void append_command(std::string& out, const std::vector<std::string>& arguments) {
  append_command_range(out, arguments, arguments.size());
}

// ---- Reply decoding ----
//
// Rules the decoder keeps, whatever the server sends:
// - a reply's announced sizes are checked against what is left of its budget (max_reply_size) before
//   anything is allocated for them: a bulk length larger than the rest of the budget, or an
//   aggregate whose elements (each at least three bytes on the wire) could not fit in it, is a
//   DecodeError;
// - aggregates grow as their elements arrive; memory reserved for them never exceeds what the bytes
//   already received could hold;
// - nesting is bounded, and a header line that runs on without CRLF is an error, not a wait.

namespace {

// A header ("$123", "*4", ":-7") is a type byte, at most 20 digits and a sign.
constexpr std::size_t longest_header_line = 32;
// Each element of an aggregate takes at least this many bytes on the wire (":\r\n" is the shortest
// RESP3 element; RESP2's shortest is "+\r\n").
constexpr std::size_t smallest_element_bytes = 3;

bool parse_signed(const char* first, const char* last, std::int64_t& value) {
  if (first == last) return false;
  auto result = std::from_chars(first, last, value);
  return result.ec == std::errc() && result.ptr == last;
}

} // namespace

ReplyDecoder::ReplyDecoder(std::size_t max_reply_size) : max_reply_size_(max_reply_size) {}

ReplyDecoder::~ReplyDecoder() = default;

void ReplyDecoder::reset() {
  buffer_.clear();
  buffer_.shrink_to_fit(); // a reconnect gives back what a large reply left behind
  position_ = 0;
  clear_partial();
}

void ReplyDecoder::set_max_reply_size(std::size_t bytes) { max_reply_size_ = bytes; }

void ReplyDecoder::clear_partial() {
  open_.clear();
  root_ = Reply();
  root_open_ = false;
  reply_bytes_ = 0;
}

void ReplyDecoder::feed(const char* data, std::size_t size) {
  if (position_ > 0) { // drop what complete elements consumed before growing the buffer
    buffer_.erase(0, position_);
    position_ = 0;
  }
  buffer_.append(data, size);
}

void ReplyDecoder::fail(const std::string& reason) {
  // The stream cannot be resynchronised: the caller drops the connection and calls reset().
  clear_partial();
  buffer_.clear();
  position_ = 0;
  throw DecodeError(reason);
}

Reply& ReplyDecoder::place() {
  if (open_.empty()) {
    root_open_ = true;
    return root_;
  }
  OpenAggregate& parent = open_.back();
  parent.reply->elements.emplace_back();
  return parent.reply->elements.back();
}

void ReplyDecoder::charge(std::size_t bytes) {
  reply_bytes_ += bytes;
}

std::size_t ReplyDecoder::budget_left() const {
  return reply_bytes_ >= max_reply_size_ ? 0 : max_reply_size_ - reply_bytes_;
}

bool ReplyDecoder::close_finished() {
  // Called after an element was placed: closes every aggregate that is now complete.
  while (!open_.empty()) {
    OpenAggregate& top = open_.back();
    if (top.reply->elements.size() < top.expected) return false;
    open_.pop_back();
  }
  return true; // the root is complete
}

bool ReplyDecoder::next(Reply& out) {
  const char* const data = buffer_.data();
  const std::size_t size = buffer_.size();
  while (position_ < size) {
    const std::size_t start = position_;
    const char* line = data + start + 1;
    const std::size_t available = size - start;
    // The end of the header line.
    const void* found = std::memchr(data + start, '\r', available);
    const std::size_t scan_limit = budget_left() + 2;
    const char type = data[start];
    const bool header = type == '$' || type == '*' || type == ':' || type == '%' || type == '~' ||
                        type == '>' || type == '=' || type == '!' || type == '_' || type == '#' ||
                        type == ',' || type == '(';
    if (found == nullptr || static_cast<const char*>(found) + 1 >= data + size) {
      // No complete line yet: wait, unless the line is already longer than it may be.
      const std::size_t limit = header ? longest_header_line : scan_limit;
      if (available > limit && (type == '+' || type == '-' || header))
        fail(std::string("a reply line of more than ") + std::to_string(limit) +
             " bytes without CRLF");
      if (type != '+' && type != '-' && !header)
        fail(std::string("unexpected reply type byte 0x") + hex_byte(type));
      return false;
    }
    const char* cr = static_cast<const char*>(found);
    if (cr[1] != '\n') fail("a reply line ends in CR without LF");
    const std::size_t line_length = static_cast<std::size_t>(cr - line);
    const std::size_t line_bytes = line_length + 3; // type byte, text, CRLF
    if (header && line_bytes > longest_header_line)
      fail("a reply header of " + std::to_string(line_bytes) + " bytes");
    if (line_bytes > budget_left())
      fail("a reply larger than max_reply_size (" + std::to_string(max_reply_size_) + " bytes)");

    switch (type) {
      case '+':
      case '-': {
        Reply& reply = place();
        reply.type = type == '+' ? Reply::Type::status : Reply::Type::error;
        reply.text.assign(line, line_length);
        break;
      }
      case ':':
      case '(':
      case ',':
      case '#':
      case '_': {
        Reply& reply = place();
        if (type == ':') {
          std::int64_t value = 0;
          if (!parse_signed(line, cr, value)) fail("a malformed integer reply");
          reply.type = Reply::Type::integer;
          reply.integer = value;
        } else if (type == '#') {
          if (line_length != 1 || (line[0] != 't' && line[0] != 'f'))
            fail("a malformed boolean reply");
          reply.type = Reply::Type::integer;
          reply.integer = line[0] == 't' ? 1 : 0;
        } else if (type == '_') {
          reply.type = Reply::Type::nil;
        } else { // big number, double: their text
          reply.type = Reply::Type::string;
          reply.text.assign(line, line_length);
        }
        break;
      }
      case '$':
      case '=':
      case '!': {
        std::int64_t length = 0;
        if (!parse_signed(line, cr, length) || length < -1) fail("a malformed bulk length");
        if (length == -1) {
          place().type = Reply::Type::nil;
          break;
        }
        const auto bytes = static_cast<std::uint64_t>(length);
        // Checked before anything is buffered or allocated for it.
        if (bytes + 2 > budget_left() - line_bytes)
          fail("a bulk string of " + std::to_string(bytes) +
               " bytes, more than max_reply_size (" + std::to_string(max_reply_size_) +
               " bytes) allows");
        const std::size_t needed = line_bytes + static_cast<std::size_t>(bytes) + 2;
        // The buffer grows with what arrives, never to the announced size ahead of it.
        if (available < needed) return false;
        const char* text = cr + 2;
        if (text[bytes] != '\r' || text[bytes + 1] != '\n')
          fail("a bulk string not followed by CRLF");
        Reply& reply = place();
        reply.type = type == '!' ? Reply::Type::error : Reply::Type::string;
        reply.text.assign(text, static_cast<std::size_t>(bytes));
        position_ = start + needed;
        charge(needed);
        if (close_finished()) return take(out);
        continue;
      }
      case '*':
      case '%':
      case '~':
      case '>': {
        std::int64_t count = 0;
        if (!parse_signed(line, cr, count) || count < -1) fail("a malformed aggregate length");
        if (count == -1) {
          place().type = Reply::Type::nil;
          break;
        }
        auto elements = static_cast<std::uint64_t>(count);
        if (type == '%') {
          if (elements > std::numeric_limits<std::uint64_t>::max() / 2)
            fail("a malformed aggregate length");
          elements *= 2; // a map: keys and values, alternating
        }
        const std::size_t left = budget_left() - line_bytes;
        if (elements > left / smallest_element_bytes)
          fail("an array of " + std::to_string(elements) +
               " elements, more than max_reply_size (" + std::to_string(max_reply_size_) +
               " bytes) could hold");
        if (open_.size() >= max_nesting) fail("replies nested more than " +
                                              std::to_string(max_nesting) + " deep");
        Reply& reply = place();
        reply.type = Reply::Type::array;
        position_ = start + line_bytes;
        charge(line_bytes);
        if (elements == 0) {
          if (close_finished()) return take(out);
          continue;
        }
        // Room for the elements the bytes already here could hold, never the announced count.
        const std::size_t could_hold = (size - position_) / smallest_element_bytes;
        reply.elements.reserve(std::min<std::uint64_t>(elements, could_hold));
        open_.push_back(OpenAggregate{&reply, static_cast<std::size_t>(elements)});
        continue;
      }
      case '|':
        fail("RESP3 attributes are not supported");
        break;
      default:
        fail(std::string("unexpected reply type byte 0x") + hex_byte(type));
    }
    position_ = start + line_bytes;
    charge(line_bytes);
    if (close_finished()) return take(out);
  }
  return false;
}

bool ReplyDecoder::take(Reply& out) {
  out = std::move(root_);
  root_ = Reply();
  root_open_ = false;
  reply_bytes_ = 0;
  if (position_ == buffer_.size()) { // everything consumed: start the buffer over
    position_ = 0;
    buffer_.clear();
  }
  return true;
}

std::string abbreviate(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return std::string(text);
  return std::string(text.substr(0, limit)) + "...(" + std::to_string(text.size()) + " bytes)";
}

} // namespace redis_toolkit::resp
