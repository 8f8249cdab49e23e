"""Profiles as a whole: strict JSON, validation, merging (property tests)."""

import json

import numpy as np
import pytest
from factories import TEXT, VISION, images
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drift_core import SCHEMA_VERSION, TaskSpec, compute_dataset_profile, merge_profiles, validate_profile

id_seqs = st.lists(st.lists(st.integers(0, 300), max_size=40), min_size=1, max_size=25)
word_docs = st.lists(st.text(alphabet="abc dé'", max_size=30), min_size=1, max_size=15)


def ids_profile(seqs, preds=None):
    return compute_dataset_profile([{"input_ids": s} for s in seqs], TEXT, sample_size=None, predictions=preds)


def assert_same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        if isinstance(a[k], float):
            assert a[k] == pytest.approx(b[k], rel=1e-9, abs=1e-12), k
        elif k in ("channel_means", "channel_stds", "channel_pixel_sums", "channel_pixel_sumsqs",
                   "image_mean_sums", "image_mean_sumsqs", "token_share_sums", "token_share_sumsqs", "token_share_cross"):
            assert np.allclose(a[k], b[k], rtol=1e-9, atol=1e-12), k
        elif k not in ("sample_size",):
            assert a[k] == b[k], k


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(id_seqs, id_seqs)
def test_merge_of_id_profiles_equals_profile_of_union(a, b):
    assert_same(merge_profiles(ids_profile(a), ids_profile(b)), ids_profile(a + b))


@settings(max_examples=40, deadline=None)
@given(word_docs, word_docs)
def test_merge_of_word_profiles_equals_profile_of_union(a, b):
    pa_, pb = (compute_dataset_profile([{"text": d} for d in docs], TEXT, sample_size=None) for docs in (a, b))
    union = compute_dataset_profile([{"text": d} for d in a + b], TEXT, sample_size=None)
    assert_same(merge_profiles(pa_, pb), union)


@settings(max_examples=25, deadline=None)
@given(id_seqs, id_seqs, id_seqs)
def test_merge_is_commutative_and_associative(a, b, c):
    pa_, pb, pc = ids_profile(a), ids_profile(b), ids_profile(c)
    # the examples are the first items by design (merge order matters); every statistic commutes
    ab, ba = merge_profiles(pa_, pb), merge_profiles(pb, pa_)
    assert ab.pop("examples")[: len(pa_["examples"])] == pa_["examples"]
    ba.pop("examples")
    assert_same(ab, ba)
    assert_same(merge_profiles(merge_profiles(pa_, pb), pc), merge_profiles(pa_, merge_profiles(pb, pc)))


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 20), st.integers(1, 20), st.integers(0, 1000))
def test_merge_of_vision_profiles_equals_profile_of_union(n1, n2, seed):
    x = images(n1 + n2, (0.3, 0.5, 0.7), spread=0.1, seed=seed)
    merged = merge_profiles(compute_dataset_profile(x[:n1], VISION, sample_size=None),
                            compute_dataset_profile(x[n1:], VISION, sample_size=None))
    assert_same(merged, compute_dataset_profile(x, VISION, sample_size=None))


def test_merge_adds_prediction_histograms_padding_the_shorter():
    m = merge_profiles(ids_profile([[1], [2]], preds=[0, 1]), ids_profile([[3]], preds=[2]))
    assert m["prediction_hist"] == [1, 1, 1]


def test_merge_keeps_the_union_top_tokens():
    a = ids_profile([[1] * 5 + [2] * 3])
    b = ids_profile([[2] * 4 + [3]])
    assert merge_profiles(a, b)["top_tokens"] == [2, 1, 3]


def test_merge_refuses_different_modalities():
    with pytest.raises(ValueError, match="cannot merge a text profile with a vision profile"):
        merge_profiles(ids_profile([[1]]), compute_dataset_profile(images(2), VISION))


def test_profile_round_trips_through_strict_json():
    p = ids_profile([[1, 2], [3]], preds=[0, 1])
    assert json.loads(json.dumps(p, allow_nan=False)) == p
    validate_profile(json.loads(json.dumps(p)))


