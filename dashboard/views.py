"""Streamlit pieces of the comparison view: each function draws one section from a result.

They only lay out what ``drift_core`` computed and ``figures`` drew; no numbers are made here.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from drift_core.status import items_needed
from drift_core.table import moved_most

from .figures import NOISE_ICON, STATUS_HEADLINES, STATUS_ICONS
from .tables import COMPACT_COLUMNS, score_table, styled_score_table, within_noise

_BANNERS: dict[str, tuple[Callable[..., Any], str]] = {
    "ok": (st.success, ":material/check_circle:"),
    "warn": (st.warning, ":material/warning:"),
    "alert": (st.error, ":material/error:"),
}
_PLOTLY_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


def chart(fig: go.Figure, key: str) -> None:
    """One plotly chart at full column width."""
    st.plotly_chart(fig, key=key, config=_PLOTLY_CONFIG, theme=None)


def _noisy(result: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [d for d in result.get("metrics", {}).values() if within_noise(d)]


def status_banner(result: Mapping[str, Any]) -> None:
    """The overall status as a coloured box with a headline in words and one consistent summary.

    When scores crossed a threshold but stay within sampling noise, the box says so in words (the
    third state, ◌) instead of the core's two sentences, which read as a contradiction on screen.
    """
    show, icon = _BANNERS[result["status"]]
    summary = result.get("summary", "")
    noisy = _noisy(result)
    if noisy and result["status"] == "ok":
        names = ", ".join(str(d.get("label")) for d in noisy)
        summary = (f"No score is significantly above its threshold. {len(noisy)} score(s) crossed a threshold "
                   f"but are within sampling noise at these batch sizes ({NOISE_ICON} {names}): see below.")
    show(f"**{STATUS_HEADLINES[result['status']]}**\n\n{summary}", icon=icon)


def small_batch_notice(result: Mapping[str, Any]) -> None:
    """Say when a batch is too small to see warn-level drift (noise floor above the warn line) in a
    metric that stayed ok (one that warned or alerted saw its drift anyway)."""
    blind = []
    for d in result.get("metrics", {}).values():
        t, floor = d.get("threshold"), d.get("noise_floor")
        if d.get("status") in ("warn", "alert"):
            continue  # drift was seen anyway: the notice is for scores that stayed ok
        if t and floor is not None and t[0] > 0 and floor > t[0]:
            blind.append((d, items_needed(floor, int(d.get("n_ref") or result["n_ref"]),
                                          int(d.get("n_new") or result["n_new"]), t[0])))
    if not blind:
        return
    worst = max(n for _, n in blind)
    listed = "; ".join(f"{d['label']}: noise floor {d['noise_floor']:.3g} > warn {d['threshold'][0]:g}" for d, _ in blind)
    st.info(
        f"**This batch is too small to detect warn-level drift** in {len(blind)} metric(s) ({listed}). "
        f"Sampling noise alone can reach those scores with {result['n_ref']:,} vs {result['n_new']:,} items; "
        f"about **{worst:,} items on each side** would be needed (noise shrinks like 1/√n).",
        icon=":material/straighten:",
    )


def _reason(d: Mapping[str, Any], result: Mapping[str, Any]) -> str:
    """Why a metric within noise stayed ok, in one line."""
    t = d.get("threshold") or (None, None)
    line = "alert" if d.get("threshold_status") == "alert" else "warn"
    at = t[1] if line == "alert" else t[0]
    p = d.get("p_adjusted", d.get("p_value"))
    floor = d.get("noise_floor")
    parts = [f"Score {d['score']:.3g} crossed the {line} line ({at:g})"]
    if floor is not None:
        parts.append(f"but sampling noise alone reaches {floor:.3g} with {d.get('n_ref', result['n_ref']):,} vs "
                     f"{d.get('n_new', result['n_new']):,} items")
    if p is not None:
        parts.append(f"(p = {p:.2g} after adjustment, not below alpha {result.get('alpha', 0.01)})")
    return " ".join(parts) + ": kept ok."


#: Height of one row of a Streamlit dataframe, in pixels (header included).
ROW_PX = 35
#: Width of each column of the score table, in pixels: its longest texts ("New vocabulary (sequences)",
#: "not thresholded") and 17 pixels of cell padding. Set, not measured from the first rows shown:
#: Streamlit keeps a table's measured widths across reruns, so after switching runs a longer status
#: ("ok: within noise") was cut to "ok: wit", and "Noise floor" ran past the table's right edge.
SCORE_COLUMN_PX = dict(zip(COMPACT_COLUMNS, (124, 185, 57, 111, 62, 83), strict=True))


def scores_section(result: Mapping[str, Any], scores_fig: go.Figure) -> None:
    """Score table, the bar chart of the drift scores under it, then each metric's change in words.

    One above the other: side by side at 1440 pixels, the table needs about 620 of them and the
    chart's metric names half of the rest, so either the table's last column or the chart was cut.
    """
    st.subheader("Scores")
    table = score_table(result)
    st.dataframe(
        styled_score_table(table, COMPACT_COLUMNS),
        hide_index=True,
        # every row visible: with the quality and confidence metrics a vision table has 14 rows,
        # and the default height hid the last ones behind a scroll bar
        height=ROW_PX * (len(table) + 1) + 3,
        column_config={name: st.column_config.Column(width=px) for name, px in SCORE_COLUMN_PX.items()},
        key="cmp_scores_table",
    )
    st.caption(
        "A metric is flagged only when its score crosses the threshold **and** the shift is "
        f"statistically significant (adjusted p-value < {result.get('alpha', 0.01)}). "
        f"{NOISE_ICON} *within noise*: crossed the threshold, but sampling noise alone could explain it. "
        "Noise floor: the score that sampling noise alone stays below 99% of the time."
    )
    chart(scores_fig, "cmp_fig_scores")
    lines = []
    for d in result.get("metrics", {}).values():
        if d.get("status") is None or not d.get("summary"):
            continue
        if within_noise(d):
            lines.append(f"- {NOISE_ICON} **{d['label']}** (ok: within noise): {d['summary']}. {_reason(d, result)}")
        else:
            lines.append(f"- {STATUS_ICONS[d['status']]} **{d['label']}** ({d['status']}): {d['summary']}")
    if lines:
        st.markdown("**In words**\n" + "\n".join(lines))


def moved_most_section(result: Mapping[str, Any]) -> None:
    """"What moved most": the top three bins of each flagged metric (or of the one closest to its warn
    line), in words, with their share of the score's divergence; the charts below mark the same bins."""
    groups = moved_most(result, 3)
    if not groups:
        return
    lines = ["**What moved most**"]
    for g in groups:
        icon = STATUS_ICONS.get(g.status, "")
        parts = "; ".join(f"**#{i}** {_escape(b.words)} ({b.share} of the divergence)" for i, b in enumerate(g.bins, 1))
        lines.append(f"- {icon} **{g.label}** ({g.status}): {parts}")
    st.markdown("\n".join(lines))
    st.caption("Each bin's share of the score: JS is the square root of a sum over the bins (the JS divergence), "
               "and these bins carry the largest parts of it. Marked #1, #2, #3 in the charts below.")


def examples_gallery(ref: Mapping[str, Any], new: Mapping[str, Any]) -> None:
    """A few example items of each side, kept in the profiles (thumbnails, or short texts)."""
    cols = st.columns(2, gap="medium")
    for col, side, profile in ((cols[0], "Reference", ref), (cols[1], "New data", new)):
        with col:
            st.markdown(f"**{side}**")
            examples = profile.get("examples")
            if not examples:
                st.caption("No examples kept in this profile (profiled without examples, or by an older version).")
                continue
            if profile["modality"] == "vision":
                images = [base64.b64decode(e.split(",", 1)[1]) for e in examples]
                st.image(images, width=72)
            else:
                for text in examples:
                    st.markdown(f"> {_escape(text)}")


def _escape(text: str) -> str:
    """Show user text as text, not markdown (no links, no headings, no HTML)."""
    out = text.replace("\n", " ")
    for ch in "\\`*_{}[]()#+-.!|<>$~":
        out = out.replace(ch, "\\" + ch)
    return out


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
