"""Compare page: pick a reference run, bring new data, see whether (and how) it drifted.

Session-state keys of this page start with ``cmp_``; ``app.py`` keeps the widget ones alive while
another page is shown, and an upload is kept (``cmp_upload_kept``) the same way. The URL's query
parameters mirror the view (``?ref=3&new=7&alpha=0.05&js=0.1,0.3&th=seq_length_kl:1,2``; a server
file is ``path=...``; an unsaved upload is ``upload=<name>&sha=<digest>``), so a link reproduces
it, or says why it cannot (an unsaved upload, a run that is not in this DB).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from dashboard import data, views
from dashboard.confidence_figures import confidence_figures
from dashboard.figures import comparison_figures, history_points, metric_history, metric_history_figure
from dashboard.health_figures import text_health_figure
from dashboard.history_figures import history_evidence_figure
from dashboard.quality_figures import quality_figures
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
from drift_core.history import reference_history
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


def run_label(run: dict[str, Any], kind: str | None = None) -> str:
    """How a run reads in a picker: name, size, kind, date (the size first: long names get cut)."""
    n = run.get("n_samples")
    size = f"{n:,} items" if n is not None else "no profile"
    return f"{run['name']} · {size} · {kind or run['modality']} · {str(run['created_at'])[:10]}"


KIND_LABELS = {"ids": "token ids", "words": "raw text", "outputs": "predictions only"}


def upload_hint(kind: str) -> tuple[str, list[str]]:
    """The uploader's label and file types for a reference of this kind (see :func:`data.run_kind`)."""
    if kind == "outputs":
        return ("Predictions alone: .csv/.tsv (a class column or one score column per class), .npy, .parquet",
                PREDICTION_TYPES)
    if kind == "vision":
        return ("Images: .npy/.npz array, or a .zip / folder of PNG/JPEG",
                [s.lstrip(".") for s in (*ARRAY_SUFFIXES, *IMAGE_SUFFIXES, ".zip")])
    if kind == "words":
        return ("Raw text: .jsonl/.json/.csv/.parquet with a 'text' field, or .txt (one item per line)",
                [s.lstrip(".") for s in TEXT_SUFFIXES])
    return ("Token ids: .jsonl/.json/.parquet with 'input_ids', or an (N, L) .npy",
            [s.lstrip(".") for s in (*TEXT_SUFFIXES, *ARRAY_SUFFIXES)])


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
    """First run of a session: take the view from the URL, else open the demo comparison.

    What the link names but this DB lacks is said (``cmp_link_notes``), never silently replaced.
    """
    if "cmp_ref" in st.session_state:
        return
    ids = {r["run_id"] for r in runs}
    qp = st.query_params
    notes: list[str] = []
    ref = _int(qp.get("ref"))
    if "ref" in qp and ref not in ids:
        notes.append(f"The link's reference run {qp.get('ref')!r} is not in this experiment DB "
                     "(deleted, or the link is from another DB): showing the demo reference instead.")
    if ref not in ids:
        ref = _by_name(runs, DEMO_REFERENCE) or runs[-1]["run_id"]
    new = _int(qp.get("new"))
    if "new" in qp and new not in ids:
        notes.append(f"The link's new-data run {qp.get('new')!r} is not in this experiment DB: pick the new data "
                     "in the sidebar.")
    st.session_state.cmp_source = SOURCES[0]
    if new not in ids:
        new = _by_name(runs, DEMO_NEW) if "new" not in qp else None
    if qp.get("path"):
        st.session_state.cmp_source = SOURCES[2]
        st.session_state.cmp_path = qp.get("path")
        st.session_state.cmp_pred_path = qp.get("pred") or ""
    elif qp.get("upload"):
        st.session_state.cmp_source = SOURCES[1]
        st.session_state.cmp_link_upload = (qp.get("upload"), qp.get("sha") or "")
    if _int(qp.get("n")) is not None:
        st.session_state.cmp_sample_size = _int(qp.get("n"))
    st.session_state.cmp_ref = ref
    st.session_state.cmp_new = new
    alpha = qp.get("alpha")
    st.session_state.cmp_alpha = float(alpha) if alpha in {str(a) for a in ALPHAS} else DEFAULT_ALPHA
    st.session_state.cmp_js_warn, st.session_state.cmp_js_alert = _pair(qp.get("js"), JS_DEFAULT)
    st.session_state.cmp_top_warn, st.session_state.cmp_top_alert = _pair(qp.get("top"), TOP_DEFAULT)
    st.session_state.cmp_th_overrides, bad = parse_overrides(qp.get("th"))
    if bad:
        st.session_state.cmp_th_link_errors = bad
    st.session_state.cmp_link_notes = notes


