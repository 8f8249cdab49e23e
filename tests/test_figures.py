"""Figures and the score table, checked through ``fig.data`` on profiles of the shipped samples."""

from __future__ import annotations

import numpy as np
import pytest

from dashboard.figures import (
    _LAYOUT,
    INFO_COLOR,
    NEW_COLOR,
    STATUS_COLORS,
    HistoryPoint,
    _figure,
    _hline,
    _hrect,
    _layout,
    _stacked_axes,
    _vline,
    _vrect,
    brightness_figure,
    channel_means_figure,
    comparison_figures,
    drift_scores_figure,
    history_figure,
    history_points,
    metric_history,
    metric_history_figure,
    prediction_figure,
    seq_length_figure,
    token_changes_figure,
)
from dashboard.tables import COLUMNS, score_table, status_text, styled_score_table
from drift_core import TaskSpec, compare_profiles, compute_dataset_profile
from drift_core.demo import demo_files
from drift_core.io import profile_file


@pytest.fixture(scope="module")
def profiles() -> dict[str, dict]:
    """Profiles of every shipped demo sample, with predictions."""
    return {
        name: profile_file(data, spec, sample_size=None, predictions_path=preds)
        for name, (data, preds, spec) in demo_files().items()
    }


@pytest.fixture(scope="module")
def text_result(profiles):
    return compare_profiles(profiles["text-reference"], profiles["text-batch-drifted"])


@pytest.fixture(scope="module")
def vision_result(profiles):
    return compare_profiles(profiles["vision-reference"], profiles["vision-batch-drifted"])


# ------------------------------------------------------------------------------ drift scores


def test_score_bars_are_the_scores_on_the_0_1_scale(text_result):
    fig = drift_scores_figure(text_result)
    bars = fig.data[0]
    expected = {n for n in text_result["drift_scores"]
                if n.endswith("_js") or n.endswith("_share") or n == "top_tokens_drift"}  # the [0, 1] scores
    labels = {text_result["metrics"][n]["label"]: n for n in expected}
    assert set(bars.y) == set(labels)
    for label, score in zip(bars.y, bars.x, strict=True):
        assert score == pytest.approx(text_result["drift_scores"][labels[label]])
    assert not any(n.endswith("_kl") for n in labels.values())


def test_score_bars_are_coloured_by_status(text_result):
    bars = drift_scores_figure(text_result).data[0]
    by_label = {d["label"]: d["status"] for d in text_result["metrics"].values()}
    for label, color in zip(bars.y, bars.marker.color, strict=True):
        assert color == STATUS_COLORS.get(by_label[label], INFO_COLOR)
    assert STATUS_COLORS["alert"] in bars.marker.color


def test_score_bars_carry_each_metrics_warn_and_alert_lines(text_result):
    fig = drift_scores_figure(text_result)
    lines = {t.name: t for t in fig.data[1:] if t.showlegend is not False}
    assert set(lines) == {"warn threshold", "alert threshold"}
    by_label = {d["label"]: d["threshold"] for d in text_result["metrics"].values()}
    for i, label in enumerate(fig.data[0].y):
        assert lines["warn threshold"].x[i] == by_label[label][0]
        assert lines["alert threshold"].x[i] == by_label[label][1]


def test_score_bars_follow_changed_thresholds(profiles):
    result = compare_profiles(
        profiles["text-reference"], profiles["text-batch-drifted"],
        thresholds={"seq_length_js": (0.7, 0.9)},
    )
    fig = drift_scores_figure(result)
    i = list(fig.data[0].y).index(result["metrics"]["seq_length_js"]["label"])
    lines = {t.name: t for t in fig.data[1:]}
    assert (lines["warn threshold"].x[i], lines["alert threshold"].x[i]) == (0.7, 0.9)
    assert fig.data[0].marker.color[i] == STATUS_COLORS["ok"]


def test_a_thresholded_kl_metric_is_drawn_on_its_own_axis(profiles):
    result = compare_profiles(profiles["text-reference"], profiles["text-batch-drifted"],
                              thresholds={"seq_length_kl": (1.0, 2.0)})
    fig = drift_scores_figure(result)
    kl_bars = [t for t in fig.data if t.name == "score" and "Sequence length (KL)" in t.y]
    assert len(kl_bars) == 1 and kl_bars[0].xaxis == "x2"
    assert fig.layout.xaxis2.title.text == "bits"


