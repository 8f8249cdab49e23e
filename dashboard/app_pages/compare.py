"""Compare page: pick a reference run, bring new data, see whether (and how) it drifted.

Session-state keys of this page start with ``cmp_``. The URL's query parameters mirror the view
(``?ref=3&new=7&alpha=0.05&js=0.1,0.3&th=seq_length_kl:1,2``), so a link reproduces it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from dashboard import data, views
from dashboard.figures import comparison_figures, history_figure, history_points
from dashboard.report import build_report
from dashboard.sources import PathRefused, allowed_roots, resolve_server_path
from dashboard.thresholds import (
    ROW_KEYS,
    editor_rows,
    format_overrides,
    parse_overrides,
    resolve_thresholds,
)
from drift_core import METRICS, TaskSpec, expected_metrics
from drift_core.io import ARRAY_SUFFIXES, IMAGE_SUFFIXES, PREDICTION_SUFFIXES, TEXT_SUFFIXES
from drift_core.store import ExperimentDB, StoreError

SOURCES = ("Stored run", "Upload a file", "Server path")
ALPHAS = (0.001, 0.005, 0.01, 0.05, 0.1)
DEFAULT_ALPHA = 0.01
JS_DEFAULT = METRICS["seq_length_js"].default_thresholds or (0.1, 0.2)
TOP_DEFAULT = METRICS["top_tokens_drift"].default_thresholds or (0.3, 0.5)
DEMO_REFERENCE, DEMO_NEW = "text-reference", "text-batch-drifted"
#: Every format drift_core.io reads (image folders travel as .zip).
UPLOAD_TYPES = [s.lstrip(".") for s in (*TEXT_SUFFIXES, *ARRAY_SUFFIXES, *IMAGE_SUFFIXES, ".zip")]
PREDICTION_TYPES = [s.lstrip(".") for s in PREDICTION_SUFFIXES]


def run_label(run: dict[str, Any]) -> str:
    """How a run reads in a picker: name, date, modality, size."""
    n = run.get("n_samples")
    size = f"{n:,} items" if n is not None else "no profile"
    return f"{run['name']} · {str(run['created_at'])[:10]} · {run['modality']} · {size}"


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _pair(value: Any, default: tuple[float, float]) -> tuple[float, float]:
    try:
        warn, alert = (float(v) for v in str(value).split(","))
        return (warn, alert)
    except (TypeError, ValueError):
        return default


def _by_name(runs: list[dict[str, Any]], name: str) -> int | None:
    return next((r["run_id"] for r in runs if r["name"] == name), None)


def init_state(runs: list[dict[str, Any]]) -> None:
    """First run of a session: take the view from the URL, else open the demo comparison."""
    if "cmp_ref" in st.session_state:
        return
    ids = {r["run_id"] for r in runs}
    qp = st.query_params
    ref = _int(qp.get("ref"))
    if ref not in ids:
        ref = _by_name(runs, DEMO_REFERENCE) or runs[-1]["run_id"]
    new = _int(qp.get("new"))
    if new not in ids:
        new = _by_name(runs, DEMO_NEW)
    st.session_state.cmp_ref = ref
    st.session_state.cmp_new = new
    st.session_state.cmp_source = SOURCES[0]
    alpha = qp.get("alpha")
    st.session_state.cmp_alpha = float(alpha) if alpha in {str(a) for a in ALPHAS} else DEFAULT_ALPHA
    st.session_state.cmp_js_warn, st.session_state.cmp_js_alert = _pair(qp.get("js"), JS_DEFAULT)
    st.session_state.cmp_top_warn, st.session_state.cmp_top_alert = _pair(qp.get("top"), TOP_DEFAULT)
    st.session_state.cmp_th_overrides, bad = parse_overrides(qp.get("th"))
    if bad:
        st.session_state.cmp_th_link_errors = bad


def apply_pending() -> None:
    """A batch saved on the previous run becomes the selected stored run (before widgets exist)."""
    pending = st.session_state.pop("cmp_pending_new", None)
    if pending is not None:
        st.session_state.cmp_source = SOURCES[0]
        st.session_state.cmp_new = pending


def sync_query_params(ref_id: int, new_id: int | None, modality: str) -> None:
    """Write the view into the URL (only what differs from the defaults, besides ref/new)."""
    params: dict[str, str] = {"ref": str(ref_id)}
    if new_id is not None:
        params["new"] = str(new_id)
    if st.session_state.cmp_alpha != DEFAULT_ALPHA:
        params["alpha"] = str(st.session_state.cmp_alpha)
    js = (st.session_state.cmp_js_warn, st.session_state.cmp_js_alert)
    if js != JS_DEFAULT:
        params["js"] = f"{js[0]:g},{js[1]:g}"
    top = (st.session_state.cmp_top_warn, st.session_state.cmp_top_alert)
    if modality == "text" and top != TOP_DEFAULT:
        params["top"] = f"{top[0]:g},{top[1]:g}"
    if overrides := st.session_state.get("cmp_th_overrides"):
        params["th"] = format_overrides(overrides)
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)


# ----------------------------------------------------------------------------------- sidebar


def db_picker(where: Any) -> tuple[str, ExperimentDB]:
    with where.expander("Experiment DB", icon=":material/database:"):
        path = st.text_input(
            "DB file", value=data.default_db_path(), key="cmp_db_path",
            help="SQLite file written by `drift` or this app. Default: DRIFTBOARD_DB or data/demo.db "
            "(built from the shipped samples on first start).",
        )
    try:
        return path, data.open_db(path)
    except Exception as e:  # a bad DB path must not take the app down
        st.error(f"Could not open the experiment DB {path!r}: {e}", icon=":material/error:")
        st.stop()


def reference_picker(runs: list[dict[str, Any]]) -> dict[str, Any]:
    st.header("Reference")
    modality = st.segmented_control(
        "Show runs of", ["all", "text", "vision"], default="all", key="cmp_modality"
    ) or "all"
    choices = [r for r in runs if modality == "all" or r["modality"] == modality]
    if not choices:
        st.warning(f"No {modality} runs in this DB.")
        choices = runs
    by_id = {r["run_id"]: r for r in choices}
    if st.session_state.get("cmp_ref") not in by_id:
        st.session_state.cmp_ref = choices[0]["run_id"]
    ref_id = st.selectbox(
        "Reference run", list(by_id), format_func=lambda i: run_label(by_id[i]), key="cmp_ref",
        help="The data the model was trained or validated on: what 'normal' looks like.",
    )
    return by_id[ref_id]


def new_data_picker(runs: list[dict[str, Any]], ref_run: dict[str, Any]) -> dict[str, Any]:
    """Sidebar inputs for the new data; returns what was chosen (profiling happens later)."""
    st.header("New data")
    source = st.radio("Compare with", SOURCES, key="cmp_source", horizontal=True)
    if source == "Stored run":
        same = [r for r in runs if r["modality"] == ref_run["modality"] and r["run_id"] != ref_run["run_id"]]
        if not same:
            return {"source": source, "run": None}
        by_id = {r["run_id"]: r for r in same}
        if st.session_state.get("cmp_new") not in by_id:
            st.session_state.cmp_new = same[0]["run_id"]
        new_id = st.selectbox(
            "Stored run", list(by_id), format_func=lambda i: run_label(by_id[i]), key="cmp_new"
        )
        return {"source": source, "run": by_id[new_id]}
    sample = st.number_input(
        "Sample size (0 = every item)", min_value=0, value=1000, step=500, key="cmp_sample_size",
        help="A seeded uniform random sample of this many items is profiled.",
    )
    chosen: dict[str, Any] = {"source": source, "sample_size": int(sample) or None}
    if source == "Upload a file":
        chosen["upload"] = st.file_uploader(
            f"{ref_run['modality'].capitalize()} data file", type=UPLOAD_TYPES, key="cmp_upload",
            help="Any format drift_core.io reads. Profiled with the reference run's task spec.",
        )
        chosen["pred_upload"] = st.file_uploader(
            "Predictions file (optional)", type=PREDICTION_TYPES,
            key="cmp_pred_upload",
        )
    else:
        roots = allowed_roots()
        chosen["path"] = st.text_input(
            "Path on the server", key="cmp_path", placeholder="text_batch_drifted.jsonl",
            help="Only files inside these folders can be read: " + ", ".join(str(r) for r in roots),
        )
        chosen["pred_path"] = st.text_input("Predictions path (optional)", key="cmp_pred_path")
        chosen["roots"] = roots
    return chosen


def threshold_inputs(modality: str) -> Any:
    """Alpha and the quick warn/alert pairs; returns the place for the per-metric table (drawn later)."""
    # widgets not drawn on the previous run lose their state (e.g. the text-only pair on a vision run)
    for key, value in (("cmp_js_warn", JS_DEFAULT[0]), ("cmp_js_alert", JS_DEFAULT[1]),
                       ("cmp_top_warn", TOP_DEFAULT[0]), ("cmp_top_alert", TOP_DEFAULT[1]),
                       ("cmp_alpha", DEFAULT_ALPHA)):
        st.session_state.setdefault(key, value)
    st.header("Thresholds")
    st.select_slider(
        "Significance level (alpha)", options=ALPHAS, key="cmp_alpha",
        help="A metric is flagged only if its shift is significant at this level (Holm-adjusted).",
    )
    st.caption("JS distances (0 = same, 1 = disjoint)")
    warn, alert = st.columns(2)
    warn.number_input("Warn at", min_value=0.0, max_value=1.0, step=0.05, format="%.2f", key="cmp_js_warn")
    alert.number_input("Alert at", min_value=0.0, max_value=1.0, step=0.05, format="%.2f", key="cmp_js_alert")
    if modality == "text":
        st.caption("Top-100 token turnover (share of top tokens replaced)")
        warn, alert = st.columns(2)
        warn.number_input("Warn at", min_value=0.0, max_value=1.0, step=0.05, format="%.2f", key="cmp_top_warn")
        alert.number_input("Alert at", min_value=0.0, max_value=1.0, step=0.05, format="%.2f", key="cmp_top_alert")
    return st.container()


def per_metric_thresholds(where: Any, ref: dict[str, Any], new: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """The per-metric table under the quick pairs; returns the thresholds the comparison is judged by.

    A bad row is reported and its metric keeps its previous thresholds (see ``resolve_thresholds``).
    """
    quick = {"js": (st.session_state.cmp_js_warn, st.session_state.cmp_js_alert),
             "top": (st.session_state.cmp_top_warn, st.session_state.cmp_top_alert)}
    previous = st.session_state.setdefault("cmp_th_overrides", {})
    names = expected_metrics(ref, new)
    rows = editor_rows(names, quick, previous, ref.get("n_channels", 3))
    with where:
        for message in st.session_state.pop("cmp_th_link_errors", []):
            st.warning(f"Ignored a per-metric threshold from the link: {message}", icon=":material/link_off:")
        with st.expander("Per-metric thresholds", icon=":material/tune:"):
            st.caption("A row's values override the quick pairs above for that metric. Tick an "
                       "informational metric (KL, distances) and give it warn / alert to make it count.")
            # the metric names as index: a different set of metrics is a fresh table (no stale edits)
            edited = st.data_editor(
                pd.DataFrame(rows, index=names, columns=list(ROW_KEYS)).astype({"warn": float, "alert": float}),
                key="cmp_th_editor", hide_index=True, num_rows="fixed", placeholder="—", disabled=["label", "metric"],
                # the sidebar is narrow (the table scrolls sideways): what to edit first, the registry name last
                column_order=["monitored", "label", "warn", "alert", "metric"],
                column_config={
                    "monitored": st.column_config.CheckboxColumn("On", width=46, help="Monitored: counts in the status"),
                    "label": st.column_config.TextColumn("Metric", width=110),
                    "warn": st.column_config.NumberColumn("Warn", width=56, min_value=0.0, step=0.01, format="%g"),
                    "alert": st.column_config.NumberColumn("Alert", width=56, min_value=0.0, step=0.01, format="%g"),
                    "metric": st.column_config.TextColumn("Name"),
                },
            )
        resolved = resolve_thresholds(quick, edited.to_dict("records"), previous)
        for message in resolved.errors:
            st.error(f"Per-metric thresholds: {message}", icon=":material/error:")
    st.session_state.cmp_th_overrides = resolved.overrides
    return resolved.thresholds


# ----------------------------------------------------------------------------------- new data


def load_new(chosen: dict[str, Any], db_path: str, ref_run: dict[str, Any]) -> tuple[str, str, dict[str, Any]] | None:
    """(name, cache key, profile) of the new data, or None with a message on screen."""
    spec = TaskSpec.from_dict(ref_run["task_spec"])
    if chosen["source"] == "Stored run":
        run = chosen["run"]
        if run is None:
            st.info(f"There is no other {ref_run['modality']} run to compare with. Upload a file instead.")
            return None
        return run["name"], f"run:{db_path}:{run['run_id']}", data.run_profile(db_path, run["run_id"])
    if chosen["source"] == "Upload a file":
        upload = chosen["upload"]
        if upload is None:
            st.info("Upload a data file in the sidebar to compare it with the reference.", icon=":material/upload:")
            return None
        pred = chosen["pred_upload"]
        key, profile = data.profile_upload(
            upload.name, upload.getvalue(), spec, chosen["sample_size"], (pred.name, pred.getvalue()) if pred else None
        )
        return upload.name, key, profile
    if not chosen["path"].strip():
        st.info("Enter the path of a data file on the server in the sidebar.", icon=":material/folder_open:")
        return None
    path = resolve_server_path(chosen["path"], chosen["roots"])
    pred_path = resolve_server_path(chosen["pred_path"], chosen["roots"]) if chosen["pred_path"].strip() else None
    profile = data.profile_server_file(path, spec, chosen["sample_size"], pred_path)
    pred_stamp = pred_path.stat().st_mtime_ns if pred_path else None
    key = f"path:{path}:{path.stat().st_mtime_ns}:{pred_path}:{pred_stamp}:{chosen['sample_size']}"
    return path.name, key, profile


def save_batch(db: ExperimentDB, ref_run: dict[str, Any], name: str, profile: dict[str, Any], result: dict[str, Any]) -> None:
    """Store the new data as a run and record this comparison in the reference's history."""
    new_id = db.create_run(
        name, TaskSpec.from_dict(ref_run["task_spec"]), notes=f"saved from the dashboard against {ref_run['name']}",
        profile=profile,
    )
    db.record_comparison(ref_run["run_id"], new_id, result)
    st.session_state.cmp_pending_new = new_id
    st.session_state.cmp_saved_message = f"Saved as run {new_id} ({name}) and recorded in the history."


