#include "redis_toolkit/reply.hpp"

#include "redis_toolkit/errors.hpp"

#include <cerrno>
#include <cstdlib>

namespace redis_toolkit {
namespace {

[[noreturn]] void wrong_kind(const Reply& reply, const char* wanted) {
  std::string found = Reply::type_name(reply.type);
  if (reply.type == Reply::Type::error || reply.is_failure()) found += " (" + reply.text + ")";
  throw ValueTypeError(std::string("the reply is ") + found + ", not " + wanted);
}

} // namespace

const char* Reply::type_name(Type type) noexcept {
  switch (type) {
    case Type::nil: return "nil";
    case Type::status: return "a status";
    case Type::error: return "an error";
    case Type::integer: return "an integer";
    case Type::string: return "a bulk string";
    case Type::array: return "an array";
    case Type::connection_failed: return "a connection failure";
    case Type::timed_out: return "a timeout";
    case Type::cluster_failed: return "a cluster failure";
    case Type::protocol_failed: return "a protocol failure";
    case Type::overloaded: return "an overload refusal";
  }
  return "unknown";
}

std::int64_t Reply::as_integer() const {
  if (type != Type::integer) wrong_kind(*this, "an integer");
  return integer;
}

const std::string& Reply::as_string() const {
  if (type != Type::string && type != Type::status) wrong_kind(*this, "a string");
  return text;
}

double Reply::as_double() const {
  if (type == Type::integer) return static_cast<double>(integer);
  const std::string& number = as_string();
  errno = 0;
  char* end = nullptr;
  const double value = std::strtod(number.c_str(), &end);
  if (number.empty() || end != number.c_str() + number.size() || errno == ERANGE)
    throw ValueTypeError("the reply is a string that is not a number");
  return value;
}

std::optional<std::string> Reply::as_optional_string() const {
  if (type == Type::nil) return std::nullopt;
  return as_string();
}

const std::vector<Reply>& Reply::as_array() const {
  if (type != Type::array) wrong_kind(*this, "an array");
  return elements;
}

} // namespace redis_toolkit
