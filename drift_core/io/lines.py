"""Text records one per line (``.jsonl`` / ``.ndjson``, ``.txt``) and JSON arrays of records (``.json``).

JSON Lines and plain text share one line-record reader: every non-blank line is one record, named
by its physical (1-based) line number; only kept lines are decoded. A record becomes an item for
the core by :class:`TextRecords`: a JSON object's field (``input_ids`` or ``text``, else its only
string field, or ``column``), a bare string, or a bare list of token ids. The reader checks the
record's *shape* (an object with the field, a list or a string); the values inside (token ids,
prediction values) are checked once, by the core, and its errors are mapped back to the line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray

from .._arrow import to_numpy as arrow_to_numpy
from .._validate import pick_text_field
from ..spec import TaskSpec
from ._common import TOO_DEEP, Chunk, Reader, Source


class TextRecords:
    """Turns records (dicts, strings, lists) into items for the core, checking each one's shape."""

    def __init__(self, source: Source, spec: TaskSpec, column: str | None) -> None:
        self.source, self.spec, self.column = source, spec, column
        self.field: str | None = None
        self.kind: str | None = None  # "ids" or "text"
        self.with_predictions = False

    def _setup(self, first: Any, place: dict[str, Any]) -> None:
        if isinstance(first, str):
            self.kind = "text"
        elif isinstance(first, list):
            self.kind = "ids"
        elif isinstance(first, dict):
            strings = [k for k, v in first.items() if isinstance(v, str)]
            try:
                self.field = pick_text_field(sorted(first), self.spec, self.column, strings, "field", "text")
            except ValueError as e:
                raise self.source.err(str(e), **place) from None
            self.kind = "ids" if isinstance(first[self.field], list) else "text"
            self.with_predictions = self.spec.prediction_key in first and self.field != self.spec.prediction_key
        else:
            raise self.source.err(
                f"expected a JSON object, string or list of token ids, got {type(first).__name__}", **place
            )

    def field_name(self, key: str) -> str | None:
        """The record's field behind the core's ``input_ids`` / ``text`` key (None for bare records)."""
        return self.field if key in (self.spec.input_ids_key, self.spec.text_key) else None

    def item(self, record: Any, place: dict[str, Any]) -> tuple[dict[str, Any], Any]:
        """``({"input_ids": [...]} or {"text": "..."}, the record's prediction or None)``."""
        if self.kind is None:
            self._setup(record, place)
        value = record
        pred = None
        if self.field is not None:
            if not isinstance(record, dict):
                raise self.source.err(f"expected a JSON object, got {type(record).__name__}", **place)
            if self.field not in record:
                raise self.source.err(f"missing field {self.field!r}", **place)
            value = record[self.field]
            if self.with_predictions:
                if self.spec.prediction_key not in record:
                    raise self.source.err(f"missing field {self.spec.prediction_key!r} (earlier records have it)", **place)
                pred = record[self.spec.prediction_key]
                if pred is None:
                    raise self.source.err(f"field {self.spec.prediction_key!r} is null", **place)
        name = self.field or ("token ids" if self.kind == "ids" else "text")
        if self.kind == "ids":
            if not isinstance(value, list):
                raise self.source.err(f"{name!r} must be a list of non-negative ints, found {value!r:.40}", **place)
            return {self.spec.input_ids_key: value}, pred
        if not isinstance(value, str):
            raise self.source.err(f"{name!r} must be a string, got {type(value).__name__} {value!r:.40}", **place)
        return {self.spec.text_key: value}, pred


def _predictions(values: list[Any]) -> Any:
    try:
        return np.asarray(values)
    except ValueError:
        return np.asarray(values, dtype=object)


def chunked_items(
    records: Iterable[tuple[int, dict[str, Any], Callable[[], Any]]],
    recs: TextRecords,
    chunk_size: int,
) -> Iterator[Chunk]:
    """Group the kept records, ``(position, place, parse)``, into chunks of parsed items."""
    pos: list[int] = []
    places: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    preds: list[Any] = []

    def chunk() -> Chunk:
        p = _predictions(preds) if recs.with_predictions else None
        return Chunk(np.asarray(pos, dtype=np.int64), places, items, p)

    for i, place, parse in records:
        item, pred = recs.item(parse(), place)
        pos.append(i)
        places.append(place)
        items.append(item)
        preds.append(pred)
        if len(items) >= chunk_size:
            yield chunk()
            pos, places, items, preds = [], [], [], []
    if items:
        yield chunk()


def _parse_json(source: Source, raw: bytes, lineno: int) -> Any:
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise source.err("not valid UTF-8", line=lineno) from None
    except json.JSONDecodeError as e:
        raise source.err(f"invalid JSON ({e.msg} at column {e.colno})", line=lineno) from None
    except RecursionError:
        raise source.err(TOO_DEEP, line=lineno) from None


