// The Dojo, its worker pool, proof states, goals and the typed results of a
// tactic. Lean's failures are values (LeanError, Timeout, ProofGivenUp);
// misuse raises (ValueError), and so does a theorem that cannot be entered
// (DojoError).
#include <pybind11/operators.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bindings.h"
#include "durations.h"
#include "gil.h"
#include "json_conversion.h"
#include "tatami/dojo/config.h"
#include "tatami/dojo/dojo.h"
#include "tatami/dojo/goal.h"
#include "tatami/dojo/worker_pool.h"

namespace py = pybind11;
namespace dj = tatami::dojo;

namespace tatami::python {
namespace {

std::string Quote(const std::string& s) { return py::repr(py::str(s)).cast<std::string>(); }

// Snake case, as every other kind name of the module.
std::string FailedCheckName(dj::FailedCheck c) {
  std::string name(dj::ToString(c));
  for (char& ch : name)
    if (ch == ' ') ch = '_';
  return name;
}

std::string LeanErrorKindName(dj::LeanError::Kind k) {
  switch (k) {
    case dj::LeanError::kTactic:
      return "tactic";
    case dj::LeanError::kProofRejected:
      return "proof_rejected";
    case dj::LeanError::kTacticTooLong:
      return "tactic_too_long";
    case dj::LeanError::kWorkerFailure:
      return "worker_failure";
  }
  return "tactic";
}

py::dict PoolStatsDict(const dj::PoolStats& s) {
  py::dict d;
  d["starts"] = s.starts;
  d["imports"] = s.imports;
  d["import_failures"] = s.import_failures;
  d["reuses"] = s.reuses;
  d["repurposes"] = s.repurposes;
  d["recycles"] = s.recycles;
  d["restarts"] = s.restarts;
  d["requests"] = s.requests;
  d["queue_depth"] = s.queue_depth;
  d["workers_alive"] = s.workers_alive;
  d["leases_held"] = s.leases_held;
  return d;
}

std::shared_ptr<dj::WorkerPool> MakePool(std::vector<std::string> command,
                                         std::filesystem::path project_dir, std::size_t workers,
                                         double request_timeout, double startup_timeout,
                                         std::uint64_t memory_limit, std::uint64_t max_proof_states,
                                         std::uint64_t recycle_rss,
                                         std::map<std::string, std::string> environment) {
  if (command.empty())
    throw std::invalid_argument("WorkerPool: command is empty (expected the argv of a REPL)");
  dj::WorkerPoolOptions o;
  o.repl_command = std::move(command);
  o.project_dir = std::move(project_dir);
  o.workers = workers;
  o.request_timeout = Milliseconds(request_timeout, "WorkerPool: request_timeout");
  o.startup_timeout = Milliseconds(startup_timeout, "WorkerPool: startup_timeout");
  o.memory_limit_bytes = memory_limit;
  o.max_proof_states = max_proof_states;
  o.recycle_rss_bytes = recycle_rss;
  o.environment = std::move(environment);
  return MakeSharedWithoutGil<dj::WorkerPool>(std::move(o));
}

std::shared_ptr<dj::Dojo> MakeDojo(std::shared_ptr<dj::WorkerPool> pool,
                                   std::size_t max_tactic_bytes, double tactic_timeout,
                                   double check_timeout, int max_recoveries,
                                   std::optional<std::vector<std::string>> allowed_axioms,
                                   std::optional<std::vector<std::string>> banned_tactics) {
  if (!pool) throw std::invalid_argument("Dojo: pool is None");
  if (max_recoveries < 0) throw std::invalid_argument("Dojo: max_recoveries must be >= 0");
  dj::DojoOptions o;
  o.max_tactic_bytes = max_tactic_bytes;
  o.tactic_timeout = Milliseconds(tactic_timeout, "Dojo: tactic_timeout");
  o.check_timeout = Milliseconds(check_timeout, "Dojo: check_timeout");
  o.max_recoveries = max_recoveries;
  if (allowed_axioms) o.proof_check.allowed_axioms = std::move(*allowed_axioms);
  if (banned_tactics) o.proof_check.banned_tactics = std::move(*banned_tactics);
  return MakeSharedWithoutGil<dj::Dojo>(std::move(pool), std::move(o));
}

}  // namespace

void BindDojo(py::module_& m) {
  // DojoError, and NoLeanError under it for a Lean that cannot run at all
  // (DojoError::kNoLean): a caller may retry that later, not the theorem.
  static py::handle dojo_error = PyErr_NewExceptionWithDoc(
      "tatami.DojoError",
      "A theorem could not be entered (file, name, statement or header); names the input.",
      PyExc_RuntimeError, nullptr);
  static py::handle no_lean_error = PyErr_NewExceptionWithDoc(
      "tatami.NoLeanError",
      "No Lean to enter a theorem in: the worker process could not be started, or the pool is "
      "full or shutting down. Not the theorem's fault; another theorem would fail the same way.",
      dojo_error.ptr(), nullptr);
  if (!dojo_error || !no_lean_error) throw py::error_already_set();
  m.attr("DojoError") = dojo_error;
  m.attr("NoLeanError") = no_lean_error;
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const dj::DojoError& e) {
      PyErr_SetString(e.kind() == dj::DojoError::kNoLean ? no_lean_error.ptr() : dojo_error.ptr(),
                      e.what());
    }
  });
  py::register_exception<dj::ConfigError>(m, "ConfigError", PyExc_ValueError);

  py::class_<dj::Hypothesis>(m, "Hypothesis", "One line group of a goal's local context.")
      .def_readonly("names", &dj::Hypothesis::names, "Names bound (``a``, ``b`` in ``a b : Nat``).")
      .def_readonly("type", &dj::Hypothesis::type, "Everything after `` : ``.")
      .def_readonly("type_on_new_line", &dj::Hypothesis::type_on_new_line,
                    "Lean broke the line after the colon.")
      .def(py::self == py::self)
      .def("__repr__", [](const dj::Hypothesis& h) {
        std::string names;
        for (const auto& n : h.names) names += (names.empty() ? "" : " ") + n;
        return "Hypothesis(" + Quote(names + " : " + h.type) + ")";
      });

  py::class_<dj::Goal>(m, "Goal", "One goal split into case tag, hypotheses and target.")
      .def_readonly("case_tag", &dj::Goal::case_tag, "``h`` for a goal printed under ``case h``.")
      .def_readonly("hypotheses", &dj::Goal::hypotheses)
      .def_readonly("target", &dj::Goal::target, "The target after ``⊢ ``.")
      .def_property_readonly("pretty", &dj::FormatGoal, "The goal exactly as Lean prints it.")
      .def(py::self == py::self)
      .def("__repr__", [](const dj::Goal& g) { return "Goal(" + Quote(dj::FormatGoal(g)) + ")"; });
  m.def("parse_goal", &dj::ParseGoal, py::arg("text"),
        "Splits one pretty-printed goal; ValueError if it has no ``⊢`` line.");

  py::class_<dj::TacticState>(m, "TacticState",
                              "An immutable handle on one proof state of an entered theorem. It "
                              "stays usable across worker crashes (the Dojo replays its path).")
      .def_property_readonly("pretty", &dj::TacticState::pretty,
                             "The goals as Lean prints them, separated by blank lines.")
      .def_property_readonly("goals", &dj::TacticState::goals, "The goals, structured.")
      .def_property_readonly("goal_strings", &dj::TacticState::goal_strings,
                             "One pretty-printed string per goal.")
      .def_property_readonly("num_goals", &dj::TacticState::num_goals)
      .def_property_readonly("path", &dj::TacticState::path,
                             "The tactics from the theorem's root to this state.")
      .def_property_readonly("theorem_name", &dj::TacticState::theorem_name)
      .def_property_readonly("id", &dj::TacticState::id, "This state's number in its Dojo.")
      .def_property_readonly("dojo_id", &dj::TacticState::dojo_id)
      .def("__eq__", [](const dj::TacticState& a, const dj::TacticState& b) { return a == b; })
      .def("__hash__",
           [](const dj::TacticState& s) { return py::hash(py::make_tuple(s.dojo_id(), s.id())); })
      .def("__repr__", [](const dj::TacticState& s) {
        return "TacticState(id=" + std::to_string(s.id()) +
               ", num_goals=" + std::to_string(s.num_goals()) + ")";
      });

  py::class_<dj::ProofVerdict>(m, "ProofVerdict", "The whole-proof check's verdict.")
      .def_readonly("ok", &dj::ProofVerdict::ok)
      .def_property_readonly(
          "failed", [](const dj::ProofVerdict& v) { return FailedCheckName(v.failed); },
          "Which check failed: none (ok), banned_tactic, not_checked, lean_error, sorry, "
          "axioms_unknown or axioms.")
      .def_readonly("reason", &dj::ProofVerdict::reason)
      .def_readonly("axioms", &dj::ProofVerdict::axioms)
      .def_property_readonly(
          "messages", [](const dj::ProofVerdict& v) { return ToPython(v.messages); },
          "Lean's messages of the check (dicts with severity, pos, endPos, data).")
      .def_readonly("banned", &dj::ProofVerdict::banned)
      .def_readonly("timed_out", &dj::ProofVerdict::timed_out)
      .def("__repr__", [](const dj::ProofVerdict& v) {
        return std::string("ProofVerdict(ok=") + (v.ok ? "True" : "False") +
               ", failed=" + Quote(FailedCheckName(v.failed)) + ")";
      });

  py::class_<dj::ProofFinished>(m, "ProofFinished",
                                "The last goal is closed and the whole proof passed the check.")
      .def_readonly("tactics", &dj::ProofFinished::tactics, "The whole proof, from the root.")
      .def_readonly("checked_code", &dj::ProofFinished::checked_code)
      .def_readonly("verdict", &dj::ProofFinished::verdict)
      .def("__repr__", [](const dj::ProofFinished& p) {
        return "ProofFinished(tactics=" + py::repr(py::cast(p.tactics)).cast<std::string>() + ")";
      });

  py::class_<dj::LeanError>(m, "LeanError",
                            "Lean rejected the tactic, or the finished proof failed its check.")
      .def_property_readonly(
          "kind", [](const dj::LeanError& e) { return LeanErrorKindName(e.kind); },
          "``tactic``, ``proof_rejected``, ``tactic_too_long`` or ``worker_failure``.")
      .def_readonly("message", &dj::LeanError::message, "Lean's message, or what went wrong.")
      .def_readonly("verdict", &dj::LeanError::verdict)
      .def("__repr__", [](const dj::LeanError& e) {
        return "LeanError(kind=" + Quote(LeanErrorKindName(e.kind)) +
               ", message=" + Quote(e.message) + ")";
      });

  py::class_<dj::Timeout>(m, "Timeout", "The tactic or the completion check ran out of time.")
      .def_property_readonly(
          "limit", [](const dj::Timeout& t) { return Seconds(t.limit); },
          "The deadline, in seconds.")
      .def_readonly("during_check", &dj::Timeout::during_check)
      .def("__repr__", [](const dj::Timeout& t) {
        return "Timeout(limit=" + std::to_string(Seconds(t.limit)) +
               ", during_check=" + (t.during_check ? "True" : "False") + ")";
      });

  py::class_<dj::ProofGivenUp>(m, "ProofGivenUp",
                               "The tactic uses a banned tactic (sorry, admit, native_decide); "
                               "it was not sent to Lean.")
      .def_readonly("banned", &dj::ProofGivenUp::banned)
      .def("__repr__", [](const dj::ProofGivenUp& g) {
        return "ProofGivenUp(banned=" + py::repr(py::cast(g.banned)).cast<std::string>() + ")";
      });

  py::class_<dj::WorkerPool, std::shared_ptr<dj::WorkerPool>>(
      m, "WorkerPool",
      "A pool of warm Lean REPL processes keyed by import header. Thread-safe. When the last "
      "reference goes (Dojos hold one), it kills and reaps every child, with the GIL released.")
      .def(py::init(&MakePool), py::arg("command"), py::kw_only(),
           py::arg("project_dir") = std::filesystem::path(), py::arg("workers") = 0,
           py::arg("request_timeout") = 60.0, py::arg("startup_timeout") = 600.0,
           py::arg("memory_limit") = 0, py::arg("max_proof_states") = 0, py::arg("recycle_rss") = 0,
           py::arg("environment") = std::map<std::string, std::string>{},
           "command: argv of one REPL worker (e.g. ['lake', 'env', 'repl']); workers=0 means "
           "one per core; timeouts in seconds (0 = none); memory_limit and recycle_rss in bytes "
           "(0 = none).")
      .def_static(
          "from_config",
          [](std::optional<std::filesystem::path> config_file) {
            const dj::Config c = dj::LoadConfig(config_file, dj::ProcessEnvironment());
            return MakeSharedWithoutGil<dj::WorkerPool>(c.ToPoolOptions());
          },
          py::arg("config_file") = py::none(),
          "A pool configured as the tatami CLI is: the config file (or $TATAMI_CONFIG), then "
          "the TATAMI_* environment variables.")
      .def_property_readonly("size", &dj::WorkerPool::size, "Number of worker slots.")
      .def(
          "stats", [](const dj::WorkerPool& p) { return PoolStatsDict(p.stats()); },
          "Counters since the pool was created, as a dict.");

  py::class_<dj::Dojo, std::shared_ptr<dj::Dojo>>(
      m, "Dojo",
      "Lean as an environment, one theorem and one tactic at a time. Thread-safe: run_tac on "
      "states of different theorems runs in parallel (call it from several Python threads; the "
      "GIL is released while Lean works).")
      .def(py::init(&MakeDojo), py::arg("pool"), py::kw_only(), py::arg("max_tactic_bytes") = 4096,
           py::arg("tactic_timeout") = 0.0, py::arg("check_timeout") = 0.0,
           py::arg("max_recoveries") = 4, py::arg("allowed_axioms") = py::none(),
           py::arg("banned_tactics") = py::none(),
           "Timeouts in seconds; 0 = the pool's request_timeout.")
      .def("enter", &dj::Dojo::Enter, py::arg("header"), py::arg("statement"),
           py::call_guard<py::gil_scoped_release>(),
           "Enters a theorem given as import header (may be empty) and statement "
           "(``theorem foo (n : Nat) : n + 0 = n``). Raises DojoError if it cannot be entered.")
      .def("enter_file", &dj::Dojo::EnterFromFile, py::arg("path"), py::arg("name"),
           py::call_guard<py::gil_scoped_release>(),
           "Enters the theorem `name` of the Lean file `path`.")
      .def("run_tac", &dj::Dojo::RunTac, py::arg("state"), py::arg("tactic"),
           py::call_guard<py::gil_scoped_release>(),
           "Runs `tactic` on `state`: a TacticState (goals remain), ProofFinished, LeanError, "
           "Timeout or ProofGivenUp. ValueError for a state of another Dojo.")
      .def(
          "run_tacs",
          [](dj::Dojo& d, const std::vector<std::pair<dj::TacticState, std::string>>& batch) {
            std::vector<dj::TacticRequest> requests;
            requests.reserve(batch.size());
            for (const auto& [state, tactic] : batch) requests.push_back({state, tactic});
            py::gil_scoped_release release;
            return d.RunTacs(requests);
          },
          py::arg("requests"),
          "Runs each (state, tactic) pair as run_tac would; the results in order. The tactics "
          "on one theorem's states reach its worker together (one round trip), different "
          "theorems run at once. ValueError, before anything runs, for a state of another Dojo.")
      .def_property_readonly("id", &dj::Dojo::id)
      .def(
          "stats",
          [](const dj::Dojo& d) {
            const dj::DojoStats s = d.stats();
            py::dict out;
            out["entered"] = s.entered;
            out["tactics"] = s.tactics;
            out["recoveries"] = s.recoveries;
            out["replayed"] = s.replayed;
            out["checks"] = s.checks;
            return out;
          },
          "Counters since the Dojo was created (recoveries: worker restarts that re-created "
          "states).");
}

}  // namespace tatami::python
