"""Hostile and broken files: every problem is a DataFileError naming the file, the place and the value,
checked before anything big is allocated (limits in ``drift_core.limits``), never a library exception."""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from drift_core import limits
from drift_core._validate import InputError, check_predictions
from drift_core.io import DataFileError, InMemoryFile, profile_file, read_predictions
from drift_core.profile import compute_dataset_profile
from drift_core.schema import validate_profile
from drift_core.spec import TaskSpec

TEXT = TaskSpec("text")
VISION = TaskSpec("vision")


def _err(path: Any, spec: TaskSpec = TEXT, **kw: Any) -> DataFileError:
    with pytest.raises(DataFileError) as info:
        profile_file(path, spec, **kw)
    return info.value


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


def _png(size: tuple[int, int] = (4, 4)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (10, 20, 30)).save(buf, format="PNG")
    return buf.getvalue()


# -- limits before allocation ------------------------------------------------------------------------


def test_huge_class_id_in_jsonl_is_a_clear_error_not_a_huge_bincount(tmp_path: Path) -> None:
    f = tmp_path / "b.jsonl"
    f.write_text('{"text": "a b", "prediction": 1}\n{"text": "c", "prediction": 1000000000}\n')
    e = _err(f)
    assert e.line == 2 and "prediction 1000000000" in e.reason and "100000" in e.reason


def test_class_id_at_or_above_two_to_the_63_is_named_not_wrapped() -> None:
    with pytest.raises(InputError, match="prediction 9223372036854775808 is above the limit"):
        check_predictions(np.array([1, 2**63], dtype=np.uint64), np.arange(2))
    with pytest.raises(InputError, match="is above the limit"):
        check_predictions([1.0, 1e300], np.arange(2))


def test_num_classes_above_the_limit_is_refused_by_the_task_spec() -> None:
    with pytest.raises(ValueError, match="num_classes 1000000000000 is above the limit of 100000"):
        TaskSpec("text", num_classes=10**12)


def test_the_limit_can_be_raised() -> None:
    with limits.override(max_classes=2_000_000):
        assert TaskSpec("text", num_classes=1_000_000).num_classes == 1_000_000
    with pytest.raises(ValueError):
        TaskSpec("text", num_classes=1_000_000)


def test_score_columns_above_the_class_limit_are_refused() -> None:
    with limits.override(max_classes=3), pytest.raises(ValueError, match="4 columns, more than the limit of 3"):
        check_predictions(np.ones((2, 4)), np.arange(2))


def test_profile_with_too_many_classes_is_refused() -> None:
    p = compute_dataset_profile([{"text": "a"}], TEXT, predictions=[4])
    with limits.override(max_classes=3), pytest.raises(ValueError, match="'num_classes' is 5, above the limit"):
        validate_profile(p)


def test_deeply_nested_jsonl_is_a_clear_error(tmp_path: Path) -> None:
    f = tmp_path / "b.jsonl"
    f.write_text('{"text": "a"}\n' + "[" * 200_000 + "\n")
    e = _err(f)
    assert e.line == 2 and "nested too deeply" in e.reason


def test_deeply_nested_json_is_a_clear_error(tmp_path: Path) -> None:
    f = tmp_path / "b.json"
    f.write_text("[" * 200_000)
    assert "nested too deeply" in _err(f).reason


def test_npy_declaring_a_huge_shape_is_refused_before_allocating() -> None:
    raw = _npy(np.zeros((2, 3, 4, 4), dtype=np.uint8)).replace(b"(2, 3, 4, 4)", b"(2000000000, 3, 4, 4)")
    e = _err(InMemoryFile("x.npy", raw), VISION)
    assert "cut short" in e.reason and "(2000000000, 3, 4, 4)" in e.reason


def test_npy_on_disk_declaring_a_huge_shape_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "p.npy"
    f.write_bytes(_npy(np.arange(3)).replace(b"(3,)", b"(999999999999,)"))
    with pytest.raises(DataFileError, match="cut short"):
        read_predictions(f)


def test_npy_with_a_negative_shape_is_refused() -> None:
    raw = _npy(np.zeros((2, 3, 4, 4), dtype=np.uint8)).replace(b"(2, 3, 4, 4)", b"(-2, 3, 4, 4)")
    assert "shape (-2, 3, 4, 4)" in _err(InMemoryFile("x.npy", raw), VISION).reason


