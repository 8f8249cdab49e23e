"""compare_profiles cost per pair, significance work included (median of repeated calls).

Profiles: text 1,000 sequences (~120 token ids, Zipf vocabulary of 5,000, with predictions) and
vision 1,000 images 3x8x8 (with predictions). Target: median < 20 ms per pair.

Run: ``.venv/bin/python benchmarks/compare_speed.py``
"""

from __future__ import annotations

import statistics
import time

import numpy as np
from synthetic import image_batch, prediction_batch, text_batch

from drift_core import TaskSpec, compare_profiles, compute_dataset_profile


def median_ms(ref: dict, new: dict, repeat: int = 50) -> float:
    times = []
    for i in range(repeat):
        t0 = time.perf_counter()
        compare_profiles(ref, new, seed=i)
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def main() -> None:
    rng = np.random.default_rng(0)
    rows = []
    for n in (1000, 100_000):
        t = [compute_dataset_profile(text_batch(n, rng), TaskSpec("text"), sample_size=None,
                                     predictions=prediction_batch(n, rng)) for _ in range(2)]
        rows.append((f"text, {n:,} sequences per side ({len(t[0]['token_values']):,} distinct tokens)", t))
    v = [compute_dataset_profile(image_batch(1000, rng), TaskSpec("vision"), sample_size=None,
                                 predictions=prediction_batch(1000, rng)) for _ in range(2)]
    rows.append(("vision, 1,000 images per side", v))
    print("| pair | median ms per compare_profiles |")
    print("|---|---:|")
    for name, (a, b) in rows:
        print(f"| {name} | {median_ms(a, b):.1f} |")


if __name__ == "__main__":
    main()
