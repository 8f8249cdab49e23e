"""Read the data files people have, in bounded-memory chunks, and profile them.

Text
    ``.jsonl`` / ``.ndjson`` (one JSON object per line, blank lines skipped), ``.json`` (an array of
    objects), ``.csv`` / ``.tsv`` (a header row), ``.parquet`` (a ``list<int>`` or ``string``
    column), ``.txt`` (one document per non-blank line). The field is ``input_ids`` or ``text``
    (the :class:`TaskSpec` keys), else the only string field; ``column=`` overrides. A CSV column
    named like ``input_ids_key`` holds token ids as ``[1, 2, 3]`` or ``1 2 3``.
Vision
    ``.npy`` / ``.npz`` arrays (N,C,H,W), (N,H,W,C) or (N,H,W), uint8 or float; a folder or a
    ``.zip`` of PNG / JPEG images (read with Pillow, in file-name order).
Predictions
    Carried by the data (a ``prediction`` field / column, a ``predictions`` array in an ``.npz``), or
    a separate ``.csv`` (a class column, or one score column per class) or ``.npy`` ((N,) class ids
    or (N, K) scores), one row per record, in the same order.

Nothing is ever unpickled (``allow_pickle=False``). Every problem is a :class:`DataFileError`
whose message names the file, the line / record / image and the problem.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import sys
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray

from ._inputs import check_sample_size
from .profile import compute_dataset_profile, merge_profiles
from .spec import TaskSpec

TEXT_SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".parquet", ".txt")
ARRAY_SUFFIXES = (".npy", ".npz")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
PREDICTION_SUFFIXES = (".csv", ".tsv", ".npy")
#: Records per chunk for text; vision chunks hold about :data:`CHUNK_BYTES` of pixels.
TEXT_CHUNK = 10_000
CHUNK_BYTES = 64 * 2**20
_NPZ_IMAGE_KEYS = ("pixel_values", "images", "x", "arr_0")
_NPZ_PREDICTION_KEYS = ("predictions", "prediction", "y_pred", "preds")


class DataFileError(ValueError):
    """A data file that cannot be read: ``"<file>: <where>: <problem>"``.

    Attributes ``path``, ``where`` (e.g. ``"line 17"``, ``"image 'cats/3.png'"``, or ``None`` for
    the whole file) and ``problem``.
    """

    def __init__(self, path: str | Path, problem: str, where: str | None = None) -> None:
        self.path = str(path)
        self.where = where
        self.problem = problem
        super().__init__(f"{self.path}: {where}: {problem}" if where else f"{self.path}: {problem}")


@dataclass
class Chunk:
    """Consecutive records of a file (only the kept ones when sampling).

    ``positions`` are the records' 0-based indices in the file, ``labels`` say where each one is
    (``"line 12"``), ``data`` is what :func:`compute_dataset_profile` accepts and ``predictions``
    the records' own predictions, if the file carries them.
    """

    positions: NDArray[np.int64]
    labels: list[str]
    data: Any
    predictions: Any = None


def guess_modality(path: str | Path) -> str | None:
    """``"text"`` or ``"vision"`` from the file's kind, ``None`` when it cannot tell (``.json``).

    Examples
    --------
    >>> guess_modality("batch.jsonl"), guess_modality("images.zip"), guess_modality("p.json")
    ('text', 'vision', None)
    """
    p = Path(path)
    if p.is_dir() or p.suffix.lower() in ARRAY_SUFFIXES + (".zip",):
        return "vision"
    if p.suffix.lower() in TEXT_SUFFIXES and p.suffix.lower() != ".json":
        return "text"
    return None


# -- readers ---------------------------------------------------------------------------------------


class _Reader:
    path: Path
    n_records: int
    chunk_size: int = TEXT_CHUNK

    def __init__(self, path: Path, spec: TaskSpec, column: str | None) -> None:
        raise NotImplementedError

    def chunks(self, chunk_size: int, keep: NDArray[np.int64] | None) -> Iterator[Chunk]:
        raise NotImplementedError

    def err(self, problem: str, where: str | None = None) -> DataFileError:
        return DataFileError(self.path, problem, where)


def _kept(keep: NDArray[np.int64] | None, start: int, stop: int) -> NDArray[np.int64]:
    """Positions in [start, stop) that are kept (all of them without a sample)."""
    if keep is None:
        return np.arange(start, stop, dtype=np.int64)
    lo, hi = np.searchsorted(keep, [start, stop])
    return keep[lo:hi]


class _TextRecords:
    """Turns records (dicts, strings, lists) into items for the core, checking each one."""

    def __init__(self, reader: _Reader, spec: TaskSpec, column: str | None) -> None:
        self.reader, self.spec, self.column = reader, spec, column
        self.field: str | None = None
        self.kind: str | None = None  # "ids" or "text"
        self.with_predictions = False

    def setup(self, first: Any, where: str) -> None:
        if isinstance(first, str):
            self.kind = "text"
        elif isinstance(first, list):
            self.kind = "ids"
        elif isinstance(first, dict):
            self.field = self._pick_field(first, where)
            self.kind = "ids" if isinstance(first[self.field], list) else "text"
            self.with_predictions = self.spec.prediction_key in first and self.field != self.spec.prediction_key
        else:
            raise self.reader.err(f"expected a JSON object, string or list of token ids, got {type(first).__name__}", where)

    def _pick_field(self, record: dict[str, Any], where: str) -> str:
        fields = sorted(record)
        if self.column is not None:
            if self.column not in record:
                raise self.reader.err(f"no field {self.column!r} (fields: {fields[:10]})", where)
            return self.column
        for key in (self.spec.input_ids_key, self.spec.text_key):
            if key in record:
                return key
        strings = [k for k, v in record.items() if isinstance(v, str)]
        if len(strings) == 1:
            return strings[0]
        raise self.reader.err(
            f"no {self.spec.input_ids_key!r} or {self.spec.text_key!r} field and no single text field "
            f"(fields: {fields[:10]}); name the field with column=/--column",
            where,
        )

    def item(self, record: Any, where: str) -> tuple[dict[str, Any], Any]:
        if self.kind is None:
            self.setup(record, where)
        value = record
        pred = None
        if self.field is not None:
            if not isinstance(record, dict):
                raise self.reader.err(f"expected a JSON object, got {type(record).__name__}", where)
            if self.field not in record:
                raise self.reader.err(f"missing field {self.field!r}", where)
            value = record[self.field]
            if self.with_predictions:
                if self.spec.prediction_key not in record:
                    raise self.reader.err(f"missing field {self.spec.prediction_key!r} (earlier records have it)", where)
                pred = _check_prediction(record[self.spec.prediction_key], self.reader, where)
        name = self.field or ("token ids" if self.kind == "ids" else "text")
        if self.kind == "ids":
            if not isinstance(value, list) or not all(type(t) is int and t >= 0 for t in value):
                bad = value if not isinstance(value, list) else next(t for t in value if not (type(t) is int and t >= 0))
                raise self.reader.err(f"{name!r} must be a list of non-negative ints, found {bad!r}", where)
            return {self.spec.input_ids_key: value}, pred
        if not isinstance(value, str):
            raise self.reader.err(f"{name!r} must be a string, got {type(value).__name__} {value!r:.40}", where)
        return {self.spec.text_key: value}, pred


def _check_prediction(v: Any, reader: _Reader, where: str) -> Any:
    if type(v) is int and v >= 0:
        return v
    if isinstance(v, list) and v and all(type(x) in (int, float) and math.isfinite(x) for x in v):
        return v
    raise reader.err(f"prediction must be a class id (int >= 0) or a list of finite scores, got {v!r:.40}", where)


def _chunked_items(
    reader: _Reader,
    records: Iterator[tuple[str, Callable[[], Any]]],
    recs: _TextRecords,
    chunk_size: int,
    keep: NDArray[np.int64] | None,
) -> Iterator[Chunk]:
    """Group an iterator of (label, parse) records into chunks, parsing only kept records."""
    keep_set = None if keep is None else set(keep.tolist())
    pos: list[int] = []
    labels: list[str] = []
    items: list[dict[str, Any]] = []
    preds: list[Any] = []
    for i, (label, parse) in enumerate(records):
        if keep_set is not None and i not in keep_set:
            continue
        item, pred = recs.item(parse(), label)
        pos.append(i)
        labels.append(label)
        items.append(item)
        preds.append(pred)
        if len(items) >= chunk_size:
            yield Chunk(np.asarray(pos, dtype=np.int64), labels, items, _preds(preds) if recs.with_predictions else None)
            pos, labels, items, preds = [], [], [], []
    if items:
        yield Chunk(np.asarray(pos, dtype=np.int64), labels, items, _preds(preds) if recs.with_predictions else None)


def _preds(values: list[Any]) -> Any:
    try:
        return np.asarray(values)
    except ValueError:
        return np.asarray(values, dtype=object)


def _nonblank_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """(1-based line number, raw bytes) of every line that is not blank: one record per line."""
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, start=1):
            if raw.strip():
                yield lineno, raw


class _JsonLinesReader(_Reader):
    def __init__(self, path: Path, spec: TaskSpec, column: str | None) -> None:
        self.path, self.spec, self.column = path, spec, column
        self.n_records = sum(1 for _ in _nonblank_lines(path))

    def _records(self) -> Iterator[tuple[str, Callable[[], Any]]]:
        for lineno, raw in _nonblank_lines(self.path):
            yield f"line {lineno}", partial(self._parse, raw, lineno)

    def _parse(self, raw: bytes, lineno: int) -> Any:
        try:
            return json.loads(raw.rstrip(b"\r\n"))
        except UnicodeDecodeError:
            raise self.err("not valid UTF-8", f"line {lineno}") from None
        except json.JSONDecodeError as e:
            raise self.err(f"invalid JSON ({e.msg} at column {e.colno})", f"line {lineno}") from None

    def chunks(self, chunk_size: int, keep: NDArray[np.int64] | None) -> Iterator[Chunk]:
        return _chunked_items(self, self._records(), _TextRecords(self, self.spec, self.column), chunk_size, keep)


def _identity(x: Any) -> Any:
    return x


class _JsonReader(_Reader):
    def __init__(self, path: Path, spec: TaskSpec, column: str | None) -> None:
        self.path, self.spec, self.column = path, spec, column
        try:
            data = json.loads(path.read_bytes())
        except UnicodeDecodeError:
            raise self.err("not valid UTF-8") from None
        except json.JSONDecodeError as e:
            raise self.err(f"invalid JSON ({e.msg})", f"line {e.lineno}") from None
        if isinstance(data, dict):
            lists = [k for k, v in data.items() if isinstance(v, list)]
            if len(lists) != 1:
                raise self.err("expected a JSON array of records (or an object holding one array)")
            data = data[lists[0]]
        if not isinstance(data, list):
            raise self.err(f"expected a JSON array of records, got {type(data).__name__}")
        self.records = data
        self.n_records = len(data)

    def chunks(self, chunk_size: int, keep: NDArray[np.int64] | None) -> Iterator[Chunk]:
        recs = ((f"record {i + 1}", partial(_identity, r)) for i, r in enumerate(self.records))
        return _chunked_items(self, recs, _TextRecords(self, self.spec, self.column), chunk_size, keep)


class _TxtReader(_Reader):
    def __init__(self, path: Path, spec: TaskSpec, column: str | None) -> None:
        self.path, self.spec = path, spec
        self.n_records = sum(1 for _ in _nonblank_lines(path))

    def _records(self) -> Iterator[tuple[str, Callable[[], Any]]]:
        for lineno, raw in _nonblank_lines(self.path):
            yield f"line {lineno}", partial(self._decode, raw, lineno)

    def _decode(self, raw: bytes, lineno: int) -> str:
        try:
            return raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError as e:
            raise self.err(f"not valid UTF-8 (byte {e.start + 1})", f"line {lineno}") from None

    def chunks(self, chunk_size: int, keep: NDArray[np.int64] | None) -> Iterator[Chunk]:
        return _chunked_items(self, self._records(), _TextRecords(self, self.spec, None), chunk_size, keep)


_INT_LIST = re.compile(r"^\s*\[?\s*(\d+(\s*[,\s]\s*\d+)*)?\s*\]?\s*$")


class _CsvReader(_Reader):
    def __init__(self, path: Path, spec: TaskSpec, column: str | None) -> None:
        self.path, self.spec = path, spec
        self.delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
        csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
        with self._open() as f:
            reader = csv.reader(f, delimiter=self.delimiter)
            try:
                self.header = next(reader)
            except StopIteration:
                raise self.err("empty file (no header row)") from None
            except csv.Error as e:
                raise self.err(f"malformed CSV ({e})", "line 1") from None
            self.n_records = self._count(reader)
        self.field = self._pick_column(column)
        self.kind = "ids" if self.field == spec.input_ids_key else "text"
        self.pred_col = self.header.index(spec.prediction_key) if spec.prediction_key in self.header else None
        if self.pred_col == self.header.index(self.field):
            self.pred_col = None

    def _open(self) -> IO[str]:
        return open(self.path, newline="", encoding="utf-8")

    def _count(self, reader: Any) -> int:
        n = 0
        try:
            for row in reader:
                n += bool(row)
        except csv.Error as e:
            raise self.err(f"malformed CSV ({e})", f"line {reader.line_num}") from None
        except UnicodeDecodeError:
            raise self.err("not valid UTF-8", f"after line {reader.line_num}") from None
        return n

    def _pick_column(self, column: str | None) -> str:
        if column is not None:
            if column not in self.header:
                raise self.err(f"no column {column!r} (columns: {self.header[:10]})", "line 1")
            return column
        for key in (self.spec.input_ids_key, self.spec.text_key):
            if key in self.header:
                return key
        others = [c for c in self.header if c != self.spec.prediction_key]
        if len(others) == 1:
            return others[0]
        raise self.err(
            f"no {self.spec.input_ids_key!r} or {self.spec.text_key!r} column among {self.header[:10]}; "
            "name the column with column=/--column",
            "line 1",
        )

    def chunks(self, chunk_size: int, keep: NDArray[np.int64] | None) -> Iterator[Chunk]:
        col = self.header.index(self.field)
        width = len(self.header)
        keep_set = None if keep is None else set(keep.tolist())
        pos: list[int] = []
        labels: list[str] = []
        items: list[dict[str, Any]] = []
        preds: list[int] = []
        with self._open() as f:
            reader = csv.reader(f, delimiter=self.delimiter)
            next(reader)
            i = -1
            for row in reader:
                if not row:
                    continue
                i += 1
                if keep_set is not None and i not in keep_set:
                    continue
                where = f"line {reader.line_num}"
                if len(row) != width:
                    raise self.err(f"expected {width} fields (as in the header), got {len(row)}", where)
                items.append({self._key: self._value(row[col], where)})
                if self.pred_col is not None:
                    preds.append(self._class_id(row[self.pred_col], where))
                pos.append(i)
                labels.append(where)
                if len(items) >= chunk_size:
                    yield self._chunk(pos, labels, items, preds)
                    pos, labels, items, preds = [], [], [], []
        if items:
            yield self._chunk(pos, labels, items, preds)

    @property
    def _key(self) -> str:
        return self.spec.input_ids_key if self.kind == "ids" else self.spec.text_key

    def _chunk(self, pos: list[int], labels: list[str], items: list[dict[str, Any]], preds: list[int]) -> Chunk:
        p = np.asarray(preds, dtype=np.int64) if self.pred_col is not None else None
        return Chunk(np.asarray(pos, dtype=np.int64), labels, items, p)

    def _value(self, cell: str, where: str) -> Any:
        if self.kind == "text":
            return cell
        if not _INT_LIST.match(cell):
            raise self.err(f"column {self.field!r} must hold token ids like '[1, 2, 3]' or '1 2 3', got {cell!r:.40}", where)
        return [int(t) for t in re.findall(r"\d+", cell)]

    def _class_id(self, cell: str, where: str) -> int:
        try:
            v = int(cell)
        except ValueError:
            raise self.err(f"column {self.spec.prediction_key!r} must be a class id, got {cell!r:.40}", where) from None
        if v < 0:
            raise self.err(f"column {self.spec.prediction_key!r} must be >= 0, got {v}", where)
        return v


class _ParquetReader(_Reader):
    def __init__(self, path: Path, spec: TaskSpec, column: str | None) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.path, self.spec = path, spec
        try:
            self.file = pq.ParquetFile(path)
        except (pa.ArrowException, OSError) as e:
            raise self.err(f"not a readable Parquet file ({e})") from None
        schema = self.file.schema_arrow
        self.n_records = self.file.metadata.num_rows
        names = schema.names
        if column is not None:
            if column not in names:
                raise self.err(f"no column {column!r} (columns: {names[:10]})")
            self.field = column
        else:
            usable = [n for n in names if self._kind(schema.field(n).type) and n != spec.prediction_key]
            preferred = [n for n in (spec.input_ids_key, spec.text_key) if n in names]
            if preferred:
                self.field = preferred[0]
            elif len(usable) == 1:
                self.field = usable[0]
            else:
                raise self.err(
                    f"no {spec.input_ids_key!r} or {spec.text_key!r} column and no single string or list<int> "
                    f"column among {names[:10]}; name the column with column=/--column"
                )
        kind = self._kind(schema.field(self.field).type)
        if kind is None:
            raise self.err(f"column {self.field!r} has type {schema.field(self.field).type}; expected string or list<int>")
        self.kind = kind
        self.pred_col = spec.prediction_key if spec.prediction_key in names and spec.prediction_key != self.field else None

    @staticmethod
    def _kind(t: Any) -> str | None:
        import pyarrow as pa

        if pa.types.is_string(t) or pa.types.is_large_string(t):
            return "text"
        if (pa.types.is_list(t) or pa.types.is_large_list(t)) and pa.types.is_integer(t.value_type):
            return "ids"
        return None

    def chunks(self, chunk_size: int, keep: NDArray[np.int64] | None) -> Iterator[Chunk]:
        import pyarrow as pa

        key = self.spec.input_ids_key if self.kind == "ids" else self.spec.text_key
        cols = [self.field] + ([self.pred_col] if self.pred_col else [])
        start = 0
        try:
            for batch in self.file.iter_batches(batch_size=chunk_size, columns=cols):
                stop = start + batch.num_rows
                pos = _kept(keep, start, stop)
                if len(pos):
                    if len(pos) != batch.num_rows:
                        batch = batch.take(pa.array(pos - start))
                    values = batch.column(0)
                    self._check(values, pos, self.field)
                    preds = None
                    if self.pred_col is not None:
                        p = batch.column(1)
                        self._check(p, pos, self.pred_col)
                        preds = p.to_numpy(zero_copy_only=False)
                    labels = [f"row {int(i) + 1}" for i in pos]
                    yield Chunk(pos, labels, pa.table({key: values}), preds)
                start = stop
        except pa.ArrowException as e:
            raise self.err(f"cannot read the Parquet data ({e})", f"rows from {start + 1}") from None

    def _check(self, values: Any, pos: NDArray[np.int64], name: str) -> None:
        if values.null_count:
            nulls = np.flatnonzero(values.is_null().to_numpy(zero_copy_only=False))
            raise self.err(f"column {name!r} is null", f"row {int(pos[nulls[0]]) + 1}")
        if name == self.field and self.kind == "ids" and values.flatten().null_count:
            lengths = values.value_lengths().to_numpy(zero_copy_only=False)
            inner = values.flatten().is_null().to_numpy(zero_copy_only=False)
            row = int(np.searchsorted(np.cumsum(lengths), np.argmax(inner), side="right"))
            raise self.err(f"column {name!r} holds a null token id", f"row {int(pos[row]) + 1}")


def _check_image_array(shape: tuple[int, ...], dtype: np.dtype[Any], reader: _Reader, name: str = "") -> None:
    what = f"array {name!r}: " if name else ""
    if dtype.hasobject or dtype.kind not in "uif":
        raise reader.err(f"{what}images must be numeric (uint8 or float), got dtype {dtype}")
    if len(shape) not in (3, 4):
        raise reader.err(f"{what}expected images (N,C,H,W), (N,H,W,C) or (N,H,W), got shape {shape}")
    if shape[0] == 0:
        raise reader.err(f"{what}holds no images (first axis is 0)")


def _check_finite(block: NDArray[Any], pos: NDArray[np.int64], reader: _Reader, what: str = "image") -> None:
    if block.dtype.kind == "f":
        ok = np.isfinite(block.reshape(len(block), -1)).all(axis=1)
        if not ok.all():
            raise reader.err("contains NaN or inf", f"{what} at index {int(pos[np.argmin(ok)])}")


def _image_chunk_size(shape: tuple[int, ...], dtype: np.dtype[Any]) -> int:
    per = max(1, int(np.prod(shape[1:], dtype=np.int64)) * dtype.itemsize)
    return max(1, CHUNK_BYTES // per)


class _NpyReader(_Reader):
    def __init__(self, path: Path, spec: TaskSpec, column: str | None) -> None:
        self.path = path
        self.arr = _load_npy(path, mmap=True)
        _check_image_array(self.arr.shape, self.arr.dtype, self)
        self.n_records = int(self.arr.shape[0])
        self.chunk_size = _image_chunk_size(self.arr.shape, self.arr.dtype)

    def chunks(self, chunk_size: int, keep: NDArray[np.int64] | None) -> Iterator[Chunk]:
        for start in range(0, self.n_records, chunk_size):
            stop = min(start + chunk_size, self.n_records)
            pos = _kept(keep, start, stop)
            if len(pos):
                block = np.asarray(self.arr[start:stop] if len(pos) == stop - start else self.arr[pos])
                _check_finite(block, pos, self)
                yield Chunk(pos, [f"image at index {int(i)}" for i in pos], block)


def _load_npy(path: Path, mmap: bool) -> Any:
    try:
        return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except ValueError as e:
        if "pickle" in str(e) or "Python objects" in str(e) or "object" in str(e).lower():
            raise DataFileError(path, "holds Python objects (a pickle); Driftboard never unpickles, save a numeric array") from None
        raise DataFileError(path, f"not a readable .npy array ({e})") from None
    except (OSError, EOFError) as e:
        raise DataFileError(path, f"not a readable .npy array ({e})") from None


class _NpzReader(_Reader):
    """Streams one member of an .npz (compressed or not) without loading it whole."""

    def __init__(self, path: Path, spec: TaskSpec, column: str | None) -> None:
        self.path = path
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as e:
            raise self.err(f"not a readable .npz file ({e})") from None
        members = {n[:-4]: n for n in self.zip.namelist() if n.endswith(".npy")}
        headers = {k: self._header(m) for k, m in members.items()}
        if column is not None:
            if column not in members:
                raise self.err(f"no array {column!r} (arrays: {sorted(members)})")
            self.key = column
        else:
            named = [k for k in _NPZ_IMAGE_KEYS if k in members]
            images = [k for k, (shape, _, _) in headers.items() if len(shape) >= 3]
            if named:
                self.key = named[0]
            elif len(images) == 1:
                self.key = images[0]
            else:
                raise self.err(f"cannot tell which array holds the images (arrays: {sorted(members)}); name it with column=/--column")
        self.shape, self.fortran, self.dtype = headers[self.key]
        _check_image_array(self.shape, self.dtype, self, self.key)
        self.n_records = int(self.shape[0])
        self.chunk_size = _image_chunk_size(self.shape, self.dtype)
        self.pred_key = next((k for k in _NPZ_PREDICTION_KEYS if k in members and k != self.key), None)
        self.members = members

    def _header(self, member: str) -> tuple[tuple[int, ...], bool, np.dtype[Any]]:
        try:
            with self.zip.open(member) as f:
                version = np.lib.format.read_magic(f)
                shape, fortran, dtype = (
                    np.lib.format.read_array_header_1_0(f) if version == (1, 0) else np.lib.format.read_array_header_2_0(f)
                )
        except (ValueError, OSError, zipfile.BadZipFile) as e:
            raise self.err(f"array {member[:-4]!r} is not a readable .npy member ({e})") from None
        if dtype.hasobject:
            raise self.err(f"array {member[:-4]!r} holds Python objects (a pickle); Driftboard never unpickles")
        return tuple(shape), bool(fortran), dtype

    def predictions(self) -> NDArray[Any] | None:
        if self.pred_key is None:
            return None
        with self.zip.open(self.members[self.pred_key]) as f:
            try:
                arr = np.lib.format.read_array(f, allow_pickle=False)
            except ValueError as e:
                raise self.err(f"array {self.pred_key!r} cannot be read without unpickling ({e})") from None
        return _check_predictions(arr, self.path)

    def chunks(self, chunk_size: int, keep: NDArray[np.int64] | None) -> Iterator[Chunk]:
        row_shape = tuple(self.shape[1:])
        row_bytes = int(np.prod(row_shape, dtype=np.int64)) * self.dtype.itemsize
        with self.zip.open(self.members[self.key]) as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                np.lib.format.read_array_header_1_0(f)
            else:
                np.lib.format.read_array_header_2_0(f)
            full = None
            if self.fortran:
                full = np.lib.format.read_array(io.BytesIO(_rewrap(f, self.shape, self.dtype)), allow_pickle=False)
            for start in range(0, self.n_records, chunk_size):
                stop = min(start + chunk_size, self.n_records)
                if full is not None:
                    block = full[start:stop]
                else:
                    raw = f.read(row_bytes * (stop - start))
                    if len(raw) != row_bytes * (stop - start):
                        raise self.err(f"array {self.key!r} is truncated", f"image at index {start + len(raw) // max(1, row_bytes)}")
                    block = np.frombuffer(raw, dtype=self.dtype).reshape((stop - start,) + row_shape)
                pos = _kept(keep, start, stop)
                if len(pos):
                    block = np.ascontiguousarray(block[pos - start])
                    _check_finite(block, pos, self)
                    yield Chunk(pos, [f"image at index {int(i)}" for i in pos], block)


def _rewrap(f: IO[bytes], shape: tuple[int, ...], dtype: np.dtype[Any]) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": True, "shape": shape})
    return np.lib.format.magic(1, 0) + buf.getvalue() + f.read()


class _ImagesReader(_Reader):
    """A folder (searched recursively) or a .zip of PNG / JPEG files, in file-name order."""

    def __init__(self, path: Path, spec: TaskSpec, column: str | None) -> None:
        self.path, self.spec = path, spec
        self.zip: zipfile.ZipFile | None = None
        if path.is_dir():
            self.names = sorted(
                str(p.relative_to(path)) for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
            )
        else:
            try:
                self.zip = zipfile.ZipFile(path)
            except (zipfile.BadZipFile, OSError) as e:
                raise self.err(f"not a readable .zip file ({e})") from None
            self.names = sorted(
                n for n in self.zip.namelist()
                if Path(n).suffix.lower() in IMAGE_SUFFIXES and not n.startswith("__MACOSX/") and not Path(n).name.startswith(".")
            )
        if not self.names:
            raise self.err(f"holds no {'/'.join(s[1:] for s in IMAGE_SUFFIXES)} images")
        self.n_records = len(self.names)
        self.chunk_size = 256

    def _image(self, name: str) -> NDArray[Any]:
        from PIL import Image, UnidentifiedImageError

        where = f"image {name!r}"
        img: Any
        try:
            if self.zip is not None:
                with self.zip.open(name) as f:
                    img = Image.open(io.BytesIO(f.read()))
                    img.load()
            else:
                img = Image.open(self.path / name)
                img.load()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
            raise self.err(f"cannot be decoded ({e})", where) from None
        if img.mode.startswith("I;16"):
            arr = np.asarray(img, dtype=np.float64) / 65535.0
        elif img.mode in ("I", "F"):
            raise self.err(f"32-bit images (mode {img.mode!r}) are not supported; save 8- or 16-bit PNG/JPEG", where)
        else:
            if img.mode not in ("L", "RGB"):
                img = img.convert("L" if img.mode in ("1", "LA") else "RGB")
            arr = np.asarray(img)
        if arr.ndim == 3 and self.spec.channels_last is not True:
            arr = np.moveaxis(arr, -1, 0)
        return arr

    def chunks(self, chunk_size: int, keep: NDArray[np.int64] | None) -> Iterator[Chunk]:
        for start in range(0, self.n_records, chunk_size):
            pos = _kept(keep, start, min(start + chunk_size, self.n_records))
            if len(pos):
                images = [self._image(self.names[i]) for i in pos]
                labels = [f"image {self.names[i]!r}" for i in pos]
                shapes = {a.shape for a in images}
                dtypes = {a.dtype for a in images}
                data: Any = (
                    np.stack(images) if len(shapes) == 1 and len(dtypes) == 1
                    else [{self.spec.pixel_values_key: a} for a in images]
                )
                yield Chunk(pos, labels, data)


def open_dataset(path: str | Path, task_spec: TaskSpec, column: str | None = None) -> _Reader:
    """A chunked reader for ``path``: ``.n_records`` and ``.chunks(chunk_size, keep)``."""
    p = Path(path)
    if not p.exists():
        raise DataFileError(p, "no such file or folder")
    suffix = p.suffix.lower()
    modality = task_spec.modality
    if p.is_dir():
        readers: dict[str, type[_Reader]] = {"vision": _ImagesReader}
        kind = "a folder"
    else:
        kind = f"a {suffix or 'suffix-less'} file"
        readers = {
            ".jsonl": _JsonLinesReader, ".ndjson": _JsonLinesReader, ".json": _JsonReader, ".txt": _TxtReader,
            ".csv": _CsvReader, ".tsv": _CsvReader, ".parquet": _ParquetReader,
        } if modality == "text" else {".npy": _NpyReader, ".npz": _NpzReader, ".zip": _ImagesReader}
        readers = {f"{modality}": readers[suffix]} if suffix in readers else {}
    if modality not in readers:
        supported = TEXT_SUFFIXES if modality == "text" else ARRAY_SUFFIXES + (".zip", "a folder of images")
        raise DataFileError(p, f"cannot read {kind} as {modality} data; supported: {', '.join(supported)}")
    try:
        return readers[modality](p, task_spec, column)
    except (OSError, UnicodeDecodeError) as e:
        raise DataFileError(p, f"cannot be read ({e})") from None


# -- predictions -----------------------------------------------------------------------------------


def _check_predictions(arr: NDArray[Any], path: Path) -> NDArray[Any]:
    if arr.dtype.hasobject or arr.dtype.kind not in "uif":
        raise DataFileError(path, f"predictions must be numeric, got dtype {arr.dtype}")
    if arr.ndim not in (1, 2) or len(arr) == 0:
        raise DataFileError(path, f"predictions must be class ids (N,) or scores (N, K) with N >= 1, got shape {arr.shape}")
    if arr.dtype.kind == "f":
        ok = np.isfinite(arr) if arr.ndim == 1 else np.isfinite(arr).all(axis=1)
        if not ok.all():
            raise DataFileError(path, "prediction is NaN or inf", f"row {int(np.argmin(ok)) + 1}")
        if arr.ndim == 1:
            frac = np.flatnonzero(arr != np.floor(arr))
            if len(frac):
                raise DataFileError(path, f"class id {arr[frac[0]]!r} is not an integer", f"row {int(frac[0]) + 1}")
            arr = arr.astype(np.int64)
    if arr.ndim == 1:
        neg = np.flatnonzero(arr < 0)
        if len(neg):
            raise DataFileError(path, f"class id {int(arr[neg[0]])} is negative", f"row {int(neg[0]) + 1}")
        arr = arr.astype(np.int64)
    return arr


def read_predictions(path: str | Path, column: str | None = None, prediction_key: str = "prediction") -> NDArray[Any]:
    """Predictions from ``.csv`` / ``.tsv`` or ``.npy``: (N,) int64 class ids or (N, K) float64 scores.

    A CSV gives class ids from ``column`` (or the ``prediction`` column, or its only column), and
    otherwise scores from all of its columns, one per class.
    """
    p = Path(path)
    if not p.is_file():
        raise DataFileError(p, "no such file")
    suffix = p.suffix.lower()
    if suffix == ".npy":
        return _check_predictions(np.asarray(_load_npy(p, mmap=False)), p)
    if suffix not in (".csv", ".tsv"):
        raise DataFileError(p, f"cannot read predictions from a {suffix or 'suffix-less'} file; use .csv, .tsv or .npy")
    try:
        with open(p, newline="", encoding="utf-8") as f:
            reader = csv.reader(f, delimiter="\t" if suffix == ".tsv" else ",")
            header = next(reader, None)
            if not header:
                raise DataFileError(p, "empty file (no header row)")
            if column is not None and column not in header:
                raise DataFileError(p, f"no column {column!r} (columns: {header[:10]})", "line 1")
            col = column if column is not None else prediction_key if prediction_key in header else None
            if col is None and len(header) == 1:
                col = header[0]
            rows: list[Any] = []
            for row in reader:
                if not row:
                    continue
                where = f"line {reader.line_num}"
                if len(row) != len(header):
                    raise DataFileError(p, f"expected {len(header)} fields (as in the header), got {len(row)}", where)
                if col is not None:
                    rows.append(_parse_class(row[header.index(col)], col, p, where))
                else:
                    rows.append([_parse_score(v, name, p, where) for v, name in zip(row, header, strict=True)])
    except csv.Error as e:
        raise DataFileError(p, f"malformed CSV ({e})") from None
    except UnicodeDecodeError:
        raise DataFileError(p, "not valid UTF-8") from None
    if not rows:
        raise DataFileError(p, "no predictions (only a header row)")
    return _check_predictions(np.asarray(rows, dtype=np.int64 if col is not None else np.float64), p)


def _parse_class(cell: str, col: str, path: Path, where: str) -> int:
    try:
        v = int(cell)
    except ValueError:
        raise DataFileError(path, f"column {col!r} must be a class id (an int >= 0), got {cell!r:.40}", where) from None
    if v < 0:
        raise DataFileError(path, f"column {col!r} must be a class id (an int >= 0), got {v}", where)
    return v


def _parse_score(cell: str, col: str, path: Path, where: str) -> float:
    try:
        v = float(cell)
    except ValueError:
        raise DataFileError(path, f"column {col!r} must be a number (a score), got {cell!r:.40}", where) from None
    if not math.isfinite(v):
        raise DataFileError(path, f"column {col!r} is {cell}", where)
    return v


# -- whole files and profiles ----------------------------------------------------------------------


def _concat(parts: Sequence[Any]) -> Any:
    if not parts:
        return []
    if isinstance(parts[0], np.ndarray) and all(isinstance(p, np.ndarray) and p.shape[1:] == parts[0].shape[1:] for p in parts):
        return np.concatenate(parts)
    if hasattr(parts[0], "column_names"):
        import pyarrow as pa

        return pa.concat_tables(parts)
    out: list[Any] = []
    for p in parts:
        out.extend(list(p) if isinstance(p, list) else [{"pixel_values": a} for a in p])
    return out


def read_dataset(
    path: str | Path, modality: str | TaskSpec, column: str | None = None
) -> tuple[Any, NDArray[Any] | None]:
    """Read a whole data file: ``(dataset, predictions or None)``, ready for ``compute_dataset_profile``.

    ``dataset`` is a list of ``{"input_ids": [...]}`` / ``{"text": "..."}`` items (a pyarrow Table
    for Parquet), or an image array (N, ...) (a list of ``{"pixel_values": ...}`` when images differ
    in size). ``predictions`` are the file's own (a ``prediction`` field / column, an .npz array).
    For big files prefer :func:`profile_file`, which reads in chunks.
    """
    spec = modality if isinstance(modality, TaskSpec) else TaskSpec(modality)  # type: ignore[arg-type]
    reader = open_dataset(path, spec, column)
    if reader.n_records == 0:
        raise DataFileError(path, "no records (the file is empty)")
    chunks = list(reader.chunks(max(reader.n_records, 1), None))
    data = _concat([c.data for c in chunks])
    preds: NDArray[Any] | None = None
    if isinstance(reader, _NpzReader):
        preds = reader.predictions()
    elif chunks and chunks[0].predictions is not None:
        preds = np.concatenate([np.asarray(c.predictions) for c in chunks])
    return data, preds


_ITEM = re.compile(r"^item (\d+): (.*)$", re.S)


def profile_file(
    path: str | Path,
    task_spec: TaskSpec,
    sample_size: int | None = 1000,
    seed: int = 0,
    predictions_path: str | Path | None = None,
    column: str | None = None,
    chunk_size: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Profile a data file (or a folder / .zip of images) in bounded memory.

    The same sample as ``compute_dataset_profile(read_dataset(path), sample_size=..., seed=...)``:
    ``numpy.random.default_rng(seed).choice(n, sample_size, replace=False)`` over all ``n`` records
    of the file (counted first), never the first ``sample_size``. Each chunk's kept records are
    profiled with ``sample_size=None`` and the profiles merged with :func:`merge_profiles`, so
    memory stays bounded by one chunk whatever the file size.

    Parameters
    ----------
    path : str or Path
        A data file, or a folder of images (see the module docstring for the formats).
    task_spec : TaskSpec
        Modality and keys; its ``num_classes`` sizes the prediction histogram.
    sample_size : int or None
        Records to profile; ``None`` profiles them all.
    seed : int
        Seed of the sample.
    predictions_path : str or Path, optional
        A ``.csv`` / ``.tsv`` / ``.npy`` of predictions, one row per record; without it, the
        file's own predictions are used if it carries any.
    column : str, optional
        The field / column / array holding the data (auto-detected otherwise).
    chunk_size : int, optional
        Records per chunk (default: 10,000 texts, or about 64 MB of images).
    progress : callable, optional
        Called as ``progress(done, total)`` after each chunk.

    Raises
    ------
    DataFileError
        Naming the file, the line / record / image and the problem.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "batch.txt"
    >>> _ = f.write_text("the cat sat\\non the mat\\n")
    >>> p = profile_file(f, TaskSpec("text"))
    >>> p["n_samples"], p["seq_length_mean"]
    (2, 3.0)
    """
    if not isinstance(task_spec, TaskSpec):
        raise TypeError(f"task_spec must be a TaskSpec, got {type(task_spec).__name__}")
    check_sample_size(sample_size)
    reader = open_dataset(path, task_spec, column)
    n = reader.n_records
    if n == 0:
        raise reader.err("no records (the file is empty)")
    preds: NDArray[Any] | None = None
    if predictions_path is not None:
        preds = read_predictions(predictions_path, prediction_key=task_spec.prediction_key)
    elif isinstance(reader, _NpzReader):
        preds = reader.predictions()
    if preds is not None and len(preds) != n:
        raise DataFileError(predictions_path or path, f"has {len(preds)} predictions but {path} has {n} records")
    keep = None
    if sample_size is not None and sample_size < n:
        keep = np.sort(np.random.default_rng(seed).choice(n, size=sample_size, replace=False)).astype(np.int64)
    total = n if keep is None else len(keep)
    profile: dict[str, Any] | None = None
    done = 0
    for chunk in reader.chunks(chunk_size or reader.chunk_size, keep):
        p = preds[chunk.positions] if preds is not None else chunk.predictions
        try:
            part = compute_dataset_profile(chunk.data, task_spec, sample_size=None, seed=seed, predictions=p)
        except (ValueError, TypeError) as e:
            m = _ITEM.match(str(e))
            if m and int(m[1]) < len(chunk.labels):
                raise reader.err(m[2], chunk.labels[int(m[1])]) from None
            raise reader.err(str(e), f"{chunk.labels[0]} to {chunk.labels[-1]}") from None
        try:
            profile = part if profile is None else merge_profiles(profile, part)
        except ValueError as e:
            raise reader.err(str(e), f"{chunk.labels[0]} to {chunk.labels[-1]}") from None
        done += len(chunk.positions)
        if progress is not None:
            progress(done, total)
    assert profile is not None
    profile["n_total"] = n
    profile["sample_size"] = None if sample_size is None else int(sample_size)
    profile["seed"] = seed
    return profile
