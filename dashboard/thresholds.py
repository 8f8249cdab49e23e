"""Which (warn, alert) thresholds a comparison is judged by: the sidebar's quick pairs plus per-metric rows.

Pure functions (no Streamlit): the Compare page draws the rows in an ``st.data_editor`` and hands the
edited rows back to :func:`resolve_thresholds`.

* The quick pairs are ``{"js": (warn, alert), "top": (warn, alert)}``: ``"js"`` applies to every JS
  distance, ``"top"`` to ``top_tokens_drift``. Other metrics (KL, channel-mean distance) are
  informational by default (the registry's ``default_thresholds`` is ``None``).
* A row whose values differ from what the quick pairs (or the registry) give is an *override*.
  Overrides are kept by metric name, so they survive a change of reference, and travel in the URL
  as ``th=seq_length_kl:1,2;token_freq_js:0.15,0.3``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from drift_core import metric_info
from drift_core.status import check_thresholds

Pair = tuple[float, float]
#: ``{"js": (warn, alert), "top": (warn, alert)}``
QuickPairs = Mapping[str, Pair]

#: The registry defaults the quick pairs start from (the JS distances', the top-token turnover's).
_QUICK_DEFAULTS = {"js": metric_info("seq_length_js").default_thresholds,
                   "top": metric_info("top_tokens_drift").default_thresholds}

#: The editor's columns, in order.
ROW_KEYS = ("label", "metric", "monitored", "warn", "alert")


def quick_family(name: str) -> str | None:
    """Which quick pair sets ``name``'s thresholds: ``"js"``, ``"top"``, or None (informational, or a
    metric with defaults of its own, set in the per-metric table).

    A metric follows a quick pair when it is of the pair's family *and* shares its registry default:
    ``confidence_js`` / ``entropy_js`` are JS distances with their own (0.15, 0.3), which the JS pair
    (0.1, 0.2 by default) must not override.
    """
    info = metric_info(name)
    family = {"js": "js", "turnover": "top"}.get(info.family)
    if info.default_thresholds is None or family is None:
        return None
    return family if info.default_thresholds == _QUICK_DEFAULTS[family] else None


def default_pair(name: str, quick: QuickPairs) -> Pair | None:
    """The thresholds ``name`` gets without an override (None: informational)."""
    family = quick_family(name)
    if family is not None:
        return (float(quick[family][0]), float(quick[family][1]))
    default = metric_info(name).default_thresholds
    return (float(default[0]), float(default[1])) if default is not None else None


def editor_rows(
    names: Iterable[str], quick: QuickPairs, overrides: Mapping[str, Pair], n_channels: int = 3
) -> list[dict[str, Any]]:
    """The rows the per-metric table starts from: an override where there is one, else the default.

    Informational metrics start unmonitored, with empty warn/alert (None).
    """
    rows = []
    for name in names:
        pair = overrides.get(name) or default_pair(name, quick)
        rows.append({
            "label": metric_info(name, n_channels).label, "metric": name, "monitored": pair is not None,
            "warn": pair[0] if pair else None, "alert": pair[1] if pair else None,
        })
    return rows


@dataclass(frozen=True)
class Resolved:
    """What :func:`resolve_thresholds` decided.

    ``thresholds`` goes to ``compare_profiles``; ``overrides`` replaces the previous overrides (and
    the URL's ``th``); ``errors`` names each bad row, whose metric kept its previous thresholds.
    """

    thresholds: dict[str, Pair]
    overrides: dict[str, Pair]
    errors: list[str] = field(default_factory=list)


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def _row_pair(row: Mapping[str, Any], default: Pair | None) -> Pair | None:
    """The row's (warn, alert), None when unmonitored; ``ValueError`` naming the metric when bad."""
    name = row["metric"]
    if not bool(row.get("monitored")):
        if default is not None:
            raise ValueError(f"{name!r} is always monitored: raise its warn / alert instead of unticking it")
        return None
    warn, alert = _number(row.get("warn")), _number(row.get("alert"))
    if warn is None or alert is None:
        raise ValueError(f"enter both warn and alert to monitor {name!r}")
    if default is not None and (warn, alert) == default:
        return default  # the quick pair itself: judged (and reported) by compare_profiles
    return check_thresholds({name: (warn, alert)})[name]


def resolve_thresholds(
    quick: QuickPairs, rows: Iterable[Mapping[str, Any]], previous: Mapping[str, Pair] | None = None
) -> Resolved:
    """Turn the quick pairs and the per-metric rows into ``compare_profiles``' ``thresholds``.

    Parameters
    ----------
    quick : mapping
        ``{"js": (warn, alert), "top": (warn, alert)}``, the sidebar's quick pairs.
    rows : iterable of mappings
        One per metric of the comparison, with keys ``metric``, ``monitored``, ``warn``, ``alert``
        (as :func:`editor_rows` makes them and the user edited them).
    previous : mapping, optional
        The overrides in force before this edit. A bad row keeps its metric's previous override
        (or its default); overrides of metrics without a row are carried over unchanged.

    Returns
    -------
    Resolved
        Thresholds of every monitored metric, the new overrides, and one message per bad row.

    Notes
    -----
    A row is bad when warn or alert is missing, negative or not finite, when warn > alert, or when
    a metric that has default thresholds is unticked (``compare_profiles`` would judge it by its
    defaults anyway).

    Examples
    --------
    >>> quick = {"js": (0.1, 0.2), "top": (0.3, 0.5)}
    >>> rows = [{"metric": "seq_length_js", "monitored": True, "warn": 0.1, "alert": 0.2},
    ...         {"metric": "seq_length_kl", "monitored": True, "warn": 1, "alert": 2}]
    >>> r = resolve_thresholds(quick, rows)
    >>> r.thresholds, r.overrides
    ({'seq_length_js': (0.1, 0.2), 'seq_length_kl': (1.0, 2.0)}, {'seq_length_kl': (1.0, 2.0)})
    """
    previous = dict(previous or {})
    overrides = dict(previous)
    thresholds: dict[str, Pair] = {}
    errors: list[str] = []
    for row in rows:
        name = str(row["metric"])
        default = default_pair(name, quick)
        try:
            pair = _row_pair(row, default)
        except ValueError as e:
            pair = previous.get(name, default)
            kept = f"{pair[0]:g} / {pair[1]:g}" if pair else "not monitored"
            errors.append(f"{e}. {name} keeps its previous thresholds ({kept}).")
        else:
            if pair is None or pair == default:
                overrides.pop(name, None)
            else:
                overrides[name] = pair
        if pair is not None:
            thresholds[name] = pair
    return Resolved(thresholds, overrides, errors)


def format_overrides(overrides: Mapping[str, Pair]) -> str:
    """The URL form of the overrides: ``"seq_length_kl:1,2;token_freq_js:0.15,0.3"`` (sorted by name)."""
    return ";".join(f"{name}:{w:g},{a:g}" for name, (w, a) in sorted(overrides.items()))


def parse_overrides(text: str | None) -> tuple[dict[str, Pair], list[str]]:
    """Read :func:`format_overrides`' form back; bad entries are left out and described.

    Examples
    --------
    >>> parse_overrides("seq_length_kl:1,2;nope:1,2;brightness_js:0.3,0.2")[0]
    {'seq_length_kl': (1.0, 2.0)}
    """
    overrides: dict[str, Pair] = {}
    errors: list[str] = []
    for entry in (text or "").split(";"):
        if not entry.strip():
            continue
        name, _, values = entry.partition(":")
        name = name.strip()
        try:
            metric_info(name)  # unknown names (and the channel template itself) raise
            warn, alert = (float(v) for v in values.split(","))
            overrides[name] = check_thresholds({name: (warn, alert)})[name]
        except ValueError as e:
            errors.append(f"{entry!r}: {e}")
    return overrides, errors
