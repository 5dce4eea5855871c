#pragma once
// Objects of one kind by id, in slots that are reused: once warm, a slab allocates nothing per
// object, where a hash map allocates a node per entry. The router keeps its operations in one and
// each completion actor its calls. Owned by one actor: no locking.

#include <cstdint>
#include <deque>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace redis_toolkit::detail {

/// Slots a slab keeps when it empties after a burst: enough for steady load to reuse.
inline constexpr std::size_t slab_slots_kept = 4096;

/// Hands the heap freed after a burst back to the system: glibc otherwise keeps it, and a
/// process whose server stalled once would stay at its high-water mark.
inline void return_freed_memory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

/// An id is a slot and that slot's generation, so the id of a released object finds nothing
/// (a late message about a finished operation is ignored). `T` needs `void reset()`, which
/// release() calls to make the slot fresh again while keeping what it allocated.
template <typename T>
class Slab {
public:
  /// A fresh object and its id.
  std::pair<std::uint64_t, T*> add() {
    std::uint32_t index;
    if (free_.empty()) {
      index = static_cast<std::uint32_t>(slots_.size());
      slots_.emplace_back();
      slots_.back().generation = first_generation_;
    } else {
      index = free_.back();
      free_.pop_back();
    }
    Slot& slot = slots_[index];
    slot.used = true;
    if (++live_ > peak_) peak_ = live_;
    return {id_of(index), &slot.value};
  }

  /// The object `id`, or null once it is released.
  T* find(std::uint64_t id) {
    const auto index = static_cast<std::uint32_t>(id & 0xffffffffu);
    if (index >= slots_.size()) return nullptr;
    Slot& slot = slots_[index];
    if (!slot.used || slot.generation != static_cast<std::uint32_t>(id >> 32)) return nullptr;
    return &slot.value;
  }

  /// The object `id`, which must not be released yet.
  T& at(std::uint64_t id) {
    T* value = find(id);
    if (value == nullptr) throw std::out_of_range("slab: no object " + std::to_string(id));
    return *value;
  }

  void release(std::uint64_t id) {
    T* value = find(id);
    if (value == nullptr) return;
    value->reset();
    const auto index = static_cast<std::uint32_t>(id & 0xffffffffu);
    slots_[index].used = false;
    ++slots_[index].generation;
    free_.push_back(index);
    --live_;
  }

  /// Calls `visit(id, object)` for every object not released.
  template <typename Visit>
  void for_each(Visit visit) {
    for (std::uint32_t index = 0; index < slots_.size(); ++index)
      if (slots_[index].used) visit(id_of(index), slots_[index].value);
  }

  void clear() {
    for_each([this](std::uint64_t id, T&) { release(id); });
  }

  std::size_t size() const noexcept { return live_; }
  /// Slots held, live or free.
  std::size_t capacity() const noexcept { return slots_.size(); }

  /// Gives back the memory of a burst (a stalled server's backlog) when nothing is live, more
  /// than `keep` slots are held, and the objects live at once since the slab last emptied never
  /// passed `keep`: the spare slots are the burst's. A load that keeps more than `keep` objects
  /// in flight empties the slab between its rounds, and freeing its slots every round would
  /// make every round allocate them again. Ids stay unique: new slots start above every
  /// generation given out. True when it released something.
  bool shrink_when_empty(std::size_t keep) {
    if (live_ != 0) return false;
    const std::size_t peak = std::exchange(peak_, 0);
    if (slots_.size() <= keep || peak > keep) return false;
    for (const Slot& slot : slots_)
      if (slot.generation >= first_generation_) first_generation_ = slot.generation + 1;
    std::deque<Slot>().swap(slots_);
    std::vector<std::uint32_t>().swap(free_);
    return true;
  }

private:
  struct Slot {
    T value;
    std::uint32_t generation = 1;
    bool used = false;
  };

  std::uint64_t id_of(std::uint32_t index) const {
    return (static_cast<std::uint64_t>(slots_[index].generation) << 32) | index;
  }

  std::deque<Slot> slots_; // a deque: a T& stays valid while others are added
  std::vector<std::uint32_t> free_;
  std::size_t live_ = 0;
  std::size_t peak_ = 0; ///< the most live at once since live_ was last 0
  std::uint32_t first_generation_ = 1; ///< of slots made from now on
};

} // namespace redis_toolkit::detail
