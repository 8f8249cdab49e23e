"""Image quality: pixel-value histograms, clipped pixels, sharpness and image sizes.

What a camera or a decoding step breaks: exposure (pixel values pile up at 0 or 1), focus
(blur), resolution. Every statistic is computed per image, and the test unit is the image:
pixels inside one image are not independent draws, so no test counts pixels.

Per image (all on the [0, 1] scale, uint8 / 255 or ``TaskSpec.pixel_range``):

* **pixel-value shares**: the share of the image's values of each channel in each of
  :data:`PIXEL_BINS` = 16 equal bins of [0, 1] (last bin closed), read on a fixed grid of about
  :data:`GRID_PIXELS` = 256 pixels (every s-th row and column, ``s = ceil(sqrt(H W / 256))``; all
  pixels up to 16x16). The grid keeps profiling within ~2x of one numpy pass: a per-image
  histogram of every pixel costs ~10 numpy passes (``np.bincount`` of per-image keys), and the
  between-image spread of a share dwarfs the grid's sampling error. For uint8 the bin is
  ``value >> 4`` (identical to ``floor(value / 255 * 16)`` for every value 0..255);
* **clipped share**: the share of the same grid values (all channels) at exactly 0 or exactly 1
  (after rounding to 6 decimals, so a uint8 image and its float copy agree);
* **sharpness**: the variance of the discrete Laplacian of the grey level (mean over channels)
  over the image's interior, ``L = 4 g[i, j] - g[i-1, j] - g[i+1, j] - g[i, j-1] - g[i, j+1]``
  (every pixel of the image, not the grid); images under 3x3 have no interior and count as 0
  ("flat");
* **height and width** in pixels.

What the profile keeps (mergeable sums and counts; see :class:`drift_core.schema.VisionProfile`):
per channel, the sums over images of the 16 shares and of their outer products (the between-image
covariance the pixel test needs); the per-image clipped shares on the 500 fine [0, 1] bins and
the sums of the dark (0) and bright (1) shares; sharpness on the fixed log bins of
:func:`sharpness_edges` (a first bin ``[0, 1e-7)`` for flat images, then 20 bins per decade from
1e-7 to 10^1.25, above the largest possible value 16); heights and widths on the sequence-length
bins (:func:`drift_core.histograms.length_edges`: exact up to 127 pixels, 16 bins per doubling above).

Metrics (:mod:`drift_core.metrics`):

* ``pixel_values_js``: JS distance between the mean per-image pixel-value histograms, all
  channels pooled (the C channel histograms side by side, each holding 1/C of the mass, so
  ``JS^2`` is the mean of the channels' ``JS^2``). p-value: per channel, ``Q = sum_k d_k^2 / V_kk``
  over the 16 bins (``d`` the difference of mean shares, ``V = S (1/n_ref + 1/n_new)`` with ``S``
  the between-image covariance pooled over both sides), referred to ``a F(b, nu)`` with ``a`` and
  ``b`` matching the mean and variance of ``Q`` given the bins' correlation ``R``
  (``b = tr(R)^2 / tr(R^2)``; Satterthwaite), Bonferroni over the channels. Noise floor: mean
  share vectors drawn from ``N(pooled mean, V)``.
* ``clipped_share_js``, ``sharpness_js``, ``image_height_js``, ``image_width_js``: histograms
  over images, scored like every item histogram (coarse bins from both sides, chi-square on image
  counts, bootstrap noise floor, the one-cell rule).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import significance as sig
from ._evaluation import Bins, Evaluation, HistogramComparison, Pair, compare_histograms
from .divergence import js_distance
from .histograms import (
    UNIT_FINE_BINS,
    coarsen,
    count_lengths,
    count_unit,
    group_spans,
    length_edges,
    n_coarse_bins,
    shared_groups,
)

PIXEL_BINS = 16
GRID_PIXELS = 256
#: Pixels per sub-batch of :func:`image_stats`: its temporaries (~1 MB) stay in the CPU cache
#: (2-3x faster than 256 images of 64x64 at once, measured).
_CACHE_PIXELS = 1 << 18
SHARPNESS_DECADE_BINS = 20
SHARPNESS_LOW = -7.0  # log10 of the first edge after the "flat" bin
SHARPNESS_HIGH = 1.25  # log10 of the last edge; the Laplacian of [0, 1] values has variance <= 16

#: The profile fields this module adds (all or none: profiles written before it have none).
QUALITY_FIELDS = ("pixel_share_sums", "pixel_share_cross", "clipped_low_sum", "clipped_high_sum",
                  "clipped_hist", "sharpness_hist", "height_hist", "width_hist")

_LUT = (np.arange(256) >> 4).astype(np.uint8)
_LUT[0], _LUT[255] = PIXEL_BINS, PIXEL_BINS + 1  # the clipped values get categories of their own


@lru_cache(maxsize=1)
def _sharpness_edges() -> tuple[float, ...]:
    k = int(round((SHARPNESS_HIGH - SHARPNESS_LOW) * SHARPNESS_DECADE_BINS))
    return (0.0, *(10 ** (SHARPNESS_LOW + np.arange(k + 1) / SHARPNESS_DECADE_BINS)).tolist())


def sharpness_edges() -> list[float]:
    """Left edges of the sharpness bins; the last edge closes the last bin.

    Bin 0 is ``[0, 1e-7)`` (flat images), then 20 log-spaced bins per decade up to ``10**1.25``.

    Examples
    --------
    >>> e = sharpness_edges()
    >>> len(e), e[0], e[1], round(e[-1], 2)
    (167, 0.0, 1e-07, 17.78)
    """
    return list(_sharpness_edges())


def count_sharpness(values: NDArray[np.floating]) -> NDArray[np.int64]:
    """Count sharpness values on :func:`sharpness_edges` (values rounded to 12 significant digits).

    Examples
    --------
    >>> count_sharpness(np.array([0.0, 1e-9, 0.01, 100.0]))[[0, 101, -1]].tolist()
    [2, 1, 1]
    """
    v = np.asarray(values, dtype=np.float64)
    logs = np.log10(np.maximum(v, 1e-300))
    idx = np.floor(np.round((logs - SHARPNESS_LOW) * SHARPNESS_DECADE_BINS, 6)).astype(np.int64) + 1
    n_bins = len(_sharpness_edges()) - 1
    return np.bincount(np.clip(idx, 0, n_bins - 1), minlength=n_bins).astype(np.int64)


def image_stats(x: NDArray[Any], last: bool, offset: float, scale: float, fast_uint8: bool) -> dict[str, Any]:
    """Per-image quality statistics of a batch of equally shaped images.

    ``x`` is (n, C, H, W), or (n, H, W, C) when ``last``; raw values map to [0, 1] as
    ``(x - offset) / scale`` (already range-checked). ``fast_uint8``: uint8 with the default range.
    Returns ``shares`` (n, C, 16), ``low`` and ``high`` (n,) clipped shares, ``sharpness`` (n,),
    ``height`` and ``width``.
    """
    n = x.shape[0]
    c = x.shape[-1] if last else x.shape[1]
    h, w = (x.shape[1], x.shape[2]) if last else (x.shape[2], x.shape[3])
    step = max(1, _CACHE_PIXELS // (h * w))  # sub-batches whose temporaries stay in the CPU cache
    if n > step:
        parts = [image_stats(x[i : i + step], last, offset, scale, fast_uint8) for i in range(0, n, step)]
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    s = max(1, math.ceil(math.sqrt(h * w / GRID_PIXELS)))
    grid = x[:, ::s, ::s, :] if last else x[:, :, ::s, ::s]
    grid = np.moveaxis(grid, -1, 1).reshape(n * c, -1) if last else grid.reshape(n * c, -1)
    if fast_uint8:
        cat = _LUT[grid].astype(np.intp)
    else:
        v = np.round((grid.astype(np.float64) - offset) / scale, 6)
        cat = np.clip(np.floor(v * PIXEL_BINS), 0, PIXEL_BINS - 1).astype(np.intp)
        cat[v == 0.0] = PIXEL_BINS
        cat[v == 1.0] = PIXEL_BINS + 1
    k = PIXEL_BINS + 2
    cat += (np.arange(n * c, dtype=np.intp) * k)[:, None]
    counts = np.bincount(cat.ravel(), minlength=n * c * k).reshape(n, c, k).astype(np.float64)
    per = grid.shape[1]
    low, high = counts[:, :, PIXEL_BINS].sum(axis=1) / (c * per), counts[:, :, PIXEL_BINS + 1].sum(axis=1) / (c * per)
    counts[:, :, 0] += counts[:, :, PIXEL_BINS]
    counts[:, :, PIXEL_BINS - 1] += counts[:, :, PIXEL_BINS + 1]
    shares = counts[:, :, :PIXEL_BINS] / per
    return {"shares": shares, "low": low, "high": high, "sharpness": _sharpness(x, last, offset, scale, fast_uint8),
            "height": np.full(n, h, dtype=np.int64), "width": np.full(n, w, dtype=np.int64)}


def _sharpness(x: NDArray[Any], last: bool, offset: float, scale: float, fast_uint8: bool) -> NDArray[np.float64]:
    """Variance of the Laplacian of each image's grey level (mean over channels), [0, 1] scale.

    Computed on the batch flattened to one contiguous vector (neighbours at offsets +-1 and +-W),
    then the border positions, where the shifts wrap to the next row or image, are zeroed and left
    out of the counts: numpy runs one long loop per operation instead of one per image row (3-4x
    faster on 64x64 images).
    """
    n = x.shape[0]
    c = x.shape[-1] if last else x.shape[1]
    h, w = (x.shape[1], x.shape[2]) if last else (x.shape[2], x.shape[3])
    if h < 3 or w < 3:
        return np.zeros(n)
    if fast_uint8:  # integer channel sums: exact, and int16 halves the memory traffic of float32
        dt: Any = np.int16 if c <= 8 else np.int32
        g = (x[..., 0] if last else x[:, 0]).astype(dt)
        for j in range(1, c):
            g += x[..., j] if last else x[:, j]
        unit = 255.0 * c
    else:
        dt = np.float64
        g = x.sum(axis=-1 if last else 1, dtype=np.float64) - c * offset
        unit = scale * c
    flat = g.reshape(-1)
    size = len(flat)
    lap = np.zeros(size, dtype=dt)
    mid = lap[w + 1 : size - w - 1]
    np.multiply(flat[w + 1 : size - w - 1], 4, out=mid, casting="unsafe")
    mid -= flat[1 : size - 2 * w - 1]
    mid -= flat[2 * w + 1 : size - 1]
    mid -= flat[w : size - w - 2]
    mid -= flat[w + 2 : size - w]
    img = lap.reshape(n, h, w)
    img[:, [0, -1], :] = 0  # border rows and columns: no Laplacian there
    img[:, :, [0, -1]] = 0
    vals: NDArray[np.floating] = lap.reshape(n, h * w).astype(np.float32 if fast_uint8 else np.float64)
    m = (h - 2) * (w - 2)
    s1 = vals.sum(axis=1, dtype=np.float64)
    s2 = np.einsum("ij,ij->i", vals, vals).astype(np.float64)
    return np.maximum(s2 / m - (s1 / m) ** 2, 0.0) / (unit * unit)


def quality_fields(stats: list[dict[str, Any]]) -> dict[str, Any]:
    """The profile fields from the per-batch results of :func:`image_stats`."""
    def cat(key: str) -> NDArray[Any]:
        return np.concatenate([s[key] for s in stats])
    shares = cat("shares")
    low, high = cat("low"), cat("high")
    return {
        "pixel_share_sums": shares.sum(axis=0).tolist(),
        "pixel_share_cross": np.einsum("ncb,ncd->cbd", shares, shares).tolist(),
        "clipped_low_sum": float(low.sum()),
        "clipped_high_sum": float(high.sum()),
        "clipped_hist": count_unit(low + high, UNIT_FINE_BINS).tolist(),
        "sharpness_hist": count_sharpness(cat("sharpness")).tolist(),
        "height_hist": count_lengths(cat("height")).tolist(),
        "width_hist": count_lengths(cat("width")).tolist(),
    }


def merge_quality(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Add the quality fields of two profiles; none when either lacks them (an older profile)."""
    if not all(k in a and k in b for k in QUALITY_FIELDS):
        return {}
    return {k: (np.asarray(a[k]) + np.asarray(b[k])).tolist() if isinstance(a[k], list) else a[k] + b[k]
            for k in QUALITY_FIELDS}