def test_npy_with_a_cut_short_header_is_refused() -> None:
    raw = _npy(np.zeros((2, 3, 4, 4), dtype=np.uint8))[:30]
    assert "bad header" in _err(InMemoryFile("x.npy", raw), VISION).reason


def test_npy_that_is_a_zip_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "x.npy"
    np.savez(f.with_suffix(".npz"), x=np.zeros((2, 3, 4, 4)))
    f.write_bytes(f.with_suffix(".npz").read_bytes())
    assert "zip archive" in _err(f, VISION).reason


def test_npz_member_declaring_more_data_than_it_holds_is_refused_before_allocating(tmp_path: Path) -> None:
    f = tmp_path / "x.npz"
    member = _npy(np.zeros((2, 3, 4, 4), dtype=np.uint8)).replace(b"(2, 3, 4, 4)", b"(9000000000000, 3, 4, 4)")
    with zipfile.ZipFile(f, "w") as z:
        z.writestr("x.npy", member)
    e = _err(f, VISION)
    assert "array 'x'" in e.reason and "cut short" in e.reason


def test_npz_predictions_declaring_a_huge_shape_are_refused(tmp_path: Path) -> None:
    f = tmp_path / "x.npz"
    with zipfile.ZipFile(f, "w") as z:
        z.writestr("x.npy", _npy(np.zeros((2, 3, 4, 4), dtype=np.uint8)))
        z.writestr("predictions.npy", _npy(np.arange(2)).replace(b"(2,)", b"(99999999999,)"))
    assert "array 'predictions'" in _err(f, VISION).reason


def test_archive_member_above_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    f = tmp_path / "imgs.zip"
    with zipfile.ZipFile(f, "w") as z:
        z.writestr("a.png", _png())
    with limits.override(max_member_bytes=10):
        e = _err(f, VISION)
    assert e.member == "a.png" and "above the limit of 10 per member" in e.reason


def test_archive_above_the_total_size_limit_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "imgs.zip"
    with zipfile.ZipFile(f, "w") as z:
        z.writestr("a.png", _png())
        z.writestr("b.png", _png())
    with limits.override(max_archive_bytes=len(_png()) + 1):
        assert "per archive" in _err(f, VISION).reason


def test_archive_with_too_many_members_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "imgs.zip"
    with zipfile.ZipFile(f, "w") as z:
        for i in range(5):
            z.writestr(f"{i}.png", _png())
    with limits.override(max_archive_members=4):
        assert "holds 5 members, above the limit of 4" in _err(f, VISION).reason


def test_image_with_too_many_pixels_is_refused_before_decoding(tmp_path: Path) -> None:
    d = tmp_path / "imgs"
    d.mkdir()
    (d / "big.png").write_bytes(_png((150, 100)))
    with limits.override(max_image_pixels=10_000):
        e = _err(d, VISION)
    assert e.member == "big.png" and "150 x 100 pixels, above the limit of 10,000" in e.reason


def test_pillow_decompression_bomb_error_is_a_data_file_error(tmp_path: Path) -> None:
    d = tmp_path / "imgs"
    d.mkdir()
    (d / "bomb.png").write_bytes(_png((300, 100)))
    with limits.override(max_image_pixels=10_000):
        e = _err(d, VISION)
    assert e.member == "bomb.png" and "too large to decode safely" in e.reason


# -- library exceptions never escape -------------------------------------------------------------------


def _zip_with(tmp_path: Path, name: str, mutate: Any) -> Path:
    f = tmp_path / name
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.png", _png())
        z.writestr("b.png", _png())
    raw = bytearray(f.read_bytes())
    mutate(raw)
    f.write_bytes(bytes(raw))
    return f


def test_zip_member_with_a_bad_crc_is_a_data_file_error(tmp_path: Path) -> None:
    def flip_crc(raw: bytearray) -> None:
        at = raw.index(b"PK\x01\x02") + 16  # the central directory's CRC of a.png
        raw[at] ^= 0xFF
    e = _err(_zip_with(tmp_path, "imgs.zip", flip_crc), VISION)
    assert e.member == "a.png" and "CRC" in e.reason


def test_encrypted_zip_member_is_a_data_file_error(tmp_path: Path) -> None:
    def encrypt_flag(raw: bytearray) -> None:
        for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            at = raw.index(sig) + off
            raw[at] |= 1
    e = _err(_zip_with(tmp_path, "imgs.zip", encrypt_flag), VISION)
    assert e.member == "a.png" and "encrypted" in e.reason


