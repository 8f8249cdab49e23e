import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from factories import TEXT, sequences

from drift_core import TaskSpec, compute_dataset_profile, words


def profile(items, **kw):
    return compute_dataset_profile(items, TEXT, sample_size=None, **kw)


def test_lengths_mean_std_and_histogram_count_items():
    p = profile([{"input_ids": [1] * k} for k in (2, 4, 6)])
    assert p["seq_length_mean"] == pytest.approx(4.0)
    assert p["seq_length_std"] == pytest.approx(np.std([2, 4, 6]))
    assert sum(p["seq_length_hist"]) == 3
    assert len(p["seq_length_hist"]) == len(p["seq_length_edges"])


def test_lengths_beyond_the_last_edge_land_in_the_overflow_bin():
    p = profile([{"input_ids": [0] * 2_000_000}])
    assert p["seq_length_hist"][-1] == 1


def test_top_tokens_are_most_frequent_first_ties_by_token():
    p = profile([{"input_ids": [5, 5, 3, 3, 9, 1, 1, 1]}])
    assert p["top_tokens"] == [1, 3, 5, 9]
    assert p["top_token_counts"] == [3, 2, 2, 1]


def test_top_tokens_hold_at_most_100():
    p = profile([{"input_ids": list(range(500))}])
    assert len(p["top_tokens"]) == 100


def test_token_ids_and_counts_are_parallel_lists_of_every_id():
    p = profile([{"input_ids": [7, 2, 7]}, {"input_ids": [2, 100]}])
    assert p["token_values"] == [2, 7, 100]
    assert p["token_counts"] == [2, 2, 1]
    assert p["n_tokens"] == 5


def test_text_items_use_the_word_tokenizer():
    p = profile([{"text": "The cat, the HAT."}, {"text": "it's the end"}])
    assert p["token_kind"] == "words"
    assert p["top_tokens"][0] == "the"
    assert "it's" in p["token_values"]
    assert p["seq_length_sum"] == 7


def test_tokenizer_is_unicode_aware_and_keeps_inner_apostrophes():
    assert words("Ça VA? l'été — 2024!") == ["ça", "va", "l'été", "2024"]
    assert words("'quoted' under_score") == ["quoted", "under", "score"]


def test_empty_sequences_are_valid_data():
    p = profile([{"input_ids": []}, {"input_ids": [1]}])
    assert p["seq_length_hist"][0] == 1
    assert p["n_samples"] == 2


def test_profile_is_strict_json_for_one_item():
    p = profile([{"input_ids": [3]}])
    assert json.loads(json.dumps(p, allow_nan=False)) == p


@pytest.mark.parametrize("container", ["list", "arrow_table", "arrow_array", "dataframe", "numpy_2d", "generator"])
def test_every_container_gives_the_same_profile(container):
    seqs = [[1, 2, 3], [3, 4, 5], [5, 6, 7], [1, 1, 1]]
    expected = profile([{"input_ids": s} for s in seqs])
    data = {
        "list": [{"input_ids": s} for s in seqs],
        "arrow_table": pa.table({"input_ids": pa.array(seqs, type=pa.list_(pa.int32()))}),
        "arrow_array": pa.array(seqs, type=pa.list_(pa.int64())),
        "dataframe": pd.DataFrame({"input_ids": seqs}),
        "numpy_2d": np.array(seqs),
        "generator": ({"input_ids": s} for s in seqs),
    }[container]
    got = profile(data)
    for key in ("seq_length_hist", "token_values", "token_counts", "top_tokens", "token_sq_counts", "token_cross_counts", "n_samples"):
        assert got[key] == expected[key], key


def test_arrow_sliced_chunked_column_is_read_with_its_offsets():
    arr = pa.chunked_array([pa.array([[9, 9], [1, 2, 3]]), pa.array([[4]])])
    p = profile(pa.table({"input_ids": arr}).slice(1))
    assert p["token_values"] == [1, 2, 3, 4]


def test_sample_is_uniform_not_the_first_n_and_seeded():
    items = sequences(2000, 50, seed=1)
    items.sort(key=lambda it: len(it["input_ids"]))
    full = profile(items)
    a = compute_dataset_profile(items, TEXT, sample_size=300, seed=3)
    b = compute_dataset_profile(items, TEXT, sample_size=300, seed=3)
    assert a == b
    assert a["n_samples"] == 300 and a["n_total"] == 2000
    assert abs(a["seq_length_mean"] - full["seq_length_mean"]) < 3 * full["seq_length_std"] / np.sqrt(300)


def test_n_samples_is_the_dataset_size_when_smaller_than_sample_size():
    p = compute_dataset_profile(sequences(40, 10), TEXT, sample_size=1000)
    assert p["n_samples"] == 40


