// AccessMask: which premises a query may retrieve, as a bitset over premise
// indices. The retrieval kernels read it word by word, so masked-out premises
// are skipped without being scored.
//
// Thread-safety: a value type; const members may be called from many threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace tatami::retriever {

// A half-open range [begin, end) of premise indices.
struct PremiseRange {
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
  friend bool operator==(const PremiseRange&, const PremiseRange&) = default;
};

class AccessMask {
 public:
  AccessMask() = default;
  // A mask over `size` premises, all clear (or all set when `all` is true).
  explicit AccessMask(std::size_t size, bool all = false);

  std::size_t size() const { return size_; }
  bool Test(std::size_t i) const { return (words_[i >> 6] >> (i & 63)) & 1u; }
  void Set(std::size_t i) { words_[i >> 6] |= std::uint64_t{1} << (i & 63); }
  void Clear(std::size_t i) { words_[i >> 6] &= ~(std::uint64_t{1} << (i & 63)); }
  void SetRange(PremiseRange range);  // range.end <= size()
  // Number of set bits.
  std::size_t Count() const;

  // Bit i of the mask is bit (i % 64) of words()[i / 64]; bits past size()
  // are always clear.
  std::span<const std::uint64_t> words() const { return words_; }

  friend bool operator==(const AccessMask&, const AccessMask&) = default;

 private:
  std::size_t size_ = 0;
  std::vector<std::uint64_t> words_;
};

}  // namespace tatami::retriever
