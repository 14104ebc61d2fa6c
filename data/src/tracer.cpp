#include "tatami/data/tracer.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tatami/data/declarations.h"
#include "tatami/data/trace_assembly.h"
#include "tatami/dojo/header.h"
#include "trace_helper_text.h"

namespace tatami::data {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Bumped when the stored result's format or the assembly changes, so old
// results are traced again.
constexpr std::string_view kFormatVersion = "tatami-trace-1";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string ModulePath(std::string_view module) {
  std::string p(module);
  std::replace(p.begin(), p.end(), '.', '/');
  return p + ".lean";
}

std::vector<std::string> ListFiles(const TraceOptions& o) {
  std::vector<std::string> files;
  if (!o.targets.empty()) {
    for (const std::string& t : o.targets) {
      fs::path p = t;
      if (p.extension() != ".lean") p = ModulePath(t);
      const fs::path full = p.is_absolute() ? p : o.project / p;
      if (!fs::is_regular_file(full))
        throw std::invalid_argument("no such file or module in " + o.project.string() + ": " + t);
      files.push_back(fs::relative(full, o.project).generic_string());
    }
    return files;
  }
  for (auto it = fs::recursive_directory_iterator(o.project); it != fs::end(it); ++it) {
    const std::string name = it->path().filename().string();
    if (it->is_directory() &&
        (name == ".lake" || name == "lake-packages" || (!name.empty() && name[0] == '.'))) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file() && it->path().extension() == ".lean" && name != "lakefile.lean")
      files.push_back(fs::relative(it->path(), o.project).generic_string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string NowUtc() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() %
      1000000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return fmt::format("{}.{:06}", buf, micros);
}

// Whether `toolchain` (e.g. leanprover/lean4:v4.33.0-rc2) is Lean v4.19 or
// later, where lean_project/TatamiTrace.lean is meant to run.
bool HelperSupported(std::string_view toolchain) {
  const std::size_t v = toolchain.find(":v4.");
  if (v == std::string_view::npos) return false;
  return std::atol(std::string(toolchain.substr(v + 4)).c_str()) >= 19;
}

// Names the helper command can take as written (plain dotted identifiers).
bool PlainName(std::string_view n) {
  if (n.empty() || n.substr(0, 8) == "_private") return false;
  for (char c : n)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '\'' ||
          c == '!' || c == '?' || (static_cast<unsigned char>(c) & 0x80)))
      return false;
  return true;
}

// The definition sites the helper reported (an info message holding a JSON list).
std::unordered_map<std::string, DefinitionSite> HelperSites(const dojo::PoolOutcome& outcome) {
  std::unordered_map<std::string, DefinitionSite> sites;
  const auto* repl = std::get_if<dojo::ReplOutcome>(&outcome);
  const auto* r = repl ? std::get_if<dojo::ReplResponse>(repl) : nullptr;
  if (!r) return sites;
  const json& j = r->json;
  if (!j.contains("messages") || !j["messages"].is_array()) return sites;
  for (const json& m : j["messages"]) {
    if (m.value("severity", "") != "info" || !m.contains("data") || !m["data"].is_string())
      continue;
    json list;
    try {
      list = json::parse(m["data"].get<std::string>());
    } catch (const json::exception&) {
      continue;
    }
    if (!list.is_array()) continue;
    for (const json& e : list) {
      try {
        const std::string module = e.at("module").get<std::string>();
        std::string path = module;
        std::replace(path.begin(), path.end(), '.', '/');
        const json& p = e.at("pos");
        const json& q = e.at("endPos");
        sites[e.at("name").get<std::string>()] =
            DefinitionSite{path + ".lean", Pos{p.at(0).get<long>(), p.at(1).get<long>() + 1},
                           Pos{q.at(0).get<long>(), q.at(1).get<long>() + 1}};
      } catch (const json::exception&) {
      }
    }
  }
  return sites;
}

struct FileInfo {
  std::string path;
  std::string content_hash;
  std::vector<std::string> imports;  // module names
  std::string key;
};

}  // namespace

std::string FileKey(std::string_view content, std::string_view toolchain,
                    const std::vector<std::string>& imported_keys) {
  std::vector<std::string_view> parts{kFormatVersion, toolchain, content};
  for (const std::string& k : imported_keys) parts.push_back(k);
  return HashKey(parts);
}

