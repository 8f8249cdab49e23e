"""What every reader shares: the error, where data comes from (a path or bytes), chunks of records.

A reader is built on a :class:`Source` (a file or folder on disk, or the bytes of an upload), knows
its ``n_records`` and yields :class:`Chunk` s of the records kept by a sample. Each record of a
chunk carries its *place* in the file (line, record number or member name), so that an item-level
:class:`~drift_core._validate.InputError` of the core becomes a :class:`DataFileError` at that place.
"""

from __future__ import annotations

import io
import lzma
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import IO, Any, overload

import numpy as np
from numpy.typing import NDArray

from .. import limits
from ..spec import TaskSpec

#: Records per chunk for text; vision chunks hold about :data:`CHUNK_BYTES` of pixels.
TEXT_CHUNK = 10_000
CHUNK_BYTES = 64 * 2**20
#: The reason given for JSON nested deeper than Python's parser can follow (a RecursionError).
TOO_DEEP = "invalid JSON (arrays / objects nested too deeply to parse)"


class DataFileError(ValueError):
    """A data file that cannot be read: ``"<path>: <where>: <reason>"``.

    Attributes: ``path`` (as given, or an upload's file name), ``reason``, and where known the
    place in the file: ``line`` (1-based physical line), ``record`` (the record's number as the
    file counts them, read with ``unit``: "record 3", "row 2", "image at index 5") or ``member``
    (a file inside a folder or ``.zip``, read with ``unit``: "image 'cats/3.png'"). ``where`` is
    that place in words, ``None`` for the whole file.

    Examples
    --------
    >>> e = DataFileError("batch.jsonl", "invalid JSON (Expecting value at column 18)", line=2)
    >>> str(e)
    'batch.jsonl: line 2: invalid JSON (Expecting value at column 18)'
    >>> str(DataFileError("imgs", "cannot be decoded", member="a.png", unit="image"))
    "imgs: image 'a.png': cannot be decoded"
    """

    def __init__(
        self,
        path: str | Path,
        reason: str,
        *,
        line: int | None = None,
        record: int | None = None,
        member: str | None = None,
        unit: str = "record",
    ) -> None:
        self.path, self.reason = str(path), reason
        self.line, self.record, self.member, self.unit = line, record, member, unit
        where = self.where
        super().__init__(f"{self.path}: {where}: {reason}" if where else f"{self.path}: {reason}")

    @property
    def where(self) -> str | None:
        """``"line 17"``, ``"row 2"``, ``"image 'cats/3.png'"``, or ``None`` for the whole file."""
        return where(**self.place())

    def place(self) -> dict[str, Any]:
        """The keyword arguments that name this error's place (to re-raise it elsewhere)."""
        return {"line": self.line, "record": self.record, "member": self.member, "unit": self.unit}

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.path, self.reason, self.place()))


def where(line: int | None = None, record: int | None = None, member: str | None = None, unit: str = "record") -> str | None:
    """A place in a file in words (see :class:`DataFileError`)."""
    if line is not None:
        return f"line {line}"
    if record is not None:
        return f"{unit} {record}"
    if member is not None:
        return f"{unit} {member!r}"
    return None


def _rebuild(path: str, reason: str, place: dict[str, Any]) -> DataFileError:
    return DataFileError(path, reason, **place)


@dataclass(frozen=True)
class InMemoryFile:
    """The bytes of a file that is not on disk (an upload): ``name`` gives its kind and is shown in errors."""

    name: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class Source:
    """Where a reader's bytes come from: a path on disk, or an :class:`InMemoryFile`."""

    name: str
    path: Path | None = None
    data: bytes | None = field(default=None, repr=False)

    @classmethod
    def of(cls, x: str | Path | InMemoryFile | Source) -> Source:
        if isinstance(x, Source):
            return x
        if isinstance(x, InMemoryFile):
            return cls(x.name, None, x.data)
        return cls(str(Path(x)), Path(x))

    @cached_property
    def suffix(self) -> str:
        return Path(self.name).suffix.lower()

    def exists(self) -> bool:
        return self.data is not None or (self.path is not None and self.path.exists())

    def is_dir(self) -> bool:
        return self.path is not None and self.path.is_dir()

    def is_file(self) -> bool:
        return self.data is not None or (self.path is not None and self.path.is_file())

    def open(self) -> IO[bytes]:
        """A binary file object (the caller closes it)."""
        if self.data is not None:
            return io.BytesIO(self.data)
        assert self.path is not None
        return open(self.path, "rb")

    def open_text(self) -> IO[str]:
        """The file as UTF-8 text with universal newlines left to the csv module (``newline=""``)."""
        return io.TextIOWrapper(self.open(), encoding="utf-8", newline="")

    def read_bytes(self) -> bytes:
        if self.data is not None:
            return self.data
        assert self.path is not None
        return self.path.read_bytes()

    def err(self, reason: str, **place: Any) -> DataFileError:
        return DataFileError(self.name, reason, **place)


