"""Limits on what a hostile or broken input may make Driftboard allocate, checked *before* allocating.

Every limit is named once here. A file that exceeds one is refused with a clear error naming the
file, the place, the field and the value (a :class:`~drift_core.io.DataFileError`, or an
:class:`~drift_core._validate.InputError` / ``ValueError`` for in-memory data), never a
multi-gigabyte ``bincount`` or ``MemoryError``.

``drift --limit NAME=VALUE`` (repeatable) raises a limit for one command; in Python use
``with override(max_classes=1_000_000): ...``.

Examples
--------
>>> current().max_classes
100000
>>> with override(max_classes=5):
...     current().max_classes
5
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """The limits in force (see the README's *Reliability* section)."""

    #: Largest ``num_classes``; a class id must be below it (a prediction histogram has one bin per class).
    max_classes: int = 100_000
    #: Largest decompressed size of one member of a ``.zip`` / ``.npz`` (as declared and as read).
    max_member_bytes: int = 4 * 2**30
    #: Largest total decompressed size of the members of one archive that are read.
    max_archive_bytes: int = 64 * 2**30
    #: Most members (files) in one ``.zip`` / ``.npz``.
    max_archive_members: int = 1_000_000
    #: Largest encoded image file (PNG / JPEG) read into memory.
    max_image_file_bytes: int = 256 * 2**20
    #: Most pixels (width x height) of one decoded image; Pillow's decompression-bomb check uses it too.
    max_image_pixels: int = 100_000_000


_current = Limits()
NAMES: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Limits))


def current() -> Limits:
    """The limits in force."""
    return _current


def set_limits(**changes: int) -> Limits:
    """Change limits for the rest of the process (the CLI's ``--limit``); returns the previous ones."""
    global _current
    for name, value in changes.items():
        if name not in NAMES:
            raise ValueError(f"unknown limit {name!r}; limits: {', '.join(NAMES)}")
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"limit {name!r} must be a positive int, got {value!r}")
    previous = _current
    _current = dataclasses.replace(_current, **changes)
    return previous


def restore(previous: Limits) -> None:
    """Put back the limits that :func:`set_limits` returned."""
    global _current
    _current = previous


@contextlib.contextmanager
def override(**changes: int) -> Iterator[Limits]:
    """Raise (or lower) limits inside a ``with`` block."""
    global _current
    previous = set_limits(**changes)
    try:
        yield _current
    finally:
        _current = previous
