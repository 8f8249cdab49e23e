"""The shape of a profile, and the one validator every profile passes through.

Profiles are plain, strict-JSON dicts (``json.loads(json.dumps(p, allow_nan=False)) == p``): no
tuples, no numpy scalars, no int dict keys. The ``TypedDict``s below document their shape for
readers and mypy; :func:`validate_profile` checks it wherever a profile enters (DB, file, upload,
compare, merge).
"""

from __future__ import annotations

import math
from typing import Any, Literal, NotRequired, TypedDict

import numpy as np

from . import limits
from .examples import check_examples
from .histograms import BRIGHTNESS_EDGES, UNIT_FINE_BINS, length_edges
from .image_quality import PIXEL_BINS, QUALITY_FIELDS, sharpness_edges
from .text_health import validate_health

SCHEMA_VERSION = 2
#: A words profile keeps the counts of this many most frequent words, the rest go to "other".
MAX_KEPT_WORDS = 20_000
TOP_K = 100


class CommonProfile(TypedDict):
    schema_version: int
    modality: Literal["text", "vision", "outputs"]  # "outputs": predictions alone
    n_samples: int
    n_total: int | None
    sample_size: int | None
    seed: int
    task: dict[str, Any]
    # outputs (present when predictions were given)
    prediction_hist: NotRequired[list[int]]
    num_classes: NotRequired[int]
    # confidence (present when the predictions were scores (N, K)); see drift_core.outputs
    confidence_hist: NotRequired[list[int]]  # top-class probability, UNIT_FINE_BINS bins on [0, 1]
    entropy_hist: NotRequired[list[int]]  # normalised entropy H / log K, UNIT_FINE_BINS bins on [0, 1]
    confidence_sum: NotRequired[float]
    entropy_sum: NotRequired[float]
    class_prob_sums: NotRequired[list[float]]  # per class: sum over items of p_k (num_classes entries)
    class_prob_sumsqs: NotRequired[list[float]]  # per class: sum over items of p_k^2
    # a few example items (texts, or PNG data URIs of thumbnails); see drift_core.examples
    examples: NotRequired[list[str]]


class TextProfile(CommonProfile):
    token_kind: Literal["ids", "words"]
    seq_length_mean: float
    seq_length_std: float
    seq_length_sum: int
    seq_length_sumsq: int
    n_nonempty: int  # items with at least one token
    seq_weight_sum: float  # sum over those items of w = min(length, 32) / 32 (the share test's weights)
    seq_weight_sumsq: float
    seq_length_edges: list[int]  # left edges of the fine bins; the last bin is open-ended
    seq_length_hist: list[int]
    n_tokens: int
    token_values: list[int] | list[str]  # ids ascending (all of them); words by count desc (<= MAX_KEPT_WORDS)
    token_counts: list[int]
    # per token: sum over items of (item's count)^2, and of count * item length: with the length
    # sums these give each token's design effect (tokens cluster within items)
    token_sq_counts: list[int]
    token_cross_counts: list[int]
    # per token: sum over items of the token's share of the item (count / length), and of its
    # square: the between-item variance of each token's share (heavy-tailed lengths)
    token_share_sums: list[float]  # sum of w s (s: the token's share of an item, w: the item's weight)
    token_share_sumsqs: list[float]  # sum of (w s)^2
    token_share_cross: list[float]  # sum of w^2 s
    token_other_count: int  # words not kept (always 0 for ids), and their summed statistics
    token_other_sq: int
    token_other_cross: int
    token_other_share_sum: float
    token_other_share_sumsq: float
    token_other_share_cross: float
    top_tokens: list[int] | list[str]  # <= 100, most frequent first, ties by token
    top_token_counts: list[int]
    # text health (drift_core.text_health; optional: profiles written before them lack them all)
    health_top_lengths: NotRequired[list[int]]  # <= 32 largest distinct lengths (without padding), descending
    health_top_counts: NotRequired[list[int]]  # sequences of each
    health_pad_id: NotRequired[int | None]  # the padding id left out of those lengths
    health_rare_tokens: NotRequired[list[int] | list[str]]  # tokens held by <= RARE_DF (8) items, ascending
    health_rare_df: NotRequired[list[int]]  # how many items hold each
    health_rare_items: NotRequired[list[int]]  # those items (flat, grouped by token)
    health_rare_counts: NotRequired[list[int]]  # the token's count in each
    health_vocab_sketch: NotRequired[str]  # words only: base64(zlib(packbits)) of 2**20 hashed bits, or ""


