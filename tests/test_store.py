"""ExperimentDB on real SQLite files under tmp_path."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from drift_core.profile import compute_dataset_profile
from drift_core.spec import TaskSpec
from drift_core.store import _MIGRATIONS, DB_SCHEMA_VERSION, ExperimentDB, StoreError

RESULT = {"status": "warn", "max_drift": 0.15, "drift_scores": {"seq_length_js": 0.15}, "summary": "Lengths moved."}


def test_profile_survives_reopening_the_db_file(tmp_path: Path, text_spec: TaskSpec, text_profile: dict[str, Any]) -> None:
    path = tmp_path / "runs.db"
    with ExperimentDB(path) as db:
        run_id = db.create_run("reference", text_spec, notes="training set")
        db.save_profile(run_id, text_profile)
    with ExperimentDB(path) as db:
        assert db.load_profile(run_id) == text_profile


def test_profile_is_stored_as_queryable_json(db: ExperimentDB, text_spec: TaskSpec, text_profile: dict[str, Any]) -> None:
    run_id = db.create_run("reference", text_spec)
    db.save_profile(run_id, text_profile)
    conn = sqlite3.connect(db.path)
    (n,) = conn.execute(
        "SELECT json_extract(data, '$.n_samples') FROM artifacts WHERE run_id = ? AND name = 'profile'", (run_id,)
    ).fetchone()
    conn.close()
    assert n == text_profile["n_samples"]


def test_list_runs_reports_n_samples_and_filters_by_modality(
    db: ExperimentDB, text_spec: TaskSpec, vision_spec: TaskSpec, text_profile: dict[str, Any]
) -> None:
    t = db.create_run("text-reference", text_spec, profile=text_profile)
    db.create_run("vision-reference", vision_spec)
    runs = db.list_runs(modality="text")
    assert [(r["run_id"], r["name"], r["modality"], r["n_samples"]) for r in runs] == [
        (t, "text-reference", "text", text_profile["n_samples"])
    ]


def test_list_runs_is_newest_first(db: ExperimentDB, text_spec: TaskSpec) -> None:
    first = db.create_run("a", text_spec)
    second = db.create_run("b", text_spec)
    assert [r["run_id"] for r in db.list_runs()] == [second, first]


def test_get_run_returns_the_task_spec_as_a_dict(db: ExperimentDB, vision_spec: TaskSpec) -> None:
    run_id = db.create_run("v", vision_spec, notes="cam 2")
    run = db.get_run(run_id)
    assert TaskSpec.from_dict(run["task_spec"]) == vision_spec
    assert (run["notes"], run["n_samples"]) == ("cam 2", None)


def test_find_run_by_name_returns_the_newest_of_that_name(db: ExperimentDB, text_spec: TaskSpec) -> None:
    db.create_run("daily", text_spec)
    newest = db.create_run("daily", text_spec)
    assert db.find_run("daily")["run_id"] == newest
    assert db.find_run(str(newest))["run_id"] == newest


def test_unknown_run_is_a_clear_error(db: ExperimentDB) -> None:
    with pytest.raises(StoreError, match="no run with id 42"):
        db.load_profile(42)


def test_profile_of_the_wrong_modality_is_refused(db: ExperimentDB, vision_spec: TaskSpec, text_profile: dict[str, Any]) -> None:
    run_id = db.create_run("v", vision_spec)
    with pytest.raises(StoreError, match="text profile cannot be saved for a vision run"):
        db.save_profile(run_id, text_profile)


def test_invalid_profile_is_refused_and_leaves_no_row(db: ExperimentDB, text_spec: TaskSpec, text_profile: dict[str, Any]) -> None:
    bad = {**text_profile, "n_samples": 0}
    with pytest.raises(ValueError, match="n_samples must be >= 1"):
        db.create_run("reference", text_spec, profile=bad)
    assert db.list_runs() == []


def test_failed_save_rolls_back_the_whole_transaction(db: ExperimentDB, text_spec: TaskSpec, text_profile: dict[str, Any]) -> None:
    # The artifact insert succeeds, then a real trigger makes the second statement (runs update) fail.
    run_id = db.create_run("reference", text_spec)
    conn = sqlite3.connect(db.path)
    conn.execute("CREATE TRIGGER no_update BEFORE UPDATE ON runs BEGIN SELECT RAISE(ABORT, 'disk on fire'); END")
    conn.commit()
    conn.close()
    with pytest.raises(sqlite3.IntegrityError, match="disk on fire"):
        db.save_profile(run_id, text_profile)
    assert db.artifact_names(run_id) == []
    assert db.get_run(run_id)["n_samples"] is None


def test_artifacts_round_trip_and_are_listed(db: ExperimentDB, text_spec: TaskSpec) -> None:
    run_id = db.create_run("r", text_spec)
    db.log_artifact(run_id, "thresholds", {"seq_length_js": [0.1, 0.2]})
    assert db.get_artifact(run_id, "thresholds") == {"seq_length_js": [0.1, 0.2]}
    assert db.artifact_names(run_id) == ["thresholds"]


def test_artifact_with_nan_is_refused(db: ExperimentDB, text_spec: TaskSpec) -> None:
    run_id = db.create_run("r", text_spec)
    with pytest.raises(StoreError, match="not strict JSON"):
        db.log_artifact(run_id, "bad", {"x": float("nan")})
    assert db.artifact_names(run_id) == []


def test_comparisons_are_newest_first_and_filtered_by_reference(db: ExperimentDB, text_spec: TaskSpec) -> None:
    ref, other, new = (db.create_run(n, text_spec) for n in ("ref", "other", "new"))
    first = db.record_comparison(ref, new, RESULT)
    db.record_comparison(other, new, {**RESULT, "status": "ok"})
    second = db.record_comparison(ref, new, {**RESULT, "status": "alert", "max_drift": 0.4})
    history = db.comparisons(reference_run_id=ref)
    assert [c["comparison_id"] for c in history] == [second, first]
    assert (history[0]["status"], history[0]["max_drift"], history[0]["new_name"]) == ("alert", 0.4, "new")
    assert history[1]["result"] == RESULT


def test_comparison_with_a_bad_status_is_refused(db: ExperimentDB, text_spec: TaskSpec) -> None:
    a, b = db.create_run("a", text_spec), db.create_run("b", text_spec)
    with pytest.raises(StoreError, match="'status'"):
        db.record_comparison(a, b, {"status": 2})
    assert db.comparisons() == []


def test_delete_run_removes_its_artifacts_and_comparisons(
    db: ExperimentDB, text_spec: TaskSpec, text_profile: dict[str, Any]
) -> None:
    ref = db.create_run("ref", text_spec, profile=text_profile)
    new = db.create_run("new", text_spec, profile=text_profile)
    db.record_comparison(ref, new, RESULT)
    db.delete_run(new)
    assert [r["run_id"] for r in db.list_runs()] == [ref]
    assert db.comparisons() == []
    conn = sqlite3.connect(db.path)
    assert conn.execute("SELECT count(*) FROM artifacts WHERE run_id = ?", (new,)).fetchone() == (0,)
    conn.close()


def test_db_uses_wal_foreign_keys_and_the_schema_version(db: ExperimentDB) -> None:
    assert db.db.journal_mode == "wal"
    assert db.db.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert db.db.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    assert db.schema_version == DB_SCHEMA_VERSION


def test_old_schema_is_migrated_keeping_its_runs(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    _MIGRATIONS[0](conn)  # a version-1 file: runs and artifacts, no comparisons table
    conn.execute(
        "INSERT INTO runs (name, created_at, modality, notes, task_spec) VALUES ('old', '2024-01-01T00:00:00+00:00', 'text', '', ?)",
        (json.dumps(TaskSpec("text").to_dict()),),
    )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with ExperimentDB(path) as db:
        assert db.schema_version == DB_SCHEMA_VERSION
        new = db.create_run("new", TaskSpec("text"))
        db.record_comparison(1, new, RESULT)
        assert [r["name"] for r in db.list_runs()] == ["new", "old"]


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {DB_SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer than this Driftboard"):
        ExperimentDB(path)


def test_a_file_that_is_not_sqlite_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(StoreError, match="notes.db: not a readable SQLite DB"):
        ExperimentDB(path)
    assert path.read_text().startswith("these are my notes")


def test_another_applications_db_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not a Driftboard experiment DB"):
        ExperimentDB(path)


def test_one_handle_is_usable_from_many_threads(db: ExperimentDB, text_spec: TaskSpec, text_profile: dict[str, Any]) -> None:
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for j in range(5):
                run_id = db.create_run(f"t{i}-{j}", text_spec, profile=text_profile)
                assert db.load_profile(run_id)["n_samples"] == text_profile["n_samples"]
                db.list_runs()
        except BaseException as e:  # collected and re-checked in the main thread
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(db.list_runs()) == 40


def test_importing_the_store_io_and_cli_pulls_in_no_pandas_or_ui() -> None:
    code = (
        "import sys, drift_core.store, drift_core.io, drift_core.demo, drift_core.cli; "
        "print(' '.join(m for m in ('streamlit', 'plotly', 'pandas') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_an_sqlite_failure_is_a_store_error_naming_the_db_file(db: ExperimentDB, text_spec: TaskSpec) -> None:
    from drift_core.store import StoreError

    conn = sqlite3.connect(db.path)
    conn.execute("CREATE TRIGGER no_insert BEFORE INSERT ON runs BEGIN SELECT RAISE(ABORT, 'disk on fire'); END")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match=r"runs.db: cannot write to the DB \(disk on fire\)") as info:
        db.create_run("reference", text_spec)
    assert isinstance(info.value, sqlite3.IntegrityError) and str(db.path) in str(info.value)


def _open_and_save(path: str, i: int) -> int:
    from drift_core.store import ExperimentDB as DB

    with DB(path) as handle:
        return handle.create_run(f"run-{i}", TaskSpec("text"))


@pytest.mark.parametrize("attempt", range(10), ids=lambda a: f"attempt-{a}")
def test_many_processes_creating_the_same_new_db_all_save(tmp_path: Path, attempt: int) -> None:
    import multiprocessing

    path = str(tmp_path / "new.db")
    # sqlite_utils (and the pandas it imports) are loaded before the fork, not by each of the 8 children:
    # the creations then race each other instead of the imports (attempt 0 took 4 s without this)
    ExperimentDB(tmp_path / "warm.db").close()
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(8) as pool:
        ids = pool.starmap(_open_and_save, [(path, i) for i in range(8)])
    assert sorted(ids) == list(range(1, 9))
    with ExperimentDB(path) as handle:
        assert sorted(r["name"] for r in handle.list_runs()) == [f"run-{i}" for i in range(8)]
        assert handle.schema_version == DB_SCHEMA_VERSION


def test_corrupt_json_inside_the_db_names_the_file_and_the_run(db: ExperimentDB, text_spec: TaskSpec,
                                                               text_profile: dict[str, Any]) -> None:
    run_id = db.create_run("ref", text_spec, profile=text_profile)
    db.db.execute("UPDATE artifacts SET data = '{\"schema_version\": 2, ' WHERE run_id = ?", (run_id,))
    db.db.conn.commit()
    with pytest.raises(StoreError, match=rf"runs\.db: run {run_id}: artifact 'profile' is not readable JSON"):
        db.load_profile(run_id)
    db.db.execute("UPDATE runs SET task_spec = 'not json' WHERE id = ?", (run_id,))
    db.db.conn.commit()
    with pytest.raises(StoreError, match=rf"runs\.db: run {run_id} \('ref'\): field 'task_spec' is not readable JSON"):
        db.get_run(run_id)


def test_nan_inside_a_stored_profile_is_a_store_error(db: ExperimentDB, text_spec: TaskSpec,
                                                      text_profile: dict[str, Any]) -> None:
    run_id = db.create_run("ref", text_spec, profile=text_profile)
    db.db.execute("UPDATE artifacts SET data = json_set(data, '$.seq_length_mean', 'x') WHERE run_id = ?", (run_id,))
    db.db.execute("UPDATE artifacts SET data = replace(data, '\"x\"', 'NaN') WHERE run_id = ?", (run_id,))
    db.db.conn.commit()
    with pytest.raises(StoreError, match=r"runs\.db: profile of run \d+ \('ref'\): field 'seq_length_mean' holds nan"):
        db.load_profile(run_id)


def test_corrupt_comparison_result_names_the_comparison(db: ExperimentDB, text_spec: TaskSpec) -> None:
    a, b = db.create_run("a", text_spec), db.create_run("b", text_spec)
    cid = db.record_comparison(a, b, {"status": "ok", "max_drift": 0.0})
    db.db.execute("UPDATE comparisons SET result = '[' WHERE id = ?", (cid,))
    db.db.conn.commit()
    with pytest.raises(StoreError, match=rf"comparison {cid} \(runs {a} and {b}\): field 'result' is not readable JSON"):
        db.get_comparison(cid)


def test_a_writer_killed_mid_save_leaves_a_readable_db_without_partial_runs(tmp_path: Path,
                                                                            text_profile: dict[str, Any]) -> None:
    path = tmp_path / "runs.db"
    ExperimentDB(path).close()
    (tmp_path / "p.json").write_text(json.dumps(text_profile))
    script = (
        "import json, sys\nfrom drift_core.spec import TaskSpec\nfrom drift_core.store import ExperimentDB\n"
        f"p = json.load(open({str(tmp_path / 'p.json')!r}))\ndb = ExperimentDB({str(path)!r})\n"
        "i = 0\n"
        "while True:\n    db.create_run(f'r{i}', TaskSpec('text'), profile=p); i += 1; print(i, flush=True)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:  # killed while saving run 21 (or printing that run 20 is saved)
        if int(line) == 20:
            break
    else:
        pytest.fail("the writer stopped before saving 20 runs")
    proc.kill()  # SIGKILL: no clean-up, possibly mid-transaction
    proc.wait()
    with ExperimentDB(path) as handle:
        runs = handle.list_runs()
        assert len(runs) >= 20
        for r in runs:  # every run that exists has its whole profile: no half-saved run
            assert handle.load_profile(r["run_id"])["n_samples"] == text_profile["n_samples"]


def test_a_version_2_db_is_migrated_to_hold_outputs_runs_keeping_its_artifacts(tmp_path: Path) -> None:
    path = tmp_path / "v2.db"
    conn = sqlite3.connect(path)
    for migrate in _MIGRATIONS[:2]:
        migrate(conn)
    conn.execute("INSERT INTO runs (name, created_at, modality, notes, task_spec) VALUES ('old', '2024-01-01', 'text', '', ?)",
                 (json.dumps(TaskSpec("text").to_dict()),))
    conn.execute("INSERT INTO artifacts VALUES (1, 'note', '2024-01-01', '{\"a\": 1}')")
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    outputs = compute_dataset_profile([0, 2, 2], TaskSpec("outputs"))
    with ExperimentDB(path) as db:
        run = db.create_run("preds", TaskSpec("outputs"), profile=outputs)
        assert db.get_artifact(1, "note") == {"a": 1}
        assert [r["name"] for r in db.list_runs(modality="outputs")] == ["preds"]
        assert db.load_profile(run)["prediction_hist"] == [1, 0, 2]
        with pytest.raises(sqlite3.IntegrityError):
            db.db.execute("INSERT INTO runs (name, created_at, modality, task_spec) VALUES ('x', 'now', 'audio', '{}')")


def test_the_profile_digest_follows_the_stored_profile_and_is_shared_by_copies(
    tmp_path: Path, text_spec: TaskSpec, text_profile: dict[str, Any]
) -> None:
    import shutil

    path = tmp_path / "runs.db"
    with ExperimentDB(path) as db:
        run_id = db.create_run("reference", text_spec, profile=text_profile)
        digest = db.profile_digest(run_id)
        db.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(path, tmp_path / "copy.db")
    with ExperimentDB(tmp_path / "copy.db") as copy:
        assert copy.profile_digest(run_id) == digest
        copy.save_profile(run_id, {**text_profile, "seq_length_mean": text_profile["seq_length_mean"] + 1})
        assert copy.profile_digest(run_id) != digest


def test_the_digest_of_a_run_without_a_profile_is_a_clear_error(db: ExperimentDB, text_spec: TaskSpec) -> None:
    run_id = db.create_run("empty", text_spec)
    with pytest.raises(StoreError, match="has no profile"):
        db.profile_digest(run_id)
    with pytest.raises(StoreError, match="no run with id 999"):
        db.profile_digest(999)


def test_profile_fields_are_read_without_loading_and_unreadable_json_is_none(
    db: ExperimentDB, text_spec: TaskSpec, text_profile: dict[str, Any]
) -> None:
    good = db.create_run("good", text_spec, profile=text_profile)
    broken = db.create_run("broken", text_spec, profile=text_profile)
    db.create_run("no profile", text_spec)
    db.db.execute("UPDATE artifacts SET data = '{not json' WHERE run_id = ?", (broken,))
    assert db.profile_fields("modality", "token_kind", "no_such_field") == {
        good: ("text", text_profile.get("token_kind"), None), broken: None}
    with pytest.raises(StoreError, match="top-level fields"):
        db.profile_fields("modality') --")


def test_a_db_replaced_at_its_path_is_noticed_by_an_open_handle(tmp_path: Path, text_spec: TaskSpec) -> None:
    path = tmp_path / "runs.db"
    with ExperimentDB(tmp_path / "rebuilt.db") as other:
        other.create_run("rebuilt", text_spec)
    with ExperimentDB(path) as db:
        assert not db.replaced()
        (tmp_path / "rebuilt.db").replace(path)
        assert db.replaced()
