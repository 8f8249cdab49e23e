"""What moved most: the contributors a comparison lists, their words, and their way through the DB."""

from __future__ import annotations

import numpy as np
import pytest
from factories import TEXT, sequences, text_profile

from drift_core import TaskSpec, compare_profiles, compute_dataset_profile
from drift_core.contributors import bin_span, contributor_words, format_shares
from drift_core.store import ExperimentDB


def _predictions(shares: list[float], n: int = 1000, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    preds = rng.choice(len(shares), n, p=np.asarray(shares) / sum(shares))
    return compute_dataset_profile(np.zeros((n, 1), np.int64), TEXT, sample_size=None, predictions=preds)


def test_a_planted_class_shift_is_the_first_contributor_in_words():
    uniform = [0.1] * 10
    shifted = [0.25 if c == 3 else 0.75 / 9 for c in range(10)]
    r = compare_profiles(_predictions(uniform, seed=1), _predictions(shifted, seed=2))
    first = r["metrics"]["prediction_js"]["contributors"][0]
    assert first["label"] == "class 3"
    assert first["contribution"] > 0 and first["new_share"] > first["ref_share"]
    assert first["words"].startswith("class 3: ") and first["words"].endswith(" of predictions")


def test_a_length_shift_names_a_length_range_of_the_batch():
    r = compare_profiles(text_profile(1000, 120, seed=1), text_profile(1000, 200, seed=2))
    top = r["metrics"]["seq_length_js"]["contributors"]
    assert len(top) == 5
    assert all(c["words"].startswith("sequences of ") and c["words"].endswith(" of the batch") for c in top)


def test_a_token_shift_names_the_token_and_its_share_of_tokens():
    ref = compute_dataset_profile(sequences(300, 30, vocab=200, seed=1), TEXT, sample_size=None)
    new_items = [{"input_ids": s["input_ids"][:-5] + [7777] * 5} for s in sequences(300, 30, vocab=200, seed=2)]
    r = compare_profiles(ref, compute_dataset_profile(new_items, TEXT, sample_size=None))
    first = r["metrics"]["token_freq_js"]["contributors"][0]
    assert first["label"] == "token 7777" and first["ref_share"] == 0.0
    assert first["words"].startswith("token 7777: 0% -> ") and first["words"].endswith(" of tokens")


def test_top_contributors_sets_how_many_are_listed():
    a, b = text_profile(300, 120, seed=1), text_profile(300, 200, seed=2)
    assert len(compare_profiles(a, b, top_contributors=2)["metrics"]["seq_length_js"]["contributors"]) == 2
    assert compare_profiles(a, b, top_contributors=0)["metrics"]["seq_length_js"]["contributors"] == []


@pytest.mark.parametrize("bad", [-1, 2.5, True, "5"], ids=["negative", "float", "bool", "str"])
def test_a_bad_top_contributors_is_a_clear_error(bad):
    p = text_profile(50, 20, seed=1)
    with pytest.raises(ValueError, match="top_contributors must be a non-negative int or None"):
        compare_profiles(p, p, top_contributors=bad)


def test_contributors_round_trip_through_the_experiment_db(tmp_path):
    a, b = text_profile(200, 120, seed=1), text_profile(200, 160, seed=2)
    result = compare_profiles(a, b)
    with ExperimentDB(tmp_path / "runs.db") as db:
        ref = db.create_run("ref", TaskSpec("text"), profile=a)
        new = db.create_run("new", TaskSpec("text"), profile=b)
        db.record_comparison(ref, new, result)
        (stored,) = db.comparisons(reference_run_id=ref)
    for name, m in result["metrics"].items():
        assert stored["result"]["metrics"][name]["contributors"] == m["contributors"], name


@pytest.mark.parametrize(
    "label, unit, metric, expected",
    [
        ("length 20-40", "the batch", "", "sequences of 20-40 tokens: 9% -> 27% of the batch"),
        ("length 1", "the batch", "", "sequences of 1 token: 9% -> 27% of the batch"),
        ("length 0", "the batch", "", "empty sequences: 9% -> 27% of the batch"),
        ("length 1024+", "the batch", "", "sequences of 1024+ tokens: 9% -> 27% of the batch"),
        ("class 3", "predictions", "", "class 3: 9% -> 27% of predictions"),
        ("values 0.600-0.700", "images", "Red channel mean", "red channel mean 0.600-0.700: 9% -> 27% of images"),
        ("'café'", "tokens", "", "'café': 9% -> 27% of tokens"),
        ("other tokens", "tokens", "", "other tokens: 9% -> 27% of tokens"),
    ],
    ids=["length_range", "one_token", "empty", "open_ended", "class", "channel_values", "word", "other"],
)
def test_contributor_words(label, unit, metric, expected):
    assert contributor_words(label, 0.09, 0.27, unit, metric) == expected


@pytest.mark.parametrize(
    "a, b, expected",
    [(0.09, 0.27, "9% -> 27%"), (0.004, 0.021, "0.4% -> 2.1%"), (0.0, 0.5, "0% -> 50%"),
     (0.1004, 0.1006, "10.0% -> 10.1%"), (0.00012, 0.0004, "0.01% -> 0.04%")],
    ids=["whole_percents", "one_decimal", "empty_bin", "close_shares_get_digits", "tiny"],
)
def test_format_shares(a, b, expected):
    assert format_shares(a, b) == expected


@pytest.mark.parametrize(
    "label, span",
    [("length 5-9", (5.0, 9.0)), ("length 7", (7.0, 7.0)), ("length 2048+", (2048.0, None)),
     ("values 0.250-0.300", (0.25, 0.3)), ("class 2", None), ("token 9", None), ("values x-y", None)],
    ids=["range", "one_length", "open_ended", "values", "class", "token", "not_numbers"],
)
def test_bin_span(label, span):
    assert bin_span(label) == span