def test_value_labels_sit_right_of_the_bar_and_its_threshold_lines(text_result):
    fig = drift_scores_figure(text_result)
    (labels,) = [t for t in fig.data if t.name == "value"]
    by_label = {d["label"]: d for d in text_result["metrics"].values()}
    for y, x, text in zip(labels.y, labels.x, labels.text, strict=True):
        d = by_label[y]
        assert x > max(d["score"], *(d["threshold"] or (0, 0))) and text == f"{d['score']:.3f}"
    assert fig.layout.margin.b >= 50  # room for the axis title


# -------------------------------------------------------------------------------------- text


def test_length_histograms_share_their_bins_and_show_shares(profiles):
    ref, new = profiles["text-reference"], profiles["text-batch-drifted"]
    fig = seq_length_figure(ref, new)
    r, n = fig.data
    assert list(r.x) == list(n.x) and list(r.width) == list(n.width)
    assert sum(r.y) == pytest.approx(100) and sum(n.y) == pytest.approx(100)
    # the shift is visible: the new data's mass sits at longer lengths
    assert np.average(n.x, weights=n.y) > np.average(r.x, weights=r.y) + 10
    assert f"{ref['seq_length_mean']:.0f}" in r.name and f"{new['seq_length_mean']:.0f}" in n.name


def test_identical_length_histograms_overlap_exactly(profiles):
    ref = profiles["text-reference"]
    r, n = seq_length_figure(ref, ref).data
    assert list(r.y) == list(n.y)


def test_token_changes_are_the_largest_share_differences(profiles):
    ref, new = profiles["text-reference"], profiles["text-batch-drifted"]
    bars = token_changes_figure(ref, new, k=10).data[0]
    assert len(bars.x) == 10
    assert list(bars.x) == sorted(bars.x)
    for (ref_share, new_share), delta in zip(bars.customdata, bars.x, strict=True):
        assert delta == pytest.approx(new_share - ref_share)
    assert [c == NEW_COLOR for c in bars.marker.color] == [d > 0 for d in bars.x]
    assert all(label.startswith("#") for label in bars.y)  # token ids are written #id


def test_token_changes_of_words():
    def words_profile(text):
        return compute_dataset_profile([{"text": text}] * 20, TaskSpec("text"))

    bars = token_changes_figure(words_profile("the cat sat on the mat"), words_profile("covid vaccine the")).data[0]
    assert {"covid", "vaccine", "cat"} <= set(bars.y)


# ------------------------------------------------------------------------------------ vision


# issue 11, point 10: the charts show what is scored (they replaced channel means with pixel-std error
# bars, which dwarfed the shift, and brightness on 5 coarse bands)
def _steps(trace):
    """(edges, % of images per bin) back from a step trace of % per 0.01."""
    x, y = np.asarray(trace.x), np.asarray(trace.y)
    edges = np.append(x[::2], x[-1])
    return edges, y[::2] * np.diff(edges) * 100


def test_channel_chart_is_the_histograms_the_channel_scores_compare(profiles, vision_result):
    from drift_core.histograms import coarsen, n_coarse_bins, shared_groups

    ref, new = profiles["vision-reference"], profiles["vision-batch-drifted"]
    fig = channel_means_figure(ref, new)
    assert [t.name for t in fig.data] == [f"{c}, {side}" for c in ("red", "green", "blue") for side in ("reference", "new")]
    for c in range(3):
        groups = shared_groups(ref["channel_mean_hist"][c], new["channel_mean_hist"][c],
                               n_coarse_bins(ref["n_samples"], new["n_samples"]))
        for trace, profile in zip(fig.data[2 * c : 2 * c + 2], (ref, new), strict=True):
            _, shares = _steps(trace)
            want = coarsen(profile["channel_mean_hist"][c], groups)
            assert shares == pytest.approx(100 * want / want.sum())
    assert fig.data[0].line.color == fig.data[1].line.color == "#d62728"
    assert fig.data[0].line.dash == "dot" and fig.data[1].line.dash == "solid"


def test_gray_images_have_one_gray_channel():
    images = np.full((10, 8, 8), 0.5)
    p = compute_dataset_profile(images, TaskSpec("vision"))
    assert [t.name for t in channel_means_figure(p, p).data] == ["gray, reference", "gray, new"]


