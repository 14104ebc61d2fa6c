#include "tatami/dojo/framing.h"

#include <charconv>
#include <stdexcept>

#include <simdjson.h>
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

// Appends `s` quoted and escaped as nlohmann's dump() writes it (without
// ensure_ascii): the short escapes for \b \t \n \f \r \" \\, \u00xx for the
// other control characters, everything else as is. Returns false, having
// appended nothing, if `s` is not valid UTF-8.
bool AppendQuoted(std::string_view s, std::string* out) {
  // Printable ASCII without quotes or backslashes (nearly every key, tactic
  // and name) is valid UTF-8 and needs no escape: copied whole, unchecked.
  std::size_t plain = 0;
  while (plain < s.size()) {
    const auto c = static_cast<unsigned char>(s[plain]);
    if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') break;
    ++plain;
  }
  if (plain == s.size()) {
    out->push_back('"');
    out->append(s);
    out->push_back('"');
    return true;
  }
  if (!simdjson::validate_utf8(s.data(), s.size())) return false;
  out->push_back('"');
  out->append(s.data(), plain);
  std::size_t run = plain;  // start of the bytes not yet copied
  for (std::size_t i = plain; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '\b':
        out->append("\\b");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        const char escape[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out->append(escape, sizeof escape);
      }
    }
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
  return true;
}

// dump() of an object whose values are strings, integers, booleans or null
// (every request tatami makes), byte for byte, without building a serializer
// (which looks up the locale) or walking the tree generically. Returns false
// for anything else, or a string that is not valid UTF-8, leaving dump() to
// write it or to say what is wrong.
bool EncodeFlatObject(const nlohmann::json& request, std::string* out) {
  // One allocation for the whole request (and its blank line), unless
  // escapes lengthen it: growing the string step by step cost more than
  // writing it.
  std::size_t size = 4;
  for (auto it = request.begin(); it != request.end(); ++it) {
    size += it.key().size() + 4;
    size += it.value().is_string() ? it.value().get_ref<const std::string&>().size() + 2 : 24;
  }
  out->reserve(size);
  out->push_back('{');
  bool first = true;
  for (auto it = request.begin(); it != request.end(); ++it) {
    if (!first) out->push_back(',');
    first = false;
    if (!AppendQuoted(it.key(), out)) return false;
    out->push_back(':');
    const nlohmann::json& v = it.value();
    char digits[24];
    switch (v.type()) {
      case nlohmann::json::value_t::string:
        if (!AppendQuoted(v.get_ref<const std::string&>(), out)) return false;
        break;
      case nlohmann::json::value_t::number_integer: {
        auto r = std::to_chars(digits, digits + sizeof digits, v.get<std::int64_t>());
        out->append(digits, r.ptr);
        break;
      }
      case nlohmann::json::value_t::number_unsigned: {
        auto r = std::to_chars(digits, digits + sizeof digits, v.get<std::uint64_t>());
        out->append(digits, r.ptr);
        break;
      }
      case nlohmann::json::value_t::boolean:
        out->append(v.get<bool>() ? "true" : "false");
        break;
      case nlohmann::json::value_t::null:
        out->append("null");
        break;
      default:
        return false;
    }
  }
  out->push_back('}');
  return true;
}

}  // namespace

std::string EncodeRequest(const nlohmann::json& request) {
  if (!request.is_object()) {
    throw std::invalid_argument("a REPL request must be a JSON object, got " +
                                std::string(request.type_name()));
  }
  std::string out;
  if (EncodeFlatObject(request, &out)) {
    out += "\n\n";
    return out;
  }
  out.clear();
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
