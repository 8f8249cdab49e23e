"""Images in numpy files: ``.npy`` (memory-mapped on disk) and ``.npz`` (one member streamed).

Arrays are (N,C,H,W), (N,H,W,C) or (N,H,W), uint8 or float. An ``.npz`` holds the images in
``pixel_values`` / ``images`` / ``x`` / ``arr_0`` (else its only array with 3+ dims, or ``column``)
and may hold ``predictions``. Nothing is ever unpickled (``allow_pickle=False``; object arrays
are refused). Records are named "image at index i" (0-based, as numpy counts).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray

from ..spec import TaskSpec
from ._common import CHUNK_BYTES, Chunk, Reader, Source, kept

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


def _image_chunk_size(shape: tuple[int, ...], dtype: np.dtype[Any]) -> int:
    per = max(1, int(np.prod(shape[1:], dtype=np.int64)) * dtype.itemsize)
    return max(1, CHUNK_BYTES // per)


def load_npy(source: Source, mmap: bool) -> Any:
    """The array of an ``.npy`` (memory-mapped when on disk and ``mmap``), never unpickled."""
    try:
        if source.path is not None:
            return np.load(source.path, mmap_mode="r" if mmap else None, allow_pickle=False)
        with source.open() as f:
            return np.load(f, allow_pickle=False)
    except ValueError as e:
        if "pickle" in str(e) or "Python objects" in str(e) or "object" in str(e).lower():
            raise source.err("holds Python objects (a pickle); Driftboard never unpickles, save a numeric array") from None
        raise source.err(f"not a readable .npy array ({e})") from None
    except (OSError, EOFError) as e:
        raise source.err(f"not a readable .npy array ({e})") from None


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


def _read_header(f: IO[bytes]) -> tuple[tuple[int, ...], bool, np.dtype[Any]]:
    version = np.lib.format.read_magic(f)
    shape, fortran, dtype = (
        np.lib.format.read_array_header_1_0(f) if version == (1, 0) else np.lib.format.read_array_header_2_0(f)
    )
    return tuple(shape), bool(fortran), dtype


class NpzReader(Reader):
    """Streams one member of an .npz (compressed or not) without loading it whole."""

    def __init__(self, source: Source, spec: TaskSpec, column: str | None) -> None:
        self.source = source
        try:
            self.zip = zipfile.ZipFile(source.path if source.path is not None else source.open())
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
                shape, fortran, dtype = _read_header(f)
        except (ValueError, OSError, zipfile.BadZipFile) as e:
            raise self.err(f"array {member[:-4]!r} is not a readable .npy member ({e})") from None
        if dtype.hasobject:
            raise self.err(f"array {member[:-4]!r} holds Python objects (a pickle); Driftboard never unpickles")
        return shape, fortran, dtype

    def predictions(self) -> NDArray[Any] | None:
        from .predictions import check_file_predictions

        if self.pred_key is None:
            return None
        with self.zip.open(self.members[self.pred_key]) as f:
            try:
                arr = np.lib.format.read_array(f, allow_pickle=False)
            except ValueError as e:
                raise self.err(f"array {self.pred_key!r} cannot be read without unpickling ({e})") from None
        return check_file_predictions(arr, self.source)

    def chunks(self, chunk_size: int, keep: NDArray[np.int64] | None) -> Iterator[Chunk]:
        row_shape = tuple(self.shape[1:])
        row_bytes = int(np.prod(row_shape, dtype=np.int64)) * self.dtype.itemsize
        with self.zip.open(self.members[self.key]) as f:
            _read_header(f)
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
                        at = start + len(raw) // max(1, row_bytes)
                        raise self.err(f"array {self.key!r} is truncated", record=at, unit=_UNIT)
                    block = np.frombuffer(raw, dtype=self.dtype).reshape((stop - start,) + row_shape)
                pos = kept(keep, start, stop)
                if len(pos):
                    block = np.ascontiguousarray(block[pos - start])
                    yield Chunk(pos, _places(pos), block)


def _rewrap(f: IO[bytes], shape: tuple[int, ...], dtype: np.dtype[Any]) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": True, "shape": shape})
    return np.lib.format.magic(1, 0) + buf.getvalue() + f.read()

