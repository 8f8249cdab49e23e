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
from functools import cache, lru_cache
from typing import Any

import numpy as np
import pytest
from factories import sequences
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from drift_core import METRICS, TaskSpec, compare_profiles, compute_dataset_profile
from drift_core.contributors import format_shares
from drift_core.metrics import expected_metrics

# ----------------------------------------------------------------------------- the sets, by hand
# the image-quality histograms each see one feature of the images (clipped share, sharpness, size)
QUALITY_FEATURES = {"clipped_share_js", "sharpness_js", "image_height_js", "image_width_js"}
JS_FAMILY = {"seq_length_js", "token_freq_js", "channel_{c}_mean_js", "brightness_js", "prediction_js",
             "confidence_js", "entropy_js", "pixel_values_js"} | QUALITY_FEATURES
KL_FAMILY = {"seq_length_kl", "brightness_kl", "prediction_kl"}
PER_CHANNEL = {"channel_{c}_mean_js"}

# text health: changes in a share, judged against the reference (its longest length, its vocabulary)
SHARE_FAMILY = {"truncation_share", "new_vocab_seq_share", "new_vocab_token_share", "unk_token_share",
                "pad_token_share"}

SYMMETRIC = JS_FAMILY | {"top_tokens_drift", "channel_mean_distance", "class_prob_distance"}
NOT_SYMMETRIC = KL_FAMILY | SHARE_FAMILY  # KL(ref || new); the reference's limit and vocabulary

BOUNDED_0_1 = JS_FAMILY | {"top_tokens_drift", "class_prob_distance"} | SHARE_FAMILY  # total variation is in [0, 1]
UNBOUNDED = KL_FAMILY | {"channel_mean_distance"}  # bits; Euclidean distance up to sqrt(channels)

# 0 only when the two (binned) distributions are the same (KL's pseudo-count aside: with a one-item
# side, kl_bits([1, 102], [0, 1]) == 0); tested here: > 0 for disjoint supports
ZERO_IFF_EQUAL = JS_FAMILY - QUALITY_FEATURES - {"pixel_values_js"} | KL_FAMILY
# 0 for some different distributions: the same top-100 token set, the same channel means, the same
# per-class mean probabilities, one feature of the images unchanged (pixel values within one of the
# 16 bins, the same sharpness or size)
ZERO_FOR_SOME_CHANGES = {"top_tokens_drift", "channel_mean_distance", "class_prob_distance",
                         "pixel_values_js"} | QUALITY_FEATURES | SHARE_FAMILY
# computed from prediction scores (N, K) only: their datasets are outputs profiles of scores
SCORED = {"confidence_js", "entropy_js", "class_prob_distance"}

# a sum over the bins of a histogram: split into per-bin contributors (what moved most)
HISTOGRAM = JS_FAMILY | KL_FAMILY
# a set overlap, Euclidean / total-variation distances of means, shares of items
NOT_HISTOGRAM = {"top_tokens_drift", "channel_mean_distance", "class_prob_distance"} | SHARE_FAMILY


