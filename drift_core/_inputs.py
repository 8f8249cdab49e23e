"""Turn the many shapes a dataset comes in into a sampled selection, and pull columns out of it.

Supported: a sequence or iterable of mappings, a numpy array (or anything with ``__array__``,
e.g. a torch tensor), a pandas DataFrame / Series, a pyarrow Table / Array / ChunkedArray, and a
Hugging Face ``datasets.Dataset`` (duck-typed, never imported here). Sampling is uniform without
replacement, seeded: ``numpy.random.default_rng(seed).choice(n, k, replace=False)``, kept in
dataset order; an iterable without ``len`` is reservoir-sampled (Algorithm R) with the same rng.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._validate import InputError, InputTypeError


@dataclass
class Selection:
    """The sampled part of a dataset.

    ``kind`` is one of "items" (list of mappings), "ndarray", "arrow_table", "arrow_array",
    "frame" (pandas DataFrame), "series" (pandas Series). ``index`` holds each selected item's
    position in the original dataset (used in error messages and to align predictions).
    """

    kind: str
    source: Any
    index: NDArray[np.int64]
    n_total: int | None

    def __len__(self) -> int:
        return len(self.index)


def _module(x: Any) -> str:
    return type(x).__module__.split(".")[0]


def _is_pandas(x: Any) -> bool:
    return _module(x) == "pandas"


def _is_arrow(x: Any) -> bool:
    return _module(x) == "pyarrow"


def _is_hf_dataset(x: Any) -> bool:
    return _module(x) == "datasets" and hasattr(x, "with_format") and hasattr(x, "select")


def _choose(n: int, sample_size: int | None, seed: int) -> NDArray[np.int64]:
    if sample_size is None or n <= sample_size:
        return np.arange(n, dtype=np.int64)
    idx = np.random.default_rng(seed).choice(n, size=sample_size, replace=False)
    return np.sort(idx).astype(np.int64)


def check_sample_size(sample_size: Any) -> None:
    if sample_size is not None and (
        isinstance(sample_size, bool) or not isinstance(sample_size, (int, np.integer)) or sample_size < 1
    ):
        raise ValueError(f"sample_size must be a positive int or None (every item), got {sample_size!r}")


def select(dataset: Any, sample_size: int | None, seed: int) -> Selection:
    """Sample ``dataset`` (see module docstring) and report its total size when known."""
    check_sample_size(sample_size)
    if dataset is None:
        raise TypeError("dataset is None: pass a sequence of items, an array, a DataFrame or a pyarrow Table")
    if isinstance(dataset, (str, bytes, Mapping)):
        raise TypeError(
            f"dataset must be a collection of items, got a {type(dataset).__name__}; "
            "wrap a single item in a list"
        )
    if _is_hf_dataset(dataset):
        n = len(dataset)
        idx = _choose(n, sample_size, seed)
        sub = dataset if len(idx) == n else dataset.select(idx.tolist())
        return Selection("arrow_table", sub.with_format("arrow")[:], idx, n)
    if _is_arrow(dataset):
        n = len(dataset)
        idx = _choose(n, sample_size, seed)
        import pyarrow as pa

        sub = dataset if len(idx) == n else dataset.take(pa.array(idx))
        kind = "arrow_table" if hasattr(sub, "column_names") else "arrow_array"
        return Selection(kind, sub, idx, n)
    if _is_pandas(dataset):
        n = len(dataset)
        idx = _choose(n, sample_size, seed)
        sub = dataset if len(idx) == n else dataset.iloc[idx]
        return Selection("frame" if hasattr(dataset, "columns") else "series", sub, idx, n)
    if isinstance(dataset, np.ndarray) or (hasattr(dataset, "__array__") and not isinstance(dataset, (list, tuple))):
        arr = np.asarray(dataset)
        if arr.dtype == object:
            items = list(arr)
            idx = _choose(len(items), sample_size, seed)
            return Selection("items", [items[i] for i in idx], idx, len(items))
        if arr.ndim == 0:
            raise TypeError("dataset is a 0-d array; expected one row per item")
        idx = _choose(len(arr), sample_size, seed)
        return Selection("ndarray", arr if len(idx) == len(arr) else arr[idx], idx, len(arr))
    if hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__"):
        n = len(dataset)
        idx = _choose(n, sample_size, seed)
        if isinstance(dataset, list) and len(idx) == n:
            return Selection("items", dataset, idx, n)
        return Selection("items", [dataset[int(i)] for i in idx], idx, n)
    if isinstance(dataset, Iterable):
        return _reservoir(dataset, sample_size, seed)
    raise TypeError(f"cannot read a dataset of type {type(dataset).__name__}")


def _reservoir(items: Iterable[Any], k: int | None, seed: int) -> Selection:
    """Uniform sample of ``k`` items from an iterable of unknown length (Algorithm R), in order."""
    if k is None:
        kept = list(items)
        return Selection("items", kept, np.arange(len(kept), dtype=np.int64), len(kept))
    rng = np.random.default_rng(seed)
    kept, pos = [], []
    n = 0
    for n, item in enumerate(items, start=1):  # noqa: B007 - n is the count afterwards
        if n <= k:
            kept.append(item)
            pos.append(n - 1)
        else:
            j = int(rng.integers(0, n))
            if j < k:
                kept[j] = item
                pos[j] = n - 1
    order = np.argsort(pos)
    return Selection("items", [kept[i] for i in order], np.asarray(pos, dtype=np.int64)[order], n)


def has_column(sel: Selection, key: str) -> bool:
    """Whether the selection carries ``key`` (in every item for lists of mappings: in the first)."""
    if sel.kind == "items":
        return len(sel.source) > 0 and isinstance(sel.source[0], Mapping) and key in sel.source[0]
    if sel.kind in ("arrow_table", "frame"):
        names = sel.source.column_names if sel.kind == "arrow_table" else list(sel.source.columns)
        return key in names
    return False


def column(sel: Selection, key: str) -> Any:
    """The values of ``key``: a list (items), the array itself, an arrow column or a pandas Series."""
    if sel.kind == "items":
        out = []
        for pos, item in zip(sel.index, sel.source, strict=True):
            if not isinstance(item, Mapping):
                raise InputTypeError(pos, None, f"expected a mapping with key {key!r}, got {type(item).__name__}")
            if key not in item:
                raise InputError(pos, None, f"missing key {key!r} (keys: {sorted(map(str, item))[:8]})")
            out.append(item[key])
        return out
    if sel.kind in ("arrow_table", "frame"):
        names = sel.source.column_names if sel.kind == "arrow_table" else list(sel.source.columns)
        if key not in names:
            raise ValueError(f"dataset has no column {key!r}; columns are {names}")
        return sel.source.column(key) if sel.kind == "arrow_table" else sel.source[key]
    return sel.source
