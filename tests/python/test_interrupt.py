"""Ctrl-C during a search, and deleting objects that wait for Lean.

A search is made long by a chain of proof states (a graph written for these
tests, its goals made up: no text in it is Lean's) that the generator walks
one `step` at a time, with the double's --latency-ms delaying every answer:
CHAIN expansions, each waiting at least LATENCY_MS. SIGINT is sent to the
process from another thread while the search runs (after the generator has
been called a few times, or from a threading.Timer for a C++ generator);
prove and prove_many must raise KeyboardInterrupt after the expansion in
progress instead of when the search ends; check_many must raise it while
snippets are still waiting. Deleting a VecEnv with a step in flight must let
other Python threads run while it waits for the step."""

import json
import os
import signal
import threading
import time

import pytest

import tatami
from conftest import ADD_ZERO, double_path, gil_kept_by_running_thread, make_pool, requires_env

CHAIN = 150
LATENCY_MS = 40
# Ask for Ctrl-C once the generator has been called this often.
INTERRUPT_AFTER_CALLS = 3

CHAIN_STATEMENT = "theorem long_chain (x : Nat) : x = x"
STEP = "step"


def chain_goal(i):
    return "x : Nat\n⊢ x = x" if i == 0 else f"x : Nat\nh{i} : x + {i} = x + {i}\n⊢ x = x"


@pytest.fixture
def chain_dojo(tmp_path):
    # State i goes to state i + 1 by `step`; the last state knows no tactic,
    # so a search that is not interrupted fails after CHAIN + 1 expansions.
    graph = {
        "description": "a chain of made-up proof states for test_interrupt.py",
        "theorems": [{"statement": CHAIN_STATEMENT, "goal": chain_goal(0)}],
        "states": [{"goals": [chain_goal(i)], "tactics": {STEP: {"goals": [chain_goal(i + 1)]}}}
                   for i in range(CHAIN)],
    }
    path = tmp_path / "chain.json"
    path.write_text(json.dumps(graph))
    pool = tatami.WorkerPool([double_path(), "--script", str(path), "--latency-ms",
                              str(LATENCY_MS)], workers=2)
    return tatami.Dojo(pool)


def interrupt_when(event):
    """SIGINT to this process once `event` is set, from a thread of its own."""
    def send():
        event.wait()
        os.kill(os.getpid(), signal.SIGINT)

    t = threading.Thread(target=send, daemon=True)
    t.start()
    return t


def step_policy(calls, started):
    def policy(requests):
        calls.append(len(requests))
        if len(calls) == INTERRUPT_AFTER_CALLS:
            started.set()
        return [[STEP] for _ in requests]

    return policy


def test_the_chain_search_runs_to_its_end_without_an_interrupt(chain_dojo):
    # The control: without Ctrl-C the search takes CHAIN + 1 expansions.
    root = chain_dojo.enter("", CHAIN_STATEMENT)
    r = tatami.prove(chain_dojo, root, f"fixed:{STEP}", num_tactics=1, max_expansions=20)
    assert r.status == "open" and r.expansions == 20


def test_ctrl_c_cancels_prove_with_a_python_generator(chain_dojo):
    root = chain_dojo.enter("", CHAIN_STATEMENT)
    calls, started = [], threading.Event()
    sender = interrupt_when(started)
    with pytest.raises(KeyboardInterrupt) as raised:
        tatami.prove(chain_dojo, root, step_policy(calls, started), num_tactics=1)
    sender.join()
    # Stopped after the expansion in progress, long before the chain's end.
    assert INTERRUPT_AFTER_CALLS <= len(calls) < CHAIN // 2
    # Raised by prove once the search stopped, not inside the policy in the
    # middle of one of its calls (the policy runs on the search's thread).
    assert all(entry.name != "policy" for entry in raised.traceback)
    # The search has stopped and let go of its states: the Dojo searches on.
    r = tatami.prove(chain_dojo, root, f"fixed:{STEP}", num_tactics=1, max_expansions=2)
    assert r.status == "open" and r.expansions == 2


def test_ctrl_c_cancels_prove_with_a_cpp_generator(chain_dojo):
    # A C++ generator never calls back into Python, so the signal comes from
    # a timer, and the bound is in time: no search of the chain takes less
    # than CHAIN expansions of LATENCY_MS each.
    root = chain_dojo.enter("", CHAIN_STATEMENT)
    shortest_search_s = CHAIN * LATENCY_MS / 1000
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    start = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            tatami.prove(chain_dojo, root, f"fixed:{STEP}", num_tactics=1)
    finally:
        timer.cancel()
    assert time.monotonic() - start < shortest_search_s / 2


def test_ctrl_c_cancels_every_search_of_prove_many(chain_dojo):
    roots = [chain_dojo.enter("", CHAIN_STATEMENT) for _ in range(2)]
    calls, started = [], threading.Event()
    sender = interrupt_when(started)
    with pytest.raises(KeyboardInterrupt):
        tatami.prove_many(chain_dojo, roots, step_policy(calls, started), num_tactics=1)
    sender.join()
    # Each call asks for both searches' states (or one's): the searches
    # stopped long before either reached the chain's end.
    assert INTERRUPT_AFTER_CALLS <= len(calls) < CHAIN // 2
    results = tatami.prove_many(chain_dojo, roots, f"fixed:{STEP}", num_tactics=1,
                                max_expansions=2)
    assert [r.expansions for r in results] == [2, 2]


def test_a_signal_handler_that_does_not_raise_lets_the_search_finish(chain_dojo):
    root = chain_dojo.enter("", CHAIN_STATEMENT)
    calls, started = [], threading.Event()
    seen = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: seen.append(signum))
    try:
        sender = interrupt_when(started)
        r = tatami.prove(chain_dojo, root, step_policy(calls, started), num_tactics=1,
                         max_expansions=INTERRUPT_AFTER_CALLS + 5)
        sender.join()
    finally:
        signal.signal(signal.SIGINT, previous)
    assert seen == [signal.SIGINT]
    assert r.status == "open" and r.expansions == INTERRUPT_AFTER_CALLS + 5


def test_ctrl_c_interrupts_check_many():
    # One worker answers the snippets one by one, each after LATENCY_MS * 10.
    snippets = [ADD_ZERO + " := by rfl"] * 20
    shortest_check_s = len(snippets) * LATENCY_MS * 10 / 1000
    pool = make_pool("--latency-ms", str(LATENCY_MS * 10), workers=1)
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    start = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            tatami.check_many(pool, snippets)
    finally:
        timer.cancel()
    assert time.monotonic() - start < shortest_check_s / 2


@requires_env
def test_deleting_a_vec_env_with_a_step_in_flight_lets_other_threads_run():
    # Every answer waits a second, so deleting the VecEnv right after
    # step_async waits that long for the step. The switch interval is raised
    # so far that the main thread never hands the GIL over on its own: the
    # other thread runs during the deletion only if the deletion releases it.
    pool = make_pool("--latency-ms", "1000", workers=2)
    envs = tatami.VecEnv(pool, 2, step_timeout=30)
    envs.reset(ADD_ZERO)
    ticks, ticking, stop = [], threading.Event(), threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(time.monotonic())
            ticking.set()
            time.sleep(0.001)  # releases the GIL

    with gil_kept_by_running_thread():
        t = threading.Thread(target=ticker)
        t.start()
        ticking.wait()
        envs.step_async(["induction n", "rfl"])
        assert envs.pending
        before = len(ticks)
        del envs
        during = len(ticks) - before
        stop.set()
        t.join()
    assert during > 0
