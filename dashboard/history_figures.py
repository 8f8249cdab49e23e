"""The history rule's chart: each batch's evidence, the CUSUM building up, the alarm level and the
change point. Pure: a ``drift_core.history.HistoryVerdict`` (or its ``as_dict()``) in, a figure out.

Wire it beside the history chart, e.g. in ``app_pages/compare.py``::

    from dashboard.history_figures import history_evidence_figure
    from drift_core.history import reference_history
    views.chart(history_evidence_figure(reference_history(db, ref_run["run_id"])), "cmp_fig_evidence")
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go

from drift_core.history import HistoryVerdict

from .figures import INFO_COLOR, STATUS_COLORS, _figure, _hline, _layout, _no_data, _vline, _vrect

CUSUM_COLOR = "#2f5fd0"
DRIFT_BAND = "rgba(198, 40, 40, 0.08)"


def history_evidence_figure(verdict: HistoryVerdict | Mapping[str, Any]) -> go.Figure:
    """Bars: each batch's evidence ``-ln p_t`` (coloured by its per-batch status); line: the CUSUM
    ``S_t``; dashed: the alarm level ``h``; shaded from the change point while drifting (and over
    every past alarm episode), with the alarm batch marked."""
    v = verdict.as_dict() if isinstance(verdict, HistoryVerdict) else dict(verdict)
    points = v["points"]
    if not points:
        return _figure([], _layout("History rule", {"annotations": [_no_data("No recorded comparisons yet")]}))
    x = [p["batch"] for p in points]
    names = [p["new_name"] or f"batch {p['batch']}" for p in points]
    alert = STATUS_COLORS["alert"]
    data: list[dict[str, Any]] = [{
        "type": "bar", "name": "evidence -ln p", "x": x,
        "y": [min(abs(p["evidence"]), 2 * v["threshold"]) for p in points],
        "marker": {"color": [STATUS_COLORS.get(p["status"] or "", INFO_COLOR) for p in points]}, "opacity": 0.55,
        "customdata": [[n, p["p_value"], p["metric"] or "-", p["status"] or "-"] for n, p in zip(names, points, strict=True)],
        "hovertemplate": "%{customdata[0]}<br>p = %{customdata[1]:.2g} (%{customdata[2]})<br>"
                         "per-batch status: %{customdata[3]}<extra></extra>",
    }, {
        "type": "scatter", "name": "CUSUM S", "x": x, "y": [p["cusum"] for p in points], "mode": "lines+markers",
        "line": {"color": CUSUM_COLOR, "width": 2}, "hovertemplate": "batch %{x}: S = %{y:.2f}<extra></extra>",
    }]
    # the alarm level, labelled at its top left (what add_hline(annotation_position="top left") writes)
    shapes = [_hline(v["threshold"], line={"color": alert, "dash": "dash", "width": 1.5})]
    notes = [{"text": f"alarm level h = {v['threshold']:.1f}", "showarrow": False, "x": 0, "xanchor": "left",
              "xref": "x domain", "y": v["threshold"], "yanchor": "bottom", "yref": "y"}]
    for since, alarm, last in v["episodes"]:
        shapes.append(_vrect(since - 0.5, last + 0.5, fillcolor=DRIFT_BAND, line={"width": 0}, layer="below"))
        shapes.append(_vline(since - 0.5, line={"color": alert, "width": 1.5}))
        notes.append({"text": f"drifting since batch {since}", "showarrow": False, "x": since - 0.5, "xanchor": "left",
                      "xref": "x", "y": 1, "yanchor": "top", "yref": "y domain"})
        data.append({
            "type": "scatter", "name": "alarm", "x": [alarm], "y": [points[alarm - 1]["cusum"]], "mode": "markers",
            "showlegend": False, "marker": {"symbol": "x", "size": 13, "color": alert},
            "hovertemplate": f"alarm at batch {alarm}<extra></extra>",
        })
    return _figure(data, _layout(f"History rule: {v['summary']}", {
        "shapes": shapes, "annotations": notes, "barmode": "overlay",
        "xaxis": {"title": {"text": "batch (oldest first)"}, "dtick": max(1, len(points) // 12)},
        "yaxis": {"title": {"text": "evidence -ln p, CUSUM S"}, "rangemode": "tozero"}}))
