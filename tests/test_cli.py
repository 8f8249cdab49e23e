"""The `drift` command, in-process through click's CliRunner (as sqlite-utils tests its CLI), plus a
handful of real subprocess runs for the console script, exit codes and the terminal.
"""

from __future__ import annotations

import json
import os
import pty
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from session_cache import shared_dir

from drift_core.cli import cli
from drift_core.schema import validate_profile
from drift_core.store import ExperimentDB

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "drift_core" / "demo_data"
WARN_ONLY = [f"--threshold={m}=0.05,0.95" for m in ("seq_length_js", "token_freq_js", "top_tokens_drift", "prediction_js",
                                                       "truncation_share", "new_vocab_seq_share", "new_vocab_token_share")]
DRIFT_SCRIPT = Path(sys.executable).with_name("drift")


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


def drift(*args: str | Path, env: dict[str, str] | None = None) -> Run:
    """Run ``drift ARGS`` in this process; exit code, stdout and stderr as a subprocess would see them."""
    r = CliRunner().invoke(cli, [str(a) for a in args], env={"DRIFT_WEBHOOK_BACKOFF": "0.01", **(env or {})},
                           prog_name="drift", catch_exceptions=False)
    return Run(r.exit_code, r.stdout, r.stderr)


def drift_process(*args: str | Path, **kw: Any) -> subprocess.CompletedProcess[str]:
    """Run the installed ``drift`` console script as a real process."""
    return subprocess.run([str(DRIFT_SCRIPT), *map(str, args)], capture_output=True, text=True, cwd=REPO, timeout=120,
                          env={**os.environ, "DRIFT_WEBHOOK_BACKOFF": "0.01"}, **kw)


def _build_demo(folder: Path) -> None:
    r = drift("demo", "--db", folder / "demo.db", "--if-missing")
    (folder / "run.json").write_text(json.dumps(asdict(r)))


@pytest.fixture(scope="module")
def demo_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Run]:
    """The demo DB, built once per session by ``drift demo --if-missing`` where there is none, and
    that run's exit code and output. Tests get a copy of it (:func:`demo_db`)."""
    folder = shared_dir(tmp_path_factory, "demo", _build_demo)
    return folder / "demo.db", Run(**json.loads((folder / "run.json").read_text()))


@pytest.fixture
def demo_db(demo_build: tuple[Path, Run], tmp_path: Path) -> Path:
    """A private copy of the demo DB: `drift compare --db` records comparisons, and the DB is shared
    by the session's xdist workers."""
    built, r = demo_build
    assert r.returncode == 0, r.stderr
    path = tmp_path / "runs.db"
    src, dst = sqlite3.connect(built), sqlite3.connect(path)
    src.backup(dst)
    src.close()
    dst.close()
    return path


# -- demo, runs, show -------------------------------------------------------------------------------


def test_demo_db_has_reference_ok_and_drifted_runs_per_modality(demo_db: Path) -> None:
    with ExperimentDB(demo_db) as db:
        names = {r["name"] for r in db.list_runs()}
        kinds = ("reference", "batch-ok", "batch-drifted", *(f"week-{w}" for w in range(1, 7)))
        prose = {f"prose-{k}" for k in kinds[:3]}  # raw text from the Python manual, no predictions
        assert names == {f"{m}-{k}" for m in ("text", "vision") for k in kinds} | prose
        assert all("prediction_hist" in db.load_profile(r["run_id"]) for r in db.list_runs() if r["name"] not in prose)
        assert all(db.load_profile(db.find_run(n)["run_id"])["token_kind"] == "words" for n in prose)


def test_demo_history_creeps_from_ok_to_alert_week_by_week(demo_db: Path) -> None:
    with ExperimentDB(demo_db) as db:
        ref = db.find_run("text-reference")["run_id"]
        weekly = [c for c in reversed(db.comparisons(reference_run_id=ref)) if "-week-" in c["new_name"]]
    assert [c["new_name"] for c in weekly] == [f"text-week-{w}" for w in range(1, 7)]
    assert weekly[0]["status"] == "ok" and weekly[-1]["status"] == "alert"
    drift = [c["max_drift"] for c in weekly]
    assert drift == sorted(drift)
    days = [c["created_at"][:10] for c in weekly]
    assert len(set(days)) == 6  # a week apart, not milliseconds


