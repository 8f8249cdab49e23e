"""Profile data that is split in parts: a Dask collection, or a folder / glob of shard files.

Every part (a partition of a dask Array, DataFrame or Bag, or one shard file) is profiled on its
own, where it lives (a Dask worker), with ``sample_size=None`` on the items it keeps, and the part
profiles are added with :func:`~drift_core.merge_profiles` along a tree: groups of ``split_every``
(default 4) neighbouring parts are merged, then groups of those, until one profile is left (the
tree of ``dask.bag.Bag.reduction``, whose default is 8: merging text profiles is not cheap, about
a fifth of the CPU time of profiling 8 Parquet shards of 25,000 sequences, and with groups of 8
the 7 merges of 8 shards run one after another on one worker, which caps 2 workers at 84% parallel
efficiency; with groups of 4 the two halves merge in parallel, 98%, per ``benchmarks/dask_scale.py``'s
CPU-time model). Merging is exact for every count and histogram, so with
``sample_size=None`` the result is the profile of the whole data; sums of floats (token share sums,
pixel moments) are added in another order than in one pass and agree to ~1e-12 relative.

**Sampling** (``sample_size=k`` < ``N`` items in all) is one seeded draw over the whole data,
uniform across parts whatever their sizes:

1. count the items of each part, ``n_0, ..., n_{P-1}`` (free for dask Arrays with known chunks
   and for shards whose reader knows its count from metadata; otherwise one extra pass);
2. draw the global positions ``numpy.random.default_rng(seed).choice(N, k, replace=False)``
   over the parts laid end to end, in order: exactly the positions ``compute_dataset_profile``
   would draw on the concatenated data with the same seed. Part ``p`` is sent the ``m_p`` of them
   that fall in its range (``(m_0, ..., m_{P-1})`` is then multivariate hypergeometric,
   ``P(m) = prod_p C(n_p, m_p) / C(N, k)``); parts with ``m_p = 0`` are not read at all;
3. a Dask partition profiles exactly its positions, so the distributed profile equals
   ``compute_dataset_profile(concatenated, sample_size=k, seed=seed)``; a shard is profiled with
   ``profile_file(shard, sample_size=m_p, seed=s_p)``, a uniform choice of ``m_p`` of its
   records with the shard's own seed ``s_p`` (from ``numpy.random.SeedSequence(seed,
   spawn_key=(p,))``; a single shard keeps ``seed``, so one file gives ``profile_file``'s own
   sample), and the file readers read only what they sample. Given the counts,
   a uniform ``m_p``-subset of every part is a uniform ``k``-subset of the whole: the same
   distribution as step 2's positions, not the same records.

Dask is an optional dependency (``pip install 'driftboard[dask]'``), imported only when a function
here needs it; shards are profiled in-process, one after another with the same merge tree, when
no scheduler is given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import reduce
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from ._inputs import check_sample_size
from ._validate import InputError
from .io import DataFileError, open_dataset, profile_file
from .profile import compute_dataset_profile, merge_profiles
from .spec import TaskSpec

T = TypeVar("T")

#: Parts merged together at each level of the tree (``dask.bag.Bag.reduction``'s ``split_every``).
SPLIT_EVERY = 4
#: Files that a folder of shards is made of (anything else, images included, is not a shard).
SHARD_SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".parquet", ".txt", ".npy", ".npz", ".zip")


class DaskMissingError(ImportError):
    """Dask (``dask[distributed]``) is needed and not installed."""


class PartitionError(ValueError):
    """An item of a partition that cannot be profiled: ``"partition 3: item 17: <problem>"``.

    ``partition`` is the partition's number, ``item`` the item's position within the partition
    (``None`` for a problem of the whole partition), ``reason`` the problem.

    Examples
    --------
    >>> str(PartitionError(3, 17, "'pixel_values' contains NaN"))
    "partition 3: item 17: 'pixel_values' contains NaN"
    """

    def __init__(self, partition: int, item: int | None, reason: str) -> None:
        self.partition, self.item, self.reason = int(partition), item, reason
        where = f"partition {self.partition}" + (f": item {item}" if item is not None else "")
        super().__init__(f"{where}: {reason}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.partition, self.item, self.reason))


# -- the merge tree and the sample plan (pure, no Dask) -------------------------------------------


def merge_all(parts: Sequence[dict[str, Any] | None]) -> dict[str, Any] | None:
    """Merge profiles in order (``None`` parts, empty or unsampled, are skipped); ``None`` if all are."""
    present = [p for p in parts if p is not None]
    return reduce(merge_profiles, present) if present else None


def reduce_tree(n: int, leaf: Callable[[int], T], combine: Callable[[list[T]], T], split_every: int = SPLIT_EVERY) -> T:
    """Combine ``leaf(0), ..., leaf(n - 1)`` along the tree of ``dask.bag.Bag.reduction``.

    Groups of ``split_every`` neighbouring leaves are combined, then groups of those results,
    until at most ``split_every`` are left, which are combined once more. The tree is walked
    depth first, left to right, and ``leaf(i)`` is called only when needed, so an in-process
    caller holds at most ``split_every`` results per level (``split_every * log(n)`` in all).
    ``combine`` may build a task (``dask.delayed``) instead of computing.

    Examples
    --------
    >>> reduce_tree(20, str, lambda g: "(" + " ".join(g) + ")", split_every=8)
    '((0 1 2 3 4 5 6 7) (8 9 10 11 12 13 14 15) (16 17 18 19))'
    >>> reduce_tree(5, str, lambda g: "(" + " ".join(g) + ")", split_every=2)
    '(((0 1) (2 3)) ((4)))'
    """
    if isinstance(split_every, bool) or not isinstance(split_every, int) or split_every < 2:
        raise ValueError(f"split_every must be an int >= 2, got {split_every!r}")
    if n < 1:
        raise ValueError("nothing to profile: no partitions")
    depth, width = 0, n  # Bag.reduction groups while more than split_every nodes are left
    while width > split_every:
        depth, width = depth + 1, -(-width // split_every)

    def node(lo: int, level: int) -> T:  # the subtree over leaves [lo, lo + split_every**level)
        if level == 0:
            return leaf(lo)
        step = split_every ** (level - 1)
        return combine([node(c, level - 1) for c in range(lo, min(lo + step * split_every, n), step)])

    return combine([node(k * split_every**depth, depth) for k in range(width)])


def sample_plan(sizes: Sequence[int], sample_size: int | None, seed: int) -> list[NDArray[np.int64] | None]:
    """Which items of each part a sample keeps: per part, sorted positions within it, or ``None`` for all.

    The positions are ``numpy.random.default_rng(seed).choice(N, sample_size, replace=False)`` over
    the parts laid end to end (``N = sum(sizes)``), sorted and split at the parts' boundaries: the
    sample ``compute_dataset_profile`` takes of the concatenated data. ``sample_size=None`` or
    ``>= N`` keeps everything.

    Examples
    --------
    >>> plan = sample_plan([3, 1000, 5], 4, seed=0)
    >>> [None if p is None else len(p) for p in plan], sum(map(len, plan))
    ([0, 4, 0], 4)
    >>> sample_plan([3, 2], None, seed=0)
    [None, None]
    """
    check_sample_size(sample_size)
    n = np.asarray(sizes, dtype=np.int64)
    total = int(n.sum())
    if sample_size is None or total <= sample_size:
        return [None] * len(n)
    idx = np.sort(np.random.default_rng(seed).choice(total, size=int(sample_size), replace=False)).astype(np.int64)
    bounds = np.concatenate([[0], np.cumsum(n)])
    cuts = np.searchsorted(idx, bounds)
    return [idx[cuts[p] : cuts[p + 1]] - bounds[p] for p in range(len(n))]


def shard_seed(seed: int, part: int) -> int:
    """The seed of shard ``part``'s own sample: the first word of ``SeedSequence(seed, spawn_key=(part,))``.

    Examples
    --------
    >>> shard_seed(0, 1) == shard_seed(0, 1) != shard_seed(0, 2)
    True
    """
    return int(np.random.SeedSequence(seed, spawn_key=(part,)).generate_state(1)[0])


def _check(task_spec: Any, sample_size: Any, seed: Any, split_every: Any) -> None:
    """The arguments every entry point takes, checked before any work is sent to a cluster."""
    if not isinstance(task_spec, TaskSpec):
        raise TypeError(f"task_spec must be a TaskSpec, got {type(task_spec).__name__}")
    check_sample_size(sample_size)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise TypeError(f"seed must be a non-negative int, got {seed!r}")
    if isinstance(split_every, bool) or not isinstance(split_every, int) or split_every < 2:
        raise ValueError(f"split_every must be an int >= 2, got {split_every!r}")


def _finish(profile: dict[str, Any] | None, n_total: int | None, sample_size: int | None, seed: int) -> dict[str, Any]:
    if profile is None:
        raise ValueError("dataset is empty: nothing to profile")
    if n_total is not None:
        profile["n_total"] = int(n_total)
    profile["sample_size"] = None if sample_size is None else int(sample_size)
    profile["seed"] = seed
    return profile


# -- shard files ---------------------------------------------------------------------------------


def shard_paths(source: str | Path | Sequence[str | Path]) -> list[Path]:
    """The shard files of a folder, a glob pattern or a list of paths, sorted by name, absolute.

    A folder's shards are the files directly in it whose suffix is one of :data:`SHARD_SUFFIXES`
    (hidden files and names starting with ``_``, such as Spark's ``_SUCCESS``, are skipped); a
    glob (``data/2024-06-*.parquet``, ``**`` for sub-folders) is expanded by :func:`glob.glob`.

    Raises
    ------
    FileNotFoundError
        When the folder or pattern names no shard file.
    """
    if isinstance(source, (str, Path)):
        text = str(source)
        if Path(text).is_dir():
            found = [p for p in Path(text).iterdir() if _is_shard_file(p)]
            what = f"folder {text} holds no shard files ({', '.join(SHARD_SUFFIXES)})"
        elif _has_magic(text):
            import glob

            found = [Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file()]
            what = f"no files match {text!r}"
        else:
            found = [Path(text)]
            what = ""
    else:
        found = [Path(p) for p in source]
        what = "no shard paths given"
    if not found:
        raise FileNotFoundError(what)
    return sorted((p.absolute() for p in found), key=str)


def _has_magic(text: str) -> bool:
    return any(c in text for c in "*?[")


def _is_shard_file(p: Path) -> bool:
    return p.is_file() and p.suffix.lower() in SHARD_SUFFIXES and not p.name.startswith((".", "_"))


def is_sharded(source: str | Path) -> bool:
    """Whether ``source`` names several files to profile together: a glob, or a folder holding
    :data:`SHARD_SUFFIXES` files (a folder of images only is one image dataset).

    Examples
    --------
    >>> is_sharded("data/part-*.parquet"), is_sharded("data/batch.jsonl")
    (True, False)
    """
    text = str(source)
    if _has_magic(text) and not Path(text).exists():
        return True
    p = Path(text)
    return p.is_dir() and any(_is_shard_file(q) for q in p.iterdir())


def _count_shard(path: str, spec: TaskSpec, column: str | None) -> int:
    n = open_dataset(path, spec, column).n_records
    if n == 0:
        raise DataFileError(path, "no records (the file is empty)")
    return int(n)


def _profile_shard(path: str, spec: TaskSpec, sample_size: int | None, seed: int, column: str | None) -> dict[str, Any]:
    return profile_file(path, spec, sample_size=sample_size, seed=seed, column=column)


def profile_shards(
    shards: str | Path | Sequence[str | Path],
    task_spec: TaskSpec,
    sample_size: int | None = 1000,
    seed: int = 0,
    column: str | None = None,
    scheduler: Any = None,
    split_every: int = SPLIT_EVERY,
) -> dict[str, Any]:
    """Profile a dataset split over shard files (Parquet, JSONL, .npy, ...), one task per shard.

    Each shard is read by :func:`drift_core.io.profile_file` (on a Dask worker when a scheduler
    is given) and the shard profiles are merged along the tree of :func:`reduce_tree`.

    Parameters
    ----------
    shards : str, Path or sequence of them
        A folder of shard files, a glob pattern, or a list of files (see :func:`shard_paths`).
        Workers open the same paths: on a real cluster they must see the same file system.
    task_spec : TaskSpec
        Modality and keys, as for ``profile_file``.
    sample_size : int or None
        Items to profile, drawn uniformly over all shards (see the module docstring; one extra
        pass counts each shard's records first); ``None`` profiles everything.
    seed : int
        Seed of the sample.
    column : str, optional
        Field / column / array holding the data in every shard.
    scheduler : None, "local", str or distributed.Client
        ``None`` profiles the shards in this process, one after another; ``"local"`` starts a
        ``distributed.LocalCluster`` for this call; any other string is the address of a running
        scheduler (``tcp://10.0.0.5:8786``); a ``Client`` is used as it is.
    split_every : int
        Profiles merged together at each level of the tree.

    Returns
    -------
    dict
        The merged profile, with ``n_total`` the records of all shards.

    Raises
    ------
    DataFileError
        Naming the shard (its path), the record and the problem.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.txt").write_text("the cat sat\\n"), (d / "b.txt").write_text("on the mat\\nnow\\n")
    >>> p = profile_shards(d, TaskSpec("text"), sample_size=None)
    >>> p["n_samples"], p["n_tokens"]
    (3, 7)
    """
    _check(task_spec, sample_size, seed, split_every)
    paths = [str(p) for p in shard_paths(shards)]
    with scheduler_client(scheduler) as client:
        if sample_size is None:
            jobs: list[tuple[str, int | None, int]] = [(path, None, seed) for path in paths]
            n_total = None
        else:
            sizes = _run(client, _count_shard, [(path, task_spec, column) for path in paths])
            plan = sample_plan(sizes, sample_size, seed)
            n_total = sum(sizes)
            # one shard keeps the seed itself: the sample of profile_file(shard, sample_size, seed)
            jobs = [(path, None if keep is None else len(keep), seed if len(paths) == 1 else shard_seed(seed, p))
                    for p, (path, keep) in enumerate(zip(paths, plan, strict=True)) if keep is None or len(keep)]
        if client is None:
            profile = reduce_tree(len(jobs), lambda i: _profile_shard(jobs[i][0], task_spec, *jobs[i][1:], column), merge_all, split_every)
        else:
            from dask import delayed

            task = delayed(_profile_shard, pure=True)
            root = reduce_tree(len(jobs), lambda i: task(jobs[i][0], task_spec, *jobs[i][1:], column), delayed(merge_all, pure=True), split_every)
            profile = client.compute(root, sync=True)
    return _finish(profile, n_total, sample_size, seed)


def _run(client: Any, fn: Callable[..., T], calls: list[tuple[Any, ...]]) -> list[T]:
    """``fn(*args)`` for every call: in this process, or as tasks on ``client``."""
    if client is None:
        return [fn(*args) for args in calls]
    futures = [client.submit(fn, *args, pure=True) for args in calls]
    return list(client.gather(futures))


# -- Dask collections ------------------------------------------------------------------------------


def _partition_profile(part: Any, keep: NDArray[np.int64] | None, spec: TaskSpec, index: int,
                       predictions: Any = None, column: str | None = None, pred_column: str | None = None) -> dict[str, Any] | None:
    """One partition's profile (of the items ``keep``, or all); ``None`` when it keeps no item."""
    if not hasattr(part, "__len__"):
        part = list(part)  # a Bag partition may be an iterator
    if column is not None:  # a DataFrame: the data column, and the predictions column if any
        if pred_column is not None:
            predictions = part[pred_column].to_numpy()
        part = part[column]
    if keep is not None:
        part = part.iloc[keep] if hasattr(part, "iloc") else (
            part[keep] if isinstance(part, np.ndarray) else [part[int(i)] for i in keep])
        if predictions is not None:
            predictions = np.asarray(predictions)[keep]
    if len(part) == 0:
        return None
    try:
        return compute_dataset_profile(part, spec, sample_size=None, predictions=predictions)
    except InputError as e:
        item = int(keep[e.item]) if keep is not None and 0 <= e.item < len(keep) else e.item
        raise PartitionError(index, item, e.detail) from None
    except (ValueError, TypeError) as e:
        raise PartitionError(index, None, str(e)) from None


def _length(part: Any) -> int:
    return len(part) if hasattr(part, "__len__") else sum(1 for _ in part)


def profile_dask(
    data: Any,
    task_spec: TaskSpec,
    sample_size: int | None = 1000,
    seed: int = 0,
    predictions: Any = None,
    column: str | None = None,
    scheduler: Any = None,
    split_every: int = SPLIT_EVERY,
) -> dict[str, Any]:
    """Profile a dask Array, DataFrame or Bag partition by partition, on the cluster.

    Parameters
    ----------
    data : dask.array.Array, dask.dataframe.DataFrame / Series, or dask.bag.Bag
        An Array is one row per item: (N, L) token ids, (N,C,H,W) / (N,H,W,C) / (N,H,W) images,
        or (N,) class ids / (N, K) scores for ``TaskSpec("outputs")``; it is rechunked to whole
        rows (only the first axis split). A DataFrame has an ``input_ids`` (lists of ids) or
        ``text`` column (or ``column=``) and optionally a ``prediction`` column (the TaskSpec's
        keys). A Bag holds item dicts, as ``compute_dataset_profile`` takes them.
    task_spec : TaskSpec
        Modality and keys.
    sample_size : int or None
        Items to profile: the sample ``compute_dataset_profile(data.compute(), sample_size=...,
        seed=seed)`` would take (see the module docstring); partitions are counted first (free
        for an Array with known chunks). ``None`` profiles every item in one pass.
    seed : int
        Seed of the sample.
    predictions : dask or numpy array, optional
        (N,) class ids or (N, K) scores aligned with an Array ``data`` (DataFrames and Bags carry
        their own, in the ``prediction`` column / key).
    column : str, optional
        A DataFrame's column holding the token ids or text (or, for outputs, the predictions).
    scheduler : None, "local", str or distributed.Client
        ``None`` uses Dask's current scheduler (the default ``Client`` if one was created, else
        threads); ``"local"`` starts a ``distributed.LocalCluster`` for this call (see
        :func:`local_cluster`); ``"sync"``, ``"threads"`` or ``"processes"`` name one of Dask's
        single-machine schedulers; another string is a running scheduler's address; a ``Client``
        is used as it is.
    split_every : int
        Partition profiles merged together at each level of the tree.

    Raises
    ------
    PartitionError
        Naming the partition, the item's position in it and the problem.

    Examples
    --------
    >>> import dask.array as da
    >>> ids = da.from_array(np.arange(12).reshape(6, 2) % 5, chunks=(2, 2))
    >>> p = profile_dask(ids, TaskSpec("text"), sample_size=None, scheduler="sync")
    >>> p["n_samples"], p["n_tokens"], p["token_counts"]
    (6, 12, [3, 3, 2, 2, 2])
    """
    _check(task_spec, sample_size, seed, split_every)
    _import_dask()
    from dask import delayed

    parts, sizes, pred_parts, frame_cols = _partitions(data, task_spec, predictions, column)
    with scheduler_client(scheduler) as client:
        compute = _computer(client, scheduler)
        if sample_size is not None and sizes is None:
            sizes = [int(n) for n in compute([delayed(_length, pure=True)(p) for p in parts])]
        plan = sample_plan(sizes, sample_size, seed) if sizes is not None else [None] * len(parts)
        tasks = []
        for i, (part, keep) in enumerate(zip(parts, plan, strict=True)):
            if keep is not None and len(keep) == 0:
                continue
            tasks.append(delayed(_partition_profile, pure=True)(
                part, keep, task_spec, i, pred_parts[i] if pred_parts is not None else None, *frame_cols))
        if not tasks:
            raise ValueError("dataset is empty: nothing to profile")
        profile = compute([reduce_tree(len(tasks), tasks.__getitem__, delayed(merge_all, pure=True), split_every)])[0]
    return _finish(profile, sum(sizes) if sizes is not None else None, sample_size, seed)


def _partitions(data: Any, spec: TaskSpec, predictions: Any, column: str | None
                ) -> tuple[list[Any], list[int] | None, list[Any] | None, tuple[str | None, str | None]]:
    """``(delayed partitions, their sizes if known, delayed prediction partitions, (column, prediction column))``."""
    import dask.array as da
    import dask.bag as db

    module = type(data).__module__
    if isinstance(data, da.Array):
        if column is not None:
            raise ValueError("column= is for DataFrames; an Array is the data itself")
        if data.ndim == 0:
            raise ValueError("a 0-d dask array has no items; expected one row per item")
        data = data.rechunk({i: -1 for i in range(1, data.ndim)})
        parts = list(data.to_delayed().ravel())
        sizes = None if any(np.isnan(c) for c in data.chunks[0]) else [int(c) for c in data.chunks[0]]
        pred_parts = None
        if predictions is not None:
            if sizes is None:
                raise ValueError("predictions need the data's chunk sizes: call data.compute_chunk_sizes() first")
            pred = predictions if isinstance(predictions, da.Array) else da.from_array(np.asarray(predictions))
            if pred.shape[0] != data.shape[0]:
                raise ValueError(f"predictions have length {pred.shape[0]} but the dataset has {data.shape[0]} items")
            pred = pred.rechunk({0: data.chunks[0], **{i: -1 for i in range(1, pred.ndim)}})
            pred_parts = list(pred.to_delayed().ravel())
        return parts, sizes, pred_parts, (None, None)
    if predictions is not None:
        raise ValueError("predictions= is for dask Arrays; a DataFrame or Bag carries its own "
                         f"(a {spec.prediction_key!r} column / key)")
    if isinstance(data, db.Bag):
        if column is not None:
            raise ValueError("column= is for DataFrames; Bag items are dicts with the TaskSpec's keys")
        return list(data.to_delayed()), None, None, (None, None)
    if module.startswith("dask") and hasattr(data, "to_delayed") and hasattr(data, "npartitions"):
        cols = list(data.columns) if hasattr(data, "columns") else None
        ids = spec.input_ids_key
        if spec.modality == "text" and column is None and cols is not None and ids in cols and _is_string_dtype(data.dtypes[ids]):
            raise ValueError(
                f"DataFrame column {ids!r} holds strings, not lists of token ids: Dask turns object columns "
                "(e.g. of Python lists) into strings unless dask.config 'dataframe.convert-string' is False; "
                "give the column a pyarrow list type (pd.ArrowDtype(pa.list_(pa.int64()))) or read it with dd.read_parquet")
        if column is not None:
            if cols is None or column not in cols:
                raise ValueError(f"DataFrame has no column {column!r}; columns are {cols}")
            pred_col = spec.prediction_key if spec.prediction_key in cols and column != spec.prediction_key else None
            data = data[[column] + ([pred_col] if pred_col else [])]
            return list(data.to_delayed()), None, None, (column, pred_col)
        return list(data.to_delayed()), None, None, (None, None)
    raise TypeError(f"expected a dask Array, DataFrame or Bag, got {type(data).__name__}")


def _is_string_dtype(dtype: Any) -> bool:
    return str(dtype) in ("string", "str") or str(dtype).startswith(("string[", "large_string"))


# -- schedulers ------------------------------------------------------------------------------------


def _import_dask() -> None:
    try:
        import dask  # noqa: F401
    except ImportError:
        raise DaskMissingError("Dask is not installed: pip install 'driftboard[dask]'") from None


@contextmanager
def scheduler_client(scheduler: Any) -> Iterator[Any]:
    """A ``distributed.Client`` for ``scheduler`` (closed afterwards if made here), or ``None``."""
    if scheduler is None or (isinstance(scheduler, str) and scheduler in ("sync", "synchronous", "threads", "processes")):
        yield None
        return
    if not isinstance(scheduler, str):
        yield scheduler  # a Client
        return
    try:
        from distributed import Client
    except ImportError:
        raise DaskMissingError("a scheduler needs Dask: pip install 'driftboard[dask]'") from None
    if scheduler == "local":
        with local_cluster() as cluster, Client(cluster, set_as_default=False) as client:
            yield client
    else:
        with Client(scheduler, set_as_default=False) as client:
            yield client


@contextmanager
def local_cluster(n_workers: int | None = None) -> Iterator[Any]:
    """A ``distributed.LocalCluster`` of worker processes with one thread each (one per core by default).

    Its workers do not get Dask's default ``MALLOC_TRIM_THRESHOLD_=65536``: setting it turns off
    glibc's adaptive mmap threshold, so every large numpy buffer is mapped and zero-filled afresh,
    which made profiling shards 1.7-2x slower (measured by ``benchmarks/dask_scale.py``).
    """
    import dask
    from distributed import LocalCluster

    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}), \
            LocalCluster(n_workers=n_workers, processes=True, threads_per_worker=1, dashboard_address=":0") as cluster:
        yield cluster


def _computer(client: Any, scheduler: Any) -> Callable[[list[Any]], list[Any]]:
    """``compute(list of dask objects) -> list of results`` on the client or Dask's scheduler."""
    import dask

    if client is not None:
        return lambda objs: list(client.compute(objs, sync=True))
    named = scheduler if isinstance(scheduler, str) else None
    return lambda objs: list(dask.compute(*objs, scheduler=named))
