"""The webhook client against real servers on 127.0.0.1: deadlines hold however the server behaves."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from drift_core.alerts import WebhookError, send_webhook


class Trickle:
    """A server that reads the request, then sends its status line one byte every ``pause`` seconds,
    forever (each byte restarts a socket timeout, so only a wall-clock deadline ends the attempt).
    The tests' attempt timeouts are ten pauses: a byte late by nine pauses would end an attempt by its
    socket timeout instead (another message)."""

    def __init__(self, pause: float = 0.05) -> None:
        self.pause, self.accepted, self.stop = pause, 0, threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/alerts"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                while not self.stop.is_set():
                    for b in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 10_000:
                        conn.sendall(bytes([b]))
                        time.sleep(self.pause)
            except OSError:
                pass

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


@pytest.fixture
def trickle() -> Iterator[Trickle]:
    server = Trickle()
    yield server
    server.close()


def test_a_server_trickling_its_headers_is_given_up_at_the_attempt_deadline(trickle: Trickle) -> None:
    t0 = time.monotonic()
    with pytest.raises(WebhookError, match=r"after 2 attempt\(s\): no complete response within 0\.5 s"):
        send_webhook(trickle.url, {"status": "alert"}, retries=1, backoff=0, timeout=0.5)
    assert time.monotonic() - t0 < 3  # two attempts of 0.5 s
    assert trickle.accepted == 2


def test_retries_stop_at_the_overall_deadline(trickle: Trickle) -> None:
    t0 = time.monotonic()
    with pytest.raises(WebhookError, match="deadline") as info:
        send_webhook(trickle.url, {"status": "alert"}, retries=50, backoff=0.1, timeout=0.5, deadline=1.25)
    assert time.monotonic() - t0 < 3.4  # attempts at 0 and 0.6 s; the next would start at 1.3 s
    assert "after 2 attempt(s)" in str(info.value) or "after 3 attempt(s)" in str(info.value)
