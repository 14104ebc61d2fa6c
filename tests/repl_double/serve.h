// The serving loop: reads requests from stdin (fd 0), answers each through a
// Responder and writes the answer to stdout (fd 1) with one write(2), applying
// the delays and faults the options ask for.
//
// Thread-safety: single-threaded; owns fds 0 and 1 for the life of the process.
#pragma once

#include "options.h"
#include "responder.h"

namespace tatami::repl_double {

// Serves until EOF on stdin and returns the exit status (0), unless a fault
// ends the process first.
int Serve(const DoubleOptions& options, Responder* responder);

}  // namespace tatami::repl_double
