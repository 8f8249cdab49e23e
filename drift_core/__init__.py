"""Driftboard's engine: profile datasets, compare profiles, say ok / warn / alert.

Pure numpy/scipy: importing it never imports streamlit, plotly or pandas.
"""

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
