"""Plotly figures of Driftboard profiles and comparison results.

Every function here is pure: profiles (plain dicts, see ``drift_core.schema``) and/or a result of
``drift_core.compare_profiles`` in, a ``plotly.graph_objects.Figure`` out. No Streamlit, no I/O,
no drift maths: the numbers come from ``drift_core``; this module only draws them. The dashboard
and the offline HTML report draw the same figures.

Colour code (the same everywhere): green / amber / red for ok / warn / alert, grey for the
reference, blue for the new data, and image channels in their own colours.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go

from drift_core import token_share_changes
from drift_core.histograms import display_bins, pad_to
from drift_core.metrics import channel_name, metric_info

STATUS_COLORS: dict[str, str] = {"ok": "#2e7d32", "warn": "#e08a00", "alert": "#c62828"}
#: Red, green, blue, alpha (a single gray channel is drawn in the last colour).
CHANNEL_COLORS = ("#d62728", "#2ca02c", "#1f5fbf", "#7f7f7f")
#: Informational metrics (no threshold) are drawn in this neutral colour.
INFO_COLOR = "#8a94a6"
#: Text symbols (not emoji: they render in every font, also in headless browsers and PDFs).
STATUS_ICONS: dict[str, str] = {"ok": "✔", "warn": "⚠", "alert": "✖"}
STATUS_WORDS: dict[str, str] = {"ok": "OK", "warn": "Warning", "alert": "Alert"}
#: The headline of each status, for banners.
STATUS_HEADLINES: dict[str, str] = {
    "ok": "OK: no significant drift",
    "warn": "Warning: possible drift",
    "alert": "Alert: drift detected",
}
REF_COLOR = "#9aa3b2"
NEW_COLOR = "#2f5fd0"

_LAYOUT: dict[str, Any] = {
    "template": "plotly_white",
    "height": 340,
    "margin": {"l": 10, "r": 10, "t": 56, "b": 10},
    "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0},
    "font": {"size": 13},
    "title": {"x": 0.0, "xanchor": "left", "font": {"size": 16}},
}


def _figure(title: str, **layout: Any) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(**_LAYOUT)
    fig.update_layout(title_text=title, **layout)
    return fig


def _shares(counts: Sequence[int] | np.ndarray) -> np.ndarray:
    c = np.asarray(counts, dtype=np.float64)
    total = c.sum()
    return c / total * 100 if total > 0 else np.zeros_like(c)


def status_color(status: str | None) -> str:
    """Colour of a status; ``None`` (an informational metric) is grey."""
    return STATUS_COLORS.get(status or "", INFO_COLOR)


def metric_label(result: Mapping[str, Any], name: str) -> str:
    """The plain-words label of a metric, as the result names it (falls back to the metric name)."""
    detail = result.get("metrics", {}).get(name, {})
    return str(detail.get("label") or name)


# --------------------------------------------------------------------------------------- scores


def drift_scores_figure(result: Mapping[str, Any]) -> go.Figure:
    """Horizontal bars of every drift score on the [0, 1] scale (JS distances and top-token drift).

    Bars are coloured by the metric's status (grey when informational); each bar carries its own
    warn and alert lines, as thresholds may differ per metric. KL and Euclidean distances are left
    out: they are not on the [0, 1] scale (the score table lists them).
    """
    metrics: Mapping[str, Mapping[str, Any]] = result.get("metrics", {})
    names = [n for n in result["drift_scores"] if metric_info(n, int(result.get("n_channels", 3))).bounded]
    names = list(reversed(names))  # plotly draws the first category at the bottom
    labels = [metric_label(result, n) for n in names]
    scores = [float(result["drift_scores"][n]) for n in names]
    statuses = [metrics.get(n, {}).get("status", result.get("metric_status", {}).get(n)) for n in names]
    fig = _figure("Drift scores", height=max(280, 110 + 40 * len(names)), bargap=0.35)
    fig.add_trace(
        go.Bar(
            name="score",
            x=scores,
            y=labels,
            orientation="h",
            marker={"color": [status_color(s) for s in statuses]},
            text=[f"{s:.3f}" for s in scores],
            textposition="outside",
            customdata=[STATUS_WORDS.get(s or "", "informational") for s in statuses],
            hovertemplate="%{y}: %{x:.3f} (%{customdata})<extra></extra>",
            showlegend=False,
        )
    )
    thresholds = [result.get("thresholds", {}).get(n) or metrics.get(n, {}).get("threshold") for n in names]
    for which, idx, dash_color in (("warn", 0, STATUS_COLORS["warn"]), ("alert", 1, STATUS_COLORS["alert"])):
        xs = [t[idx] if t else None for t in thresholds]
        # a white halo under each line keeps it visible on a bar of its own colour
        fig.add_trace(
            go.Scatter(
                name=f"{which} threshold halo",
                x=xs,
                y=labels,
                mode="markers",
                marker={"symbol": "line-ns", "size": 28, "line": {"width": 7, "color": "white"}},
                hoverinfo="skip",
                showlegend=False,
            )
        )
        fig.add_trace(
            go.Scatter(
                name=f"{which} threshold",
                x=xs,
                y=labels,
                mode="markers",
                marker={"symbol": "line-ns", "size": 26, "line": {"width": 3, "color": dash_color}},
                hovertemplate=f"{which} at %{{x}}<extra></extra>",
            )
        )
    top = max([0.25, *scores, *[t[1] for t in thresholds if t]])
    fig.update_xaxes(range=[0, min(1.0, top * 1.2) if top < 0.85 else 1.08],
                     title_text="0 = same, 1 = nothing in common")
    return fig


# ----------------------------------------------------------------------------------------- text


def seq_length_figure(ref: Mapping[str, Any], new: Mapping[str, Any]) -> go.Figure:
    """Overlaid sequence-length histograms of both sides on the same display bins (share of items)."""
    edges, r, n = display_bins(ref["seq_length_hist"], new["seq_length_hist"], ref["seq_length_edges"])
    centers = (edges[:-1] + edges[1:]) / 2
    widths = np.diff(edges)
    fig = _figure("Sequence length", barmode="overlay", bargap=0)
    for name, counts, color, mean in (
        ("reference", r, REF_COLOR, ref["seq_length_mean"]),
        ("new", n, NEW_COLOR, new["seq_length_mean"]),
    ):
        fig.add_trace(
            go.Bar(
                name=f"{name} (mean {mean:.0f})",
                x=centers,
                y=_shares(counts),
                width=widths,
                marker={"color": color, "line": {"width": 0}},
                opacity=0.6,
                customdata=np.stack([edges[:-1], edges[1:], counts], axis=-1),
                hovertemplate=(
                    f"{name}: %{{y:.1f}}% of sequences<br>length %{{customdata[0]:.0f}}-%{{customdata[1]:.0f}}"
                    "<br>%{customdata[2]} sequences<extra></extra>"
                ),
            )
        )
        fig.add_vline(x=mean, line={"color": color, "dash": "dash", "width": 2})
    fig.update_xaxes(title_text="tokens per sequence")
    fig.update_yaxes(title_text="% of sequences", ticksuffix="%")
    return fig


def _token_text(token: Any) -> str:
    return f"#{token}" if isinstance(token, int) else str(token)


def token_changes_figure(ref: Mapping[str, Any], new: Mapping[str, Any], k: int = 15) -> go.Figure:
    """The ``k`` tokens (of the pooled top-100 that token_freq_js uses) whose share changed the most.

    Bars show the change in percentage points (new share - reference share); blue = more common in
    the new data, grey = less common. Token ids are written ``#id``. Numbers from
    :func:`drift_core.token_share_changes`.
    """
    biggest = sorted(token_share_changes(dict(ref), dict(new), k), key=lambda c: c["new_share"] - c["ref_share"])
    tokens = [_token_text(c["token"]) for c in biggest]
    values = [100 * (c["new_share"] - c["ref_share"]) for c in biggest]
    fig = _figure("Largest changes in token frequency", height=max(300, 80 + 22 * len(biggest)))
    fig.add_trace(
        go.Bar(
            name="change",
            x=values,
            y=tokens,
            orientation="h",
            marker={"color": [NEW_COLOR if v > 0 else REF_COLOR for v in values]},
            customdata=[[100 * c["ref_share"], 100 * c["new_share"]] for c in biggest],
            hovertemplate=(
                "%{y}: %{customdata[0]:.2f}% -> %{customdata[1]:.2f}% of tokens (%{x:+.2f} points)<extra></extra>"
            ),
            showlegend=False,
        )
    )
    fig.update_xaxes(title_text="change in share of all tokens (percentage points)", zeroline=True,
                     zerolinecolor="#555", zerolinewidth=1)
    fig.update_yaxes(type="category")
    return fig


# --------------------------------------------------------------------------------------- vision


def _channel_colors(n_channels: int) -> list[str]:
    if n_channels == 1:
        return [CHANNEL_COLORS[-1]]
    return [CHANNEL_COLORS[c] if c < len(CHANNEL_COLORS) else INFO_COLOR for c in range(n_channels)]


def channel_means_figure(ref: Mapping[str, Any], new: Mapping[str, Any]) -> go.Figure:
    """Mean pixel value per channel, reference (pale, hatched) beside new (solid), pixel std as error bars."""
    c = int(ref["n_channels"])
    names, colors = [channel_name(i, c) for i in range(c)], _channel_colors(c)
    fig = _figure("Channel means (error bars: pixel standard deviation)", barmode="group", bargap=0.3)
    for side, profile, opacity, pattern in (("reference", ref, 0.45, "/"), ("new", new, 1.0, "")):
        fig.add_trace(
            go.Bar(
                name=side,
                x=names,
                y=profile["channel_means"],
                error_y={"type": "data", "array": profile["channel_stds"], "color": "#555", "thickness": 1.2},
                marker={"color": colors, "opacity": opacity, "pattern": {"shape": pattern},
                        "line": {"color": colors, "width": 1.5}},
                hovertemplate=f"{side} %{{x}}: mean %{{y:.3f}}, std %{{error_y.array:.3f}}<extra></extra>",
            )
        )
    fig.update_yaxes(range=[0, 1], title_text="mean pixel value (0-1)")
    return fig


def brightness_figure(ref: Mapping[str, Any], new: Mapping[str, Any]) -> go.Figure:
    """Share of images per brightness band (5 bins on 0-1): reference wide and pale, new narrow on top."""
    edges = ref["brightness_edges"]
    labels = [f"{lo:.1f}-{hi:.1f}" for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
    fig = _figure("Image brightness", barmode="overlay")
    for side, profile, color, width in (("reference", ref, REF_COLOR, 0.8), ("new", new, NEW_COLOR, 0.45)):
        fig.add_trace(
            go.Bar(
                name=side,
                x=labels,
                y=_shares(profile["brightness_hist"]),
                width=width,
                marker={"color": color},
                customdata=profile["brightness_hist"],
                hovertemplate=f"{side}: %{{y:.1f}}% of images (%{{customdata}})<extra></extra>",
            )
        )
    fig.update_xaxes(title_text="mean brightness of the image (0 = black, 1 = white)", type="category")
    fig.update_yaxes(title_text="% of images", ticksuffix="%")
    return fig


# -------------------------------------------------------------------------------------- outputs


def prediction_figure(ref: Mapping[str, Any], new: Mapping[str, Any]) -> go.Figure:
    """Share of items per predicted class, reference vs new (the shorter side padded with zeros)."""
    k = max(len(ref["prediction_hist"]), len(new["prediction_hist"]))
    labels = [str(i) for i in range(k)]
    fig = _figure("Predicted classes", barmode="group", bargap=0.3)
    for side, profile, color in (("reference", ref, REF_COLOR), ("new", new, NEW_COLOR)):
        counts = pad_to(profile["prediction_hist"], k)
        fig.add_trace(
            go.Bar(
                name=side,
                x=labels,
                y=_shares(counts),
                marker={"color": color},
                customdata=counts,
                hovertemplate=f"{side}, class %{{x}}: %{{y:.1f}}% (%{{customdata}})<extra></extra>",
            )
        )
    fig.update_xaxes(type="category", title_text="predicted class")
    fig.update_yaxes(title_text="% of predictions", ticksuffix="%")
    return fig


# -------------------------------------------------------------------------------------- history


@dataclass(frozen=True)
class HistoryPoint:
    """One recorded comparison against a reference, as the history chart draws it."""

    when: str  # ISO timestamp
    label: str  # the new run's name
    status: str
    max_drift: float
    worst_metric: str


def history_points(comparisons: Sequence[Mapping[str, Any]]) -> list[HistoryPoint]:
    """History points from ``ExperimentDB.comparisons(reference_run_id=...)`` rows.

    The worst metric is the thresholded metric with the highest score (the one ``max_drift`` is).
    """
    points = []
    for c in comparisons:
        result = c.get("result") or {}
        scores = result.get("drift_scores", {})
        judged = [n for n in scores if n in result.get("metric_status", {})] or list(scores)
        worst = max(judged, key=lambda n: scores[n]) if judged else ""
        max_drift = c.get("max_drift")
        if max_drift is None:
            max_drift = scores.get(worst, 0.0)
        points.append(
            HistoryPoint(
                when=str(c["created_at"]),
                label=str(c.get("new_name", c.get("new_run_id", ""))),
                status=str(c["status"]),
                max_drift=float(max_drift),
                worst_metric=metric_label(result, worst) if worst else "",
            )
        )
    return points


def history_figure(points: Sequence[HistoryPoint]) -> go.Figure:
    """Worst drift score of every recorded comparison over time, points coloured by status."""
    fig = _figure("History: comparisons against this reference")
    ordered = sorted(points, key=lambda p: p.when)
    if ordered:
        fig.add_trace(
            go.Scatter(
                name="worst score",
                x=[p.when for p in ordered],
                y=[p.max_drift for p in ordered],
                mode="lines",
                line={"color": "#c5cbd6", "width": 1.5},
                hoverinfo="skip",
                showlegend=False,
            )
        )
    for status in ("ok", "warn", "alert"):
        pts = [p for p in ordered if p.status == status]
        if not pts:
            continue
        fig.add_trace(
            go.Scatter(
                name=f"{STATUS_ICONS[status]} {status}",
                x=[p.when for p in pts],
                y=[p.max_drift for p in pts],
                mode="markers",
                marker={"color": STATUS_COLORS[status], "size": 12, "line": {"color": "white", "width": 1}},
                customdata=[[p.label, p.worst_metric] for p in pts],
                hovertemplate=(
                    "%{customdata[0]}<br>%{x}<br>worst score %{y:.3f} (%{customdata[1]})"
                    f"<br>status: {status}<extra></extra>"
                ),
            )
        )
    fig.update_yaxes(title_text="worst drift score", rangemode="tozero")
    if not ordered:
        fig.add_annotation(text="No recorded comparisons yet", showarrow=False, x=0.5, y=0.5,
                           xref="paper", yref="paper", font={"size": 14, "color": INFO_COLOR})
    return fig


# ---------------------------------------------------------------------------------- all figures


def comparison_figures(
    result: Mapping[str, Any], ref: Mapping[str, Any], new: Mapping[str, Any]
) -> dict[str, go.Figure]:
    """Every figure for one comparison, keyed by a short id, in the order the views show them."""
    figs: dict[str, go.Figure] = {"scores": drift_scores_figure(result)}
    if ref["modality"] == "text":
        figs["seq_length"] = seq_length_figure(ref, new)
        figs["tokens"] = token_changes_figure(ref, new)
    else:
        figs["channels"] = channel_means_figure(ref, new)
        figs["brightness"] = brightness_figure(ref, new)
    if "prediction_hist" in ref and "prediction_hist" in new:
        figs["predictions"] = prediction_figure(ref, new)
    return figs
