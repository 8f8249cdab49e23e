"""Model outputs: the predicted-class distribution and, for scores, the model's confidence.

Predictions are class ids, shape (N,), or scores, shape (N, K). ``prediction_hist[k]`` counts
items predicted as class k (for scores: the argmax); it has ``num_classes`` bins (from the
``TaskSpec``), K for scores, or, for class ids without it, ``max(class) + 1``. Comparing two
histograms of different lengths pads the shorter one with zeros.

**Confidence** (scores only). Rows that are non-negative and sum to 1 (within
:data:`PROB_TOLERANCE`, then divided by their sum) are probabilities; ``TaskSpec(scores="logits")``
turns logits into probabilities with a numerically stable softmax,
``p_k = exp(z_k - max z) / sum_j exp(z_j - max z)``; any other score row is an error naming the
item. Per item, with ``p`` its probability vector over K classes:

* top-class probability ``c = max_k p_k`` (in [1/K, 1]);
* normalised entropy ``h = H(p) / log K = -sum_k p_k log p_k / log K`` (in [0, 1]; 0 when K = 1).

The profile keeps both as histograms on the fixed :data:`~drift_core.histograms.UNIT_FINE_BINS`
bins of [0, 1] (``confidence_hist``, ``entropy_hist``: they count items, so they merge by adding
and are scored like the vision histograms: coarse bins chosen from both sides, chi-square on item
counts, bootstrap noise floor), their sums (the exact means for the plain-words summaries), and
per class the sums of ``p_k`` and ``p_k^2`` over items (``class_prob_sums``,
``class_prob_sumsqs``: per-class mean probability and its between-item variance).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import _inputs
from ._evaluation import Evaluation, HistogramComparison, Pair, compare_histograms
from ._validate import InputError, check_predictions
from .divergence import js_distance, kl_bits
from .histograms import coarsen, count_unit, pad_to, unit_coarse_bins
from .significance import bootstrap_null, chi2_cells, chi2_homogeneity, noise_floor
from .spec import TaskSpec

#: A score row is a probability vector when its values are >= 0 and ``|sum - 1| <= PROB_TOLERANCE``
#: (probabilities written with 3-4 decimals, float16 softmax); it is then divided by its sum.
PROB_TOLERANCE = 1e-2
#: Score cells converted to float64 at a time (bounded temporary memory for (N, K) scores).
_BLOCK_CELLS = 1 << 22


def _prediction_fields(pred: Any, index: NDArray[np.int64], spec: TaskSpec) -> dict[str, Any]:
    """``prediction_hist`` and ``num_classes``; for scores also the confidence fields."""
    arr = check_predictions(pred, index, spec.num_classes)
    if arr.ndim == 1:
        return _histogram(arr, spec.num_classes)
    k = arr.shape[1]
    return {**_histogram(np.argmax(arr, axis=1).astype(np.int64), k), **confidence_fields(arr, index, spec.scores)}


def softmax(logits: NDArray[Any]) -> NDArray[np.float64]:
    """Row-wise softmax, numerically stable: ``exp(z - max z) / sum exp(z - max z)``.

    Examples
    --------
    >>> softmax(np.array([[0.0, 0.0], [1000.0, 0.0]])).round(3).tolist()
    [[0.5, 0.5], [1.0, 0.0]]
    """
    z = np.asarray(logits, dtype=np.float64)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def as_probabilities(scores: NDArray[Any], index: NDArray[np.int64], kind: str = "probabilities") -> NDArray[np.float64]:
    """(N, K) finite scores as probability rows: softmax for ``kind="logits"``, else checked rows
    (each >= 0 and summing to 1 within :data:`PROB_TOLERANCE`) divided by their sums.

    ``index[i]`` names row ``i`` in errors (an :class:`InputError` for the first bad row).

    Examples
    --------
    >>> as_probabilities(np.array([[0.2, 0.8]]), np.arange(1)).tolist()
    [[0.2, 0.8]]
    >>> as_probabilities(np.array([[0.2, 0.8], [2.0, -1.0]]), np.array([4, 7]))
    Traceback (most recent call last):
    ...
    drift_core._validate.InputError: item 7: prediction scores are not probabilities (row has a negative score -1 and sums to 1); pass TaskSpec(scores="logits") (CLI: --logits) if they are logits
    """
    x = np.asarray(scores, dtype=np.float64)
    if kind == "logits":
        return softmax(x)
    return x / check_probability_rows(x, index)[:, None]


def check_probability_rows(scores: NDArray[Any], index: NDArray[np.int64]) -> NDArray[np.float64]:
    """The row sums of (N, K) finite scores, after checking that every row is a probability vector
    (values >= 0, ``|sum - 1| <= PROB_TOLERANCE``); the first bad row is an :class:`InputError`
    naming ``index[row]`` and telling how to pass logits.

    Examples
    --------
    >>> check_probability_rows(np.array([[0.25, 0.75], [0.5, 0.5]]), np.arange(2)).tolist()
    [1.0, 1.0]
    """
    sums = scores.sum(axis=1, dtype=np.float64)
    low = scores.min(axis=1) if scores.shape[1] else np.zeros(len(scores))
    bad = np.flatnonzero((low < 0) | (np.abs(sums - 1.0) > PROB_TOLERANCE))
    if len(bad):
        i = int(bad[0])
        what = f"has a negative score {low[i]:.4g} and sums to {sums[i]:.4g}" if low[i] < 0 else f"sums to {sums[i]:.4g}"
        raise InputError(index[i], None, f"prediction scores are not probabilities (row {what}); "
                                         'pass TaskSpec(scores="logits") (CLI: --logits) if they are logits')
    return np.asarray(sums, dtype=np.float64)


def confidence_fields(scores: NDArray[Any], index: NDArray[np.int64], kind: str = "probabilities") -> dict[str, Any]:
    """The confidence fields of (N, K) scores (see the module docstring), in row blocks.

    Examples
    --------
    >>> f = confidence_fields(np.array([[0.5, 0.5], [1.0, 0.0]]), np.arange(2))
    >>> f["confidence_sum"], f["entropy_sum"], f["class_prob_sums"]
    (1.5, 1.0, [1.5, 0.5])
    """
    n, k = scores.shape
    conf = np.empty(n)
    ent = np.empty(n)
    sums, sumsqs = np.zeros(k), np.zeros(k)
    step = max(1, _BLOCK_CELLS // max(k, 1))
    log_k = np.log(k) if k > 1 else 1.0
    for start in range(0, n, step):
        p = as_probabilities(scores[start : start + step], index[start : start + step], kind)
        conf[start : start + step] = p.max(axis=1)
        plogp = p * np.log(p, out=np.zeros_like(p), where=p > 0)
        ent[start : start + step] = 0.0 if k == 1 else np.clip(-plogp.sum(axis=1) / log_k, 0.0, 1.0)
        sums += p.sum(axis=0)
        sumsqs += np.einsum("ij,ij->j", p, p)
    return {
        "confidence_hist": count_unit(conf).tolist(),
        "entropy_hist": count_unit(ent).tolist(),
        "confidence_sum": float(conf.sum()),
        "entropy_sum": float(ent.sum()),
        "class_prob_sums": sums.tolist(),
        "class_prob_sumsqs": sumsqs.tolist(),
    }


def profile_outputs(sel: _inputs.Selection, spec: TaskSpec, predictions: Any) -> dict[str, Any]:
    """``prediction_hist`` and ``num_classes`` when predictions are given or carried by the items."""
    if predictions is not None:
        n = len(predictions) if hasattr(predictions, "__len__") else None
        if n is None:
            raise TypeError("predictions must be an array-like of length N")
        if sel.n_total is not None and n != sel.n_total:
            raise ValueError(f"predictions have length {n} but the dataset has {sel.n_total} items")
        arr = np.asarray(predictions)
        pred = arr[sel.index] if len(sel.index) != n else arr
    elif _inputs.has_column(sel, spec.prediction_key):
        col = _inputs.column(sel, spec.prediction_key)
        pred = col.to_pylist() if hasattr(col, "to_pylist") else col
        if sel.kind == "items" or isinstance(pred, list):
            for pos, v in zip(sel.index, pred, strict=True):
                if v is None:
                    raise InputError(pos, spec.prediction_key, "is missing (None)")
    else:
        return {}
    return _prediction_fields(pred, sel.index, spec)


def profile_predictions(sel: _inputs.Selection, spec: TaskSpec) -> dict[str, Any]:
    """An outputs-only profile's fields: the selection *is* the predictions (class ids or scores),
    or items / a table carrying ``spec.prediction_key``."""
    if _inputs.has_column(sel, spec.prediction_key) or (
        sel.kind == "items" and len(sel.source) and isinstance(sel.source[0], Mapping)
    ):
        fields = profile_outputs(sel, spec, None)
        if not fields:
            raise ValueError(f"items carry no {spec.prediction_key!r} to profile as predictions")
        return fields
    if sel.kind in ("arrow_table", "frame"):
        raise ValueError(f"dataset has no {spec.prediction_key!r} column to profile as predictions")
    src = sel.source
    pred = src.to_numpy(zero_copy_only=False) if hasattr(src, "to_numpy") and sel.kind == "arrow_array" else src
    if sel.kind == "items":
        try:
            pred = np.asarray(src)
        except ValueError:
            raise ValueError("predictions are ragged: expected class ids (N,) or scores (N, K)") from None
    return _prediction_fields(np.asarray(pred), sel.index, spec)


def _histogram(classes: NDArray[np.int64], num_classes: int | None) -> dict[str, Any]:
    k = num_classes if num_classes is not None else (int(classes.max()) + 1 if len(classes) else 1)
    return {"prediction_hist": np.bincount(classes, minlength=k).astype(np.int64).tolist(), "num_classes": int(k)}


def prediction_histogram(predictions: Any, num_classes: int | None = None) -> dict[str, Any]:
    """``prediction_hist`` and ``num_classes`` of predictions alone (class ids or scores).

    Examples
    --------
    >>> prediction_histogram([2, 0, 2])
    {'prediction_hist': [1, 0, 2], 'num_classes': 3}
    """
    arr = np.asarray(predictions)
    spec = TaskSpec("text", num_classes=num_classes)
    return _prediction_fields(arr, np.arange(len(arr), dtype=np.int64), spec)


def merge_outputs(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Add prediction histograms (padding the shorter); both profiles must have them, or neither."""
    if ("prediction_hist" in a) != ("prediction_hist" in b):
        raise ValueError("cannot merge a profile with predictions and one without")
    if "prediction_hist" not in a:
        return {}
    k = max(len(a["prediction_hist"]), len(b["prediction_hist"]))
    h = np.zeros(k, dtype=np.int64)
    h[: len(a["prediction_hist"])] += a["prediction_hist"]
    h[: len(b["prediction_hist"])] += b["prediction_hist"]
    out: dict[str, Any] = {"prediction_hist": h.tolist(), "num_classes": k}
    if ("confidence_hist" in a) != ("confidence_hist" in b):
        raise ValueError("cannot merge a profile of prediction scores with one of class ids")
    if "confidence_hist" in a:
        for key in ("confidence_hist", "entropy_hist"):
            out[key] = (np.asarray(a[key], dtype=np.int64) + np.asarray(b[key], dtype=np.int64)).tolist()
        for key in ("confidence_sum", "entropy_sum"):
            out[key] = float(a[key] + b[key])
        for key in ("class_prob_sums", "class_prob_sumsqs"):
            s = np.zeros(k)
            s[: len(a[key])] += a[key]
            s[: len(b[key])] += b[key]
            out[key] = s.tolist()
    return out


