"""The score table of a comparison as display strings: one model, rendered by the console and the dashboard.

One :class:`ScoreRow` per metric of a :func:`~drift_core.compare_profiles` result, thresholded
metrics first, every number already formatted, so that ``drift compare``, the dashboard's table and
the offline report show the same text: scores and noise floors with 3 decimals, thresholds as
written (``0.1``), the p-value the status was judged by (Holm-adjusted when present) with 3
decimals or ``< 0.001``, and :data:`NA` where a value does not apply. The status is a word
(``ok`` / ``warn`` / ``alert``, ``info`` for metrics without thresholds); renderers add icons or
colours, never replace the word.

:func:`moved_most` is the model of "what moved most" below the table: for each flagged metric
(or, when none is, the one closest to its warn line) its top contributors as display strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .metrics import metric_info

#: Shown where a value does not apply (no p-value, no noise floor).
NA = "—"
#: The status word of a metric that is reported but has no thresholds.
INFO = "info"


@dataclass(frozen=True)
class ScoreRow:
    """One metric of a comparison as display strings (see the module docstring)."""

    name: str
    label: str
    unit: str
    score: str
    warn: str
    alert: str
    p_value: str
    noise_floor: str
    status: str
    summary: str

    @property
    def thresholds(self) -> str:
        """``"0.1 / 0.2"``, or ``"not thresholded"``."""
        return f"{self.warn} / {self.alert}" if self.warn != NA else "not thresholded"


def format_number(value: Any, digits: int = 3) -> str:
    """``0.123`` with ``digits`` decimals, or :data:`NA` for ``None``.

    >>> format_number(0.12345), format_number(None)
    ('0.123', '—')
    """
    return NA if value is None else f"{float(value):.{digits}f}"


def format_p_value(value: Any) -> str:
    """A p-value with 3 decimals, ``< 0.001`` below that, :data:`NA` for ``None``.

    >>> format_p_value(0.0004), format_p_value(0.25), format_p_value(None)
    ('< 0.001', '0.250', '—')
    """
    if value is None:
        return NA
    v = float(value)
    return "< 0.001" if v < 0.001 else f"{v:.3f}"


def _label(name: str, detail: Mapping[str, Any]) -> str:
    if detail.get("label"):
        return str(detail["label"])
    try:
        return metric_info(name).label
    except ValueError:
        return name


def score_rows(result: Mapping[str, Any]) -> list[ScoreRow]:
    """The rows of ``result``'s score table: thresholded metrics first, then informational ones.

    Examples
    --------
    >>> result = {"drift_scores": {"seq_length_js": 0.25}, "metric_status": {"seq_length_js": "alert"},
    ...           "metrics": {"seq_length_js": {"status": "alert", "thresholded": True, "threshold": [0.1, 0.2],
    ...                                         "p_adjusted": 1e-5, "noise_floor": 0.05}}}
    >>> row = score_rows(result)[0]
    >>> (row.label, row.score, row.thresholds, row.p_value, row.noise_floor, row.status)
    ('Sequence length', '0.250', '0.1 / 0.2', '< 0.001', '0.050', 'alert')
    """
    details: Mapping[str, Mapping[str, Any]] = result.get("metrics", {})
    statuses: Mapping[str, str] = result.get("metric_status", {})
    names = list(result["drift_scores"])
    names.sort(key=lambda n: not details.get(n, {}).get("thresholded", n in statuses))
    rows = []
    for name in names:
        d = details.get(name, {})
        thresholded = d.get("thresholded", name in statuses)
        threshold = d.get("threshold") or result.get("thresholds", {}).get(name)
        rows.append(ScoreRow(
            name=name,
            label=_label(name, d),
            unit=str(d.get("unit") or ""),
            score=format_number(result["drift_scores"][name]),
            warn=f"{threshold[0]:g}" if threshold else NA,
            alert=f"{threshold[1]:g}" if threshold else NA,
            p_value=format_p_value(d.get("p_adjusted", d.get("p_value"))),
            noise_floor=format_number(d.get("noise_floor")),
            status=str(d.get("status", statuses.get(name))) if thresholded else INFO,
            summary=str(d.get("summary") or ""),
        ))
    return rows


@dataclass(frozen=True)
class MovedBin:
    """One contributor of a metric as display strings: ``share`` of the score's divergence
    (``"48%"``), ``direction`` ``"up"`` / ``"down"`` (the bin's share in the new data), ``words``."""

    label: str
    share: str
    direction: str
    words: str


@dataclass(frozen=True)
class MovedMetric:
    """A metric and its top contributors, for the "what moved most" lists."""

    name: str
    label: str
    status: str
    bins: tuple[MovedBin, ...]


def moved_most(result: Mapping[str, Any], k: int = 3) -> list[MovedMetric]:
    """The top ``k`` contributors of each non-ok thresholded metric, worst first; when every metric
    is ok, of the one closest to its warn line (score / warn), so that the biggest mover is still
    named. Metrics without contributors (distances, turnover, results from before contributors)
    are left out.

    Examples
    --------
    >>> top = [{"label": "class 3", "ref_share": 0.1, "new_share": 0.25, "contribution": 0.02,
    ...         "share_of_score": 0.62, "words": "class 3: 10% -> 25% of predictions"}]
    >>> result = {"metrics": {"prediction_js": {"label": "Predicted classes", "status": "alert",
    ...                                         "threshold": [0.1, 0.2], "score": 0.3, "contributors": top}}}
    >>> m = moved_most(result)[0]
    >>> m.label, m.status, m.bins[0].share, m.bins[0].direction, m.bins[0].words
    ('Predicted classes', 'alert', '62%', 'up', 'class 3: 10% -> 25% of predictions')
    """
    rank = {"alert": 0, "warn": 1, "ok": 2}
    judged = [(n, d) for n, d in result.get("metrics", {}).items()
              if d.get("contributors") and d.get("status") in rank and d.get("threshold")]
    flagged = [(n, d) for n, d in judged if d["status"] != "ok"]
    if not flagged and judged:
        flagged = [max(judged, key=lambda nd: float(nd[1]["score"]) / max(float(nd[1]["threshold"][0]), 1e-12))]
    flagged.sort(key=lambda nd: (rank[nd[1]["status"]], -float(nd[1]["score"])))
    return [
        MovedMetric(name, _label(name, d), str(d["status"]), tuple(
            MovedBin(str(c["label"]), f"{float(c['share_of_score']):.0%}",
                     "up" if c["new_share"] > c["ref_share"] else "down", str(c["words"]))
            for c in d["contributors"][:k]))
        for name, d in flagged
    ]