def test_zip_member_with_an_unknown_compression_is_a_data_file_error(tmp_path: Path) -> None:
    def method_99(raw: bytearray) -> None:
        for sig, off in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
            at = raw.index(sig) + off
            raw[at:at + 2] = struct.pack("<H", 99)
    e = _err(_zip_with(tmp_path, "imgs.zip", method_99), VISION)
    assert "a.png" in str(e)


def test_npz_member_with_a_bad_crc_is_a_data_file_error(tmp_path: Path) -> None:
    f = tmp_path / "x.npz"
    np.savez_compressed(f, x=np.random.default_rng(0).integers(0, 255, (4, 3, 8, 8), dtype=np.uint8))
    raw = bytearray(f.read_bytes())
    at = raw.index(b"PK\x01\x02") + 16
    raw[at] ^= 0xFF
    f.write_bytes(bytes(raw))
    assert "array 'x'" in _err(f, VISION).reason


def test_fortran_order_npz_reads_like_its_c_order_copy(tmp_path: Path) -> None:
    arr = np.random.default_rng(0).integers(0, 255, (5, 3, 4, 6), dtype=np.uint8)
    np.savez(tmp_path / "f.npz", x=np.asfortranarray(arr), predictions=np.asfortranarray(np.arange(5) % 2))
    np.savez(tmp_path / "c.npz", x=arr, predictions=np.arange(5) % 2)
    f = profile_file(tmp_path / "f.npz", VISION, chunk_size=2)
    c = profile_file(tmp_path / "c.npz", VISION, chunk_size=2)
    assert f == c


def test_fortran_order_npy_reads_like_its_c_order_copy() -> None:
    arr = np.random.default_rng(0).integers(0, 255, (5, 3, 4, 6), dtype=np.uint8)
    f = profile_file(InMemoryFile("f.npy", _npy(np.asfortranarray(arr))), VISION)
    assert f == profile_file(InMemoryFile("c.npy", _npy(arr)), VISION)


def test_corrupt_parquet_page_is_a_data_file_error(tmp_path: Path) -> None:
    f = tmp_path / "b.parquet"
    pq.write_table(pa.table({"text": [f"word{i} other{i}" for i in range(2000)]}), f, compression="snappy")
    raw = bytearray(f.read_bytes())
    for i in range(100, 600):
        raw[i] ^= 0x5A
    f.write_bytes(bytes(raw))
    e = _err(f, sample_size=None)
    assert "Parquet" in e.reason


def test_uint64_token_ids_at_or_above_two_to_the_63_in_parquet_are_a_clear_error(tmp_path: Path) -> None:
    f = tmp_path / "b.parquet"
    ids = pa.array([[1, 2], [3, 2**63 + 5]], type=pa.list_(pa.uint64()))
    pq.write_table(pa.table({"input_ids": ids}), f)
    e = _err(f)
    assert e.record == 2 and e.unit == "row" and str(2**63 + 5) in e.reason


def test_uint64_token_ids_below_two_to_the_63_in_parquet_are_read(tmp_path: Path) -> None:
    f = tmp_path / "b.parquet"
    pq.write_table(pa.table({"input_ids": pa.array([[1, 2], [3, 7]], type=pa.list_(pa.uint64()))}), f)
    assert profile_file(f, TEXT)["n_samples"] == 2


@pytest.mark.parametrize("value", ["1e400", "-1e400", str(2**63), str(2**70)], ids=["inf", "neg-inf", "2**63", "2**70"])
def test_overflowing_numbers_in_jsonl_are_clear_errors(tmp_path: Path, value: str) -> None:
    f = tmp_path / "b.jsonl"
    f.write_text('{"input_ids": [1, 2]}\n{"input_ids": [3, ' + value + "]}\n")
    e = _err(f)
    assert e.line == 2


@pytest.mark.parametrize("value", ["1e400", str(2**63), str(2**70)], ids=["inf", "2**63", "2**70"])
def test_overflowing_predictions_in_jsonl_are_clear_errors(tmp_path: Path, value: str) -> None:
    f = tmp_path / "b.jsonl"
    f.write_text('{"text": "a", "prediction": 1}\n{"text": "b", "prediction": ' + value + "}\n")
    e = _err(f)
    assert e.line == 2 and "prediction" in e.reason


