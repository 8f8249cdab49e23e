"""Images as files: a folder (searched recursively) or a ``.zip`` of PNG / JPEG files, in file-name order.

Decoded with Pillow: grayscale and RGB as they are, other modes converted (alpha dropped), 16-bit
scaled to [0, 1]. Records are named by their member name, ``image 'cats/3.png'``.
"""

from __future__ import annotations

import io
import struct
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .. import limits
from ..spec import TaskSpec
from ._common import (
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

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
_UNIT = "image"


class ImagesReader(Reader):
    """A folder (searched recursively) or a .zip of PNG / JPEG files, in file-name order."""

    def __init__(self, source: Source, spec: TaskSpec, column: str | None) -> None:
        self.source, self.spec = source, spec
        self.zip: zipfile.ZipFile | None = None
        self.folder: Path | None = None
        if source.is_dir():
            self.folder = source.path
            assert self.folder is not None
            self.names = sorted(
                str(p.relative_to(self.folder)) for p in self.folder.rglob("*")
                if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
            )
        else:
            self.zip = open_zip(source, ".zip")
            infos = [
                i for i in self.zip.infolist()
                if Path(i.filename).suffix.lower() in IMAGE_SUFFIXES and not i.filename.startswith("__MACOSX/")
                and not Path(i.filename).name.startswith(".") and not i.is_dir()
            ]
            for info in infos:
                check_member_size(source, info, _UNIT)
            check_archive_size(source, infos)
            self.names = sorted(i.filename for i in infos)
        if not self.names:
            raise self.err(f"holds no {'/'.join(s[1:] for s in IMAGE_SUFFIXES)} images")
        self.n_records = len(self.names)
        self.chunk_size = 256

    def _bytes(self, name: str) -> bytes:
        """The encoded image, read up to ``max_image_file_bytes`` (a bigger one is refused unread)."""
        lim = limits.current().max_image_file_bytes
        try:
            if self.zip is not None:
                with self.zip.open(name) as f:
                    raw = f.read(lim + 1)
            else:
                assert self.folder is not None
                with open(self.folder / name, "rb") as g:
                    raw = g.read(lim + 1)
        except ZIP_ERRORS as e:
            raise self.err(f"cannot be read ({e})", member=name, unit=_UNIT) from None
        if len(raw) > lim:
            raise self.err(f"is larger than the limit of {lim:,} bytes per image file "
                           "(raise it with --limit max_image_file_bytes=N)", member=name, unit=_UNIT)
        return raw

    def _image(self, name: str) -> NDArray[Any]:
        from PIL import Image, UnidentifiedImageError

        max_pixels = limits.current().max_image_pixels
        img: Any
        try:
            with warnings.catch_warnings():
                # Pillow warns above MAX_IMAGE_PIXELS (the size check below then refuses the image
                # with its size) and raises DecompressionBombError above twice that.
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                Image.MAX_IMAGE_PIXELS = max_pixels
                img = Image.open(io.BytesIO(self._bytes(name)))
                width, height = img.size
                if width * height > max_pixels:
                    raise self.err(f"is {width} x {height} pixels, above the limit of {max_pixels:,} "
                                   "(raise it with --limit max_image_pixels=N)", member=name, unit=_UNIT)
                img.load()
        except Image.DecompressionBombError as e:
            raise self.err(f"is too large to decode safely ({e}; raise it with --limit max_image_pixels=N)",
                           member=name, unit=_UNIT) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError,
                struct.error, zlib.error, MemoryError) as e:
            if isinstance(e, DataFileError):
                raise
            raise self.err(f"cannot be decoded ({type(e).__name__}: {e})", member=name, unit=_UNIT) from None
        if img.width == 0 or img.height == 0:
            raise self.err(f"is empty ({img.width} x {img.height} pixels)", member=name, unit=_UNIT)
        if img.mode.startswith("I;16"):
            arr = np.asarray(img, dtype=np.float64) / 65535.0
        elif img.mode in ("I", "F"):
            raise self.err(f"32-bit images (mode {img.mode!r}) are not supported; save 8- or 16-bit PNG/JPEG",
                           member=name, unit=_UNIT)
        else:
            if img.mode not in ("L", "RGB"):
                img = img.convert("L" if img.mode in ("1", "LA") else "RGB")
            arr = np.asarray(img)
        if arr.ndim == 3 and self.spec.channels_last is not True:
            arr = np.moveaxis(arr, -1, 0)
        return arr

    def chunks(self, chunk_size: int, keep: NDArray[np.int64] | None) -> Iterator[Chunk]:
        for start in range(0, self.n_records, chunk_size):
            pos = kept(keep, start, min(start + chunk_size, self.n_records))
            if len(pos):
                images = [self._image(self.names[i]) for i in pos]
                places = [{"member": self.names[i], "unit": _UNIT} for i in pos]
                shapes = {a.shape for a in images}
                dtypes = {a.dtype for a in images}
                data: Any = (
                    np.stack(images) if len(shapes) == 1 and len(dtypes) == 1
                    else [{self.spec.pixel_values_key: a} for a in images]
                )
                yield Chunk(pos, places, data)
