import subprocess
import sys
from pathlib import Path


def test_import_drift_core_pulls_in_no_ui_or_pandas():
    code = "import sys, drift_core; print(' '.join(m for m in ('streamlit', 'plotly', 'pandas') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_public_api_is_declared_in_all():
    import drift_core

    for name in ("TaskSpec", "compute_dataset_profile", "merge_profiles", "compare_profiles", "validate_profile", "METRICS"):
        assert name in drift_core.__all__
        assert hasattr(drift_core, name)


def test_reading_csv_and_parquet_predictions_imports_no_pandas(tmp_path):
    """pyarrow's own numpy conversion imports pandas (0.3 to 0.7 s of a `drift profile` run)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = Path(__file__).resolve().parent.parent / "drift_core" / "demo_data"
    pq.write_table(pa.table({"prediction": [0, 2, 1, 1]}), tmp_path / "p.parquet")
    code = (
        "import sys\nfrom drift_core import TaskSpec\nfrom drift_core.io import profile_file\n"
        f"p = profile_file({str(data / 'text_batch_ok.jsonl')!r}, TaskSpec('text'),\n"
        f"                 predictions_path={str(data / 'text_batch_ok_predictions.csv')!r})\n"
        f"q = profile_file({str(tmp_path / 'p.parquet')!r}, TaskSpec('outputs'))\n"
        "print(sum(p['prediction_hist']), q['prediction_hist'], 'pandas' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[0] == "400 [1, 2, 1] False"
