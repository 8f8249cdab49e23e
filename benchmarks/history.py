"""The history rule over simulated histories: false alarms over the horizon and delay to the alarm.

Part A simulates histories at the level of the per-batch evidence (fast, thousands of histories):

* **no drift**: p-values uniform (a reference much larger than the batches), and the faithful
  shared-reference model, where every comparison of a history shares the reference's own noise:
  the statistic is ``||sqrt(1 - rho) U_t - sqrt(rho) V||^2`` (chi-square, d df) with ``U_t`` new
  per batch, ``V`` once per history, ``rho = n_new / (n_new + n_ref)``;
* **a persistent shift from batch 1** (the CUSUM starts at 0, its slowest case) whose per-batch
  power is 50% at alpha 0.01: a noncentral chi-square (1 or 9 df) with the noncentrality giving
  50%, alone or as one of 4 metrics whose Holm minimum is the batch's evidence;
* **large shifts**: per-batch power 99.9%, and a noncentrality with median p about 1e-10: is the
  history alarm on the batch of the per-batch rule's first alert?

Part B runs real ``compare_profiles`` on synthetic data (``benchmarks/synthetic.py``): 3x8x8
images, one reference per history, to check that the evidence the rule runs on is calibrated
(``P(p_t <= u) <= u``) and that the real histories' false-alarm rate and delays match Part A.

Delay = the number of drifted batches seen when the alarm sounds (1 = on the first drifted batch).
Run: ``.venv/bin/python benchmarks/history.py [--quick] [--no-real | --only-real [--only-shifts]] [--json PATH]`` (about
half an hour on 2 busy cores; ``--quick`` about 4 minutes).
"""

from __future__ import annotations

import json
import math
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
from scipy import optimize, special, stats
from synthetic import image_batch, text_batch

from drift_core import TaskSpec, compare_profiles, compute_dataset_profile
from drift_core.history import HistoryRule, batch_evidence, cusum_threshold

RULE = HistoryRule()
ALPHA = 0.01
HORIZON = RULE.horizon


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score 95% interval of a binomial proportion k / n."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def median_interval(x: np.ndarray) -> tuple[float, float]:
    """Distribution-free 95% interval of the median (order statistics, binomial(n, 1/2))."""
    s = np.sort(x)
    n = len(s)
    lo = int(stats.binom.ppf(0.025, n, 0.5))
    hi = int(stats.binom.isf(0.025, n, 0.5))
    return float(s[max(lo - 1, 0)]), float(s[min(hi, n - 1)])


def first_alarm(p: np.ndarray, h: float, k: float = RULE.k) -> np.ndarray:
    """1-based batch of the first alarm of each history (rows), 0 when none (the rule's recursion)."""
    y = -np.log(np.maximum(p, 1e-300))
    s = np.zeros(p.shape[0])
    first = np.zeros(p.shape[0], dtype=int)
    for t in range(p.shape[1]):
        s = np.minimum(2 * h, np.maximum(0.0, s + y[:, t] - k))
        first[(s >= h) & (first == 0)] = t + 1
    return first


def chi2_p(stat: np.ndarray, df: int) -> np.ndarray:
    return special.chdtrc(df, stat)


def shared_null(rng: np.random.Generator, n_hist: int, df: int, rho: float, t: int = HORIZON) -> np.ndarray:
    """p-values of ``n_hist`` no-drift histories sharing one reference each."""
    if rho == 0:
        return rng.random((n_hist, t))
    lam = rho / (1 - rho) * rng.chisquare(df, (n_hist, 1))
    stat = (1 - rho) * rng.noncentral_chisquare(df, np.broadcast_to(lam, (n_hist, t)))
    return chi2_p(stat, df)


def ncp(df: int, m: int, power: float) -> float:
    """Noncentrality of one metric's chi-square giving ``power`` to the Holm minimum of m metrics
    (the other m - 1 metrics unchanged, independent) at alpha 0.01."""
    a = ALPHA / m
    single = 1 - (1 - power) / (1 - a) ** (m - 1)
    crit = stats.chi2.isf(a, df)
    return float(optimize.brentq(lambda lam: stats.ncx2.sf(crit, df, lam) - single, 1e-6, 1e4))


def shifted(rng: np.random.Generator, n_hist: int, t: int, df: int, m: int, lam: float) -> np.ndarray:
    stat = rng.noncentral_chisquare(df, lam, (n_hist, t))
    p = chi2_p(stat, df)
    if m > 1:
        p = np.minimum(1.0, m * np.minimum(p, rng.random((n_hist, t, m - 1)).min(-1)))
    return p


