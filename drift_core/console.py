"""Plain-text rendering for the terminal: the score table of a comparison, the runs, one run.

The score table renders :func:`drift_core.table.score_rows`, the rows the dashboard shows, as
aligned columns; status words are upper-cased (``ALERT``) so they stand out in a log.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .table import INFO, moved_most, score_rows


def sample_description(profile: Mapping[str, Any]) -> str:
    """``"400 sequences"`` or ``"1,000 images (sampled from 20,000)"``."""
    unit = {"text": "sequences", "vision": "images", "outputs": "predictions"}.get(profile["modality"], "items")
    n, total = profile["n_samples"], profile.get("n_total")
    return f"{n:,} {unit}" + (f" (sampled from {total:,})" if total and total != n else "")


def _columns(rows: Sequence[Sequence[str]], left: Sequence[int], last_free: bool = True) -> list[str]:
    """Rows of cells aligned in columns (left-aligned where ``left``, right-aligned elsewhere); the
    last column is not padded when ``last_free``."""
    n = len(rows[0]) - (1 if last_free else 0)
    widths = [max(len(r[i]) for r in rows) for i in range(n)]
    out = []
    for r in rows:
        cells = [c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(r[:n], widths, strict=True))]
        out.append("  ".join(cells + ([r[n]] if last_free else [])).rstrip())
    return out


def _side(label: str, name: str, run_id: int | None, profile: Mapping[str, Any]) -> str:
    return f"{label:<11}{name}" + (f" (run {run_id})" if run_id else "") + f", {sample_description(profile)}"


def comparison_report(
    result: Mapping[str, Any], reference: Mapping[str, Any], new: Mapping[str, Any],
    ref_profile: Mapping[str, Any], new_profile: Mapping[str, Any],
) -> str:
    """Both sides, the score table, the overall status, the summary and the warnings.

    ``reference`` and ``new`` describe the sides (``{"name", "run_id", ...}``).
    """
    lines = [
        _side("reference:", reference["name"], reference.get("run_id"), ref_profile),
        _side("new:", new["name"], new.get("run_id"), new_profile),
        "",
    ]
    table = [("metric", "score", "warn", "alert", "p (adj.)", "noise floor", "status", "summary")]
    table += [
        (r.label, r.score, r.warn, r.alert, r.p_value, r.noise_floor, r.status if r.status == INFO else r.status.upper(), r.summary)
        for r in score_rows(result)
    ]
    lines += _columns(table, left=(0, 6))
    lines += moved_most_lines(result)
    lines += ["", f"status: {result['status'].upper()} (max drift {result['max_drift']:.3f})", result["summary"]]
    lines += [f"warning: {w}" for w in result.get("warnings", [])]
    return "\n".join(lines)


def moved_most_lines(result: Mapping[str, Any], k: int = 3) -> list[str]:
    """"What moved most" under the score table: the top ``k`` bins of each flagged metric with their
    share of its divergence (see :func:`drift_core.table.moved_most`); no lines when none applies."""
    groups = moved_most(result, k)
    if not groups:
        return []
    lines = ["", "what moved most (each bin's share of the score's divergence):"]
    for g in groups:
        lines.append(f"  {g.label}, {g.status.upper()}")
        lines += [f"    {b.share:>4}  {b.words}" for b in g.bins]
    return lines


def runs_table(runs: Sequence[Mapping[str, Any]]) -> str:
    """One line per run: id, name, modality, samples, creation time, notes."""
    if not runs:
        return "(no runs)"
    table = [("id", "name", "modality", "samples", "created (UTC)", "notes")] + [
        (str(r["run_id"]), r["name"], r["modality"], "-" if r["n_samples"] is None else f"{r['n_samples']:,}",
         _time(r["created_at"]), r["notes"])
        for r in runs
    ]
    return "\n".join(_columns(table, left=range(5)))


def _time(iso: str) -> str:
    return iso[:19].replace("T", " ")


def run_details(run: Mapping[str, Any], profile: Mapping[str, Any] | None, comparisons: Sequence[Mapping[str, Any]]) -> str:
    """A run: name, task, notes, a summary of its profile and the comparisons it took part in."""
    lines = [f"run {run['run_id']}: {run['name']} ({run['modality']}), created {_time(run['created_at'])} UTC"]
    if run["notes"]:
        lines.append(f"notes: {run['notes']}")
    if profile is None:
        lines.append("no profile stored")
    else:
        lines.append(f"profile: {sample_description(profile)}, seed {profile['seed']}")
        if profile["modality"] == "text":
            lines.append(f"  sequence length: mean {profile['seq_length_mean']:.1f}, std {profile['seq_length_std']:.1f}; "
                         f"{profile['n_tokens']:,} tokens ({profile['token_kind']})")
            lines.append(f"  top tokens: {', '.join(map(str, profile['top_tokens'][:10]))}")
        elif profile["modality"] == "vision":
            means = ", ".join(f"{m:.3f}" for m in profile["channel_means"])
            lines.append(f"  {profile['n_channels']} channel(s), pixel means [{means}], "
                         f"mean brightness {profile['brightness_mean']:.3f}")
        if "prediction_hist" in profile:
            lines.append(f"  predicted classes: {profile['prediction_hist']}")
    for c in comparisons:
        lines.append(f"comparison {c['comparison_id']}: {c['reference_name']} -> {c['new_name']}: "
                     f"{c['status'].upper()} (max drift {c['max_drift']:.3f}) at {_time(c['created_at'])}")
    return "\n".join(lines)