def test_brightness_is_drawn_on_the_bins_brightness_js_scored(profiles):
    ref, new = profiles["vision-reference"], profiles["vision-batch-drifted"]
    r, n = brightness_figure(ref, new).data
    (re, rs), (ne, ns) = _steps(r), _steps(n)
    assert list(re) == list(ne) and len(re) - 1 > 5  # the shared scored bins, finer than the 5 bands
    assert sum(rs) == pytest.approx(100) and sum(ns) == pytest.approx(100)


def test_token_chart_has_a_fixed_scale_so_noise_looks_small(profiles):
    ref = profiles["text-reference"]
    fig = token_changes_figure(ref, ref)  # no change at all
    assert tuple(fig.layout.xaxis.range) == (-5.0, 5.0)
    assert "fixed scale" in fig.layout.annotations[0].text
    wide = token_changes_figure(ref, profiles["text-batch-drifted"])
    assert wide.layout.xaxis.range[1] >= max(abs(v) for v in wide.data[0].x)


# ----------------------------------------------------------------------------------- outputs


def test_prediction_histograms_are_padded_to_the_longer_side(profiles):
    ref = dict(profiles["text-reference"])
    new = dict(profiles["text-batch-drifted"], prediction_hist=[5, 5], num_classes=2)
    r, n = prediction_figure(ref, new).data
    k = len(ref["prediction_hist"])
    assert list(r.x) == [str(i) for i in range(k)] == list(n.x)
    assert list(n.customdata) == [5, 5] + [0] * (k - 2)
    assert sum(n.y) == pytest.approx(100)


def test_comparison_figures_per_modality(profiles, text_result, vision_result):
    text = comparison_figures(text_result, profiles["text-reference"], profiles["text-batch-drifted"])
    vision = comparison_figures(vision_result, profiles["vision-reference"], profiles["vision-batch-drifted"])
    assert list(text) == ["scores", "seq_length", "tokens", "predictions"]
    assert list(vision) == ["scores", "channels", "brightness", "predictions"]


def test_no_prediction_figure_without_predictions_on_both_sides(profiles):
    ref = profiles["text-reference"]
    new = {k: v for k, v in profiles["text-batch-drifted"].items() if k not in ("prediction_hist", "num_classes")}
    assert "predictions" not in comparison_figures(compare_profiles(ref, new), ref, new)


# ------------------------------------------------------------------------------ what moved most


def _marked_ranges(fig) -> list[tuple[float, float]]:
    return [(s.x0, s.x1) for s in fig.layout.shapes if str(s.name).startswith("moved most")]


def test_the_top_classes_are_outlined_and_numbered_in_the_prediction_chart(profiles, text_result):
    fig = comparison_figures(text_result, profiles["text-reference"], profiles["text-batch-drifted"])["predictions"]
    top = [c["label"].removeprefix("class ") for c in text_result["metrics"]["prediction_js"]["contributors"][:3]]
    ref, new = fig.data
    outlined = [x for x, w in zip(new.x, new.marker.line.width, strict=True) if w > 0]
    assert set(outlined) == set(top)
    assert set(outlined) == {x for x, w in zip(ref.x, ref.marker.line.width, strict=True) if w > 0}
    assert [new.text[list(new.x).index(c)] for c in top] == ["#1", "#2", "#3"]


def test_the_top_length_ranges_are_shaded_in_the_length_chart(profiles, text_result):
    fig = comparison_figures(text_result, profiles["text-reference"], profiles["text-batch-drifted"])["seq_length"]
    expected = []
    for c in text_result["metrics"]["seq_length_js"]["contributors"][:3]:
        lo, hi = c["label"].removeprefix("length ").split("-")  # lengths 83-111: x from 83 to 112
        expected.append((float(lo), float(hi) + 1))
    assert _marked_ranges(fig) == expected
    assert [a.text for a in fig.layout.annotations if str(a.name).startswith("moved most")] == ["#1", "#2", "#3"]


