"""The score table of a comparison on screen: :func:`drift_core.table.score_rows` as a DataFrame.

The rows (every number formatted) come from ``drift_core.table``, which ``drift compare`` renders
too, so both show the same text. Shared by the dashboard (``st.dataframe`` of a pandas ``Styler``)
and the offline report (HTML). Status is always written out (icon + word), never shown by colour alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from drift_core.table import INFO, score_rows

from .figures import NOISE_COLOR, NOISE_ICON, STATUS_COLORS, STATUS_ICONS

#: Pale backgrounds for the status cell (the strong colours are used for the text).
STATUS_BACKGROUNDS: dict[str, str] = {"ok": "#e6f4ea", "warn": "#fff3d6", "alert": "#fde2e2", "noise": "#f6f1de"}
INFO_TEXT = "ℹ info"
NOISE_TEXT = f"{NOISE_ICON} ok: within noise"


def within_noise(detail: Mapping[str, Any]) -> bool:
    """A metric that crossed its threshold but stayed ok because the shift is within sampling noise."""
    return detail.get("status") == "ok" and detail.get("threshold_status") not in (None, "ok")

#: Every column; the dashboard shows :data:`COMPACT_COLUMNS` (it lists "What changed" below the table).
COLUMNS = ["Status", "Metric", "Score", "Unit", "Warn / alert at", "p-value", "Noise floor", "What changed"]
COMPACT_COLUMNS = ["Status", "Metric", "Score", "Warn / alert at", "p-value", "Noise floor"]


def status_text(status: str | None) -> str:
    """``"✖ alert"``, ``"⚠ warn"``, ``"✔ ok"``, ``"◌ ok: within noise"``; informational metrics read ``"ℹ info"``."""
    if status == "noise":
        return NOISE_TEXT
    return f"{STATUS_ICONS[status]} {status}" if status in STATUS_ICONS else INFO_TEXT


def shown_status(result: Mapping[str, Any], name: str, status: str | None) -> str | None:
    """The status to show: ``"noise"`` for a metric within noise, else the result's own."""
    return "noise" if within_noise(result.get("metrics", {}).get(name, {})) else status


def score_table(result: Mapping[str, Any]) -> pd.DataFrame:
    """One row per metric of ``result`` (thresholded metrics first, then informational ones).

    The p-value shown is the multiple-testing adjusted one when the result has it (that is the one
    the status was judged by), else the raw one.
    """
    rows = [
        {
            "Status": status_text(shown_status(result, r.name, r.status)),
            "Metric": r.label,
            "Score": r.score,
            "Unit": r.unit,
            "Warn / alert at": r.thresholds,
            "p-value": r.p_value,
            "Noise floor": r.noise_floor,
            "What changed": r.summary,
            "_status": "" if r.status == INFO else shown_status(result, r.name, r.status),
            "_name": r.name,
        }
        for r in score_rows(result)
    ]
    return pd.DataFrame(rows, columns=[*COLUMNS, "_status", "_name"])


def status_cell_style(status: str) -> str:
    """CSS for a status cell: pale background, strong text colour, bold."""
    if status == "noise":
        return f"background-color: {STATUS_BACKGROUNDS[status]}; color: {NOISE_COLOR}; font-weight: 600"
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
