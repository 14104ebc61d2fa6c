"""Random-policy rollouts: the smallest use of tatami.Env.

Each episode picks a theorem, then applies tactics drawn uniformly from a
candidate list until the proof is finished (reward 1) or the step limit
truncates the episode. Prints one line per episode and a summary.
"""

import random

import tatami
from demo_setup import DEMO_TACTICS, DEMO_THEOREMS, make_pool, parser


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--episodes", type=int, default=20)
    p.add_argument("--max-steps", type=int, default=6)
    args = p.parse_args()
    rng = random.Random(args.seed)

    env = tatami.Env(make_pool(args), max_steps=args.max_steps)
    proved = 0
    total_steps = 0
    for episode in range(args.episodes):
        theorem = tatami.Theorem(rng.choice(DEMO_THEOREMS))
        obs, _ = env.reset(theorem)
        episode_return = 0.0
        while True:
            action = rng.choice(DEMO_TACTICS)
            obs, reward, terminated, truncated, info = env.step(action)
            episode_return += reward
            total_steps += 1
            if terminated or truncated:
                break
        proved += info["outcome"] == "proof_finished"
        ending = ("proof: " + "; ".join(info["proof"]) if info["proof"]
                  else "truncated" if truncated else info["outcome"])
        print(f"episode {episode}: {obs.theorem_name or theorem.statement[:30]} "
              f"return={episode_return:.0f} steps={info['episode_steps']} ({ending})")
    print(f"episodes={args.episodes} proved={proved} steps={total_steps}")


if __name__ == "__main__":
    main()
