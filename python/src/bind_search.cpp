// Best-first proof search and its tactic generators. A generator is a spec
// string (`fixed`, `scripted:FILE.json`, `http:URL`, `torchscript:MODEL.pt`,
// as `tatami prove --generator`), a TacticGenerator made by make_generator,
// or any Python callable (PythonGenerator), so a Python policy can drive the
// C++ search with the GIL released between its calls.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bindings.h"
#include "durations.h"
#include "gil.h"
#include "python_generator.h"
#include "tatami/dojo/dojo.h"
#include "tatami/search/batching_generator.h"
#include "tatami/search/best_first_search.h"
#include "tatami/search/dojo_environment.h"
#include "tatami/search/generator_factory.h"
#include "tatami/search/tactic_generator.h"

namespace py = pybind11;
namespace dj = tatami::dojo;
namespace se = tatami::search;

namespace tatami::python {
namespace {

std::shared_ptr<se::TacticGenerator> ResolveGenerator(const py::object& generator) {
  if (py::isinstance<py::str>(generator)) return se::MakeGenerator(generator.cast<std::string>());
  if (py::isinstance<se::TacticGenerator>(generator))
    return generator.cast<std::shared_ptr<se::TacticGenerator>>();
  return std::make_shared<PythonGenerator>(generator);
}

void CheckRoot(const dj::Dojo& dojo, const dj::TacticState& root, const char* what) {
  if (!root.valid()) throw std::invalid_argument(std::string(what) + ": state is empty");
  if (root.dojo_id() != dojo.id())
    throw std::invalid_argument(std::string(what) + ": the state was made by another Dojo");
}

se::SearchOptions MakeOptions(int num_tactics, double timeout, std::size_t max_expansions,
                              const char* what) {
  if (num_tactics <= 0)
    throw std::invalid_argument(std::string(what) + ": num_tactics must be > 0");
  se::SearchOptions options;
  options.num_tactics = num_tactics;
  options.timeout = Milliseconds(timeout, std::string(what) + ": timeout");
  options.max_expansions = max_expansions;
  return options;
}

// One search thread per theorem (each holds its own worker), the generator
// behind a BatchingGenerator so that the searches' requests reach it as one
// batch: a Python model then runs batches of up to max_batch states. The
// calling thread waits for them, running Python's signal handlers meanwhile:
// Ctrl-C cancels every search after its current expansion.
std::vector<se::SearchResult> ProveMany(dj::Dojo& dojo, const std::vector<dj::TacticState>& roots,
                                        const py::object& generator, int num_tactics,
                                        double timeout, std::size_t max_expansions,
                                        std::size_t max_batch, double max_wait) {
  for (const dj::TacticState& root : roots) CheckRoot(dojo, root, "prove_many");
  se::SearchOptions options = MakeOptions(num_tactics, timeout, max_expansions, "prove_many");
  if (max_batch == 0) throw std::invalid_argument("prove_many: max_batch must be > 0");
  se::BatchingOptions batching;
  batching.max_batch = max_batch;
  batching.max_wait = Milliseconds(max_wait, "prove_many: max_wait");
  auto batcher = std::make_shared<se::BatchingGenerator>(ResolveGenerator(generator), batching);
  std::atomic<bool> cancel{false};
  options.cancel = &cancel;
  std::vector<se::SearchResult> results(roots.size());
  std::vector<std::exception_ptr> errors(roots.size());
  RunInterruptibly(
      [&] {
        // Every search registers before any starts, so the first batch waits for all.
        std::vector<std::unique_ptr<se::BatchingGenerator::Client>> clients;
        for (std::size_t i = 0; i < roots.size(); ++i)
          clients.push_back(std::make_unique<se::BatchingGenerator::Client>(*batcher));
        std::vector<std::thread> threads;
        threads.reserve(roots.size());
        for (std::size_t i = 0; i < roots.size(); ++i)
          threads.emplace_back([&, i] {
            try {
              se::DojoEnvironment env(dojo, roots[i]);
              results[i] = se::BestFirstSearch(env, *batcher, options);
            } catch (...) {
              errors[i] = std::current_exception();
            }
            clients[i].reset();  // a finished search no longer holds batches back
          });
        for (std::thread& t : threads) t.join();
      },
      [&] { cancel.store(true); });
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
  return results;
}

// The search runs on a thread of its own while the calling thread waits and
// runs Python's signal handlers: Ctrl-C cancels it after its current
// expansion.
se::SearchResult Prove(dj::Dojo& dojo, const dj::TacticState& root, const py::object& generator,
                       int num_tactics, double timeout, std::size_t max_expansions) {
  CheckRoot(dojo, root, "prove");
  se::SearchOptions options = MakeOptions(num_tactics, timeout, max_expansions, "prove");
  std::shared_ptr<se::TacticGenerator> gen = ResolveGenerator(generator);
  std::atomic<bool> cancel{false};
  options.cancel = &cancel;
  se::SearchResult result;
  RunInterruptibly(
      [&] {
        se::DojoEnvironment env(dojo, root);
        result = se::BestFirstSearch(env, *gen, options);
      },
      [&] { cancel.store(true); });
  return result;
}

}  // namespace

void BindSearch(py::module_& m) {
  py::register_exception<se::GeneratorSpecError>(m, "GeneratorSpecError", PyExc_ValueError);

  py::class_<se::GenerationRequest>(m, "GenerationRequest", "One state to propose tactics for.")
      .def(py::init([](std::string state, std::vector<std::string> premises, int num_candidates) {
             se::GenerationRequest r;
             r.state = std::move(state);
             r.premises = std::move(premises);
             r.num_candidates = num_candidates;
             return r;
           }),
           py::arg("state"), py::arg("premises") = std::vector<std::string>{},
           py::arg("num_candidates") = 64)
      .def_readonly("state", &se::GenerationRequest::state,
                    "The pretty-printed proof state (goals joined by blank lines).")
      .def_readonly("premises", &se::GenerationRequest::premises,
                    "Retrieved premises to condition on, best first.")
      .def_readonly("num_candidates", &se::GenerationRequest::num_candidates,
                    "Candidates wanted; fewer is fine.")
      .def("__repr__", [](const se::GenerationRequest& r) {
        return "GenerationRequest(state=" + py::repr(py::str(r.state)).cast<std::string>() +
               ", num_candidates=" + std::to_string(r.num_candidates) + ")";
      });

  py::class_<se::Candidate>(m, "Candidate", "A proposed tactic and its log-probability.")
      .def(py::init([](std::string tactic, double logprob) {
             return se::Candidate{std::move(tactic), logprob};
           }),
           py::arg("tactic"), py::arg("logprob") = 0.0)
      .def_readonly("tactic", &se::Candidate::tactic)
      .def_readonly("logprob", &se::Candidate::logprob)
      .def("__eq__", [](const se::Candidate& a, const se::Candidate& b) { return a == b; })
      .def("__repr__", [](const se::Candidate& c) {
        return "Candidate(" + py::repr(py::str(c.tactic)).cast<std::string>() + ", " +
               std::to_string(c.logprob) + ")";
      });

  py::class_<se::TacticGenerator, std::shared_ptr<se::TacticGenerator>>(
      m, "TacticGenerator", "A C++ tactic generator (make_generator). Thread-safe.")
      .def(
          "generate",
          [](se::TacticGenerator& g, const std::vector<se::GenerationRequest>& batch) {
            py::gil_scoped_release release;
            return g.Generate(batch);
          },
          py::arg("batch"), "One list of candidates per request, in request order.")
      .def("describe", &se::TacticGenerator::Describe)
      .def("__repr__", [](const se::TacticGenerator& g) {
        return "TacticGenerator(" + py::repr(py::str(g.Describe())).cast<std::string>() + ")";
      });
  m.def("make_generator", &se::MakeGenerator, py::arg("spec"),
        "A generator from a `tatami prove --generator` spec: fixed, fixed:t1,t2, "
        "scripted:FILE.json, http:URL, torchscript:MODEL.pt. GeneratorSpecError for a bad spec.");

  py::class_<se::SearchResult>(m, "SearchResult", "The outcome of one theorem's search.")
      .def_property_readonly(
          "status", [](const se::SearchResult& r) { return std::string(ToString(r.status)); },
          "``proved``, ``failed`` or ``open`` (a limit was reached).")
      .def_readonly("proof", &se::SearchResult::proof, "The tactics, when proved.")
      .def_readonly("expansions", &se::SearchResult::expansions)
      .def_readonly("states", &se::SearchResult::states, "Distinct proof states found.")
      .def_readonly("generator_s", &se::SearchResult::generator_s)
      .def_readonly("lean_s", &se::SearchResult::lean_s)
      .def_readonly("total_s", &se::SearchResult::total_s)
      .def("__repr__", [](const se::SearchResult& r) {
        return "SearchResult(status='" + std::string(ToString(r.status)) +
               "', expansions=" + std::to_string(r.expansions) + ")";
      });

  m.def("prove", &Prove, py::arg("dojo"), py::arg("state"), py::arg("generator"), py::kw_only(),
        py::arg("num_tactics") = 64, py::arg("timeout") = 600.0, py::arg("max_expansions") = 0,
        "Best-first search (ReProver's) from `state`, an entered theorem's root. `generator` is a "
        "spec string, a TacticGenerator, or a callable taking a list of GenerationRequest and "
        "returning one list of candidates per request (Candidate, (tactic, logprob) or str). "
        "timeout in seconds; max_expansions=0 means unlimited. The GIL is released except while "
        "the callable runs. Ctrl-C (any exception a signal handler raises) cancels the search "
        "after its current expansion and is raised once the search has stopped.");
  m.def("prove_many", &ProveMany, py::arg("dojo"), py::arg("states"), py::arg("generator"),
        py::kw_only(), py::arg("num_tactics") = 64, py::arg("timeout") = 600.0,
        py::arg("max_expansions") = 0, py::arg("max_batch") = 16, py::arg("max_wait") = 0.005,
        "Searches every theorem of `states` (roots of entered theorems, each on its own worker) "
        "at once; results in input order. The generator's calls are gathered across the "
        "searches into batches of up to max_batch requests (sent when every running search is "
        "waiting, or max_wait seconds after the oldest request), so a Python model runs whole "
        "batches while Lean works. The first exception of a search is raised after all finish. "
        "Ctrl-C cancels every search after its current expansion and is raised once all have "
        "stopped.");
}

}  // namespace tatami::python
