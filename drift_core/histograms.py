"""Shared bins: every profile counts items on the same fixed, data-independent fine bins.

Why: binning each dataset on its own range (``np.histogram(x, bins=10)``) makes two datasets with
lengths 120 +/- 10 and 200 +/- 10 look identical. Here the fine bins are fixed constants, so any
two profiles (and any two chunks of one dataset) are comparable and mergeable by adding counts.

At compare time the fine bins are coarsened (:func:`shared_groups`) from *both* sides, so
``compare(a, b)`` and ``compare(b, a)`` use the same bins:

1. about :data:`MAX_COARSE_BINS` bins of equal mass of the pooled histogram (the two sides'
   counts added: with 100 items against 10,000, cuts from equally weighted sides follow the small
   side's sampling noise, and the chi-square p-value fell below 0.05 in 7-9% of no-drift pairs
   instead of 5%; on pooled counts 5.8-6%);
2. a fine bin holding a point mass (>= 1 / n_bins of the pooled items, or of one side's items and
   at least :data:`POINT_MASS_ITEMS`: sequences padded to 128 tokens, constant images) is a bin of
   its own: never merged with its neighbours;
3. a run of fine bins where one side has mass and the other none is cut off when it holds at
   least :data:`ONE_SIDED_RUN_ITEMS` items and the other side, at its size, would be expected to
   put as many there (:func:`one_sided_run`: a new mode, a stretched tail); when the two sides
   share no fine bin at all every change of side is a cut: disjoint data gives JS = 1.

Why not the reference's own equal-mass bins: a reference that sits on one value then gets one
bin (every JS 0, whatever the new data does), mass beyond the reference's range lands in its
open-ended outer bins unseen, and the score depends on which side is called the reference.
Rule 3 needs a run that sampling noise cannot produce: the other side leaves empty a region
where it expects m items with chance exp(-m) (m >= 20: 2e-9); with 50 reference items against
5,000 new ones, gaps between reference items holding 2% of the new data are common and are
*not* cut. Shorter or likelier runs are merged as usual.

Fine bins:

* sequence length (integers >= 0): one bin per length for 0..127, then 16 bins per doubling up to
  2**20 tokens, and a last open-ended bin ``[2**20, inf)``; ``edges`` lists the left edges.
* values on [0, 1] (per-image channel means, brightness): :data:`UNIT_FINE_BINS` equal bins; the
  last bin is closed (holds 1.0). Values are rounded to 6 decimals first, so that a uint8 image
  and its float copy land in the same bin.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

MAX_COARSE_BINS = 10
#: Fewest expected items per coarse bin; the number of coarse bins drops for small samples.
MIN_ITEMS_PER_COARSE_BIN = 5
#: A run of fine bins where only one side has mass is a bin of its own when it holds this many
#: items of its side and the other side would be expected to put as many there: see :func:`one_sided_run`.
ONE_SIDED_RUN_ITEMS = 20
#: A fine bin holding 1 / n_bins of one side's items, and at least this many, is a point mass.
POINT_MASS_ITEMS = 20
UNIT_FINE_BINS = 500
BRIGHTNESS_EDGES: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


@lru_cache(maxsize=1)
def _length_edges() -> tuple[int, ...]:
    unit = np.arange(0, 128)
    geometric = np.round(128 * 2 ** (np.arange(0, 16 * 13 + 1) / 16)).astype(np.int64)
    return tuple(int(v) for v in np.unique(np.concatenate([unit, geometric])))


def length_edges() -> list[int]:
    """Left edges of the fixed fine bins for sequence lengths (last bin open-ended).

    Examples
    --------
    >>> e = length_edges()
    >>> e[:3], e[-1]
    ([0, 1, 2], 1048576)
    """
    return list(_length_edges())


def count_lengths(lengths: NDArray[np.integer]) -> NDArray[np.int64]:
    """Count integer lengths on :func:`length_edges` (vectorised ``searchsorted``).

    Examples
    --------
    >>> count_lengths(np.array([0, 0, 5, 2_000_000]))[[0, 5, -1]].tolist()
    [2, 1, 1]
    """
    edges = np.asarray(_length_edges(), dtype=np.int64)
    idx = np.searchsorted(edges, lengths, side="right") - 1
    return np.bincount(idx, minlength=len(edges)).astype(np.int64)


def count_unit(values: NDArray[np.floating], n_bins: int = UNIT_FINE_BINS) -> NDArray[np.int64]:
    """Count values in [0, 1] on ``n_bins`` equal bins (last bin closed), after rounding to 1e-6.

    Examples
    --------
    >>> count_unit(np.array([0.0, 0.2, 1.0]), 5).tolist()
    [1, 1, 0, 0, 1]
    """
    v = np.round(np.asarray(values, dtype=np.float64), 6)
    idx = np.clip(np.floor(v * n_bins).astype(np.int64), 0, n_bins - 1)
    return np.bincount(idx, minlength=n_bins).astype(np.int64)


def count_edges(values: NDArray[np.floating], edges: ArrayLike) -> NDArray[np.int64]:
    """Count values in [0, 1] on arbitrary increasing edges (last bin closed), after rounding to 1e-6.

    Examples
    --------
    >>> count_edges(np.array([0.1, 0.2, 0.95, 1.0]), BRIGHTNESS_EDGES).tolist()
    [1, 1, 0, 0, 2]
    """
    e = np.asarray(edges, dtype=np.float64)
    v = np.round(np.asarray(values, dtype=np.float64), 6)
    idx = np.clip(np.searchsorted(e, v, side="right") - 1, 0, len(e) - 2)
    return np.bincount(idx, minlength=len(e) - 1).astype(np.int64)


def n_coarse_bins(n_ref: int, n_new: int) -> int:
    """How many coarse bins to use: 10, fewer when a side has < 50 items (>= 5 expected per bin)."""
    return int(min(MAX_COARSE_BINS, max(2, min(n_ref, n_new) // MIN_ITEMS_PER_COARSE_BIN)))


def equal_mass_groups(counts: ArrayLike, n_bins: int) -> NDArray[np.int64]:
    """Map each fine bin to a coarse bin holding about ``1/n_bins`` of the mass of ``counts``.

    Cuts fall on the fine-bin boundary where the cumulative share is nearest to ``j / n_bins``;
    ties (one fine bin holding a lot of mass) give fewer, wider coarse bins. Fine bins outside the
    occupied range join the outer bins (open-ended).

    Examples
    --------
    >>> equal_mass_groups([0, 1, 1, 1, 1, 0], 2).tolist()
    [0, 0, 0, 1, 1, 1]
    """
    c = np.asarray(counts, dtype=np.float64)
    groups = np.zeros(len(c), dtype=np.int64)
    if c.sum() <= 0:
        return groups
    groups[_equal_mass_cuts(c, n_bins) + 1] = 1
    return np.cumsum(groups)


def _equal_mass_cuts(c: NDArray[np.float64], n_bins: int) -> NDArray[np.int64]:
    """Fine-bin indices after which an equal-mass cut falls (inside the occupied range)."""
    cum = np.cumsum(c) / c.sum()
    targets = np.arange(1, n_bins) / n_bins
    hit = np.searchsorted(cum, targets - 1e-12, side="left")  # first fine bin reaching the target
    before = np.maximum(hit - 1, 0)
    nearer = np.where(np.abs(cum[before] - targets) < np.abs(cum[hit] - targets), before, hit)
    cut_after = np.unique(nearer)
    occupied = np.flatnonzero(c)
    return cut_after[(cut_after >= occupied[0]) & (cut_after < occupied[-1])]


def one_sided_run(held: NDArray[np.float64], n_side: float, n_other: float) -> NDArray[np.bool_]:
    """Whether runs holding ``held`` items of one side (of ``n_side``), and none of the other side
    (of ``n_other``), are bins of their own: ``min(held, held * n_other / n_side) >= 20``.

    Examples
    --------
    >>> one_sided_run(np.array([19.0, 20.0]), 1000, 1000).tolist()
    [False, True]
    >>> one_sided_run(np.array([200.0, 2000.0]), 5000, 50).tolist()  # 50 items leave gaps by chance
    [False, True]
    """
    return np.minimum(held, held * n_other / max(n_side, 1.0)) >= ONE_SIDED_RUN_ITEMS


def shared_groups(ref_counts: ArrayLike, new_counts: ArrayLike, n_bins: int) -> NDArray[np.int64]:
    """Map each fine bin to a coarse bin chosen from both sides (see the module docstring).

    Symmetric: swapping ``ref_counts`` and ``new_counts`` gives the same groups.

    Returns
    -------
    groups : int array, one coarse-bin index per fine bin, non-decreasing, starting at 0.

    Examples
    --------
    A point mass (padded sequences) against spread values: the point mass is its own bin.

    >>> ref = np.zeros(10, int); ref[8] = 100
    >>> new = np.array([0, 10, 10, 10, 10, 10, 10, 10, 10, 10])
    >>> shared_groups(ref, new, 4).tolist()
    [0, 0, 0, 0, 0, 0, 1, 1, 2, 3]
    >>> shared_groups(new, ref, 4).tolist()
    [0, 0, 0, 0, 0, 0, 1, 1, 2, 3]

    Disjoint values: every change of side is a cut.

    >>> shared_groups([5, 0, 5, 0], [0, 5, 0, 5], 2).tolist()
    [0, 1, 2, 3]
    """
    r = np.asarray(ref_counts, dtype=np.float64)
    n = np.asarray(new_counts, dtype=np.float64)
    tr, tn = r.sum(), n.sum()
    if tr <= 0 or tn <= 0:
        return equal_mass_groups(r + n, n_bins)
    w = r + n  # pooled counts: what a permutation test conditions on, so the cuts cannot favour a shift
    occupied = np.flatnonzero(w > 0)
    cut = np.zeros(len(w), dtype=bool)  # cut[i]: a coarse bin ends after fine bin i
    cut[_equal_mass_cuts(w, n_bins)] = True
    heavy = np.flatnonzero(  # point masses of the pooled data, or of one side: cut on both sides
        (w >= (tr + tn) / n_bins) | (r >= max(POINT_MASS_ITEMS, tr / n_bins)) | (n >= max(POINT_MASS_ITEMS, tn / n_bins))
    )
    cut[heavy] = True
    cut[_previous_occupied(occupied, heavy)] = True
    side = (r[occupied] > 0).astype(np.int8) + 2 * (n[occupied] > 0)  # 1 ref only, 2 new only, 3 both
    starts = np.flatnonzero(np.concatenate(([True], side[1:] != side[:-1])))
    ends = np.append(starts[1:], len(side)) - 1
    if not (side == 3).any():
        long_run = np.ones(len(starts), dtype=bool)  # disjoint supports: every change of side
    else:
        held = np.add.reduceat(np.where(side == 1, r[occupied], n[occupied]), starts)
        ref_only = side[starts] == 1
        long_run = (side[starts] != 3) & np.where(ref_only, one_sided_run(held, tr, tn), one_sided_run(held, tn, tr))
    cut[occupied[ends[long_run]]] = True
    first = starts[long_run]
    cut[occupied[first[first > 0] - 1]] = True
    cut[occupied[-1]:] = False  # the last bin is open-ended
    cut[: occupied[0]] = False  # empty fine bins below the data join the first bin
    groups = np.zeros(len(w), dtype=np.int64)
    groups[1:] = np.cumsum(cut[:-1])
    return groups


def _previous_occupied(occupied: NDArray[np.int64], idx: NDArray[np.int64]) -> NDArray[np.int64]:
    """For each fine bin in ``idx``, the occupied fine bin just before it (dropped when none)."""
    pos = np.searchsorted(occupied, idx) - 1
    return occupied[pos[pos >= 0]]


def group_spans(groups: NDArray[np.int64], occupied: ArrayLike) -> list[tuple[int, int]]:
    """For each coarse bin, its first and last fine bin holding data (``occupied``), for labels.

    Examples
    --------
    >>> group_spans(np.array([0, 0, 1, 1]), [False, True, True, False])
    [(1, 1), (2, 2)]
    """
    occ = np.asarray(occupied, dtype=bool)
    spans = []
    for g in range(int(groups[-1]) + 1):
        idx = np.flatnonzero((groups == g) & occ)
        if len(idx) == 0:
            idx = np.flatnonzero(groups == g)
        spans.append((int(idx[0]), int(idx[-1])))
    return spans


def unit_coarse_bins(ref_counts: ArrayLike, new_counts: ArrayLike) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """The coarse bins two [0, 1] fine histograms are scored on: ``(groups, edges)``.

    ``groups`` as :func:`shared_groups` gives them (``n_coarse_bins`` of the two sizes); ``edges``
    (one more than the coarse bins) run from the first occupied fine bin of each coarse bin to the
    next one's start, and the last closes the last occupied fine bin. The JS metrics score these
    bins and the dashboard draws them.

    Examples
    --------
    >>> groups, edges = unit_coarse_bins([0, 5, 0, 0], [0, 0, 0, 5])
    >>> groups.tolist(), edges.tolist()
    ([0, 0, 1, 1], [0.25, 0.75, 1.0])
    """
    r, n = np.asarray(ref_counts, dtype=np.int64), np.asarray(new_counts, dtype=np.int64)
    groups = shared_groups(r, n, n_coarse_bins(int(r.sum()), int(n.sum())))
    spans = group_spans(groups, (r + n) > 0)
    width = 1.0 / len(r)
    edges = np.array([lo for lo, _ in spans] + [spans[-1][1] + 1], dtype=np.float64) * width
    return groups, edges


def coarsen(counts: ArrayLike, groups: NDArray[np.int64]) -> NDArray[np.int64]:
    """Add fine counts into the coarse bins given by :func:`shared_groups` (or :func:`equal_mass_groups`)."""
    return np.bincount(groups, weights=np.asarray(counts, dtype=np.float64), minlength=int(groups[-1]) + 1).astype(np.int64)


def pad_to(counts: ArrayLike, size: int) -> NDArray[np.int64]:
    """Right-pad a count vector with zeros (prediction histograms of different class counts)."""
    c = np.asarray(counts, dtype=np.int64)
    return np.concatenate([c, np.zeros(max(0, size - len(c)), dtype=np.int64)])


def display_bins(
    ref_counts: ArrayLike, new_counts: ArrayLike, left_edges: ArrayLike, n_bins: int = 40
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.int64]]:
    """Merge two fine length histograms into about ``n_bins`` shared display bins for a plot.

    Returns the display edges (len k+1, the last one closing the last occupied fine bin) and both
    sides' counts on them. Both sides always share the same bins.
    """
    r = np.asarray(ref_counts, dtype=np.int64)
    n = np.asarray(new_counts, dtype=np.int64)
    edges = np.asarray(left_edges, dtype=np.float64)
    occupied = np.flatnonzero((r + n) > 0)
    if len(occupied) == 0:
        return np.array([0.0, 1.0]), np.zeros(1, np.int64), np.zeros(1, np.int64)
    lo, hi = int(occupied[0]), int(occupied[-1])
    right = np.append(edges[1:], edges[-1] * 2)
    x0, x1 = edges[lo], right[hi]
    step = max(1.0, np.ceil((x1 - x0) / n_bins))
    disp = np.arange(x0, x1 + step, step)
    centers = (edges[lo : hi + 1] + right[lo : hi + 1]) / 2
    idx = np.clip(np.searchsorted(disp, centers, side="right") - 1, 0, len(disp) - 2)
    k = len(disp) - 1
    return (
        disp,
        np.bincount(idx, weights=r[lo : hi + 1], minlength=k).astype(np.int64),
        np.bincount(idx, weights=n[lo : hi + 1], minlength=k).astype(np.int64),
    )