def test_overflowing_token_id_in_csv_is_a_clear_error(tmp_path: Path) -> None:
    f = tmp_path / "b.csv"
    f.write_text(f"input_ids\n1 2\n3 {2**70}\n")
    assert _err(f).line == 3


def test_overflowing_prediction_in_csv_is_a_clear_error(tmp_path: Path) -> None:
    f = tmp_path / "p.csv"
    f.write_text(f"prediction\n1\n{2**70}\n")
    with pytest.raises(DataFileError) as info:
        read_predictions(f)
    assert info.value.line == 3


@pytest.mark.parametrize("size", [(0, 4), (4, 0)], ids=["zero-width", "zero-height"])
def test_empty_image_is_a_clear_error_never_a_nan_profile(tmp_path: Path, size: tuple[int, int]) -> None:
    d = tmp_path / "imgs"
    d.mkdir()
    (d / "a.png").write_bytes(_png())
    # Pillow will not save a 0-pixel PNG: write the IHDR by hand.
    png = bytearray(_png())
    png[16:24] = struct.pack(">II", *size)
    png[29:33] = struct.pack(">I", zlib.crc32(bytes(png[12:29])))
    (d / "b.png").write_bytes(bytes(png))
    e = _err(d, VISION)
    assert e.member == "b.png"


def test_empty_image_array_is_a_clear_error() -> None:
    e = _err(InMemoryFile("x.npy", _npy(np.zeros((2, 3, 0, 4), dtype=np.uint8))), VISION)
    assert "0" in e.reason


@pytest.mark.parametrize("bad", [float("nan"), float("inf")], ids=["nan", "inf"])
def test_validate_profile_rejects_non_finite_numbers_anywhere(bad: float) -> None:
    p = compute_dataset_profile(np.random.default_rng(0).random((3, 3, 4, 4)), VISION)
    q = json.loads(json.dumps(p))
    q["brightness_mean"] = bad
    with pytest.raises(ValueError, match="'brightness_mean' holds"):
        validate_profile(q)
    q = json.loads(json.dumps(p))
    q["channel_mean_hist"][1][3] = bad
    with pytest.raises(ValueError, match="'channel_mean_hist' holds"):
        validate_profile(q)


def test_a_huge_token_id_is_profiled_without_allocating_per_id(tmp_path: Path) -> None:
    f = tmp_path / "b.jsonl"
    f.write_text('{"input_ids": [1, 2, 2]}\n{"input_ids": [5, 1000000000000]}\n')
    p = profile_file(f, TEXT)
    q = compute_dataset_profile([{"input_ids": [1, 2, 2]}, {"input_ids": [5, 10**12]}], TEXT)
    assert p["token_values"] == q["token_values"] == [1, 2, 5, 10**12]
    assert p["token_counts"] == [1, 2, 1, 1] and p["token_sq_counts"] == [1, 4, 1, 1]


def test_sparse_and_dense_ids_give_the_same_statistics() -> None:
    items = [{"input_ids": [3, 3, 7, 9]}, {"input_ids": [7, 1]}, {"input_ids": [9, 9, 9]}]
    shifted = [{"input_ids": [t + 2**40 for t in it["input_ids"]]} for it in items]
    a, b = compute_dataset_profile(items, TEXT), compute_dataset_profile(shifted, TEXT)
    for key in ("token_counts", "token_sq_counts", "token_cross_counts", "token_share_sums", "token_share_sumsqs", "token_share_cross"):
        assert a[key] == b[key], key
    assert b["token_values"] == [t + 2**40 for t in a["token_values"]]


def test_npy_with_a_boolean_in_its_shape_is_refused() -> None:
    raw = _npy(np.zeros((2, 3, 4, 4), dtype=np.uint8)).replace(b"(2, 3, 4, 4)", b"(True, 3, 4, 4)")
    assert "shape (True, 3, 4, 4)" in _err(InMemoryFile("x.npy", raw), VISION).reason


def test_png_declaring_ten_billion_pixels_is_refused_before_decoding(tmp_path: Path) -> None:
    png = bytearray(_png())
    png[16:24] = struct.pack(">II", 100_000, 100_000)
    png[29:33] = struct.pack(">I", zlib.crc32(bytes(png[12:29])))
    with zipfile.ZipFile(tmp_path / "imgs.zip", "w") as z:
        z.writestr("huge.png", bytes(png))
    e = _err(tmp_path / "imgs.zip", VISION)
    assert e.member == "huge.png" and "too large to decode safely" in e.reason
