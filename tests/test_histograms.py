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
    shared_groups,
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


def test_shared_groups_do_not_depend_on_which_side_is_the_reference():
    rng = np.random.default_rng(3)
    a = count_lengths(rng.integers(5, 300, 400))
    b = count_lengths(rng.integers(50, 900, 4000))
    assert shared_groups(a, b, 10).tolist() == shared_groups(b, a, 10).tolist()


def test_a_point_mass_is_a_coarse_bin_of_its_own():
    padded = count_lengths(np.full(1000, 128))
    short = count_lengths(np.random.default_rng(0).integers(5, 81, 1000))
    g = shared_groups(padded, short, 10)
    assert coarsen(padded, g)[g[128]] == 1000 and coarsen(short, g)[g[128]] == 0


def test_disjoint_values_never_share_a_coarse_bin():
    a = count_unit(np.array([0.1, 0.3, 0.5] * 10))
    b = count_unit(np.array([0.2, 0.4, 0.6] * 10))
    g = shared_groups(a, b, 2)
    assert (np.minimum(coarsen(a, g), coarsen(b, g)) == 0).all()


def test_a_new_tail_holding_many_items_is_cut_off():
    rng = np.random.default_rng(1)
    ref = count_lengths(rng.integers(50, 150, 1000))
    new = count_lengths(np.concatenate([rng.integers(50, 150, 900), rng.integers(1000, 1500, 100)]))
    g = shared_groups(ref, new, 10)
    cr, cn = coarsen(ref, g), coarsen(new, g)
    assert cn[-1] == 100 and cr[-1] == 0


def test_gaps_between_few_reference_items_are_not_cut_off():
    # 50 reference items against 5,000: empty stretches between reference items are expected
    rng = np.random.default_rng(2)
    ref, new = count_unit(rng.normal(0.5, 0.05, 50)), count_unit(rng.normal(0.5, 0.05, 5000))
    assert len(coarsen(ref, shared_groups(ref, new, 10))) <= 11