def has_quality(p: dict[str, Any]) -> bool:
    """Whether a profile carries the image-quality fields (profiles written before them do not)."""
    return all(k in p for k in QUALITY_FIELDS)


# ----------------------------------------------------------------------------- pixel values
def _mean_shares(p: dict[str, Any]) -> NDArray[np.float64]:
    return np.asarray(p["pixel_share_sums"], dtype=np.float64) / p["n_samples"]


def pixel_value_shares(p: dict[str, Any]) -> NDArray[np.float64]:
    """(C, 16) mean per-image share of each pixel-value bin, per channel (each row sums to 1)."""
    return _mean_shares(p)


def _pixel_js(ref: NDArray[np.float64], new: NDArray[np.float64]) -> NDArray[np.float64] | float:
    """JS of (..., C, 16) share arrays, channels side by side (each holding 1/C of the mass)."""
    shape = ref.shape[:-2] + (ref.shape[-2] * ref.shape[-1],)
    return js_distance(np.maximum(ref, 0).reshape(shape), np.maximum(new, 0).reshape(shape))


def _pooled_cov(ref: dict[str, Any], new: dict[str, Any]) -> NDArray[np.float64]:
    """(C, 16, 16) between-image covariance of the share vectors, pooled within the two sides."""
    nr, nn = ref["n_samples"], new["n_samples"]
    mr, mn = _mean_shares(ref), _mean_shares(new)
    # (ref part) + (new part): float addition commutes, so swapping the sides gives the same bits
    within = ((np.asarray(ref["pixel_share_cross"]) - nr * np.einsum("cb,cd->cbd", mr, mr))
              + (np.asarray(new["pixel_share_cross"]) - nn * np.einsum("cb,cd->cbd", mn, mn)))
    return np.asarray(within / max(nr + nn - 2, 1), dtype=np.float64)