TraceSummary TraceProject(dojo::WorkerPool& pool, const TraceOptions& o,
                          const std::function<void(const TraceProgress&)>& on_progress) {
  if (!fs::is_directory(o.project))
    throw std::invalid_argument("not a directory: " + o.project.string());
  std::string toolchain = o.toolchain;
  if (toolchain.empty()) {
    toolchain = "unknown";
    if (fs::exists(o.project / "lean-toolchain")) {
      toolchain = ReadFile(o.project / "lean-toolchain");
      while (!toolchain.empty() && std::isspace(static_cast<unsigned char>(toolchain.back())))
        toolchain.pop_back();
    }
  }
  const TraceStore store(o.output);
  const std::vector<std::string> paths = ListFiles(o);

  // Pass 1: imports, content hashes and where each project declaration is.
  std::vector<FileInfo> infos;
  std::unordered_map<std::string, std::size_t> by_path;
  std::unordered_map<std::string, DefinitionSite> sites;
  for (const std::string& path : paths) {
    const std::string text = ReadFile(o.project / path);
    FileInfo fi;
    fi.path = path;
    fi.content_hash = HashKey({text});
    try {
      fi.imports = dojo::SplitHeader(text).header.Modules();
    } catch (const std::invalid_argument&) {
      // Reported when the file is traced.
    }
    for (const Declaration& d : ListDeclarations(text))
      sites.emplace(d.premise.full_name, DefinitionSite{path, d.name_pos, d.name_end});
    by_path.emplace(path, infos.size());
    infos.push_back(std::move(fi));
  }
  // Keys, imported project files first (a cycle is cut where it closes).
  std::vector<int> state(infos.size(), 0);
  std::function<void(std::size_t)> key_of = [&](std::size_t i) {
    if (state[i]) return;
    state[i] = 1;
    std::vector<std::string> imported;
    for (const std::string& m : infos[i].imports) {
      auto it = by_path.find(ModulePath(m));
      if (it == by_path.end()) continue;
      key_of(it->second);
      imported.push_back(infos[it->second].key);
    }
    infos[i].key = FileKey(infos[i].content_hash, toolchain, imported);
    state[i] = 2;
  };
  for (std::size_t i = 0; i < infos.size(); ++i) key_of(i);

  TraceSummary summary;
  summary.files = infos.size();
  std::vector<std::size_t> todo;
  for (std::size_t i = 0; i < infos.size(); ++i) {
    if (store.StoredKey(infos[i].path) == infos[i].key)
      ++summary.cached;
    else
      todo.push_back(i);
  }
  TraceProgress progress{todo.size(), 0, 0};
  if (on_progress) on_progress(progress);

  const DefinitionLookup lookup = [&](std::string_view name) -> std::optional<DefinitionSite> {
    auto it = sites.find(std::string(name));
    if (it == sites.end()) return std::nullopt;
    return it->second;
  };

  struct Done {
    std::size_t index;
    dojo::PoolOutcome outcome;
    bool helper = false;  // the answer to the premise-locating request
  };
  const bool locate = o.locate_premises && HelperSupported(toolchain);
  // Answers waiting for their premise-locating request (at most `window`).
  std::unordered_map<std::size_t, json> waiting;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Done> finished;
  std::size_t in_flight = 0;
  const std::size_t window = std::max<std::size_t>(2 * pool.size(), 2);
  dojo::SubmitOptions submit;
  submit.timeout = o.file_timeout;

  std::function<void(std::size_t, const dojo::PoolOutcome*, std::string)> store_result;
  // The premise-locating request for file i, whose answer was `j`; false if
  // nothing needs placing.
  std::function<bool(std::size_t, const json&)> locate_premises;
  std::unordered_map<std::string, DefinitionSite> extra_sites;  // for the file being stored
  store_result = [&](std::size_t i, const dojo::PoolOutcome* outcome, std::string error) {
    const FileInfo& fi = infos[i];
    FileResult r;
    r.path = fi.path;
    r.key = fi.key;
    r.corpus.path = fi.path;
    for (const std::string& m : fi.imports) r.corpus.imports.push_back(ModulePath(m));
    if (error.empty() && outcome) {
      if (const auto* pe = std::get_if<dojo::PoolError>(outcome)) {
        error = dojo::Describe(*pe);
      } else {
        const auto& repl = std::get<dojo::ReplOutcome>(*outcome);
        const auto* resp = std::get_if<dojo::ReplResponse>(&repl);
        if (!resp) {
          error = dojo::Describe(repl);
        } else {
          const json& j = resp->json;
          if (j.contains("message") && !j.contains("env")) {
            error = "the REPL answered with an error: " +
                    (j["message"].is_string() ? j["message"].get<std::string>() : j.dump());
          } else {
            const std::string text = ReadFile(o.project / fi.path);
            const dojo::SplitSnippet split = dojo::SplitHeader(text);
            FileTraceInput in{o.url, o.commit, fi.path,
                              text,  &j,       static_cast<long>(split.body_first_line)};
            if (extra_sites.empty()) {
              r.theorems = AssembleTheorems(in, lookup);
            } else {
              const DefinitionLookup with_extra =
                  [&](std::string_view name) -> std::optional<DefinitionSite> {
                if (auto s = lookup(name)) return s;
                auto it = extra_sites.find(std::string(name));
                if (it == extra_sites.end()) return std::nullopt;
                return it->second;
              };
              r.theorems = AssembleTheorems(in, with_extra);
            }
            for (Declaration& d : ListDeclarations(text))
              r.corpus.premises.push_back(std::move(d.premise));
          }
        }
      }
    }
    r.error = error;
    if (!error.empty()) {
      r.theorems.clear();
      ++summary.failed;
      ++progress.failed;
      summary.failures.push_back(fi.path + ": " + error);
    } else {
      ++summary.traced;
    }
    store.Put(r);
    ++progress.done;
    if (on_progress) on_progress(progress);
  };
  auto drain = [&](bool wait_all) {
    std::unique_lock lock(mu);
    while (true) {
      while (!finished.empty()) {
        Done d = std::move(finished.front());
        finished.pop_front();
        --in_flight;
        lock.unlock();
        if (d.helper) {
          extra_sites = HelperSites(d.outcome);
          const dojo::PoolOutcome main = dojo::ReplOutcome(dojo::ReplResponse{
              dojo::ResponseJson(std::move(waiting.at(d.index))), {}, {}, std::nullopt});
          waiting.erase(d.index);
          store_result(d.index, &main, "");
          extra_sites.clear();
        } else {
          const auto* repl = std::get_if<dojo::ReplOutcome>(&d.outcome);
          const auto* resp = repl ? std::get_if<dojo::ReplResponse>(repl) : nullptr;
          if (!(locate && resp && locate_premises(d.index, resp->json)))
            store_result(d.index, &d.outcome, "");
        }
        lock.lock();
      }
      if (in_flight == 0 || (!wait_all && in_flight < window)) return;
      cv.wait(lock, [&] { return !finished.empty(); });
    }
  };

  locate_premises = [&](std::size_t i, const json& j) -> bool {
    if (!j.contains("tactics") || (j.contains("message") && !j.contains("env"))) return false;
    std::vector<std::string> names;
    for (const ReplTactic& t : TacticsFromAllTactics(j["tactics"]))
      for (const std::string& c : t.used_constants)
        if (!sites.count(c) && PlainName(c)) names.push_back(c);
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    if (names.empty()) return false;
    std::vector<std::string> modules = infos[i].imports;
    if (std::find(modules.begin(), modules.end(), "Lean") == modules.end())
      modules.push_back("Lean");
    std::string body = dojo::SplitHeader(kTraceHelperSource).body + "\n#tatami_decl_ranges";
    for (const std::string& n : names) body += " " + n;
    waiting[i] = j;
    {
      std::lock_guard lock(mu);
      ++in_flight;
    }
    pool.SubmitAsync(
        dojo::HeaderOf(modules), {{"cmd", body}},
        [&, i](dojo::PoolOutcome outcome) {
          std::lock_guard lock(mu);
          finished.push_back({i, std::move(outcome), true});
          cv.notify_all();
        },
        submit);
    return true;
  };

  for (std::size_t i : todo) {
    if (o.stop && o.stop->load()) {
      summary.interrupted = true;
      break;
    }
    drain(false);
    std::string text;
    dojo::SplitSnippet split;
    try {
      text = ReadFile(o.project / infos[i].path);
      split = dojo::SplitHeader(text);
    } catch (const std::exception& e) {
      store_result(i, nullptr, std::string("bad header: ") + e.what());
      continue;
    }
    json request = {{"cmd", split.body}, {"allTactics", true}, {"infotree", "substantive"}};
    {
      std::lock_guard lock(mu);
      ++in_flight;
    }
    pool.SubmitAsync(
        split.header, std::move(request),
        [&, i](dojo::PoolOutcome outcome) {
          std::lock_guard lock(mu);
          finished.push_back({i, std::move(outcome), false});
          cv.notify_all();
        },
        submit);
  }
  drain(true);
  if (o.stop && o.stop->load() && summary.traced + summary.failed < todo.size())
    summary.interrupted = true;

  // Nothing changed since the dataset files were last assembled (same files,
  // same keys, same url and commit): they stand as they are.
  std::vector<std::string_view> parts{o.url, o.commit};
  for (const FileInfo& fi : infos) {
    parts.push_back(fi.path);
    parts.push_back(fi.key);
  }
  const std::string assembled_key = HashKey(parts);
  const fs::path assembled = o.output / "files" / ".assembled";
  if (summary.traced == 0 && summary.failed == 0 && !summary.interrupted &&
      fs::exists(o.output / "theorems.json") && fs::exists(o.output / "metadata.json")) {
    std::ifstream in(assembled);
    std::string key;
    std::size_t count = 0;
    if (in >> key >> count && key == assembled_key) {
      summary.theorems = count;
      return summary;
    }
  }

  DatasetMetadata meta;
  meta.dataset_name = "tatami trace of " + (o.url.empty() ? o.project.filename().string() : o.url);
  meta.creation_time = NowUtc();
  meta.url = o.url;
  meta.commit = o.commit;
  meta.toolchain = toolchain;
  meta.tatami_version = o.tatami_version;
  summary.theorems = store.Assemble(paths, meta);
  WriteFileAtomically(assembled, assembled_key + " " + std::to_string(summary.theorems) + "\n");
  return summary;
}

}  // namespace tatami::data
