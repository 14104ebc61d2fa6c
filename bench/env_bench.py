"""Environment steps per second from Python: tatami.VecEnv against a
straightforward asyncio client of the REPL, on the scripted double.

Both sides run the same episodes on the demo graph's add_zero' theorem:
`exat 42` (rejected), `induction n`, `rfl`, `rfl` (closes the proof), then
back to the theorem's root state (no re-elaboration on either side), over
and over. A finished proof is checked from scratch on both sides, as the
Dojo does: the theorem with the proof spliced in and `#print axioms`.

ours:   tatami.VecEnv(pool, N, auto_reset=True).step(actions) — N tactics per
        call, each environment on its own worker; observations (goals parsed
        into hypotheses and target) and info dicts built for every step.
python: one double process per environment, driven by the asyncio client of
        bench/repl_latency.py (json.dumps, write, drain, readline to the blank
        line, json.loads); one step of all N environments is an
        asyncio.gather of their requests.

Runs --rounds rounds; in each, every (side, N) pair runs once, in an order
rotated per round; steps/s figures are medians over rounds, ratios the
medians of the per-round ratios (ours / python, both sides of a round having
run back to back). The last line is key=value: ours_steps_s_1,
python_steps_s_1, ours_steps_s_8, python_steps_s_8, ratio_1, ratio_8, then
doubles_us_per_step_N (the doubles' own CPU time per step in our runs, by
getrusage of the reaped children, their start-up and the warm-up included)
and ratio_ceiling_N: cores / that, over Python's steps/s: the highest ratio
any client could reach on this machine, since the doubles alone need that
CPU.
"""

import argparse
import asyncio
import json
import os
import pathlib
import resource
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import repl_latency  # noqa: E402  (the asyncio client's response reader)

STATEMENT = "theorem add_zero' (n : Nat) : n + 0 = n"
NAME = "add_zero'"
EPISODE = ["exat 42", "induction n", "rfl", "rfl"]


