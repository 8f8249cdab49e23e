"""Properties every metric must have, checked across the registry (cf. scikit-learn's test_common)."""

import numpy as np
import pytest
from factories import images, sequences

from drift_core import METRICS, TaskSpec, compare_profiles, compute_dataset_profile

JS_METRICS = {n for n, m in METRICS.items() if m.unit == "JS distance"}
BOUNDED_01 = JS_METRICS | {"top_tokens_drift"}
SYMMETRIC = JS_METRICS | {"channel_mean_distance"}
NON_NEGATIVE = set(METRICS)


def _profiles(modality, shift, seed):
    rng = np.random.default_rng(seed)
    preds = rng.choice(3, 200, p=[0.2, 0.3, 0.5] if not shift else [0.5, 0.3, 0.2])
    if modality == "text":
        data = sequences(200, 40 + 30 * shift, seed=seed, offset=50 * shift)
        spec = TaskSpec("text")
    else:
        data = images(200, (0.4 + 0.2 * shift, 0.5, 0.5), spread=0.05, seed=seed)
        spec = TaskSpec("vision")
    return compute_dataset_profile(data, spec, sample_size=None, predictions=preds)


@pytest.fixture(scope="module")
def pairs():
    out = {}
    for modality in ("text", "vision"):
        ref, same, drifted = _profiles(modality, 0, 1), _profiles(modality, 0, 2), _profiles(modality, 1, 3)
        out[modality] = {
            "ref_vs_drifted": compare_profiles(ref, drifted),
            "drifted_vs_ref": compare_profiles(drifted, ref),
            "ref_vs_ref": compare_profiles(ref, ref),
            "ref_vs_same": compare_profiles(ref, same),
        }
    return out


def _template(name):
    return "channel_{c}_mean_js" if name.startswith("channel_") and name.endswith("_mean_js") else name


def _scores(pairs, key):
    for modality in pairs:
        yield from ((n, s) for n, s in pairs[modality][key]["drift_scores"].items())


def test_every_registered_metric_is_computed_somewhere(pairs):
    seen = {_template(n) for m in pairs for n in pairs[m]["ref_vs_ref"]["drift_scores"]}
    assert seen == set(METRICS)


def test_every_metric_is_exactly_zero_for_identical_profiles(pairs):
    assert all(s == 0.0 for _, s in _scores(pairs, "ref_vs_ref"))


def test_every_metric_grows_with_drift(pairs):
    for modality in pairs:
        same = pairs[modality]["ref_vs_same"]["drift_scores"]
        drifted = pairs[modality]["ref_vs_drifted"]["drift_scores"]
        grew = [n for n in drifted if _template(n) != "channel_{c}_mean_js" or n == "channel_0_mean_js"]
        for name in grew:
            assert drifted[name] > same[name], name


@pytest.mark.parametrize("name", sorted(BOUNDED_01))
def test_bounded_metrics_lie_in_unit_interval(pairs, name):
    for n, s in _scores(pairs, "ref_vs_drifted"):
        if _template(n) == name:
            assert 0.0 <= s <= 1.0


@pytest.mark.parametrize("name", sorted(SYMMETRIC))
def test_symmetric_metrics_do_not_depend_on_the_order(pairs, name):
    for modality in pairs:
        a = pairs[modality]["ref_vs_drifted"]["drift_scores"]
        b = pairs[modality]["drifted_vs_ref"]["drift_scores"]
        for n in a:
            if _template(n) == name:
                # the coarse bins are the reference's: symmetric given bins, so compare within noise
                assert a[n] == pytest.approx(b[n], abs=0.15), n


@pytest.mark.parametrize("name", sorted(NON_NEGATIVE))
def test_every_metric_has_a_label_unit_group_and_description(name):
    m = METRICS[name]
    assert m.label and m.unit and m.description
    assert m.group in {"text", "vision", "outputs"}
    if m.default_thresholds is not None:
        warn, alert = m.default_thresholds
        assert 0 <= warn <= alert
