"""The Dojo from Python: entering, typed results, recovery, timeouts."""

import pytest

import tatami
from conftest import ADD_ZERO, AND_SWAP, TWO_ADD_TWO, UNKNOWN_TACTIC, make_pool


def test_enter_gives_the_root_state_with_structured_goals(dojo):
    s = dojo.enter("", AND_SWAP)
    assert isinstance(s, tatami.TacticState)
    assert s.num_goals == 1
    assert s.pretty == "p q : Prop\nh : p ∧ q\n⊢ q ∧ p"
    (goal,) = s.goals
    assert goal.target == "q ∧ p"
    assert [h.names for h in goal.hypotheses] == [["p", "q"], ["h"]]
    assert [h.type for h in goal.hypotheses] == ["Prop", "p ∧ q"]
    assert goal.case_tag is None
    assert goal.pretty == s.goal_strings[0]
    assert s.path == []


def test_run_tac_returns_each_typed_result(dojo):
    root = dojo.enter("", ADD_ZERO)
    split = dojo.run_tac(root, "induction n")
    assert isinstance(split, tatami.TacticState)
    assert split.num_goals == 2
    assert [g.case_tag for g in split.goals] == ["zero", "succ"]
    assert split.path == ["induction n"]

    err = dojo.run_tac(split, "exat 42")
    assert isinstance(err, tatami.LeanError)
    assert err.kind == "tactic"
    assert err.message == UNKNOWN_TACTIC

    done = dojo.run_tac(split, "all_goals rfl")
    assert isinstance(done, tatami.ProofFinished)
    assert done.tactics == ["induction n", "all_goals rfl"]
    assert done.verdict.ok and done.verdict.failed == "none"

    given_up = dojo.run_tac(root, "sorry")
    assert isinstance(given_up, tatami.ProofGivenUp)
    assert given_up.banned == ["sorry"]


def test_run_tacs_gives_what_run_tac_gives_one_by_one(dojo):
    root = dojo.enter("", ADD_ZERO)
    tactics = ["induction n", "exat 42", "sorry", "rfl", "induction n"]
    batch = dojo.run_tacs([(root, t) for t in tactics])
    one_by_one = [dojo.run_tac(root, t) for t in tactics]
    assert [type(r) for r in batch] == [type(r) for r in one_by_one]
    assert [type(r) for r in batch][:3] == [tatami.TacticState, tatami.LeanError,
                                            tatami.ProofGivenUp]
    assert batch[0].pretty == one_by_one[0].pretty and batch[0] != batch[4]
    assert batch[1].message == one_by_one[1].message == UNKNOWN_TACTIC
    assert dojo.run_tacs([]) == []
    with pytest.raises(TypeError):
        dojo.run_tacs([(root,)])


def test_states_are_immutable_handles_usable_in_any_order(dojo):
    root = dojo.enter("", ADD_ZERO)
    a = dojo.run_tac(root, "induction n")
    # Branch again from the root after going deeper: no replay needed.
    b = dojo.run_tac(root, "induction n")
    assert a.pretty == b.pretty and a != b
    assert isinstance(dojo.run_tac(a, "rfl"), tatami.TacticState)
    assert isinstance(dojo.run_tac(root, "rfl"), tatami.ProofFinished)
    assert len({root, a, b}) == 3


def test_proof_rejected_by_the_completion_check_is_a_lean_error():
    dojo = tatami.Dojo(make_pool())
    s = dojo.enter("", TWO_ADD_TWO)
    r = dojo.run_tac(s, "native_decide")
    assert isinstance(r, tatami.ProofGivenUp) and r.banned == ["native_decide"]
    # Allowing the tactic, the axioms it uses fail the check instead.
    strict = tatami.Dojo(make_pool(), banned_tactics=[])
    r = strict.run_tac(strict.enter("", TWO_ADD_TWO), "native_decide")
    assert isinstance(r, tatami.LeanError)
    assert r.kind == "proof_rejected"
    assert r.verdict is not None and r.verdict.failed == "axioms"
    assert "Lean.ofReduceBool" in r.verdict.axioms


def test_a_crash_mid_proof_is_recovered_and_states_stay_usable():
    # The worker dies on its 4th request (enter, induction, the failed
    # tactic, then this rfl); the Dojo restarts it and replays the path.
    dojo = tatami.Dojo(make_pool("--exit-on", "4", workers=1))
    root = dojo.enter("", ADD_ZERO)
    split = dojo.run_tac(root, "induction n")
    assert isinstance(dojo.run_tac(split, "exat 42"), tatami.LeanError)
    one = dojo.run_tac(split, "rfl")
    assert isinstance(one, tatami.TacticState), one
    assert one.num_goals == 1
    assert dojo.stats()["recoveries"] >= 1
    # From `one`, every fresh worker replays 3 requests and dies on the 4th,
    # the tactic itself: recovery gives up with a typed failure, no exception.
    r = dojo.run_tac(one, "rfl")
    assert isinstance(r, tatami.LeanError) and r.kind == "worker_failure"


def test_a_hanging_tactic_times_out_and_the_state_survives():
    # The worker never answers its 3rd request (enter, a failed tactic, then
    # this one); the next tactic runs on a fresh worker (its 2nd request).
    dojo = tatami.Dojo(make_pool("--hang-on", "3", workers=1), tactic_timeout=0.5)
    root = dojo.enter("", ADD_ZERO)
    assert isinstance(dojo.run_tac(root, "exat 42"), tatami.LeanError)
    r = dojo.run_tac(root, "induction n")
    assert isinstance(r, tatami.Timeout)
    assert r.limit == pytest.approx(0.5) and not r.during_check
    split = dojo.run_tac(root, "induction n")
    assert isinstance(split, tatami.TacticState) and split.num_goals == 2
    assert dojo.stats()["recoveries"] >= 1


def test_parse_goal_round_trips():
    text = "case succ\nn✝ : Nat\na✝ : n✝ + 0 = n✝\n⊢ n✝ + 1 + 0 = n✝ + 1"
    g = tatami.parse_goal(text)
    assert g.case_tag == "succ" and g.pretty == text
    with pytest.raises(ValueError, match="⊢"):
        tatami.parse_goal("n : Nat")


def test_a_lean_that_cannot_start_is_a_no_lean_error(tmp_path):
    pool = tatami.WorkerPool([str(tmp_path / "no-such-repl")], workers=1)
    dojo = tatami.Dojo(pool)
    with pytest.raises(tatami.NoLeanError, match="no-such-repl") as raised:
        dojo.enter("", ADD_ZERO)
    assert isinstance(raised.value, tatami.DojoError)  # still a DojoError
    # A statement Lean rejects is the theorem's: a DojoError, not a NoLeanError.
    with pytest.raises(tatami.DojoError) as raised:
        tatami.Dojo(make_pool()).enter("", "theorem unknown_to_the_graph : 3 = 3")
    assert not isinstance(raised.value, tatami.NoLeanError)
