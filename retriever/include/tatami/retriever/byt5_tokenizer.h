// ByT5 byte-level tokenisation, done in C++ rather than inside the TorchScript
// module: it is the same for every ByT5 model, it is cheap here and slow in the
// TorchScript interpreter, and doing it here lets invalid UTF-8 be reported
// with the offending text and byte offset before any model code runs.
//
// A text becomes the ids of its UTF-8 bytes plus 3 (ids 0, 1, 2 are ByT5's
// <pad>, </s> and <unk>), truncated so that, with the </s> appended, it has at
// most `max_length` ids; a batch is padded with <pad> to its longest row.
// Truncation may cut a multi-byte character, as ByT5's tokenizer does.
//
// One deliberate difference from Hugging Face's ByT5Tokenizer: the literal
// strings "<pad>", "</s>", "<unk>" and "<extra_id_N>" inside a text are encoded
// as their bytes, not as special-token ids (nor is a trailing "</s>" taken as
// the end-of-sequence token). Lean sources and goals do not contain them.
//
// Thread-safety: stateless free functions; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tatami::retriever {

inline constexpr std::int64_t kByT5PadId = 0;
inline constexpr std::int64_t kByT5EosId = 1;
inline constexpr std::int64_t kByT5UnkId = 2;
// Id of byte b is b + kByT5ByteOffset.
inline constexpr std::int64_t kByT5ByteOffset = 3;
// Ids are < kByT5VocabSize (3 specials + 256 bytes + 125 sentinels).
inline constexpr std::int64_t kByT5VocabSize = 384;
// ReProver's max_seq_len for LeanDojo Benchmark 4 (its retrieval configs).
inline constexpr std::size_t kReProverMaxLength = 1024;

// A text that is not valid UTF-8. what() names the text (by its index in the
// batch, when it came from one) and the byte offset of the first bad byte.
class InvalidUtf8Error : public std::invalid_argument {
 public:
  InvalidUtf8Error(const std::string& message, std::size_t text_index, std::size_t byte_offset)
      : std::invalid_argument(message), text_index_(text_index), byte_offset_(byte_offset) {}
  std::size_t text_index() const { return text_index_; }
  std::size_t byte_offset() const { return byte_offset_; }

 private:
  std::size_t text_index_;
  std::size_t byte_offset_;
};

// Offset of the first byte that makes `s` invalid UTF-8 (overlong forms,
// surrogates, code points above U+10FFFF and truncated sequences are invalid),
// or nullopt if `s` is valid.
std::optional<std::size_t> FindInvalidUtf8(std::string_view s);

// Token ids of one text, </s> included. Throws InvalidUtf8Error, and
// std::invalid_argument if max_length is 0.
std::vector<std::int64_t> ByT5Encode(std::string_view text, std::size_t max_length);

// A padded batch, row-major [rows, length]: ids and the attention mask
// (1 for a real token, 0 for padding).
struct TokenBatch {
  std::size_t rows = 0;
  std::size_t length = 0;
  std::vector<std::int64_t> ids;
  std::vector<std::int64_t> mask;
};

// Tokenises texts[i] for each i in `order` (all texts when `order` is empty)
// into one batch padded to its longest row. Throws InvalidUtf8Error naming
// the index into `texts`, and std::invalid_argument if max_length is 0.
TokenBatch ByT5EncodeBatch(const std::vector<std::string>& texts, std::size_t max_length,
                           const std::vector<std::size_t>& order = {});

}  // namespace tatami::retriever
