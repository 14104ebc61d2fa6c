"""A straightforward Python rendering of tatami's best-first search semantics
(ReProver's prover/proof_search.py and search_tree.py, with the differences
docs/search.md lists), run on the scripted proof-state graph the REPL double
serves, with the scripted generator's file. It is the reference that
`tatami prove` is compared with in check_prove_reference.py.
"""

import heapq
import math
import re

OPEN, PROVED, FAILED = "open", "proved", "failed"


def normalize_space(s):
    return re.sub(r"\s+", " ", s).strip()


class GraphEnv:
    """What Lean (the double) answers for a tactic on a state of the graph."""

    def __init__(self, graph):
        self.states = {}
        for st in graph["states"]:
            tactics = {normalize_space(t): tr for t, tr in st.get("tactics", {}).items()}
            self.states[tuple(st["goals"])] = tactics

    def run(self, goals, tactic):
        """("state", goals) | ("done",) | ("error", text)"""
        tr = self.states.get(tuple(goals), {}).get(normalize_space(tactic))
        if tr is None or "error" in tr:
            return ("error", "")
        if not tr["goals"]:
            return ("done",)
        return ("state", tuple(tr["goals"]))


def pretty(goals):
    return "\n\n".join(goals) if goals else "no goals"


class Node:
    def __init__(self, kind, goals=None, logprob=0.0):
        self.kind = kind  # "state", "done", "error"
        self.goals = goals
        self.cumulative_logprob = logprob
        self.status = {"state": OPEN, "done": PROVED, "error": FAILED}[kind]
        self.distance = 0.0 if kind == "done" else math.inf
        self.out_edges = None  # None: not explored
        self.in_edges = []

    def recompute_status(self):
        if self.out_edges is None or self.status != OPEN:
            return
        if any(e.dst.status == PROVED for e in self.out_edges):
            self.status = PROVED
        elif all(e.dst.status == FAILED for e in self.out_edges):
            self.status = FAILED
        else:
            return
        for e in self.in_edges:
            e.src.recompute_status()

    def recompute_distance(self):
        if self.out_edges is None:
            return
        d = min((e.distance() for e in self.out_edges), default=math.inf)
        if d < self.distance:
            self.distance = d
            for e in self.in_edges:
                e.src.recompute_distance()

    def set_out_edges(self, edges):
        self.out_edges = edges
        self.recompute_status()
        self.recompute_distance()


class Edge:
    def __init__(self, tactic, src, dst):
        self.tactic, self.src, self.dst = tactic, src, dst

    def distance(self):
        return 1 + self.dst.distance


def order_candidates(candidates):
    seen, unique = set(), []
    for tactic, logprob in candidates:
        if tactic not in seen:
            seen.add(tactic)
            unique.append((tactic, logprob))
    return sorted(unique, key=lambda c: -c[1])  # sorted() is stable: ties keep generator order


def extract_proof(root):
    proof, node = [], root
    while node.kind == "state":
        best = min(node.out_edges, key=Edge.distance)  # min() keeps the first of equals
        proof.append(best.tactic)
        node = best.dst
    return proof


def search(env, scripted, root_goals, num_tactics=64, max_expansions=0):
    root = Node("state", tuple(root_goals), 0.0)
    nodes = {pretty(root.goals): root}
    counter = 0
    queue = [(-0.0, counter, root)]
    expansions = 0
    status = None
    while status is None:
        if not queue:
            status = FAILED
            break
        _, _, node = heapq.heappop(queue)
        candidates = [(c["tactic"], c["logprob"]) for c in scripted.get(pretty(node.goals), [])]
        edges = []
        for tactic, logprob in order_candidates(candidates[:num_tactics]):
            result = env.run(node.goals, tactic)
            if result[0] == "state":
                dst = nodes.get(pretty(result[1]))
                if dst is None:
                    dst = Node("state", result[1], node.cumulative_logprob + logprob)
                    nodes[pretty(result[1])] = dst
                    counter += 1
                    heapq.heappush(queue, (-dst.cumulative_logprob, counter, dst))
            else:
                dst = Node(result[0])
            edge = Edge(tactic, node, dst)
            if dst.kind == "state":
                dst.in_edges.append(edge)
            edges.append(edge)
            if result[0] == "done":
                break
        node.set_out_edges(edges)
        expansions += 1
        if root.status == PROVED:
            status = PROVED
        elif root.status == FAILED:
            status = FAILED
        elif max_expansions and expansions >= max_expansions:
            status = OPEN
    return {
        "status": status,
        "proof": extract_proof(root) if status == PROVED else None,
        "expansions": expansions,
        "states": len(nodes),
    }
