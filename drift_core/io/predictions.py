"""Predictions in their own file: ``.csv`` / ``.tsv``, ``.npy`` or ``.parquet``, one row per record.

A CSV gives class ids from ``column`` (or the ``prediction`` column, or its only column), and
otherwise scores from all of its columns, one per class. An ``.npy`` holds (N,) class ids or
(N, K) scores. A Parquet file gives class ids from ``column``, the ``prediction`` column or its
only integer column. Values are checked by the one check the core uses
(:func:`drift_core._validate.check_predictions`), its errors named by line (CSV) or row.

Each format is a chunked :class:`~drift_core.io._common.Reader` (the readers of an outputs-only
profile, ``TaskSpec("outputs")``); :func:`read_predictions` reads one whole, for predictions
given beside a data file.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .. import limits
from .._arrow import to_numpy as arrow_to_numpy
from .._validate import InputError, check_predictions
from ..outputs import check_probability_rows
from ..spec import TaskSpec
from ._common import TEXT_CHUNK, Chunk, InMemoryFile, Reader, RowPlaces, Source
from .arrays import NpyRows, open_npy, sampled_groups
from .tables import ParquetReader, csv_rows, delimiter_of, parse_class_cell

PREDICTION_SUFFIXES = (".csv", ".tsv", ".npy", ".parquet")
#: Predictions per chunk: a few MB of ids or scores.
PREDICTION_CHUNK = 100 * TEXT_CHUNK
#: Prediction CSVs up to this size are read with pyarrow's CSV reader when every record is one line.
FAST_CSV_BYTES = 256 << 20


def check_file_predictions(arr: NDArray[Any], source: Source, lines: NDArray[np.int64] | None = None,
                           scores: str = "probabilities") -> NDArray[Any]:
    """``check_predictions`` on a whole file's predictions; row ``i`` is named ``line lines[i]``
    when ``lines`` is given, else ``row i + 1``. Score rows must be probabilities unless ``scores``
    is ``"logits"`` (``TaskSpec.scores``)."""
    check_prediction_array(arr.shape, arr.dtype, source)
    try:
        checked = check_predictions(arr, np.arange(len(arr), dtype=np.int64))
        if checked.ndim == 2 and scores != "logits":
            check_probability_rows(checked, np.arange(len(arr), dtype=np.int64))
        return checked
    except InputError as e:
        if lines is not None:
            raise source.err(e.detail, line=int(lines[e.item])) from None
        raise source.err(e.detail, record=e.item + 1, unit="row") from None


def check_prediction_array(shape: tuple[int, ...], dtype: np.dtype[Any], source: Source) -> None:
    if dtype.hasobject or dtype.kind not in "uif":
        raise source.err(f"predictions must be numeric, got dtype {dtype}")
    if len(shape) not in (1, 2) or shape[0] == 0:
        raise source.err(f"predictions must be class ids (N,) or scores (N, K) with N >= 1, got shape {shape}")


def _parse_score(cell: str, col: str) -> float:
    try:
        v = float(cell)
    except ValueError:
        raise ValueError(f"column {col!r} must be a number (a score), got {cell!r:.40}") from None
    if not math.isfinite(v):
        raise ValueError(f"column {col!r} is {cell}")
    return v


class CsvPredictions(Reader):
    """Class ids from one column of a ``.csv`` / ``.tsv``, or scores from all of its columns.

    Counting the records reads the file once (a CSV record may span lines); the chunks read it
    again, converting only the kept rows, and stop after the last one.
    """

    def __init__(self, source: Source, spec: TaskSpec, column: str | None) -> None:
        self.source, self.spec = source, spec
        self.chunk_size = PREDICTION_CHUNK
        with self._rows() as (reader, header):
            self.header = header
            if column is not None and column not in header:
                raise self.err(f"no column {column!r} (columns: {header[:10]})", line=1)
            col = column if column is not None else spec.prediction_key if spec.prediction_key in header else None
            if col is None and len(header) == 1:
                col = header[0]
            self.col = col
            self._fast = self._read_fast()
            self.n_records = len(self._fast) if self._fast is not None else sum(1 for row in reader if row)

    def _read_fast(self) -> NDArray[Any] | None:
        """Every value at once with pyarrow's CSV reader, when each record is one line (no quotes,
        carriage returns or blank lines), the file is at most :data:`FAST_CSV_BYTES` and every
        value is valid; otherwise None, and the exact reader below names the line of any problem."""
        import pyarrow as pa
        import pyarrow.csv as pcsv

        data = self.source.read_bytes()
        names = self.header
        if len(data) > FAST_CSV_BYTES or b'"' in data or b"\r" in data or b"\n\n" in data or len(set(names)) < len(names):
            return None
        body = data if data.endswith(b"\n") else data + b"\n"
        types = {self.col: pa.int64()} if self.col is not None else {c: pa.float64() for c in names}
        try:
            table = pcsv.read_csv(
                pa.BufferReader(body), parse_options=pcsv.ParseOptions(delimiter=delimiter_of(self.source)),
                convert_options=pcsv.ConvertOptions(column_types=types, include_columns=list(types)))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            return None
        if table.num_rows != body.count(b"\n") - 1 or any(c.null_count for c in table.columns):
            return None
        if self.col is not None:
            ids = arrow_to_numpy(table.column(self.col))
            ok = not len(ids) or (int(ids.min()) >= 0 and int(ids.max()) < limits.current().max_classes)
            return np.asarray(ids, dtype=np.int64) if ok else None
        scores = np.column_stack([arrow_to_numpy(table.column(c)) for c in names]).astype(np.float64)
        return scores if np.isfinite(scores).all() else None

    def _rows(self) -> Any:
        import contextlib

        @contextlib.contextmanager
        def rows() -> Iterator[tuple[Any, list[str]]]:
            try:
                with self.source.open_text() as f:
                    reader = csv_rows(f, delimiter_of(self.source))
                    header = next(reader, None)
                    if not header:
                        raise self.err("empty file (no header row)")
                    yield reader, header
            except csv.Error as e:
                raise self.err(f"malformed CSV ({e})") from None
            except UnicodeDecodeError:
                raise self.err("not valid UTF-8") from None

        return rows()

    def field_name(self, key: str) -> str | None:
        return self.col

    def chunks(self, chunk_size: int, keep: NDArray[np.int64] | None) -> Iterator[Chunk]:
        if self._fast is not None:  # one record per line: record i is on line i + 2
            for group in sampled_groups(self.n_records, chunk_size, keep):
                yield Chunk(group, RowPlaces(group, None, base=2, key="line"), self._fast[group])
            return
        width = len(self.header)
        col = None if self.col is None else self.header.index(self.col)
        keep_list = None if keep is None else keep.tolist()
        pos: list[int] = []
        lines: list[int] = []
        cells: list[Any] = []
        with self._rows() as (reader, _):
            i, k = -1, 0
            for row in reader:
                if not row:
                    continue
                i += 1
                if keep_list is not None:
                    if k == len(keep_list):
                        break
                    if keep_list[k] != i:
                        continue
                    k += 1
                if len(row) != width:
                    raise self.err(f"expected {width} fields (as in the header), got {len(row)}", line=reader.line_num)
                cells.append(row if col is None else row[col])
                pos.append(i)
                lines.append(reader.line_num)
                if len(cells) >= chunk_size:
                    yield self._chunk(pos, lines, cells)
                    pos, lines, cells = [], [], []
        if cells:
            yield self._chunk(pos, lines, cells)

    def _chunk(self, pos: list[int], lines: list[int], cells: list[Any]) -> Chunk:
        places = [{"line": line} for line in lines]
        return Chunk(np.asarray(pos, dtype=np.int64), places, self._values(cells, lines))

    def _values(self, cells: list[Any], lines: list[int]) -> NDArray[Any]:
        """Class ids (int64) or scores (float64); a bad cell is named by its line."""
        try:
            if self.col is not None:
                ids = np.fromiter(map(int, cells), dtype=np.int64, count=len(cells))
                over = np.flatnonzero(ids >= limits.current().max_classes)
                if len(over):
                    parse_class_cell(cells[over[0]], self.col)  # raises, naming the limit
                return ids
            scores = np.array(cells, dtype=np.float64)
            if np.isfinite(scores).all():
                return scores
        except (ValueError, OverflowError):
            pass
        for cell, line in zip(cells, lines, strict=True):  # the slow path finds the bad cell
            try:
                if self.col is not None:
                    parse_class_cell(cell, self.col)
                else:
                    [_parse_score(v, name) for v, name in zip(cell, self.header, strict=True)]
            except (ValueError, OverflowError) as e:
                raise self.err(str(e), line=line) from None
        raise self.err("cannot read the predictions")  # pragma: no cover - the loop above raises


class NpyPredictions(Reader):
    """(N,) class ids or (N, K) scores in an ``.npy``, read by rows (only the sampled ones)."""

    def __init__(self, source: Source, spec: TaskSpec, column: str | None) -> None:
        self.source = source
        self.rows = open_npy(source)
        check_prediction_array(self.rows.shape, self.rows.dtype, source)
        self.n_records = int(self.rows.shape[0])
        self.chunk_size = PREDICTION_CHUNK

    def chunks(self, chunk_size: int, keep: NDArray[np.int64] | None) -> Iterator[Chunk]:
        for pos in sampled_groups(self.n_records, chunk_size, keep):
            rows = self.rows
            block = rows.take(pos) if isinstance(rows, NpyRows) else np.asarray(rows[pos])
            yield Chunk(pos, RowPlaces(pos, "row"), block)


def _class_kind(t: Any) -> str | None:
    import pyarrow as pa

    return "class" if pa.types.is_integer(t) or pa.types.is_floating(t) else None


class ParquetPredictions(ParquetReader):
    """Class ids in a Parquet column (``column``, ``prediction``, or the only numeric column)."""

    expected = "integer"

    def __init__(self, source: Source, spec: TaskSpec, column: str | None) -> None:
        from dataclasses import replace

        # The class column is picked like a text column, with the prediction key first.
        super().__init__(source, replace(spec, input_ids_key=spec.prediction_key, text_key=spec.prediction_key), column)
        self.spec, self.pred_col, self.chunk_size = spec, None, PREDICTION_CHUNK

    def kind_of(self, t: Any) -> str | None:
        return _class_kind(t)

    def usable_columns(self, schema: Any) -> list[str]:
        return [n for n in schema.names if _class_kind(schema.field(n).type)]

    def field_name(self, key: str) -> str | None:
        return self.field

    def chunks(self, chunk_size: int, keep: NDArray[np.int64] | None) -> Iterator[Chunk]:
        for pos, batch in self.batches(chunk_size, keep, [self.field]):
            values = batch.column(0)
            self._check_nulls(values, pos, self.field)
            places = RowPlaces(pos, "row")
            yield Chunk(pos, places, arrow_to_numpy(values))


PREDICTION_READERS: dict[str, type[Reader]] = {
    ".csv": CsvPredictions, ".tsv": CsvPredictions, ".npy": NpyPredictions, ".parquet": ParquetPredictions,
}


def read_predictions(
    path: str | Path | InMemoryFile, column: str | None = None, prediction_key: str = "prediction",
    scores: str = "probabilities",
) -> NDArray[Any]:
    """Predictions from ``.csv`` / ``.tsv``, ``.npy`` or ``.parquet``: (N,) int64 class ids or (N, K)
    float64 scores.

    ``path`` may be an :class:`InMemoryFile` (an upload's name and bytes). Score rows must be
    probabilities (non-negative, summing to 1) unless ``scores="logits"`` (``TaskSpec.scores``).

    Raises
    ------
    DataFileError
        Naming the file, the line (CSV) or row (``.npy``, ``.parquet``) and the problem.

    Examples
    --------
    >>> read_predictions(InMemoryFile("p.csv", b"prediction\\n2\\n0\\n")).tolist()
    [2, 0]
    """
    source = Source.of(path)
    if not source.is_file():
        raise source.err("no such file")
    make = PREDICTION_READERS.get(source.suffix)
    if make is None:
        raise source.err(f"cannot read predictions from a {source.suffix or 'suffix-less'} file; "
                         f"use {', '.join(PREDICTION_SUFFIXES)}")
    reader = make(source, TaskSpec("outputs", prediction_key=prediction_key), column)
    if reader.n_records == 0:
        raise source.err("no predictions (only a header row)")
    chunks = list(reader.chunks(reader.n_records, None))
    arr = np.concatenate([np.asarray(c.data) for c in chunks])
    lines = None
    if isinstance(reader, CsvPredictions):
        lines = np.asarray([place["line"] for c in chunks for place in c.places], dtype=np.int64)
    return check_file_predictions(arr, source, lines, scores)
