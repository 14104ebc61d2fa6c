#include <cstdio>
#include <cstdlib>

#include "responder.h"

namespace tatami::repl_double {
std::unique_ptr<Responder> MakeScriptResponder(const std::string&) {
  std::fprintf(stderr, "tatami-repl-double: --script is not available in this build\n");
  std::exit(2);
}
}  // namespace tatami::repl_double
