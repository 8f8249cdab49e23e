"""Parallel efficiency of distributed profiling on a local Dask cluster: 1 worker vs 2, same shards.

Writes 8 Parquet shards of token-id text (list<int32>, ~120 tokens a sequence) and 8 .npy shards
of uint8 images (N, 3, 64, 64) to a temporary folder, then profiles each folder with
``drift_core.distributed.profile_shards(..., sample_size=None)``:

* in this process, shard after shard (no Dask), as the reference;
* on a ``distributed.LocalCluster`` of 1 worker process (1 thread), as ``drift --scheduler local``
  starts it (``drift_core.distributed.local_cluster``);
* on one of 2 worker processes (1 thread each).

Each timing is the median of ``--repeats`` runs after one warm-up run (the warm-up imports
drift_core, numpy and pyarrow in the workers); starting a cluster is timed apart. Speedup =
t(1 worker) / t(2 workers); efficiency = speedup / 2. All runs must give the same profile.
"bound" is the best efficiency that the in-process CPU times of profiling the shards and of
merging their profiles allow (see :func:`cpu_model`), a number that other processes on a shared
machine move much less than the wall-clock ones.

Run: ``.venv/bin/python benchmarks/dask_scale.py [--small] [--repeats 3] [--json out.json]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from drift_core import TaskSpec
from drift_core.distributed import SPLIT_EVERY, local_cluster, merge_all, profile_shards
from drift_core.io import profile_file

N_SHARDS = 8


def write_shards(folder: Path, seqs_per_shard: int, images_per_shard: int) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    text, vision = folder / "text", folder / "vision"
    text.mkdir()
    vision.mkdir()
    n_tokens = 0
    for i in range(N_SHARDS):
        lengths = np.maximum(1, rng.normal(120, 30, seqs_per_shard).round()).astype(np.int32)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
        tokens = np.minimum(rng.zipf(1.2, int(offsets[-1])), 50_000).astype(np.int32)
        n_tokens += len(tokens)
        pq.write_table(pa.table({"input_ids": pa.ListArray.from_arrays(pa.array(offsets), pa.array(tokens))}),
                       text / f"part-{i:02d}.parquet")
        np.save(vision / f"part-{i:02d}.npy", rng.integers(0, 256, size=(images_per_shard, 3, 64, 64), dtype=np.uint8))
    mb = {k: sum(p.stat().st_size for p in d.iterdir()) / 2**20 for k, d in (("text", text), ("vision", vision))}
    return {"text": text, "vision": vision, "n_tokens": n_tokens, "mb": mb}


def cpu_model(folder: Path, spec: TaskSpec, split_every: int) -> tuple[float, float, float]:
    """CPU seconds (``time.process_time``: other processes on the machine move it much less than
    wall time) of profiling the shards and of merging their profiles along the tree, and the best
    2-worker efficiency they allow: the shards split evenly over the 2 workers, then each level of
    the tree (as ``reduce_tree`` builds it) in ceil(groups / 2) rounds of its mean group cost."""
    paths = sorted(str(p) for p in folder.iterdir())
    t0 = time.process_time()
    level: list[Any] = [profile_file(p, spec, sample_size=None) for p in paths]
    profile_s = time.process_time() - t0
    merge_s, critical = 0.0, profile_s / 2
    while True:
        groups = [level[i : i + split_every] for i in range(0, len(level), split_every)] if len(level) > split_every else [level]
        t0 = time.process_time()
        level = [merge_all(g) for g in groups]
        cost = time.process_time() - t0
        merge_s += cost
        critical += cost / len(groups) * -(-len(groups) // 2)
        if len(level) == 1:
            break
    return profile_s, merge_s, (profile_s + merge_s) / (2 * critical)


def median_time(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    out = fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--small", action="store_true", help="1/10 of the data (a quick check)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", metavar="PATH", help="write the results here")
    ap.add_argument("--split-every", type=int, default=SPLIT_EVERY, help="profiles merged together per tree level")
    args = ap.parse_args()
    from distributed import Client

    scale = 10 if args.small else 1
    seqs, images = 25_000 // scale, 1_250 // scale
    load = os.getloadavg()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        data = write_shards(Path(tmp), seqs, images)
        cases = [("text", TaskSpec("text", keep_examples=False), N_SHARDS * seqs, "sequences"),
                 ("vision", TaskSpec("vision", keep_examples=False), N_SHARDS * images, "images")]
        results: dict[tuple[str, str], tuple[float, Any]] = {}
        for name, spec, _, _ in cases:
            results[(name, "in-process")] = median_time(
                lambda spec=spec, name=name: profile_shards(data[name], spec, sample_size=None, split_every=args.split_every), args.repeats)
        startup = {}
        for workers in (1, 2):
            t0 = time.perf_counter()
            with local_cluster(n_workers=workers) as cluster, Client(cluster, set_as_default=False) as client:
                client.wait_for_workers(workers, timeout=120)
                startup[workers] = time.perf_counter() - t0
                for name, spec, _, _ in cases:
                    results[(name, f"{workers} workers")] = median_time(
                        lambda spec=spec, name=name, client=client: profile_shards(
                            data[name], spec, sample_size=None, scheduler=client, split_every=args.split_every),
                        args.repeats)
        cpu = {name: cpu_model(data[name], spec, args.split_every) for name, spec, _, _ in cases}
        for name, _spec, n, unit in cases:
            ref = results[(name, "in-process")][1]
            for key in ("1 workers", "2 workers"):
                same = results[(name, key)][1] == ref
                assert same, f"{name}: the {key} profile differs from the in-process one"
            t_in, t1, t2 = (results[(name, k)][0] for k in ("in-process", "1 workers", "2 workers"))
            rows.append({"data": name, "items": n, "unit": unit, "mb": round(data["mb"][name], 1),
                         "in_process_s": round(t_in, 3), "one_worker_s": round(t1, 3), "two_workers_s": round(t2, 3),
                         "speedup": round(t1 / t2, 2), "efficiency": round(t1 / t2 / 2, 2),
                         "items_per_s_two_workers": round(n / t2),
                         "cpu_profile_s": round(cpu[name][0], 3), "cpu_merge_s": round(cpu[name][1], 3),
                         "efficiency_bound": round(cpu[name][2], 2)})
    print(f"{N_SHARDS} shards each, split_every={args.split_every}; {data['n_tokens']:,} tokens; cluster start-up: "
          f"{startup[1]:.1f} s (1 worker), {startup[2]:.1f} s (2 workers); load average before: {load[0]:.2f}")
    print("| data | items | MB | in-process s | 1 worker s | 2 workers s | speedup | efficiency | CPU s: shards + merges | bound |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['data']} ({N_SHARDS} shards) | {r['items']:,} {r['unit']} | {r['mb']:.0f} | {r['in_process_s']:.2f} | "
              f"{r['one_worker_s']:.2f} | {r['two_workers_s']:.2f} | {r['speedup']:.2f}x | {r['efficiency']:.0%} | "
              f"{r['cpu_profile_s']:.2f} + {r['cpu_merge_s']:.2f} | {r['efficiency_bound']:.0%} |")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "benchmark": "dask_scale", "shards": N_SHARDS, "split_every": args.split_every, "repeats": args.repeats, "cpu_count": os.cpu_count(),
            "platform": platform.platform(), "load_average_before": load, "cluster_startup_s": startup,
            "n_tokens": data["n_tokens"], "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
