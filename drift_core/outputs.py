"""Model outputs: the predicted-class distribution.

Predictions are class ids, shape (N,), or scores / probabilities, shape (N, K), reduced by argmax.
``prediction_hist[k]`` counts items predicted as class k; it has ``num_classes`` bins (from the
``TaskSpec``) or, without it, ``max(class) + 1``. Comparing two histograms of different lengths
pads the shorter one with zeros.
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
from .histograms import pad_to
from .spec import TaskSpec


def _as_classes(pred: Any, index: NDArray[np.int64], spec: TaskSpec) -> NDArray[np.int64]:
    arr = check_predictions(pred, index, spec.num_classes)
    return np.argmax(arr, axis=1).astype(np.int64) if arr.ndim == 2 else arr


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
    return _histogram(_as_classes(pred, sel.index, spec), spec.num_classes)


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
    return _histogram(_as_classes(np.asarray(pred), sel.index, spec), spec.num_classes)


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
    return _histogram(_as_classes(arr, np.arange(len(arr), dtype=np.int64), spec), num_classes)


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
    return {"prediction_hist": h.tolist(), "num_classes": k}


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
