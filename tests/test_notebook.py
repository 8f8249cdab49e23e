"""The example notebook runs top to bottom (nbclient, a real kernel from this venv)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "drift_workflow.ipynb"


@pytest.mark.slow
def test_example_notebook_runs_and_prints_the_status(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A kernel spec that runs this interpreter, whatever kernels the machine has installed.
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    kernel_dir = tmp_path / "kernels" / "driftboard-test"
    kernel_dir.mkdir(parents=True)
    (kernel_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "driftboard test", "language": "python",
    }))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        nb, timeout=300, kernel_name="driftboard-test",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "status: alert" in text
    assert "Sequence length" in text and "text-batch alert" in text
