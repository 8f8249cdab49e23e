"""Readers on real files written by the tests: every format, and a malformed one of each kind."""

from __future__ import annotations

import json
import math
import runpy
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from drift_core.io import (
    DataFileError,
    InMemoryFile,
    guess_modality,
    profile_file,
    read_dataset,
    read_predictions,
)
from drift_core.profile import compute_dataset_profile
from drift_core.spec import TaskSpec

TEXT = TaskSpec("text")
VISION = TaskSpec("vision")


def assert_same_profile(a: Any, b: Any, path: str = "profile") -> None:
    """Equal, except that sums of floats may differ in the last digits (merged chunk by chunk)."""
    if isinstance(a, float) or isinstance(b, float):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), f"{path}: {a} != {b}"
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            assert_same_profile(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same_profile(x, y, f"{path}[{i}]")
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def token_items(n: int = 60, seed: int = 0) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    return [{"input_ids": rng.integers(0, 40, size=int(rng.integers(1, 15))).tolist()} for _ in range(n)]


def write_jsonl(path: Path, records: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


# -- text -----------------------------------------------------------------------------------------


def test_guess_modality_from_the_file_kind(tmp_path: Path) -> None:
    assert [guess_modality(p) for p in ("a.jsonl", "a.parquet", "a.npy", "a.zip", tmp_path, "p.json")] == [
        "text", "text", "vision", "vision", "vision", None
    ]


def test_jsonl_profile_equals_the_in_memory_profile(tmp_path: Path) -> None:
    items = token_items()
    path = write_jsonl(tmp_path / "batch.jsonl", items)
    assert_same_profile(profile_file(path, TEXT, sample_size=None), compute_dataset_profile(items, TEXT, sample_size=None))


def test_sample_is_uniform_over_the_whole_file_not_its_first_records(tmp_path: Path) -> None:
    items = token_items(200)
    path = write_jsonl(tmp_path / "batch.jsonl", items)
    got = profile_file(path, TEXT, sample_size=50, seed=3, chunk_size=7)
    assert_same_profile(got, compute_dataset_profile(items, TEXT, sample_size=50, seed=3))
    assert (got["n_samples"], got["n_total"], got["sample_size"]) == (50, 200, 50)


def test_chunked_profile_equals_the_one_chunk_profile(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "batch.jsonl", token_items(100))
    assert_same_profile(
        profile_file(path, TEXT, sample_size=None, chunk_size=9), profile_file(path, TEXT, sample_size=None)
    )


def test_progress_reports_every_chunk_up_to_the_total(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "batch.jsonl", token_items(25))
    calls: list[tuple[int, int]] = []
    profile_file(path, TEXT, sample_size=None, chunk_size=10, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(10, 25), (20, 25), (25, 25)]


def test_jsonl_text_field_and_embedded_predictions(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "b.jsonl", [{"text": "a b c", "prediction": 1}, {"text": "d", "prediction": 0}])
    p = profile_file(path, TEXT)
    assert (p["token_kind"], p["seq_length_mean"], p["prediction_hist"]) == ("words", 2.0, [1, 1])


def test_jsonl_single_string_field_is_detected(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "b.jsonl", [{"id": 1, "review": "good"}, {"id": 2, "review": "very bad"}])
    assert profile_file(path, TEXT)["seq_length_mean"] == 1.5


def test_column_overrides_the_detected_field(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "b.jsonl", [{"text": "a", "body": "x y z"}])
    assert profile_file(path, TEXT, column="body")["seq_length_mean"] == 3.0


def test_jsonl_blank_lines_are_skipped_and_errors_name_the_physical_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"input_ids": [1]}\n\n{"input_ids": [2, 3]\n')
    with pytest.raises(DataFileError, match=r"bad.jsonl: line 3: invalid JSON"):
        profile_file(path, TEXT)


def test_jsonl_nan_token_is_a_clear_error(tmp_path: Path) -> None:
    # token values are checked once, by the core; its item-level error is mapped to the line by attribute
    path = tmp_path / "nan.jsonl"
    path.write_text('{"input_ids": [1, 2]}\n{"input_ids": [1, NaN]}\n')
    with pytest.raises(DataFileError, match=r"nan.jsonl: line 2: 'input_ids' holds a non-integer token id nan$") as info:
        profile_file(path, TEXT)
    assert (info.value.path, info.value.line, info.value.reason) == (str(path), 2, "'input_ids' holds a non-integer token id nan")


def test_jsonl_without_a_text_field_asks_for_a_column(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "b.jsonl", [{"a": 1, "b": 2}])
    with pytest.raises(DataFileError, match=r"line 1: no 'input_ids' or 'text' field .*--column"):
        profile_file(path, TEXT)


def test_json_array_of_records(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text(json.dumps({"data": [{"text": "a b"}, {"text": "c"}, {"text": 7}]}))
    with pytest.raises(DataFileError, match=r"b.json: record 3: 'text' must be a string, got int"):
        profile_file(path, TEXT)


def test_csv_text_column_with_embedded_predictions(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_text('text,prediction\n"hello, world",2\nbye,0\n')
    p = profile_file(path, TEXT)
    assert (p["seq_length_mean"], p["prediction_hist"]) == (1.5, [1, 0, 1])


def test_csv_token_ids_in_either_notation(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_text('input_ids\n"[1, 2, 3]"\n4 5\n')
    p = profile_file(path, TEXT)
    assert (p["token_values"], p["seq_length_mean"]) == ([1, 2, 3, 4, 5], 2.5)


def test_csv_row_with_extra_fields_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("text,label\na,1\nb,2,3\n")
    with pytest.raises(DataFileError, match=r"bad.csv: line 3: expected 2 fields \(as in the header\), got 3"):
        profile_file(path, TEXT, column="text")


def test_tsv_is_read_with_tabs(tmp_path: Path) -> None:
    path = tmp_path / "b.tsv"
    path.write_text("text\tsource\na b, c\tweb\n")
    assert profile_file(path, TEXT, column="text")["seq_length_mean"] == 3.0


def test_parquet_list_of_ints_column(tmp_path: Path) -> None:
    items = token_items(30)
    path = tmp_path / "b.parquet"
    pq.write_table(pa.table({"input_ids": [i["input_ids"] for i in items], "prediction": list(range(3)) * 10}), path)
    got = profile_file(path, TEXT, sample_size=None, chunk_size=8)
    want = compute_dataset_profile(items, TEXT, sample_size=None, predictions=list(range(3)) * 10)
    assert_same_profile(got, want)


def test_parquet_string_column_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "b.parquet"
    pq.write_table(pa.table({"n": [1, 2], "body": ["a b", "c"]}), path)
    assert profile_file(path, TEXT)["seq_length_mean"] == 1.5


def test_parquet_null_value_names_its_row(tmp_path: Path) -> None:
    path = tmp_path / "nulls.parquet"
    pq.write_table(pa.table({"text": ["a", None, "b"]}), path)
    with pytest.raises(DataFileError, match=r"nulls.parquet: row 2: column 'text' is null"):
        profile_file(path, TEXT)


def test_corrupt_parquet_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(DataFileError, match=r"broken.parquet: not a readable Parquet file"):
        profile_file(path, TEXT)


def test_txt_one_document_per_non_blank_line(tmp_path: Path) -> None:
    path = tmp_path / "b.txt"
    path.write_text("the cat\n\nsat on the mat\n")
    p = profile_file(path, TEXT)
    assert (p["n_samples"], p["seq_length_mean"]) == (2, 3.0)


def test_txt_invalid_utf8_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("ok\ncaf\xe9\n".encode("latin-1"))
    with pytest.raises(DataFileError, match=r"latin1.txt: line 2: not valid UTF-8"):
        profile_file(path, TEXT)


def test_empty_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("\n")
    with pytest.raises(DataFileError, match=r"empty.jsonl: no records"):
        profile_file(path, TEXT)


def test_unsupported_kind_of_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "b.xlsx"
    path.write_bytes(b"x")
    with pytest.raises(DataFileError, match=r"b.xlsx: cannot read a .xlsx file as text data"):
        profile_file(path, TEXT)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match=r"nope.jsonl: no such file"):
        profile_file(tmp_path / "nope.jsonl", TEXT)


# -- vision ---------------------------------------------------------------------------------------


def images(n: int = 20, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, 3, 6, 5), dtype=np.uint8)


def test_npy_images_equal_the_in_memory_profile(tmp_path: Path) -> None:
    arr = images(40)
    np.save(tmp_path / "b.npy", arr)
    got = profile_file(tmp_path / "b.npy", VISION, sample_size=15, seed=2, chunk_size=6)
    assert_same_profile(got, compute_dataset_profile(arr, VISION, sample_size=15, seed=2))


def test_npy_channels_last_floats(tmp_path: Path) -> None:
    arr = np.random.default_rng(0).random((10, 6, 5, 3))
    np.save(tmp_path / "b.npy", arr)
    assert profile_file(tmp_path / "b.npy", VISION)["n_channels"] == 3


def test_pickled_npy_is_refused_not_unpickled(tmp_path: Path) -> None:
    path = tmp_path / "evil.npy"
    np.save(path, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    with pytest.raises(DataFileError, match=r"evil.npy: holds Python objects \(a pickle\); Driftboard never unpickles"):
        profile_file(path, VISION)


def test_npy_nan_names_the_image(tmp_path: Path) -> None:
    arr = np.random.default_rng(0).random((8, 3, 4, 4))
    arr[5, 1, 2, 2] = np.nan
    np.save(tmp_path / "nan.npy", arr)
    with pytest.raises(DataFileError, match=r"nan.npy: image at index 5: contains NaN or inf"):
        profile_file(tmp_path / "nan.npy", VISION, chunk_size=3)


def test_npy_of_the_wrong_shape_is_refused(tmp_path: Path) -> None:
    np.save(tmp_path / "flat.npy", np.zeros((4, 10)))
    with pytest.raises(DataFileError, match=r"flat.npy: expected images .* got shape \(4, 10\)"):
        profile_file(tmp_path / "flat.npy", VISION)


def test_npz_streams_images_and_uses_its_predictions(tmp_path: Path) -> None:
    arr = images(30)
    pred = np.arange(30) % 4
    np.savez_compressed(tmp_path / "b.npz", images=arr, predictions=pred)
    got = profile_file(tmp_path / "b.npz", VISION, sample_size=None, chunk_size=7)
    assert_same_profile(got, compute_dataset_profile(arr, VISION, sample_size=None, predictions=pred))


def test_npz_with_a_pickled_member_is_refused(tmp_path: Path) -> None:
    np.savez(tmp_path / "evil.npz", images=np.array([object()], dtype=object))
    with pytest.raises(DataFileError, match=r"evil.npz: array 'images' holds Python objects"):
        profile_file(tmp_path / "evil.npz", VISION)


def write_pngs(folder: Path, arr: np.ndarray) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, img in enumerate(arr):
        p = folder / f"img_{i:03d}.png"
        Image.fromarray(np.moveaxis(img, 0, -1)).save(p)
        paths.append(p)
    return paths


def test_folder_of_pngs_equals_the_array_profile(tmp_path: Path) -> None:
    arr = images(12)
    write_pngs(tmp_path / "imgs" / "sub", arr)
    assert_same_profile(profile_file(tmp_path / "imgs", VISION), compute_dataset_profile(arr, VISION))


def test_zip_of_pngs_skips_other_files(tmp_path: Path) -> None:
    arr = images(5)
    paths = write_pngs(tmp_path / "imgs", arr)
    with zipfile.ZipFile(tmp_path / "b.zip", "w") as z:
        for p in paths:
            z.write(p, f"batch/{p.name}")
        z.writestr("batch/README.txt", "not an image")
        z.writestr("__MACOSX/batch/._img_000.png", "resource fork")
    assert_same_profile(profile_file(tmp_path / "b.zip", VISION), compute_dataset_profile(arr, VISION))


def test_jpeg_and_grayscale_images_of_different_sizes(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    Image.fromarray(np.full((8, 8), 200, np.uint8)).save(folder / "a.jpg")
    Image.fromarray(np.full((5, 7), 100, np.uint8)).save(folder / "b.png")
    p = profile_file(folder, VISION)
    assert (p["n_samples"], p["n_channels"]) == (2, 1)


def test_corrupt_image_names_the_image(tmp_path: Path) -> None:
    folder = tmp_path / "imgs"
    write_pngs(folder, images(3))
    (folder / "img_001.png").write_bytes(b"\x89PNG truncated")
    with pytest.raises(DataFileError, match=r"imgs: image 'img_001.png': cannot be decoded"):
        profile_file(folder, VISION)


def test_folder_without_images_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(DataFileError, match=r"holds no png/jpg/jpeg images"):
        profile_file(tmp_path, VISION)


# -- predictions ----------------------------------------------------------------------------------


def test_predictions_csv_class_column(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("id,prediction\n1,2\n2,0\n")
    assert read_predictions(path).tolist() == [2, 0]


def test_predictions_csv_one_score_column_per_class(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("cat,dog\n0.9,0.1\n0.2,0.8\n")
    assert read_predictions(path).shape == (2, 2)


def test_predictions_csv_nan_score_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("cat,dog\n0.9,0.1\n0.2,nan\n")
    with pytest.raises(DataFileError, match=r"p.csv: line 3: column 'dog' is nan"):
        read_predictions(path)


def test_predictions_csv_bad_class_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("prediction\n1\ncat\n")
    with pytest.raises(DataFileError, match=r"p.csv: line 3: column 'prediction' must be a class id"):
        read_predictions(path)


def test_predictions_npy_scores_give_the_argmax_histogram(tmp_path: Path) -> None:
    arr = images(4)
    np.save(tmp_path / "b.npy", arr)
    np.save(tmp_path / "p.npy", np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [0.4, 0.6]]))
    assert profile_file(tmp_path / "b.npy", VISION, predictions_path=tmp_path / "p.npy")["prediction_hist"] == [1, 3]


def test_predictions_of_the_wrong_length_name_both_files(tmp_path: Path) -> None:
    np.save(tmp_path / "b.npy", images(4))
    np.save(tmp_path / "p.npy", np.array([0, 1, 1]))
    with pytest.raises(DataFileError, match=r"p.npy: has 3 predictions but .*b.npy has 4 records"):
        profile_file(tmp_path / "b.npy", VISION, predictions_path=tmp_path / "p.npy")


def test_read_dataset_returns_items_and_embedded_predictions(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "b.jsonl", [{"input_ids": [1, 2], "prediction": 1}, {"input_ids": [3], "prediction": 0}])
    data, preds = read_dataset(path, "text")
    assert data == [{"input_ids": [1, 2]}, {"input_ids": [3]}]
    assert preds is not None and preds.tolist() == [1, 0]


def test_read_dataset_returns_an_image_array(tmp_path: Path) -> None:
    arr = images(6)
    np.save(tmp_path / "b.npy", arr)
    data, preds = read_dataset(tmp_path / "b.npy", "vision")
    assert np.array_equal(data, arr) and preds is None


def test_shipped_sample_files_are_what_make_samples_writes(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parent.parent
    runpy.run_path(str(repo / "data" / "make_samples.py"))["main"](tmp_path)  # the script's main, in this process
    written = sorted(p.name for p in tmp_path.iterdir())
    shipped = repo / "drift_core" / "demo_data"
    assert written == sorted(p.name for p in shipped.iterdir() if p.is_file())
    # the raw-text samples come from pydoc_data.topics, which changes between Python versions
    same_python = sys.version_info[:2] == (3, 11)
    compared = [n for n in written if same_python or not n.startswith("words_")]
    assert all((tmp_path / n).read_bytes() == (shipped / n).read_bytes() for n in compared)


# -- structured errors and in-memory files ---------------------------------------------------------


def test_a_core_item_error_is_mapped_to_the_files_own_column_and_row(tmp_path: Path) -> None:
    path = tmp_path / "b.parquet"
    pq.write_table(pa.table({"tok": [[1, 2], [3], [4, -5]]}), path)
    with pytest.raises(DataFileError) as info:
        profile_file(path, TEXT, column="tok")
    e = info.value
    assert (e.record, e.unit, e.reason) == (3, "row", "'tok' holds a negative token id -5")
    assert str(e) == f"{path}: row 3: 'tok' holds a negative token id -5"


def test_a_bad_class_id_in_a_predictions_file_names_its_line(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "b.jsonl", [{"text": "good"}, {"text": "bad"}])
    (tmp_path / "p.csv").write_text("prediction\n1\n\n-2\n")
    with pytest.raises(DataFileError) as info:
        profile_file(path, TEXT, predictions_path=tmp_path / "p.csv")
    assert (info.value.path, info.value.line, info.value.reason) == (str(tmp_path / "p.csv"), 4, "prediction -2 is negative")


def test_data_file_error_carries_its_place_as_attributes(tmp_path: Path) -> None:
    folder = tmp_path / "imgs"
    write_pngs(folder, images(2))
    (folder / "img_001.png").write_bytes(b"not a png")
    with pytest.raises(DataFileError) as info:
        profile_file(folder, VISION)
    e = info.value
    assert (e.path, e.member, e.line, e.record, e.where) == (str(folder), "img_001.png", None, None, "image 'img_001.png'")
    assert str(e) == f"{folder}: image 'img_001.png': {e.reason}"


@pytest.mark.parametrize("name", ["b.jsonl", "b.csv", "b.parquet", "b.npy", "b.npz"], ids=lambda n: n.split(".")[1])
def test_an_in_memory_file_profiles_like_the_file_on_disk(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    spec = TEXT if name.endswith(("jsonl", "csv", "parquet")) else VISION
    items = token_items(30)
    if name.endswith("jsonl"):
        write_jsonl(path, items)
    elif name.endswith("csv"):
        path.write_text("input_ids\n" + "".join(f'"{i["input_ids"]}"\n' for i in items))
    elif name.endswith("parquet"):
        pq.write_table(pa.table({"input_ids": [i["input_ids"] for i in items]}), path)
    elif name.endswith("npy"):
        np.save(path, images(9))
    else:
        np.savez_compressed(path, images=images(9), predictions=np.arange(9) % 3)
    memory = InMemoryFile(name, path.read_bytes())
    assert_same_profile(profile_file(memory, spec, sample_size=7), profile_file(path, spec, sample_size=7))


def test_an_in_memory_file_error_names_the_upload_not_a_temp_file() -> None:
    with pytest.raises(DataFileError, match=r"^upload.jsonl: line 2: invalid JSON") as info:
        profile_file(InMemoryFile("upload.jsonl", b'{"text": "a"}\n{"text": \n'), TEXT)
    assert info.value.line == 2
