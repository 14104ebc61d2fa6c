"""Whole-snippet checking, as `tatami check` does it."""

import pytest

import tatami
from conftest import ADD_ZERO, TWO_ADD_TWO


def test_check_gives_verdicts_with_outcome_names(pool):
    ok = tatami.check(pool, ADD_ZERO + " := by\n  induction n\n  all_goals rfl")
    assert ok.ok and ok.outcome == "ok" and ok.verdict.ok
    sorry = tatami.check(pool, TWO_ADD_TWO + " := by sorry")
    assert not sorry.ok and sorry.outcome == "sorry"
    axioms = tatami.check(pool, TWO_ADD_TWO + " := by native_decide", banned_tactics=[])
    assert axioms.outcome == "axioms" and "Lean.ofReduceBool" in axioms.verdict.axioms
    err = tatami.check(pool, ADD_ZERO + " := by\n  exact my_fake_premise")
    assert err.outcome == "lean_error"
    assert any(m["severity"] == "error" and m["data"] == "Unknown identifier `my_fake_premise`"
               and m["pos"]["line"] == 2 for m in err.messages)


def test_check_many_keeps_input_order(pool):
    codes = [TWO_ADD_TWO + " := by decide", TWO_ADD_TWO + " := by sorry", ADD_ZERO + " := by rfl"]
    assert [r.outcome for r in tatami.check_many(pool, codes)] == ["ok", "sorry", "ok"]


def test_a_crash_during_a_check_is_an_outcome():
    from conftest import make_pool

    pool = make_pool("--exit-on", "1", workers=1)
    r = tatami.check(pool, ADD_ZERO + " := by rfl")
    assert not r.ok and r.outcome == "crash" and r.verdict.failed == "not_checked"


def test_a_malformed_import_header_is_a_value_error(pool):
    with pytest.raises(ValueError, match="import"):
        tatami.check(pool, "import 1bad\n" + ADD_ZERO + " := by rfl")
