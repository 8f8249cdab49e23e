"""The ``drift`` command: profile files, compare them, keep runs in an experiment DB, alert.

Exit codes follow the monitoring-plugin convention (Nagios, Icinga, Sensu, most CI): 0 ok,
1 warn, 2 alert, 3 error / unknown. Usage errors are 3 too (click's own 2 would read as an
alert). Errors are one line on stderr, ``drift: error: <file>: <where>: <problem>``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from .compare import compare_profiles
from .io import DataFileError, guess_modality, profile_file
from .metrics import metric_info
from .schema import validate_profile
from .spec import TaskSpec
from .store import ExperimentDB, StoreError

EXIT_CODES = {"ok": 0, "warn": 1, "alert": 2}
EXIT_ERROR = 3
SEVERITY = {"ok": 0, "warn": 1, "alert": 2}
#: Seconds before the first webhook retry (doubling each time); env DRIFT_WEBHOOK_BACKOFF overrides.
DEFAULT_BACKOFF = 1.0


class CliError(Exception):
    """A problem to report in one line and exit 3."""


class WebhookError(CliError):
    """The alert could not be delivered."""


# -- helpers ---------------------------------------------------------------------------------------


def _sample_size(value: str) -> int | None:
    if value.lower() == "all":
        return None
    try:
        n = int(value)
    except ValueError:
        raise click.BadParameter(f"expected a positive int or 'all', got {value!r}") from None
    if n < 1:
        raise click.BadParameter(f"expected a positive int or 'all', got {value!r}")
    return n


def _progress(label: str) -> tuple[Callable[[int, int], None] | None, Callable[[], None]]:
    """A progress callback drawing a bar on stderr, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        return None, lambda: None
    state: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if "bar" not in state:
            state["bar"] = click.progressbar(length=total, label=label, file=sys.stderr)
            state["bar"].__enter__()
        state["bar"].update(done - state.get("done", 0))
        state["done"] = done

    def close() -> None:
        if "bar" in state:
            state["bar"].__exit__(None, None, None)

    return update, close


def _open_db(path: str, must_exist: bool = False) -> ExperimentDB:
    if must_exist and not Path(path).exists():
        raise CliError(f"{path}: no such experiment DB (create one with `drift profile ... --db {path}`)")
    return ExperimentDB(path)


def _spec(modality: str, num_classes: int | None, channels_last: bool | None, pixel_range: tuple[float, float] | None) -> TaskSpec:
    return TaskSpec(modality, num_classes=num_classes, channels_last=channels_last, pixel_range=pixel_range)  # type: ignore[arg-type]


def _profile_with_progress(path: str, spec: TaskSpec, **kw: Any) -> dict[str, Any]:
    update, close = _progress(f"profiling {Path(path).name}")
    try:
        return profile_file(path, spec, progress=update, **kw)
    finally:
        close()


def _fmt_n(profile: dict[str, Any]) -> str:
    unit = "sequences" if profile["modality"] == "text" else "images"
    n, total = profile["n_samples"], profile["n_total"]
    return f"{n:,} {unit}" + (f" (sampled from {total:,})" if total and total != n else "")


# -- the command group -----------------------------------------------------------------------------


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(package_name="driftboard", prog_name="drift")
def cli() -> None:
    """Drift monitoring for ML inputs (text, images) and model outputs.

    Exit codes: 0 ok, 1 warn, 2 alert, 3 error (monitoring-plugin convention).
    """


_spec_options = [
    click.option("--modality", type=click.Choice(["text", "vision"]), help="Default: from the file kind."),
    click.option("--num-classes", type=click.IntRange(min=1), help="Number of classes of the predictions."),
    click.option("--column", help="Field, column or .npz array holding the data (auto-detected otherwise)."),
    click.option("--channels-last/--channels-first", default=None, help="Image layout (default: guessed)."),
    click.option("--pixel-range", type=(float, float), default=None, metavar="LOW HIGH",
                 help="Pixel value range of images that are neither uint8 nor floats in [0, 1]."),
    click.option("--sample-size", default="1000", show_default=True, metavar="N|all",
                 help="Records to profile (uniform sample over the whole file), or 'all'."),
    click.option("--seed", type=int, default=0, show_default=True, help="Seed of the sample."),
]


def spec_options(f: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_spec_options):
        f = option(f)
    return f


