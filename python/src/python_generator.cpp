#include "python_generator.h"

#include <utility>

namespace py = pybind11;

namespace tatami::python {

PythonGenerator::PythonGenerator(py::object callable) : callable_(std::move(callable)) {
  if (!PyCallable_Check(callable_.ptr()))
    throw py::type_error("generator must be a spec string, a TacticGenerator or a callable, got " +
                         py::repr(callable_).cast<std::string>());
  description_ = "python:" + py::repr(callable_).cast<std::string>();
}

PythonGenerator::~PythonGenerator() {
  // Search threads may drop the last reference with the GIL released.
  py::gil_scoped_acquire gil;
  callable_ = py::object();
}

std::vector<search::Candidate> CandidatesFromPython(const py::handle& item,
                                                    const std::string& where) {
  if (py::isinstance<py::str>(item) || !py::isinstance<py::sequence>(item))
    throw py::type_error(where + ": expected a list of candidates, got " +
                         py::repr(item).cast<std::string>());
  std::vector<search::Candidate> out;
  std::size_t j = 0;
  for (const py::handle c : item) {
    const std::string at = where + ", candidate " + std::to_string(j++);
    if (py::isinstance<search::Candidate>(c)) {
      out.push_back(c.cast<search::Candidate>());
    } else if (py::isinstance<py::str>(c)) {
      out.push_back({c.cast<std::string>(), 0.0});
    } else if (py::isinstance<py::tuple>(c) && py::len(c) == 2 &&
               py::isinstance<py::str>(c[py::int_(0)])) {
      try {
        out.push_back({c[py::int_(0)].cast<std::string>(), c[py::int_(1)].cast<double>()});
      } catch (const py::cast_error&) {
        throw py::type_error(at + ": logprob is not a number: " + py::repr(c).cast<std::string>());
      }
    } else {
      throw py::type_error(at +
                           ": expected a Candidate, a (tactic, logprob) pair or a string, got " +
                           py::repr(c).cast<std::string>());
    }
  }
  return out;
}

std::vector<std::vector<search::Candidate>> PythonGenerator::Generate(
    const std::vector<search::GenerationRequest>& batch) {
  py::gil_scoped_acquire gil;
  py::list requests;
  for (const auto& r : batch) requests.append(py::cast(r));
  py::object answer = callable_(requests);
  if (py::isinstance<py::str>(answer) || !py::isinstance<py::sequence>(answer))
    throw py::type_error("tactic generator " + description_ +
                         " must return a list (one list of candidates per request), got " +
                         py::repr(answer).cast<std::string>());
  if (py::len(answer) != batch.size())
    throw py::value_error("tactic generator " + description_ + " returned " +
                          std::to_string(py::len(answer)) + " lists for " +
                          std::to_string(batch.size()) + " requests");
  std::vector<std::vector<search::Candidate>> out;
  out.reserve(batch.size());
  std::size_t i = 0;
  for (const py::handle item : answer)
    out.push_back(
        CandidatesFromPython(item, "tactic generator answer for request " + std::to_string(i++)));
  return out;
}

}  // namespace tatami::python
