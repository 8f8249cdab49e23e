"""compare_profiles: the original spec's scenarios, thresholds and their edges, mismatches."""

import json

import numpy as np
import pytest
from factories import TEXT, sequences, text_profile, vision_profile, words_profile

from drift_core import METRICS, SCHEMA_VERSION, TaskSpec, compare_profiles, compute_dataset_profile
from drift_core.status import classify


@pytest.fixture(scope="module")
def text_ref():
    return text_profile(1000, 120, seed=1)


def test_scenario1_length_shift_120_to_200_alerts(text_ref):
    r = compare_profiles(text_ref, text_profile(1000, 200, seed=2))
    assert r["drift_scores"]["seq_length_js"] > 0.2
    assert r["metric_status"]["seq_length_js"] == "alert"
    assert r["status"] == "alert"
    assert r["metrics"]["seq_length_js"]["summary"].startswith("mean sequence length 1")
    assert "-> 200 tokens (+6" in r["metrics"]["seq_length_js"]["summary"]


def test_scenario2_channel_means_shift_flags_red_and_green_not_blue():
    r = compare_profiles(vision_profile(500, (0.5, 0.5, 0.5), seed=1), vision_profile(500, (0.6, 0.4, 0.5), seed=2))
    assert r["metric_status"]["channel_0_mean_js"] == "alert"
    assert r["metric_status"]["channel_1_mean_js"] == "alert"
    assert r["metric_status"]["channel_2_mean_js"] == "ok"
    assert r["metrics"]["channel_0_mean_js"]["summary"] == "red channel mean 0.50 -> 0.60"


def test_scenario3_predictions_40_60_vs_80_20_alert():
    items = sequences(1000, 20)
    a = compute_dataset_profile(items, TEXT, sample_size=None, predictions=[0] * 400 + [1] * 600)
    b = compute_dataset_profile(items, TEXT, sample_size=None, predictions=[0] * 800 + [1] * 200)
    r = compare_profiles(a, b)
    assert r["drift_scores"]["prediction_kl"] > 0.5
    assert r["metric_status"]["prediction_js"] == "alert"
    assert r["status"] == "alert"
    assert r["metrics"]["prediction_js"]["summary"] == "class 0 share 40% -> 80%"


@pytest.mark.parametrize("modality", ["text", "vision"])
def test_scenario4_identical_profiles_score_zero_everywhere(modality, text_ref):
    p = text_ref if modality == "text" else vision_profile(300)
    r = compare_profiles(p, json.loads(json.dumps(p)))
    assert all(v == 0.0 for v in r["drift_scores"].values())
    assert r["status"] == "ok" and r["max_drift"] == 0.0
    assert all(m["p_value"] == 1.0 for m in r["metrics"].values())


def test_scenario5_top_tokens_turnover_is_not_ok():
    common = "the a is of and to in it that was for on are with as at be this have from".split()
    topical = "covid pandemic vaccine lockdown virus mask quarantine booster spike variant omicron delta".split()
    rng = np.random.default_rng(0)
    ref = words_profile([" ".join(rng.choice(common, 60)) for _ in range(600)])
    new = words_profile([" ".join(rng.choice(topical, 60)) for _ in range(600)])
    r = compare_profiles(ref, new)
    assert r["token_overlap"] < 0.5
    assert r["drift_scores"]["top_tokens_drift"] == pytest.approx(1 - r["token_overlap"])
    assert r["status"] != "ok"


def test_token_overlap_is_a_similarity_not_a_drift_score(text_ref):
    r = compare_profiles(text_ref, text_ref)
    assert r["token_overlap"] == 1.0
    assert "token_overlap" not in r["drift_scores"]


@pytest.mark.parametrize("score, expected", [(0.0999, "ok"), (0.1, "warn"), (0.2, "warn"), (0.2001, "alert")],
                         ids=["below-warn", "at-warn", "at-alert", "above-alert"])
def test_threshold_edges(score, expected):
    assert classify(score, 0.1, 0.2) == expected


def test_results_carry_the_thresholds_they_were_judged_by(text_ref):
    r = compare_profiles(text_ref, text_ref, thresholds={"seq_length_js": (0.05, 0.3)})
    assert r["thresholds"]["seq_length_js"] == [0.05, 0.3]
    assert r["thresholds"]["top_tokens_drift"] == [0.3, 0.5]
    assert r["metrics"]["token_freq_js"]["threshold"] == [0.1, 0.2]


def test_kl_is_informational_unless_thresholded(text_ref):
    shifted = text_profile(1000, 200, seed=2)
    r = compare_profiles(text_ref, shifted)
    assert "seq_length_kl" not in r["metric_status"]
    r2 = compare_profiles(text_ref, shifted, thresholds={"seq_length_kl": (1.0, 2.0)})
    assert r2["metric_status"]["seq_length_kl"] == "alert"


