"""Is a drift score more than sampling noise?  p-values and noise floors from two profiles alone.

The sampling unit is the item (a sequence, an image, a prediction): items are independent draws,
tokens inside one item are not (they cluster), and pixels inside one image are not either.

* **Item histograms** (sequence length, per-image channel means, brightness, predicted class):
  Pearson's chi-square test of homogeneity on the 2 x K table of item counts, after merging bins
  until each cell expects >= :data:`MIN_EXPECTED` items on the smaller side (:func:`chi2_cells`),
  ``p = chdtrc(K - 1, X2)``. The noise floor is the 99th percentile of the score over
  :data:`N_BOOTSTRAP` parametric-bootstrap pairs drawn from the pooled histogram with the
  observed sizes (``rng.multinomial``, vectorised, the smaller side first so that swapping the
  sides draws the same pairs). A large change in one cell is tested on its own
  (:func:`cell_change`: exact conditional binomial, Bonferroni over the cells).
* **Token shares** (``token_freq_js``): tokens cluster within items, and with heavy-tailed lengths
  a handful of long items hold most tokens, so a test on token counts over-counts evidence (a
  first-order Rao-Scott correction with per-token design effects still false-alerted 20-35% with
  Pareto lengths). The test counts items (:func:`item_share_test`): per token, the difference of
  the weighted mean per-item shares ``m = sum(w_i s_i) / sum(w_i)`` (``s_i`` the token's share of
  item i, ``w_i = min(L_i, 32) / 32``), over a standard error from the per-item variance pooled
  over both sides; the profile keeps the per-token sums of ``w s``, ``(w s)^2`` and ``w^2 s``
  (mergeable). The noise floor's bootstrap draws each of the pooled top-100 counts (plus
  "other") as ``deff * Poisson(mean / deff)``, with the sandwich design effect
  ``deff_k = n/(n-1) sum_i (c_ik - p_k L_i)^2 / T^2  /  (p_k (1 - p_k) / T)`` from per-token sums
  of ``c_ik^2`` and ``c_ik L_i``, never below the profile's overall value.
* **Top-100 turnover**: bootstrap of the top-100 sets from the pooled token shares, each token's
  count drawn with variance ``deff_k * mean``;
  ``p = (1 + #{null >= score}) / (B + 1)``, with a normal tail past the largest draw. Tokens are
  drawn independently, yet topic words rise and fall together, so the reported p-value is the
  larger of this one and the token-share test's (both test "same token distribution").
* **Channel-mean distance**: ``sum_c (m_ref,c - m_new,c)^2 / v_c ~ chi2(C)`` with v_c from the
  variance of per-image means.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .divergence import UNCHECKED


def _special() -> Any:
    """``scipy.special`` (binomial, chi-square and normal tails), imported on first use so that
    ``import drift_core`` and ``drift profile`` stay fast (scipy.stats would cost ~1 s)."""
    import scipy.special

    return scipy.special


N_BOOTSTRAP = 200
NOISE_QUANTILE = 0.99
#: Fewest expected items per chi-square cell on the smaller side (:func:`chi2_cells`). Pearson's
#: rule of thumb is 5; with 50 items against 50,000 over 1,000 sparse classes, 5 gave 0.67% false
#: alerts over 1,500 pairs and 10 gave 0.33%, so 10 (the test loses a little resolution on tiny
#: batches, none from a few hundred items on).
MIN_EXPECTED = 10.0
#: A single cell's change is large when its own JS distance reaches this share of the warn line
#: (:func:`cell_change`).
CELL_JS_SHARE = 0.5

ScoreFn = Callable[[NDArray[np.int64], NDArray[np.int64]], NDArray[np.float64] | float]


def chi2_homogeneity(ref: ArrayLike, new: ArrayLike, deff: ArrayLike = 1.0) -> float:
    """p-value of Pearson's chi-square test that two count vectors share one distribution.

    ``deff`` (a number, or one per bin) divides each bin's contribution: a Rao-Scott style
    correction for counts that cluster within items (tokens).

    Examples
    --------
    >>> chi2_homogeneity(np.array([50, 50]), np.array([50, 50]))
    1.0
    >>> chi2_homogeneity(np.array([90, 10]), np.array([10, 90])) < 1e-20
    True
    """
    r = np.asarray(ref, dtype=np.float64)
    n = np.asarray(new, dtype=np.float64)
    d = np.maximum(np.asarray(deff, dtype=np.float64), 1e-12)
    keep = (r + n) > 0
    if d.ndim:
        d = np.broadcast_to(d, r.shape)[keep]
    if not keep.all():
        r, n = r[keep], n[keep]
    k = len(r)
    nr, nn = r.sum(), n.sum()
    if k < 2 or nr == 0 or nn == 0:
        return 1.0
    pooled = (r + n) / (nr + nn)
    er, en = nr * pooled, nn * pooled
    x2 = float((((r - er) ** 2 / er + (n - en) ** 2 / en) / d).sum())
    if x2 <= 1e-12:
        return 1.0
    return float(_special().chdtrc(k - 1, x2))


def chi2_cells(ref: ArrayLike, new: ArrayLike, order: ArrayLike | None = None,
               min_expected: float = MIN_EXPECTED) -> NDArray[np.int64]:
    """Cell of the chi-square test for each bin: bins merged, in ``order``, until each cell expects
    at least ``min_expected`` items on the smaller side.

    Pearson's chi-square needs expected counts of about 5; with sparse tables (1,000 classes, or
    50 reference items against 50,000) it alarms on noise. Cells are chosen from the pooled
    counts only (what a permutation test conditions on), so the choice cannot favour a shift.
    ``order`` is the merge order: adjacent bins for ordered histograms (default), classes by
    pooled count for unordered ones. A last cell short of the minimum joins the one before;
    when that leaves one cell, cells need only 1 expected item (rather than no test at all).

    Examples
    --------
    >>> chi2_cells([1, 1, 8, 1, 1], [1, 1, 8, 1, 1], min_expected=3).tolist()  # one cell: from 1 expected
    [0, 1, 2, 3, 4]
    >>> chi2_cells([3, 3, 8, 3, 1], [3, 3, 8, 3, 1], min_expected=3).tolist()  # a short last cell merges
    [0, 1, 2, 3, 3]
    """
    r = np.asarray(ref, dtype=np.float64)
    n = np.asarray(new, dtype=np.float64)
    idx = np.arange(len(r)) if order is None else np.asarray(order, dtype=np.int64)
    total = r.sum() + n.sum()
    if total <= 0:
        return np.zeros(len(r), dtype=np.int64)
    expected = min(r.sum(), n.sum()) * (r + n)[idx] / total
    before = np.cumsum(expected) - expected
    ids = np.floor(before / min_expected + 1e-9).astype(np.int64)
    last = ids == ids[-1]
    if (~last).any() and expected[last].sum() < min_expected:
        ids[last] = ids[~last].max()  # a short last cell joins the one before
    if ids[-1] == ids[0] and min_expected > 1.0 and (expected > 0).sum() > 1:
        # no cell reaches the minimum on its own (e.g. 100 items against 2,000 elsewhere): accept
        # cells from 1 expected item rather than no test at all
        return chi2_cells(ref, new, order, min_expected=1.0)
    cells = np.empty(len(r), dtype=np.int64)
    step = ids[1:] != ids[:-1]
    if (ids[1:] >= ids[:-1]).all():  # sorted (the rule): the rank of each id among the distinct ones
        cells[idx] = np.concatenate(([0], np.cumsum(step)))
    else:  # a float rounding could break the order: np.unique ranks any ids
        cells[idx] = np.unique(ids, return_inverse=True)[1]
    return cells


def cell_change(ref: ArrayLike, new: ArrayLike, warn: float = 0.1) -> tuple[int, float] | None:
    """The cell whose share changed most significantly, if that change alone is large: (cell, p-value).

    A cell qualifies when the JS distance between "this cell vs all the others" on both sides,
    ``JS([a, 1 - a], [b, 1 - b])`` for shares a -> b, is at least ``CELL_JS_SHARE * warn`` (0.05 at
    the default warn line 0.1: e.g. 0.1% -> 2% (JS 0.087), 0.3% -> 1.5%, 40% -> 55%; raising the
    thresholds quiets this rule too). Its p-value is the exact conditional test of the cell: given
    the cell's m items of both sides, the reference's count is Binomial(m, n_ref / (n_ref + n_new))
    under no drift (two-sided, twice the smaller tail), times the number of cells (Bonferroni);
    ``None`` when no cell qualifies. (A normal z-test was tried first: with 50 reference items
    against 5,000 its tail is ~15x too thin for a cell holding 9 of the 50, and it false-alerted.)

    Notes
    -----
    The JS of the whole histogram is a good effect size for broad shifts, but it averages a
    large change in a small part of the distribution with all the unchanged rest (a class going
    from 0.1% to 2% of predictions, a new mode of black images). This rule looks at each cell.

    Examples
    --------
    >>> cell, p = cell_change([5000, 4990, 10], [5000, 4800, 200])  # class 2 going from 0.1% to 2%
    >>> cell, p < 1e-30
    (2, True)
    >>> cell_change([500, 500], [510, 490]) is None
    True
    """
    r = np.asarray(ref, dtype=np.float64)
    n = np.asarray(new, dtype=np.float64)
    tr, tn = r.sum(), n.sum()
    if len(r) < 2 or tr <= 0 or tn <= 0:
        return None
    a, b = r / tr, n / tn
    m = (a + b) / 2
    rel = _special().rel_entr
    jsd = (rel(a, m) + rel(1 - a, 1 - m) + rel(b, m) + rel(1 - b, 1 - m)) / (2 * np.log(2))
    big = np.sqrt(np.maximum(jsd, 0.0)) >= CELL_JS_SHARE * warn
    if not big.any():
        return None
    k, m = np.rint(r).astype(np.int64), np.rint(r + n).astype(np.int64)
    share = tr / (tr + tn)
    lower = _special().bdtr(k, m, share)  # P(X <= k)
    upper = np.where(k >= 1, _special().bdtrc(np.maximum(k - 1, 0), m, share), 1.0)  # P(X >= k)
    p = np.minimum(1.0, len(r) * np.minimum(1.0, 2 * np.minimum(lower, upper)))
    diff = np.abs(b - a)
    cand = np.flatnonzero(big)
    best = int(cand[np.lexsort((-diff[cand], p[cand]))[0]])
    return best, float(p[best])


def bootstrap_null(
    ref: ArrayLike, new: ArrayLike, score: ScoreFn, rng: np.random.Generator,
    n_ref: int | None = None, n_new: int | None = None, draws: int = N_BOOTSTRAP,
) -> NDArray[np.float64]:
    """Scores of ``draws`` pairs drawn from the pooled histogram, of sizes n_ref / n_new (default: observed)."""
    r = np.asarray(ref, dtype=np.float64)
    n = np.asarray(new, dtype=np.float64)
    pooled = r + n
    total = pooled.sum()
    if total <= 0:
        return np.zeros(draws)
    p = pooled / total
    nr = int(round(r.sum())) if n_ref is None else max(1, int(n_ref))
    nn = int(round(n.sum())) if n_new is None else max(1, int(n_new))
    # the smaller side is drawn first, so swapping ref and new draws the same pairs (symmetric floors)
    sizes = sorted((nr, nn))
    if len(p) <= 20:
        small, large = (rng.multinomial(m, p, size=draws) for m in sizes)
    else:  # many bins (token buckets): independent counts, much faster than a multinomial
        small, large = (poisson_counts(m * p, draws, rng) for m in sizes)
    a, b = (small, large) if nr <= nn else (large, small)
    unchecked = UNCHECKED.get(score)
    if unchecked is not None:  # the draws are finite non-negative counts of one length: no checks
        return np.asarray(unchecked(a.astype(np.float64), b.astype(np.float64)), dtype=np.float64)
    return np.asarray(score(a, b), dtype=np.float64)


def poisson_counts(lam: NDArray[np.float64], draws: int, rng: np.random.Generator) -> NDArray[np.int64]:
    """``draws`` rows of independent Poisson(lam) counts; the normal limit for lam >= 20 (fast)."""
    out = np.empty((draws, len(lam)), dtype=np.int64)
    big = lam >= 20
    if big.any():
        mu = lam[big]
        out[:, big] = np.maximum(np.rint(rng.standard_normal((draws, len(mu))) * np.sqrt(mu) + mu), 0)
    if (~big).any():
        out[:, ~big] = rng.poisson(lam[~big], size=(draws, int((~big).sum())))
    return out


def noise_floor(null: NDArray[np.float64]) -> float:
    """The score's 99th percentile under no drift: ``np.quantile(null, 0.99)``, bit for bit.

    Notes
    -----
    numpy's default (linear, Hyndman & Fan's 7th) quantile of n values: with the virtual index
    ``v = (n - 1) q``, ``i = floor(v)`` and ``t = v - i``, it interpolates between the order
    statistics ``a = x_(i)`` and ``b = x_(i+1)`` as ``a + (b - a) t`` (``t < 0.5``) or
    ``b - (b - a)(1 - t)``. The same steps on one partition, without ``np.quantile``'s generic
    set-up, which cost more than the partition itself at B = 200.

    Examples
    --------
    >>> x = np.random.default_rng(0).random(200)
    >>> noise_floor(x) == float(np.quantile(x, NOISE_QUANTILE)), noise_floor(np.array([]))
    (True, 0.0)
    """
    n = len(null)
    if n == 0:
        return 0.0
    v = (n - 1) * NOISE_QUANTILE
    i = int(np.floor(v))
    if v >= n - 1:
        i = n - 1
    part = np.partition(np.asarray(null, dtype=np.float64), sorted({0, i, min(i + 1, n - 1), n - 1}))
    if np.isnan(part[-1]):  # NaN sorts last: numpy's quantile is NaN too
        return float("nan")
    a, b = part[i], part[min(i + 1, n - 1)]
    t = v - i if v < n - 1 else 0.0
    diff = b - a
    return float(b - diff * (1 - t)) if t >= 0.5 else float(a + diff * t)


def empirical_p(observed: float, null: NDArray[np.float64]) -> float:
    """``(1 + #{null >= observed}) / (B + 1)``; past the largest draw, a normal tail fitted to the null.

    Examples
    --------
    >>> empirical_p(0.0, np.array([0.1, 0.2]))
    1.0
    """
    if observed <= 0:
        return 1.0
    b = len(null)
    count = int((null >= observed - 1e-12).sum())
    if count > 0:
        return (1 + count) / (b + 1)
    sd = float(null.std())
    if sd <= 0:
        return 0.0 if observed > float(null.max()) + 1e-12 else 1.0
    return float(min(1.0 / (b + 1), _special().ndtr(-(observed - float(null.mean())) / sd)))


def design_effects(
    counts: ArrayLike, sq_counts: ArrayLike, cross_counts: ArrayLike, length_sumsq: int, n_items: int, n_tokens: int,
    floor: float = 1.0,
) -> tuple[NDArray[np.float64], float]:
    """Design effect of each token's share (>= ``floor``), and of all the given tokens together.

    Notes
    -----
    For a token with share p = S1 / T (a ratio estimator over n items of lengths L_i)::

        var_cluster = n / (n - 1) * sum_i (c_i - p L_i)^2 / T^2
                    = n / (n - 1) * (S2 - 2 p X + p^2 sum_i L_i^2) / T^2
        deff = var_cluster / (p (1 - p) / T)

    with S2 = sum_i c_i^2 and X = sum_i c_i L_i kept per token in the profile. The overall value
    is the ratio of the sums over the given tokens. A token absent from the profile gets the floor.
    """
    s1 = np.asarray(counts, dtype=np.float64)
    if n_tokens <= 0 or n_items < 2:
        return np.full(len(s1), max(floor, 1.0)), 1.0
    s2 = np.asarray(sq_counts, dtype=np.float64)
    x = np.asarray(cross_counts, dtype=np.float64)
    p = s1 / n_tokens
    resid = np.maximum(s2 - 2 * p * x + p * p * float(length_sumsq), 0.0)
    var_cluster = resid * n_items / (n_items - 1) / float(n_tokens) ** 2
    var_mult = p * (1 - p) / n_tokens
    overall = float(var_cluster.sum() / var_mult.sum()) if var_mult.sum() > 0 else 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        per = np.where(var_mult > 0, var_cluster / var_mult, 0.0)
    return np.maximum(per, max(floor, 1.0)), max(overall, 1.0)


def item_share_test(diff: NDArray[np.float64], se2: NDArray[np.float64], df: float) -> float:
    """p-value that K tokens have the same mean per-item share on both sides.

    ``diff`` is each token's difference of (weighted) mean shares, ``se2`` its squared standard
    error from the pooled per-item variance (under "no drift" both sides share one distribution, so
    the variance is estimated from both: stable when one side is small), ``df`` the degrees of
    freedom (effective items of both sides, minus 2).

    Notes
    -----
    ``t_k = diff_k / sqrt(se2_k)``; ``Q = sum_k t_k^2`` is referred to a scaled chi-square
    ``a chi2_d`` matching the mean ``K nu/(nu-2)`` and variance ``K 2 nu^2 (nu-1) / ((nu-2)^2 (nu-4))``
    of a sum of K independent ``F(1, nu)``.

    Examples
    --------
    >>> item_share_test(np.zeros(2), np.array([1e-4, 2e-4]), 198)
    1.0
    >>> item_share_test(np.array([0.05, 0.0]), np.array([1e-4, 1e-4]), 198) < 1e-4  # t = 5
    True
    """
    keep = se2 > 0
    if df < 2 or not keep.any():
        return 1.0
    t2 = diff[keep] ** 2 / se2[keep]
    nu, k = max(float(df), 5.0), int(keep.sum())  # F(1, nu) has a variance from nu > 4
    mean = k * nu / (nu - 2)
    var = k * 2 * nu**2 * (nu - 1) / ((nu - 2) ** 2 * (nu - 4))
    scale, dof = var / (2 * mean), 2 * mean * mean / var
    q = float(t2.sum())
    return 1.0 if q <= 1e-12 else float(_special().chdtrc(dof, q / scale))


def overdispersed_counts(lam: NDArray[np.float64], deff: NDArray[np.float64], draws: int,
                         rng: np.random.Generator) -> NDArray[np.float64]:
    """``draws`` rows of counts with mean ``lam`` and variance ``deff * lam``: ``deff * Poisson(lam / deff)``."""
    d = np.maximum(np.asarray(deff, dtype=np.float64), 1.0)
    return poisson_counts(lam / d, draws, rng).astype(np.float64) * d


def distance_test(
    mean_ref: NDArray[np.float64], mean_new: NDArray[np.float64], var_ref: NDArray[np.float64],
    var_new: NDArray[np.float64], n_ref: int, n_new: int, rng: np.random.Generator | None,
) -> tuple[float, float | None]:
    """(p-value, noise floor) of the Euclidean distance between two mean vectors (``rng=None``: no floor)."""
    v = np.maximum(var_ref / n_ref + var_new / n_new, 1e-18)
    d2 = (mean_ref - mean_new) ** 2
    stat = float((d2 / v).sum())
    p = 1.0 if stat <= 1e-12 else float(_special().chdtrc(len(v), stat))
    if rng is None:
        return p, None
    null = np.sqrt((rng.standard_normal((N_BOOTSTRAP, len(v))) ** 2 * v).sum(axis=1))
    return p, noise_floor(null)