def fmt_rate(k: int, n: int) -> str:
    lo, hi = wilson(k, n)
    return f"{k / n:.1%} ({lo:.1%}-{hi:.1%})"


def part_a(quick: bool) -> list[dict[str, Any]]:
    rng = np.random.default_rng(2024)
    n_null, n_shift = (1000, 1000) if quick else (4000, 4000)
    out: list[dict[str, Any]] = []
    h0 = cusum_threshold(RULE, 0.0)
    # -- false alarms
    for df, n_ratio in [(9, math.inf), (9, 20), (9, 10), (9, 4), (9, 1), (1, 10), (1, 4), (1, 1)]:
        rho = 0.0 if math.isinf(n_ratio) else 1 / (1 + n_ratio)
        p = shared_null(rng, n_null, df, rho)
        h = cusum_threshold(RULE, rho)
        fa = int((first_alarm(p, h) > 0).sum())
        fa_naive = int((first_alarm(p, h0) > 0).sum())
        per_batch = int((p < ALPHA).any(axis=1).sum())
        out.append({"part": "A", "case": "no drift", "df": df, "n_ref_over_n_new": n_ratio, "rho": rho, "h": h,
                    "histories": n_null, "false_alarm": fa, "false_alarm_h0": fa_naive, "per_batch_any": per_batch})
    # -- delay at 50% per-batch power (and the cost of a small reference)
    for df, m, rho in [(1, 1, 0.0), (9, 1, 0.0), (9, 4, 0.0), (9, 1, 0.1), (9, 1, 0.2), (9, 1, 0.5)]:
        lam = ncp(df, m, 0.5)
        h = cusum_threshold(RULE, rho)
        p = shifted(rng, n_shift, 60, df, m, lam)
        first = first_alarm(p, h)
        delay = np.where(first == 0, 61, first).astype(float)
        per_batch_power = float((p < ALPHA).mean())
        out.append({"part": "A", "case": "shift, 50% per-batch power", "df": df, "metrics": m, "rho": rho, "h": h,
                    "histories": n_shift, "per_batch_power": per_batch_power, "median": float(np.median(delay)),
                    "median_ci": median_interval(delay), "mean": float(delay.mean()),
                    "within_3": int((delay <= 3).sum()), "within_5": int((delay <= 5).sum())})
    # -- large shifts: the same batch as the per-batch rule's first alert?
    for label, df, lam in [("per-batch power 99.9%", 9, ncp(9, 1, 0.999)), ("median p ~ 1e-10", 9, None)]:
        if lam is None:
            crit = stats.chi2.isf(1e-10, 9)
            lam = float(optimize.brentq(lambda x, c=crit: stats.ncx2.median(9, x) - c, 1, 500))
        p = shifted(rng, n_shift, 20, df, 1, lam)
        first = first_alarm(p, h0)
        per_batch_first = np.where((p < ALPHA).any(1), (p < ALPHA).argmax(1) + 1, 0)
        same = int((first == per_batch_first).sum())
        out.append({"part": "A", "case": f"large shift, {label}", "df": df, "rho": 0.0, "h": h0, "histories": n_shift,
                    "same_batch": same, "median": float(np.median(first)), "later_by_max": int((first - per_batch_first).max())})
    return out


# -- Part B: real compare_profiles --------------------------------------------------------------------------------

VISION, TEXT = TaskSpec("vision"), TaskSpec("text")


def _profile(kind: str, n: int, rng: np.random.Generator, shift: float = 0.0) -> dict[str, Any]:
    if kind == "text":  # heavy-tailed lengths (log-normal sigma 1.5), bursty topics; shift = length scale - 1
        return compute_dataset_profile(text_batch(n, rng, length_scale=1 + shift, lengths="lognormal1.5"), TEXT,
                                       sample_size=None)
    return compute_dataset_profile(image_batch(n, rng, red_shift=shift), VISION, sample_size=None)


def real_history(task: tuple[str, int, int, int, int, float]) -> dict[str, Any]:
    """One history of ``t`` batches of ``n_new`` items against a reference of ``n_ref`` items."""
    kind, seed, n_ref, n_new, t, shift = task
    rng = np.random.default_rng(seed)
    ref = _profile(kind, n_ref, rng)
    ps, statuses, small = [], [], []
    for i in range(t):
        r = compare_profiles(ref, _profile(kind, n_new, rng, shift), seed=i)
        p, metric = batch_evidence(r)
        ps.append(p)
        statuses.append(r["status"])
        if p <= ALPHA:
            small.append(metric)
    return {"p": ps, "not_ok": [s != "ok" for s in statuses], "small_from": small}


