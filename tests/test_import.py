import subprocess
import sys


def test_import_drift_core_pulls_in_no_ui_or_pandas():
    code = "import sys, drift_core; print(' '.join(m for m in ('streamlit', 'plotly', 'pandas') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_public_api_is_declared_in_all():
    import drift_core

    for name in ("TaskSpec", "compute_dataset_profile", "merge_profiles", "compare_profiles", "validate_profile", "METRICS"):
        assert name in drift_core.__all__
        assert hasattr(drift_core, name)
