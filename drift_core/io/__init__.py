"""Read the data files people have, in bounded-memory chunks, and profile them.

One module per family of formats, each a :class:`~drift_core.io._common.Reader` (``n_records``,
``chunks(chunk_size, keep)``):

``lines``
    ``.jsonl`` / ``.ndjson`` (one JSON object per line, blank lines skipped), ``.txt`` (one
    document per non-blank line), ``.json`` (an array of records).
``tables``
    ``.csv`` / ``.tsv`` (a header row), ``.parquet`` (a ``list<int>`` or ``string`` column).
``arrays``
    ``.npy`` / ``.npz`` images (N,C,H,W), (N,H,W,C) or (N,H,W), uint8 or float.
``images``
    A folder or a ``.zip`` of PNG / JPEG images (read with Pillow, in file-name order).
``predictions``
    A separate ``.csv`` / ``.tsv`` (a class column, or one score column per class) or ``.npy``
    ((N,) class ids or (N, K) scores), one row per record, in the same order. Files may also carry
    their own (a ``prediction`` field / column, a ``predictions`` array in an ``.npz``).
``files``
    Picks the reader for a file (:func:`open_dataset`), reads it whole (:func:`read_dataset`) or
    profiles it chunk by chunk (:func:`profile_file`).

Text fields are ``input_ids`` or ``text`` (the :class:`~drift_core.TaskSpec` keys), else the only
string field; ``column=`` overrides. Every reader takes a path or an :class:`InMemoryFile` (an
upload's name and bytes), so uploads are read without a temporary file. Nothing is ever unpickled
(``allow_pickle=False``). Every problem is a :class:`DataFileError` with attributes ``path``,
``line`` / ``record`` / ``member`` (where known) and ``reason``; an item-level error of the core
(:class:`~drift_core.InputError`) is mapped to the record's place by its ``item`` attribute.
"""

from ._common import CHUNK_BYTES, TEXT_CHUNK, Chunk, DataFileError, InMemoryFile, Reader
from .files import ARRAY_SUFFIXES, TEXT_SUFFIXES, guess_modality, open_dataset, profile_file, read_dataset
from .images import IMAGE_SUFFIXES
from .predictions import PREDICTION_SUFFIXES, read_predictions

__all__ = [
    "ARRAY_SUFFIXES",
    "CHUNK_BYTES",
    "IMAGE_SUFFIXES",
    "PREDICTION_SUFFIXES",
    "TEXT_CHUNK",
    "TEXT_SUFFIXES",
    "Chunk",
    "DataFileError",
    "InMemoryFile",
    "Reader",
    "guess_modality",
    "open_dataset",
    "profile_file",
    "read_dataset",
    "read_predictions",
]