def test_words_profile_keeps_a_bounded_count_with_other(monkeypatch):
    import drift_core.text as text

    monkeypatch.setattr(text, "MAX_KEPT_WORDS", 3)
    p = profile([{"text": "a a a b b c d e"}])
    assert p["token_values"] == ["a", "b", "c"]
    assert p["token_other_count"] == 2


@pytest.mark.parametrize(
    "items, error, match",
    [
        ([], ValueError, "empty"),
        ([{"input_ids": [1]}, {"tokens": [1]}], ValueError, "item 1: missing key 'input_ids'"),
        ([{"input_ids": [1]}, {"input_ids": [2, -3]}], ValueError, "item 1: .*negative token id -3"),
        ([{"input_ids": [1, 2.5]}], ValueError, "item 0: .*non-integer token id 2.5"),
        ([{"input_ids": [1]}, {"input_ids": ["a"]}], TypeError, "item 1: .*non-integer token 'a'"),
        ([{"input_ids": [1]}, {"text": "hi"}], ValueError, "item 1: dataset mixes"),
        ([{"text": "ok"}, {"text": 3}], TypeError, "item 1: 'text' must be a str"),
        ([{"input_ids": [1]}, 7], TypeError, "item 1: expected a mapping"),
        ([{"input_ids": [1, float("nan")]}], ValueError, "item 0: .*non-integer"),
    ],
    ids=["empty", "missing-key", "negative-id", "float-id", "string-id", "mixed-kinds", "non-str-text", "not-a-mapping", "nan-id"],
)
def test_bad_text_input_names_the_item_and_problem(items, error, match):
    with pytest.raises(error, match=match):
        profile(items)


def test_arrow_negative_id_names_the_item():
    with pytest.raises(ValueError, match="item 2: .*negative"):
        profile(pa.array([[1], [2], [3, -1]]))


def test_sample_size_must_be_positive():
    with pytest.raises(ValueError, match="sample_size"):
        compute_dataset_profile([{"input_ids": [1]}], TEXT, sample_size=0)


def test_custom_keys_come_from_the_task_spec():
    p = compute_dataset_profile([{"ids": [4, 4]}], TaskSpec("text", input_ids_key="ids"))
    assert p["token_values"] == [4]


class _ArrowBackedDataset:
    """Duck-typed stand-in for ``datasets.Dataset`` (not a dependency): arrow rows, select, with_format."""

    __module__ = "datasets.arrow_dataset"

    def __init__(self, table):
        self.table = table
        self.fmt = None

    def __len__(self):
        return self.table.num_rows

    def select(self, indices):
        return _ArrowBackedDataset(self.table.take(pa.array(indices)))

    def with_format(self, fmt):
        out = _ArrowBackedDataset(self.table)
        out.fmt = fmt
        return out

    def __getitem__(self, key):
        assert self.fmt == "arrow" and key == slice(None)
        return self.table


def test_hugging_face_style_datasets_are_read_through_arrow():
    table = pa.table({"input_ids": [[1, 2], [3], [4, 4, 4]], "label": [0, 1, 0]})
    full = profile(_ArrowBackedDataset(table))
    assert full["token_values"] == [1, 2, 3, 4] and full["n_total"] == 3
    sampled = compute_dataset_profile(_ArrowBackedDataset(table), TEXT, sample_size=2, seed=0)
    assert sampled["n_samples"] == 2 and sampled["n_total"] == 3


@pytest.mark.parametrize("k", [1, 3, 100, 250], ids=["top-1", "top-3", "top-100", "more-than-columns"])
def test_top_masks_mark_each_rows_k_largest_positive_draws_lower_column_first_on_ties(k):
    from drift_core.text import _top_masks

    rng = np.random.default_rng(k)
    # fractional (overdispersed) counts with many ties, and some empty columns
    draws = rng.poisson(2.0, (300, 200)) * rng.choice([1.0, 1.5, 2.0], 200)
    mask = _top_masks(draws, k)
    for row, got in zip(draws, mask, strict=True):
        key = row + (200 - np.arange(200)) / 201.0  # the tie-break: the lower column is the more frequent
        order = np.argsort(-key, kind="stable")
        want = np.zeros(200, bool)
        want[order[:k]] = True
        if len(np.unique(key)) == 200:  # no tied keys: the top k is unique
            assert (got == (want & (row > 0))).all()
        assert got.sum() == (want & (row > 0)).sum()


def test_top_masks_mark_exactly_k_when_keys_tie_at_the_kth():
    from drift_core.text import _top_masks

    # keys of columns 0 and 2 tie: 1.0 + 3/4 == 1.5 + 1/4; one of them is the top 1
    draws = np.array([[1.0, 0.0, 1.5], [2.0, 0.0, 1.0]])
    mask = _top_masks(draws, 1)
    assert mask[0].sum() == 1 and not mask[0, 1]
    assert mask[1].tolist() == [True, False, False]
