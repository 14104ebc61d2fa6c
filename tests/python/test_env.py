"""Env: gymnasium's reset/step shape, rewards, truncation, termination,
branching with step_from, crash recovery mid-episode."""

import pytest

import tatami
from conftest import ADD_ZERO, AND_SWAP, UNKNOWN_TACTIC, make_pool, requires_env

pytestmark = requires_env


def test_reset_and_step_follow_gymnasium_shape(pool):
    env = tatami.Env(pool)
    obs, info = env.reset(tatami.Theorem(AND_SWAP))
    assert info == {}
    assert isinstance(obs, tatami.Observation)
    assert obs.num_goals == 1 and obs.pretty == "p q : Prop\nh : p ∧ q\n⊢ q ∧ p"
    assert obs.goals[0].target == "q ∧ p"
    assert obs.handle != 0 and obs.state is not None and obs.path == []

    obs, reward, terminated, truncated, info = env.step("constructor")
    assert (reward, terminated, truncated) == (0.0, False, False)
    assert info["outcome"] == "state" and info["message"] == ""
    assert info["episode_steps"] == 1 and info["goals_closed"] == -1
    assert isinstance(info["result"], tatami.TacticState)
    assert obs.num_goals == 2 and obs.path == ["constructor"]

    obs, reward, terminated, truncated, info = env.step("exact h.2")
    obs, reward, terminated, truncated, info = env.step("exact h.1")
    assert (reward, terminated, truncated) == (1.0, True, False)
    assert info["outcome"] == "proof_finished"
    assert info["proof"] == ["constructor", "exact h.2", "exact h.1"]
    assert info["verdict"].ok
    assert obs.pretty == "no goals" and obs.handle == 0 and obs.state is None
    assert not env.episode_active
    with pytest.raises(RuntimeError):
        env.step("rfl")


def test_a_failed_tactic_keeps_the_state_and_reports_leans_message(pool):
    env = tatami.Env(pool)
    start, _ = env.reset(ADD_ZERO)
    obs, reward, terminated, truncated, info = env.step("exat 42")
    assert info["outcome"] == "tactic_error"
    assert info["message"] == UNKNOWN_TACTIC
    assert isinstance(info["result"], tatami.LeanError)
    assert (reward, terminated, truncated) == (0.0, False, False)
    assert obs.handle == start.handle and obs.pretty == start.pretty


def test_reward_policy_is_configurable(pool):
    reward = tatami.RewardOptions(proof=10.0, step_penalty=0.5, goal_closed=2.0, failure=-1.0)
    env = tatami.Env(pool, reward=reward)
    env.reset(ADD_ZERO)
    assert env.step("exat 42")[1] == pytest.approx(-1.0 - 0.5)
    assert env.step("induction n")[1] == pytest.approx(2.0 * -1 - 0.5)  # one goal became two
    assert env.step("rfl")[1] == pytest.approx(2.0 * 1 - 0.5)
    assert env.step("rfl")[1] == pytest.approx(10.0 + 2.0 * 1 - 0.5)


def test_max_steps_truncates(pool):
    env = tatami.Env(pool, max_steps=2)
    env.reset(ADD_ZERO)
    assert env.step("exat 42")[3] is False
    obs, reward, terminated, truncated, info = env.step("exat 42")
    assert (terminated, truncated) == (False, True)
    assert info["episode_steps"] == 2
    with pytest.raises(RuntimeError):
        env.step("rfl")
    # A new episode starts from the cached root of the same theorem.
    obs, _ = env.reset()
    assert obs.num_goals == 1 and env.episode_steps == 0
    assert env.step("rfl")[2] is True


def test_terminate_on_a_failure_kind(pool):
    env = tatami.Env(pool, terminate_on=["tactic_error"])
    env.reset(ADD_ZERO)
    _, _, terminated, truncated, info = env.step("exat 42")
    assert terminated and not truncated and info["outcome"] == "tactic_error"


def test_step_from_branches_without_replay(pool):
    env = tatami.Env(pool)
    root, _ = env.reset(AND_SWAP)
    left, *_ = env.step("constructor")
    # Back to the root by handle, then by observation, then by state.
    other, _, _, _, info = env.step_from(root.handle, "obtain ⟨hp, hq⟩ := h")
    assert info["outcome"] == "state" and other.path == ["obtain ⟨hp, hq⟩ := h"]
    obs, reward, terminated, *_ = env.step_from(left, "exact h.2")
    assert obs.num_goals == 1 and obs.path == ["constructor", "exact h.2"]
    with pytest.raises(ValueError):
        env.step_from(123456, "rfl")
    obs, reward, terminated, *_ = env.step_from(other.state, "exact ⟨hq, hp⟩")
    assert terminated and reward == 1.0


def test_a_worker_crash_mid_episode_is_recovered():
    # The worker dies on its 4th request (enter, induction, the failed
    # tactic, then rfl); the step still succeeds on a fresh worker.
    env = tatami.Env(make_pool("--exit-on", "4", workers=1))
    env.reset(ADD_ZERO)
    env.step("induction n")
    env.step("exat 42")
    obs, reward, terminated, truncated, info = env.step("rfl")
    assert info["outcome"] == "state", info
    assert obs.num_goals == 1 and obs.path == ["induction n", "rfl"]
    assert env.dojo.stats()["recoveries"] >= 1


def test_a_hanging_step_times_out_and_the_episode_continues():
    # The 3rd request (enter, a failed tactic, this one) never gets an answer.
    env = tatami.Env(make_pool("--hang-on", "3", workers=1), step_timeout=0.5)
    root, _ = env.reset(ADD_ZERO)
    env.step("exat 42")
    obs, reward, terminated, truncated, info = env.step("induction n")
    assert info["outcome"] == "timeout" and isinstance(info["result"], tatami.Timeout)
    assert not terminated and not truncated and obs.handle == root.handle
    obs, *_ = env.step("induction n")
    assert obs.num_goals == 2


def test_envs_can_share_a_dojo(pool):
    dojo = tatami.Dojo(pool)
    a, b = tatami.Env(dojo), tatami.Env(dojo)
    oa, _ = a.reset(ADD_ZERO)
    ob, _ = b.reset(AND_SWAP)
    assert a.dojo is not None and oa.state.dojo_id == ob.state.dojo_id == dojo.id
