"""Driftboard's engine: profile datasets, compare profiles, say ok / warn / alert.

Pure numpy/scipy: importing it never imports streamlit, plotly or pandas. The public names are
imported on first use (PEP 562 ``__getattr__``), so ``import drift_core`` costs next to nothing
and a command that only compares stored profiles never loads the file readers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: Public name -> the module that defines it.
_EXPORTS = {
    "InputError": "_validate",
    "MIN_ITEMS": "compare",
    "compare_profiles": "compare",
    "js_distance": "divergence",
    "kl_bits": "divergence",
    "profile_dask": "distributed",
    "profile_shards": "distributed",
    "DataFileError": "io",
    "profile_file": "io",
    "METRICS": "metrics",
    "MetricInfo": "metrics",
    "expected_metrics": "metrics",
    "metric_info": "metrics",
    "compute_dataset_profile": "profile",
    "merge_profiles": "profile",
    "SCHEMA_VERSION": "schema",
    "validate_profile": "schema",
    "TaskSpec": "spec",
    "Status": "status",
    "classify": "status",
    "ExperimentDB": "store",
    "StoreError": "store",
    "token_share_changes": "text",
    "words": "tokenize",
}

__all__ = [
    "METRICS",
    "DataFileError",
    "ExperimentDB",
    "InputError",
    "StoreError",
    "MIN_ITEMS",
    "SCHEMA_VERSION",
    "MetricInfo",
    "Status",
    "TaskSpec",
    "classify",
    "compare_profiles",
    "compute_dataset_profile",
    "expected_metrics",
    "js_distance",
    "kl_bits",
    "merge_profiles",
    "metric_info",
    "profile_dask",
    "profile_file",
    "profile_shards",
    "token_share_changes",
    "validate_profile",
    "words",
]


def __getattr__(name: str) -> Any:
    """A public name's value, imported from its module on first use (then cached here)."""
    module = _EXPORTS.get(name)
    if module is None:
        try:  # a submodule, e.g. ``drift_core.io`` after a bare ``import drift_core``
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:
    from ._validate import InputError
    from .compare import MIN_ITEMS, compare_profiles
    from .distributed import profile_dask, profile_shards
    from .divergence import js_distance, kl_bits
    from .io import DataFileError, profile_file
    from .metrics import METRICS, MetricInfo, expected_metrics, metric_info
    from .profile import compute_dataset_profile, merge_profiles
    from .schema import SCHEMA_VERSION, validate_profile
    from .spec import TaskSpec
    from .status import Status, classify
    from .store import ExperimentDB, StoreError
    from .text import token_share_changes
    from .tokenize import words