def _predictions(pair: Pair) -> HistogramComparison:
    """Predicted-class histograms padded to one length; rare classes merge for the test only."""
    def build() -> HistogramComparison:
        k = max(len(pair.ref["prediction_hist"]), len(pair.new["prediction_hist"]))
        r, n = pad_to(pair.ref["prediction_hist"], k), pad_to(pair.new["prediction_hist"], k)
        return compare_histograms(r, n, [f"class {c}" for c in range(k)], ordered=False)
    return pair.memo("predictions", build)


def _summary(h: HistogramComparison) -> str:
    sr, sn = h.ref / h.ref.sum(), h.new / h.new.sum()
    c = int(np.argmax(np.abs(sn - sr)))
    return f"class {c} share {sr[c]:.0%} -> {sn[c]:.0%}"


def prediction_js(pair: Pair) -> Evaluation:
    """``prediction_js``: JS distance of the predicted-class histograms."""
    h = _predictions(pair)
    return h.evaluate(pair, "prediction_js", js_distance, _summary(h))


def prediction_kl(pair: Pair) -> Evaluation:
    """``prediction_kl``: KL(ref || new) of the predicted-class histograms, in bits."""
    h = _predictions(pair)
    return h.evaluate(pair, "prediction_kl", kl_bits, _summary(h))