def apply_pending() -> None:
    """A run saved on the previous run becomes the selection (before the widgets exist)."""
    pending = st.session_state.pop("cmp_pending_new", None)
    if pending is not None:
        st.session_state.cmp_source = SOURCES[0]
        st.session_state.cmp_new = pending
    pending_ref = st.session_state.pop("cmp_pending_ref", None)
    if pending_ref is not None:
        st.session_state.cmp_ref = pending_ref
        st.session_state.cmp_modality = "all"
        st.session_state.cmp_source = SOURCES[0]
        st.session_state.cmp_upload_kept = None
        st.session_state.pop("cmp_link_upload", None)


def view_params(ref_id: int, chosen: dict[str, Any], new_id: int | None, modality: str,
                quick: dict[str, tuple[float, float]]) -> dict[str, str]:
    """The view as query parameters (only what differs from the defaults, besides ref and the new data)."""
    params: dict[str, str] = {"ref": str(ref_id)}
    if new_id is not None:
        params["new"] = str(new_id)
    elif chosen["source"] == SOURCES[2] and chosen.get("path", "").strip():
        params["path"] = chosen["path"].strip()
        if chosen.get("pred_path", "").strip():
            params["pred"] = chosen["pred_path"].strip()
    elif chosen["source"] == SOURCES[1] and chosen.get("upload"):
        name, content = chosen["upload"]
        params["upload"] = name
        params["sha"] = data.upload_digest(content)[:16]
    if chosen["source"] != SOURCES[0] and chosen.get("sample_size") != 1000:
        params["n"] = str(chosen.get("sample_size") or 0)
    if st.session_state.cmp_alpha != DEFAULT_ALPHA:
        params["alpha"] = str(st.session_state.cmp_alpha)
    if quick["js"] != JS_DEFAULT:
        params["js"] = f"{quick['js'][0]:g},{quick['js'][1]:g}"
    if modality == "text" and quick["top"] != TOP_DEFAULT:
        params["top"] = f"{quick['top'][0]:g},{quick['top'][1]:g}"
    if overrides := st.session_state.get("cmp_th_overrides"):
        params["th"] = format_overrides(overrides)
    return params


def sync_query_params(params: dict[str, str]) -> None:
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)


# ----------------------------------------------------------------------------------- sidebar


def db_picker(where: Any) -> tuple[str, ExperimentDB]:
    st.session_state.setdefault("cmp_db_path", data.default_db_path())
    with where.expander("Experiment DB", icon=":material/database:"):
        path = st.text_input(
            "DB file", key="cmp_db_path",
            help="SQLite file written by `drift` or this app. Default: DRIFTBOARD_DB or data/demo.db "
            "(built from the shipped samples on first start).",
        )
    if not Path(path).exists() and not data.is_default_db(path):
        st.error(f"There is no experiment DB at {path!r}. Check the path in the sidebar (Experiment DB); "
                 "a DB is created by `drift profile ... --db PATH`.", icon=":material/error:")
        st.stop()
    try:
        return path, data.open_db(path)
    except Exception as e:  # a bad DB path must not take the app down
        st.error(f"Could not open the experiment DB {path!r}: {e}", icon=":material/error:")
        st.stop()


def reference_picker(runs: list[dict[str, Any]], kinds: dict[int, str]) -> dict[str, Any]:
    st.header("Reference")
    st.session_state.setdefault("cmp_modality", "all")
    modality = st.segmented_control("Show runs of", ["all", "text", "vision", "outputs"], key="cmp_modality") or "all"
    choices = [r for r in runs if modality == "all" or r["modality"] == modality]
    if not choices:
        st.warning(f"No {modality} runs in this DB.")
        choices = runs
    by_id = {r["run_id"]: r for r in choices}
    if st.session_state.get("cmp_ref") not in by_id:
        st.session_state.cmp_ref = choices[0]["run_id"]
    ref_id = st.selectbox(
        "Reference run", list(by_id), format_func=lambda i: run_label(by_id[i], KIND_LABELS.get(kinds[i])),
        key="cmp_ref", help="The data the model was trained or validated on: what 'normal' looks like.",
    )
    return by_id[ref_id]


