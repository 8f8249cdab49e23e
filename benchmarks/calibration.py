"""Calibration of the significance-aware status: false-alert and detection rates.

For each modality and n (items per side), profiles ``PAIRS_NULL`` no-drift pairs and
``PAIRS_SHIFT`` pairs with a planted shift, and prints the share whose status is not "ok", for
Driftboard's rule (threshold AND Holm-adjusted p < alpha) and for the threshold-only rule.

Planted shifts: text mean length +20%; text 30% of the top-100 tokens replaced; vision red
channel mean +0.05; outputs class shares 40/60 -> 55/45.

Run: ``.venv/bin/python benchmarks/calibration.py [--quick]``
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from synthetic import image_batch, prediction_batch, text_batch

from drift_core import TaskSpec, compare_profiles, compute_dataset_profile

SIZES = (30, 100, 300, 1000, 10000)
PAIRS_NULL, PAIRS_SHIFT = 500, 200

TEXT, VISION = TaskSpec("text"), TaskSpec("vision")
Maker = Callable[[int, np.random.Generator], dict[str, Any]]


def text_profile(**kw: Any) -> Maker:
    return lambda n, rng: compute_dataset_profile(text_batch(n, rng, **kw), TEXT, sample_size=None)


def vision_profile(**kw: Any) -> Maker:
    return lambda n, rng: compute_dataset_profile(image_batch(n, rng, **kw), VISION, sample_size=None)


def outputs_profile(shares: tuple[float, ...]) -> Maker:
    # outputs ride on a tiny text dataset; only prediction_* metrics are looked at
    def make(n: int, rng: np.random.Generator) -> dict[str, Any]:
        return compute_dataset_profile(np.zeros((n, 1), np.int64), TEXT, sample_size=None,
                                       predictions=prediction_batch(n, rng, shares))
    return make


SCENARIOS: list[tuple[str, Maker, Maker, tuple[str, ...] | None]] = [
    ("text: mean length +20%", text_profile(), text_profile(length_scale=1.2), None),
    ("text: 30% of top-100 replaced", text_profile(), text_profile(replace_top=True), None),
    ("vision: red mean +0.05", vision_profile(), vision_profile(red_shift=0.05), None),
    ("outputs: 40/60 -> 55/45", outputs_profile((0.4, 0.6)), outputs_profile((0.55, 0.45)),
     ("prediction_js", "prediction_kl")),
]


def rate(make_ref: Maker, make_new: Maker, n: int, pairs: int, only: tuple[str, ...] | None, seed: int) -> tuple[float, float]:
    """(share not ok with significance, share not ok with thresholds only)."""
    rng = np.random.default_rng(seed)
    sig = thr = 0
    for i in range(pairs):
        r = compare_profiles(make_ref(n, rng), make_new(n, rng), seed=i)
        if only:
            sig += any(r["metrics"][m]["status"] not in (None, "ok") for m in only)
            thr += any(r["metrics"][m]["threshold_status"] not in (None, "ok") for m in only)
        else:
            sig += r["status"] != "ok"
            thr += r["threshold_status"] != "ok"
    return sig / pairs, thr / pairs


def main() -> None:
    quick = "--quick" in sys.argv
    sizes = (100, 1000) if quick else SIZES
    null_pairs, shift_pairs = (100, 50) if quick else (PAIRS_NULL, PAIRS_SHIFT)
    print(f"pairs: {null_pairs} no-drift, {shift_pairs} shifted per cell; status != ok counted")
    print("| scenario | n | false alerts (driftboard) | false alerts (threshold only) | detection (driftboard) | detection (threshold only) |")
    print("|---|---:|---:|---:|---:|---:|")
    seen_null: dict[tuple[str, int], tuple[float, float]] = {}
    for name, make_ref, make_new, only in SCENARIOS:
        group = name.split(":")[0]
        for n in sizes:
            t0 = time.perf_counter()
            pairs_n = null_pairs if n < 10000 else max(100, null_pairs // 5)
            key = (group, n)
            if key not in seen_null:
                seen_null[key] = rate(make_ref, make_ref, n, pairs_n, only, seed=n)
            fa, fa_thr = seen_null[key]
            det, det_thr = rate(make_ref, make_new, n, shift_pairs if n < 10000 else max(50, shift_pairs // 4), only, seed=n + 1)
            print(f"| {name} | {n} | {fa:.1%} | {fa_thr:.1%} | {det:.1%} | {det_thr:.1%} |"
                  f"  <!-- {time.perf_counter() - t0:.0f}s -->", flush=True)


if __name__ == "__main__":
    main()