def pixel_test(ref: dict[str, Any], new: dict[str, Any],
               rng: np.random.Generator | None) -> tuple[float, float | None]:
    """(p-value, noise floor) of ``pixel_values_js``: see the module docstring (``rng=None``: no floor)."""
    nr, nn = ref["n_samples"], new["n_samples"]
    mr, mn = _mean_shares(ref), _mean_shares(new)
    v = _pooled_cov(ref, new) * (1.0 / nr + 1.0 / nn)
    nu = nr + nn - 2
    special = sig._special()
    p_values = []
    for c in range(len(mr)):
        diag = np.diag(v[c]).copy()
        keep = diag > 1e-18
        d = mr[c] - mn[c]
        if nu < 1 or not keep.any():
            p_values.append(1.0 if np.allclose(d, 0) else 0.0)
            continue
        q = float((d[keep] ** 2 / diag[keep]).sum())
        sd = np.sqrt(diag[keep])
        corr = v[c][np.ix_(keep, keep)] / np.outer(sd, sd)
        tr, tr2 = float(np.trace(corr)), float((corr * corr).sum())
        a, b = tr2 / tr, tr * tr / tr2
        p_values.append(1.0 if q <= 1e-12 else float(special.fdtrc(b, nu, q / (a * b))))
    p = min(1.0, len(p_values) * min(p_values))
    if rng is None:
        return p, None
    # noise floor: mean share vectors of both sides drawn around the pooled mean with covariance V
    pooled = (nr * mr + nn * mn) / (nr + nn)
    vals, vecs = np.linalg.eigh(v)
    root = vecs * np.sqrt(np.maximum(vals, 0.0))[:, None, :]  # (C, 16, 16): V = root root^T
    z = rng.standard_normal((sig.N_BOOTSTRAP,) + pooled.shape)
    d = np.einsum("cbk,nck->ncb", root, z)
    wr, wn = nn / (nr + nn), nr / (nr + nn)  # the pooled mean stays put: nr * ref + nn * new fixed
    null = np.asarray(_pixel_js(pooled + wr * d, pooled - wn * d), dtype=np.float64)
    return p, sig.noise_floor(null)


