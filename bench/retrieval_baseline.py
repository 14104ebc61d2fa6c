#!/usr/bin/python3
"""ReProver-style premise retrieval baseline for bench/run_retrieval.sh.

Does what ReProver's Corpus.get_nearest_premises does per query: a torch
matmul of the query against the whole embedding matrix, a full descending
argsort, then a Python loop that keeps accessible premises until k are found.
Accessibility is a precomputed Python set per query (ReProver rebuilds its
accessible-premise set for every query; that cost is left out here, in the
baseline's favour). Reads the f32 index the C++ benchmark wrote, so both sides
search the same matrix.
"""
import argparse
import os
import struct
import time

import numpy as np
import torch


def loaded_blas():
    libs = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if "blas" in os.path.basename(path).lower():
                libs.add(os.path.realpath(path))
    return sorted(libs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--k", type=int, default=100)
    ap.add_argument("--queries", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    with open(os.path.join(args.dir, "f32.idx"), "rb") as f:
        header = f.read(256)
    magic, version, dtype, dim, stride, count = struct.unpack_from("<8sIIIIQ", header, 0)
    emb_offset, emb_bytes = struct.unpack_from("<QQ", header, 40)
    assert magic == b"TATAMIDX" and dtype == 0 and version == 1, "unexpected index header"
    matrix = np.memmap(os.path.join(args.dir, "f32.idx"), dtype=np.float32, mode="r",
                       offset=emb_offset, shape=(count, stride))
    # ReProver keeps the embeddings as one in-memory tensor.
    embeddings = torch.from_numpy(np.ascontiguousarray(matrix[:, :dim]))
    queries = np.fromfile(os.path.join(args.dir, "queries.f32"), dtype=np.float32)
    queries = torch.from_numpy(queries.reshape(-1, dim))
    masks = np.fromfile(os.path.join(args.dir, "masks.u8"), dtype=np.uint8).reshape(-1, count)
    n = min(args.queries, masks.shape[0])
    accessible = [set(np.nonzero(masks[q])[0].tolist()) for q in range(n)]

    torch.set_num_threads(args.threads)
    print(f"baseline: torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"BLAS libraries loaded: {', '.join(loaded_blas()) or 'none'}")
    blas_info = [s.strip() for s in torch.__config__.show().split(",") if "BLAS_INFO" in s]
    print(f"baseline: torch build {blas_info[0] if blas_info else 'BLAS_INFO unknown'} "
          f"(generic = the system libblas.so.3, resolved above)")

    def retrieve(q):
        similarities = queries[q:q + 1] @ embeddings.t()
        idxs = similarities.argsort(dim=1, descending=True).tolist()[0]
        result = []
        acc = accessible[q]
        for i in idxs:
            if i in acc:
                result.append(i)
                if len(result) >= args.k:
                    break
        return result

    retrieve(0)  # warm-up
    times = []
    for q in range(n):
        t0 = time.perf_counter()
        top = retrieve(q)
        times.append((time.perf_counter() - t0) * 1000)
        if q == 0:
            first = top
    times.sort()
    median = times[len(times) // 2] if len(times) % 2 else (times[len(times) // 2 - 1] + times[len(times) // 2]) / 2
    ours = [int(x) for x in open(os.path.join(args.dir, "ours_top.txt")).read().split()]
    agree = sum(1 for a, b in zip(first, ours) if a == b)
    print(f"baseline: one query (matmul + argsort + Python filter): median {median:.2f} ms "
          f"over {n} queries; top-{args.k} of query 0 agrees with ours at {agree}/{len(ours)} ranks")
    print(f"baseline_ms={median:.2f} baseline_agree={agree}")


if __name__ == "__main__":
    main()
