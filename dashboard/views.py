"""Streamlit pieces of the comparison view: each function draws one section from a result.

They only lay out what ``drift_core`` computed and ``figures`` drew; no numbers are made here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from .figures import STATUS_HEADLINES, STATUS_ICONS
from .tables import COMPACT_COLUMNS, score_table, styled_score_table

_BANNERS: dict[str, tuple[Callable[..., Any], str]] = {
    "ok": (st.success, ":material/check_circle:"),
    "warn": (st.warning, ":material/warning:"),
    "alert": (st.error, ":material/error:"),
}
_PLOTLY_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


def chart(fig: go.Figure, key: str) -> None:
    """One plotly chart at full column width."""
    st.plotly_chart(fig, key=key, config=_PLOTLY_CONFIG, theme=None)


def status_banner(result: Mapping[str, Any]) -> None:
    """The overall status as a coloured box with a headline in words and the plain-language summary."""
    show, icon = _BANNERS[result["status"]]
    show(f"**{STATUS_HEADLINES[result['status']]}**\n\n{result.get('summary', '')}", icon=icon)
    warnings = result.get("warnings") or []
    if warnings:
        with st.expander(f"Notes on this comparison ({len(warnings)})"):
            for w in warnings:
                st.markdown(f"- {w}")


def scores_section(result: Mapping[str, Any], scores_fig: go.Figure) -> None:
    """Score table beside the bar chart of the drift scores, then each metric's change in words."""
    left, right = st.columns([3, 2], gap="medium")
    with left:
        st.subheader("Scores")
        st.dataframe(
            styled_score_table(score_table(result), COMPACT_COLUMNS),
            hide_index=True,
            column_config={"Metric": st.column_config.TextColumn(width="medium")},
            key="cmp_scores_table",
        )
        st.caption(
            "A metric is flagged only when its score crosses the threshold **and** the shift is "
            f"statistically significant (adjusted p-value < {result.get('alpha', 0.01)}). "
            "Noise floor: the score that sampling noise alone stays below 99% of the time."
        )
    with right:
        chart(scores_fig, "cmp_fig_scores")
    lines = []
    for d in result.get("metrics", {}).values():
        if d.get("status") is None or not d.get("summary"):
            continue
        lines.append(f"- {STATUS_ICONS[d['status']]} **{d['label']}** ({d['status']}): {d['summary']}")
    if lines:
        st.markdown("**In words**\n" + "\n".join(lines))


def token_overlap_summary(result: Mapping[str, Any]) -> None:
    """The top-100 overlap in words, with the tokens only one side has (as the result lists them)."""
    share = result.get("token_overlap")
    if share is not None:
        st.metric("Top-100 tokens shared with the reference", f"{share:.0%}")

    def _tokens(tokens: list[Any]) -> str:
        if not tokens:
            return "none"
        shown = ", ".join(f"`{'#' if isinstance(t, int) else ''}{t}`" for t in tokens[:20])
        return shown + (f" and {len(tokens) - 20} more" if len(tokens) > 20 else "")

    st.markdown(f"**Only in the new data's top 100:** {_tokens(result.get('tokens_only_new', []))}")
    st.markdown(f"**Only in the reference's top 100:** {_tokens(result.get('tokens_only_ref', []))}")


def json_download(result: Mapping[str, Any], file_stem: str) -> None:
    """Download the raw comparison result."""
    st.download_button(
        "Download result (JSON)",
        data=json.dumps(result, indent=2),
        file_name=f"{file_stem}.json",
        mime="application/json",
        icon=":material/data_object:",
        on_click="ignore",
        key="cmp_download_json",
    )


def report_download(make_html: Callable[[], str], file_stem: str) -> None:
    """Download the offline HTML report; it is rendered only when clicked."""
    st.download_button(
        "Download HTML report",
        data=make_html,
        file_name=f"{file_stem}.html",
        mime="text/html",
        icon=":material/download:",
        type="primary",
        on_click="ignore",
        key="cmp_download_report",
    )
