"""Synthetic model scores (N, K) shaped like real classifiers, for the confidence calibration rows.

Two shapes, both with lopsided class priors ``pi_j ~ (j + 1)^-1.2`` (Zipf-like):

* ``"logits"``: softmax of Gaussian-ish logits with heavy tails, ``z_j = log pi_j + t3_j`` (Student t
  with 3 degrees of freedom, so some items are confidently wrong and some runners-up come close),
  plus a margin ``m`` on the true class ``y ~ pi``;
* ``"dirichlet"``: ``p ~ Dirichlet(a * (pi + m e_y))``, then sharpened.

The margin ``m`` is solved (bisection on one fixed sample of at least 10,000 items; cached) so that the mean top-class
probability is :data:`REF_CONFIDENCE` (0.90). The drifted model divides its logits by a
temperature ``T > 1`` (``p^(1/T)`` renormalised for Dirichlet), solved so that the mean top-class
probability is 0.80: the ranking of the classes, and so every predicted class, stays the same.

Run ``.venv/bin/python benchmarks/synthetic_scores.py [shape:K ...]`` for the JS scale of the confidence scores:
JS of the top-class-probability histograms for temperatures that lower the mean top-class
probability by 0.01 to 0.15 (100,000 items a side), which is how the default thresholds were read.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np

REF_CONFIDENCE = 0.90
DRIFTED_CONFIDENCE = 0.80
_SOLVE_CELLS = 1_000_000  # items x classes of the sample the margin and temperature are solved on


def priors(k: int) -> np.ndarray:
    """Zipf-like class priors, ``(j + 1)^-1.2`` normalised."""
    p = 1.0 / (np.arange(k) + 1.0) ** 1.2
    return p / p.sum()


def _raw(n: int, k: int, shape: str, margin: float, rng: np.random.Generator) -> np.ndarray:
    """Log-scores (logits, or log of sharpened Dirichlet draws) before any temperature."""
    pi = priors(k)
    y = rng.choice(k, size=n, p=pi)
    if shape == "dirichlet":
        alpha = np.repeat(0.5 * k * pi[None, :], n, axis=0)
        alpha[np.arange(n), y] += 0.5 * margin
        g = rng.gamma(alpha)
        return np.log(np.maximum(g / g.sum(axis=1, keepdims=True), 1e-300)) * 3.0  # sharpened: p^3 renormalised
    z = np.log(pi)[None, :] + rng.standard_t(3, size=(n, k))
    z[np.arange(n), y] += margin
    return z


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _solve_n(k: int) -> int:
    return max(10_000, _SOLVE_CELLS // k)


@lru_cache(maxsize=8)
def _logit_sample(k: int) -> tuple[np.ndarray, np.ndarray]:
    """The fixed solving sample of the logits shape: logits without the margin, and the true classes."""
    rng = np.random.default_rng(99)
    n = _solve_n(k)
    y = rng.choice(k, size=n, p=priors(k))
    return np.log(priors(k))[None, :] + rng.standard_t(3, size=(n, k)), y


def _mean_top(k: int, shape: str, margin: float, temperature: float) -> float:
    if shape == "dirichlet":
        z = _raw(_solve_n(k), k, shape, margin, np.random.default_rng(99))
    else:
        base, y = _logit_sample(k)
        z = base.copy()
        z[np.arange(len(y)), y] += margin
    return float(_softmax(z / temperature).max(axis=1).mean())


def _bisect(f: Callable[[float], float], lo: float, hi: float, target: float, increasing: bool) -> float:
    for _ in range(30):
        mid = (lo + hi) / 2
        above = f(mid) > target
        lo, hi = (lo, mid) if above == increasing else (mid, hi)
    return (lo + hi) / 2


@lru_cache(maxsize=64)
def margin_for(k: int, shape: str) -> float:
    """The true-class margin that gives a mean top-class probability of 0.90."""
    return _bisect(lambda m: _mean_top(k, shape, m, 1.0), 0.0, 60.0, REF_CONFIDENCE, True)


@lru_cache(maxsize=64)
def temperature_for(k: int, shape: str, target: float = DRIFTED_CONFIDENCE) -> float:
    """The temperature that lowers the mean top-class probability from 0.90 to ``target``."""
    m = margin_for(k, shape)
    return _bisect(lambda t: _mean_top(k, shape, m, t), 1.0, 50.0, target, False)


def scores(n: int, rng: np.random.Generator, k: int = 10, shape: str = "logits", drifted: bool = False,
           temperature: float | None = None) -> np.ndarray:
    """``n`` probability rows over ``k`` classes (float64); ``drifted``: mean top-class probability 0.80."""
    t = temperature if temperature is not None else (temperature_for(k, shape) if drifted else 1.0)
    return _softmax(_raw(n, k, shape, margin_for(k, shape), rng) / t)


def main() -> None:
    from drift_core.divergence import js_distance
    from drift_core.histograms import coarsen, count_unit, shared_groups

    n = 100_000
    print("| shape | K | mean top-class probability | temperature | JS, top-class probability | "
          "JS, normalised entropy |")
    print("|---|---:|---:|---:|---:|---:|")
    import sys

    wanted = [a.split(":") for a in sys.argv[1:]] or [["logits", "10"], ["logits", "1000"], ["logits", "2"],
                                                       ["dirichlet", "10"]]
    for shape, k in ((s, int(k)) for s, k in wanted):
        rng = np.random.default_rng(0)
        p_ref = scores(n, rng, k, shape)
        ref_c = count_unit(p_ref.max(axis=1))
        ref_h = count_unit(_entropy(p_ref))
        for target in (0.90, 0.89, 0.88, 0.86, 0.84, 0.80, 0.75):
            t = 1.0 if target == 0.90 else temperature_for(k, shape, target)
            p = scores(n, rng, k, shape, temperature=t)
            new_c, new_h = count_unit(p.max(axis=1)), count_unit(_entropy(p))
            gc, gh = shared_groups(ref_c, new_c, 10), shared_groups(ref_h, new_h, 10)
            print(f"| {shape} | {k} | 0.90 -> {p.max(axis=1).mean():.3f} | {t:.3f} | "
                  f"{js_distance(coarsen(ref_c, gc), coarsen(new_c, gc)):.3f} | "
                  f"{js_distance(coarsen(ref_h, gh), coarsen(new_h, gh)):.3f} |", flush=True)


def _entropy(p: np.ndarray) -> np.ndarray:
    k = p.shape[1]
    return -(p * np.log(p, out=np.zeros_like(p), where=p > 0)).sum(axis=1) / np.log(k)


if __name__ == "__main__":
    main()
