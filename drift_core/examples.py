"""A handful of example items kept in a profile, so that a reader can *see* what each side holds.

Drift scores say how much two datasets differ; a few items of each say *how*. A profile keeps the
first few items of its sample (in dataset order, so the same data and seed keep the same ones):

* text: up to :data:`MAX_TEXTS` items, each cut to :data:`MAX_CHARS` characters (raw text as it
  is; token ids written ``#12 #7 ...``);
* vision: up to :data:`MAX_IMAGES` thumbnails of at most :data:`THUMB` x :data:`THUMB` pixels,
  as PNG ``data:`` URIs (8-bit, on the [0, 1] scale the statistics use).

Bounded: a profile grows by at most ~5 x 300 characters or ~6 x 4 kB. The items are a copy of the
data, so opt out for private data: ``TaskSpec(..., keep_examples=False)`` or
``compute_dataset_profile(..., keep_examples=False)``. :func:`merge_examples` keeps the first
profile's examples and tops them up from the second.
"""

from __future__ import annotations

import base64
import struct
import zlib
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import _inputs
from .spec import TaskSpec

MAX_TEXTS = 5
MAX_CHARS = 300
MAX_IMAGES = 6
THUMB = 32
PNG_PREFIX = "data:image/png;base64,"


def _cut(text: str) -> str:
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1].rstrip() + "…"


def _ids_text(ids: Any) -> str:
    """Token ids written ``#12 #7 ...``, cut like a text. Each id takes at least 3 characters
    (``#d`` and a space), so only the first ``MAX_CHARS // 2 + 1`` can show: a 2-million-token
    sequence is not written out to keep 300 characters of it."""
    return _cut(" ".join(f"#{int(t)}" for t in ids[: MAX_CHARS // 2 + 1]))


def _first(values: Any, k: int) -> list[Any]:
    head = values[:k]
    if hasattr(head, "to_pylist"):
        return list(head.to_pylist())
    return [np.asarray(v) if isinstance(v, np.ndarray) else v for v in head]


def png_data_uri(img: NDArray[np.uint8]) -> str:
    """A PNG ``data:`` URI of an (H, W) grey or (H, W, 3) RGB uint8 image (no dependency: zlib only).

    Examples
    --------
    >>> png_data_uri(np.zeros((2, 2), dtype=np.uint8))[:30]
    'data:image/png;base64,iVBORw0K'
    """
    h, w = img.shape[:2]
    color = 2 if img.ndim == 3 else 0
    raw = b"".join(b"\x00" + img[y].tobytes() for y in range(h))

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF)

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    return PNG_PREFIX + base64.b64encode(png).decode("ascii")


def thumbnail(unit: NDArray[np.floating]) -> NDArray[np.uint8]:
    """(C, H, W) values on [0, 1] -> an (h, w[, 3]) uint8 thumbnail of at most THUMB pixels a side
    (block means; the first three channels, or the single grey one)."""
    c, h, w = unit.shape
    step = max(1, -(-max(h, w) // THUMB))
    hh, ww = h // step * step or h, w // step * step or w
    x = unit[:, :hh, :ww]
    if step > 1:
        x = x.reshape(c, hh // step, step, ww // step, step).mean(axis=(2, 4))
    out: NDArray[np.uint8] = np.clip(np.round(x * 255), 0, 255).astype(np.uint8)
    return out[0] if c < 3 else np.moveaxis(out[:3], 0, -1).copy()


def _image_unit(img: NDArray[Any], spec: TaskSpec, last: bool) -> NDArray[np.float64]:
    x = np.asarray(img)
    if x.ndim == 2:
        x = x[None]
    elif last:
        x = np.moveaxis(x, -1, 0)
    if spec.pixel_range is not None:
        low, high = spec.pixel_range
    elif x.dtype == np.uint8:
        low, high = 0.0, 255.0
    else:
        low, high = 0.0, 1.0
    return (x.astype(np.float64) - low) / (high - low)


def collect_examples(sel: _inputs.Selection, spec: TaskSpec, token_kind: str | None = None) -> list[str]:
    """The first few items of ``sel`` as strings: texts, or PNG data URIs of thumbnails."""
    from .vision import _channels_last  # the layout rule the profiler uses

    if spec.modality == "text":
        if sel.kind == "ndarray":
            return [_ids_text(row) for row in sel.source[:MAX_TEXTS]]
        key = spec.text_key if token_kind == "words" else spec.input_ids_key
        values = sel.source if sel.kind in ("arrow_array", "series") else _inputs.column(sel, key)
        out = []
        for v in _first(values, MAX_TEXTS):
            out.append(_cut(v) if isinstance(v, str) else _ids_text(v))
        return out
    if sel.kind == "ndarray":
        arr = sel.source
        imgs = [arr[i] for i in range(min(MAX_IMAGES, len(arr)))]
    else:
        imgs = [np.asarray(v) for v in _first(_inputs.column(sel, spec.pixel_values_key), MAX_IMAGES)]
    out = []
    for img in imgs:
        last = img.ndim == 3 and _channels_last(img.shape, spec)
        out.append(png_data_uri(thumbnail(_image_unit(img, spec, last))))
    return out


def merge_examples(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """``{"examples": ...}`` of a merged profile: ``a``'s, topped up from ``b``'s (or nothing)."""
    if "examples" not in a and "examples" not in b:
        return {}
    limit = MAX_TEXTS if a["modality"] == "text" else MAX_IMAGES
    return {"examples": [*a.get("examples", []), *b.get("examples", [])][:limit]}


def check_examples(profile: dict[str, Any]) -> None:
    """Validate the optional ``examples`` field (a bounded list of strings)."""
    if "examples" not in profile:
        return
    ex = profile["examples"]
    text = profile["modality"] == "text"
    limit = MAX_TEXTS if text else MAX_IMAGES
    if not isinstance(ex, list) or len(ex) > limit or not all(isinstance(e, str) for e in ex):
        raise ValueError(f"field 'examples' must be a list of at most {limit} strings")
    if text and any(len(e) > MAX_CHARS for e in ex):
        raise ValueError(f"field 'examples' holds a text longer than {MAX_CHARS} characters")
    if not text and any(not e.startswith(PNG_PREFIX) or len(e) > 40_000 for e in ex):
        raise ValueError("field 'examples' must hold PNG data URIs of small thumbnails")
