"""Properties every metric on the compare path must have (cf. scikit-learn's metrics/tests/test_common.py).

The sets of metric names below are written by hand, not derived from the registry: the first tests
check that they partition ``METRICS`` and agree with its flags, so a new metric fails here until it
is classified. Each property is then one test parametrized by metric name; every such test fails if
the metric it names was not computed on its data (:func:`computed`).

Data: profiles of small random datasets (hypothesis) with point masses (sequences padded to 128
tokens, images of one grey level, one predicted class), disjoint supports and unequal sizes, plus a
few explicit cases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import numpy as np
import pytest
from factories import sequences
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from drift_core import METRICS, TaskSpec, compare_profiles, compute_dataset_profile
from drift_core.metrics import expected_metrics

# ----------------------------------------------------------------------------- the sets, by hand
JS_FAMILY = {"seq_length_js", "token_freq_js", "channel_{c}_mean_js", "brightness_js", "prediction_js"}
KL_FAMILY = {"seq_length_kl", "brightness_kl", "prediction_kl"}
PER_CHANNEL = {"channel_{c}_mean_js"}

# text health: changes in a share, judged against the reference (its longest length, its vocabulary)
SHARE_FAMILY = {"truncation_share", "new_vocab_seq_share", "new_vocab_token_share", "unk_token_share",
                "pad_token_share"}

SYMMETRIC = JS_FAMILY | {"top_tokens_drift", "channel_mean_distance"}
NOT_SYMMETRIC = KL_FAMILY | SHARE_FAMILY  # KL(ref || new); the reference's limit and vocabulary

BOUNDED_0_1 = JS_FAMILY | {"top_tokens_drift"} | SHARE_FAMILY
UNBOUNDED = KL_FAMILY | {"channel_mean_distance"}  # bits; Euclidean distance up to sqrt(channels)

# 0 only when the two (binned) distributions are the same (KL's pseudo-count aside: with a one-item
# side, kl_bits([1, 102], [0, 1]) == 0); tested here: > 0 for disjoint supports
ZERO_IFF_EQUAL = JS_FAMILY | KL_FAMILY
# 0 for some different distributions: the same top-100 token set, the same channel means
ZERO_FOR_SOME_CHANGES = {"top_tokens_drift", "channel_mean_distance"} | SHARE_FAMILY


# ----------------------------------------------------------------------------- datasets
# the unknown and padding ids named so that unk_token_share / pad_token_share are computed too
TEXT, VISION = TaskSpec("text", unk_token_id=1, pad_token_id=0), TaskSpec("vision")


@dataclass(frozen=True)
class Texts:
    """``n`` token sequences with lengths uniform in ``lengths`` and ids uniform in ``tokens``;
    ``lengths=None``: an (n, 128) array, each row some tokens then the pad id ``tokens[0]``.
    Predictions are drawn uniformly from ``classes`` (``None``: no predictions)."""

    n: int
    lengths: tuple[int, int] | None
    tokens: tuple[int, int]
    classes: tuple[int, ...] | None
    seed: int

    def profile(self) -> dict[str, Any]:
        return _profile(self)

    def data(self, rng: np.random.Generator) -> Any:
        lo, hi = self.tokens
        if self.lengths is None:
            ids = rng.integers(lo, hi + 1, (self.n, 128))
            ids[np.arange(128) >= rng.integers(1, 129, self.n)[:, None]] = lo
            return ids
        lengths = rng.integers(self.lengths[0], self.lengths[1] + 1, self.n)
        return [{"input_ids": rng.integers(lo, hi + 1, k).tolist()} for k in lengths]


@dataclass(frozen=True)
class Images:
    """``n`` flat 4x4 images: each channel of each image is one value uniform in ``levels``
    (``(0.5, 0.5)``: every pixel of every image is 0.5), stored as float64 or uint8."""

    n: int
    levels: tuple[float, float]
    channels: int
    dtype: str
    classes: tuple[int, ...] | None
    seed: int

    def profile(self) -> dict[str, Any]:
        return _profile(self)

    def data(self, rng: np.random.Generator) -> np.ndarray:
        level = rng.uniform(*self.levels, (self.n, self.channels, 1, 1))
        x = np.broadcast_to(level, (self.n, self.channels, 4, 4))
        return np.rint(x * 255).astype(np.uint8) if self.dtype == "uint8" else x.copy()


@lru_cache(maxsize=1024)
def _profile(spec: Texts | Images) -> dict[str, Any]:
    rng = np.random.default_rng(spec.seed)
    data = spec.data(rng)
    preds = None if spec.classes is None else rng.choice(spec.classes, spec.n)
    return compute_dataset_profile(data, TEXT if isinstance(spec, Texts) else VISION, sample_size=None,
                                   predictions=preds)


@lru_cache(maxsize=1024)
def compare(ref: Texts | Images, new: Texts | Images) -> dict[str, Any]:
    """``compare_profiles`` of two datasets (cached: property tests share their examples; read only)."""
    return compare_profiles(ref.profile(), new.profile())


def computed(result: dict[str, Any], name: str) -> dict[str, dict[str, Any]]:
    """The entries of ``result["metrics"]`` for registry name ``name`` (a template matches every
    channel); fails when there are none, so that no property passes without being checked."""
    pattern = re.compile(re.escape(name).replace(re.escape("{c}"), r"\d+"))
    found = {n: m for n, m in result["metrics"].items() if pattern.fullmatch(n)}
    assert found, f"{name} was not computed on this data (computed: {sorted(result['metrics'])})"
    return found


# ----------------------------------------------------------------------------- strategies
sizes = st.integers(1, 400)
seeds = st.integers(0, 2**16)
any_classes = st.sampled_from([(0,), (0, 1), (2, 3), (0, 1, 2, 3)])
any_lengths = st.sampled_from([None, (1, 1), (5, 20), (5, 80), (200, 300)])  # None: padded to 128
any_tokens = st.sampled_from([(0, 0), (0, 9), (0, 500), (1000, 1019)])
any_levels = st.sampled_from([(0.5, 0.5), (0.2, 0.4), (0.0, 1.0), (0.2, 0.2), (0.65, 0.95)])


def texts(lengths: Any = any_lengths, tokens: Any = any_tokens, classes: Any = any_classes) -> st.SearchStrategy[Texts]:
    return st.builds(Texts, n=sizes, lengths=lengths, tokens=tokens, classes=classes, seed=seeds)


def images(channels: int, levels: Any = any_levels, classes: Any = any_classes) -> st.SearchStrategy[Images]:
    return st.builds(Images, n=sizes, levels=levels, channels=st.just(channels),
                     dtype=st.sampled_from(["float64", "uint8"]), classes=classes, seed=seeds)


text_pairs = st.tuples(texts(), texts())
vision_pairs = st.one_of([st.tuples(images(c), images(c)) for c in (1, 3)])


def _either_order(low: st.SearchStrategy[Any], high: st.SearchStrategy[Any]) -> st.SearchStrategy[tuple[Any, Any]]:
    """(low, high) or (high, low): the reference is the lower side or the upper one."""
    return st.tuples(low, high, st.booleans()).map(lambda t: (t[0], t[1]) if t[2] else (t[1], t[0]))


# disjoint supports: lengths, token ids, channel means and brightness, predicted classes
disjoint_text_pairs = _either_order(
    texts(st.sampled_from([(1, 1), (5, 20)]), st.just((0, 9)), st.sampled_from([(0,), (0, 1)])),
    texts(st.sampled_from([None, (200, 300)]), st.just((1000, 1019)), st.sampled_from([(2,), (2, 3)])),
)
disjoint_vision_pairs = st.one_of([_either_order(
    images(c, st.sampled_from([(0.2, 0.2), (0.05, 0.35)]), st.sampled_from([(0,), (0, 1)])),
    images(c, st.sampled_from([(0.8, 0.8), (0.65, 0.95)]), st.sampled_from([(2,), (2, 3)])),
) for c in (1, 3)])


def pairs_for(name: str, disjoint: bool = False) -> st.SearchStrategy[tuple[Any, Any]]:
    """Pairs of datasets on which metric ``name`` is computed (both sides carry predictions)."""
    text, vision = (disjoint_text_pairs, disjoint_vision_pairs) if disjoint else (text_pairs, vision_pairs)
    return {"text": text, "vision": vision, "outputs": st.one_of(text, vision)}[METRICS[name].group]


def datasets_for(name: str) -> st.SearchStrategy[Any]:
    """One dataset on which metric ``name`` is computed (the first of a pair)."""
    return pairs_for(name).map(lambda pair: pair[0])


# Every property test starts from one seed: runs repeat, and the tests (and metric names) that share a
# strategy draw the same datasets, so that each profile and comparison is computed once (lru_cache).
# No shrinking: a drawn pair of dataset specs reads as it is, and a failing run stays short.
SEED = 0
property_settings = settings(max_examples=30, deadline=None, phases=[Phase.generate],
                             suppress_health_check=[HealthCheck.too_slow])


# ----------------------------------------------------------------------------- the sets agree with the registry
@pytest.mark.parametrize(
    "parts",
    [(SYMMETRIC, NOT_SYMMETRIC), (BOUNDED_0_1, UNBOUNDED), (ZERO_IFF_EQUAL, ZERO_FOR_SOME_CHANGES)],
    ids=["symmetric", "bounded", "zero_iff_equal"],
)
def test_hand_written_sets_partition_the_registry(parts):
    yes, no = parts
    assert not yes & no
    assert not set(METRICS) - (yes | no), "metric not classified: add it to one of the sets"
    assert not (yes | no) - set(METRICS), "set names a metric that is not registered"


@pytest.mark.parametrize(
    "hand, flag",
    [
        (SYMMETRIC, lambda m: m.symmetric),
        (KL_FAMILY, lambda m: m.family == "kl"),
        (NOT_SYMMETRIC, lambda m: not m.symmetric),
        (SHARE_FAMILY, lambda m: m.family == "share"),
        (BOUNDED_0_1, lambda m: m.bounded),
        (JS_FAMILY, lambda m: m.family == "js"),
        (PER_CHANNEL, lambda m: m.per_channel),
    ],
    ids=["symmetric", "kl_family", "not_symmetric", "share_family", "bounded", "js_family", "per_channel"],
)
def test_hand_written_sets_agree_with_registry_flags(hand, flag):
    flagged = {name for name, m in METRICS.items() if flag(m)}
    assert not flagged - hand, "flagged in the registry, missing from the hand-written set"
    assert not hand - flagged, "in the hand-written set, not flagged in the registry"


@pytest.mark.parametrize("name", sorted(METRICS))
def test_every_metric_has_a_label_unit_group_and_description(name):
    m = METRICS[name]
    assert m.name == name and m.label and m.unit and m.description
    assert m.group in {"text", "vision", "outputs"}
    if m.default_thresholds is not None:
        warn, alert = m.default_thresholds
        assert 0 <= warn <= alert


# ----------------------------------------------------------------------------- properties (hypothesis)
@pytest.mark.parametrize("name", sorted(SYMMETRIC))
@seed(SEED)
@property_settings
@given(data=st.data())
def test_symmetric_metrics_score_does_not_depend_on_the_order(name, data):
    a, b = data.draw(pairs_for(name))
    forward, backward = computed(compare(a, b), name), computed(compare(b, a), name)
    assert {n: m["score"] for n, m in forward.items()} == {n: m["score"] for n, m in backward.items()}


@pytest.mark.parametrize(
    "name", sorted(SYMMETRIC)
)
@seed(SEED)
@property_settings
@given(data=st.data())
def test_symmetric_metrics_p_value_does_not_depend_on_the_order(name, data):
    a, b = data.draw(pairs_for(name))
    forward, backward = computed(compare(a, b), name), computed(compare(b, a), name)
    assert {n: m["p_value"] for n, m in forward.items()} == {n: m["p_value"] for n, m in backward.items()}


@pytest.mark.parametrize("name", sorted(BOUNDED_0_1))
@seed(SEED)
@property_settings
@given(data=st.data())
def test_bounded_metrics_lie_in_the_unit_interval(name, data):
    a, b = data.draw(pairs_for(name))
    for n, m in computed(compare(a, b), name).items():
        assert 0.0 <= m["score"] <= 1.0, n


@pytest.mark.parametrize("name", sorted(METRICS))
@seed(SEED)
@property_settings
@given(data=st.data())
def test_every_metric_is_exactly_zero_with_p_value_one_for_identical_profiles(name, data):
    a = data.draw(datasets_for(name))
    for n, m in computed(compare(a, a), name).items():
        assert (m["score"], m["p_value"]) == (0.0, 1.0), n


@pytest.mark.parametrize("name", sorted(ZERO_IFF_EQUAL))
@seed(SEED)
@property_settings
@given(data=st.data())
def test_zero_iff_equal_metrics_are_positive_for_disjoint_supports(name, data):
    a, b = data.draw(pairs_for(name, disjoint=True))
    for n, m in computed(compare(a, b), name).items():
        assert m["score"] > 0.0, n


@pytest.mark.parametrize("name", sorted(JS_FAMILY))
@seed(SEED)
@property_settings
@given(data=st.data())
def test_js_metrics_are_exactly_one_for_disjoint_supports(name, data):
    a, b = data.draw(pairs_for(name, disjoint=True))
    for n, m in computed(compare(a, b), name).items():
        assert m["score"] == 1.0, n


# ----------------------------------------------------------------------------- explicit cases
def _same_channel_means() -> dict[str, Any]:
    # half the images at 0.25 and half at 0.75, against all at 0.5: the same channel means
    a = np.full((40, 3, 4, 4), 0.5)
    b = np.repeat([0.25, 0.75], 200)[:, None, None, None] * np.ones((1, 3, 4, 4))
    return compare_profiles(compute_dataset_profile(a, VISION, sample_size=None),
                            compute_dataset_profile(b, VISION, sample_size=None))


def _same_top_tokens() -> dict[str, Any]:
    # tokens 0 and 1 on top of both sides, in shares 90/10 against 10/90
    a = compute_dataset_profile([{"input_ids": [0] * 9 + [1]}] * 40, TEXT, sample_size=None)
    b = compute_dataset_profile([{"input_ids": [1] * 9 + [0]}] * 400, TEXT, sample_size=None)
    return compare_profiles(a, b)


@pytest.mark.parametrize(
    "name, witness",
    [("top_tokens_drift", "token_freq_js"), ("channel_mean_distance", "brightness_js")],
    ids=["top_tokens_drift", "channel_mean_distance"],
)
def test_metrics_outside_zero_iff_equal_can_be_zero_for_different_data(name, witness):
    assert name in ZERO_FOR_SOME_CHANGES and witness in ZERO_IFF_EQUAL
    r = _same_top_tokens() if name == "top_tokens_drift" else _same_channel_means()
    assert computed(r, name)[name]["score"] == 0.0
    assert computed(r, witness)[witness]["score"] > 0.5  # the data do differ


@pytest.mark.parametrize("name", sorted(KL_FAMILY))
def test_kl_metrics_depend_on_the_order(name):
    # a point mass against a spread, 40 vs 400 items: KL(a || b) and KL(b || a) differ
    pairs = {
        "text": (Texts(40, None, (0, 9), (0,), 1), Texts(400, (5, 80), (0, 9), (0, 1, 2, 3), 2)),
        "vision": (Images(40, (0.5, 0.5), 3, "float64", (0,), 1), Images(400, (0.2, 0.6), 3, "float64", (0,), 2)),
    }
    a, b = pairs["vision" if METRICS[name].group == "vision" else "text"]
    forward, backward = computed(compare(a, b), name)[name], computed(compare(b, a), name)[name]
    assert forward["score"] > 0 and backward["score"] > 0
    assert forward["score"] != pytest.approx(backward["score"], rel=0.01)


# a point mass, and a different distribution, at n >= 100 per side and unequal sizes
CONSTANT = {
    "text": Texts(100, None, (0, 0), (0,), 1),  # every sequence padded to 128 tokens, one token, one class
    "vision": Images(100, (0.5, 0.5), 3, "float64", (0,), 1),  # every pixel 0.5
}
SPREAD = {
    "text": Texts(400, (5, 80), (0, 49), (0, 1, 2, 3), 2),
    "vision": Images(400, (0.2, 0.4), 3, "float64", (0, 1, 2, 3), 2),  # images around 0.3
}


@pytest.mark.parametrize("constant_side", ["ref", "new"], ids=["constant_ref", "constant_new"])
@pytest.mark.parametrize("name", sorted(JS_FAMILY))
def test_a_constant_dataset_against_a_different_one_is_seen(name, constant_side):
    modality = "vision" if METRICS[name].group == "vision" else "text"
    const, spread = CONSTANT[modality], SPREAD[modality]
    r = compare(const, spread) if constant_side == "ref" else compare(spread, const)
    for n, m in computed(r, name).items():
        assert m["score"] > 0.5, n
        assert m["status"] != "ok", n


@pytest.mark.parametrize(
    "name",
    sorted(JS_FAMILY),
)
def test_disjoint_supports_are_significant_at_lopsided_sizes(name):
    # 2,000 reference items against 100 new ones below them (lengths, grey levels, classes, tokens)
    pairs = {
        "text": (Texts(2000, None, (1000, 1019), (2,), 1), Texts(100, (5, 20), (0, 9), (0,), 2)),
        "vision": (Images(2000, (0.8, 0.8), 3, "float64", (2,), 1), Images(100, (0.2, 0.2), 3, "float64", (0,), 2)),
    }
    a, b = pairs["vision" if METRICS[name].group == "vision" else "text"]
    for n, m in computed(compare(a, b), name).items():
        assert m["score"] == 1.0, n
        assert m["status"] == "alert", n


def test_top_tokens_drift_p_value_does_not_depend_on_the_order():
    # 45 Zipf sequences against 164 with token ids shifted by 3: the status flips too (ok one way, warn the other)
    a = compute_dataset_profile(sequences(45, 40, seed=49), TEXT, sample_size=None)
    b = compute_dataset_profile(sequences(164, 40, seed=1049, offset=3), TEXT, sample_size=None)
    forward, backward = (compare_profiles(x, y)["metrics"]["top_tokens_drift"] for x, y in [(a, b), (b, a)])
    assert forward["score"] == backward["score"]
    assert forward["p_value"] == backward["p_value"]


def test_js_of_disjoint_classes_is_exactly_one():
    a = compute_dataset_profile(np.ones((70, 4), int), TEXT, sample_size=None, predictions=[0] * 10 + [1] * 60)
    b = compute_dataset_profile(np.ones((10, 4), int), TEXT, sample_size=None, predictions=[2] * 10)
    assert compare_profiles(a, b)["metrics"]["prediction_js"]["score"] == 1.0


# ----------------------------------------------------------------------------- compare computes expected_metrics
def predicting(spec: Texts | Images, classes: tuple[int, ...]) -> Texts | Images:
    return replace(spec, classes=classes)


_T, _U = Texts(40, (5, 20), (0, 9), None, 1), Texts(400, None, (0, 2000), None, 2)
_V, _W = Images(40, (0.2, 0.4), 3, "uint8", None, 1), Images(400, (0.5, 0.5), 3, "float64", None, 2)
_G, _H = Images(40, (0.2, 0.4), 1, "float64", None, 1), Images(400, (0.5, 0.5), 1, "uint8", None, 2)
P = (0, 1, 2)


@pytest.mark.parametrize(
    "ref, new",
    [
        pytest.param(_T, _U, id="text"),
        pytest.param(predicting(_T, P), predicting(_U, (0,)), id="text_with_predictions"),
        pytest.param(predicting(_T, P), _U, id="text_predictions_ref_only"),
        pytest.param(_T, predicting(_U, P), id="text_predictions_new_only"),
        pytest.param(_V, _W, id="rgb"),
        pytest.param(predicting(_V, (0,)), predicting(_W, P), id="rgb_with_predictions"),
        pytest.param(predicting(_V, P), _W, id="rgb_predictions_ref_only"),
        pytest.param(_V, predicting(_W, P), id="rgb_predictions_new_only"),
        pytest.param(_G, _H, id="grey"),
        pytest.param(predicting(_G, P), predicting(_H, P), id="grey_with_predictions"),
    ],
)
def test_expected_metrics_are_the_metrics_compare_computes(ref, new):
    expected = expected_metrics(ref.profile(), new.profile())
    assert len(set(expected)) == len(expected)
    assert set(expected) == set(compare(ref, new)["metrics"])



