"""The bundled demo's environment is faithful to the recordings.

Builds the demo (scripts/make_demo.py) from the fixtures, then checks, with
the fixtures read here independently of make_demo.py:
  * every kept theorem is a miniF2F benchmark problem as recorded (header,
    statement) and every kept proof is a recorded InternLM2-Math proof
    starting at the benchmark's initial goal;
  * replayed through the REPL double serving the demo graph, request by
    request, every kept proof passes through exactly the recorded states
    (goals joined by blank lines, "no goals" = none left) and ends Completed,
    and the whole proof sent as one command draws no error;
  * `tatami prove` with a scripted generator proposing the recorded tactics
    proves every kept theorem with one of its recorded proofs.

usage: demo_graph_test.py --tatami BIN --double BIN --fixtures-default DIR [--max-steps N]
Exit 0 on success, 1 on a failure (one line each), 77 when the fixtures are
missing on a user's machine (in CI, CI=true or TATAMI_REQUIRE_FIXTURES=1, it
is a failure).
"""

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
MAKE_DEMO = os.path.join(HERE, "..", "..", "scripts", "make_demo.py")
NEEDED = ("search-results-internlm-minif2f", os.path.join("benchmarks", "minif2f.jsonl"))


def fixtures_required():
    def on(name):
        v = os.environ.get(name)
        return v is not None and v not in ("", "0", "false", "False", "FALSE")
    return on("TATAMI_REQUIRE_FIXTURES") or on("CI")


def recorded_proofs(fixtures):
    """{theorem: [[(before, tactic, after), ...], ...]} from the raw results."""
    out = {}
    for path in glob.glob(os.path.join(fixtures, NEEDED[0], "*", "*.json")):
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        for result in data["results"]:
            for a in result["attempt_results"]:
                if not a.get("success"):
                    continue
                if a.get("sstrace"):
                    steps = [(s["state_before"], s["tactic"], s["state_after"])
                             for s in a["sstrace"]]
                elif a.get("trace") and isinstance(a["trace"][0], dict):
                    tr = a["trace"]
                    steps = [(s["state_before"], s["tactic"],
                              tr[i + 1]["state_before"] if i + 1 < len(tr) else "no goals")
                             for i, s in enumerate(tr)]
                else:
                    continue
                out.setdefault(a["theorem"], []).append(steps)
    return out


