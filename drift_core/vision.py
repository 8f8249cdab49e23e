"""Vision: profile images (per-channel pixel statistics, per-image channel means, brightness).

Image-quality statistics (pixel-value histograms, clipped pixels, sharpness, sizes) are computed
in the same pass by :mod:`drift_core.image_quality`.

The statistical unit is the image: histograms count images (per-image channel mean, per-image
brightness = mean intensity over all channels and pixels), so ``sum(brightness_hist) == n_samples``.
``channel_means`` / ``channel_stds`` are pixel-level statistics over the whole dataset (population
std, ddof=0), the numbers people feed to a normalisation transform; both are kept as mergeable
sums of pixels and squared pixels. All values are on the [0, 1] scale: uint8 is divided by 255,
floats must already lie in [0, 1], anything else needs ``TaskSpec.pixel_range``.

Layout: (C, H, W), (H, W, C) or (H, W) per image; ``TaskSpec.channels_last`` forces it. Without it,
a trailing axis of size 1, 3 or 4 means channels-last, unless the leading axis is also of such a
size: then channels-first wins, as in PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import _inputs, image_quality
from ._evaluation import Evaluation, HistogramComparison, Pair, compare_histograms
from ._validate import InputError
from .divergence import js_distance, kl_bits
from .histograms import (
    BRIGHTNESS_EDGES,
    UNIT_FINE_BINS,
    coarsen,
    count_edges,
    count_unit,
    unit_coarse_bins,
)
from .significance import distance_test
from .spec import TaskSpec

_CHANNEL_SIZES = (1, 3, 4)
_CHUNK = 256  # images per reduction chunk (bounded temporary memory)


def _channels_last(shape: tuple[int, ...], spec: TaskSpec) -> bool:
    if spec.channels_last is not None:
        return spec.channels_last
    return shape[-1] in _CHANNEL_SIZES and shape[0] not in _CHANNEL_SIZES


def _pixel_scale(dtype: np.dtype[Any], spec: TaskSpec, item: int) -> tuple[float, float]:
    """(offset, scale) mapping raw pixels to [0, 1] as (x - offset) / scale."""
    if spec.pixel_range is not None:
        low, high = spec.pixel_range
        return low, high - low
    if dtype == np.uint8:
        return 0.0, 255.0
    if dtype.kind == "f":
        return 0.0, 1.0
    if dtype.kind == "b":
        return 0.0, 1.0
    raise InputError(
        item, None, f"pixels of dtype {dtype} need TaskSpec(pixel_range=(low, high)), "
        "e.g. pixel_range=(0, 65535) for uint16"
    )


class _Acc:
    """Running sums over images for one layout group (vectorised per chunk)."""

    def __init__(self) -> None:
        self.means: list[NDArray[np.float64]] = []  # per-image channel means, (n, C)
        self.pos: list[NDArray[np.int64]] = []
        self.sum: NDArray[np.float64] | None = None
        self.sumsq: NDArray[np.float64] | None = None
        self.n_pixels = 0
        self.n_channels: int | None = None
        self.quality: list[dict[str, Any]] = []  # per-chunk image_quality.image_stats

    def add(self, batch: NDArray[Any], last: bool, pos: NDArray[np.int64], spec: TaskSpec) -> None:
        """``batch`` is (n, C, H, W) when ``last`` is False, (n, H, W, C) when True."""
        c = batch.shape[-1] if last else batch.shape[1]
        if self.n_channels is None:
            self.n_channels = c
        elif c != self.n_channels:
            raise InputError(pos[0], None, f"image has {c} channels, earlier images have {self.n_channels}")
        offset, scale = _pixel_scale(batch.dtype, spec, int(pos[0]))
        for start in range(0, len(batch), _CHUNK):
            x = batch[start : start + _CHUNK]
            p = pos[start : start + _CHUNK]
            n = len(x)
            x3 = x.reshape(n, -1, c) if last else x.reshape(n, c, -1)
            axis = 1 if last else 2
            npix = x3.shape[axis]
            if npix == 0:
                raise InputError(p[0], "pixel_values", f"is empty (shape {tuple(x.shape[1:])}, no pixels)")
            if x.dtype == np.uint8 and spec.pixel_range is None:
                s = x3.sum(axis=axis, dtype=np.uint64).astype(np.float64)
                s2 = np.square(x3, dtype=np.uint16).sum(axis=axis, dtype=np.uint64).astype(np.float64)
            else:
                # a signalling NaN (a bit pattern a corrupt float32 file can hold) raises numpy's
                # "invalid value encountered in cast" here; the check below names it instead
                with np.errstate(invalid="ignore"):
                    f = x3.astype(np.float64, copy=False)
                if x.dtype.kind == "f":
                    finite = np.isfinite(f).all(axis=(1, 2))
                    if not finite.all():
                        raise InputError(p[np.flatnonzero(~finite)[0]], "pixel_values", "contains NaN or inf")
                if offset != 0.0:
                    f = f - offset
                lo, hi = f.min(axis=(1, 2)), f.max(axis=(1, 2))
                bad = np.flatnonzero((lo < 0) | (hi > scale))
                if len(bad):
                    i = int(bad[0])
                    rng = f"[{offset:g}, {offset + scale:g}]"
                    raise InputError(
                        p[i], "pixel_values", f"outside {rng} (min {lo[i] + offset:.4g}, max {hi[i] + offset:.4g}); "
                        "pass TaskSpec(pixel_range=(low, high)) for normalised or other-range images"
                    )
                s = f.sum(axis=axis)
                s2 = np.einsum("ijk,ijk->ij", f, f) if not last else np.einsum("ikj,ikj->ij", f, f)
            self.quality.append(image_quality.image_stats(
                x, last, offset, scale, x.dtype == np.uint8 and spec.pixel_range is None))
            s /= scale
            s2 /= scale * scale
            self.means.append(s / npix)
            self.pos.append(p)
            tot, tot2 = s.sum(axis=0), s2.sum(axis=0)
            self.sum = tot if self.sum is None else self.sum + tot
            self.sumsq = tot2 if self.sumsq is None else self.sumsq + tot2
            self.n_pixels += n * npix


def _layout(img: NDArray[Any], spec: TaskSpec, pos: int) -> tuple[NDArray[Any], bool]:
    if img.ndim == 2:
        return img[None], False
    if img.ndim == 3:
        return img, _channels_last(img.shape, spec)
    raise InputError(pos, "pixel_values", f"must be (C,H,W), (H,W,C) or (H,W), got shape {img.shape}")


def profile_vision(sel: _inputs.Selection, spec: TaskSpec) -> dict[str, Any]:
    """Vision fields of a profile (see :class:`drift_core.schema.VisionProfile`)."""
    acc = _Acc()
    if sel.kind == "ndarray":
        arr = sel.source
        if arr.ndim == 3:
            acc.add(arr[:, None], False, sel.index, spec)
        elif arr.ndim == 4:
            acc.add(arr, _channels_last(arr.shape[1:], spec), sel.index, spec)
        else:
            raise ValueError(f"an image array must be (N,C,H,W), (N,H,W,C) or (N,H,W), got shape {arr.shape}")
    else:
        values = _inputs.column(sel, spec.pixel_values_key)
        if hasattr(values, "to_pylist"):
            values = values.to_pylist()
        groups: dict[tuple[Any, ...], list[int]] = {}
        images: list[NDArray[Any]] = []
        for j, (pos, v) in enumerate(zip(sel.index, values, strict=True)):
            if v is None:
                raise InputError(pos, "pixel_values", "is missing (None)")
            try:
                img = np.asarray(v)
            except ValueError as e:
                raise InputError(pos, "pixel_values", f"is ragged ({e})") from None
            if img.dtype == object or img.dtype.kind not in "uifb":
                raise InputError(pos, "pixel_values", f"is ragged or not numeric (dtype {img.dtype})")
            img, last = _layout(img, spec, int(pos))
            images.append(img)
            groups.setdefault((img.shape, img.dtype.str, last), []).append(j)
        for (_, _, last), members in groups.items():
            acc.add(np.stack([images[j] for j in members]), last, sel.index[members], spec)
    order = np.argsort(np.concatenate(acc.pos), kind="stable")
    means = np.concatenate(acc.means)[order]  # (n, C), [0, 1]
    assert acc.sum is not None and acc.sumsq is not None and acc.n_channels is not None
    brightness = means.mean(axis=1)  # equal pixel counts per channel: mean over channels and pixels
    return _vision_fields(
        n_channels=acc.n_channels,
        n_pixels=acc.n_pixels,
        pixel_sums=acc.sum,
        pixel_sumsqs=acc.sumsq,
        image_means=means,
        brightness=brightness,
    ) | image_quality.quality_fields(acc.quality)


def _vision_fields(
    n_channels: int,
    n_pixels: int,
    pixel_sums: NDArray[np.float64],
    pixel_sumsqs: NDArray[np.float64],
    image_means: NDArray[np.float64],
    brightness: NDArray[np.float64],
) -> dict[str, Any]:
    return {
        "n_channels": int(n_channels),
        "n_pixels": int(n_pixels),
        **_channel_moments(pixel_sums, pixel_sumsqs, n_pixels),
        "channel_pixel_sums": pixel_sums.tolist(),
        "channel_pixel_sumsqs": pixel_sumsqs.tolist(),
        "image_mean_sums": image_means.sum(axis=0).tolist(),
        "image_mean_sumsqs": (image_means**2).sum(axis=0).tolist(),
        "channel_mean_hist": [count_unit(image_means[:, c]).tolist() for c in range(n_channels)],
        "brightness_mean": float(brightness.mean()),
        "brightness_sum": float(brightness.sum()),
        "brightness_edges": list(BRIGHTNESS_EDGES),
        "brightness_hist": count_edges(brightness, BRIGHTNESS_EDGES).tolist(),
        "brightness_fine_hist": count_unit(brightness, UNIT_FINE_BINS).tolist(),
    }


def _channel_moments(s: NDArray[np.float64], s2: NDArray[np.float64], n_pixels: int) -> dict[str, list[float]]:
    mean = s / n_pixels
    std = np.sqrt(np.maximum(0.0, s2 / n_pixels - mean * mean))
    return {"channel_means": mean.tolist(), "channel_stds": std.tolist()}


def merge_vision(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Add the vision fields of two profiles with the same channel count."""
    if a["n_channels"] != b["n_channels"]:
        raise ValueError(f"cannot merge profiles with {a['n_channels']} and {b['n_channels']} channels")

    def add(key: str) -> Any:
        return (np.asarray(a[key]) + np.asarray(b[key])).tolist()

    s = np.asarray(a["channel_pixel_sums"]) + np.asarray(b["channel_pixel_sums"])
    s2 = np.asarray(a["channel_pixel_sumsqs"]) + np.asarray(b["channel_pixel_sumsqs"])
    n_pixels = a["n_pixels"] + b["n_pixels"]
    bsum = a["brightness_sum"] + b["brightness_sum"]
    return {
        "n_channels": a["n_channels"],
        "n_pixels": n_pixels,
        **_channel_moments(s, s2, n_pixels),
        "channel_pixel_sums": s.tolist(),
        "channel_pixel_sumsqs": s2.tolist(),
        "image_mean_sums": add("image_mean_sums"),
        "image_mean_sumsqs": add("image_mean_sumsqs"),
        "channel_mean_hist": add("channel_mean_hist"),
        "brightness_mean": bsum / (a["n_samples"] + b["n_samples"]),
        "brightness_sum": bsum,
        "brightness_edges": a["brightness_edges"],
        "brightness_hist": add("brightness_hist"),
        "brightness_fine_hist": add("brightness_fine_hist"),
        **image_quality.merge_quality(a, b),
    }


