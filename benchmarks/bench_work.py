"""The work of ``benchmarks/bench.py``: generate the files, and time one side of one input path.

Kept apart from the driver so that the driver process stays small: a child's ``ru_maxrss`` starts
at its parent's resident size (Linux keeps the high-water mark across ``fork`` + ``exec``), so a
driver holding the generated data would inflate every child's peak RSS.

Run by the driver as ``python bench_work.py generate DIR SCALE`` (prints the sizes as JSON) or
``python bench_work.py child CASE ours|limit DIR`` (prints ``{"s", "items", "rss"}``).
"""

from __future__ import annotations

import json
import re
import resource
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

#: The built-in tokenizer's pattern (drift_core.tokenize), copied so the limit never imports drift_core.
WORD = r"[^\W_]+(?:['’][^\W_]+)*"


# ----------------------------------------------------------------------------- data
def sizes(scale: float) -> dict[str, int]:
    s = lambda n: max(50, int(n * scale))  # noqa: E731
    return {"seqs": s(200_000), "docs": s(50_000), "images": s(20_000), "png": s(2_000), "preds": s(2_000_000)}


def _token_column(n: int, seed: int, mean_len: float) -> Any:
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    lengths = np.maximum(1, rng.normal(mean_len, 30, n).round()).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    tokens = np.minimum(rng.zipf(1.2, int(lengths.sum())), 50_000).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(tokens)), offsets, tokens


def _write_ids_jsonl(path: Path, offsets: Any, tokens: Any) -> None:
    strs = tokens.astype(str)
    with open(path, "w") as f:
        for a, b in zip(offsets[:-1], offsets[1:], strict=True):
            f.write('{"input_ids": [' + ", ".join(strs[a:b]) + "]}\n")


def generate(d: Path, scale: float) -> dict[str, Any]:
    """Write every benchmark file into ``d``; return the item counts."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from PIL import Image

    n = sizes(scale)
    col, offsets, tokens = _token_column(n["seqs"], 0, 120)
    pq.write_table(pa.table({"input_ids": col}), d / "text.parquet")
    _write_ids_jsonl(d / "text.jsonl", offsets, tokens)
    _, off2, tok2 = _token_column(n["seqs"], 1, 130)  # the CLI's new batch: a little longer
    _write_ids_jsonl(d / "text_new.jsonl", off2, tok2)
    n_tokens = int(offsets[-1])

    rng = np.random.default_rng(2)
    vocab = np.array(["".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz"), rng.integers(2, 9))) for _ in range(5000)])
    vocab[:3] = ["don't", "Café", "naïve"]
    with open(d / "text_raw.jsonl", "w") as f:
        for _ in range(n["docs"]):
            w = vocab[np.minimum(rng.zipf(1.3, max(1, int(rng.normal(120, 30)))), 5000) - 1]
            f.write(json.dumps({"text": " ".join(w) + "."}) + "\n")

    imgs = rng.integers(0, 256, size=(n["images"], 3, 64, 64), dtype=np.uint8)
    np.save(d / "images.npy", imgs)
    folder = d / "images"
    folder.mkdir()
    base = np.linspace(0, 200, 64, dtype=np.float64)
    with zipfile.ZipFile(d / "images.zip", "w", zipfile.ZIP_STORED) as zf:
        for i in range(n["png"]):
            img = (base[None, :, None] + rng.integers(0, 55, (64, 64, 3))).astype(np.uint8)
            p = folder / f"{i:06d}.png"
            Image.fromarray(img).save(p)
            zf.write(p, p.name)

    preds = np.minimum(rng.zipf(1.5, n["preds"]), 100) - 1
    np.save(d / "preds.npy", preds)
    (d / "preds.csv").write_text("prediction\n" + "\n".join(preds.astype(str)) + "\n")
    return {"tokens": n_tokens, **n}


# ----------------------------------------------------------------------------- child work
def _now() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(t0: tuple[float, float]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of all the process's threads) since ``t0``: under heavy machine
    load the CPU seconds say more about the work than the wall clock."""
    return time.perf_counter() - t0[0], time.process_time() - t0[1]


def _warm_imports() -> None:
    """Import what Driftboard imports lazily, so that imports are outside the clock on both sides."""
    import pyarrow.compute  # noqa: F401
    import pyarrow.json  # noqa: F401

    import drift_core.profile  # noqa: F401

