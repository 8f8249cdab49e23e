"""The dashboard through ``streamlit.testing.v1.AppTest``, plus the server-path confinement rules."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.figures import STATUS_HEADLINES
from dashboard.sources import PathRefused, resolve_server_path
from drift_core.demo import build_demo_db
from drift_core.store import ExperimentDB

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
DATA = Path(__file__).resolve().parents[1] / "data"


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


def app(**query: int | str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
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


def test_default_view_shows_scores_charts_history_and_downloads(db_path):
    at = app()
    assert status(at) == "alert"
    assert len(at.get("plotly_chart")) == 5  # scores, lengths, tokens, predictions, history
    assert len(at.dataframe) == 1
    assert {b.label for b in at.get("download_button")} == {"Download HTML report", "Download result (JSON)"}


# ---------------------------------------------------------------------- changing the view


def test_raising_the_thresholds_turns_the_alert_ok(db_path):
    at = app()
    assert status(at) == "alert"
    at.number_input(key="cmp_js_alert").set_value(0.95)
    at.number_input(key="cmp_js_warn").set_value(0.9)
    at.number_input(key="cmp_top_alert").set_value(0.95)
    at.number_input(key="cmp_top_warn").set_value(0.9).run()
    assert status(at) == "ok"
    assert at.query_params["js"] == "0.9,0.95"


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
    assert len(at.get("plotly_chart")) == 5  # scores, channels, brightness, predictions, history
    at.selectbox(key="cmp_new").set_value(ids["vision-batch-ok"]).run()
    assert status(at) == "ok"


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


# ------------------------------------------------------------------------- new data on disk


def test_server_path_in_data_is_profiled_and_can_be_saved_as_a_run(db_path):
    at = app()
    at.radio(key="cmp_source").set_value("Server path").run()
    at.text_input(key="cmp_path").input("data/text_batch_drifted.jsonl")
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


# ------------------------------------------------------------------------- path confinement


def test_files_inside_a_root_are_resolved(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.jsonl").write_text("{}")
    assert resolve_server_path("sub/a.jsonl", [tmp_path]) == (tmp_path / "sub" / "a.jsonl").resolve()
    assert resolve_server_path(str(tmp_path / "sub" / "a.jsonl"), [tmp_path]).name == "a.jsonl"


def test_the_default_root_is_data(monkeypatch):
    from dashboard.sources import allowed_roots

    monkeypatch.delenv("DRIFTBOARD_DATA_ROOTS", raising=False)
    assert allowed_roots() == [DATA]
    assert resolve_server_path("data/text_reference.jsonl", allowed_roots()) == DATA / "text_reference.jsonl"


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
