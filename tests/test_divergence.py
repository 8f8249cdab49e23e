import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import jensenshannon

from drift_core.divergence import KL_PSEUDO_COUNT, js_contributions, js_distance, kl_bits, kl_contributions

counts = st.lists(st.integers(0, 1000), min_size=1, max_size=12)


@given(counts, counts)
def test_js_is_symmetric_and_bounded(p, q):
    k = min(len(p), len(q))
    a, b = js_distance(p[:k], q[:k]), js_distance(q[:k], p[:k])
    assert a == pytest.approx(b, abs=1e-12)
    assert 0.0 <= a <= 1.0


@given(counts)
def test_js_is_zero_for_equal_histograms(p):
    assert js_distance(p, p) == 0.0
    assert js_distance(p, [2 * v for v in p]) == 0.0


@given(st.lists(st.integers(1, 1000), min_size=2, max_size=12), st.data())
def test_js_is_positive_for_different_distributions(p, data):
    q = list(p)
    i = data.draw(st.integers(0, len(p) - 1))
    q[i] += data.draw(st.integers(1, 500))
    assert js_distance(p, q) > 0.0


def test_js_matches_scipy_base_2():
    p, q = np.array([1.0, 2, 3, 4]), np.array([4.0, 3, 2, 1])
    assert js_distance(p, q) == pytest.approx(jensenshannon(p, q, base=2))


def test_js_of_disjoint_histograms_is_one():
    assert js_distance([5, 0], [0, 7]) == pytest.approx(1.0)


def test_js_works_rowwise_on_2d_arrays():
    out = js_distance(np.array([[1, 1], [1, 0]]), np.array([[1, 1], [0, 1]]))
    assert out.tolist() == pytest.approx([0.0, 1.0])


def test_kl_is_zero_for_identical_and_positive_otherwise():
    assert kl_bits([3, 4, 5], [3, 4, 5]) == 0.0
    assert kl_bits([3, 4, 5], [5, 4, 3]) > 0


def test_kl_is_finite_when_new_has_an_empty_bin():
    assert np.isfinite(kl_bits([10, 10], [20, 0]))


def test_kl_smoothing_moves_kl_by_under_a_hundredth_of_a_bit_at_n_1000():
    rng = np.random.default_rng(0)
    worst = 0.0
    for _ in range(200):
        k = int(rng.integers(2, 11))
        p = rng.multinomial(1000, rng.dirichlet(np.ones(k) * 2))
        q = rng.multinomial(1000, rng.dirichlet(np.ones(k) * 2))
        if (p == 0).any() or (q == 0).any():
            continue
        exact = float(np.sum((p / 1000) * np.log2((p / 1000) / (q / 1000))))
        worst = max(worst, abs(kl_bits(p, q) - exact))
    assert KL_PSEUDO_COUNT > 0
    assert worst < 0.01


def test_bad_histograms_are_rejected():
    with pytest.raises(ValueError, match="differ in length"):
        js_distance([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="non-negative"):
        js_distance([1, -2], [1, 2])


# ------------------------------------------------------------------------ per-bin contributions


@settings(deadline=None)  # a loaded 2-core machine: one example took 287 ms once (test_js_is_symmetric...)
@given(counts, counts)
def test_js_contributions_add_up_to_the_square_of_js(p, q):
    k = min(len(p), len(q))
    c = js_contributions(p[:k], q[:k])
    assert abs(np.abs(c).sum() - js_distance(p[:k], q[:k]) ** 2) <= 1e-12


@settings(deadline=None)
@given(counts, counts)
def test_kl_contributions_add_up_to_kl(p, q):
    k = min(len(p), len(q))
    assert abs(kl_contributions(p[:k], q[:k]).sum() - kl_bits(p[:k], q[:k])) <= 1e-9


def test_js_contributions_are_signed_by_the_direction_of_the_change():
    c = js_contributions([50, 30, 20], [20, 30, 50])
    assert c[0] < 0 and c[1] == 0.0 and c[2] > 0
    assert c[0] == pytest.approx(-c[2])


def test_kl_terms_are_negative_where_the_new_share_is_higher():
    c = kl_contributions([50, 30, 20], [20, 30, 50])
    assert c[0] > 0 and c[2] < 0 and c.sum() > 0


def test_js_contributions_of_disjoint_histograms_are_half_the_shares():
    assert js_contributions([1, 3, 0, 0], [0, 0, 1, 1]).tolist() == [-0.125, -0.375, 0.25, 0.25]


def test_js_contributions_with_an_empty_side_are_the_other_sides_shares():
    # js_distance scores one empty side 1: the non-empty side's bins carry all of it
    assert js_contributions([0, 0], [1, 3]).tolist() == [0.25, 0.75]
    assert js_contributions([1, 3], [0, 0]).tolist() == [-0.25, -0.75]
    assert js_contributions([0, 0], [0, 0]).tolist() == [0.0, 0.0]


@pytest.mark.parametrize("fn", [js_contributions, kl_contributions], ids=["js", "kl"])
def test_contributions_of_proportional_histograms_are_exactly_zero(fn):
    assert fn([1, 2, 7], [10, 20, 70]).tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("fn", [js_contributions, kl_contributions], ids=["js", "kl"])
def test_contributions_reject_histograms_of_different_lengths(fn):
    with pytest.raises(ValueError, match="differ in length: 2 vs 3"):
        fn([1, 2], [1, 2, 3])
