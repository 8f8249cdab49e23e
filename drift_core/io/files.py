"""Whole files: pick the reader for a file's kind, read it whole, or profile it chunk by chunk."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._inputs import check_sample_size
from .._validate import InputError
from ..profile import compute_dataset_profile, merge_valid_profiles
from ..schema import validate_profile
from ..spec import TaskSpec
from ._common import Chunk, DataFileError, InMemoryFile, Reader, Source, where
from .arrays import NpyReader, NpzReader
from .images import ImagesReader
from .lines import JsonReader, jsonl_reader, txt_reader
from .predictions import PREDICTION_READERS, PREDICTION_SUFFIXES, read_predictions
from .tables import CsvReader, ParquetReader

TEXT_SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".parquet", ".txt")
ARRAY_SUFFIXES = (".npy", ".npz")

_READERS: dict[str, dict[str, Callable[[Source, TaskSpec, str | None], Reader]]] = {
    "text": {
        ".jsonl": jsonl_reader, ".ndjson": jsonl_reader, ".json": JsonReader, ".txt": txt_reader,
        ".csv": CsvReader, ".tsv": CsvReader, ".parquet": ParquetReader,
    },
    "vision": {".npy": NpyReader, ".npz": NpzReader, ".zip": ImagesReader},
    "outputs": dict(PREDICTION_READERS),
}


def guess_modality(path: str | Path | InMemoryFile) -> str | None:
    """``"text"`` or ``"vision"`` from the file's kind, ``None`` when it cannot tell (``.json``).

    Never ``"outputs"``: a predictions file (``.csv``, ``.npy``, ``.parquet``) looks like text or
    images, so an outputs-only profile is asked for by name (``TaskSpec("outputs")``,
    ``--modality outputs``).

    Examples
    --------
    >>> guess_modality("batch.jsonl"), guess_modality("images.zip"), guess_modality("p.json")
    ('text', 'vision', None)
    """
    source = Source.of(path)
    if source.is_dir() or source.suffix in ARRAY_SUFFIXES + (".zip",):
        return "vision"
    if source.suffix in TEXT_SUFFIXES and source.suffix != ".json":
        return "text"
    return None


def open_dataset(path: str | Path | InMemoryFile, task_spec: TaskSpec, column: str | None = None) -> Reader:
    """A chunked reader for ``path`` (a file, a folder of images, or an :class:`InMemoryFile`):
    ``.n_records`` and ``.chunks(chunk_size, keep)``."""
    source = Source.of(path)
    if not source.exists():
        raise source.err("no such file or folder")
    modality = task_spec.modality
    reader: Callable[[Source, TaskSpec, str | None], Reader] | None
    if source.is_dir():
        reader = ImagesReader if modality == "vision" else None
        kind = "a folder"
    else:
        reader = _READERS[modality].get(source.suffix)
        kind = f"a {source.suffix or 'suffix-less'} file"
    if reader is None:
        supported = {"text": TEXT_SUFFIXES, "vision": ARRAY_SUFFIXES + (".zip", "a folder of images"),
                     "outputs": PREDICTION_SUFFIXES}[modality]
        raise source.err(f"cannot read {kind} as {modality} data; supported: {', '.join(supported)}")
    try:
        return reader(source, task_spec, column)
    except (OSError, UnicodeDecodeError) as e:
        raise source.err(f"cannot be read ({e})") from None


def _concat(parts: Sequence[Any]) -> Any:
    if not parts:
        return []
    if isinstance(parts[0], np.ndarray) and all(isinstance(p, np.ndarray) and p.shape[1:] == parts[0].shape[1:] for p in parts):
        return np.concatenate(parts)
    if hasattr(parts[0], "column_names"):
        import pyarrow as pa

        return pa.concat_tables(parts)
    out: list[Any] = []
    for p in parts:
        out.extend(list(p) if isinstance(p, list) else [{"pixel_values": a} for a in p])
    return out


def read_dataset(
    path: str | Path | InMemoryFile, modality: str | TaskSpec, column: str | None = None
) -> tuple[Any, NDArray[Any] | None]:
    """Read a whole data file: ``(dataset, predictions or None)``, ready for ``compute_dataset_profile``.

    ``dataset`` is a list of ``{"input_ids": [...]}`` / ``{"text": "..."}`` items (a pyarrow Table
    for Parquet), or an image array (N, ...) (a list of ``{"pixel_values": ...}`` when images differ
    in size). ``predictions`` are the file's own (a ``prediction`` field / column, an .npz array).
    For big files prefer :func:`profile_file`, which reads in chunks.
    """
    spec = modality if isinstance(modality, TaskSpec) else TaskSpec(modality)  # type: ignore[arg-type]
    reader = open_dataset(path, spec, column)
    if reader.n_records == 0:
        raise reader.err("no records (the file is empty)")
    chunks = list(reader.chunks(max(reader.n_records, 1), None))
    data = _concat([c.data for c in chunks])
    preds = reader.predictions()
    if preds is None and chunks and chunks[0].predictions is not None:
        preds = np.concatenate([np.asarray(c.predictions) for c in chunks])
    return data, preds


def _chunk_error(reader: Reader, chunk: Chunk, e: Exception) -> DataFileError:
    """The core's error on a chunk, at the record it names (by attribute), else at the chunk."""
    if isinstance(e, InputError) and 0 <= e.item < len(chunk.places):
        name = reader.field_name(e.field) if e.field else None
        return reader.err(f"{name!r} {e.reason}" if name else e.reason, **chunk.places[e.item])
    first, last = (where(**chunk.places[i]) for i in (0, -1))
    span = first if first == last else f"{first} to {last}"
    return reader.err(f"{e} (in {span})" if span else str(e))


