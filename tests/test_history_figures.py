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
