"""Small real datasets for the core tests (plain functions, seeded)."""

from __future__ import annotations

from typing import Any

import numpy as np

from drift_core import TaskSpec, compute_dataset_profile

TEXT = TaskSpec("text")
VISION = TaskSpec("vision")


def sequences(n: int, mean_len: float, sd: float = 10.0, vocab: int = 2000, seed: int = 0,
              offset: int = 0) -> list[dict[str, Any]]:
    """``n`` items with Zipf-distributed token ids and normal lengths (clipped at 0)."""
    rng = np.random.default_rng(seed)
    lengths = np.clip(np.rint(rng.normal(mean_len, sd, n)), 0, None).astype(int)
    return [{"input_ids": (np.minimum(rng.zipf(1.3, k), vocab) - 1 + offset).tolist()} for k in lengths]


def images(n: int, means: tuple[float, ...] = (0.5, 0.5, 0.5), spread: float = 0.03, size: int = 8,
           seed: int = 0) -> np.ndarray:
    """``n`` uint8 images (n, C, size, size) whose per-image channel means scatter around ``means``."""
    rng = np.random.default_rng(seed)
    m = np.asarray(means)[None, :, None, None] + rng.normal(0, spread, (n, len(means), 1, 1))
    x = m + rng.normal(0, 0.05, (n, len(means), size, size))
    return np.clip(np.rint(x * 255), 0, 255).astype(np.uint8)


def text_profile(n: int = 1000, mean_len: float = 120, seed: int = 0, **kw: Any) -> dict[str, Any]:
    return compute_dataset_profile(sequences(n, mean_len, seed=seed, **kw), TEXT, sample_size=None)


def vision_profile(n: int = 500, means: tuple[float, ...] = (0.5, 0.5, 0.5), seed: int = 0) -> dict[str, Any]:
    return compute_dataset_profile(images(n, means, seed=seed), VISION, sample_size=None)


def words_profile(docs: list[str]) -> dict[str, Any]:
    return compute_dataset_profile([{"text": d} for d in docs], TEXT, sample_size=None)
