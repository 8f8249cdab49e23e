"""The dashboard through ``streamlit.testing.v1.AppTest``, plus the pure rules behind it: per-metric
thresholds (``dashboard.thresholds``) and server-path confinement (``dashboard.sources``)."""

from __future__ import annotations

import functools
import json
import math
import shutil
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.figures import STATUS_HEADLINES
from dashboard.sources import PathRefused, resolve_server_path
from dashboard.thresholds import (
    editor_rows,
    format_overrides,
    parse_overrides,
    resolve_thresholds,
)
from drift_core import expected_metrics
from drift_core.demo import build_demo_db
from drift_core.store import ExperimentDB

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
DATA = Path(__file__).resolve().parents[1] / "drift_core" / "demo_data"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    build_demo_db(path).close()
    return path


@pytest.fixture
def db_path(demo_db, tmp_path, monkeypatch) -> Path:
    """A private copy of the demo DB, made the app's default through DRIFTBOARD_DB."""
    path = tmp_path / "demo.db"
    shutil.copy(demo_db, path)
    monkeypatch.setenv("DRIFTBOARD_DB", str(path))
    monkeypatch.delenv("DRIFTBOARD_DATA_ROOTS", raising=False)
    return path


def run_ids(path: Path) -> dict[str, int]:
    with ExperimentDB(path) as db:
        return {r["name"]: r["run_id"] for r in db.list_runs()}


@functools.cache
def _component_registry() -> Any:
    """Streamlit's registry of v2 components, discovered once per test process.

    Each new ``AppTest`` otherwise rescans the metadata of every installed package for component
    manifests (1.7 s a run, more than the app itself takes); the result is the same for every run
    in one environment, and the app registers no components of its own.
    """
    from streamlit.components.v2.component_manager import BidiComponentManager

    registry = BidiComponentManager()
    registry.discover_and_register_components(start_file_watching=False)
    return registry


