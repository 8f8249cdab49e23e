"""Monitoring over time: a history-aware verdict with a false-alarm budget over the whole horizon.

Each comparison is calibrated on its own (about 1% false alerts at alpha 0.01), but monitoring
repeats it: over 365 daily batches of unchanged data, ``1 - 0.99**365`` = 97% of years see at least
one false per-batch alert. The history rule reads the comparisons recorded against one reference
and says *drifting since batch k* only when evidence accumulates, at a false-alarm rate the user
sets for a horizon the user sets (default: 5% over one year of daily batches).

The evidence of one batch
-------------------------
A comparison tests several metrics and Holm-adjusts their p-values. The rule runs on **one
p-value per batch**, the evidence the per-batch status itself uses::

    p_t = min { p_adj(m) : m thresholded, score(m) >= warn(m) }  ∪  { p_adj(cell shift) }

(1 when no metric reaches its warn line). Holm's smallest adjusted p-value is Bonferroni's
``m * min p``, a valid p-value under *any* dependence between the metrics; a minimum over a subset
of the Holm-adjusted p-values is at least that, so ``P(p_t <= u) <= u`` under no drift. (Fisher or
Stouffer combinations would need independent metrics; the metrics of one comparison share their
items and are positively correlated.) The warn line is the gate the per-batch rule applies too:
a shift too small to matter never reaches the history, however many items make it significant.
The per-batch rule flags a batch exactly when ``p_t < alpha`` (cell shifts included).

The sequential rule: CUSUM on ``-ln p``
---------------------------------------
With ``y_t = -ln p_t`` (an Exp(1) variable under no drift, or stochastically smaller)::

    S_0 = 0,   S_t = min(2h, max(0, S_{t-1} + y_t - k)),   alarm while S_t >= h

``k = 2`` is the CUSUM's reference value: the CUSUM on ``y - k`` is the likelihood-ratio CUSUM for
the alternative density ``c p^(c-1)`` of the p-values with ``k = ln(1/c) / (1 - c)``; ``k = 2``
is ``c = 0.20``, i.e. ``E[-ln p] = 1/c = 4.9`` under the alternative, about the ``-ln 0.01 = 4.6``
of a shift that one batch detects half the time at alpha 0.01. The change point is the batch after
the last ``S = 0`` before the alarm ("drifting since batch k"): the start of the excursion that
crossed ``h``. The cap at ``2h`` (reached only after an alarm) lets the verdict clear within about
``h / (k - 1)`` batches once the drift is fixed; it does not change when the first alarm sounds.

The threshold ``h`` is the ``1 - false_alarm`` quantile of ``max_{t <= horizon} S_t`` under no
drift, computed by a seeded simulation of 20,000 histories (so the verdict is deterministic given
the DB). Under no drift the batch p-values are independent *only given the reference*: every
comparison shares the reference's own sampling noise. With ``rho = n_new / (n_new + n_ref)``, a
batch statistic is ``||sqrt(1 - rho) U_t - sqrt(rho) V||^2`` with ``U_t`` fresh for each batch and
``V`` drawn once (the reference); at ``rho = 0.5`` (reference as large as a batch) this alone
raises the year's false-alarm rate from 5% to 12-14% for a rule calibrated on independent
p-values (measured in ``benchmarks/history.py``, about the same for 1 to 60 degrees of freedom).
So ``h`` is calibrated under that model (the larger ``h`` of 1 and 9 degrees of freedom: one test
statistic, or the ~10 coarse bins), at the largest ``rho`` of the history rounded up to a multiple
of 0.05: a small reference costs delay, not false alarms.

Examples
--------
>>> rule = HistoryRule()                       # 5% false alarms over 365 batches
>>> quiet = [0.5, 0.3, 0.9, 0.04, 0.7]         # noise, one batch at p = 0.04
>>> history_verdict(quiet, rule).state
'stable'
>>> v = history_verdict(quiet + [0.02, 0.003, 0.01, 0.005], rule)
>>> v.state, v.since, v.alarm_at, v.batches_drifting
('drifting', 6, 8, 4)
>>> history_verdict([0.5, 1e-12], rule).alarm_at   # a large shift: the same batch
2
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

if TYPE_CHECKING:
    from .store import ExperimentDB

HistoryState = Literal["stable", "drifting"]

DEFAULT_HORIZON = 365
DEFAULT_FALSE_ALARM = 0.05
DEFAULT_K = 2.0
#: p-values are floored here before ``-ln p`` (``-ln 1e-300`` = 690.8; the cap at 2h bounds S anyway).
_P_FLOOR = 1e-300
#: The calibration simulation: histories, seed, degrees of freedom of the shared-reference model
#: (one test statistic, and the ~10 coarse bins of a histogram; h is the larger of the two).
_CAL_HISTORIES = 20_000
_CAL_SEED = 14
_CAL_DFS = (1, 9)
_RHO_STEP = 0.05
_MAX_HORIZON = 100_000
#: ``h`` of the default rule (365 batches, 5%, k = 2) per rho, as :func:`_threshold` computes it
#: (a simulation of a few seconds per value; tests/test_history.py checks the table against it).
_DEFAULT_THRESHOLDS: dict[float, float] = {
    0.00: 8.2156,
    0.05: 8.2831,
    0.10: 8.5764,
    0.15: 9.0783,
    0.20: 9.7987,
    0.25: 10.5566,
    0.30: 11.9354,
    0.35: 13.2726,
    0.40: 15.1616,
    0.45: 19.8452,
    0.50: 28.7252,
    0.55: 49.1708,
    0.60: 76.0313,
    0.65: 112.7806,
    0.70: 142.3883,
    0.75: 180.2585,
    0.80: 213.0311,
    0.85: 249.2323,
    0.90: 283.6664,
    0.95: 318.6982,
}


@dataclass(frozen=True)
class HistoryRule:
    """The sequential rule's settings: the false-alarm budget and the CUSUM's reference value.

    Parameters
    ----------
    horizon : int
        Number of batches the false-alarm budget covers (365: a year of daily batches).
    false_alarm : float
        Probability of at least one false alarm over ``horizon`` unchanged batches, in (0, 0.5].
    k : float
        CUSUM reference value subtracted from each batch's ``-ln p`` (> 0; larger: less sensitive
        to small persistent shifts, quicker on large ones).
    """

    horizon: int = DEFAULT_HORIZON
    false_alarm: float = DEFAULT_FALSE_ALARM
    k: float = DEFAULT_K

    def __post_init__(self) -> None:
        if isinstance(self.horizon, bool) or not isinstance(self.horizon, int) or not 1 <= self.horizon <= _MAX_HORIZON:
            raise ValueError(f"history horizon must be an int in [1, {_MAX_HORIZON}] batches, got {self.horizon!r}")
        if not isinstance(self.false_alarm, (int, float)) or not 0 < self.false_alarm <= 0.5:
            raise ValueError(f"history false_alarm must be a probability in (0, 0.5], got {self.false_alarm!r}")
        if not isinstance(self.k, (int, float)) or not (math.isfinite(self.k) and self.k > 0):
            raise ValueError(f"history k must be a finite number > 0, got {self.k!r}")


@dataclass(frozen=True)
class BatchPoint:
    """One batch of the history: its per-batch status and the evidence the rule ran on."""

    batch: int  # 1-based position in the history
    p_value: float  # the batch's evidence p_t (see the module docstring)
    evidence: float  # -ln p_t
    cusum: float  # S_t after this batch
    metric: str | None  # the metric p_t comes from (None when no metric reached its warn line)
    status: str | None = None  # the per-batch status, as recorded
    comparison_id: int | None = None
    new_run_id: int | None = None
    new_name: str | None = None
    created_at: str | None = None


@dataclass(frozen=True)
class HistoryVerdict:
    """The history rule's verdict on a sequence of batches (see :func:`history_verdict`)."""

    state: HistoryState
    since: int | None  # 1-based batch of the estimated change point, while drifting
    alarm_at: int | None  # 1-based batch at which the current alarm was raised
    batches_drifting: int  # batches from ``since`` to the latest, inclusive (0 when stable)
    n_batches: int
    cusum: float  # S after the latest batch
    threshold: float  # h
    rho: float  # the shared-reference share h was calibrated at
    horizon: int
    false_alarm: float
    k: float
    episodes: list[tuple[int, int, int]] = field(default_factory=list)  # (since, alarm_at, last) of each alarm
    points: list[BatchPoint] = field(default_factory=list)
    summary: str = ""
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (for ``--json``, the webhook and the dashboard)."""
        return asdict(self)


def batch_evidence(result: Mapping[str, Any]) -> tuple[float, str | None]:
    """The p-value of one comparison that the history rule runs on, and the metric it comes from.

    Parameters
    ----------
    result : mapping
        A result of :func:`drift_core.compare_profiles` (as stored in the experiment DB).

    Returns
    -------
    (float, str or None)
        ``p_t`` and the name of the metric (``"<metric> cell"`` for a cell shift), or ``(1.0, None)``
        when no thresholded metric reached its warn line.

    Notes
    -----
    ``p_t = min{ p_adj(m) : m thresholded, score(m) >= warn(m) } ∪ { p_adj(cell shift of m) }``,
    the Holm-adjusted p-values of the comparison. It is a valid p-value under any dependence
    between the metrics (it is at least Bonferroni's ``m * min p``), and ``p_t < alpha`` exactly
    when the per-batch rule flags the batch.

    Examples
    --------
    >>> r = {"metrics": {
    ...     "seq_length_js": {"thresholded": True, "threshold_status": "warn", "p_adjusted": 0.004},
    ...     "token_freq_js": {"thresholded": True, "threshold_status": "ok", "p_adjusted": 1e-9},
    ...     "seq_length_kl": {"thresholded": False, "threshold_status": None, "p_adjusted": None}}}
    >>> batch_evidence(r)   # token_freq_js is significant but below its warn line: not evidence
    (0.004, 'seq_length_js')
    >>> batch_evidence({"metrics": {}})
    (1.0, None)
    """
    best, name = 1.0, None
    for metric, m in result.get("metrics", {}).items():
        if not m.get("thresholded"):
            continue
        p_adj = m.get("p_adjusted")
        if p_adj is not None and m.get("threshold_status") not in (None, "ok") and p_adj < best:
            best, name = float(p_adj), metric
        shift = m.get("cell_shift")
        if shift and shift.get("p_adjusted") is not None and shift["p_adjusted"] < best:
            best, name = float(shift["p_adjusted"]), f"{metric} cell"
    return min(1.0, max(0.0, best)), name


def _rho_grid(rho: float) -> float:
    """``rho`` rounded up to a multiple of 0.05 (at most 0.95): the calibration is cached per value."""
    if not 0 <= rho < 1:
        raise ValueError(f"rho = n_new / (n_new + n_ref) must be in [0, 1), got {rho!r}")
    return round(min(0.95, math.ceil(round(rho / _RHO_STEP, 9)) * _RHO_STEP), 2)


def cusum_threshold(rule: HistoryRule = HistoryRule(), rho: float = 0.0) -> float:
    """The alarm level ``h`` of the CUSUM: ``P(max_{t <= horizon} S_t >= h) = false_alarm`` under no drift.

    Parameters
    ----------
    rule : HistoryRule
        Horizon, false-alarm probability and reference value ``k``.
    rho : float
        Share of the statistic's noise that comes from the reference, ``n_new / (n_new + n_ref)``
        (0: a reference much larger than the batches). Rounded up to a multiple of 0.05.

    Notes
    -----
    A seeded simulation of 20,000 histories of ``horizon`` batches: ``p_t`` uniform when
    ``rho = 0``; otherwise ``p_t`` is the chi-square (d df) p-value of
    ``||sqrt(1 - rho) U_t - sqrt(rho) V||^2``, ``V`` shared by the history. ``h`` is the
    ``1 - false_alarm`` quantile of ``max_t S_t``, the larger of d = 1 and d = 9. Deterministic;
    cached per argument.

    Examples
    --------
    >>> round(cusum_threshold(), 1)
    8.2
    >>> cusum_threshold(rho=0.5) > cusum_threshold()   # a small reference: a higher bar
    True
    """
    grid = _rho_grid(rho)
    if (rule.horizon, rule.false_alarm, rule.k) == (DEFAULT_HORIZON, DEFAULT_FALSE_ALARM, DEFAULT_K) \
            and grid in _DEFAULT_THRESHOLDS:
        return _DEFAULT_THRESHOLDS[grid]
    return _threshold(rule.horizon, float(rule.false_alarm), float(rule.k), grid)


@functools.lru_cache(maxsize=64)
def _threshold(horizon: int, false_alarm: float, k: float, rho: float) -> float:
    if rho == 0:
        return _simulated_threshold(horizon, false_alarm, k, 0.0, 1)
    return max(_simulated_threshold(horizon, false_alarm, k, rho, df) for df in _CAL_DFS)


def _chi2_tail_odd(df: int, x: np.ndarray) -> np.ndarray:
    """``P(chi2_df > x)`` for odd ``df`` in closed form (``scipy.special.chdtrc`` to ~1e-13 relative).

    Notes
    -----
    With ``z = x / 2`` and ``df = 2n + 1``, the upper incomplete gamma function at a half-integer is
    ``Q(n + 1/2, z) = erfc(sqrt z) + exp(-z) sum_{j=1..n} z^(j - 1/2) / Gamma(j + 1/2)``; the terms
    follow ``t_1 = 2 sqrt(z / pi) exp(-z)``, ``t_{j+1} = t_j z / (j + 1/2)``. All terms are positive
    (no cancellation), and erfc and exp cost about a third of ``chdtrc``'s series at df = 9.

    Examples
    --------
    >>> from scipy.special import chdtrc
    >>> x = np.array([0.0, 0.5, 3.0, 9.0, 40.0, 700.0])
    >>> bool(np.allclose(_chi2_tail_odd(9, x), chdtrc(9, x), rtol=1e-12, atol=0))
    True
    """
    from scipy import special

    z = x / 2
    root = np.sqrt(z)
    tail = special.erfc(root)
    term = 2.0 / math.sqrt(math.pi) * root * np.exp(-z)
    for j in range(1, (df - 1) // 2 + 1):
        if j > 1:
            term *= z / (j - 0.5)
        tail += term
    return np.asarray(tail)


def _simulated_threshold(horizon: int, false_alarm: float, k: float, rho: float, df: int) -> float:
    from scipy import special  # on first use: `drift` commands that never calibrate do not load scipy

    rng = np.random.default_rng(_CAL_SEED)
    s = np.zeros(_CAL_HISTORIES)
    top = np.zeros(_CAL_HISTORIES)
    lam = rho / (1 - rho) * rng.chisquare(df, _CAL_HISTORIES) if rho > 0 else None
    for _ in range(horizon):
        if lam is None:
            y = rng.standard_exponential(_CAL_HISTORIES)
        else:  # given V, the statistic is (1 - rho) * noncentral chi-square(df, rho ||V||^2 / (1 - rho))
            stat = (1 - rho) * rng.noncentral_chisquare(df, lam)
            # chdtrc(1, x) == erfc(sqrt(x / 2)) exactly, and erfc is about 10x faster; odd df in closed form
            tail = (special.erfc(np.sqrt(stat / 2)) if df == 1 else _chi2_tail_odd(df, stat) if df % 2
                    else special.chdtrc(df, stat))
            y = -np.log(np.maximum(tail, _P_FLOOR))
        s = np.maximum(0.0, s + y - k)
        np.maximum(top, s, out=top)
    return float(np.quantile(top, 1 - false_alarm, method="higher"))


def cusum_path(p_values: Sequence[float], k: float, h: float) -> np.ndarray:
    """``S_t`` after each batch: ``S_t = min(2h, max(0, S_{t-1} - ln p_t - k))``, ``S_0 = 0``.

    Examples
    --------
    >>> cusum_path([1.0, 0.01, 0.01, 0.9], k=2.0, h=8.0).round(2).tolist()
    [0.0, 2.61, 5.21, 3.32]
    """
    out = np.empty(len(p_values))
    s = 0.0
    for t, p in enumerate(p_values):
        s = min(2 * h, max(0.0, s - math.log(max(float(p), _P_FLOOR)) - k))
        out[t] = s
    return out


def _check_p_values(p_values: Sequence[float]) -> list[float]:
    out = []
    for i, p in enumerate(p_values):
        if isinstance(p, bool) or not isinstance(p, (int, float, np.floating)) or not 0 <= p <= 1:
            raise ValueError(f"batch {i + 1}: p-value must be a number in [0, 1], got {p!r}")
        out.append(float(p))
    return out


def _episodes(s: np.ndarray, h: float) -> list[tuple[int, int, int]]:
    """(since, alarm_at, last) of every run of ``S >= h``, 1-based; ``since`` follows the last ``S = 0``."""
    out = []
    t, n = 0, len(s)
    while t < n:
        if s[t] < h:
            t += 1
            continue
        alarm = t
        while t < n and s[t] >= h:
            t += 1
        zero = alarm - 1
        while zero >= 0 and s[zero] > 0:
            zero -= 1
        out.append((zero + 2, alarm + 1, t))
    return out


def history_verdict(
    p_values: Sequence[float], rule: HistoryRule = HistoryRule(), rho: float = 0.0,
    batches: Sequence[Mapping[str, Any]] | None = None, metrics: Sequence[str | None] | None = None,
) -> HistoryVerdict:
    """The history rule on a sequence of per-batch p-values, oldest first.

    Parameters
    ----------
    p_values : sequence of float
        Each batch's evidence ``p_t`` (see :func:`batch_evidence`), oldest first.
    rule : HistoryRule
        Horizon, false-alarm probability, reference value.
    rho : float
        ``n_new / (n_new + n_ref)`` of the history (its largest value), for the calibration.
    batches : sequence of mappings, optional
        Per batch: ``comparison_id``, ``new_run_id``, ``new_name``, ``created_at``, ``status``
        (carried into the points and the summary).
    metrics : sequence of str or None, optional
        The metric each ``p_t`` comes from.

    Returns
    -------
    HistoryVerdict
        ``state`` "drifting" while ``S_t >= h``, with ``since`` (change point), ``alarm_at`` and
        ``batches_drifting``; every batch's point; a one-line ``summary``.

    Notes
    -----
    ``S_t = min(2h, max(0, S_{t-1} - ln p_t - k))``; ``h`` from :func:`cusum_threshold`. See the
    module docstring for why ``-ln p``, ``k = 2`` and the shared-reference calibration.

    Examples
    --------
    >>> v = history_verdict([0.2, 0.5, 0.01, 0.02, 0.001])
    >>> v.state, v.since, v.alarm_at, v.batches_drifting
    ('drifting', 3, 5, 3)
    >>> v.summary
    'drifting for 3 batches, since batch 3 of 5 (alarm at batch 5)'
    """
    ps = _check_p_values(p_values)
    h = cusum_threshold(rule, rho)
    s = cusum_path(ps, rule.k, h)
    info = list(batches) if batches is not None else [{} for _ in ps]
    names = list(metrics) if metrics is not None else [None] * len(ps)
    if len(info) != len(ps) or len(names) != len(ps):
        raise ValueError(f"batches and metrics must have one entry per p-value ({len(ps)})")
    points = [
        BatchPoint(batch=t + 1, p_value=p, evidence=-math.log(max(p, _P_FLOOR)), cusum=float(s[t]), metric=names[t],
                   status=b.get("status"), comparison_id=b.get("comparison_id"), new_run_id=b.get("new_run_id"),
                   new_name=b.get("new_name"), created_at=b.get("created_at"))
        for t, (p, b) in enumerate(zip(ps, info, strict=True))
    ]
    episodes = _episodes(s, h)
    n = len(ps)
    drifting = bool(n and s[-1] >= h)
    since, alarm_at = (episodes[-1][0], episodes[-1][1]) if drifting else (None, None)
    verdict = HistoryVerdict(
        state="drifting" if drifting else "stable", since=since, alarm_at=alarm_at,
        batches_drifting=n - since + 1 if since is not None else 0, n_batches=n,
        cusum=float(s[-1]) if n else 0.0, threshold=h, rho=_rho_grid(rho), horizon=rule.horizon,
        false_alarm=float(rule.false_alarm), k=float(rule.k), episodes=episodes, points=points,
        notes=_notes(rule, rho, n),
    )
    return _with_summary(verdict)


def _notes(rule: HistoryRule, rho: float, n: int) -> list[str]:
    notes = []
    grid = _rho_grid(rho)
    if grid > 0.1:
        h0, h = cusum_threshold(rule, 0.0), cusum_threshold(rule, rho)
        notes.append(f"the reference is small next to the batches (n_new / (n_new + n_ref) up to {rho:.2f}): its own "
                     f"sampling noise is shared by every comparison, so the alarm level is {h:.1f} instead of "
                     f"{h0:.1f} and drift is caught later; profile the reference with more items (--sample-size all)")
    if n > rule.horizon:
        notes.append(f"{n} batches exceed the horizon of {rule.horizon}: the false-alarm budget covers {rule.horizon} "
                     "batches, and grows about in proportion beyond")
    return notes


def _batch_words(p: BatchPoint) -> str:
    extra = [x for x in (p.new_name, (p.created_at or "")[:10]) if x]
    return f"batch {p.batch}" + (f" ({', '.join(extra)})" if extra else "")


def _with_summary(v: HistoryVerdict) -> HistoryVerdict:
    if v.n_batches == 0:
        text = "no comparisons recorded against this reference yet"
    elif v.state == "drifting":
        assert v.since is not None
        s = "" if v.batches_drifting == 1 else "es"
        text = (f"drifting for {v.batches_drifting} batch{s}, since {_batch_words(v.points[v.since - 1])} "
                f"of {v.n_batches} (alarm at batch {v.alarm_at})")
    else:
        text = (f"stable: no accumulated evidence of drift over {v.n_batches} batch"
                f"{'' if v.n_batches == 1 else 'es'} (CUSUM {v.cusum:.1f}, alarm at {v.threshold:.1f})")
        if v.episodes:
            a, _, b = v.episodes[-1]
            text += f"; last drifted in batches {a}-{b}"
    return HistoryVerdict(**{**v.__dict__, "summary": text})


def history_batches(comparisons: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The batches of one reference's history, oldest first, one per new run.

    ``comparisons`` are rows of :meth:`ExperimentDB.comparisons` (any order). A new run compared
    more than once counts once (its evidence would otherwise be counted twice): at the time of
    its first comparison, with the result of its latest one. Self-comparisons are skipped.
    """
    rows = sorted(comparisons, key=lambda c: (c["created_at"], c["comparison_id"]))
    first: dict[int, dict[str, Any]] = {}
    for c in rows:
        if c["new_run_id"] == c["reference_run_id"]:
            continue
        key = c["new_run_id"]
        keep = first.setdefault(key, {"created_at": c["created_at"], "first_id": c["comparison_id"]})
        keep.update({"comparison_id": c["comparison_id"], "new_run_id": key, "new_name": c.get("new_name"),
                     "status": c["status"], "result": c["result"]})
    return sorted(first.values(), key=lambda b: (b["created_at"], b["first_id"]))


def history_rho(batches: Sequence[Mapping[str, Any]]) -> float:
    """The largest ``n_new / (n_new + n_ref)`` over the batches' results (0 for none).

    >>> history_rho([{"result": {"n_ref": 3000, "n_new": 1000}}, {"result": {"n_ref": 3000, "n_new": 500}}])
    0.25
    """
    rho = 0.0
    for b in batches:
        r = b["result"]
        n_ref, n_new = r.get("n_ref"), r.get("n_new")
        if n_ref and n_new:
            rho = max(rho, n_new / (n_new + n_ref))
    return min(rho, 0.95)


def verdict_from_comparisons(comparisons: Sequence[Mapping[str, Any]], rule: HistoryRule = HistoryRule()) -> HistoryVerdict:
    """The history verdict of one reference from its recorded comparisons (rows of
    :meth:`ExperimentDB.comparisons`); deterministic given those rows."""
    batches = history_batches(comparisons)
    evidence = [batch_evidence(b["result"]) for b in batches]
    return history_verdict([p for p, _ in evidence], rule, history_rho(batches),
                           batches=batches, metrics=[m for _, m in evidence])


def reference_history(db: ExperimentDB, reference: str | int, rule: HistoryRule = HistoryRule()) -> HistoryVerdict:
    """The history verdict of a reference run (id or name) in an experiment DB; reads the DB only.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from drift_core import ExperimentDB, TaskSpec
    >>> db = ExperimentDB(pathlib.Path(tempfile.mkdtemp()) / "runs.db")
    >>> ref = db.create_run("reference", TaskSpec("text"))
    >>> reference_history(db, "reference").summary
    'no comparisons recorded against this reference yet'
    >>> db.close()
    """
    run = db.find_run(reference)
    return verdict_from_comparisons(db.comparisons(reference_run_id=run["run_id"]), rule)
