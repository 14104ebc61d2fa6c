#include "tatami/dojo/framing.h"

#include <stdexcept>

#include <nlohmann/json.hpp>

namespace tatami::dojo {

namespace {

// Finds the first string (key or value) in `j` that is not valid UTF-8 and
// returns a JSON-pointer-like path to it, so the error can say where.
std::optional<std::string> FindInvalidUtf8(const nlohmann::json& j, const std::string& path) {
  if (j.is_string()) {
    if (!IsValidUtf8(j.get_ref<const std::string&>())) return path.empty() ? "/" : path;
  } else if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (!IsValidUtf8(it.key())) return path + "/" + "<key>";
      if (auto p = FindInvalidUtf8(it.value(), path + "/" + it.key())) return p;
    }
  } else if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i) {
      if (auto p = FindInvalidUtf8(j[i], path + "/" + std::to_string(i))) return p;
    }
  }
  return std::nullopt;
}

}  // namespace

std::string EncodeRequest(const nlohmann::json& request) {
  if (!request.is_object()) {
    throw std::invalid_argument("a REPL request must be a JSON object, got " +
                                std::string(request.type_name()));
  }
  std::string out;
  try {
    // dump() checks every string as it writes it; only a request that fails
    // is walked again, to say where.
    out = request.dump();
  } catch (const nlohmann::json::type_error& e) {
    if (auto where = FindInvalidUtf8(request, "")) {
      throw std::invalid_argument("request field " + *where + " is not valid UTF-8");
    }
    throw std::invalid_argument(std::string("request cannot be encoded: ") + e.what());
  }
  out += "\n\n";
  return out;
}

void FrameSplitter::Append(std::string_view bytes) {
  // Compact lazily so that a long stream of small frames stays O(n).
  if (start_ > 0 && start_ >= buffer_.size() / 2) {
    buffer_.erase(0, start_);
    scan_ -= start_;
    start_ = 0;
  }
  buffer_.append(bytes);
}

std::optional<std::string> FrameSplitter::Next() {
  for (;;) {
    // Skip blank lines between frames (the REPL may emit extra newlines).
    while (start_ < buffer_.size() && (buffer_[start_] == '\n' || buffer_[start_] == '\r')) {
      ++start_;
    }
    if (scan_ < start_) scan_ = start_;
    if (start_ >= buffer_.size()) return std::nullopt;
    // A frame ends at "\n\n" (tolerating "\r\n\r\n").
    std::size_t pos = scan_ > start_ ? scan_ - 1 : start_;
    for (;;) {
      std::size_t nl = buffer_.find('\n', pos);
      if (nl == std::string::npos) {
        scan_ = buffer_.size();
        return std::nullopt;
      }
      std::size_t next = nl + 1;
      if (next < buffer_.size() && buffer_[next] == '\r') ++next;
      if (next < buffer_.size() && buffer_[next] == '\n') {
        std::size_t end = nl;
        if (end > start_ && buffer_[end - 1] == '\r') --end;
        std::string frame;
        frame.reserve(end - start_ + kFramePadding);
        frame.assign(buffer_, start_, end - start_);
        start_ = next + 1;
        scan_ = start_;
        return frame;
      }
      if (next >= buffer_.size()) {
        scan_ = nl;  // resume here: the blank line may still arrive
        return std::nullopt;
      }
      pos = next;
    }
  }
}

std::string_view FrameSplitter::pending() const { return std::string_view(buffer_).substr(start_); }

void FrameSplitter::Clear() {
  buffer_.clear();
  start_ = 0;
  scan_ = 0;
}

std::optional<BlankLineSplitter::Block> BlankLineSplitter::AddLine(std::string_view line) {
  ++line_no_;
  std::size_t len = line.size();
  while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r' ||
                     line[len - 1] == '\n')) {
    --len;
  }
  line = line.substr(0, len);
  if (line.empty()) return Finish();
  if (!open_) {
    open_.emplace();
    open_->first_line = line_no_;
  } else if (join_ == Join::kWithNewlines) {
    open_->text.push_back('\n');
  }
  open_->line_starts.push_back(open_->text.size());
  open_->text.append(line);
  return std::nullopt;
}

std::optional<BlankLineSplitter::Block> BlankLineSplitter::Finish() {
  std::optional<Block> block = std::move(open_);
  open_.reset();
  return block;
}

std::vector<BlankLineSplitter::Block> BlankLineSplitter::Split(std::string_view text, Join join) {
  BlankLineSplitter splitter(join);
  std::vector<Block> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    if (auto block = splitter.AddLine(text.substr(start, end - start)))
      out.push_back(std::move(*block));
    start = end + 1;
  }
  if (auto block = splitter.Finish()) out.push_back(std::move(*block));
  return out;
}

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int len;
    std::uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (end - p < len) return false;
    for (int i = 1; i < len; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    p += len;
  }
  return true;
}

}  // namespace tatami::dojo
