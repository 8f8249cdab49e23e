"""A self-contained HTML report of one comparison, readable offline and without the app.

plotly.js is embedded inline once (a few MB); the page loads nothing from the network. The report
says in words what the status means, shows the score table (status written out, not only
coloured), the same figures as the dashboard, how to read the scores, and the raw JSON result.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from drift_core.metrics import metric_info
from drift_core.table import moved_most

from .figures import (
    STATUS_COLORS,
    STATUS_HEADLINES,
    STATUS_ICONS,
    HistoryPoint,
    comparison_figures,
    history_figure,
)
from .tables import COLUMNS, STATUS_BACKGROUNDS, score_table, status_cell_style

_CAPTIONS: dict[str, str] = {
    "scores": "Each bar is one drift score: 0 means the two datasets look the same, 1 that they have nothing "
    "in common. The amber and red ticks mark where the score would count as a warning or an alert.",
    "seq_length": "How long the sequences are, as a share of all sequences, on the same length bins for both "
    "datasets. Dashed lines mark the means.",
    "tokens": "The tokens whose share of all tokens changed the most. Blue bars: more common in the new data; "
    "grey bars: less common.",
    "channels": "How the per-image mean of each colour channel is distributed (0 = dark, 1 = full intensity), "
    "on the bins the channel scores were computed on. Dotted: reference; solid: new.",
    "brightness": "How the brightness of the images is distributed, on the bins brightness_js was computed on. "
    "Dotted grey: reference; solid blue: new.",
    "predictions": "Which classes the model predicted, as a share of all predictions.",
    "history": "The worst drift score of every comparison recorded against this reference, over time. "
    "Drift that creeps up over weeks shows here before it turns into an alert.",
}

_HOW_TO_READ = """
<p><b>Status.</b> A metric is <i>ok</i> below its warn threshold, a <i>warning</i> between the warn and alert
thresholds, and an <i>alert</i> above the alert threshold &mdash; but only when the shift is also
statistically significant (adjusted p-value below {alpha}). A large score on a small batch that is within
the noise of its sample size stays ok, and the warnings above say so. The overall status is the worst
metric status.</p>
<p><b>Scores.</b> <i>JS</i> is the Jensen-Shannon distance (log base 2): 0 for identical distributions,
1 for distributions with nothing in common. As a feel for the scale, 0.1 is roughly a quarter of a
standard deviation shift of the mean and 0.2 about half. <i>KL</i> is the Kullback-Leibler divergence of
the reference from the new data, in bits; it is informational unless given a threshold.</p>
<p><b>p-value</b>: the chance of a score at least this large if both datasets came from the same
distribution, adjusted for testing several metrics at once. <b>Noise floor</b>: the score that pure
sampling noise stays below 99% of the time at these sample sizes.</p>
"""

_CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #1f2430;
       max-width: 1100px; margin: 2rem auto; padding: 0 1.5rem; line-height: 1.5; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
.meta { color: #5f6b7a; margin-top: 0; }
.banner { border-left: 8px solid; border-radius: 6px; padding: .9rem 1.2rem; margin: 1.2rem 0; }
.banner .status { font-size: 1.3rem; font-weight: 700; }
table.scores { border-collapse: collapse; width: 100%; font-size: .92rem; }
table.scores th, table.scores td { border-bottom: 1px solid #e2e6ee; padding: .4rem .5rem; text-align: left;
       vertical-align: top; }
table.scores th { background: #f3f5f9; }
.figure { margin: 1.2rem 0 2rem; } .caption { color: #5f6b7a; font-size: .92rem; margin: .2rem 0; }
ul.warnings li { margin-bottom: .2rem; }
details pre { background: #f3f5f9; padding: 1rem; overflow-x: auto; font-size: .8rem; }
"""


def _e(value: Any) -> str:
    return html.escape(str(value))


def _banner(result: Mapping[str, Any]) -> str:
    status = result["status"]
    color = STATUS_COLORS[status]
    return (
        f'<div class="banner" style="border-color:{color};background:{STATUS_BACKGROUNDS[status]}">'
        f'<div class="status" style="color:{color}">{STATUS_ICONS[status]} {STATUS_HEADLINES[status]}</div>'
        f"<p>{_e(result.get('summary', ''))}</p></div>"
    )


