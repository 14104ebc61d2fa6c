// Checking whole Lean snippets as `tatami check` does: the snippet's imports
// pick a warm worker, its examples are named and `#print axioms` queries
// appended (PrepareCheck), and JudgeProof gives the verdict. A failure of
// Lean (error, sorry, axioms, timeout, crash) is a CheckResult; a malformed
// import header is a ValueError.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bindings.h"
#include "durations.h"
#include "gil.h"
#include "json_conversion.h"
#include "tatami/dojo/header.h"
#include "tatami/dojo/proof_check.h"
#include "tatami/dojo/worker_pool.h"

namespace py = pybind11;
namespace dj = tatami::dojo;
using nlohmann::json;

namespace tatami::python {
namespace {

// The result of one snippet, with the outcome names of `tatami check`'s
// output lines (docs: apps/README.md).
struct CheckResult {
  bool ok = false;
  std::string outcome;
  json messages = json::array();
  json sorries = json::array();
  double time_s = 0;
  std::optional<dj::ProofVerdict> verdict;  // absent when Lean never ran the snippet
};

json ErrorMessage(const std::string& text) {
  return {{"severity", "error"}, {"pos", {{"line", 0}, {"column", 0}}}, {"data", text}};
}

void ShiftLines(json& items, std::size_t offset) {
  if (offset == 0 || !items.is_array()) return;
  for (auto& m : items)
    for (const char* key : {"pos", "endPos"})
      if (m.is_object() && m.contains(key) && m[key].is_object() && m[key].contains("line") &&
          m[key]["line"].is_number_integer() && m[key]["line"].get<std::int64_t>() > 0)
        m[key]["line"] = m[key]["line"].get<std::int64_t>() + static_cast<std::int64_t>(offset);
}

struct PreparedCheck {
  dj::SplitSnippet split;
  dj::CheckCommand command;
};

PreparedCheck Prepare(const std::string& code) {
  PreparedCheck p;
  try {
    p.split = dj::SplitHeader(code);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("check: bad import header: ") + e.what());
  }
  p.command = dj::PrepareCheck(p.split.body);
  return p;
}

CheckResult Judge(const PreparedCheck& p, const dj::PoolOutcome& outcome, double seconds,
                  const dj::ProofCheckOptions& options) {
  CheckResult r;
  r.time_s = seconds;
  if (const auto* err = std::get_if<dj::PoolError>(&outcome)) {
    r.outcome = err->kind == dj::PoolError::kImportFailed    ? "import_failed"
                : err->kind == dj::PoolError::kImportTimeout ? "import_timeout"
                                                             : "not_run";
    r.messages.push_back(ErrorMessage(dj::Describe(*err)));
    return r;
  }
  const auto& repl = std::get<dj::ReplOutcome>(outcome);
  if (const auto* resp = std::get_if<dj::ReplResponse>(&repl)) {
    r.time_s = std::chrono::duration<double>(resp->elapsed).count();
    if (resp->json.is_object() && resp->json.contains("sorries")) r.sorries = resp->json["sorries"];
  }
  dj::ProofVerdict v = dj::JudgeProof(p.split.body, repl, p.command.declarations, options);
  r.messages = v.messages;
  switch (v.failed) {
    case dj::FailedCheck::kNone:
      r.outcome = "ok";
      break;
    case dj::FailedCheck::kBannedTactic: {
      bool only_sorry = true;
      for (const std::string& b : v.banned)
        only_sorry = only_sorry && (b == "sorry" || b == "admit");
      r.outcome = only_sorry ? "sorry" : "banned_tactic";
      r.messages.push_back(ErrorMessage(v.reason));
      break;
    }
    case dj::FailedCheck::kLeanError:
      r.outcome = "lean_error";
      break;
    case dj::FailedCheck::kSorry:
      r.outcome = "sorry";
      break;
    case dj::FailedCheck::kAxiomsUnknown:
    case dj::FailedCheck::kAxioms:
      r.outcome = "axioms";
      r.messages.push_back(ErrorMessage(v.reason));
      break;
    case dj::FailedCheck::kNotChecked:
      r.outcome = std::holds_alternative<dj::ReplTimeout>(repl)    ? "timeout"
                  : std::holds_alternative<dj::ReplCrash>(repl)    ? "crash"
                  : std::holds_alternative<dj::ReplResponse>(repl) ? "repl_error"
                                                                   : "not_run";
      if (r.messages.empty()) r.messages.push_back(ErrorMessage(v.reason));
      break;
  }
  dj::RestorePositions(p.command, r.messages);
  dj::RestorePositions(p.command, r.sorries);
  ShiftLines(r.messages, p.split.body_first_line - 1);
  ShiftLines(r.sorries, p.split.body_first_line - 1);
  r.ok = v.ok;
  r.verdict = std::move(v);
  return r;
}

dj::ProofCheckOptions CheckOptions(std::optional<std::vector<std::string>> allowed_axioms,
                                   std::optional<std::vector<std::string>> banned_tactics) {
  dj::ProofCheckOptions o;
  if (allowed_axioms) o.allowed_axioms = std::move(*allowed_axioms);
  if (banned_tactics) o.banned_tactics = std::move(*banned_tactics);
  return o;
}

// Submits every snippet before waiting for any, so the pool runs them in
// parallel; the GIL is released only around the waiting, which Ctrl-C
// interrupts (the snippets submitted still run, their results are dropped).
std::vector<CheckResult> CheckMany(dj::WorkerPool& pool, const std::vector<std::string>& codes,
                                   std::optional<double> timeout,
                                   std::optional<std::vector<std::string>> allowed_axioms,
                                   std::optional<std::vector<std::string>> banned_tactics) {
  dj::SubmitOptions submit;
  if (timeout) submit.timeout = Milliseconds(*timeout, "check: timeout");
  const dj::ProofCheckOptions options =
      CheckOptions(std::move(allowed_axioms), std::move(banned_tactics));
  std::vector<PreparedCheck> prepared;
  prepared.reserve(codes.size());
  for (const std::string& code : codes) prepared.push_back(Prepare(code));
  std::vector<CheckResult> results;
  results.reserve(codes.size());
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::future<dj::PoolOutcome>> futures;
  futures.reserve(prepared.size());
  {
    // Submit blocks while the pool's queue is full (WorkerPoolOptions::max_queue).
    py::gil_scoped_release release;
    for (const PreparedCheck& p : prepared)
      futures.push_back(pool.Submit(p.split.header, {{"cmd", p.command.code}}, submit));
  }
  for (std::size_t i = 0; i < futures.size(); ++i) {
    WaitInterruptibly([&](std::chrono::milliseconds within) {
      return futures[i].wait_for(within) == std::future_status::ready;
    });
    py::gil_scoped_release release;
    dj::PoolOutcome outcome = futures[i].get();
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    results.push_back(Judge(prepared[i], outcome, secs, options));
  }
  return results;
}

}  // namespace