# ----------------------------------------------------------------------------- datasets
# the unknown and padding ids named so that unk_token_share / pad_token_share are computed too
TEXT, VISION, OUTPUTS = TaskSpec("text", unk_token_id=1, pad_token_id=0), TaskSpec("vision"), TaskSpec("outputs")


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
    (``(0.5, 0.5)``: every pixel of every image is 0.5), stored as float64 or uint8. ``texture``:
    a checkerboard of +- an amplitude uniform in it added to each image (clipped to [0, 1]);
    ``sides``: square images of a side uniform in it (a list of items when sizes vary)."""

    n: int
    levels: tuple[float, float]
    channels: int
    dtype: str
    classes: tuple[int, ...] | None
    seed: int
    texture: tuple[float, float] = (0.0, 0.0)
    sides: tuple[int, int] = (4, 4)

    def profile(self) -> dict[str, Any]:
        return _profile(self)

    def data(self, rng: np.random.Generator) -> Any:
        level = rng.uniform(*self.levels, (self.n, self.channels, 1, 1))
        if self.texture == (0.0, 0.0) and self.sides == (4, 4):  # the original draws, unchanged
            x = np.broadcast_to(level, (self.n, self.channels, 4, 4))
            return np.rint(x * 255).astype(np.uint8) if self.dtype == "uint8" else x.copy()
        amp = rng.uniform(*self.texture, (self.n, 1, 1, 1))
        sides = rng.integers(self.sides[0], self.sides[1] + 1, self.n)
        images = []
        for i, side in enumerate(sides):
            board = np.indices((side, side)).sum(axis=0) % 2 * 2 - 1
            x = np.clip(level[i] + amp[i] * board, 0.0, 1.0)
            images.append(np.rint(x * 255).astype(np.uint8) if self.dtype == "uint8" else x)
        if self.sides[0] == self.sides[1]:
            return np.stack(images)
        return [{"pixel_values": x} for x in images]


@dataclass(frozen=True)
class Scores:
    """``n`` probability rows over ``k`` classes: ``"uniform"`` (every row 1/k: a point mass of
    confidence 1/k and entropy 1), ``"confident"`` (top class 0.9-1.0 on a random class), or
    ``"spread"`` (Dirichlet(1) rows)."""

    n: int
    k: int
    kind: str
    seed: int

    def profile(self) -> dict[str, Any]:
        return _profile(self)

    def data(self, rng: np.random.Generator) -> np.ndarray:
        if self.kind == "uniform" or self.k == 1:
            return np.full((self.n, self.k), 1.0 / self.k)
        if self.kind == "spread":
            return rng.dirichlet(np.ones(self.k), self.n)
        top = rng.uniform(0.9, 1.0, self.n)
        p = np.repeat(((1 - top) / (self.k - 1))[:, None], self.k, axis=1)
        p[np.arange(self.n), rng.integers(0, self.k, self.n)] = top
        return p


@lru_cache(maxsize=1024)
def _profile(spec: Texts | Images | Scores) -> dict[str, Any]:
    if isinstance(spec, Scores):
        return compute_dataset_profile(spec.data(np.random.default_rng(spec.seed)), OUTPUTS, sample_size=None)
    rng = np.random.default_rng(spec.seed)
    data = spec.data(rng)
    preds = None if spec.classes is None else rng.choice(spec.classes, spec.n)
    return compute_dataset_profile(data, TEXT if isinstance(spec, Texts) else VISION, sample_size=None,
                                   predictions=preds)


@lru_cache(maxsize=1024)
def compare(ref: Texts | Images | Scores, new: Texts | Images | Scores) -> dict[str, Any]:
    """``compare_profiles`` of two datasets (cached: property tests share their examples; read only)."""
    return compare_profiles(ref.profile(), new.profile(), noise_floors=False)


@lru_cache(maxsize=1024)
def compare_every_bin(ref: Texts | Images, new: Texts | Images) -> dict[str, Any]:
    """``compare_profiles`` listing every contributing bin (``top_contributors=None``; read only)."""
    return compare_profiles(ref.profile(), new.profile(), top_contributors=None, noise_floors=False)


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


def images(channels: int, levels: Any = any_levels, classes: Any = any_classes, **feature: Any) -> st.SearchStrategy[Images]:
    return st.builds(Images, n=sizes, levels=levels, channels=st.just(channels),
                     dtype=st.sampled_from(["float64", "uint8"]), classes=classes, seed=seeds,
                     **{k: st.just(v) for k, v in feature.items()})


any_score_kinds = st.sampled_from(["uniform", "confident", "spread"])
any_class_counts = st.sampled_from([1, 2, 4, 30])


def scores(kinds: Any = any_score_kinds, k: Any = any_class_counts) -> st.SearchStrategy[Scores]:
    return st.builds(Scores, n=sizes, k=k, kind=kinds, seed=seeds)


text_pairs = st.tuples(texts(), texts())
score_pairs = st.tuples(scores(), scores())
# disjoint: uniform rows (confidence 1/k <= 0.5, entropy 1) against confident ones (>= 0.9, entropy < 0.6)
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


disjoint_score_pairs = _either_order(scores(st.just("uniform"), st.sampled_from([2, 4, 30])),
                                     scores(st.just("confident"), st.sampled_from([2, 4, 30])))


# the feature each image-quality histogram sees, low and high: disjoint for that metric
FEATURE_LOW: dict[str, dict[str, Any]] = {
    "clipped_share_js": {"levels": (0.2, 0.4)},  # no value at 0 or 1
    "sharpness_js": {"texture": (0.0, 0.0), "levels": (0.2, 0.4)},  # flat images: sharpness 0
    "image_height_js": {"sides": (4, 4)},
    "image_width_js": {"sides": (4, 4)},
}
FEATURE_HIGH: dict[str, dict[str, Any]] = {
    "clipped_share_js": {"levels": (1.0, 1.0)},  # every value at 1
    "sharpness_js": {"texture": (0.1, 0.3), "levels": (0.2, 0.4)},
    "image_height_js": {"sides": (6, 12)},
    "image_width_js": {"sides": (6, 12)},
}


@cache
def pairs_for(name: str, disjoint: bool = False) -> st.SearchStrategy[tuple[Any, Any]]:
    """Pairs of datasets on which metric ``name`` is computed (both sides carry predictions; scores
    for the confidence metrics). One strategy object per metric: every example draws from it, so
    hypothesis validates it once (the draws are those of a fresh, identical strategy)."""
    if name in SCORED:
        return disjoint_score_pairs if disjoint else score_pairs
    if disjoint and name in FEATURE_LOW:
        return st.one_of([_either_order(images(c, **_strategies(FEATURE_LOW[name])),
                                        images(c, **_strategies(FEATURE_HIGH[name]))) for c in (1, 3)])
    text, vision = (disjoint_text_pairs, disjoint_vision_pairs) if disjoint else (text_pairs, vision_pairs)
    return {"text": text, "vision": vision, "outputs": st.one_of(text, vision)}[METRICS[name].group]


def _strategies(feature: dict[str, Any]) -> dict[str, Any]:
    """``levels`` as a strategy (images() draws it), the other features as plain values."""
    return {k: st.just(v) if k == "levels" else v for k, v in feature.items()}


@cache
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
    [(SYMMETRIC, NOT_SYMMETRIC), (BOUNDED_0_1, UNBOUNDED), (ZERO_IFF_EQUAL, ZERO_FOR_SOME_CHANGES),
     (HISTOGRAM, NOT_HISTOGRAM)],
    ids=["symmetric", "bounded", "zero_iff_equal", "histogram"],
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


def _divergence(name: str, score: float) -> float:
    """What a histogram score's contributions add up to: JS^2 (the JS divergence) or KL itself."""
    return score * score if METRICS[name].family == "js" else score