@cli.command()
@click.argument("data", type=click.Path())
@spec_options
@click.option("--predictions", type=click.Path(), help="Predictions file (.csv or .npy), one row per record.")
@click.option("--db", type=click.Path(dir_okay=False), help="Store the profile as a new run in this experiment DB.")
@click.option("--run-name", help="Name of the run (default: the file name).")
@click.option("--notes", default="", help="Notes stored with the run.")
@click.option("--out", type=click.Path(dir_okay=False), help="Write the profile JSON here ('-' for stdout).")
def profile(data: str, modality: str | None, num_classes: int | None, column: str | None, channels_last: bool | None,
            pixel_range: tuple[float, float] | None, sample_size: str, seed: int, predictions: str | None,
            db: str | None, run_name: str | None, notes: str, out: str | None) -> int:
    """Profile DATA (a data file, or a folder / .zip of images).

    Without --db or --out the profile JSON is printed on stdout.
    """
    modality = modality or guess_modality(data)
    if modality is None:
        raise click.UsageError(f"cannot tell the modality of {data}; pass --modality text|vision")
    spec = _spec(modality, num_classes, channels_last, pixel_range)
    prof = _profile_with_progress(data, spec, sample_size=_sample_size(sample_size), seed=seed,
                                  predictions_path=predictions, column=column)
    to_stdout = out == "-" or (out is None and db is None)
    if to_stdout:
        click.echo(json.dumps(prof, allow_nan=False))
    elif out is not None:
        Path(out).write_text(json.dumps(prof, allow_nan=False))
        click.echo(f"profiled {_fmt_n(prof)} of {data} -> {out}")
    if db is not None:
        with _open_db(db) as store:
            name = run_name or Path(data).name
            run_id = store.create_run(name, spec, notes=notes, profile=prof)
        click.echo(f"profiled {_fmt_n(prof)} of {data} -> run {run_id} {name!r} in {db}", err=to_stdout)
    return 0


# -- compare ---------------------------------------------------------------------------------------


class _Side:
    """One side of a comparison: a run in the DB, a profile JSON file or a data file."""

    def __init__(self, arg: str, role: str) -> None:
        self.arg, self.role = arg, role
        self.profile: dict[str, Any] | None = None
        self.run_id: int | None = None
        self.name = arg
        self.spec: TaskSpec | None = None
        self.is_data = False

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "run_id": self.run_id, "source": self.arg}


def _resolve(side: _Side, store: ExperimentDB | None) -> None:
    path = Path(side.arg)
    if path.exists():
        if path.is_file() and path.suffix.lower() == ".json":
            try:
                obj = json.loads(path.read_text())
            except (json.JSONDecodeError, UnicodeDecodeError) as e:
                raise DataFileError(path, f"invalid JSON ({e})") from None
            if isinstance(obj, dict) and "schema_version" in obj:
                validate_profile(obj, name=str(path))
                side.profile, side.name = obj, path.stem
                return
        side.is_data, side.name = True, path.stem
        return
    if store is None:
        raise CliError(f"{side.arg}: no such file (to use a run of an experiment DB, pass --db)")
    run = store.find_run(side.arg)
    side.run_id, side.name = run["run_id"], run["name"]
    side.profile = store.load_profile(run["run_id"])
    side.spec = TaskSpec.from_dict(run["task_spec"])


def _thresholds(values: tuple[str, ...]) -> dict[str, tuple[float, float]] | None:
    if not values:
        return None
    out = {}
    for v in values:
        name, _, rest = v.partition("=")
        try:
            warn, alert = (float(x) for x in rest.split(","))
        except ValueError:
            raise click.BadParameter(f"expected NAME=WARN,ALERT (e.g. seq_length_js=0.1,0.2), got {v!r}",
                                     param_hint="--threshold") from None
        out[name.strip()] = (warn, alert)
    return out


def _table(result: dict[str, Any], ref: _Side, new: _Side) -> str:
    assert ref.profile is not None and new.profile is not None
    lines = [
        f"reference: {ref.name}" + (f" (run {ref.run_id})" if ref.run_id else "") + f", {_fmt_n(ref.profile)}",
        f"new:       {new.name}" + (f" (run {new.run_id})" if new.run_id else "") + f", {_fmt_n(new.profile)}",
        "",
    ]
    rows = [("metric", "score", "warn", "alert", "p (adj.)", "status", "summary")]
    for name, m in result["metrics"].items():
        th = m.get("threshold")
        p = m.get("p_adjusted")
        rows.append((
            m.get("label") or metric_info(name).label,
            f"{m['score']:.3f}",
            f"{th[0]:.2f}" if th else "-",
            f"{th[1]:.2f}" if th else "-",
            "-" if p is None else ("<0.001" if p < 0.001 else f"{p:.3f}"),
            m["status"].upper() if m.get("thresholded") else "info",
            m.get("summary", ""),
        ))
    widths = [max(len(r[i]) for r in rows) for i in range(6)]
    for r in rows:
        lines.append("  ".join(c.ljust(w) if i in (0, 5) else c.rjust(w) for i, (c, w) in enumerate(zip(r[:6], widths, strict=True)))
                     + "  " + r[6])
    lines += ["", f"status: {result['status'].upper()} (max drift {result['max_drift']:.3f})", result["summary"]]
    lines += [f"warning: {w}" for w in result.get("warnings", [])]
    return "\n".join(lines)