void BindCheck(py::module_& m) {
  py::class_<CheckResult>(m, "CheckResult",
                          "The verdict on one snippet, as a line of `tatami check`'s output.")
      .def_readonly("ok", &CheckResult::ok, "True when the snippet is a sound, complete proof.")
      .def_readonly("outcome", &CheckResult::outcome,
                    "ok, lean_error, sorry, axioms, banned_tactic, timeout, crash, repl_error, "
                    "import_failed, import_timeout or not_run.")
      .def_property_readonly(
          "messages", [](const CheckResult& r) { return ToPython(r.messages); },
          "Lean's messages, positions relative to the snippet.")
      .def_property_readonly("sorries", [](const CheckResult& r) { return ToPython(r.sorries); })
      .def_readonly("time_s", &CheckResult::time_s)
      .def_readonly("verdict", &CheckResult::verdict,
                    "The ProofVerdict, or None when the snippet never reached Lean.")
      .def("__repr__", [](const CheckResult& r) {
        return std::string("CheckResult(ok=") + (r.ok ? "True" : "False") + ", outcome='" +
               r.outcome + "')";
      });

  m.def(
      "check",
      [](dj::WorkerPool& pool, const std::string& code, std::optional<double> timeout,
         std::optional<std::vector<std::string>> allowed_axioms,
         std::optional<std::vector<std::string>> banned_tactics) {
        return std::move(
            CheckMany(pool, {code}, timeout, std::move(allowed_axioms), std::move(banned_tactics))
                .front());
      },
      py::arg("pool"), py::arg("code"), py::kw_only(), py::arg("timeout") = py::none(),
      py::arg("allowed_axioms") = py::none(), py::arg("banned_tactics") = py::none(),
      "Checks one Lean snippet (imports, then declarations) as `tatami check` does. timeout in "
      "seconds (None: the pool's request_timeout). ValueError for a malformed import header.");
  m.def("check_many", &CheckMany, py::arg("pool"), py::arg("codes"), py::kw_only(),
        py::arg("timeout") = py::none(), py::arg("allowed_axioms") = py::none(),
        py::arg("banned_tactics") = py::none(),
        "Checks many snippets in parallel over the pool; results in input order.");
}

}  // namespace tatami::python
