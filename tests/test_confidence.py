"""Model confidence: prediction scores (N, K) keep the top-class probability, the normalised entropy
and the per-class mean probability; confidence_js, entropy_js and class_prob_distance compare them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from drift_core import (
    DataFileError,
    InputError,
    TaskSpec,
    compare_profiles,
    compute_dataset_profile,
    merge_profiles,
    profile_file,
    validate_profile,
)
from drift_core.cli import cli
from drift_core.histograms import UNIT_FINE_BINS
from drift_core.metrics import expected_metrics
from drift_core.outputs import as_probabilities, softmax

OUTPUTS = TaskSpec("outputs")
LOGITS = TaskSpec("outputs", scores="logits")
CONFIDENCE = ["confidence_js", "entropy_js", "class_prob_distance"]


def tempered(n: int, temperature: float = 1.0, k: int = 10, seed: int = 0) -> np.ndarray:
    """Probabilities of a confident model (softmax of logits with a margin on one class), tempered:
    a temperature > 1 lowers the confidence and keeps every predicted class."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, k))
    z[np.arange(n), rng.integers(0, k, n)] += 5.0
    return softmax(z / temperature)


def scored(scores: Any, spec: TaskSpec = OUTPUTS) -> dict[str, Any]:
    return compute_dataset_profile(scores, spec, sample_size=None)


# ----------------------------------------------------------------------------- profiling
def test_scores_keep_the_top_class_probability_entropy_and_class_probability_sums():
    p = scored(np.array([[0.5, 0.5], [1.0, 0.0], [0.2, 0.8]]))
    assert p["confidence_sum"] == pytest.approx(0.5 + 1.0 + 0.8)
    h = 0.2 * np.log(0.2) + 0.8 * np.log(0.8)
    assert p["entropy_sum"] == pytest.approx(1.0 + 0.0 - h / np.log(2))
    assert p["class_prob_sums"] == pytest.approx([1.7, 1.3])
    assert p["class_prob_sumsqs"] == pytest.approx([0.25 + 1 + 0.04, 0.25 + 0 + 0.64])
    assert p["prediction_hist"] == [2, 1]  # argmax, ties to the first class


def test_confidence_histograms_count_items_on_the_fixed_unit_bins():
    p = scored(np.array([[0.5, 0.5], [1.0, 0.0], [0.2, 0.8]]))
    conf, ent = np.asarray(p["confidence_hist"]), np.asarray(p["entropy_hist"])
    assert len(conf) == len(ent) == UNIT_FINE_BINS
    assert np.flatnonzero(conf).tolist() == [250, 400, 499]  # 0.5, 0.8, 1.0 (the last bin is closed)
    assert ent[0] == 1 and ent[-1] == 1 and ent.sum() == 3


def test_scored_profile_is_strict_json_and_valid():
    p = scored(tempered(50))
    assert json.loads(json.dumps(p, allow_nan=False)) == p
    validate_profile(p)


def test_logits_flag_applies_softmax():
    z = np.random.default_rng(3).normal(0, 4, (40, 5))
    from_logits, from_probabilities = scored(z, LOGITS), scored(softmax(z))
    for key in ("confidence_hist", "entropy_hist", "prediction_hist"):
        assert from_logits[key] == from_probabilities[key]
    for key in ("confidence_sum", "entropy_sum", "class_prob_sums", "class_prob_sumsqs"):
        assert from_logits[key] == pytest.approx(from_probabilities[key], rel=1e-12)


def test_softmax_is_stable_for_huge_logits():
    p = softmax(np.array([[1e4, 0.0, -1e4], [-1e6, -1e6, -1e6]]))
    assert np.isfinite(p).all()
    np.testing.assert_allclose(p, [[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]])


def test_probabilities_within_the_tolerance_are_renormalised():
    p = as_probabilities(np.array([[0.333, 0.333, 0.333]]), np.arange(1))
    np.testing.assert_allclose(p.sum(axis=1), 1.0)


@pytest.mark.parametrize(
    "row, words",
    [([0.7, 0.7], "sums to 1.4"), ([1.5, -0.5], "has a negative score -0.5"), ([2.0, 1.0], "sums to 3")],
    ids=["sum-above-one", "negative", "logit-like"],
)
def test_rows_that_are_not_probabilities_are_an_error_naming_the_item(row, words):
    scores = np.array([[0.3, 0.7]] * 5 + [row] + [[0.3, 0.7]] * 2)
    with pytest.raises(InputError, match=rf"item 5: prediction scores are not probabilities \(row {words}.*--logits"):
        scored(scores)


