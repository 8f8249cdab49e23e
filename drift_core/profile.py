"""Profile a dataset, and merge profiles: the two entry points that make profiles."""

from __future__ import annotations

from typing import Any

from . import _inputs
from .examples import collect_examples, merge_examples
from .outputs import merge_outputs, profile_outputs, profile_predictions
from .schema import SCHEMA_VERSION, validate_profile
from .spec import TaskSpec
from .text import merge_text, profile_text
from .vision import merge_vision, profile_vision


def compute_dataset_profile(
    dataset: Any,
    task_spec: TaskSpec,
    sample_size: int | None = 1000,
    seed: int = 0,
    predictions: Any = None,
    keep_examples: bool | None = None,
) -> dict[str, Any]:
    """Summarise a dataset into a small, comparable, mergeable JSON dict.

    Parameters
    ----------
    dataset : sequence or iterable of mappings, array, DataFrame / Series, pyarrow Table / Array
        Text items carry ``input_ids`` (non-negative ints) or ``text`` (str); vision items carry
        ``pixel_values`` ((C,H,W), (H,W,C) or (H,W); uint8 in [0, 255] or float in [0, 1]). An
        array is one row per item: (N, L) token ids, or (N,C,H,W) / (N,H,W,C) / (N,H,W) images.
    task_spec : TaskSpec
        Modality and item keys.
    sample_size : int or None
        Profile a uniform random sample of this many items, without replacement, seeded by
        ``seed``; ``None`` profiles every item.
    seed : int
        Seed of the sample (the same seed gives the same profile).
    predictions : array-like, optional
        Predicted class ids (N,) or scores (N, K) aligned with ``dataset``; items may instead
        carry them under ``task_spec.prediction_key``.
    keep_examples : bool, optional
        Keep a few example items in the profile (``examples``: <= 5 texts of <= 300 characters, or
        <= 6 thumbnails of <= 32 x 32 pixels; see :mod:`drift_core.examples`). Default:
        ``task_spec.keep_examples``. Pass False for private data.

    Returns
    -------
    dict
        A strict-JSON profile (see :mod:`drift_core.schema`) with ``schema_version``,
        ``modality``, ``n_samples``, ``n_total`` and the modality's statistics.

    Examples
    --------
    >>> p = compute_dataset_profile([{"input_ids": [1, 2, 2]}, {"input_ids": [2]}], TaskSpec("text"))
    >>> p["n_samples"], p["seq_length_mean"], p["top_tokens"]
    (2, 2.0, [2, 1])
    """
    if not isinstance(task_spec, TaskSpec):
        raise TypeError(f"task_spec must be a TaskSpec, got {type(task_spec).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {seed!r}")
    if task_spec.modality == "outputs" and predictions is not None:
        raise ValueError("an outputs profile takes the predictions as its dataset: pass them as `dataset`")
    sel = _inputs.select(dataset, sample_size, seed)
    if len(sel) == 0:
        raise ValueError("dataset is empty: nothing to profile")
    if task_spec.modality == "outputs":
        body = profile_predictions(sel, task_spec)
    else:
        body = profile_text(sel, task_spec) if task_spec.modality == "text" else profile_vision(sel, task_spec)
    profile = {
        "schema_version": SCHEMA_VERSION,
        "modality": task_spec.modality,
        "n_samples": len(sel),
        "n_total": sel.n_total,
        "sample_size": None if sample_size is None else int(sample_size),
        "seed": seed,
        "task": task_spec.to_dict(),
        **body,
        **(profile_outputs(sel, task_spec, predictions) if task_spec.modality != "outputs" else {}),
    }
    keep = task_spec.keep_examples if keep_examples is None else keep_examples
    if keep and task_spec.modality != "outputs":
        profile["examples"] = collect_examples(sel, task_spec, body.get("token_kind"))
    return profile


def merge_profiles(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Add two profiles of the same modality, as if the two datasets had been profiled together.

    With ``sample_size=None``, ``merge_profiles(profile(A), profile(B))`` equals ``profile(A + B)``
    for every count (sums of floats agree to rounding). Words profiles keep their
    ``MAX_KEPT_WORDS`` most frequent words; the rest is added to ``token_other_count``.

    Examples
    --------
    >>> spec = TaskSpec("text")
    >>> a = compute_dataset_profile([{"input_ids": [1, 1]}], spec)
    >>> b = compute_dataset_profile([{"input_ids": [2]}], spec)
    >>> m = merge_profiles(a, b)
    >>> m["n_samples"], m["token_values"], m["token_counts"]
    (2, [1, 2], [2, 1])
    """
    validate_profile(a, "first profile")
    validate_profile(b, "second profile")
    return merge_valid_profiles(a, b)


def merge_valid_profiles(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """:func:`merge_profiles` of two profiles known to be valid (made by this package in this
    process), without validating them again: ``profile_file`` merges one part per chunk, and
    validating the growing profile at every merge cost it a fifth of its time. Validate the result
    once at the end."""
    if a["modality"] != b["modality"]:
        raise ValueError(f"cannot merge a {a['modality']} profile with a {b['modality']} profile")
    body = {"text": merge_text, "vision": merge_vision}[a["modality"]](a, b) if a["modality"] != "outputs" else {}
    n_total = a["n_total"] + b["n_total"] if a["n_total"] is not None and b["n_total"] is not None else None
    task = a["task"] if a["task"] == b["task"] else {**a["task"], "num_classes": None}
    return {
        "schema_version": SCHEMA_VERSION,
        "modality": a["modality"],
        "n_samples": a["n_samples"] + b["n_samples"],
        "n_total": n_total,
        "sample_size": None if a["sample_size"] is None and b["sample_size"] is None else
        (a["sample_size"] or 0) + (b["sample_size"] or 0),
        "seed": a["seed"],
        "task": task,
        **body,
        **merge_outputs(a, b),
        **merge_examples(a, b),
    }
