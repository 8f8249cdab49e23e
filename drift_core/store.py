"""The experiment DB: runs, their profiles and other JSON artifacts, and comparison history.

One SQLite file, opened through sqlite-utils. The schema version lives in ``PRAGMA user_version``
and :data:`_MIGRATIONS` brings an older file up to date when it is opened. The connection is
opened with ``check_same_thread=False`` and every call holds one lock, so a single
:class:`ExperimentDB` can be shared by the threads of ``streamlit run``; every write runs in one
transaction (``Database.atomic``), so a failed save leaves no partial row.

Tables
------
``runs``        id, name, created_at (ISO 8601 UTC), modality, n_samples, notes, task_spec (JSON)
``artifacts``   run_id -> runs.id (cascade), name, created_at, data (JSON); the profile is the
                artifact named ``"profile"``
``comparisons`` id, reference_run_id / new_run_id -> runs.id (cascade), created_at, status,
                max_drift, result (JSON)
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from .schema import validate_profile
from .spec import TaskSpec

if TYPE_CHECKING:  # imported by _sqlite_utils(), when a DB is opened
    import sqlite_utils

#: Version of the DB layout written to ``PRAGMA user_version``.
DB_SCHEMA_VERSION = 3
#: Artifact name under which :meth:`ExperimentDB.save_profile` stores a run's profile.
PROFILE_ARTIFACT = "profile"
BUSY_TIMEOUT_MS = 30_000
STATUSES = ("ok", "warn", "alert")


def _sqlite_utils() -> ModuleType:
    """The ``sqlite_utils`` module, imported without pandas when that is safe.

    ``sqlite_utils.db`` imports pandas whenever it is installed, only to map ``pd.Timestamp`` values to
    TEXT columns, which the store never writes. That import is 0.3 s of every process that opens a DB
    (about a third of a cron ``drift compare --db``). A ``None`` entry in ``sys.modules`` makes that one
    ``import pandas`` fail; it is removed straight after, so pandas stays importable. Done only while no
    other thread runs (one that imported pandas meanwhile would fail); a process that already has
    pandas, such as ``streamlit run``, imports sqlite_utils as it is.
    """
    if "sqlite_utils" not in sys.modules and "pandas" not in sys.modules and threading.active_count() == 1:
        sys.modules["pandas"] = None  # type: ignore[assignment]
        try:
            import sqlite_utils
        finally:
            del sys.modules["pandas"]
    import sqlite_utils

    return sqlite_utils


class StoreError(ValueError):
    """A problem with the experiment DB file or with what is asked of it (unknown run, bad JSON)."""


_SQLITE_STORE_ERRORS: dict[type, type] = {}


def _sqlite_failure(path: Path, action: str, e: sqlite3.Error) -> StoreError:
    """SQLite's error as a :class:`StoreError` naming the DB file; it stays an instance of SQLite's
    own class too (``sqlite3.IntegrityError`` ...), so callers catching that keep working."""
    cls = _SQLITE_STORE_ERRORS.get(type(e))
    if cls is None:
        cls = _SQLITE_STORE_ERRORS[type(e)] = type(f"Store{type(e).__name__}", (StoreError, type(e)), {})
    return cls(f"{path}: cannot {action} the DB ({e})")


def _v1(conn: sqlite3.Connection) -> None:
    conn.execute(
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            created_at TEXT NOT NULL,
            modality TEXT NOT NULL CHECK (modality IN ('text', 'vision')),
            n_samples INTEGER,
            notes TEXT NOT NULL DEFAULT '',
            task_spec TEXT NOT NULL
        )"""
    )
    conn.execute("CREATE INDEX runs_modality ON runs (modality, created_at)")
    conn.execute(
        """CREATE TABLE artifacts (
            run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            created_at TEXT NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (run_id, name)
        )"""
    )


