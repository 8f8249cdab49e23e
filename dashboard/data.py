"""The dashboard's link to drift_core: the DB handle, profiles and comparisons, cached.

* ``st.cache_resource`` holds one :class:`~drift_core.store.ExperimentDB` per path (the store opens
  its connection with ``check_same_thread=False``, so the threads of ``streamlit run`` share it);
  when the path comes to name another file (the DB was rebuilt and moved into place), the path is
  opened again.
* ``st.cache_data`` holds profiles and comparisons keyed on content: a stored profile's SHA-256
  (read from the DB on every rerun, so a rewritten profile or a rebuilt DB is never served stale,
  and copies of a DB share the entries), the SHA-256 of an uploaded file, or a server file's path
  + size + mtime. Switching the reference or the thresholds reuses them and never re-reads the new
  data.
* An upload is hashed once and profiled from its bytes (``drift_core.io.InMemoryFile``): no
  temporary file, and its errors name the uploaded file, not a temporary path.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import streamlit as st

from drift_core import TaskSpec, compare_profiles
from drift_core.store import ExperimentDB, StoreError

from .sources import REPO_ROOT

DEFAULT_DB = REPO_ROOT / "data" / "demo.db"
DB_ENV = "DRIFTBOARD_DB"


def default_db_path() -> str:
    """``DRIFTBOARD_DB`` if set, else ``data/demo.db`` of the repository."""
    return os.environ.get(DB_ENV) or str(DEFAULT_DB)


def _same_file(db: ExperimentDB) -> bool:
    return not db.replaced()


@st.cache_resource(show_spinner="Opening the experiment DB...", validate=_same_file)
def open_db(path: str) -> ExperimentDB:
    """The experiment DB at ``path``; the default DB is built from the shipped demo data if missing."""
    if not Path(path).exists() and is_default_db(path):
        from drift_core.demo import build_demo_db

        with st.spinner("First start: building the demo DB from the shipped samples..."):
            build_demo_db(path)
    return ExperimentDB(path)


def is_default_db(path: str) -> bool:
    """Whether ``path`` is the default (demo) DB, which the app may build or rebuild."""
    return Path(path).resolve() == Path(default_db_path()).resolve()


def rebuild_demo_db(path: str) -> None:
    """Rebuild the demo DB in place (e.g. after an upgrade made its stored profiles unreadable)."""
    from drift_core.demo import build_demo_db

    open_db(path).close()
    build_demo_db(path).close()
    open_db.clear()
    _kinds.clear()


def run_profile(db_path: str, run_id: int) -> tuple[str, dict[str, Any]]:
    """``(content key, profile)`` of a stored run, the profile cached on the key.

    The key is the SHA-256 of the profile as stored (:meth:`ExperimentDB.profile_digest`: one row
    read and hashed on every call, no JSON parse): a profile rewritten in the DB, or a rebuilt DB
    reusing the run id, gets a new key, never the cached profile of the old one.
    """
    db = open_db(db_path)
    digest = db.profile_digest(run_id)
    return f"profile:{digest}", _stored_profile(digest, db, run_id)


@st.cache_data(max_entries=64, show_spinner=False)
def _stored_profile(digest: str, _db: ExperimentDB, _run_id: int) -> dict[str, Any]:
    profile = _db.load_profile(_run_id)
    if _db.profile_digest(_run_id) != digest:  # rewritten between the two reads: cache nothing
        raise StoreError(f"{_db.path}: the profile of run {_run_id} changed while it was read; reload the page")
    return profile


def _spec_key(spec: TaskSpec) -> str:
    """A cache key of a TaskSpec (frozen dataclass: its repr names every field)."""
    return repr(spec)


def upload_digest(data: bytes) -> str:
    """Content key of an uploaded file."""
    return hashlib.sha256(data).hexdigest()


@st.cache_data(max_entries=16, show_spinner="Profiling the uploaded file...")
def _profile_bytes(
    digest: str, filename: str, spec_key: str, sample_size: int | None, pred_digest: str | None,
    _data: bytes, _pred: tuple[str, bytes] | None, _spec: TaskSpec,
) -> dict[str, Any]:
    from drift_core.io import InMemoryFile, profile_file

    predictions = InMemoryFile(_pred[0], _pred[1]) if _pred is not None else None
    return profile_file(InMemoryFile(filename, _data), _spec, sample_size=sample_size, seed=0, predictions_path=predictions)


def profile_upload(
    filename: str, data: bytes, spec: TaskSpec, sample_size: int | None,
    predictions: tuple[str, bytes] | None = None,
) -> tuple[str, dict[str, Any]]:
    """``(content key, profile)`` of uploaded bytes, cached on their SHA-256 (and that of the
    predictions file), each hashed once."""
    digest = upload_digest(data)
    pred_digest = upload_digest(predictions[1]) if predictions else None
    key = f"upload:{digest}:{pred_digest}:{sample_size}"
    return key, _profile_bytes(digest, filename, _spec_key(spec), sample_size, pred_digest, data, predictions, spec)


@st.cache_data(max_entries=16, show_spinner="Profiling the file...")
def _profile_path(
    path: str, stamp: tuple[int, int], spec_key: str, sample_size: int | None,
    pred_path: str | None, pred_stamp: tuple[int, int] | None, _spec: TaskSpec,
) -> dict[str, Any]:
    from drift_core.io import profile_file

    return profile_file(path, _spec, sample_size=sample_size, seed=0, predictions_path=pred_path)


def _stamp(path: Path) -> tuple[int, int]:
    st_ = path.stat()
    return (st_.st_size, st_.st_mtime_ns)


def profile_server_file(
    path: Path, spec: TaskSpec, sample_size: int | None, predictions: Path | None = None
) -> dict[str, Any]:
    """Profile a (confined, resolved) server file, cached on its path, size and mtime."""
    return _profile_path(
        str(path), _stamp(path), _spec_key(spec), sample_size,
        str(predictions) if predictions else None, _stamp(predictions) if predictions else None, spec,
    )


@st.cache_data(max_entries=64, show_spinner=False)
def _compare(
    ref_key: str, new_key: str, thresholds_key: str, alpha: float,
    _ref: dict[str, Any], _new: dict[str, Any],
) -> dict[str, Any]:
    thresholds = {k: tuple(v) for k, v in json.loads(thresholds_key).items()}
    return compare_profiles(_ref, _new, thresholds=thresholds or None, alpha=alpha, seed=0)


def compare(
    ref_key: str, ref: dict[str, Any], new_key: str, new: dict[str, Any],
    thresholds: dict[str, tuple[float, float]], alpha: float,
) -> dict[str, Any]:
    """``compare_profiles`` cached on the two profiles' content keys, the thresholds and alpha."""
    key = json.dumps({k: list(v) for k, v in sorted(thresholds.items())})
    return _compare(ref_key, new_key, key, alpha, ref, new)


