#include "tatami/data/export.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>
#include <unordered_set>

#include <fmt/format.h>

namespace tatami::data {
namespace {

using nlohmann::json;
// Rows keep their keys in the documented order (state first, source last).
using Row = nlohmann::ordered_json;
namespace fs = std::filesystem;

// A JSON Lines file written under a temporary name and renamed when complete,
// so that an interrupted export leaves the previous output intact.
class RowFile {
 public:
  explicit RowFile(fs::path path) : path_(std::move(path)), tmp_(path_) {
    tmp_ += ".tmp";
    out_.open(tmp_, std::ios::binary | std::ios::trunc);
    if (!out_)
      throw std::runtime_error("cannot write " + tmp_.string() + ": " + std::strerror(errno));
  }
  // An export that stopped on an error leaves no temporary file behind.
  ~RowFile() {
    if (committed_) return;
    out_.close();
    std::error_code ignored;
    fs::remove(tmp_, ignored);
  }
  RowFile(const RowFile&) = delete;
  RowFile& operator=(const RowFile&) = delete;

  void Write(const Row& row) { out_ << row.dump() << '\n'; }
  void Commit() {
    out_.flush();
    if (!out_)
      throw std::runtime_error("cannot write " + tmp_.string() + ": " + std::strerror(errno));
    out_.close();
    fs::rename(tmp_, path_);
    committed_ = true;
  }

 private:
  fs::path path_, tmp_;
  std::ofstream out_;
  bool committed_ = false;
};

std::string Key(std::initializer_list<const std::string*> parts) {
  std::string key;
  for (const std::string* p : parts) {
    key += *p;
    key += '\0';  // cannot occur inside a part: JSON strings from Lean hold no NUL
  }
  return key;
}

}  // namespace

ExportSummary ExportTrainingData(const ExportOptions& options) {
  if (options.results.empty()) throw std::invalid_argument("no result files given");
  if (options.tree_dirs.size() != 1 && options.tree_dirs.size() != options.results.size())
    throw std::invalid_argument(
        fmt::format("give one tree directory for all result files or one per file ({} files, {} "
                    "tree directories)",
                    options.results.size(), options.tree_dirs.size()));
  if (options.output_dir.empty()) throw std::invalid_argument("no output directory given");
  if (!options.tree_file_stem)
    throw std::invalid_argument("no tree file naming given (ExportOptions::tree_file_stem)");
  for (const fs::path& dir : options.tree_dirs)
    if (!fs::is_directory(dir))
      throw std::invalid_argument(dir.string() + ": not a directory (the --tree-dir of the run)");
  fs::create_directories(options.output_dir);
  RowFile tactic_file(options.output_dir / "tactics.jsonl");
  RowFile preference_file(options.output_dir / "preferences.jsonl");

  ExportSummary summary;
  std::unordered_set<std::string> tactic_keys, preference_keys;
  for (std::size_t f = 0; f < options.results.size(); ++f) {
    const fs::path& run = options.results[f];
    const fs::path& tree_dir = options.tree_dirs[options.tree_dirs.size() == 1 ? 0 : f];
    std::ifstream in(run, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + run.string());
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);) {
      ++n;
      const std::string where = fmt::format("{}:{}", run.string(), n);
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      const json result = json::parse(line, nullptr, false);
      if (result.is_discarded() || !result.is_object()) {
        summary.problems.push_back(where + ": not a JSON object");
        continue;
      }
      if (!result.contains("name") || !result["name"].is_string() || !result.contains("status") ||
          !result["status"].is_string()) {
        summary.problems.push_back(where +
                                   ": needs string fields \"name\" and \"status\" (a `tatami "
                                   "prove` result line)");
        continue;
      }
      ++summary.theorems;
      if (result["status"] != "proved") continue;
      const std::string name = result["name"];
      std::vector<std::string> proof;
      if (!result.contains("proof") || !result["proof"].is_array()) {
        summary.problems.push_back(where + ": proved, but \"proof\" is not a list of tactics");
        continue;
      }
      bool strings = true;
      for (const json& t : result["proof"]) {
        if (!t.is_string())
          strings = false;
        else
          proof.push_back(t.get<std::string>());
      }
      if (!strings) {
        summary.problems.push_back(where + ": proved, but \"proof\" is not a list of tactics");
        continue;
      }
      // The run names the tree file in the line; older runs did not.
      std::string stem = options.tree_file_stem(name);
      if (result.contains("tree")) {
        const json& t = result["tree"];
        if (!t.is_string() || t.get_ref<const std::string&>().empty() ||
            t.get_ref<const std::string&>().find('/') != std::string::npos ||
            t.get_ref<const std::string&>()[0] == '.') {
          summary.problems.push_back(where + ": \"tree\" is not a file name in the tree directory");
          continue;
        }
        stem = t.get<std::string>();
      }
      fs::path tree_path = tree_dir / (stem + ".json");
      if (!result.contains("tree") && !fs::exists(tree_path)) {
        // Runs before stems were one to one replaced each unsafe byte by '_'.
        std::string old;
        for (unsigned char c : name)
          old += (std::isalnum(c) || c == '_' || c == '-' || c == '.') ? static_cast<char>(c) : '_';
        if (old.empty() || old[0] == '.') old = "_" + old;
        if (fs::exists(tree_dir / (old + ".json"))) tree_path = tree_dir / (old + ".json");
      }
      std::ifstream tree_in(tree_path, std::ios::binary);
      if (!tree_in) {
        summary.problems.push_back(fmt::format(
            "{}: theorem {} was proved but its tree {} cannot be read (run `tatami prove` with "
            "--tree-dir)",
            where, name, tree_path.string()));
        continue;
      }
      const json tree = json::parse(tree_in, nullptr, false);
      if (tree.is_discarded()) {
        summary.problems.push_back(
            fmt::format("{}: the tree of {} is not valid JSON", tree_path.string(), name));
        continue;
      }
      TreeRows rows;
      try {
        rows = RowsFromTree(tree, proof);
      } catch (const ExportInputError& e) {
        summary.problems.push_back(
            fmt::format("{}: {} (theorem {}, {})", tree_path.string(), e.what(), name, where));
        continue;
      }
      ++summary.proved;
      const Row source = {
          {"run", run.string()}, {"line", n}, {"theorem", name}, {"tree", tree_path.string()}};
      for (const TacticRow& r : rows.tactics) {
        if (!tactic_keys.insert(Key({&r.state, &r.tactic})).second) {
          ++summary.tactic_duplicates;
          continue;
        }
        Row s = source;
        s["node"] = r.node;
        s["edge"] = r.edge;
        s["next"] = r.next;
        tactic_file.Write({{"state", r.state}, {"tactic", r.tactic}, {"source", std::move(s)}});
        ++summary.tactic_rows;
      }
      for (const PreferenceRow& r : rows.preferences) {
        if (!preference_keys.insert(Key({&r.state, &r.chosen, &r.rejected})).second) {
          ++summary.preference_duplicates;
          continue;
        }
        Row s = source;
        s["node"] = r.node;
        s["chosen_edge"] = r.chosen_edge;
        s["rejected_edge"] = r.rejected_edge;
        s["rejected_node"] = r.rejected_node;
        preference_file.Write({{"state", r.state},
                               {"chosen", r.chosen},
                               {"rejected", r.rejected},
                               {"message", r.message},
                               {"source", std::move(s)}});
        ++summary.preference_rows;
      }
    }
    if (in.bad()) throw std::runtime_error("cannot read " + run.string());
  }
  tactic_file.Commit();
  preference_file.Commit();
  return summary;
}

}  // namespace tatami::data
