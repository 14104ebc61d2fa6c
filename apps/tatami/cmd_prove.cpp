// `tatami prove`: best-first proof search on many theorems at once.
//
// Input: JSON Lines of {"name", "header", "formal_statement"} (other fields
// ignored; "-" = stdin), LeanDojo split files (*.json: an array of
// {"file_path", "full_name"} in the Lake project --project), or .lean files
// (every theorem in them, or those named by --theorem). Output: one JSON
// line per theorem, {"name", "status", "proof", "expansions", "states",
// "generator_s", "lean_s", "total_s", "generator"}, appended as each search
// ends with one write(2) on an O_APPEND descriptor; rerunning with the same
// output skips the names already there (a torn last line is cut off first).
// A theorem that cannot be entered (its file, imports or statement) gets
// status "error" and an "error" text; when Lean cannot be run at all (the
// worker does not start), the run stops with exit code 1 and writes nothing
// for the theorems it could not enter, so that a rerun tries them again.
//
// With --index and --encoder, generation is retrieval-augmented as in
// ReProver: the --num-premises best premises accessible to the theorem
// (prove_retrieval.h) go before each state in the generator's input.
//
// `--jobs` searches run at once, each on its own worker, sharing one
// generator through a batching front, so the model's batches and Lean's
// tactics overlap. Ctrl-C stops every search after its current expansion
// without writing it (what is written stays); a second Ctrl-C exits at once.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "config_flags.h"
#include "interrupt.h"
#include "json_lines_writer.h"
#include "progress_bar.h"
#include "prove_retrieval.h"
#include "resumable_output.h"
#include "tatami/data/trace_store.h"
#include "tatami/dojo/dojo.h"
#include "tatami/dojo/lean_file.h"
#include "tatami/search/batching_generator.h"
#include "tatami/search/best_first_search.h"
#include "tatami/search/dojo_environment.h"
#include "tatami/search/generator_factory.h"
#include "tatami/search/retrieval_augmented_generator.h"
#include "tatami/search/tree_export.h"

