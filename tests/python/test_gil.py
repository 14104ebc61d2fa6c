"""Every blocking call releases the GIL: another Python thread runs while it
waits for Lean.

The switch interval is raised so far that the interpreter never takes the GIL
from a running thread: a second thread then runs during a call only if that
call releases the GIL itself. The double's --latency-ms makes every answer
wait, so the second thread has time to run while the call waits. Without the
release the second thread would first run after the call returned, and would
see `returned` already set."""

import threading

import pytest

import tatami
from conftest import ADD_ZERO, gil_kept_by_running_thread, make_pool, requires_env


def ran_during(call):
    go = threading.Event()
    seen = {}
    state = {"returned": False}

    def other():
        go.wait()
        seen["returned"] = state["returned"]

    with gil_kept_by_running_thread():
        t = threading.Thread(target=other)
        t.start()
        go.set()
        result = call()
        state["returned"] = True
        t.join()
    return seen["returned"] is False, result


@pytest.fixture
def slow_pool():
    # Every answer of the double waits 300 ms.
    return make_pool("--latency-ms", "300", workers=2)


def test_run_tac_and_enter_release_the_gil(slow_pool):
    dojo = tatami.Dojo(slow_pool)
    ran, root = ran_during(lambda: dojo.enter("", ADD_ZERO))
    assert ran
    ran, result = ran_during(lambda: dojo.run_tac(root, "induction n"))
    assert ran and isinstance(result, tatami.TacticState)


def test_check_releases_the_gil(slow_pool):
    ran, result = ran_during(lambda: tatami.check(slow_pool, ADD_ZERO + " := by rfl"))
    assert ran and result.ok


def test_prove_releases_the_gil(slow_pool):
    dojo = tatami.Dojo(slow_pool)
    root = dojo.enter("", ADD_ZERO)
    ran, result = ran_during(lambda: tatami.prove(dojo, root, "fixed:rfl"))
    assert ran and result.status == "proved"


@requires_env
def test_env_step_releases_the_gil(slow_pool):
    env = tatami.Env(slow_pool)
    env.reset(ADD_ZERO)
    ran, result = ran_during(lambda: env.step("induction n"))
    assert ran and result[4]["outcome"] == "state"


@requires_env
def test_vec_env_step_and_wait_release_the_gil(slow_pool):
    envs = tatami.VecEnv(slow_pool, 2)
    ran, _ = ran_during(lambda: envs.reset(ADD_ZERO))
    assert ran
    ran, result = ran_during(lambda: envs.step(["induction n", "rfl"]))
    assert ran and result[2] == [False, True]
    envs.reset(ADD_ZERO)
    envs.step_async(["rfl", "rfl"])
    ran, result = ran_during(envs.step_wait)
    assert ran and result[2] == [True, True]


def test_the_check_itself_fails_without_a_release():
    # The method's own control: a call that holds the GIL while it blocks
    # (a C-level sleep in a ctypes call that keeps the GIL) is detected.
    import ctypes

    libc = ctypes.PyDLL(None)  # PyDLL: the GIL stays held during the call
    libc.usleep.argtypes = [ctypes.c_uint]
    ran, _ = ran_during(lambda: libc.usleep(300_000))
    assert not ran
