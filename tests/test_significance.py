"""Significance-aware status: no false alarms on small batches, real shifts detected."""

import numpy as np
import pytest
from factories import TEXT, VISION, images, sequences, text_profile, vision_profile

from drift_core import MIN_ITEMS, TaskSpec, compare_profiles, compute_dataset_profile
from drift_core.significance import (
    MIN_EXPECTED,
    NOISE_QUANTILE,
    chi2_cells,
    chi2_homogeneity,
    design_effects,
    empirical_p,
    noise_floor,
)
from drift_core.status import holm

THRESHOLDED_FIELDS = {"score", "status", "threshold_status", "p_value", "p_adjusted", "noise_floor", "n_ref", "n_new", "summary"}


def bursty_docs(n, rng, topic_share=0.3, replace=None):
    """Documents whose topic words cluster within the document (as real prose does)."""
    topics = np.random.default_rng(99).integers(200, 3000, size=(20, 30))
    out = []
    for _ in range(n):
        k = int(rng.integers(60, 180))
        toks = np.minimum(rng.zipf(1.4, k), 3000)
        mask = rng.random(k) < topic_share
        # topics[t][rng.integers(0, 30, m)] is rng.choice(topics[t], size=m), draw for draw, without its set-up
        toks[mask] = topics[rng.integers(20)][rng.integers(0, topics.shape[1], size=int(mask.sum()))]
        if replace is not None:
            toks = np.where(np.isin(toks, replace), toks + 10_000, toks)
        out.append({"input_ids": toks.tolist()})
    return out


def test_no_drift_pairs_at_n_100_rarely_leave_ok():
    rng = np.random.default_rng(0)
    pairs, not_ok, threshold_not_ok = 150, 0, 0
    for i in range(pairs):
        a = compute_dataset_profile(bursty_docs(100, rng), TEXT, sample_size=None)
        b = compute_dataset_profile(bursty_docs(100, rng), TEXT, sample_size=None)
        r = compare_profiles(a, b, seed=i, noise_floors=False)  # statuses only: the same without floors
        not_ok += r["status"] != "ok"
        threshold_not_ok += r["threshold_status"] != "ok"
    assert not_ok / pairs < 0.05
    assert threshold_not_ok / pairs > 0.5  # the threshold-only rule cries wolf on the same pairs


def test_no_drift_image_pairs_at_n_100_rarely_leave_ok():
    not_ok = sum(
        compare_profiles(vision_profile(100, seed=2 * i), vision_profile(100, seed=2 * i + 1), seed=i,
                         noise_floors=False)["status"] != "ok"
        for i in range(150)
    )
    assert not_ok / 150 < 0.05


