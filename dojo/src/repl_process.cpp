// Interim: the implementation lands with the worker-process work.
#include "tatami/dojo/repl_process.h"