def test_demo_db_newest_comparison_is_the_text_alert(demo_db: Path) -> None:
    with ExperimentDB(demo_db) as db:
        history = db.comparisons()
    assert len(history) == 18  # text, vision: six back-dated weekly batches, the ok and the drifted batch; prose: ok, drifted
    assert (history[0]["reference_name"], history[0]["new_name"], history[0]["status"]) == (
        "text-reference", "text-batch-drifted", "alert"
    )
    assert {(c["new_name"], c["status"]) for c in history} >= {("text-batch-ok", "ok"), ("vision-batch-ok", "ok"), ("prose-batch-ok", "ok"), ("prose-batch-drifted", "warn")}


def test_demo_if_missing_keeps_an_existing_db(demo_db: Path) -> None:
    with ExperimentDB(demo_db) as db:
        before = len(db.list_runs())
        db.delete_run(db.find_run("vision-batch-ok")["run_id"])
    r = drift("demo", "--db", demo_db, "--if-missing")
    assert r.returncode == 0 and "not rebuilt" in r.stdout
    with ExperimentDB(demo_db) as db:
        assert len(db.list_runs()) == before - 1


def test_demo_if_missing_builds_a_missing_db(demo_build: tuple[Path, Run]) -> None:
    path, r = demo_build
    assert r.returncode == 0, r.stderr
    assert "built" in r.stdout and path.exists()


def test_runs_lists_every_run(demo_db: Path) -> None:
    r = drift("runs", "--db", demo_db)
    assert r.returncode == 0
    assert "text-batch-drifted" in r.stdout and "vision-reference" in r.stdout


def test_show_prints_the_profile_and_comparisons(demo_db: Path) -> None:
    r = drift("show", "text-reference", "--db", demo_db)
    assert r.returncode == 0
    assert "1,000 sequences" in r.stdout and "text-reference -> text-batch-drifted: ALERT" in r.stdout


def test_runs_on_a_missing_db_is_an_error_and_creates_nothing(tmp_path: Path) -> None:
    r = drift("runs", "--db", tmp_path / "nope.db")
    assert r.returncode == 3 and "no such experiment DB" in r.stderr
    assert not (tmp_path / "nope.db").exists()


# -- profile ----------------------------------------------------------------------------------------


def test_profile_prints_a_valid_profile_json(tmp_path: Path) -> None:
    r = drift("profile", DATA / "text_batch_ok.jsonl", "--sample-size", "all",
              "--predictions", DATA / "text_batch_ok_predictions.csv")
    assert r.returncode == 0, r.stderr
    prof = json.loads(r.stdout)
    validate_profile(prof)
    assert (prof["n_samples"], sum(prof["prediction_hist"])) == (400, 400)


