"""Random proof-state graphs for search tests and benchmarks, from a seed.

For each theorem: a handful of proof states (one or two goals each), and at
each state a few scripted candidates leading to other states (merges), back
to earlier ones or to itself (cycles), to a finished proof, to Lean errors
of both REPL shapes, or to tactics the graph does not know; some states get
no candidates (dead ends), candidate lists repeat tactics, and log-probs are
drawn from a few exact binary fractions so that ties are frequent and sums
are exact. Writes the REPL double's script (--script), the scripted
generator's file and the theorems as `tatami prove` JSON Lines.
"""

import json
import random

LOGPROBS = [-0.25, -0.5, -1.0, -1.5, -2.0]


def make(seed, theorems=40, max_states=10, p_done=0.12, num_candidates=(0, 6), min_states=1):
    rng = random.Random(seed)
    graph = {"description": f"random search graphs, seed {seed}", "theorems": [], "states": []}
    scripted = {}
    inputs = []
    for t in range(theorems):
        n = rng.randint(min_states, max_states)
        states = []
        for i in range(n):
            goals = [f"x y : Nat\nh{t} : x ≤ {i}\n⊢ x + {t} = y + {i}"]
            if rng.random() < 0.3:
                goals.append(f"case g{i}\nx y : Nat\n⊢ y ≤ {t * 100 + i}")
            states.append(goals)
        statement = f"theorem rand_{seed}_{t} (x y : Nat) (h{t} : x ≤ 0) : x + {t} = y + 0"
        graph["theorems"].append({"statement": statement, "goal": states[0][0]})
        # The root has one goal: the theorem's.
        states[0] = [states[0][0]]
        for i, goals in enumerate(states):
            tactics = {}
            candidates = []
            for k in range(rng.randint(*num_candidates)):
                tactic = f"tac_{t}_{i}_{k}"
                r = rng.random()
                if r < p_done:
                    tactics[tactic] = {"goals": []}
                elif r < p_done + 0.10:
                    # A recorded Lean text (lean-messages/tactic_failures.jsonl).
                    tactics[tactic] = {"error": "simp made no progress", "shape": "messages"}
                elif r < p_done + 0.18:
                    tactics[tactic] = {"error": "<input>:1:1: unknown tactic", "shape": "exception"}
                elif r < p_done + 0.23:
                    pass  # not in the graph: the double's unknown-tactic error
                else:
                    tactics[tactic] = {"goals": states[rng.randrange(n)]}
                candidates.append({"tactic": tactic, "logprob": rng.choice(LOGPROBS)})
                if candidates and rng.random() < 0.15:  # a repeated tactic string
                    candidates.append({"tactic": rng.choice(candidates)["tactic"],
                                       "logprob": rng.choice(LOGPROBS)})
            graph["states"].append({"goals": goals, "tactics": tactics})
            if candidates or rng.random() < 0.5:  # otherwise: not in the file at all
                scripted["\n\n".join(goals)] = candidates
        inputs.append({"name": f"rand_{seed}_{t}", "header": "", "formal_statement": statement + " := by sorry"})
    return graph, scripted, inputs


def write(directory, seed, theorems=40, max_states=10, **kwargs):
    import os
    graph, scripted, inputs = make(seed, theorems, max_states, **kwargs)
    paths = {k: os.path.join(directory, f"{k}.json") for k in ("graph", "scripted")}
    with open(paths["graph"], "w") as f:
        json.dump(graph, f, ensure_ascii=False)
    with open(paths["scripted"], "w") as f:
        json.dump(scripted, f, ensure_ascii=False)
    paths["theorems"] = os.path.join(directory, "theorems.jsonl")
    with open(paths["theorems"], "w") as f:
        for line in inputs:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
    return graph, scripted, inputs, paths
