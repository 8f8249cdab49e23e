"""Image-quality statistics and metrics: pixel-value histograms, clipped pixels, sharpness, sizes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from drift_core import TaskSpec, compare_profiles, compute_dataset_profile, merge_profiles, validate_profile
from drift_core.image_quality import QUALITY_FIELDS, count_sharpness, image_stats
from drift_core.metrics import expected_metrics

VISION = TaskSpec("vision")
QUALITY_METRICS = ["pixel_values_js", "clipped_share_js", "sharpness_js", "image_height_js", "image_width_js"]


def _profile(images, **kw):
    return compute_dataset_profile(images, VISION, sample_size=None, **kw)


def _textured(n, rng, side=32):
    """Smooth random images with fine detail: a random walk over the rows plus pixel noise."""
    base = rng.uniform(0.2, 0.8, (n, 3, 1, 1))
    noise = rng.normal(0, 0.12, (n, 1, side, side))
    return np.clip(base + noise, 0, 1)


def _box_blur(x):
    """A 3x3 mean filter over the interior (edges kept): blurs without scipy."""
    y = x.copy()
    acc = sum(x[..., 1 + dy : x.shape[-2] - 1 + dy, 1 + dx : x.shape[-1] - 1 + dx]
              for dy in (-1, 0, 1) for dx in (-1, 0, 1))
    y[..., 1:-1, 1:-1] = acc / 9
    return y


def test_uint8_bins_are_the_equal_bins_of_the_unit_interval():
    values = np.arange(256, dtype=np.uint8).reshape(1, 1, 16, 16)
    fast = image_stats(values, False, 0.0, 255.0, True)
    slow = image_stats(values.astype(np.float64) / 255, False, 0.0, 1.0, False)
    assert np.array_equal(fast["shares"], slow["shares"])
    assert fast["shares"][0, 0].tolist() == [1 / 16] * 16  # 16 values in each bin: v >> 4
    assert (fast["low"][0], fast["high"][0]) == (1 / 256, 1 / 256)


def test_a_uint8_image_and_its_float_copy_give_the_same_quality_fields():
    x = np.random.default_rng(1).integers(0, 256, (40, 3, 20, 24), dtype=np.uint8)
    a, b = _profile(x), _profile(x.astype(np.float64) / 255)
    for key in ("clipped_hist", "sharpness_hist", "height_hist", "width_hist"):
        assert a[key] == b[key], key
    assert np.allclose(a["pixel_share_sums"], b["pixel_share_sums"])
    assert a["clipped_high_sum"] == pytest.approx(b["clipped_high_sum"])


@pytest.mark.parametrize("channels_last", [False, True], ids=["channels_first", "channels_last"])
def test_sharpness_is_the_variance_of_the_laplacian_of_the_grey_level(channels_last):
    x = np.random.default_rng(2).integers(0, 256, (5, 3, 9, 11), dtype=np.uint8)
    g = x.astype(np.float64).mean(axis=1) / 255
    lap = 4 * g[:, 1:-1, 1:-1] - g[:, :-2, 1:-1] - g[:, 2:, 1:-1] - g[:, 1:-1, :-2] - g[:, 1:-1, 2:]
    data = np.moveaxis(x, 1, -1).copy() if channels_last else x
    got = image_stats(data, channels_last, 0.0, 255.0, True)["sharpness"]
    assert np.allclose(got, lap.var(axis=(1, 2)), rtol=1e-5)


def test_images_under_3x3_pixels_are_flat():
    p = _profile(np.random.default_rng(3).random((6, 1, 2, 9)))
    assert p["sharpness_hist"][0] == 6


def test_sharpness_bins_are_log_spaced_with_a_flat_bin():
    counts = count_sharpness(np.array([0.0, 5e-8, 1e-7, 10 ** -6.95, 16.0]))
    assert counts[0] == 2 and counts[1] == 1 and counts[2] == 1 and counts[-1] == 1


def test_merged_chunks_equal_the_profile_of_all_images():
    rng = np.random.default_rng(4)
    a = [{"pixel_values": rng.integers(0, 256, (3, h, 16), dtype=np.uint8)} for h in (8, 12, 12, 30)]
    b = [{"pixel_values": rng.integers(0, 256, (3, 16, w), dtype=np.uint8)} for w in (5, 16)]
    whole, merged = _profile(a + b, keep_examples=False), merge_profiles(_profile(a, keep_examples=False),
                                                                        _profile(b, keep_examples=False))
    for key in QUALITY_FIELDS:
        assert np.allclose(np.asarray(whole[key]), np.asarray(merged[key])), key
    assert whole["height_hist"] == merged["height_hist"] and whole["sharpness_hist"] == merged["sharpness_hist"]


def test_quality_fields_are_strict_json():
    p = _profile(np.random.default_rng(5).random((10, 3, 8, 8)))
    assert json.loads(json.dumps(p, allow_nan=False)) == p


def test_a_profile_without_quality_fields_stays_comparable_without_the_quality_metrics():
    p = _profile(np.random.default_rng(6).random((40, 3, 8, 8)))
    old = {k: v for k, v in p.items() if k not in QUALITY_FIELDS}
    validate_profile(old)
    r = compare_profiles(old, p)
    assert not set(QUALITY_METRICS) & set(r["metrics"]) and "brightness_js" in r["metrics"]
    assert set(QUALITY_METRICS) <= set(expected_metrics(p, p))
    assert not set(QUALITY_FIELDS) & set(merge_profiles(old, p))  # merged with an old one: none either


def test_part_of_the_quality_fields_is_a_clear_error():
    p = _profile(np.random.default_rng(7).random((5, 3, 8, 8)))
    del p["sharpness_hist"]
    with pytest.raises(ValueError, match="image-quality fields come together: .* 'sharpness_hist' is missing"):
        validate_profile(p)


def test_a_sharpness_histogram_not_summing_to_n_samples_is_refused():
    p = _profile(np.random.default_rng(8).random((5, 3, 8, 8)))
    p["sharpness_hist"][3] += 1
    with pytest.raises(ValueError, match="'sharpness_hist' must sum to n_samples"):
        validate_profile(p)


def test_blurred_images_alert_on_sharpness_and_say_blurrier():
    rng = np.random.default_rng(9)
    ref, new = _profile(_textured(300, rng)), _profile(_box_blur(_textured(300, rng)))
    m = compare_profiles(ref, new)["metrics"]["sharpness_js"]
    assert m["status"] == "alert"
    assert m["summary"].startswith("images are blurrier: median sharpness")


def test_over_exposed_images_alert_on_clipped_pixels_and_name_the_shares():
    rng = np.random.default_rng(10)
    ref = _textured(300, rng)
    new = np.clip(_textured(300, rng) * 1.6, 0, 1)
    r = compare_profiles(_profile(ref), _profile(new))
    clipped = r["metrics"]["clipped_share_js"]
    assert clipped["status"] == "alert" and r["metrics"]["pixel_values_js"]["status"] == "alert"
    assert clipped["summary"].split(" of pixels clipped")[0].count("->") == 1
    low, high = (float(s.strip("%")) for s in clipped["summary"].split(" of pixels clipped")[0].split(" -> "))
    assert low < 1 < 10 < high


def test_same_images_in_two_random_halves_are_ok_on_every_quality_metric():
    x = _textured(600, np.random.default_rng(11))
    r = compare_profiles(_profile(x[:300]), _profile(x[300:]))
    for name in QUALITY_METRICS:
        assert r["metrics"][name]["status"] == "ok", name
        assert r["metrics"][name]["p_value"] > 0.001, name


def test_a_new_resolution_alerts_on_height_and_width():
    rng = np.random.default_rng(12)
    ref = [{"pixel_values": rng.integers(0, 256, (3, 32, 32), dtype=np.uint8)} for _ in range(200)]
    new = [{"pixel_values": rng.integers(0, 256, (3, 24, 40), dtype=np.uint8)} for _ in range(100)] + ref[:100]
    r = compare_profiles(_profile(ref), _profile(new))
    assert r["metrics"]["image_height_js"]["status"] == "alert"
    assert r["metrics"]["image_width_js"]["summary"] == "width 32 px: 100% -> 50% of images; 40 px: 0% -> 50%"
