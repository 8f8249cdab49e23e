"""What the thresholds trade away: the smallest shift each metric catches, next to a plain test.

For a grid of shift sizes and n = 1,000 and 10,000 items a side, draws ``PAIRS`` pairs, and
prints the share of pairs where Driftboard's status for the metric is not ok, beside the share
where a plain two-sample test at the same alpha (0.01) rejects: Kolmogorov-Smirnov on the raw
values for sequence lengths and per-image red means, Pearson's chi-square on the 2 x 2 table for a
two-class prediction split. The last column per n is the smallest shift detected in >= 90% of
pairs.

Run: ``.venv/bin/python benchmarks/power.py [--quick]``
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
import pyarrow as pa
from scipy.stats import chi2_contingency, ks_2samp
from synthetic import image_batch

from drift_core import TaskSpec, compare_profiles, compute_dataset_profile

ALPHA = 0.01
TEXT, VISION = TaskSpec("text"), TaskSpec("vision")


def lengths_case(n: int, d: float, rng: np.random.Generator) -> tuple[bool, bool]:
    """Sequence lengths ~ Normal(120, 20), the new mean shifted by d sd."""
    def batch(mean: float) -> tuple[dict[str, Any], np.ndarray]:
        lengths = np.maximum(1, np.rint(rng.normal(mean, 20, n))).astype(np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
        col = pa.ListArray.from_arrays(pa.array(offsets), pa.array(np.zeros(int(lengths.sum()), np.int32)))
        return compute_dataset_profile(col, TEXT, sample_size=None), lengths
    (a, la), (b, lb) = batch(120), batch(120 + 20 * d)
    r = compare_profiles(a, b)
    return r["metrics"]["seq_length_js"]["status"] != "ok", ks_2samp(la, lb).pvalue < ALPHA


def red_case(n: int, d: float, rng: np.random.Generator) -> tuple[bool, bool]:
    """Per-image red means (sd 0.08 across images) shifted by d sd."""
    a, b = image_batch(n, rng), image_batch(n, rng, red_shift=0.08 * d)
    r = compare_profiles(compute_dataset_profile(a, VISION, sample_size=None),
                         compute_dataset_profile(b, VISION, sample_size=None))
    ra, rb = a[:, 0].mean(axis=(1, 2)), b[:, 0].mean(axis=(1, 2))
    return r["metrics"]["channel_0_mean_js"]["status"] != "ok", ks_2samp(ra, rb).pvalue < ALPHA


def classes_case(n: int, d: float, rng: np.random.Generator) -> tuple[bool, bool]:
    """Two classes 40/60; the new share of class 0 is 40% + d points."""
    pa_, pb = rng.random(n) < 0.4, rng.random(n) < 0.4 + d / 100
    a = compute_dataset_profile(np.zeros((n, 1), np.int64), TEXT, sample_size=None, predictions=pa_.astype(int))
    b = compute_dataset_profile(np.zeros((n, 1), np.int64), TEXT, sample_size=None, predictions=pb.astype(int))
    r = compare_profiles(a, b)
    table = [[pa_.sum(), n - pa_.sum()], [pb.sum(), n - pb.sum()]]
    return r["metrics"]["prediction_js"]["status"] != "ok", chi2_contingency(table, correction=False).pvalue < ALPHA


Case = Callable[[int, float, np.random.Generator], tuple[bool, bool]]
CASES: dict[str, tuple[Case, str, dict[int, tuple[float, ...]]]] = {
    "seq_length_js": (lengths_case, "mean shift (sd)", {1000: (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4),
                                                        10000: (0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3)}),
    "channel_0_mean_js": (red_case, "mean shift (sd)", {1000: (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4),
                                                        10000: (0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3)}),
    "prediction_js": (classes_case, "class-0 share change (points)", {1000: (2, 4, 6, 8, 10, 12, 15),
                                                                      10000: (1, 2, 4, 6, 8, 10, 12)}),
}


def run(task: tuple[str, int, float, int]) -> tuple[str, int, float, float, float]:
    name, n, d, pairs = task
    fn = CASES[name][0]
    rng = np.random.default_rng(int(d * 1000) + n)
    hits = np.array([fn(n, d, rng) for _ in range(pairs)])
    return name, n, d, float(hits[:, 0].mean()), float(hits[:, 1].mean())


def main() -> None:
    pairs = 40 if "--quick" in sys.argv else 100
    tasks = [(name, n, d, pairs) for name, (_, _, grid) in CASES.items() for n, ds in grid.items() for d in ds]
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run, tasks))
    print(f"pairs per cell: {pairs}; alpha {ALPHA}; detected = status not ok (Driftboard) / p < alpha (plain test)")
    print("| metric | n | shift | Driftboard | plain test |")
    print("|---|---:|---|---:|---:|")
    smallest: dict[tuple[str, int], list[float | None]] = {}
    for name, n, d, ours, plain in results:
        print(f"| `{name}` | {n:,} | {d:g} {CASES[name][1]} | {ours:.0%} | {plain:.0%} |")
        s = smallest.setdefault((name, n), [None, None])
        if ours >= 0.9 and s[0] is None:
            s[0] = d
        if plain >= 0.9 and s[1] is None:
            s[1] = d
    print()
    print("| metric | n | smallest shift caught in >= 90% (Driftboard) | plain test |")
    print("|---|---:|---|---|")
    for (name, n), (ours_d, plain_d) in smallest.items():
        unit = CASES[name][1]
        print(f"| `{name}` | {n:,} | {ours_d if ours_d is not None else '> grid'} {unit} | "
              f"{plain_d if plain_d is not None else '> grid'} {unit} |")


if __name__ == "__main__":
    main()
