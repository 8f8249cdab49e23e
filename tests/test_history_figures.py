"""The history rule's chart, through fig.data and its shapes (a pure function)."""

from __future__ import annotations

from dashboard.history_figures import history_evidence_figure
from drift_core.history import history_verdict


def test_evidence_chart_draws_evidence_cusum_alarm_level_and_change_point() -> None:
    v = history_verdict([0.5, 0.6, 0.01, 0.01, 0.01, 0.002], batches=[{"status": s, "new_name": f"d{i}"} for i, s in
                                                                      enumerate(["ok", "ok", "ok", "ok", "warn", "alert"])])
    fig = history_evidence_figure(v)
    bars, cusum, alarm = fig.data
    assert list(bars.x) == [1, 2, 3, 4, 5, 6] and list(cusum.y) == [p.cusum for p in v.points]
    assert bars.marker.color[-1] != bars.marker.color[0]  # coloured by the per-batch status
    assert list(alarm.x) == [v.alarm_at]
    texts = [a.text for a in fig.layout.annotations]
    assert f"drifting since batch {v.since}" in texts and any(t.startswith("alarm level h") for t in texts)
    assert fig.layout.title.text.startswith("History rule: drifting for")


def test_a_stable_history_has_no_change_point_and_an_empty_one_says_so() -> None:
    fig = history_evidence_figure(history_verdict([0.5, 0.4]).as_dict())
    assert len(fig.data) == 2 and not any("since" in a.text for a in fig.layout.annotations)
    empty = history_evidence_figure(history_verdict([]))
    assert empty.data == () and empty.layout.annotations[0].text == "No recorded comparisons yet"


def test_the_alarm_level_and_change_point_are_labelled_where_plotly_labels_them() -> None:
    """Their labels are what ``add_hline`` / ``add_vline`` write for ``annotation_position`` top
    left / top right (the figure is built from dicts, in one go)."""
    import plotly.graph_objects as go

    v = history_verdict([0.5, 0.6, 0.01, 0.01, 0.01, 0.002])
    fig = history_evidence_figure(v)
    red = {"color": "#c62828", "width": 1.5}
    stepwise = go.Figure()
    stepwise.add_hline(y=v.threshold, line={**red, "dash": "dash"}, annotation_text=f"alarm level h = {v.threshold:.1f}",
                       annotation_position="top left")
    stepwise.add_vrect(x0=v.since - 0.5, x1=len(v.points) + 0.5, fillcolor="rgba(198, 40, 40, 0.08)", line_width=0,
                       layer="below")
    stepwise.add_vline(x=v.since - 0.5, line=red, annotation_text=f"drifting since batch {v.since}",
                       annotation_position="top right")
    assert [s.to_plotly_json() for s in fig.layout.shapes] == [s.to_plotly_json() for s in stepwise.layout.shapes]
    assert [a.to_plotly_json() for a in fig.layout.annotations] == [a.to_plotly_json() for a in stepwise.layout.annotations]
