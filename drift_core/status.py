"""Thresholds and the ok / warn / alert rule.

One rule for every metric, with ``(warn, alert)`` thresholds::

    score <  warn           -> "ok"
    warn <= score <= alert  -> "warn"
    score >  alert          -> "alert"
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal

Status = Literal["ok", "warn", "alert"]
SEVERITY: dict[str, int] = {"ok": 0, "warn": 1, "alert": 2}


def classify(score: float, warn: float, alert: float) -> Status:
    """Status of ``score`` under thresholds ``(warn, alert)``.

    Examples
    --------
    >>> [classify(s, 0.1, 0.2) for s in (0.0999, 0.1, 0.2, 0.2001)]
    ['ok', 'warn', 'warn', 'alert']
    """
    if score > alert:
        return "alert"
    if score >= warn:
        return "warn"
    return "ok"


def worst(statuses: list[Status] | list[str]) -> Status:
    """The most severe status (``"ok"`` for none)."""
    out: Status = "ok"
    for s in statuses:
        if SEVERITY[s] > SEVERITY[out]:
            out = s  # type: ignore[assignment]
    return out


def check_thresholds(thresholds: Mapping[str, object] | None) -> dict[str, tuple[float, float]]:
    """Validate a ``{name: (warn, alert)}`` mapping (names are checked against the registry by the caller).

    Examples
    --------
    >>> check_thresholds({"brightness_js": (0.3, 0.2)})
    Traceback (most recent call last):
    ...
    ValueError: thresholds for 'brightness_js' must satisfy warn <= alert, got (0.3, 0.2)
    """
    out: dict[str, tuple[float, float]] = {}
    if thresholds is None:
        return out
    if not isinstance(thresholds, Mapping):
        raise TypeError(f"thresholds must be a mapping {{name: (warn, alert)}}, got {type(thresholds).__name__}")
    for name, pair in thresholds.items():
        try:
            warn, alert = (float(v) for v in pair)  # type: ignore[attr-defined]
        except (TypeError, ValueError):
            raise ValueError(f"thresholds for {name!r} must be a (warn, alert) pair of numbers, got {pair!r}") from None
        if not (math.isfinite(warn) and math.isfinite(alert)) or warn < 0:
            raise ValueError(f"thresholds for {name!r} must be finite and >= 0, got ({warn:g}, {alert:g})")
        if warn > alert:
            raise ValueError(f"thresholds for {name!r} must satisfy warn <= alert, got ({warn:g}, {alert:g})")
        out[str(name)] = (warn, alert)
    return out


def holm(p_values: list[float]) -> list[float]:
    """Holm step-down adjusted p-values (family-wise error control over one comparison).

    Notes
    -----
    Sort p ascending, p_(1) <= ... <= p_(m); adjusted p_(i) = max_{j <= i} min(1, (m - j + 1) p_(j)).
    A metric is significant when its adjusted p-value is below alpha.

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03])
    [0.03, 0.06, 0.06]
    """
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = round(running, 15)
    return adjusted


def items_needed(noise_floor: float, n_ref: int, n_new: int, warn: float) -> int:
    """About how many items *on each side* would bring a score's noise floor down to ``warn``.

    Parameters
    ----------
    noise_floor : float
        The score's noise floor at the current sizes (99th percentile of the score under "no drift").
    n_ref, n_new : int
        The current numbers of items of the reference and of the new data.
    warn : float
        The warn threshold the noise floor should fall to (> 0).

    Returns
    -------
    int
        ``N`` such that comparing ``N`` items with ``N`` items would have a noise floor of about
        ``warn`` (at least the current sizes' effective size; 0 when the floor is already below).

    Notes
    -----
    Sampling noise of a distance between two histograms shrinks like ``1 / sqrt(n_eff)`` with the
    two-sample effective size ``n_eff = n_ref n_new / (n_ref + n_new)`` (half the harmonic mean).
    The floor reaches ``warn`` at ``n_eff' = n_eff (noise_floor / warn)^2``, which two equal sides of
    ``N = 2 n_eff'`` items give. An approximation: coarse bins and small-sample bias make it rough,
    so read it as an order of magnitude.

    Examples
    --------
    >>> items_needed(0.16, 300, 150, 0.1)  # n_eff 100 -> 256 -> 512 per side
    512
    >>> items_needed(0.05, 300, 150, 0.1)
    0
    """
    if warn <= 0 or n_ref < 1 or n_new < 1:
        raise ValueError(f"items_needed needs warn > 0 and sizes >= 1, got warn={warn}, sizes ({n_ref}, {n_new})")
    if noise_floor <= warn:
        return 0
    n_eff = n_ref * n_new / (n_ref + n_new)
    return int(math.ceil(2 * n_eff * (noise_floor / warn) ** 2))
