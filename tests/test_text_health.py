"""Text health: truncation, new vocabulary, unknown / padding token shares (drift_core.text_health)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from drift_core import TaskSpec, compare_profiles, compute_dataset_profile, merge_profiles
from drift_core import text_health as th
from drift_core.cli import cli
from drift_core.metrics import expected_metrics
from drift_core.schema import validate_profile

TEXT = TaskSpec("text")
HEALTH = ["truncation_share", "new_vocab_seq_share", "new_vocab_token_share"]


def zipf_docs(n: int, rng: np.random.Generator, vocab: int = 3000, offset: int = 0) -> list[dict[str, list[int]]]:
    p = 1.0 / np.arange(1, vocab + 1) ** 1.1
    lengths = np.maximum(1, rng.lognormal(np.log(60), 0.8, n).astype(int))
    return [{"input_ids": (offset + rng.choice(vocab, k, p=p / p.sum())).tolist()} for k in lengths]


def padded(lengths: list[int], width: int, pad: int, rng: np.random.Generator) -> np.ndarray:
    rows = np.full((len(lengths), width), pad, np.int64)
    for i, k in enumerate(lengths):
        rows[i, :k] = rng.integers(10, 500, k)
    return rows


# ----------------------------------------------------------------------------- profile fields
def test_rare_postings_match_a_brute_force_document_frequency():
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 30, 200)
    codes = rng.zipf(1.3, int(lengths.sum())) % 400
    tok, df, items, counts = th.rare_postings(codes, lengths)
    item = np.repeat(np.arange(200), lengths)
    brute = {t: sorted(set(item[codes == t].tolist())) for t in np.unique(codes).tolist()}
    want = sorted(t for t, its in brute.items() if len(its) <= th.RARE_DF)
    assert tok.tolist() == want
    assert df.tolist() == [len(brute[t]) for t in want]
    assert items.tolist() == [i for t in want for i in brute[t]]
    assert counts.tolist() == [int(((item == i) & (codes == t)).sum()) for t in want for i in brute[t]]


@pytest.mark.parametrize("kind", ["ids", "words"])
def test_merged_health_fields_equal_those_of_the_whole(kind):
    rng = np.random.default_rng(1)
    docs = zipf_docs(120, rng, vocab=500)
    if kind == "words":
        docs = [{"text": " ".join(f"w{t}" for t in d["input_ids"])} for d in docs]
    a, b = (compute_dataset_profile(x, TEXT, sample_size=None) for x in (docs[:47], docs[47:]))
    whole = compute_dataset_profile(docs, TEXT, sample_size=None)
    merged = merge_profiles(a, b)
    assert {k: merged[k] for k in th.HEALTH_FIELDS} == {k: whole[k] for k in th.HEALTH_FIELDS}


def test_words_beyond_the_kept_list_go_to_a_sketch_that_errs_toward_seen():
    words = np.array([f"word{i}" for i in range(3000)])
    codes = np.tile(np.arange(3000), 9)  # 9 items holding every word: none is rare
    lengths = np.full(9, 3000)
    fields = th.profile_health(codes, lengths, words, words[:100], None)
    assert fields["health_vocab_sketch"] and fields["health_rare_tokens"] == []
    profile = {"token_kind": "words", "token_values": words[:100].tolist(), **fields}
    assert th.seen(profile, words).all()  # listed, or hashed: every word seen is "seen"
    unseen = th.seen(profile, np.array([f"other{i}" for i in range(10_000)]))
    assert unseen.mean() < 0.01  # false "seen" <= hashed words / 2**20 = 0.3%


def test_padding_is_left_out_of_the_lengths_counted_for_truncation():
    rng = np.random.default_rng(2)
    rows = padded([128] * 3 + [40] * 97, 128, pad=0, rng=rng)
    p = compute_dataset_profile(rows, TaskSpec("text", pad_token_id=0), sample_size=None)
    assert p["health_top_lengths"][:2] == [128, 40] and p["health_top_counts"][:2] == [3, 97]
    unpadded = compute_dataset_profile(rows, TEXT, sample_size=None)
    assert unpadded["health_top_lengths"] == [128]


def test_incomplete_health_fields_are_a_clear_error():
    p = compute_dataset_profile([{"input_ids": [1, 2]}] * 3, TEXT, sample_size=None)
    del p["health_rare_df"]
    with pytest.raises(ValueError, match=r"text-health fields are incomplete: missing \['health_rare_df'\]"):
        validate_profile(p)


def test_a_rare_item_outside_the_profile_is_a_clear_error():
    p = compute_dataset_profile([{"input_ids": [1, 2]}, {"input_ids": [3]}], TEXT, sample_size=None)
    p["health_rare_items"][0] = 7
    with pytest.raises(ValueError, match="health_rare_items"):
        validate_profile(p)


def test_profiles_without_health_fields_compare_on_the_other_metrics():
    rng = np.random.default_rng(3)
    a, b = (compute_dataset_profile(zipf_docs(50, rng), TEXT, sample_size=None) for _ in range(2))
    for k in th.HEALTH_FIELDS:
        del a[k]
    r = compare_profiles(a, b)
    assert "seq_length_js" in r["metrics"] and not set(HEALTH) & set(r["metrics"])


# ----------------------------------------------------------------------------- truncation
def test_truncation_creeping_up_alerts_in_plain_words():
    rng = np.random.default_rng(4)
    ref = padded([128] * 20 + list(rng.integers(5, 120, 980)), 128, 0, rng)
    new = padded([128] * 100 + list(rng.integers(5, 120, 900)), 128, 0, rng)
    spec = TaskSpec("text", pad_token_id=0)
    r = compare_profiles(*(compute_dataset_profile(x, spec, sample_size=None) for x in (ref, new)))
    m = r["metrics"]["truncation_share"]
    assert m["score"] == pytest.approx(0.08)
    assert m["status"] == "alert" and m["p_value"] < 1e-10
    assert m["summary"] == "sequences at the 128-non-padding token limit: 2.0% -> 10.0%"


def test_truncation_counts_new_sequences_beyond_the_reference_limit():
    ref = compute_dataset_profile([{"input_ids": [1] * k} for k in [10] * 5 + [3] * 95], TEXT, sample_size=None)
    new = compute_dataset_profile([{"input_ids": [1] * k} for k in [10] * 5 + [50] * 5 + [3] * 90], TEXT,
                                  sample_size=None)
    assert th.truncation_counts(ref, new) == (10, 5, 10, True)


def test_truncation_depends_on_which_side_is_the_reference():
    short = compute_dataset_profile([{"input_ids": [1] * k} for k in [10] * 50 + [3] * 50], TEXT, sample_size=None)
    long = compute_dataset_profile([{"input_ids": [1] * k} for k in [30] * 5 + [10] * 95], TEXT, sample_size=None)
    forward = compare_profiles(short, long)["metrics"]["truncation_share"]["score"]
    backward = compare_profiles(long, short)["metrics"]["truncation_share"]["score"]
    assert forward == pytest.approx(0.5) and backward == pytest.approx(0.05)


def test_different_padding_ids_are_a_clear_error():
    rows = np.ones((40, 8), np.int64)
    a = compute_dataset_profile(rows, TaskSpec("text", pad_token_id=0), sample_size=None)
    b = compute_dataset_profile(rows, TaskSpec("text", pad_token_id=3), sample_size=None)
    with pytest.raises(ValueError, match="different pad_token_ids"):
        compare_profiles(a, b)


# ----------------------------------------------------------------------------- new vocabulary
def test_no_drift_new_vocabulary_matches_the_leave_one_out_rate():
    rng = np.random.default_rng(5)
    a, b = (compute_dataset_profile(zipf_docs(800, rng), TEXT, sample_size=None) for _ in range(2))
    nv = th.NewVocab(a, b)
    assert 0.05 < nv.expected < 0.95  # the null is not zero: the reference missed rare tokens
    assert abs(nv.observed - nv.expected) < 0.1
    r = compare_profiles(a, b)
    assert r["metrics"]["new_vocab_seq_share"]["status"] == "ok"


def test_ids_never_seen_in_the_reference_alert():
    rng = np.random.default_rng(6)
    ref = zipf_docs(600, rng)
    new = zipf_docs(600, rng)
    for d in new:  # 20% of the ids replaced by ids from a range the reference never saw
        ids = np.array(d["input_ids"])
        swap = rng.random(len(ids)) < 0.2
        ids[swap] = 50_000 + rng.integers(0, 2000, int(swap.sum()))
        d["input_ids"] = ids.tolist()
    r = compare_profiles(*(compute_dataset_profile(x, TEXT, sample_size=None) for x in (ref, new)))
    seq, tok = r["metrics"]["new_vocab_seq_share"], r["metrics"]["new_vocab_token_share"]
    assert seq["status"] == tok["status"] == "alert"
    assert tok["score"] == pytest.approx(0.2, abs=0.03)
    assert seq["p_value"] == tok["p_value"] < 1e-10  # the token share is tested on sequences
    assert seq["summary"].startswith("sequences with a token never seen in the reference: ")


def test_new_vocabulary_counts_words_too():
    ref = [{"text": "the cat sat on the mat"}] * 40
    new = [{"text": "the cat sat on the zebra"}] * 5 + [{"text": "the cat sat on the mat"}] * 35
    r = compare_profiles(*(compute_dataset_profile(x, TEXT, sample_size=None) for x in (ref, new)))
    assert r["metrics"]["new_vocab_seq_share"]["score"] == 5 / 40
    assert r["metrics"]["new_vocab_token_share"]["score"] == pytest.approx(5 / 240)


def test_new_tokens_in_many_sequences_give_a_lower_bound():
    ref = [{"text": "the cat sat on the mat"}] * 40
    new = [{"text": "the cat sat on the zebra"}] * 40  # "zebra" in 40 items: beyond the kept postings
    m = compare_profiles(*(compute_dataset_profile(x, TEXT, sample_size=None) for x in (ref, new)))["metrics"]
    assert m["new_vocab_seq_share"]["score"] == (th.RARE_DF + 1) / 40
    assert "at least" in m["new_vocab_seq_share"]["summary"]
    assert m["new_vocab_token_share"]["score"] == pytest.approx(1 / 6)  # token counts stay exact


# ----------------------------------------------------------------------------- unknown / padding ids
def test_unknown_token_share_is_computed_only_when_named():
    p = compute_dataset_profile([{"input_ids": [1, 2, 3]}] * 40, TEXT, sample_size=None)
    q = compute_dataset_profile([{"input_ids": [1, 2, 3]}] * 40, TaskSpec("text", unk_token_id=3), sample_size=None)
    assert "unk_token_share" not in expected_metrics(p, p)
    assert "unk_token_share" in expected_metrics(p, q)  # either side may name it: ids profiles keep every id


def test_unknown_token_share_rising_alerts():
    rng = np.random.default_rng(7)
    spec = TaskSpec("text", unk_token_id=0)
    ref = [{"input_ids": np.where(rng.random(50) < 0.005, 0, rng.integers(1, 900, 50)).tolist()} for _ in range(500)]
    new = [{"input_ids": np.where(rng.random(50) < 0.03, 0, rng.integers(1, 900, 50)).tolist()} for _ in range(500)]
    m = compare_profiles(*(compute_dataset_profile(x, spec, sample_size=None) for x in (ref, new)))["metrics"]
    assert m["unk_token_share"]["status"] == "alert"
    assert m["unk_token_share"]["summary"].startswith("unknown tokens (id 0): 0.")


def test_taskspec_rejects_a_negative_token_id():
    with pytest.raises(ValueError, match="TaskSpec.unk_token_id must be a non-negative int, got -1"):
        TaskSpec("text", unk_token_id=-1)


def test_cli_token_id_options_reach_the_profile_and_the_comparison(tmp_path):
    data = tmp_path / "a.jsonl"
    data.write_text("\n".join(json.dumps({"input_ids": [5, 6, 0, 0]}) for _ in range(40)))
    runner = CliRunner()
    out = runner.invoke(cli, ["profile", str(data), "--unk-token-id", "5", "--pad-token-id", "0",
                              "--out", str(tmp_path / "p.json")])
    assert out.exit_code == 0, out.output
    prof = json.loads((tmp_path / "p.json").read_text())
    assert (prof["task"]["unk_token_id"], prof["task"]["pad_token_id"]) == (5, 0)
    assert prof["health_top_lengths"] == [2]
    res = runner.invoke(cli, ["compare", str(tmp_path / "p.json"), str(data), "--pad-token-id", "0", "--json"])
    assert res.exit_code == 0, res.output
    metrics = json.loads(res.output)["result"]["metrics"]
    assert metrics["unk_token_share"]["score"] == 0.0 and metrics["pad_token_share"]["score"] == 0.0


def test_postings_from_the_rare_candidates_equal_the_postings_of_every_position():
    rng = np.random.default_rng(11)
    lengths = rng.integers(0, 40, 500)
    codes = (rng.zipf(1.3, int(lengths.sum())) % 2000).astype(np.int64)
    tokens = np.arange(2000)
    counts = np.bincount(codes, minlength=2000)
    items = np.repeat(np.arange(len(lengths)), lengths)
    sq = np.zeros(2000, np.int64)
    per_item = np.unique(codes * len(lengths) + items, return_counts=True)
    np.add.at(sq, per_item[0] // len(lengths), per_item[1] ** 2)
    rare = th.rare_candidates(tokens, counts, sq)
    assert len(rare) < 2000  # the filter drops the frequent tokens
    full = th.profile_health(codes, lengths, None, tokens, None)
    assert th.profile_health(codes, lengths, None, tokens, None, rare) == full
