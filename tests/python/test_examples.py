"""The examples in examples/python run against the double on the demo graph."""

import os
import subprocess
import sys

from conftest import SOURCE_DIR, double_path, requires_env

EXAMPLES = SOURCE_DIR / "examples" / "python"


def run_example(name, *args):
    env = dict(os.environ)
    env["TATAMI_REPL_DOUBLE"] = double_path()
    proc = subprocess.run([sys.executable, str(EXAMPLES / name), *args], env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    return dict(kv.split("=") for kv in last.split()), proc.stdout


@requires_env
def test_random_rollout():
    summary, out = run_example("random_rollout.py", "--episodes", "12", "--seed", "3")
    assert summary["episodes"] == "12"
    assert out.count("\nepisode ") + out.startswith("episode ") == 12
    assert 0 <= int(summary["proved"]) <= 12 and int(summary["steps"]) >= 12


def test_python_search():
    summary, out = run_example("python_search.py")
    assert summary == {"theorems": "3", "proved": "3"}
    assert "and_swap': proved" in out


@requires_env
def test_reinforce_learns_on_the_demo_graph():
    # Deterministic: seeded torch sampling over the double's fixed answers.
    summary, _ = run_example("reinforce.py", "--episodes", "160", "--window", "40")
    first, last = float(summary["first_success"]), float(summary["last_success"])
    assert last > first, summary
