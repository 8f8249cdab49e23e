"""Images in numpy files: ``.npy`` (read by rows, only the sampled ones) and ``.npz`` (one member streamed).

Arrays are (N,C,H,W), (N,H,W,C) or (N,H,W), uint8 or float. An ``.npz`` holds the images in
``pixel_values`` / ``images`` / ``x`` / ``arr_0`` (else its only array with 3+ dims, or ``column``)
and may hold ``predictions``. Nothing is ever unpickled (``allow_pickle=False``; object arrays
are refused). Records are named "image at index i" (0-based, as numpy counts).
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import struct
import zipfile
from collections.abc import Callable, Iterator
from typing import IO, Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from ..spec import TaskSpec
from ._common import (
    CHUNK_BYTES,
    ZIP_ERRORS,
    Chunk,
    DataFileError,
    Reader,
    RowPlaces,
    Source,
    check_archive_size,
    check_member_size,
    kept,
    open_zip,
)

_NPZ_IMAGE_KEYS = ("pixel_values", "images", "x", "arr_0")
_NPZ_PREDICTION_KEYS = ("predictions", "prediction", "y_pred", "preds")
_UNIT = "image at index"


def _places(pos: NDArray[np.int64]) -> RowPlaces:
    return RowPlaces(pos, _UNIT, base=0)


def _check_image_array(shape: tuple[int, ...], dtype: np.dtype[Any], reader: Reader, name: str = "") -> None:
    what = f"array {name!r}: " if name else ""
    if dtype.hasobject or dtype.kind not in "uif":
        raise reader.err(f"{what}images must be numeric (uint8 or float), got dtype {dtype}")
    if len(shape) not in (3, 4):
        raise reader.err(f"{what}expected images (N,C,H,W), (N,H,W,C) or (N,H,W), got shape {shape}")
    if shape[0] == 0:
        raise reader.err(f"{what}holds no images (first axis is 0)")
    if 0 in shape[1:]:
        raise reader.err(f"{what}images are empty (shape {tuple(shape)}, no pixels)")


def _image_chunk_size(shape: tuple[int, ...], dtype: np.dtype[Any]) -> int:
    per = max(1, int(np.prod(shape[1:], dtype=np.int64)) * dtype.itemsize)
    return max(1, CHUNK_BYTES // per)


class _Header(NamedTuple):
    shape: tuple[int, ...]
    fortran: bool
    dtype: np.dtype[Any]
    offset: int  # bytes before the data
    nbytes: int  # bytes of data the header declares


def read_npy_header(f: IO[bytes], available: int | None, fail: Callable[[str], Exception]) -> _Header:
    """The header of an ``.npy`` checked before anything is allocated: a numeric or plain dtype (no
    Python objects), a shape of non-negative ints, and (when ``available``, the bytes of the file or
    member, is known) data that fits in the file. ``fail(reason)`` builds the error to raise."""
    start = f.read(8)
    if start[:4] == b"PK\x03\x04":
        raise fail("is a zip archive (an .npz?), not an .npy array")
    try:
        version = np.lib.format.read_magic(io.BytesIO(start))
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise ValueError(f"unsupported .npy format version {version}")
    except Exception as e:  # noqa: BLE001 - numpy parses the header's text with tokenize and
        # ast.literal_eval, whose errors on damaged text are many (TokenError, SyntaxError, ValueError...)
        raise fail(f"not a readable .npy array (bad header: {type(e).__name__}: {_short(e)})") from None
    if dtype.hasobject:
        raise fail("holds Python objects (a pickle); Driftboard never unpickles, save a numeric array")
    if not isinstance(shape, tuple) or not all(type(d) is int and d >= 0 for d in shape):
        raise fail(f"not a readable .npy array (the header declares the shape {shape})")
    offset = f.tell()
    nbytes = math.prod(shape) * dtype.itemsize
    if available is not None and nbytes > available - offset:
        raise fail(
            f"is cut short: the header declares shape {tuple(shape)} of {dtype} ({nbytes:,} bytes) "
            f"but the file holds {max(0, available - offset):,} bytes of data"
        )
    return _Header(tuple(shape), bool(fortran), dtype, offset, nbytes)


def _short(e: BaseException) -> str:
    text = str(e).splitlines()[0] if str(e) else type(e).__name__
    return text[:200]


#: Kept rows closer than this many bytes apart are read in one go (one read instead of two seeks).
_GAP_BYTES = 128 * 2**10


class NpyRows:
    """The rows of a C-order ``.npy`` array (or ``.npy`` member stored uncompressed in a zip), read
    by window: ``seek`` + ``readinto`` on disk, ``np.frombuffer`` on bytes. Nothing is memory-mapped
    (a map of a file larger than memory counts against an address-space limit, ``ulimit -v``), and
    only the rows asked for are read. ``bytes_read`` counts the data bytes read so far.

    ``base`` is where the ``.npy`` starts in the file (non-zero for a member of an ``.npz``).
    """

    def __init__(self, source: Source, header: _Header, base: int = 0) -> None:
        self.source, self.header, self.base = source, header, base
        self.shape, self.dtype = header.shape, header.dtype
        self.n = int(self.shape[0]) if self.shape else 1
        self.row_shape = tuple(self.shape[1:])
        self.row_bytes = math.prod(self.row_shape) * self.dtype.itemsize
        self.bytes_read = 0

    def _spans(self, pos: NDArray[np.int64]) -> list[tuple[int, int]]:
        """Sorted positions as [start, stop) row spans, joining rows less than ``_GAP_BYTES`` apart."""
        gap_rows = max(1, _GAP_BYTES // max(1, self.row_bytes))
        cuts = np.flatnonzero(np.diff(pos) > gap_rows) + 1
        starts = np.concatenate(([0], cuts))
        stops = np.concatenate((cuts, [len(pos)]))
        return [(int(pos[a]), int(pos[b - 1]) + 1) for a, b in zip(starts, stops, strict=True)]

    def read(self, start: int, stop: int) -> NDArray[Any]:
        """Rows ``start`` to ``stop`` (a new array, or a view of an upload's bytes)."""
        return self.take_spans([(start, stop)], None)

    def take(self, pos: NDArray[np.int64]) -> NDArray[Any]:
        """The rows at sorted positions ``pos``, reading only the spans that hold them."""
        if len(pos) == 0:
            return np.empty((0,) + self.row_shape, dtype=self.dtype)
        if int(pos[-1]) - int(pos[0]) + 1 == len(pos):
            return self.read(int(pos[0]), int(pos[-1]) + 1)
        return self.take_spans(self._spans(pos), pos)

    def take_spans(self, spans: list[tuple[int, int]], pos: NDArray[np.int64] | None) -> NDArray[Any]:
        count = self.row_bytes // self.dtype.itemsize
        parts = []
        with contextlib.ExitStack() as stack:
            f = stack.enter_context(self.source.open()) if self.source.data is None else None
            for start, stop in spans:
                offset = self.base + self.header.offset + start * self.row_bytes
                n_items = (stop - start) * count
                if f is None:
                    assert self.source.data is not None
                    if offset + n_items * self.dtype.itemsize > len(self.source.data):
                        raise self.source.err("is cut short", record=start, unit=_UNIT)
                    flat = np.frombuffer(self.source.data, dtype=self.dtype, count=n_items, offset=offset)
                else:
                    flat = np.empty(n_items, dtype=self.dtype)
                    f.seek(offset)
                    got = f.readinto(flat.view(np.uint8)) if n_items else 0  # type: ignore[attr-defined]
                    if got != flat.nbytes:
                        at = start + got // max(1, self.row_bytes)
                        raise self.source.err("is cut short (the file changed while it was read?)",
                                              record=at, unit=_UNIT)
                self.bytes_read += flat.nbytes
                block = flat.reshape((stop - start,) + self.row_shape)
                parts.append(block if pos is None else block[pos[(pos >= start) & (pos < stop)] - start])
        return parts[0] if len(parts) == 1 else np.concatenate(parts)


def open_npy(source: Source) -> NpyRows | NDArray[Any]:
    """An ``.npy`` to read by rows (:class:`NpyRows`), its header checked against the file size before
    anything is allocated, never unpickled. A Fortran-order array (each row scattered through the
    file) is memory-mapped whole instead, and an empty one returned as zeros."""
    try:
        with source.open() as f:
            size = len(source.data) if source.data is not None else os.fstat(f.fileno()).st_size
            h = read_npy_header(f, size, source.err)
        if h.nbytes == 0:
            return np.zeros(h.shape, dtype=h.dtype)
        if not h.fortran or len(h.shape) < 2:
            return NpyRows(source, h)
        if source.data is not None:
            flat = np.frombuffer(source.data, dtype=h.dtype, count=h.nbytes // h.dtype.itemsize, offset=h.offset)
            return flat.reshape(h.shape, order="F")
        assert source.path is not None
        return np.memmap(source.path, dtype=h.dtype, mode="r", offset=h.offset, shape=h.shape, order="F")
    except (OSError, ValueError) as e:
        if isinstance(e, DataFileError):
            raise
        raise source.err(f"not a readable .npy array ({_short(e)})") from None


def load_npy(source: Source) -> NDArray[Any]:
    """The whole array of an ``.npy`` in memory (read by :class:`NpyRows`, never unpickled)."""
    rows = open_npy(source)
    if not isinstance(rows, NpyRows):
        return np.array(rows)
    if not rows.shape:
        return rows.take_spans([(0, 1)], None).reshape(())
    return rows.read(0, rows.n)


def sampled_groups(n: int, chunk_size: int, keep: NDArray[np.int64] | None) -> Iterator[NDArray[np.int64]]:
    """The positions to read, ``chunk_size`` at a time: consecutive rows, or the kept ones."""
    if keep is None:
        for start in range(0, n, chunk_size):
            yield np.arange(start, min(start + chunk_size, n), dtype=np.int64)
    else:
        for start in range(0, len(keep), chunk_size):
            yield keep[start:start + chunk_size]


class NpyReader(Reader):
    """Images in an ``.npy``, read chunk by chunk (only the sampled rows when sampling)."""

    def __init__(self, source: Source, spec: TaskSpec, column: str | None) -> None:
        self.source = source
        self.rows = open_npy(source)
        _check_image_array(self.rows.shape, self.rows.dtype, self)
        self.n_records = int(self.rows.shape[0])
        self.chunk_size = _image_chunk_size(self.rows.shape, self.rows.dtype)

    def chunks(self, chunk_size: int, keep: NDArray[np.int64] | None) -> Iterator[Chunk]:
        # Float images are checked for NaN by the core, whose error names the image by its index.
        for pos in sampled_groups(self.n_records, chunk_size, keep):
            rows = self.rows
            block = rows.take(pos) if isinstance(rows, NpyRows) else np.asarray(rows[pos])
            yield Chunk(pos, _places(pos), block)


class NpzReader(Reader):
    """Streams one member of an .npz (compressed or not) without loading it whole.

    A member stored uncompressed (``np.savez``) is read by rows in place (:class:`NpyRows` at the
    member's offset: only the sampled rows are read); a compressed one (``np.savez_compressed``) is
    decompressed in windows of one chunk, up to the last sampled row. Each member's header is
    checked against its declared size before anything is allocated; a Fortran-order array (rows
    scattered through the member) is read whole, within ``max_member_bytes``.
    """

    def __init__(self, source: Source, spec: TaskSpec, column: str | None) -> None:
        self.source = source
        self.zip = open_zip(source, ".npz")
        self.infos = {i.filename[:-4]: i for i in self.zip.infolist() if i.filename.endswith(".npy")}
        headers = {k: self._header(k) for k in self.infos}
        if column is not None:
            if column not in self.infos:
                raise self.err(f"no array {column!r} (arrays: {sorted(self.infos)})")
            self.key = column
        else:
            named = [k for k in _NPZ_IMAGE_KEYS if k in self.infos]
            images = [k for k, h in headers.items() if len(h.shape) >= 3]
            if named:
                self.key = named[0]
            elif len(images) == 1:
                self.key = images[0]
            else:
                raise self.err(f"cannot tell which array holds the images (arrays: {sorted(self.infos)}); name it with column=/--column")
        self.header = headers[self.key]
        self.shape, self.dtype = self.header.shape, self.header.dtype
        _check_image_array(self.shape, self.dtype, self, self.key)
        self.n_records = int(self.shape[0])
        self.chunk_size = _image_chunk_size(self.shape, self.dtype)
        self.pred_key = next((k for k in _NPZ_PREDICTION_KEYS if k in self.infos and k != self.key), None)
        check_archive_size(source, [self.infos[k] for k in (self.key, self.pred_key) if k is not None])
        self.rows = self._stored_rows(self.infos[self.key], self.header)

    def _stored_rows(self, info: zipfile.ZipInfo, h: _Header) -> NpyRows | None:
        """Rows read in place when the member is stored uncompressed and unencrypted in C order."""
        if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 1 or (h.fortran and len(h.shape) > 1):
            return None
        with self.source.open() as f:
            f.seek(info.header_offset)
            local = f.read(30)
        if len(local) != 30 or local[:4] != b"PK\x03\x04":
            return None
        name_len, extra_len = struct.unpack("<HH", local[26:30])
        return NpyRows(self.source, h, base=info.header_offset + 30 + name_len + extra_len)

    def _fail(self, key: str) -> Callable[[str], DataFileError]:
        return lambda reason: self.err(f"array {key!r} {reason}")

    def _header(self, key: str) -> _Header:
        info = self.infos[key]
        check_member_size(self.source, info, "array member")
        try:
            with self.zip.open(info) as f:
                return read_npy_header(f, info.file_size, self._fail(key))
        except DataFileError:
            raise
        except ZIP_ERRORS as e:
            raise self.err(f"array {key!r} cannot be read from the .npz ({_short(e)})") from None

    def _read_whole(self, key: str, h: _Header) -> NDArray[Any]:
        try:
            with self.zip.open(self.infos[key]) as f:
                f.read(h.offset)
                raw = f.read(h.nbytes)
        except ZIP_ERRORS as e:
            raise self.err(f"array {key!r} cannot be read from the .npz ({_short(e)})") from None
        if len(raw) != h.nbytes:
            raise self.err(f"array {key!r} is truncated ({len(raw):,} of {h.nbytes:,} bytes)")
        flat = np.frombuffer(raw, dtype=h.dtype)
        return flat.reshape(h.shape, order="F" if h.fortran else "C")

    def predictions(self) -> NDArray[Any] | None:
        from .predictions import check_file_predictions

        if self.pred_key is None:
            return None
        arr = self._read_whole(self.pred_key, self._header(self.pred_key))
        return check_file_predictions(arr, self.source)

    def chunks(self, chunk_size: int, keep: NDArray[np.int64] | None) -> Iterator[Chunk]:
        if self.rows is not None:
            for pos in sampled_groups(self.n_records, chunk_size, keep):
                yield Chunk(pos, _places(pos), self.rows.take(pos))
            return
        h = self.header
        full = self._read_whole(self.key, h) if h.fortran else None
        row_shape = tuple(self.shape[1:])
        row_bytes = math.prod(row_shape) * self.dtype.itemsize
        try:
            with self.zip.open(self.infos[self.key]) as f:
                f.read(h.offset)
                for start in range(0, self.n_records, chunk_size):
                    if keep is not None and (len(keep) == 0 or start > keep[-1]):
                        break  # nothing sampled beyond here: decompress no further
                    stop = min(start + chunk_size, self.n_records)
                    if full is not None:
                        block = full[start:stop]
                    else:
                        raw = f.read(row_bytes * (stop - start))
                        if len(raw) != row_bytes * (stop - start):
                            at = start + len(raw) // max(1, row_bytes)
                            raise self.err(f"array {self.key!r} is truncated", record=at, unit=_UNIT)
                        block = np.frombuffer(raw, dtype=self.dtype).reshape((stop - start,) + row_shape)
                    pos = kept(keep, start, stop)
                    if len(pos):
                        block = np.ascontiguousarray(block[pos - start])
                        yield Chunk(pos, _places(pos), block)
        except DataFileError:
            raise
        except ZIP_ERRORS as e:
            raise self.err(f"array {self.key!r} cannot be read from the .npz ({_short(e)})") from None
