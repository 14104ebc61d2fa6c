// Byte offsets <-> Lean positions (line from 1, column from 0 in code points)
// in one text. Private to tatami::data.
//
// Thread-safety: immutable after construction.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace tatami::data {

class TextPositions {
 public:
  explicit TextPositions(std::string_view text) : text_(text) {
    starts_.push_back(0);
    for (std::size_t i = 0; i < text.size(); ++i)
      if (text[i] == '\n') starts_.push_back(i + 1);
  }
  // Offset of (line, column); clamped to the line's end and the text's.
  std::size_t Offset(long line, long column) const {
    if (line < 1) return 0;
    if (static_cast<std::size_t>(line) > starts_.size()) return text_.size();
    std::size_t i = starts_[line - 1];
    for (long c = 0; c < column && i < text_.size() && text_[i] != '\n'; ++c) {
      ++i;
      while (i < text_.size() && (static_cast<unsigned char>(text_[i]) & 0xC0) == 0x80) ++i;
    }
    return i;
  }
  // (line from 1, column from 0 in code points) of `offset`.
  std::pair<long, long> Position(std::size_t offset) const {
    std::size_t line = 0, lo = 0, hi = starts_.size();
    while (lo < hi) {
      const std::size_t mid = (lo + hi) / 2;
      if (starts_[mid] <= offset) {
        line = mid;
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    long column = 0;
    for (std::size_t i = starts_[line]; i < offset && i < text_.size(); ++i)
      if ((static_cast<unsigned char>(text_[i]) & 0xC0) != 0x80) ++column;
    return {static_cast<long>(line) + 1, column};
  }
  std::string_view text() const { return text_; }

 private:
  std::string_view text_;
  std::vector<std::size_t> starts_;
};

}  // namespace tatami::data
