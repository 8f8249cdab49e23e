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


def test_reading_csv_and_parquet_predictions_imports_no_pandas(tmp_path):
    """pyarrow's own numpy conversion imports pandas (0.3 to 0.7 s of a `drift profile` run)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "p.csv").write_text("id,prediction\n1,0\n2,2\n3,1\n")
    pq.write_table(pa.table({"prediction": [0, 2, 1, 1]}), tmp_path / "p.parquet")
    code = (
        "import sys\nfrom drift_core.io import read_predictions\n"
        f"print(read_predictions({str(tmp_path / 'p.csv')!r}).tolist(), read_predictions({str(tmp_path / 'p.parquet')!r}).tolist(),\n"
        "      'pandas' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[0] == "[0, 2, 1] [0, 2, 1, 1] False"


def test_opening_a_db_imports_no_pandas_and_leaves_pandas_importable(tmp_path):
    """sqlite_utils imports pandas when it can (0.3 s of every `drift compare --db`), for values the
    store never writes."""
    code = (
        "import sys\nfrom drift_core import ExperimentDB\n"
        f"db = ExperimentDB({str(tmp_path / 'runs.db')!r})\n"
        "print('pandas' in sys.modules, db.list_runs())\n"
        "import pandas\nprint(pandas.DataFrame({'a': [1]}).shape)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["False []", "(1, 1)"]