def test_random_sample_mean_of_length_sorted_data_is_close_to_full_mean():
    rng = np.random.default_rng(0)
    seqs = sorted((list(range(k)) for k in rng.integers(0, 400, 5000)), key=len)
    full = ids_profile(seqs)
    sample = compute_dataset_profile([{"input_ids": s} for s in seqs], TEXT, sample_size=500, seed=11)
    assert abs(sample["seq_length_mean"] - full["seq_length_mean"]) < 4 * full["seq_length_std"] / np.sqrt(500)
    first_n = ids_profile(seqs[:500])
    assert abs(first_n["seq_length_mean"] - full["seq_length_mean"]) > 100  # what sampling avoids


@pytest.mark.parametrize(
    "mutate, match",
    [
        (lambda p: p.pop("schema_version"), "missing field 'schema_version'"),
        (lambda p: p.update(schema_version=SCHEMA_VERSION + 1), f"schema_version {SCHEMA_VERSION + 1} is not supported"),
        (lambda p: p.update(schema_version="1"), "schema_version '1' is not supported"),
        (lambda p: p.pop("seq_length_hist"), "missing field 'seq_length_hist'"),
        (lambda p: p.update(modality="audio"), "'modality' must be 'text', 'vision' or 'outputs'"),
        (lambda p: p.update(seq_length_hist=[1] + p["seq_length_hist"][1:]), "must sum to n_samples"),
        (lambda p: p.update(token_counts=[-1] * len(p["token_counts"])), "negative count"),
        (lambda p: p.update(top_tokens=["x"] * len(p["top_tokens"])), "must hold int tokens"),
    ],
    ids=["no-version", "newer-version", "string-version", "missing-field", "bad-modality", "bad-sum", "negative", "wrong-token-type"],
)
def test_validate_profile_names_the_bad_field(mutate, match):
    p = ids_profile([[1, 2, 2], [3]])
    mutate(p)
    with pytest.raises(ValueError, match=match):
        validate_profile(p)


def test_schema_version_is_an_int():
    assert isinstance(ids_profile([[1]])["schema_version"], int) and SCHEMA_VERSION == 2  # 2: share sums for heavy tails


def test_task_spec_round_trips_and_rejects_unknown_fields():
    spec = TaskSpec("vision", num_classes=3, pixel_range=(0, 65535))
    assert TaskSpec.from_dict(spec.to_dict()) == spec
    with pytest.raises(ValueError, match="unknown TaskSpec field"):
        TaskSpec.from_dict({"modality": "text", "colour": 1})
    with pytest.raises(ValueError, match="modality"):
        TaskSpec("audio")  # type: ignore[arg-type]


def test_examples_are_bounded_kept_first_on_merge_and_can_be_turned_off():
    long = "word " * 200
    texts = [{"text": f"{i} {long}"} for i in range(8)]
    p = compute_dataset_profile(texts, TEXT, sample_size=None)
    assert len(p["examples"]) == 5 and all(len(e) <= 300 for e in p["examples"])
    assert p["examples"][0].startswith("0 word")
    validate_profile(p)
    merged = merge_profiles(compute_dataset_profile(texts[:2], TEXT, sample_size=None),
                            compute_dataset_profile(texts[2:], TEXT, sample_size=None))
    assert merged["examples"] == p["examples"]
    assert "examples" not in compute_dataset_profile(texts, TEXT, keep_examples=False)
    assert "examples" not in compute_dataset_profile(texts, TaskSpec("text", keep_examples=False))
    validate_profile(json.loads(json.dumps(p)))
    with pytest.raises(ValueError, match="examples"):
        validate_profile({**p, "examples": ["x" * 301]})


@pytest.mark.parametrize("as_array", [False, True], ids=["lists", "array"])
def test_token_id_examples_are_the_first_ids_cut_to_300_characters(as_array):
    ids = np.arange(100_000)
    data = ids[None, :] if as_array else [{"input_ids": ids.tolist()}]
    example = compute_dataset_profile(data, TEXT, sample_size=None)["examples"][0]
    assert example == " ".join(f"#{i}" for i in range(200))[:299].rstrip() + "…"


def test_vision_examples_are_small_png_thumbnails():
    x = images(10, (0.3, 0.5, 0.7), spread=0.1, seed=0)
    p = compute_dataset_profile(x, VISION, sample_size=None)
    assert len(p["examples"]) == 6
    assert all(e.startswith("data:image/png;base64,") and len(e) < 8000 for e in p["examples"])
    validate_profile(p)
