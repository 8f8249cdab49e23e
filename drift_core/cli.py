"""The ``drift`` command: a thin shell over drift_core (profile files, compare, keep runs, alert).

Each command parses its options, calls the library (``drift_core.io``, ``compare_profiles``,
``ExperimentDB``, ``drift_core.alerts``, ``drift_core.launch``), prints with ``drift_core.console``
and returns its exit code. Exit codes follow the monitoring-plugin convention (Nagios, Icinga,
Sensu, most CI): 0 ok, 1 warn, 2 alert, 3 error / unknown. *Every* error exits 3: usage errors
(click's own 2 would read as an alert), bad files, store and webhook failures, and unexpected
exceptions too. Errors are one line on stderr, ``drift: error: <file>: <where>: <problem>``; the
traceback is printed only with the global ``--debug`` flag.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from . import limits
from .alerts import (
    DEFAULT_BACKOFF,
    DEFAULT_DEADLINE,
    DEFAULT_TIMEOUT,
    alert_payload,
    send_webhook,
    should_alert,
)
from .compare import compare_profiles
from .console import comparison_report, run_details, runs_table, sample_description
from .distributed import is_sharded, profile_shards, scheduler_client, shard_paths
from .history import HistoryRule, HistoryVerdict, reference_history
from .history_cli import ALERT_BY, alert_decision, history_command, history_options, webhook_history
from .io import PREDICTION_SUFFIXES, DataFileError, guess_modality, profile_file
from .io._common import TOO_DEEP
from .metrics_export import metrics_text, write_metrics_file
from .schema import validate_profile
from .spec import TaskSpec
from .store import ExperimentDB

EXIT_CODES = {"ok": 0, "warn": 1, "alert": 2}
EXIT_ERROR = 3


class CliError(Exception):
    """A problem to report in one line and exit 3."""


class Failure(click.ClickException):
    """Any error of a command, shown as ``drift: error: ...`` and exiting 3."""

    exit_code = EXIT_ERROR

    def show(self, file: Any = None) -> None:
        click.echo(f"drift: error: {self.message}", err=True)


_EXPECTED = (CliError, DataFileError, ValueError, TypeError, OSError)


def _one_line(e: BaseException) -> str:
    """An error as one line: its message for the errors users make, else its type as well."""
    text = " ".join(str(e).split()) or type(e).__name__
    if isinstance(e, _EXPECTED) or type(e).__module__.startswith("drift_core"):
        return text
    return f"unexpected {type(e).__name__}: {text} (run `drift --debug ...` for the traceback)"


class DriftGroup(click.Group):
    """A click group that maps every outcome to a monitoring exit code, also under ``CliRunner``."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Abort, click.exceptions.Exit):
            raise
        except Exception as e:
            if ctx.params.get("debug"):
                traceback.print_exc(file=sys.stderr)
            raise Failure(_one_line(e)) from e

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        try:
            rv = super().main(args, prog_name or "drift", complete_var, standalone_mode=False, **extra)
            code = rv if isinstance(rv, int) else 0
        except click.exceptions.NoArgsIsHelpError as e:
            click.echo(e.ctx.get_help() if e.ctx else str(e), err=True)
            code = EXIT_ERROR
        except click.ClickException as e:  # usage errors: click says 2, monitoring says 3
            e.show()
            code = EXIT_ERROR
        except click.exceptions.Abort:
            click.echo("drift: aborted", err=True)
            code = EXIT_ERROR
        except KeyboardInterrupt:
            click.echo("drift: interrupted", err=True)
            code = EXIT_ERROR
        if standalone_mode:
            sys.exit(code)
        return code


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


def _spec(modality: str, num_classes: int | None, channels_last: bool | None, pixel_range: tuple[float, float] | None,
          logits: bool = False) -> TaskSpec:
    ids = _token_ids()
    return TaskSpec(modality, num_classes=num_classes, channels_last=channels_last, pixel_range=pixel_range,  # type: ignore[arg-type]
                    scores="logits" if logits else "probabilities",
                    unk_token_id=ids.get("unk_token_id"), pad_token_id=ids.get("pad_token_id"))


def _token_ids() -> dict[str, int]:
    """``--unk-token-id`` / ``--pad-token-id`` given on the command line (kept in the click context)."""
    ctx = click.get_current_context(silent=True)
    return {k: v for k, v in (ctx.meta.get("drift_token_ids", {}) if ctx else {}).items() if v is not None}


def _remember_id(ctx: click.Context, param: click.Parameter, value: int | None) -> int | None:
    ctx.meta.setdefault("drift_token_ids", {})[str(param.name)] = value
    return value