def _v2(conn: sqlite3.Connection) -> None:
    conn.execute(
        """CREATE TABLE comparisons (
            id INTEGER PRIMARY KEY,
            reference_run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            new_run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            created_at TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('ok', 'warn', 'alert')),
            max_drift REAL,
            result TEXT NOT NULL
        )"""
    )
    conn.execute("CREATE INDEX comparisons_reference ON comparisons (reference_run_id, created_at)")
    conn.execute("CREATE INDEX comparisons_new ON comparisons (new_run_id)")


_OLD_CHECK = "CHECK (modality IN ('text', 'vision'))"
_NEW_CHECK = "CHECK (modality IN ('text', 'vision', 'outputs'))"


def _v3(conn: sqlite3.Connection) -> None:
    """Runs may be ``outputs`` (predictions alone): the CHECK on ``runs.modality`` is widened.

    SQLite cannot alter a CHECK, and rebuilding ``runs`` inside this transaction would cascade the
    drop to its artifacts (foreign keys are on). A widened CHECK holds for every existing row, so
    the table's SQL is edited in place, as SQLite documents for removing constraints
    (https://sqlite.org/lang_altertable.html, "Making Other Kinds Of Table Schema Changes"):
    ``writable_schema``, bump ``schema_version``, integrity check, all in the caller's transaction.
    """
    version = int(conn.execute("PRAGMA schema_version").fetchone()[0])
    conn.execute("PRAGMA writable_schema = ON")
    try:
        conn.execute("UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = 'runs'",
                     (_OLD_CHECK, _NEW_CHECK))
        conn.execute(f"PRAGMA schema_version = {version + 1}")
    finally:
        conn.execute("PRAGMA writable_schema = OFF")
    problems = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    if problems != ["ok"]:
        raise sqlite3.DatabaseError(f"integrity check failed after widening runs.modality: {problems[:3]}")


#: ``_MIGRATIONS[v]`` upgrades a DB from ``user_version`` v to v + 1. Append, never edit.
_MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1, _v2, _v3]
assert len(_MIGRATIONS) == DB_SCHEMA_VERSION


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _timestamp(at: datetime | None) -> str:
    """ISO 8601 UTC of ``at`` (an aware datetime; naive ones are taken as UTC), or now."""
    if at is None:
        return _now()
    if not isinstance(at, datetime):
        raise StoreError(f"created_at must be a datetime, got {type(at).__name__}")
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC).isoformat(timespec="microseconds")


def _dumps(obj: Any, what: str) -> str:
    try:
        return json.dumps(obj, allow_nan=False, sort_keys=True)
    except (TypeError, ValueError) as e:
        raise StoreError(f"{what} is not strict JSON (no NaN/inf, only dicts, lists, str, numbers): {e}") from None


def _run_id(run_id: Any) -> int:
    if isinstance(run_id, bool) or not isinstance(run_id, int):
        raise StoreError(f"run id must be an int, got {run_id!r}")
    return run_id


