"""The wheel ships the demo data and the dashboard, and `drift demo` runs from an installed copy."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from session_cache import shared_dir

from drift_core.demo import DATA_DIR

REPO = Path(__file__).resolve().parent.parent

def _build_wheel(out: Path) -> None:
    """The wheel, built offline by the project's PEP 517 backend as ``pip wheel --no-build-isolation``
    does, without pip's own start-up around it (1.8 s -> 0.8 s of CPU; the same files, byte for byte).
    Once per session: two builds at once would share the source tree's ``build/`` folder."""
    r = subprocess.run(
        [sys.executable, "-c", f"from setuptools import build_meta; build_meta.build_wheel({str(out)!r})"],
        capture_output=True, text=True, timeout=300, cwd=REPO,
    )
    assert r.returncode == 0, r.stderr


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    (whl,) = shared_dir(tmp_path_factory, "wheel", _build_wheel).glob("driftboard-*.whl")
    return whl


def test_the_wheel_holds_the_demo_data_the_dashboard_and_the_console_script(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    samples = {f"drift_core/demo_data/{p.name}" for p in DATA_DIR.iterdir() if p.is_file()}
    assert len(samples) == 15 and samples <= names  # text, vision (with predictions), raw-text prose
    dashboard = {f"dashboard/{p.relative_to(REPO / 'dashboard')}" for p in (REPO / "dashboard").rglob("*.py")}
    assert dashboard <= names
    assert {"drift_core/io/__init__.py", "drift_core/io/lines.py"} <= names
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "drift = drift_core.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_drift_demo_runs_from_an_installed_copy(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)  # a wheel's purelib, as pip would install it
    env = {**os.environ, "PYTHONPATH": str(site)}
    code = "import drift_core, sys; from drift_core.cli import main; print(drift_core.__file__, file=sys.stderr); main()"
    r = subprocess.run([sys.executable, "-c", code, "demo", "--db", str(tmp_path / "demo.db")],
                       capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stderr.startswith(str(site)), "drift_core was imported from the source tree, not the installed copy"
    assert "built" in r.stdout and "18 comparisons" in r.stdout
