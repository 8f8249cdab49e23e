"""Plotly figures of Driftboard profiles and comparison results.

Every function here is pure: profiles (plain dicts, see ``drift_core.schema``) and/or a result of
``drift_core.compare_profiles`` in, a ``plotly.graph_objects.Figure`` out. No Streamlit, no I/O,
no drift maths: the numbers come from ``drift_core``; this module only draws them. The dashboard
and the offline HTML report draw the same figures.

Colour code (the same everywhere): green / amber / red for ok / warn / alert, grey for the
reference, blue for the new data, and image channels in their own colours.

What moved most: the histogram charts mark the top contributors of their metric's score
(``result["metrics"][m]["contributors"]``, see ``drift_core.contributors``) with a dark outline or
a shaded range labelled ``#1``, ``#2``, ``#3``, on the bins as scored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from drift_core import token_share_changes
from drift_core.contributors import bin_span
from drift_core.histograms import coarsen, display_bins, pad_to, unit_coarse_bins
from drift_core.metrics import channel_name, metric_info
from drift_core.status import classify

STATUS_COLORS: dict[str, str] = {"ok": "#2e7d32", "warn": "#e08a00", "alert": "#c62828"}
#: Red, green, blue, alpha (a single gray channel is drawn in the last colour).
CHANNEL_COLORS = ("#d62728", "#2ca02c", "#1f5fbf", "#7f7f7f")
#: Informational metrics (no threshold) are drawn in this neutral colour.
INFO_COLOR = "#8a94a6"
#: Text symbols (not emoji: they render in every font, also in headless browsers and PDFs).
STATUS_ICONS: dict[str, str] = {"ok": "✔", "warn": "⚠", "alert": "✖"}
STATUS_WORDS: dict[str, str] = {"ok": "OK", "warn": "Warning", "alert": "Alert", "noise": "Within noise"}
#: The third visible state: crossed its threshold, but within sampling noise (so the status stays ok).
NOISE_ICON, NOISE_COLOR = "◌", "#8a6d00"
#: The headline of each status, for banners.
STATUS_HEADLINES: dict[str, str] = {
    "ok": "OK: no significant drift",
    "warn": "Warning: possible drift",
    "alert": "Alert: drift detected",
}
#: The token chart's x axis spans at least +/- this many percentage points.
TOKEN_SCALE_POINTS = 5.0
REF_COLOR = "#9aa3b2"
NEW_COLOR = "#2f5fd0"
#: What moved most: outlines and shaded ranges of the top contributors, and how many are marked.
HIGHLIGHT_COLOR = "#1b1f29"
HIGHLIGHT_FILL = "#f2b233"
N_HIGHLIGHTED = 3

#: Every figure's plotly template. It is made plotly's default (below) instead of being set in
#: each layout: plotly applies its default template without re-validating it, while assigning a
#: template re-validates its ~1,000 properties (about 50 ms a figure, most of a page's run).
TEMPLATE = "plotly_white"
pio.templates.default = TEMPLATE

_LAYOUT: dict[str, Any] = {
    "height": 340,
    "margin": {"l": 10, "r": 10, "t": 56, "b": 10},
    "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0},
    "font": {"size": 13},
    "title": {"x": 0.0, "xanchor": "left", "font": {"size": 16}},
}


def _merge(base: dict[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``update`` into ``base`` (nested dicts key by key, as ``update_layout`` does); returns ``base``."""
    for key, value in update.items():
        if isinstance(value, Mapping):
            inner = base.get(key)
            base[key] = _merge(inner if isinstance(inner, dict) else {}, value)
        else:
            base[key] = value
    return base


def _layout(title: str, *updates: Mapping[str, Any]) -> dict[str, Any]:
    """The shared layout with the figure's ``title``, then each of ``updates`` merged in, in order."""
    layout = _merge({}, _LAYOUT)
    _merge(layout, {"title": {"text": title}})
    for update in updates:
        _merge(layout, update)
    return layout


def _figure(data: Sequence[Mapping[str, Any]], layout: Mapping[str, Any]) -> go.Figure:
    """One ``go.Figure`` from plain dicts: traces (each with its ``type``) and the whole layout.

    Plotly validates a figure given whole in one pass. Built step by step instead (``add_trace``,
    ``update_layout``, ``add_vrect`` ...), every call parses its property paths, re-validates and
    dispatches change callbacks: 5-10 times the time for the same figure, most of a page's rerun.
    So the builders here assemble dicts (shapes with :func:`_vline`, :func:`_vrect` ..., which
    write what ``add_vline``, ``add_vrect`` ... would) and call this once.
    """
    return go.Figure({"data": list(data), "layout": layout})