def test_the_top_contributing_tokens_are_in_the_token_chart_and_outlined(profiles, text_result):
    fig = comparison_figures(text_result, profiles["text-reference"], profiles["text-batch-drifted"])["tokens"]
    bars = fig.data[0]
    marked = {t: text for t, text in zip(bars.y, bars.text, strict=True) if text}
    top = [c["label"] for c in text_result["metrics"]["token_freq_js"]["contributors"][:3]]
    assert marked == {f"#{label.removeprefix('token ')}": f"#{i}" for i, label in enumerate(top, 1)}
    assert all((w > 0) == bool(t) for w, t in zip(bars.marker.line.width, bars.text, strict=True))


def test_a_top_token_outside_the_largest_changes_is_added_to_the_chart(profiles):
    ref, new = profiles["text-reference"], profiles["text-batch-drifted"]
    biggest = token_changes_figure(ref, new, k=1).data[0].y[0]
    other = next(t for t in token_changes_figure(ref, new, k=15).data[0].y if t != biggest)
    contributor = {"label": f"token {other.lstrip('#')}", "words": "", "contribution": 0.1}
    bars = token_changes_figure(ref, new, k=1, contributors=[contributor]).data[0]
    assert set(bars.y) == {biggest, other}


def test_the_top_brightness_ranges_are_shaded(profiles, vision_result):
    fig = comparison_figures(vision_result, profiles["vision-reference"], profiles["vision-batch-drifted"])
    top = vision_result["metrics"]["brightness_js"]["contributors"][:3]
    expected = [tuple(float(v) for v in c["label"].removeprefix("values ").split("-")) for c in top]
    assert _marked_ranges(fig["brightness"]) == expected


def test_the_channel_chart_shades_each_channels_top_range_in_its_colour(profiles, vision_result):
    fig = comparison_figures(vision_result, profiles["vision-reference"], profiles["vision-batch-drifted"])["channels"]
    shapes = [s for s in fig.layout.shapes if str(s.name).startswith("moved most")]
    assert [s.fillcolor for s in shapes] == ["#d62728", "#2ca02c", "#1f5fbf"]
    names = [a.text for a in fig.layout.annotations if str(a.name).startswith("moved most")]
    assert names == ["red #1", "green #1", "blue #1"]


def test_results_without_contributors_draw_no_marks(profiles, text_result):
    old = {**text_result, "metrics": {n: {k: v for k, v in m.items() if k != "contributors"}
                                      for n, m in text_result["metrics"].items()}}
    figs = comparison_figures(old, profiles["text-reference"], profiles["text-batch-drifted"])
    assert _marked_ranges(figs["seq_length"]) == []
    assert not any(figs["predictions"].data[1].text)


# ----------------------------------------------------------------------------------- history


def test_history_points_are_coloured_by_status():
    points = [
        HistoryPoint("2024-01-01T00:00:00", "week 1", "ok", 0.05, "Sequence length"),
        HistoryPoint("2024-01-08T00:00:00", "week 2", "warn", 0.15, "Sequence length"),
        HistoryPoint("2024-01-15T00:00:00", "week 3", "alert", 0.35, "Sequence length"),
        HistoryPoint("2024-01-22T00:00:00", "week 4", "alert", 0.45, "Sequence length"),
    ]
    fig = history_figure(points[::-1])
    line, *markers = fig.data
    assert list(line.y) == [0.05, 0.15, 0.35, 0.45]  # in time order
    by_status = {t.name.split()[-1]: t for t in markers}
    assert list(by_status["alert"].y) == [0.35, 0.45]
    assert {k: t.marker.color for k, t in by_status.items()} == STATUS_COLORS


def test_history_points_from_stored_comparisons(text_result):
    rows = [{"created_at": "2024-01-01T00:00:00", "new_name": "batch", "status": text_result["status"],
             "max_drift": text_result["max_drift"], "result": text_result}]
    (point,) = history_points(rows)
    assert point.max_drift == text_result["max_drift"] and point.label == "batch"
    worst = max(text_result["metric_status"], key=lambda n: text_result["drift_scores"][n])
    assert point.worst_metric == text_result["metrics"][worst]["label"]


def _row(run_id, when, score, p=0.001):
    result = {"drift_scores": {"seq_length_js": score},
              "metrics": {"seq_length_js": {"label": "Sequence length", "p_adjusted": p}}}
    return {"created_at": when, "new_run_id": run_id, "new_name": f"run-{run_id}", "result": result}


