"""Outputs-only profiles from predictions files: ``profile_file(path, TaskSpec("outputs"))`` and
``drift profile|compare --modality outputs`` (files and DB runs)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from drift_core import TaskSpec, compute_dataset_profile
from drift_core.cli import cli
from drift_core.io import DataFileError, profile_file, read_predictions
from drift_core.store import ExperimentDB

OUT = TaskSpec("outputs")
RNG = np.random.default_rng(7)
IDS = RNG.integers(0, 5, size=300)
_RAW = RNG.random((300, 5))
SCORES = _RAW / _RAW.sum(axis=1, keepdims=True)  # probabilities: other scores need TaskSpec(scores="logits")


def write_csv(path: Path, header: list[str], rows: Any, sep: str = ",") -> Path:
    path.write_text(sep.join(header) + "\n" + "".join(sep.join(map(str, np.atleast_1d(r))) + "\n" for r in rows))
    return path


WRITERS: dict[str, tuple[Callable[[Path], Path], Any]] = {
    "csv-class-column": (lambda d: write_csv(d / "p.csv", ["id", "prediction"], np.c_[np.arange(300), IDS]), IDS),
    "csv-one-score-per-class": (lambda d: write_csv(d / "p.csv", list("abcde"), SCORES), SCORES),
    "tsv-only-column": (lambda d: write_csv(d / "p.tsv", ["label"], IDS, "\t"), IDS),
    "npy-class-ids": (lambda d: (np.save(d / "p.npy", IDS), d / "p.npy")[1], IDS),
    "npy-scores": (lambda d: (np.save(d / "p.npy", SCORES), d / "p.npy")[1], SCORES),
    "parquet-class-column": (lambda d: (pq.write_table(pa.table({"x": np.arange(300.0), "prediction": IDS}), d / "p.parquet",
                                                       row_group_size=40), d / "p.parquet")[1], IDS),
}


@pytest.mark.parametrize("kind", list(WRITERS))
@pytest.mark.parametrize("sample_size", [None, 50], ids=["all", "sample-50"])
def test_outputs_profile_of_a_predictions_file_equals_the_in_memory_profile(tmp_path: Path, kind: str,
                                                                            sample_size: int | None) -> None:
    write, data = WRITERS[kind]
    got = profile_file(write(tmp_path), OUT, sample_size=sample_size, seed=3, chunk_size=17)
    want = compute_dataset_profile(data, OUT, sample_size=sample_size, seed=3)
    assert (got["modality"], got["prediction_hist"], got["n_samples"], got["n_total"]) == (
        "outputs", want["prediction_hist"], want["n_samples"], 300)
    assert "seq_length_mean" not in got and "examples" not in got


def test_read_predictions_reads_a_parquet_class_column(tmp_path: Path) -> None:
    WRITERS["parquet-class-column"][0](tmp_path)
    assert read_predictions(tmp_path / "p.parquet").tolist() == IDS.tolist()


def test_a_bad_class_id_in_an_outputs_csv_names_its_line(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", ["prediction"], ["1", "2", "two"])
    with pytest.raises(DataFileError) as info:
        profile_file(path, OUT)
    assert (info.value.line, info.value.reason) == (4, "column 'prediction' must be a class id (an int >= 0), got 'two'")


def test_a_negative_class_in_an_outputs_npy_names_its_row(tmp_path: Path) -> None:
    np.save(tmp_path / "p.npy", np.array([0, 1, -3, 2]))
    with pytest.raises(DataFileError, match=r"p.npy: row 3: prediction -3 is negative"):
        profile_file(tmp_path / "p.npy", OUT, chunk_size=2)


def test_a_null_class_in_an_outputs_parquet_names_its_row(tmp_path: Path) -> None:
    pq.write_table(pa.table({"prediction": pa.array([1, None, 2])}), tmp_path / "p.parquet")
    with pytest.raises(DataFileError, match=r"p.parquet: row 2: column 'prediction' is null"):
        profile_file(tmp_path / "p.parquet", OUT)


def test_an_outputs_profile_refuses_a_separate_predictions_path(tmp_path: Path) -> None:
    np.save(tmp_path / "p.npy", IDS)
    with pytest.raises(ValueError, match="an outputs profile reads the predictions from `path`"):
        profile_file(tmp_path / "p.npy", OUT, predictions_path=tmp_path / "p.npy")


def test_a_text_kind_of_file_as_outputs_lists_the_predictions_formats(tmp_path: Path) -> None:
    (tmp_path / "p.jsonl").write_text('{"prediction": 1}\n')
    with pytest.raises(DataFileError, match=r"cannot read a .jsonl file as outputs data; supported: .csv, .tsv, .npy, .parquet"):
        profile_file(tmp_path / "p.jsonl", OUT)


def test_a_predictions_csv_read_as_text_suggests_the_outputs_modality(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", ["prediction"], IDS)
    with pytest.raises(DataFileError, match=r"holds only a 'prediction' column: a predictions file\? .* --modality outputs"):
        profile_file(path, TaskSpec("text"))


# -- the CLI ---------------------------------------------------------------------------------------


def drift(*args: str | Path) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, [str(a) for a in args], prog_name="drift", catch_exceptions=False)
    return r.exit_code, r.stdout, r.stderr


@pytest.fixture
def pred_files(tmp_path: Path) -> dict[str, Path]:
    rng = np.random.default_rng(0)
    ref = write_csv(tmp_path / "ref.csv", ["prediction"], rng.integers(0, 4, 4000))
    np.save(tmp_path / "same.npy", rng.integers(0, 4, 4000))
    shifted = write_csv(tmp_path / "shifted.csv", ["prediction"], rng.choice(4, 4000, p=[0.05, 0.15, 0.3, 0.5]))
    return {"ref": ref, "same": tmp_path / "same.npy", "shifted": shifted}


def test_cli_profile_with_modality_outputs_prints_an_outputs_profile(pred_files: dict[str, Path]) -> None:
    code, out, _ = drift("profile", pred_files["ref"], "--modality", "outputs", "--sample-size", "all")
    prof = json.loads(out)
    assert (code, prof["modality"], sum(prof["prediction_hist"])) == (0, "outputs", 4000)


def test_cli_compare_two_prediction_files_flags_a_shift(pred_files: dict[str, Path]) -> None:
    code, out, _ = drift("compare", pred_files["ref"], pred_files["shifted"], "--modality", "outputs")
    assert code == 2 and "Predicted classes" in out and "1,000 predictions (sampled from 4,000)" in out


def test_cli_compare_an_outputs_run_with_a_new_file_needs_no_flag(pred_files: dict[str, Path], tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    assert drift("profile", pred_files["ref"], "--modality", "outputs", "--db", db, "--run-name", "ref")[0] == 0
    code, out, _ = drift("compare", "ref", pred_files["same"], "--db", db)
    assert code == 0 and "OK" in out
    with ExperimentDB(db) as store:
        assert [r["modality"] for r in store.list_runs()] == ["outputs", "outputs"]
    listed = json.loads(drift("runs", "--db", db, "--modality", "outputs", "--json")[1])
    assert [r["name"] for r in listed] == ["same.npy", "ref"]
    assert "predicted classes: [" in drift("show", "ref", "--db", db)[1]


def test_cli_compare_predictions_with_a_stored_text_runs_outputs_part(pred_files: dict[str, Path], tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    data = tmp_path / "t.jsonl"
    data.write_text("".join(json.dumps({"input_ids": [1, 2], "prediction": int(p)}) + "\n" for p in rng.integers(0, 4, 3000)))
    db = tmp_path / "x.db"
    assert drift("profile", data, "--db", db, "--run-name", "text-ref")[0] == 0
    code, out, err = drift("compare", "text-ref", pred_files["shifted"], "--modality", "outputs", "--db", db, "--json")
    result = json.loads(out)["result"]
    assert (code, sorted(result["drift_scores"])) == (2, ["prediction_js", "prediction_kl"]), err


@pytest.mark.parametrize("kind", ["ids", "scores"])
def test_a_one_line_per_record_csv_read_by_pyarrow_equals_the_exact_reader(tmp_path, monkeypatch, kind):
    from drift_core.io import predictions

    path = write_csv(tmp_path / "p.csv", ["prediction"], IDS) if kind == "ids" else \
        write_csv(tmp_path / "p.csv", list("abcde"), SCORES)
    fast = profile_file(path, OUT, sample_size=None)
    sampled = profile_file(path, OUT, sample_size=50, seed=3)
    monkeypatch.setattr(predictions, "FAST_CSV_BYTES", 0)  # every file takes the exact reader
    assert profile_file(path, OUT, sample_size=None) == fast
    assert profile_file(path, OUT, sample_size=50, seed=3) == sampled


@pytest.mark.parametrize("bad", ["-1", "x", "nan", "1.5"], ids=["negative", "word", "nan", "float"])
def test_a_bad_class_id_in_a_one_line_per_record_csv_names_its_line(tmp_path, bad):
    path = tmp_path / "p.csv"
    path.write_text("prediction\n0\n1\n" + bad + "\n2\n")
    with pytest.raises(DataFileError, match=r"line 4"):
        profile_file(path, OUT, sample_size=None)
