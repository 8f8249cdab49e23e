"""The README documents every registered metric (cf. sqlite-utils' tests/test_docs.py)."""

import re
from pathlib import Path

import pytest

from drift_core import METRICS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
TABLE = README.split("<!-- metric-table:start -->")[1].split("<!-- metric-table:end -->")[0]


@pytest.mark.parametrize("name", sorted(METRICS))
def test_every_metric_is_in_the_readme_metric_table(name):
    assert re.search(rf"^\| `{re.escape(name)}` \|", TABLE, re.M), f"{name} missing from README metric table"


def test_metric_table_defaults_match_the_registry():
    for name, info in METRICS.items():
        row = next(line for line in TABLE.splitlines() if line.startswith(f"| `{name}` |"))
        expected = "informational" if info.default_thresholds is None else f"({info.default_thresholds[0]:g}, {info.default_thresholds[1]:g})"
        assert row.rstrip(" |").endswith(expected), name


def test_readme_setup_is_two_commands():
    setup = README.split("## Set-up (two commands)")[1].split("```")[1]
    commands = [line.split("#")[0].strip() for line in setup.splitlines() if line.strip()]
    assert [c for c in commands if c and c != "bash"] == ["make run", "make test"]


def test_ci_runs_the_readme_test_command():
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    assert "make test" in ci