namespace tatami::cli {
namespace {

using nlohmann::json;
namespace dj = tatami::dojo;
namespace se = tatami::search;
namespace rt = tatami::retriever;
namespace fs = std::filesystem;

struct ProveFlags {
  std::vector<std::string> inputs;
  std::vector<std::string> theorems;
  std::string output;
  std::string generator = "fixed";
  // Defaults from the options of the search and the batcher, which own them.
  int num_tactics = se::SearchOptions{}.num_tactics;
  std::size_t max_expansions = se::SearchOptions{}.max_expansions;
  double timeout_s = std::chrono::duration<double>(se::SearchOptions{}.timeout).count();
  std::optional<std::string> tactic_timeout;
  std::size_t jobs = 1;
  std::string tree_dir;
  std::string shard;
  std::size_t num_shards = 0;
  std::size_t batch_size = se::BatchingOptions{}.max_batch;
  double batch_wait_ms =
      std::chrono::duration<double, std::milli>(se::BatchingOptions{}.max_wait).count();
  std::size_t speculation_depth = se::SearchOptions{}.speculation_depth;
  std::size_t limit = 0;
  bool no_progress = false;
  std::string index;
  EncoderFlags encoder;
  int num_premises = 100;  // ReProver's num_retrieved
  ConfigFlags config;
};

struct Theorem {
  std::string name;
  std::string where;  // input file and line, for errors
  // Either header + statement, or a file and a name in it.
  std::string header, statement;
  fs::path file;
  // For retrieval: the theorem's file as the premise corpus names it and its
  // position there, when the input says.
  std::string corpus_file;
  std::optional<rt::Pos> position;
  // For header + statement inputs: what tells apart theorems that share a
  // name (ProofNet has some), in the output line as "statement_hash".
  std::string statement_hash;
};

// What tells apart statements that share a name (search::TextHash).
std::string StatementHash(const std::string& header, const std::string& statement) {
  return se::TextHash(header + '\x1f' + statement);
}

// What a result line and an input theorem are known by for resuming: the
// name, and the statement's hash when there is one.
std::string ResumeKey(const std::string& name, const std::string& statement_hash) {
  return name + '\x1f' + statement_hash;
}

bool EndsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Bad lines are reported with file:line and counted in *bad.
std::vector<Theorem> ReadInputs(const ProveFlags& flags, const fs::path& project, int* bad) {
  std::vector<Theorem> out;
  // --theorem names that picked a theorem; one that picks none is a mistake.
  std::set<std::string> matched;
  bool any_lean = false;
  for (const std::string& input : flags.inputs) {
    if (EndsWith(input, ".lean")) {
      any_lean = true;
      const std::string text = ReadAll(input);
      for (const dj::TheoremSource& t : dj::ListTheorems(text)) {
        if (!flags.theorems.empty()) {
          bool wanted = false;
          for (const std::string& name : flags.theorems)
            if (name == t.name || name == t.full_name) {
              matched.insert(name);
              wanted = true;
            }
          if (!wanted) continue;
        }
        out.push_back({t.full_name,
                       input + ":" + std::to_string(t.line),
                       "",
                       "",
                       input,
                       {},
                       std::nullopt,
                       {}});
      }
      continue;
    }
    if (EndsWith(input, ".json")) {
      json doc;
      try {
        doc = json::parse(ReadAll(input));
      } catch (const json::exception& e) {
        throw std::runtime_error(input + ": not valid JSON (" + e.what() + ")");
      }
      if (!doc.is_array())
        throw std::runtime_error(input + ": a LeanDojo split file is a JSON array of theorems");
      for (std::size_t i = 0; i < doc.size(); ++i) {
        const json& t = doc[i];
        if (!t.is_object() || !t.contains("file_path") || !t["file_path"].is_string() ||
            !t.contains("full_name") || !t["full_name"].is_string()) {
          std::fprintf(stderr,
                       "tatami prove: %s: entry %zu needs \"file_path\" and \"full_name\"\n",
                       input.c_str(), i);
          ++*bad;
          continue;
        }
        // LeanDojo's "start" is the theorem's [line, column]: where ReProver
        // computes which premises it may use.
        std::optional<rt::Pos> start;
        if (t.contains("start") && t["start"].is_array() && t["start"].size() == 2 &&
            t["start"][0].is_number_integer() && t["start"][1].is_number_integer())
          start = rt::Pos{t["start"][0].get<std::int32_t>(), t["start"][1].get<std::int32_t>()};
        out.push_back({t["full_name"].get<std::string>(),
                       input + "[" + std::to_string(i) + "]",
                       "",
                       "",
                       project / t["file_path"].get<std::string>(),
                       t["file_path"].get<std::string>(),
                       start,
                       {}});
      }
      continue;
    }
    std::ifstream file;
    std::istream* in = &std::cin;
    if (input != "-") {
      file.open(input, std::ios::binary);
      if (!file) throw std::runtime_error("cannot read " + input);
      in = &file;
    }
    std::string line;
    std::size_t n = 0;
    while (std::getline(*in, line)) {
      ++n;
      const std::string where = (input == "-" ? "<stdin>" : input) + ":" + std::to_string(n);
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      json j;
      try {
        j = json::parse(line);
      } catch (const json::exception& e) {
        std::fprintf(stderr, "tatami prove: %s: not valid JSON (%s)\n", where.c_str(), e.what());
        ++*bad;
        continue;
      }
      if (!j.is_object() || !j.contains("name") || !j["name"].is_string() ||
          !j.contains("formal_statement") || !j["formal_statement"].is_string() ||
          (j.contains("header") && !j["header"].is_string())) {
        std::fprintf(stderr,
                     "tatami prove: %s: needs string fields \"name\" and \"formal_statement\" "
                     "(and \"header\" if present)\n",
                     where.c_str());
        ++*bad;
        continue;
      }
      // The name is what the output and a rerun know the theorem by.
      if (j["name"].get_ref<const std::string&>().empty()) {
        std::fprintf(stderr, "tatami prove: %s: \"name\" is empty\n", where.c_str());
        ++*bad;
        continue;
      }
      Theorem t{j["name"].get<std::string>(),
                where,
                j.value("header", ""),
                j["formal_statement"].get<std::string>(),
                {},
                {},
                std::nullopt,
                {}};
      t.statement_hash = StatementHash(t.header, t.statement);
      out.push_back(std::move(t));
    }
  }
  if (!flags.theorems.empty() && !any_lean)
    throw std::invalid_argument("--theorem picks theorems of .lean inputs, and there is none");
  for (const std::string& name : flags.theorems)
    if (!matched.count(name))
      throw std::invalid_argument("--theorem " + name + ": no such theorem in the .lean inputs");
  return out;
}

// Which shard this process runs: --shard i/N, else SLURM's array variables,
// else Kubernetes' JOB_COMPLETION_INDEX with --num-shards. {0, 1} = all.
std::pair<std::size_t, std::size_t> ResolveShard(const ProveFlags& flags) {
  auto number = [](const std::string& what, const std::string& text) {
    std::size_t pos = 0;
    unsigned long long v = 0;
    try {
      v = std::stoull(text, &pos);
    } catch (const std::exception&) {
      pos = std::string::npos;
    }
    if (pos != text.size() || text.empty() || text[0] == '-')
      throw std::invalid_argument(what + ": expected a non-negative integer, got \"" + text + "\"");
    return static_cast<std::size_t>(v);
  };
  std::size_t index = 0, count = 1;
  std::string source;
  if (!flags.shard.empty()) {
    const std::size_t slash = flags.shard.find('/');
    if (slash == std::string::npos)
      throw std::invalid_argument("--shard: expected i/N (e.g. 0/4), got \"" + flags.shard + "\"");
    index = number("--shard", flags.shard.substr(0, slash));
    count = number("--shard", flags.shard.substr(slash + 1));
    source = "--shard";
  } else if (const char* id = std::getenv("SLURM_ARRAY_TASK_ID")) {
    const char* n = std::getenv("SLURM_ARRAY_TASK_COUNT");
    if (!n)
      throw std::invalid_argument("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not");
    // The array's ids run MIN, MIN+STEP, ..., MAX (--array=1-9:2); shard k
    // is the k-th of them. An array given as a list (--array=1,4,9) has ids
    // no shard number follows from.
    const std::size_t id_value = number("SLURM_ARRAY_TASK_ID", id);
    count = number("SLURM_ARRAY_TASK_COUNT", n);
    const char* min_text = std::getenv("SLURM_ARRAY_TASK_MIN");
    const char* max_text = std::getenv("SLURM_ARRAY_TASK_MAX");
    const char* step_text = std::getenv("SLURM_ARRAY_TASK_STEP");
    const std::size_t min = min_text ? number("SLURM_ARRAY_TASK_MIN", min_text) : 0;
    const std::size_t step = step_text ? number("SLURM_ARRAY_TASK_STEP", step_text) : 1;
    if (step == 0) throw std::invalid_argument("SLURM_ARRAY_TASK_STEP is 0");
    const bool evenly_spaced =
        id_value >= min && (id_value - min) % step == 0 &&
        (!max_text || number("SLURM_ARRAY_TASK_MAX", max_text) == min + (count - 1) * step);
    if (count == 0 || !evenly_spaced)
      throw std::invalid_argument(
          "SLURM array task " + std::to_string(id_value) + ": the array's ids are not MIN, " +
          "MIN+STEP, ..., MAX for SLURM_ARRAY_TASK_COUNT tasks (an array given as a list?); " +
          "give each task its shard with --shard i/N");
    index = (id_value - min) / step;
    source = "SLURM_ARRAY_TASK_ID/COUNT";
  } else if (const char* k8s = std::getenv("JOB_COMPLETION_INDEX")) {
    if (flags.num_shards == 0)
      throw std::invalid_argument(
          "JOB_COMPLETION_INDEX is set: give the number of shards with "
          "--num-shards (the job's completions)");
    index = number("JOB_COMPLETION_INDEX", k8s);
    count = flags.num_shards;
    source = "JOB_COMPLETION_INDEX/--num-shards";
  }
  if (count == 0 || index >= count)
    throw std::invalid_argument(source + ": shard " + std::to_string(index) + " of " +
                                std::to_string(count) + " does not exist (shards are 0..N-1)");
  return {index, count};
}

// An output line's resumption key (ResumeKey), or "" for a line without a name.
std::string LineKey(const json& j) {
  if (!j.is_object() || !j.contains("name") || !j["name"].is_string()) return "";
  const bool hashed = j.contains("statement_hash") && j["statement_hash"].is_string();
  return ResumeKey(j["name"].get<std::string>(),
                   hashed ? j["statement_hash"].get<std::string>() : std::string());
}

// " (default: X)" for a flag's help, X being the value the flag starts with
// (so that the help cannot drift from the options that own the default).
template <class T>
std::string DefaultText(const T& value) {
  std::ostringstream out;
  out << " (default: " << value << ")";
  return out.str();
}

int RunProve(ProveFlags flags) {
  if (flags.num_tactics <= 0) throw std::invalid_argument("--num-tactics must be positive");
  if (!(flags.timeout_s > 0)) throw std::invalid_argument("--timeout must be positive");
  if (flags.jobs == 0) throw std::invalid_argument("--jobs must be at least 1");
  if (!(flags.batch_wait_ms >= 0) || flags.batch_wait_ms > 3.6e6)
    throw std::invalid_argument("--batch-wait-ms must be between 0 and 3600000 (an hour)");
  if (flags.tactic_timeout) flags.config.timeout = flags.tactic_timeout;
  dj::Config config = ResolveConfig(flags.config);
  config.workers = flags.jobs;
  const auto [shard, shards] = ResolveShard(flags);
  if (flags.index.empty() != flags.encoder.model.empty())
    throw std::invalid_argument(
        "--index and --encoder go together: the premise index and the encoder it was built with");
  if (flags.num_premises <= 0) throw std::invalid_argument("--num-premises must be positive");
  // A flag with nothing to act on is a mistake; the file's and the
  // environment's key stays quiet, since it serves every command.
  if (flags.config.index_in_memory.value_or(false) && flags.index.empty())
    throw std::invalid_argument("--index-in-memory needs --index");
  std::shared_ptr<se::TacticGenerator> base = se::MakeGenerator(flags.generator);
  // Opened before any search starts, so a wrong index or encoder is reported at once.
  std::unique_ptr<ProveRetrieval> retrieval;
  if (!flags.index.empty()) {
    retrieval = std::make_unique<ProveRetrieval>(flags.index, flags.encoder, flags.num_premises,
                                                 IndexOpenOptionsFor(config));
    // In front of the model and behind the batching: each model batch's
    // states (of every search, predictions included) are embedded in one
    // encoder call.
    base = std::make_shared<se::RetrievalAugmentedGenerator>(
        base, [r = retrieval.get()](const std::vector<std::string>& states,
                                    const std::vector<std::uint64_t>& scopes) {
          return r->Premises(states, scopes);
        });
  }

  RefuseOutputAmongInputs(flags.output, flags.inputs, "tatami prove");
  int bad = 0;
  std::vector<Theorem> all = ReadInputs(flags, config.project_dir, &bad);
  // What decides a search's result besides the generator, in every line, so
  // that a rerun can tell lines of other settings apart.
  json settings = {{"num_tactics", flags.num_tactics},
                   {"max_expansions", flags.max_expansions},
                   {"timeout_s", flags.timeout_s}};
  if (!flags.index.empty()) {
    // As given: a rerun naming them otherwise only warns.
    settings["index"] = flags.index;
    settings["encoder"] = flags.encoder.model;
    settings["num_premises"] = flags.num_premises;
  }
  std::set<std::string> earlier_generators, earlier_settings;
  std::set<std::string> done = ResumeOutput(flags.output, "tatami prove", [&](const json& j) {
    if (j.is_object() && j.contains("generator") && j["generator"].is_string())
      earlier_generators.insert(j["generator"].get<std::string>());
    if (j.is_object() && j.contains("settings")) earlier_settings.insert(j["settings"].dump());
    return LineKey(j);
  });
  for (const std::string& other : earlier_settings)
    if (other != settings.dump())
      std::fprintf(stderr,
                   "tatami prove: warning: %s holds results searched with other settings (%s, "
                   "now %s); they are kept, and their theorems are not searched again\n",
                   flags.output.c_str(), other.c_str(), settings.dump().c_str());
  const std::size_t resumed = done.size();
  // Theorems that share a name but not a statement are searched each, and
  // their trees are told apart by the statement too.
  std::map<std::string, std::size_t> name_uses;
  std::vector<Theorem> todo;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < all.size(); ++i) {
    const std::string key = ResumeKey(all[i].name, all[i].statement_hash);
    if (!seen.insert(key).second) {
      std::fprintf(stderr, "tatami prove: %s: theorem %s appears again; searched once\n",
                   all[i].where.c_str(), all[i].name.c_str());
      continue;
    }
    ++name_uses[all[i].name];
    // A line from before statement hashes existed stands for its name.
    if (i % shards != shard || done.count(key) || done.count(ResumeKey(all[i].name, ""))) continue;
    if (flags.limit && todo.size() >= flags.limit) continue;  // name_uses counts on
    todo.push_back(std::move(all[i]));
  }
  if (!flags.tree_dir.empty()) fs::create_directories(flags.tree_dir);

