"""Fuzzing every reader: mutated copies of valid files (bit flips, overwrites with hostile tokens,
truncation, splices) must give a profile or a DataFileError, never another exception, a MemoryError
under a 2 GB address-space limit, a crash or a hang.

Inputs run in a worker subprocess (``tests/fuzz_worker.py``: ``RLIMIT_AS`` 2 GB, an alarm per input)
so that a hostile file cannot take the test process down. The default run is seeded and bounded (about
a minute with ``make test``); ``make fuzz`` runs the ``fuzz``-marked test with ``FUZZ_EXAMPLES``
(default 5000) random inputs. A handful of inputs also go through the real ``drift profile`` console
command: exit code 0 or 3, one line on stderr, no traceback.
"""

from __future__ import annotations

import base64
import io
import json
import os
import random
import resource
import select
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

HERE = Path(__file__).resolve().parent
TIMEOUT = 20  # seconds per input; the seeds profile in milliseconds
#: Tokens that have broken parsers before: huge and negative numbers, NaN, deep nesting, zip and npy magic.
HOSTILE = [
    b"99999999999999999999999", b"1000000000", b"-1", b"1e400", b"NaN", b"-0", b"18446744073709551615",
    b"[" * 5000, b"{" * 50, b'"prediction": 9223372036854775808', b'{"input_ids": [', b'"', b"\x00" * 8,
    b"\xff" * 8, b"PK\x03\x04", b"\x93NUMPY", b"(999999999, 3, 64, 64)", b"(-1,)", b"True", b"\r", b"\n\n",
]


# -- valid seed files, one per reader format ---------------------------------------------------------


