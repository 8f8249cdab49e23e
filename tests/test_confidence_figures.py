"""The confidence figures draw the numbers the confidence metrics score (checked through fig.data)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from dashboard.confidence_figures import (
    class_probability_figure,
    confidence_figure,
    confidence_figures,
    entropy_figure,
)
from drift_core import TaskSpec, compute_dataset_profile
from drift_core.histograms import coarsen, unit_coarse_bins
from drift_core.outputs import softmax


def scored(n: int, temperature: float, k: int = 5, seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, k))
    z[np.arange(n), rng.integers(0, k, n)] += 4.0
    return compute_dataset_profile(softmax(z / temperature), TaskSpec("outputs"), sample_size=None)


@pytest.fixture(scope="module")
def pair() -> tuple[dict[str, Any], dict[str, Any]]:
    return scored(400, 1.0, seed=1), scored(300, 2.0, seed=2)


def _areas(trace: Any) -> np.ndarray:
    """% of predictions in each bin of a density step line (its x holds each bin's two ends)."""
    x, y = np.asarray(trace.x), np.asarray(trace.y)
    return (y[::2] * (x[1::2] - x[::2]) * 100)


@pytest.mark.parametrize("key, draw", [("confidence_hist", confidence_figure), ("entropy_hist", entropy_figure)],
                         ids=["confidence", "entropy"])
def test_unit_charts_are_the_scored_bins_as_shares(pair, key, draw):
    ref, new = pair
    groups, edges = unit_coarse_bins(ref[key], new[key])
    fig = draw(ref, new)
    assert [t.name.split(" (")[0] for t in fig.data] == ["reference", "new"]
    for trace, profile in zip(fig.data, (ref, new), strict=True):
        counts = coarsen(profile[key], groups)
        np.testing.assert_allclose(_areas(trace), 100 * counts / counts.sum())
        assert trace.x[0] == pytest.approx(edges[0]) and trace.x[-1] == pytest.approx(edges[-1])


def test_confidence_legend_gives_each_side_its_mean_top_class_probability(pair):
    ref, new = pair
    names = [t.name for t in confidence_figure(ref, new).data]
    assert names == [f"reference (mean {ref['confidence_sum'] / 400:.2f})", f"new (mean {new['confidence_sum'] / 300:.2f})"]
    assert ref["confidence_sum"] / 400 > new["confidence_sum"] / 300  # the tempered model is less sure


def test_class_chart_bars_are_the_mean_probabilities_in_percent(pair):
    ref, new = pair
    fig = class_probability_figure(ref, new)
    assert list(fig.data[0].x) == ["0", "1", "2", "3", "4"]
    np.testing.assert_allclose(fig.data[0].y, 100 * np.asarray(ref["class_prob_sums"]) / 400)
    np.testing.assert_allclose(fig.data[1].y, 100 * np.asarray(new["class_prob_sums"]) / 300)


def test_class_chart_of_many_classes_shows_those_that_moved_most():
    ref, new = scored(200, 1.0, k=50, seed=3), scored(200, 1.0, k=50, seed=4)
    fig = class_probability_figure(ref, new, max_classes=5)
    moved = np.abs(np.asarray(new["class_prob_sums"]) - np.asarray(ref["class_prob_sums"])) / 200
    assert sorted(int(c) for c in fig.data[0].x) == sorted(np.argsort(-moved)[:5].tolist())
    assert "the 5 of 50 classes that moved most" in fig.layout.title.text


def test_no_figures_without_scores_on_both_sides(pair):
    ids = compute_dataset_profile(np.array([0, 1, 1]), TaskSpec("outputs"), sample_size=None)
    assert confidence_figures(ids, pair[1]) == {}
    assert list(confidence_figures(*pair)) == ["confidence", "entropy", "class_probability"]
