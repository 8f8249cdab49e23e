"""Prometheus / OpenMetrics text for node_exporter's textfile collector, written atomically.

``drift compare ... --metrics-file /var/lib/node_exporter/textfile/driftboard_text.prom`` writes
the latest comparison of a reference and the state of its history rule as gauges in the Prometheus
text exposition format (version 0.0.4, which node_exporter reads), labelled by ``reference`` and,
per metric, ``metric``. A status is one series per possible value, 1 for the current one and 0
for the others (the kube-state-metrics convention; never a 0/1/2 code)::

    driftboard_status{reference="text-reference",status="alert"} 1
    driftboard_drift_score{reference="text-reference",metric="seq_length_js"} 0.58
    driftboard_history_drifting{reference="text-reference"} 1

The new batch's name is not a label (one series per day would grow Prometheus without bound);
``driftboard_comparison_id`` and ``driftboard_comparison_timestamp_seconds`` say which
comparison the file describes. The file is written to a temporary ``.tmp`` name in the same folder
(the collector reads only ``*.prom``), flushed to disk and renamed over the target, so a scrape
never sees half a file.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .history import HistoryVerdict

PREFIX = "driftboard_"
_STATUSES = ("ok", "warn", "alert")

#: name -> help text of every family written (in this order).
FAMILIES: dict[str, str] = {
    "status": "Overall per-batch status of the latest comparison (1 for the current status).",
    "max_drift": "Largest drift score among the thresholded metrics of the latest comparison.",
    "comparison_id": "Id of the latest comparison in the experiment DB (0 when not recorded).",
    "comparison_timestamp_seconds": "Unix time at which the latest comparison was made.",
    "batch_items": "Items profiled on each side of the latest comparison.",
    "drift_score": "Drift score of each metric (JS distance, KL bits, ...).",
    "metric_status": "Per-batch status of each thresholded metric (1 for the current status).",
    "threshold": "Warn and alert thresholds each thresholded metric was judged by.",
    "p_value": "Raw p-value of each metric's test of no drift.",
    "p_adjusted": "Holm-adjusted p-value of each thresholded metric.",
    "history_drifting": "1 while the history rule (CUSUM over the recorded batches) says drifting.",
    "history_batches": "Batches in the reference's history.",
    "history_batches_drifting": "Batches since the estimated change point (0 when stable).",
    "history_since_batch": "1-based batch of the estimated change point (only while drifting).",
    "history_cusum": "CUSUM statistic S after the latest batch.",
    "history_threshold": "Alarm level h of the CUSUM (calibrated to the false-alarm budget).",
    "history_batch_p_value": "The latest batch's evidence p-value that the history rule ran on.",
}


def _escape(value: str) -> str:
    """A label value in the text format: backslash, double quote and newline escaped.

    >>> _escape('a "b"\\\\c')
    'a \\\\"b\\\\"\\\\\\\\c'
    """
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(v: float) -> str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    if float(v).is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(float(v))


def metrics_text(
    result: Mapping[str, Any], reference: str, verdict: HistoryVerdict | None = None,
    comparison_id: int | None = None, at: datetime | None = None,
) -> str:
    """The text of a metrics file for one comparison and its reference's history verdict.

    Parameters
    ----------
    result : mapping
        A result of :func:`drift_core.compare_profiles`.
    reference : str
        The reference's name (the ``reference`` label).
    verdict : HistoryVerdict, optional
        The reference's history verdict; without it the ``history_*`` families are left out.
    comparison_id : int, optional
        The comparison's id in the experiment DB.
    at : datetime, optional
        Time of the comparison (default now).

    Examples
    --------
    >>> r = {"status": "warn", "max_drift": 0.12, "n_ref": 100, "n_new": 50, "metrics": {
    ...     "seq_length_js": {"score": 0.12, "status": "warn", "thresholded": True, "threshold": [0.1, 0.2],
    ...                       "p_value": 0.001, "p_adjusted": 0.002}}}
    >>> text = metrics_text(r, "ref", at=datetime(2024, 6, 2, tzinfo=UTC))
    >>> [line for line in text.splitlines() if line.startswith("driftboard_status")]
    ['driftboard_status{reference="ref",status="ok"} 0', 'driftboard_status{reference="ref",status="warn"} 1', 'driftboard_status{reference="ref",status="alert"} 0']
    """
    ref = f'reference="{_escape(reference)}"'
    rows: dict[str, list[tuple[str, float]]] = {name: [] for name in FAMILIES}
    for s in _STATUSES:
        rows["status"].append((f'{ref},status="{s}"', float(result["status"] == s)))
    rows["max_drift"].append((ref, float(result["max_drift"])))
    rows["comparison_id"].append((ref, float(comparison_id or 0)))
    rows["comparison_timestamp_seconds"].append((ref, (at or datetime.now(UTC)).timestamp()))
    rows["batch_items"] += [(f'{ref},side="reference"', float(result["n_ref"])), (f'{ref},side="new"', float(result["n_new"]))]
    for name, m in result["metrics"].items():
        lab = f'{ref},metric="{_escape(name)}"'
        rows["drift_score"].append((lab, float(m["score"])))
        rows["p_value"].append((lab, float(m["p_value"])))
        if m.get("thresholded") and m.get("status") is not None:
            for s in _STATUSES:
                rows["metric_status"].append((f'{lab},status="{s}"', float(m["status"] == s)))
            rows["p_adjusted"].append((lab, float(m["p_adjusted"])))
            warn, alert = m["threshold"]
            rows["threshold"] += [(f'{lab},level="warn"', float(warn)), (f'{lab},level="alert"', float(alert))]
    if verdict is not None:
        rows["history_drifting"].append((ref, float(verdict.state == "drifting")))
        rows["history_batches"].append((ref, float(verdict.n_batches)))
        rows["history_batches_drifting"].append((ref, float(verdict.batches_drifting)))
        if verdict.since is not None:
            rows["history_since_batch"].append((ref, float(verdict.since)))
        rows["history_cusum"].append((ref, verdict.cusum))
        rows["history_threshold"].append((ref, verdict.threshold))
        if verdict.points:
            rows["history_batch_p_value"].append((ref, verdict.points[-1].p_value))
    lines = []
    for name, samples in rows.items():
        if not samples:
            continue
        full = PREFIX + name
        lines += [f"# HELP {full} {FAMILIES[name]}", f"# TYPE {full} gauge"]
        lines += [f"{full}{{{labels}}} {_number(v)}" for labels, v in samples]
    return "\n".join(lines) + "\n"


def write_metrics_file(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically: a temporary file in the same folder, fsync, rename.

    The file is world-readable (0644), as node_exporter usually runs as another user. On any
    error the temporary file is removed and the previous file, if any, is left as it was.
    """
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
