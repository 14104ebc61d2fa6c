#include "text.h"

#include "tatami/retriever/byt5_tokenizer.h"

namespace tatami::search::internal {
namespace {

std::string RemoveAll(std::string_view text, std::string_view mark) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  for (std::size_t at; (at = text.find(mark, i)) != std::string_view::npos; i = at + mark.size()) {
    out.append(text, i, at - i);
  }
  out.append(text, i);
  return out;
}

}  // namespace

std::string AugmentedInput(const std::string& state, const std::vector<std::string>& premises,
                           std::size_t max_bytes) {
  const std::size_t budget = max_bytes > state.size() ? max_bytes - state.size() : 0;
  std::string out;
  std::size_t used = 0;
  for (const auto& premise : premises) {
    const std::size_t size = premise.size() + 2;
    if (used + size > budget) continue;
    used += size;
    out.insert(0, premise + "\n\n");
  }
  return out + state;
}

std::string ByT5DecodeLossy(const std::vector<std::int64_t>& ids) {
  std::string bytes;
  bytes.reserve(ids.size());
  for (std::int64_t id : ids) {
    if (id >= retriever::kByT5ByteOffset && id < retriever::kByT5ByteOffset + 256) {
      bytes.push_back(static_cast<char>(id - retriever::kByT5ByteOffset));
    }
  }
  // Skipping one byte at each error keeps exactly the valid sequences: the
  // continuation bytes of a broken sequence are invalid on their own.
  std::string out;
  out.reserve(bytes.size());
  std::string_view rest = bytes;
  while (!rest.empty()) {
    const auto bad = retriever::FindInvalidUtf8(rest);
    if (!bad) {
      out.append(rest);
      break;
    }
    out.append(rest.substr(0, *bad));
    rest.remove_prefix(*bad + 1);
  }
  return out;
}

std::string RemoveMarks(std::string_view text) { return RemoveAll(RemoveAll(text, "<a>"), "</a>"); }

}  // namespace tatami::search::internal