def test_profile_into_the_db_creates_a_named_run(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    r = drift("profile", DATA / "vision_batch_ok.npy", "--modality", "vision", "--db", db, "--run-name", "cam-1",
              "--sample-size", "100")
    assert r.returncode == 0, r.stderr
    with ExperimentDB(db) as store:
        (run,) = store.list_runs()
        assert (run["name"], run["n_samples"]) == ("cam-1", 100)


def test_profile_without_a_tty_draws_no_progress_bar(tmp_path: Path) -> None:
    r = drift("profile", DATA / "text_reference.jsonl", "--out", tmp_path / "p.json")
    assert r.returncode == 0 and r.stderr == ""


def test_profile_on_a_tty_draws_a_progress_bar_on_stderr(tmp_path: Path) -> None:
    master, slave = pty.openpty()
    proc = subprocess.run(
        [str(DRIFT_SCRIPT), "profile", str(DATA / "text_reference.jsonl"), "--out", str(tmp_path / "p.json")],
        stdout=subprocess.PIPE, stderr=slave, cwd=REPO, timeout=120, text=True,
    )
    os.close(slave)
    seen = b""
    try:
        while chunk := os.read(master, 4096):
            seen += chunk
    except OSError:  # EIO once the pty is drained
        pass
    os.close(master)
    assert proc.returncode == 0
    assert b"profiling text_reference.jsonl" in seen and b"100%" in seen
    assert "profiling" not in proc.stdout


def test_profile_of_a_malformed_file_exits_3_naming_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"input_ids": [1, 2]}\n{"input_ids": [3,\n')
    r = drift("profile", bad, "--db", tmp_path / "runs.db")
    assert r.returncode == 3
    assert r.stderr.strip() == f"drift: error: {bad}: line 2: invalid JSON (Expecting value at column 18)"
    with ExperimentDB(tmp_path / "runs.db") as store:
        assert store.list_runs() == []


def test_profile_of_an_unknown_kind_needs_a_modality(tmp_path: Path) -> None:
    (tmp_path / "b.json").write_text("[]")
    r = drift("profile", tmp_path / "b.json")
    assert r.returncode == 3 and "pass --modality" in r.stderr


# -- compare: exit codes ----------------------------------------------------------------------------


def test_compare_ok_batch_exits_0(demo_db: Path) -> None:
    r = drift("compare", "text-reference", "text-batch-ok", "--db", demo_db)
    assert r.returncode == 0, r.stderr + r.stdout
    assert "status: OK" in r.stdout


def test_compare_drifted_batch_exits_2_with_a_readable_table(demo_db: Path) -> None:
    r = drift("compare", "vision-reference", "vision-batch-drifted", "--db", demo_db)
    assert r.returncode == 2
    header = r.stdout.splitlines()[3]
    assert header.split()[:6] == ["metric", "score", "warn", "alert", "p", "(adj.)"]
    assert "Brightness" in r.stdout and "status: ALERT" in r.stdout


def test_compare_moderate_drift_exits_1(demo_db: Path) -> None:
    r = drift("compare", "text-reference", "text-batch-drifted", "--db", demo_db, *WARN_ONLY)
    assert r.returncode == 1, r.stdout
    assert "status: WARN" in r.stdout


def test_compare_data_files_without_a_db(tmp_path: Path) -> None:
    r = drift("compare", DATA / "text_reference.jsonl", DATA / "text_batch_drifted.jsonl", "--json")
    assert r.returncode == 2
    out = json.loads(r.stdout)
    assert out["result"]["status"] == "alert" and out["comparison_id"] is None
    assert out["new"]["name"] == "text_batch_drifted.jsonl"


def test_compare_profile_json_files(tmp_path: Path) -> None:
    for name in ("vision_reference", "vision_batch_ok"):
        assert drift("profile", DATA / f"{name}.npy", "--out", tmp_path / f"{name}.json").returncode == 0
    r = drift("compare", tmp_path / "vision_reference.json", tmp_path / "vision_batch_ok.json")
    assert r.returncode == 0, r.stdout + r.stderr


def test_compare_stores_the_new_file_as_a_run_and_records_the_comparison(demo_db: Path) -> None:
    r = drift("compare", "text-reference", DATA / "text_batch_drifted.jsonl", "--db", demo_db,
              "--new-name", "2024-06-02", "--new-predictions", DATA / "text_batch_drifted_predictions.csv", "--json")
    assert r.returncode == 2
    cid = json.loads(r.stdout)["comparison_id"]
    with ExperimentDB(demo_db) as db:
        latest = db.comparisons(reference_run_id=db.find_run("text-reference")["run_id"])[0]
        assert (latest["comparison_id"], latest["new_name"], latest["status"]) == (cid, "2024-06-02", "alert")
        assert "prediction_hist" in db.load_profile(latest["new_run_id"])


def test_compare_across_modalities_exits_3(demo_db: Path) -> None:
    r = drift("compare", "text-reference", "vision-batch-ok", "--db", demo_db)
    assert r.returncode == 3 and "cannot compare a text profile" in r.stderr


def test_compare_unknown_run_exits_3(demo_db: Path) -> None:
    r = drift("compare", "text-reference", "no-such-run", "--db", demo_db)
    assert r.returncode == 3 and "no run with id or name 'no-such-run'" in r.stderr


@pytest.mark.parametrize(
    "args",
    [["compare", "--bogus"], ["compare", "only-one"], ["profile", "x.jsonl", "--sample-size", "0"], ["nosuchcommand"]],
    ids=["unknown-option", "missing-argument", "bad-sample-size", "unknown-command"],
)
def test_usage_errors_exit_3_not_2(args: list[str]) -> None:
    r = drift(*args)
    assert r.returncode == 3
    assert "Error:" in r.stderr and "Traceback" not in r.stderr


def test_the_console_script_exits_3_on_a_usage_error() -> None:
    r = drift_process("compare", "--bogus")
    assert r.returncode == 3
    assert "Error:" in r.stderr and "Traceback" not in r.stderr


def test_the_console_script_exits_with_the_monitoring_code() -> None:
    r = drift_process("compare", DATA / "text_reference.jsonl", DATA / "text_batch_drifted.jsonl")
    assert r.returncode == 2 and "status: ALERT" in r.stdout


def test_python_dash_m_runs_the_cli() -> None:
    r = subprocess.run([sys.executable, "-m", "drift_core.cli", "profile", str(DATA / "vision_batch_ok.npy"),
                        "--sample-size", "10"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["n_samples"] == 10


@pytest.fixture
def broken_compare(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make `drift compare` fail the way a bug would (not an error users make)."""

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("brightness_js")

    monkeypatch.setattr("drift_core.cli.compare_profiles", boom)


def test_an_unexpected_error_exits_3_in_one_line_without_a_traceback(demo_db: Path, broken_compare: None) -> None:
    r = drift("compare", "text-reference", "text-batch-ok", "--db", demo_db)
    assert r.returncode == 3
    assert r.stderr == "drift: error: unexpected KeyError: 'brightness_js' (run `drift --debug ...` for the traceback)\n"


def test_debug_prints_the_traceback_of_an_error(demo_db: Path, broken_compare: None) -> None:
    r = drift("--debug", "compare", "text-reference", "text-batch-ok", "--db", demo_db)
    assert r.returncode == 3
    assert "Traceback (most recent call last)" in r.stderr and "KeyError: 'brightness_js'" in r.stderr
    assert r.stderr.rstrip().endswith("drift: error: unexpected KeyError: 'brightness_js' (run `drift --debug ...` for the traceback)")


def test_a_store_error_names_the_db_file(demo_db: Path) -> None:
    r = drift("show", "no-such-run", "--db", demo_db)
    assert r.returncode == 3
    assert r.stderr == f"drift: error: {demo_db}: no run with id or name 'no-such-run'\n"


def test_a_file_that_is_not_sqlite_exits_3(tmp_path: Path) -> None:
    (tmp_path / "notes.db").write_text("not a database " * 200)
    r = drift("runs", "--db", tmp_path / "notes.db")
    assert r.returncode == 3
    assert "not a readable SQLite DB" in r.stderr and "Traceback" not in r.stderr


# -- webhook ----------------------------------------------------------------------------------------


class Hook:
    """A real HTTP server on 127.0.0.1 that answers with the given codes, then 200."""

    def __init__(self, codes: list[int]) -> None:
        self.codes = list(codes)
        self.requests: list[dict[str, Any]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.requests.append({"path": self.path, "type": self.headers["Content-Type"], "body": json.loads(body)})
                self.send_response(hook.codes.pop(0) if hook.codes else 200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        # polled every 10 ms, not 0.5 s: shutdown() waits for the poll
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.01,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook_factory() -> Iterator[Any]:
    hooks: list[Hook] = []

    def make(codes: list[int] | None = None) -> Hook:
        hooks.append(Hook(codes or []))
        return hooks[-1]

    yield make
    for h in hooks:
        h.close()


def test_webhook_delivers_the_alert_payload(demo_db: Path, hook_factory: Any) -> None:
    hook = hook_factory()
    r = drift("compare", "text-reference", "text-batch-drifted", "--db", demo_db, "--webhook", hook.url)
    assert r.returncode == 2, r.stderr
    (req,) = hook.requests
    body = req["body"]
    assert (req["path"], req["type"]) == ("/alerts", "application/json")
    assert (body["status"], body["reference"]["name"], body["new"]["name"]) == ("alert", "text-reference", "text-batch-drifted")
    assert body["scores"]["seq_length_js"] > 0.2 and body["summaries"]["seq_length_js"]
    assert body["time"].endswith("+00:00") and body["summary"].startswith("The new data has drifted")


def test_webhook_is_not_called_below_alert_on(demo_db: Path, hook_factory: Any) -> None:
    hook = hook_factory()
    r = drift("compare", "text-reference", "text-batch-drifted", "--db", demo_db, *WARN_ONLY,
              "--webhook", hook.url, "--alert-on", "alert")
    assert r.returncode == 1
    assert hook.requests == []


def test_webhook_retries_after_server_errors(demo_db: Path, hook_factory: Any) -> None:
    hook = hook_factory([503, 500])
    r = drift("compare", "vision-reference", "vision-batch-drifted", "--db", demo_db, "--webhook", hook.url)
    assert r.returncode == 2, r.stderr
    assert len(hook.requests) == 3 and "HTTP 200" in r.stderr


def test_undeliverable_webhook_exits_3_with_a_message(demo_db: Path, hook_factory: Any) -> None:
    hook = hook_factory([500] * 10)
    r = drift("compare", "vision-reference", "vision-batch-drifted", "--db", demo_db,
              "--webhook", hook.url, "--webhook-retries", "2")
    assert r.returncode == 3
    assert len(hook.requests) == 3
    assert f"webhook {hook.url}: alert not delivered after 3 attempt(s): HTTP 500" in r.stderr


def test_webhook_to_a_closed_port_exits_3(demo_db: Path, hook_factory: Any) -> None:
    hook = hook_factory()
    url = hook.url
    hook.close()
    r = drift("compare", "vision-reference", "vision-batch-drifted", "--db", demo_db, "--webhook", url,
              "--webhook-retries", "1")
    assert r.returncode == 3 and "alert not delivered after 2 attempt(s)" in r.stderr


def test_webhook_client_error_is_not_retried(demo_db: Path, hook_factory: Any) -> None:
    hook = hook_factory([404])
    r = drift("compare", "vision-reference", "vision-batch-drifted", "--db", demo_db, "--webhook", hook.url)
    assert r.returncode == 3 and len(hook.requests) == 1 and "HTTP 404" in r.stderr


def test_a_webhook_trickling_its_headers_is_given_up_at_the_deadline_exit_3(demo_db: Path) -> None:
    from test_alerts import Trickle

    server = Trickle()
    try:
        t0 = time.monotonic()
        r = drift("compare", "vision-reference", "vision-batch-drifted", "--db", demo_db, "--webhook", server.url,
                  "--webhook-retries", "0", "--webhook-timeout", "0.5")
        assert time.monotonic() - t0 < 30
    finally:
        server.close()
    assert r.returncode == 3
    assert "alert not delivered after 1 attempt(s): no complete response within 0.5 s" in r.stderr


def test_num_classes_above_the_limit_exits_3_and_the_limit_can_be_raised(tmp_path: Path) -> None:
    data = tmp_path / "b.txt"
    data.write_text("a b\nc d\n")
    r = drift("profile", data, "--num-classes", str(10**12))
    assert r.returncode == 3 and "num_classes 1000000000000 is above the limit of 100000" in r.stderr
    r = drift("--limit", "max_classes=2000000", "profile", data, "--num-classes", "1000000")
    assert r.returncode == 0, r.stderr
    r = drift("--limit", "max_clases=5", "profile", data)
    assert r.returncode == 3 and "unknown limit 'max_clases'" in r.stderr


def test_demo_if_missing_rebuilds_a_db_with_unreadable_profiles(demo_db: Path) -> None:
    conn = sqlite3.connect(demo_db)
    conn.execute("UPDATE artifacts SET data = json_set(data, '$.schema_version', 0) WHERE name = 'profile'")
    conn.commit()
    conn.close()
    r = drift("demo", "--db", demo_db, "--if-missing")
    assert r.returncode == 0 and "rebuilding" in r.stderr
    with ExperimentDB(demo_db) as db:
        assert all(db.load_profile(run["run_id"]) for run in db.list_runs())


def test_every_cli_command_is_documented_in_the_readme() -> None:
    from drift_core.cli import cli

    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("<!-- cli:start -->"):readme.index("<!-- cli:end -->")]
    missing = [name for name in cli.commands if f"`drift {name}" not in section]
    assert missing == []
