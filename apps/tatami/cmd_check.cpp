// `tatami check`: batch checking of Lean code through the worker pool.
//
// Input: JSON Lines ({"id": ..., "code": ...}) or .lean files (id = path).
// Every theorem and `example` of the input is checked, axioms included: the
// command (proof_check.h, PrepareCheck) names the examples and appends a
// `#print axioms` query for each declaration; the verdict is JudgeProof's.
// Output: one JSON line per input, {"id", "ok", "messages", "sorries",
// "time_s", "outcome"}, appended as each check finishes with a single
// write(2) on an O_APPEND descriptor (and fdatasync for a regular file), so a
// crash or Ctrl-C never loses or tears a finished line. Rerunning with the
// same output file skips the ids already there; a partial last line (from a
// crash mid-write) is cut off first.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "config_flags.h"
#include "interrupt.h"
#include "json_lines_writer.h"
#include "progress_bar.h"
#include "resumable_output.h"
#include "tatami/dojo/config.h"
#include "tatami/dojo/header.h"
#include "tatami/dojo/proof_check.h"
#include "tatami/dojo/worker_pool.h"

namespace tatami::cli {
namespace {

using nlohmann::json;
namespace dj = tatami::dojo;

struct CheckFlags {
  std::vector<std::string> inputs;
  std::string output;
  std::size_t jobs = 0;
  ConfigFlags config;  // the standard worker flags (--repl-cmd, --timeout, --memory-limit, ...)
  std::vector<std::string> ban;
  bool no_ban = false;
  std::size_t limit = 0;
  bool no_progress = false;
};

struct Item {
  json id;
  std::string key;  // id.dump(): what resumption compares
  std::string code;
  std::string where;  // file:line, for errors
};

// An output line's resumption key: its id as JSON text, for a line that is
// a check's result (an input line, or another command's output, is not).
std::string IdKey(const json& j) {
  return j.is_object() && j.contains("id") && j.contains("ok") && j.contains("outcome")
             ? j["id"].dump()
             : "";
}

// Reads all inputs. Bad lines are reported (file:line) and counted.
std::vector<Item> ReadInputs(const std::vector<std::string>& inputs, int* bad) {
  std::vector<Item> items;
  for (const std::string& input : inputs) {
    if (input.size() > 5 && input.substr(input.size() - 5) == ".lean") {
      std::ifstream in(input, std::ios::binary);
      if (!in) {
        std::fprintf(stderr, "tatami check: cannot read %s\n", input.c_str());
        ++*bad;
        continue;
      }
      std::string code((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      Item it{json(input), "", std::move(code), input};
      it.key = it.id.dump();
      items.push_back(std::move(it));
      continue;
    }
    std::ifstream file;
    std::istream* in = &std::cin;
    if (input != "-") {
      file.open(input, std::ios::binary);
      if (!file) {
        std::fprintf(stderr, "tatami check: cannot read %s\n", input.c_str());
        ++*bad;
        continue;
      }
      in = &file;
    }
    std::string line;
    std::size_t n = 0;
    while (std::getline(*in, line)) {
      ++n;
      const std::string where =
          (input == "-" ? std::string("<stdin>") : input) + ":" + std::to_string(n);
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      json j;
      try {
        j = json::parse(line);
      } catch (const json::exception& e) {
        std::fprintf(stderr, "tatami check: %s: not valid JSON (%s)\n", where.c_str(), e.what());
        ++*bad;
        continue;
      }
      if (!j.is_object() || !j.contains("id") ||
          !(j["id"].is_string() || j["id"].is_number_integer())) {
        std::fprintf(stderr, "tatami check: %s: needs an \"id\" (string or integer)\n",
                     where.c_str());
        ++*bad;
        continue;
      }
      if (!j.contains("code") || !j["code"].is_string()) {
        std::fprintf(stderr, "tatami check: %s: id %s needs a \"code\" string\n", where.c_str(),
                     j["id"].dump().c_str());
        ++*bad;
        continue;
      }
      Item it{j["id"], j["id"].dump(), j["code"].get<std::string>(), where};
      items.push_back(std::move(it));
    }
  }
  return items;
}

// Shifts REPL positions (relative to the body) back to lines of the input.
void ShiftLines(json& items, std::size_t offset) {
  if (offset == 0 || !items.is_array()) return;
  for (json& m : items)
    for (const char* key : {"pos", "endPos"})
      if (m.is_object() && m.contains(key) && m[key].is_object() && m[key].contains("line") &&
          m[key]["line"].is_number_integer() && m[key]["line"].get<std::int64_t>() > 0)
        m[key]["line"] = m[key]["line"].get<std::int64_t>() + static_cast<std::int64_t>(offset);
}

json ErrorMessage(const std::string& text) {
  return json::array(
      {{{"severity", "error"}, {"pos", {{"line", 0}, {"column", 0}}}, {"data", text}}});
}

// Builds the result line of one finished check.
json ResultLine(const Item& item, const dj::SplitSnippet& split, const dj::CheckCommand& command,
                const dj::PoolOutcome& outcome, double seconds,
                const dj::ProofCheckOptions& check) {
  json line = {{"id", item.id}};
  if (const auto* err = std::get_if<dj::PoolError>(&outcome)) {
    line["ok"] = false;
    line["messages"] = ErrorMessage(dj::Describe(*err));
    line["sorries"] = json::array();
    line["time_s"] = seconds;
    line["outcome"] = err->kind == dj::PoolError::kImportFailed    ? "import_failed"
                      : err->kind == dj::PoolError::kImportTimeout ? "import_timeout"
                      : err->kind == dj::PoolError::kBadRequest    ? "bad_input"
                                                                   : "not_run";
    return line;
  }
  const auto& repl = std::get<dj::ReplOutcome>(outcome);
  if (const auto* r = std::get_if<dj::ReplResponse>(&repl))
    seconds = std::chrono::duration<double>(r->elapsed).count();
  const dj::ProofVerdict v = dj::JudgeProof(split.body, repl, command.declarations, check);
  json messages = v.messages;  // without the answers to the `#print axioms` queries
  json sorries = json::array();
  if (const auto* r = std::get_if<dj::ReplResponse>(&repl);
      r && r->json.is_object() && r->json.contains("sorries"))
    sorries = r->json["sorries"];
  std::string outcome_name;
  switch (v.failed) {
    case dj::FailedCheck::kNone:
      outcome_name = "ok";
      break;
    case dj::FailedCheck::kBannedTactic: {
      // Giving up with sorry/admit is reported as what it is: a sorry.
      bool only_sorry = true;
      for (const std::string& b : v.banned)
        only_sorry = only_sorry && (b == "sorry" || b == "admit");
      outcome_name = only_sorry ? "sorry" : "banned_tactic";
      messages.push_back(ErrorMessage(v.reason)[0]);
      break;
    }
    case dj::FailedCheck::kLeanError:
      outcome_name = "lean_error";
      break;
    case dj::FailedCheck::kSorry:
      outcome_name = "sorry";
      break;
    case dj::FailedCheck::kAxiomsUnknown:
    case dj::FailedCheck::kAxioms:
      outcome_name = "axioms";
      messages.push_back(ErrorMessage(v.reason)[0]);
      break;
    case dj::FailedCheck::kNotChecked:
      outcome_name = std::holds_alternative<dj::ReplTimeout>(repl)    ? "timeout"
                     : std::holds_alternative<dj::ReplCrash>(repl)    ? "crash"
                     : std::holds_alternative<dj::ReplResponse>(repl) ? "repl_error"
                                                                      : "not_run";
      if (messages.empty()) messages = ErrorMessage(v.reason);
      break;
  }
  dj::RestorePositions(command, messages);
  dj::RestorePositions(command, sorries);
  ShiftLines(messages, split.body_first_line - 1);
  ShiftLines(sorries, split.body_first_line - 1);
  line["ok"] = v.ok;
  line["messages"] = std::move(messages);
  line["sorries"] = std::move(sorries);
  line["time_s"] = seconds;
  line["outcome"] = outcome_name;
  return line;
}

int RunCheck(const CheckFlags& flags) {
  dj::Config config = ResolveConfig(flags.config);
  if (flags.jobs) config.workers = flags.jobs;
  dj::ProofCheckOptions check;
  if (flags.no_ban)
    check.banned_tactics.clear();
  else if (!flags.ban.empty())
    check.banned_tactics = flags.ban;

  int bad = 0;
  RefuseOutputAmongInputs(flags.output, flags.inputs, "tatami check");
  std::vector<Item> items = ReadInputs(flags.inputs, &bad);
  std::set<std::string> done = flags.output.empty()
                                   ? std::set<std::string>{}
                                   : ResumeOutput(flags.output, "tatami check", IdKey);
  const std::size_t resumed = done.size();
  std::vector<Item> todo;
  // An id given twice with the same code is checked once; with other code,
  // the second is a bad input (which would the result be of?).
  std::map<std::string, const Item*> first;
  for (Item& it : items) {
    if (auto [at, fresh] = first.emplace(it.key, &it); !fresh) {
      if (at->second->code != it.code) {
        std::fprintf(stderr, "tatami check: %s: id %s again, with other code than at %s\n",
                     it.where.c_str(), it.key.c_str(), at->second->where.c_str());
        ++bad;
      }
      continue;
    }
    if (done.count(it.key)) continue;
    if (flags.limit && todo.size() >= flags.limit) break;
    todo.push_back(it);  // a copy: `first` still compares against it
  }
  JsonLinesWriter out(flags.output);
  ProgressBar progress("checking", todo.size(), !flags.no_progress);
  auto show_progress = [&](std::size_t finished, std::size_t ok) {
    progress.Update(finished, "ok " + std::to_string(ok));
  };
  const InterruptScope interrupt;

  std::mutex mu;
  std::condition_variable cv;
  std::size_t finished = 0, ok_count = 0, in_flight = 0;
  std::string write_error;
  // Set when no worker could be started: nothing more is checked, and what
  // was not checked is not written, so that a rerun checks it.
  std::string no_lean;
  std::size_t not_written = 0;
  {
    auto pool = std::make_shared<dj::WorkerPool>(config.ToPoolOptions());
    // Within the pool's queue, so that a retry sent from a pool callback
    // (below) never waits for room.
    const std::size_t window =
        std::max<std::size_t>(std::min<std::size_t>(2 * pool->size(), config.max_queue), 1);
    std::size_t submitted = 0;
    for (const Item& item : todo) {
      {
        std::unique_lock lock(mu);
        while (in_flight >= window && !interrupt.requested() && no_lean.empty() &&
               write_error.empty())
          cv.wait_for(lock, std::chrono::milliseconds(100));
        if (interrupt.requested() || !no_lean.empty() || !write_error.empty()) break;
        ++in_flight;
      }
      ++submitted;
      auto split = std::make_shared<dj::SplitSnippet>();
      try {
        *split = dj::SplitHeader(item.code);
      } catch (const std::invalid_argument& e) {
        json line = {{"id", item.id},
                     {"ok", false},
                     {"messages", ErrorMessage(std::string("bad header: ") + e.what())},
                     {"sorries", json::array()},
                     {"time_s", 0.0},
                     {"outcome", "bad_input"}};
        std::fprintf(stderr, "tatami check: %s: id %s: bad header: %s\n", item.where.c_str(),
                     item.key.c_str(), e.what());
        std::lock_guard lock(mu);
        ++bad;
        try {
          out.Write(line);
        } catch (const std::exception& w) {
          write_error = w.what();
        }
        --in_flight;
        ++finished;
        show_progress(finished, ok_count);
        continue;
      }
      auto command = std::make_shared<const dj::CheckCommand>(dj::PrepareCheck(split->body));
      const auto start = std::chrono::steady_clock::now();
      const auto finish = [&, split, command, start, item_ptr = &item](dj::PoolOutcome outcome) {
        if (const auto* err = std::get_if<dj::PoolError>(&outcome);
            err &&
            (err->kind == dj::PoolError::kStartFailed || err->kind == dj::PoolError::kShutdown ||
             err->kind == dj::PoolError::kQueueFull)) {
          // Not the code's result: Lean could not run it.
          std::lock_guard lock(mu);
          if (no_lean.empty()) no_lean = dj::Describe(*err);
          ++not_written;
          --in_flight;
          cv.notify_all();
          return;
        }
        const double secs =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        json line = ResultLine(*item_ptr, *split, *command, outcome, secs, check);
        const auto* rejected = std::get_if<dj::PoolError>(&outcome);
        std::lock_guard lock(mu);
        if (rejected && rejected->kind == dj::PoolError::kBadRequest) {
          // The pool refused the request itself (e.g. code that is not UTF-8).
          std::fprintf(stderr, "tatami check: %s: id %s: %s\n", item_ptr->where.c_str(),
                       item_ptr->key.c_str(), dj::Describe(*rejected).c_str());
          ++bad;
        }
        try {
          out.Write(line);
        } catch (const std::exception& e) {
          write_error = e.what();
        }
        if (line["ok"].get<bool>()) ++ok_count;
        ++finished;
        --in_flight;
        show_progress(finished, ok_count);
        cv.notify_all();
      };
      // A worker that dies under a check gets the check once more, on a fresh
      // worker, as the Dojo does for a tactic; a second death is the code's
      // outcome. (The function gets itself as an argument: capturing itself
      // would keep it alive for ever.)
      using Send = std::function<void(const std::shared_ptr<const void>&, int)>;
      auto send = std::make_shared<Send>();
      *send = [&pool, split, command, finish](const std::shared_ptr<const void>& self, int tries) {
        pool->SubmitAsync(split->header, {{"cmd", command->code}},
                          [finish, self, tries](dj::PoolOutcome outcome) {
                            if (const auto* repl = std::get_if<dj::ReplOutcome>(&outcome);
                                repl && tries == 1 && dj::RetryOnFreshWorker(*repl)) {
                              (*std::static_pointer_cast<const Send>(self))(self, 2);
                              return;
                            }
                            finish(std::move(outcome));
                          });
      };
      (*send)(send, 1);
    }
    std::unique_lock lock(mu);
    while (in_flight > 0) {
      if (interrupt.requests() > 1) break;  // a second Ctrl-C: stop waiting
      cv.wait_for(lock, std::chrono::milliseconds(100));
    }
    progress.Finish();
    if (in_flight > 0) {
      std::fprintf(stderr, "tatami check: interrupted again; %zu checks abandoned\n", in_flight);
      lock.unlock();
      std::fflush(stderr);
      // The children are in process groups of their own: end them, or they
      // would outlive us. Finished lines are on disk.
      dj::KillAllReplChildren();
      ::_exit(130);
    }
    (void)submitted;
  }
  std::fprintf(stderr,
               "tatami check: %zu checked (%zu ok), %zu already in the output, %d bad input%s\n",
               finished, ok_count, resumed, bad, bad == 1 ? "" : "s");
  if (!write_error.empty()) {
    std::fprintf(stderr, "tatami check: %s\n", write_error.c_str());
    return 1;
  }
  if (!no_lean.empty()) {
    std::fprintf(stderr,
                 "tatami check: error: Lean could not be run (%s); %zu checks not written, and "
                 "the rest not started: rerun with the same output file once it can\n",
                 no_lean.c_str(), not_written);
    return 1;
  }
  if (interrupt.requested()) {
    std::fprintf(stderr, "tatami check: interrupted; rerun with the same output file to resume\n");
    return 130;
  }
  return bad > 0 ? 1 : 0;
}

}  // namespace

void AddCheckCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<CheckFlags>();
  CLI::App* cmd = app.add_subcommand("check", "Check Lean code in batch through the worker pool");
  cmd->add_option("inputs", flags->inputs,
                  "JSON Lines files ({\"id\", \"code\"} per line; - = stdin) or .lean files")
      ->required();
  cmd->add_option("-o,--output", flags->output,
                  "JSON Lines output; rerunning with the same file skips the ids already in it "
                  "(default: stdout)");
  cmd->add_option("-j,--jobs", flags->jobs,
                  "checks run at once = worker processes (same as --workers)");
  AddConfigFlags(*cmd, &flags->config);
  std::string default_bans;
  for (const std::string& tactic : dj::ProofCheckOptions{}.banned_tactics)
    default_bans += (default_bans.empty() ? "" : " ") + tactic;
  cmd->add_option("--ban", flags->ban, "banned tactic (repeatable; default: " + default_bans + ")");
  cmd->add_flag("--no-ban", flags->no_ban, "ban no tactic");
  cmd->add_option("--limit", flags->limit, "check at most this many new ids, then stop");
  cmd->add_flag("--no-progress", flags->no_progress, "no progress bar even on a terminal");
  cmd->callback([flags, exit_code] {
    try {
      *exit_code = RunCheck(*flags);
    } catch (const dj::ConfigError& e) {
      std::fprintf(stderr, "tatami check: configuration error: %s\n", e.what());
      *exit_code = 2;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "tatami check: error: %s\n", e.what());
      *exit_code = 1;
    }
  });
}

}  // namespace tatami::cli