# Each function runs inside a fresh child and returns (seconds, items); imports happen before the clock.

def _text_bincounts(col: Any) -> None:
    """The limit's statistics of a list<int> column: a length histogram and the token counts."""
    import pyarrow as pa

    chunks = col.chunks if isinstance(col, pa.ChunkedArray) else [col]
    for c in chunks:
        off = c.offsets.to_numpy()
        np.bincount(np.diff(off))
        np.bincount(c.values.to_numpy()[off[0]:off[-1]])


def child_arrow(d: Path, ours: bool) -> tuple[tuple[float, float], int]:
    import pyarrow.parquet as pq

    table = pq.read_table(d / "text.parquet")
    if ours:
        from drift_core import TaskSpec, compute_dataset_profile

        _warm_imports()
        t0 = _now()
        compute_dataset_profile(table, TaskSpec("text"), sample_size=None)
    else:
        t0 = _now()
        _text_bincounts(table.column("input_ids"))
    return _since(t0), table.num_rows


def child_parquet(d: Path, ours: bool) -> tuple[tuple[float, float], int]:
    import pyarrow.parquet as pq

    if ours:
        from drift_core import TaskSpec, profile_file

        _warm_imports()
        t0 = _now()
        p = profile_file(d / "text.parquet", TaskSpec("text"), sample_size=None)
        return _since(t0), p["n_samples"]
    t0 = _now()
    table = pq.read_table(d / "text.parquet", columns=["input_ids"])
    _text_bincounts(table.column(0))
    return _since(t0), table.num_rows


def child_jsonl(d: Path, ours: bool) -> tuple[tuple[float, float], int]:
    import pyarrow.json as pj

    if ours:
        from drift_core import TaskSpec, profile_file

        _warm_imports()
        t0 = _now()
        p = profile_file(d / "text.jsonl", TaskSpec("text"), sample_size=None)
        return _since(t0), p["n_samples"]
    t0 = _now()
    table = pj.read_json(d / "text.jsonl")
    _text_bincounts(table.column("input_ids"))
    return _since(t0), table.num_rows


def child_jsonl_loads(d: Path, ours: bool) -> tuple[tuple[float, float], int]:
    """The other limit of the JSONL row: a plain ``json.loads`` loop (what most scripts do)."""
    t0 = _now()
    with open(d / "text.jsonl", "rb") as f:
        seqs = [json.loads(line)["input_ids"] for line in f if line.strip()]
    lengths = np.fromiter(map(len, seqs), np.int64, len(seqs))
    flat = np.fromiter((t for s in seqs for t in s), np.int64, int(lengths.sum()))
    np.bincount(lengths)
    np.bincount(flat)
    return _since(t0), len(seqs)


def child_rawtext(d: Path, ours: bool) -> tuple[tuple[float, float], int]:
    import pyarrow.json as pj

    if ours:
        from drift_core import TaskSpec, profile_file

        _warm_imports()
        t0 = _now()
        p = profile_file(d / "text_raw.jsonl", TaskSpec("text"), sample_size=None)
        return _since(t0), p["n_samples"]
    from collections import Counter
    from itertools import chain

    word = re.compile(WORD)
    t0 = _now()
    texts = pj.read_json(d / "text_raw.jsonl").column("text").to_pylist()
    docs = [word.findall(t.lower()) for t in texts]
    np.bincount(np.fromiter(map(len, docs), np.int64, len(docs)))
    Counter(chain.from_iterable(docs))
    return _since(t0), len(docs)


def _image_limit(batches: Any) -> None:
    """Per image: channel sums and sums of squares (uint64), then the histograms of the means."""
    means = []
    for x in batches:
        x3 = x.reshape(len(x), x.shape[1], -1)
        s = x3.sum(axis=2, dtype=np.uint64)
        np.square(x3, dtype=np.uint16).sum(axis=2, dtype=np.uint64)
        means.append(s / (255.0 * x3.shape[2]))
    m = np.concatenate(means)
    for c in range(m.shape[1]):
        np.bincount(np.minimum((m[:, c] * 500).astype(np.int64), 499), minlength=500)
    np.bincount(np.minimum((m.mean(axis=1) * 500).astype(np.int64), 499), minlength=500)


