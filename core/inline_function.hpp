#pragma once
// InlineFunction<R(Args...), Capacity>: std::function's contract (copyable, may be empty, callable
// through const, std::bad_function_call when empty) with room for `Capacity` bytes of captures
// inside the object. Every call's decoder is one: it captures the server's name and the key for
// its error messages, which std::function (16 bytes inline in libstdc++) puts on the heap, once
// per call, allocated by the caller's thread and freed by a completion actor's.
//
//   InlineFunction<int(int), 64> add = [base = std::string("a key of some length")](int x) {
//     return x + static_cast<int>(base.size());
//   };                 // no allocation: the lambda's 32 bytes fit
//   int twenty = add(0);
//
// A callable that does not fit (or whose move may throw) is kept on the heap, as std::function
// would keep it: the contract holds for any size.

#include <cstddef>
#include <functional>
#include <new>
#include <type_traits>
#include <utility>

namespace redis_toolkit::detail {

template <typename Signature, std::size_t Capacity>
class InlineFunction;

template <typename R, typename... Args, std::size_t Capacity>
class InlineFunction<R(Args...), Capacity> {
public:
  InlineFunction() noexcept = default;
  InlineFunction(std::nullptr_t) noexcept {}

  template <typename F,
            typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, InlineFunction> &&
                                        std::is_invocable_r_v<R, std::decay_t<F>&, Args...>>>
  InlineFunction(F&& function) {
    using Stored = std::decay_t<F>;
    if constexpr (std::is_pointer_v<Stored> || std::is_member_pointer_v<Stored> ||
                  is_std_function<Stored>::value) {
      if (!function) return; // empty in, empty out, as std::function does
    }
    if constexpr (fits_inline<Stored>) {
      ::new (static_cast<void*>(buffer_)) Stored(std::forward<F>(function));
      ops_ = &inline_ops<Stored>;
    } else {
      *reinterpret_cast<Stored**>(buffer_) = new Stored(std::forward<F>(function));
      ops_ = &heap_ops<Stored>;
    }
  }

  InlineFunction(const InlineFunction& other) {
    if (other.ops_ != nullptr) {
      other.ops_->copy(other.buffer_, buffer_);
      ops_ = other.ops_;
    }
  }

  /// Leaves `other` empty.
  InlineFunction(InlineFunction&& other) noexcept {
    if (other.ops_ != nullptr) {
      other.ops_->move(other.buffer_, buffer_);
      ops_ = std::exchange(other.ops_, nullptr);
    }
  }

  InlineFunction& operator=(const InlineFunction& other) {
    if (this != &other) *this = InlineFunction(other);
    return *this;
  }

  InlineFunction& operator=(InlineFunction&& other) noexcept {
    if (this != &other) {
      reset();
      if (other.ops_ != nullptr) {
        other.ops_->move(other.buffer_, buffer_);
        ops_ = std::exchange(other.ops_, nullptr);
      }
    }
    return *this;
  }

  InlineFunction& operator=(std::nullptr_t) noexcept {
    reset();
    return *this;
  }

  ~InlineFunction() { reset(); }

  explicit operator bool() const noexcept { return ops_ != nullptr; }

  /// Whether a callable of type F is kept inside the object (no allocation) rather than on the heap.
  template <typename F>
  static constexpr bool holds_inline() noexcept {
    return fits_inline<std::decay_t<F>>;
  }

  R operator()(Args... args) const {
    if (ops_ == nullptr) throw std::bad_function_call();
    return ops_->invoke(buffer_, std::forward<Args>(args)...);
  }

private:
  template <typename T>
  struct is_std_function : std::false_type {};
  template <typename S>
  struct is_std_function<std::function<S>> : std::true_type {};

  /// The rules: it fits, its alignment is the buffer's at most, and its move cannot throw (a move
  /// of an InlineFunction never throws, so what it holds inline must not either).
  template <typename F>
  static constexpr bool fits_inline = sizeof(F) <= Capacity &&
                                      alignof(F) <= alignof(std::max_align_t) &&
                                      std::is_nothrow_move_constructible_v<F>;

  struct Ops {
    R (*invoke)(unsigned char* storage, Args&&... args);
    void (*copy)(const unsigned char* from, unsigned char* to);
    void (*move)(unsigned char* from, unsigned char* to) noexcept; ///< and destroys `from`
    void (*destroy)(unsigned char* storage) noexcept;
  };

  template <typename F>
  static F& inline_target(unsigned char* storage) noexcept {
    return *std::launder(reinterpret_cast<F*>(storage));
  }
  template <typename F>
  static const F& inline_target(const unsigned char* storage) noexcept {
    return *std::launder(reinterpret_cast<const F*>(storage));
  }
  template <typename F>
  static F*& heap_target(unsigned char* storage) noexcept {
    return *reinterpret_cast<F**>(storage);
  }
  template <typename F>
  static F* heap_target(const unsigned char* storage) noexcept {
    return *reinterpret_cast<F* const*>(storage);
  }

  template <typename F>
  static constexpr Ops inline_ops{
      [](unsigned char* storage, Args&&... args) -> R {
        return std::invoke(inline_target<F>(storage), std::forward<Args>(args)...);
      },
      [](const unsigned char* from, unsigned char* to) {
        ::new (static_cast<void*>(to)) F(inline_target<F>(from));
      },
      [](unsigned char* from, unsigned char* to) noexcept {
        ::new (static_cast<void*>(to)) F(std::move(inline_target<F>(from)));
        inline_target<F>(from).~F();
      },
      [](unsigned char* storage) noexcept { inline_target<F>(storage).~F(); },
  };

  template <typename F>
  static constexpr Ops heap_ops{
      [](unsigned char* storage, Args&&... args) -> R {
        return std::invoke(*heap_target<F>(storage), std::forward<Args>(args)...);
      },
      [](const unsigned char* from, unsigned char* to) {
        heap_target<F>(to) = new F(*heap_target<F>(from));
      },
      [](unsigned char* from, unsigned char* to) noexcept {
        heap_target<F>(to) = std::exchange(heap_target<F>(from), nullptr);
      },
      [](unsigned char* storage) noexcept { delete heap_target<F>(storage); },
  };

  void reset() noexcept {
    if (ops_ != nullptr) std::exchange(ops_, nullptr)->destroy(buffer_);
  }

  static_assert(Capacity >= sizeof(void*), "the buffer holds a pointer for what does not fit");
  // Mutable: a const InlineFunction calls its target as std::function does, mutable lambdas too.
  alignas(std::max_align_t) mutable unsigned char buffer_[Capacity];
  const Ops* ops_ = nullptr;
};

} // namespace redis_toolkit::detail
