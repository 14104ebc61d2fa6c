"""Baseline for `scripts/bench.sh search`: ReProver's best-first loop written
the way its Python code runs it (asyncio, a priority queue, a dict of nodes,
recursive status propagation), talking to a REPL process over pipes
(JSON + blank line, like LeanDojo/pexpect), with the scripted generator's
file. It searches the theorems one after another and prints one JSON line
per theorem ({"name", "status", "proof", "expansions", "states", "total_s"}) and a last
line `expansions=N seconds=S`.

usage: search_baseline.py --repl "CMD ..." --scripted FILE --theorems FILE.jsonl
                          [--num-tactics N] [--max-expansions N]
"""

import argparse
import asyncio
import json
import os
import shlex
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "search"))
from reference_search import Edge, Node, extract_proof, order_candidates, pretty  # noqa: E402


class Repl:
    def __init__(self, proc):
        self.proc = proc

    @classmethod
    async def start(cls, command):
        proc = await asyncio.create_subprocess_exec(
            *shlex.split(command), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL)
        return cls(proc)

    async def send(self, request):
        self.proc.stdin.write((json.dumps(request) + "\n\n").encode())
        await self.proc.stdin.drain()
        lines = []
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                raise RuntimeError("REPL died")
            if line.strip() == b"" and lines:
                break
            lines.append(line)
        return json.loads(b"".join(lines))


async def run_tac(repl, state_id, tactic):
    r = await repl.send({"tactic": tactic, "proofState": state_id})
    if "message" in r and "proofState" not in r:
        return ("error", None, None)
    if any(m.get("severity") == "error" for m in r.get("messages", [])):
        return ("error", None, None)
    if not r.get("goals"):
        return ("done", None, None)
    return ("state", tuple(r["goals"]), r["proofState"])


async def search(repl, scripted, statement, num_tactics, max_expansions):
    r = await repl.send({"cmd": statement})
    root_goals = (r["sorries"][0]["goal"],)
    root = Node("state", root_goals, 0.0)
    ids = {id(root): r["sorries"][0]["proofState"]}
    nodes = {pretty(root_goals): root}
    queue = asyncio.PriorityQueue()
    counter = 0
    await queue.put((-0.0, counter, root))
    expansions, status = 0, None
    while status is None:
        if queue.empty():
            status = "failed"
            break
        _, _, node = await queue.get()
        candidates = [(c["tactic"], c["logprob"]) for c in scripted.get(pretty(node.goals), [])]
        edges = []
        for tactic, logprob in order_candidates(candidates[:num_tactics]):
            kind, goals, state_id = await run_tac(repl, ids[id(node)], tactic)
            if kind == "state":
                dst = nodes.get(pretty(goals))
                if dst is None:
                    dst = Node("state", goals, node.cumulative_logprob + logprob)
                    ids[id(dst)] = state_id
                    nodes[pretty(goals)] = dst
                    counter += 1
                    await queue.put((-dst.cumulative_logprob, counter, dst))
            else:
                dst = Node(kind)
            edge = Edge(tactic, node, dst)
            if dst.kind == "state":
                dst.in_edges.append(edge)
            edges.append(edge)
            if kind == "done":
                break
        node.set_out_edges(edges)
        expansions += 1
        if root.status == "proved":
            status = "proved"
        elif root.status == "failed":
            status = "failed"
        elif max_expansions and expansions >= max_expansions:
            status = "open"
    return {"status": status, "proof": extract_proof(root) if status == "proved" else None,
            "expansions": expansions, "states": len(nodes)}


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repl", required=True)
    ap.add_argument("--scripted", required=True)
    ap.add_argument("--theorems", required=True)
    ap.add_argument("--num-tactics", type=int, default=64)
    ap.add_argument("--max-expansions", type=int, default=0)
    args = ap.parse_args()
    with open(args.scripted) as f:
        scripted = json.load(f)
    with open(args.theorems) as f:
        theorems = [json.loads(line) for line in f if line.strip()]
    start = time.perf_counter()
    repl = await Repl.start(args.repl)
    total = 0
    for t in theorems:
        t0 = time.perf_counter()
        r = await search(repl, scripted, t["formal_statement"], args.num_tactics, args.max_expansions)
        r["total_s"] = time.perf_counter() - t0
        r["name"] = t["name"]
        total += r["expansions"]
        print(json.dumps(r))
    repl.proc.stdin.close()
    await repl.proc.wait()
    print(f"expansions={total} seconds={time.perf_counter() - start:.6f}")


if __name__ == "__main__":
    asyncio.run(main())
