"""Misuse raises Python exceptions with messages that say what was wrong."""

import pytest

import tatami
from conftest import ADD_ZERO, double_command, make_pool, requires_env


def test_pool_and_dojo_options_are_checked():
    with pytest.raises(ValueError, match="command is empty"):
        tatami.WorkerPool([])
    with pytest.raises(ValueError, match="request_timeout"):
        tatami.WorkerPool(double_command(), request_timeout=-1)
    with pytest.raises(ValueError, match="tactic_timeout"):
        tatami.Dojo(make_pool(), tactic_timeout=float("nan"))
    with pytest.raises(ValueError, match="pool is None"):
        tatami.Dojo(None)


def test_a_theorem_that_cannot_be_entered_is_a_dojo_error(dojo):
    with pytest.raises(tatami.DojoError, match="nope"):
        dojo.enter("", "theorem nope : False")
    with pytest.raises(tatami.DojoError, match="Missing.lean"):
        dojo.enter_file("Missing.lean", "foo")


def test_a_state_of_another_dojo_is_refused(pool):
    a, b = tatami.Dojo(pool), tatami.Dojo(pool)
    s = a.enter("", ADD_ZERO)
    with pytest.raises(ValueError):
        b.run_tac(s, "rfl")
    with pytest.raises(ValueError, match="another Dojo"):
        tatami.prove(b, s, "fixed")


def test_a_worker_that_cannot_start_is_an_error_naming_it():
    pool = tatami.WorkerPool(["/nonexistent/repl"], workers=1)
    with pytest.raises(tatami.DojoError, match="/nonexistent/repl"):
        tatami.Dojo(pool).enter("", ADD_ZERO)


def test_retriever_inputs_are_checked(tmp_path):
    with pytest.raises(tatami.IndexFileError, match="missing.idx"):
        tatami.PremiseIndex(tmp_path / "missing.idx")
    bad = tmp_path / "bad.idx"
    bad.write_bytes(b"not an index")
    with pytest.raises(OSError):
        tatami.PremiseIndex(bad)
    with pytest.raises(tatami.EncoderError):
        tatami.load_encoder(tmp_path / "missing.pt")


@requires_env
def test_env_misuse(pool):
    env = tatami.Env(pool)
    with pytest.raises(RuntimeError):
        env.step("rfl")  # never reset
    with pytest.raises(RuntimeError):
        env.reset()  # no theorem yet
    with pytest.raises(TypeError, match="Theorem"):
        env.reset(42)
    with pytest.raises(ValueError):
        tatami.Theorem("")
    with pytest.raises(ValueError, match="unknown outcome 'exploded'"):
        tatami.Env(pool, terminate_on=["exploded"])
    with pytest.raises(ValueError, match="step_timeout"):
        tatami.Env(pool, step_timeout=-0.5)
    with pytest.raises(TypeError, match="WorkerPool or a Dojo"):
        tatami.Env("pool")
    with pytest.raises(tatami.DojoError):
        env.reset("theorem nope : False")
    with pytest.raises(ValueError):
        tatami.Theorem.from_json_line("{not json")
