"""Bounded memory and sampling that reads only what it samples, on real files and real processes.

The scaled-down version of ``benchmarks/larger_than_memory.py``: an ``.npy`` bigger than the
address space a child process has left after its imports is profiled under ``RLIMIT_AS`` (a
whole-file memory map or load would not fit, and the test shows that it does not), and samples
of ``.npy``, ``.npz`` and Parquet files are shown to read only the rows / row groups they keep,
counted by the readers and by the kernel (``rchar`` of ``/proc/self/io``).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from drift_core import TaskSpec, compute_dataset_profile
from drift_core.io import open_dataset, profile_file

VISION = TaskSpec("vision", keep_examples=False)
linux_only = pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="needs Linux /proc/self/io")

CHILD = r"""
import io, json, resource, sys
from pathlib import Path
import numpy as np
from drift_core import TaskSpec
from drift_core.io import InMemoryFile, profile_file

def status(key):
    line = next(l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith(key + ":"))
    return int(line.split()[1]) * 1024

spec = TaskSpec("vision", keep_examples=False)
buf = io.BytesIO()
np.save(buf, np.zeros((2, 3, 4, 4), dtype=np.uint8))
profile_file(InMemoryFile("warm.npy", buf.getvalue()), spec, sample_size=None)  # lazy imports done
mode, path = sys.argv[1], sys.argv[2]
if mode == "profile":
    p = profile_file(path, spec, sample_size=None, chunk_size=512)
    out = {"n_samples": p["n_samples"], "brightness_mean": p["brightness_mean"]}
else:  # "imports, then load": the address space the imports take, then np.load with HEADROOM more
    out = {"vm_peak": status("VmPeak")}
    cap = out["vm_peak"] + int(sys.argv[3])
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    try:
        np.load(path)
        out["loaded"] = True
    except MemoryError:
        out["loaded"] = False
# Peak RSS of this process image: VmHWM, not ru_maxrss, which Linux carries over from before exec
# (the forked pytest worker's RSS would count).
out["max_rss"] = status("VmHWM")
print(json.dumps(out))
"""


def run_child(mode: str, path: Path, cap: int | None, *args: str) -> dict[str, Any]:
    def limit() -> None:
        if cap is not None:
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    env = {**os.environ, "ARROW_DEFAULT_MEMORY_POOL": "system", "MALLOC_ARENA_MAX": "2", "OMP_NUM_THREADS": "1"}
    p = subprocess.run([sys.executable, "-c", CHILD, mode, str(path), *args], capture_output=True, text=True,
                       preexec_fn=limit, env=env, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    return json.loads(p.stdout.strip().splitlines()[-1])


def write_images(path: Path, n: int, shape: tuple[int, ...] = (3, 64, 64)) -> np.ndarray:
    """n random uint8 images written block by block (never all in memory); returns the first 8."""
    rng = np.random.default_rng(0)
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(f, {"descr": "|u1", "fortran_order": False, "shape": (n, *shape)})
        for start in range(0, n, 1024):
            f.write(rng.integers(0, 256, (min(1024, n - start), *shape), dtype=np.uint8).tobytes())
    return np.load(path, mmap_mode="r")[:8].copy()


@pytest.mark.skipif(not hasattr(resource, "RLIMIT_AS") or sys.platform != "linux", reason="needs RLIMIT_AS on Linux")
def test_an_npy_larger_than_the_free_address_space_is_profiled_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.npy"
    n = 16_384  # 201 MB of 3x64x64 uint8 images
    write_images(path, n)
    size = path.stat().st_size
    headroom = 128 * 2**20  # less than the file: neither a whole-file map nor a load fits
    first = run_child("imports, then load", path, None, str(headroom))
    baseline = first["vm_peak"]
    cap = baseline + headroom
    assert size > cap - baseline
    assert first["loaded"] is False  # the cap is real: np.load runs out of memory
    got = run_child("profile", path, cap)
    assert got["n_samples"] == n
    assert got["max_rss"] < baseline + 128 * 2**20 and got["max_rss"] < size


@linux_only
def test_a_sample_of_an_npy_reads_only_the_sampled_rows(tmp_path: Path) -> None:
    path = tmp_path / "imgs.npy"
    first = write_images(path, 4000, (3, 32, 32))
    reader = open_dataset(path, VISION)
    row = 3 * 32 * 32
    keep = np.arange(0, 4000, 200, dtype=np.int64)  # 20 rows, 600 KB apart: each read on its own
    rchar = _rchar()
    chunks = list(reader.chunks(8, keep))
    read = _rchar() - rchar
    assert reader.rows.bytes_read == 20 * row  # type: ignore[attr-defined]
    assert read < 20 * row + 64 * 2**10  # the kernel agrees (a little for Python's own reads)
    assert np.array_equal(chunks[0].data[0], first[0]) and [len(c.positions) for c in chunks] == [8, 8, 4]


@linux_only
def test_a_sample_of_an_uncompressed_npz_member_reads_only_the_sampled_rows(tmp_path: Path) -> None:
    arr = np.random.default_rng(1).integers(0, 256, (3000, 3, 16, 16), dtype=np.uint8)
    np.savez(tmp_path / "b.npz", images=arr)
    reader = open_dataset(tmp_path / "b.npz", VISION)
    got = profile_file(tmp_path / "b.npz", VISION, sample_size=30, seed=4)
    assert got == compute_dataset_profile(arr, VISION, sample_size=30, seed=4) | {"n_total": 3000}
    list(reader.chunks(100, np.array([5, 2900], dtype=np.int64)))
    assert reader.rows.bytes_read == 2 * 3 * 16 * 16  # type: ignore[attr-defined]


@linux_only
def test_a_sample_of_a_parquet_file_reads_only_the_row_groups_holding_sampled_rows(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    lengths = rng.integers(50, 150, 5000)
    offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int32)
    ids = pa.ListArray.from_arrays(pa.array(offsets), pa.array(rng.integers(0, 1000, int(offsets[-1]), dtype=np.int32)))
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"input_ids": ids}), path, row_group_size=100, compression="none")  # 50 row groups
    reader = open_dataset(path, TaskSpec("text"))
    keep = np.array([10, 20, 4321], dtype=np.int64)  # in row groups 0 and 43
    rchar = _rchar()
    rows = [int(p) for c in reader.chunks(1000, keep) for p in c.positions]
    read = _rchar() - rchar
    assert (rows, reader.row_groups_read) == ([10, 20, 4321], 2)  # type: ignore[attr-defined]
    assert read < path.stat().st_size / 10


def _rchar() -> int:
    line = next(x for x in Path("/proc/self/io").read_text().splitlines() if x.startswith("rchar:"))
    return int(line.split()[1])
