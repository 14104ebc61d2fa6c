"""Proof search from Python: C++ generators by spec, and a Python callable
as the generator (batch in, batch out)."""

import pytest

import tatami
from conftest import ADD_ZERO, AND_SWAP


def test_prove_with_a_cpp_generator(dojo):
    root = dojo.enter("", ADD_ZERO)
    r = tatami.prove(dojo, root, "fixed:exat 42,rfl")
    assert r.status == "proved" and r.proof == ["rfl"]
    assert r.expansions == 1 and r.states == 1
    gen = tatami.make_generator("fixed:simp,rfl")
    assert gen.describe().startswith("fixed")
    (cands,) = gen.generate([tatami.GenerationRequest("⊢ True", num_candidates=2)])
    assert [c.tactic for c in cands] == ["simp", "rfl"]
    assert tatami.prove(dojo, root, gen).status == "proved"


def test_a_python_callable_drives_the_search(dojo):
    table = {
        "p q : Prop\nh : p ∧ q\n⊢ q ∧ p": [("constructor", -0.1), ("exat 42", -0.2)],
        "case left\np q : Prop\nh : p ∧ q\n⊢ q\n\ncase right\np q : Prop\nh : p ∧ q\n⊢ p":
            [tatami.Candidate("exact h.2", -0.5)],
        "case right\np q : Prop\nh : p ∧ q\n⊢ p": ["exact h.1"],
    }
    batches = []

    def policy(requests):
        batches.append([(r.state, r.num_candidates) for r in requests])
        return [table.get(r.state, []) for r in requests]

    root = dojo.enter("", AND_SWAP)
    r = tatami.prove(dojo, root, policy, num_tactics=4)
    assert r.status == "proved"
    assert r.proof == ["constructor", "exact h.2", "exact h.1"]
    assert [b[0][1] for b in batches] == [4, 4, 4]
    assert [b[0][0] for b in batches] == list(table)


def test_search_without_candidates_fails_and_limits_leave_it_open(dojo):
    root = dojo.enter("", ADD_ZERO)
    assert tatami.prove(dojo, root, lambda reqs: [[] for _ in reqs]).status == "failed"
    r = tatami.prove(dojo, root, "fixed:induction n", max_expansions=1)
    assert r.status == "open" and r.expansions == 1


def test_errors_of_the_python_generator_reach_the_caller(dojo):
    root = dojo.enter("", ADD_ZERO)

    class PolicyBroke(Exception):
        pass

    def broken(requests):
        raise PolicyBroke("out of tactics")

    with pytest.raises(PolicyBroke, match="out of tactics"):
        tatami.prove(dojo, root, broken)
    with pytest.raises(ValueError, match="returned 0 lists for 1 requests"):
        tatami.prove(dojo, root, lambda reqs: [])
    with pytest.raises(TypeError, match="request 0, candidate 0"):
        tatami.prove(dojo, root, lambda reqs: [[42]])
    with pytest.raises(TypeError, match="logprob"):
        tatami.prove(dojo, root, lambda reqs: [[("rfl", "high")]])
    with pytest.raises(TypeError, match="callable"):
        tatami.prove(dojo, root, 42)
    with pytest.raises(tatami.GeneratorSpecError):
        tatami.prove(dojo, root, "no-such-generator")


def test_prove_many_batches_the_searches_requests_for_the_python_generator():
    from conftest import TWO_ADD_TWO, make_pool

    dojo = tatami.Dojo(make_pool(workers=3))
    roots = [dojo.enter("", s) for s in (ADD_ZERO, TWO_ADD_TWO, AND_SWAP)]
    batches = []

    def policy(requests):
        batches.append(sorted(r.state for r in requests))
        return [[("constructor", -1.0), ("exact h.2", -1.5), ("exact h.1", -2.0), ("rfl", -3.0)]
                for _ in requests]

    # A long max_wait: a batch goes when every running search waits for it.
    results = tatami.prove_many(dojo, roots, policy, num_tactics=4, max_wait=30.0)
    assert [r.status for r in results] == ["proved", "proved", "proved"]
    assert results[0].proof == ["rfl"] and results[1].proof == ["rfl"]
    assert results[2].proof == ["constructor", "exact h.2", "exact h.1"]
    assert batches[0] == sorted(r.pretty for r in roots)
    assert sum(len(b) for b in batches) == sum(r.expansions for r in results)
    with pytest.raises(ValueError, match="max_batch"):
        tatami.prove_many(dojo, roots, policy, max_batch=0)
