"""The JSON Lines reader's fast paths (pyarrow blocks, memory-speed line counts, sampled lines
found by position) against its exact line-by-line reader, on real files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_io import assert_same_profile, token_items, write_jsonl

import drift_core.io.lines as lines
from drift_core.io import DataFileError, profile_file
from drift_core.profile import compute_dataset_profile
from drift_core.spec import TaskSpec

TEXT = TaskSpec("text")


def exact_profile(monkeypatch: pytest.MonkeyPatch, path: Path, **kw: Any) -> dict[str, Any]:
    """The profile the line-by-line reader makes (the pyarrow path switched off)."""
    with monkeypatch.context() as m:
        def no_fast_path(self: Any, chunk_size: int) -> Any:
            raise lines._Fallback
            yield  # pragma: no cover - makes this a generator like the method it replaces

        m.setattr(lines.LinesReader, "_arrow_chunks", no_fast_path)
        return profile_file(path, TEXT, **kw)


def test_pyarrow_blocks_give_the_line_by_line_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    items = [{**it, "prediction": i % 3} for i, it in enumerate(token_items(500))]
    path = write_jsonl(tmp_path / "b.jsonl", items)
    monkeypatch.setattr(lines, "_ARROW_BLOCK", 4096)  # many blocks
    fast = profile_file(path, TEXT, sample_size=None, chunk_size=64)
    assert_same_profile(fast, exact_profile(monkeypatch, path, sample_size=None, chunk_size=64))
    assert fast["prediction_hist"] == np.bincount(np.arange(500) % 3).tolist()


def test_pyarrow_blocks_read_a_text_field(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_jsonl(tmp_path / "b.jsonl", [{"text": f"word{i % 7} café's {i}"} for i in range(300)])
    fast = profile_file(path, TEXT, sample_size=None, chunk_size=50)
    assert_same_profile(fast, exact_profile(monkeypatch, path, sample_size=None, chunk_size=50))


def test_a_bad_line_after_many_good_blocks_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_jsonl(tmp_path / "b.jsonl", token_items(400))
    with path.open("a") as f:
        f.write('{"input_ids": [1, 2,}\n')
    monkeypatch.setattr(lines, "_ARROW_BLOCK", 2048)
    with pytest.raises(DataFileError, match=r"b.jsonl: line 401: invalid JSON \(Expecting value at column 21\)$"):
        profile_file(path, TEXT, sample_size=None, chunk_size=50)


@pytest.mark.parametrize(("bad", "reason"), [
    ("[3, -4]", "'input_ids' holds a negative token id -4"),
    ("[3, 4.5]", "'input_ids' holds a non-integer token id 4.5"),
    ("[3, null]", "'input_ids' holds a non-integer token id nan"),
    ("null", "'input_ids' must be a list of non-negative ints, found None"),
    ("[9007199254740994]", "'input_ids' holds token id 9007199254740994, above the largest supported id 9007199254740992"),
], ids=["negative", "float", "null-id", "null-field", "above-2**53"])
def test_bad_ids_are_named_by_line_as_line_by_line(tmp_path: Path, bad: str, reason: str) -> None:
    path = write_jsonl(tmp_path / "b.jsonl", token_items(30))
    with path.open("a") as f:
        f.write('{"input_ids": ' + bad + "}\n")
    with pytest.raises(DataFileError, match=rf"^{path}: line 31: {reason}$".replace("(", r"\(").replace("*", r"\*")):
        profile_file(path, TEXT, sample_size=None, chunk_size=10)


def test_invalid_utf8_in_a_text_field_is_named_by_line(tmp_path: Path) -> None:
    path = tmp_path / "b.jsonl"
    path.write_bytes(b'{"text": "a b"}\n' * 20 + b'{"text": "\xff"}\n')
    with pytest.raises(DataFileError, match=r"b.jsonl: line 21: not valid UTF-8$"):
        profile_file(path, TEXT, sample_size=None, chunk_size=5)


@pytest.mark.parametrize("sep", [b"\n", b"\r\n", b"\n\n", b"\n  \n"], ids=["lf", "crlf", "blank-lines", "space-lines"])
@pytest.mark.parametrize("final", [True, False], ids=["final-newline", "no-final-newline"])
def test_records_are_counted_and_sampled_as_in_memory(tmp_path: Path, sep: bytes, final: bool) -> None:
    items = token_items(300, seed=2)
    path = tmp_path / "b.jsonl"
    path.write_bytes(sep.join(json.dumps(it).encode() for it in items) + (sep if final else b""))
    for k in (1, 37, 299, None):
        got = profile_file(path, TEXT, sample_size=k, seed=5, chunk_size=40)
        want = compute_dataset_profile(items, TEXT, sample_size=k, seed=5)
        assert got["n_total"] == 300
        assert_same_profile({**got, "examples": None}, {**want, "n_total": 300, "examples": None})


def test_a_sample_decodes_only_its_lines(tmp_path: Path) -> None:
    # Every line not in the sample is broken JSON: the sample profiles all the same.
    n, k = 2000, 10
    keep = set(np.random.default_rng(0).choice(n, size=k, replace=False).tolist())
    path = tmp_path / "b.jsonl"
    path.write_text("".join('{"input_ids": [1, 2]}\n' if i in keep else "{not json\n" for i in range(n)))
    p = profile_file(path, TEXT, sample_size=k, seed=0)
    assert p["n_samples"] == k and p["n_total"] == n and p["token_counts"] == [k, k]


def test_lines_are_found_across_block_edges(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(lines, "_BLOCK", 7)  # lines straddle many blocks
    items = token_items(50, seed=3)
    path = write_jsonl(tmp_path / "b.jsonl", items)
    got = profile_file(path, TEXT, sample_size=20, seed=1)
    assert_same_profile({**got, "examples": None},
                        {**compute_dataset_profile(items, TEXT, sample_size=20, seed=1), "n_total": 50, "examples": None})
