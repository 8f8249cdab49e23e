"""The fast text paths give the statistics of the plain ones: int32 ids without widening, Arrow
chunks read one by one, chunked per-token sums, pyarrow-coded words."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pytest

import drift_core.text as text
from drift_core import TaskSpec, compute_dataset_profile

TEXT = TaskSpec("text")
INT_KEYS = ("token_values", "token_counts", "token_sq_counts", "token_cross_counts", "seq_length_hist", "n_tokens")
FLOAT_KEYS = ("token_share_sums", "token_share_sumsqs", "token_share_cross")


def column(n: int = 400, seed: int = 0) -> Any:
    rng = np.random.default_rng(seed)
    lengths = rng.integers(0, 60, n)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    tokens = np.minimum(rng.zipf(1.3, int(lengths.sum())), 3000).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(tokens))


def assert_same_stats(a: dict[str, Any], b: dict[str, Any]) -> None:
    for k in INT_KEYS:
        assert a[k] == b[k], k
    for k in FLOAT_KEYS:
        np.testing.assert_allclose(a[k], b[k], rtol=1e-12, err_msg=k)


def test_per_token_sums_match_a_direct_count() -> None:
    # The definitions, item by item with plain Python, against the sorted-runs implementation.
    col = column(60)
    seqs = col.to_pylist()
    stats = text.token_stats(col.values.to_numpy(), np.diff(col.offsets.to_numpy()).astype(np.int64))
    v = len(stats[0])
    want = [np.zeros(v) for _ in range(6)]
    for s in seqs:
        w = min(len(s), 32) / 32
        for t in set(s):
            c = s.count(t)
            for row, x in zip(want, (c, c * c, c * len(s), w * c / len(s), (w * c / len(s)) ** 2, w * w * c / len(s)),
                              strict=True):
                row[t] += x
    for got, exp in zip(stats, want, strict=True):
        np.testing.assert_allclose(got, exp, rtol=1e-12)


def test_chunked_arrow_column_equals_the_combined_one() -> None:
    col = column()
    chunked = pa.chunked_array([col.slice(0, 150), col.slice(150, 1), col.slice(151)])
    assert_same_stats(compute_dataset_profile(pa.table({"input_ids": chunked}), TEXT, sample_size=None),
                      compute_dataset_profile(col, TEXT, sample_size=None))


def test_int32_ids_equal_python_lists() -> None:
    col = column(seed=1)
    assert_same_stats(compute_dataset_profile(col, TEXT, sample_size=None),
                      compute_dataset_profile([{"input_ids": s} for s in col.to_pylist()], TEXT, sample_size=None))


def test_small_token_chunks_give_the_same_sums(monkeypatch: pytest.MonkeyPatch) -> None:
    col = column(seed=2)
    whole = compute_dataset_profile(col, TEXT, sample_size=None)
    monkeypatch.setattr(text, "_CHUNK_TOKENS", 50)
    assert_same_stats(compute_dataset_profile(col, TEXT, sample_size=None), whole)


def test_a_negative_id_in_a_later_arrow_chunk_names_its_item() -> None:
    good = pa.array([[1, 2], [3]], type=pa.list_(pa.int32()))
    bad = pa.array([[4], [5, -6]], type=pa.list_(pa.int32()))
    with pytest.raises(ValueError, match=r"item 3: 'input_ids' holds a negative token id -6"):
        compute_dataset_profile(pa.table({"input_ids": pa.chunked_array([good, bad])}), TEXT, sample_size=None)


def test_words_keep_the_rest_exactly_zero_when_nothing_is_dropped() -> None:
    p = compute_dataset_profile([{"text": "the cat sat on the mat"}, {"text": "a dog"}], TEXT, sample_size=None)
    assert p["token_values"][0] == "the" and p["token_counts"][0] == 2
    assert (p["token_other_count"], p["token_other_share_sum"], p["token_other_share_sumsq"]) == (0, 0.0, 0.0)