def app(**query: int | str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    if hasattr(at, "_bidi_component_manager"):  # streamlit >= 1.50; older versions do not scan
        at._bidi_component_manager = _component_registry()
    for key, value in query.items():
        at.query_params[key] = str(value)
    return at.run()


def status(at: AppTest) -> str:
    """The status the banner shows (the banner is the only alert box naming a status headline)."""
    assert not at.exception, at.exception
    shown = [box.value for box in [*at.error, *at.warning, *at.success]]
    found = [s for s, headline in STATUS_HEADLINES.items() if any(headline in text for text in shown)]
    assert len(found) == 1, shown
    return found[0]


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def score_statuses(at: AppTest) -> dict[str, str]:
    """``{metric label: status cell}`` of the score table (the one read-only dataframe)."""
    assert not at.exception, at.exception
    (table,) = [d for d in at.dataframe if d.editing_mode == "read_only"]
    return dict(zip(table.value["Metric"], table.value["Status"], strict=True))


def score_thresholds(at: AppTest) -> dict[str, str]:
    (table,) = [d for d in at.dataframe if d.editing_mode == "read_only"]
    return dict(zip(table.value["Metric"], table.value["Warn / alert at"], strict=True))


def edit_thresholds(at: AppTest, edits: dict[str, dict]) -> AppTest:
    """Edit rows of the per-metric table, by metric name, as the browser would, and rerun."""
    (editor,) = at.data_editor
    rows = list(editor.value["metric"])
    at.session_state["cmp_th_editor"] = {
        "edited_rows": {rows.index(name): cells for name, cells in edits.items()},
        "added_rows": [], "deleted_rows": [],
    }
    return at.run()


# ------------------------------------------------------------------------------- default view


def test_first_start_builds_the_demo_db_and_opens_on_a_drifted_batch(tmp_path, monkeypatch):
    path = tmp_path / "fresh" / "demo.db"
    monkeypatch.setenv("DRIFTBOARD_DB", str(path))
    at = app()
    assert path.exists()
    assert status(at) == "alert"
    ids = run_ids(path)
    assert at.query_params["ref"] == str(ids["text-reference"])
    assert at.query_params["new"] == str(ids["text-batch-drifted"])
    assert any("text-batch-drifted" in m.value and "text-reference" in m.value for m in at.markdown)


def test_score_table_columns_have_set_widths_whatever_the_comparison(db_path):
    """Widths measured from the first rows shown stay for the session: after a switch to a vision
    batch its "ok: within noise" statuses were cut to "ok: wit"."""
    widths = []
    for ref, new in (("text-reference", "text-batch-drifted"), ("vision-reference", "vision-batch-ok")):
        ids = run_ids(db_path)
        at = app(ref=ids[ref], new=ids[new])
        (table,) = [d for d in at.dataframe if d.editing_mode == "read_only"]
        config = json.loads(table.proto.columns)
        shown = list(table.value.columns)
        assert all(isinstance(config[c]["width"], int) for c in shown), config
        widths.append({c: config[c]["width"] for c in shown})
    assert widths[0] == widths[1]


def test_default_view_shows_scores_charts_history_and_downloads(db_path):
    at = app()
    assert status(at) == "alert"
    assert len(at.get("plotly_chart")) == 7  # scores, lengths, tokens, predictions, text health, history, history rule
    assert [d.editing_mode for d in at.dataframe] == ["read_only", "fixed"]  # scores, per-metric thresholds
    assert {b.label for b in at.get("download_button")} == {"Download HTML report", "Download result (JSON)"}


def test_what_moved_most_lists_the_top_bins_of_each_flagged_metric(db_path):
    at = app()
    assert status(at) == "alert"
    (section,) = [m.value for m in at.markdown if m.value.startswith("**What moved most**")]
    items = section.splitlines()[1:]
    # the flagged histogram scores (the top-100 turnover warns too, but is a set overlap, not bins)
    assert [i.split("**")[1] for i in items] == ["Sequence length", "Token frequencies", "Predicted classes"]
    assert "**#1** class 3: 9% \\-\\> 44% of predictions" in items[2]
    assert all(i.count("of the divergence)") == 3 for i in items)


PAGES = sorted([Path(APP), *(p for p in Path(APP).parent.joinpath("app_pages").glob("*.py") if p.stem != "__init__")])


def test_magic_is_off_in_the_projects_streamlit_config():
    import tomllib

    config = tomllib.loads((Path(APP).parents[1] / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["magicEnabled"] is False


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_magic_would_show_nothing_in_the_page_scripts(page):
    """With magic off a bare expression in a page shows nothing: Streamlit's own rewrite must leave
    every page as it is (apart from the import it adds)."""
    import ast

    from streamlit.runtime.scriptrunner.magic import add_magic

    source = page.read_text()
    rewritten = add_magic(source, str(page))
    rewritten.body = [n for n in rewritten.body
                      if not (isinstance(n, ast.Import) and str(n.names[0].asname).startswith("__streamlit"))]
    assert ast.dump(rewritten) == ast.dump(ast.parse(source, str(page)))


# ---------------------------------------------------------------------- changing the view


#: The demo's drifted text batch holds 40% tokens the reference never saw: the text-health
#: metrics alert on it too; the views below that raise every threshold raise theirs as well.
HEALTH_RAISED = "new_vocab_seq_share:0.9,0.95;new_vocab_token_share:0.9,0.95;truncation_share:0.9,0.95"


def test_raising_the_thresholds_turns_the_alert_ok(db_path):
    at = app(th=HEALTH_RAISED)
    assert status(at) == "alert"
    at.number_input(key="cmp_js_alert").set_value(0.95)
    at.number_input(key="cmp_js_warn").set_value(0.9)
    at.number_input(key="cmp_top_alert").set_value(0.95)
    at.number_input(key="cmp_top_warn").set_value(0.9).run()
    assert status(at) == "ok"
    assert at.query_params["js"] == "0.9,0.95"


def test_monitoring_an_informational_metric_makes_it_count(db_path):
    at = app(js="0.9,0.95", top="0.9,0.95", th=HEALTH_RAISED)  # only seq_length_kl (2.3 bits) could still be flagged
    assert status(at) == "ok"
    assert score_statuses(at)["Sequence length (KL)"] == "ℹ info"
    edit_thresholds(at, {"seq_length_kl": {"monitored": True, "warn": 1.0, "alert": 2.0}})
    assert score_statuses(at)["Sequence length (KL)"] == "✖ alert"
    assert score_thresholds(at)["Sequence length (KL)"] == "1 / 2"
    assert status(at) == "alert"
    assert at.query_params["th"] == ";".join(sorted([*HEALTH_RAISED.split(";"), "seq_length_kl:1,2"]))


@pytest.mark.parametrize(
    "metric,pair,label,expected",
    [("token_freq_js", (0.5, 0.6), "Token frequencies", "✔ ok"),
     ("top_tokens_drift", (0.2, 0.4), "Top-100 token turnover", "✖ alert")],
    ids=["raise-token-freq-to-ok", "lower-top-tokens-to-alert"],
)
def test_a_per_metric_override_changes_that_metric_only(db_path, metric, pair, label, expected):
    at = app()
    before = score_statuses(at)
    assert before[label] != expected
    edit_thresholds(at, {metric: {"warn": pair[0], "alert": pair[1]}})
    after = score_statuses(at)
    assert after[label] == expected
    assert {k: v for k, v in after.items() if k != label} == {k: v for k, v in before.items() if k != label}
    assert score_thresholds(at)[label] == f"{pair[0]:g} / {pair[1]:g}"
    assert score_thresholds(at)["Sequence length"] == "0.1 / 0.2"  # the quick pair still applies
    assert at.query_params["th"] == f"{metric}:{pair[0]:g},{pair[1]:g}"
    assert "js" not in at.query_params


def test_a_bad_per_metric_row_shows_an_error_and_keeps_the_previous_thresholds(db_path):
    at = app()
    edit_thresholds(at, {"token_freq_js": {"warn": 0.5, "alert": 0.6}})
    assert score_statuses(at)["Token frequencies"] == "✔ ok"
    edit_thresholds(at, {"token_freq_js": {"warn": 0.7, "alert": 0.6}})
    assert any("'token_freq_js'" in e and "warn <= alert" in e for e in errors(at)), errors(at)
    assert status(at) == "alert"  # the app keeps working ...
    assert score_thresholds(at)["Token frequencies"] == "0.5 / 0.6"  # ... with the last valid thresholds
    assert at.query_params["th"] == "token_freq_js:0.5,0.6"


def test_per_metric_thresholds_round_trip_through_the_link(db_path):
    at = app()
    edit_thresholds(at, {"seq_length_kl": {"monitored": True, "warn": 1.0, "alert": 2.0},
                         "token_freq_js": {"warn": 0.5, "alert": 0.6}})
    link = at.query_params["th"]
    assert link == "seq_length_kl:1,2;token_freq_js:0.5,0.6"
    shown = score_statuses(at)

    pasted = app(**{k: at.query_params[k] for k in ("ref", "new", "th")})
    assert score_statuses(pasted) == shown
    assert pasted.query_params["th"] == link
    rows = pasted.data_editor[0].value.set_index("metric")
    assert rows.loc["seq_length_kl", "monitored"] and rows.loc["seq_length_kl", "alert"] == 2.0
    assert rows.loc["token_freq_js", "warn"] == 0.5


def test_a_bad_per_metric_threshold_in_the_link_is_ignored_with_a_warning(db_path):
    at = app(th="seq_length_kl:2,1;token_freq_js:0.5,0.6")
    assert score_statuses(at)["Sequence length (KL)"] == "ℹ info"
    assert score_statuses(at)["Token frequencies"] == "✔ ok"
    assert any("seq_length_kl" in w.value and "warn <= alert" in w.value for w in at.warning)
    assert at.query_params["th"] == "token_freq_js:0.5,0.6"


def test_small_shifts_within_the_noise_stay_ok_and_alpha_is_adjustable(db_path):
    ids = run_ids(db_path)
    at = app(ref=ids["vision-reference"], new=ids["vision-batch-ok"])
    assert status(at) == "ok"  # scores above the warn line, but within the noise of 150 vs 300 images
    at.select_slider(key="cmp_alpha").set_value(0.1).run()
    assert at.query_params["alpha"] == "0.1"
    assert any("p-value < 0.1" in c.value for c in at.caption)


def test_changing_the_reference_changes_the_status(db_path):
    ids = run_ids(db_path)
    at = app(ref=ids["text-reference"], new=ids["text-batch-ok"])
    assert status(at) == "ok"
    at.selectbox(key="cmp_ref").set_value(ids["text-batch-drifted"]).run()
    assert status(at) == "alert"
    assert at.query_params["ref"] == str(ids["text-batch-drifted"])
    assert at.selectbox(key="cmp_new").value == ids["text-batch-ok"]  # the new data is kept


def test_query_params_reproduce_a_stored_run_comparison(db_path):
    ids = run_ids(db_path)
    at = app(ref=ids["vision-reference"], new=ids["vision-batch-drifted"])
    assert status(at) == "alert"
    assert at.selectbox(key="cmp_ref").value == ids["vision-reference"]
    # scores, channels, brightness, predictions, 4 image quality, confidence, entropy, per-class probability,
    # history, history rule
    assert len(at.get("plotly_chart")) == 13
    at.selectbox(key="cmp_new").set_value(ids["vision-batch-ok"]).run()
    assert status(at) == "ok"


def test_scored_predictions_show_the_model_confidence_charts(db_path):
    ids = run_ids(db_path)
    at = app(ref=ids["vision-reference"], new=ids["vision-batch-drifted"])
    assert "Model confidence" in [h.value for h in at.subheader]
    titles = " ".join(c.proto.spec for c in at.get("plotly_chart"))
    assert "Model confidence (bins as scored)" in titles and "Per-class mean probability" in titles


def test_class_id_predictions_show_no_confidence_charts(db_path):
    ids = run_ids(db_path)
    at = app(ref=ids["text-reference"], new=ids["text-batch-drifted"])
    assert "Model confidence" not in [h.value for h in at.subheader]


def test_modality_filter_limits_the_reference_picker(db_path):
    at = app()
    at.segmented_control(key="cmp_modality").set_value("vision").run()
    assert all(" · vision · " in option for option in at.selectbox(key="cmp_ref").options)
    assert status(at) in {"ok", "alert"}


def test_an_unreadable_demo_db_can_be_rebuilt_from_the_app(db_path):
    import sqlite3

    with sqlite3.connect(db_path) as conn:  # e.g. a DB written by an older, incompatible version
        conn.execute("UPDATE artifacts SET data = '{\"schema_version\": 1}'")
    at = app()
    assert any("cannot be used" in e for e in errors(at)), errors(at)
    at.button(key="cmp_rebuild").click().run()
    assert status(at) == "alert"


# ------------------------------------------------------------------- the caches follow the DB


def _swap_profiles(path: Path, a: str, b: str) -> None:
    """Store run ``a``'s profile as run ``b``'s and the other way round, as another process would."""
    with ExperimentDB(path) as db:
        ids = {r["name"]: r["run_id"] for r in db.list_runs()}
        profile_a, profile_b = db.load_profile(ids[a]), db.load_profile(ids[b])
        db.save_profile(ids[a], profile_b)
        db.save_profile(ids[b], profile_a)


def test_a_profile_rewritten_in_the_db_is_compared_not_the_cached_one(db_path):
    at = app()
    assert status(at) == "alert"
    _swap_profiles(db_path, "text-batch-drifted", "text-batch-ok")
    at.run()
    assert status(at) == "ok"  # the same run id now holds the ok batch


def test_a_rebuilt_db_moved_into_place_is_opened_again(db_path, tmp_path):
    at = app()
    assert status(at) == "alert"
    rebuilt = tmp_path / "rebuilt" / "demo.db"
    rebuilt.parent.mkdir()
    shutil.copy(db_path, rebuilt)
    _swap_profiles(rebuilt, "text-batch-drifted", "text-batch-ok")
    for suffix in ("-wal", "-shm"):  # as build_demo_db moves a rebuilt DB into place
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    rebuilt.replace(db_path)
    at.run()
    assert status(at) == "ok"


def test_a_run_added_by_another_process_is_listed_with_its_kind(db_path):
    from drift_core import TaskSpec

    ids = run_ids(db_path)
    at = app(ref=ids["prose-reference"], new=ids["prose-batch-ok"])
    assert status(at) == "ok"
    with ExperimentDB(db_path) as db:  # e.g. `drift profile ... --db` while the dashboard runs
        db.create_run("tuesday-prose", TaskSpec("text"), profile=db.load_profile(ids["prose-batch-drifted"]))
    at.run()
    (label,) = [o for o in at.selectbox(key="cmp_new").options if o.startswith("tuesday-prose")]
    assert " · raw text · " in label


# ------------------------------------------------------------------------- new data on disk


def test_server_path_in_data_is_profiled_and_can_be_saved_as_a_run(db_path):
    at = app()
    at.radio(key="cmp_source").set_value("Server path").run()
    at.text_input(key="cmp_path").input("text_batch_drifted.jsonl")
    at.text_input(key="cmp_pred_path").input("text_batch_drifted_predictions.csv").run()
    assert status(at) == "alert"
    n_history = len(ExperimentDB(db_path).comparisons())
    at.text_input(key="cmp_save_name").input("monday-batch")
    at.button(key="cmp_save").click().run()
    assert not at.exception
    saved = ExperimentDB(db_path).find_run("monday-batch")
    assert saved["n_samples"] == 400
    assert len(ExperimentDB(db_path).comparisons()) == n_history + 1
    # the view switched to the stored run it just saved
    assert at.radio(key="cmp_source").value == "Stored run"
    assert at.selectbox(key="cmp_new").value == saved["run_id"]
    assert any("Saved as run" in s.value for s in at.success)


def test_a_bad_file_shows_an_error_and_the_app_keeps_working(db_path, tmp_path, monkeypatch):
    (tmp_path / "broken.jsonl").write_text('{"input_ids": [1, 2, 3]}\nthis is not json\n')
    monkeypatch.setenv("DRIFTBOARD_DATA_ROOTS", str(tmp_path))
    at = app()
    at.radio(key="cmp_source").set_value("Server path").run()
    at.text_input(key="cmp_path").input(str(tmp_path / "broken.jsonl")).run()
    assert not at.exception
    assert any("Could not read" in e and "broken.jsonl" in e for e in errors(at)), errors(at)
    # the next try works
    at.radio(key="cmp_source").set_value("Stored run").run()
    assert status(at) == "alert"


@pytest.mark.parametrize(
    "path,message",
    [("/etc/passwd", "outside the allowed data folders"), ("data/../pyproject.toml", "'..' are not allowed"),
     ("data/nope.jsonl", "no such file")],
    ids=["outside-root", "dotdot", "missing"],
)
def test_refused_server_paths_show_an_error(db_path, path, message):
    at = app()
    at.radio(key="cmp_source").set_value("Server path").run()
    at.text_input(key="cmp_path").input(path).run()
    assert not at.exception
    assert any(message in e for e in errors(at)), errors(at)


def test_the_scores_page_lists_every_registered_metric(db_path):
    from drift_core import METRICS

    at = app()
    at.switch_page("app_pages/scores.py").run()
    assert not at.exception
    assert at.title[0].value == "How Driftboard scores drift"
    assert set(at.table[0].value["Name"]) == set(METRICS)


# ------------------------------------------------------------------ per-metric thresholds (pure)

QUICK = {"js": (0.1, 0.2), "top": (0.3, 0.5)}
TEXT, VISION = {"modality": "text"}, {"modality": "vision", "n_channels": 3}
PREDS = {"prediction_hist": [1, 2]}


def rows_for(names, quick=QUICK, overrides=None, **edits):
    """The editor's rows for ``names``, then ``edits`` ({metric: {column: value}}) applied."""
    rows = editor_rows(names, quick, overrides or {})
    for row in rows:
        row.update(edits.get(row["metric"], {}))
    return rows


def test_expected_metrics_follow_the_registry_groups():
    assert expected_metrics(TEXT, TEXT) == ["seq_length_js", "seq_length_kl", "token_freq_js", "top_tokens_drift"]
    assert expected_metrics({**TEXT, **PREDS}, {**TEXT, **PREDS})[-2:] == ["prediction_js", "prediction_kl"]
    assert "prediction_js" not in expected_metrics({**TEXT, **PREDS}, TEXT)  # predictions on one side only
    assert expected_metrics(VISION, VISION) == [
        "channel_0_mean_js", "channel_1_mean_js", "channel_2_mean_js", "brightness_js", "brightness_kl",
        "channel_mean_distance"]


def test_untouched_rows_give_the_quick_pairs_and_leave_informational_metrics_out():
    rows = rows_for(expected_metrics(TEXT, TEXT))
    assert [(r["metric"], r["monitored"]) for r in rows if not r["monitored"]] == [("seq_length_kl", False)]
    resolved = resolve_thresholds(QUICK, rows)
    assert resolved.thresholds == {"seq_length_js": (0.1, 0.2), "token_freq_js": (0.1, 0.2),
                                   "top_tokens_drift": (0.3, 0.5)}
    assert resolved.overrides == {} and resolved.errors == []


def test_a_js_metric_with_defaults_of_its_own_keeps_them_when_the_quick_js_pair_moves():
    scored = {"modality": "outputs", "prediction_hist": [1, 2], "confidence_hist": [1], "num_classes": 2}
    names = [n for n in expected_metrics(scored, scored) if n in ("confidence_js", "prediction_js")]
    assert names == ["prediction_js", "confidence_js"]
    resolved = resolve_thresholds({"js": (0.9, 0.95), "top": (0.3, 0.5)}, rows_for(names, {"js": (0.9, 0.95), "top": (0.3, 0.5)}))
    assert resolved.thresholds == {"prediction_js": (0.9, 0.95), "confidence_js": (0.15, 0.3)}


def test_a_monitored_informational_metric_is_thresholded():
    rows = rows_for(expected_metrics(VISION, VISION),
                    channel_mean_distance={"monitored": True, "warn": 0.05, "alert": 0.1})
    resolved = resolve_thresholds(QUICK, rows)
    assert resolved.thresholds["channel_mean_distance"] == (0.05, 0.1)
    assert resolved.thresholds["channel_1_mean_js"] == (0.1, 0.2)
    assert resolved.overrides == {"channel_mean_distance": (0.05, 0.1)}


def test_an_edited_row_overrides_the_quick_pair_for_that_metric_only():
    rows = rows_for(expected_metrics(TEXT, TEXT), token_freq_js={"warn": 0.15, "alert": 0.3})
    resolved = resolve_thresholds(QUICK, rows)
    assert resolved.thresholds["token_freq_js"] == (0.15, 0.3)
    assert resolved.thresholds["seq_length_js"] == (0.1, 0.2)
    assert resolved.overrides == {"token_freq_js": (0.15, 0.3)}
    # a new quick pair moves the other JS metrics, not the overridden one
    quick = {**QUICK, "js": (0.2, 0.4)}
    again = resolve_thresholds(quick, rows_for(expected_metrics(TEXT, TEXT), quick, resolved.overrides))
    assert again.thresholds["seq_length_js"] == (0.2, 0.4)
    assert again.thresholds["token_freq_js"] == (0.15, 0.3)


def test_a_row_set_back_to_the_quick_pair_is_no_longer_an_override():
    rows = rows_for(["token_freq_js"], token_freq_js={"warn": 0.1, "alert": 0.2})
    resolved = resolve_thresholds(QUICK, rows, previous={"token_freq_js": (0.15, 0.3)})
    assert resolved.overrides == {} and resolved.thresholds == {"token_freq_js": (0.1, 0.2)}


def test_overrides_of_metrics_not_in_this_comparison_are_kept():
    resolved = resolve_thresholds(QUICK, rows_for(expected_metrics(VISION, VISION)), previous={"seq_length_kl": (1, 2)})
    assert resolved.overrides == {"seq_length_kl": (1, 2)}
    assert "seq_length_kl" not in resolved.thresholds


@pytest.mark.parametrize(
    "metric,cells,message",
    [("token_freq_js", {"warn": 0.3, "alert": 0.2}, "must satisfy warn <= alert, got (0.3, 0.2)"),
     ("token_freq_js", {"warn": -0.1, "alert": 0.2}, "must be finite and >= 0"),
     ("seq_length_kl", {"monitored": True, "warn": 1.0, "alert": None}, "enter both warn and alert"),
     ("seq_length_kl", {"monitored": True, "warn": math.nan, "alert": 2.0}, "enter both warn and alert"),
     ("seq_length_js", {"monitored": False}, "is always monitored")],
    ids=["warn-above-alert", "negative", "missing-alert", "nan-warn", "unticked-default-metric"],
)
def test_a_bad_row_names_the_metric_and_keeps_its_previous_thresholds(metric, cells, message):
    previous = {"token_freq_js": (0.15, 0.3), "seq_length_kl": (1.0, 2.0)}
    names = expected_metrics(TEXT, TEXT)
    resolved = resolve_thresholds(QUICK, rows_for(names, QUICK, previous, **{metric: cells}), previous)
    (error,) = resolved.errors
    assert f"'{metric}'" in error and message in error
    assert resolved.overrides == previous
    expected = previous.get(metric, QUICK["js"])
    assert resolved.thresholds[metric] == expected
    assert resolved.thresholds["top_tokens_drift"] == (0.3, 0.5)  # the other rows still apply


def test_a_bad_row_without_a_previous_override_falls_back_to_its_default():
    rows = rows_for(expected_metrics(TEXT, TEXT), seq_length_kl={"monitored": True, "warn": 3, "alert": 1})
    resolved = resolve_thresholds(QUICK, rows)
    assert "seq_length_kl" not in resolved.thresholds and "not monitored" in resolved.errors[0]


def test_overrides_round_trip_through_their_url_form():
    overrides = {"token_freq_js": (0.15, 0.3), "seq_length_kl": (1.0, 2.0)}
    text = format_overrides(overrides)
    assert text == "seq_length_kl:1,2;token_freq_js:0.15,0.3"
    assert parse_overrides(text) == (overrides, [])
    assert parse_overrides("") == ({}, []) and parse_overrides(None) == ({}, [])


@pytest.mark.parametrize(
    "text,message",
    [("nope:1,2", "unknown metric 'nope'"), ("channel_{c}_mean_js:0.1,0.2", "unknown metric"),
     ("seq_length_kl:2,1", "warn <= alert"), ("seq_length_kl:1", "seq_length_kl:1"),
     ("seq_length_kl", "'seq_length_kl'")],
    ids=["unknown", "template", "warn-above-alert", "one-number", "no-numbers"],
)
def test_bad_url_overrides_are_left_out_and_described(text, message):
    overrides, bad = parse_overrides(f"{text};brightness_js:0.3,0.4")
    assert overrides == {"brightness_js": (0.3, 0.4)}
    (error,) = bad
    assert message in error


# ------------------------------------------------------------------------- path confinement


def test_files_inside_a_root_are_resolved(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.jsonl").write_text("{}")
    assert resolve_server_path("sub/a.jsonl", [tmp_path]) == (tmp_path / "sub" / "a.jsonl").resolve()
    assert resolve_server_path(str(tmp_path / "sub" / "a.jsonl"), [tmp_path]).name == "a.jsonl"


def test_the_default_roots_are_data_and_the_shipped_samples(monkeypatch):
    from dashboard.sources import allowed_roots

    monkeypatch.delenv("DRIFTBOARD_DATA_ROOTS", raising=False)
    assert allowed_roots() == [DATA.parents[1] / "data", DATA]
    assert resolve_server_path("text_reference.jsonl", allowed_roots()) == DATA / "text_reference.jsonl"
    assert resolve_server_path("drift_core/demo_data/text_reference.jsonl", allowed_roots()) == DATA / "text_reference.jsonl"


@pytest.mark.parametrize("raw", ["../secret.txt", "sub/../../secret.txt", "sub/../a.jsonl"], ids=str)
def test_dotdot_is_refused(tmp_path, raw):
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "a.jsonl").write_text("{}")
    (tmp_path / "secret.txt").write_text("s")
    with pytest.raises(PathRefused, match=r"'\.\.'"):
        resolve_server_path(raw, [root])


def test_a_symlink_escaping_the_root_is_refused(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "secret.jsonl").write_text("{}")
    (root / "link.jsonl").symlink_to(tmp_path / "secret.jsonl")
    (root / "linkdir").symlink_to(tmp_path)
    with pytest.raises(PathRefused, match="outside the allowed data folders"):
        resolve_server_path("link.jsonl", [root])
    with pytest.raises(PathRefused, match="outside the allowed data folders"):
        resolve_server_path(str(root / "linkdir" / "secret.jsonl"), [root])


def test_a_symlink_staying_inside_the_root_is_accepted(tmp_path):
    (tmp_path / "a.jsonl").write_text("{}")
    (tmp_path / "alias.jsonl").symlink_to(tmp_path / "a.jsonl")
    assert resolve_server_path("alias.jsonl", [tmp_path]) == (tmp_path / "a.jsonl").resolve()


def test_folders_and_empty_paths_are_refused(tmp_path):
    (tmp_path / "dir").mkdir()
    with pytest.raises(PathRefused, match="not a file"):
        resolve_server_path("dir", [tmp_path])
    with pytest.raises(PathRefused, match="enter the path"):
        resolve_server_path("  ", [tmp_path])


# ----------------------------------------------------------------- issue 11: state, links, trust


def main_text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.main.markdown)


def test_the_view_survives_a_visit_to_how_scores_work(db_path):
    at = app()
    at.number_input(key="cmp_js_warn").set_value(0.15).run()
    at.radio(key="cmp_source").set_value("Server path").run()
    at.text_input(key="cmp_path").input("text_batch_ok.jsonl").run()
    before = score_statuses(at)
    at.switch_page("app_pages/scores.py").run()
    at.switch_page("app_pages/compare.py").run()
    assert at.radio(key="cmp_source").value == "Server path"
    assert at.text_input(key="cmp_path").value == "text_batch_ok.jsonl"
    assert at.number_input(key="cmp_js_warn").value == 0.15
    assert score_statuses(at) == before
    assert at.query_params["path"] == "text_batch_ok.jsonl" and at.query_params["js"] == "0.15,0.2"


def test_a_link_to_an_unsaved_upload_says_it_cannot_be_shown(db_path):
    ids = run_ids(db_path)
    at = app(ref=ids["text-reference"], upload="monday.jsonl", sha="0123456789abcdef")
    assert not at.exception
    assert any("unsaved upload" in w.value and "monday.jsonl" in w.value for w in at.warning)
    shown = [box.value for box in [*at.error, *at.success]]
    assert not any(h in t for h in STATUS_HEADLINES.values() for t in shown)  # no comparison pretends to be it


def test_a_server_path_view_is_reproduced_by_its_link(db_path):
    at = app()
    at.radio(key="cmp_source").set_value("Server path").run()
    at.text_input(key="cmp_path").input("text_batch_ok.jsonl").run()
    link = dict(at.query_params)
    assert "new" not in link and link["path"] == "text_batch_ok.jsonl"
    pasted = app(**link)
    assert status(pasted) == status(at) == "ok"
    assert "text_batch_ok.jsonl" in main_text(pasted)


def test_a_link_to_a_missing_run_says_so(db_path):
    ids = run_ids(db_path)
    at = app(ref=ids["text-reference"], new=999)
    assert any("'999' is not in this experiment DB" in w.value for w in at.warning), [w.value for w in at.warning]


def test_raw_text_has_a_demo_reference_and_any_file_can_become_a_reference(db_path):
    ids = run_ids(db_path)
    assert status(app(ref=ids["prose-reference"], new=ids["prose-batch-ok"])) == "ok"
    assert status(app(ref=ids["prose-reference"], new=ids["prose-batch-drifted"])) == "warn"
    # raw text against the token-id reference: says why, and offers to make it a reference
    at = app(ref=ids["text-reference"])
    at.radio(key="cmp_source").set_value("Server path").run()
    at.text_input(key="cmp_path").input("words_batch_drifted.jsonl").run()
    assert any("raw text" in e and "token ids" in e and "Use this file as a reference" in e for e in errors(at))
    at.text_input(key="cmp_save_name").input("my-prose")
    at.button(key="cmp_as_reference").click().run()
    mine = run_ids(db_path)["my-prose"]
    assert at.selectbox(key="cmp_ref").value == mine
    assert at.radio(key="cmp_source").value == "Stored run"
    assert status(at) in {"ok", "warn", "alert"}  # compared with a raw-text run
    assert all(" · raw text · " in o for o in at.selectbox(key="cmp_new").options)


def test_the_stored_run_picker_lists_only_compatible_runs_and_follows_the_reference(db_path):
    ids = run_ids(db_path)
    at = app()
    at.selectbox(key="cmp_ref").set_value(ids["prose-reference"]).run()
    options = at.selectbox(key="cmp_new").options
    assert options and all(" · raw text · " in o for o in options), options
    assert status(at) in {"ok", "warn"}
    picked = at.selectbox(key="cmp_new").value
    name = next(n for n, i in run_ids(db_path).items() if i == picked)
    assert f"**{name}**" in main_text(at)  # the sidebar and the page name the same run


def test_server_path_then_stored_run_shows_the_run_the_sidebar_names(db_path):
    ids = run_ids(db_path)
    at = app(ref=ids["text-reference"], new=ids["text-batch-ok"])
    at.radio(key="cmp_source").set_value("Server path").run()
    at.text_input(key="cmp_path").input("text_batch_drifted.jsonl").run()
    at.radio(key="cmp_source").set_value("Stored run").run()
    assert at.selectbox(key="cmp_new").value == ids["text-batch-ok"]
    assert "**text-batch-ok**" in main_text(at)
    assert status(at) == "ok"


def test_record_stores_one_row_per_comparison(db_path):
    ids = run_ids(db_path)
    at = app(ref=ids["text-reference"], new=ids["text-batch-ok"], js="0.15,0.3")
    before = len(ExperimentDB(db_path).comparisons())
    at.button(key="cmp_record").click().run()
    assert not at.exception
    assert len(ExperimentDB(db_path).comparisons()) == before + 1
    assert not [b for b in at.button if b.key == "cmp_record"]  # recorded: no second button
    assert any("Recorded in the history" in c.value for c in at.sidebar.caption)


def test_a_score_within_noise_is_a_visible_third_state_with_its_reason(db_path):
    ids = run_ids(db_path)
    at = app(ref=ids["vision-reference"], new=ids["vision-batch-ok"])
    assert status(at) == "ok"
    noisy = [m for m, s in score_statuses(at).items() if s == "◌ ok: within noise"]
    assert noisy, score_statuses(at)
    banner = next(s.value for s in at.success if STATUS_HEADLINES["ok"] in s.value)
    assert "within sampling noise" in banner and "within its threshold" not in banner
    assert any(f"**{noisy[0]}** (ok: within noise)" in m.value and "crossed the warn line" in m.value
               for m in at.markdown)


def test_a_batch_too_small_for_warn_level_drift_says_how_many_items_are_needed(db_path):
    ids = run_ids(db_path)
    at = app(ref=ids["vision-reference"], new=ids["vision-batch-ok"])
    (notice,) = [i.value for i in at.info if "too small to detect warn-level drift" in i.value]
    assert "items on each side" in notice


def test_warn_above_alert_is_an_inline_message_and_the_page_stays(db_path):
    at = app()
    at.number_input(key="cmp_js_warn").set_value(0.5).run()  # alert is 0.2
    assert status(at) == "alert"  # judged by the last valid pair, the page is still there
    (message,) = [e.value for e in at.sidebar.error]
    assert "JS distances: warn (0.5) must not be above alert (0.2)" in message
    assert not any("_js" in e for e in errors(at))  # no internal metric name
    assert "js" not in at.query_params


def test_the_per_metric_editor_is_on_the_page_with_readable_columns(db_path):
    at = app()
    assert not at.sidebar.get("arrow_data_frame")
    (editor,) = at.main.data_editor
    assert list(editor.value["label"])[:2] == ["Sequence length", "Sequence length (KL)"]


def test_history_draws_one_line_per_monitored_metric(db_path):
    at = app()
    (history,) = [c for c in at.get("plotly_chart") if "History" in c.proto.spec and "History rule" not in c.proto.spec]
    import json

    fig = json.loads(history.proto.spec)
    names = [t["name"] for t in fig["data"] if t.get("mode") == "lines+markers"]
    assert names == ["Sequence length", "Token frequencies", "Top-100 token turnover", "Truncation",
                     "New vocabulary (sequences)", "New vocabulary (tokens)", "Predicted classes"]


@pytest.mark.parametrize("ref,new,example", [("prose-reference", "prose-batch-drifted", "> "),
                                             ("vision-reference", "vision-batch-drifted", None)],
                         ids=["raw-text", "images"])
def test_examples_of_both_sides_are_shown(db_path, ref, new, example):
    ids = run_ids(db_path)
    at = app(ref=ids[ref], new=ids[new])
    assert any(s.value == "Examples" for s in at.subheader)
    if example:
        assert sum(m.value.startswith(example) for m in at.markdown) == 10  # five per side
    else:
        assert len(at.get("image")) == 2  # one strip of thumbnails per side


def test_the_scores_page_explains_p_value_alpha_and_noise_floor_without_jargon(db_path):
    at = app()
    at.switch_page("app_pages/scores.py").run()
    text = "\n".join(m.value for m in at.markdown) + "\n".join(str(v) for v in at.table[0].value["What it measures"])
    for words in ("p-value", "alpha", "noise floor", "Thresholds per metric"):
        assert words in text
    assert "KL(ref || new)" not in text and "CLI" not in text


def test_the_history_rule_chart_and_verdict_are_shown(db_path):
    at = app()
    (chart,) = [c for c in at.get("plotly_chart") if "History rule" in c.proto.spec]
    assert any(m.value.startswith("**History rule**") for m in at.markdown)
    assert "CUSUM" in chart.proto.spec or "evidence" in chart.proto.spec


@pytest.fixture
def outputs_runs(db_path) -> dict[str, int]:
    """Two outputs-only runs (predictions alone) added to the demo DB: a reference and a shifted batch."""
    import numpy as np

    from drift_core import TaskSpec, compute_dataset_profile

    rng = np.random.default_rng(0)
    spec = TaskSpec("outputs", num_classes=4)
    with ExperimentDB(db_path) as db:
        ref = db.create_run("preds-reference", spec, profile=compute_dataset_profile(
            rng.integers(0, 4, 2000), spec, sample_size=None))
        new = db.create_run("preds-shifted", spec, profile=compute_dataset_profile(
            rng.choice(4, 2000, p=[0.02, 0.08, 0.2, 0.7]), spec, sample_size=None))
    return {"ref": ref, "new": new}


def test_an_outputs_only_comparison_shows_predictions_and_says_input_charts_do_not_apply(db_path, outputs_runs):
    at = app(ref=outputs_runs["ref"], new=outputs_runs["new"])
    assert status(at) == "alert"
    assert any("outputs-only profile" in i.value and "do not apply" in i.value for i in at.info)
    assert len(at.get("plotly_chart")) == 4  # scores, predictions, history, history rule
    assert at.selectbox(key="cmp_new").options == [f"preds-shifted · 2,000 items · predictions only · "
                                                   f"{ExperimentDB(db_path).get_run(outputs_runs['new'])['created_at'][:10]}"]


def test_an_outputs_only_reference_profiles_a_predictions_file_from_the_server(db_path, outputs_runs, tmp_path, monkeypatch):
    (tmp_path / "preds.csv").write_text("prediction\n" + "3\n" * 300 + "0\n" * 100)
    monkeypatch.setenv("DRIFTBOARD_DATA_ROOTS", str(tmp_path))
    at = app(ref=outputs_runs["ref"])
    at.radio(key="cmp_source").set_value("Server path").run()
    at.text_input(key="cmp_path").input(str(tmp_path / "preds.csv")).run()
    assert status(at) == "alert" and not errors(at)[1:]
    assert "**preds.csv** (400 items)" in main_text(at)
