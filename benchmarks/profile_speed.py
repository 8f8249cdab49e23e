"""Profiling speed against the single-pass numpy limit on the same arrays, in one run.

Sizes (sample_size=None): 200k sequences of ~120 token ids (pyarrow list<int32> and Python
lists), 20k images 3x64x64 uint8, 1M predictions. The limit is what one numpy pass over the same
bytes costs: lengths by np.diff of offsets + np.bincount of tokens; reshape(N, C, -1).mean(-1);
np.bincount of predictions. Prints seconds, items/s and the ratio (target: <= 2x for arrays).

Run: ``.venv/bin/python benchmarks/profile_speed.py [--small]``
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import numpy as np
import pyarrow as pa

from drift_core import TaskSpec, compute_dataset_profile
from drift_core.outputs import prediction_histogram


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    scale = 10 if "--small" in sys.argv else 1
    rng = np.random.default_rng(0)
    n_seq = 200_000 // scale
    lengths = np.maximum(1, rng.normal(120, 30, n_seq).round()).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    tokens = np.minimum(rng.zipf(1.2, int(lengths.sum())), 50_000).astype(np.int32)
    column = pa.ListArray.from_arrays(pa.array(offsets), pa.array(tokens))
    as_lists = column.to_pylist()
    images = rng.integers(0, 256, size=(20_000 // scale, 3, 64, 64), dtype=np.uint8)
    preds = rng.integers(0, 10, size=1_000_000 // scale)
    text, vision = TaskSpec("text"), TaskSpec("vision")

    def text_limit() -> None:
        off = column.offsets.to_numpy()
        np.diff(off)
        np.bincount(column.values.to_numpy())

    rows = [
        (f"text ids, pyarrow list<int32> ({n_seq:,} seqs, {len(tokens):,} tokens)",
         lambda: compute_dataset_profile(column, text, sample_size=None), text_limit, n_seq),
        (f"text ids, Python lists ({n_seq:,} seqs)",
         lambda: compute_dataset_profile([{"input_ids": s} for s in as_lists], text, sample_size=None), text_limit, n_seq),
        (f"vision uint8 (N,3,64,64) ({len(images):,} images)",
         lambda: compute_dataset_profile(images, vision, sample_size=None),
         lambda: images.reshape(len(images), 3, -1).mean(-1), len(images)),
        (f"predictions ({len(preds):,} class ids)",
         lambda: prediction_histogram(preds), lambda: np.bincount(preds), len(preds)),
    ]
    print("| input | driftboard s | numpy limit s | ratio | items/s |")
    print("|---|---:|---:|---:|---:|")
    for name, ours, limit, n in rows:
        t_limit = best_of(limit)
        t_ours = best_of(ours, repeat=1 if "Python lists" in name else 3)
        print(f"| {name} | {t_ours:.3f} | {t_limit:.3f} | {t_ours / t_limit:.1f}x | {n / t_ours:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
