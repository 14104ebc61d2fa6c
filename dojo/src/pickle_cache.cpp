#include "pickle_cache.h"

#include <stdlib.h>  // mkdtemp

#include <functional>
#include <system_error>
#include <utility>

#include <fmt/format.h>

namespace tatami::dojo::internal {

PickleCache::PickleCache(bool enabled, std::filesystem::path dir)
    : enabled_(enabled), dir_(std::move(dir)) {}

PickleCache::~PickleCache() { RemoveAll(); }

std::optional<std::filesystem::path> PickleCache::RestoreFrom(const std::string& key) const {
  if (!enabled_) return std::nullopt;
  auto it = pickles_.find(key);
  if (it == pickles_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::filesystem::path> PickleCache::ClaimPickling(const std::string& key) {
  if (!enabled_ || !claimed_.insert(key).second) return std::nullopt;
  if (root_.empty()) {
    std::error_code ec;
    const std::filesystem::path base =
        dir_.empty() ? std::filesystem::temp_directory_path(ec) : dir_;
    if (ec) return std::nullopt;
    std::string pattern = (base / "tatami-pool-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) return std::nullopt;
    root_ = pattern;
  }
  // The key is the header's text; a hash keeps the file name short and safe.
  return root_ / fmt::format("header-{:016x}.olean", std::hash<std::string>{}(key));
}

void PickleCache::Remember(const std::string& key, const std::filesystem::path& path) {
  pickles_[key] = path;
}

void PickleCache::Forget(const std::string& key) {
  auto it = pickles_.find(key);
  if (it == pickles_.end()) return;
  std::error_code ec;
  std::filesystem::remove(it->second, ec);
  pickles_.erase(it);
}

void PickleCache::RemoveAll() {
  pickles_.clear();
  if (root_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(root_, ec);
  root_.clear();
}

}  // namespace tatami::dojo::internal