def _profile_with_progress(path: str, spec: TaskSpec, scheduler: str | None = None, **kw: Any) -> dict[str, Any]:
    if scheduler is not None or is_sharded(path):
        return _profile_shards(path, spec, scheduler, **kw)
    update, close = _progress(f"profiling {Path(path).name}")
    try:
        return profile_file(path, spec, progress=update, **kw)
    finally:
        close()


def _profile_shards(path: str, spec: TaskSpec, scheduler: str | None, predictions_path: str | None = None,
                    **kw: Any) -> dict[str, Any]:
    """A folder / glob of shards (or one file) on a Dask cluster, or shard by shard in this process."""
    if predictions_path is not None:
        raise CliError("--predictions/--ref-predictions/--new-predictions cannot be used with shards or --scheduler: "
                       "each shard carries its own (a 'prediction' field / column, an .npz 'predictions' array)")
    client = None
    if scheduler is not None:  # one client (one LocalCluster for 'local') per command, closed with it
        ctx = click.get_current_context()
        if "drift.client" not in ctx.meta:
            ctx.meta["drift.client"] = ctx.with_resource(scheduler_client(scheduler))
        client = ctx.meta["drift.client"]
    return profile_shards(path if is_sharded(path) else [path], spec, scheduler=client, **kw)


def _first_file(data: str) -> str:
    """``data``, or its first shard when it is a folder / glob of shards (to guess the modality)."""
    return str(shard_paths(data)[0]) if is_sharded(data) else data


_scheduler_option = click.option(
    "--scheduler", metavar="ADDRESS|local",
    help="Profile data files on a Dask cluster: a scheduler's address (tcp://host:8786) or 'local' (a LocalCluster "
         "for this command); needs driftboard[dask]. Data may be a folder or glob of shards, with or without it.")


# -- the command group -----------------------------------------------------------------------------


