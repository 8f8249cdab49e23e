"""Expensive read-only fixtures built once per test session, also across pytest-xdist workers.

Under ``pytest -n N`` each worker is its own process. ``make test`` hands out whole files
(``--dist loadfile``), but a plain ``pytest -n N`` (``--dist load``) spreads a module's tests over the
workers, and a module-scoped fixture is then built once per worker. :func:`shared_dir` builds
into a folder of the session's temporary root under an exclusive lock instead: the first worker to
ask builds it, the others wait for it and use what it built. Tests that write copy what they need.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest


def shared_dir(factory: pytest.TempPathFactory, name: str, build: Callable[[Path], object]) -> Path:
    """The folder ``name`` after ``build(folder)`` has filled it, once per session."""
    if "PYTEST_XDIST_WORKER" not in os.environ:  # one process: the fixture's own scope is enough
        folder = factory.mktemp(name, numbered=True)
        build(folder)
        return folder
    root = factory.getbasetemp().parent  # <session temp root>/popen-gwN: the parent is the session's
    folder = root / name
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed, also if build raises
        if not (folder / ".built").exists():
            shutil.rmtree(folder, ignore_errors=True)  # what a worker whose build failed left
            folder.mkdir()
            build(folder)
            (folder / ".built").touch()
    return folder
