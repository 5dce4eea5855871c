#include "bounded_input.hpp"

#include "redis_toolkit/errors.hpp"
#include "redis_toolkit/wire_format.hpp"

#include "resp.hpp"

#include <istream>
#include <limits>
#include <string_view>
#include <vector>

namespace rtk {
namespace {

using redis_toolkit::ValidationError;

/// A batch may hold this many times max_value_size in all (validate_batch_size).
constexpr std::size_t batch_factor = 10;
/// Whitespace, or a number or word, up to this long counts as one byte at most: an encoding may
/// drop it (or shorten 0.10000 to 0.1). Beyond it every byte counts, so no run is read unbounded.
constexpr std::size_t free_run = 1024;
/// A key of at most this many characters inside a value may be a marker ($bytes, $tuple) that
/// the encoding drops: it counts nothing.
constexpr std::size_t marker_length = 6;
/// Deeper than parse_cli_json reads (a tuple is two JSON levels, {"$tuple": [...]}), so that it
/// refuses what was read so far for its depth.
constexpr std::size_t deepest_json = 2 * redis_toolkit::max_nesting_depth + 2;

/// Follows the JSON text of an mset as it is read and counts, for each top-level entry, a lower
/// bound of its value's encoded size (see read_mset_input). Not a parser: parse_cli_json reads the
/// text afterwards and says what is wrong with text that is not JSON.
class MsetInputGuard {
public:
  explicit MsetInputGuard(const redis_toolkit::RedisOptions& options)
      : options_(options),
        batch_limit_(options.max_value_size > std::numeric_limits<std::size_t>::max() / batch_factor
                         ? std::numeric_limits<std::size_t>::max()
                         : options.max_value_size * batch_factor) {}

  /// Looks at text[from...], everything read so far being `text`; throws ValidationError as soon
  /// as it breaks a limit.
  void scan(const std::string& text, std::size_t from) {
    text_ = &text;
    for (position_ = from; position_ < text.size(); ++position_) {
      if (in_string_)
        scan_string();
      else
        scan_structure(text[position_]);
    }
  }

private:
  void scan_string() {
    const std::string& text = *text_;
    if (escape_digits_ > 0 || escaped_) { // the rest of an escape sequence, counted at its '\'
      if (escaped_ && text[position_] == 'u') escape_digits_ = 4;
      else if (escape_digits_ > 0) --escape_digits_;
      escaped_ = false;
      if (top_key_) key_text_ += text[position_];
      return;
    }
    // Plain characters up to the next quote or backslash, at once.
    std::size_t end = position_;
    while (end < text.size() && text[end] != '"' && text[end] != '\\') ++end;
    if (end > position_) {
      const std::size_t start = position_;
      position_ = end - 1; // a refusal says how much was read
      if (top_key_) key_text_.append(text, start, end - start);
      add_string_characters(end - start);
      return;
    }
    if (text[position_] == '"') {
      in_string_ = false;
      top_key_ = false;
      return;
    }
    escaped_ = true; // a backslash: one character, whatever it stands for
    if (top_key_) key_text_ += '\\';
    add_string_characters(1);
  }

  void add_string_characters(std::size_t count) {
    const std::size_t before = string_characters_;
    string_characters_ += count;
    if (top_key_) {
      if (options_.enable_validation && string_characters_ > options_.max_key_length)
        refuse("key is at least " + std::to_string(string_characters_) +
               " bytes, longer than max_key_length " + std::to_string(options_.max_key_length));
    } else if (!string_is_key_) {
      add(count);
    } else if (string_characters_ > marker_length) { // a key inside a value, not a marker
      add(before > marker_length ? count : string_characters_);
    }
  }

