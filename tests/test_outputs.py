import numpy as np
import pytest
from factories import TEXT, sequences

from drift_core import TaskSpec, compare_profiles, compute_dataset_profile

ITEMS = sequences(6, 5)


def profile(predictions, spec=TEXT, items=ITEMS):
    return compute_dataset_profile(items, spec, sample_size=None, predictions=predictions)


def test_class_ids_are_counted_per_class():
    p = profile([0, 2, 2, 1, 2, 0])
    assert p["prediction_hist"] == [2, 1, 3]
    assert p["num_classes"] == 3


def test_scores_are_reduced_by_argmax():
    scores = np.eye(4)[[3, 3, 0, 1, 1, 1]] * 0.9 + 0.025
    assert profile(scores)["prediction_hist"] == [1, 3, 0, 2]


def test_num_classes_from_the_spec_sets_the_histogram_length():
    p = profile([0, 0, 1, 1, 1, 1], TaskSpec("text", num_classes=5))
    assert p["prediction_hist"] == [2, 4, 0, 0, 0]


def test_items_may_carry_their_prediction():
    items = [{"input_ids": [1], "prediction": c} for c in (1, 1, 0)]
    assert compute_dataset_profile(items, TEXT)["prediction_hist"] == [1, 2]


def test_predictions_follow_the_sample():
    items = [{"input_ids": [i % 7] * (1 + i % 5)} for i in range(500)]
    preds = np.array([len(it["input_ids"]) for it in items])  # class == length
    p = compute_dataset_profile(items, TEXT, sample_size=100, seed=1, predictions=preds)
    assert p["prediction_hist"][1:] == p["seq_length_hist"][1:6]


def test_compare_pads_the_shorter_histogram():
    a = profile([0, 1, 0, 1, 0, 1])
    b = profile([0, 1, 2, 0, 1, 2])
    r = compare_profiles(a, b)
    assert r["drift_scores"]["prediction_js"] > 0
    assert "class 2" in r["metrics"]["prediction_js"]["summary"]


@pytest.mark.parametrize(
    "preds, spec, match",
    [
        ([0, 1, 2], TEXT, "predictions have length 3 but the dataset has 6 items"),
        (np.ones((6, 3)), TaskSpec("text", num_classes=4), "scores have 3 columns but TaskSpec.num_classes is 4"),
        ([0, 1, -1, 0, 0, 0], TEXT, "item 2: prediction -1 is negative"),
        ([0, 1, 0.5, 0, 0, 0], TEXT, "item 2: prediction 0.5 is not a class id"),
        ([0, 1, 9, 0, 0, 0], TaskSpec("text", num_classes=3), r"item 2: prediction 9 >= num_classes \(3\)"),
        (np.array([[0.1, np.nan]] * 6), TEXT, "item 0: prediction scores contain NaN"),
    ],
    ids=["wrong-length", "wrong-k", "negative", "non-integer", "too-large", "nan-scores"],
)
def test_bad_predictions_are_named(preds, spec, match):
    with pytest.raises(ValueError, match=match):
        profile(preds, spec)
