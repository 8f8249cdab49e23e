"""Alerts: the JSON payload of a comparison and its delivery to a webhook, with retries.

Network errors, HTTP 408, 429 and 5xx are retried after ``backoff * 2**k`` seconds; other 4xx are
not (the request itself is wrong). An alert that is not delivered raises :class:`WebhookError`.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

#: Seconds before the first webhook retry (doubling each time).
DEFAULT_BACKOFF = 1.0
#: Order of the statuses, to compare a result's status with an ``alert_on`` level.
SEVERITY = {"ok": 0, "warn": 1, "alert": 2}


class WebhookError(Exception):
    """The alert could not be delivered (the message names the URL, the attempts and the last error)."""


def should_alert(status: str, alert_on: str) -> bool:
    """Whether a result of ``status`` is at or above ``alert_on``.

    >>> should_alert("warn", "warn"), should_alert("warn", "alert")
    (True, False)
    """
    return SEVERITY[status] >= SEVERITY[alert_on]


def alert_payload(
    result: Mapping[str, Any], reference: Mapping[str, Any], new: Mapping[str, Any], comparison_id: int | None,
    history: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON body of an alert: status, scores, per-metric status and summaries, both sides, time.

    ``reference`` and ``new`` describe the sides (``{"name", "run_id", "source"}``); ``history``
    is the reference's history verdict (``drift_core.history_cli.webhook_history``), None without
    an experiment DB.
    """
    return {
        "source": "driftboard",
        "status": result["status"],
        "max_drift": result["max_drift"],
        "reference": dict(reference),
        "new": dict(new),
        "comparison_id": comparison_id,
        "scores": result["drift_scores"],
        "metric_status": result["metric_status"],
        "summaries": {name: m.get("summary", "") for name, m in result["metrics"].items()},
        "summary": result["summary"],
        "history": dict(history) if history is not None else None,
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def send_webhook(url: str, payload: Mapping[str, Any], retries: int = 3, backoff: float = DEFAULT_BACKOFF,
                 timeout: float = 10.0) -> int:
    """POST ``payload`` as JSON to ``url``; retry network errors, 408, 429 and 5xx with exponential
    backoff (``backoff * 2**k`` seconds). Returns the HTTP status; raises :class:`WebhookError`."""
    body = json.dumps(payload, allow_nan=False).encode()
    last = ""
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        req = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": "driftboard"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return int(resp.status)
        except urllib.error.HTTPError as e:
            last = f"HTTP {e.code} {e.reason}"
            if e.code < 500 and e.code not in (408, 429):
                break
        except (urllib.error.URLError, OSError) as e:
            last = str(getattr(e, "reason", e))
    raise WebhookError(f"webhook {url}: alert not delivered after {attempt + 1} attempt(s): {last}")