def test_the_error_names_the_item_of_the_dataset_not_of_the_sample():
    scores = np.tile([0.5, 0.5], (300, 1))
    scores[170] = [3.0, -1.0]
    with pytest.raises(InputError) as e:
        compute_dataset_profile(scores, OUTPUTS, sample_size=299, seed=1)
    assert e.value.item == 170


def test_a_nan_row_is_an_error_naming_the_item():
    scores = np.full((6, 3), 1 / 3)
    scores[4, 1] = np.inf
    with pytest.raises(InputError, match="item 4: prediction scores contain NaN or inf"):
        scored(scores, LOGITS)


def test_one_class_scores_have_confidence_one_and_entropy_zero():
    p = scored(np.ones((4, 1)))
    assert (p["confidence_sum"], p["entropy_sum"]) == (4.0, 0.0)


def test_class_ids_keep_no_confidence_fields():
    p = scored(np.array([0, 1, 1, 2]))
    assert "confidence_hist" not in p and p["prediction_hist"] == [1, 2, 1]


def test_items_carrying_score_lists_are_profiled():
    items = [{"input_ids": [1, 2, 3], "prediction": [0.9, 0.1]}, {"input_ids": [4], "prediction": [0.4, 0.6]}]
    p = compute_dataset_profile(items, TaskSpec("text"), sample_size=None)
    assert p["confidence_sum"] == pytest.approx(1.5)


def test_predictions_argument_with_a_vision_dataset_keeps_confidence():
    images = np.random.default_rng(0).random((8, 3, 4, 4))
    p = compute_dataset_profile(images, TaskSpec("vision"), sample_size=None, predictions=tempered(8))
    assert sum(p["confidence_hist"]) == 8 and p["num_classes"] == 10


def test_scores_without_num_classes_get_one_bin_per_column():
    assert scored(np.array([[0.9, 0.1, 0.0, 0.0]]))["prediction_hist"] == [1, 0, 0, 0]


def test_taskspec_refuses_an_unknown_score_kind():
    with pytest.raises(ValueError, match="TaskSpec.scores must be one of"):
        TaskSpec("outputs", scores="margins")  # type: ignore[arg-type]


def test_taskspec_round_trips_the_score_kind():
    assert TaskSpec.from_dict(LOGITS.to_dict()) == LOGITS


# ----------------------------------------------------------------------------- merging and the schema
def test_merge_equals_profiling_the_concatenation():
    a, b = tempered(30, seed=1), tempered(50, 1.5, seed=2)
    merged, whole = merge_profiles(scored(a), scored(b)), scored(np.concatenate([a, b]))
    for key in ("confidence_hist", "entropy_hist", "prediction_hist"):
        assert merged[key] == whole[key]
    for key in ("confidence_sum", "entropy_sum", "class_prob_sums", "class_prob_sumsqs"):
        assert merged[key] == pytest.approx(whole[key])


def test_merging_scores_with_class_ids_is_an_error():
    with pytest.raises(ValueError, match="cannot merge a profile of prediction scores with one of class ids"):
        merge_profiles(scored(tempered(5)), scored(np.array([0, 1])))


def test_validate_refuses_incomplete_confidence_fields():
    p = scored(tempered(5))
    del p["entropy_sum"]
    with pytest.raises(ValueError, match=r"confidence fields are incomplete: missing \['entropy_sum'\]"):
        validate_profile(p)


def test_validate_refuses_a_confidence_histogram_that_does_not_count_every_item():
    p = scored(tempered(5))
    p["confidence_hist"][0] += 1
    with pytest.raises(ValueError, match="'confidence_hist' must sum to n_samples"):
        validate_profile(p)


def test_validate_refuses_class_probability_sums_of_the_wrong_length():
    p = scored(tempered(5))
    p["class_prob_sums"] = p["class_prob_sums"][:3]
    with pytest.raises(ValueError, match="'class_prob_sums' must be a list of 10 finite numbers"):
        validate_profile(p)


# ----------------------------------------------------------------------------- comparing
def test_confidence_metrics_are_computed_only_when_both_sides_have_scores():
    ids, probs = scored(np.array([0, 1] * 20)), scored(tempered(40, k=2))
    assert not set(CONFIDENCE) & set(expected_metrics(ids, probs))
    assert set(CONFIDENCE) <= set(expected_metrics(probs, probs))
    r = compare_profiles(ids, probs)
    assert "prediction_js" in r["metrics"] and not set(CONFIDENCE) & set(r["metrics"])


def test_a_profile_written_before_confidence_is_compared_on_the_metrics_it_has():
    new = scored(tempered(200))
    old = {k: v for k, v in new.items() if k not in ("confidence_hist", "entropy_hist", "confidence_sum",
                                                      "entropy_sum", "class_prob_sums", "class_prob_sumsqs")}
    old["task"] = {k: v for k, v in old["task"].items() if k != "scores"}
    r = compare_profiles(old, new)
    assert set(r["metrics"]) == {"prediction_js", "prediction_kl"} and r["status"] == "ok"


