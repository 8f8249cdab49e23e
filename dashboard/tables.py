"""The score table of a comparison: one row per metric, as plain display strings.

Shared by the dashboard (``st.dataframe`` of a pandas ``Styler``) and the offline report (HTML).
Status is always written out (icon + word), never shown by colour alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from .figures import STATUS_COLORS, STATUS_ICONS, metric_label

#: Pale backgrounds for the status cell (the strong colours are used for the text).
STATUS_BACKGROUNDS: dict[str, str] = {"ok": "#e6f4ea", "warn": "#fff3d6", "alert": "#fde2e2"}
INFO_TEXT = "ℹ info"

#: Every column; the dashboard shows :data:`COMPACT_COLUMNS` (it lists "What changed" below the table).
COLUMNS = ["Status", "Metric", "Score", "Unit", "Warn / alert at", "p-value", "Noise floor", "What changed"]
COMPACT_COLUMNS = ["Status", "Metric", "Score", "Warn / alert at", "p-value", "Noise floor"]


def _number(value: Any, digits: int = 3) -> str:
    if value is None:
        return "—"
    return f"{float(value):.{digits}f}"


def _p_value(value: Any) -> str:
    if value is None:
        return "—"
    v = float(value)
    return "< 0.001" if v < 0.001 else f"{v:.3f}"


def status_text(status: str | None) -> str:
    """``"✖ alert"``, ``"⚠ warn"``, ``"✔ ok"``; informational metrics read ``"ℹ info"``."""
    return f"{STATUS_ICONS[status]} {status}" if status in STATUS_ICONS else INFO_TEXT


def score_table(result: Mapping[str, Any]) -> pd.DataFrame:
    """One row per metric of ``result`` (thresholded metrics first, then informational ones).

    The p-value shown is the multiple-testing adjusted one when the result has it (that is the one
    the status was judged by), else the raw one.
    """
    details: Mapping[str, Mapping[str, Any]] = result.get("metrics", {})
    names = list(result["drift_scores"])
    names.sort(key=lambda n: not details.get(n, {}).get("thresholded", n in result.get("metric_status", {})))
    rows = []
    for name in names:
        d = details.get(name, {})
        status = d.get("status", result.get("metric_status", {}).get(name))
        threshold = d.get("threshold") or result.get("thresholds", {}).get(name)
        p = d.get("p_adjusted", d.get("p_value"))
        rows.append(
            {
                "Status": status_text(status),
                "Metric": metric_label(result, name),
                "Score": _number(result["drift_scores"][name]),
                "Unit": str(d.get("unit") or ""),
                "Warn / alert at": f"{threshold[0]:g} / {threshold[1]:g}" if threshold else "not thresholded",
                "p-value": _p_value(p),
                "Noise floor": _number(d.get("noise_floor")),
                "What changed": str(d.get("summary") or ""),
                "_status": status or "",
                "_name": name,
            }
        )
    return pd.DataFrame(rows, columns=[*COLUMNS, "_status", "_name"])


def status_cell_style(status: str) -> str:
    """CSS for a status cell: pale background, strong text colour, bold."""
    if status not in STATUS_COLORS:
        return "color: #5f6b7a"
    return f"background-color: {STATUS_BACKGROUNDS[status]}; color: {STATUS_COLORS[status]}; font-weight: 600"


def styled_score_table(table: pd.DataFrame, columns: list[str] = COLUMNS) -> Any:
    """A pandas ``Styler`` of ``columns`` of :func:`score_table`, status cells coloured."""
    shown = table[columns]
    styles = [status_cell_style(s) for s in table["_status"]]

    def _style(col: pd.Series) -> list[str]:
        return styles if col.name == "Status" else [""] * len(col)

    return shown.style.apply(_style, axis=0)
