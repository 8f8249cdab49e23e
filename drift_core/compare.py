"""Compare two profiles: drift scores, significance, ok / warn / alert, and plain words."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict

from ._evaluation import CellShift, Evaluation, Pair
from .contributors import DEFAULT_TOP, ContributorResult, metric_contributors
from .metrics import evaluate, expected_metrics, metric_info
from .schema import validate_profile
from .status import SEVERITY, Status, check_thresholds, classify, holm, worst
from .text import token_overlap

#: Fewest items per side for a metric to alert; below it, a significant shift is reported as "warn".
MIN_ITEMS = 30
DEFAULT_ALPHA = 0.01
_UNIT_WORDS = {"text": "sequences", "vision": "images", "outputs": "predictions"}


class CellShiftResult(TypedDict):
    """A large, significant change in one bin or class (see :func:`significance.cell_change`)."""

    cell: str
    ref_share: float
    new_share: float
    p_adjusted: float


class MetricResult(TypedDict):
    """One metric of a comparison: the single source of every per-metric number."""

    score: float
    label: str
    unit: str
    group: str
    thresholded: bool
    threshold: list[float] | None  # [warn, alert] it was judged by
    status: Status | None  # None for an informational (unthresholded) metric
    threshold_status: Status | None  # the threshold-only rule, for comparison
    p_value: float
    p_adjusted: float | None  # Holm over the comparison's thresholded metrics
    noise_floor: float | None  # None when compared with noise_floors=False
    n_ref: int
    n_new: int
    summary: str
    cell_shift: CellShiftResult | None  # set when a concentrated change raised the status
    #: what moved most: the bins with the largest share of a JS / KL score, largest first
    #: (:mod:`drift_core.contributors`); None for scores that are not histograms
    contributors: list[ContributorResult] | None


class ComparisonResult(TypedDict):
    """What :func:`compare_profiles` returns. ``metrics`` holds every number once;
    ``drift_scores``, ``metric_status`` and ``thresholds`` are flat views of it."""

    modality: str
    status: Status
    threshold_status: Status
    max_drift: float
    drift_scores: dict[str, float]
    metric_status: dict[str, Status]
    thresholds: dict[str, list[float]]
    alpha: float
    seed: int
    n_ref: int
    n_new: int
    metrics: dict[str, MetricResult]
    warnings: list[str]
    summary: str
    token_overlap: NotRequired[float]
    tokens_only_new: NotRequired[list[Any]]
    tokens_only_ref: NotRequired[list[Any]]


def compare_profiles(
    ref: dict[str, Any],
    new: dict[str, Any],
    thresholds: Mapping[str, Any] | None = None,
    alpha: float = DEFAULT_ALPHA,
    seed: int = 0,
    top_contributors: int | None = DEFAULT_TOP,
    noise_floors: bool = True,
) -> dict[str, Any]:
    """Compare a new profile with a reference: is the drift real, and large enough to matter?

    Parameters
    ----------
    ref, new : dict
        Profiles from :func:`compute_dataset_profile` (or :func:`merge_profiles`), same modality.
    thresholds : mapping, optional
        ``{metric: (warn, alert)}`` overriding the defaults (JS metrics (0.1, 0.2),
        ``top_tokens_drift`` (0.3, 0.5)); naming an informational metric (KL, distance) makes it
        thresholded. Unknown names or warn > alert raise ``ValueError``.
    alpha : float
        Family-wise significance level of one comparison (Holm over its thresholded metrics).
    seed : int
        Seed of the bootstrap noise floors (results are deterministic for a given seed).
    top_contributors : int or None
        How many bins each histogram score lists in ``contributors`` (what moved most); ``None``
        lists every bin that contributes.
    noise_floors : bool
        ``False`` skips the bootstrap draws that only serve the noise floors (each metric's
        ``noise_floor`` is then None): every score, p-value and status is the same, since no status
        depends on a floor. For status-only sweeps (calibration, simulations): measured in
        instructions, a vision comparison costs half as much, a text one a fifth to a third less
        (the top-100 turnover's p-value needs its draws).

    Returns
    -------
    dict
        ``status`` (worst metric status), ``threshold_status`` (the threshold-only rule),
        ``max_drift``, ``drift_scores``, ``metric_status``, ``thresholds``, ``metrics`` (per
        metric: score, label, group, threshold, status, threshold_status, p_value, p_adjusted,
        noise_floor, n_ref, n_new, summary, cell_shift, contributors), ``token_overlap`` (text),
        ``warnings`` and ``summary``.

    Notes
    -----
    A metric's threshold status follows ``score < warn -> ok; warn <= score <= alert -> warn;
    score > alert -> alert``. Its status escalates to that only when also its Holm-adjusted
    p-value is below ``alpha``; otherwise it stays ``ok`` and ``warnings`` says why. With fewer
    than :data:`MIN_ITEMS` items on a side, a metric can reach "warn" but not "alert".

    Each JS and KL metric lists its ``contributors``: ``{label, ref_share, new_share,
    contribution, share_of_score, words}`` per bin, largest ``|contribution|`` first. For JS the
    contribution is the bin's term of the JS *divergence* (the square of the displayed JS
    distance), signed + where the new share is higher; for KL it is the bin's term of KL (negative
    where the new share is higher). See :mod:`drift_core.contributors`.

    Examples
    --------
    >>> from drift_core import TaskSpec, compute_dataset_profile
    >>> p = compute_dataset_profile([{"input_ids": [1, 2, 3]}] * 50, TaskSpec("text"))
    >>> r = compare_profiles(p, p)
    >>> r["status"], r["max_drift"], r["metrics"]["seq_length_js"]["p_value"]
    ('ok', 0.0, 1.0)
    """
    validate_profile(ref, "reference profile")
    validate_profile(new, "new profile")
    if ref["modality"] != new["modality"] and "outputs" not in (ref["modality"], new["modality"]):
        raise ValueError(f"cannot compare a {ref['modality']} profile (reference) with a {new['modality']} profile (new)")
    if "outputs" in (ref["modality"], new["modality"]) and not ("prediction_hist" in ref and "prediction_hist" in new):
        side = "reference" if "prediction_hist" not in ref else "new profile"
        raise ValueError(f"cannot compare predictions with a {side} that has none: profile its predictions too")
    if not isinstance(noise_floors, bool):
        raise ValueError(f"noise_floors must be True or False, got {noise_floors!r}")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise ValueError(f"alpha must be a number in (0, 1), got {alpha!r}")
    if top_contributors is not None and (isinstance(top_contributors, bool) or not isinstance(top_contributors, int)
                                         or top_contributors < 0):
        raise ValueError(f"top_contributors must be a non-negative int or None, got {top_contributors!r}")
    user = check_thresholds(thresholds)
    n_channels = ref.get("n_channels", 3)
    for name in user:
        metric_info(name, n_channels)  # unknown names raise

    pair = Pair(ref, new, seed, floors=noise_floors)
    evals = [evaluate(name, pair) for name in expected_metrics(ref, new)]
    detail: dict[str, Any] = token_overlap(pair) if ref["modality"] == new["modality"] == "text" else {}

    warnings: list[str] = []
    if ("prediction_hist" in ref) != ("prediction_hist" in new):
        side = "reference" if "prediction_hist" in ref else "new data"
        warnings.append(f"only the {side} has model predictions: output drift is not computed")
    present = {e.name for e in evals}
    for name in user:
        if name not in present:
            warnings.append(f"threshold for {name} ignored: these profiles have no such metric")
    infos = {e.name: metric_info(e.name, n_channels) for e in evals}
    th: dict[str, tuple[float, float]] = {}
    for e in evals:
        default = infos[e.name].default_thresholds
        if e.name in user:
            th[e.name] = user[e.name]
        elif default is not None:
            th[e.name] = default
    # one Holm family: each thresholded metric's test, and the cell-shift test of each JS metric
    judged = [e for e in evals if e.name in th]
    shifts: dict[str, CellShift] = {}
    for e in judged:
        found = e.cell_shift(th[e.name][0]) if e.cell_shift and infos[e.name].family == "js" else None
        if found is not None:
            shifts[e.name] = found
    family = holm([e.p_value for e in judged] + [c.p_value for c in shifts.values()])
    adjusted = dict(zip((e.name for e in judged), family, strict=False))
    shift_adjusted = dict(zip(shifts, family[len(judged):], strict=True))
    n_ref, n_new = ref["n_samples"], new["n_samples"]
    small = min(n_ref, n_new) < MIN_ITEMS
    modality = ref["modality"] if ref["modality"] == new["modality"] else "outputs"
    unit = _UNIT_WORDS[modality]

    metrics: dict[str, MetricResult] = {}
    for e in evals:
        info = infos[e.name]
        entry: MetricResult = {
            "score": e.score, "label": info.label, "unit": info.unit, "group": info.group,
            "thresholded": e.name in th, "threshold": list(th[e.name]) if e.name in th else None,
            "status": None, "threshold_status": None, "p_value": e.p_value,
            "p_adjusted": adjusted.get(e.name), "noise_floor": e.noise_floor,
            "n_ref": e.n_ref, "n_new": e.n_new, "summary": e.summary, "cell_shift": None,
            "contributors": metric_contributors(e, info, top_contributors),
        }
        if e.name in th:
            entry["threshold_status"], entry["status"] = _judge(e, th[e.name], adjusted[e.name], alpha, small,
                                                                  unit, warnings)
            shift = shifts.get(e.name)
            if shift is not None and shift_adjusted[e.name] < alpha:
                entry["cell_shift"] = {"cell": shift.cell, "ref_share": shift.ref_share,
                                       "new_share": shift.new_share, "p_adjusted": shift_adjusted[e.name]}
                if entry["status"] == "ok":  # the cell rule raised it: say what moved, first
                    entry["status"] = "warn"
                    entry["summary"] = f"{shift.words()}; {e.summary}"
        metrics[e.name] = entry

    statuses = {n: m["status"] for n, m in metrics.items() if m["status"] is not None}
    status = worst(list(statuses.values()))
    if small:
        warnings.insert(0, f"only {min(n_ref, n_new)} items on one side (minimum {MIN_ITEMS} to alert): "
                           "statuses are capped at warn")
    result: dict[str, Any] = {
        "modality": modality,
        "status": status,
        "threshold_status": worst([m["threshold_status"] or "ok" for m in metrics.values()]),
        "max_drift": max((metrics[n]["score"] for n in statuses), default=0.0),
        "drift_scores": {n: m["score"] for n, m in metrics.items()},
        "metric_status": statuses,
        "thresholds": {n: list(t) for n, t in th.items()},
        "alpha": float(alpha),
        "seed": seed,
        "n_ref": n_ref,
        "n_new": n_new,
        "metrics": metrics,
        **detail,
        "warnings": warnings,
    }
    result["summary"] = _plain_summary(result, unit)
    return result


def _judge(e: Evaluation, th: tuple[float, float], p_adj: float, alpha: float, small: bool, unit: str,
           warnings: list[str]) -> tuple[Status, Status]:
    """(threshold-only status, final status) of one metric."""
    by_threshold = classify(e.score, *th)
    if by_threshold == "ok":
        return by_threshold, "ok"
    if p_adj >= alpha:
        floor = "" if e.noise_floor is None else f", noise floor {e.noise_floor:.3g}"
        warnings.append(
            f"{e.name} {e.score:.3g} is within the noise of {e.n_ref} vs {e.n_new} {unit} "
            f"(p = {p_adj:.2g} after Holm{floor}): kept ok"
        )
        return by_threshold, "ok"
    if small and by_threshold == "alert":
        return by_threshold, "warn"
    return by_threshold, by_threshold


def _plain_summary(r: dict[str, Any], unit: str) -> str:
    """One paragraph a non-engineer can read (the status itself is shown beside it, not repeated)."""
    sizes = f"{r['n_new']:,} new {unit} against {r['n_ref']:,} reference {unit}"
    flagged = sorted(
        (m for m in r["metrics"].values() if m["status"] in ("warn", "alert")),
        key=lambda m: (-SEVERITY[m["status"]], -m["score"]),
    )
    if not flagged:
        noisy = sum(1 for m in r["metrics"].values() if m["threshold_status"] not in (None, "ok"))
        tail = (f" {noisy} score(s) crossed a threshold but are explained by sampling noise at these sizes."
                if noisy else "")
        return f"No significant drift: {sizes}; every monitored score is within its threshold.{tail}"
    parts = "; ".join(f"{m['label'][:1].lower()}{m['label'][1:]}: {m['summary']} ({m['status']})" for m in flagged[:4])
    more = f" and {len(flagged) - 4} more" if len(flagged) > 4 else ""
    return (f"The new data has drifted from the reference ({sizes}). "
            f"What changed: {parts}{more}. These shifts are larger than sampling noise (p < {r['alpha']:g}).")