def _vline(x: float, **style: Any) -> dict[str, Any]:
    """A vertical line at ``x`` over the plot's height (the shape ``fig.add_vline`` adds)."""
    return {"type": "line", "x0": x, "x1": x, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain", **style}


def _hline(y: float, **style: Any) -> dict[str, Any]:
    """A horizontal line at ``y`` across the plot (the shape ``fig.add_hline`` adds)."""
    return {"type": "line", "x0": 0, "x1": 1, "xref": "x domain", "y0": y, "y1": y, "yref": "y", **style}


def _vrect(x0: float, x1: float, **style: Any) -> dict[str, Any]:
    """A band from ``x0`` to ``x1`` over the plot's height (the shape ``fig.add_vrect`` adds)."""
    return {"type": "rect", "x0": x0, "x1": x1, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain", **style}


def _hrect(y0: float, y1: float, **style: Any) -> dict[str, Any]:
    """A band from ``y0`` to ``y1`` across the plot (the shape ``fig.add_hrect`` adds)."""
    return {"type": "rect", "x0": 0, "x1": 1, "xref": "x domain", "y0": y0, "y1": y1, "yref": "y", **style}


def _no_data(text: str) -> dict[str, Any]:
    """The grey note in the middle of an empty chart."""
    return {"text": text, "showarrow": False, "x": 0.5, "y": 0.5, "xref": "paper", "yref": "paper",
            "font": {"size": 14, "color": INFO_COLOR}}


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


def top_contributors(result: Mapping[str, Any] | None, name: str, k: int = N_HIGHLIGHTED) -> list[Mapping[str, Any]]:
    """The first ``k`` contributors of metric ``name`` in ``result`` (none for older results)."""
    if result is None:
        return []
    return list((result.get("metrics", {}).get(name, {}).get("contributors") or [])[:k])


def _mark_ranges(contributors: Sequence[Mapping[str, Any]], right_end: float, inclusive: bool,
                 color: str = HIGHLIGHT_FILL, prefix: str = "", line: int = 0
                 ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(shapes, annotations)`` shading the value range of each contributor (``#1`` first);
    integer ranges (lengths) are ``inclusive`` (bin ``20-40`` spans 20 to 41); an open-ended bin
    runs to ``right_end``. The numbers sit on text ``line`` from the top (one per channel, so that
    they never overlap)."""
    shapes, notes = [], []
    for rank, c in enumerate(contributors, start=1):
        span = bin_span(str(c["label"]))
        if span is None:
            continue
        lo, hi = span
        x1 = right_end if hi is None else hi + (1 if inclusive else 0)
        # a white edge keeps neighbouring ranges apart; the number sits inside the top of the plot
        shapes.append(_vrect(lo, max(x1, lo), fillcolor=color, opacity=0.22, layer="below",
                             line={"color": "white", "width": 2}, name=f"moved most #{rank}"))
        notes.append({"x": (lo + max(x1, lo)) / 2, "y": 1.0 - 0.07 * line, "yref": "paper", "yanchor": "top",
                      "showarrow": False, "text": f"{prefix}#{rank}", "hovertext": str(c["words"]),
                      "name": f"moved most #{rank}", "font": {"size": 12, "color": HIGHLIGHT_COLOR}})
    return shapes, notes


# --------------------------------------------------------------------------------------- scores


def _thresholds_of(result: Mapping[str, Any], name: str) -> tuple[float, float] | None:
    t = result.get("thresholds", {}).get(name) or result.get("metrics", {}).get(name, {}).get("threshold")
    return (float(t[0]), float(t[1])) if t else None


def scored_names(result: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """The metrics the score chart draws: the bounded ones (the registry's [0, 1] scores), and the
    unbounded ones that were given thresholds (KL in bits, distances), drawn on their own axis."""
    c = int(result.get("n_channels", 3))
    names = list(result["drift_scores"])
    bounded = [n for n in names if metric_info(n, c).bounded]
    other = [n for n in names if n not in bounded and _thresholds_of(result, n) is not None]
    return bounded, other


def _score_panel(result: Mapping[str, Any], names: list[str], row: int, unit: str
                 ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The traces of one panel of the score chart (on the axes of subplot ``row``) and its x axis."""
    metrics: Mapping[str, Mapping[str, Any]] = result.get("metrics", {})
    axes = {"xaxis": "x" if row == 1 else f"x{row}", "yaxis": "y" if row == 1 else f"y{row}"}
    names = list(reversed(names))  # plotly draws the first category at the bottom
    labels = [metric_label(result, n) for n in names]
    scores = [float(result["drift_scores"][n]) for n in names]
    statuses = [metrics.get(n, {}).get("status", result.get("metric_status", {}).get(n)) for n in names]
    # crossed the threshold but within sampling noise: the third state, in its own colour
    statuses = ["noise" if s == "ok" and metrics.get(n, {}).get("threshold_status") not in (None, "ok") else s
                for n, s in zip(names, statuses, strict=True)]
    thresholds = [_thresholds_of(result, n) for n in names]
    traces: list[dict[str, Any]] = [{
        "type": "bar", "name": "score", "x": scores, "y": labels, "orientation": "h",
        "marker": {"color": [NOISE_COLOR if s == "noise" else status_color(s) for s in statuses]},
        "customdata": [STATUS_WORDS.get(s or "", "informational") for s in statuses],
        "hovertemplate": "%{y}: %{x:.3f} (%{customdata})<extra></extra>", "showlegend": False, **axes,
    }]
    for which, idx, dash_color in (("warn", 0, STATUS_COLORS["warn"]), ("alert", 1, STATUS_COLORS["alert"])):
        xs = [t[idx] if t else None for t in thresholds]
        # a white halo under each line keeps it visible on a bar of its own colour
        traces.append({
            "type": "scatter", "name": f"{which} threshold halo", "x": xs, "y": labels, "mode": "markers",
            "hoverinfo": "skip", "showlegend": False,
            "marker": {"symbol": "line-ns", "size": 28, "line": {"width": 7, "color": "white"}}, **axes})
        traces.append({
            "type": "scatter", "name": f"{which} threshold", "x": xs, "y": labels, "mode": "markers",
            "showlegend": row == 1, "legendgroup": which, "hovertemplate": f"{which} at %{{x}}<extra></extra>",
            "marker": {"symbol": "line-ns", "size": 26, "line": {"width": 3, "color": dash_color}}, **axes})
    top = max([0.25 if unit == "" else 0.0, *scores, *[t[1] for t in thresholds if t]]) or 1.0
    # value labels right of the bar *and* of its threshold lines, so they never collide
    gap = 0.03 * top
    traces.append({
        "type": "scatter", "name": "value",
        "x": [max(s, *(t or (0, 0))) + gap for s, t in zip(scores, thresholds, strict=True)], "y": labels,
        "mode": "text", "text": [f"{s:.3f}" for s in scores], "textposition": "middle right", "hoverinfo": "skip",
        # drawn into the right margin rather than cut at the plot's edge
        "showlegend": False, "textfont": {"size": 12}, "cliponaxis": False, **axes})
    hi = 1.12 if unit == "" and top >= 0.8 else top * 1.3
    title = "0 = same, 1 = nothing in common" if unit == "" else unit
    return traces, {"range": [0, hi], "title": {"text": title}}


def _stacked_axes(heights: Sequence[float], spacing: float) -> dict[str, dict[str, Any]]:
    """The axes of one column of subplots, top row first, placed exactly as ``plotly.subplots.
    make_subplots(rows=len(heights), cols=1, row_heights=heights, vertical_spacing=spacing)``
    places them (same arithmetic, so the same floats)."""
    n = len(heights)
    total = float(sum(heights))
    # make_subplots counts rows from the bottom: rows above row r are in from_bottom[k + 1:]
    from_bottom = [(1.0 - spacing * (n - 1)) * (h / total) for h in heights][::-1]
    axes: dict[str, dict[str, Any]] = {}
    for row in range(1, n + 1):
        k = n - row
        start = sum(from_bottom[:k]) + k * spacing
        domain = [min(max(v, 0.0), 1.0) for v in (start, start + from_bottom[k])]
        suffix = "" if row == 1 else str(row)
        axes[f"xaxis{suffix}"] = {"anchor": f"y{suffix}", "domain": [0.0, 1.0]}
        axes[f"yaxis{suffix}"] = {"anchor": f"x{suffix}", "domain": domain}
    return axes


def drift_scores_figure(result: Mapping[str, Any]) -> go.Figure:
    """Horizontal bars of the drift scores, coloured by status, with each metric's warn and alert lines.

    The bounded scores (JS distances, top-token turnover; 0 = same, 1 = nothing in common) share one
    axis. Unbounded metrics that were given thresholds (KL in bits, the channel-mean distance) get a
    second panel on their own scale; informational unbounded metrics stay in the score table only.
    Each value is written right of its bar and threshold lines.
    """
    bounded, other = scored_names(result)
    c = int(result.get("n_channels", 3))
    rows = [(bounded, "")] + ([(other, metric_info(other[0], c).unit or "score")] if other else [])
    heights = [max(1, len(names)) for names, _ in rows]
    axes = _stacked_axes(heights, 0.28 if other else 0.1)
    data: list[dict[str, Any]] = []
    for i, (names, unit) in enumerate(rows, start=1):
        traces, xaxis = _score_panel(result, names, i, unit)
        data += traces
        _merge(axes["xaxis" if i == 1 else f"xaxis{i}"], xaxis)
    return _figure(data, _layout("Drift scores", axes, {
        "height": max(300, 150 + 40 * sum(heights) + 70 * (len(rows) - 1)), "bargap": 0.35,
        "margin": {"l": 10, "r": 44, "t": 56, "b": 56}}))


# ----------------------------------------------------------------------------------------- text


def seq_length_figure(ref: Mapping[str, Any], new: Mapping[str, Any],
                      contributors: Sequence[Mapping[str, Any]] = ()) -> go.Figure:
    """Overlaid sequence-length histograms of both sides on the same display bins (share of items);
    the length ranges of ``contributors`` (the scored bins that moved most) shaded and numbered."""
    edges, r, n = display_bins(ref["seq_length_hist"], new["seq_length_hist"], ref["seq_length_edges"])
    centers = (edges[:-1] + edges[1:]) / 2
    widths = np.diff(edges)
    data, means = [], []
    for name, counts, color, mean in (
        ("reference", r, REF_COLOR, ref["seq_length_mean"]),
        ("new", n, NEW_COLOR, new["seq_length_mean"]),
    ):
        data.append({
            "type": "bar",
            "name": f"{name} (mean {mean:.0f})",
            "x": centers,
            "y": _shares(counts),
            "width": widths,
            "marker": {"color": color, "line": {"width": 0}},
            "opacity": 0.6,
            "customdata": np.stack([edges[:-1], edges[1:], counts], axis=-1),
            "hovertemplate": (
                f"{name}: %{{y:.1f}}% of sequences<br>length %{{customdata[0]:.0f}}-%{{customdata[1]:.0f}}"
                "<br>%{customdata[2]} sequences<extra></extra>"
            ),
        })
        means.append(_vline(mean, line={"color": color, "dash": "dash", "width": 2}))
    shapes, notes = _mark_ranges(contributors, float(edges[-1]), inclusive=True)
    return _figure(data, _layout("Sequence length", {
        "barmode": "overlay", "bargap": 0, "shapes": means + shapes, "annotations": notes,
        "xaxis": {"title": {"text": "tokens per sequence"}},
        "yaxis": {"title": {"text": "% of sequences"}, "ticksuffix": "%"}}))


def _token_text(token: Any) -> str:
    return f"#{token}" if isinstance(token, int) else str(token)


def _contributor_token(label: str) -> str | None:
    """The token a token contributor names, as the chart writes it (``token 17`` -> ``#17``)."""
    if label.startswith("token ") and label[6:].isdigit():
        return f"#{label[6:]}"
    if len(label) >= 2 and label[0] == label[-1] and label[0] in "'\"":
        return label[1:-1]
    return None  # "other tokens": not a bar


def token_changes_figure(ref: Mapping[str, Any], new: Mapping[str, Any], k: int = 15,
                         contributors: Sequence[Mapping[str, Any]] = ()) -> go.Figure:
    """The ``k`` tokens (of the pooled top-100 that token_freq_js uses) whose share changed the most.

    Bars show the change in percentage points (new share - reference share); blue = more common in
    the new data, grey = less common. Token ids are written ``#id``. Numbers from
    :func:`drift_core.token_share_changes`. The tokens of ``contributors`` (those carrying most of
    ``token_freq_js``) are always shown, outlined and numbered ``#1``, ``#2``, ...
    """
    changes = token_share_changes(dict(ref), dict(new), 100)
    marked = {t: rank for rank, c in enumerate(contributors, start=1)
              if (t := _contributor_token(str(c["label"]))) is not None}
    shown = changes[:k] + [c for c in changes[k:] if _token_text(c["token"]) in marked]
    biggest = sorted(shown, key=lambda c: c["new_share"] - c["ref_share"])
    tokens = [_token_text(c["token"]) for c in biggest]
    ranks = [marked.get(t) for t in tokens]
    values = [100 * (c["new_share"] - c["ref_share"]) for c in biggest]
    bars = {
        "type": "bar",
        "name": "change",
        "x": values,
        "y": tokens,
        "orientation": "h",
        "marker": {"color": [NEW_COLOR if v > 0 else REF_COLOR for v in values],
                   "line": {"color": HIGHLIGHT_COLOR, "width": [2.5 if r else 0 for r in ranks]}},
        "text": [f"#{r}" if r else "" for r in ranks], "textposition": "outside", "cliponaxis": False,
        "customdata": [[100 * c["ref_share"], 100 * c["new_share"]] for c in biggest],
        "hovertemplate": (
            "%{y}: %{customdata[0]:.2f}% -> %{customdata[1]:.2f}% of tokens (%{x:+.2f} points)<extra></extra>"
        ),
        "showlegend": False,
    }
    # a fixed scale: +/-0.3 points of noise must look small, not fill the chart like real drift
    span = max(TOKEN_SCALE_POINTS, 1.1 * max((abs(v) for v in values), default=0.0))
    scale = {
        "text": f"fixed scale: ±{span:.0f} points" + (" (widened to fit)" if span > TOKEN_SCALE_POINTS else ""),
        "x": 1.0, "y": -0.02, "xref": "paper", "yref": "paper", "xanchor": "right", "yanchor": "top",
        "showarrow": False, "font": {"size": 11, "color": INFO_COLOR},
    }
    return _figure([bars], _layout("Largest changes in token frequency", {
        "height": max(300, 80 + 22 * len(biggest)), "annotations": [scale],
        "margin": {"l": 10, "r": 10, "t": 56, "b": 70},
        "xaxis": {"title": {"text": "change in share of all tokens (percentage points)"}, "zeroline": True,
                  "zerolinecolor": "#555", "zerolinewidth": 1, "range": [-span, span]},
        "yaxis": {"type": "category"}}))


# --------------------------------------------------------------------------------------- vision


def _channel_colors(n_channels: int) -> list[str]:
    if n_channels == 1:
        return [CHANNEL_COLORS[-1]]
    return [CHANNEL_COLORS[c] if c < len(CHANNEL_COLORS) else INFO_COLOR for c in range(n_channels)]


def scored_bins(ref_counts: Sequence[int], new_counts: Sequence[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The coarse bins a [0, 1] histogram pair was scored on (``drift_core.histograms.unit_coarse_bins``):
    ``(edges, ref counts, new counts)``."""
    groups, edges = unit_coarse_bins(ref_counts, new_counts)
    return edges, coarsen(ref_counts, groups), coarsen(new_counts, groups)


def _density_trace(edges: np.ndarray, counts: np.ndarray, name: str, color: str, dash: str,
                   unit: str, legendgroup: str, showlegend: bool = True) -> dict[str, Any]:
    """A step line of % of images per 0.01 on unequal bins (area = share of images)."""
    share = _shares(counts)
    density = share / (np.diff(edges) * 100)
    x = np.repeat(edges, 2)[1:-1]
    y = np.repeat(density, 2)
    lows, highs = np.repeat(edges[:-1], 2), np.repeat(edges[1:], 2)
    return {
        "type": "scatter", "name": name, "x": x, "y": y, "mode": "lines",
        "line": {"color": color, "dash": dash, "width": 2.5 if dash == "solid" else 2},
        "legendgroup": legendgroup, "showlegend": showlegend,
        "customdata": np.stack([lows, highs, np.repeat(share, 2), np.repeat(counts, 2)], axis=-1),
        "hovertemplate": (f"{name}<br>{unit} %{{customdata[0]:.2f}}-%{{customdata[1]:.2f}}: "
                          "%{customdata[2]:.1f}% of images (%{customdata[3]})<extra></extra>"),
    }


def channel_means_figure(ref: Mapping[str, Any], new: Mapping[str, Any],
                         contributors: Sequence[Sequence[Mapping[str, Any]]] = ()) -> go.Figure:
    """Histograms of the per-image mean of each channel, reference dashed and new solid, on the
    coarse bins the channel JS scores were computed on (what is scored, not the pixel spread).
    ``contributors[c]``: channel c's top contributors; the first is shaded in the channel's colour."""
    c = int(ref["n_channels"])
    colors = _channel_colors(c)
    data, shapes, notes = [], [], []
    for i in range(c):
        edges, r, n = scored_bins(ref["channel_mean_hist"][i], new["channel_mean_hist"][i])
        name = channel_name(i, c)
        data.append(_density_trace(edges, r, f"{name}, reference", colors[i], "dot", "mean", name, True))
        data.append(_density_trace(edges, n, f"{name}, new", colors[i], "solid", "mean", name, True))
        if i < len(contributors):
            s, a = _mark_ranges(contributors[i][:1], 1.0, inclusive=False, color=colors[i], prefix=f"{name} ", line=i)
            shapes += s
            notes += a
    return _figure(data, _layout("Per-image channel means (bins as scored)", {
        "shapes": shapes, "annotations": notes,
        "xaxis": {"title": {"text": "mean value of the channel in one image (0-1)"}},
        "yaxis": {"title": {"text": "% of images per 0.01"}, "rangemode": "tozero"},
        "legend": {"orientation": "h", "y": -0.25, "yanchor": "top", "x": 0, "xanchor": "left"},
        "height": 380, "margin": {"l": 10, "r": 10, "t": 56, "b": 10}}))


def brightness_figure(ref: Mapping[str, Any], new: Mapping[str, Any],
                      contributors: Sequence[Mapping[str, Any]] = ()) -> go.Figure:
    """Histogram of per-image brightness, reference vs new, on the bins ``brightness_js`` scored;
    the ranges of ``contributors`` (the bins that moved most) shaded and numbered."""
    edges, r, n = scored_bins(ref["brightness_fine_hist"], new["brightness_fine_hist"])
    data = [
        _density_trace(edges, r, f"reference (mean {ref['brightness_mean']:.2f})", REF_COLOR, "dot",
                       "brightness", "reference"),
        _density_trace(edges, n, f"new (mean {new['brightness_mean']:.2f})", NEW_COLOR, "solid",
                       "brightness", "new"),
    ]
    shapes, notes = _mark_ranges(contributors, 1.0, inclusive=False)
    return _figure(data, _layout("Image brightness (bins as scored)", {
        "shapes": shapes, "annotations": notes,
        "xaxis": {"title": {"text": "mean brightness of the image (0 = black, 1 = white)"}},
        "yaxis": {"title": {"text": "% of images per 0.01"}, "rangemode": "tozero"}}))


# -------------------------------------------------------------------------------------- outputs


def prediction_figure(ref: Mapping[str, Any], new: Mapping[str, Any],
                      contributors: Sequence[Mapping[str, Any]] = ()) -> go.Figure:
    """Share of items per predicted class, reference vs new (the shorter side padded with zeros);
    the classes of ``contributors`` (those carrying most of ``prediction_js``) outlined on both
    sides, and the new bar numbered ``#1``, ``#2``, ..."""
    k = max(len(ref["prediction_hist"]), len(new["prediction_hist"]))
    labels = [str(i) for i in range(k)]
    rank = {str(c["label"]).removeprefix("class "): r for r, c in enumerate(contributors, start=1)}
    data = []
    for side, profile, color in (("reference", ref, REF_COLOR), ("new", new, NEW_COLOR)):
        counts = pad_to(profile["prediction_hist"], k)
        data.append({
            "type": "bar",
            "name": side,
            "x": labels,
            "y": _shares(counts),
            "marker": {"color": color,
                       "line": {"color": HIGHLIGHT_COLOR, "width": [2.5 if x in rank else 0 for x in labels]}},
            "text": [f"#{rank[x]}" if x in rank and side == "new" else "" for x in labels],
            "textposition": "outside", "cliponaxis": False,
            "customdata": counts,
            "hovertemplate": f"{side}, class %{{x}}: %{{y:.1f}}% (%{{customdata}})<extra></extra>",
        })
    return _figure(data, _layout("Predicted classes", {
        "barmode": "group", "bargap": 0.3,
        "xaxis": {"type": "category", "title": {"text": "predicted class"}},
        "yaxis": {"title": {"text": "% of predictions"}, "ticksuffix": "%"}}))


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
    ordered = sorted(points, key=lambda p: p.when)
    data: list[dict[str, Any]] = []
    if ordered:
        data.append({
            "type": "scatter",
            "name": "worst score",
            "x": [p.when for p in ordered],
            "y": [p.max_drift for p in ordered],
            "mode": "lines",
            "line": {"color": "#c5cbd6", "width": 1.5},
            "hoverinfo": "skip",
            "showlegend": False,
        })
    for status in ("ok", "warn", "alert"):
        pts = [p for p in ordered if p.status == status]
        if not pts:
            continue
        data.append({
            "type": "scatter",
            "name": f"{STATUS_ICONS[status]} {status}",
            "x": [p.when for p in pts],
            "y": [p.max_drift for p in pts],
            "mode": "markers",
            "marker": {"color": STATUS_COLORS[status], "size": 12, "line": {"color": "white", "width": 1}},
            "customdata": [[p.label, p.worst_metric] for p in pts],
            "hovertemplate": (
                "%{customdata[0]}<br>%{x}<br>worst score %{y:.3f} (%{customdata[1]})"
                f"<br>status: {status}<extra></extra>"
            ),
        })
    layout = _layout("History: comparisons against this reference",
                     {"yaxis": {"title": {"text": "worst drift score"}, "rangemode": "tozero"}})
    if not ordered:
        layout["annotations"] = [_no_data("No recorded comparisons yet")]
    return _figure(data, layout)


@dataclass(frozen=True)
class MetricPoint:
    """One metric of one comparison in the history, judged by the thresholds in force now."""

    x: str  # the category on the x axis: run name and date
    when: str
    metric: str
    label: str
    score: float
    status: str  # ok / warn / alert, or "noise" (crossed the line, within sampling noise)
    current: bool  # the batch on screen


METRIC_LINE_COLORS = ("#1f5fbf", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#17becf", "#e377c2", "#7f7f7f")


def rejudge(score: float, p_value: float | None, pair: tuple[float, float], alpha: float) -> str:
    """A recorded score's status under ``pair`` and ``alpha`` (its recorded adjusted p-value kept).

    Examples
    --------
    >>> rejudge(0.15, 0.001, (0.1, 0.2), 0.01), rejudge(0.15, 0.3, (0.1, 0.2), 0.01), rejudge(0.05, 0.3, (0.1, 0.2), 0.01)
    ('warn', 'noise', 'ok')
    """
    crossed = classify(score, *pair)
    if crossed == "ok":
        return "ok"
    return crossed if p_value is None or p_value < alpha else "noise"


def metric_history(
    comparisons: Sequence[Mapping[str, Any]], thresholds: Mapping[str, tuple[float, float]], alpha: float,
    current_run_id: int | None = None, current: tuple[str, Mapping[str, Any]] | None = None,
) -> list[MetricPoint]:
    """Points of every thresholded metric of every recorded comparison (the newest record per new
    run: no duplicates), oldest first, statuses recomputed with ``thresholds`` and ``alpha``.

    ``current`` (name, result) adds the batch on screen when it is not a recorded run.
    """
    seen: dict[Any, Mapping[str, Any]] = {}
    for c in sorted(comparisons, key=lambda c: str(c["created_at"])):
        seen[c.get("new_run_id", c.get("new_name"))] = c  # a later record of the same run replaces it
    rows = [(str(c["created_at"]), str(c.get("new_name", c.get("new_run_id", ""))), c.get("result") or {},
             c.get("new_run_id") == current_run_id and current_run_id is not None) for c in seen.values()]
    if current is not None and not any(r[3] for r in rows):
        rows.append(("9999 now", f"{current[0]} (this batch, not saved)", current[1], True))
    points = []
    for when, name, result, is_current in sorted(rows, key=lambda r: r[0]):
        x = f"{name}<br>{when[:10]}" if not when.startswith("9999") else name
        metrics = result.get("metrics", {})
        for metric, pair in thresholds.items():
            score = result.get("drift_scores", {}).get(metric)
            if score is None:
                continue
            d = metrics.get(metric, {})
            p = d.get("p_adjusted", d.get("p_value"))
            points.append(MetricPoint(x, when, metric, metric_label(result, metric), float(score),
                                      rejudge(float(score), p, pair, alpha), is_current))
    return points


def metric_history_figure(points: Sequence[MetricPoint], thresholds: Mapping[str, tuple[float, float]]) -> go.Figure:
    """One line per thresholded metric over the recorded comparisons (oldest left), markers coloured by
    the status under today's thresholds, the warn..alert band, and the batch on screen highlighted."""
    title = "History: comparisons against this reference"
    if not points:
        return _figure([], _layout(title, {
            "height": 380, "annotations": [_no_data("No recorded comparisons yet: save or record one to start the history")],
            "xaxis": {"visible": False}, "yaxis": {"visible": False}}))
    xs = list(dict.fromkeys(p.x for p in points))
    current = [i for i, x in enumerate(xs) if any(p.current and p.x == x for p in points)]
    shapes = [_vrect(i - 0.45, i + 0.45, fillcolor="#2f5fd0", opacity=0.08, line={"width": 0}) for i in current]
    notes = [{"x": xs[i], "y": 1.0, "yref": "paper", "text": "this batch", "showarrow": False, "yanchor": "bottom",
              "font": {"size": 12, "color": NEW_COLOR}} for i in current]
    yaxis: dict[str, Any] = {}
    pairs = {tuple(thresholds[p.metric]) for p in points}
    if len(pairs) == 1:
        warn, alert = next(iter(pairs))
        top = max(alert * 1.5, max(p.score for p in points) * 1.1)
        shapes += [
            _hrect(warn, alert, fillcolor=STATUS_COLORS["warn"], opacity=0.12, line={"width": 0}),
            _hrect(alert, top, fillcolor=STATUS_COLORS["alert"], opacity=0.07, line={"width": 0}),
            _hline(warn, line={"color": STATUS_COLORS["warn"], "width": 1, "dash": "dash"}),
            _hline(alert, line={"color": STATUS_COLORS["alert"], "width": 1, "dash": "dash"}),
        ]
        yaxis["range"] = [0, top]
    data = []
    for k, metric in enumerate(dict.fromkeys(p.metric for p in points)):
        pts = [p for p in points if p.metric == metric]
        data.append({
            "type": "scatter", "name": pts[0].label, "x": [p.x for p in pts], "y": [p.score for p in pts],
            "mode": "lines+markers", "line": {"color": METRIC_LINE_COLORS[k % len(METRIC_LINE_COLORS)], "width": 2},
            "marker": {"color": [STATUS_COLORS.get(p.status, NOISE_COLOR) for p in pts], "size": 10,
                       "line": {"color": "white", "width": 1}},
            "customdata": [STATUS_WORDS.get(p.status, p.status) for p in pts],
            "hovertemplate": f"{pts[0].label}: %{{y:.3f}}<br>%{{x}}<br>%{{customdata}}<extra></extra>",
        })
    return _figure(data, _layout(title, {
        "shapes": shapes, "annotations": notes,
        "xaxis": {"type": "category", "categoryorder": "array", "categoryarray": xs, "tickangle": 0,
                  "tickfont": {"size": 10}},
        "yaxis": {**yaxis, "title": {"text": "score"}, "rangemode": "tozero"},
        "legend": {"orientation": "h", "y": -0.3, "yanchor": "top", "x": 0, "xanchor": "left"},
        "margin": {"l": 10, "r": 10, "t": 56, "b": 10}, "height": 420}))


# ---------------------------------------------------------------------------------- all figures


def comparison_figures(
    result: Mapping[str, Any], ref: Mapping[str, Any], new: Mapping[str, Any]
) -> dict[str, go.Figure]:
    """Every figure for one comparison, keyed by a short id, in the order the views show them."""
    figs: dict[str, go.Figure] = {"scores": drift_scores_figure(result)}
    inputs = {ref["modality"], new["modality"]}  # an outputs profile has no input charts
    if inputs == {"text"}:
        figs["seq_length"] = seq_length_figure(ref, new, top_contributors(result, "seq_length_js"))
        figs["tokens"] = token_changes_figure(ref, new, contributors=top_contributors(result, "token_freq_js"))
    elif inputs == {"vision"}:
        by_channel = [top_contributors(result, f"channel_{c}_mean_js", 1) for c in range(int(ref["n_channels"]))]
        figs["channels"] = channel_means_figure(ref, new, by_channel)
        figs["brightness"] = brightness_figure(ref, new, top_contributors(result, "brightness_js"))
    if "prediction_hist" in ref and "prediction_hist" in new:
        figs["predictions"] = prediction_figure(ref, new, top_contributors(result, "prediction_js"))
    return figs
