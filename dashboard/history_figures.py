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

from .figures import INFO_COLOR, STATUS_COLORS, _figure

CUSUM_COLOR = "#2f5fd0"
DRIFT_BAND = "rgba(198, 40, 40, 0.08)"


def history_evidence_figure(verdict: HistoryVerdict | Mapping[str, Any]) -> go.Figure:
    """Bars: each batch's evidence ``-ln p_t`` (coloured by its per-batch status); line: the CUSUM
    ``S_t``; dashed: the alarm level ``h``; shaded from the change point while drifting (and over
    every past alarm episode), with the alarm batch marked."""
    v = verdict.as_dict() if isinstance(verdict, HistoryVerdict) else dict(verdict)
    points = v["points"]
    fig = _figure(f"History rule: {v['summary']}" if points else "History rule")
    if not points:
        fig.add_annotation(text="No recorded comparisons yet", showarrow=False, x=0.5, y=0.5, xref="paper",
                           yref="paper", font={"size": 14, "color": INFO_COLOR})
        return fig
    x = [p["batch"] for p in points]
    names = [p["new_name"] or f"batch {p['batch']}" for p in points]
    fig.add_trace(go.Bar(
        name="evidence -ln p", x=x, y=[min(abs(p["evidence"]), 2 * v["threshold"]) for p in points],
        marker={"color": [STATUS_COLORS.get(p["status"] or "", INFO_COLOR) for p in points]}, opacity=0.55,
        customdata=[[n, p["p_value"], p["metric"] or "-", p["status"] or "-"] for n, p in zip(names, points, strict=True)],
        hovertemplate="%{customdata[0]}<br>p = %{customdata[1]:.2g} (%{customdata[2]})<br>"
                      "per-batch status: %{customdata[3]}<extra></extra>",
    ))
    fig.add_trace(go.Scatter(
        name="CUSUM S", x=x, y=[p["cusum"] for p in points], mode="lines+markers",
        line={"color": CUSUM_COLOR, "width": 2}, hovertemplate="batch %{x}: S = %{y:.2f}<extra></extra>",
    ))
    fig.add_hline(y=v["threshold"], line={"color": STATUS_COLORS["alert"], "dash": "dash", "width": 1.5},
                  annotation_text=f"alarm level h = {v['threshold']:.1f}", annotation_position="top left")
    for since, alarm, last in v["episodes"]:
        fig.add_vrect(x0=since - 0.5, x1=last + 0.5, fillcolor=DRIFT_BAND, line_width=0, layer="below")
        fig.add_vline(x=since - 0.5, line={"color": STATUS_COLORS["alert"], "width": 1.5},
                      annotation_text=f"drifting since batch {since}", annotation_position="top right")
        fig.add_trace(go.Scatter(
            name="alarm", x=[alarm], y=[points[alarm - 1]["cusum"]], mode="markers", showlegend=False,
            marker={"symbol": "x", "size": 13, "color": STATUS_COLORS["alert"]},
            hovertemplate=f"alarm at batch {alarm}<extra></extra>",
        ))
    fig.update_xaxes(title_text="batch (oldest first)", dtick=max(1, len(points) // 12))
    fig.update_yaxes(title_text="evidence -ln p, CUSUM S", rangemode="tozero")
    fig.update_layout(barmode="overlay")
    return fig