def _payload(result: dict[str, Any], ref: _Side, new: _Side, comparison_id: int | None) -> dict[str, Any]:
    return {
        "source": "driftboard",
        "status": result["status"],
        "max_drift": result["max_drift"],
        "reference": ref.describe(),
        "new": new.describe(),
        "comparison_id": comparison_id,
        "scores": result["drift_scores"],
        "metric_status": result["metric_status"],
        "summaries": {name: m.get("summary", "") for name, m in result["metrics"].items()},
        "summary": result["summary"],
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def send_webhook(url: str, payload: dict[str, Any], retries: int = 3, backoff: float = DEFAULT_BACKOFF,
                 timeout: float = 10.0) -> int:
    """POST ``payload`` as JSON to ``url``; retry network errors, 408, 429 and 5xx with exponential
    backoff (``backoff * 2**k`` seconds). Returns the HTTP status; raises :class:`WebhookError`."""
    body = json.dumps(payload, allow_nan=False).encode()
    last = ""
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        req = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": "driftboard"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return int(resp.status)
        except urllib.error.HTTPError as e:
            last = f"HTTP {e.code} {e.reason}"
            if e.code < 500 and e.code not in (408, 429):
                break
        except (urllib.error.URLError, OSError) as e:
            last = str(getattr(e, "reason", e))
    raise WebhookError(f"webhook {url}: alert not delivered after {attempt + 1} attempt(s): {last}")


@cli.command()
@click.argument("ref")
@click.argument("new")
@click.option("--db", type=click.Path(dir_okay=False),
              help="Experiment DB: REF/NEW may be run ids or names; data files become runs; the comparison is recorded.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON instead of a table.")
@click.option("--webhook", metavar="URL", help="POST a JSON alert here when the status is at or above --alert-on.")
@click.option("--alert-on", type=click.Choice(["warn", "alert"]), default="warn", show_default=True)
@click.option("--webhook-retries", type=click.IntRange(min=0), default=3, show_default=True)
@click.option("--webhook-backoff", type=click.FloatRange(min=0), default=None,
              help=f"Seconds before the first retry, doubling (default {DEFAULT_BACKOFF}, env DRIFT_WEBHOOK_BACKOFF).")
@click.option("--threshold", "thresholds", multiple=True, metavar="NAME=WARN,ALERT",
              help="Override a metric's thresholds, e.g. seq_length_js=0.1,0.2 (repeatable).")
@click.option("--alpha", type=float, default=0.01, show_default=True, help="Significance level.")
@click.option("--ref-predictions", type=click.Path(), help="Predictions for REF when it is a data file.")
@click.option("--new-predictions", type=click.Path(), help="Predictions for NEW when it is a data file.")
@click.option("--ref-name", help="Run name for REF when it is a file (default: the file name).")
@click.option("--new-name", help="Run name for NEW when it is a file (default: the file name).")
@spec_options
def compare(ref: str, new: str, db: str | None, as_json: bool, webhook: str | None, alert_on: str,
            webhook_retries: int, webhook_backoff: float | None, thresholds: tuple[str, ...], alpha: float,
            ref_predictions: str | None, new_predictions: str | None, ref_name: str | None, new_name: str | None,
            modality: str | None, num_classes: int | None, column: str | None, channels_last: bool | None,
            pixel_range: tuple[float, float] | None, sample_size: str, seed: int) -> int:
    """Compare NEW with REF and exit 0 ok / 1 warn / 2 alert (3 on error).

    REF and NEW are run ids or names in --db, profile JSON files, or data files.
    """
    if webhook is not None and not webhook.startswith(("http://", "https://")):
        raise click.BadParameter(f"expected an http(s) URL, got {webhook!r}", param_hint="--webhook")
    th = _thresholds(thresholds)
    size = _sample_size(sample_size)
    if webhook_backoff is None:
        try:
            webhook_backoff = float(os.environ.get("DRIFT_WEBHOOK_BACKOFF", DEFAULT_BACKOFF))
        except ValueError:
            raise CliError("DRIFT_WEBHOOK_BACKOFF must be a number of seconds") from None
    store = _open_db(db) if db is not None else None
    try:
        sides = (_Side(ref, "reference"), _Side(new, "new"))
        for s in sides:
            _resolve(s, store)
        for s, preds, name in zip(sides, (ref_predictions, new_predictions), (ref_name, new_name), strict=True):
            if s.is_data:
                other = sides[1] if s is sides[0] else sides[0]
                s.spec = _data_spec(s, other, modality, num_classes, channels_last, pixel_range)
                s.profile = _profile_with_progress(s.arg, s.spec, sample_size=size, seed=seed,
                                                   predictions_path=preds, column=column)
                s.name = name or Path(s.arg).name
        ref_side, new_side = sides
        assert ref_side.profile is not None and new_side.profile is not None
        result = compare_profiles(ref_side.profile, new_side.profile, thresholds=th, alpha=alpha, seed=seed)
        comparison_id = None
        if store is not None:
            for s in sides:
                if s.run_id is None:
                    spec = s.spec or TaskSpec.from_dict(s.profile["task"])  # type: ignore[index]
                    s.run_id = store.create_run(s.name, spec, notes=f"from {s.arg}", profile=s.profile)
            assert ref_side.run_id is not None and new_side.run_id is not None
            comparison_id = store.record_comparison(ref_side.run_id, new_side.run_id, result)
    finally:
        if store is not None:
            store.close()
    if as_json:
        click.echo(json.dumps({"reference": ref_side.describe(), "new": new_side.describe(),
                               "comparison_id": comparison_id, "result": result}, allow_nan=False, indent=2))
    else:
        click.echo(_table(result, ref_side, new_side))
    if webhook is not None and SEVERITY[result["status"]] >= SEVERITY[alert_on]:
        code = send_webhook(webhook, _payload(result, ref_side, new_side, comparison_id),
                            retries=webhook_retries, backoff=webhook_backoff)
        click.echo(f"alert sent to {webhook} (HTTP {code})", err=True)
    return EXIT_CODES[result["status"]]


def _data_spec(side: _Side, other: _Side, modality: str | None, num_classes: int | None,
               channels_last: bool | None, pixel_range: tuple[float, float] | None) -> TaskSpec:
    """A data file is profiled like the other side (its run's TaskSpec), unless options say otherwise."""
    base = other.spec or (TaskSpec.from_dict(other.profile["task"]) if other.profile else None)
    m = modality or (base.modality if base else None) or guess_modality(side.arg)
    if m is None:
        raise click.UsageError(f"cannot tell the modality of {side.arg}; pass --modality text|vision")
    if base is not None and base.modality == m:
        d = base.to_dict()
        d.update({k: v for k, v in (("num_classes", num_classes), ("channels_last", channels_last),
                                    ("pixel_range", pixel_range)) if v is not None})
        return TaskSpec.from_dict(d)
    return _spec(m, num_classes, channels_last, pixel_range)


# -- runs, show, demo, dashboard -------------------------------------------------------------------


@cli.command()
@click.option("--db", type=click.Path(dir_okay=False), required=True, help="Experiment DB.")
@click.option("--modality", type=click.Choice(["text", "vision"]), help="Only runs of this modality.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def runs(db: str, modality: str | None, as_json: bool) -> int:
    """List the runs of an experiment DB, newest first."""
    with _open_db(db, must_exist=True) as store:
        rows = store.list_runs(modality=modality)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return 0
    table = [("id", "name", "modality", "samples", "created (UTC)", "notes")] + [
        (str(r["run_id"]), r["name"], r["modality"], "-" if r["n_samples"] is None else f"{r['n_samples']:,}",
         r["created_at"][:19].replace("T", " "), r["notes"])
        for r in rows
    ]
    widths = [max(len(t[i]) for t in table) for i in range(5)]
    for t in table:
        click.echo("  ".join(c.ljust(w) for c, w in zip(t[:5], widths, strict=True)) + "  " + t[5])
    if not rows:
        click.echo("(no runs)")
    return 0


@cli.command()
@click.argument("run")
@click.option("--db", type=click.Path(dir_okay=False), required=True, help="Experiment DB.")
@click.option("--json", "as_json", is_flag=True, help="Print the run, its profile and comparisons as JSON.")
def show(run: str, db: str, as_json: bool) -> int:
    """Show a run (by id or name): its task, profile summary and comparisons."""
    with _open_db(db, must_exist=True) as store:
        r = store.find_run(run)
        names = store.artifact_names(r["run_id"])
        prof = store.load_profile(r["run_id"]) if "profile" in names else None
        comps = [c for c in store.comparisons() if r["run_id"] in (c["reference_run_id"], c["new_run_id"])]
    if as_json:
        click.echo(json.dumps({"run": r, "profile": prof, "comparisons": comps}, indent=2))
        return 0
    click.echo(f"run {r['run_id']}: {r['name']} ({r['modality']}), created {r['created_at'][:19].replace('T', ' ')} UTC")
    if r["notes"]:
        click.echo(f"notes: {r['notes']}")
    if prof is None:
        click.echo("no profile stored")
    else:
        click.echo(f"profile: {_fmt_n(prof)}, seed {prof['seed']}")
        if prof["modality"] == "text":
            click.echo(f"  sequence length: mean {prof['seq_length_mean']:.1f}, std {prof['seq_length_std']:.1f}; "
                       f"{prof['n_tokens']:,} tokens ({prof['token_kind']})")
            click.echo(f"  top tokens: {', '.join(map(str, prof['top_tokens'][:10]))}")
        else:
            means = ", ".join(f"{m:.3f}" for m in prof["channel_means"])
            click.echo(f"  {prof['n_channels']} channel(s), pixel means [{means}], mean brightness {prof['brightness_mean']:.3f}")
        if "prediction_hist" in prof:
            click.echo(f"  predicted classes: {prof['prediction_hist']}")
    for c in comps:
        click.echo(f"comparison {c['comparison_id']}: {c['reference_name']} -> {c['new_name']}: "
                   f"{c['status'].upper()} (max drift {c['max_drift']:.3f}) at {c['created_at'][:19].replace('T', ' ')}")
    return 0


@cli.command()
@click.option("--db", type=click.Path(dir_okay=False), default="data/demo.db", show_default=True)
@click.option("--if-missing", is_flag=True, help="Do nothing when the DB already exists and has runs.")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None, help="Folder of the sample files.")
def demo(db: str, if_missing: bool, data_dir: str | None) -> int:
    """Build the demo experiment DB from the sample files shipped in data/.

    With --if-missing, an existing DB with runs is kept, unless its profiles are of a schema this
    version cannot read (then it is rebuilt).
    """
    from .demo import DATA_DIR, build_demo_db

    if if_missing and Path(db).exists():
        with _open_db(db) as store:
            runs = store.list_runs()
            stale = None
            for r in runs:
                try:
                    store.load_profile(r["run_id"])
                except ValueError as e:
                    stale = str(e)
                    break
        if runs and stale is None:
            click.echo(f"{db} exists with {len(runs)} runs; not rebuilt")
            return 0
        if stale is not None:
            click.echo(f"{db} holds a profile this version cannot read ({stale}); rebuilding", err=True)
    with build_demo_db(db, Path(data_dir) if data_dir else DATA_DIR) as store:
        n_runs, n_comp = len(store.list_runs()), len(store.comparisons())
    click.echo(f"built {db}: {n_runs} runs, {n_comp} comparisons")
    return 0


@cli.command()
@click.option("--db", type=click.Path(dir_okay=False), help="Experiment DB to open (sets DRIFTBOARD_DB).")
@click.option("--port", type=int, default=8501, show_default=True)
def dashboard(db: str | None, port: int) -> int:
    """Start the Streamlit dashboard."""
    import importlib.util
    import subprocess

    spec = importlib.util.find_spec("dashboard")
    if spec is None or not spec.submodule_search_locations:
        raise CliError("the dashboard package is not installed")
    app = Path(next(iter(spec.submodule_search_locations))) / "app.py"
    env = dict(os.environ)
    if db:
        env["DRIFTBOARD_DB"] = str(Path(db).resolve())
    return subprocess.call([sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port)], env=env)


# -- entry point -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run ``drift`` and exit with its monitoring code."""
    try:
        code = cli.main(args=argv, prog_name="drift", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as e:
        click.echo(e.ctx.get_help() if e.ctx else str(e), err=True)
        code = EXIT_ERROR
    except click.ClickException as e:  # usage errors: click says 2, monitoring says 3
        e.show()
        code = EXIT_ERROR
    except click.exceptions.Abort:
        click.echo("drift: aborted", err=True)
        code = EXIT_ERROR
    except (CliError, StoreError, DataFileError, ValueError, TypeError, OSError, sqlite3.Error) as e:
        click.echo(f"drift: error: {e}", err=True)
        code = EXIT_ERROR
    except KeyboardInterrupt:
        click.echo("drift: interrupted", err=True)
        code = EXIT_ERROR
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
