"""Build the demo experiment DB from the sample files shipped in the package (``drift_core/demo_data/``).

Runs, per modality: ``<m>-reference``, ``<m>-batch-ok`` and ``<m>-batch-drifted``, each profiled
with its predictions, and one recorded comparison of each batch with its reference. Before them,
six weekly batches ``<m>-week-1`` .. ``<m>-week-6`` (back-dated a week apart) mix a growing share
of the drifted batch into the ok one, so the history chart shows drift creeping in. The newest
comparison is text-reference vs text-batch-drifted (an alert), which the dashboard opens on.

Raw text: ``prose-reference``, ``prose-batch-ok`` and ``prose-batch-drifted`` hold paragraphs of the
Python reference manual's help topics (``pydoc_data.topics``, shipped with CPython), profiled
with the built-in word tokenizer; no predictions, no weekly history (see ``data/make_samples.py``).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from .compare import compare_profiles
from .io import profile_file, read_dataset, read_predictions
from .profile import compute_dataset_profile
from .spec import TaskSpec
from .store import ExperimentDB

#: Folder of the sample files, shipped as package data (written by ``data/make_samples.py``).
DATA_DIR = Path(__file__).resolve().parent / "demo_data"

_NOTES = {
    "reference": "Training data: the reference every batch is compared with.",
    "batch-ok": "A new batch from the same source: expect ok.",
    "batch-drifted": "A new batch after the source changed: expect an alert.",
}
#: Share of drifted items in each weekly batch of the demo history, oldest first.
WEEKLY_DRIFT_SHARES = (0.0, 0.05, 0.15, 0.3, 0.5, 0.75)

#: (run name prefix, file prefix, data suffix, predictions suffix or None, TaskSpec, weekly history);
#: comparisons are recorded in this order.
_MODALITIES = (
    ("vision", "vision", ".npy", ".npy", TaskSpec("vision", num_classes=10), True),
    ("prose", "words", ".jsonl", None, TaskSpec("text"), False),
    ("text", "text", ".jsonl", ".csv", TaskSpec("text", num_classes=4), True),
)


def demo_files(data_dir: Path = DATA_DIR) -> dict[str, tuple[Path, Path | None, TaskSpec]]:
    """Run name -> (data file, predictions file or None, TaskSpec) for every demo run."""
    out = {}
    for name, prefix, ext, pext, spec, _ in _MODALITIES:
        for kind in ("reference", "batch-ok", "batch-drifted"):
            stem = f"{prefix}_{kind.replace('-', '_')}"
            preds = data_dir / f"{stem}_predictions{pext}" if pext else None
            out[f"{name}-{kind}"] = (data_dir / f"{stem}{ext}", preds, spec)
    return out


def _weekly_history(db: ExperimentDB, modality: str, files: dict[str, tuple[Path, Path | None, TaskSpec]], ref: int,
                    ref_profile: dict[str, Any]) -> None:
    """Back-dated weekly batches mixing a growing share of drifted items into ok ones."""
    ok_data, ok_preds_path, spec = files[f"{modality}-batch-ok"]
    bad_data, bad_preds_path, _ = files[f"{modality}-batch-drifted"]
    ok, _ = read_dataset(ok_data, spec)
    bad, _ = read_dataset(bad_data, spec)
    assert ok_preds_path is not None and bad_preds_path is not None
    ok_preds, bad_preds = read_predictions(ok_preds_path), read_predictions(bad_preds_path)
    rng = np.random.default_rng(7)
    n = min(len(ok), len(bad))
    now = datetime.now(UTC)
    for week, share in enumerate(WEEKLY_DRIFT_SHARES, start=1):
        k = round(share * n)
        take_bad = rng.choice(len(bad), size=k, replace=False)
        take_ok = rng.choice(len(ok), size=n - k, replace=False)
        data = _pick(ok, take_ok) + _pick(bad, take_bad) if isinstance(ok, list) else np.concatenate([ok[take_ok], bad[take_bad]])
        preds = np.concatenate([ok_preds[take_ok], bad_preds[take_bad]])
        when = now - timedelta(weeks=len(WEEKLY_DRIFT_SHARES) + 1 - week)
        profile = compute_dataset_profile(data, spec, sample_size=None, predictions=preds)
        run = db.create_run(f"{modality}-week-{week}", spec, notes=f"weekly batch: {share:.0%} of items from the drifted source",
                            profile=profile, created_at=when)
        db.record_comparison(ref, run, compare_profiles(ref_profile, profile), created_at=when)


def _pick(items: list[Any], idx: Any) -> list[Any]:
    return [items[int(i)] for i in idx]


def build_demo_db(path: str | Path, data_dir: str | Path = DATA_DIR) -> ExperimentDB:
    """Write the demo DB to ``path`` (replacing it) and return it, open.

    The DB is built in a temporary file next to ``path`` and moved into place, so a failure
    (or a reader of the old file) never sees a half-built DB.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()
    try:
        with ExperimentDB(tmp) as db:
            runs: dict[str, int] = {}
            profiles: dict[str, dict[str, Any]] = {}  # as stored: create_run validated them
            files = demo_files(Path(data_dir))
            for name, (data, preds, spec) in files.items():
                profiles[name] = profile_file(data, spec, sample_size=None, predictions_path=preds)
                runs[name] = db.create_run(name, spec, notes=_NOTES[name.split("-", 1)[1]], profile=profiles[name])
            for modality, *_, weekly in _MODALITIES:
                ref, ref_profile = runs[f"{modality}-reference"], profiles[f"{modality}-reference"]
                if weekly:
                    _weekly_history(db, modality, files, ref, ref_profile)
                for kind in ("batch-ok", "batch-drifted"):
                    new = f"{modality}-{kind}"
                    db.record_comparison(ref, runs[new], compare_profiles(ref_profile, profiles[new]))
            db.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{target}{suffix}").unlink()
        os.replace(tmp, target)
    finally:
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
    return ExperimentDB(target)
