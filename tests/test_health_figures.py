"""The text-health chart, through fig.data (a pure function of two profiles and their comparison)."""

from __future__ import annotations

import numpy as np

from dashboard.figures import STATUS_COLORS
from dashboard.health_figures import text_health_figure
from drift_core import TaskSpec, compare_profiles, compute_dataset_profile

SPEC = TaskSpec("text", unk_token_id=1, pad_token_id=0)


def _rows(n: int, at_limit: int, rng: np.random.Generator, unseen: bool = False) -> np.ndarray:
    rows = np.zeros((n, 64), np.int64)
    lengths = np.where(np.arange(n) < at_limit, 64, rng.integers(5, 60, n))
    for i, k in enumerate(lengths):
        rows[i, :k] = rng.integers(2, 300, k) + (1000 if unseen and i % 2 else 0)
    return rows


def test_health_chart_draws_reference_new_and_expected_shares():
    rng = np.random.default_rng(0)
    ref = compute_dataset_profile(_rows(400, 8, rng), SPEC, sample_size=None)
    new = compute_dataset_profile(_rows(400, 40, rng, unseen=True), SPEC, sample_size=None)
    result = compare_profiles(ref, new)
    fig = text_health_figure(result, ref, new)
    assert fig is not None
    reference, new_bars, expected = fig.data
    labels = list(new_bars.y)
    assert labels[-1] == "Sequences at the 64-token limit"  # first row drawn at the top
    assert labels[0] == "Padding tokens (id 0)" and "Unknown tokens (id 1)" in labels
    assert reference.x[-1] == 2.0 and new_bars.x[-1] == 10.0
    assert result["metrics"]["truncation_share"]["status"] == "alert"
    assert new_bars.marker.color[-1] == STATUS_COLORS["alert"]  # the new bar takes the metric's status colour
    assert list(expected.y) == ["Tokens never seen in the reference", "Sequences with a token never seen in the reference"]


def test_health_chart_is_none_without_health_fields():
    p = compute_dataset_profile([{"input_ids": [1, 2]}] * 5, TaskSpec("text"), sample_size=None)
    q = {k: v for k, v in p.items() if not k.startswith("health_")}
    assert text_health_figure(compare_profiles(q, q), q, q) is None
