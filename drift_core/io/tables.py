"""Text in tables: ``.csv`` / ``.tsv`` (a header row) and ``.parquet`` (a ``string`` or ``list<int>`` column).

The column is ``input_ids`` or ``text``, else the only other (CSV) or the only usable (Parquet)
column; ``column=`` overrides. A CSV ``input_ids`` cell holds ``[1, 2, 3]`` or ``1 2 3``. A
``prediction`` column beside it carries the records' predictions. CSV records are named by the
physical line they end on; Parquet records by their 1-based row.
"""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Iterator
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray

from .. import limits
from .._arrow import int64_array
from .._arrow import to_numpy as arrow_to_numpy
from .._validate import pick_text_field
from ..spec import TaskSpec
from ._common import Chunk, Reader, RowPlaces, Source, kept

_INT_LIST = re.compile(r"^\s*\[?\s*(\d+(\s*[,\s]\s*\d+)*)?\s*\]?\s*$")


def parse_class_cell(cell: str, column: str) -> int:
    """A CSV cell holding a class id, as an int (its sign is checked with the other predictions).

    Raises ``ValueError`` with the reason.
    """
    try:
        v = int(cell)
    except ValueError:
        raise ValueError(f"column {column!r} must be a class id (an int >= 0), got {cell!r:.40}") from None
    max_classes = limits.current().max_classes
    if v >= max_classes:
        raise ValueError(f"column {column!r}: prediction {cell:.40} is above the limit of {max_classes} classes "
                         "(raise it with --limit max_classes=N)")
    return v


def csv_rows(f: IO[str], delimiter: str) -> Any:
    """A ``csv.reader`` that accepts fields of any size."""
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    return csv.reader(f, delimiter=delimiter)


def delimiter_of(source: Source) -> str:
    return "\t" if source.suffix == ".tsv" else ","


class CsvReader(Reader):
    def __init__(self, source: Source, spec: TaskSpec, column: str | None) -> None:
        self.source, self.spec = source, spec
        self.delimiter = delimiter_of(source)
        with source.open_text() as f:
            reader = csv_rows(f, self.delimiter)
            try:
                self.header = next(reader)
            except StopIteration:
                raise self.err("empty file (no header row)") from None
            except csv.Error as e:
                raise self.err(f"malformed CSV ({e})", line=1) from None
            except UnicodeDecodeError:
                raise self.err("not valid UTF-8", line=1) from None
            self.n_records = self._count(reader)
        others = [c for c in self.header if c != spec.prediction_key]
        if not others and column is None:
            raise self.err(f"holds only a {spec.prediction_key!r} column: a predictions file? Profile it alone with "
                           "TaskSpec('outputs') / --modality outputs, or pass it as the predictions of a data file",
                           line=1)
        try:
            self.field = pick_text_field(self.header, spec, column, others, "column", "other")
        except ValueError as e:
            raise self.err(str(e), line=1) from None
        self.key = spec.input_ids_key if self.field == spec.input_ids_key else spec.text_key
        self.pred_col = self.header.index(spec.prediction_key) if spec.prediction_key in self.header else None
        if self.pred_col == self.header.index(self.field):
            self.pred_col = None

    def field_name(self, key: str) -> str | None:
        return self.field if key == self.key else key if key == self.spec.prediction_key else None

    def _count(self, reader: Any) -> int:
        n = 0
        try:
            for row in reader:
                n += bool(row)
        except csv.Error as e:
            raise self.err(f"malformed CSV ({e})", line=reader.line_num) from None
        except UnicodeDecodeError:
            raise self.err(f"not valid UTF-8 (after line {reader.line_num})") from None
        return n

    def chunks(self, chunk_size: int, keep: NDArray[np.int64] | None) -> Iterator[Chunk]:
        col = self.header.index(self.field)
        width = len(self.header)
        keep_set = None if keep is None else set(keep.tolist())
        last = None if keep is None or not len(keep) else int(keep[-1])
        pos: list[int] = []
        places: list[dict[str, Any]] = []
        items: list[dict[str, Any]] = []
        preds: list[int] = []
        with self.source.open_text() as f:
            reader = csv_rows(f, self.delimiter)
            next(reader)
            i = -1
            for row in reader:
                if not row:
                    continue
                i += 1
                if last is not None and i > last:
                    break  # read no further than the last kept record
                if keep_set is not None and i not in keep_set:
                    continue
                place = {"line": reader.line_num}
                if len(row) != width:
                    raise self.err(f"expected {width} fields (as in the header), got {len(row)}", **place)
                try:
                    items.append({self.key: self._value(row[col])})
                    if self.pred_col is not None:
                        preds.append(parse_class_cell(row[self.pred_col], self.spec.prediction_key))
                except ValueError as e:
                    raise self.err(str(e), **place) from None
                pos.append(i)
                places.append(place)
                if len(items) >= chunk_size:
                    yield self._chunk(pos, places, items, preds)
                    pos, places, items, preds = [], [], [], []
        if items:
            yield self._chunk(pos, places, items, preds)

    def _chunk(self, pos: list[int], places: list[dict[str, Any]], items: list[dict[str, Any]], preds: list[int]) -> Chunk:
        p = np.asarray(preds, dtype=np.int64) if self.pred_col is not None else None
        return Chunk(np.asarray(pos, dtype=np.int64), places, items, p)

    def _value(self, cell: str) -> Any:
        if self.key == self.spec.text_key:
            return cell
        if not _INT_LIST.match(cell):
            raise ValueError(f"column {self.field!r} must hold token ids like '[1, 2, 3]' or '1 2 3', got {cell!r:.40}")
        return [int(t) for t in re.findall(r"\d+", cell)]


