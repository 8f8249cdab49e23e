import numpy as np
import pytest
from factories import TEXT, sequences

from drift_core import TaskSpec, compare_profiles, compute_dataset_profile, merge_profiles

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


def test_predictions_alone_make_an_outputs_profile():
    p = compute_dataset_profile(np.array([0, 1, 1, 2]), TaskSpec("outputs", num_classes=4), sample_size=None)
    assert p["modality"] == "outputs" and p["prediction_hist"] == [1, 2, 1, 0]
    assert "seq_length_hist" not in p


def test_scores_and_items_make_outputs_profiles_too():
    scores = np.array([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7]])
    assert compute_dataset_profile(scores, TaskSpec("outputs"))["prediction_hist"] == [1, 2]
    items = [{"prediction": 1}, {"prediction": 0}]
    assert compute_dataset_profile(items, TaskSpec("outputs"))["prediction_hist"] == [1, 1]


def test_an_outputs_profile_compares_with_another_and_with_a_text_profiles_outputs():
    rng = np.random.default_rng(0)
    ref = compute_dataset_profile(rng.choice(2, 500, p=[0.4, 0.6]), TaskSpec("outputs"), sample_size=None)
    new = compute_dataset_profile(rng.choice(2, 500, p=[0.8, 0.2]), TaskSpec("outputs"), sample_size=None)
    r = compare_profiles(ref, new)
    assert set(r["metrics"]) == {"prediction_js", "prediction_kl"} and r["status"] == "alert"
    text = compute_dataset_profile([{"input_ids": [1]}] * 500, TaskSpec("text"), sample_size=None,
                                   predictions=rng.choice(2, 500, p=[0.4, 0.6]))
    assert set(compare_profiles(text, new)["metrics"]) == {"prediction_js", "prediction_kl"}
    assert compare_profiles(text, ref)["status"] == "ok"


def test_outputs_profiles_merge():
    a = compute_dataset_profile([0, 1], TaskSpec("outputs"))
    b = compute_dataset_profile([2], TaskSpec("outputs"))
    assert merge_profiles(a, b)["prediction_hist"] == [1, 1, 1]


def test_an_outputs_profile_cannot_be_compared_with_a_profile_without_predictions():
    out = compute_dataset_profile([0, 1], TaskSpec("outputs"))
    text = compute_dataset_profile([{"input_ids": [1]}], TaskSpec("text"))
    with pytest.raises(ValueError, match="has none: profile its predictions too"):
        compare_profiles(text, out)


def test_items_without_predictions_are_a_clear_error_for_an_outputs_profile():
    with pytest.raises(ValueError, match="items carry no 'prediction'"):
        compute_dataset_profile([{"label": 1}], TaskSpec("outputs"))
