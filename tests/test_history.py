"""The history rule: per-batch evidence, the CUSUM and its calibration, verdicts read from the DB."""

from __future__ import annotations

import numpy as np
import pytest
from factories import vision_profile

from drift_core import compare_profiles
from drift_core.history import (
    _DEFAULT_THRESHOLDS,
    HistoryRule,
    _threshold,
    batch_evidence,
    cusum_path,
    cusum_threshold,
    history_batches,
    history_rho,
    history_verdict,
    reference_history,
    verdict_from_comparisons,
)
from drift_core.spec import TaskSpec
from drift_core.store import ExperimentDB

H0 = cusum_threshold()


def _metric(status: str, p_adj: float, thresholded: bool = True, cell: float | None = None) -> dict:
    return {"thresholded": thresholded, "threshold_status": status if thresholded else None,
            "p_adjusted": p_adj if thresholded else None,
            "cell_shift": None if cell is None else {"cell": "class 1", "p_adjusted": cell}}


# -- evidence --------------------------------------------------------------------------------------


def test_evidence_is_the_smallest_holm_p_among_metrics_over_their_warn_line() -> None:
    r = {"metrics": {"a": _metric("warn", 0.03), "b": _metric("alert", 0.002), "c": _metric("ok", 1e-12)}}
    assert batch_evidence(r) == (0.002, "b")


def test_evidence_ignores_informational_metrics() -> None:
    r = {"metrics": {"kl": {"thresholded": False, "threshold_status": None, "p_adjusted": None, "p_value": 1e-9}}}
    assert batch_evidence(r) == (1.0, None)


def test_evidence_counts_a_cell_shift_below_the_warn_line() -> None:
    r = {"metrics": {"prediction_js": _metric("ok", 1e-9, cell=0.004)}}
    assert batch_evidence(r) == (0.004, "prediction_js cell")


def test_per_batch_rule_flags_a_real_comparison_exactly_when_its_evidence_is_below_alpha() -> None:
    ref = vision_profile(300, seed=1)
    for shift, seed in [(0.0, 2), (0.02, 3), (0.1, 4)]:
        r = compare_profiles(ref, vision_profile(300, means=(0.5 + shift, 0.5, 0.5), seed=seed))
        p, _ = batch_evidence(r)
        assert (r["status"] != "ok") == (p < r["alpha"]), (shift, p, r["status"])


# -- the CUSUM -------------------------------------------------------------------------------------


def test_cusum_adds_minus_log_p_minus_k_and_never_goes_below_zero() -> None:
    assert cusum_path([1.0, np.exp(-5), np.exp(-1)], k=2.0, h=10.0).tolist() == pytest.approx([0.0, 3.0, 2.0])


def test_cusum_is_capped_at_twice_the_alarm_level() -> None:
    assert cusum_path([1e-200], k=2.0, h=8.0).tolist() == [16.0]


def test_noise_stays_stable() -> None:
    p = np.random.default_rng(0).random(365)
    assert history_verdict(p.tolist()).state == "stable"


def test_persistent_moderate_evidence_says_drifting_since_the_change_point() -> None:
    v = history_verdict([0.6, 0.9, 0.2, 0.01, 0.01, 0.01, 0.01])
    assert (v.state, v.since, v.alarm_at, v.batches_drifting) == ("drifting", 4, 7, 4)
    assert v.summary.startswith("drifting for 4 batches, since batch 4 of 7")


def test_a_large_shift_alarms_on_its_first_batch() -> None:
    v = history_verdict([0.5, 0.3, 1e-8])
    assert (v.state, v.since, v.alarm_at) == ("drifting", 3, 3)


def test_the_verdict_clears_after_the_drift_stops_and_remembers_the_episode() -> None:
    v = history_verdict([1e-8, 1e-8] + [0.5] * 20)
    assert v.state == "stable" and v.episodes and v.episodes[0][:2] == (1, 1)
    assert "last drifted in batches 1-" in v.summary


def test_the_verdict_is_deterministic() -> None:
    p = np.random.default_rng(3).random(50).tolist()
    rule = HistoryRule(horizon=50, false_alarm=0.1)
    assert history_verdict(p, rule, rho=0.3) == history_verdict(p, rule, rho=0.3)
    assert _threshold.__wrapped__(50, 0.1, 2.0, 0.3) == _threshold.__wrapped__(50, 0.1, 2.0, 0.3)


def test_an_empty_history_is_stable() -> None:
    v = history_verdict([])
    assert (v.state, v.n_batches, v.summary) == ("stable", 0, "no comparisons recorded against this reference yet")


