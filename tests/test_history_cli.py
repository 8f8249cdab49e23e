"""`drift history`, and what `drift compare` gains with the history rule: --metrics-file (parsed with
prometheus_client's own parser), --alert-by, the webhook's history key. In-process through CliRunner."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from factories import vision_profile
from prometheus_client.parser import text_string_to_metric_families
from session_cache import shared_dir

from drift_core import compare_profiles
from drift_core.cli import cli
from drift_core.history import history_verdict
from drift_core.metrics_export import metrics_text, write_metrics_file
from drift_core.spec import TaskSpec
from drift_core.store import ExperimentDB


def drift(*args: str | Path) -> Any:
    return CliRunner().invoke(cli, [str(a) for a in args], prog_name="drift", catch_exceptions=False,
                              env={"DRIFT_WEBHOOK_BACKOFF": "0.01"})


def _history_db(path: Path, shifted_from: int, n_batches: int) -> Path:
    """A vision reference of 1,000 images and ``n_batches`` batches of 100, red mean +0.03 from
    batch ``shifted_from`` (1-based). Each batch is also saved as ``day-N.json`` beside the DB."""
    spec = TaskSpec("vision")
    ref_profile = vision_profile(1000, seed=0)
    with ExperimentDB(path) as db:
        ref = db.create_run("reference", spec, profile=ref_profile)
        for i in range(1, n_batches + 1):
            means = (0.53, 0.5, 0.5) if i >= shifted_from else (0.5, 0.5, 0.5)
            prof = vision_profile(100, means=means, seed=10 + i)
            run = db.create_run(f"day-{i}", spec, profile=prof)
            db.record_comparison(ref, run, compare_profiles(ref_profile, prof))
    (path.parent / "next.json").write_text(json.dumps(vision_profile(100, means=(0.53, 0.5, 0.5), seed=99)))
    (path.parent / "same.json").write_text(json.dumps(vision_profile(100, seed=98)))
    return path


def _copy(template: Path, tmp_path: Path) -> Path:
    """A private copy of a template DB and of the profiles beside it (a test may add runs to it)."""
    for profile in template.parent.glob("*.json"):
        shutil.copy(profile, tmp_path)
    path = tmp_path / template.name
    src, dst = sqlite3.connect(template), sqlite3.connect(path)
    src.backup(dst)
    src.close()
    dst.close()
    return path


@pytest.fixture(scope="module")
def drifting_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once per session; tests use a copy (:func:`drifting`)."""
    return shared_dir(tmp_path_factory, "drifting", lambda d: _history_db(d / "drifting.db", shifted_from=4, n_batches=6)) / "drifting.db"


@pytest.fixture(scope="module")
def stable_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_dir(tmp_path_factory, "stable", lambda d: _history_db(d / "stable.db", shifted_from=99, n_batches=5)) / "stable.db"


@pytest.fixture
def drifting(drifting_template: Path, tmp_path: Path) -> Path:
    return _copy(drifting_template, tmp_path)


@pytest.fixture
def stable(stable_template: Path, tmp_path: Path) -> Path:
    return _copy(stable_template, tmp_path)


# -- drift history ---------------------------------------------------------------------------------


def test_history_prints_the_series_and_the_verdict_and_exits_2_when_drifting(drifting: Path) -> None:
    r = drift("history", "reference", "--db", drifting)
    assert r.exit_code == 2, r.output
    lines = r.stdout.splitlines()
    assert sum(1 for line in lines if line.lstrip()[:1].isdigit()) == 6  # one line per batch
    assert "<- drifting since" in next(line for line in lines if "day-4" in line)
    assert lines[-1].startswith("history: DRIFTING: drifting for 3 batches, since batch 4 (day-4")


def test_history_of_unchanged_batches_is_stable_and_exits_0(stable: Path) -> None:
    r = drift("history", "reference", "--db", stable)
    assert r.exit_code == 0, r.output
    assert "history: STABLE: stable: no accumulated evidence of drift over 5 batches" in r.stdout


def test_history_json_has_the_verdict_and_every_batch(drifting: Path) -> None:
    r = drift("history", "1", "--db", drifting, "--json")
    out = json.loads(r.stdout)
    assert (out["reference"]["name"], out["state"], out["since"], len(out["points"])) == ("reference", "drifting", 4, 6)
    assert {"p_value", "evidence", "cusum", "status", "new_name"} <= set(out["points"][0])


def test_history_reads_the_db_only(drifting: Path) -> None:
    before = drifting.read_bytes()
    drift("history", "reference", "--db", drifting)
    with ExperimentDB(drifting) as db:
        assert len(db.comparisons()) == 6
    assert drifting.read_bytes() == before


def test_history_horizon_and_false_alarm_change_the_alarm_level(stable: Path) -> None:
    default = json.loads(drift("history", "reference", "--db", stable, "--json").stdout)["threshold"]
    strict = json.loads(drift("history", "reference", "--db", stable, "--json", "--false-alarm", "0.01",
                              "--horizon", "30").stdout)
    assert strict["threshold"] != default and strict["horizon"] == 30


@pytest.mark.parametrize("args", [["history", "reference", "--db", "missing.db"], ["history", "nope", "--db", "DB"]],
                         ids=["missing-db", "unknown-run"])
