"""Predictions in their own file: ``.csv`` / ``.tsv`` or ``.npy``, one row per record of the data.

A CSV gives class ids from ``column`` (or the ``prediction`` column, or its only column), and
otherwise scores from all of its columns, one per class. An ``.npy`` holds (N,) class ids or
(N, K) scores. Values are checked by the one check the core uses
(:func:`drift_core._validate.check_predictions`), its errors named by line (CSV) or row (``.npy``).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._validate import InputError, check_predictions
from ..outputs import check_probability_rows
from ._common import InMemoryFile, Source
from .arrays import load_npy
from .tables import csv_rows, delimiter_of, parse_class_cell

PREDICTION_SUFFIXES = (".csv", ".tsv", ".npy")


def check_file_predictions(arr: NDArray[Any], source: Source, lines: NDArray[np.int64] | None = None,
                           scores: str = "probabilities") -> NDArray[Any]:
    """``check_predictions`` on a whole file's predictions; row ``i`` is named ``line lines[i]``
    when ``lines`` is given, else ``row i + 1``. Score rows must be probabilities unless ``scores``
    is ``"logits"`` (``TaskSpec.scores``)."""
    if arr.dtype.hasobject or arr.dtype.kind not in "uif":
        raise source.err(f"predictions must be numeric, got dtype {arr.dtype}")
    if arr.ndim not in (1, 2) or len(arr) == 0:
        raise source.err(f"predictions must be class ids (N,) or scores (N, K) with N >= 1, got shape {arr.shape}")
    try:
        checked = check_predictions(arr, np.arange(len(arr), dtype=np.int64))
        if checked.ndim == 2 and scores != "logits":
            check_probability_rows(checked, np.arange(len(arr), dtype=np.int64))
        return checked
    except InputError as e:
        if lines is not None:
            raise source.err(e.detail, line=int(lines[e.item])) from None
        raise source.err(e.detail, record=e.item + 1, unit="row") from None


def _parse_score(cell: str, col: str) -> float:
    try:
        v = float(cell)
    except ValueError:
        raise ValueError(f"column {col!r} must be a number (a score), got {cell!r:.40}") from None
    if not math.isfinite(v):
        raise ValueError(f"column {col!r} is {cell}")
    return v


def _read_csv(source: Source, column: str | None, prediction_key: str, scores: str) -> NDArray[Any]:
    rows: list[Any] = []
    lines: list[int] = []
    try:
        with source.open_text() as f:
            reader = csv_rows(f, delimiter_of(source))
            header = next(reader, None)
            if not header:
                raise source.err("empty file (no header row)")
            if column is not None and column not in header:
                raise source.err(f"no column {column!r} (columns: {header[:10]})", line=1)
            col = column if column is not None else prediction_key if prediction_key in header else None
            if col is None and len(header) == 1:
                col = header[0]
            for row in reader:
                if not row:
                    continue
                line = reader.line_num
                if len(row) != len(header):
                    raise source.err(f"expected {len(header)} fields (as in the header), got {len(row)}", line=line)
                try:
                    if col is not None:
                        rows.append(parse_class_cell(row[header.index(col)], col))
                    else:
                        rows.append([_parse_score(v, name) for v, name in zip(row, header, strict=True)])
                except ValueError as e:
                    raise source.err(str(e), line=line) from None
                lines.append(line)
    except csv.Error as e:
        raise source.err(f"malformed CSV ({e})") from None
    except UnicodeDecodeError:
        raise source.err("not valid UTF-8") from None
    if not rows:
        raise source.err("no predictions (only a header row)")
    arr = np.asarray(rows, dtype=np.int64 if col is not None else np.float64)
    return check_file_predictions(arr, source, np.asarray(lines, dtype=np.int64), scores)


def read_predictions(
    path: str | Path | InMemoryFile, column: str | None = None, prediction_key: str = "prediction",
    scores: str = "probabilities",
) -> NDArray[Any]:
    """Predictions from ``.csv`` / ``.tsv`` or ``.npy``: (N,) int64 class ids or (N, K) float64 scores.

    ``path`` may be an :class:`InMemoryFile` (an upload's name and bytes). Score rows must be
    probabilities (non-negative, summing to 1) unless ``scores="logits"`` (``TaskSpec.scores``).

    Raises
    ------
    DataFileError
        Naming the file, the line (CSV) or row (``.npy``) and the problem.
    """
    source = Source.of(path)
    if not source.is_file():
        raise source.err("no such file")
    if source.suffix == ".npy":
        return check_file_predictions(np.asarray(load_npy(source, mmap=False)), source, scores=scores)
    if source.suffix not in (".csv", ".tsv"):
        raise source.err(f"cannot read predictions from a {source.suffix or 'suffix-less'} file; use .csv, .tsv or .npy")
    return _read_csv(source, column, prediction_key, scores)
