#include "tatami/retriever/access_mask.h"

#include <bit>
#include <stdexcept>

namespace tatami::retriever {

AccessMask::AccessMask(std::size_t size, bool all) : size_(size), words_((size + 63) / 64, 0) {
  if (all) SetRange({0, static_cast<std::uint32_t>(size)});
}

void AccessMask::SetRange(PremiseRange range) {
  if (range.begin > range.end || range.end > size_) {
    throw std::out_of_range("AccessMask::SetRange: range beyond the mask");
  }
  std::size_t i = range.begin;
  const std::size_t end = range.end;
  while (i < end && (i & 63) != 0) Set(i++);
  for (; i + 64 <= end; i += 64) words_[i >> 6] = ~std::uint64_t{0};
  while (i < end) Set(i++);
}

std::size_t AccessMask::Count() const {
  std::size_t n = 0;
  for (std::uint64_t w : words_) n += static_cast<std::size_t>(std::popcount(w));
  return n;
}

}  // namespace tatami::retriever