def profile_file(
    path: str | Path | InMemoryFile,
    task_spec: TaskSpec,
    sample_size: int | None = 1000,
    seed: int = 0,
    predictions_path: str | Path | InMemoryFile | None = None,
    column: str | None = None,
    chunk_size: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Profile a data file (or a folder / .zip of images) in bounded memory.

    The same sample as ``compute_dataset_profile(read_dataset(path), sample_size=..., seed=...)``:
    ``numpy.random.default_rng(seed).choice(n, sample_size, replace=False)`` over all ``n`` records
    of the file (counted first, from metadata where the format has it: Parquet row groups, array
    headers, zip directories), never the first ``sample_size``. Each chunk's kept records are
    profiled with ``sample_size=None`` and the profiles merged with :func:`merge_profiles`, so
    memory stays bounded by one chunk whatever the file size. Where the format allows it, a sample
    reads only what it keeps: the sampled rows of an ``.npy`` (or of an uncompressed ``.npz``
    member), the row groups of a Parquet file holding sampled rows, the sampled images of a folder
    or ``.zip``; text and CSV files are read up to their last sampled record.

    With ``TaskSpec("outputs")`` the file *is* the predictions (a ``.csv`` / ``.tsv`` class
    column or score columns, an ``.npy`` of ids or scores, a ``.parquet`` class column) and the
    profile holds the predicted-class histogram alone.

    Parameters
    ----------
    path : str, Path or InMemoryFile
        A data file, or a folder of images (see :mod:`drift_core.io` for the formats); an
        :class:`InMemoryFile` (file name and bytes, e.g. an upload) is read without touching disk.
    task_spec : TaskSpec
        Modality and keys; its ``num_classes`` sizes the prediction histogram.
    sample_size : int or None
        Records to profile; ``None`` profiles them all.
    seed : int
        Seed of the sample.
    predictions_path : str, Path or InMemoryFile, optional
        A ``.csv`` / ``.tsv`` / ``.npy`` of predictions, one row per record; without it, the
        file's own predictions are used if it carries any.
    column : str, optional
        The field / column / array holding the data (auto-detected otherwise).
    chunk_size : int, optional
        Records per chunk (default: 10,000 texts, or about 64 MB of images).
    progress : callable, optional
        Called as ``progress(done, total)`` after each chunk.

    Raises
    ------
    DataFileError
        Naming the file, the line / record / image and the problem.

    Examples
    --------
    >>> p = profile_file(InMemoryFile("batch.txt", b"the cat sat\\non the mat\\n"), TaskSpec("text"))
    >>> p["n_samples"], p["seq_length_mean"]
    (2, 3.0)
    >>> out = profile_file(InMemoryFile("preds.csv", b"prediction\\n2\\n0\\n2\\n"), TaskSpec("outputs"))
    >>> out["modality"], out["prediction_hist"]
    ('outputs', [1, 0, 2])
    """
    if not isinstance(task_spec, TaskSpec):
        raise TypeError(f"task_spec must be a TaskSpec, got {type(task_spec).__name__}")
    check_sample_size(sample_size)
    if task_spec.modality == "outputs" and predictions_path is not None:
        raise ValueError("an outputs profile reads the predictions from `path`; predictions_path is for "
                         "predictions beside a text or vision data file")
    reader = open_dataset(path, task_spec, column)
    n = reader.n_records
    if n == 0:
        raise reader.err("no records (the file is empty)")
    preds: NDArray[Any] | None = None
    if predictions_path is not None:
        preds = read_predictions(predictions_path, prediction_key=task_spec.prediction_key, scores=task_spec.scores)
    else:
        preds = reader.predictions()
    if preds is not None and len(preds) != n:
        what = Source.of(predictions_path) if predictions_path is not None else reader.source
        raise what.err(f"has {len(preds)} predictions but {reader.source.name} has {n} records")
    keep = None
    if sample_size is not None and sample_size < n:
        keep = np.sort(np.random.default_rng(seed).choice(n, size=sample_size, replace=False)).astype(np.int64)
    total = n if keep is None else len(keep)
    profile: dict[str, Any] | None = None
    done = 0
    for chunk in reader.chunks(chunk_size or reader.chunk_size, keep):
        p = preds[chunk.positions] if preds is not None else chunk.predictions
        try:
            part = compute_dataset_profile(chunk.data, task_spec, sample_size=None, seed=seed, predictions=p)
            profile = part if profile is None else merge_valid_profiles(profile, part)
        except (ValueError, TypeError) as e:
            raise _chunk_error(reader, chunk, e) from None
        done += len(chunk.positions)
        if progress is not None:
            progress(done, total)
    assert profile is not None
    profile["n_total"] = n
    profile["sample_size"] = None if sample_size is None else int(sample_size)
    profile["seed"] = seed
    validate_profile(profile, "profile")  # once, not at every merge
    return profile

