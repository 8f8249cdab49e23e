"""Calibration of the significance-aware status: false alerts and detection, with Wilson 95% intervals.

Each row draws ``pairs`` (reference, new) pairs of profiles from the scenario's generators and
counts the comparisons whose overall status is not "ok" (only the named metrics for the outputs
rows, which ride on a one-token text dataset). No-drift rows draw both sides from one
distribution, on data shaped like real pipelines: heavy-tailed lengths (log-normal sigma 1.5,
Pareto alpha 1.2), sequences padded to 128 tokens, lopsided sizes (50 vs 5,000), 1,000 sparse
Zipf-shaped classes. Shift rows plant a change and count detections.

Image-quality rows (``--only image-quality``) use 64 x 64 tiles of real photographs
(``benchmarks/photos.py``: scikit-learn's bundled china.jpg and flower.jpg; ``pip install -e
'.[bench]'``, skipped with a message when scikit-learn is missing): no drift at n = 30, 100, 300,
1,000 with one tile size and with five heights x five widths (48-80 pixels, item lists), and the
planted shifts Gaussian blur sigma 1, exposure +30% and 10% of the tiles at a new 96 x 128 size.

Run: ``.venv/bin/python benchmarks/calibration.py [--quick] [--json PATH] [--only TAG|WORD]`` (the full
run takes about 15 minutes on 2 cores, the image-quality rows about 10). ``--only`` runs the rows
of one tag (``core``, ``image-quality``, ``text-health``) or whose name holds the word (``confidence``).
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import photos
from synthetic import grey_batch, image_batch, padded_batch, prediction_batch, text_batch, zipf_classes
from synthetic_scores import scores

from drift_core import TaskSpec, compare_profiles, compute_dataset_profile

TEXT, VISION = TaskSpec("text"), TaskSpec("vision")
Maker = Callable[[int, np.random.Generator], dict[str, Any]]
OUTPUTS = ("prediction_js", "prediction_kl")


def text(**kw: Any) -> Maker:
    return lambda n, rng: compute_dataset_profile(text_batch(n, rng, **kw), TEXT, sample_size=None)


def padded() -> Maker:
    return lambda n, rng: compute_dataset_profile(padded_batch(n, rng), TEXT, sample_size=None)


def short_text() -> Maker:
    """5-80 token sequences (what a batch looks like before padding)."""
    def make(n: int, rng: np.random.Generator) -> dict[str, Any]:
        lengths = rng.integers(5, 81, n)
        ids = [rng.integers(0, 5000, k).tolist() for k in lengths]
        return compute_dataset_profile([{"input_ids": s} for s in ids], TEXT, sample_size=None)
    return make


def vision(**kw: Any) -> Maker:
    return lambda n, rng: compute_dataset_profile(image_batch(n, rng, **kw), VISION, sample_size=None)


def grey(level: float, spread: float = 0.0) -> Maker:
    return lambda n, rng: compute_dataset_profile(grey_batch(n, rng, level, spread), VISION, sample_size=None)


def outputs(shares: tuple[float, ...] | None = None, zipf: int | None = None) -> Maker:
    def make(n: int, rng: np.random.Generator) -> dict[str, Any]:
        preds = zipf_classes(n, rng, zipf) if zipf else prediction_batch(n, rng, shares or (0.4, 0.6))
        return compute_dataset_profile(np.zeros((n, 1), np.int64), TEXT, sample_size=None, predictions=preds,
                                       )
    return make


def rare_class(share: float, k: int = 50) -> Maker:
    """``k`` classes; class 1 has ``share`` of the items, the rest split the remainder evenly."""
    p = np.full(k, (1 - share) / (k - 1))
    p[1] = share
    return outputs(tuple(p))


CONFIDENCE = ("confidence_js", "entropy_js", "class_prob_distance")
OUTPUTS_ONLY = TaskSpec("outputs")


def scored(k: int, shape: str = "logits", drifted: bool = False) -> Maker:
    """An outputs profile of ``n`` probability rows (:mod:`synthetic_scores`; drifted: mean top-class
    probability 0.90 -> 0.80 by a temperature, the same predicted classes)."""
    return lambda n, rng: compute_dataset_profile(scores(n, rng, k, shape, drifted), OUTPUTS_ONLY, sample_size=None)


def confidence_rows(quick: bool) -> list[Row]:
    """Model-confidence rows: K = 2 to 1,000, heavy-tailed logits or Dirichlet, lopsided priors and sizes."""
    null, shift = (100, 50) if quick else (1000, 200)
    # K = 1,000 costs ~5x a K = 10 pair (the scores and the 1,000-class prediction tests): fewer pairs
    shapes = [(10, "logits", "softmax of t3 logits", 1), (2, "logits", "softmax of t3 logits", 1),
              (10, "dirichlet", "Dirichlet", 1), (1000, "logits", "softmax of t3 logits", 5)]
    out: list[Row] = []
    for k, shape, words, cost in shapes:
        for n in (30, 100, 300, 1000):
            out.append(Row("no drift", f"confidence, {words}, K = {k:,}, Zipf priors", n, n, scored(k, shape),
                           scored(k, shape), CONFIDENCE, null // cost))
    for n_ref, n_new in ((50, 5000), (5000, 50), (2000, 200)):
        out.append(Row("no drift", "confidence, softmax of t3 logits, K = 100, Zipf priors, lopsided sizes",
                       n_ref, n_new, scored(100), scored(100), CONFIDENCE, null // 2))
    for k, shape, words, cost in shapes:
        for n in (500, 1000):
            out.append(Row("shift", f"confidence: mean top-class probability 0.90 -> 0.80, same classes ({words}, "
                           f"K = {k:,})", n, n, scored(k, shape), scored(k, shape, drifted=True), CONFIDENCE,
                           shift // (2 if cost > 1 else 1)))
    return out


@dataclass
class Row:
    kind: str  # "no drift" | "shift"
    name: str
    n_ref: int
    n_new: int
    make_ref: Maker
    make_new: Maker
    only: tuple[str, ...] | None = None
    pairs: int = 500
    tag: str = "core"  # --only TAG runs one kind of row


def rows(quick: bool) -> list[Row]:
    null, shift = (100, 50) if quick else (500, 200)
    cheap = null if quick else 2000  # vision, outputs and lopsided rows are fast: tighter intervals
    out: list[Row] = []
    for n in (30, 100, 300, 1000):
        out.append(Row("no drift", "text, log-normal lengths (sigma 0.35)", n, n, text(), text(), pairs=null))
        out.append(Row("no drift", "text, log-normal lengths (sigma 1.5)", n, n, text(lengths="lognormal1.5"),
                       text(lengths="lognormal1.5"), pairs=null))
        out.append(Row("no drift", "text, Pareto lengths (alpha 1.2)", n, n, text(lengths="pareto1.2"),
                       text(lengths="pareto1.2"), pairs=null))
        out.append(Row("no drift", "vision, 3x8x8 images", n, n, vision(), vision(), pairs=cheap))
    for n in (100, 1000):
        out.append(Row("no drift", "text, padded to 128 tokens", n, n, padded(), padded(), pairs=null))
    out += [
        Row("no drift", "text, lopsided sizes", 50, 5000, text(), text(), pairs=null),
        Row("no drift", "text, lopsided sizes, log-normal lengths (sigma 1.5)", 2000, 200,
            text(lengths="lognormal1.5"), text(lengths="lognormal1.5"), pairs=null),
        Row("no drift", "text, lopsided sizes, Pareto lengths (alpha 1.2)", 200, 2000,
            text(lengths="pareto1.2"), text(lengths="pareto1.2"), pairs=null),
        Row("no drift", "vision, lopsided sizes", 50, 5000, vision(), vision(), pairs=cheap),
        Row("no drift", "vision, lopsided sizes", 100, 10000, vision(), vision(), pairs=cheap),
        Row("no drift", "vision, grey images (sd 0.02 across images)", 1000, 1000, grey(0.5, 0.02), grey(0.5, 0.02),
            pairs=null),
        Row("no drift", "outputs, 2 classes 40/60", 1000, 1000, outputs(), outputs(), OUTPUTS, cheap),
        Row("no drift", "outputs, 2 classes 40/60", 10000, 10000, outputs(), outputs(), OUTPUTS, null),
        Row("no drift", "outputs, 1,000 Zipf classes", 50000, 50, outputs(zipf=1000), outputs(zipf=1000), OUTPUTS, null),
        Row("no drift", "outputs, 1,000 Zipf classes", 50, 50000, outputs(zipf=1000), outputs(zipf=1000), OUTPUTS, null),
        Row("shift", "text: mean length +20%", 1000, 1000, text(), text(length_scale=1.2), pairs=shift),
        Row("shift", "text: 30% of top-100 tokens replaced", 1000, 1000, text(), text(replace_top=True), pairs=shift),
        Row("shift", "text: longest 10% of documents 10x longer", 1000, 1000, text(), text(lengths="tail10x"),
            pairs=shift),
        Row("shift", "text: padded-128 reference vs 5-80-token batch", 1000, 1000, padded(), short_text(), pairs=shift),
        Row("shift", "text: 5-80-token reference vs padded-128 batch", 1000, 1000, short_text(), padded(), pairs=shift),
        Row("shift", "vision: red mean +0.05", 1000, 1000, vision(), vision(red_shift=0.05), pairs=shift),
        Row("shift", "vision: constant grey 0.5 reference vs 0.3 batch", 1000, 1000, grey(0.5), grey(0.3, 0.02),
            pairs=shift),
        Row("shift", "vision: 0.3 reference vs constant grey 0.5 batch", 1000, 1000, grey(0.3, 0.02), grey(0.5),
            pairs=shift),
        Row("shift", "vision: 5% of images pure black", 1000, 1000, vision(), vision(black_share=0.05), pairs=shift),
        Row("shift", "vision: 5% of images pure black", 10000, 10000, vision(), vision(black_share=0.05),
            pairs=max(50, shift // 4)),
        Row("shift", "outputs: 40/60 -> 55/45", 1000, 1000, outputs(), outputs((0.55, 0.45)), OUTPUTS, shift),
        Row("shift", "outputs: one class 0.1% -> 2% (of 50)", 10000, 10000, rare_class(0.001), rare_class(0.02),
            OUTPUTS, max(50, shift // 4)),
    ]
    out += confidence_rows(quick)
    if photos.available():
        out += quality_rows(null, shift)
    out += text_health_rows(quick)
    return out


QUALITY_SIDES = (48, 56, 64, 72, 80)
QUALITY_METRICS = ("pixel_values_js", "clipped_share_js", "sharpness_js", "image_height_js", "image_width_js")


def photo_tiles(variant: str = "original", sizes: bool = False, new_size_share: float = 0.0) -> Maker:
    """``n`` 64 x 64 tiles of the photographs (``variant``: blur1, exposure+30%); ``sizes``: each tile
    cropped to a height and width drawn from QUALITY_SIDES (an item list); ``new_size_share``: that
    share of the tiles at 96 x 128 instead."""
    def make(n: int, rng: np.random.Generator) -> dict[str, Any]:
        if not sizes and not new_size_share:
            return compute_dataset_profile(photos.tiles(n, rng, variant), VISION, sample_size=None)
        big = photos.tiles(n, rng, variant, size=(128, 128))
        if sizes:
            hs, ws = rng.choice(QUALITY_SIDES, n), rng.choice(QUALITY_SIDES, n)
        else:
            new = rng.random(n) < new_size_share
            hs, ws = np.where(new, 96, 64), np.where(new, 128, 64)
        items = [{"pixel_values": big[i, :, : hs[i], : ws[i]]} for i in range(n)]
        return compute_dataset_profile(items, VISION, sample_size=None)
    return make


def quality_rows(null: int, shift: int) -> list[Row]:
    out = []
    for n in (30, 100, 300, 1000):
        out.append(Row("no drift", "image quality: 64x64 photo tiles", n, n, photo_tiles(), photo_tiles(),
                       pairs=null, tag="image-quality"))
        out.append(Row("no drift", "image quality: photo tiles of 5x5 sizes (48-80 px)", n, n,
                       photo_tiles(sizes=True), photo_tiles(sizes=True), pairs=null, tag="image-quality"))
    for n in (500, 1000):
        out.append(Row("shift", "image quality: Gaussian blur sigma 1", n, n, photo_tiles(), photo_tiles("blur1"),
                       pairs=shift, tag="image-quality"))
        out.append(Row("shift", "image quality: exposure +30%", n, n, photo_tiles(), photo_tiles("exposure+30%"),
                       pairs=shift, tag="image-quality"))
    out.append(Row("shift", "image quality: 10% of tiles at 96x128 instead of 64x64", 1000, 1000, photo_tiles(),
                   photo_tiles(new_size_share=0.1), pairs=shift, tag="image-quality"))
    return out


# ----------------------------------------------------------------------------- text health
HEALTH = ("truncation_share", "new_vocab_seq_share", "new_vocab_token_share", "unk_token_share", "pad_token_share")
LIMIT, PAD, UNK = 246, 9999, 9998  # 2% of log-normal (median 120, sigma 0.35) lengths exceed 246 tokens
HEALTH_SPEC = TaskSpec("text", unk_token_id=UNK, pad_token_id=PAD)


def tokenized(truncated: float = 0.02, new_ids: float = 0.0, unk: float = 0.005) -> Maker:
    """Tokenizer output padded to the LIMIT-token model input: log-normal lengths cut at LIMIT (2% of
    sequences), ``truncated``: the share of sequences at the limit (extra ones drawn at random and
    filled to the limit), ``unk``: share of tokens replaced by the unknown id, ``new_ids``: share of
    tokens replaced by ids the reference never sees (Zipf over 10,000 ids from 20,000)."""
    def make(n: int, rng: np.random.Generator) -> dict[str, Any]:
        col = text_batch(n, rng)
        lengths = np.minimum(np.diff(col.offsets.to_numpy()), LIMIT)
        extra = max(0.0, (truncated - 0.02) / 0.98)
        lengths = np.where(rng.random(n) < extra, LIMIT, lengths)
        ids = text_batch(n, rng, length_scale=3.0)  # long enough to fill every row
        rows = np.full((n, LIMIT), PAD, np.int64)
        offsets = ids.offsets.to_numpy()
        flat = ids.values.to_numpy().astype(np.int64)
        pos = np.arange(LIMIT)
        take = np.minimum(offsets[:-1, None] + pos, offsets[1:, None] - 1)
        body = pos < lengths[:, None]
        rows[body] = flat[take][body]
        r = rng.random(rows.shape)
        rows[body & (r < unk)] = UNK
        if new_ids:
            k = int((body & (r >= unk) & (r < unk + new_ids)).sum())
            p = 1.0 / np.arange(1, 10_001) ** 1.1
            rows[body & (r >= unk) & (r < unk + new_ids)] = 20_000 + rng.choice(10_000, size=k, p=p / p.sum())
        return compute_dataset_profile(rows, HEALTH_SPEC, sample_size=None)
    return make


def text_health_rows(quick: bool) -> list[Row]:
    null, shift = (100, 50) if quick else (300, 100)
    out: list[Row] = []
    for n in (30, 100, 300, 1000):
        out.append(Row("no drift", "text health: padded to 246 tokens, 2% truncated, 0.5% unknown", n, n,
                       tokenized(), tokenized(), HEALTH, null, "text-health"))
        out.append(Row("no drift", "text health: unpadded, Pareto lengths (alpha 1.2)", n, n, text(lengths="pareto1.2"),
                       text(lengths="pareto1.2"), HEALTH, null, "text-health"))
    out.append(Row("no drift", "text health: lopsided sizes, Pareto lengths (alpha 1.2)", 200, 2000,
                   text(lengths="pareto1.2"), text(lengths="pareto1.2"), HEALTH, 200, "text-health"))
    out.append(Row("no drift", "text health: lopsided sizes, Pareto lengths (alpha 1.2)", 2000, 200,
                   text(lengths="pareto1.2"), text(lengths="pareto1.2"), HEALTH, 200, "text-health"))
    for n in (500, 1000):
        out.append(Row("shift", "text health: truncation 2% -> 10% of sequences", n, n, tokenized(),
                       tokenized(truncated=0.10), HEALTH, shift, "text-health"))
        out.append(Row("shift", "text health: 20% of ids replaced by unseen ids", n, n, tokenized(),
                       tokenized(new_ids=0.20), HEALTH, shift, "text-health"))
        out.append(Row("shift", "text health: unknown tokens 0.5% -> 2%", n, n, tokenized(),
                       tokenized(unk=0.02), HEALTH, shift, "text-health"))
    return out


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score 95% interval of a binomial proportion k / n."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def run(task: tuple[int, bool]) -> dict[str, Any]:
    i, quick = task
    row = rows(quick)[i]  # rebuilt in the worker: the generators are closures
    rng = np.random.default_rng(1000 + i)
    hits = 0
    which: dict[str, int] = {}
    t0 = time.perf_counter()
    for k in range(row.pairs):
        r = compare_profiles(row.make_ref(row.n_ref, rng), row.make_new(row.n_new, rng), seed=k)
        flagged = [m for m, v in r["metrics"].items() if v["status"] not in (None, "ok")
                   and (row.only is None or m in row.only)]
        hits += bool(flagged)
        for m in flagged:
            which[m] = which.get(m, 0) + 1
        for m, v in r["metrics"].items():  # informational metrics: how often their own p-value is < 0.01
            if v["status"] is None and row.only is not None and m in row.only and m not in OUTPUTS and v["p_value"] < 0.01:
                which[f"{m} p < 0.01 (informational)"] = which.get(f"{m} p < 0.01 (informational)", 0) + 1
    lo, hi = wilson(hits, row.pairs)
    print(f"done: {row.kind}: {row.name}, {row.n_ref} vs {row.n_new}: {hits}/{row.pairs} not ok, {which}",
          file=sys.stderr, flush=True)
    return {"kind": row.kind, "tag": row.tag, "name": row.name, "n_ref": row.n_ref, "n_new": row.n_new, "pairs": row.pairs,
            "not_ok": hits, "rate": hits / row.pairs, "wilson_low": lo, "wilson_high": hi, "by_metric": which,
            "seconds": time.perf_counter() - t0}


def main() -> None:
    quick = "--quick" in sys.argv
    out_json = sys.argv[sys.argv.index("--json") + 1] if "--json" in sys.argv else None
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
    if not photos.available() and only in (None, "image-quality"):
        print("image-quality rows skipped: scikit-learn is not installed (pip install -e '.[bench]')", flush=True)
    todo = [(i, quick) for i, row in enumerate(rows(quick)) if only is None or row.tag == only or only in row.name]
    if not todo:
        return
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run, todo))
    print("| case | n (ref vs new) | pairs | not ok | Wilson 95% | flagged by |")
    print("|---|---:|---:|---:|---|---|")
    for kind in ("no drift", "shift"):
        for r in (x for x in results if x["kind"] == kind):
            sizes = f"{r['n_ref']:,}" if r["n_ref"] == r["n_new"] else f"{r['n_ref']:,} vs {r['n_new']:,}"
            ranked = sorted(r["by_metric"].items(), key=lambda x: -x[1])
            if r["tag"] == "image-quality":  # the new metrics first, each of them named
                ranked = [x for x in ranked if x[0] in QUALITY_METRICS] + [x for x in ranked if x[0] not in QUALITY_METRICS]
            shown = 5 if r["tag"] == "image-quality" else 3
            flagged = ", ".join(f"{m} {c}" for m, c in ranked[:shown]) or "-"
            print(f"| {kind}: {r['name']} | {sizes} | {r['pairs']} | {r['rate']:.1%} | "
                  f"{r['wilson_low']:.1%}-{r['wilson_high']:.1%} | {flagged} |", flush=True)
    if out_json:
        with open(out_json, "w") as f:
            json.dump(results, f, indent=1)
    print()
    import contributors  # what moved most: does a planted one-bin shift rank first among the contributors?

    contributors.table(quick)


if __name__ == "__main__":
    main()