class VisionProfile(CommonProfile):
    n_channels: int
    n_pixels: int  # pixels per channel over all images
    channel_means: list[float]  # pixel-level mean per channel, [0, 1] scale
    channel_stds: list[float]  # pixel-level population std per channel
    channel_pixel_sums: list[float]
    channel_pixel_sumsqs: list[float]
    image_mean_sums: list[float]  # per channel: sum over images of the image's channel mean
    image_mean_sumsqs: list[float]
    channel_mean_hist: list[list[int]]  # per channel: per-image channel means on UNIT_FINE_BINS bins
    brightness_mean: float  # mean of per-image brightness
    brightness_sum: float
    brightness_edges: list[float]  # 0, .2, .4, .6, .8, 1
    brightness_hist: list[int]
    brightness_fine_hist: list[int]  # UNIT_FINE_BINS bins on [0, 1]
    # image quality (drift_core.image_quality): all or none; profiles written before them have none
    # (they stay comparable: the quality metrics are then not computed)
    pixel_share_sums: NotRequired[list[list[float]]]  # per channel: sum over images of the 16 bin shares
    pixel_share_cross: NotRequired[list[list[list[float]]]]  # per channel: sum over images of share outer products
    clipped_low_sum: NotRequired[float]  # sum over images of the share of values at exactly 0
    clipped_high_sum: NotRequired[float]  # ... at exactly 1
    clipped_hist: NotRequired[list[int]]  # per-image clipped share (0 or 1) on UNIT_FINE_BINS bins
    sharpness_hist: NotRequired[list[int]]  # per-image variance of the Laplacian, image_quality.sharpness_edges()
    height_hist: NotRequired[list[int]]  # image heights on length_edges()
    width_hist: NotRequired[list[int]]  # image widths on length_edges()


Profile = TextProfile | VisionProfile

_COMMON: dict[str, type | tuple[type, ...]] = {
    "schema_version": int,
    "modality": str,
    "n_samples": int,
    "n_total": (int, type(None)),
    "sample_size": (int, type(None)),
    "seed": int,
    "task": dict,
}
_TEXT: dict[str, type | tuple[type, ...]] = {
    "token_kind": str,
    "seq_length_mean": (int, float),
    "seq_length_std": (int, float),
    "seq_length_sum": int,
    "seq_length_sumsq": int,
    "n_nonempty": int,
    "seq_weight_sum": (int, float),
    "seq_weight_sumsq": (int, float),
    "seq_length_edges": list,
    "seq_length_hist": list,
    "n_tokens": int,
    "token_values": list,
    "token_counts": list,
    "token_other_count": int,
    "token_sq_counts": list,
    "token_cross_counts": list,
    "token_other_sq": int,
    "token_other_cross": int,
    "token_share_sums": list,
    "token_share_sumsqs": list,
    "token_share_cross": list,
    "token_other_share_sum": (int, float),
    "token_other_share_sumsq": (int, float),
    "token_other_share_cross": (int, float),
    "top_tokens": list,
    "top_token_counts": list,
}
_OUTPUTS: dict[str, type | tuple[type, ...]] = {"prediction_hist": list, "num_classes": int}
_VISION: dict[str, type | tuple[type, ...]] = {
    "n_channels": int,
    "n_pixels": int,
    "channel_means": list,
    "channel_stds": list,
    "channel_pixel_sums": list,
    "channel_pixel_sumsqs": list,
    "image_mean_sums": list,
    "image_mean_sumsqs": list,
    "channel_mean_hist": list,
    "brightness_mean": (int, float),
    "brightness_sum": (int, float),
    "brightness_edges": list,
    "brightness_hist": list,
    "brightness_fine_hist": list,
}


