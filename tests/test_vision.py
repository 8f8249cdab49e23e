import json

import numpy as np
import pytest
from factories import VISION, images

from drift_core import TaskSpec, compute_dataset_profile


def profile(data, spec=VISION, **kw):
    return compute_dataset_profile(data, spec, sample_size=None, **kw)


STAT_KEYS = ("channel_means", "channel_stds", "brightness_mean")
HIST_KEYS = ("channel_mean_hist", "brightness_hist", "brightness_fine_hist")


def test_uint8_and_float_copies_give_the_same_statistics():
    x = images(40, (0.2, 0.5, 0.8), spread=0.1)
    a, b = profile(x), profile(x.astype(np.float32) / 255)
    for key in STAT_KEYS:
        assert np.allclose(a[key], b[key], atol=1e-6, rtol=0), key
    for key in HIST_KEYS:
        assert a[key] == b[key], key


def test_channel_means_and_stds_are_pixel_level_population_statistics():
    x = images(10, (0.3, 0.6, 0.9))
    p = profile(x)
    f = x.astype(np.float64) / 255
    assert np.allclose(p["channel_means"], f.mean(axis=(0, 2, 3)))
    assert np.allclose(p["channel_stds"], f.std(axis=(0, 2, 3), ddof=0))


def test_histograms_count_images():
    p = profile(images(37))
    assert sum(p["brightness_hist"]) == 37 == p["n_samples"]
    assert all(sum(h) == 37 for h in p["channel_mean_hist"])
    assert p["brightness_edges"] == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]


@pytest.mark.parametrize("layout", ["NCHW", "NHWC", "items_CHW", "items_HWC"])
def test_layouts_give_the_same_profile(layout):
    x = images(12, (0.2, 0.4, 0.6))
    expected = profile(x)
    data = {
        "NCHW": x,
        "NHWC": x.transpose(0, 2, 3, 1),
        "items_CHW": [{"pixel_values": im} for im in x],
        "items_HWC": [{"pixel_values": im.transpose(1, 2, 0)} for im in x],
    }[layout]
    got = profile(data)
    assert np.allclose(got["channel_means"], expected["channel_means"])
    assert got["channel_mean_hist"] == expected["channel_mean_hist"]


def test_ambiguous_layout_is_channels_first_unless_forced():
    x = np.zeros((3, 5, 3), np.uint8)
    x[0] = 255  # channel 0 when channels-first
    assert profile([{"pixel_values": x}])["channel_means"] == [1.0, 0.0, 0.0]
    forced = profile([{"pixel_values": x}], TaskSpec("vision", channels_last=True))
    assert forced["channel_means"] == pytest.approx([1 / 3] * 3)


def test_grayscale_images_have_one_channel():
    p = profile([{"pixel_values": np.full((4, 4), 51, np.uint8)}])
    assert p["n_channels"] == 1 and p["channel_means"] == pytest.approx([0.2])


def test_images_of_different_sizes_are_fine():
    p = profile([{"pixel_values": np.zeros((3, 4, 4), np.uint8)}, {"pixel_values": np.full((3, 8, 2), 255, np.uint8)}])
    assert p["n_samples"] == 2
    assert p["brightness_hist"] == [1, 0, 0, 0, 1]


def test_pixel_range_maps_normalised_tensors():
    x = np.full((2, 3, 4, 4), 0.0, np.float32)  # 0.0 in [-1, 1] is mid-grey
    p = profile(x, TaskSpec("vision", pixel_range=(-1, 1)))
    assert p["channel_means"] == pytest.approx([0.5] * 3)


def test_torch_like_objects_work_through_array_protocol():
    class Tensor:
        def __init__(self, a):
            self.a = a

        def __array__(self, dtype=None, copy=None):
            return self.a

    x = images(5)
    assert profile(Tensor(x))["channel_means"] == profile(x)["channel_means"]


def test_vision_profile_is_strict_json():
    p = profile(images(1))
    assert json.loads(json.dumps(p, allow_nan=False)) == p


@pytest.mark.parametrize(
    "data, match",
    [
        ([{"pixel_values": np.zeros((3, 4, 4))}, {"pixel_values": np.full((3, 4, 4), np.nan)}], "item 1: 'pixel_values' contains NaN"),
        ([{"pixel_values": np.zeros((3, 4, 4))}, {"pixel_values": np.full((3, 4, 4), np.inf)}], "item 1: 'pixel_values' contains NaN or inf"),
        ([{"pixel_values": np.zeros((3, 4, 4))}, {"pixel_values": np.full((3, 4, 4), 2.5)}], r"item 1: 'pixel_values' outside \[0, 1\].*pixel_range"),
        ([{"pixel_values": [[0, 1], [2]]}], "item 0: 'pixel_values' is ragged"),
        ([{"pixel_values": np.zeros((2, 2, 2, 2))}], r"item 0: .*must be \(C,H,W\)"),
        ([{"pixel_values": np.zeros((3, 4, 4), np.uint16)}], "item 0: pixels of dtype uint16 need TaskSpec"),
        ([{"pixel_values": np.zeros((3, 4, 4), np.uint8)}, {"pixel_values": np.zeros((1, 4, 4), np.uint8)}], "channels"),
        ([{"image": np.zeros((3, 4, 4))}], "item 0: missing key 'pixel_values'"),
        ([{"pixel_values": None}], "item 0: 'pixel_values' is missing"),
    ],
    ids=["nan", "inf", "float-out-of-range", "ragged", "wrong-ndim", "uint16-without-range", "channel-mismatch", "missing-key", "none"],
)
def test_bad_images_name_the_item_and_problem(data, match):
    with pytest.raises((ValueError, TypeError), match=match):
        profile(data)


def test_a_signalling_nan_is_named_without_a_numpy_warning():
    """A corrupt float32 file can hold a signalling NaN: casting it to float64 made numpy print
    "invalid value encountered in cast" before the error (seen in the fuzz run)."""
    import warnings

    x = np.zeros((5, 3, 4, 4), np.float32)
    x.view(np.uint32)[2, 0, 1, 1] = 0x7F800001  # exponent all ones, quiet bit clear
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(ValueError, match="item 2: 'pixel_values' contains NaN"):
            profile(x)


def test_nan_in_a_batch_array_names_the_item():
    x = np.zeros((5, 3, 4, 4), np.float32)
    x[3, 1, 2, 2] = np.nan
    with pytest.raises(ValueError, match="item 3: 'pixel_values' contains NaN"):
        profile(x)
