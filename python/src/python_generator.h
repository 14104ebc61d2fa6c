// PythonGenerator: a TacticGenerator that asks a Python callable, so a policy
// written in Python (PyTorch, a sampling server client, a table) drives
// tatami's C++ search.
//
// The callable receives the whole batch, a list of GenerationRequest, and
// returns one list per request of candidates, each a Candidate, a
// (tactic, logprob) pair or a bare tactic string (logprob 0). Generate takes
// the GIL for the call and for converting its answer, so the search itself
// runs without it. An exception the callable raises propagates out of the
// search unchanged; an answer of the wrong shape is a TypeError/ValueError
// naming the request and the item.
//
// Thread-safety: thread-safe; calls into Python are serialised by the GIL.
#pragma once

#include <pybind11/pybind11.h>

#include <memory>
#include <string>
#include <vector>

#include "tatami/search/tactic_generator.h"

namespace tatami::python {

class PythonGenerator : public search::TacticGenerator {
 public:
  // Call with the GIL held. Throws TypeError if `callable` is not callable.
  explicit PythonGenerator(pybind11::object callable);
  // Safe without the GIL: the callable is released under it.
  ~PythonGenerator() override;

  std::vector<std::vector<search::Candidate>> Generate(
      const std::vector<search::GenerationRequest>& batch) override;
  std::string Describe() const override { return description_; }

 private:
  pybind11::object callable_;
  std::string description_;
};

// Candidates from one item of a generator's answer (see the file comment).
// `where` names it in errors. Call with the GIL held.
std::vector<search::Candidate> CandidatesFromPython(const pybind11::handle& item,
                                                    const std::string& where);

}  // namespace tatami::python