def cluster_interval(p: np.ndarray, u: float, rng: np.random.Generator, draws: int = 2000) -> tuple[float, float]:
    """95% interval of P(p_t <= u) pooled over histories, resampling whole histories (the batches of
    one history share a reference, so a batch-level Wilson interval would be too narrow)."""
    rates = (p <= u).mean(axis=1)
    boot = rates[rng.integers(0, len(rates), size=(draws, len(rates)))].mean(axis=1)
    return float(np.quantile(boot, 0.025)), float(np.quantile(boot, 0.975))


def part_b(quick: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    n_null, n_shift = (8, 40) if quick else (40, 200)
    cases = [("vision", "no drift", 2000, 200, HORIZON, 0.0, n_null),
             ("vision", "no drift", 200, 200, HORIZON, 0.0, n_null // 2),
             ("text", "no drift", 2000, 200, HORIZON, 0.0, n_null // 2),
             ("vision", "shift", 2000, 200, 20, 0.028, n_shift), ("vision", "shift", 2000, 200, 20, 0.1, n_shift // 2)]
    if "--only-shifts" in sys.argv:
        cases = [c for c in cases if c[1] == "shift"]
    resample = np.random.default_rng(7)
    with ProcessPoolExecutor(max_workers=2) as pool:
        for c, (kind, case, n_ref, n_new, t, shift, hist) in enumerate(cases):
            t0 = time.perf_counter()
            tasks = [(kind, 10_000 * (c + 1) + i, n_ref, n_new, t, shift) for i in range(hist)]
            runs = list(pool.map(real_history, tasks, chunksize=2))
            p = np.array([r["p"] for r in runs])
            not_ok = np.array([r["not_ok"] for r in runs])
            rho = n_new / (n_new + n_ref)
            h = cusum_threshold(RULE, rho)
            first = first_alarm(p, h)
            row: dict[str, Any] = {"part": "B", "kind": kind, "case": case, "n_ref": n_ref, "n_new": n_new, "batches": t,
                                   "red_shift": shift, "histories": hist, "rho": rho, "h": h,
                                   "seconds": time.perf_counter() - t0,
                                   "per_batch_not_ok": int(not_ok.sum()), "batches_total": int(not_ok.size)}
            if case == "no drift":
                flat = p.ravel()
                row["p_le"] = {u: int((flat <= u).sum()) for u in (0.1, 0.01, 0.001)}
                row["p_le_ci"] = {u: cluster_interval(p, u, resample) for u in (0.1, 0.01, 0.001)}
                small: dict[str, int] = {}
                for r in runs:
                    for m in r["small_from"]:
                        small[m] = small.get(m, 0) + 1
                row["small_p_from"] = small
                row["p"] = p.tolist()
                row["false_alarm"] = int((first > 0).sum())
                row["per_batch_any"] = int(not_ok.any(axis=1).sum())
                # the real p-values' marginal calibration over many more histories: 4,000 histories of
                # 365 drawn from the pooled p_t (this drops the shared-reference dependence, which Part A models)
                pooled = resample.choice(flat, size=(4000, HORIZON))
                row["resampled_false_alarm"] = int((first_alarm(pooled, h) > 0).sum())
            else:
                per_first = np.where(not_ok.any(1), not_ok.argmax(1) + 1, 0)
                delay = np.where(first == 0, t + 1, first).astype(float)
                row.update({"per_batch_power": float(not_ok.mean()), "median": float(np.median(delay)),
                            "median_ci": median_interval(delay), "within_3": int((delay <= 3).sum()),
                            "same_as_per_batch": int((first == per_first).sum())})
            out.append(row)
            print(f"  part B {kind} {case} n_ref={n_ref} n_new={n_new} shift={shift}: {row['seconds']:.0f} s", file=sys.stderr,
                  flush=True)
    return out


def report(rows: list[dict[str, Any]]) -> None:
    print("\n### A. Simulated evidence: false alarms over 365 unchanged batches")
    print("| statistic | n_ref / n_new | h (calibrated) | histories | history rule false alarm (Wilson 95%) | "
          "same with h for a large reference | any per-batch alert |")
    print("|---|---:|---:|---:|---|---|---|")
    for r in (x for x in rows if x["part"] == "A" and x["case"] == "no drift"):
        ratio = "∞ (p uniform)" if math.isinf(r["n_ref_over_n_new"]) else f"{r['n_ref_over_n_new']:g}"
        n = r["histories"]
        print(f"| chi-square {r['df']} df | {ratio} | {r['h']:.2f} | {n:,} | {fmt_rate(r['false_alarm'], n)} | "
              f"{fmt_rate(r['false_alarm_h0'], n)} | {r['per_batch_any'] / n:.1%} |")
    print("\n### A. Simulated evidence: delay for a persistent shift from batch 1 (per-batch power 50% at alpha 0.01)")
    print("| statistic | metrics (Holm) | rho | h | histories | per-batch power | median delay (95% CI) | mean | "
          "alarm within 3 batches (Wilson 95%) |")
    print("|---|---:|---:|---:|---:|---:|---|---:|---|")
    for r in (x for x in rows if x["part"] == "A" and x["case"].startswith("shift")):
        lo, hi = r["median_ci"]
        print(f"| chi-square {r['df']} df | {r['metrics']} | {r['rho']:g} | {r['h']:.2f} | {r['histories']:,} | "
              f"{r['per_batch_power']:.1%} | {r['median']:g} ({lo:g}-{hi:g}) | {r['mean']:.2f} | "
              f"{fmt_rate(r['within_3'], r['histories'])} |")
    print("\n### A. Large shifts: history alarm on the batch of the per-batch rule's first alert")
    print("| shift | histories | same batch (Wilson 95%) | median alarm batch | worst lag (batches) |")
    print("|---|---:|---|---:|---:|")
    for r in (x for x in rows if x["part"] == "A" and x["case"].startswith("large")):
        print(f"| {r['case'][13:]} | {r['histories']:,} | {fmt_rate(r['same_batch'], r['histories'])} | "
              f"{r['median']:g} | {r['later_by_max']} |")
    b = [x for x in rows if x["part"] == "B"]
    if not b:
        return
    print("\n### B. Real compare_profiles histories (benchmarks/synthetic.py: 3x8x8 images; text with log-normal "
          "sigma 1.5 lengths)")
    print("| data | n_ref vs n_new | histories x batches | P(p_t <= 0.1) | P(p_t <= 0.01) | P(p_t <= 0.001) | "
          "per-batch not ok | history false alarm (Wilson 95%) | same, 4,000 resampled histories (Wilson 95%) | "
          "any per-batch alert | p_t <= 0.01 came from |")
    print("|---|---|---:|---|---|---|---:|---|---|---:|---|")

    def tail(r: dict[str, Any], u: float) -> str:
        lo, hi = r["p_le_ci"][u]
        return f"{r['p_le'][u] / r['batches_total']:.2%} ({lo:.2%}-{hi:.2%})"

    for r in (x for x in b if x["case"] == "no drift"):
        n = r["batches_total"]
        src = ", ".join(f"{m} {c}" for m, c in sorted(r["small_p_from"].items(), key=lambda x: -x[1])[:3]) or "-"
        print(f"| {r['kind']} | {r['n_ref']:,} vs {r['n_new']:,} | {r['histories']} x {r['batches']} | "
              f"{tail(r, 0.1)} | {tail(r, 0.01)} | {tail(r, 0.001)} | "
              f"{r['per_batch_not_ok'] / n:.2%} | {fmt_rate(r['false_alarm'], r['histories'])} | "
              f"{fmt_rate(r['resampled_false_alarm'], 4000)} | {r['per_batch_any'] / r['histories']:.0%} | {src} |")
    print("\n(P(p_t <= u): 95% intervals resample whole histories, whose batches share a reference.)")
    print("\n| shift | n_ref vs n_new | histories | per-batch detection | median delay (95% CI) | "
          "within 3 batches (Wilson 95%) | alarm on the per-batch rule's first alert |")
    print("|---|---|---:|---:|---|---|---|")
    for r in (x for x in b if x["case"] == "shift"):
        lo, hi = r["median_ci"]
        print(f"| red mean +{r['red_shift']:g} | {r['n_ref']:,} vs {r['n_new']:,} | {r['histories']} | "
              f"{r['per_batch_power']:.1%} | {r['median']:g} ({lo:g}-{hi:g}) | "
              f"{fmt_rate(r['within_3'], r['histories'])} | {fmt_rate(r['same_as_per_batch'], r['histories'])} |")


def main() -> None:
    quick = "--quick" in sys.argv
    out_json = sys.argv[sys.argv.index("--json") + 1] if "--json" in sys.argv else None
    t0 = time.perf_counter()
    rows = part_a(quick) if "--only-real" not in sys.argv else []
    if "--no-real" not in sys.argv:
        rows += part_b(quick)
    report(rows)
    print(f"\n({time.perf_counter() - t0:.0f} s)")
    if out_json:
        with open(out_json, "w") as f:
            json.dump(rows, f, indent=1, default=str)


if __name__ == "__main__":
    main()
