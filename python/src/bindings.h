// One function per area of the C++ API, each adding its classes and
// functions to the `tatami._tatami` extension module (module.cpp calls them
// in dependency order: dojo before check, search and env).
#pragma once

#include <pybind11/pybind11.h>

namespace tatami::python {

void BindDojo(pybind11::module_& m);
void BindCheck(pybind11::module_& m);
void BindSearch(pybind11::module_& m);
void BindRetriever(pybind11::module_& m);
void BindEnv(pybind11::module_& m);

}  // namespace tatami::python