@pytest.mark.parametrize("bad", [[1.5], [-0.1], [float("nan")], ["0.1"]], ids=["above-1", "negative", "nan", "string"])
def test_bad_p_values_are_refused_naming_the_batch(bad: list) -> None:
    with pytest.raises(ValueError, match="batch 1: p-value must be a number in"):
        history_verdict(bad)


@pytest.mark.parametrize("kw", [{"horizon": 0}, {"false_alarm": 0.0}, {"false_alarm": 0.6}, {"k": -1.0}],
                         ids=["horizon-0", "alarm-0", "alarm-0.6", "k-negative"])
def test_bad_rule_settings_are_refused(kw: dict) -> None:
    with pytest.raises(ValueError, match="history"):
        HistoryRule(**kw)


# -- calibration -----------------------------------------------------------------------------------


def test_false_alarm_rate_over_the_horizon_meets_the_budget_on_uniform_p_values() -> None:
    rule = HistoryRule(horizon=100, false_alarm=0.1)
    h = cusum_threshold(rule)
    p = np.random.default_rng(99).random((4000, 100))
    s = np.zeros(4000)
    alarmed = np.zeros(4000, bool)
    for t in range(100):
        s = np.maximum(0, s - np.log(p[:, t]) - rule.k)
        alarmed |= s >= h
    assert 0.085 < alarmed.mean() < 0.115


def test_a_smaller_reference_raises_the_alarm_level() -> None:
    levels = [cusum_threshold(rho=r) for r in (0.0, 0.1, 0.25, 0.5)]
    assert levels == sorted(levels) and levels[-1] > 2 * levels[0]


def test_a_longer_horizon_or_smaller_budget_raises_the_alarm_level() -> None:
    short = cusum_threshold(HistoryRule(horizon=30))
    assert short < H0 < cusum_threshold(HistoryRule(false_alarm=0.01))


@pytest.mark.slow
@pytest.mark.parametrize("rho", [0.0, 0.25], ids=["rho-0", "rho-0.25"])
def test_the_default_threshold_table_matches_the_simulation(rho: float) -> None:
    assert _threshold.__wrapped__(365, 0.05, 2.0, rho) == pytest.approx(_DEFAULT_THRESHOLDS[rho], abs=1e-4)


def test_rho_is_the_largest_batch_share_of_the_history() -> None:
    assert history_rho([{"result": {"n_ref": 900, "n_new": 100}}, {"result": {"n_ref": 900, "n_new": 300}}]) == 0.25


# -- from the experiment DB ------------------------------------------------------------------------


def _comparison(cid: int, new: int, when: str, p: float, ref: int = 1) -> dict:
    status = "alert" if p < 0.01 else "ok"
    return {"comparison_id": cid, "reference_run_id": ref, "new_run_id": new, "new_name": f"b{new}",
            "created_at": when, "status": status,
            "result": {"n_ref": 10_000, "n_new": 100, "metrics": {"m": _metric("warn", p)}}}


def test_batches_are_ordered_by_time_and_a_recompared_run_counts_once_with_its_latest_result() -> None:
    rows = [_comparison(3, 11, "2024-01-03", 0.5), _comparison(1, 10, "2024-01-01", 0.2),
            _comparison(2, 10, "2024-01-02", 0.001), _comparison(4, 1, "2024-01-04", 0.5, ref=1)]
    batches = history_batches(rows)
    assert [(b["new_run_id"], b["comparison_id"]) for b in batches] == [(10, 2), (11, 3)]
    v = verdict_from_comparisons(rows)
    assert [p.p_value for p in v.points] == [0.001, 0.5]


@pytest.fixture
def drifting_db(tmp_path) -> ExperimentDB:
    """A vision reference, 4 unchanged batches, then 3 batches with the red channel shifted."""
    db = ExperimentDB(tmp_path / "history.db")
    spec = TaskSpec("vision")
    ref_profile = vision_profile(1000, seed=0)
    ref = db.create_run("reference", spec, profile=ref_profile)
    for i in range(7):
        means = (0.5, 0.5, 0.5) if i < 4 else (0.53, 0.5, 0.5)
        prof = vision_profile(100, means=means, seed=10 + i)
        run = db.create_run(f"day-{i + 1}", spec, profile=prof)
        db.record_comparison(ref, run, compare_profiles(ref_profile, prof))
    yield db
    db.close()


def test_reference_history_reads_the_db_and_finds_the_change_point(drifting_db: ExperimentDB) -> None:
    v = reference_history(drifting_db, "reference")
    assert v.n_batches == 7 and [p.new_name for p in v.points][:2] == ["day-1", "day-2"]
    assert v.state == "drifting" and v.since == 5
    assert [p.status for p in v.points][:4] == ["ok"] * 4
    assert v.as_dict()["points"][0]["new_name"] == "day-1"