def save_controls(db: ExperimentDB, ref_run: dict[str, Any], chosen: dict[str, Any], new_name: str,
                  new_profile: dict[str, Any], result: dict[str, Any]) -> None:
    with st.container(border=True):
        if chosen["source"] == "Stored run":
            if st.button("Record this comparison in the history", key="cmp_record", icon=":material/history:"):
                db.record_comparison(ref_run["run_id"], chosen["run"]["run_id"], result)
                st.toast("Comparison recorded.")
            return
        name = st.text_input("Run name", value=Path(new_name).stem, key="cmp_save_name")
        if st.button("Save this batch as a run", key="cmp_save", icon=":material/save:", type="primary"):
            try:
                save_batch(db, ref_run, name, new_profile, result)
            except (StoreError, ValueError) as e:
                st.error(f"Could not save the run: {e}")
                return
            st.rerun()


# ----------------------------------------------------------------------------------- the page

st.title("Driftboard")
sidebar_top, sidebar_bottom = st.sidebar.container(), st.sidebar.container()
db_path, db = db_picker(sidebar_bottom)
runs = db.list_runs()
if not runs:
    st.info("This experiment DB has no runs yet. Profile a dataset with `drift profile ...`, or open the demo DB.")
    st.stop()
init_state(runs)
apply_pending()

