"""Start the Streamlit dashboard of an installed Driftboard (``drift dashboard``)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path


def dashboard_app() -> Path:
    """The ``app.py`` of the installed ``dashboard`` package; ``FileNotFoundError`` without it."""
    spec = importlib.util.find_spec("dashboard")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the dashboard package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "app.py"


def dashboard_command(port: int = 8501) -> list[str]:
    """The ``streamlit run`` command line of the dashboard."""
    return [sys.executable, "-m", "streamlit", "run", str(dashboard_app()), "--server.port", str(port)]


def launch_dashboard(db: str | Path | None = None, port: int = 8501) -> int:
    """Run the dashboard on ``db`` (via ``DRIFTBOARD_DB``) until it stops; returns its exit code."""
    env = dict(os.environ)
    if db:
        env["DRIFTBOARD_DB"] = str(Path(db).resolve())
    return subprocess.call(dashboard_command(port), env=env)