def test_raising_thresholds_lowers_the_status(text_ref):
    shifted = text_profile(1000, 125, seed=2)  # half an SD: alerts at the default thresholds
    assert compare_profiles(text_ref, shifted)["metric_status"]["seq_length_js"] == "alert"
    loose = {"seq_length_js": (0.95, 0.99)}
    assert compare_profiles(text_ref, shifted, thresholds=loose)["metric_status"]["seq_length_js"] == "ok"


@pytest.mark.parametrize(
    "thresholds, match",
    [
        ({"seq_length_js": (0.3, 0.2)}, r"warn <= alert, got \(0.3, 0.2\)"),
        ({"no_such_metric": (0.1, 0.2)}, "unknown metric 'no_such_metric'"),
        ({"seq_length_js": (0.1,)}, "pair of numbers"),
        ({"seq_length_js": (float("nan"), 0.2)}, "finite"),
    ],
    ids=["unsorted", "unknown", "not-a-pair", "nan"],
)
def test_bad_thresholds_are_rejected(text_ref, thresholds, match):
    with pytest.raises(ValueError, match=match):
        compare_profiles(text_ref, text_ref, thresholds=thresholds)


def test_different_modalities_cannot_be_compared(text_ref):
    with pytest.raises(ValueError, match="cannot compare a text profile"):
        compare_profiles(text_ref, vision_profile(50))


def test_different_channel_counts_cannot_be_compared():
    gray = compute_dataset_profile(np.zeros((40, 8, 8), np.uint8), TaskSpec("vision"))
    with pytest.raises(ValueError, match="3 channels .* to 1"):
        compare_profiles(vision_profile(40), gray)


def test_ids_and_words_profiles_cannot_be_compared(text_ref):
    with pytest.raises(ValueError, match="token ids vs words"):
        compare_profiles(text_ref, words_profile(["hello world"] * 50))


def test_schema_version_mismatch_is_a_clear_error(text_ref):
    newer = dict(text_ref, schema_version=SCHEMA_VERSION + 1)
    with pytest.raises(ValueError, match=f"new profile: schema_version {SCHEMA_VERSION + 1} is not supported"):
        compare_profiles(text_ref, newer)


def test_an_older_schema_asks_to_profile_again(text_ref):
    older = dict(text_ref, schema_version=SCHEMA_VERSION - 1)
    with pytest.raises(ValueError, match="older Driftboard .* profile the data again"):
        compare_profiles(older, text_ref)


def test_every_score_of_each_modality_is_registered(text_ref):
    names = set(compare_profiles(text_ref, text_ref)["drift_scores"])
    names |= set(compare_profiles(vision_profile(40), vision_profile(40))["drift_scores"])
    templates = {n.replace("_0_", "_{c}_").replace("_1_", "_{c}_").replace("_2_", "_{c}_") for n in names}
    assert templates <= set(METRICS)
    assert {"seq_length_js", "seq_length_kl", "token_freq_js", "top_tokens_drift", "brightness_js", "brightness_kl",
            "channel_mean_distance", "channel_0_mean_js"} <= names


def test_result_is_strict_json(text_ref):
    r = compare_profiles(text_ref, text_profile(300, 130, seed=5))
    assert json.loads(json.dumps(r, allow_nan=False)) == r


def test_predictions_on_one_side_only_are_reported_not_compared(text_ref):
    with_preds = compute_dataset_profile(sequences(100, 20), TEXT, predictions=[0, 1] * 50)
    r = compare_profiles(text_ref, with_preds)
    assert "prediction_js" not in r["drift_scores"]
    assert any("only the new data has model predictions" in w for w in r["warnings"])


# ---------------------------------------------------------------------- verdicts that never go blind (issue 8)
def _padded(n, seed=0):
    return compute_dataset_profile(np.random.default_rng(seed).integers(1, 5000, (n, 128)), TEXT, sample_size=None)


def _short(n, seed=1):
    rng = np.random.default_rng(seed)
    return compute_dataset_profile([{"input_ids": rng.integers(1, 5000, k).tolist()} for k in rng.integers(5, 81, n)],
                                   TEXT, sample_size=None)


@pytest.mark.parametrize("flip", [False, True], ids=["padded-reference", "padded-batch"])
def test_padded_sequences_against_short_ones_alert_in_both_directions(flip):
    a, b = _padded(300), _short(300)
    r = compare_profiles(*((b, a) if flip else (a, b)))
    assert r["metrics"]["seq_length_js"]["score"] == 1.0
    assert r["metrics"]["seq_length_js"]["status"] == "alert"


def _grey(n, level, spread=0.0, seed=0):
    v = np.clip(level + spread * np.random.default_rng(seed).standard_normal(n), 0, 1)
    return compute_dataset_profile(np.broadcast_to(v[:, None, None, None], (n, 3, 4, 4)).copy(), TaskSpec("vision"),
                                   sample_size=None)


@pytest.mark.parametrize("flip", [False, True], ids=["grey-reference", "grey-batch"])
def test_a_constant_grey_reference_is_seen_in_both_directions(flip):
    a, b = _grey(200, 0.5), _grey(200, 0.3, 0.02)
    r = compare_profiles(*((b, a) if flip else (a, b)))
    assert all(r["metrics"][f"channel_{c}_mean_js"]["status"] == "alert" for c in range(3))


