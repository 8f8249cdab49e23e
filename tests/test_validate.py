"""The core's item-level errors are structured: item, field, reason, and the old message."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from drift_core import InputError, TaskSpec, compute_dataset_profile
from drift_core._validate import check_predictions


def test_a_bad_token_raises_an_input_error_with_item_field_and_reason() -> None:
    with pytest.raises(InputError) as info:
        compute_dataset_profile([{"input_ids": [1]}, {"input_ids": [2, -3]}], TaskSpec("text"))
    e = info.value
    assert (e.item, e.field, e.reason) == (1, "input_ids", "holds a negative token id -3")
    assert str(e) == "item 1: 'input_ids' holds a negative token id -3"


def test_a_wrong_type_is_an_input_error_and_a_type_error() -> None:
    with pytest.raises(TypeError) as info:
        compute_dataset_profile([{"text": "a"}, {"text": 7}], TaskSpec("text"))
    assert isinstance(info.value, InputError) and (info.value.item, info.value.field) == (1, "text")


def test_a_bad_image_names_its_item() -> None:
    images = np.random.default_rng(0).random((4, 3, 2, 2))
    images[2, 0, 0, 0] = np.nan
    with pytest.raises(InputError) as info:
        compute_dataset_profile(images, TaskSpec("vision"))
    assert (info.value.item, info.value.field, info.value.reason) == (2, "pixel_values", "contains NaN or inf")


def test_input_error_survives_pickling() -> None:
    e = pickle.loads(pickle.dumps(InputError(3, None, "prediction -1 is negative")))
    assert (e.item, e.field, str(e)) == (3, None, "item 3: prediction -1 is negative")


@pytest.mark.parametrize(
    ("pred", "message"),
    [([0, 2.5], "item 11: prediction 2.5 is not a class id"), ([[0.1, np.nan]], "item 10: prediction scores contain NaN"),
     ([0, 5], r"item 11: prediction 5 >= num_classes \(3\)")],
    ids=["fraction", "nan-score", "too-large"],
)
def test_one_prediction_check_names_the_item(pred: list, message: str) -> None:
    with pytest.raises(InputError, match=message):
        check_predictions(pred, np.array([10, 11]), num_classes=3 if np.ndim(pred) == 1 else None)