def test_metric_history_rejudges_with_todays_thresholds_and_drops_duplicate_records():
    rows = [_row(1, "2024-05-01T09:00", 0.15), _row(2, "2024-05-01T10:00", 0.25, p=0.5),
            _row(2, "2024-05-01T11:00", 0.25, p=0.5)]  # the same run recorded twice
    points = metric_history(rows, {"seq_length_js": (0.1, 0.2)}, 0.01, current_run_id=2)
    assert [(p.x, p.status, p.current) for p in points] == [
        ("run-1<br>2024-05-01", "warn", False), ("run-2<br>2024-05-01", "noise", True)]
    raised = metric_history(rows, {"seq_length_js": (0.3, 0.4)}, 0.01)
    assert [p.status for p in raised] == ["ok", "ok"]


def test_metric_history_figure_has_a_band_one_line_per_metric_and_marks_this_batch():
    points = metric_history([_row(1, "2024-05-01T09:00", 0.15)], {"seq_length_js": (0.1, 0.2)}, 0.01,
                            current=("upload.jsonl", _row(0, "", 0.3)["result"]))
    fig = metric_history_figure(points, {"seq_length_js": (0.1, 0.2)})
    (line,) = fig.data
    assert line.name == "Sequence length" and list(line.x) == ["run-1<br>2024-05-01", "upload.jsonl (this batch, not saved)"]
    assert {(s.y0, s.y1) for s in fig.layout.shapes if s.type == "rect" and s.yref == "y"} >= {(0.1, 0.2)}
    assert any(a.text == "this batch" for a in fig.layout.annotations)


def test_an_empty_metric_history_has_no_axes():
    fig = metric_history_figure([], {})
    assert fig.layout.xaxis.visible is False and "No recorded comparisons" in fig.layout.annotations[0].text


def test_empty_history_says_so():
    fig = history_figure([])
    assert not fig.data and "No recorded comparisons" in fig.layout.annotations[0].text


# ------------------------------------------------------------------------------- score table


def test_score_table_has_one_row_per_metric_thresholded_first(text_result):
    table = score_table(text_result)
    assert list(table.columns[: len(COLUMNS)]) == COLUMNS
    assert set(table["_name"]) == set(text_result["drift_scores"])
    thresholded = [bool(text_result["metrics"][n]["thresholded"]) for n in table["_name"]]
    assert thresholded == sorted(thresholded, reverse=True)


def test_score_table_writes_status_in_words_not_only_colour(text_result):
    table = score_table(text_result).set_index("_name")
    assert table.loc["seq_length_js", "Status"] == "✖ alert"
    assert table.loc["seq_length_kl", "Status"] == "ℹ info"
    assert table.loc["seq_length_kl", "Warn / alert at"] == "not thresholded"
    assert table.loc["seq_length_js", "p-value"] == "< 0.001"
    assert table.loc["seq_length_js", "What changed"] == text_result["metrics"]["seq_length_js"]["summary"]


@pytest.mark.parametrize("status,text", [("ok", "✔ ok"), ("warn", "⚠ warn"), ("alert", "✖ alert"), (None, "ℹ info")],
                         ids=["ok", "warn", "alert", "informational"])
def test_status_text(status, text):
    assert status_text(status) == text


def test_styled_table_colours_only_the_status_cells(text_result):
    html = styled_score_table(score_table(text_result)).to_html()
    assert STATUS_COLORS["alert"] in html and "_status" not in html


@pytest.mark.parametrize("modality", ["text", "vision"])
def test_every_figure_is_drawn_on_the_plotly_white_template(profiles, modality):
    import plotly.io as pio

    ref, new = profiles[f"{modality}-reference"], profiles[f"{modality}-batch-drifted"]
    figs = comparison_figures(compare_profiles(ref, new), ref, new)
    white = pio.templates["plotly_white"].layout.to_plotly_json()
    for name, fig in figs.items():
        assert fig.to_dict()["layout"]["template"]["layout"] == white, name


# ------------------------------------------------------- figures built whole, as plotly would build them
# The builders assemble plain dicts and call go.Figure once (see dashboard.figures._figure); these
# pin that the dicts are what plotly's own step-by-step calls write, so the charts look the same.


def _shape_json(fig) -> list[dict]:
    return [s.to_plotly_json() for s in fig.layout.shapes]


