// TopK is header-only (it sits in the innermost loop); this file keeps the
// one-source-per-concept layout and checks the header compiles on its own.
#include "top_k.h"