class Double:
    """One REPL double process; requests and responses framed by blank lines."""

    def __init__(self, binary, graph):
        self.proc = subprocess.Popen([binary, "--script", graph], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, encoding="utf-8")

    def ask(self, request):
        self.proc.stdin.write(json.dumps(request, ensure_ascii=False) + "\n\n")
        self.proc.stdin.flush()
        lines = []
        while True:
            line = self.proc.stdout.readline()
            if line == "":
                raise RuntimeError("the REPL double exited")
            if line.strip() == "" and lines:
                return json.loads("".join(lines))
            if line.strip():
                lines.append(line)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def errors_in(response):
    return [m["data"] for m in response.get("messages", []) if m.get("severity") == "error"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tatami", required=True)
    ap.add_argument("--double", required=True)
    ap.add_argument("--fixtures-default", required=True)
    ap.add_argument("--max-steps", type=int, default=5)
    args = ap.parse_args()
    fixtures = os.environ.get("TATAMI_FIXTURES") or args.fixtures_default
    missing = [p for p in NEEDED if not os.path.exists(os.path.join(fixtures, p))]
    if missing:
        msg = (f"fixture {missing[0]} not found in {fixtures}; set TATAMI_FIXTURES to the "
               "fixtures folder or run scripts/fetch-fixtures.sh")
        if fixtures_required():
            print(msg + " [fixtures are required here: CI or TATAMI_REQUIRE_FIXTURES is set]")
            return 1
        print("SKIPPED: " + msg)
        return 77

    failures = []

    def fail(text):
        failures.append(text)
        print("FAIL: " + text)

    benchmark = {}
    with open(os.path.join(fixtures, NEEDED[1]), encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                benchmark[row["name"]] = row
    recorded = recorded_proofs(fixtures)

    with tempfile.TemporaryDirectory(prefix="tatami_demo_test_") as tmp:
        subprocess.run([sys.executable, MAKE_DEMO, "--fixtures", fixtures, "-o", tmp,
                        "--max-steps", str(args.max_steps)], check=True)
        graph = os.path.join(tmp, "graph.json")
        with open(os.path.join(tmp, "theorems.jsonl"), encoding="utf-8") as f:
            theorems = [json.loads(line) for line in f]
        with open(os.path.join(tmp, "proofs.json"), encoding="utf-8") as f:
            proofs = {name: [[(s["state_before"], s["tactic"], s["state_after"]) for s in p]
                             for p in ps] for name, ps in json.load(f).items()}
        if len(theorems) < 50:
            fail(f"only {len(theorems)} theorems kept; the fixtures hold about 90 that qualify")
        if sorted(t["name"] for t in theorems) != sorted(proofs):
            fail("theorems.jsonl and proofs.json name different theorems")

        # Recorded, as recorded.
        for t in theorems:
            b = benchmark.get(t["name"])
            if b is None or (t["header"], t["formal_statement"]) != (b["header"],
                                                                    b["formal_statement"]):
                fail(f"{t['name']}: not the benchmark's header and statement")
                continue
            for p in proofs.get(t["name"], []):
                if p not in recorded.get(t["name"], []):
                    fail(f"{t['name']}: proof {[s[1] for s in p]} is not a recorded proof")
                if p[0][0] != b["goal"]:
                    fail(f"{t['name']}: proof does not start at the benchmark's goal")

        # Replayed through the double: the recorded states, Completed.
        double = Double(args.double, graph)
        replayed = 0
        try:
            for t in theorems:
                name = t["name"]
                env = double.ask({"cmd": t["header"]})["env"]
                statement = t["formal_statement"].rstrip()
                assert statement.endswith(":= by"), statement
                start = double.ask({"cmd": statement + " sorry", "env": env})
                sorries = start.get("sorries", [])
                if len(sorries) != 1 or sorries[0]["goal"] != benchmark[name]["goal"]:
                    fail(f"{name}: entering gives {start}, not the benchmark's goal")
                    continue
                for proof in proofs[name]:
                    state = sorries[0]["proofState"]
                    for before, tactic, after in proof:
                        r = double.ask({"tactic": tactic, "proofState": state})
                        got = "\n\n".join(r.get("goals", [])) if "goals" in r else None
                        want = "" if after.strip() == "no goals" else after
                        if got != want or errors_in(r) or "message" in r:
                            fail(f"{name}: `{tactic}` gives {r}, recorded {after!r}")
                            break
                        state = r["proofState"]
                    else:
                        if r.get("proofStatus") != "Completed":
                            fail(f"{name}: the proof ends {r.get('proofStatus')}")
                            continue
                        body = "".join("\n  " + s[1] for s in proof)
                        whole = double.ask({"cmd": statement + body, "env": env})
                        if errors_in(whole) or "message" in whole:
                            fail(f"{name}: the whole proof is refused: {whole}")
                            continue
                        replayed += 1
        finally:
            double.close()

        # Found by tatami prove from the recorded tactics.
        scripted = {}
        for name, ps in proofs.items():
            for p in ps:
                for before, tactic, _ in p:
                    entries = scripted.setdefault(before, [])
                    if all(e["tactic"] != tactic for e in entries):
                        entries.append({"tactic": tactic, "logprob": -1.0})
        with open(os.path.join(tmp, "scripted.json"), "w", encoding="utf-8") as f:
            json.dump(scripted, f, ensure_ascii=False)
        out = os.path.join(tmp, "results.jsonl")
        run = subprocess.run(
            [args.tatami, "prove", os.path.join(tmp, "theorems.jsonl"), "-o", out,
             "--no-progress", "--jobs", "2", "--timeout", "120",
             "--generator", "scripted:" + os.path.join(tmp, "scripted.json"),
             "--repl-cmd", f"{args.double} --script {graph}"],
            capture_output=True, text=True)
        if run.returncode != 0:
            fail(f"tatami prove exited {run.returncode}: {run.stderr.strip()}")
        with open(out, encoding="utf-8") as f:
            results = {r["name"]: r for r in map(json.loads, f)}
        # Recorded proofs of different theorems and provers meet in shared
        # states, so a proof found may join recorded steps of several of them.
        transitions = {(b, t): a for ps in proofs.values() for p in ps for b, t, a in p}
        for name in proofs:
            r = results.get(name)
            if r is None or r["status"] != "proved":
                fail(f"{name}: tatami prove says {r}")
                continue
            state = benchmark[name]["goal"]
            for tactic in r["proof"]:
                state = transitions.get((state, tactic))
                if state is None:
                    break
            if state is None or state.strip() != "no goals":
                fail(f"{name}: proof {r['proof']} is no path of recorded steps to no goals")

    print(f"{len(theorems)} theorems, {replayed} recorded proofs replayed, "
          f"{sum(r['status'] == 'proved' for r in results.values())} proved by tatami prove; "
          f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