@pytest.mark.parametrize("shift", ["length", "top_tokens"])
def test_planted_text_shifts_are_detected_at_n_1000(shift):
    rng = np.random.default_rng(1)
    ref = compute_dataset_profile(bursty_docs(1000, rng), TEXT, sample_size=None)
    if shift == "length":
        docs = bursty_docs(1000, rng)
        new_items = [{"input_ids": d["input_ids"] + d["input_ids"][: len(d["input_ids"]) // 5]} for d in docs]
    else:
        new_items = bursty_docs(1000, rng, replace=np.array(ref["top_tokens"][::3][:30]))
    r = compare_profiles(ref, compute_dataset_profile(new_items, TEXT, sample_size=None))
    assert r["status"] != "ok"


def test_planted_red_shift_is_detected_at_n_1000():
    rng = np.random.default_rng(2)
    base = rng.normal(0.45, 0.08, (2000, 3, 1, 1))
    x = np.clip(base + rng.normal(0, 0.1, (2000, 3, 8, 8)), 0, 1)
    y = x[1000:].copy()
    y[:, 0] = np.clip(y[:, 0] + 0.05, 0, 1)
    r = compare_profiles(compute_dataset_profile(x[:1000], VISION), compute_dataset_profile(y, VISION))
    assert r["metric_status"]["channel_0_mean_js"] != "ok"
    assert r["metric_status"]["channel_2_mean_js"] == "ok"


def test_planted_class_share_shift_is_detected_at_n_1000():
    rng = np.random.default_rng(3)
    items = sequences(1000, 5)
    a = compute_dataset_profile(items, TEXT, predictions=rng.choice(2, 1000, p=[0.4, 0.6]))
    b = compute_dataset_profile(items, TEXT, predictions=rng.choice(2, 1000, p=[0.7, 0.3]))
    assert compare_profiles(a, b)["metric_status"]["prediction_js"] != "ok"


def test_identical_profiles_have_p_value_one_and_status_ok():
    p = text_profile(200)
    r = compare_profiles(p, p)
    assert r["status"] == "ok"
    assert {m["p_value"] for m in r["metrics"].values()} == {1.0}


def test_every_thresholded_metric_carries_significance_details():
    r = compare_profiles(vision_profile(60, seed=1), vision_profile(60, seed=2))
    for name in r["metric_status"]:
        m = r["metrics"][name]
        assert THRESHOLDED_FIELDS <= set(m)
        assert 0.0 <= m["p_value"] <= 1.0 and m["noise_floor"] >= 0.0
        assert m["n_ref"] == 60 and m["n_new"] == 60


def test_noise_floor_shrinks_with_sample_size():
    small = compare_profiles(text_profile(50, seed=1), text_profile(50, seed=2))
    large = compare_profiles(text_profile(2000, seed=1), text_profile(2000, seed=2))
    for name in ("seq_length_js", "token_freq_js", "top_tokens_drift"):
        assert large["metrics"][name]["noise_floor"] < small["metrics"][name]["noise_floor"]


def test_a_score_above_threshold_but_within_noise_stays_ok_and_says_why():
    # 40 vs 35 images: per-image brightness JS is large by chance alone
    r = compare_profiles(vision_profile(40, seed=3), vision_profile(35, seed=4))
    crossed = [n for n, m in r["metrics"].items() if m["threshold_status"] not in (None, "ok")]
    assert crossed, "expected a noisy score above its threshold"
    for name in crossed:
        assert r["metrics"][name]["status"] == "ok"
        assert any(w.startswith(f"{name} ") and "within the noise of 40 vs 35 images" in w for w in r["warnings"])


def test_below_the_minimum_sample_a_real_shift_warns_but_never_alerts():
    dark = compute_dataset_profile(images(MIN_ITEMS - 10, (0.1, 0.1, 0.1)), VISION)
    bright = compute_dataset_profile(images(MIN_ITEMS - 10, (0.9, 0.9, 0.9)), VISION)
    r = compare_profiles(dark, bright)
    assert r["status"] == "warn"
    assert r["threshold_status"] == "alert"
    assert "minimum" in r["warnings"][0]


def test_results_are_deterministic_for_a_seed():
    a, b = text_profile(300, seed=1), text_profile(300, 125, seed=2)
    assert compare_profiles(a, b, seed=4) == compare_profiles(a, b, seed=4)


def test_alpha_is_validated_and_recorded():
    p = text_profile(60)
    assert compare_profiles(p, p, alpha=0.05)["alpha"] == 0.05
    with pytest.raises(ValueError, match="alpha"):
        compare_profiles(p, p, alpha=1.5)


def test_plain_words_summaries_exist_for_every_metric():
    r = compare_profiles(text_profile(500, 100, seed=1), text_profile(500, 150, seed=2))
    assert r["metrics"]["seq_length_js"]["summary"].startswith("mean sequence length")
    assert r["metrics"]["top_tokens_drift"]["summary"].endswith("tokens are new")
    assert r["metrics"]["token_freq_js"]["summary"].startswith("largest change:")
    assert r["summary"].startswith("The new data has drifted from the reference")
    v = compare_profiles(vision_profile(100), vision_profile(100, (0.6, 0.5, 0.5), seed=1))
    assert v["metrics"]["brightness_js"]["summary"].startswith("mean brightness")
    assert v["metrics"]["channel_mean_distance"]["summary"].startswith("channel means moved by")


def test_holm_adjusts_in_step_down_order():
    assert holm([0.001, 0.02, 0.04]) == pytest.approx([0.003, 0.04, 0.04])
    assert holm([]) == []


def test_chi2_is_one_for_equal_tables_and_small_for_different_ones():
    assert chi2_homogeneity([10, 20, 30], [20, 40, 60]) == 1.0
    assert chi2_homogeneity([100, 0], [0, 100]) < 1e-10
    assert chi2_homogeneity([60, 40], [40, 60], deff=10.0) > chi2_homogeneity([60, 40], [40, 60])


def test_design_effect_is_one_without_clustering_and_large_with_it():
    # 100 items of 10 tokens; bucket 0 gets either 1 token per item (even) or all 10 in 10 items
    lengths_sumsq = 100 * 10**2
    even = design_effects([100, 900], [100, 81 * 100], [1000, 9000], lengths_sumsq, 100, 1000)
    clustered = design_effects([100, 900], [10 * 100, 90 * 100], [1000, 9000], lengths_sumsq, 100, 1000)
    assert even[1] == pytest.approx(1.0, abs=0.05)
    assert clustered[1] > 5


def test_empirical_p_uses_a_normal_tail_past_the_largest_draw():
    null = np.random.default_rng(0).normal(0.1, 0.01, 200)
    assert empirical_p(0.1, null) > 0.3
    assert empirical_p(0.2, null) < 1e-6


def _manual_paragraphs():
    """Real prose shipped with CPython: the reference manual's help topics, split into paragraphs."""
    import re
    from pydoc_data.topics import topics

    return [p.strip() for t in sorted(topics) for p in re.split(r"\n\s*\n", topics[t]) if len(p.split()) >= 20]


def test_resampled_real_prose_at_n_100_rarely_leaves_ok():
    paras = _manual_paragraphs()
    rng = np.random.default_rng(5)

    def sample():
        return compute_dataset_profile([{"text": paras[j]} for j in rng.choice(len(paras), 100, replace=False)], TEXT)

    results = [compare_profiles(sample(), sample(), seed=i, noise_floors=False) for i in range(100)]
    assert sum(r["status"] != "ok" for r in results) / 100 < 0.05
    assert sum(r["threshold_status"] != "ok" for r in results) / 100 > 0.5


def test_a_change_of_subject_in_real_prose_is_detected_at_n_300():
    paras = _manual_paragraphs()
    half = len(paras) // 2
    rng = np.random.default_rng(6)
    ref = compute_dataset_profile([{"text": paras[j]} for j in rng.choice(half, 300, replace=False)], TEXT)
    new = compute_dataset_profile([{"text": paras[half + j]} for j in rng.choice(len(paras) - half, 300, replace=False)], TEXT)
    assert compare_profiles(ref, new)["status"] != "ok"


def test_one_long_document_cannot_make_its_words_significant():
    # 60 documents of 50 tokens a side; the reference also has one 20,000-token document of a
    # single word: most of its tokens, yet one document out of 61
    rng = np.random.default_rng(0)
    docs = [{"input_ids": rng.integers(0, 200, 50).tolist()} for _ in range(120)]
    ref = compute_dataset_profile(docs[:60] + [{"input_ids": [7] * 20_000}], TaskSpec("text"), sample_size=None)
    new = compute_dataset_profile(docs[60:], TaskSpec("text"), sample_size=None)
    m = compare_profiles(ref, new)["metrics"]["token_freq_js"]
    assert m["score"] > 0.5  # token 7 holds 87% of the reference's tokens
    assert m["p_value"] > 0.01 and m["status"] == "ok"


def test_sparse_cells_merge_until_each_expects_enough_items():
    ref = np.array([1000, 500, 3, 2, 1, 1, 0, 1])
    new = np.array([100, 50, 0, 0, 1, 0, 1, 0])
    cells = chi2_cells(ref, new)
    k = cells.max() + 1
    expected = new.sum() * np.bincount(cells, weights=ref + new, minlength=k) / (ref.sum() + new.sum())
    assert (expected >= MIN_EXPECTED).all() and k >= 2


@pytest.mark.parametrize("n", [1, 2, 3, 50, 199, 200, 201])
def test_noise_floor_is_numpys_quantile_bit_for_bit(n):
    rng = np.random.default_rng(n)
    for null in (rng.random(n), rng.integers(0, 4, n) / 4.0, np.zeros(n), rng.pareto(1.0, n)):
        assert noise_floor(null) == float(np.quantile(null, NOISE_QUANTILE))
    assert np.isnan(noise_floor(np.r_[rng.random(n), np.nan]))
