"""One-command benchmark suite: every input path against the single-pass limit on the same bytes.

``make bench`` (or ``.venv/bin/python benchmarks/bench.py [--scale 0.1] [--json PATH] [--only a,b]``)
generates the files once per run into a temporary folder, then for every input path times
Driftboard and the *limit* -- the fastest straightforward numpy / pyarrow pass computing the same
statistics over the same bytes -- each measurement in a fresh child process (so the peak RSS,
``ru_maxrss`` from ``os.wait4``, belongs to that path alone), interleaved (limit, Driftboard,
limit, ...) so that machine load hits both sides alike, and reports medians of ``--repeat``
(default 3) runs.

Sizes at ``--scale 1``: 200,000 token sequences (~24M int32 ids, Zipf(1.2) vocabulary capped at
50,000, lengths ~ Normal(120, 30)) as Parquet, as JSONL of ``input_ids`` and as an in-memory
Arrow Table; 50,000 raw-text documents (~120 words) as JSONL; 20,000 uint8 images 3x64x64 as
``.npy`` (memory-mapped) and 2,000 as a folder and a ``.zip`` of PNGs; 2,000,000 class ids as
CSV and ``.npy``. The CLI rows run ``drift`` as a process on a 200,000-line JSONL batch with the
default 1,000-record sample.

Columns: ``ours_s`` / ``limit_s`` are seconds inside the child (data already in memory for the
Arrow row; file reading included otherwise; imports excluded), whole process seconds for the CLI
rows; ``ratio = ours / limit``; peak RSS in MB; ``CPU ratio`` the same ratio on CPU seconds (all
threads; whole processes for the CLI rows), steadier than wall seconds on a loaded machine. Targets (issue 12): in-process within 1.5x of the
limit for Parquet / Arrow, ``.npy`` and predictions, within 2x for JSONL (against the fastest
JSON parse of the file, pyarrow's); the CLI ``compare`` of two files within 1.5x of the limit
process, the cron flow within 2x; peak RSS within 1.5x of the limit's; ``import drift_core``
under 0.2 s (fresh process, median of 5).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_JSON = HERE / "results" / "bench.json"
WORK = HERE / "bench_work.py"  # the generator and the timed work (kept out of this small process)
IMPORT_TARGET = 0.2


#: The limit process of the CLI rows: count the lines, draw the same 1,000-record sample, decode only
#: those lines, and count lengths and tokens (``sys.argv[1:]``: the files).
CLI_LIMIT = """
import json, sys
import numpy as np
for path in sys.argv[1:]:
    data = open(path, 'rb').read()
    n = data.count(b'\\n')
    keep = np.sort(np.random.default_rng(0).choice(n, size=min(n, 1000), replace=False))
    starts = np.concatenate([[0], np.flatnonzero(np.frombuffer(data, np.uint8) == 10) + 1])
    seqs = [json.loads(data[starts[i]:starts[i + 1]])['input_ids'] for i in keep]
    np.bincount(np.fromiter(map(len, seqs), np.int64, len(seqs)))
    np.bincount(np.fromiter((t for s in seqs for t in s), np.int64))
"""


# ----------------------------------------------------------------------------- measuring
def run_process(cmds: list[list[str]], ok: tuple[int, ...] = (0, 1, 2)) -> dict[str, Any]:
    """Run commands one after the other: wall seconds, the largest peak RSS (MB, ``ru_maxrss`` of
    each process from ``os.wait4``) and the last one's stdout (``"out"``)."""
    wall, cpu, rss, out = 0.0, 0.0, 0.0, ""
    for cmd in cmds:
        with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe:
            t0 = time.perf_counter()
            p = subprocess.Popen(cmd, stdout=fo, stderr=fe)
            _, status, usage = os.wait4(p.pid, 0)
            wall += time.perf_counter() - t0
            p.returncode = os.waitstatus_to_exitcode(status)
            fo.seek(0)
            fe.seek(0)
            out, err = fo.read().decode(), fe.read().decode()
        if p.returncode not in ok:  # drift compare exits 1 / 2 on warn / alert
            raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}): {err[-2000:]}")
        rss = max(rss, usage.ru_maxrss / 1024)
        cpu += usage.ru_utime + usage.ru_stime
    return {"wall": wall, "cpu": cpu, "rss": rss, "out": out}


