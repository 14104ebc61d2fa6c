"""A tiny REINFORCE loop: a PyTorch policy learns which candidate tactic to
apply, stepping a tatami.VecEnv of several environments at once.

The policy sees a bag of hashed character trigrams of the pretty-printed
state and outputs a distribution over a fixed list of candidate tactics.
Episodes end when the proof is finished and checked (reward 1) or after
--max-steps steps; every step costs a small penalty, so shorter proofs are
worth more. Environments reset themselves (auto_reset), and the policy is
updated after every --batch finished episodes with the return-to-go minus a
running-mean baseline. Prints the success rate and mean return of the first
and last windows of episodes.
"""

import collections
import zlib

import torch

import tatami
from demo_setup import DEMO_TACTICS, DEMO_THEOREMS, make_pool, parser

FEATURES = 256


def featurize(pretty):
    v = torch.zeros(FEATURES)
    for i in range(len(pretty) - 2):
        v[zlib.crc32(pretty[i:i + 3].encode()) % FEATURES] += 1.0
    return v / max(1.0, v.sum().item()) ** 0.5


class Policy(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(FEATURES, 64), torch.nn.Tanh(),
                                       torch.nn.Linear(64, len(DEMO_TACTICS)))

    def forward(self, x):
        return torch.distributions.Categorical(logits=self.net(x))


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--num-envs", type=int, default=4)
    p.add_argument("--episodes", type=int, default=240)
    p.add_argument("--batch", type=int, default=8, help="finished episodes per update")
    p.add_argument("--max-steps", type=int, default=4)
    p.add_argument("--window", type=int, default=40, help="episodes per reported window")
    args = p.parse_args()
    if args.workers < args.num_envs:
        args.workers = args.num_envs
    torch.manual_seed(args.seed)
    envs = tatami.VecEnv(make_pool(args), args.num_envs, auto_reset=True,
                         max_steps=args.max_steps,
                         reward=tatami.RewardOptions(proof=1.0, step_penalty=0.05))
    policy = Policy()
    optimiser = torch.optim.Adam(policy.parameters(), lr=0.03)
    theorems = [tatami.Theorem(DEMO_THEOREMS[i % len(DEMO_THEOREMS)])
                for i in range(args.num_envs)]
    obs, _ = envs.reset(theorems)

    running = [([], []) for _ in range(args.num_envs)]  # per env: log-probs, rewards
    finished = []  # (log-probs, rewards) of finished episodes awaiting an update
    outcomes = []  # (proved, return) per finished episode, in order
    baseline = 0.0
    while len(outcomes) < args.episodes:
        dist = policy(torch.stack([featurize(o.pretty) for o in obs]))
        choice = dist.sample()
        log_probs = dist.log_prob(choice)
        obs, rewards, terminated, truncated, infos = envs.step(
            [DEMO_TACTICS[c] for c in choice.tolist()])
        for i in range(args.num_envs):
            running[i][0].append(log_probs[i])
            running[i][1].append(rewards[i])
            if terminated[i] or truncated[i]:
                finished.append(running[i])
                outcomes.append((infos[i]["outcome"] == "proof_finished", sum(running[i][1])))
                running[i] = ([], [])
        if len(finished) >= args.batch:
            terms = []
            for lps, rs in finished:
                returns = torch.tensor(rs).flip(0).cumsum(0).flip(0)
                terms.append(-(torch.stack(lps) * (returns - baseline)).sum())
                baseline = 0.9 * baseline + 0.1 * returns[0].item()
            loss = torch.stack(terms).mean()
            if loss.requires_grad:
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
            finished = []
            # Episodes still running were partly sampled with the old weights,
            # which the update changed in place: their earlier steps no longer
            # carry gradient.
            running = [([lp.detach() for lp in lps], rs) for lps, rs in running]

    def window(part):
        proved = sum(1 for ok, _ in part if ok) / len(part)
        mean_return = sum(r for _, r in part) / len(part)
        return proved, mean_return

    first, last = outcomes[: args.window], outcomes[-args.window:]
    (p0, r0), (p1, r1) = window(first), window(last)
    counts = collections.Counter(ok for ok, _ in outcomes)
    print(f"episodes={len(outcomes)} proved={counts[True]}")
    print(f"first_success={p0:.2f} last_success={p1:.2f} "
          f"first_return={r0:.3f} last_return={r1:.3f}")


if __name__ == "__main__":
    main()
