"""Tiles of real photographs for the image-quality calibration: scikit-learn's bundled sample images.

``china.jpg`` and ``flower.jpg`` (427 x 640 RGB, shipped inside scikit-learn, no download) are the
photographs; a batch is ``n`` 64 x 64 tiles at uniformly random positions of either photograph
(both sides of a no-drift pair draw from the same population of tiles). The shifted versions are
made on the whole photograph before cutting: Gaussian blur with sigma 1 pixel
(``scipy.ndimage.gaussian_filter`` per channel), or exposure +30% (values x 1.3, clipped to 255).

scikit-learn is not a Driftboard dependency: ``pip install -e '.[bench]'``. :func:`available`
says whether it is installed.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

TILE = 64


def available() -> bool:
    try:
        import sklearn.datasets  # noqa: F401
    except ImportError:
        return False
    return True


@lru_cache(maxsize=4)
def photographs(variant: str = "original") -> tuple[NDArray[np.uint8], ...]:
    """The two photographs (H, W, 3) uint8, as shipped or shifted (``blur1``, ``exposure+30%``)."""
    from scipy.ndimage import gaussian_filter
    from sklearn.datasets import load_sample_images

    out = []
    for img in load_sample_images().images:
        x = np.asarray(img, dtype=np.float64)
        if variant == "blur1":
            x = gaussian_filter(x, sigma=(1.0, 1.0, 0.0))
        elif variant == "exposure+30%":
            x = x * 1.3
        elif variant != "original":
            raise ValueError(f"unknown variant {variant!r}")
        out.append(np.clip(np.rint(x), 0, 255).astype(np.uint8))
    return tuple(out)


def tiles(n: int, rng: np.random.Generator, variant: str = "original",
          size: tuple[int, int] = (TILE, TILE)) -> NDArray[np.uint8]:
    """``n`` random tiles (64 x 64 unless ``size``), (n, 3, height, width) uint8."""
    photos = photographs(variant)
    which = rng.integers(0, len(photos), n)
    out = np.empty((n, 3, *size), dtype=np.uint8)
    for k, photo in enumerate(photos):
        idx = np.flatnonzero(which == k)
        ys = rng.integers(0, photo.shape[0] - size[0] + 1, len(idx))
        xs = rng.integers(0, photo.shape[1] - size[1] + 1, len(idx))
        windows = np.lib.stride_tricks.sliding_window_view(photo, size, axis=(0, 1))  # (Y, X, 3, h, w)
        out[idx] = windows[ys, xs]
    return out
