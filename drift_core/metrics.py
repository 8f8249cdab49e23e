"""The metric registry: the one place that lists Driftboard's drift scores.

Each :class:`MetricInfo` binds a score's name, label, family (and so its unit), modality group,
default thresholds, properties and plain-words description to the function that computes it.
:func:`compare_profiles` computes exactly :func:`expected_metrics`; the dashboard's labels and
threshold editor, the CLI table and the README table (``tests/test_docs.py``) all read this
registry. Adding a metric = one entry here + its function + a README row.

A per-channel metric is registered once as a template (``channel_{c}_mean_js``) and expands to
one concrete name per image channel.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from . import image_quality, outputs, text, text_health, vision
from ._evaluation import Evaluation, Pair
from .vision import channel_name

Family = Literal["js", "kl", "distance", "turnover", "share"]
Group = Literal["text", "vision", "outputs"]

#: The unit each family's scores are in (shown next to every score).
FAMILY_UNITS: dict[str, str] = {
    "js": "JS distance",
    "kl": "bits",
    "distance": "[0, 1] units",
    "turnover": "fraction",
    "share": "share change",
}
_JS = (0.1, 0.2)
#: Confidence and entropy histograms crowd against 1 (and 0), so a small drop of the mean top-class
#: probability moves a lot of mass: measured (benchmarks/synthetic_scores.py, 100,000 items a side,
#: softmax of t3 logits, K = 10), JS 0.15 is a drop of ~3 points from 0.90, JS 0.3 ~6 points.
_CONFIDENCE_JS = (0.15, 0.3)


@dataclass(frozen=True)
class MetricInfo:
    """One drift score. ``default_thresholds`` is ``(warn, alert)``, or ``None`` for a metric that
    is informational unless the user gives it thresholds. ``symmetric``: the score does not change
    when reference and new data swap; ``bounded``: the score lies in [0, 1]."""

    name: str
    label: str
    family: Family
    group: Group
    default_thresholds: tuple[float, float] | None
    description: str
    symmetric: bool
    bounded: bool
    compute: Callable[..., Evaluation] = field(repr=False, compare=False)
    per_channel: bool = False
    #: a profile field both sides must hold for the metric to be computed (older profiles lack it)
    requires: str | None = None
    #: besides the modality, when the metric applies to a pair of profiles (e.g. a named token id)
    applies: Callable[[Mapping[str, Any], Mapping[str, Any]], bool] | None = field(default=None, repr=False,
                                                                                    compare=False)

    @property
    def unit(self) -> str:
        return FAMILY_UNITS[self.family]


def _health(ref: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    return text_health.has_health(dict(ref), dict(new))


def _names(key: str) -> Callable[[Mapping[str, Any], Mapping[str, Any]], bool]:
    return lambda ref, new: text_health.named_id(dict(ref), dict(new), key) is not None


METRICS: dict[str, MetricInfo] = {
    m.name: m
    for m in [
        MetricInfo("seq_length_js", "Sequence length", "js", "text", _JS,
                   "JS distance between the sequence-length histograms (shared bins of both sides).",
                   True, True, text.length_js),
        MetricInfo("seq_length_kl", "Sequence length (KL)", "kl", "text", None,
                   "KL(ref || new) between the sequence-length histograms, smoothed.",
                   False, False, text.length_kl),
        MetricInfo("token_freq_js", "Token frequencies", "js", "text", _JS,
                   "JS distance between token shares over the 100 most frequent tokens of both sides pooled, "
                   "plus one 'other' bucket.", True, True, text.token_share_js),
        MetricInfo("top_tokens_drift", "Top-100 token turnover", "turnover", "text", (0.3, 0.5),
                   "Share of the top-100 tokens that are in one side's top 100 but not the other's "
                   "(1 - token_overlap).", True, True, text.top_token_turnover),
        MetricInfo("truncation_share", "Truncation", "share", "text", (0.02, 0.05),
                   "Change in the share of sequences at the longest length seen in the reference (its limit), "
                   "|b - a|; with a padding id, lengths without padding.", False, True, text_health.truncation_share,
                   applies=_health),
        MetricInfo("new_vocab_seq_share", "New vocabulary (sequences)", "share", "text", (0.1, 0.25),
                   "Share of new sequences holding a token never seen in the reference, above the share the "
                   "reference predicts from its own rare tokens (leave-one-out).", False, True,
                   text_health.new_vocab_seq_share, applies=_health),
        MetricInfo("new_vocab_token_share", "New vocabulary (tokens)", "share", "text", (0.02, 0.05),
                   "Share of new tokens never seen in the reference, above the reference's own share of tokens "
                   "no other of its sequences holds; tested on sequences.", False, True,
                   text_health.new_vocab_token_share, applies=_health),
        MetricInfo("unk_token_share", "Unknown tokens", "share", "text", (0.005, 0.02),
                   "|b - a| of the unknown-token id's share of all tokens (when TaskSpec names unk_token_id).",
                   False, True, text_health.unk_token_share, applies=_names("unk_token_id")),
        MetricInfo("pad_token_share", "Padding tokens", "share", "text", (0.05, 0.1),
                   "|b - a| of the padding id's share of all tokens (when TaskSpec names pad_token_id).",
                   False, True, text_health.pad_token_share, applies=_names("pad_token_id")),
        MetricInfo("channel_{c}_mean_js", "Channel {c} mean", "js", "vision", _JS,
                   "JS distance between the histograms of per-image mean of channel c (0 = red).",
                   True, True, vision.channel_mean_js, per_channel=True),
        MetricInfo("brightness_js", "Brightness", "js", "vision", _JS,
                   "JS distance between the histograms of per-image brightness (mean intensity, [0, 1]).",
                   True, True, vision.brightness_js),
        MetricInfo("brightness_kl", "Brightness (KL)", "kl", "vision", None,
                   "KL(ref || new) between the per-image brightness histograms, smoothed.",
                   False, False, vision.brightness_kl),
        MetricInfo("channel_mean_distance", "Channel-mean distance", "distance", "vision", None,
                   "Euclidean distance between the pixel-level channel-mean vectors.",
                   True, False, vision.channel_mean_distance),
        # image quality (drift_core.image_quality); thresholds: README "Image quality"
        MetricInfo("pixel_values_js", "Pixel values", "js", "vision", _JS,
                   "JS distance between the mean per-image pixel-value histograms (16 bins of [0, 1], "
                   "channels side by side).", True, True, image_quality.pixel_values_js,
                   requires="pixel_share_sums"),
        MetricInfo("clipped_share_js", "Clipped pixels", "js", "vision", _JS,
                   "JS distance between the histograms of per-image share of values at exactly 0 or 1.",
                   True, True, image_quality.clipped_share_js, requires="clipped_hist"),
        MetricInfo("sharpness_js", "Sharpness", "js", "vision", _JS,
                   "JS distance between the histograms of per-image sharpness (variance of the Laplacian "
                   "of the grey level, log bins).", True, True, image_quality.sharpness_js,
                   requires="sharpness_hist"),
        MetricInfo("image_height_js", "Image height", "js", "vision", _JS,
                   "JS distance between the image-height histograms (pixels).", True, True,
                   image_quality.image_height_js, requires="height_hist"),
        MetricInfo("image_width_js", "Image width", "js", "vision", _JS,
                   "JS distance between the image-width histograms (pixels).", True, True,
                   image_quality.image_width_js, requires="width_hist"),
        MetricInfo("prediction_js", "Predicted classes", "js", "outputs", _JS,
                   "JS distance between the predicted-class histograms.", True, True, outputs.prediction_js),
        MetricInfo("prediction_kl", "Predicted classes (KL)", "kl", "outputs", None,
                   "KL(ref || new) between the predicted-class histograms, smoothed.",
                   False, False, outputs.prediction_kl),
        MetricInfo("confidence_js", "Model confidence", "js", "outputs", _CONFIDENCE_JS,
                   "JS distance between the histograms of the top-class probability (scores only).",
                   True, True, outputs.confidence_js),
        MetricInfo("entropy_js", "Prediction entropy", "js", "outputs", _CONFIDENCE_JS,
                   "JS distance between the histograms of the normalised entropy H / log K of the "
                   "predicted probabilities (scores only).", True, True, outputs.entropy_js),
        MetricInfo("class_prob_distance", "Per-class mean probability", "distance", "outputs", None,
                   "Total variation between the per-class mean probabilities (scores only): the share of "
                   "probability mass that moved between classes.", True, True, outputs.class_prob_distance),
    ]
}

_CHANNEL = re.compile(r"^channel_(\d+)_mean_js$")
#: Metrics of prediction scores: computed when both profiles kept the confidence fields.
_SCORED = frozenset({"confidence_js", "entropy_js", "class_prob_distance"})


def _applies(info: MetricInfo, ref: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    if info.name in _SCORED:
        return outputs.has_scores(ref) and outputs.has_scores(new)
    if info.group == "outputs":
        return "prediction_hist" in ref and "prediction_hist" in new
    if info.requires is not None and not (info.requires in ref and info.requires in new):
        return False
    same = ref.get("modality") == info.group == new.get("modality")
    return same and (info.applies is None or info.applies(ref, new))


def expected_metrics(ref: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """The metric names :func:`compare_profiles` computes for these two profiles, in registry order.

    Examples
    --------
    >>> expected_metrics({"modality": "vision", "n_channels": 1}, {"modality": "vision", "n_channels": 1})
    ['channel_0_mean_js', 'brightness_js', 'brightness_kl', 'channel_mean_distance']
    """
    names: list[str] = []
    for info in METRICS.values():
        if not _applies(info, ref, new):
            continue
        if info.per_channel:
            names += [info.name.format(c=c) for c in range(int(ref.get("n_channels", 3)))]
        else:
            names.append(info.name)
    return names


def evaluate(name: str, pair: Pair) -> Evaluation:
    """Compute metric ``name`` (a concrete name, channel metrics expanded) on a pair of profiles."""
    m = _CHANNEL.match(name)
    if m:
        return METRICS["channel_{c}_mean_js"].compute(pair, int(m.group(1)))
    return METRICS[name].compute(pair)


def metric_info(name: str, n_channels: int = 3) -> MetricInfo:
    """Registry entry for ``name`` (a channel metric is expanded from its template).

    Examples
    --------
    >>> metric_info("channel_0_mean_js").label
    'Red channel mean'
    >>> metric_info("nope")
    Traceback (most recent call last):
    ...
    ValueError: unknown metric 'nope'; known: seq_length_js, seq_length_kl, token_freq_js, top_tokens_drift, truncation_share, new_vocab_seq_share, new_vocab_token_share, unk_token_share, pad_token_share, channel_{c}_mean_js, brightness_js, brightness_kl, channel_mean_distance, pixel_values_js, clipped_share_js, sharpness_js, image_height_js, image_width_js, prediction_js, prediction_kl, confidence_js, entropy_js, class_prob_distance
    """
    m = _CHANNEL.match(name)
    if m:
        c = int(m.group(1))
        t = METRICS["channel_{c}_mean_js"]
        label = f"{channel_name(c, n_channels).capitalize()} channel mean" if c < max(n_channels, 1) else f"Channel {c} mean"
        return MetricInfo(name, label, t.family, t.group, t.default_thresholds,
                          t.description.replace("channel c", f"channel {c}"), t.symmetric, t.bounded, t.compute)
    if name in METRICS and "{" not in name:
        return METRICS[name]
    raise ValueError(f"unknown metric {name!r}; known: {', '.join(METRICS)}")
