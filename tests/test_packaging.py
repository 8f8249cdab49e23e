"""The wheel ships the demo data and the dashboard, and `drift demo` runs from an installed copy."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from drift_core.demo import DATA_DIR

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    r = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(REPO)],
        capture_output=True, text=True, timeout=300,
    )
    assert r.returncode == 0, r.stderr
    (whl,) = out.glob("driftboard-*.whl")
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