def _keep_upload(widget: str, kept: str) -> None:
    """on_change of an uploader: keep the file (name, bytes) beyond the widget's life (other pages)."""
    f = st.session_state.get(widget)
    st.session_state[kept] = (f.name, f.getvalue()) if f is not None else None
    if widget == "cmp_upload":
        st.session_state.pop("cmp_link_upload", None)


def new_data_picker(runs: list[dict[str, Any]], ref_run: dict[str, Any], kinds: dict[int, str]) -> dict[str, Any]:
    """Sidebar inputs for the new data; returns what was chosen (profiling happens later).

    The stored-run picker lists only runs the reference can be compared with (same modality, same
    kind of text, same number of image channels).
    """
    st.header("New data")
    st.session_state.setdefault("cmp_source", SOURCES[0])
    source = st.radio("Compare with", SOURCES, key="cmp_source", horizontal=True)
    ref_kind = kinds[ref_run["run_id"]]
    if source == "Stored run":
        same = [r for r in runs if kinds[r["run_id"]] == ref_kind and r["run_id"] != ref_run["run_id"]]
        if not same:
            return {"source": source, "run": None, "kind": ref_kind}
        by_id = {r["run_id"]: r for r in same}
        if st.session_state.get("cmp_new") not in by_id:
            st.session_state.cmp_new = same[0]["run_id"]
        new_id = st.selectbox(
            "Stored run", list(by_id), format_func=lambda i: run_label(by_id[i], KIND_LABELS.get(kinds[i])),
            key="cmp_new", help=f"Only runs comparable with the reference ({KIND_LABELS.get(ref_kind, ref_kind)}).",
        )
        return {"source": source, "run": by_id[new_id], "kind": ref_kind}
    st.session_state.setdefault("cmp_sample_size", 1000)
    sample = st.number_input(
        "Sample size (0 = every item)", min_value=0, step=500, key="cmp_sample_size",
        help="A seeded uniform random sample of this many items is profiled.",
    )
    chosen: dict[str, Any] = {"source": source, "sample_size": int(sample) or None, "kind": ref_kind}
    if source == "Upload a file":
        label, types = upload_hint(ref_kind)
        st.file_uploader(
            f"{ref_run['modality'].capitalize()} data file", type=types, key="cmp_upload",
            on_change=_keep_upload, args=("cmp_upload", "cmp_upload_kept"),
            help="Profiled with the reference run's task spec.",
        )
        st.caption(f"The reference **{ref_run['name']}** needs: {label}.")
        if ref_kind != "outputs":  # an outputs-only reference: the data file *is* the predictions
            st.file_uploader(
                "Predictions file (optional)", type=PREDICTION_TYPES, key="cmp_pred_upload",
                on_change=_keep_upload, args=("cmp_pred_upload", "cmp_pred_kept"),
                help="One predicted class (or a row of class scores) per item, in the data file's order.",
            )
        chosen["upload"] = st.session_state.get("cmp_upload_kept")
        chosen["pred_upload"] = st.session_state.get("cmp_pred_kept") if ref_kind != "outputs" else None
        if chosen["upload"] is not None and st.session_state.get("cmp_upload") is None:
            st.caption(f"Using **{chosen['upload'][0]}**, uploaded earlier (kept while you looked at other pages).")
            if st.button("Forget this upload", key="cmp_forget_upload", icon=":material/close:"):
                st.session_state.cmp_upload_kept = st.session_state.cmp_pred_kept = None
                st.rerun()
    else:
        roots = allowed_roots()
        st.session_state.setdefault("cmp_path", "")
        st.session_state.setdefault("cmp_pred_path", "")
        chosen["path"] = st.text_input(
            "Path on the server", key="cmp_path", placeholder="text_batch_drifted.jsonl",
            help="Only files inside these folders can be read: " + ", ".join(str(r) for r in roots),
        )
        chosen["pred_path"] = st.text_input("Predictions path (optional)", key="cmp_pred_path")
        chosen["roots"] = roots
    return chosen


