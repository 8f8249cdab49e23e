"""One metric's raw evaluation, before thresholds: what each modality's comparer returns."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from . import significance as sig
from .divergence import js_distance, kl_bits


@dataclass
class Evaluation:
    name: str
    score: float
    summary: str
    p_value: float
    noise_floor: float
    n_ref: int
    n_new: int


def metric_rng(seed: int, name: str) -> np.random.Generator:
    """A generator per (seed, metric): results do not depend on the order metrics are computed in."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def histogram_pair(
    names: tuple[str, ...], ref: NDArray[np.int64], new: NDArray[np.int64], summary: str, seed: int
) -> list[Evaluation]:
    """JS (and KL, when a second name is given) evaluations of two item histograms on shared bins (chi-square p, bootstrap floors)."""
    p = sig.chi2_homogeneity(ref, new)
    n_ref, n_new = int(ref.sum()), int(new.sum())
    out = []
    for name, fn in zip(names, (js_distance, kl_bits), strict=False):
        score = float(fn(ref, new))
        null = sig.bootstrap_null(ref, new, fn, metric_rng(seed, name))
        out.append(Evaluation(name, score, summary, p, sig.noise_floor(null), n_ref, n_new))
    return out