def run_child(case: str, side: str, d: Path) -> dict[str, float]:
    r = run_process([[sys.executable, str(WORK), "child", case, side, str(d)]], ok=(0,))
    res = json.loads(str(r["out"]).strip().splitlines()[-1])
    return {"s": res["s"], "cpu": res["cpu"], "items": res["items"], "rss": res["rss"], "wall": r["wall"]}


def drift_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("drift")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "drift_core.cli"]


def import_time(repeat: int = 5) -> dict[str, float]:
    """Fresh processes: ``import drift_core`` alone, then with the API a script uses (profile,
    compare, files, DB: what the import would cost if nothing were lazy), and ``import numpy``."""
    code = ("import time; t = time.perf_counter(); import drift_core; t1 = time.perf_counter(); "
            "from drift_core import compute_dataset_profile, compare_profiles, profile_file, ExperimentDB; "
            "t2 = time.perf_counter(); "
            "print(t1 - t, t2 - t)")
    bare, api, whole, base = [], [], [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
        whole.append(time.perf_counter() - t0)
        bare.append(float(out[0]))
        api.append(float(out[1]))
        out = subprocess.run([sys.executable, "-c", "import time; t = time.perf_counter(); import numpy; "
                              "print(time.perf_counter() - t)"], capture_output=True, text=True, check=True).stdout
        base.append(float(out))
    med = statistics.median
    return {"import_s": med(bare), "with_api_s": med(api), "process_s": med(whole), "numpy_import_s": med(base)}


# (name, case, target ratio, what the limit is)
ROWS: list[tuple[str, str, float | None, str]] = [
    ("text ids, Arrow Table in memory", "arrow", 1.5, "2 bincounts on the list offsets / values"),
    ("text ids, Parquet via profile_file", "parquet", 1.5, "pq.read_table + 2 bincounts"),
    ("text ids, JSONL via profile_file", "jsonl", 2.0, "pyarrow.json.read_json + 2 bincounts"),
    ("text ids, JSONL (vs json.loads loop)", "jsonl_loads", 2.0, "json.loads per line + 2 bincounts"),
    ("raw text, JSONL via profile_file", "rawtext", 2.0, "read_json + same regex + Counter"),
    ("images, .npy memory-mapped", "npy", 1.5, "chunked uint64 sums / sums of squares + histograms"),
    ("images, folder of PNGs", "folder", None, "Pillow decode + the same sums"),
    ("images, .zip of PNGs", "zip", None, "Pillow decode + the same sums"),
    ("predictions, CSV", "pred_csv", 1.5, "pyarrow.csv.read_csv + bincount"),
    ("predictions, .npy", "pred_npy", 1.5, "np.load + bincount"),
    ("CLI: drift compare A.jsonl B.jsonl", "cli_compare", 1.5, "python -c: count lines, decode the 1,000 sampled"),
    ("CLI: cron flow (profile --db, compare)", "cli_cron", 2.0, "python -c: the same for the new file"),
]
RSS_TARGET = 1.5


def measure(d: Path, n: dict[str, Any], only: set[str] | None, repeat: int) -> list[dict[str, Any]]:
    files = {"arrow": "text.parquet", "parquet": "text.parquet", "jsonl": "text.jsonl", "jsonl_loads": "text.jsonl",
             "rawtext": "text_raw.jsonl", "npy": "images.npy", "folder": "images", "zip": "images.zip",
             "pred_csv": "preds.csv", "pred_npy": "preds.npy", "cli_compare": "text.jsonl", "cli_cron": "text_new.jsonl"}
    drift = drift_cmd()
    db = d / "bench.db"
    rows = [r for r in ROWS if only is None or r[1] in only]
    if any(r[1] == "cli_cron" for r in rows):  # once: the reference run in the DB (not timed)
        run_process([drift + ["profile", str(d / "text.jsonl"), "--db", str(db), "--run-name", "ref"]])
    samples: dict[str, dict[str, list[float]]] = {r[1]: {} for r in rows}
    for rep in range(repeat):
        for _name, case, _t, _what in rows:
            got = samples[case]
            if case == "cli_compare":
                lim = run_process([[sys.executable, "-c", CLI_LIMIT, str(d / "text.jsonl"), str(d / "text_new.jsonl")]])
                ours = run_process([drift + ["compare", str(d / "text.jsonl"), str(d / "text_new.jsonl")]])
                pairs = {"limit": lim, "ours": ours}
            elif case == "cli_cron":
                lim = run_process([[sys.executable, "-c", CLI_LIMIT, str(d / "text_new.jsonl")]])
                ours = run_process([drift + ["profile", str(d / "text_new.jsonl"), "--db", str(db), "--run-name", f"new-{rep}"],
                                    drift + ["compare", "ref", f"new-{rep}", "--db", str(db)]])
                pairs = {"limit": lim, "ours": ours}
            else:
                lim_side = "ours" if case == "jsonl_loads" else "limit"  # jsonl_loads: the limit *is* the child
                if case == "jsonl_loads":
                    lim = run_child(case, lim_side, d)
                    ours = {k: float("nan") for k in ("s", "cpu", "rss", "wall")}
                else:
                    lim = run_child(case, "limit", d)
                    ours = run_child(case, "ours", d)
                pairs = {"limit": lim, "ours": ours}
            for side, r in pairs.items():
                sec = r["wall"] if case.startswith("cli") else r["s"]
                for k, v in (("s", sec), ("cpu", r["cpu"]), ("rss", r["rss"]), ("wall", r["wall"])):
                    got.setdefault(f"{side}_{k}", []).append(float(v))
            print(f"  rep {rep + 1}/{repeat} {case}: limit {got['limit_s'][-1]:.3f} s, driftboard {got['ours_s'][-1]:.3f} s",
                  file=sys.stderr, flush=True)
    out = []
    items = {"arrow": n["seqs"], "parquet": n["seqs"], "jsonl": n["seqs"], "jsonl_loads": n["seqs"], "rawtext": n["docs"],
             "npy": n["images"], "folder": n["png"], "zip": n["png"], "pred_csv": n["preds"], "pred_npy": n["preds"],
             "cli_compare": 2 * n["seqs"], "cli_cron": n["seqs"]}
    for name, case, target, what in rows:
        med = {k: statistics.median(v) for k, v in samples[case].items()}
        path = d / files[case]
        mb = (sum(p.stat().st_size for p in path.iterdir()) if path.is_dir() else path.stat().st_size) / 2**20
        if case == "cli_compare":
            mb += (d / "text_new.jsonl").stat().st_size / 2**20
        if case == "jsonl_loads":  # a second limit of the JSONL row: compare it with that row's Driftboard
            jl = next((o for o in out if o["case"] == "jsonl"), None)
            med["ours_s"] = jl["driftboard_s"] if jl else float("nan")
            med["ours_rss"] = jl["driftboard_rss_mb"] if jl else float("nan")
            med["ours_cpu"] = jl["driftboard_cpu_s"] if jl else float("nan")
        ratio = med["ours_s"] / med["limit_s"]
        rss_ratio = med["ours_rss"] / med["limit_rss"]
        met = None if target is None else bool(ratio <= target and rss_ratio <= RSS_TARGET)
        out.append({
            "path": name, "case": case, "items": items[case], "mb": round(mb, 1), "limit": what,
            "driftboard_s": med["ours_s"], "limit_s": med["limit_s"], "ratio": ratio,
            "items_per_s": items[case] / med["ours_s"], "mb_per_s": mb / med["ours_s"],
            "driftboard_process_s": med["ours_wall"], "limit_process_s": med["limit_wall"],
            "driftboard_cpu_s": med["ours_cpu"], "limit_cpu_s": med["limit_cpu"], "cpu_ratio": med["ours_cpu"] / med["limit_cpu"],
            "driftboard_rss_mb": med["ours_rss"], "limit_rss_mb": med["limit_rss"], "rss_ratio": rss_ratio,
            "target": target, "rss_target": RSS_TARGET, "met": met, "runs": samples[case],
        })
    return out


def table(rows: list[dict[str, Any]], imp: dict[str, float] | None) -> str:
    lines = ["| path | items | MB | Driftboard s | limit s | ratio | items/s | MB/s | peak RSS MB | limit RSS MB "
             "| RSS ratio | CPU ratio | target | met? |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    for r in rows:
        tgt = "-" if r["target"] is None else f"{r['target']:g}x, RSS {r['rss_target']:g}x"
        met = "-" if r["met"] is None else ("yes" if r["met"] else "**no**")
        lines.append(
            f"| {r['path']} | {r['items']:,} | {r['mb']:.1f} | {r['driftboard_s']:.3f} | {r['limit_s']:.3f} "
            f"| {r['ratio']:.2f}x | {r['items_per_s']:,.0f} | {r['mb_per_s']:.1f} | {r['driftboard_rss_mb']:.0f} "
            f"| {r['limit_rss_mb']:.0f} | {r['rss_ratio']:.2f}x | {r.get('cpu_ratio', float('nan')):.2f}x | {tgt} | {met} |")
    if imp is not None:
        ok = "yes" if imp["import_s"] < IMPORT_TARGET else "**no**"
        lines.append(f"\n`import drift_core`: {imp['import_s']:.3f} s in a fresh process (median of 5; target < "
                     f"{IMPORT_TARGET} s: {ok}); with `compute_dataset_profile, compare_profiles, profile_file, "
                     f"ExperimentDB` loaded {imp['with_api_s']:.3f} s, of which `import numpy` alone takes "
                     f"{imp['numpy_import_s']:.3f} s; whole process {imp['process_s']:.3f} s")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=1.0, help="sizes relative to the defaults (0.1 for a quick run)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    ap.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write the results")
    ap.add_argument("--only", help="comma-separated cases: " + ",".join(r[1] for r in ROWS) + ",import")
    ap.add_argument("--dir", type=Path, help="use (and keep) this folder for the files (generated when empty)")
    args = ap.parse_args()
    only = set(args.only.split(",")) if args.only else None
    d = args.dir or Path(tempfile.mkdtemp(prefix="driftboard-bench-"))
    d.mkdir(parents=True, exist_ok=True)
    try:
        t0 = time.perf_counter()
        meta = d / "sizes.json"
        if meta.exists() and json.loads(meta.read_text()).get("scale") == args.scale:
            n = json.loads(meta.read_text())
        else:
            for p in d.iterdir():
                shutil.rmtree(p) if p.is_dir() else p.unlink()
            out = subprocess.run([sys.executable, str(WORK), "generate", str(d), str(args.scale)], check=True,
                                 capture_output=True, text=True).stdout
            n = {**json.loads(out), "scale": args.scale}
            meta.write_text(json.dumps(n))
        print(f"files in {d} ({time.perf_counter() - t0:.0f} s to prepare); load average before: "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", file=sys.stderr, flush=True)
        load = [os.getloadavg()[0]]
        rows = measure(d, n, only - {"import"} if only else None, args.repeat) if only != {"import"} else []
        load.append(os.getloadavg()[0])
        imp = import_time() if only is None or "import" in only else None
        print(table(rows, imp))
        result = {"machine": {"cores": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                              "load_avg_1min_before_after": load},
                  "scale": args.scale, "sizes": n, "repeat": args.repeat, "rows": rows, "import": imp}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1) + "\n")
        print(f"\nload average (1 min) before / after: {load[0]:.1f} / {load[1]:.1f} on {os.cpu_count()} cores; "
              f"JSON: {args.json}")
    finally:
        if args.dir is None:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