  void scan_structure(char c) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      in_word_ = false;
      if (++whitespace_run_ > free_run) add(1);
      return;
    }
    whitespace_run_ = 0;
    if (finished_) refuse_as_parser_would(); // text after the object
    if (containers_.empty()) {
      if (c != '{')
        throw ValidationError("mset reads a JSON object {\"key\": value, ...} from standard input");
      containers_.push_back(c);
      expect_key_ = true;
      return;
    }
    const bool top = containers_.size() == 1;
    if (c != '"' && c != '{' && c != '[' && c != '}' && c != ']' && c != ':' && c != ',') {
      // A number or a word (true, false, null, NaN, Infinity).
      word_length_ = in_word_ ? word_length_ + 1 : 1;
      if (!in_word_ || word_length_ > free_run) add(1);
      in_word_ = true;
      return;
    }
    in_word_ = false;
    switch (c) {
      case '"':
        in_string_ = true;
        string_is_key_ = containers_.back() == '{' && expect_key_;
        top_key_ = string_is_key_ && top;
        string_characters_ = 0;
        if (top_key_) key_text_.clear();
        if (!string_is_key_) add(2); // its quotes
        return;
      case '{':
      case '[':
        containers_.push_back(c);
        if (containers_.size() > deepest_json) refuse_as_parser_would();
        if (c == '[') add(1);
        expect_key_ = c == '{';
        return;
      case '}':
      case ']':
        if (c == ']') add(1);
        containers_.pop_back();
        expect_key_ = false;
        if (containers_.empty()) {
          end_entry();
          finished_ = true;
        }
        return;
      case ':':
        expect_key_ = false;
        if (top) {
          in_value_ = true;
          value_size_ = 0;
        }
        return;
      default: // ','
        expect_key_ = containers_.back() == '{';
        if (top)
          end_entry();
        else
          add(1);
        return;
    }
  }

  void end_entry() {
    batch_size_ += value_size_;
    value_size_ = 0;
    in_value_ = false;
  }

  /// `bytes` more of the encoding, at least: of the current entry's value, or of the batch.
  void add(std::size_t bytes) {
    if (!options_.enable_validation) return;
    if (in_value_) {
      value_size_ += bytes;
      if (value_size_ > options_.max_value_size)
        refuse("value is at least " + std::to_string(value_size_) +
               " bytes encoded, larger than max_value_size " +
               std::to_string(options_.max_value_size));
    } else {
      batch_size_ += bytes;
    }
    if (batch_size_ + value_size_ > batch_limit_)
      throw ValidationError("batch is at least " + std::to_string(batch_size_ + value_size_) +
                            " bytes, larger than " + std::to_string(batch_limit_) +
                            " (10 x max_value_size)" + read_so_far());
  }

  [[noreturn]] void refuse(const std::string& reason) const {
    throw ValidationError(reason + read_so_far(), redis_toolkit::resp::abbreviate(current_key()));
  }

  std::string read_so_far() const {
    return "; refused after reading " + std::to_string(position_ + 1) +
           " bytes of standard input";
  }

  /// The key of the entry being read, decoded when it can be.
  std::string current_key() const {
    try {
      const redis_toolkit::Value key = redis_toolkit::parse_cli_json('"' + key_text_ + '"');
      if (key.is_string()) return key.as_string();
    } catch (const ValidationError&) {
      // Cut inside an escape sequence (the key is too long): its text as read.
    }
    return key_text_;
  }

  /// Text that cannot become valid (nested too deep, more after the object): the reader's own
  /// message for what was read so far, which already shows the fault.
  [[noreturn]] void refuse_as_parser_would() const {
    redis_toolkit::parse_cli_json(std::string_view(*text_).substr(0, position_ + 1));
    throw ValidationError("invalid JSON value at byte " + std::to_string(position_));
  }

  const redis_toolkit::RedisOptions& options_;
  const std::size_t batch_limit_;
  const std::string* text_ = nullptr;
  std::size_t position_ = 0;

  std::vector<char> containers_; ///< '{' and '[' open at the current position
  bool expect_key_ = false;      ///< in an object, before a key
  bool finished_ = false;        ///< the top-level object is closed
  bool in_word_ = false;
  std::size_t word_length_ = 0;
  std::size_t whitespace_run_ = 0;

  bool in_string_ = false;
  bool string_is_key_ = false;
  bool top_key_ = false; ///< the string is a key of the top-level object: kept in key_text_
  bool escaped_ = false; ///< after a backslash
  int escape_digits_ = 0; ///< hex digits of a \uXXXX still to come
  std::size_t string_characters_ = 0;
  std::string key_text_;

  bool in_value_ = false;      ///< after a top-level key's ':', before the ',' or '}' that ends it
  std::size_t value_size_ = 0; ///< of the current entry's value, at least
  std::size_t batch_size_ = 0; ///< of the entries before it, at least
};

} // namespace

std::string read_mset_input(std::istream& in, const redis_toolkit::RedisOptions& options) {
  MsetInputGuard guard(options);
  std::string text;
  while (in) {
    const std::size_t start = text.size();
    text.resize(start + input_chunk_size);
    in.read(text.data() + start, static_cast<std::streamsize>(input_chunk_size));
    text.resize(start + static_cast<std::size_t>(in.gcount()));
    guard.scan(text, start);
  }
  return text;
}

} // namespace rtk