# ----------------------------------------------------------------------------- confidence metrics
def has_scores(profile: Mapping[str, Any]) -> bool:
    """Whether a profile kept the confidence fields (its predictions were scores)."""
    return "confidence_hist" in profile


def _unit_scores(pair: Pair, key: str, word: str) -> HistogramComparison:
    """``confidence_hist`` / ``entropy_hist`` of both sides on coarse bins chosen from both."""
    def build() -> HistogramComparison:
        rh, nh = np.asarray(pair.ref[key], dtype=np.int64), np.asarray(pair.new[key], dtype=np.int64)
        groups, edges = unit_coarse_bins(rh, nh)
        labels = [f"{word} {lo:.3f}-{hi:.3f}" for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
        return compare_histograms(coarsen(rh, groups), coarsen(nh, groups), labels)
    return pair.memo(key, build)


def _mean(p: Mapping[str, Any], key: str) -> float:
    return float(p[key]) / int(p["n_samples"])


def confidence_js(pair: Pair) -> Evaluation:
    """``confidence_js``: JS distance of the histograms of the top-class probability."""
    h = _unit_scores(pair, "confidence_hist", "confidence")
    summary = (f"mean top-class probability {_mean(pair.ref, 'confidence_sum'):.2f} -> "
               f"{_mean(pair.new, 'confidence_sum'):.2f}")
    return h.evaluate(pair, "confidence_js", js_distance, summary)


def entropy_js(pair: Pair) -> Evaluation:
    """``entropy_js``: JS distance of the histograms of the normalised entropy ``H / log K``."""
    h = _unit_scores(pair, "entropy_hist", "entropy")
    summary = (f"mean normalised entropy (H / log K) {_mean(pair.ref, 'entropy_sum'):.2f} -> "
               f"{_mean(pair.new, 'entropy_sum'):.2f}")
    return h.evaluate(pair, "entropy_js", js_distance, summary)


def _padded(values: Any, size: int) -> NDArray[np.float64]:
    """A per-class float vector right-padded with zeros to ``size`` classes."""
    v = np.asarray(values, dtype=np.float64)
    return np.concatenate([v, np.zeros(max(0, size - len(v)))])


def class_prob_test(sums_ref: NDArray[np.float64], sums_new: NDArray[np.float64],
                    rng: np.random.Generator | None) -> tuple[float, float, float | None]:
    """Total variation between per-class mean probabilities, its p-value and noise floor (None
    without ``rng``).

    Notes
    -----
    ``TV = 1/2 sum_k |m_ref,k - m_new,k|`` with ``m_k = sum_i p_ik / n``, in [0, 1]: the share of
    probability mass that moved between classes. The test treats the per-class sums ``sum_i p_ik``
    as soft counts (each side's add up to its item count) in Pearson's chi-square of homogeneity,
    on cells of classes merged in order of pooled mass until each expects >= 10 items on the
    smaller side (:func:`significance.chi2_cells`). A probability lies in [0, 1], so
    ``Var(p_k) <= m_k (1 - m_k)``: a soft count varies less than the multinomial count of the same
    mean, and the test is conservative. (Per-class z-tests on the between-item variance were not:
    with 50 items against 5,000 over 100 classes, one item's stray probability on a rare class
    made ``p < 0.01`` in 64% of no-drift pairs.) The noise floor is the 99th percentile of TV over
    200 multinomial draws from the pooled mean probabilities, at the two sizes.

    Examples
    --------
    >>> s = np.array([50.0, 50.0])
    >>> class_prob_test(s, s, np.random.default_rng(0))[:2]
    (0.0, 1.0)
    """
    m_r, m_n = sums_ref / sums_ref.sum(), sums_new / sums_new.sum()
    tv = float(0.5 * np.abs(m_r - m_n).sum())
    order = np.lexsort((np.arange(len(m_r)), -(sums_ref + sums_new)))
    cells = chi2_cells(sums_ref, sums_new, order)
    k = int(cells.max()) + 1 if len(cells) else 1
    p = 1.0 if tv <= 1e-12 else chi2_homogeneity(np.bincount(cells, weights=sums_ref, minlength=k),
                                                  np.bincount(cells, weights=sums_new, minlength=k))

    def total_variation(a: NDArray[np.int64], b: NDArray[np.int64]) -> NDArray[np.float64]:
        sa, sb = a.sum(axis=-1, keepdims=True), b.sum(axis=-1, keepdims=True)
        return 0.5 * np.abs(a / np.maximum(sa, 1) - b / np.maximum(sb, 1)).sum(axis=-1)

    if rng is None:
        return tv, p, None
    null = bootstrap_null(sums_ref, sums_new, total_variation, rng)
    return tv, p, noise_floor(null)


def class_prob_distance(pair: Pair) -> Evaluation:
    """``class_prob_distance``: total variation between the per-class mean probabilities."""
    ref, new = pair.ref, pair.new
    k = max(len(ref["class_prob_sums"]), len(new["class_prob_sums"]))
    sr, sn = _padded(ref["class_prob_sums"], k), _padded(new["class_prob_sums"], k)
    n_ref, n_new = int(ref["n_samples"]), int(new["n_samples"])
    tv, p, floor = class_prob_test(sr, sn, pair.rng("class_prob_distance") if pair.floors else None)
    m_r, m_n = sr / n_ref, sn / n_new
    c = int(np.argmax(np.abs(m_n - m_r)))
    summary = f"class {c} mean probability {m_r[c]:.2f} -> {m_n[c]:.2f} (total variation {tv:.2f})"
    return Evaluation("class_prob_distance", tv, summary, p, floor, n_ref, n_new)
