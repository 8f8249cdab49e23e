"""Images in numpy files: ``.npy`` (memory-mapped on disk) and ``.npz`` (one member streamed).

Arrays are (N,C,H,W), (N,H,W,C) or (N,H,W), uint8 or float. An ``.npz`` holds the images in
``pixel_values`` / ``images`` / ``x`` / ``arr_0`` (else its only array with 3+ dims, or ``column``)
and may hold ``predictions``. Nothing is ever unpickled (``allow_pickle=False``; object arrays
are refused). Records are named "image at index i" (0-based, as numpy counts).
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Callable, Iterator
from typing import IO, Any, Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray

from ..spec import TaskSpec
from ._common import (
    CHUNK_BYTES,
    ZIP_ERRORS,
    Chunk,
    DataFileError,
    Reader,
    Source,
    check_archive_size,
    check_member_size,
    kept,
    open_zip,
)

_NPZ_IMAGE_KEYS = ("pixel_values", "images", "x", "arr_0")
_NPZ_PREDICTION_KEYS = ("predictions", "prediction", "y_pred", "preds")
_UNIT = "image at index"


def _places(pos: NDArray[np.int64]) -> list[dict[str, Any]]:
    return [{"record": int(i), "unit": _UNIT} for i in pos]


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


def load_npy(source: Source, mmap: bool) -> Any:
    """The array of an ``.npy`` (memory-mapped when on disk and ``mmap``), never unpickled; the
    header is checked against the file size before anything is allocated."""
    try:
        with source.open() as f:
            size = len(source.data) if source.data is not None else os.fstat(f.fileno()).st_size
            h = read_npy_header(f, size, source.err)
            order: Literal["C", "F"] = "F" if h.fortran else "C"
            if h.nbytes == 0:
                return np.zeros(h.shape, dtype=h.dtype)
            if source.data is not None:
                flat = np.frombuffer(source.data, dtype=h.dtype, count=h.nbytes // h.dtype.itemsize, offset=h.offset)
                return flat.reshape(h.shape, order=order)
            assert source.path is not None
            arr = np.memmap(source.path, dtype=h.dtype, mode="r", offset=h.offset, shape=h.shape, order=order)
            return arr if mmap else np.array(arr)
    except (OSError, ValueError) as e:
        if isinstance(e, DataFileError):
            raise
        raise source.err(f"not a readable .npy array ({_short(e)})") from None


class NpyReader(Reader):
    def __init__(self, source: Source, spec: TaskSpec, column: str | None) -> None:
        self.source = source
        self.arr = load_npy(source, mmap=True)
        _check_image_array(self.arr.shape, self.arr.dtype, self)
        self.n_records = int(self.arr.shape[0])
        self.chunk_size = _image_chunk_size(self.arr.shape, self.arr.dtype)

    def chunks(self, chunk_size: int, keep: NDArray[np.int64] | None) -> Iterator[Chunk]:
        # Float images are checked for NaN by the core, whose error names the image by its index.
        for start in range(0, self.n_records, chunk_size):
            stop = min(start + chunk_size, self.n_records)
            pos = kept(keep, start, stop)
            if len(pos):
                block = np.asarray(self.arr[start:stop] if len(pos) == stop - start else self.arr[pos])
                yield Chunk(pos, _places(pos), block)


class NpzReader(Reader):
    """Streams one member of an .npz (compressed or not) without loading it whole.

    Each member's header is checked against its declared size before anything is allocated; a
    Fortran-order array (rows scattered through the member) is read whole, within ``max_member_bytes``.
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
        h = self.header
        full = self._read_whole(self.key, h) if h.fortran else None
        row_shape = tuple(self.shape[1:])
        row_bytes = math.prod(row_shape) * self.dtype.itemsize
        try:
            with self.zip.open(self.infos[self.key]) as f:
                f.read(h.offset)
                for start in range(0, self.n_records, chunk_size):
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
