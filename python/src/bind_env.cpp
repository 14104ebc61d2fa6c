// Env and VecEnv in gymnasium's shape, without requiring gymnasium:
//   obs, info = env.reset(theorem)
//   obs, reward, terminated, truncated, info = env.step(action)
// Observations are Observation objects (goals as strings and structured,
// the state handle); info is a dict (outcome, message, proof, verdict, ...).
// Lean's failures are outcomes in info; misuse (stepping an ended episode, a
// handle of another episode, a wrong number of actions) raises.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bindings.h"
#include "durations.h"
#include "gil.h"
#include "tatami/env/env.h"
#include "tatami/env/vec_env.h"

namespace py = pybind11;
namespace dj = tatami::dojo;
namespace ev = tatami::env;

namespace tatami::python {
namespace {

// The results are moved into their Python objects: a step's observation
// holds every goal's text twice (whole and split), not worth copying.
py::object ResultObject(dj::RunResult&& r) {
  return std::visit([](auto&& v) { return py::cast(std::move(v)); }, std::move(r));
}

py::dict InfoDict(ev::StepInfo&& info) {
  py::dict d;
  d["outcome"] = std::string(ev::ToString(info.outcome));
  d["message"] = std::move(info.message);
  d["proof"] = std::move(info.proof);
  d["verdict"] = info.verdict ? py::cast(std::move(*info.verdict)) : py::none();
  d["goals_closed"] = info.goals_closed;
  d["episode_steps"] = info.episode_steps;
  d["elapsed"] = std::chrono::duration<double>(info.elapsed).count();
  d["result"] = ResultObject(std::move(info.result));
  if (info.final_observation) d["final_observation"] = py::cast(std::move(*info.final_observation));
  return d;
}

py::tuple StepTuple(ev::StepResult&& r) {
  return py::make_tuple(py::cast(std::move(r.observation)), r.reward, r.terminated, r.truncated,
                        InfoDict(std::move(r.info)));
}

// Lists in environment order, as gymnasium's vector environments return
// arrays (observations here are objects, so lists throughout).
py::tuple VecTuple(std::vector<ev::StepResult>&& results) {
  py::list obs, rewards, terminated, truncated, infos;
  for (ev::StepResult& r : results) {
    obs.append(py::cast(std::move(r.observation)));
    rewards.append(r.reward);
    terminated.append(r.terminated);
    truncated.append(r.truncated);
    infos.append(InfoDict(std::move(r.info)));
  }
  return py::make_tuple(obs, rewards, terminated, truncated, infos);
}

ev::Theorem ToTheorem(const py::object& theorem) {
  if (py::isinstance<ev::Theorem>(theorem)) return theorem.cast<ev::Theorem>();
  if (py::isinstance<py::str>(theorem))
    return ev::Theorem::FromStatement("", theorem.cast<std::string>());
  throw py::type_error("expected a Theorem or a statement string, got " +
                       py::repr(theorem).cast<std::string>());
}

ev::EnvOptions MakeEnvOptions(std::size_t max_steps, double step_timeout, double episode_timeout,
                              const std::vector<std::string>& terminate_on,
                              const std::optional<ev::RewardOptions>& reward) {
  ev::EnvOptions o;
  o.max_steps = max_steps;
  o.step_timeout = Milliseconds(step_timeout, "step_timeout");
  o.episode_timeout = Milliseconds(episode_timeout, "episode_timeout");
  for (const std::string& name : terminate_on) {
    const auto kind = ev::OutcomeKindFromString(name);
    if (!kind)
      throw std::invalid_argument("terminate_on: unknown outcome '" + name +
                                  "' (expected tactic_error, proof_rejected, tactic_too_long, "
                                  "worker_failure, timeout or proof_given_up)");
    o.terminate_on.insert(*kind);
  }
  if (reward) o.reward = *reward;
  return o;
}

// Env keeps a Python-side owner of its pool or Dojo: a py::object holding
// it makes the wrapper's lifetime obvious when Envs share one.
struct PyEnv {
  std::unique_ptr<ev::Env> env;
};

}  // namespace

void BindEnv(py::module_& m) {
  py::class_<ev::RewardOptions>(
      m, "RewardOptions",
      "reward = (proof if the step finished a checked proof) + (failure if the tactic failed) + "
      "goal_closed * goals closed - step_penalty.")
      .def(py::init([](double proof, double step_penalty, double goal_closed, double failure) {
             return ev::RewardOptions{proof, step_penalty, goal_closed, failure};
           }),
           py::kw_only(), py::arg("proof") = 1.0, py::arg("step_penalty") = 0.0,
           py::arg("goal_closed") = 0.0, py::arg("failure") = 0.0)
      .def_readwrite("proof", &ev::RewardOptions::proof)
      .def_readwrite("step_penalty", &ev::RewardOptions::step_penalty)
      .def_readwrite("goal_closed", &ev::RewardOptions::goal_closed)
      .def_readwrite("failure", &ev::RewardOptions::failure);

  py::class_<ev::Theorem>(m, "Theorem", "The theorem an episode is about.")
      .def(py::init([](std::string statement, std::string header, std::string name) {
             return ev::Theorem::FromStatement(std::move(header), std::move(statement),
                                               std::move(name));
           }),
           py::arg("statement"), py::arg("header") = "", py::arg("name") = "",
           "A formal statement (``theorem foo (n : Nat) : n + 0 = n``) under an import header "
           "(may be empty). ValueError for an empty statement.")
      .def_static("from_file", &ev::Theorem::FromFile, py::arg("file"), py::arg("name"),
                  "The theorem `name` of the Lean file `file`.")
      .def_static("from_json_line", &ev::Theorem::FromJsonLine, py::arg("line"),
                  "A line of `tatami prove`'s JSON Lines input.")
      .def_readonly("file", &ev::Theorem::file)
      .def_readonly("name", &ev::Theorem::name)
      .def_readonly("header", &ev::Theorem::header)
      .def_readonly("statement", &ev::Theorem::statement)
      .def("__eq__", [](const ev::Theorem& a, const ev::Theorem& b) { return a == b; })
      .def("__repr__", [](const ev::Theorem& t) {
        return "Theorem(" + py::repr(py::str(t.Describe())).cast<std::string>() + ")";
      });

  py::class_<ev::Observation>(m, "Observation", "What an agent sees of a proof state.")
      .def_readonly("handle", &ev::Observation::handle,
                    "The state's number, for step_from; 0 after a finished proof.")
      .def_property_readonly(
          "state",
          [](const ev::Observation& o) -> py::object {
            return o.state.valid() ? py::cast(o.state) : py::none();
          },
          "The TacticState, or None after a finished proof.")
      .def_readonly("pretty", &ev::Observation::pretty)
      .def_readonly("goal_strings", &ev::Observation::goal_strings)
      .def_readonly("goals", &ev::Observation::goals)
      .def_readonly("num_goals", &ev::Observation::num_goals)
      .def_readonly("path", &ev::Observation::path)
      .def_readonly("theorem_name", &ev::Observation::theorem_name)
      .def("__repr__", [](const ev::Observation& o) {
        return "Observation(handle=" + std::to_string(o.handle) +
               ", num_goals=" + std::to_string(o.num_goals) + ")";
      });

  // Env and VecEnv are deleted without the GIL (DeleteWithoutGil): their
  // destructors wait for steps in flight and join threads, and may take the
  // last reference to the pool, which reaps its processes.
  py::class_<PyEnv, std::unique_ptr<PyEnv, DeleteWithoutGil>>(
      m, "Env",
      "One theorem as an RL environment. Not thread-safe: one thread drives an "
      "Env (different Envs may run in different threads).")
      .def(py::init([](py::object pool_or_dojo, std::size_t max_steps, double step_timeout,
                       double episode_timeout, std::vector<std::string> terminate_on,
                       std::optional<ev::RewardOptions> reward) {
             ev::EnvOptions o =
                 MakeEnvOptions(max_steps, step_timeout, episode_timeout, terminate_on, reward);
             PyEnv e;
             if (py::isinstance<dj::Dojo>(pool_or_dojo))
               e.env = std::make_unique<ev::Env>(pool_or_dojo.cast<std::shared_ptr<dj::Dojo>>(),
                                                 std::move(o));
             else if (py::isinstance<dj::WorkerPool>(pool_or_dojo))
               e.env = std::make_unique<ev::Env>(
                   pool_or_dojo.cast<std::shared_ptr<dj::WorkerPool>>(), std::move(o));
             else
               throw py::type_error("Env: expected a WorkerPool or a Dojo, got " +
                                    py::repr(pool_or_dojo).cast<std::string>());
             return e;
           }),
           py::arg("pool"), py::kw_only(), py::arg("max_steps") = 0, py::arg("step_timeout") = 0.0,
           py::arg("episode_timeout") = 0.0, py::arg("terminate_on") = std::vector<std::string>{},
           py::arg("reward") = py::none(),
           "pool: a WorkerPool (the Env makes its own Dojo) or a Dojo to share. max_steps: "
           "truncate after this many steps (0 = none); step_timeout, episode_timeout in seconds "
           "(0 = none / the pool's); terminate_on: failure outcomes that end the episode.")
      .def(
          "reset",
          [](PyEnv& e, py::object theorem) {
            std::optional<ev::Theorem> t;
            if (!theorem.is_none()) t = ToTheorem(theorem);
            ev::Observation obs;
            {
              py::gil_scoped_release release;
              obs = t ? e.env->Reset(*t) : e.env->Reset();
            }
            return py::make_tuple(obs, py::dict());
          },
          py::arg("theorem") = py::none(),
          "Starts an episode: (observation, info). Without a theorem, restarts the last one "
          "from its cached root. DojoError if the theorem cannot be entered.")
      .def(
          "step",
          [](PyEnv& e, const std::string& action) {
            ev::StepResult r;
            {
              py::gil_scoped_release release;
              r = e.env->Step(action);
            }
            return StepTuple(std::move(r));
          },
          py::arg("action"),
          "Runs the tactic `action`: (observation, reward, terminated, truncated, info). "
          "RuntimeError if the episode has ended or never started.")
      .def(
          "step_from",
          [](PyEnv& e, const py::object& from, const std::string& action) {
            ev::StepResult r;
            if (py::isinstance<dj::TacticState>(from)) {
              const dj::TacticState s = from.cast<dj::TacticState>();
              py::gil_scoped_release release;
              r = e.env->StepFrom(s, action);
            } else if (py::isinstance<ev::Observation>(from)) {
              const dj::TacticState s = from.cast<const ev::Observation&>().state;
              if (!s.valid())
                throw std::invalid_argument(
                    "step_from: the observation has no state (the "
                    "proof was finished)");
              py::gil_scoped_release release;
              r = e.env->StepFrom(s, action);
            } else {
              const auto handle = from.cast<std::uint64_t>();
              py::gil_scoped_release release;
              r = e.env->StepFrom(handle, action);
            }
            return StepTuple(std::move(r));
          },
          py::arg("state"), py::arg("action"),
          "Runs `action` on an earlier state of this episode (a handle, an Observation or a "
          "TacticState), which becomes the current state: branching without replay.")
      .def(
          "close", [](PyEnv& e) { e.env->Close(); },
          "Ends the episode and drops its states (and the worker they hold).")
      .def_property_readonly("episode_active",
                             [](const PyEnv& e) { return e.env->episode_active(); })
      .def_property_readonly("episode_steps", [](const PyEnv& e) { return e.env->episode_steps(); })
      .def_property_readonly("observation", [](const PyEnv& e) { return e.env->observation(); })
      .def_property_readonly("theorem", [](const PyEnv& e) { return e.env->theorem(); })
      .def_property_readonly("dojo", [](const PyEnv& e) { return e.env->dojo(); })
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](PyEnv& e, py::args) { e.env->Close(); });

  py::class_<ev::VecEnv, std::unique_ptr<ev::VecEnv, DeleteWithoutGil>>(
      m, "VecEnv",
      "N environments stepped together over the pool (each on its own worker). Not "
      "thread-safe: one thread drives a VecEnv. Deleting it waits for a step in flight, with "
      "the GIL released.")
      .def(py::init([](std::shared_ptr<dj::WorkerPool> pool, std::size_t num_envs, bool auto_reset,
                       std::size_t max_steps, double step_timeout, double episode_timeout,
                       std::vector<std::string> terminate_on,
                       std::optional<ev::RewardOptions> reward) {
             ev::VecEnvOptions o;
             o.num_envs = num_envs;
             o.auto_reset = auto_reset;
             o.env = MakeEnvOptions(max_steps, step_timeout, episode_timeout, terminate_on, reward);
             return std::unique_ptr<ev::VecEnv, DeleteWithoutGil>(
                 new ev::VecEnv(std::move(pool), std::move(o)));
           }),
           py::arg("pool"), py::arg("num_envs"), py::kw_only(), py::arg("auto_reset") = false,
           py::arg("max_steps") = 0, py::arg("step_timeout") = 0.0,
           py::arg("episode_timeout") = 0.0, py::arg("terminate_on") = std::vector<std::string>{},
           py::arg("reward") = py::none(),
           "The pool needs at least num_envs workers. auto_reset: an environment whose episode "
           "ends is reset to its theorem at once (info['final_observation'] holds the last "
           "observation). Other options as Env's.")
      .def("__len__", &ev::VecEnv::size)
      .def_property_readonly("num_envs", &ev::VecEnv::size)
      .def(
          "reset",
          [](ev::VecEnv& v, const py::object& theorems) {
            std::vector<ev::Theorem> ts;
            if (py::isinstance<py::str>(theorems) || py::isinstance<ev::Theorem>(theorems))
              ts.push_back(ToTheorem(theorems));
            else
              for (const py::handle t : theorems)
                ts.push_back(ToTheorem(py::reinterpret_borrow<py::object>(t)));
            std::vector<ev::Observation> obs;
            {
              py::gil_scoped_release release;
              obs = v.Reset(ts);
            }
            py::list infos;
            for (std::size_t i = 0; i < obs.size(); ++i) infos.append(py::dict());
            return py::make_tuple(obs, infos);
          },
          py::arg("theorems"),
          "Resets every environment to one theorem, or to one theorem each: (observations, "
          "infos).")
      .def(
          "step_async",
          [](ev::VecEnv& v, std::vector<std::string> actions) {
            py::gil_scoped_release release;
            v.StepAsync(std::move(actions));
          },
          py::arg("actions"), "Starts a step (one tactic per environment) and returns at once.")
      .def(
          "step_wait",
          [](ev::VecEnv& v) {
            std::vector<ev::StepResult> results;
            {
              py::gil_scoped_release release;
              results = v.Wait();
            }
            return VecTuple(std::move(results));
          },
          "Waits for the step in flight: (observations, rewards, terminated, truncated, infos).")
      .def(
          "step",
          [](ev::VecEnv& v, std::vector<std::string> actions) {
            std::vector<ev::StepResult> results;
            {
              py::gil_scoped_release release;
              results = v.Step(std::move(actions));
            }
            return VecTuple(std::move(results));
          },
          py::arg("actions"),
          "One step of every environment: (observations, rewards, terminated, truncated, "
          "infos), lists in environment order.")
      .def(
          "step_from",
          [](ev::VecEnv& v, std::vector<std::uint64_t> handles, std::vector<std::string> actions) {
            std::vector<ev::StepResult> results;
            {
              py::gil_scoped_release release;
              results = v.StepFrom(std::move(handles), std::move(actions));
            }
            return VecTuple(std::move(results));
          },
          py::arg("handles"), py::arg("actions"),
          "One branching step: environment i runs actions[i] on the state numbered handles[i] "
          "(Observation.handle) of its episode, which becomes its current state. A batch of "
          "tree-search expansions; results as step's.")
      .def(
          "step_from_async",
          [](ev::VecEnv& v, std::vector<std::uint64_t> handles, std::vector<std::string> actions) {
            py::gil_scoped_release release;
            v.StepFromAsync(std::move(handles), std::move(actions));
          },
          py::arg("handles"), py::arg("actions"),
          "Starts a branching step and returns at once; step_wait() collects it.")
      .def_property_readonly("pending", &ev::VecEnv::pending)
      .def_property_readonly("dojo", &ev::VecEnv::dojo);
}

}  // namespace tatami::python
