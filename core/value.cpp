#include "redis_toolkit/value.hpp"

#include "redis_toolkit/errors.hpp"
#include "json_text.hpp"

#include <charconv>
#include <cmath>
#include <ostream>

namespace redis_toolkit {

std::string_view kind_name(ValueKind kind) noexcept {
  switch (kind) {
    case ValueKind::none: return "NoneType";
    case ValueKind::boolean: return "bool";
    case ValueKind::integer: return "int";
    case ValueKind::floating: return "float";
    case ValueKind::string: return "str";
    case ValueKind::bytes: return "bytes";
    case ValueKind::list: return "list";
    case ValueKind::tuple: return "tuple";
    case ValueKind::dict: return "dict";
  }
  return "unknown";
}

Value Value::list(Array items) {
  Value v;
  v.data_ = ListItems{std::move(items)};
  return v;
}

Value Value::tuple(Array items) {
  Value v;
  v.data_ = TupleItems{std::move(items)};
  return v;
}

Value Value::dict(Object entries) {
  Value v;
  v.data_ = DictEntries{std::move(entries)};
  return v;
}

void Value::throw_unsigned_overflow() {
  throw ValueTypeError("unsigned integer does not fit in a signed 64-bit int");
}

void Value::throw_kind_mismatch(std::string_view wanted) const {
  throw ValueTypeError("expected " + std::string(wanted) + ", the value holds " +
                       std::string(kind_name(kind())));
}

bool Value::as_bool() const {
  if (auto* b = std::get_if<bool>(&data_)) return *b;
  throw_kind_mismatch("bool");
}

std::int64_t Value::as_int() const {
  if (auto* i = std::get_if<std::int64_t>(&data_)) return *i;
  throw_kind_mismatch("int");
}

double Value::as_double() const {
  if (auto* d = std::get_if<double>(&data_)) return *d;
  if (auto* i = std::get_if<std::int64_t>(&data_)) return static_cast<double>(*i);
  throw_kind_mismatch("float");
}

const std::string& Value::as_string() const {
  if (auto* s = std::get_if<std::string>(&data_)) return *s;
  throw_kind_mismatch("str");
}

std::string& Value::as_string() {
  if (auto* s = std::get_if<std::string>(&data_)) return *s;
  throw_kind_mismatch("str");
}

const std::string& Value::as_bytes() const {
  if (auto* b = std::get_if<Bytes>(&data_)) return b->data;
  throw_kind_mismatch("bytes");
}

std::string& Value::as_bytes() {
  if (auto* b = std::get_if<Bytes>(&data_)) return b->data;
  throw_kind_mismatch("bytes");
}

const Value::Array& Value::as_list() const {
  if (auto* l = std::get_if<ListItems>(&data_)) return l->items;
  throw_kind_mismatch("list");
}

const Value::Array& Value::as_tuple() const {
  if (auto* t = std::get_if<TupleItems>(&data_)) return t->items;
  throw_kind_mismatch("tuple");
}

const Value::Array& Value::items() const {
  if (auto* l = std::get_if<ListItems>(&data_)) return l->items;
  if (auto* t = std::get_if<TupleItems>(&data_)) return t->items;
  throw_kind_mismatch("list or tuple");
}

Value::Array& Value::items() {
  if (auto* l = std::get_if<ListItems>(&data_)) return l->items;
  if (auto* t = std::get_if<TupleItems>(&data_)) return t->items;
  throw_kind_mismatch("list or tuple");
}

const Value::Object& Value::as_dict() const {
  if (auto* d = std::get_if<DictEntries>(&data_)) return d->entries;
  throw_kind_mismatch("dict");
}

Value::Object& Value::as_dict() {
  if (auto* d = std::get_if<DictEntries>(&data_)) return d->entries;
  throw_kind_mismatch("dict");
}

const Value* Value::find(std::string_view key) const {
  for (const auto& [entry_key, entry_value] : as_dict()) {
    if (entry_key == key) return &entry_value;
  }
  return nullptr;
}

Value& Value::set(std::string key, Value value) {
  auto& entries = as_dict();
  for (auto& [entry_key, entry_value] : entries) {
    if (entry_key == key) {
      entry_value = std::move(value);
      return entry_value;
    }
  }
  entries.emplace_back(std::move(key), std::move(value));
  return entries.back().second;
}

std::size_t Value::size() const noexcept {
  switch (kind()) {
    case ValueKind::string: return std::get<std::string>(data_).size();
    case ValueKind::bytes: return std::get<Bytes>(data_).data.size();
    case ValueKind::list: return std::get<ListItems>(data_).items.size();
    case ValueKind::tuple: return std::get<TupleItems>(data_).items.size();
    case ValueKind::dict: return std::get<DictEntries>(data_).entries.size();
    default: return 0;
  }
}

namespace {

void append_quoted(std::string& out, std::string_view text, bool is_bytes) {
  static const char* hex = "0123456789abcdef";
  out += is_bytes ? "b'" : "'";
  for (unsigned char c : text) {
    switch (c) {
      case '\'': out += "\\'"; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f || (is_bytes && c >= 0x80)) {
          out += "\\x";
          out += hex[c >> 4];
          out += hex[c & 0xf];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '\'';
}

void append_repr(std::string& out, const Value& value) {
  switch (value.kind()) {
    case ValueKind::none: out += "None"; return;
    case ValueKind::boolean: out += value.as_bool() ? "True" : "False"; return;
    case ValueKind::integer: out += std::to_string(value.as_int()); return;
    case ValueKind::floating: json_text::append_float_repr(out, value.as_double()); return;
    case ValueKind::string: append_quoted(out, value.as_string(), false); return;
    case ValueKind::bytes: append_quoted(out, value.as_bytes(), true); return;
    case ValueKind::list:
    case ValueKind::tuple: {
      const bool is_tuple = value.is_tuple();
      out += is_tuple ? '(' : '[';
      const auto& items = value.items();
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += ", ";
        append_repr(out, items[i]);
      }
      if (is_tuple && items.size() == 1) out += ',';
      out += is_tuple ? ')' : ']';
      return;
    }
    case ValueKind::dict: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : value.as_dict()) {
        if (!first) out += ", ";
        first = false;
        append_quoted(out, key, false);
        out += ": ";
        append_repr(out, item);
      }
      out += '}';
      return;
    }
  }
}

} // namespace

