"""The dashboard's link to drift_core: the DB handle, profiles and comparisons, cached.

* ``st.cache_resource`` holds one :class:`~drift_core.store.ExperimentDB` per path (the store opens
  its connection with ``check_same_thread=False``, so the threads of ``streamlit run`` share it).
* ``st.cache_data`` holds profiles keyed on content: a run id, the SHA-256 of an uploaded file, or
  a server file's path + size + mtime. Switching the reference or the thresholds reuses them and
  never re-reads the new data.
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
from drift_core.store import ExperimentDB

from .sources import REPO_ROOT

DEFAULT_DB = REPO_ROOT / "data" / "demo.db"
DB_ENV = "DRIFTBOARD_DB"


def default_db_path() -> str:
    """``DRIFTBOARD_DB`` if set, else ``data/demo.db`` of the repository."""
    return os.environ.get(DB_ENV) or str(DEFAULT_DB)


@st.cache_resource(show_spinner="Opening the experiment DB...")
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
    run_profile.clear()
    _compare.clear()
    run_kinds.clear()


@st.cache_data(max_entries=64, show_spinner=False)
def run_profile(db_path: str, run_id: int) -> dict[str, Any]:
    """A stored run's profile (runs are immutable once profiled, so the id is the content key)."""
    return open_db(db_path).load_profile(run_id)


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


def _kind(profile: dict[str, Any]) -> str:
    if profile["modality"] != "text":
        return str(profile["modality"])  # "vision" or "outputs"
    return str(profile.get("token_kind", "ids"))


@st.cache_data(max_entries=8, show_spinner=False)
def run_kinds(db_path: str, run_ids: tuple[int, ...]) -> dict[int, str]:
    """What each run holds: ``"ids"`` or ``"words"`` (text), ``"vision"``; runs of the same kind compare.

    Read from the stored profiles (a run without a readable profile is "unknown").
    """
    db = open_db(db_path)
    out = {}
    for run_id in run_ids:
        try:
            out[run_id] = _kind(db.load_profile(run_id))
        except Exception:  # noqa: BLE001 - an unreadable profile is reported when the run is picked
            out[run_id] = "unknown"
    return out


def clear_kinds() -> None:
    """Forget the cached kinds (a run was added)."""
    run_kinds.clear()


def read_error_message(chosen: dict[str, Any], error: Exception) -> str:
    """Why the new data could not be read, naming the file at fault (data or predictions)."""
    data_name = (chosen.get("upload") or (None,))[0] or chosen.get("path") or "the new data"
    pred = (chosen.get("pred_upload") or (None,))[0] or (chosen.get("pred_path") or "").strip()
    text = str(error)
    if pred and "prediction" in text.lower():
        return f"Could not use the predictions file {pred} with {data_name}: {text}"
    return f"Could not read {data_name}: {text}"
