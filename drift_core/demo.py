"""Build the demo experiment DB from the sample files shipped in ``data/``.

Runs, per modality: ``<m>-reference``, ``<m>-batch-ok`` and ``<m>-batch-drifted``, each profiled
with its predictions, and one recorded comparison of each batch with its reference. The newest
comparison is text-reference vs text-batch-drifted (an alert), which the dashboard opens on.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from .compare import compare_profiles
from .io import profile_file
from .spec import TaskSpec
from .store import ExperimentDB

#: Folder of the shipped sample files (``data/`` of the repository).
DATA_DIR = Path(__file__).resolve().parent.parent / "data"

_NOTES = {
    "reference": "Training data: the reference every batch is compared with.",
    "batch-ok": "A new batch from the same source: expect ok.",
    "batch-drifted": "A new batch after the source changed: expect an alert.",
}
#: (modality, data suffix, predictions suffix, TaskSpec); comparisons are recorded in this order.
_MODALITIES = (
    ("vision", ".npy", ".npy", TaskSpec("vision", num_classes=10)),
    ("text", ".jsonl", ".csv", TaskSpec("text", num_classes=4)),
)


def demo_files(data_dir: Path = DATA_DIR) -> dict[str, tuple[Path, Path, TaskSpec]]:
    """Run name -> (data file, predictions file, TaskSpec) for every demo run."""
    out = {}
    for modality, ext, pext, spec in _MODALITIES:
        for kind in ("reference", "batch-ok", "batch-drifted"):
            stem = f"{modality}_{kind.replace('-', '_')}"
            out[f"{modality}-{kind}"] = (data_dir / f"{stem}{ext}", data_dir / f"{stem}_predictions{pext}", spec)
    return out


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
            files = demo_files(Path(data_dir))
            for name, (data, preds, spec) in files.items():
                profile = profile_file(data, spec, sample_size=None, predictions_path=preds)
                runs[name] = db.create_run(name, spec, notes=_NOTES[name.split("-", 1)[1]], profile=profile)
            for modality, *_ in _MODALITIES:
                ref = runs[f"{modality}-reference"]
                ref_profile = db.load_profile(ref)
                for kind in ("batch-ok", "batch-drifted"):
                    new = runs[f"{modality}-{kind}"]
                    db.record_comparison(ref, new, compare_profiles(ref_profile, db.load_profile(new)))
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