  se::SearchOptions options;
  options.num_tactics = flags.num_tactics;
  options.max_expansions = flags.max_expansions;
  // A timeout of a century or more (inf included) is no limit, and stays one
  // that a clock's deadline can hold.
  constexpr double kLongest_s = 100.0 * 365 * 24 * 3600;
  options.timeout = std::chrono::milliseconds(
      static_cast<long long>(std::min(flags.timeout_s, kLongest_s) * 1000));
  options.speculation_depth = flags.speculation_depth;
  // Ctrl-C stops every search after its current expansion; the handlers
  // are restored however this function ends.
  InterruptScope interrupt;
  options.cancel = &interrupt.stop_flag();
  se::BatchingOptions batching;
  batching.max_batch = std::max<std::size_t>(flags.batch_size, 1);
  batching.max_wait = std::chrono::microseconds(static_cast<long long>(flags.batch_wait_ms * 1000));
  auto generator = std::make_shared<se::BatchingGenerator>(base, batching);
  for (const std::string& other : earlier_generators)
    if (other != generator->Describe())
      std::fprintf(stderr,
                   "tatami prove: warning: %s holds results of another generator (%s); they are "
                   "kept, and their theorems are not searched again\n",
                   flags.output.c_str(), other.c_str());

  JsonLinesWriter out(flags.output);
  ProgressBar progress("prove", todo.size(), !flags.no_progress);