def _counts(name: str, value: Any, length: int | None = None) -> None:
    arr = np.asarray(value) if isinstance(value, list) else None
    if arr is None or (len(value) and (arr.ndim != 1 or arr.dtype.kind not in "iu")):
        raise ValueError(f"profile field {name!r} must be a list of ints")
    if len(value) and arr.min() < 0:
        raise ValueError(f"profile field {name!r} holds a negative count")
    if length is not None and len(value) != length:
        raise ValueError(f"profile field {name!r} must have {length} entries, got {len(value)}")


def _floats(name: str, value: Any, length: int) -> None:
    arr = np.asarray(value) if isinstance(value, list) else None
    if (
        arr is None
        or len(value) != length
        or (length and (arr.ndim != 1 or arr.dtype.kind not in "iuf" or not np.isfinite(arr).all()))
    ):
        raise ValueError(f"profile field {name!r} must be a list of {length} finite numbers")


def validate_profile(profile: Any, name: str = "profile") -> None:
    """Check that ``profile`` is a complete profile of a schema this version understands.

    Raises ``ValueError`` naming the missing or bad field (never a bare ``KeyError``).

    Examples
    --------
    >>> validate_profile({"schema_version": 9})
    Traceback (most recent call last):
    ...
    ValueError: profile: schema_version 9 is not supported (this drift_core reads version 2); upgrade driftboard
    """
    if not isinstance(profile, dict):
        raise ValueError(f"{name}: a profile must be a dict, got {type(profile).__name__}")
    bad = _non_finite(profile)
    if bad is not None:
        raise ValueError(f"{name}: field {bad[0]!r} holds {bad[1]!r} (profiles hold finite numbers only)")
    version = profile.get("schema_version")
    if version is None:
        raise ValueError(f"{name}: missing field 'schema_version'")
    if isinstance(version, int) and not isinstance(version, bool) and 1 <= version < SCHEMA_VERSION:
        raise ValueError(
            f"{name}: schema_version {version} was written by an older Driftboard (this one reads version "
            f"{SCHEMA_VERSION}, which adds the statistics the calibrated tests need); profile the data again"
        )
    if not isinstance(version, int) or isinstance(version, bool) or version != SCHEMA_VERSION:
        raise ValueError(
            f"{name}: schema_version {version!r} is not supported (this drift_core reads version "
            f"{SCHEMA_VERSION}); upgrade driftboard"
        )
    modality = profile.get("modality")
    if modality not in ("text", "vision", "outputs"):
        raise ValueError(f"{name}: field 'modality' must be 'text', 'vision' or 'outputs', got {modality!r}")
    fields = {**_COMMON, **{"text": _TEXT, "vision": _VISION, "outputs": _OUTPUTS}[modality]}
    for key, typ in fields.items():
        if key not in profile:
            raise ValueError(f"{name}: missing field {key!r} for a {modality} profile")
        value = profile[key]
        if isinstance(value, bool) or not isinstance(value, typ):
            raise ValueError(f"{name}: field {key!r} has type {type(value).__name__}")
    n = profile["n_samples"]
    if n < 1:
        raise ValueError(f"{name}: n_samples must be >= 1, got {n}")
    try:
        if modality == "text":
            _validate_text(profile, n)
        elif modality == "vision":
            _validate_vision(profile, n)
        if "prediction_hist" in profile:
            _counts("prediction_hist", profile["prediction_hist"])
            if not isinstance(profile.get("num_classes"), int) or profile["num_classes"] != len(profile["prediction_hist"]):
                raise ValueError("profile field 'num_classes' must equal len(prediction_hist)")
            if profile["num_classes"] > limits.current().max_classes:
                raise ValueError(
                    f"profile field 'num_classes' is {profile['num_classes']}, above the limit of "
                    f"{limits.current().max_classes} classes"
                )
            if sum(profile["prediction_hist"]) != n:
                raise ValueError(f"profile field 'prediction_hist' must sum to n_samples ({n})")
            _validate_confidence(profile, n)
        check_examples(profile)
    except ValueError as e:
        raise ValueError(f"{name}: {e}") from None