def _parse_text(source: Source, raw: bytes, lineno: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise source.err(f"not valid UTF-8 (byte {e.start + 1})", line=lineno) from None


_BLOCK = 1 << 24  # bytes read at a time when counting lines
#: Bytes per block of pyarrow's JSON reader (a record batch); a line longer than this falls back.
_ARROW_BLOCK = 1 << 24
#: Token ids above this are read through float64 by the line-by-line path (and refused there); the
#: fast path leaves such files to it, so both paths accept and refuse the same files.
_MAX_FAST_ID = 2**53


class _Fallback(Exception):
    """The fast path cannot read (the rest of) the file: the exact line-by-line reader takes over."""


_IS_BLANK = np.zeros(256, dtype=bool)
_IS_BLANK[list(b" \t\n\r\x0b\x0c")] = True  # what bytes.strip strips: a line of only these is blank


def _newlines(block: bytes) -> NDArray[np.intp]:
    """Positions of ``\n`` in ``block`` (one vectorised pass)."""
    return np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 10)


def _count_lines(f: IO[bytes]) -> tuple[int, bool]:
    """``(number of lines, whether some line starts with whitespace)``, at memory speed.

    A line ends at ``\n`` (the last one may not); when no line starts with a whitespace byte, no
    line is blank, and the file's records are exactly its lines.
    """
    n, ws_start, prev = 0, False, 10
    while block := f.read(_BLOCK):
        nl = _newlines(block)
        n += len(nl)
        if not ws_start:
            after = nl[nl + 1 < len(block)] + 1
            arr = np.frombuffer(block, dtype=np.uint8)
            ws_start = bool(_IS_BLANK[arr[after]].any()) or (prev == 10 and bool(_IS_BLANK[block[0]]))
        prev = block[-1]
    return n + (prev != 10), ws_start


def _lines_at(f: IO[bytes], keep: NDArray[np.int64]) -> Iterator[tuple[int, bytes]]:
    """(1-based line number, bytes without the line end) of the lines with 0-based indices ``keep``
    (sorted), found block by block from the newline positions: only those lines become objects."""
    first_line, carry, k = 0, b"", 0
    while k < len(keep) and (block := f.read(_BLOCK)):
        buf = carry + block if carry else block
        nl = _newlines(buf)
        stop = int(np.searchsorted(keep, first_line + len(nl)))
        for i in keep[k:stop].tolist():
            j = i - first_line
            yield i + 1, buf[(int(nl[j - 1]) + 1 if j else 0):int(nl[j])].rstrip(b"\r")
        k = stop
        carry = buf[int(nl[-1]) + 1:] if len(nl) else buf
        first_line += len(nl)
    if k < len(keep) and carry and keep[k] == first_line:  # the last line, without a line end
        yield first_line + 1, carry.rstrip(b"\r")


