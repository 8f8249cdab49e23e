"""Image-quality figures: pixel values, clipped pixels, sharpness and image sizes, reference vs new.

Pure, like ``figures.py``: two vision profiles in, ``plotly.graph_objects.Figure`` out; the numbers
come from ``drift_core.image_quality``. Profiles written before the quality statistics existed have
none: :func:`quality_figures` then returns no figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import plotly.graph_objects as go

from drift_core.image_quality import (
    PIXEL_BINS,
    clipped_share,
    has_quality,
    median_sharpness,
    pixel_value_shares,
    sharpness_edges,
    size_label,
)
from drift_core.vision import channel_name

from .figures import CHANNEL_COLORS, NEW_COLOR, REF_COLOR, _figure, _layout

#: Legends with several entries go under the plot (a legend at the top runs into the title).
_LEGEND_BELOW: dict[str, Any] = {"legend": {"orientation": "h", "y": -0.25, "yanchor": "top", "x": 0, "xanchor": "left"},
                                 "height": 400}
#: Fine sharpness bins (20 per decade) merged into display bins of a quarter decade.
SHARPNESS_DISPLAY_MERGE = 5


def _colors(c: int) -> list[str]:
    return [CHANNEL_COLORS[-1]] if c == 1 else [CHANNEL_COLORS[i % len(CHANNEL_COLORS)] for i in range(c)]


def pixel_values_figure(ref: Mapping[str, Any], new: Mapping[str, Any]) -> go.Figure:
    """Per channel, the mean per-image share of values in each of the 16 bins: reference dotted, new solid."""
    r, n = pixel_value_shares(dict(ref)), pixel_value_shares(dict(new))
    c = r.shape[0]
    centres = (np.arange(PIXEL_BINS) + 0.5) / PIXEL_BINS
    data = []
    for i, color in enumerate(_colors(c)):
        name = channel_name(i, c)
        for side, shares, dash in (("reference", r[i], "dot"), ("new", n[i], "solid")):
            data.append({
                "type": "scatter", "name": f"{name}, {side}", "x": centres, "y": shares * 100, "mode": "lines+markers",
                "legendgroup": name, "line": {"color": color, "dash": dash, "width": 2.5 if dash == "solid" else 2},
                "hovertemplate": f"{name}, {side}<br>values %{{x:.3f}} +- 0.031: %{{y:.1f}}% of pixels<extra></extra>",
            })
    return _figure(data, _layout("Pixel values (16 bins, mean share per image)", {
        "xaxis": {"title": {"text": "pixel value (0 = black, 1 = full intensity)"}, "range": [0, 1]},
        "yaxis": {"title": {"text": "% of the image's pixels"}, "rangemode": "tozero"}}, _LEGEND_BELOW))


def clipped_figure(ref: Mapping[str, Any], new: Mapping[str, Any]) -> go.Figure:
    """The share of values at exactly 0 and exactly 1 (mean over images), reference vs new."""
    where = ["at 0 (black)", "at 1 (white)"]
    data = []
    for side, p, color in (("reference", ref, REF_COLOR), ("new", new, NEW_COLOR)):
        low, high = clipped_share(dict(p))
        data.append({"type": "bar", "name": f"{side} ({low + high:.1%} clipped)", "x": where,
                     "y": [low * 100, high * 100], "marker": {"color": color},
                     "text": [f"{low:.1%}", f"{high:.1%}"], "textposition": "outside",
                     "hovertemplate": f"{side}<br>%{{x}}: %{{y:.2f}}% of pixel values<extra></extra>"})
    return _figure(data, _layout("Clipped pixels (values at exactly 0 or 1)", {
        "barmode": "group", "height": 400,
        "yaxis": {"title": {"text": "% of pixel values (mean over images)"}, "rangemode": "tozero"}}))


def _sharpness_display(hist: Any) -> tuple[np.ndarray, np.ndarray]:
    """(left edges, % of images) on display bins of SHARPNESS_DISPLAY_MERGE fine bins (flat images dropped)."""
    h = np.asarray(hist, dtype=np.float64)
    total = h.sum()
    body = h[1:]  # bin 0 is "flat" (sharpness < 1e-7): not on a log axis
    k = len(body) // SHARPNESS_DISPLAY_MERGE * SHARPNESS_DISPLAY_MERGE
    merged = np.add.reduceat(body[:k], np.arange(0, k, SHARPNESS_DISPLAY_MERGE))
    merged[-1] += body[k:].sum()
    edges = np.asarray(sharpness_edges()[1:])[np.arange(0, k, SHARPNESS_DISPLAY_MERGE)]
    return edges, merged / total * 100 if total > 0 else merged


def sharpness_figure(ref: Mapping[str, Any], new: Mapping[str, Any]) -> go.Figure:
    """Per-image sharpness (variance of the Laplacian) on a log axis, reference dotted, new solid;
    the medians in the legend."""
    data, lows = [], []
    for side, p, color, dash in (("reference", ref, REF_COLOR, "dot"), ("new", new, NEW_COLOR, "solid")):
        edges, share = _sharpness_display(p["sharpness_hist"])
        occupied = np.flatnonzero(share)
        lows.append(occupied)
        flat = p["sharpness_hist"][0]
        extra = f", {flat} flat" if flat else ""
        data.append({
            "type": "scatter", "name": f"{side} (median {median_sharpness(dict(p)):.2g}{extra})", "x": edges,
            "y": share, "mode": "lines",
            "line": {"color": color, "dash": dash, "width": 2.5 if dash == "solid" else 2, "shape": "hv"},
            "hovertemplate": f"{side}<br>sharpness from %{{x:.2g}}: %{{y:.1f}}% of images<extra></extra>",
        })
    xaxis: dict[str, Any] = {}
    occupied = np.concatenate(lows)
    if len(occupied):  # zoom on the occupied decades
        e = np.asarray(sharpness_edges()[1:])[::SHARPNESS_DISPLAY_MERGE]
        lo, hi = e[max(int(occupied.min()) - 1, 0)], e[min(int(occupied.max()) + 2, len(e) - 1)]
        xaxis["range"] = [np.log10(lo), np.log10(hi)]
    xaxis.update({"type": "log", "exponentformat": "power",
                  "title": {"text": "sharpness (lower = blurrier; [0, 1] grey levels)"}})
    return _figure(data, _layout("Sharpness (variance of the Laplacian, per image)", {
        "xaxis": xaxis, "yaxis": {"title": {"text": "% of images"}, "rangemode": "tozero"}}, _LEGEND_BELOW))


def _size_bars(hist: Any) -> tuple[list[str], np.ndarray]:
    h = np.asarray(hist, dtype=np.float64)
    idx = np.flatnonzero(h)
    return [size_label(int(i)) for i in idx], h[idx] / h.sum() * 100


def image_size_figure(ref: Mapping[str, Any], new: Mapping[str, Any]) -> go.Figure:
    """Image heights and widths, reference vs new (% of images per size in pixels)."""
    data = []
    for dim, pattern in (("height", ""), ("width", "/")):
        for side, p, color in (("reference", ref, REF_COLOR), ("new", new, NEW_COLOR)):
            labels, share = _size_bars(p[f"{dim}_hist"])
            data.append({"type": "bar", "name": f"{dim}, {side}", "x": [f"{dim} {x}" for x in labels], "y": share,
                         "marker": {"color": color, "pattern": {"shape": pattern}},
                         "hovertemplate": f"{side}<br>%{{x}} px: %{{y:.1f}}% of images<extra></extra>"})
    return _figure(data, _layout("Image sizes (pixels)", {
        "barmode": "group", "height": 400, "yaxis": {"title": {"text": "% of images"}, "rangemode": "tozero"}}))


def quality_figures(ref: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, go.Figure]:
    """The image-quality figures of a vision comparison, keyed by a short id; none when a profile
    has no quality statistics (written by an older Driftboard) or is not a vision profile."""
    if ref.get("modality") != "vision" or not (has_quality(dict(ref)) and has_quality(dict(new))):
        return {}
    return {
        "pixel_values": pixel_values_figure(ref, new),
        "clipped": clipped_figure(ref, new),
        "sharpness": sharpness_figure(ref, new),
        "sizes": image_size_figure(ref, new),
    }