def _checked_pair(label: str, warn_key: str, alert_key: str, valid_key: str, default: tuple[float, float]) -> tuple[float, float]:
    """A quick (warn, alert) pair; warn > alert is shown inline and the last valid pair is used."""
    warn, alert = float(st.session_state[warn_key]), float(st.session_state[alert_key])
    if warn <= alert:
        st.session_state[valid_key] = (warn, alert)
        return (warn, alert)
    kept = st.session_state.get(valid_key, default)
    st.error(f"{label}: warn ({warn:g}) must not be above alert ({alert:g}). Still judged by "
             f"{kept[0]:g} / {kept[1]:g} until you fix it.", icon=":material/error:")
    return kept


def threshold_inputs(modality: str) -> dict[str, tuple[float, float]]:
    """Alpha and the quick warn/alert pairs; returns the valid pairs ``{"js": ..., "top": ...}``."""
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
    quick = {"js": _checked_pair("JS distances", "cmp_js_warn", "cmp_js_alert", "cmp_js_valid", JS_DEFAULT),
             "top": (st.session_state.cmp_top_warn, st.session_state.cmp_top_alert)}
    if modality == "text":
        st.caption("Top-100 token turnover (share of top tokens replaced)")
        warn, alert = st.columns(2)
        warn.number_input("Warn at", min_value=0.0, max_value=1.0, step=0.05, format="%.2f", key="cmp_top_warn")
        alert.number_input("Alert at", min_value=0.0, max_value=1.0, step=0.05, format="%.2f", key="cmp_top_alert")
        quick["top"] = _checked_pair("Top-100 token turnover", "cmp_top_warn", "cmp_top_alert", "cmp_top_valid",
                                     TOP_DEFAULT)
    st.caption("Per metric (KL, distances, one metric only): *Thresholds per metric*, under the scores.")
    return quick


