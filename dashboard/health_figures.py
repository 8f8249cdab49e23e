"""Plotly figure of the text-health scores (truncation, new vocabulary, unknown / padding tokens).

Pure, like ``dashboard.figures``: two profiles and a comparison result in, a ``go.Figure`` out.
The shares come from ``drift_core.text_health.health_rows``; this module only draws them: one row
per health score, the reference's share (grey) and the new data's (coloured by the metric's
status), and for the new-vocabulary rows the share the reference predicts from its own rare
tokens (a black tick: under no drift the new bar ends near it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go

from dashboard.figures import NEW_COLOR, REF_COLOR, _figure, _layout, status_color
from drift_core.text_health import health_rows


def text_health_figure(result: Mapping[str, Any], ref: dict[str, Any], new: dict[str, Any]) -> go.Figure | None:
    """Grouped horizontal bars of the health shares (percent), or ``None`` when the profiles have none."""
    rows = health_rows(ref, new)
    if not rows:
        return None
    metrics = result.get("metrics", {})
    labels = [f"{r['what'][:1].upper()}{r['what'][1:]}" for r in rows][::-1]
    ordered = rows[::-1]
    status = [metrics.get(r["metric"], {}).get("status") for r in ordered]
    data: list[dict[str, Any]] = [{
        "type": "bar", "y": labels, "x": [100 * r["ref"] for r in ordered], "orientation": "h", "name": "reference",
        "marker": {"color": REF_COLOR}, "hovertemplate": "reference: %{x:.2f}%<extra></extra>",
    }, {
        "type": "bar", "y": labels, "x": [100 * r["new"] for r in ordered], "orientation": "h", "name": "new data",
        "marker": {"color": [status_color(s) if s in ("warn", "alert") else NEW_COLOR for s in status]},
        "customdata": [[s or "informational", metrics.get(r["metric"], {}).get("summary", "")]
                       for s, r in zip(status, ordered, strict=True)],
        "text": [f"{100 * r['new']:.1f}%" for r in ordered], "textposition": "outside",
        "hovertemplate": "new: %{x:.2f}% (%{customdata[0]})<br>%{customdata[1]}<extra></extra>",
    }]
    exp = [(lab, 100 * r["expected"]) for lab, r in zip(labels, ordered, strict=True) if r["expected"] is not None]
    if exp:
        data.append({
            "type": "scatter", "y": [e[0] for e in exp], "x": [e[1] for e in exp], "mode": "markers",
            "name": "expected from the reference",
            "marker": {"symbol": "line-ns-open", "size": 22, "line": {"width": 3}, "color": "black"},
            "hovertemplate": "expected under no drift: %{x:.2f}%<extra></extra>",
        })
    top = max([100 * max(r["ref"], r["new"], r["expected"] or 0.0) for r in rows] + [1.0])
    return _figure(data, _layout("Text health: truncation, new vocabulary, special tokens", {
        "height": max(300, 120 + 62 * len(rows)), "barmode": "group",
        "xaxis": {"title": {"text": "% of sequences / tokens"}, "range": [0, top * 1.18]}}))