def _bin_words(b: int) -> str:
    return f"values {b / PIXEL_BINS:.2f}-{(b + 1) / PIXEL_BINS:.2f}"


def pixel_values_js(pair: Pair) -> Evaluation:
    """``pixel_values_js``: JS distance of the mean per-image pixel-value histograms (channels pooled)."""
    ref, new = pair.ref, pair.new
    mr, mn = _mean_shares(ref), _mean_shares(new)
    score = float(_pixel_js(mr, mn))
    p, floor = pixel_test(ref, new, pair.rng("pixel_values_js") if pair.floors else None)
    ar, an = mr.mean(axis=0), mn.mean(axis=0)
    b = int(np.argmax(np.abs(an - ar)))
    summary = f"pixels with {_bin_words(b)}: {ar[b]:.1%} -> {an[b]:.1%} (all channels)"
    # the bins the score is computed on: every (channel, value bin), each channel holding 1/C of the mass
    from .vision import channel_name  # vision imports this module

    c = mr.shape[0]
    labels = [f"{channel_name(ch, c)} {_bin_words(b)}" for ch in range(c) for b in range(PIXEL_BINS)]
    bins = Bins(np.maximum(mr, 0).ravel(), np.maximum(mn, 0).ravel(), labels, "pixel values")
    return Evaluation("pixel_values_js", score, summary, p, floor, ref["n_samples"], new["n_samples"], bins=bins)


