"""VecEnv: N environments stepped together, results in order, auto-reset,
asynchronous stepping, misuse."""

import pytest

import tatami
from conftest import ADD_ZERO, AND_SWAP, TWO_ADD_TWO, UNKNOWN_TACTIC, make_pool, requires_env

pytestmark = requires_env


def test_step_runs_one_action_per_env_and_keeps_env_order():
    envs = tatami.VecEnv(make_pool(workers=3), 3)
    assert len(envs) == envs.num_envs == 3
    obs, infos = envs.reset([tatami.Theorem(ADD_ZERO), tatami.Theorem(TWO_ADD_TWO),
                             tatami.Theorem(AND_SWAP)])
    assert [o.theorem_name for o in obs] == ["add_zero'", "two_add_two", "and_swap'"]
    assert infos == [{}, {}, {}]
    obs, rewards, terminated, truncated, infos = envs.step(["induction n", "exat 42",
                                                            "constructor"])
    assert [i["outcome"] for i in infos] == ["state", "tactic_error", "state"]
    assert [o.num_goals for o in obs] == [2, 1, 2]
    assert infos[1]["message"] == UNKNOWN_TACTIC
    assert rewards == [0.0, 0.0, 0.0] and terminated == [False] * 3 and truncated == [False] * 3
    obs, rewards, terminated, truncated, infos = envs.step(["all_goals rfl", "decide",
                                                            "exact h.2"])
    assert terminated == [True, True, False] and rewards == [1.0, 1.0, 0.0]
    # Without auto-reset, a batch with an ended episode is misuse.
    with pytest.raises(RuntimeError):
        envs.step(["rfl", "rfl", "exact h.1"])


def test_auto_reset_returns_the_new_first_observation_and_the_final_one():
    envs = tatami.VecEnv(make_pool(workers=2), 2, auto_reset=True, max_steps=2)
    envs.reset(TWO_ADD_TWO)
    obs, rewards, terminated, truncated, infos = envs.step(["rfl", "exat 42"])
    assert terminated == [True, False] and rewards == [1.0, 0.0]
    assert infos[0]["final_observation"].pretty == "no goals"
    assert obs[0].pretty == "⊢ 2 + 2 = 4" and obs[0].path == []
    assert "final_observation" not in infos[1]
    obs, rewards, terminated, truncated, infos = envs.step(["exat 42", "exat 42"])
    assert truncated == [False, True]  # env 1's second step, env 0's first since its reset
    assert infos[1]["final_observation"].pretty == "⊢ 2 + 2 = 4"


def test_step_async_then_step_wait():
    envs = tatami.VecEnv(make_pool(workers=2), 2)
    envs.reset(ADD_ZERO)
    envs.step_async(["rfl", "induction n"])
    assert envs.pending
    with pytest.raises(RuntimeError):
        envs.step_async(["rfl", "rfl"])
    obs, rewards, terminated, truncated, infos = envs.step_wait()
    assert not envs.pending
    assert terminated == [True, False] and obs[1].num_goals == 2
    with pytest.raises(RuntimeError):
        envs.step_wait()


def test_vectorised_steps_survive_a_crash_in_one_env():
    # Every worker dies on its 3rd request: env 0's and env 1's `induction n`
    # after a failed tactic; both recover on fresh workers.
    envs = tatami.VecEnv(make_pool("--exit-on", "3", workers=2), 2)
    envs.reset(ADD_ZERO)
    envs.step(["exat 42", "exat 42"])
    obs, _, _, _, infos = envs.step(["induction n", "rfl"])
    assert [i["outcome"] for i in infos] == ["state", "proof_finished"]
    assert obs[0].num_goals == 2
    assert envs.dojo.stats()["recoveries"] >= 1


def test_misuse_raises_clear_errors():
    pool = make_pool(workers=2)
    with pytest.raises(ValueError, match="workers"):
        tatami.VecEnv(pool, 3)
    envs = tatami.VecEnv(pool, 2)
    with pytest.raises(ValueError):
        envs.reset([tatami.Theorem(ADD_ZERO)] * 3)
    envs.reset(ADD_ZERO)
    with pytest.raises(ValueError):
        envs.step(["rfl"])


def test_step_from_branches_every_env_from_an_earlier_state():
    envs = tatami.VecEnv(make_pool(workers=2), 2)
    roots, _ = envs.reset([tatami.Theorem(AND_SWAP), tatami.Theorem(ADD_ZERO)])
    deeper, *_ = envs.step(["constructor", "induction n"])
    # Both back to their roots, each with a different branch.
    obs, rewards, terminated, _, infos = envs.step_from(
        [roots[0].handle, roots[1].handle], ["obtain ⟨hp, hq⟩ := h", "rfl"])
    assert obs[0].path == ["obtain ⟨hp, hq⟩ := h"] and terminated == [False, True]
    envs.reset([tatami.Theorem(AND_SWAP), tatami.Theorem(ADD_ZERO)])
    with pytest.raises(ValueError):
        envs.step_from([deeper[0].handle, deeper[1].handle], ["rfl", "rfl"])  # old episode
    first, _ = envs.reset([tatami.Theorem(AND_SWAP), tatami.Theorem(ADD_ZERO)])
    envs.step_from_async([first[0].handle, first[1].handle], ["exact ⟨h.2, h.1⟩", "induction n"])
    obs, rewards, terminated, _, _ = envs.step_wait()
    assert terminated == [True, False] and obs[1].num_goals == 2