CHANNEL_NAMES = {1: ["gray"], 3: ["red", "green", "blue"], 4: ["red", "green", "blue", "alpha"]}


def channel_name(c: int, n_channels: int) -> str:
    """Plain name of channel ``c``: red/green/blue(/alpha) for RGB(A), gray for 1 channel."""
    names = CHANNEL_NAMES.get(n_channels)
    return names[c] if names and c < len(names) else f"channel {c}"


def _check_channels(ref: dict[str, Any], new: dict[str, Any]) -> None:
    if ref["n_channels"] != new["n_channels"]:
        raise ValueError(
            f"cannot compare images with {ref['n_channels']} channels (reference) to {new['n_channels']} (new)"
        )


def _unit_histograms(pair: Pair, key: str, rh: NDArray[np.int64], nh: NDArray[np.int64]) -> HistogramComparison:
    """Per-image values on [0, 1] (fine bins) on coarse bins shared by both sides, once per comparison."""
    def build() -> HistogramComparison:
        _check_channels(pair.ref, pair.new)
        groups, edges = unit_coarse_bins(rh, nh)
        labels = [f"values {lo:.3f}-{hi:.3f}" for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
        return compare_histograms(coarsen(rh, groups), coarsen(nh, groups), labels)
    return pair.memo(key, build)


def channel_mean_js(pair: Pair, c: int) -> Evaluation:
    """``channel_{c}_mean_js``: JS distance of the histograms of per-image means of channel c."""
    ref, new = pair.ref, pair.new
    _check_channels(ref, new)
    hist = _unit_histograms(pair, f"channel_{c}", np.asarray(ref["channel_mean_hist"][c]),
                            np.asarray(new["channel_mean_hist"][c]))
    summary = f"{channel_name(c, ref['n_channels'])} channel mean {ref['channel_means'][c]:.2f} -> {new['channel_means'][c]:.2f}"
    return hist.evaluate(pair, f"channel_{c}_mean_js", js_distance, summary)


def _brightness(pair: Pair) -> HistogramComparison:
    return _unit_histograms(pair, "brightness", np.asarray(pair.ref["brightness_fine_hist"]),
                            np.asarray(pair.new["brightness_fine_hist"]))


def _brightness_summary(pair: Pair) -> str:
    return f"mean brightness {pair.ref['brightness_mean']:.2f} -> {pair.new['brightness_mean']:.2f}"


def brightness_js(pair: Pair) -> Evaluation:
    """``brightness_js``: JS distance of the per-image brightness histograms."""
    return _brightness(pair).evaluate(pair, "brightness_js", js_distance, _brightness_summary(pair))


def brightness_kl(pair: Pair) -> Evaluation:
    """``brightness_kl``: KL(ref || new) of the per-image brightness histograms, in bits."""
    return _brightness(pair).evaluate(pair, "brightness_kl", kl_bits, _brightness_summary(pair))


def _image_var(p: dict[str, Any]) -> NDArray[np.float64]:
    """Variance over images of each channel's per-image mean."""
    m = np.asarray(p["image_mean_sums"]) / p["n_samples"]
    return np.maximum(np.asarray(p["image_mean_sumsqs"]) / p["n_samples"] - m * m, 0.0)


def channel_mean_distance(pair: Pair) -> Evaluation:
    """``channel_mean_distance``: Euclidean distance of the pixel-level channel-mean vectors."""
    ref, new = pair.ref, pair.new
    _check_channels(ref, new)
    mr, mn = np.asarray(ref["channel_means"]), np.asarray(new["channel_means"])
    dist = float(np.sqrt(((mr - mn) ** 2).sum()))
    p_val, floor = distance_test(mr, mn, _image_var(ref), _image_var(new), ref["n_samples"], new["n_samples"],
                                 pair.rng("channel_mean_distance") if pair.floors else None)
    return Evaluation("channel_mean_distance", dist, f"channel means moved by {dist:.3f} (Euclidean, [0, 1] scale)",
                      p_val, floor, ref["n_samples"], new["n_samples"])