@click.group(cls=DriftGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(package_name="driftboard", prog_name="drift")
@click.option("--debug", is_flag=True, help="On an error, print the traceback too.")
@click.option("--limit", "limit_values", multiple=True, metavar="NAME=N",
              help=f"Raise a safety limit for this command ({', '.join(limits.NAMES)}); repeatable.")
@click.pass_context
def cli(ctx: click.Context, debug: bool, limit_values: tuple[str, ...]) -> None:
    """Drift monitoring for ML inputs (text, images) and model outputs.

    Exit codes: 0 ok, 1 warn, 2 alert, 3 error (monitoring-plugin convention).
    """
    changes: dict[str, int] = {}
    for value in limit_values:
        name, sep, number = value.partition("=")
        try:
            changes[name.strip()] = int(number.replace("_", ""))
        except ValueError:
            raise click.BadParameter(f"expected NAME=N, got {value!r}", param_hint="--limit") from None
        if not sep:
            raise click.BadParameter(f"expected NAME=N, got {value!r}", param_hint="--limit")
    try:
        previous = limits.set_limits(**changes)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--limit") from None
    ctx.call_on_close(lambda: limits.restore(previous))


_spec_options = [
    click.option("--modality", type=click.Choice(["text", "vision", "outputs"]),
                 help="Default: from the file kind. 'outputs' profiles a predictions file alone (.csv/.tsv class "
                      "or score columns, .npy, .parquet); it is never guessed."),
    click.option("--num-classes", type=click.IntRange(min=1),
                 help="Number of classes of the predictions (at most --limit max_classes, default 100,000)."),
    click.option("--column", help="Field, column or .npz array holding the data (auto-detected otherwise)."),
    click.option("--channels-last/--channels-first", default=None, help="Image layout (default: guessed)."),
    click.option("--pixel-range", type=(float, float), default=None, metavar="LOW HIGH",
                 help="Pixel value range of images that are neither uint8 nor floats in [0, 1]."),
    click.option("--sample-size", default="1000", show_default=True, metavar="N|all",
                 help="Records to profile (uniform sample over the whole file), or 'all'."),
    click.option("--seed", type=int, default=0, show_default=True, help="Seed of the sample."),
    click.option("--logits", is_flag=True, default=False,
                 help="Prediction scores are logits (softmax applied); default: probabilities (rows sum to 1)."),
    click.option("--unk-token-id", type=click.IntRange(min=0), expose_value=False, callback=_remember_id,
                 help="Token id of the tokenizer's unknown token (adds unk_token_share)."),
    click.option("--pad-token-id", type=click.IntRange(min=0), expose_value=False, callback=_remember_id,
                 help="Token id of the padding token (adds pad_token_share; lengths for truncation exclude it)."),
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
@_scheduler_option
def profile(data: str, modality: str | None, num_classes: int | None, column: str | None, channels_last: bool | None,
            pixel_range: tuple[float, float] | None, sample_size: str, seed: int, predictions: str | None,
            db: str | None, run_name: str | None, notes: str, out: str | None, scheduler: str | None = None,
            logits: bool = False) -> int:
    """Profile DATA (a data file, or a folder / .zip of images; with --modality outputs, a predictions file).

    Without --db or --out the profile JSON is printed on stdout. DATA may also be a folder or glob
    of shards (profiled one by one and merged, on the --scheduler cluster if given).
    """
    modality = modality or guess_modality(_first_file(data))
    if modality is None:
        raise click.UsageError(f"cannot tell the modality of {data}; pass --modality text|vision|outputs")
    spec = _spec(modality, num_classes, channels_last, pixel_range, logits)
    prof = _profile_with_progress(data, spec, sample_size=_sample_size(sample_size), seed=seed,
                                  predictions_path=predictions, column=column, scheduler=scheduler)
    to_stdout = out == "-" or (out is None and db is None)
    if to_stdout:
        click.echo(json.dumps(prof, allow_nan=False))
    elif out is not None:
        Path(out).write_text(json.dumps(prof, allow_nan=False))
        click.echo(f"profiled {sample_description(prof)} of {data} -> {out}")
    if db is not None:
        with _open_db(db) as store:
            name = run_name or Path(data).name
            run_id = store.create_run(name, spec, notes=notes, profile=prof)
        click.echo(f"profiled {sample_description(prof)} of {data} -> run {run_id} {name!r} in {db}", err=to_stdout)
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
    if path.exists() or is_sharded(side.arg):
        if path.is_file() and path.suffix.lower() == ".json":
            try:
                obj = json.loads(path.read_text())
            except (json.JSONDecodeError, UnicodeDecodeError) as e:
                raise DataFileError(path, f"invalid JSON ({e})") from None
            except RecursionError:
                raise DataFileError(path, TOO_DEEP) from None
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
@click.option("--webhook-timeout", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_TIMEOUT,
              show_default=True, help="Wall-clock seconds per attempt, however slowly the server answers.")
@click.option("--webhook-deadline", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_DEADLINE,
              show_default=True, help="Wall-clock seconds after which no retry is started.")
@click.option("--threshold", "thresholds", multiple=True, metavar="NAME=WARN,ALERT",
              help="Override a metric's thresholds, e.g. seq_length_js=0.1,0.2 (repeatable).")
@click.option("--alpha", type=float, default=0.01, show_default=True, help="Significance level.")
@click.option("--ref-predictions", type=click.Path(), help="Predictions for REF when it is a data file.")
@click.option("--new-predictions", type=click.Path(), help="Predictions for NEW when it is a data file.")
@click.option("--ref-name", help="Run name for REF when it is a file (default: the file name).")
@click.option("--new-name", help="Run name for NEW when it is a file (default: the file name).")
@click.option("--metrics-file", type=click.Path(dir_okay=False), metavar="PATH",
              help="Write Prometheus metrics (scores, statuses, p-values, history state) here, atomically.")
@click.option("--alert-by", type=click.Choice(ALERT_BY), default="status", show_default=True,
              help="What alerts (webhook and exit code): the per-batch status, the history rule (needs --db), or either.")
@history_options
@spec_options
@_scheduler_option
def compare(ref: str, new: str, db: str | None, as_json: bool, webhook: str | None, alert_on: str,
            webhook_retries: int, webhook_backoff: float | None, webhook_timeout: float, webhook_deadline: float,
            thresholds: tuple[str, ...], alpha: float,
            ref_predictions: str | None, new_predictions: str | None, ref_name: str | None, new_name: str | None,
            modality: str | None, num_classes: int | None, column: str | None, channels_last: bool | None,
            pixel_range: tuple[float, float] | None, sample_size: str, seed: int, metrics_file: str | None = None,
            alert_by: str = "status", horizon: int = 365, false_alarm: float = 0.05, scheduler: str | None = None,
            logits: bool = False) -> int:
    """Compare NEW with REF and exit 0 ok / 1 warn / 2 alert (3 on error).

    REF and NEW are run ids or names in --db, profile JSON files, or data files. With --db the
    history rule reads the comparisons recorded against REF (see `drift history`).
    """
    if alert_by != "status" and db is None:
        raise click.UsageError("--alert-by history|either needs --db (the history is read from the experiment DB)")
    rule = HistoryRule(horizon=horizon, false_alarm=false_alarm)
    verdict: HistoryVerdict | None = None
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
                s.spec = _data_spec(s, other, modality, num_classes, channels_last, pixel_range, logits)
                s.profile = _profile_with_progress(s.arg, s.spec, sample_size=size, seed=seed,
                                                   predictions_path=preds, column=column, scheduler=scheduler)
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
            verdict = reference_history(store, ref_side.run_id, rule)
    finally:
        if store is not None:
            store.close()
    if as_json:
        click.echo(json.dumps({"reference": ref_side.describe(), "new": new_side.describe(),
                               "comparison_id": comparison_id, "result": result,
                               "history": webhook_history(verdict)}, allow_nan=False, indent=2))
    else:
        click.echo(comparison_report(result, ref_side.describe(), new_side.describe(), ref_side.profile, new_side.profile))
        if verdict is not None:
            click.echo(f"history: {verdict.state.upper()}: {verdict.summary}")
    if metrics_file is not None:
        write_metrics_file(metrics_file, metrics_text(result, ref_side.name, verdict, comparison_id))
    send, exit_code = alert_decision(alert_by, should_alert(result["status"], alert_on), EXIT_CODES[result["status"]],
                                     verdict)
    if webhook is not None and send:
        payload = alert_payload(result, ref_side.describe(), new_side.describe(), comparison_id,
                                history=webhook_history(verdict))
        code = send_webhook(webhook, payload, retries=webhook_retries, backoff=webhook_backoff,
                            timeout=webhook_timeout, deadline=webhook_deadline)
        click.echo(f"alert sent to {webhook} (HTTP {code})", err=True)
    return exit_code


def _data_spec(side: _Side, other: _Side, modality: str | None, num_classes: int | None,
               channels_last: bool | None, pixel_range: tuple[float, float] | None, logits: bool = False) -> TaskSpec:
    """A data file is profiled like the other side (its run's TaskSpec), unless options say otherwise."""
    base = other.spec or (TaskSpec.from_dict(other.profile["task"]) if other.profile else None)
    first = _first_file(side.arg)
    m = modality or (base.modality if base else None) or guess_modality(first)
    if m == "outputs" and Path(first).suffix.lower() not in PREDICTION_SUFFIXES:
        m = guess_modality(first) or m  # a data file carrying predictions: its outputs part is compared
    if m is None:
        raise click.UsageError(f"cannot tell the modality of {side.arg}; pass --modality text|vision|outputs")
    if base is not None and base.modality == m:
        d = base.to_dict()
        d.update({k: v for k, v in (("num_classes", num_classes), ("channels_last", channels_last),
                                    ("pixel_range", pixel_range)) if v is not None}, **_token_ids())
        d["scores"] = "logits" if logits else d.get("scores", "probabilities")
        return TaskSpec.from_dict(d)
    if base is not None and "outputs" in (m, base.modality):
        # Predictions against a run with predictions: the same classes, unless --num-classes says otherwise.
        num_classes = num_classes if num_classes is not None else base.num_classes
    return _spec(m, num_classes, channels_last, pixel_range, logits)


# -- runs, show, demo, dashboard -------------------------------------------------------------------


@cli.command()
@click.option("--db", type=click.Path(dir_okay=False), required=True, help="Experiment DB.")
@click.option("--modality", type=click.Choice(["text", "vision", "outputs"]), help="Only runs of this modality.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def runs(db: str, modality: str | None, as_json: bool) -> int:
    """List the runs of an experiment DB, newest first."""
    with _open_db(db, must_exist=True) as store:
        rows = store.list_runs(modality=modality)
    click.echo(json.dumps(rows, indent=2) if as_json else runs_table(rows))
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
    click.echo(run_details(r, prof, comps))
    return 0


@cli.command()
@click.option("--db", type=click.Path(dir_okay=False), default="data/demo.db", show_default=True)
@click.option("--if-missing", is_flag=True, help="Do nothing when the DB already exists and has runs.")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None, help="Folder of the sample files.")
def demo(db: str, if_missing: bool, data_dir: str | None) -> int:
    """Build the demo experiment DB from the sample files shipped in the package.

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
    from .launch import launch_dashboard

    return launch_dashboard(db, port)


cli.add_command(history_command)


# -- entry point -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run ``drift`` and exit with its monitoring code."""
    cli.main(args=argv, prog_name="drift")


if __name__ == "__main__":
    main()