  std::mutex mu;
  std::size_t next = 0, finished = 0, proved = 0, failed = 0, open = 0, errors = 0;
  std::string fatal;
  const auto start = std::chrono::steady_clock::now();
  {
    auto pool = std::make_shared<dj::WorkerPool>(config.ToPoolOptions());
    dj::Dojo dojo(pool);
    auto worker = [&] {
      se::BatchingGenerator::Client client(*generator);
      se::SearchOptions mine = options;
      // Batching with the other searches, and speculation; not for a
      // generator that answers at once (scripted, fixed), which they would
      // only slow down.
      mine.batching = base->AnswersAtOnce() ? nullptr : &client;
      for (;;) {
        std::size_t i;
        {
          std::lock_guard lock(mu);
          if (interrupt.stop_flag().load() || !fatal.empty() || next >= todo.size()) return;
          i = next++;
        }
        const Theorem& t = todo[i];
        json line = {{"name", t.name}};
        if (!t.statement_hash.empty()) line["statement_hash"] = t.statement_hash;
        const auto t0 = std::chrono::steady_clock::now();
        try {
          dj::TacticState root = t.file.empty() ? dojo.Enter(t.header, t.statement)
                                                : dojo.EnterFromFile(t.file, t.name);
          se::DojoEnvironment env(dojo, std::move(root));
          // Per theorem, since which premises it may use depends on where it
          // is; known to the premise source while the search runs.
          std::optional<ProveRetrieval::Scope> scope;
          if (retrieval) scope.emplace(retrieval->ScopeFor(t.corpus_file, t.position));
          mine.premise_scope = scope ? scope->id() : 0;
          se::SearchResult r = se::BestFirstSearch(env, mine.batching ? *generator : *base, mine);
          if (r.cancelled) return;
          line["status"] = se::ToString(r.status);
          line["proof"] = r.proof ? json(*r.proof) : json(nullptr);
          line["expansions"] = r.expansions;
          line["states"] = r.states;
          line["generator_s"] = r.generator_s;
          line["lean_s"] = r.lean_s;
          line["total_s"] =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          line["generator"] = generator->Describe();
          line["settings"] = settings;
          if (!flags.tree_dir.empty()) {
            const std::string stem = se::TreeFileStem(
                name_uses.at(t.name) > 1 ? t.name + '\x1f' + t.statement_hash : t.name);
            const fs::path base = fs::path(flags.tree_dir) / stem;
            data::WriteFileAtomically(fs::path(base).concat(".json"),
                                      se::TreeToJson(r.tree).dump(1) + "\n");
            data::WriteFileAtomically(fs::path(base).concat(".dot"), se::TreeToDot(r.tree, t.name));
            line["tree"] = stem;
          }
        } catch (const dj::DojoError& e) {
          if (e.kind() == dj::DojoError::kNoLean) {
            // Not this theorem's result: stop, so that a rerun enters it again.
            std::lock_guard lock(mu);
            if (fatal.empty()) fatal = t.name + ": " + e.what();
            interrupt.RequestStop();
            return;
          }
          // The theorem's own result, with every field a search's line has.
          line["status"] = "error";
          line["proof"] = nullptr;
          line["expansions"] = 0;
          line["states"] = 0;
          line["generator_s"] = 0.0;
          line["lean_s"] = 0.0;
          line["total_s"] =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          line["generator"] = generator->Describe();
          line["settings"] = settings;
          line["error"] = e.what();
        } catch (const std::exception& e) {
          // The generator or the pool failed: nothing more can be searched.
          std::lock_guard lock(mu);
          if (fatal.empty()) fatal = t.name + ": " + e.what();
          interrupt.RequestStop();
          return;
        }
        std::lock_guard lock(mu);
        try {
          out.Write(line);
        } catch (const std::exception& e) {
          if (fatal.empty()) fatal = e.what();
          interrupt.RequestStop();
          return;
        }
        const std::string status = line["status"];
        ++finished;
        proved += status == "proved";
        failed += status == "failed";
        open += status == "open";
        errors += status == "error";
        progress.Update(finished);
      }
    };
    std::vector<std::thread> threads;
    for (std::size_t j = 0; j < std::min(flags.jobs, todo.size()); ++j)
      threads.emplace_back(worker);
    // A second Ctrl-C gives up on the searches still running; finished lines are on disk.
    std::atomic<bool> all_joined{false};
    std::thread watchdog([&] {
      while (!all_joined.load()) {
        if (interrupt.requests() > 1) {
          std::fprintf(stderr,
                       "\ntatami prove: interrupted again; searches in progress abandoned\n");
          std::fflush(stderr);
          // The children are in process groups of their own: end them, or they
          // would outlive us. Finished lines are on disk.
          dj::KillAllReplChildren();
          ::_exit(130);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
    for (std::thread& th : threads) th.join();
    all_joined.store(true);
    watchdog.join();
  }
  progress.Finish();
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::size_t searched = proved + failed + open;
  std::fprintf(
      stderr,
      "tatami prove: proved %zu / %zu (pass rate %.1f%%; %zu failed, %zu open, %zu could "
      "not be entered) in %.1f s; %zu already in the output; shard %zu/%zu; %d bad input%s\n",
      proved, searched,
      searched ? 100.0 * static_cast<double>(proved) / static_cast<double>(searched) : 0.0, failed,
      open, errors, secs, resumed, shard, shards, bad, bad == 1 ? "" : "s");
  if (!fatal.empty()) {
    std::fprintf(stderr, "tatami prove: error: %s\n", fatal.c_str());
    return 1;
  }
  if (interrupt.requested()) {
    std::fprintf(stderr, "tatami prove: interrupted; rerun with the same output file to resume\n");
    return 130;
  }
  return bad > 0 ? 1 : 0;
}

}  // namespace

void AddProveCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<ProveFlags>();
  CLI::App* cmd = app.add_subcommand("prove", "Best-first proof search on theorems");
  cmd->add_option("inputs", flags->inputs,
                  "JSON Lines of {\"name\", \"header\", \"formal_statement\"} (- = stdin), "
                  "LeanDojo split files (*.json) or .lean files")
      ->required();
  cmd->add_option("--theorem", flags->theorems,
                  "with .lean inputs: only this theorem (short or full name; repeatable)");
  cmd->add_option("-o,--output", flags->output,
                  "JSON Lines output; rerunning with the same file skips the theorems in it "
                  "(default: stdout)");
  cmd->add_option("--generator", flags->generator,
                  "scripted:FILE.json, fixed[:t1,t2,...], torchscript:MODEL.pt or http:URL "
                  "(http:URL[,model=M,temperature=T,max_tokens=N,retries=N,timeout_s=S]; "
                  "default: fixed)");
  cmd->add_option("--num-tactics", flags->num_tactics,
                  "candidates asked per expansion" + DefaultText(flags->num_tactics));
  cmd->add_option("--max-expansions", flags->max_expansions,
                  "most expansions per theorem; 0 = unlimited" + DefaultText(flags->max_expansions))
      ->check(Count(0));
  AddConfigFlags(*cmd, &flags->config);
  // --timeout is the search budget here; the per-request deadline is --tactic-timeout.
  cmd->remove_option(cmd->get_option("--timeout"));
  // One worker per search: --jobs says how many (the configuration's
  // `workers`, which serves other commands, is not used).
  cmd->remove_option(cmd->get_option("--workers"));
  cmd->add_option("--timeout", flags->timeout_s,
                  "seconds of search per theorem" + DefaultText(flags->timeout_s));
  cmd->add_option("--tactic-timeout", flags->tactic_timeout,
                  "deadline of one Lean request, e.g. 60s (the workers' --timeout elsewhere; "
                  "default: 60s)");
  cmd->add_option("-j,--jobs", flags->jobs,
                  "theorems searched at once = worker processes (default: 1)")
      ->check(Count(1));
  cmd->add_option("--tree-dir", flags->tree_dir,
                  "write each theorem's search tree as NAME.json and NAME.dot here");
  cmd->add_option("--shard", flags->shard,
                  "run shard i of N (theorems whose input position is i mod N), e.g. 0/4; "
                  "default from SLURM_ARRAY_TASK_ID/COUNT or JOB_COMPLETION_INDEX");
  cmd->add_option("--num-shards", flags->num_shards,
                  "shard count when the index comes from JOB_COMPLETION_INDEX")
      ->check(Count(0));
  cmd->add_option("--batch-size", flags->batch_size,
                  "most generator requests per model call" + DefaultText(flags->batch_size))
      ->check(Count(1));
  cmd->add_option("--batch-wait-ms", flags->batch_wait_ms,
                  "longest wait for a fuller batch, ms" + DefaultText(flags->batch_wait_ms));
  cmd->add_option("--speculation-depth", flags->speculation_depth,
                  "nodes each search asks the model for ahead of need while Lean runs "
                  "(0 = none)" +
                      DefaultText(flags->speculation_depth))
      ->check(Count(0));
  cmd->add_option("--index", flags->index,
                  "premise index (tatami index build): retrieval-augmented generation as "
                  "ReProver's; needs --encoder");
  cmd->add_option("--encoder", flags->encoder.model,
                  "the TorchScript encoder the index was built with (docs/retrieval.md)");
  cmd->add_option("--num-premises", flags->num_premises,
                  "premises retrieved per state with --index" + DefaultText(flags->num_premises));
  AddIndexFlags(*cmd, &flags->config);
  cmd->add_option("--limit", flags->limit, "search at most this many new theorems")
      ->check(Count(0));
  cmd->add_flag("--no-progress", flags->no_progress, "no progress bar even on a terminal");
  cmd->callback([flags, exit_code] {
    try {
      *exit_code = RunProve(*flags);
    } catch (const dj::ConfigError& e) {
      std::fprintf(stderr, "tatami prove: configuration error: %s\n", e.what());
      *exit_code = 2;
    } catch (const se::GeneratorSpecError& e) {
      std::fprintf(stderr, "tatami prove: %s\n", e.what());
      *exit_code = 2;
    } catch (const rt::IndexError& e) {
      std::fprintf(stderr, "tatami prove: --index: %s\n", e.what());
      *exit_code = 2;
    } catch (const rt::EncoderError& e) {
      std::fprintf(stderr, "tatami prove: --encoder: %s\n", e.what());
      *exit_code = 2;
    } catch (const std::invalid_argument& e) {
      std::fprintf(stderr, "tatami prove: %s\n", e.what());
      *exit_code = 2;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "tatami prove: error: %s\n", e.what());
      *exit_code = 1;
    }
  });
}

}  // namespace tatami::cli
