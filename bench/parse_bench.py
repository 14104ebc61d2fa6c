"""Response-parsing throughput of Python's json.loads, for bench/run_parse.sh.

The baseline for tatami-bench-parse: it reads the same corpus file (each
response as "<kind> <bytes>\\n<text>\\n") and parses every response with
json.loads, over and over for at least --seconds, the way the Python Lean
tools read REPL responses. Prints one line "mb_s=<figure>".

Run it with the system interpreter (/usr/bin/python3).
"""

import argparse
import json
import sys
import time


def read_corpus(path):
    texts = []
    with open(path, "rb") as f:
        data = f.read()
    pos = 0
    while pos < len(data):
        end = data.index(b"\n", pos)
        _kind, size = data[pos:end].split(b" ")
        start = end + 1
        stop = start + int(size)
        # json.loads is handed what a client holds: the decoded text.
        texts.append(data[start:stop].decode("utf-8"))
        pos = stop + 1
    return texts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    texts = read_corpus(args.corpus)
    if not texts:
        sys.exit(f"parse_bench.py: {args.corpus} holds no responses")
    size = sum(len(t.encode("utf-8")) for t in texts)
    loads = json.loads
    for t in texts:  # warm-up
        loads(t)
    passes = 0
    start = time.perf_counter()
    while True:
        for t in texts:
            loads(t)
        passes += 1
        elapsed = time.perf_counter() - start
        if elapsed >= args.seconds:
            break
    print(f"mb_s={size * passes / 1e6 / elapsed:.2f} passes={passes}")


if __name__ == "__main__":
    main()
