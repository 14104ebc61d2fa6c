"""Shared fixtures: the REPL test double on the bundled demo graph.

ctest (tests/python/CMakeLists.txt) sets PYTHONPATH to the built package and
TATAMI_REPL_DOUBLE / TATAMI_SOURCE_DIR; run by hand the same way:

    PYTHONPATH=build/python TATAMI_REPL_DOUBLE=build/tests/repl_double/tatami-repl-double \
        TATAMI_SOURCE_DIR=. python3 -m pytest tests/python
"""

import contextlib
import os
import pathlib
import sys

import pytest

import tatami

SOURCE_DIR = pathlib.Path(os.environ.get("TATAMI_SOURCE_DIR", pathlib.Path(__file__).parents[2]))
GRAPH = SOURCE_DIR / "tests" / "repl_double" / "examples" / "nat_add.json"

ADD_ZERO = "theorem add_zero' (n : Nat) : n + 0 = n"
TWO_ADD_TWO = "theorem two_add_two : 2 + 2 = 4"
AND_SWAP = "theorem and_swap' (p q : Prop) (h : p ∧ q) : q ∧ p"
# Error texts of the graph; each is one Lean printed (repl_double_test checks).
UNKNOWN_TACTIC = "<input>:1:1: unknown tactic"

requires_env = pytest.mark.skipif(
    not tatami.HAS_ENV, reason="this build of tatami has no Env/VecEnv (env/ not built)"
)


def double_path():
    path = os.environ.get("TATAMI_REPL_DOUBLE")
    if not path:
        pytest.fail("TATAMI_REPL_DOUBLE is not set (the path of tatami-repl-double)")
    return path


def double_command(*faults):
    """argv of the double answering from the demo graph, with fault flags."""
    return [double_path(), "--script", str(GRAPH), *faults]


def make_pool(*faults, workers=2, **options):
    return tatami.WorkerPool(double_command(*faults), workers=workers, **options)


@pytest.fixture
def pool():
    return make_pool()


@pytest.fixture
def dojo(pool):
    return tatami.Dojo(pool)


@contextlib.contextmanager
def gil_kept_by_running_thread():
    """Raises the switch interval so far that the interpreter never takes the
    GIL from a running thread: another thread then runs only when a call
    releases the GIL itself. Restores the interval on leaving."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1000.0)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)
