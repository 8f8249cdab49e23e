"""The metric registry: the single source of truth for every drift score's name, label, unit,
modality group, default thresholds and meaning. It drives :func:`compare_profiles`, the
dashboard's labels, the CLI table and the README table (``tests/test_docs.py``)."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class MetricInfo:
    """One drift score. ``default_thresholds`` is ``(warn, alert)``, or ``None`` for a metric that
    is informational unless the user gives it thresholds."""

    name: str
    label: str
    unit: str
    group: str  # "text" | "vision" | "outputs"
    default_thresholds: tuple[float, float] | None
    description: str


_JS = (0.1, 0.2)
METRICS: dict[str, MetricInfo] = {
    m.name: m
    for m in [
        MetricInfo("seq_length_js", "Sequence length", "JS distance", "text", _JS,
                   "JS distance between the sequence-length histograms (equal-mass bins of the reference)."),
        MetricInfo("seq_length_kl", "Sequence length (KL)", "bits", "text", None,
                   "KL(ref || new) between the sequence-length histograms, smoothed."),
        MetricInfo("token_freq_js", "Token frequencies", "JS distance", "text", _JS,
                   "JS distance between token shares over the 100 most frequent tokens of both sides pooled, plus one 'other' bucket."),
        MetricInfo("top_tokens_drift", "Top-100 token turnover", "fraction", "text", (0.3, 0.5),
                   "1 - token_overlap: share of the reference's top-100 tokens missing from the new top-100."),
        MetricInfo("channel_{c}_mean_js", "Channel {c} mean", "JS distance", "vision", _JS,
                   "JS distance between the histograms of per-image mean of channel c (0 = red)."),
        MetricInfo("brightness_js", "Brightness", "JS distance", "vision", _JS,
                   "JS distance between the histograms of per-image brightness (mean intensity, [0, 1])."),
        MetricInfo("brightness_kl", "Brightness (KL)", "bits", "vision", None,
                   "KL(ref || new) between the per-image brightness histograms, smoothed."),
        MetricInfo("channel_mean_distance", "Channel-mean distance", "[0, 1] units", "vision", None,
                   "Euclidean distance between the pixel-level channel-mean vectors."),
        MetricInfo("prediction_js", "Predicted classes", "JS distance", "outputs", _JS,
                   "JS distance between the predicted-class histograms."),
        MetricInfo("prediction_kl", "Predicted classes (KL)", "bits", "outputs", None,
                   "KL(ref || new) between the predicted-class histograms, smoothed."),
    ]
}

_CHANNEL = re.compile(r"^channel_(\d+)_mean_js$")
CHANNEL_NAMES = {1: ["gray"], 3: ["red", "green", "blue"], 4: ["red", "green", "blue", "alpha"]}


def channel_name(c: int, n_channels: int) -> str:
    """Plain name of channel ``c``: red/green/blue(/alpha) for RGB(A), gray for 1 channel."""
    names = CHANNEL_NAMES.get(n_channels)
    return names[c] if names else f"channel {c}"


def metric_info(name: str, n_channels: int = 3) -> MetricInfo:
    """Registry entry for ``name`` (a channel metric is expanded from its template).

    Examples
    --------
    >>> metric_info("channel_0_mean_js").label
    'Red channel mean'
    >>> metric_info("nope")
    Traceback (most recent call last):
    ...
    ValueError: unknown metric 'nope'; known: seq_length_js, seq_length_kl, token_freq_js, top_tokens_drift, channel_{c}_mean_js, brightness_js, brightness_kl, channel_mean_distance, prediction_js, prediction_kl
    """
    m = _CHANNEL.match(name)
    if m:
        c = int(m.group(1))
        t = METRICS["channel_{c}_mean_js"]
        label = f"{channel_name(c, n_channels).capitalize()} channel mean" if c < max(n_channels, 1) else f"Channel {c} mean"
        return MetricInfo(name, label, t.unit, t.group, t.default_thresholds, t.description.replace("channel c", f"channel {c}"))
    if name in METRICS and "{" not in name:
        return METRICS[name]
    raise ValueError(f"unknown metric {name!r}; known: {', '.join(METRICS)}")
