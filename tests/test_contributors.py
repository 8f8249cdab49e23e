"""What moved most: the contributors a comparison lists, their words, and their way through the DB."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from factories import TEXT, sequences, text_profile

from drift_core import TaskSpec, compare_profiles, compute_dataset_profile
from drift_core.contributors import bin_span, contributor_words, format_shares
from drift_core.store import ExperimentDB
from drift_core.table import moved_most


def _predictions(shares: list[float], n: int = 1000, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    preds = rng.choice(len(shares), n, p=np.asarray(shares) / sum(shares))
    return compute_dataset_profile(np.zeros((n, 1), np.int64), TEXT, sample_size=None, predictions=preds)


def test_a_planted_class_shift_is_the_first_contributor_in_words():
    uniform = [0.1] * 10
    shifted = [0.25 if c == 3 else 0.75 / 9 for c in range(10)]
    r = compare_profiles(_predictions(uniform, seed=1), _predictions(shifted, seed=2))
    first = r["metrics"]["prediction_js"]["contributors"][0]
    assert first["label"] == "class 3"
    assert first["contribution"] > 0 and first["new_share"] > first["ref_share"]
    assert first["words"].startswith("class 3: ") and first["words"].endswith(" of predictions")


def test_a_length_shift_names_a_length_range_of_the_batch():
    r = compare_profiles(text_profile(1000, 120, seed=1), text_profile(1000, 200, seed=2))
    top = r["metrics"]["seq_length_js"]["contributors"]
    assert len(top) == 5
    assert all(c["words"].startswith("sequences of ") and c["words"].endswith(" of the batch") for c in top)


def test_a_token_shift_names_the_token_and_its_share_of_tokens():
    ref = compute_dataset_profile(sequences(300, 30, vocab=200, seed=1), TEXT, sample_size=None)
    new_items = [{"input_ids": s["input_ids"][:-5] + [7777] * 5} for s in sequences(300, 30, vocab=200, seed=2)]
    r = compare_profiles(ref, compute_dataset_profile(new_items, TEXT, sample_size=None))
    first = r["metrics"]["token_freq_js"]["contributors"][0]
    assert first["label"] == "token 7777" and first["ref_share"] == 0.0
    assert first["words"].startswith("token 7777: 0% -> ") and first["words"].endswith(" of tokens")


def test_top_contributors_sets_how_many_are_listed():
    a, b = text_profile(300, 120, seed=1), text_profile(300, 200, seed=2)
    assert len(compare_profiles(a, b, top_contributors=2)["metrics"]["seq_length_js"]["contributors"]) == 2
    assert compare_profiles(a, b, top_contributors=0)["metrics"]["seq_length_js"]["contributors"] == []


@pytest.mark.parametrize("bad", [-1, 2.5, True, "5"], ids=["negative", "float", "bool", "str"])
def test_a_bad_top_contributors_is_a_clear_error(bad):
    p = text_profile(50, 20, seed=1)
    with pytest.raises(ValueError, match="top_contributors must be a non-negative int or None"):
        compare_profiles(p, p, top_contributors=bad)


def test_contributors_round_trip_through_the_experiment_db(tmp_path):
    a, b = text_profile(200, 120, seed=1), text_profile(200, 160, seed=2)
    result = compare_profiles(a, b)
    with ExperimentDB(tmp_path / "runs.db") as db:
        ref = db.create_run("ref", TaskSpec("text"), profile=a)
        new = db.create_run("new", TaskSpec("text"), profile=b)
        db.record_comparison(ref, new, result)
        (stored,) = db.comparisons(reference_run_id=ref)
    for name, m in result["metrics"].items():
        assert stored["result"]["metrics"][name]["contributors"] == m["contributors"], name


@pytest.mark.parametrize(
    "label, unit, metric, expected",
    [
        ("length 20-40", "the batch", "", "sequences of 20-40 tokens: 9% -> 27% of the batch"),
        ("length 1", "the batch", "", "sequences of 1 token: 9% -> 27% of the batch"),
        ("length 0", "the batch", "", "empty sequences: 9% -> 27% of the batch"),
        ("length 1024+", "the batch", "", "sequences of 1024+ tokens: 9% -> 27% of the batch"),
        ("class 3", "predictions", "", "class 3: 9% -> 27% of predictions"),
        ("values 0.600-0.700", "images", "Red channel mean", "red channel mean 0.600-0.700: 9% -> 27% of images"),
        ("'café'", "tokens", "", "'café': 9% -> 27% of tokens"),
        ("other tokens", "tokens", "", "other tokens: 9% -> 27% of tokens"),
    ],
    ids=["length_range", "one_token", "empty", "open_ended", "class", "channel_values", "word", "other"],
)
def test_contributor_words(label, unit, metric, expected):
    assert contributor_words(label, 0.09, 0.27, unit, metric) == expected


@pytest.mark.parametrize(
    "a, b, expected",
    [(0.09, 0.27, "9% -> 27%"), (0.004, 0.021, "0.4% -> 2.1%"), (0.0, 0.5, "0% -> 50%"),
     (0.1004, 0.1006, "10.0% -> 10.1%"), (0.00012, 0.0004, "0.01% -> 0.04%")],
    ids=["whole_percents", "one_decimal", "empty_bin", "close_shares_get_digits", "tiny"],
)
def test_format_shares(a, b, expected):
    assert format_shares(a, b) == expected


@pytest.mark.parametrize(
    "label, span",
    [("length 5-9", (5.0, 9.0)), ("length 7", (7.0, 7.0)), ("length 2048+", (2048.0, None)),
     ("values 0.250-0.300", (0.25, 0.3)), ("class 2", None), ("token 9", None), ("values x-y", None)],
    ids=["range", "one_length", "open_ended", "values", "class", "token", "not_numbers"],
)
def test_bin_span(label, span):
    assert bin_span(label) == span


# ------------------------------------------------------------------------ the CLI and the table model


def test_drift_compare_prints_the_top_three_contributors_of_each_flagged_metric():
    from click.testing import CliRunner

    from drift_core.cli import cli

    data = Path(__file__).resolve().parents[1] / "drift_core" / "demo_data"
    r = CliRunner().invoke(cli, ["compare", str(data / "text_reference.jsonl"), str(data / "text_batch_drifted.jsonl"),
                                 "--ref-predictions", str(data / "text_reference_predictions.csv"),
                                 "--new-predictions", str(data / "text_batch_drifted_predictions.csv")],
                           prog_name="drift", catch_exceptions=False)
    assert r.exit_code == 2
    out = r.stdout.splitlines()
    start = out.index("what moved most (each bin's share of the score's divergence):")
    assert start > out.index(next(line for line in out if line.startswith("Predicted classes (KL)")))  # under the table
    block = out[start + 1: out.index("", start)]
    heads = [i for i, line in enumerate(block) if not line.startswith("    ")]
    assert [block[i].strip() for i in heads] == ["Sequence length, ALERT", "Token frequencies, ALERT",
                                                 "Predicted classes, ALERT"]
    assert [j - i - 1 for i, j in zip(heads, heads[1:] + [len(block)], strict=True)] == [3, 3, 3]
    assert block[heads[2] + 1].split(None, 1)[1].startswith("class 3: ")


def _result(**statuses: str) -> dict:
    top = [{"label": "class 1", "ref_share": 0.5, "new_share": 0.4, "contribution": -0.01, "share_of_score": 0.5,
            "words": "class 1: 50% -> 40% of predictions"}]
    return {"metrics": {name: {"label": name, "status": s, "threshold": [0.1, 0.2], "score": score,
                               "contributors": top}
                        for (name, s), score in zip(statuses.items(), (0.05, 0.08, 0.3), strict=False)}}


def test_moved_most_lists_only_flagged_metrics_worst_first():
    groups = moved_most(_result(a="ok", b="warn", c="alert"))
    assert [(g.name, g.status) for g in groups] == [("c", "alert"), ("b", "warn")]
    assert groups[0].bins[0].direction == "down"


def test_moved_most_names_the_metric_closest_to_its_warn_line_when_all_are_ok():
    assert [g.name for g in moved_most(_result(a="ok", b="ok"))] == ["b"]


def test_moved_most_skips_results_recorded_before_contributors():
    old = _result(a="alert")
    del old["metrics"]["a"]["contributors"]
    assert moved_most(old) == []