def children_cpu():
    """CPU seconds of the reaped children so far (the doubles, once their
    pool or client has ended them)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def ours(args, n):
    import tatami

    pool = tatami.WorkerPool(args.command, workers=n)
    envs = tatami.VecEnv(pool, n, auto_reset=True)
    envs.reset(tatami.Theorem(STATEMENT))
    for k in range(len(EPISODE)):  # warm-up: one episode
        envs.step([EPISODE[k]] * n)
    steps = 0
    finished = 0
    t0 = time.perf_counter()
    for r in range(args.steps):
        _, rewards, terminated, _, infos = envs.step([EPISODE[r % len(EPISODE)]] * n)
        steps += n
        finished += sum(terminated)
    elapsed = time.perf_counter() - t0
    del envs, pool  # ends and reaps the doubles, so their CPU time is counted
    expected = n * (args.steps // len(EPISODE))
    if finished != expected:
        sys.exit(f"env_bench.py: ours finished {finished} episodes, expected {expected}")
    return steps / elapsed


class Client:
    """One REPL process driven as the Python Lean tools do."""

    def __init__(self, proc):
        self.proc = proc

    async def request(self, req):
        self.proc.stdin.write((json.dumps(req, ensure_ascii=False) + "\n\n").encode())
        await self.proc.stdin.drain()
        return await repl_latency.read_response(self.proc.stdout)


class PythonEnv:
    def __init__(self, client):
        self.client = client
        self.root = None
        self.state = None
        self.path = []

    async def reset(self):
        resp = await self.client.request({"cmd": STATEMENT + " := by sorry"})
        self.root = resp["sorries"][0]["proofState"]
        self.state, self.path = self.root, []

    async def step(self, tactic):
        """(goals, reward, terminated) as an RL client would compute them."""
        resp = await self.client.request({"tactic": tactic, "proofState": self.state})
        if "message" in resp or any(m.get("severity") == "error"
                                    for m in resp.get("messages", [])):
            return None, 0.0, False
        if resp["goals"]:
            self.state = resp["proofState"]
            self.path.append(tactic)
            return resp["goals"], 0.0, False
        proof = "\n".join("  " + t for t in self.path + [tactic])
        check = await self.client.request(
            {"cmd": f"{STATEMENT} := by\n{proof}\n#print axioms _root_.{NAME}"})
        messages = check.get("messages", [])
        ok = (not any(m["severity"] == "error" for m in messages)
              and any("axioms" in m["data"] for m in messages))
        self.state, self.path = self.root, []  # auto-reset to the cached root
        return [], 1.0 if ok else 0.0, True


async def python_run(args, n):
    procs = [await asyncio.create_subprocess_exec(
        *args.command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL) for _ in range(n)]
    try:
        envs = [PythonEnv(Client(p)) for p in procs]
        await asyncio.gather(*(e.reset() for e in envs))
        for k in range(len(EPISODE)):
            await asyncio.gather(*(e.step(EPISODE[k]) for e in envs))
        steps = 0
        finished = 0
        t0 = time.perf_counter()
        for r in range(args.steps):
            results = await asyncio.gather(*(e.step(EPISODE[r % len(EPISODE)]) for e in envs))
            steps += n
            finished += sum(1 for _, reward, done in results if done and reward == 1.0)
        elapsed = time.perf_counter() - t0
    finally:
        for p in procs:
            p.stdin.close()
        for p in procs:
            await p.wait()
    expected = n * (args.steps // len(EPISODE))
    if finished != expected:
        sys.exit(f"env_bench.py: python finished {finished} episodes, expected {expected}")
    return steps / elapsed


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=4000, help="vectorised steps per run")
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--sizes", default="1,8")
    p.add_argument("command", nargs="+", help="argv of the double (after --)")
    args = p.parse_args()
    if args.steps % len(EPISODE):
        p.error(f"--steps must be a multiple of {len(EPISODE)}")
    sizes = [int(s) for s in args.sizes.split(",")]
    runs = [(side, n) for n in sizes for side in ("ours", "python")]
    figures = {run: [] for run in runs}
    double_us = {run: [] for run in runs}  # the doubles' CPU per step
    for r in range(args.rounds):
        order = runs[r % len(runs):] + runs[: r % len(runs)]
        for side, n in order:
            before = children_cpu()
            rate = ours(args, n) if side == "ours" else asyncio.run(python_run(args, n))
            total_steps = n * (args.steps + len(EPISODE))  # warm-up episode included
            double_us[(side, n)].append((children_cpu() - before) / total_steps * 1e6)
            figures[(side, n)].append(rate)
            print(f"round {r}: {side} N={n}: {rate:.0f} steps/s, the doubles' CPU "
                  f"{double_us[(side, n)][-1]:.1f} us/step", file=sys.stderr)
    out = []
    for side, n in runs:
        out.append(f"{side}_steps_s_{n}={statistics.median(figures[(side, n)]):.0f}")
    for n in sizes:
        # Per round, the two sides ran back to back under similar load; the
        # median of those ratios is steadier than a ratio of medians.
        ratios = [o / p for o, p in zip(figures[("ours", n)], figures[("python", n)])]
        print(f"N={n}: per-round ratios " + " ".join(f"{r:.2f}" for r in ratios), file=sys.stderr)
        out.append(f"ratio_{n}={statistics.median(ratios):.2f}")
    # The ceiling: the doubles alone need this much CPU per step on this
    # machine's cores, so no client, however cheap, steps faster than
    # cores / that; against Python's rate, the highest ratio reachable.
    cores = os.cpu_count() or 1
    for n in sizes:
        us = statistics.median(double_us[("ours", n)])
        ceiling = cores / (us * 1e-6)
        out.append(f"doubles_us_per_step_{n}={us:.1f}")
        out.append(f"ratio_ceiling_{n}={ceiling / statistics.median(figures[('python', n)]):.2f}")
    print(" ".join(out))


if __name__ == "__main__":
    main()
