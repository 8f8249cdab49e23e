"""Calibration of "what moved most": does a planted one-bin shift rank first among the contributors?

Each case draws ``trials`` (reference, new) pairs at n = 1,000 a side; the new batch carries one
planted change (a predicted class's share, a range of sequence lengths, one token's share) and the
rest of the distribution is rescaled around it. A trial counts as a hit when the first contributor
of the metric that scores that histogram is the planted bin (for lengths: a scored bin overlapping
the planted range; the coarse bins are chosen from both sides, so the range can straddle two).
Rates with Wilson 95% intervals (``calibration.wilson``), over all trials and over the trials in
which the metric was not ok (when a user would look at its contributors).

Run: ``.venv/bin/python benchmarks/contributors.py [--quick] [--json PATH]`` (about 5 minutes on 2
cores; ``benchmarks/calibration.py`` runs it too, after its own table).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
from synthetic import GLOBAL_P, doc_lengths, text_batch

from drift_core import TaskSpec, compare_profiles, compute_dataset_profile
from drift_core.contributors import bin_span

TEXT = TaskSpec("text")
N = 1000
Maker = Callable[[int, np.random.Generator, bool], dict[str, Any]]
#: The token planted in the token case: the 50th most frequent of the synthetic vocabulary.
TOKEN = int(np.argsort(-GLOBAL_P, kind="stable")[49])


def wilson(k: int, n: int) -> tuple[float, float]:
    from calibration import wilson as _wilson  # one Wilson helper for every benchmark table

    return _wilson(k, n)


def _shifted(shares: np.ndarray, cls: int, factor: float) -> np.ndarray:
    """``shares`` with class ``cls`` multiplied by ``factor`` and the others rescaled to sum to 1."""
    out = shares.copy()
    out[cls] = shares[cls] * factor
    rest = np.arange(len(shares)) != cls
    out[rest] *= (1 - out[cls]) / shares[rest].sum()
    return out


def classes(shares: np.ndarray, cls: int, factor: float) -> Maker:
    """Predicted classes with ``shares`` (the new side: class ``cls`` times ``factor``)."""
    def make(n: int, rng: np.random.Generator, planted: bool) -> dict[str, Any]:
        p = _shifted(shares, cls, factor) if planted else shares
        preds = rng.choice(len(p), size=n, p=p)
        return compute_dataset_profile(np.zeros((n, 1), np.int64), TEXT, sample_size=None, predictions=preds)
    return make


def _lengths_only(lengths: np.ndarray) -> pa.ListArray:
    """Sequences of these lengths, every token 0 (only the length histogram matters here)."""
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(np.zeros(int(lengths.sum()), np.int32)))


def lengths(share: float, lo: int, hi: int) -> Maker:
    """Log-normal lengths (median 120, sigma 0.35); the new side moves ``share`` of its sequences to
    lengths uniform in ``lo..hi``."""
    def make(n: int, rng: np.random.Generator, planted: bool) -> dict[str, Any]:
        x = doc_lengths(n, rng)
        if planted:
            moved = rng.random(n) < share
            x[moved] = rng.integers(lo, hi + 1, int(moved.sum()))
        return compute_dataset_profile(_lengths_only(x), TEXT, sample_size=None)
    return make


def token(extra: float) -> Maker:
    """Synthetic topic-mixture documents; the new side replaces ``extra`` of its tokens by :data:`TOKEN`."""
    def make(n: int, rng: np.random.Generator, planted: bool) -> dict[str, Any]:
        docs = text_batch(n, rng)
        if planted:
            flat = docs.values.to_numpy(zero_copy_only=False).copy()
            flat[rng.random(len(flat)) < extra] = TOKEN
            docs = pa.ListArray.from_arrays(docs.offsets, pa.array(flat))
        return compute_dataset_profile(docs, TEXT, sample_size=None)
    return make


@dataclass
class Case:
    name: str
    metric: str
    make: Maker
    hit: Callable[[str], bool]  # the first contributor's label is the planted bin
    trials: int


def _overlaps(lo: int, hi: int) -> Callable[[str], bool]:
    def hit(label: str) -> bool:
        span = bin_span(label)
        return span is not None and span[0] <= hi and (span[1] is None or span[1] >= lo)
    return hit


def cases(quick: bool) -> list[Case]:
    t = 200 if quick else 1000
    uniform = np.full(10, 0.1)
    zipf10 = 1.0 / np.arange(1, 11)
    zipf10 /= zipf10.sum()
    zipf1000 = 1.0 / np.arange(1, 1001)
    zipf1000 /= zipf1000.sum()
    is_class = {c: (lambda label, c=c: label == f"class {c}") for c in (3, 4, 9)}
    return [
        Case("10 uniform classes: class 3 10% -> 20%", "prediction_js", classes(uniform, 3, 2.0), is_class[3], t),
        Case("10 uniform classes: class 3 10% -> 13%", "prediction_js", classes(uniform, 3, 1.3), is_class[3], t),
        Case("10 Zipf classes: class 4 6.8% -> 13.7%", "prediction_js", classes(zipf10, 4, 2.0), is_class[4], t),
        Case("1,000 Zipf classes: class 9 1.3% -> 6.7%", "prediction_js", classes(zipf1000, 9, 5.0), is_class[9], t),
        Case("1,000 Zipf classes: class 9 1.3% -> 4.0%", "prediction_js", classes(zipf1000, 9, 3.0), is_class[9], t),
        Case("1,000 Zipf classes: class 9 1.3% -> 2.7%", "prediction_js", classes(zipf1000, 9, 2.0), is_class[9], t),
        Case("lengths: 15% of sequences moved to 60-80 tokens", "seq_length_js", lengths(0.15, 60, 80),
             _overlaps(60, 80), t),
        Case(f"tokens: 1% of tokens replaced by token {TOKEN} (0.2% -> 1.2%)", "token_freq_js", token(0.01),
             lambda label: label == f"token {TOKEN}", t),
    ]


def run(task: tuple[int, bool]) -> dict[str, Any]:
    i, quick = task
    case = cases(quick)[i]
    rng = np.random.default_rng(2000 + i)
    hits, flagged, flagged_hits, firsts = 0, 0, 0, {}
    t0 = time.perf_counter()
    for k in range(case.trials):
        r = compare_profiles(case.make(N, rng, False), case.make(N, rng, True), seed=k)
        m = r["metrics"][case.metric]
        first = m["contributors"][0]["label"] if m["contributors"] else "-"
        hit, not_ok = case.hit(first), m["status"] not in (None, "ok")
        hits += hit
        flagged += not_ok
        flagged_hits += hit and not_ok
        firsts[first] = firsts.get(first, 0) + 1
    lo, hi = wilson(hits, case.trials)
    flo, fhi = wilson(flagged_hits, flagged) if flagged else (0.0, 1.0)
    return {"name": case.name, "metric": case.metric, "trials": case.trials, "first": hits,
            "rate": hits / case.trials, "wilson_low": lo, "wilson_high": hi, "flagged": flagged / case.trials,
            "n_flagged": flagged, "first_when_flagged": flagged_hits / flagged if flagged else None,
            "flagged_wilson": (flo, fhi),
            "firsts": dict(sorted(firsts.items(), key=lambda x: -x[1])[:3]), "seconds": time.perf_counter() - t0}


def table(quick: bool) -> list[dict[str, Any]]:
    todo = [(i, quick) for i in range(len(cases(quick)))]
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run, todo))
    print("| planted shift (n = 1,000 a side) | metric | trials | planted bin first | Wilson 95% | metric not ok "
          "| first, when not ok (Wilson 95%) |")
    print("|---|---|---:|---:|---|---:|---|")
    for r in results:
        when = (f"{r['first_when_flagged']:.1%} of {r['n_flagged']} ({r['flagged_wilson'][0]:.1%}-"
                f"{r['flagged_wilson'][1]:.1%})" if r["n_flagged"] else "-")
        print(f"| {r['name']} | `{r['metric']}` | {r['trials']} | {r['rate']:.1%} | "
              f"{r['wilson_low']:.1%}-{r['wilson_high']:.1%} | {r['flagged']:.1%} | {when} |", flush=True)
    return results


def main() -> None:
    results = table("--quick" in sys.argv)
    if "--json" in sys.argv:
        with open(sys.argv[sys.argv.index("--json") + 1], "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
