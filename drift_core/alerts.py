"""Alerts: the JSON payload of a comparison and its delivery to a webhook, with retries.

Network errors, HTTP 408, 429 and 5xx are retried after ``backoff * 2**k`` seconds; other 4xx are
not (the request itself is wrong). An alert that is not delivered raises :class:`WebhookError`.
Each attempt has one wall-clock deadline (a watchdog closes its socket), and retries stop at an
overall deadline, so a slow or hostile server cannot hold ``drift compare`` longer than that.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported when an alert is sent: urllib.request, http.client and ssl are ~40 ms of start-up
    import http.client

#: Seconds before the first webhook retry (doubling each time).
DEFAULT_BACKOFF = 1.0
#: Wall-clock seconds one attempt may take (connect, send, response headers), however slow the server.
DEFAULT_TIMEOUT = 10.0
#: Wall-clock seconds after which no retry is started (attempts and backoff together).
DEFAULT_DEADLINE = 60.0
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


class _Connections:
    """HTTP(S) handlers for urllib that remember their connections, so that a watchdog can cut
    them at the attempt's deadline: a socket timeout alone restarts with every byte received, and
    a server trickling its headers one byte at a time would never time out."""

    def __init__(self) -> None:
        import http.client
        import urllib.request

        self.conns: list[http.client.HTTPConnection] = []
        self.lock = threading.Lock()
        self.cut = False
        conns = self

        class HTTP(urllib.request.HTTPHandler):
            def http_open(self, req: urllib.request.Request) -> Any:
                return self.do_open(conns.factory(http.client.HTTPConnection), req)

        class HTTPS(urllib.request.HTTPSHandler):
            def https_open(self, req: urllib.request.Request) -> Any:
                return self.do_open(conns.factory(http.client.HTTPSConnection), req,
                                    context=getattr(self, "_context", None))

        self.opener = urllib.request.build_opener(HTTP(), HTTPS())

    def factory(self, cls: type[http.client.HTTPConnection]) -> Any:
        def make(*args: Any, **kw: Any) -> http.client.HTTPConnection:
            conn = cls(*args, **kw)
            with self.lock:
                self.conns.append(conn)
            return conn
        return make

    def cut_all(self) -> None:
        with self.lock:
            self.cut = True
            for conn in self.conns:
                if conn.sock is not None:
                    with contextlib.suppress(OSError):
                        conn.sock.shutdown(socket.SHUT_RDWR)


def _attempt(url: str, body: bytes, timeout: float) -> int:
    """One POST that returns the HTTP status (raising urllib's errors), given up after ``timeout``
    seconds of wall-clock time whatever the server does."""
    import http.client
    import urllib.error
    import urllib.request

    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": "application/json", "User-Agent": "driftboard"})
    conns = _Connections()
    watchdog = threading.Timer(timeout, conns.cut_all)
    watchdog.daemon = True
    watchdog.start()
    try:
        with conns.opener.open(req, timeout=timeout) as resp:
            return int(resp.status)
    except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
        if conns.cut and not isinstance(e, urllib.error.HTTPError):
            raise TimeoutError(f"no complete response within {timeout:g} s") from None
        raise
    finally:
        watchdog.cancel()
        conns.cut_all()


def send_webhook(url: str, payload: Mapping[str, Any], retries: int = 3, backoff: float = DEFAULT_BACKOFF,
                 timeout: float = DEFAULT_TIMEOUT, deadline: float = DEFAULT_DEADLINE) -> int:
    """POST ``payload`` as JSON to ``url``; retry network errors, 408, 429 and 5xx with exponential
    backoff (``backoff * 2**k`` seconds). Returns the HTTP status; raises :class:`WebhookError`.

    Each attempt is given up after ``timeout`` seconds of wall-clock time (connecting, sending and
    receiving the response's headers together, however slowly the server sends them); no attempt
    starts, and no backoff is slept, past ``deadline`` seconds after the first one started.
    """
    import http.client
    import urllib.error

    body = json.dumps(payload, allow_nan=False).encode()
    last = ""
    start = time.monotonic()
    attempts = 0
    for attempt in range(retries + 1):
        if attempt:
            pause = backoff * 2 ** (attempt - 1)
            if time.monotonic() + pause >= start + deadline:
                last += f"; no retry left within the {deadline:g} s deadline"
                break
            time.sleep(pause)
        remaining = start + deadline - time.monotonic()
        if remaining <= 0:
            break
        attempts += 1
        try:
            return _attempt(url, body, min(timeout, remaining))
        except urllib.error.HTTPError as e:
            last = f"HTTP {e.code} {e.reason}"
            if e.code < 500 and e.code not in (408, 429):
                break
        except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
            last = str(getattr(e, "reason", e)) or type(e).__name__
    raise WebhookError(f"webhook {url}: alert not delivered after {attempts} attempt(s): {last}")
