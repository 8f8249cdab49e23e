"""Profiling files larger than the memory the process may use: bounded chunks, and samples that
read only what they keep.

Generates, in a temporary folder removed afterwards, a text Parquet file (a ``list<int32>``
column of token ids, ~256 per sequence, Zipf-distributed over 50k ids, snappy, row groups of
64k rows) and a vision ``.npy`` (N, 3, 64, 64) uint8, each of ``--gb`` GB (default 5), then
profiles each with ``profile_file`` in a child process whose address space is capped with
``resource.setrlimit(RLIMIT_AS, --cap-mb)`` (default 1 GiB, the ``ulimit -v`` of the issue),
for ``sample_size=None`` and ``sample_size=1000``.

The cap is on *virtual* memory, so nothing may map the file whole (the ``.npy`` reader reads
row windows with seek + readinto) and pyarrow's default allocator (mimalloc) may not reserve its
1 GiB arena: the child runs with ``ARROW_DEFAULT_MEMORY_POOL=system`` (glibc malloc), and with
``MALLOC_ARENA_MAX=2`` so that glibc's per-thread arenas (64 MB of address space each) stay few.
What the interpreter needs just to import numpy, pyarrow and drift_core is measured first and
printed (VmPeak of a child that only imports).

Before each run the file's pages are dropped from the page cache (``posix_fadvise
DONTNEED``), so reads come from the disk unless ``--warm``. Printed per run: peak RSS (the
child's ``VmHWM``), the child's wall time (process start to exit) and the time inside
``profile_file``, MB/s over the file's size, items/s over the items profiled, and the bytes the
child actually read (``rchar`` of ``/proc/self/io``). Peak RSS is the child's ``VmHWM``: its
``ru_maxrss`` (also written to the JSON) is the same number except that Linux carries it over
from before ``exec``, so the parent's RSS at ``fork`` (``preexec_fn`` forces a fork) would count.

Run: ``.venv/bin/python benchmarks/larger_than_memory.py [--gb 5] [--cap-mb 1024] [--json out.json]``
(``--gb 0.2`` for a quick try; ``--dir`` picks where the files go, default the system temp dir).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROW_GROUP = 65_536
IMAGE = (3, 64, 64)
CHILD_ENV = {"ARROW_DEFAULT_MEMORY_POOL": "system", "MALLOC_ARENA_MAX": "2", "OMP_NUM_THREADS": "1"}


# -- the child: import, profile, report ------------------------------------------------------------


def _proc_status(key: str) -> int:
    """A ``/proc/self/status`` field in bytes (``VmPeak``, ``VmHWM``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(key)


def _rchar() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise KeyError("rchar")


def child(kind: str, path: str, sample: str, chunk_size: int | None) -> None:
    """Runs in the capped child: profile ``path`` and print one JSON line."""
    import pyarrow  # noqa: F401 - imported before the measurement, as the import baseline counts it

    from drift_core import TaskSpec
    from drift_core.io import profile_file

    if kind == "imports":
        print(json.dumps({"vm_peak": _proc_status("VmPeak"), "rss": _proc_status("VmHWM")}))
        return
    spec = TaskSpec("text" if kind == "text" else "vision", keep_examples=False)
    size = None if sample == "all" else int(sample)
    r0, t0 = _rchar(), time.perf_counter()
    prof = profile_file(path, spec, sample_size=size, chunk_size=chunk_size)
    seconds = time.perf_counter() - t0
    print(json.dumps({
        "seconds_in_profile": seconds, "bytes_read": _rchar() - r0, "n_samples": prof["n_samples"],
        "n_total": prof["n_total"], "vm_peak": _proc_status("VmPeak"),
        "max_rss": _proc_status("VmHWM"), "ru_maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }))


def run_capped(args: list[str], cap_bytes: int | None, timeout: float = 3600) -> tuple[dict[str, Any], float]:
    """``python this_file --child ARGS`` under ``RLIMIT_AS = cap_bytes``: its JSON line and wall time."""
    def limit() -> None:
        if cap_bytes is not None:
            resource.setrlimit(resource.RLIMIT_AS, (cap_bytes, cap_bytes))

    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True,
                       preexec_fn=limit, env={**os.environ, **CHILD_ENV}, timeout=timeout)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"child {args} failed (exit {p.returncode}):\n{p.stderr[-3000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1]), wall


# -- the files -------------------------------------------------------------------------------------


def write_parquet(path: Path, target_bytes: int, seed: int = 0) -> int:
    """Row groups of 64k sequences until the file holds ``target_bytes``; returns the row count."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    pool = np.minimum(rng.zipf(1.3, 1 << 24), 50_000).astype(np.int32)  # 16M tokens, rotated per group
    schema = pa.schema([("input_ids", pa.list_(pa.int32()))])
    rows = 0
    with pq.ParquetWriter(path, schema, compression="snappy") as w:
        while not path.exists() or path.stat().st_size < target_bytes:
            lengths = rng.integers(128, 385, ROW_GROUP)
            offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int32)
            start = int(rng.integers(0, len(pool)))
            tokens = np.take(pool, np.arange(start, start + int(offsets[-1])), mode="wrap")
            col = pa.ListArray.from_arrays(pa.array(offsets), pa.array(tokens))
            w.write_table(pa.table({"input_ids": col}, schema=schema), row_group_size=ROW_GROUP)
            rows += ROW_GROUP  # each row group is written out as it comes: the file grows
    return rows


def write_npy(path: Path, target_bytes: int, seed: int = 0) -> int:
    """(N, 3, 64, 64) uint8 images (smooth gradients plus noise) until ``target_bytes``; returns N."""
    rng = np.random.default_rng(seed)
    per = int(np.prod(IMAGE))
    n = -(-target_bytes // per)
    block = 4096
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(f, {"descr": "|u1", "fortran_order": False, "shape": (n, *IMAGE)})
        base = np.linspace(0, 160, IMAGE[1] * IMAGE[2], dtype=np.float32).reshape(1, 1, *IMAGE[1:])
        for start in range(0, n, block):
            m = min(block, n - start)
            shift = rng.integers(0, 64, (m, IMAGE[0], 1, 1)).astype(np.float32)
            noise = rng.integers(0, 32, (m, *IMAGE), dtype=np.uint8)
            f.write((base + shift).astype(np.uint8) + noise)
    return n


def drop_cache(path: Path) -> None:
    """Evict the file's pages from the page cache, so that the next read comes from the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


# -- the benchmark ---------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gb", type=float, default=5.0, help="Size of each generated file in GB (default 5).")
    ap.add_argument("--cap-mb", type=int, default=1024, help="RLIMIT_AS of the child in MiB (default 1024).")
    ap.add_argument("--dir", type=Path, default=None, help="Where to put the files (default: the temp dir).")
    ap.add_argument("--json", type=Path, default=None, help="Write the results here as JSON.")
    ap.add_argument("--warm", action="store_true", help="Keep the files in the page cache (no DONTNEED).")
    ap.add_argument("--sample", type=int, default=1000, help="The sample size of the sampled runs (default 1000).")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        defaults = ["imports", "", "all", "0"]
        kind, path, sample, chunk = a.child + defaults[len(a.child):]
        child(kind, path, sample, int(chunk) or None)
        return

    cap = a.cap_mb * 2**20
    target = int(a.gb * 1e9)
    base, _ = run_capped(["imports"], None)
    print(f"import baseline (python + numpy + pyarrow + drift_core, {CHILD_ENV['ARROW_DEFAULT_MEMORY_POOL']} allocator): "
          f"VmPeak {base['vm_peak'] / 2**20:.0f} MiB, RSS {base['rss'] / 2**20:.0f} MiB; cap RLIMIT_AS = {a.cap_mb} MiB")
    results: dict[str, Any] = {
        "cap_bytes": cap, "import_vm_peak": base["vm_peak"], "import_rss": base["rss"], "env": CHILD_ENV,
        "cold_cache": not a.warm, "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}, "runs": [],
    }
    tmp = Path(tempfile.mkdtemp(prefix="driftboard-ltm-", dir=a.dir))
    try:
        files = {"text": (tmp / "tokens.parquet", write_parquet), "vision": (tmp / "images.npy", write_npy)}
        print(f"{'file':<16} {'size':>8} {'items':>11} {'sample':>7} {'peak RSS':>9} {'wall':>7} {'in prof.':>8} "
              f"{'MB/s':>7} {'items/s':>10} {'read':>9}")
        for kind, (path, write) in files.items():
            t0 = time.perf_counter()
            n_items = write(path, target)
            gen = time.perf_counter() - t0
            size = path.stat().st_size
            for sample in ("all", str(a.sample)):
                if not a.warm:
                    drop_cache(path)
                r, wall = run_capped([kind, str(path), sample], cap)
                row = {
                    "kind": kind, "file": path.name, "file_bytes": size, "items": r["n_total"], "sample": sample,
                    "n_samples": r["n_samples"], "max_rss": r["max_rss"], "ru_maxrss": r["ru_maxrss"],
                    "vm_peak": r["vm_peak"], "wall_s": wall,
                    "profile_s": r["seconds_in_profile"], "bytes_read": r["bytes_read"],
                    "mb_per_s": size / 1e6 / r["seconds_in_profile"],
                    "items_per_s": r["n_samples"] / r["seconds_in_profile"], "generate_s": gen,
                }
                results["runs"].append(row)
                print(f"{path.name:<16} {size / 1e9:>6.2f}GB {r['n_total']:>11,} {sample:>7} "
                      f"{r['max_rss'] / 2**20:>6.0f}MiB {wall:>6.1f}s {r['seconds_in_profile']:>7.1f}s "
                      f"{row['mb_per_s']:>7.0f} {row['items_per_s']:>10,.0f} {r['bytes_read'] / 1e6:>7.0f}MB")
            path.unlink()
            assert n_items > 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("MB/s is the file's size over the time in profile_file (for a sample: the whole file's size, though "
          "only 'read' bytes were read); peak RSS is the child's VmHWM; the child's address space is capped.")
    if a.json:
        a.json.write_text(json.dumps(results, indent=2))
        print(f"wrote {a.json}")


if __name__ == "__main__":
    main()