# ----------------------------------------------------------------------------- histograms over images
def _fine_comparison(pair: Pair, key: str, label: Any) -> HistogramComparison:
    """The fine histogram ``key`` of both profiles on coarse bins chosen from both sides.

    ``label(lo, hi)`` names the coarse bin spanning occupied fine bins lo..hi."""
    def build() -> HistogramComparison:
        rh, nh = np.asarray(pair.ref[key], dtype=np.int64), np.asarray(pair.new[key], dtype=np.int64)
        groups = shared_groups(rh, nh, n_coarse_bins(int(rh.sum()), int(nh.sum())))
        labels = [label(lo, hi) for lo, hi in group_spans(groups, (rh + nh) > 0)]
        return compare_histograms(coarsen(rh, groups), coarsen(nh, groups), labels)
    return pair.memo(key, build)


def _share_label(lo: int, hi: int) -> str:
    return f"clipped {lo / UNIT_FINE_BINS:.1%}-{(hi + 1) / UNIT_FINE_BINS:.1%}"


def clipped_share(p: dict[str, Any]) -> tuple[float, float]:
    """(dark, bright): mean per-image share of values at exactly 0 and exactly 1."""
    return p["clipped_low_sum"] / p["n_samples"], p["clipped_high_sum"] / p["n_samples"]


