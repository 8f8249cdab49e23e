"""What a JS distance means: JS on Driftboard's bins for a normal feature shifted by d standard deviations.

Sequence lengths ~ Normal(120, 20) (rounded), 100,000 items per side, counted on the fixed fine
bins and coarsened to the bins `shared_groups` picks from both sides, exactly as compare_profiles does.
Also per-image channel means ~ Normal(0.5, 0.05) on the [0, 1] fine bins.

Run: ``.venv/bin/python benchmarks/js_scale.py``
"""

from __future__ import annotations

import numpy as np

from drift_core.divergence import js_distance
from drift_core.histograms import coarsen, count_lengths, count_unit, shared_groups


def main() -> None:
    rng = np.random.default_rng(0)
    n = 100_000
    print("| mean shift (sd) | JS, sequence length | JS, channel mean |")
    print("|---:|---:|---:|")
    ref_len = count_lengths(np.rint(rng.normal(120, 20, n)).astype(int))
    ref_unit = count_unit(rng.normal(0.5, 0.05, n))
    for d in (0.0, 0.1, 0.25, 0.5, 0.75, 1.0, 2.0):
        new_len = count_lengths(np.rint(rng.normal(120 + 20 * d, 20, n)).astype(int))
        new_unit = count_unit(rng.normal(0.5 + 0.05 * d, 0.05, n))
        g_len, g_unit = shared_groups(ref_len, new_len, 10), shared_groups(ref_unit, new_unit, 10)
        js_len = js_distance(coarsen(ref_len, g_len), coarsen(new_len, g_len))
        js_unit = js_distance(coarsen(ref_unit, g_unit), coarsen(new_unit, g_unit))
        print(f"| {d:.2f} | {js_len:.3f} | {js_unit:.3f} |")


if __name__ == "__main__":
    main()
