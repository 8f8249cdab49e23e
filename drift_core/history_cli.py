"""The shell side of the history rule: ``drift history``, and what ``drift compare`` adds with it.

``drift history REF --db DB`` reads the comparisons recorded against REF (nothing else, nothing
written), prints each batch's per-batch status beside the evidence the history rule ran on, and
the verdict; it exits 0 when stable and 2 when drifting (the monitoring convention of ``drift``).
``drift compare`` uses :func:`history_options` and :func:`alert_decision` for its
``--alert-by``, ``--horizon`` and ``--false-alarm`` options.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .history import DEFAULT_FALSE_ALARM, DEFAULT_HORIZON, HistoryRule, HistoryVerdict, reference_history
from .store import ExperimentDB

EXIT_STABLE, EXIT_DRIFTING = 0, 2
ALERT_BY = ("status", "history", "either")

_history_options = [
    click.option("--horizon", type=click.IntRange(min=1), default=DEFAULT_HORIZON, show_default=True,
                 help="Batches the history rule's false-alarm budget covers (365: a year of daily batches)."),
    click.option("--false-alarm", type=click.FloatRange(min=0, max=0.5, min_open=True), default=DEFAULT_FALSE_ALARM,
                 show_default=True, help="Chance of any false history alarm over --horizon unchanged batches."),
]


def history_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The ``--horizon`` and ``--false-alarm`` options."""
    for option in reversed(_history_options):
        f = option(f)
    return f


def alert_decision(alert_by: str, status_alerts: bool, status_code: int, verdict: HistoryVerdict | None) -> tuple[bool, int]:
    """Whether to send the webhook and the exit code, for ``--alert-by status|history|either``.

    ``status``: the per-batch status decides (as before); ``history``: 2 while the history rule
    says drifting, else 0; ``either``: the more severe of the two.

    >>> alert_decision("either", False, 1, None)
    (False, 1)
    """
    drifting = verdict is not None and verdict.state == "drifting"
    history_code = EXIT_DRIFTING if drifting else EXIT_STABLE
    if alert_by == "status":
        return status_alerts, status_code
    if alert_by == "history":
        return drifting, history_code
    return status_alerts or drifting, max(status_code, history_code)


def history_table(verdict: HistoryVerdict, reference: str) -> str:
    """The series (one line per batch: per-batch status, evidence, CUSUM) and the verdict."""
    from .console import _columns  # the terminal's column layout, shared with the score table

    v = verdict
    lines = [f"reference: {reference}, {v.n_batches} batch{'' if v.n_batches == 1 else 'es'}",
             f"rule: CUSUM on -ln p (k = {v.k:g}), alarm at S >= {v.threshold:.2f}: {v.false_alarm:.0%} chance of a "
             f"false alarm over {v.horizon} unchanged batches" + (f" (calibrated for a reference sharing "
                                                                 f"{v.rho:.0%} of the noise)" if v.rho else ""), ""]
    if v.points:
        table = [("batch", "new", "recorded (UTC)", "status", "p (batch)", "from", "-ln p", "CUSUM", "")]
        for p in v.points:
            mark = ""
            if v.since is not None and p.batch == v.since:
                mark = "<- drifting since"
            elif any(p.batch == e[1] for e in v.episodes):
                mark = "<- alarm"
            table.append((str(p.batch), p.new_name or "-", (p.created_at or "")[:19].replace("T", " "),
                          (p.status or "-").upper(), f"{p.p_value:.2g}" if p.p_value > 0 else "< 1e-300", p.metric or "-",
                          f"{abs(p.evidence):.2f}",
                          f"{p.cusum:.2f}", mark))
        lines += _columns(table, left=(1, 2, 3, 5, 8)) + [""]
    lines.append(f"history: {v.state.upper()}: {v.summary}")
    lines += [f"note: {n}" for n in v.notes]
    return "\n".join(lines)


@click.command("history")
@click.argument("ref")
@click.option("--db", type=click.Path(dir_okay=False), required=True, help="Experiment DB (read only).")
@history_options
@click.option("--json", "as_json", is_flag=True, help="Print the verdict and every batch as JSON.")
def history_command(ref: str, db: str, horizon: int, false_alarm: float, as_json: bool) -> int:
    """The comparisons recorded against REF (run id or name) and the history verdict.

    Exit codes: 0 stable, 2 drifting, 3 error.
    """
    if not Path(db).exists():
        raise ValueError(f"{db}: no such experiment DB (create one with `drift profile ... --db {db}`)")
    rule = HistoryRule(horizon=horizon, false_alarm=false_alarm)
    with ExperimentDB(db) as store:
        run = store.find_run(ref)
        verdict = reference_history(store, run["run_id"], rule)
    if as_json:
        click.echo(json.dumps({"reference": {"name": run["name"], "run_id": run["run_id"]}, **verdict.as_dict()},
                              indent=2, allow_nan=False))
    else:
        click.echo(history_table(verdict, f"{run['name']} (run {run['run_id']})"))
    return EXIT_DRIFTING if verdict.state == "drifting" else EXIT_STABLE


def webhook_history(verdict: HistoryVerdict | None) -> dict[str, Any] | None:
    """The ``history`` key of the webhook payload: the verdict in a few fields, or None without a DB.

    >>> from drift_core.history import history_verdict
    >>> webhook_history(history_verdict([0.5, 1e-9, 1e-9]))["summary"]
    'drifting for 2 batches, since batch 2 of 3 (alarm at batch 2)'
    """
    if verdict is None:
        return None
    since = verdict.points[verdict.since - 1] if verdict.since is not None else None
    return {
        "state": verdict.state,
        "batches_drifting": verdict.batches_drifting,
        "since_batch": verdict.since,
        "since": None if since is None else {"name": since.new_name, "run_id": since.new_run_id,
                                             "created_at": since.created_at},
        "alarm_at_batch": verdict.alarm_at,
        "n_batches": verdict.n_batches,
        "cusum": round(verdict.cusum, 3),
        "threshold": round(verdict.threshold, 3),
        "horizon": verdict.horizon,
        "false_alarm": verdict.false_alarm,
        "summary": verdict.summary,
        "notes": list(verdict.notes),
    }
