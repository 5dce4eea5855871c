#include "resp.hpp"

#include <hiredis/hiredis.h>
#include <hiredis/read.h>

#include <charconv>
#include <stdexcept>

namespace redis_toolkit::resp {
namespace {

void append_decimal(std::string& out, std::size_t number) {
  char digits[24];
  auto result = std::to_chars(digits, digits + sizeof digits, number);
  out.append(digits, static_cast<std::size_t>(result.ptr - digits));
}

std::size_t decimal_digits(std::size_t number) {
  std::size_t digits = 1;
  for (; number >= 10; number /= 10) ++digits;
  return digits;
}

template <typename Range>
void append_command_range(std::string& out, const Range& arguments, std::size_t count) {
  // One allocation at most: the exact size first (libstdc++ still grows a buffer geometrically).
  std::size_t needed = 1 + decimal_digits(count) + 2;
  for (const auto& argument : arguments) {
    const std::size_t size = std::string_view(argument).size();
    needed += 1 + decimal_digits(size) + 2 + size + 2;
  }
  out.reserve(out.size() + needed);
  out += '*';
  append_decimal(out, count);
  out += "\r\n";
  for (const auto& argument : arguments) {
    std::string_view text(argument);
    out += '$';
    append_decimal(out, text.size());
    out += "\r\n";
    out.append(text.data(), text.size());
    out += "\r\n";
  }
}

// hiredis builds reply trees through these callbacks. The root is heap-allocated; every nested reply
// lives inside its parent's `elements`, sized once by create_array, so child pointers stay valid.
Reply* place_reply(const redisReadTask* task, Reply::Type type) {
  Reply* reply;
  if (task->parent != nullptr) {
    auto* parent = static_cast<Reply*>(task->parent->obj);
    reply = &parent->elements[static_cast<std::size_t>(task->idx)];
  } else {
    reply = new Reply();
  }
  reply->type = type;
  return reply;
}

void* create_string(const redisReadTask* task, char* text, size_t length) {
  Reply::Type type = Reply::Type::string;
  if (task->type == REDIS_REPLY_ERROR) type = Reply::Type::error;
  else if (task->type == REDIS_REPLY_STATUS) type = Reply::Type::status;
  Reply* reply = place_reply(task, type);
  reply->text.assign(text, length);
  return reply;
}

void* create_array(const redisReadTask* task, int count) {
  Reply* reply = place_reply(task, Reply::Type::array);
  reply->elements.resize(count > 0 ? static_cast<std::size_t>(count) : 0);
  return reply;
}

void* create_integer(const redisReadTask* task, long long value) {
  Reply* reply = place_reply(task, Reply::Type::integer);
  reply->integer = value;
  return reply;
}

void* create_nil(const redisReadTask* task) { return place_reply(task, Reply::Type::nil); }

// hiredis only ever frees the root it was handed back.
void free_reply(void* reply) { delete static_cast<Reply*>(reply); }

redisReplyObjectFunctions reply_functions = {create_string, create_array, create_integer,
                                             create_nil, free_reply};

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

ReplyDecoder::ReplyDecoder() { reset(); }

ReplyDecoder::~ReplyDecoder() {
  if (reader_ != nullptr) redisReaderFree(reader_);
}

void ReplyDecoder::reset() {
  if (reader_ != nullptr) redisReaderFree(reader_);
  reader_ = redisReaderCreateWithFunctions(&reply_functions);
  if (reader_ == nullptr) throw std::bad_alloc();
  // Keep the buffer between reads: replies of large values arrive in many chunks.
  reader_->maxbuf = 0;
}

void ReplyDecoder::feed(const char* data, std::size_t size) {
  if (redisReaderFeed(reader_, data, size) != REDIS_OK)
    throw std::runtime_error("RESP reader refused input: out of memory");
}

bool ReplyDecoder::next(Reply& out) {
  void* parsed = nullptr;
  if (redisReaderGetReply(reader_, &parsed) != REDIS_OK) {
    std::string reason = reader_->errstr;
    throw std::runtime_error("RESP protocol error: " + reason);
  }
  if (parsed == nullptr) return false;
  std::unique_ptr<Reply> root(static_cast<Reply*>(parsed));
  out = std::move(*root);
  return true;
}

std::string abbreviate(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return std::string(text);
  return std::string(text.substr(0, limit)) + "...(" + std::to_string(text.size()) + " bytes)";
}

} // namespace redis_toolkit::resp
