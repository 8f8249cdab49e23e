"""Images as files: a folder (searched recursively) or a ``.zip`` of PNG / JPEG files, in file-name order.

Decoded with Pillow: grayscale and RGB as they are, other modes converted (alpha dropped), 16-bit
scaled to [0, 1]. Records are named by their member name, ``image 'cats/3.png'``.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..spec import TaskSpec
from ._common import Chunk, Reader, Source, kept

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
            try:
                self.zip = zipfile.ZipFile(source.path if source.path is not None else source.open())
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

        img: Any
        try:
            if self.zip is not None:
                with self.zip.open(name) as f:
                    img = Image.open(io.BytesIO(f.read()))
                    img.load()
            else:
                assert self.folder is not None
                img = Image.open(self.folder / name)
                img.load()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
            raise self.err(f"cannot be decoded ({e})", member=name, unit=_UNIT) from None
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
