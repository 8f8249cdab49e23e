"""Calibration on real prose: the Python reference manual's help topics (``pydoc_data.topics``,
shipped with CPython), split into paragraphs of >= 20 words, profiled with the built-in word
tokenizer.

* no drift: two samples of n paragraphs drawn from the whole manual;
* real shift: the reference from one half of the topics (sorted by name), the new batch from
  the other half: the same writers and style, other subjects.

Prints, per n, the share of comparisons not ok for Driftboard's rule and for the threshold-only
rule, and how often a naive token-level chi-square (no design effect) has p < 0.01.

Run: ``.venv/bin/python benchmarks/real_prose.py``
"""

from __future__ import annotations

import re
from pydoc_data.topics import topics

import numpy as np

from drift_core import TaskSpec, compare_profiles, compute_dataset_profile
from drift_core.significance import chi2_homogeneity
from drift_core.text import _candidates, _TokenTable

PAIRS = 200
SPEC = TaskSpec("text")


def paragraphs(names: list[str]) -> list[str]:
    return [p.strip() for t in names for p in re.split(r"\n\s*\n", topics[t]) if len(p.split()) >= 20]


def naive_token_chi2_rejects(a: dict, b: dict) -> bool:
    tr, tn = _TokenTable(a), _TokenTable(b)
    top = _candidates(tr, tn)[:100]
    ca, cb = tr.counts(top), tn.counts(top)
    return chi2_homogeneity(np.append(ca, a["n_tokens"] - ca.sum()), np.append(cb, b["n_tokens"] - cb.sum())) < 0.01


def main() -> None:
    names = sorted(topics)
    pool, first, second = paragraphs(names), paragraphs(names[: len(names) // 2]), paragraphs(names[len(names) // 2 :])
    print(f"{len(pool)} paragraphs (mean {np.mean([len(p.split()) for p in pool]):.0f} words); {PAIRS} pairs per cell")
    print("| case | n | not ok (driftboard) | not ok (threshold only) | naive token chi-square p < 0.01 |")
    print("|---|---:|---:|---:|---:|")
    rng = np.random.default_rng(0)

    def profile(docs: list[str], n: int) -> dict:
        pick = rng.choice(len(docs), n, replace=False)
        return compute_dataset_profile([{"text": docs[j]} for j in pick], SPEC, sample_size=None)

    for case, ref_pool, new_pool in (("no drift", pool, pool), ("other topics", first, second)):
        for n in (30, 100, 300):
            sig = thr = naive = 0
            for i in range(PAIRS):
                a, b = profile(ref_pool, n), profile(new_pool, n)
                r = compare_profiles(a, b, seed=i)
                sig += r["status"] != "ok"
                thr += r["threshold_status"] != "ok"
                naive += naive_token_chi2_rejects(a, b)
            print(f"| {case} | {n} | {sig / PAIRS:.1%} | {thr / PAIRS:.1%} | {naive / PAIRS:.1%} |", flush=True)


if __name__ == "__main__":
    main()