class RowPlaces(Sequence[dict[str, Any]]):
    """The ``places`` of records numbered by their positions (``{key: pos + base, "unit": unit}``),
    made when asked for: a chunk of 1M prediction rows would otherwise build 1M dicts (0.9 s)."""

    def __init__(self, positions: NDArray[np.int64], unit: str | None, base: int = 1, key: str = "record") -> None:
        self.positions, self.unit, self.base, self.key = positions, unit, base, key

    def __len__(self) -> int:
        return len(self.positions)

    @overload
    def __getitem__(self, i: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, i: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, i: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        place: dict[str, Any] = {self.key: int(self.positions[i]) + self.base}
        if self.unit is not None:
            place["unit"] = self.unit
        return place


@dataclass
class Chunk:
    """Consecutive records of a file (only the kept ones when sampling).

    ``positions`` are the records' 0-based indices in the file, ``places[i]`` names where record
    ``i`` is (``{"line": 12}``), ``data`` is what :func:`~drift_core.compute_dataset_profile`
    accepts and ``predictions`` the records' own predictions, if the file carries them.
    """

    positions: NDArray[np.int64]
    places: Sequence[dict[str, Any]]
    data: Any
    predictions: Any = None


class Reader:
    """A chunked reader: ``n_records`` and ``chunks(chunk_size, keep)``."""

    source: Source
    n_records: int
    chunk_size: int = TEXT_CHUNK

    def __init__(self, source: Source, spec: TaskSpec, column: str | None) -> None:
        raise NotImplementedError

    def chunks(self, chunk_size: int, keep: NDArray[np.int64] | None) -> Iterator[Chunk]:
        raise NotImplementedError

    def predictions(self) -> NDArray[Any] | None:
        """Predictions stored beside the data as a whole (an ``.npz`` array), else ``None``."""
        return None

    def field_name(self, key: str) -> str | None:
        """The file's own name for the core's item key ``key`` (``"text"`` may be a column
        ``"review"``), or ``None`` when the file has no named fields (arrays, images, plain text)."""
        return None

    def err(self, reason: str, **place: Any) -> DataFileError:
        return self.source.err(reason, **place)


def kept(keep: NDArray[np.int64] | None, start: int, stop: int) -> NDArray[np.int64]:
    """Positions in [start, stop) that are kept (all of them without a sample)."""
    if keep is None:
        return np.arange(start, stop, dtype=np.int64)
    lo, hi = np.searchsorted(keep, [start, stop])
    return keep[lo:hi]


#: What reading a damaged ``.zip`` member can raise (bad CRC, encrypted, unknown compression,
#: corrupt deflate / bzip2 / lzma data, cut short), all turned into a :class:`DataFileError`.
ZIP_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile, zlib.error, lzma.LZMAError, NotImplementedError, RuntimeError, EOFError, OSError,
    ValueError, OverflowError,
)


def open_zip(source: Source, what: str) -> zipfile.ZipFile:
    """``source`` as a :class:`zipfile.ZipFile` whose member count and declared sizes are within
    :mod:`drift_core.limits` (checked from the central directory, before anything is decompressed)."""
    try:
        zf = zipfile.ZipFile(source.path if source.path is not None else source.open())
        infos = zf.infolist()
    except ZIP_ERRORS as e:
        raise source.err(f"not a readable {what} file ({e})") from None
    lim = limits.current()
    if len(infos) > lim.max_archive_members:
        raise source.err(f"holds {len(infos):,} members, above the limit of {lim.max_archive_members:,} "
                         "(raise it with --limit max_archive_members=N)")
    return zf


def check_member_size(source: Source, info: zipfile.ZipInfo, unit: str = "member") -> None:
    """Refuse a member whose declared decompressed size is above ``max_member_bytes``."""
    lim = limits.current().max_member_bytes
    if info.file_size > lim:
        raise source.err(f"decompresses to {info.file_size:,} bytes, above the limit of {lim:,} per member "
                         "(raise it with --limit max_member_bytes=N)", member=info.filename, unit=unit)


def check_archive_size(source: Source, infos: list[zipfile.ZipInfo]) -> None:
    """Refuse an archive whose members to be read declare more than ``max_archive_bytes`` in all."""
    lim = limits.current().max_archive_bytes
    total = sum(i.file_size for i in infos)
    if total > lim:
        raise source.err(f"its members decompress to {total:,} bytes, above the limit of {lim:,} per archive "
                         "(raise it with --limit max_archive_bytes=N)")
