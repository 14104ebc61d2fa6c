// The `tatami._tatami` extension module; the `tatami` package re-exports it.
#include <pybind11/pybind11.h>

#include "bindings.h"

PYBIND11_MODULE(_tatami, m) {
  m.doc() =
      "tatami: Lean 4 as an environment. The Dojo and its proof states, gymnasium-shaped Env and "
      "VecEnv, best-first proof search (C++ or Python tactic generators), whole-snippet checking "
      "and premise retrieval. Every blocking call releases the GIL.";
  m.attr("__version__") = TATAMI_VERSION;
  tatami::python::BindDojo(m);
  tatami::python::BindCheck(m);
  tatami::python::BindSearch(m);
  tatami::python::BindRetriever(m);
#ifdef TATAMI_PYTHON_WITH_ENV
  tatami::python::BindEnv(m);
#endif
}
