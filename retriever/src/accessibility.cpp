#include "tatami/retriever/accessibility.h"

#include <algorithm>

#include <fmt/format.h>

namespace tatami::retriever {

FileGraph FileGraph::FromCorpus(const Corpus& corpus) {
  FileGraph g;
  g.files.reserve(corpus.files().size());
  for (const CorpusFile& f : corpus.files()) {
    File file{f.path, f.first_premise, f.premise_count, {}};
    for (const std::string& imp : f.imports) {
      if (auto id = corpus.FindFile(imp)) {
        file.imports.push_back(*id);
      } else {
        g.missing_imports.emplace_back(f.path, imp);
      }
    }
    g.files.push_back(std::move(file));
  }
  g.premise_end.reserve(corpus.premises().size());
  for (const Premise& p : corpus.premises()) g.premise_end.push_back(p.end);
  return g;
}

namespace {

// Finds import cycles with an iterative three-colour DFS; returns each cycle
// found as the list of paths on it.
std::vector<std::vector<std::string>> FindCycles(const FileGraph& g) {
  const std::size_t n = g.files.size();
  enum : std::uint8_t { kWhite, kGrey, kBlack };
  std::vector<std::uint8_t> colour(n, kWhite);
  std::vector<std::vector<std::string>> cycles;
  std::vector<std::pair<std::uint32_t, std::size_t>> stack;  // (file, next import)
  for (std::uint32_t root = 0; root < n; ++root) {
    if (colour[root] != kWhite) continue;
    stack.push_back({root, 0});
    colour[root] = kGrey;
    while (!stack.empty()) {
      auto& [file, next] = stack.back();
      if (next < g.files[file].imports.size()) {
        const std::uint32_t to = g.files[file].imports[next++];
        if (colour[to] == kWhite) {
          colour[to] = kGrey;
          stack.push_back({to, 0});
        } else if (colour[to] == kGrey) {
          std::vector<std::string> cycle;
          auto it = std::find_if(stack.begin(), stack.end(),
                                 [to](const auto& e) { return e.first == to; });
          for (; it != stack.end(); ++it) cycle.push_back(g.files[it->first].path);
          cycles.push_back(std::move(cycle));
        }
      } else {
        colour[file] = kBlack;
        stack.pop_back();
      }
    }
  }
  return cycles;
}

void AddRange(std::vector<PremiseRange>& out, std::uint32_t begin, std::uint32_t end) {
  if (begin == end) return;
  if (!out.empty() && out.back().end == begin) {
    out.back().end = end;
  } else {
    out.push_back({begin, end});
  }
}

// Sorts and merges overlapping or adjacent ranges.
std::vector<PremiseRange> Normalise(std::vector<PremiseRange> ranges) {
  std::sort(ranges.begin(), ranges.end(),
            [](const PremiseRange& a, const PremiseRange& b) { return a.begin < b.begin; });
  std::vector<PremiseRange> out;
  for (const PremiseRange& r : ranges) {
    if (r.begin == r.end) continue;
    if (!out.empty() && r.begin <= out.back().end) {
      out.back().end = std::max(out.back().end, r.end);
    } else {
      out.push_back(r);
    }
  }
  return out;
}

}  // namespace

Accessibility::Accessibility(FileGraph graph, const AccessibilityOptions& options)
    : graph_(std::move(graph)) {
  const std::size_t n = graph_.files.size();
  for (std::uint32_t i = 0; i < n; ++i) {
    const auto& f = graph_.files[i];
    if (std::size_t{f.first_premise} + f.premise_count > graph_.premise_end.size()) {
      throw std::invalid_argument(fmt::format("file graph: premises of {} out of range", f.path));
    }
    for (std::uint32_t imp : f.imports) {
      if (imp >= n)
        throw std::invalid_argument(fmt::format("file graph: bad import in {}", f.path));
    }
    if (!by_path_.emplace(f.path, i).second) {
      throw std::invalid_argument(fmt::format("file graph: duplicate file {}", f.path));
    }
  }
  for (const auto& [importer, missing] : graph_.missing_imports) {
    issues_.push_back(fmt::format("{} imports {}, which is not in the corpus", importer, missing));
  }
  if (options.fail_on_missing_import && !graph_.missing_imports.empty()) {
    throw std::runtime_error(
        "import graph: " + issues_.front() +
        (issues_.size() > 1 ? fmt::format(" (and {} more)", issues_.size() - 1) : std::string()));
  }
  for (const auto& cycle : FindCycles(graph_)) {
    std::string text = "import cycle: ";
    for (const auto& p : cycle) text += p + " -> ";
    text += cycle.front();
    issues_.push_back(text);
    if (options.fail_on_cycle) throw std::runtime_error(text);
  }
  closure_.resize(n);
}

Accessibility::~Accessibility() = default;

std::optional<std::uint32_t> Accessibility::FindFile(std::string_view path) const {
  auto it = by_path_.find(std::string(path));
  if (it == by_path_.end()) return std::nullopt;
  return it->second;
}

const std::vector<PremiseRange>& Accessibility::ImportedRanges(std::uint32_t file) const {
  if (file >= graph_.files.size())
    throw std::out_of_range("Accessibility: file index out of range");
  std::lock_guard lock(mutex_);
  if (closure_[file]) return *closure_[file];
  // Breadth-first walk of the imports; `seen` stops cycles and diamonds.
  std::vector<std::uint8_t> seen(graph_.files.size(), 0);
  std::vector<std::uint32_t> queue;
  for (std::uint32_t imp : graph_.files[file].imports) {
    if (!seen[imp]) {
      seen[imp] = 1;
      queue.push_back(imp);
    }
  }
  for (std::size_t head = 0; head < queue.size(); ++head) {
    for (std::uint32_t imp : graph_.files[queue[head]].imports) {
      if (!seen[imp]) {
        seen[imp] = 1;
        queue.push_back(imp);
      }
    }
  }
  std::vector<PremiseRange> ranges;
  for (std::uint32_t f : queue) {
    if (f == file) continue;  // own premises depend on the position
    const auto& rec = graph_.files[f];
    ranges.push_back({rec.first_premise, rec.first_premise + rec.premise_count});
  }
  closure_[file] = std::make_unique<std::vector<PremiseRange>>(Normalise(std::move(ranges)));
  return *closure_[file];
}

std::vector<PremiseRange> Accessibility::AccessibleRanges(std::string_view file, Pos pos) const {
  auto id = FindFile(file);
  if (!id) throw UnknownFileError(std::string(file));
  return AccessibleRanges(*id, pos);
}

std::vector<PremiseRange> Accessibility::AccessibleRanges(std::uint32_t file, Pos pos) const {
  std::vector<PremiseRange> ranges = ImportedRanges(file);
  const auto& rec = graph_.files[file];
  std::vector<PremiseRange> own;
  for (std::uint32_t i = rec.first_premise; i < rec.first_premise + rec.premise_count; ++i) {
    if (graph_.premise_end[i] <= pos) AddRange(own, i, i + 1);
  }
  ranges.insert(ranges.end(), own.begin(), own.end());
  return Normalise(std::move(ranges));
}

AccessMask Accessibility::MaskAt(std::string_view file, Pos pos) const {
  auto id = FindFile(file);
  if (!id) throw UnknownFileError(std::string(file));
  return MaskAt(*id, pos);
}

AccessMask Accessibility::MaskAt(std::uint32_t file, Pos pos) const {
  AccessMask mask(premise_count());
  for (const PremiseRange& r : ImportedRanges(file)) mask.SetRange(r);
  const auto& rec = graph_.files[file];
  for (std::uint32_t i = rec.first_premise; i < rec.first_premise + rec.premise_count; ++i) {
    if (graph_.premise_end[i] <= pos) mask.Set(i);
  }
  return mask;
}

}  // namespace tatami::retriever