@pytest.mark.parametrize("direction", ["forward", "backward"])
@pytest.mark.parametrize("name", sorted(HISTOGRAM))
@seed(SEED)
@property_settings
@given(data=st.data())
def test_histogram_contributions_add_up_to_the_divergence(name, direction, data):
    a, b = data.draw(pairs_for(name))
    ref, new = (a, b) if direction == "forward" else (b, a)
    for n, m in computed(compare_every_bin(ref, new), name).items():
        parts = [c["contribution"] for c in m["contributors"]]
        total = sum(abs(x) for x in parts) if METRICS[name].family == "js" else sum(parts)
        assert abs(total - _divergence(name, m["score"])) <= 1e-9, n


@pytest.mark.parametrize("name", sorted(HISTOGRAM))
@seed(SEED)
@property_settings
@given(data=st.data())
def test_histogram_contributors_are_the_largest_first_in_words(name, data):
    a, b = data.draw(pairs_for(name))
    for n, m in computed(compare(a, b), name).items():
        top = m["contributors"]
        assert len(top) <= 5, n
        sizes = [abs(c["contribution"]) for c in top]
        assert sizes == sorted(sizes, reverse=True), n
        for c in top:
            assert f": {format_shares(c['ref_share'], c['new_share'])} of " in c["words"], c


@pytest.mark.parametrize("name", sorted(JS_FAMILY))
@seed(SEED)
@property_settings
@given(data=st.data())
def test_js_contributions_are_positive_where_the_new_share_is_higher(name, data):
    # (a KL term P log(P / Q) is negative there, on the smoothed shares: tested in test_divergence)
    a, b = data.draw(pairs_for(name))
    for n, m in computed(compare_every_bin(a, b), name).items():
        for c in m["contributors"]:
            assert (c["contribution"] > 0) == (c["new_share"] > c["ref_share"]), (n, c)


@pytest.mark.parametrize("name", sorted(HISTOGRAM))
@seed(SEED)
@property_settings
@given(data=st.data())
def test_histogram_contributor_shares_of_the_score_add_up_to_one(name, data):
    a, b = data.draw(pairs_for(name))
    for n, m in computed(compare_every_bin(a, b), name).items():
        if m["score"] > 0:
            assert sum(c["share_of_score"] for c in m["contributors"]) == pytest.approx(1.0, abs=1e-9), n


@pytest.mark.parametrize("name", sorted(HISTOGRAM))
@seed(SEED)
@property_settings
@given(data=st.data())
def test_histogram_metrics_list_no_contributors_for_identical_profiles(name, data):
    a = data.draw(datasets_for(name))
    for n, m in computed(compare(a, a), name).items():
        assert m["contributors"] == [], n


@pytest.mark.parametrize("name", sorted(NOT_HISTOGRAM))
def test_metrics_that_are_not_histograms_have_no_contributors(name):
    pair = (Texts(40, (5, 20), (0, 9), None, 1), Texts(60, (5, 80), (0, 49), None, 2))
    if METRICS[name].group == "vision":
        pair = (Images(40, (0.2, 0.4), 3, "float64", None, 1), Images(60, (0.5, 0.7), 3, "float64", None, 2))
    if name in SCORED:
        pair = (Scores(40, 4, "spread", 1), Scores(60, 4, "confident", 2))
    for n, m in computed(compare(*pair), name).items():
        assert m["contributors"] is None, n


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


