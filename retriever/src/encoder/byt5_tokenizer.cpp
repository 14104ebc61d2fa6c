#include "tatami/retriever/byt5_tokenizer.h"

#include <algorithm>
#include <string>

namespace tatami::retriever {

std::optional<std::size_t> FindInvalidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
      return i;  // continuation byte, overlong lead (C0, C1) or F5..FF
    }
    if (i + len > n) return i;
    if (p[i + 1] < lo || p[i + 1] > hi) return i;
    for (std::size_t k = 2; k < len; ++k) {
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) return i;
    }
    i += len;
  }
  return std::nullopt;
}

namespace {

void CheckMaxLength(std::size_t max_length) {
  if (max_length == 0) {
    throw std::invalid_argument("ByT5 max_length must be at least 1 (room for </s>)");
  }
}

void CheckUtf8(std::string_view text, std::size_t index) {
  if (auto bad = FindInvalidUtf8(text)) {
    throw InvalidUtf8Error("text " + std::to_string(index) + " is not valid UTF-8 (byte offset " +
                               std::to_string(*bad) + ")",
                           index, *bad);
  }
}

// Number of ids `text` becomes, </s> included.
std::size_t EncodedLength(std::string_view text, std::size_t max_length) {
  return std::min(text.size(), max_length - 1) + 1;
}

void EncodeInto(std::string_view text, std::size_t max_length, std::int64_t* out) {
  const std::size_t bytes = std::min(text.size(), max_length - 1);
  for (std::size_t i = 0; i < bytes; ++i) {
    out[i] = static_cast<std::int64_t>(static_cast<unsigned char>(text[i])) + kByT5ByteOffset;
  }
  out[bytes] = kByT5EosId;
}

}  // namespace

std::vector<std::int64_t> ByT5Encode(std::string_view text, std::size_t max_length) {
  CheckMaxLength(max_length);
  CheckUtf8(text, 0);
  std::vector<std::int64_t> ids(EncodedLength(text, max_length));
  EncodeInto(text, max_length, ids.data());
  return ids;
}

TokenBatch ByT5EncodeBatch(const std::vector<std::string>& texts, std::size_t max_length,
                           const std::vector<std::size_t>& order) {
  CheckMaxLength(max_length);
  std::vector<std::size_t> all;
  const std::vector<std::size_t>* rows = &order;
  if (order.empty()) {
    all.resize(texts.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    rows = &all;
  }
  TokenBatch batch;
  batch.rows = rows->size();
  for (std::size_t index : *rows) {
    if (index >= texts.size()) throw std::out_of_range("ByT5EncodeBatch: row index out of range");
    CheckUtf8(texts[index], index);
    batch.length = std::max(batch.length, EncodedLength(texts[index], max_length));
  }
  batch.ids.assign(batch.rows * batch.length, kByT5PadId);
  batch.mask.assign(batch.rows * batch.length, 0);
  for (std::size_t r = 0; r < batch.rows; ++r) {
    const std::string& text = texts[(*rows)[r]];
    EncodeInto(text, max_length, batch.ids.data() + r * batch.length);
    std::fill_n(batch.mask.data() + r * batch.length, EncodedLength(text, max_length), 1);
  }
  return batch;
}

}  // namespace tatami::retriever
