"""Best-first proof search in C++ driven by a tactic generator written in Python.

tatami.prove runs ReProver's best-first search over the Dojo; whenever it
expands states it calls the Python function with the whole batch of
GenerationRequests (the GIL is held only during that call) and takes back
(tactic, logprob) candidates. Here the "model" is a small scoring rule over
the candidate list: tactics that mention a hypothesis of the state, or fit
the target's shape, get a higher log-probability. A PyTorch model would
slot into the same function.
"""

import math

import tatami
from demo_setup import DEMO_TACTICS, DEMO_THEOREMS, make_pool, parser


def score(tactic, state):
    s = 0.0
    if "∧" in state and ("constructor" in tactic or "⟨" in tactic):
        s += 2.0
    if "h : " in state and "h." in tactic:
        s += 1.0
    if "n : Nat" in state and "induction" in tactic:
        s += 1.0
    if tactic in ("rfl", "decide"):
        s += 0.5
    return s


def generator(requests):
    out = []
    for r in requests:
        scores = [score(t, r.state) for t in DEMO_TACTICS]
        log_z = math.log(sum(math.exp(s) for s in scores))
        ranked = sorted(zip(DEMO_TACTICS, (s - log_z for s in scores)), key=lambda c: -c[1])
        out.append(ranked[: r.num_candidates])
    return out


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--num-tactics", type=int, default=4)
    args = p.parse_args()
    dojo = tatami.Dojo(make_pool(args))
    proved = 0
    for statement in DEMO_THEOREMS:
        root = dojo.enter("", statement)
        result = tatami.prove(dojo, root, generator, num_tactics=args.num_tactics,
                              max_expansions=50, timeout=60)
        proved += result.status == "proved"
        proof = "; ".join(result.proof) if result.proof else "-"
        print(f"{root.theorem_name}: {result.status} after {result.expansions} expansions, "
              f"{result.states} states: {proof}")
    print(f"theorems={len(DEMO_THEOREMS)} proved={proved}")


if __name__ == "__main__":
    main()