class LinesReader(Reader):
    """One record per non-blank line: JSON Lines (``parse=_parse_json``) or plain text (``_parse_text``).

    ``n_records`` is counted first (the sample needs it): from vectorised newline positions, block
    by block, when no line starts with whitespace (then every line is a record), else line by line.
    Then only the kept lines are decoded (a sample's lines are found by position). Without a sample
    (and in chunks smaller than the file), JSON Lines whose records are objects with a list of ints
    (or a string) are parsed by pyarrow's multi-threaded JSON reader in blocks; at the first
    block it cannot read exactly as ``json.loads`` would (a parse error, a type it would have to
    guess, a null, an id above 2**53, invalid UTF-8), the line-by-line reader
    takes over from that block's first record, so errors name their line as before.
    """

    def __init__(self, source: Source, spec: TaskSpec, column: str | None,
                 parse: Callable[[Source, bytes, int], Any] = _parse_json) -> None:
        self.source, self.spec, self.parse = source, spec, parse
        self.records = TextRecords(source, spec, column if parse is _parse_json else None)
        with self.source.open() as f:
            n_lines, ws_start = _count_lines(f)
        self.every_line_a_record = not ws_start
        self.n_records = n_lines if self.every_line_a_record else sum(1 for _ in self._lines())

    def _lines(self) -> Iterator[tuple[int, bytes]]:
        """(1-based line number, the line without its end) of every non-blank line."""
        with self.source.open() as f:
            for lineno, raw in enumerate(f, start=1):
                if raw.strip():
                    yield lineno, raw.rstrip(b"\r\n")

    def _kept_lines(self, keep: NDArray[np.int64] | None, skip: int) -> Iterator[tuple[int, bytes]]:
        """The kept records' (line number, bytes), from record ``skip`` on; the others are not decoded."""
        if keep is not None and self.every_line_a_record:
            with self.source.open() as f:
                yield from _lines_at(f, keep[np.searchsorted(keep, skip):])
            return
        lines = self._lines()
        if keep is None:
            yield from islice(lines, skip, None)
            return
        wanted = iter(keep[np.searchsorted(keep, skip):].tolist())
        target = next(wanted, None)
        for i, line in enumerate(lines):
            if i == target:
                yield line
                target = next(wanted, None)
                if target is None:
                    return

    def chunks(self, chunk_size: int, keep: NDArray[np.int64] | None) -> Iterator[Chunk]:
        done = 0
        # A chunk as large as the file is ``read_dataset`` reading it whole, whose contract is a list
        # of items: the fast path (pyarrow tables) is for chunked profiling only.
        whole = chunk_size >= self.n_records
        if keep is None and not whole and self.parse is _parse_json and self.every_line_a_record:
            fast = self._arrow_chunks(chunk_size)
            try:
                for chunk in fast:
                    done += len(chunk.positions)
                    yield chunk
                return
            except _Fallback:
                pass
        positions = keep[np.searchsorted(keep, done):] if keep is not None else np.arange(done, self.n_records)
        lines = self._kept_lines(keep, done)
        records = ((int(i), {"line": n}, lambda raw=raw, n=n: self.parse(self.source, raw, n))
                   for i, (n, raw) in zip(positions, lines, strict=False))
        yield from chunked_items(records, self.records, chunk_size)

    def _arrow_chunks(self, chunk_size: int) -> Iterator[Chunk]:
        """Record batches of pyarrow's JSON reader as chunks (see the class docstring); raises
        :class:`_Fallback` before yielding a batch it cannot take exactly."""
        import pyarrow as pa
        import pyarrow.json as pj

        with self.source.open() as f:
            first = f.readline()
        item, pred = self.records.item(self.parse(self.source, first.rstrip(b"\r\n"), 1), {"line": 1})
        recs = self.records
        if recs.field is None:
            raise _Fallback
        key = next(iter(item))
        fields = [pa.field(recs.field, pa.list_(pa.int64()) if recs.kind == "ids" else pa.string())]
        if recs.with_predictions:
            if isinstance(pred, bool) or not isinstance(pred, (int, float)):
                raise _Fallback  # score lists, strings: the line-by-line reader
            fields.append(pa.field(self.spec.prediction_key, pa.int64() if isinstance(pred, int) else pa.float64()))
        opts = pj.ParseOptions(explicit_schema=pa.schema(fields), unexpected_field_behavior="ignore")
        start = 0
        try:
            reader = pj.open_json(self.source.path if self.source.path is not None else pa.BufferReader(self.source.data),
                                  read_options=pj.ReadOptions(block_size=_ARROW_BLOCK), parse_options=opts)
            for batch in reader:
                values = batch.column(0)
                if values.null_count or (recs.kind == "ids" and not _exact_ids(values)):
                    raise _Fallback
                if recs.kind == "text":
                    values.validate(full=True)  # pyarrow does not check UTF-8 while parsing: ArrowInvalid
                preds = None
                if recs.with_predictions:
                    p = batch.column(1)
                    if p.null_count:
                        raise _Fallback
                    preds = arrow_to_numpy(p)
                for lo in range(0, batch.num_rows, chunk_size):
                    hi = min(lo + chunk_size, batch.num_rows)
                    places = [{"line": start + i + 1} for i in range(lo, hi)]
                    yield Chunk(np.arange(start + lo, start + hi, dtype=np.int64), places,
                                pa.table({key: values.slice(lo, hi - lo)}), None if preds is None else preds[lo:hi])
                start += batch.num_rows
        except (pa.ArrowException, OSError):
            raise _Fallback from None

    def field_name(self, key: str) -> str | None:
        return self.records.field_name(key)


def _exact_ids(values: Any) -> bool:
    """Whether a list<int64> column reads exactly as the line-by-line path would (no null id, no id
    above 2**53, which that path reads through float64 and refuses)."""
    flat = values.values
    if flat.null_count:
        return False
    import pyarrow.compute as pc

    top = pc.max(flat).as_py()
    return top is None or top <= _MAX_FAST_ID


def jsonl_reader(source: Source, spec: TaskSpec, column: str | None) -> LinesReader:
    return LinesReader(source, spec, column, _parse_json)


def txt_reader(source: Source, spec: TaskSpec, column: str | None) -> LinesReader:
    return LinesReader(source, spec, column, _parse_text)


class JsonReader(Reader):
    """A JSON array of records (or an object holding exactly one array), read whole."""

    def __init__(self, source: Source, spec: TaskSpec, column: str | None) -> None:
        self.source, self.spec, self.column = source, spec, column
        try:
            data = json.loads(source.read_bytes())
        except UnicodeDecodeError:
            raise self.err("not valid UTF-8") from None
        except json.JSONDecodeError as e:
            raise self.err(f"invalid JSON ({e.msg})", line=e.lineno) from None
        except RecursionError:
            raise self.err(TOO_DEEP) from None
        if isinstance(data, dict):
            lists = [k for k, v in data.items() if isinstance(v, list)]
            if len(lists) != 1:
                raise self.err("expected a JSON array of records (or an object holding one array)")
            data = data[lists[0]]
        if not isinstance(data, list):
            raise self.err(f"expected a JSON array of records, got {type(data).__name__}")
        self.data = data
        self.n_records = len(data)
        self.records = TextRecords(source, spec, column)

    def chunks(self, chunk_size: int, keep: NDArray[np.int64] | None) -> Iterator[Chunk]:
        kept = range(self.n_records) if keep is None else keep.tolist()
        recs = ((i, {"record": i + 1}, lambda r=self.data[i]: r) for i in kept)
        return chunked_items(recs, self.records, chunk_size)

    def field_name(self, key: str) -> str | None:
        return self.records.field_name(key)