with sidebar_top:
    ref_run = reference_picker(runs)
    chosen = new_data_picker(runs, ref_run)
    per_metric_area = threshold_inputs(ref_run["modality"])
    save_area = st.container()
if message := st.session_state.pop("cmp_saved_message", None):
    st.success(message, icon=":material/save:")

try:
    ref_profile = data.run_profile(db_path, ref_run["run_id"])
except (StoreError, ValueError) as e:
    st.error(f"The reference run {ref_run['name']!r} cannot be used: {e}", icon=":material/error:")
    if data.is_default_db(db_path) and st.button("Rebuild the demo DB from the shipped samples", key="cmp_rebuild"):
        data.rebuild_demo_db(db_path)
        st.rerun()
    st.stop()
try:
    loaded = load_new(chosen, db_path, ref_run)
except PathRefused as e:
    st.error(f"Server path refused: {e}", icon=":material/block:")
    st.stop()
except Exception as e:  # any unreadable user file: say what went wrong, keep the app alive
    what = getattr(chosen.get("upload"), "name", None) or chosen.get("path") or "the new data"
    st.error(f"Could not read {what}: {e}", icon=":material/error:")
    st.stop()
if loaded is None:
    st.stop()
new_name, new_key, new_profile = loaded
if new_profile["modality"] != ref_profile["modality"]:
    st.error(f"{new_name} holds {new_profile['modality']} data but the reference is {ref_profile['modality']}.")
    st.stop()

