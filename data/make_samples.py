"""Write the small sample files shipped in drift_core/demo_data/ (deterministic: every array comes from SEED).

Run ``python data/make_samples.py [OUT_DIR]`` (default: ``drift_core/demo_data/``, package data of the
wheel). The files feed ``drift demo``, the README examples, the notebook and the tests.

text_*.jsonl       token ids ({"input_ids": [...]}) from a Zipf vocabulary of 2,000 ids.
                   The drifted batch has ~75% longer sequences and a new topic: 40% of its tokens
                   come from ids 2,000-2,499, unseen in the reference.
text_*_predictions.csv     a "prediction" column, 4 classes; the drifted batch's class mix is reversed.
vision_*.npy       (N, 3, 32, 32) uint8 images: smooth colour gradients plus noise. The drifted
                   batch is darker (x0.6) with a blue cast, like a camera swapped at night.
vision_*_predictions.npy   (N, 10) float32 softmax scores; the drifted batch favours classes 7-9.
words_*.jsonl      raw text ({"text": "..."}): paragraphs (>= 20 words) of the Python reference manual's
                   help topics, ``pydoc_data.topics``, shipped with CPython (real prose, no download).
                   The reference (320) and the ok batch (160) come from the topics of the first half
                   of the alphabet; the drifted batch (160) from the second half: the same writers and
                   style, other subjects. (The topics differ between Python versions; the shipped
                   files were written with Python 3.11.)
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np

SEED = 20240601
OUT = Path(__file__).resolve().parent.parent / "drift_core" / "demo_data"
VOCAB = 2_000
TEXT_SIZES = {"reference": 1_000, "batch_ok": 400, "batch_drifted": 400}
VISION_SIZES = {"reference": 300, "batch_ok": 150, "batch_drifted": 150}


def zipf_tokens(rng: np.random.Generator, n: int, vocab: int, offset: int = 0) -> np.ndarray:
    ranks = np.arange(1, vocab + 1)
    p = 1.0 / ranks**1.1
    return offset + rng.choice(vocab, size=n, p=p / p.sum())


def text_batch(rng: np.random.Generator, n: int, drifted: bool) -> list[list[int]]:
    mean_len = 70 if drifted else 40
    lengths = np.clip(rng.lognormal(np.log(mean_len), 0.35, size=n).astype(int), 3, 400)
    docs = []
    for length in lengths:
        tokens = zipf_tokens(rng, int(length), VOCAB)
        if drifted:
            topic = rng.random(int(length)) < 0.4
            tokens[topic] = zipf_tokens(rng, int(topic.sum()), 500, offset=VOCAB)
        docs.append(tokens.tolist())
    return docs


def class_ids(rng: np.random.Generator, n: int, drifted: bool) -> np.ndarray:
    p = np.array([0.15, 0.2, 0.25, 0.4]) if drifted else np.array([0.4, 0.3, 0.2, 0.1])
    return rng.choice(4, size=n, p=p)


def images(rng: np.random.Generator, n: int, drifted: bool) -> np.ndarray:
    y, x = np.mgrid[0:32, 0:32] / 31.0
    base = rng.uniform(0.3, 0.7, size=(n, 3, 1, 1))
    slope = rng.uniform(-0.25, 0.25, size=(n, 3, 2, 1, 1))
    img = base + slope[:, :, 0] * (x - 0.5) + slope[:, :, 1] * (y - 0.5)
    img = img + rng.normal(0, 0.05, size=img.shape)
    if drifted:
        img = img * 0.6
        img[:, 2] += 0.15
    return np.clip(np.round(img * 255), 0, 255).astype(np.uint8)


def scores(rng: np.random.Generator, n: int, drifted: bool) -> np.ndarray:
    logits = rng.normal(0, 1, size=(n, 10))
    if drifted:
        logits[:, 7:] += 1.5
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


WORDS_SEED = 2
WORDS_SIZES = {"reference": 320, "batch_ok": 160, "batch_drifted": 160}


def manual_paragraphs(first_half: bool) -> list[str]:
    """Paragraphs of >= 20 words of half of the Python manual's help topics (sorted by name)."""
    from pydoc_data.topics import topics

    names = sorted(topics)
    half = names[: len(names) // 2] if first_half else names[len(names) // 2 :]
    return [p.strip() for t in half for p in re.split(r"\n\s*\n", topics[t]) if len(p.split()) >= 20]


def words_batches() -> dict[str, list[str]]:
    rng = np.random.default_rng(WORDS_SEED)
    first, second = manual_paragraphs(True), manual_paragraphs(False)
    perm = rng.permutation(len(first))
    n_ref, n_ok, n_bad = WORDS_SIZES.values()
    return {
        "reference": [first[i] for i in sorted(perm[:n_ref])],
        "batch_ok": [first[i] for i in sorted(perm[n_ref : n_ref + n_ok])],
        "batch_drifted": [second[i] for i in sorted(rng.permutation(len(second))[:n_bad])],
    }


def main(out: Path = OUT) -> None:
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    for name, n in TEXT_SIZES.items():
        drifted = name == "batch_drifted"
        docs = text_batch(rng, n, drifted)
        (out / f"text_{name}.jsonl").write_text("".join(f'{{"input_ids": {d}}}\n'.replace(" ", "") for d in docs))
        preds = class_ids(rng, n, drifted)
        (out / f"text_{name}_predictions.csv").write_text("prediction\n" + "".join(f"{p}\n" for p in preds))
    for name, n in VISION_SIZES.items():
        drifted = name == "batch_drifted"
        np.save(out / f"vision_{name}.npy", images(rng, n, drifted))
        np.save(out / f"vision_{name}_predictions.npy", scores(rng, n, drifted))
    for name, docs in words_batches().items():
        (out / f"words_{name}.jsonl").write_text("".join(json.dumps({"text": d}) + "\n" for d in docs))
    print(f"wrote samples to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
