"""Small fixtures that build real data: profiles from real items, DB files under tmp_path."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import settings

from drift_core.profile import compute_dataset_profile
from drift_core.spec import TaskSpec
from drift_core.store import ExperimentDB

REPO = Path(__file__).resolve().parent.parent

# A Streamlit script served by test_browser.py, not a test module: importing it for doctest
# collection only ran a page in bare mode.
collect_ignore = ["bare_plotly_page.py"]

# Speed is measured by benchmarks/, not by unit tests: hypothesis' per-example deadline (200 ms)
# failed an unchanged test once on a loaded 2-core machine (287 ms, then 1 ms on the rerun).
settings.register_profile("driftboard", deadline=None)
settings.load_profile("driftboard")


@pytest.fixture
def text_spec() -> TaskSpec:
    return TaskSpec("text")


@pytest.fixture
def vision_spec() -> TaskSpec:
    return TaskSpec("vision", num_classes=3)


@pytest.fixture
def text_profile(text_spec: TaskSpec) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    items = [{"input_ids": rng.integers(0, 50, size=rng.integers(3, 20)).tolist()} for _ in range(40)]
    return compute_dataset_profile(items, text_spec, predictions=rng.integers(0, 3, size=40))


@pytest.fixture
def vision_profile(vision_spec: TaskSpec) -> dict[str, Any]:
    images = np.random.default_rng(1).random((12, 3, 8, 8))
    return compute_dataset_profile(images, vision_spec, predictions=np.arange(12) % 3)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[ExperimentDB]:
    handle = ExperimentDB(tmp_path / "runs.db")
    yield handle
    handle.close()


# Scheduling (with `make test`'s `-n 2 --dist loadfile --no-loadscope-reorder`): xdist hands out
# whole files in this order. The real-browser journey (about a minute, most of it Chromium's and the
# server's CPU, not this process's) goes first, so one worker drives it while the other works through
# the rest; then files with more tests first, so the last files handed out are small ones. Whole files
# per worker build each module fixture (a demo DB, an AppTest warm-up, a Dask cluster) once instead of
# once per worker. In collection order the journey started after ~60 other tests and ended the run alone.
_START_FIRST = ("tests/test_browser.py::",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    per_file = Counter(item.nodeid.split("::", 1)[0] for item in items)
    items.sort(key=lambda item: (not item.nodeid.startswith(_START_FIRST),
                                 -per_file[item.nodeid.split("::", 1)[0]]))  # stable: keeps each file's order