class ExperimentDB:
    """Runs, profiles, artifacts and comparison history in one SQLite file.

    Parameters
    ----------
    path : str or Path
        The DB file; created with its schema when missing, upgraded when older.

    Raises
    ------
    StoreError
        When the file is not an SQLite DB, is another application's DB, or was written by a newer
        Driftboard.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> db = ExperimentDB(pathlib.Path(tempfile.mkdtemp()) / "runs.db")
    >>> run_id = db.create_run("reference", TaskSpec("text"), notes="training set")
    >>> [(r["name"], r["modality"]) for r in db.list_runs()]
    [('reference', 'text')]
    >>> db.close()
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        if self.path.is_dir():
            raise StoreError(f"{self.path}: is a directory, not an SQLite DB file")
        try:
            conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
        except sqlite3.Error as e:
            raise StoreError(f"{self.path}: cannot open the DB: {e}") from None
        try:
            self.db = _sqlite_utils().Database(conn)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys = ON")
            self._set_up()
        except sqlite3.DatabaseError as e:
            conn.close()
            raise StoreError(f"{self.path}: not a readable SQLite DB ({e})") from None
        except StoreError:
            conn.close()
            raise
        self._file_id = self._identity()

    # -- plumbing ------------------------------------------------------------------------------

    def _set_up(self) -> None:
        """Create or migrate the schema and switch to WAL, retrying while another process does the same.

        SQLite answers "database is locked" at once, without waiting out the busy timeout, when
        waiting could deadlock (two processes switching a new file to WAL, or one upgrading its
        read lock while another writes); the remedy SQLite documents is to retry. Retries stop
        after the busy timeout.
        """
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        delay = 0.01
        while True:
            try:
                self._migrate()
                if self.db.journal_mode != "wal":
                    self.db.enable_wal()
                return
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) or time.monotonic() + delay > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    def _migrate(self) -> None:
        # Race-free on a new file: the version is read again under SQLite's write lock (BEGIN
        # IMMEDIATE), so of several processes opening the same new path one creates the tables and
        # the others, waiting on the lock (busy timeout), find them created.
        with self._lock:
            if self._version() == DB_SCHEMA_VERSION:
                return
            conn = self.db.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                version = self._version()
                if version > DB_SCHEMA_VERSION:
                    raise StoreError(
                        f"{self.path}: DB schema version {version} is newer than this Driftboard understands "
                        f"({DB_SCHEMA_VERSION}); upgrade driftboard"
                    )
                if version == 0 and self.db.table_names():
                    raise StoreError(
                        f"{self.path}: an SQLite DB with other tables ({', '.join(self.db.table_names()[:5])}), "
                        "not a Driftboard experiment DB"
                    )
                while version < DB_SCHEMA_VERSION:
                    _MIGRATIONS[version](conn)
                    version += 1
                    conn.execute(f"PRAGMA user_version = {version}")
                conn.execute("COMMIT")
            except BaseException:
                conn.rollback()
                raise

    def _version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def _identity(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_dev, st.st_ino)

    def replaced(self) -> bool:
        """Whether the path now names another file than the one this handle opened (the DB was
        rebuilt and moved into place, or deleted): this handle still reads the old file, so a
        long-lived holder (the dashboard) should open the path again."""
        return self._identity() != self._file_id

    @property
    def schema_version(self) -> int:
        """The ``PRAGMA user_version`` of the open file."""
        with self._lock:
            return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def _write(self) -> Iterator[sqlite_utils.Database]:
        try:
            with self._lock, self.db.atomic() as db:
                yield db
        except sqlite3.Error as e:  # locked, read-only, disk full...: name the file
            raise _sqlite_failure(self.path, "write to", e) from e

    def _rows(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        try:
            with self._lock:
                return list(self.db.query(sql, params))
        except sqlite3.Error as e:
            raise _sqlite_failure(self.path, "read", e) from e

    def _loads(self, text: Any, what: str) -> Any:
        """JSON stored in the DB, or a :class:`StoreError` naming the DB file and the row."""
        try:
            return json.loads(text)
        except (TypeError, ValueError, RecursionError) as e:
            reason = "nested too deeply" if isinstance(e, RecursionError) else str(e)[:200]
            raise StoreError(f"{self.path}: {what} is not readable JSON ({reason}); the DB is damaged") from None

    def close(self) -> None:
        """Close the connection (the handle cannot be used afterwards)."""
        with self._lock:
            self.db.close()

    def __enter__(self) -> ExperimentDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ExperimentDB({str(self.path)!r})"

    # -- runs ----------------------------------------------------------------------------------

    def create_run(
        self, name: str, task_spec: TaskSpec, notes: str = "", profile: dict[str, Any] | None = None,
        created_at: datetime | None = None,
    ) -> int:
        """Add a run and return its id; with ``profile``, store it in the same transaction.

        ``created_at`` back-dates the run (e.g. when importing history); default now."""
        if not isinstance(name, str) or not name.strip():
            raise StoreError(f"run name must be a non-empty string, got {name!r}")
        if not isinstance(task_spec, TaskSpec):
            raise StoreError(f"task_spec must be a TaskSpec, got {type(task_spec).__name__}")
        if not isinstance(notes, str):
            raise StoreError(f"notes must be a string, got {type(notes).__name__}")
        spec_json = _dumps(task_spec.to_dict(), "task_spec")
        profile_json = self._check_profile(profile, task_spec.modality) if profile is not None else None
        now = _timestamp(created_at)
        with self._write() as db:
            cur = db.execute(
                "INSERT INTO runs (name, created_at, modality, n_samples, notes, task_spec) VALUES (?, ?, ?, ?, ?, ?)",
                (name.strip(), now, task_spec.modality, None, notes, spec_json),
            )
            run_id = int(cur.lastrowid or 0)
            if profile is not None and profile_json is not None:
                self._put_profile(db, run_id, profile, profile_json, now)
        return run_id

    def get_run(self, run_id: int) -> dict[str, Any]:
        """One run: ``run_id, name, created_at, modality, n_samples, notes, task_spec`` (a dict)."""
        rows = self._rows("SELECT * FROM runs WHERE id = ?", (_run_id(run_id),))
        if not rows:
            raise StoreError(f"{self.path}: no run with id {run_id}")
        return self._run_dict(rows[0])

    def find_run(self, name_or_id: str | int) -> dict[str, Any]:
        """A run by id (an int, or a string of digits) or by name (the newest run of that name)."""
        if isinstance(name_or_id, int) or (isinstance(name_or_id, str) and name_or_id.strip().isdigit()):
            rows = self._rows("SELECT * FROM runs WHERE id = ?", (int(name_or_id),))
            if rows:
                return self._run_dict(rows[0])
        rows = self._rows(
            "SELECT * FROM runs WHERE name = ? ORDER BY created_at DESC, id DESC LIMIT 1", (str(name_or_id).strip(),)
        )
        if not rows:
            raise StoreError(f"{self.path}: no run with id or name {name_or_id!r}")
        return self._run_dict(rows[0])

    def list_runs(self, modality: str | None = None) -> list[dict[str, Any]]:
        """All runs, newest first, as dicts (see :meth:`get_run`); only one modality if given."""
        if modality is not None and modality not in ("text", "vision", "outputs"):
            raise StoreError(f"modality must be 'text', 'vision' or 'outputs', got {modality!r}")
        where, params = ("WHERE modality = ?", (modality,)) if modality else ("", ())
        rows = self._rows(f"SELECT * FROM runs {where} ORDER BY created_at DESC, id DESC", params)
        return [self._run_dict(r) for r in rows]

    def delete_run(self, run_id: int) -> None:
        """Delete a run with its artifacts and every comparison it took part in."""
        self.get_run(run_id)
        with self._write() as db:
            db.execute("DELETE FROM runs WHERE id = ?", (run_id,))

    def _run_dict(self, row: dict[str, Any]) -> dict[str, Any]:
        return {
            "run_id": row["id"],
            "name": row["name"],
            "created_at": row["created_at"],
            "modality": row["modality"],
            "n_samples": row["n_samples"],
            "notes": row["notes"],
            "task_spec": self._loads(row["task_spec"], f"run {row['id']} ({row['name']!r}): field 'task_spec'"),
        }

    # -- profiles and artifacts ----------------------------------------------------------------

    def _check_profile(self, profile: Any, modality: str) -> str:
        validate_profile(profile)
        if profile["modality"] != modality:
            raise StoreError(f"a {profile['modality']} profile cannot be saved for a {modality} run")
        return _dumps(profile, "profile")

    def _put_profile(
        self, db: sqlite_utils.Database, run_id: int, profile: dict[str, Any], data: str, now: str
    ) -> None:
        db.execute(
            "INSERT OR REPLACE INTO artifacts (run_id, name, created_at, data) VALUES (?, ?, ?, ?)",
            (run_id, PROFILE_ARTIFACT, now, data),
        )
        db.execute("UPDATE runs SET n_samples = ? WHERE id = ?", (profile["n_samples"], run_id))

    def save_profile(self, run_id: int, profile: dict[str, Any]) -> None:
        """Store (or replace) the run's profile, after :func:`validate_profile`, and its ``n_samples``."""
        run = self.get_run(run_id)
        data = self._check_profile(profile, run["modality"])
        with self._write() as db:
            self._put_profile(db, run_id, profile, data, _now())

    def load_profile(self, run_id: int) -> dict[str, Any]:
        """The run's profile, exactly as saved (and validated on the way out)."""
        run = self.get_run(run_id)
        profile = self._artifact(run_id, PROFILE_ARTIFACT)
        if profile is None:
            raise StoreError(f"{self.path}: run {run_id} ({run['name']!r}) has no profile")
        try:
            validate_profile(profile, name=f"profile of run {run_id} ({run['name']!r})")
        except ValueError as e:
            raise StoreError(f"{self.path}: {e}") from None
        return dict(profile)

    def profile_digest(self, run_id: int) -> str:
        """SHA-256 (hex) of the run's profile as stored: a content key for caches.

        It changes whenever the stored profile does, whoever wrote it (this handle, another
        process, a rebuilt DB reusing the run id), and copies of a DB give the same key. Reading it
        costs one row and a hash, not a JSON parse and a validation.
        """
        rows = self._rows("SELECT data FROM artifacts WHERE run_id = ? AND name = ?", (_run_id(run_id), PROFILE_ARTIFACT))
        if not rows:
            run = self.get_run(run_id)
            raise StoreError(f"{self.path}: run {run_id} ({run['name']!r}) has no profile")
        data = rows[0]["data"]
        return hashlib.sha256(data if isinstance(data, bytes) else str(data).encode()).hexdigest()

    def profile_fields(self, *fields: str) -> dict[int, tuple[Any, ...] | None]:
        """Top-level fields of every stored profile, read by SQLite without loading the profiles.

        Returns run id -> the fields' values in the order asked (``None`` for a missing field), or
        ``None`` for a profile that is not readable JSON. Runs without a profile are left out.
        Nothing is validated: a profile is checked when it is loaded (:meth:`load_profile`).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> db = ExperimentDB(pathlib.Path(tempfile.mkdtemp()) / "runs.db")
        >>> db.profile_fields("modality")
        {}
        >>> db.close()
        """
        if not fields or not all(isinstance(f, str) and f.isidentifier() for f in fields):
            raise StoreError(f"profile fields must be names of top-level fields, got {fields!r}")
        paths = tuple(f"$.{f}" for f in fields)
        extract = f"json_array({', '.join('json_extract(data, ?)' for _ in paths)})"
        sql = f"SELECT run_id, {extract} AS v FROM artifacts WHERE name = ? AND json_valid(data)"
        rows = self._rows(sql, (*paths, PROFILE_ARTIFACT))
        out: dict[int, tuple[Any, ...] | None] = {
            r["run_id"]: None for r in self._rows("SELECT run_id FROM artifacts WHERE name = ?", (PROFILE_ARTIFACT,))}
        out.update({r["run_id"]: tuple(json.loads(r["v"])) for r in rows})
        return out

    def log_artifact(self, run_id: int, name: str, obj: Any) -> None:
        """Store (or replace) any strict-JSON object under ``name`` for a run."""
        if not isinstance(name, str) or not name or name == PROFILE_ARTIFACT:
            raise StoreError(f"artifact name must be a non-empty string other than {PROFILE_ARTIFACT!r}, got {name!r}")
        self.get_run(run_id)
        data = _dumps(obj, f"artifact {name!r}")
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO artifacts (run_id, name, created_at, data) VALUES (?, ?, ?, ?)",
                (run_id, name, _now(), data),
            )

    def get_artifact(self, run_id: int, name: str) -> Any:
        """The artifact stored under ``name`` for a run (``StoreError`` if there is none)."""
        self.get_run(run_id)
        obj = self._artifact(run_id, name)
        if obj is None:
            raise StoreError(f"{self.path}: run {run_id} has no artifact {name!r}")
        return obj

    def artifact_names(self, run_id: int) -> list[str]:
        """Names of the run's artifacts, sorted (the profile is ``"profile"``)."""
        rows = self._rows("SELECT name FROM artifacts WHERE run_id = ? ORDER BY name", (_run_id(run_id),))
        return [r["name"] for r in rows]

    def _artifact(self, run_id: int, name: str) -> Any:
        rows = self._rows("SELECT data FROM artifacts WHERE run_id = ? AND name = ?", (run_id, name))
        return self._loads(rows[0]["data"], f"run {run_id}: artifact {name!r}") if rows else None

    # -- comparisons ---------------------------------------------------------------------------

    def record_comparison(
        self, ref_run_id: int, new_run_id: int, result: dict[str, Any], created_at: datetime | None = None
    ) -> int:
        """Store the result of ``compare_profiles`` between two runs; returns the comparison id.

        ``created_at`` back-dates the comparison (history imported from elsewhere); default now."""
        self.get_run(ref_run_id)
        self.get_run(new_run_id)
        if not isinstance(result, dict) or result.get("status") not in STATUSES:
            raise StoreError(f"a comparison result must be a dict with 'status' in {STATUSES}")
        max_drift = result.get("max_drift")
        if max_drift is not None and not (isinstance(max_drift, (int, float)) and math.isfinite(max_drift)):
            raise StoreError(f"comparison result 'max_drift' must be a finite number, got {max_drift!r}")
        data = _dumps(result, "comparison result")
        with self._write() as db:
            cur = db.execute(
                "INSERT INTO comparisons (reference_run_id, new_run_id, created_at, status, max_drift, result) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (ref_run_id, new_run_id, _timestamp(created_at), result["status"], max_drift, data),
            )
            return int(cur.lastrowid or 0)

    def comparisons(
        self, reference_run_id: int | None = None, new_run_id: int | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Comparison history, newest first: ``comparison_id, reference_run_id, reference_name,
        new_run_id, new_name, created_at, status, max_drift, result`` (the full result dict)."""
        where, params = [], []
        if reference_run_id is not None:
            where.append("c.reference_run_id = ?")
            params.append(_run_id(reference_run_id))
        if new_run_id is not None:
            where.append("c.new_run_id = ?")
            params.append(_run_id(new_run_id))
        sql = (
            "SELECT c.*, r.name AS reference_name, n.name AS new_name FROM comparisons c "
            "JOIN runs r ON r.id = c.reference_run_id JOIN runs n ON n.id = c.new_run_id "
            + ("WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY c.created_at DESC, c.id DESC"
        )
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [self._comparison_dict(r) for r in self._rows(sql, tuple(params))]

    def get_comparison(self, comparison_id: int) -> dict[str, Any]:
        """One comparison (same keys as :meth:`comparisons`)."""
        rows = self._rows(
            "SELECT c.*, r.name AS reference_name, n.name AS new_name FROM comparisons c "
            "JOIN runs r ON r.id = c.reference_run_id JOIN runs n ON n.id = c.new_run_id WHERE c.id = ?",
            (_run_id(comparison_id),),
        )
        if not rows:
            raise StoreError(f"{self.path}: no comparison with id {comparison_id}")
        return self._comparison_dict(rows[0])

    def _comparison_dict(self, row: dict[str, Any]) -> dict[str, Any]:
        return {
            "comparison_id": row["id"],
            "reference_run_id": row["reference_run_id"],
            "reference_name": row["reference_name"],
            "new_run_id": row["new_run_id"],
            "new_name": row["new_name"],
            "created_at": row["created_at"],
            "status": row["status"],
            "max_drift": row["max_drift"],
            "result": self._loads(row["result"], f"comparison {row['id']} (runs {row['reference_run_id']} and "
                                                 f"{row['new_run_id']}): field 'result'"),
        }