def _kind(fields: tuple[Any, ...] | None) -> str:
    """The kind of a profile from its ``(modality, token_kind)`` fields."""
    modality, token_kind = fields or (None, None)
    if modality == "text":
        return str(token_kind or "ids")
    return str(modality) if modality in ("vision", "outputs") else "unknown"


def run_kinds(db_path: str, runs: list[dict[str, Any]]) -> dict[int, str]:
    """What each run holds: ``"ids"`` or ``"words"`` (text), ``"vision"``, ``"outputs"``; runs of the
    same kind compare. A run without a readable profile is ``"unknown"`` (its error is shown when
    it is picked).

    Two fields of every stored profile, read by SQLite (no profile is loaded), cached on the
    runs' ids, creation times and sizes: a new, deleted or re-profiled run, or a rebuilt DB,
    changes that key.
    """
    key = tuple((r["run_id"], str(r["created_at"]), r["n_samples"]) for r in runs)
    return _kinds(key, open_db(db_path))


@st.cache_data(max_entries=8, show_spinner=False)
def _kinds(runs_key: tuple[tuple[int, str, int | None], ...], _db: ExperimentDB) -> dict[int, str]:
    fields = _db.profile_fields("modality", "token_kind")
    return {run_id: _kind(fields.get(run_id)) for run_id, _, _ in runs_key}


def clear_kinds() -> None:
    """Forget the cached kinds (a run was added)."""
    _kinds.clear()


def read_error_message(chosen: dict[str, Any], error: Exception) -> str:
    """Why the new data could not be read, naming the file at fault (data or predictions)."""
    data_name = (chosen.get("upload") or (None,))[0] or chosen.get("path") or "the new data"
    pred = (chosen.get("pred_upload") or (None,))[0] or (chosen.get("pred_path") or "").strip()
    text = str(error)
    if pred and "prediction" in text.lower():
        return f"Could not use the predictions file {pred} with {data_name}: {text}"
    return f"Could not read {data_name}: {text}"