def _non_finite(profile: dict[str, Any]) -> tuple[str, float] | None:
    """The first top-level field holding a NaN or infinity anywhere inside it (nested lists and
    dicts included), with that value; ``None`` when every float is finite. A flat list of numbers
    costs one ``math.fsum`` (C speed; NaN or inf anywhere makes the sum non-finite), a list of
    strings one type scan; only lists holding lists or dicts are walked (iteratively: no recursion).

    >>> _non_finite({"token_values": ["a", "b"], "channel_mean_hist": [[1, 2], [3.0, float("nan")]]})
    ('channel_mean_hist', nan)
    """
    for key, value in profile.items():
        stack = [value]
        while stack:
            v = stack.pop()
            if isinstance(v, float):
                if not math.isfinite(v):
                    return key, v
            elif isinstance(v, dict):
                stack.extend(v.values())
            elif isinstance(v, list):
                try:
                    if math.isfinite(math.fsum(v)):
                        continue
                except OverflowError:  # finite values whose sum overflows: look at each one
                    pass
                except TypeError:  # not all numbers: nested lists, dicts, strings
                    if set(map(type, v)) != {str}:  # a list of words holds no float: not walked
                        stack.extend(v)
                    continue
                bad = next((x for x in v if isinstance(x, float) and not math.isfinite(x)), None)
                if bad is not None:
                    return key, bad
    return None


def _validate_text(p: dict[str, Any], n: int) -> None:
    if p["token_kind"] not in ("ids", "words"):
        raise ValueError(f"field 'token_kind' must be 'ids' or 'words', got {p['token_kind']!r}")
    if p["seq_length_edges"] != length_edges():
        raise ValueError("field 'seq_length_edges' differs from this version's fixed length bins")
    _counts("seq_length_hist", p["seq_length_hist"], len(p["seq_length_edges"]))
    if sum(p["seq_length_hist"]) != n:
        raise ValueError(f"field 'seq_length_hist' must sum to n_samples ({n})")
    _counts("token_counts", p["token_counts"], len(p["token_values"]))
    _counts("top_token_counts", p["top_token_counts"], len(p["top_tokens"]))
    kinds = "iu" if p["token_kind"] == "ids" else "U"
    for key in ("token_values", "top_tokens"):
        arr = np.asarray(p[key])
        if len(p[key]) and (arr.ndim != 1 or arr.dtype.kind not in kinds):
            want = "int" if kinds == "iu" else "str"
            raise ValueError(f"field {key!r} must hold {want} tokens for token_kind {p['token_kind']!r}")
    if len(p["top_tokens"]) > TOP_K:
        raise ValueError(f"field 'top_tokens' holds more than {TOP_K} tokens")
    if sum(p["token_counts"]) + p["token_other_count"] != p["n_tokens"]:
        raise ValueError("token counts do not add up to 'n_tokens'")
    if p["seq_length_sum"] != p["n_tokens"]:
        raise ValueError("field 'seq_length_sum' must equal 'n_tokens'")
    for key in ("token_sq_counts", "token_cross_counts"):
        _counts(key, p[key], len(p["token_values"]))
    for key in ("token_share_sums", "token_share_sumsqs", "token_share_cross"):
        _floats(key, p[key], len(p["token_values"]))
    for key in ("seq_weight_sum", "seq_weight_sumsq", "token_other_share_sum", "token_other_share_sumsq",
                "token_other_share_cross"):
        _floats(key, [p[key]], 1)
    if not 0 <= p["n_nonempty"] <= n:
        raise ValueError(f"field 'n_nonempty' must lie in [0, n_samples], got {p['n_nonempty']}")
    validate_health(p)


