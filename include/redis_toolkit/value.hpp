#pragma once
// redis_toolkit::Value: the dynamic value the toolkit stores and reads back with its type, the C++
// twin of what the Python toolkit accepts (None, bool, int, float, str, bytes, list, tuple, dict).
//
//   using redis_toolkit::Value;
//   Value user = Value::dict({{"name", "Ada"}, {"age", 36}, {"tags", Value::list({"admin", 1.5})}});
//   Value blob = Value::bytes(std::string("\x00\x01", 2));
//   if (const Value* age = user.find("age")) std::cout << age->as_int() << "\n";   // 36
//   std::cout << user.to_string() << "\n";   // {'name': 'Ada', 'age': 36, 'tags': ['admin', 1.5]}

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace redis_toolkit {

/// Which of the nine kinds a Value holds.
enum class ValueKind { none, boolean, integer, floating, string, bytes, list, tuple, dict };

/// The Python name of a kind ("NoneType", "bool", "int", "float", "str", "bytes", ...).
std::string_view kind_name(ValueKind kind) noexcept;

/// Raw bytes (Python `bytes`): binary-safe, kept apart from UTF-8 text.
struct Bytes {
  std::string data;
  friend bool operator==(const Bytes& a, const Bytes& b) { return a.data == b.data; }
  friend bool operator!=(const Bytes& a, const Bytes& b) { return !(a == b); }
};

class Value {
public:
  using Array = std::vector<Value>;                        ///< items of a list or a tuple
  using Object = std::vector<std::pair<std::string, Value>>; ///< dict entries, insertion order

  Value() noexcept = default; ///< none
  Value(std::nullptr_t) noexcept {}
  Value(bool b) noexcept : data_(b) {}
  /// Any integer type; an unsigned value above INT64_MAX throws ValueTypeError.
  template <typename Integer,
            std::enable_if_t<std::is_integral_v<Integer> && !std::is_same_v<Integer, bool> &&
                                 !std::is_same_v<Integer, char>,
                             int> = 0>
  Value(Integer i) : data_(checked_int64(i)) {}
  Value(double d) noexcept : data_(d) {}
  Value(float f) noexcept : data_(static_cast<double>(f)) {}
  Value(const char* text) : data_(std::string(text)) {}
  Value(std::string text) noexcept : data_(std::move(text)) {}
  Value(std::string_view text) : data_(std::string(text)) {}
  Value(Bytes bytes) noexcept : data_(std::move(bytes)) {}

  static Value bytes(std::string raw) { return Value(Bytes{std::move(raw)}); }
  /// From a string literal, zero bytes included: Value::bytes("\x00\x01") holds two bytes.
  template <std::size_t N>
  static Value bytes(const char (&literal)[N]) {
    return bytes(std::string(literal, N - 1));
  }
  static Value list(Array items = {});
  static Value tuple(Array items = {});
  static Value dict(Object entries = {});
  static Value list(std::initializer_list<Value> items) { return list(Array(items)); }
  static Value tuple(std::initializer_list<Value> items) { return tuple(Array(items)); }
  static Value dict(std::initializer_list<std::pair<std::string, Value>> entries) {
    return dict(Object(entries));
  }

  ValueKind kind() const noexcept { return static_cast<ValueKind>(data_.index()); }
  bool is_none() const noexcept { return kind() == ValueKind::none; }
  bool is_bool() const noexcept { return kind() == ValueKind::boolean; }
  bool is_int() const noexcept { return kind() == ValueKind::integer; }
  bool is_double() const noexcept { return kind() == ValueKind::floating; }
  bool is_string() const noexcept { return kind() == ValueKind::string; }
  bool is_bytes() const noexcept { return kind() == ValueKind::bytes; }
  bool is_list() const noexcept { return kind() == ValueKind::list; }
  bool is_tuple() const noexcept { return kind() == ValueKind::tuple; }
  bool is_dict() const noexcept { return kind() == ValueKind::dict; }

  // Accessors throw ValueTypeError naming both kinds when the Value holds another kind.
  bool as_bool() const;
  std::int64_t as_int() const;
  double as_double() const; ///< an int is widened; anything else throws
  const std::string& as_string() const;
  const std::string& as_bytes() const;
  const Array& as_list() const;  ///< items of a list
  const Array& as_tuple() const; ///< items of a tuple
  const Array& items() const;    ///< items of a list or a tuple
  const Object& as_dict() const;
  std::string& as_string();
  std::string& as_bytes();
  Array& items();
  Object& as_dict();

  /// Dict lookup by key; nullptr when absent (throws ValueTypeError when not a dict).
  const Value* find(std::string_view key) const;
  /// Dict insert-or-assign, keeping the first position of an existing key.
  Value& set(std::string key, Value value);
  /// Number of items of a list/tuple/dict, bytes of a string/bytes; 0 for scalars.
  std::size_t size() const noexcept;

  /// Python-repr style text for logs and debugging: None, True, 42, 3.0, 'text', b'\x00', [..], (..,), {..}.
  std::string to_string() const;

  /// Structural equality; a NaN equals a NaN so that round trips can be compared.
  friend bool operator==(const Value& a, const Value& b) noexcept;
  friend bool operator!=(const Value& a, const Value& b) noexcept { return !(a == b); }

private:
  struct ListItems { Array items; };
  struct TupleItems { Array items; };
  struct DictEntries { Object entries; };
  using Storage = std::variant<std::monostate, bool, std::int64_t, double, std::string, Bytes,
                               ListItems, TupleItems, DictEntries>;

  template <typename Integer>
  static std::int64_t checked_int64(Integer i) {
    if constexpr (std::is_unsigned_v<Integer> && sizeof(Integer) >= sizeof(std::int64_t)) {
      if (i > static_cast<Integer>(INT64_MAX)) throw_unsigned_overflow();
    }
    return static_cast<std::int64_t>(i);
  }
  [[noreturn]] static void throw_unsigned_overflow();
  [[noreturn]] void throw_kind_mismatch(std::string_view wanted) const;

  Storage data_;
};

std::ostream& operator<<(std::ostream& out, const Value& value);

} // namespace redis_toolkit