def test_history_errors_exit_3(args: list[str], stable: Path) -> None:
    r = drift(*[str(stable) if a == "DB" else a for a in args])
    assert r.exit_code == 3 and r.stderr.startswith("drift: error:")


# -- drift compare --metrics-file ------------------------------------------------------------------


def _families(path: Path) -> dict[str, Any]:
    return {f.name: f for f in text_string_to_metric_families(path.read_text())}


def test_compare_writes_a_metrics_file_prometheus_can_parse(drifting: Path) -> None:
    out = drifting.parent / "driftboard.prom"
    r = drift("compare", "reference", drifting.parent / "next.json", "--db", drifting, "--metrics-file", out)
    assert r.exit_code in (1, 2), r.output
    fams = _families(out)
    status = {s.labels["status"]: s.value for s in fams["driftboard_status"].samples}
    assert sum(status.values()) == 1 and status[("warn", "alert")[r.exit_code - 1]] == 1
    scores = {s.labels["metric"]: s for s in fams["driftboard_drift_score"].samples}
    assert "brightness_js" in scores and scores["brightness_js"].labels["reference"] == "reference"
    assert {s.labels["metric"] for s in fams["driftboard_p_adjusted"].samples} <= set(scores)
    drifting_now = fams["driftboard_history_drifting"].samples[0]
    assert (drifting_now.labels, drifting_now.value) == ({"reference": "reference"}, 1.0)
    assert fams["driftboard_history_batches"].samples[0].value == 7
    assert fams["driftboard_history_batches_drifting"].samples[0].value == 4
    assert fams["driftboard_history_since_batch"].samples[0].value == 4
    assert all(f.type == "gauge" for f in fams.values())
    assert oct(out.stat().st_mode & 0o777) == "0o644"


def test_metrics_file_without_a_db_has_no_history_state(tmp_path: Path) -> None:
    ref, new = tmp_path / "ref.json", tmp_path / "new.json"
    ref.write_text(json.dumps(vision_profile(300, seed=1)))
    new.write_text(json.dumps(vision_profile(100, seed=2)))
    out = tmp_path / "m.prom"
    assert drift("compare", ref, new, "--metrics-file", out).exit_code == 0
    fams = _families(out)
    assert "driftboard_drift_score" in fams and not any(n.startswith("driftboard_history") for n in fams)


def test_metric_labels_are_escaped() -> None:
    result = compare_profiles(vision_profile(100, seed=1), vision_profile(100, seed=2))
    text = metrics_text(result, 'ref "A"\\B\nC', history_verdict([0.5]))
    fam = {f.name: f for f in text_string_to_metric_families(text)}["driftboard_max_drift"]
    assert fam.samples[0].labels["reference"] == 'ref "A"\\B\nC'


def test_the_metrics_file_is_replaced_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "d.prom"
    write_metrics_file(target, "driftboard_max_drift 1\n")

    def broken(*args: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        write_metrics_file(target, "driftboard_max_drift 2\n")
    assert target.read_text() == "driftboard_max_drift 1\n"
    assert [p.name for p in tmp_path.iterdir()] == ["d.prom"]  # no temporary file left


# -- --alert-by and the webhook ----------------------------------------------------------------------


class _Hook:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                hook.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        # polled every 10 ms, not 0.5 s: shutdown() waits for the poll
        threading.Thread(target=self.server.serve_forever, args=(0.01,), daemon=True).start()


@pytest.fixture
def hook() -> Iterator[_Hook]:
    h = _Hook()
    yield h
    h.server.shutdown()
    h.server.server_close()


def test_webhook_payload_says_how_long_the_reference_has_been_drifting(drifting: Path, hook: _Hook) -> None:
    r = drift("compare", "reference", drifting.parent / "next.json", "--db", drifting, "--webhook", hook.url)
    assert r.exit_code in (1, 2), r.output
    (body,) = hook.bodies
    history = body["history"]
    assert (history["state"], history["batches_drifting"], history["since_batch"]) == ("drifting", 4, 4)
    assert history["since"]["name"] == "day-4"
    assert history["summary"].startswith("drifting for 4 batches, since batch 4 (day-4")


def test_alert_by_history_alerts_on_a_drifting_history_even_when_the_batch_is_ok(drifting: Path, hook: _Hook) -> None:
    r = drift("compare", "reference", drifting.parent / "same.json", "--db", drifting, "--webhook", hook.url,
              "--alert-by", "history")
    assert "history: DRIFTING" in r.stdout
    assert r.exit_code == 2 and len(hook.bodies) == 1 and hook.bodies[0]["history"]["state"] == "drifting"


def test_alert_by_history_is_quiet_on_a_stable_history(stable: Path, hook: _Hook) -> None:
    r = drift("compare", "reference", stable.parent / "same.json", "--db", stable, "--webhook", hook.url,
              "--alert-by", "history")
    assert r.exit_code == 0 and hook.bodies == []


def test_alert_by_history_needs_a_db(tmp_path: Path) -> None:
    r = drift("compare", "a.json", "b.json", "--alert-by", "history")
    assert r.exit_code == 3 and "--alert-by history|either needs --db" in r.stderr


def test_compare_json_carries_the_history_verdict(drifting: Path) -> None:
    r = drift("compare", "reference", drifting.parent / "same.json", "--db", drifting, "--json")
    out = json.loads(r.stdout)
    assert out["history"]["n_batches"] == 7 and out["history"]["state"] in ("stable", "drifting")