def clipped_share_js(pair: Pair) -> Evaluation:
    """``clipped_share_js``: JS distance of the histograms of per-image clipped-pixel share."""
    (rl, rh), (nl, nh) = clipped_share(pair.ref), clipped_share(pair.new)
    summary = f"{rl + rh:.1%} -> {nl + nh:.1%} of pixels clipped (at 0: {rl:.1%} -> {nl:.1%}; at 1: {rh:.1%} -> {nh:.1%})"
    return _fine_comparison(pair, "clipped_hist", _share_label).evaluate(pair, "clipped_share_js", js_distance, summary)


def _sharpness_label(lo: int, hi: int) -> str:
    e = _sharpness_edges()
    return f"sharpness {e[lo]:.2g}-{e[hi + 1]:.2g}"


def median_sharpness(p: dict[str, Any]) -> float:
    """Median per-image sharpness, read from the histogram (geometric centre of the median bin; 0 if flat)."""
    h = np.asarray(p["sharpness_hist"])
    b = int(np.searchsorted(np.cumsum(h), h.sum() / 2))
    e = _sharpness_edges()
    return 0.0 if b == 0 else math.sqrt(e[b] * e[b + 1])


def sharpness_js(pair: Pair) -> Evaluation:
    """``sharpness_js``: JS distance of the per-image sharpness histograms (variance of the Laplacian)."""
    mr, mn = median_sharpness(pair.ref), median_sharpness(pair.new)
    # the medians are read off log bins 12% wide: "blurrier" / "sharper" from two bins apart
    words = "blurrier" if mn < mr * 0.75 else "sharper" if mn > mr / 0.75 else "about as sharp"
    summary = f"images are {words}: median sharpness {mr:.2g} -> {mn:.2g}"
    return _fine_comparison(pair, "sharpness_hist", _sharpness_label).evaluate(pair, "sharpness_js", js_distance, summary)


def _size_words(side: str, ref_hist: list[int], new_hist: list[int]) -> str:
    """The reference's most common size and the size whose share moved most, e.g.
    ``width 32 px: 100% -> 50% of images; 40 px: 0% -> 50%``."""
    r, n = np.asarray(ref_hist, dtype=np.float64), np.asarray(new_hist, dtype=np.float64)
    r, n = r / r.sum(), n / n.sum()
    mode = int(np.argmax(r))
    change = np.abs(n - r)
    change[mode] = -1.0
    moved = int(np.argmax(change))
    words = f"{side} {size_label(mode)} px: {r[mode]:.0%} -> {n[mode]:.0%} of images"
    if change[moved] > 0:
        words += f"; {size_label(moved)} px: {r[moved]:.0%} -> {n[moved]:.0%}"
    return words


def size_label(b: int) -> str:
    """A size bin in pixels: exact below 128 (``64``), a range above (``128-133``)."""
    e = length_edges()
    if b + 1 >= len(e):
        return f">= {e[b]}"
    return f"{e[b]}" if e[b + 1] == e[b] + 1 else f"{e[b]}-{e[b + 1] - 1}"


def _size_metric(pair: Pair, side: str) -> Evaluation:
    key = f"{side}_hist"

    def label(lo: int, hi: int) -> str:
        first, last = size_label(lo), size_label(hi)
        return f"{side} {first} px" if lo == hi else f"{side} {first.split('-')[0]}-{last.split('-')[-1]} px"
    summary = _size_words(side, pair.ref[key], pair.new[key])
    return _fine_comparison(pair, key, label).evaluate(pair, f"image_{side}_js", js_distance, summary)


def image_height_js(pair: Pair) -> Evaluation:
    """``image_height_js``: JS distance of the image-height histograms."""
    return _size_metric(pair, "height")


def image_width_js(pair: Pair) -> Evaluation:
    """``image_width_js``: JS distance of the image-width histograms."""
    return _size_metric(pair, "width")