def _table_html(result: Mapping[str, Any]) -> str:
    table = score_table(result)
    head = "".join(f"<th>{_e(c)}</th>" for c in COLUMNS)
    rows = []
    for _, row in table.iterrows():
        cells = [
            f'<td style="{status_cell_style(row["_status"])}">{_e(row[c])}</td>' if c == "Status" else f"<td>{_e(row[c])}</td>"
            for c in COLUMNS
        ]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table class="scores"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _moved_most_html(result: Mapping[str, Any]) -> str:
    """What moved most: the top three bins of each flagged metric, as the dashboard lists them."""
    groups = moved_most(result, 3)
    if not groups:
        return ""
    items = "".join(
        f"<li><b>{_e(g.label)}</b> ({_e(g.status)}): "
        + "; ".join(f"<b>#{i}</b> {_e(b.words)} ({_e(b.share)} of the divergence)" for i, b in enumerate(g.bins, 1))
        + "</li>"
        for g in groups
    )
    return f"<h2>What moved most</h2><ul class='moved'>{items}</ul>"


def _metric_glossary(result: Mapping[str, Any], n_channels: int) -> str:
    items = []
    for name in result["drift_scores"]:
        try:
            info = metric_info(name, n_channels)
        except ValueError:
            continue
        items.append(f"<li><b>{_e(info.label)}</b> ({_e(info.unit)}): {_e(info.description)}</li>")
    return f"<ul>{''.join(items)}</ul>" if items else ""


def build_report(
    result: Mapping[str, Any],
    ref_profile: Mapping[str, Any],
    new_profile: Mapping[str, Any],
    ref_name: str,
    new_name: str,
    history: Sequence[HistoryPoint] = (),
    generated_at: dt.datetime | None = None,
) -> str:
    """Render the report of one comparison as one HTML string (no external resources).

    Parameters
    ----------
    result : the dict returned by ``drift_core.compare_profiles(ref_profile, new_profile, ...)``.
    ref_profile, new_profile : the two profiles that were compared.
    ref_name, new_name : how to call the two datasets in the text.
    history : earlier comparisons against the same reference (drawn when given).
    generated_at : timestamp written in the header (default: now, UTC).
    """
    when = (generated_at or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC")
    figs: dict[str, go.Figure] = dict(comparison_figures(result, ref_profile, new_profile))
    if history:
        figs["history"] = history_figure(history)
    blocks = []
    for i, (key, fig) in enumerate(figs.items()):
        div = fig.to_html(
            full_html=False,
            include_plotlyjs=(i == 0),  # plotly.js inline, exactly once
            div_id=f"figure-{key}",
            config={"displaylogo": False, "responsive": True},
        )
        blocks.append(f'<div class="figure"><p class="caption">{_e(_CAPTIONS.get(key, ""))}</p>{div}</div>')
    warnings = result.get("warnings") or []
    warnings_html = (
        "<h2>Warnings</h2><ul class='warnings'>" + "".join(f"<li>{_e(w)}</li>" for w in warnings) + "</ul>"
        if warnings
        else ""
    )
    n_ref = result.get("n_ref", ref_profile.get("n_samples"))
    n_new = result.get("n_new", new_profile.get("n_samples"))
    overlap = result.get("token_overlap")
    overlap_html = ""
    if overlap is not None:
        only_new = ", ".join(_e(t) for t in result.get("tokens_only_new", [])[:30]) or "none"
        overlap_html = (
            f"<p><b>Top-100 token overlap:</b> {overlap:.0%} of the reference's 100 most frequent tokens are "
            f"also among the new data's 100 most frequent. Only in the new data's top 100: {only_new}"
            f"{' ...' if len(result.get('tokens_only_new', [])) > 30 else ''}.</p>"
        )
    title = f"Drift report: {new_name} vs {ref_name}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title><style>{_CSS}</style></head>
<body>
<h1>{_e(title)}</h1>
<p class="meta">Reference <b>{_e(ref_name)}</b> ({_e(n_ref)} items, {_e(ref_profile.get("modality"))}) compared with
<b>{_e(new_name)}</b> ({_e(n_new)} items). Significance level alpha = {_e(result.get("alpha", ""))}.
Generated by Driftboard on {_e(when)}.</p>
{_banner(result)}
{warnings_html}
<h2>Scores</h2>
{_table_html(result)}
{_moved_most_html(result)}
{overlap_html}
<h2>Charts</h2>
{"".join(blocks)}
<h2>How to read this report</h2>
{_HOW_TO_READ.format(alpha=_e(result.get("alpha", 0.01)))}
{_metric_glossary(result, int(ref_profile.get("n_channels", 3)))}
<details><summary>Raw result (JSON)</summary><pre>{_e(json.dumps(result, indent=2, default=str))}</pre></details>
</body></html>
"""
