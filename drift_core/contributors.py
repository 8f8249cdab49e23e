"""What moved most: a histogram score split into signed per-bin contributions, in plain words.

Every JS and KL score is a sum over the bins it was computed on (the scored coarse bins of a
length or [0, 1] histogram, the predicted classes, the token table's top tokens plus "other"), so
each bin's term says how much of the score that bin carries:

* **JS**: with shares ``P`` (reference), ``Q`` (new) and ``M = (P + Q) / 2``, the JS *divergence*
  ``JSD = JS^2 = sum_i c_i`` with ``c_i = 1/2 [P_i log2(P_i / M_i) + Q_i log2(Q_i / M_i)] >= 0``.
  A contributor's ``contribution`` is ``c_i`` signed by the direction (+ where the new share is
  higher); the absolute values add up to JS^2 (the displayed score, the JS *distance*, is its
  square root) and ``share_of_score = |c_i| / JS^2``.
* **KL** (ref || new, on the smoothed shares of :func:`divergence.kl_bits`):
  ``c_i = P_i log2(P_i / Q_i)`` adds up to KL exactly; a term is negative where the new share is
  higher, and ``share_of_score = c_i / KL`` (negative terms give negative shares; the shares add
  up to 1).

:func:`top_contributors` lists the bins with the largest ``|c_i|`` with their shares on both sides
and one line of plain words: ``sequences of 20-40 tokens: 9% -> 27% of the batch``,
``class 3: 10% -> 25% of predictions``, ``token 1234: 0.4% -> 2.1% of tokens``,
``brightness 0.600-0.700: 12% -> 31% of images``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, TypedDict

import numpy as np
from numpy.typing import NDArray

from ._evaluation import Bins, Evaluation
from .divergence import js_contributions, kl_contributions

if TYPE_CHECKING:
    from .metrics import MetricInfo

#: Contributors listed per metric by default.
DEFAULT_TOP = 5
#: What the items of a metric group are, in the words of a contributor ("... of predictions").
GROUP_UNITS = {"text": "the batch", "vision": "images", "outputs": "predictions"}


class ContributorResult(TypedDict):
    """One bin of a histogram score (see the module docstring): shares are fractions of the items
    (or tokens) of each side; ``share_of_score`` is a fraction of the divergence (JS^2, or KL)."""

    label: str
    ref_share: float
    new_share: float
    contribution: float
    share_of_score: float
    words: str


def bin_contributions(bins: Bins, family: str) -> NDArray[np.float64]:
    """Every bin's contribution: signed JS-divergence terms (``family="js"``) or KL terms (``"kl"``).

    Examples
    --------
    >>> b = Bins(np.array([40.0, 60.0]), np.array([80.0, 20.0]), ["class 0", "class 1"])
    >>> [round(float(c), 3) for c in bin_contributions(b, "js")]
    [0.049, -0.075]
    """
    if family == "js":
        return np.asarray(js_contributions(bins.ref, bins.new), dtype=np.float64)
    if family == "kl":
        return np.asarray(kl_contributions(bins.ref, bins.new), dtype=np.float64)
    raise ValueError(f"contributions are defined for the js and kl families, not {family!r}")


def top_contributors(bins: Bins, family: str, k: int | None = DEFAULT_TOP, unit: str = "items",
                     metric_label: str = "") -> list[ContributorResult]:
    """The ``k`` bins with the largest absolute contribution (``None``: every bin that contributes),
    largest first (ties: bin order). ``unit`` names what the shares are of (``bins.unit`` wins),
    ``metric_label`` names the values of a [0, 1] histogram (``"Brightness"``).

    Examples
    --------
    >>> b = Bins(np.array([10.0, 30.0, 60.0]), np.array([25.0, 30.0, 45.0]), ["class 0", "class 1", "class 2"])
    >>> [c["words"] for c in top_contributors(b, "js", unit="predictions")]
    ['class 0: 10% -> 25% of predictions', 'class 2: 60% -> 45% of predictions']
    """
    c = bin_contributions(bins, family)
    total = float(np.abs(c).sum()) if family == "js" else float(c.sum())
    sr, sn = _shares(bins.ref), _shares(bins.new)
    moved = np.flatnonzero(c != 0)
    order = moved[np.argsort(-np.abs(c[moved]), kind="stable")][:k]
    base = total if total != 0 else 1.0
    unit = bins.unit or unit
    return [
        {"label": str(bins.labels[i]), "ref_share": float(sr[i]), "new_share": float(sn[i]),
         "contribution": float(c[i]), "share_of_score": float((abs(c[i]) if family == "js" else c[i]) / base),
         "words": contributor_words(str(bins.labels[i]), float(sr[i]), float(sn[i]), unit, metric_label)}
        for i in order
    ]


def _shares(counts: NDArray[np.float64]) -> NDArray[np.float64]:
    total = counts.sum()
    return counts / total if total > 0 else np.zeros_like(counts)


def format_shares(a: float, b: float) -> str:
    """``9% -> 27%``: whole percents from 10% up, one decimal below (more when they would read alike);
    an empty bin is ``0%``.

    >>> format_shares(0.09, 0.27), format_shares(0.004, 0.021), format_shares(0.101, 0.104), format_shares(0, 0.078)
    ('9% -> 27%', '0.4% -> 2.1%', '10.1% -> 10.4%', '0% -> 7.8%')
    """
    top = max(a, b)
    digits = 0 if top >= 0.1 else 1 if top >= 0.001 else 2
    while digits < 3 and a != b and f"{a:.{digits}%}" == f"{b:.{digits}%}":
        digits += 1
    return " -> ".join("0%" if x == 0 else f"{x:.{digits}%}" for x in (a, b))


_LENGTH = re.compile(r"^length (\d+)(?:-(\d+)|(\+))?$")
_VALUES = re.compile(r"^values (\S+)$")


def contributor_words(label: str, ref_share: float, new_share: float, unit: str, metric_label: str = "") -> str:
    """One contributor in plain words, from its bin label.

    Examples
    --------
    >>> contributor_words("length 20-40", 0.09, 0.27, "the batch")
    'sequences of 20-40 tokens: 9% -> 27% of the batch'
    >>> contributor_words("values 0.600-0.700", 0.12, 0.31, "images", "Brightness (KL)")
    'brightness 0.600-0.700: 12% -> 31% of images'
    >>> contributor_words("token 1234", 0.004, 0.021, "tokens")
    'token 1234: 0.4% -> 2.1% of tokens'
    """
    what = label
    m = _LENGTH.match(label)
    if m:
        first, last, open_ended = m.groups()
        span = f"{first}+" if open_ended else f"{first}-{last}" if last else first
        what = "empty sequences" if span == "0" else f"sequences of {span} token{'' if span == '1' else 's'}"
    elif (v := _VALUES.match(label)) and metric_label:
        name = re.sub(r"\s*\([^)]*\)$", "", metric_label)
        what = f"{name[:1].lower()}{name[1:]} {v.group(1)}"
    return f"{what}: {format_shares(ref_share, new_share)} of {unit}"


def bin_span(label: str) -> tuple[float, float | None] | None:
    """The value range a bin label names, ``(low, high)`` with ``high`` inclusive for lengths and
    ``None`` for an open-ended last bin; ``None`` for labels that are not ranges (classes, tokens).

    >>> bin_span("length 20-40"), bin_span("length 128"), bin_span("length 1024+"), bin_span("values 0.6-0.7")
    ((20.0, 40.0), (128.0, 128.0), (1024.0, None), (0.6, 0.7))
    >>> bin_span("class 3") is None
    True
    """
    m = _LENGTH.match(label)
    if m:
        first, last, open_ended = m.groups()
        return float(first), None if open_ended else float(last or first)
    v = _VALUES.match(label)
    if v:
        lo, _, hi = v.group(1).partition("-")
        try:
            return float(lo), float(hi or lo)
        except ValueError:
            return None
    return None


def metric_contributors(e: Evaluation, info: MetricInfo, k: int | None = DEFAULT_TOP) -> list[ContributorResult] | None:
    """The top contributors of one evaluated metric, or ``None`` when it is not a histogram score
    (distances, top-token turnover)."""
    if info.family not in ("js", "kl"):
        return None
    if e.bins is None:
        return None
    return top_contributors(e.bins, info.family, k, GROUP_UNITS.get(info.group, "items"), info.label)