def _same_class_probabilities() -> dict[str, Any]:
    # every row (0.5, 0.5) against half (1, 0) and half (0, 1): the same per-class mean probabilities
    a = np.full((40, 2), 0.5)
    b = np.repeat(np.eye(2), 200, axis=0)
    return compare_profiles(compute_dataset_profile(a, OUTPUTS, sample_size=None),
                            compute_dataset_profile(b, OUTPUTS, sample_size=None))


@pytest.mark.parametrize(
    "name, witness",
    [("top_tokens_drift", "token_freq_js"), ("channel_mean_distance", "brightness_js"),
     ("class_prob_distance", "confidence_js")],
    ids=["top_tokens_drift", "channel_mean_distance", "class_prob_distance"],
)
def test_metrics_outside_zero_iff_equal_can_be_zero_for_different_data(name, witness):
    assert name in ZERO_FOR_SOME_CHANGES and witness in ZERO_IFF_EQUAL
    r = {"top_tokens_drift": _same_top_tokens, "channel_mean_distance": _same_channel_means,
         "class_prob_distance": _same_class_probabilities}[name]()
    assert computed(r, name)[name]["score"] == 0.0
    assert computed(r, witness)[witness]["score"] > 0.5  # the data do differ


@pytest.mark.parametrize("name", sorted(QUALITY_FEATURES | {"pixel_values_js"}))
def test_image_quality_metrics_can_be_zero_for_different_images(name):
    # flat 4x4 images at 0.50 against 0.52: the same pixel-value bin, sharpness 0, no clipping, one size
    a, b = Images(40, (0.5, 0.5), 3, "float64", None, 1), Images(400, (0.52, 0.52), 3, "float64", None, 2)
    assert name in ZERO_FOR_SOME_CHANGES
    r = compare(a, b)
    assert computed(r, name)[name]["score"] == 0.0
    assert computed(r, "brightness_js")["brightness_js"]["score"] > 0.5  # the data do differ


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
    "scores": Scores(100, 4, "uniform", 1),  # every row (1/4, 1/4, 1/4, 1/4)
}
SPREAD = {
    "text": Texts(400, (5, 80), (0, 49), (0, 1, 2, 3), 2),
    "vision": Images(400, (0.2, 0.4), 3, "float64", (0, 1, 2, 3), 2),  # images around 0.3
    "scores": Scores(400, 4, "spread", 2),  # Dirichlet(1) rows
}


def kind_of(name: str) -> str:
    """The kind of data metric ``name`` is computed on in the explicit cases below."""
    return "scores" if name in SCORED else "vision" if METRICS[name].group == "vision" else "text"


def _feature_pair(name: str, n_low: int, n_high: int) -> tuple[Images, Images]:
    """Images low and high in the feature metric ``name`` sees (float64, 3 channels)."""
    low, high = FEATURE_LOW[name], FEATURE_HIGH[name]
    return (Images(n_low, low.get("levels", (0.2, 0.4)), 3, "float64", (0,), 1,
                   **{k: v for k, v in low.items() if k != "levels"}),
            Images(n_high, high.get("levels", (0.2, 0.4)), 3, "float64", (0, 1, 2, 3), 2,
                   **{k: v for k, v in high.items() if k != "levels"}))


@pytest.mark.parametrize("constant_side", ["ref", "new"], ids=["constant_ref", "constant_new"])
@pytest.mark.parametrize("name", sorted(JS_FAMILY))
def test_a_constant_dataset_against_a_different_one_is_seen(name, constant_side):
    const, spread = _feature_pair(name, 100, 400) if name in FEATURE_LOW else (CONSTANT[kind_of(name)],
                                                                          SPREAD[kind_of(name)])
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
        "scores": (Scores(2000, 4, "confident", 1), Scores(100, 4, "uniform", 2)),
    }
    a, b = pairs[kind_of(name)]
    if name in FEATURE_LOW:
        a, b = _feature_pair(name, 2000, 100)
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
        pytest.param(Scores(40, 3, "spread", 1), Scores(400, 5, "confident", 2), id="scores"),
        pytest.param(Scores(40, 3, "spread", 1), predicting(_T, P), id="scores_ref_class_ids_new"),
    ],
)
def test_expected_metrics_are_the_metrics_compare_computes(ref, new):
    expected = expected_metrics(ref.profile(), new.profile())
    assert len(set(expected)) == len(expected)
    assert set(expected) == set(compare(ref, new)["metrics"])



