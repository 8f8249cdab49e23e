"""Synthetic but realistic data for benchmarks and calibration (vectorised generators).

Text: a Zipf vocabulary of 5,000 tokens; each document has a log-normal length (median 120) and
a topic whose 40 words make up a quarter of its tokens, so tokens cluster within documents as
in real prose (the reason token-level tests over-alarm). Vision: 3x8x8 uint8 images whose
per-image channel means vary (sd 0.08) around 0.45, with pixel noise. Outputs: class ids.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

VOCAB = 5000
N_TOPICS = 30
TOPIC_WORDS = 40
TOPIC_SHARE = 0.25

_ranks = np.arange(VOCAB)
GLOBAL_P = 1.0 / (_ranks + 2.7) ** 1.1
GLOBAL_P /= GLOBAL_P.sum()
_TOPICS = np.random.default_rng(12345).integers(100, VOCAB, size=(N_TOPICS, TOPIC_WORDS))
#: The planted "30% of the top-100 tokens replaced" shift maps these 30 top tokens to new ids.
REPLACED = np.random.default_rng(7).choice(100, size=30, replace=False)


def doc_lengths(n: int, rng: np.random.Generator, shape: str = "lognormal", scale: float = 1.0) -> np.ndarray:
    """Document lengths: ``lognormal`` (median 120, sigma 0.35), ``lognormal1.5`` (median 60, sigma 1.5),
    ``pareto1.2`` (Pareto alpha 1.2 from 20 tokens, capped at 50,000), ``tail10x`` (the lognormal with
    its longest 10% ten times longer)."""
    if shape == "lognormal1.5":
        raw = rng.lognormal(np.log(60 * scale), 1.5, size=n)
    elif shape == "pareto1.2":
        raw = np.minimum(20 * scale * rng.random(n) ** (-1 / 1.2), 50_000)
    else:
        raw = rng.lognormal(np.log(120 * scale), 0.35, size=n)
        if shape == "tail10x":
            raw = np.where(raw > 120 * scale * np.exp(1.2816 * 0.35), raw * 10, raw)  # above the 90th percentile
    return np.maximum(1, np.rint(raw)).astype(np.int64)


def text_batch(n: int, rng: np.random.Generator, length_scale: float = 1.0, replace_top: bool = False,
               lengths: str = "lognormal") -> pa.ListArray:
    """``n`` token-id sequences as a pyarrow list<int32> column."""
    lengths_ = doc_lengths(n, rng, lengths, length_scale)
    return _documents(lengths_, rng, replace_top)


def padded_batch(n: int, rng: np.random.Generator, width: int = 128) -> np.ndarray:
    """``n`` sequences padded/truncated to ``width`` tokens, as an (n, width) array (pad id 0)."""
    seqs = text_batch(n, rng)
    out = np.zeros((n, width), dtype=np.int64)
    for i, s in enumerate(seqs.to_pylist()):
        s = s[:width]
        out[i, : len(s)] = s
    return out


def _documents(lengths: np.ndarray, rng: np.random.Generator, replace_top: bool) -> pa.ListArray:
    n = len(lengths)
    total = int(lengths.sum())
    doc = np.repeat(np.arange(n), lengths)
    topic = rng.integers(0, N_TOPICS, size=n)[doc]
    tokens = rng.choice(VOCAB, size=total, p=GLOBAL_P)
    from_topic = rng.random(total) < TOPIC_SHARE
    tokens[from_topic] = _TOPICS[topic[from_topic], rng.integers(0, TOPIC_WORDS, size=int(from_topic.sum()))]
    if replace_top:
        remap = np.arange(VOCAB + 30)
        remap[REPLACED] = VOCAB + np.arange(30)
        tokens = remap[tokens]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(tokens.astype(np.int32)))


def image_batch(n: int, rng: np.random.Generator, red_shift: float = 0.0, size: int = 8,
                black_share: float = 0.0) -> np.ndarray:
    """``n`` uint8 images (n, 3, size, size); ``black_share`` of them pure black."""
    means = np.clip(rng.normal(0.45, 0.08, size=(n, 3, 1, 1)), 0.05, 0.95)
    means[:, 0] += red_shift
    pixels = means + rng.normal(0.0, 0.15, size=(n, 3, size, size))
    out = np.clip(np.rint(pixels * 255), 0, 255).astype(np.uint8)
    out[rng.random(n) < black_share] = 0
    return out


def grey_batch(n: int, rng: np.random.Generator, level: float = 0.5, spread: float = 0.0, size: int = 8) -> np.ndarray:
    """``n`` uniform images (every pixel one value) around ``level``; ``spread`` = sd across images."""
    v = np.clip(level + spread * rng.standard_normal(n), 0, 1)
    return np.broadcast_to(np.rint(v * 255).astype(np.uint8)[:, None, None, None], (n, 3, size, size)).copy()


def zipf_classes(n: int, rng: np.random.Generator, k: int = 1000) -> np.ndarray:
    """``n`` class ids over ``k`` Zipf-shaped classes (share of class j proportional to 1 / (j + 1))."""
    p = 1.0 / np.arange(1, k + 1)
    return rng.choice(k, size=n, p=p / p.sum())


def prediction_batch(n: int, rng: np.random.Generator, shares: tuple[float, ...] = (0.4, 0.6)) -> np.ndarray:
    """``n`` predicted class ids with the given class shares."""
    return rng.choice(len(shares), size=n, p=np.asarray(shares))