std::string Value::to_string() const {
  std::string out;
  append_repr(out, *this);
  return out;
}

bool operator==(const Value& a, const Value& b) noexcept {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case ValueKind::none: return true;
    case ValueKind::boolean: return std::get<bool>(a.data_) == std::get<bool>(b.data_);
    case ValueKind::integer:
      return std::get<std::int64_t>(a.data_) == std::get<std::int64_t>(b.data_);
    case ValueKind::floating: {
      double x = std::get<double>(a.data_), y = std::get<double>(b.data_);
      return x == y || (std::isnan(x) && std::isnan(y));
    }
    case ValueKind::string: return std::get<std::string>(a.data_) == std::get<std::string>(b.data_);
    case ValueKind::bytes: return std::get<Bytes>(a.data_) == std::get<Bytes>(b.data_);
    case ValueKind::list:
      return std::get<Value::ListItems>(a.data_).items == std::get<Value::ListItems>(b.data_).items;
    case ValueKind::tuple:
      return std::get<Value::TupleItems>(a.data_).items ==
             std::get<Value::TupleItems>(b.data_).items;
    case ValueKind::dict:
      return std::get<Value::DictEntries>(a.data_).entries ==
             std::get<Value::DictEntries>(b.data_).entries;
  }
  return false;
}

std::ostream& operator<<(std::ostream& out, const Value& value) { return out << value.to_string(); }

} // namespace redis_toolkit
