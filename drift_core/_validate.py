"""Checks shared by the core and the file readers, written once, and the item-level error they raise.

An item-level problem is an :class:`InputError` with the item's position in the dataset (``item``),
the field it is about (``field``, or ``None``) and what is wrong (``reason``); its message reads
``item 17: 'input_ids' holds a negative token id -3``. The file readers map ``item`` to a line,
record or image of the file by attribute (never by parsing the message).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import limits
from .spec import TaskSpec


class InputError(ValueError):
    """An item of a dataset that cannot be profiled: ``"item <item>: '<field>' <reason>"``.

    Examples
    --------
    >>> e = InputError(17, "input_ids", "holds a negative token id -3")
    >>> str(e), e.item, e.detail
    ("item 17: 'input_ids' holds a negative token id -3", 17, "'input_ids' holds a negative token id -3")
    """

    def __init__(self, item: int, field: str | None, reason: str) -> None:
        self.item, self.field, self.reason = int(item), field, reason
        super().__init__(f"item {self.item}: {self.detail}")

    @property
    def detail(self) -> str:
        """The message without its ``item N:`` prefix: what a file reader puts after ``line N:``."""
        return f"{self.field!r} {self.reason}" if self.field else self.reason

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.item, self.field, self.reason))


class InputTypeError(InputError, TypeError):
    """An :class:`InputError` about a value of the wrong type (also a ``TypeError``)."""


def check_predictions(pred: Any, index: NDArray[np.int64], num_classes: int | None = None) -> NDArray[Any]:
    """Predictions checked: (N,) class ids as int64, or (N, K) scores as given.

    ``index[i]`` is the position of row ``i`` in the dataset, the ``item`` of an :class:`InputError`.

    Examples
    --------
    >>> check_predictions([2.0, 0.0], np.arange(2)).tolist()
    [2, 0]
    >>> check_predictions([1, -1], np.array([5, 9]))
    Traceback (most recent call last):
    ...
    drift_core._validate.InputError: item 9: prediction -1 is negative
    """
    try:
        arr = np.asarray(pred)
    except ValueError as e:
        raise ValueError(f"predictions are ragged ({e})") from None
    if arr.dtype == object:
        _first_bad_prediction(arr, index)
        raise ValueError("predictions are ragged or not numeric; expected class ids (N,) or scores (N, K)")
    max_classes = limits.current().max_classes
    if arr.ndim == 2:
        if arr.shape[1] > max_classes:
            raise ValueError(
                f"prediction scores have {arr.shape[1]} columns, more than the limit of {max_classes} classes "
                "(raise it with --limit max_classes=N)"
            )
        if num_classes is not None and arr.shape[1] != num_classes:
            raise ValueError(f"prediction scores have {arr.shape[1]} columns but TaskSpec.num_classes is {num_classes}")
        if arr.dtype.kind == "f":
            bad = np.flatnonzero(~np.isfinite(arr).all(axis=1))
            if len(bad):
                raise InputError(index[bad[0]], None, "prediction scores contain NaN or inf")
        elif arr.dtype.kind not in "iub":
            raise ValueError(f"prediction scores must be numbers, got dtype {arr.dtype}")
        return arr
    if arr.ndim != 1:
        raise ValueError(f"predictions must be class ids (N,) or scores (N, K), got shape {arr.shape}")
    if arr.dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(arr) | (arr != np.floor(arr)))
        if len(bad):
            raise InputError(index[bad[0]], None, f"prediction {arr[bad[0]].item()!r} is not a class id (an integer)")
    elif arr.dtype.kind not in "iu":
        raise ValueError(f"predictions must be integer class ids or float scores, got dtype {arr.dtype}")
    # The size check comes before the cast: ids >= 2**63 (uint64) or 1e300 (float) would wrap.
    over = np.flatnonzero(arr >= max_classes)
    if len(over):
        raise InputError(
            index[over[0]], None,
            f"prediction {_id_text(arr[over[0]])} is above the limit of {max_classes} classes "
            "(raise it with --limit max_classes=N)",
        )
    arr = arr.astype(np.int64)
    neg = np.flatnonzero(arr < 0)
    if len(neg):
        raise InputError(index[neg[0]], None, f"prediction {int(arr[neg[0]])} is negative")
    if num_classes is not None:
        over = np.flatnonzero(arr >= num_classes)
        if len(over):
            raise InputError(index[over[0]], None, f"prediction {int(arr[over[0]])} >= num_classes ({num_classes})")
    return arr


def _first_bad_prediction(arr: NDArray[Any], index: NDArray[np.int64]) -> None:
    """Name the item behind an object array of 1-D predictions: an int too big for int64 (JSON
    ``2**70``) or a value that is not a number. Returns when it finds neither (ragged scores)."""
    if arr.ndim != 1:
        return
    max_classes = limits.current().max_classes
    for i, v in enumerate(arr):
        if isinstance(v, int) and not isinstance(v, bool) and v >= max_classes:
            raise InputError(index[i], None, f"prediction {v} is above the limit of {max_classes} classes "
                                             "(raise it with --limit max_classes=N)")
        if isinstance(v, bool) or not isinstance(v, (int, float, list, np.integer, np.floating)):
            raise InputError(index[i], None, f"prediction {v!r:.40} is not a class id or a list of scores")


def _id_text(v: Any) -> str:
    """A class id as text: an integral float without its ``.0`` (``1e+300`` stays as numpy shows it)."""
    v = v.item()
    return str(int(v)) if isinstance(v, float) and v.is_integer() and abs(v) < 1e18 else repr(v)


def pick_text_field(
    names: Sequence[str], spec: TaskSpec, column: str | None, candidates: Sequence[str], noun: str, kind: str
) -> str:
    """The field / column holding the text data: ``column`` if given, else the ``input_ids`` or
    ``text`` key, else the only one of ``candidates``. Raises ``ValueError`` saying how to choose.

    ``noun`` is "field" or "column"; ``kind`` describes the candidates ("text", "string or list<int>").

    Examples
    --------
    >>> pick_text_field(["id", "review"], TaskSpec("text"), None, ["review"], "field", "text")
    'review'
    """
    if column is not None:
        if column not in names:
            raise ValueError(f"no {noun} {column!r} ({noun}s: {list(names)[:10]})")
        return column
    for key in (spec.input_ids_key, spec.text_key):
        if key in names:
            return key
    if len(candidates) == 1:
        return candidates[0]
    raise ValueError(
        f"no {spec.input_ids_key!r} or {spec.text_key!r} {noun} and no single {kind} {noun} among "
        f"{list(names)[:10]}; name the {noun} with column=/--column"
    )
