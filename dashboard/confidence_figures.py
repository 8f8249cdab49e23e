"""Plotly figures of the model's confidence: prediction scores (N, K), reference vs new.

Pure functions, like ``dashboard.figures``: two profiles in, a ``go.Figure`` out. The top-class
probability and the normalised entropy are drawn on the coarse bins ``confidence_js`` and
``entropy_js`` scored (``drift_core.histograms.unit_coarse_bins``), as a density (% of predictions
per 0.01, so that unequal bins keep their areas); the per-class mean probability as grouped bars.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import plotly.graph_objects as go

from dashboard.figures import NEW_COLOR, REF_COLOR, _figure, _layout, scored_bins
from drift_core.outputs import has_scores

#: The per-class chart shows at most this many classes: those whose mean probability moved most.
MAX_CLASSES_SHOWN = 20


def _density(edges: np.ndarray, counts: np.ndarray, name: str, color: str, dash: str, what: str) -> dict[str, Any]:
    """A step line of % of predictions per 0.01 on the (unequal) scored bins."""
    total = counts.sum()
    share = 100.0 * counts / total if total else np.zeros(len(counts))
    density = share / (np.diff(edges) * 100)
    return {
        "type": "scatter", "name": name, "x": np.repeat(edges, 2)[1:-1], "y": np.repeat(density, 2), "mode": "lines",
        "line": {"color": color, "dash": dash, "width": 2.5 if dash == "solid" else 2},
        "customdata": np.stack([np.repeat(edges[:-1], 2), np.repeat(edges[1:], 2), np.repeat(share, 2),
                                np.repeat(counts, 2)], axis=-1),
        "hovertemplate": (f"{name}<br>{what} %{{customdata[0]:.3f}}-%{{customdata[1]:.3f}}: "
                          "%{customdata[2]:.1f}% of predictions (%{customdata[3]})<extra></extra>"),
    }


def _unit_figure(ref: Mapping[str, Any], new: Mapping[str, Any], key: str, total_key: str, title: str,
                 what: str, axis: str) -> go.Figure:
    edges, r, n = scored_bins(ref[key], new[key])
    data = []
    for side, profile, counts, color, dash in (("reference", ref, r, REF_COLOR, "dot"), ("new", new, n, NEW_COLOR, "solid")):
        mean = profile[total_key] / profile["n_samples"]
        data.append(_density(edges, counts, f"{side} (mean {mean:.2f})", color, dash, what))
    return _figure(data, _layout(title, {
        "xaxis": {"title": {"text": axis}, "range": [0, 1]},
        "yaxis": {"title": {"text": "% of predictions per 0.01"}, "rangemode": "tozero"}}))


def confidence_figure(ref: Mapping[str, Any], new: Mapping[str, Any]) -> go.Figure:
    """Top-class probability (the model's confidence), reference vs new, on the bins ``confidence_js`` scored."""
    return _unit_figure(ref, new, "confidence_hist", "confidence_sum", "Model confidence (bins as scored)",
                        "top-class probability", "probability of the predicted class (max over classes)")


def entropy_figure(ref: Mapping[str, Any], new: Mapping[str, Any]) -> go.Figure:
    """Normalised entropy H / log K, reference vs new, on the bins ``entropy_js`` scored."""
    return _unit_figure(ref, new, "entropy_hist", "entropy_sum", "Prediction entropy (bins as scored)",
                        "entropy", "entropy of the probabilities / log K (0 = certain, 1 = uniform)")


def class_probability_figure(ref: Mapping[str, Any], new: Mapping[str, Any],
                             max_classes: int = MAX_CLASSES_SHOWN) -> go.Figure:
    """Mean probability of each class, reference vs new; with more than ``max_classes`` classes,
    the ``max_classes`` whose mean probability moved most, in class order."""
    k = max(len(ref["class_prob_sums"]), len(new["class_prob_sums"]))
    means = []
    for profile in (ref, new):
        s = np.zeros(k)
        s[: len(profile["class_prob_sums"])] = profile["class_prob_sums"]
        means.append(s / profile["n_samples"])
    shown = np.arange(k)
    title = "Per-class mean probability"
    if k > max_classes:
        shown = np.sort(np.argsort(-np.abs(means[1] - means[0]), kind="stable")[:max_classes])
        title += f" (the {max_classes} of {k:,} classes that moved most)"
    labels = [str(c) for c in shown]
    data = [{"type": "bar", "name": side, "x": labels, "y": 100 * m[shown], "marker": {"color": color},
             "hovertemplate": f"{side}, class %{{x}}: mean probability %{{y:.1f}}%<extra></extra>"}
            for side, m, color in (("reference", means[0], REF_COLOR), ("new", means[1], NEW_COLOR))]
    return _figure(data, _layout(title, {
        "barmode": "group", "bargap": 0.3,
        "xaxis": {"type": "category", "title": {"text": "class"}},
        "yaxis": {"title": {"text": "mean probability"}, "ticksuffix": "%", "rangemode": "tozero"}}))


def confidence_figures(ref: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, go.Figure]:
    """The confidence figures, keyed by id, when both profiles kept prediction scores; else empty."""
    if not (has_scores(ref) and has_scores(new)):
        return {}
    return {"confidence": confidence_figure(ref, new), "entropy": entropy_figure(ref, new),
            "class_probability": class_probability_figure(ref, new)}