SHAPES = {
    "vline": (lambda f: f.add_vline(x=42.5, line={"color": "#9aa3b2", "dash": "dash", "width": 2}),
              lambda: _vline(42.5, line={"color": "#9aa3b2", "dash": "dash", "width": 2})),
    "hline": (lambda f: f.add_hline(y=0.2, line={"color": "#c62828", "width": 1, "dash": "dash"}),
              lambda: _hline(0.2, line={"color": "#c62828", "width": 1, "dash": "dash"})),
    "vrect": (lambda f: f.add_vrect(x0=14, x1=27, fillcolor="#f2b233", opacity=0.22, layer="below",
                                    line={"color": "white", "width": 2}, name="moved most #1"),
              lambda: _vrect(14, 27, fillcolor="#f2b233", opacity=0.22, layer="below",
                             line={"color": "white", "width": 2}, name="moved most #1")),
    "hrect": (lambda f: f.add_hrect(y0=0.1, y1=0.2, fillcolor="#e08a00", opacity=0.12, line_width=0),
              lambda: _hrect(0.1, 0.2, fillcolor="#e08a00", opacity=0.12, line={"width": 0})),
}


@pytest.mark.parametrize("kind", list(SHAPES))
def test_shape_helpers_write_what_plotlys_add_methods_write(kind):
    import plotly.graph_objects as go

    add, helper = SHAPES[kind]
    stepwise = add(go.Figure())
    assert _shape_json(_figure([], {"shapes": [helper()]})) == _shape_json(stepwise)


@pytest.mark.parametrize("heights, spacing", [([7], 0.1), ([7, 2], 0.28), ([3, 1, 2], 0.1)],
                         ids=["one-panel", "two-panels", "three-panels"])
def test_stacked_axes_place_the_panels_exactly_where_make_subplots_does(heights, spacing):
    from plotly.subplots import make_subplots

    made = make_subplots(rows=len(heights), cols=1, row_heights=heights, vertical_spacing=spacing)
    axes = {k: v for k, v in made.layout.to_plotly_json().items() if k.startswith(("xaxis", "yaxis"))}
    assert _stacked_axes(heights, spacing) == axes


def test_the_layout_is_the_shared_one_merged_as_update_layout_merges():
    import plotly.graph_objects as go

    update = {"legend": {"y": -0.25, "yanchor": "top"}, "height": 400, "xaxis": {"title": {"text": "x"}}}
    stepwise = go.Figure().update_layout(**_LAYOUT).update_layout(title_text="T").update_layout(**update)
    assert _figure([], _layout("T", update)).layout.to_plotly_json() == stepwise.layout.to_plotly_json()
    assert _LAYOUT["legend"]["y"] == 1.0  # the shared layout itself is left as it was


def test_two_panel_scores_put_each_metric_on_its_panels_axes(text_result):
    result = {**text_result, "thresholds": {**text_result["thresholds"], "seq_length_kl": (1.0, 2.0)}}
    fig = drift_scores_figure(result)
    assert {(t.xaxis, t.yaxis) for t in fig.data} == {("x", "y"), ("x2", "y2")}
    assert fig.layout.yaxis.domain[0] > fig.layout.yaxis2.domain[1]  # the [0, 1] panel on top
    assert fig.layout.xaxis.title.text == "0 = same, 1 = nothing in common" and fig.layout.xaxis2.title.text == "bits"


def test_the_demo_length_chart_shows_both_means_and_the_three_ranges_that_moved_most(profiles, text_result):
    ref, new = profiles["text-reference"], profiles["text-batch-drifted"]
    fig = seq_length_figure(ref, new, text_result["metrics"]["seq_length_js"]["contributors"][:3])
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert [(s.x0, s.x1, s.yref, s.line.dash) for s in lines] == [
        (m, m, "y domain", "dash") for m in (ref["seq_length_mean"], new["seq_length_mean"])]
    ranges = [s for s in fig.layout.shapes if s.type == "rect"]
    assert [s.name for s in ranges] == ["moved most #1", "moved most #2", "moved most #3"]
    assert all(s.layer == "below" and s.yref == "y domain" and s.x0 < s.x1 for s in ranges)
    assert fig.layout.xaxis.title.text == "tokens per sequence" and fig.layout.yaxis.ticksuffix == "%"
    assert fig.layout.title.text == "Sequence length" and fig.layout.barmode == "overlay"
