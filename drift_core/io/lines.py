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
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

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
    records: Iterator[tuple[dict[str, Any], Callable[[], Any]]],
    recs: TextRecords,
    chunk_size: int,
    keep: NDArray[np.int64] | None,
) -> Iterator[Chunk]:
    """Group an iterator of ``(place, parse)`` records into chunks, parsing only kept records."""
    keep_set = None if keep is None else set(keep.tolist())
    pos: list[int] = []
    places: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    preds: list[Any] = []

    def chunk() -> Chunk:
        p = _predictions(preds) if recs.with_predictions else None
        return Chunk(np.asarray(pos, dtype=np.int64), places, items, p)

    for i, (place, parse) in enumerate(records):
        if keep_set is not None and i not in keep_set:
            continue
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


class LinesReader(Reader):
    """One record per non-blank line: JSON Lines (``parse=_parse_json``) or plain text (``_parse_text``).

    ``n_records`` is counted in a first pass over the bytes (the sample needs it); the second pass
    decodes only the kept lines.
    """

    def __init__(self, source: Source, spec: TaskSpec, column: str | None,
                 parse: Callable[[Source, bytes, int], Any] = _parse_json) -> None:
        self.source, self.spec, self.parse = source, spec, parse
        self.records = TextRecords(source, spec, column if parse is _parse_json else None)
        self.n_records = sum(1 for _ in self._lines())

    def _lines(self) -> Iterator[tuple[int, bytes]]:
        """(1-based line number, the line without its end) of every non-blank line."""
        with self.source.open() as f:
            for lineno, raw in enumerate(f, start=1):
                if raw.strip():
                    yield lineno, raw.rstrip(b"\r\n")

    def chunks(self, chunk_size: int, keep: NDArray[np.int64] | None) -> Iterator[Chunk]:
        records = (({"line": n}, lambda raw=raw, n=n: self.parse(self.source, raw, n)) for n, raw in self._lines())
        return chunked_items(records, self.records, chunk_size, keep)

    def field_name(self, key: str) -> str | None:
        return self.records.field_name(key)


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
        recs = (({"record": i + 1}, lambda r=r: r) for i, r in enumerate(self.data))
        return chunked_items(recs, self.records, chunk_size, keep)

    def field_name(self, key: str) -> str | None:
        return self.records.field_name(key)