def _arrow_kind(t: Any) -> str | None:
    import pyarrow as pa

    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "text"
    if (pa.types.is_list(t) or pa.types.is_large_list(t)) and pa.types.is_integer(t.value_type):
        return "ids"
    return None


#: Bytes Parquet reads at a time within a column chunk: pages are decoded as they stream in, so a
#: row group bigger than memory is read in bounded pieces (pyarrow's default reads it whole).
PARQUET_BUFFER = 4 * 2**20


class ParquetReader(Reader):
    """A ``string`` or ``list<int>`` column of a Parquet file, streamed in batches of one row group
    at a time; the record count comes from the row-group metadata, and a sample reads only the row
    groups that hold sampled rows (up to the last one in each), taking those rows.
    ``row_groups_read`` counts the row groups read so far."""

    def __init__(self, source: Source, spec: TaskSpec, column: str | None) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.source, self.spec = source, spec
        try:
            self.file = pq.ParquetFile(source.path if source.path is not None else source.open(),
                                       buffer_size=PARQUET_BUFFER, pre_buffer=False)
            meta = self.file.metadata
            sizes = [meta.row_group(g).num_rows for g in range(meta.num_row_groups)]
        except (pa.ArrowException, OSError) as e:
            raise self.err(f"not a readable Parquet file ({e})") from None
        self.group_starts = np.concatenate(([0], np.cumsum(sizes, dtype=np.int64))).astype(np.int64)
        self.row_groups_read = 0
        schema = self.file.schema_arrow
        self.n_records = meta.num_rows
        names = schema.names
        usable = self.usable_columns(schema)
        try:
            self.field = pick_text_field(names, spec, column, usable, "column", self.expected)
        except ValueError as e:
            raise self.err(str(e)) from None
        kind = self.kind_of(schema.field(self.field).type)
        if kind is None:
            raise self.err(f"column {self.field!r} has type {schema.field(self.field).type}; expected {self.expected}")
        self.kind = kind
        self.pred_col = spec.prediction_key if spec.prediction_key in names and spec.prediction_key != self.field else None

    expected = "string or list<int>"

    def kind_of(self, t: Any) -> str | None:
        return _arrow_kind(t)

    def usable_columns(self, schema: Any) -> list[str]:
        return [n for n in schema.names if _arrow_kind(schema.field(n).type) and n != self.spec.prediction_key]

    def field_name(self, key: str) -> str | None:
        return self.field if key in (self.spec.input_ids_key, self.spec.text_key) else None

    def batches(self, chunk_size: int, keep: NDArray[np.int64] | None, columns: list[str]) -> Iterator[tuple[NDArray[np.int64], Any]]:
        """``(positions, record batch of those rows)``, up to ``chunk_size`` rows each (a sample's
        kept rows one row group at a time), reading only the row groups that hold kept rows and, in
        each, no further than its last kept row."""
        import pyarrow as pa

        pending: list[tuple[NDArray[np.int64], Any]] = []
        n_pending = 0
        start = 0
        try:
            for g in range(len(self.group_starts) - 1):
                lo, hi = int(self.group_starts[g]), int(self.group_starts[g + 1])
                want = kept(keep, lo, hi)
                if not len(want):
                    continue
                self.row_groups_read += 1
                last = int(want[-1])
                start = lo
                for batch in self.file.iter_batches(batch_size=chunk_size, row_groups=[g], columns=columns):
                    stop = start + batch.num_rows
                    pos = kept(keep, start, stop)
                    if keep is None:
                        yield pos, batch
                    elif len(pos):
                        pending.append((pos, batch.take(int64_array(pos - start))))
                        n_pending += len(pos)
                        if n_pending >= chunk_size:
                            yield self._joined(pending)
                            pending, n_pending = [], 0
                    start = stop
                    if stop > last:
                        break  # the rest of this row group holds no kept row
                if pending:
                    # Yielded per row group: small taken rows kept across row groups would sit between
                    # the big freed decode buffers and fragment the heap (measured: +280 MB over 5 GB).
                    yield self._joined(pending)
                    pending, n_pending = [], 0
        except (pa.ArrowException, OSError) as e:
            raise self.err(f"cannot read the Parquet data from row {start + 1} on ({e})") from None

    @staticmethod
    def _joined(parts: list[tuple[NDArray[np.int64], Any]]) -> tuple[NDArray[np.int64], Any]:
        import pyarrow as pa

        if len(parts) == 1:
            return parts[0]
        table = pa.Table.from_batches([b for _, b in parts]).combine_chunks()
        return np.concatenate([p for p, _ in parts]), table.to_batches()[0]

    def chunks(self, chunk_size: int, keep: NDArray[np.int64] | None) -> Iterator[Chunk]:
        import pyarrow as pa

        key = self.spec.input_ids_key if self.kind == "ids" else self.spec.text_key
        cols = [self.field] + ([self.pred_col] if self.pred_col else [])
        for pos, batch in self.batches(chunk_size, keep, cols):
            values = batch.column(0)
            self._check_nulls(values, pos, self.field)
            preds = None
            if self.pred_col is not None:
                p = batch.column(1)
                self._check_nulls(p, pos, self.pred_col)
                preds = arrow_to_numpy(p)
            places = RowPlaces(pos, "row")
            yield Chunk(pos, places, pa.table({key: values}), preds)

    def _check_nulls(self, values: Any, pos: NDArray[np.int64], name: str) -> None:
        # Nulls are a file-level matter (a cell left empty): named here by row, before the core sees them.
        if values.null_count:
            import pyarrow.compute as pc

            nulls = arrow_to_numpy(pc.indices_nonzero(values.is_null()))
            raise self.err(f"column {name!r} is null", record=int(pos[nulls[0]]) + 1, unit="row")
