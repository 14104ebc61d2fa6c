"""Round-trip latency of one REPL request from a Python asyncio client.

The baseline for bench/run_repl.sh: a client written the way the Python Lean
tools drive the REPL (an asyncio subprocess; json.dumps the request and write
it with a blank line, drain, readline() until the blank line that ends the
response, json.loads the joined lines). Same command-line shape and samples
file format as tatami-bench-repl-latency, so that bench/repl_report.py
summarises every client identically.

Run it with the system interpreter (/usr/bin/python3).
"""

import argparse
import asyncio
import json
import sys
import time


async def read_response(stdout):
    lines = []
    while True:
        line = await stdout.readline()
        if not line:
            raise RuntimeError("child closed its stdout in the middle of a response")
        text = line.decode()
        if text.strip() == "":
            if lines:
                return json.loads("".join(lines))
            continue  # blank lines before a response
        lines.append(text)


async def run(args, request):
    proc = await asyncio.create_subprocess_exec(
        *args.command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    samples = []
    total = args.warmup + args.requests
    clock = time.perf_counter_ns  # monotonic
    try:
        for i in range(total):
            t0 = clock()
            proc.stdin.write((json.dumps(request, ensure_ascii=False) + "\n\n").encode())
            await proc.stdin.drain()
            response = await read_response(proc.stdout)
            t1 = clock()
            if not isinstance(response, dict):
                raise RuntimeError(f"request {i + 1}: response is not a JSON object")
            if i >= args.warmup:
                samples.append(t1 - t0)
    finally:
        proc.stdin.close()
        await proc.wait()
    return samples


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100000)
    parser.add_argument("--warmup", type=int, default=2000)
    parser.add_argument("--samples", required=True)
    parser.add_argument("--request", default='{"tactic": "intro h", "proofState": 0}')
    parser.add_argument("command", nargs="+", help="argv of the child (after --)")
    args = parser.parse_args()
    if args.requests <= 0 or args.warmup < 0:
        parser.error("--requests must be positive and --warmup non-negative")
    try:
        request = json.loads(args.request)
    except json.JSONDecodeError as e:
        parser.error(f"--request is not JSON: {e}")
    try:
        samples = asyncio.run(run(args, request))
    except (RuntimeError, json.JSONDecodeError) as e:
        print(f"repl_latency.py: {e}", file=sys.stderr)
        return 1
    with open(args.samples, "a") as out:
        out.write("".join(f"{s}\n" for s in samples))
    return 0


if __name__ == "__main__":
    sys.exit(main())