def child_npy(d: Path, ours: bool) -> tuple[tuple[float, float], int]:
    if ours:
        from drift_core import TaskSpec, profile_file

        _warm_imports()
        t0 = _now()
        p = profile_file(d / "images.npy", TaskSpec("vision"), sample_size=None)
        return _since(t0), p["n_samples"]
    t0 = _now()
    a = np.load(d / "images.npy", mmap_mode="r")
    step = max(1, (64 << 20) // max(1, a[0].nbytes))
    _image_limit(np.asarray(a[i:i + step]) for i in range(0, len(a), step))
    return _since(t0), len(a)


def _png_limit(blobs: Any) -> int:
    import io

    from PIL import Image

    arrs = [np.asarray(Image.open(io.BytesIO(b)).convert("RGB")).transpose(2, 0, 1) for b in blobs]
    _image_limit([np.stack(arrs)])
    return len(arrs)


def child_folder(d: Path, ours: bool) -> tuple[tuple[float, float], int]:
    if ours:
        from drift_core import TaskSpec, profile_file

        _warm_imports()
        t0 = _now()
        p = profile_file(d / "images", TaskSpec("vision"), sample_size=None)
        return _since(t0), p["n_samples"]
    t0 = _now()
    n = _png_limit(p.read_bytes() for p in sorted((d / "images").iterdir()))
    return _since(t0), n


def child_zip(d: Path, ours: bool) -> tuple[tuple[float, float], int]:
    if ours:
        from drift_core import TaskSpec, profile_file

        _warm_imports()
        t0 = _now()
        p = profile_file(d / "images.zip", TaskSpec("vision"), sample_size=None)
        return _since(t0), p["n_samples"]
    t0 = _now()
    with zipfile.ZipFile(d / "images.zip") as zf:
        n = _png_limit(zf.read(name) for name in sorted(zf.namelist()))
    return _since(t0), n


def _predictions_profiler() -> Callable[[Path], int]:
    """Driftboard's outputs-only profile of a predictions file (``profile_file`` when it takes one),
    with its modules imported (imports are outside the clock on both sides)."""
    from drift_core import TaskSpec, compute_dataset_profile
    from drift_core.io import profile_file, read_predictions

    spec = TaskSpec("outputs", num_classes=100)

    def run(path: Path) -> int:
        try:
            p = profile_file(path, spec, sample_size=None)
        except (KeyError, ValueError):  # this version's profile_file does not read predictions files
            p = compute_dataset_profile(read_predictions(path), spec, sample_size=None)
        return int(p["n_samples"])
    return run


def child_pred_csv(d: Path, ours: bool) -> tuple[tuple[float, float], int]:
    import pyarrow.csv as pcsv

    if ours:
        run = _predictions_profiler()
        t0 = _now()
        n = run(d / "preds.csv")
        return _since(t0), n
    t0 = _now()
    col = pcsv.read_csv(d / "preds.csv").column(0).to_numpy()
    np.bincount(col, minlength=100)
    return _since(t0), len(col)


def child_pred_npy(d: Path, ours: bool) -> tuple[tuple[float, float], int]:
    if ours:
        run = _predictions_profiler()
        t0 = _now()
        n = run(d / "preds.npy")
        return _since(t0), n
    t0 = _now()
    a = np.load(d / "preds.npy")
    np.bincount(a, minlength=100)
    return _since(t0), len(a)


CHILDREN: dict[str, Callable[[Path, bool], tuple[tuple[float, float], int]]] = {
    "arrow": child_arrow, "parquet": child_parquet, "jsonl": child_jsonl, "jsonl_loads": child_jsonl_loads,
    "rawtext": child_rawtext, "npy": child_npy, "folder": child_folder, "zip": child_zip,
    "pred_csv": child_pred_csv, "pred_npy": child_pred_npy,
}


def main() -> None:
    if sys.argv[1] == "generate":
        print(json.dumps(generate(Path(sys.argv[2]), float(sys.argv[3]))))
        return
    case, side, d = sys.argv[2], sys.argv[3], Path(sys.argv[4])
    (s, cpu), items = CHILDREN[case](d, side == "ours")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"s": s, "cpu": cpu, "items": items, "rss": rss}))


if __name__ == "__main__":
    main()
