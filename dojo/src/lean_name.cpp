#include "tatami/dojo/lean_name.h"

namespace tatami::dojo {

std::vector<std::string> SplitName(std::string_view name) {
  std::vector<std::string> parts;
  if (name.empty()) return parts;
  constexpr std::string_view kOpen = "\xC2\xAB", kClose = "\xC2\xBB";  // « »
  std::string current;
  std::size_t i = 0;
  while (i < name.size()) {
    if (name.substr(i, kOpen.size()) == kOpen) {
      // A quoted part may hold dots; it ends at the first ».
      const std::size_t close = name.find(kClose, i + kOpen.size());
      const std::size_t end = close == std::string_view::npos ? name.size() : close;
      current.append(name.substr(i + kOpen.size(), end - i - kOpen.size()));
      i = close == std::string_view::npos ? name.size() : close + kClose.size();
    } else if (name[i] == '.') {
      parts.push_back(std::move(current));
      current.clear();
      ++i;
    } else {
      current += name[i++];
    }
  }
  parts.push_back(std::move(current));
  return parts;
}

std::string JoinName(std::string_view prefix, std::string_view name) {
  if (prefix.empty()) return std::string(name);
  if (name.empty()) return std::string(prefix);
  std::string out(prefix);
  out += '.';
  out += name;
  return out;
}

bool NamesDeclaration(std::string_view answered, std::string_view full_name) {
  const std::vector<std::string> got = SplitName(answered);
  const std::vector<std::string> want = SplitName(full_name);
  if (want.empty()) return false;
  if (got == want) return true;
  // _private.<module components>.0.<full name>
  if (got.size() < want.size() + 3 || got.front() != "_private") return false;
  const std::size_t tail = got.size() - want.size();
  if (got[tail - 1] != "0") return false;
  for (std::size_t i = 0; i < want.size(); ++i)
    if (got[tail + i] != want[i]) return false;
  return true;
}

std::string AxiomsQueryName(std::string_view full_name) { return JoinName("_root_", full_name); }

}  // namespace tatami::dojo