def test_a_confidence_drop_with_the_same_classes_alerts_and_says_it_in_words():
    ref, new = scored(tempered(1000, seed=1)), scored(tempered(1000, 2.0, seed=2))
    r = compare_profiles(ref, new)
    conf = r["metrics"]["confidence_js"]
    assert conf["status"] == "alert" and r["metrics"]["entropy_js"]["status"] == "alert"
    mean_ref, mean_new = ref["confidence_sum"] / 1000, new["confidence_sum"] / 1000
    assert conf["summary"] == f"mean top-class probability {mean_ref:.2f} -> {mean_new:.2f}"
    assert r["metrics"]["prediction_js"]["status"] == "ok"


def test_unchanged_scores_stay_ok():
    r = compare_profiles(scored(tempered(500, seed=1)), scored(tempered(500, seed=2)))
    assert all(r["metrics"][m]["status"] in (None, "ok") for m in CONFIDENCE)


def test_class_prob_distance_is_informational_and_names_the_class_that_moved():
    a = np.tile([0.7, 0.2, 0.1], (300, 1))
    b = np.tile([0.4, 0.45, 0.15], (300, 1))
    m = compare_profiles(scored(a), scored(b))["metrics"]["class_prob_distance"]
    assert m["status"] is None and m["score"] == pytest.approx(0.3)
    assert m["summary"] == "class 0 mean probability 0.70 -> 0.40 (total variation 0.30)"
    assert m["p_value"] < 1e-6


def test_different_class_counts_are_compared_padded():
    a, b = scored(np.tile([0.5, 0.5], (50, 1))), scored(np.tile([0.5, 0.3, 0.2], (50, 1)))
    assert compare_profiles(a, b)["metrics"]["class_prob_distance"]["score"] == pytest.approx(0.2)


# ----------------------------------------------------------------------------- files and the CLI
def test_an_npy_of_scores_is_profiled_with_confidence(tmp_path: Path):
    np.save(tmp_path / "data.npy", np.random.default_rng(0).random((20, 3, 4, 4)))
    np.save(tmp_path / "preds.npy", tempered(20))
    p = profile_file(tmp_path / "data.npy", TaskSpec("vision"), predictions_path=tmp_path / "preds.npy")
    assert sum(p["confidence_hist"]) == 20


def test_a_csv_of_logits_names_its_line_unless_flagged(tmp_path: Path):
    (tmp_path / "data.txt").write_text("a b\nc d\ne f\n")
    (tmp_path / "preds.csv").write_text("cat,dog\n0.2,0.8\n0.5,0.5\n2.5,-1.0\n")
    with pytest.raises(DataFileError, match=r"preds.csv.*line 4.*not probabilities"):
        profile_file(tmp_path / "data.txt", TaskSpec("text"), predictions_path=tmp_path / "preds.csv")
    p = profile_file(tmp_path / "data.txt", TaskSpec("text", scores="logits"), predictions_path=tmp_path / "preds.csv")
    assert p["n_samples"] == 3 and sum(p["entropy_hist"]) == 3


def test_cli_logits_flag_profiles_logits(tmp_path: Path):
    np.save(tmp_path / "data.npy", np.random.default_rng(0).random((10, 3, 4, 4)))
    np.save(tmp_path / "logits.npy", np.random.default_rng(1).normal(0, 3, (10, 4)))
    args = ["profile", str(tmp_path / "data.npy"), "--predictions", str(tmp_path / "logits.npy")]
    bad = CliRunner().invoke(cli, args)
    assert bad.exit_code == 3 and "--logits" in bad.output
    good = CliRunner().invoke(cli, [*args, "--logits"])
    assert good.exit_code == 0, good.output
    assert sum(json.loads(good.output)["confidence_hist"]) == 10


def test_cli_compare_shows_the_confidence_rows(tmp_path: Path):
    rng = np.random.default_rng(0)
    for name, t in (("ref", 1.0), ("new", 2.0)):
        np.save(tmp_path / f"{name}.npy", rng.random((400, 3, 4, 4)))
        np.save(tmp_path / f"{name}_p.npy", np.log(tempered(400, t, seed=int(t))))  # log-probabilities are logits
    r = CliRunner().invoke(cli, ["compare", str(tmp_path / "ref.npy"), str(tmp_path / "new.npy"), "--logits",
                                 "--ref-predictions", str(tmp_path / "ref_p.npy"),
                                 "--new-predictions", str(tmp_path / "new_p.npy"), "--sample-size", "all"])
    assert r.exit_code == 2, r.output
    assert "Model confidence" in r.output and "mean top-class probability" in r.output