def _validate_vision(p: dict[str, Any], n: int) -> None:
    c = p["n_channels"]
    if c < 1:
        raise ValueError(f"field 'n_channels' must be >= 1, got {c}")
    for key in ("channel_means", "channel_stds", "channel_pixel_sums", "channel_pixel_sumsqs",
                "image_mean_sums", "image_mean_sumsqs"):
        _floats(key, p[key], c)
    if not isinstance(p["channel_mean_hist"], list) or len(p["channel_mean_hist"]) != c:
        raise ValueError(f"field 'channel_mean_hist' must hold one histogram per channel ({c})")
    for i, h in enumerate(p["channel_mean_hist"]):
        _counts(f"channel_mean_hist[{i}]", h, UNIT_FINE_BINS)
        if sum(h) != n:
            raise ValueError(f"field 'channel_mean_hist[{i}]' must sum to n_samples ({n})")
    if p["brightness_edges"] != list(BRIGHTNESS_EDGES):
        raise ValueError(f"field 'brightness_edges' must be {list(BRIGHTNESS_EDGES)}")
    _counts("brightness_hist", p["brightness_hist"], len(BRIGHTNESS_EDGES) - 1)
    _counts("brightness_fine_hist", p["brightness_fine_hist"], UNIT_FINE_BINS)
    for key in ("brightness_hist", "brightness_fine_hist"):
        if sum(p[key]) != n:
            raise ValueError(f"field {key!r} must sum to n_samples ({n})")
    present = [k for k in QUALITY_FIELDS if k in p]
    if present:
        _validate_quality(p, n, c, present)


def _validate_quality(p: dict[str, Any], n: int, c: int, present: list[str]) -> None:
    missing = [k for k in QUALITY_FIELDS if k not in p]
    if missing:
        raise ValueError(f"image-quality fields come together: {present[0]!r} is present but {missing[0]!r} is missing")
    sums = p["pixel_share_sums"]
    if not isinstance(sums, list) or len(sums) != c:
        raise ValueError(f"field 'pixel_share_sums' must hold one list per channel ({c})")
    for i, row in enumerate(sums):
        _floats(f"pixel_share_sums[{i}]", row, PIXEL_BINS)
    cross = p["pixel_share_cross"]
    if not isinstance(cross, list) or len(cross) != c or any(not isinstance(m, list) or len(m) != PIXEL_BINS for m in cross):
        raise ValueError(f"field 'pixel_share_cross' must hold a {PIXEL_BINS}x{PIXEL_BINS} matrix per channel ({c})")
    for i, m in enumerate(cross):
        for j, row in enumerate(m):
            _floats(f"pixel_share_cross[{i}][{j}]", row, PIXEL_BINS)
    for key in ("clipped_low_sum", "clipped_high_sum"):
        value = p[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= n * (1 + 1e-9):
            raise ValueError(f"field {key!r} must be a number in [0, n_samples], got {value!r}")
    for key, length in (("clipped_hist", UNIT_FINE_BINS), ("sharpness_hist", len(sharpness_edges()) - 1),
                        ("height_hist", len(length_edges())), ("width_hist", len(length_edges()))):
        _counts(key, p[key], length)
        if sum(p[key]) != n:
            raise ValueError(f"field {key!r} must sum to n_samples ({n})")


_CONFIDENCE = ("confidence_hist", "entropy_hist", "confidence_sum", "entropy_sum", "class_prob_sums",
               "class_prob_sumsqs")


def _validate_confidence(p: dict[str, Any], n: int) -> None:
    """The confidence fields of scored predictions: all of them or none."""
    present = [key for key in _CONFIDENCE if key in p]
    if not present:
        return
    if len(present) != len(_CONFIDENCE):
        missing = [key for key in _CONFIDENCE if key not in p]
        raise ValueError(f"confidence fields are incomplete: missing {missing}")
    for key in ("confidence_hist", "entropy_hist"):
        _counts(key, p[key], UNIT_FINE_BINS)
        if sum(p[key]) != n:
            raise ValueError(f"field {key!r} must sum to n_samples ({n})")
    for key in ("confidence_sum", "entropy_sum"):
        value = p[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= n * (1 + 1e-9):
            raise ValueError(f"field {key!r} must be a number in [0, n_samples], got {value!r}")
    k = p["num_classes"]
    for key in ("class_prob_sums", "class_prob_sumsqs"):
        _floats(key, p[key], k)
        if len(p[key]) and min(p[key]) < 0:
            raise ValueError(f"field {key!r} holds a negative sum")