def test_js_scores_and_p_values_are_symmetric():
    a, b = text_profile(300, 120, seed=1), text_profile(500, 126, seed=2)
    ab, ba = compare_profiles(a, b), compare_profiles(b, a)
    for name in ("seq_length_js", "token_freq_js", "top_tokens_drift"):
        assert ab["metrics"][name]["score"] == ba["metrics"][name]["score"], name
        assert ab["metrics"][name]["p_value"] == ba["metrics"][name]["p_value"], name


def _classes(counts):
    preds = np.repeat(np.arange(len(counts)), counts)
    return compute_dataset_profile(np.zeros((len(preds), 1), np.int64), TEXT, sample_size=None, predictions=preds)


def test_a_rare_class_growing_twentyfold_warns_and_is_named():
    ref = _classes([5000, 4990, 10])  # class 2: 0.1%
    new = _classes([5000, 4800, 200])  # class 2: 2%
    m = compare_profiles(ref, new)["metrics"]["prediction_js"]
    assert m["score"] < 0.1  # the JS alone would stay ok
    assert m["status"] == "warn"
    assert m["cell_shift"]["cell"] == "class 2"
    assert m["summary"].startswith("class 2 0.1% -> 2.0% of items, 20x")


def test_raised_thresholds_quiet_the_cell_rule_too():
    ref, new = _classes([5000, 4990, 10]), _classes([5000, 4800, 200])
    m = compare_profiles(ref, new, thresholds={"prediction_js": (0.3, 0.5)})["metrics"]["prediction_js"]
    assert m["status"] == "ok" and m["cell_shift"] is None


def test_sparse_classes_with_a_tiny_batch_stay_ok():
    rng = np.random.default_rng(4)
    p = 1 / np.arange(1, 1001)
    big, small = rng.choice(1000, 50_000, p=p / p.sum()), rng.choice(1000, 50, p=p / p.sum())
    a = compute_dataset_profile(np.zeros((50_000, 1), np.int64), TEXT, sample_size=None, predictions=big)
    b = compute_dataset_profile(np.zeros((50, 1), np.int64), TEXT, sample_size=None, predictions=small)
    assert compare_profiles(a, b)["metrics"]["prediction_js"]["status"] == "ok"
    assert compare_profiles(b, a)["metrics"]["prediction_js"]["status"] == "ok"


def _floor_free_pair(kind):
    """Two small profiles of one kind whose comparison computes every metric of that kind (with
    predictions, or prediction scores), with scores above their thresholds but within the noise."""
    rng = np.random.default_rng(7)
    if kind == "ids":
        spec = TaskSpec("text", unk_token_id=1, pad_token_id=0)
        return tuple(compute_dataset_profile(sequences(n, 30 + 10 * s, seed=s), spec, sample_size=None,
                                             predictions=rng.integers(0, 3, n)) for n, s in ((60, 1), (45, 2)))
    if kind == "words":
        vocab = np.array("the a cat dog sat ran on under mat tree big small red".split())
        return tuple(words_profile([" ".join(rng.choice(vocab, 8)) for _ in range(n)]) for n in (20, 15))
    if kind == "vision":
        return tuple(compute_dataset_profile(images, TaskSpec("vision"), sample_size=None,
                                             predictions=rng.integers(0, 4, len(images)))
                     for images in (rng.random((40, 3, 8, 8)), rng.random((35, 3, 8, 8)) * 0.9))
    scores = [rng.dirichlet(np.ones(4), n) for n in (50, 40)]
    return tuple(compute_dataset_profile(sequences(len(s), 20), TEXT, sample_size=None, predictions=s) for s in scores)


def _floors_dropped(result):
    out = json.loads(json.dumps(result))
    for m in out["metrics"].values():
        m.pop("noise_floor")
    out["warnings"] = [w.split(", noise floor ")[0] + ("): kept ok" if ", noise floor " in w else "")
                       for w in out["warnings"]]
    return out


@pytest.mark.parametrize("kind", ["ids", "words", "vision", "scores"])
def test_without_noise_floors_every_score_p_value_status_and_word_is_the_same(kind):
    ref, new = _floor_free_pair(kind)
    full, fast = compare_profiles(ref, new, seed=3), compare_profiles(ref, new, seed=3, noise_floors=False)
    assert all(m["noise_floor"] is not None for m in full["metrics"].values())
    assert all(m["noise_floor"] is None for m in fast["metrics"].values())
    assert any("within the noise" in w for w in full["warnings"])  # the floor's words are dropped too
    assert _floors_dropped(fast) == _floors_dropped(full)
    assert json.loads(json.dumps(fast, allow_nan=False)) == fast


def test_noise_floors_must_be_a_bool():
    p = text_profile(60)
    with pytest.raises(ValueError, match="noise_floors"):
        compare_profiles(p, p, noise_floors="no")