thresholds = per_metric_thresholds(per_metric_area, ref_profile, new_profile)
try:
    result = data.compare(
        f"run:{db_path}:{ref_run['run_id']}", ref_profile, new_key, new_profile, thresholds,
        st.session_state.cmp_alpha,
    )
except ValueError as e:
    st.error(f"Cannot compare: {e}", icon=":material/error:")
    st.stop()

new_id = chosen["run"]["run_id"] if chosen["source"] == "Stored run" else None
sync_query_params(ref_run["run_id"], new_id, ref_run["modality"])
with save_area:
    save_controls(db, ref_run, chosen, new_name, new_profile, result)

st.markdown(
    f"**{new_name}** ({result['n_new']:,} items) compared with the reference "
    f"**{ref_run['name']}** ({result['n_ref']:,} items)."
)
views.status_banner(result)
figs = comparison_figures(result, ref_profile, new_profile)
views.scores_section(result, figs["scores"])

st.subheader("What changed")
first, second = ("seq_length", "tokens") if ref_profile["modality"] == "text" else ("channels", "brightness")
left, right = st.columns(2, gap="medium")
with left:
    views.chart(figs[first], f"cmp_fig_{first}")
with right:
    views.chart(figs[second], f"cmp_fig_{second}")
left, right = st.columns(2, gap="medium")
with left:
    if "predictions" in figs:
        views.chart(figs["predictions"], "cmp_fig_predictions")
    else:
        st.caption("No model predictions on both sides: output drift is not computed.")
with right:
    if ref_profile["modality"] == "text":
        views.token_overlap_summary(result)

st.subheader("History")
history = history_points(db.comparisons(reference_run_id=ref_run["run_id"]))
views.chart(history_figure(history), "cmp_fig_history")

st.subheader("Share")
file_stem = f"driftboard-{ref_run['name']}-vs-{Path(new_name).stem}"
left, right, _ = st.columns([1, 1, 2])
with left:
    views.report_download(
        lambda: build_report(result, ref_profile, new_profile, ref_run["name"], new_name, history), file_stem
    )
with right:
    views.json_download(result, file_stem)
link = "?" + urlencode(st.query_params.to_dict(), safe=",;:")
st.caption(
    f"The address bar's link (`{link}`) reproduces this view."
    + ("" if new_id is not None else " Uploaded or server-path data is not part of a link: save it as a run to share it.")
)
