import numpy as np
import pytest

from drift_core.histograms import (
    coarsen,
    count_lengths,
    count_unit,
    display_bins,
    equal_mass_groups,
    length_edges,
    n_coarse_bins,
)


def test_length_edges_are_fixed_and_increasing():
    e = length_edges()
    assert e == length_edges()
    assert all(b > a for a, b in zip(e, e[1:], strict=False))
    assert e[:128] == list(range(128))


def test_shifted_length_distributions_do_not_share_their_mass():
    # the original sketch binned each side on its own range: 120+-10 and 200+-10 looked identical
    rng = np.random.default_rng(0)
    a = count_lengths(np.rint(rng.normal(120, 10, 1000)).astype(int))
    b = count_lengths(np.rint(rng.normal(200, 10, 1000)).astype(int))
    overlap = np.minimum(a, b).sum() / 1000
    assert overlap < 0.01


def test_equal_mass_groups_split_the_reference_evenly():
    rng = np.random.default_rng(1)
    ref = count_lengths(rng.integers(0, 1000, 10_000))
    g = equal_mass_groups(ref, 10)
    shares = coarsen(ref, g) / ref.sum()
    assert len(shares) == 10
    assert np.allclose(shares, 0.1, atol=0.025)  # fine bins above 128 are ~4% wide


def test_values_outside_the_reference_range_land_in_the_open_end_bins():
    ref = count_lengths(np.arange(100, 200))
    new = count_lengths(np.array([0, 5000]))
    g = equal_mass_groups(ref, 5)
    c = coarsen(new, g)
    assert c[0] == 1 and c[-1] == 1 and c.sum() == 2


def test_a_point_mass_reference_gives_one_coarse_bin():
    ref = count_unit(np.full(100, 0.5))
    assert coarsen(ref, equal_mass_groups(ref, 10)).tolist() == [100]


@pytest.mark.parametrize("n, expected", [(10, 2), (30, 6), (50, 10), (10_000, 10)])
def test_coarse_bin_count_keeps_five_expected_items_per_bin(n, expected):
    assert n_coarse_bins(n, n) == expected


def test_display_bins_are_shared_and_keep_every_item():
    a = count_lengths(np.array([1, 2, 3, 50, 400]))
    b = count_lengths(np.array([300, 301, 2000]))
    edges, ra, rb = display_bins(a, b, length_edges(), 20)
    assert ra.sum() == 5 and rb.sum() == 3
    assert len(edges) == len(ra) + 1 == len(rb) + 1


def test_unit_values_are_rounded_before_binning():
    # 51/255 in float32 is 0.20000000298...; it must bin like the uint8 value 51
    assert count_unit(np.array([np.float32(51 / 255)]), 5).tolist() == count_unit(np.array([51 / 255]), 5).tolist()