def per_metric_thresholds(where: Any, quick: dict[str, tuple[float, float]], ref: dict[str, Any],
                          new: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """The per-metric table (on the page, full width); returns the thresholds the comparison is judged by.

    A bad row is reported beside the table and its metric keeps its previous thresholds (see
    ``resolve_thresholds``).
    """
    previous = st.session_state.setdefault("cmp_th_overrides", {})
    names = expected_metrics(ref, new)
    rows = editor_rows(names, quick, previous, ref.get("n_channels", 3))
    with where:
        for message in st.session_state.pop("cmp_th_link_errors", []):
            st.warning(f"Ignored a per-metric threshold from the link: {message}", icon=":material/link_off:")
        with st.expander("Thresholds per metric", icon=":material/tune:"):
            st.caption("A row's values override the sidebar's quick pairs for that metric. Tick an "
                       "informational metric (KL, distances) and give it warn / alert to make it count.")
            # the metric names as index: a different set of metrics is a fresh table (no stale edits)
            edited = st.data_editor(
                pd.DataFrame(rows, index=names, columns=list(ROW_KEYS)).astype({"warn": float, "alert": float}),
                key="cmp_th_editor", hide_index=True, num_rows="fixed", placeholder="—", disabled=["label", "metric"],
                column_order=["monitored", "label", "warn", "alert", "metric"], width="stretch",
                column_config={
                    "monitored": st.column_config.CheckboxColumn("Monitored", help="Counts in the status"),
                    "label": st.column_config.TextColumn("Metric", width="medium"),
                    "warn": st.column_config.NumberColumn("Warn at", min_value=0.0, step=0.01, format="%g"),
                    "alert": st.column_config.NumberColumn("Alert at", min_value=0.0, step=0.01, format="%g"),
                    "metric": st.column_config.TextColumn("Name (CLI, API)"),
                },
            )
        resolved = resolve_thresholds(quick, edited.to_dict("records"), previous)
        for message in resolved.errors:
            st.error(f"Thresholds per metric: {message}", icon=":material/error:")
    st.session_state.cmp_th_overrides = resolved.overrides
    return resolved.thresholds


# ----------------------------------------------------------------------------------- new data


class LinkUnavailable(Exception):
    """The link names data this session does not have (an unsaved upload)."""


def load_new(chosen: dict[str, Any], db_path: str, ref_run: dict[str, Any]) -> tuple[str, str, dict[str, Any]] | None:
    """(name, cache key, profile) of the new data, or None with a message on screen."""
    spec = TaskSpec.from_dict(ref_run["task_spec"])
    if chosen["source"] == "Stored run":
        run = chosen["run"]
        if run is None:
            what = KIND_LABELS.get(chosen["kind"], chosen["kind"])
            st.info(f"There is no other {what} run to compare with this reference. Upload a file or give a "
                    "server path in the sidebar.", icon=":material/info:")
            return None
        key, profile = data.run_profile(db_path, run["run_id"])
        return run["name"], key, profile
    if chosen["source"] == "Upload a file":
        upload = chosen["upload"]
        wanted = st.session_state.get("cmp_link_upload")
        if wanted is not None and (upload is None or not data.upload_digest(upload[1]).startswith(wanted[1])):
            raise LinkUnavailable(wanted[0])
        if upload is None:
            st.info("Upload a data file in the sidebar to compare it with the reference.", icon=":material/upload:")
            return None
        key, profile = data.profile_upload(upload[0], upload[1], spec, chosen["sample_size"], chosen["pred_upload"])
        return upload[0], key, profile
    if not chosen["path"].strip():
        st.info("Enter the path of a data file on the server in the sidebar.", icon=":material/folder_open:")
        return None
    path = resolve_server_path(chosen["path"], chosen["roots"])
    pred_path = resolve_server_path(chosen["pred_path"], chosen["roots"]) if chosen["pred_path"].strip() else None
    profile = data.profile_server_file(path, spec, chosen["sample_size"], pred_path)
    pred_stamp = pred_path.stat().st_mtime_ns if pred_path else None
    key = f"path:{path}:{path.stat().st_mtime_ns}:{pred_path}:{pred_stamp}:{chosen['sample_size']}"
    return path.name, key, profile


def profile_kind(profile: dict[str, Any]) -> str:
    return str(profile.get("token_kind", "ids")) if profile["modality"] == "text" else str(profile["modality"])


def source_actions(db: ExperimentDB, db_path: str, ref_run: dict[str, Any], new_name: str,
                   new_profile: dict[str, Any], result: dict[str, Any] | None) -> None:
    """Save an upload / server file as a run (recorded against the reference when it was compared),
    or make it a new reference. Shown as soon as the file is read, also when it cannot be compared."""
    with st.container(border=True):
        name = st.text_input("Run name", value=Path(new_name).stem, key="cmp_save_name")
        spec = TaskSpec.from_dict(ref_run["task_spec"])
        if result is not None and st.button("Save and get a link", key="cmp_save", icon=":material/save:",
                                            type="primary", help="Store this batch as a run (and this comparison "
                                            "in the history) so that a link can show it anywhere."):
            try:
                new_id = db.create_run(name, spec, notes=f"saved from the dashboard against {ref_run['name']}",
                                       profile=new_profile)
                db.record_comparison(ref_run["run_id"], new_id, result)
            except (StoreError, ValueError) as e:
                st.error(f"Could not save the run: {e}")
                return
            data.clear_kinds()
            st.session_state.cmp_pending_new = new_id
            st.session_state.cmp_upload_kept = None
            st.session_state.cmp_saved_message = f"Saved as run {new_id} ({name}) and recorded in the history."
            st.rerun()
        if st.button("Use this file as a reference", key="cmp_as_reference", icon=":material/flag:",
                     help="Store it as a run and compare new data with it from now on."):
            try:
                ref_id = db.create_run(name, spec, notes="reference saved from the dashboard", profile=new_profile)
            except (StoreError, ValueError) as e:
                st.error(f"Could not save the run: {e}")
                return
            data.clear_kinds()
            st.session_state.cmp_pending_ref = ref_id
            st.session_state.cmp_saved_message = (
                f"Saved {name!r} as run {ref_id}: it is now the reference. Upload or pick new data to compare with it.")
            st.rerun()


def record_control(db: ExperimentDB, ref_run: dict[str, Any], new_run: dict[str, Any], result: dict[str, Any]) -> None:
    """Record a stored-run comparison in the history, once per set of thresholds and alpha."""
    def same(c: dict[str, Any]) -> bool:
        r = c.get("result") or {}
        return (c.get("new_run_id") == new_run["run_id"] and r.get("alpha") == result.get("alpha")
                and {k: list(v) for k, v in (r.get("thresholds") or {}).items()}
                == {k: list(v) for k, v in (result.get("thresholds") or {}).items()})

    with st.container(border=True):
        done = [c for c in db.comparisons(reference_run_id=ref_run["run_id"]) if same(c)]
        if done:
            st.caption(f":material/check: Recorded in the history ({str(done[0]['created_at'])[:16]}) with "
                       "these thresholds.")
            return
        if st.button("Record this comparison in the history", key="cmp_record", icon=":material/history:"):
            db.record_comparison(ref_run["run_id"], new_run["run_id"], result)
            st.session_state.cmp_saved_message = "Comparison recorded in the history."
            st.rerun()


def share_section(params: dict[str, str], shareable: bool) -> None:
    """The link of this view, with a copy button (st.code), or why there is none yet."""
    link = "?" + urlencode(params, safe=",;:")
    base = str(getattr(st.context, "url", "") or "").split("?")[0]
    if shareable:
        st.caption("Link to this view (copy button on the right):")
        st.code(base + link, language=None)
    else:
        st.warning("This view shows an **unsaved upload**: uploads are not stored, so a link cannot show it "
                   "to anyone else. Use **Save and get a link** in the sidebar first.", icon=":material/link_off:")


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
kinds = data.run_kinds(db_path, runs)

with sidebar_top:
    ref_run = reference_picker(runs, kinds)
    chosen = new_data_picker(runs, ref_run, kinds)
    source_area = st.container()
    quick = threshold_inputs(ref_run["modality"])
for note in st.session_state.get("cmp_link_notes", []):
    st.warning(note, icon=":material/link_off:")
if message := st.session_state.pop("cmp_saved_message", None):
    st.success(message, icon=":material/save:")
head, scores_area, editor_area, rest = st.container(), st.container(), st.container(), st.container()

try:
    ref_key, ref_profile = data.run_profile(db_path, ref_run["run_id"])
except (StoreError, ValueError) as e:
    st.error(f"The reference run {ref_run['name']!r} cannot be used: {e}", icon=":material/error:")
    if data.is_default_db(db_path) and st.button("Rebuild the demo DB from the shipped samples", key="cmp_rebuild"):
        data.rebuild_demo_db(db_path)
        st.rerun()
    st.stop()
try:
    loaded = load_new(chosen, db_path, ref_run)
except LinkUnavailable as e:
    st.warning(f"This link was made from an **unsaved upload** ({e}). Uploads are not stored, so the link "
               "cannot show that comparison here. Upload the same file in the sidebar to see it, or ask the "
               "sender for a link made with **Save and get a link**.", icon=":material/link_off:")
    sync_query_params({"ref": str(ref_run["run_id"]), **{k: v for k, v in st.query_params.to_dict().items()
                                                        if k in ("upload", "sha")}})
    st.stop()
except PathRefused as e:
    st.error(f"Server path refused: {e}", icon=":material/block:")
    st.stop()
except Exception as e:  # any unreadable user file: say what went wrong, keep the app alive
    st.error(data.read_error_message(chosen, e), icon=":material/error:")
    st.stop()
if loaded is None:
    st.stop()
new_name, new_key, new_profile = loaded
new_id = chosen["run"]["run_id"] if chosen["source"] == "Stored run" else None
ref_kind, new_kind = kinds[ref_run["run_id"]], profile_kind(new_profile)
if new_kind != ref_kind:
    if new_id is None:
        with source_area:
            source_actions(db, db_path, ref_run, new_name, new_profile, None)
    needs = {"ids": "token ids", "words": "raw text", "vision": "images", "unknown": "unreadable data"}
    st.error(f"**{new_name}** holds {needs[new_kind]}, but the reference **{ref_run['name']}** holds "
             f"{needs[ref_kind]}: they cannot be compared. Pick a {needs[new_kind]} reference"
             + (" (e.g. prose-reference)" if new_kind == "words" and _by_name(runs, "prose-reference") else "")
             + ", or use **Use this file as a reference** in the sidebar.", icon=":material/error:")
    st.stop()

thresholds = per_metric_thresholds(editor_area, quick, ref_profile, new_profile)
try:
    result = data.compare(ref_key, ref_profile, new_key, new_profile, thresholds, st.session_state.cmp_alpha)
except ValueError as e:
    st.error(f"Cannot compare: {e}", icon=":material/error:")
    st.stop()

params = view_params(ref_run["run_id"], chosen, new_id, ref_run["modality"], quick)
sync_query_params(params)
with source_area:
    if new_id is None:
        source_actions(db, db_path, ref_run, new_name, new_profile, result)
    else:
        record_control(db, ref_run, chosen["run"], result)

with head:
    total = new_profile.get("n_total")
    sampled = f", sampled from {total:,}" if total and total > result["n_new"] else ""
    st.markdown(
        f"**{new_name}** ({result['n_new']:,} items{sampled}) compared with the reference "
        f"**{ref_run['name']}** ({result['n_ref']:,} items)."
    )
    views.status_banner(result)
    views.small_batch_notice(result)
figs = comparison_figures(result, ref_profile, new_profile)
with scores_area:
    views.scores_section(result, figs["scores"])
    views.moved_most_section(result)

with rest:
    st.subheader("What changed")
    first, second = ("seq_length", "tokens") if ref_profile["modality"] == "text" else ("channels", "brightness")
    if first in figs:
        left, right = st.columns(2, gap="medium")
        with left:
            views.chart(figs[first], f"cmp_fig_{first}")
        with right:
            views.chart(figs[second], f"cmp_fig_{second}")
    else:
        st.info("An outputs-only profile (model predictions alone) is on one side: the input charts (lengths and "
                "tokens, or channels and brightness) do not apply; the predicted classes are compared below.")
    left, right = st.columns(2, gap="medium")
    with left:
        if "predictions" in figs:
            views.chart(figs["predictions"], "cmp_fig_predictions")
        else:
            st.caption("No model predictions on both sides: output drift is not computed.")
    with right:
        if ref_profile["modality"] == "text":
            views.token_overlap_summary(result)
    health = text_health_figure(result, ref_profile, new_profile)
    if health is not None:
        views.chart(health, "cmp_fig_text_health")
    confidence = confidence_figures(ref_profile, new_profile)
    if confidence:
        st.subheader("Model confidence")
        for keys in (("confidence", "entropy"), ("class_probability",)):
            for column, key in zip(st.columns(2, gap="medium"), keys, strict=False):
                with column:
                    views.chart(confidence[key], f"cmp_fig_{key}")
    quality = list(quality_figures(ref_profile, new_profile).items())
    if quality:
        st.subheader("Image quality")
        for row in (quality[:2], quality[2:]):
            for column, (key, fig) in zip(st.columns(2, gap="medium"), row, strict=False):
                with column:
                    views.chart(fig, f"cmp_fig_quality_{key}")
    st.subheader("Examples")
    views.examples_gallery(ref_profile, new_profile)

    st.subheader("History")
    comparisons = db.comparisons(reference_run_id=ref_run["run_id"])
    points = metric_history(comparisons, thresholds, st.session_state.cmp_alpha, new_id,
                            None if new_id is not None else (new_name, result))
    views.chart(metric_history_figure(points, thresholds), "cmp_fig_history")
    st.caption("Each line is a monitored metric; statuses are **recomputed with the thresholds and alpha in force "
               "now** (the recorded p-values are kept), so they may differ from the status recorded at the time. "
               "One point per run (its newest record).")
    verdict = reference_history(db, ref_run["run_id"])
    st.markdown(f"**History rule** (evidence over all recorded batches, calibrated to "
                f"{verdict.false_alarm:.0%} false alarms over {verdict.horizon} batches): {verdict.summary}")
    views.chart(history_evidence_figure(verdict), "cmp_fig_evidence")
    history = history_points(comparisons)

    st.subheader("Share")
    file_stem = f"driftboard-{ref_run['name']}-vs-{Path(new_name).stem}"
    left, right, _ = st.columns([1, 1, 2])
    with left:
        views.report_download(
            lambda: build_report(result, ref_profile, new_profile, ref_run["name"], new_name, history), file_stem
        )
    with right:
        views.json_download(result, file_stem)
    share_section(params, chosen["source"] != SOURCES[1])
