"""One metric's raw evaluation, before thresholds, and the pair of profiles it is computed on.

Every registered metric is a function ``(pair) -> Evaluation`` (or ``(pair, channel)``); metrics
that share work (JS and KL of one histogram, the token tables) get it from :meth:`Pair.memo`,
so each piece is computed once per comparison whatever the order metrics are asked in.

A histogram metric's evaluation carries its :class:`Bins`, the two histograms on the bins the score
was computed on, so that the score can be split into per-bin contributions ("what moved most",
:mod:`drift_core.contributors`).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import significance as sig

T = TypeVar("T")


@dataclass(frozen=True)
class CellShift:
    """A large, significant change in one cell (bin or class) of an item histogram."""

    cell: str  # "class 7", "length 128", "values 0.00-0.02"
    ref_share: float
    new_share: float
    p_value: float  # Bonferroni over the histogram's cells

    def words(self) -> str:
        """``class 7 0.1% -> 2.0% of items (20x)``."""
        lo, hi = sorted((self.ref_share, self.new_share))
        factor = f", {hi / lo:.0f}x" if lo > 0 and hi / lo >= 2 else ""
        return f"{self.cell} {self.ref_share:.1%} -> {self.new_share:.1%} of items{factor}"


@dataclass(frozen=True)
class Bins:
    """Two histograms on the bins a score was computed on (the scored coarse bins, classes, or the
    token table's top tokens plus "other"), with one label per bin."""

    ref: NDArray[np.float64]
    new: NDArray[np.float64]
    labels: Sequence[str]
    #: what the histogram counts, when it is not the comparison's items (e.g. "tokens")
    unit: str | None = None


@dataclass
class Evaluation:
    name: str
    score: float
    summary: str
    p_value: float
    noise_floor: float | None  # None: not computed (``compare_profiles(..., noise_floors=False)``)
    n_ref: int
    n_new: int
    #: given the metric's warn threshold, the large significant change in one cell, if any
    cell_shift: Callable[[float], CellShift | None] | None = None
    #: the histograms the score was computed on (histogram metrics), for per-bin contributions
    bins: Bins | None = None


class Pair:
    """The two profiles of one comparison, the bootstrap seed, and memoised shared intermediates.

    ``floors=False``: the metrics skip the draws that only serve their noise floors (:meth:`floor`
    gives None); their scores and p-values are the same."""

    def __init__(self, ref: dict[str, Any], new: dict[str, Any], seed: int, floors: bool = True) -> None:
        self.ref, self.new, self.seed, self.floors = ref, new, seed, floors
        self._memo: dict[str, Any] = {}

    def memo(self, key: str, build: Callable[[], T]) -> T:
        """``build()`` once per comparison, under ``key``."""
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]

    def rng(self, name: str) -> np.random.Generator:
        """A generator per (seed, metric): results do not depend on the order metrics are computed in."""
        return np.random.default_rng([self.seed, zlib.crc32(name.encode())])

    def floor(self, name: str, draw: Callable[[np.random.Generator], float]) -> float | None:
        """Metric ``name``'s noise floor, ``draw(self.rng(name))``; None when floors are off."""
        return float(draw(self.rng(name))) if self.floors else None


@dataclass
class HistogramComparison:
    """Two item histograms on shared (coarse) bins, the chi-square p-value, and the test cells."""

    ref: NDArray[np.int64]
    new: NDArray[np.int64]
    p_value: float
    cells: NDArray[np.int64]  # test cell of each bin
    labels: Sequence[str]
    ordered: bool

    def cell_shift(self, warn: float) -> CellShift | None:
        """The large, significant change in one test cell, judged against the warn threshold."""
        k = int(self.cells.max()) + 1 if len(self.cells) else 1
        rc = np.bincount(self.cells, weights=self.ref, minlength=k)
        nc = np.bincount(self.cells, weights=self.new, minlength=k)
        found = sig.cell_change(rc, nc, warn=warn)
        if found is None:
            return None
        cell, p = found
        members = [self.labels[int(i)] for i in np.flatnonzero(self.cells == cell)]
        return CellShift(_cell_label(members, self.ordered), float(rc[cell] / rc.sum()), float(nc[cell] / nc.sum()), p)

    def evaluate(self, pair: Pair, name: str, fn: Callable[..., Any], summary: str) -> Evaluation:
        """Score ``fn(ref, new)`` with its bootstrap noise floor; the cell shift rides on JS metrics."""
        score = float(fn(self.ref, self.new))
        floor = pair.floor(name, lambda rng: sig.noise_floor(sig.bootstrap_null(self.ref, self.new, fn, rng)))
        n_ref, n_new = int(self.ref.sum()), int(self.new.sum())
        return Evaluation(name, score, summary, self.p_value, floor, n_ref, n_new, self.cell_shift,
                          Bins(self.ref.astype(np.float64), self.new.astype(np.float64), self.labels))


def compare_histograms(ref: ArrayLike, new: ArrayLike, labels: Sequence[str], ordered: bool = True) -> HistogramComparison:
    """Chi-square p-value on test cells with enough expected items (:func:`significance.chi2_cells`).

    ``labels`` names each bin; ``ordered`` bins are merged with their neighbours for the test,
    unordered ones (classes) in order of pooled count.
    """
    r, n = np.asarray(ref, dtype=np.int64), np.asarray(new, dtype=np.int64)
    order = None if ordered else np.lexsort((np.arange(len(r)), -(r + n)))
    cells = sig.chi2_cells(r, n, order)
    k = int(cells.max()) + 1 if len(cells) else 1
    p = sig.chi2_homogeneity(np.bincount(cells, weights=r, minlength=k), np.bincount(cells, weights=n, minlength=k))
    return HistogramComparison(r, n, p, cells, labels, ordered)


def _cell_label(members: list[str], ordered: bool) -> str:
    if len(members) == 1:
        return members[0]
    if ordered:
        first, last = members[0].split(" ", 1), members[-1].split(" ", 1)
        lo, hi = first[-1].split("-")[0], last[-1].split("-")[-1]
        return f"{first[0]} {lo}-{hi}" if len(first) == 2 else f"{members[0]}-{members[-1]}"
    shown = ", ".join(members[:3])
    return f"{shown} and {len(members) - 3} more" if len(members) > 3 else shown
