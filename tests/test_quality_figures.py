"""The image-quality figures, through fig.data (pure functions of two profiles)."""

from __future__ import annotations

import numpy as np
import pytest

from dashboard.quality_figures import (
    clipped_figure,
    image_size_figure,
    pixel_values_figure,
    quality_figures,
    sharpness_figure,
)
from drift_core import TaskSpec, compute_dataset_profile

VISION = TaskSpec("vision")


def _profile(images, **kw):
    return compute_dataset_profile(images, VISION, sample_size=None, **kw)


@pytest.fixture(scope="module")
def pair():
    rng = np.random.default_rng(0)
    ref = rng.integers(0, 200, (60, 3, 16, 16), dtype=np.uint8)
    new = np.full((30, 3, 16, 16), 255, np.uint8)  # over-exposed: every value at 1
    new[:, :, ::2, ::2] = 0
    return _profile(ref), _profile(new)


def test_pixel_values_draw_reference_and_new_per_channel_as_shares(pair):
    fig = pixel_values_figure(*pair)
    assert [t.name for t in fig.data] == [f"{c}, {s}" for c in ("red", "green", "blue") for s in ("reference", "new")]
    assert all(len(t.x) == 16 for t in fig.data)
    assert sum(fig.data[0].y) == pytest.approx(100)
    assert fig.data[1].y[-1] == pytest.approx(75) and fig.data[1].y[0] == pytest.approx(25)  # 3/4 white, 1/4 black


def test_clipped_bars_show_the_shares_at_0_and_at_1(pair):
    ref_bar, new_bar = clipped_figure(*pair).data
    assert list(new_bar.y) == pytest.approx([25.0, 75.0])
    assert new_bar.name == "new (100.0% clipped)"
    assert sum(ref_bar.y) < 2  # uniform 0..199: about 1 in 200 values at 0, none at 255


def test_sharpness_legend_names_the_medians_and_counts_flat_images():
    flat = _profile(np.full((20, 1, 8, 8), 0.5))
    textured = _profile(np.indices((20, 1, 8, 8)).sum(axis=0) % 2 * 1.0)
    ref, new = sharpness_figure(flat, textured).data
    assert ref.name == "reference (median 0, 20 flat)"
    # a 0/1 checkerboard: Laplacian +-4, variance 16, read off the top bin (10^1.2-10^1.25)
    assert new.name == "new (median 17)" and sum(new.y) == pytest.approx(100)


def test_image_sizes_show_each_height_and_width_seen():
    a = _profile(np.zeros((10, 3, 8, 12), np.uint8))
    b = _profile([{"pixel_values": np.zeros((3, h, 12), np.uint8)} for h in (8, 8, 20, 130)])
    fig = image_size_figure(a, b)
    heights_new = next(t for t in fig.data if t.name == "height, new")
    assert list(heights_new.x) == ["height 8", "height 20", "height 128-133"]
    assert list(heights_new.y) == pytest.approx([50, 25, 25])


def test_quality_figures_are_none_for_profiles_without_quality_statistics(pair):
    old = {k: v for k, v in pair[0].items() if k not in ("pixel_share_sums", "pixel_share_cross", "clipped_low_sum",
                                                         "clipped_high_sum", "clipped_hist", "sharpness_hist",
                                                         "height_hist", "width_hist")}
    assert quality_figures(old, pair[1]) == {}
    assert list(quality_figures(*pair)) == ["pixel_values", "clipped", "sharpness", "sizes"]