def _png(mode: str, size: tuple[int, int], fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    rng = np.random.default_rng(size[0])
    arr = rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(arr).convert(mode).save(buf, format=fmt)
    return buf.getvalue()


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


def _parquet(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf, row_group_size=4)
    return buf.getvalue()


def _zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _seeds() -> dict[str, tuple[str, str, bytes]]:
    """name -> (file name, modality or "predictions", bytes)."""
    rng = np.random.default_rng(0)
    ids = [rng.integers(0, 50, rng.integers(1, 12)).tolist() for _ in range(12)]
    texts = [" ".join(rng.choice(["the", "cat", "sat", "café", "don't", "2"], rng.integers(1, 8))) for _ in range(12)]
    preds = [int(p) for p in rng.integers(0, 3, 12)]
    jsonl = "".join(json.dumps({"input_ids": i, "prediction": p}) + "\n" for i, p in zip(ids, preds, strict=True))
    jsonl_text = "".join(json.dumps({"text": t, "id": k}) + "\n" for k, t in enumerate(texts))
    csv = "text,prediction\n" + "".join(f'"{t}",{p}\n' for t, p in zip(texts, preds, strict=True))
    tsv = "input_ids\n" + "".join(" ".join(map(str, i)) + "\n" for i in ids)
    images = rng.integers(0, 255, (12, 3, 6, 5), dtype=np.uint8)
    return {
        "jsonl": ("b.jsonl", "text", jsonl.encode()),
        "jsonl-text": ("b.jsonl", "text", jsonl_text.encode()),
        "json": ("b.json", "text", json.dumps([{"text": t, "prediction": p} for t, p in zip(texts, preds, strict=True)]).encode()),
        "txt": ("b.txt", "text", "\n".join(texts).encode()),
        "csv": ("b.csv", "text", csv.encode()),
        "tsv": ("b.tsv", "text", tsv.encode()),
        "parquet-ids": ("b.parquet", "text", _parquet(pa.table({"input_ids": pa.array(ids, pa.list_(pa.int32())),
                                                               "prediction": preds}))),
        "parquet-text": ("b.parquet", "text", _parquet(pa.table({"text": texts}))),
        "npy": ("x.npy", "vision", _npy(images)),
        "npy-float": ("x.npy", "vision", _npy(rng.random((4, 5, 5, 3)).astype(np.float32))),
        "npz": ("x.npz", "vision", _zip({"pixel_values.npy": _npy(images), "predictions.npy": _npy(np.array(preds))})),
        "npz-fortran": ("x.npz", "vision", _zip({"x.npy": _npy(np.asfortranarray(images))}, zipfile.ZIP_STORED)),
        "image-zip": ("imgs.zip", "vision", _zip({"a/1.png": _png("RGB", (6, 5)), "a/2.jpg": _png("RGB", (6, 5), "JPEG"),
                                                  "b.png": _png("P", (4, 4)), "c.png": _png("RGBA", (3, 7))})),
        "image-folder": ("b.png", "folder", _png("RGB", (6, 5))),
        "predictions-csv": ("p.csv", "predictions", ("prediction\n" + "".join(f"{p}\n" for p in preds)).encode()),
        "predictions-scores": ("p.csv", "predictions", ("a,b,c\n" + "".join("0.2,0.5,0.3\n" for _ in preds)).encode()),
        "predictions-npy": ("p.npy", "predictions", _npy(np.array(preds))),
    }


SEEDS = _seeds()


# -- mutations -----------------------------------------------------------------------------------------


def mutate(data: bytes, rnd: random.Random, others: list[bytes]) -> bytes:
    """One to three random edits: bit flips, a hostile token written over or into the data, a cut, a
    splice from another seed, a duplicated span."""
    b = bytearray(data)
    for _ in range(rnd.randint(1, 3)):
        op = rnd.randrange(6)
        at = rnd.randrange(len(b) + 1) if b else 0
        if op == 0:
            for _ in range(rnd.randint(1, 8)):
                if b:
                    b[rnd.randrange(len(b))] ^= 1 << rnd.randrange(8)
        elif op == 1:
            tok = rnd.choice(HOSTILE)
            b[at:at + (len(tok) if rnd.random() < 0.5 else 0)] = tok
        elif op == 2:
            b = b[:at]
        elif op == 3:
            src = rnd.choice(others)
            i = rnd.randrange(len(src))
            b[at:at] = src[i:i + rnd.randint(1, 64)]
        elif op == 4:
            j = min(len(b), at + rnd.randint(1, 64))
            b[at:at] = b[at:j] * rnd.randint(1, 4)
        else:
            for _ in range(rnd.randint(1, 4)):
                if b:
                    b[rnd.randrange(len(b))] = rnd.choice([0, 0xFF, 0x7F, 0x80, ord("9"), ord("-")])
    return bytes(b)


# -- the worker ------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    outcome: str  # ok, error, escape, hang, crash
    detail: str = ""


class Worker:
    """One ``fuzz_worker.py`` process, restarted after a crash or a hang."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[str] | None = None

    def _start(self) -> subprocess.Popen[str]:
        env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
        proc = subprocess.Popen([sys.executable, str(HERE / "fuzz_worker.py")], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        assert proc.stdout is not None
        ready = proc.stdout.readline()
        assert json.loads(ready)["outcome"] == "ready", ready
        return proc

    def run(self, req: dict[str, Any]) -> Outcome:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = self._start()
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({**req, "timeout": TIMEOUT}) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], TIMEOUT + 10)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            hung = self.proc.poll() in (None, -14)  # still running, or killed by its own SIGALRM
            self.proc.kill()
            _, err = self.proc.communicate()
            self.proc = None
            return Outcome("hang" if hung else "crash", err[-2000:])
        out = json.loads(line)
        return Outcome(out["outcome"], out.get("traceback") or out.get("message", ""))

    def close(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.communicate()


@pytest.fixture(scope="module")
def worker() -> Iterator[Worker]:
    w = Worker()
    yield w
    w.close()


def _write(path: Path, data: bytes) -> None:
    """Write ``data`` to a new file at ``path``: rewriting a file in place costs the test ~0.5 ms per
    case (ext4 flushes a truncated file's new data on close), a fresh one ~0.15 ms."""
    path.unlink(missing_ok=True)
    path.write_bytes(data)


def write_case(tmp: Path, seed: str, data: bytes, in_memory: bool) -> dict[str, Any]:
    """The worker's request for ``data`` (a mutated ``seed``): its bytes go in the request when it is
    read in memory (an upload), else into a file under ``tmp``."""
    name, kind, _ = SEEDS[seed]
    tmp.mkdir(parents=True, exist_ok=True)
    if kind == "folder":  # a folder of good images with the mutated one among them
        folder = tmp / "imgs"
        if not (folder / "a.png").exists():
            (folder / "sub").mkdir(parents=True)
            (folder / "a.png").write_bytes(_png("RGB", (6, 5)))
        _write(folder / "sub" / "m.png", data)
        return {"kind": "data", "modality": "vision", "path": str(folder), "name": "imgs"}
    if in_memory:
        req = {"name": name, "data": base64.b64encode(data).decode()}
    else:
        path = tmp / name
        _write(path, data)
        req = {"path": str(path), "name": name}
    if kind == "predictions":
        data_file = tmp / "data.txt"
        if not data_file.exists():
            data_file.write_text("".join(f"doc {i}\n" for i in range(12)))
        return {**req, "kind": "predictions", "modality": "text", "data_path": str(data_file)}
    return {**req, "kind": "data", "modality": kind}


def check(outcome: Outcome, seed: str, data: bytes, where: Path) -> None:
    if outcome.outcome in ("ok", "error"):
        return
    keep = where / f"escape-{seed}.bin"
    keep.write_bytes(data)
    pytest.fail(f"{seed}: {outcome.outcome} on a mutated file (kept at {keep}):\n{outcome.detail}")


def run_seeded(worker: Worker, tmp: Path, n: int, seed: int) -> dict[str, int]:
    rnd = random.Random(seed)
    others = [d for _, _, d in SEEDS.values()]
    counts: dict[str, int] = {}
    names = sorted(SEEDS)
    for i in range(n):
        seed_name = names[i % len(names)]
        data = mutate(SEEDS[seed_name][2], rnd, others)
        case_dir = tmp / f"case-{i % 4}"
        outcome = worker.run(write_case(case_dir, seed_name, data, in_memory=bool(i % 2)))
        check(outcome, seed_name, data, tmp)
        counts[outcome.outcome] = counts.get(outcome.outcome, 0) + 1
    return counts


# -- the tests --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_every_seed_file_is_valid(worker: Worker, tmp_path: Path, seed: str) -> None:
    out = worker.run(write_case(tmp_path, seed, SEEDS[seed][2], in_memory=False))
    assert out.outcome == "ok", out.detail


def test_seeded_mutations_give_a_profile_or_a_data_file_error(worker: Worker, tmp_path: Path) -> None:
    counts = run_seeded(worker, tmp_path, int(os.environ.get("FUZZ_SEEDED", 5000)), seed=0)
    assert counts.get("error", 0) > 0 and counts.get("ok", 0) > 0, counts


@settings(max_examples=int(os.environ.get("FUZZ_HYPOTHESIS", 600)), deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(seed=st.sampled_from(sorted(SEEDS)), edits=st.lists(
    st.tuples(st.integers(0, 10**6), st.integers(0, 64), st.binary(max_size=16) | st.sampled_from(HOSTILE)),
    min_size=1, max_size=4))
def test_hypothesis_edits_give_a_profile_or_a_data_file_error(
    worker: Worker, tmp_path_factory: pytest.TempPathFactory, seed: str, edits: list[tuple[int, int, bytes]]
) -> None:
    data = bytearray(SEEDS[seed][2])
    for at, cut, new in edits:
        at %= len(data) + 1
        data[at:at + cut] = new
    # One folder for all 600 examples (write_case writes each file afresh): mktemp's numbered folder per
    # example scans the growing temp root each time.
    tmp = tmp_path_factory.getbasetemp() / "hypothesis-edits"
    check(worker.run(write_case(tmp, seed, bytes(data), in_memory=False)), seed, bytes(data), tmp)


@pytest.mark.fuzz
def test_long_fuzz_run(worker: Worker, tmp_path: Path) -> None:
    """``make fuzz``: FUZZ_EXAMPLES random mutations (seed FUZZ_SEED, default random), counts printed."""
    if "FUZZ_EXAMPLES" not in os.environ:
        pytest.skip("the long run is `make fuzz` (FUZZ_EXAMPLES=N)")
    n = int(os.environ["FUZZ_EXAMPLES"])
    seed = int(os.environ.get("FUZZ_SEED", random.randrange(2**32)))
    print(f"fuzz: {n} inputs, FUZZ_SEED={seed}")
    counts = run_seeded(worker, tmp_path, n, seed)
    print(f"fuzz: {n} inputs, outcomes {counts}")


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, 2 * 2**30))


@pytest.mark.parametrize("seed", ["jsonl", "parquet-ids", "npz", "image-zip"])
def test_drift_profile_on_mutated_files_exits_0_or_3_without_a_traceback(tmp_path: Path, seed: str) -> None:
    rnd = random.Random(seed)
    others = [d for _, _, d in SEEDS.values()]
    for k in range(2):
        data = mutate(SEEDS[seed][2], rnd, others)
        req = write_case(tmp_path / str(k), seed, data, in_memory=False)
        r = subprocess.run([sys.executable, "-m", "drift_core.cli", "profile", req["path"], "--modality",
                            req["modality"]], capture_output=True, text=True, timeout=120, preexec_fn=_limit_memory)
        assert r.returncode in (0, 3), r.stderr
        assert "Traceback" not in r.stderr and "MemoryError" not in r.stderr and "unexpected" not in r.stderr, r.stderr
        if r.returncode == 3:
            assert r.stderr.startswith("drift: error: ") and r.stderr.count("\n") == 1, r.stderr
