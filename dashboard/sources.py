"""Where new data may come from on the server: paths confined to a few allowed folders.

A path typed into the dashboard is resolved (following symlinks) and accepted only when the file
it names lies inside one of the allowed roots. ``..`` components are refused outright, and a
symlink inside a root that points outside it is refused because its *target* is checked.

The allowed roots are ``data/`` of the repository and the demo samples shipped in the package
(``drift_core/demo_data/``) by default, or the folders listed in the ``DRIFTBOARD_DATA_ROOTS``
environment variable (separated by ``os.pathsep``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from drift_core.demo import DATA_DIR as DEMO_DATA_DIR

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA_ROOT = REPO_ROOT / "data"
DEFAULT_ROOTS = (DEFAULT_DATA_ROOT, DEMO_DATA_DIR)
ROOTS_ENV = "DRIFTBOARD_DATA_ROOTS"


class PathRefused(ValueError):
    """A server path that does not exist, is not a file, or lies outside the allowed roots."""


def allowed_roots() -> list[Path]:
    """The folders server paths must lie in (``DRIFTBOARD_DATA_ROOTS``, or ``data/`` and the demo samples)."""
    raw = os.environ.get(ROOTS_ENV, "")
    roots = [Path(r).expanduser() for r in raw.split(os.pathsep) if r.strip()]
    return roots or list(DEFAULT_ROOTS)


def resolve_server_path(raw: str, roots: Sequence[Path]) -> Path:
    """Resolve ``raw`` to an existing file inside one of ``roots``, or raise :class:`PathRefused`.

    A relative path is looked up under each root in turn (``text-drifted.jsonl``), and also
    relative to the repository (``data/text-drifted.jsonl``).
    """
    text = raw.strip()
    if not text:
        raise PathRefused("enter the path of a data file")
    path = Path(text).expanduser()
    if ".." in path.parts:
        raise PathRefused(f"{text!r}: paths with '..' are not allowed")
    resolved_roots = [r.resolve() for r in roots]
    candidates = [path] if path.is_absolute() else [REPO_ROOT / path, *(r / path for r in resolved_roots)]
    existing = [c for c in candidates if c.exists()]
    if not existing:
        raise PathRefused(f"{text!r}: no such file")
    for candidate in existing:
        target = candidate.resolve()
        if any(target.is_relative_to(root) for root in resolved_roots):
            if not target.is_file():
                raise PathRefused(f"{text!r} is not a file")
            return target
    shown = ", ".join(str(r) for r in resolved_roots)
    raise PathRefused(f"{text!r} is outside the allowed data folders ({shown})")
