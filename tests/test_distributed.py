"""drift_core.distributed on a real distributed.LocalCluster (2 worker processes, shared by the module).

Equality with the single-process profile is exact for every count and histogram; sums of floats
(token share sums, pixel moments) are merged in another order and are compared to RTOL.
"""

from __future__ import annotations

import faulthandler
import json
import math
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from drift_core import DataFileError, TaskSpec, compare_profiles, compute_dataset_profile
from drift_core.cli import cli
from drift_core.distributed import (
    PartitionError,
    is_sharded,
    profile_dask,
    profile_shards,
    reduce_tree,
    sample_plan,
    shard_paths,
)
from drift_core.io import profile_file

#: Relative tolerance for float sums merged in another order than one pass does (measured: ~1e-15).
RTOL = 1e-12
NO_DASK = "dask[distributed] is not installed (pip install 'driftboard[dask]')"


#: No test of this module may take longer (two busy cores: generous, but bounded; a hung cluster
#: ends the test process with every thread's traceback instead of holding the suite forever).
TEST_TIMEOUT_S = 240


@pytest.fixture(autouse=True)
def _bounded_time() -> Iterator[None]:
    faulthandler.dump_traceback_later(TEST_TIMEOUT_S, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture(scope="module")
def forkserver() -> Iterator[None]:
    """Worker processes forked from one server that has imported distributed, numpy and pandas once,
    instead of each spawned afresh to import them (distributed's own test suite does the same): the
    module's cluster and the one `--scheduler local` starts fork from it (a third less CPU)."""
    pytest.importorskip("distributed", reason=NO_DASK)
    import dask

    with dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}):
        yield


@pytest.fixture(scope="module")
def client(forkserver: None) -> Iterator[Any]:
    import dask
    import distributed

    # Two busy cores: generous, bounded waits for the workers to come up.
    from drift_core.distributed import local_cluster

    # a distributed.LocalCluster of 2 worker processes with 1 thread each
    with dask.config.set({"distributed.comm.timeouts.connect": "60s"}), local_cluster(n_workers=2) as cluster, \
            distributed.Client(cluster, set_as_default=False, timeout="60s") as c:
        c.wait_for_workers(2, timeout=120)
        yield c


def _has_float(x: Any) -> bool:
    return isinstance(x, float) or (isinstance(x, list) and any(_has_float(v) for v in x))


def assert_same_profile(a: dict[str, Any], b: dict[str, Any]) -> None:
    """Equal keys; ints, strings and int lists (nested too) exactly; floats (nested too) to RTOL."""
    assert sorted(a) == sorted(b)
    for key in a:
        x, y = a[key], b[key]
        if isinstance(x, float) or isinstance(y, float):
            assert math.isclose(x, y, rel_tol=RTOL, abs_tol=1e-12), key
        elif isinstance(x, list) and x and (_has_float(x) or _has_float(y)):
            np.testing.assert_allclose(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64),
                                       rtol=RTOL, atol=1e-12, err_msg=key)
        else:
            assert x == y, key


def _ids_items(n: int, seed: int = 0) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    return [{"input_ids": rng.integers(0, 300, size=int(rng.integers(1, 40))).tolist(), "prediction": int(rng.integers(0, 3))}
            for _ in range(n)]


def _ids_frame(items: list[dict[str, Any]]) -> Any:
    import pandas as pd

    return pd.DataFrame({
        "input_ids": pd.Series([it["input_ids"] for it in items], dtype=pd.ArrowDtype(pa.list_(pa.int64()))),
        "prediction": [it["prediction"] for it in items],
    })


def _write_parquet_shards(folder: Path, items: list[dict[str, Any]], n_shards: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, part in enumerate(np.array_split(np.arange(len(items)), n_shards)):
        table = pa.table({"input_ids": pa.array([items[j]["input_ids"] for j in part], pa.list_(pa.int32())),
                          "prediction": pa.array([items[j]["prediction"] for j in part], pa.int64())})
        pq.write_table(table, folder / f"part-{i:03d}.parquet")


# -- equality with the single-process profile --------------------------------------------------------


def test_token_id_dataframe_profile_equals_single_process(client):
    dd = pytest.importorskip("dask.dataframe", reason=NO_DASK)
    items = _ids_items(3000)
    frame = _ids_frame(items)
    spec = TaskSpec("text", num_classes=3)
    got = profile_dask(dd.from_pandas(frame, npartitions=11), spec, sample_size=None, scheduler=client, split_every=3)
    assert_same_profile(got, compute_dataset_profile(frame, spec, sample_size=None))


def test_text_column_dataframe_profile_equals_single_process(client):
    dd = pytest.importorskip("dask.dataframe", reason=NO_DASK)
    import pandas as pd

    rng = np.random.default_rng(1)
    words = np.array(["the", "cat", "sat", "on", "a", "mat", "drift", "café's", "2"])
    texts = [" ".join(rng.choice(words, size=int(rng.integers(1, 12)))) for _ in range(2000)]
    frame = pd.DataFrame({"body": texts, "prediction": rng.integers(0, 2, size=2000)})
    spec = TaskSpec("text")
    got = profile_dask(dd.from_pandas(frame, npartitions=7), spec, sample_size=None, column="body", scheduler=client)
    expected = compute_dataset_profile(frame["body"], spec, sample_size=None, predictions=frame["prediction"].to_numpy())
    assert_same_profile(got, expected)


def test_bag_of_item_dicts_profile_equals_single_process(client):
    dbag = pytest.importorskip("dask.bag", reason=NO_DASK)
    items = _ids_items(1500, seed=2)
    spec = TaskSpec("text")
    got = profile_dask(dbag.from_sequence(items, npartitions=6), spec, sample_size=None, scheduler=client)
    assert_same_profile(got, compute_dataset_profile(items, spec, sample_size=None))


@pytest.mark.parametrize("layout", ["channels_first", "channels_last"])
def test_image_array_profile_equals_single_process(client, layout):
    da = pytest.importorskip("dask.array", reason=NO_DASK)
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, size=(600, 3, 12, 12), dtype=np.uint8)
    if layout == "channels_last":
        images = np.ascontiguousarray(images.transpose(0, 2, 3, 1))
    preds = rng.integers(0, 5, size=600)
    spec = TaskSpec("vision", num_classes=5)
    # chunked along the pixel axes too: the profiler rechunks to whole images
    data = da.from_array(images, chunks=(70, 3, 6, 12) if layout == "channels_first" else (70, 6, 12, 3))
    got = profile_dask(data, spec, sample_size=None, predictions=preds, scheduler=client)
    assert_same_profile(got, compute_dataset_profile(images, spec, sample_size=None, predictions=preds))


def test_prediction_array_outputs_profile_equals_single_process(client):
    da = pytest.importorskip("dask.array", reason=NO_DASK)
    classes = np.random.default_rng(4).integers(0, 7, size=50_000)
    spec = TaskSpec("outputs", num_classes=7)
    got = profile_dask(da.from_array(classes, chunks=6_000), spec, sample_size=None, scheduler=client)
    assert got["prediction_hist"] == np.bincount(classes, minlength=7).tolist()
    assert_same_profile(got, compute_dataset_profile(classes, spec, sample_size=None))


def test_sampled_dask_profile_is_the_single_process_sample(client):
    dd = pytest.importorskip("dask.dataframe", reason=NO_DASK)
    items = _ids_items(2500, seed=5)
    frame = _ids_frame(items)
    spec = TaskSpec("text", num_classes=3)
    got = profile_dask(dd.from_pandas(frame, npartitions=9), spec, sample_size=400, seed=11, scheduler=client)
    assert got["n_samples"] == 400 and got["n_total"] == 2500
    assert_same_profile(got, compute_dataset_profile(frame, spec, sample_size=400, seed=11))


# -- shards ------------------------------------------------------------------------------------------


def test_parquet_shard_folder_profile_equals_single_process(client, tmp_path):
    items = _ids_items(2400, seed=6)
    _write_parquet_shards(tmp_path / "shards", items, n_shards=10)
    spec = TaskSpec("text", num_classes=3)
    got = profile_shards(tmp_path / "shards", spec, sample_size=None, scheduler=client, split_every=4)
    expected = compute_dataset_profile(items, spec, sample_size=None)
    assert_same_profile(got, expected)


def test_npy_shard_glob_profile_equals_single_process(client, tmp_path):
    images = np.random.default_rng(7).random((500, 3, 8, 8)).astype(np.float32)
    for i, part in enumerate(np.array_split(images, 5)):
        np.save(tmp_path / f"images-{i}.npy", part)
    np.save(tmp_path / "other.npy", images[:3])  # not matched by the glob
    spec = TaskSpec("vision")
    got = profile_shards(str(tmp_path / "images-*.npy"), spec, sample_size=None, scheduler=client)
    assert_same_profile(got, compute_dataset_profile(images, spec, sample_size=None))


def test_jsonl_shards_on_the_cluster_equal_shards_in_process(client, tmp_path):
    items = _ids_items(900, seed=8)
    for i in range(3):
        (tmp_path / f"day-{i}.jsonl").write_text("".join(json.dumps(it) + "\n" for it in items[i * 300 : (i + 1) * 300]))
    spec = TaskSpec("text", num_classes=3)
    on_cluster = profile_shards(tmp_path, spec, sample_size=200, seed=3, scheduler=client)
    in_process = profile_shards(tmp_path, spec, sample_size=200, seed=3)
    assert on_cluster == in_process  # the same sample and the same merge tree, bit for bit
    assert in_process["n_samples"] == 200 and in_process["n_total"] == 900


def test_one_shard_takes_profile_files_own_sample(tmp_path):
    items = _ids_items(500, seed=9)
    (tmp_path / "one.jsonl").write_text("".join(json.dumps(it) + "\n" for it in items))
    spec = TaskSpec("text")
    assert profile_shards(tmp_path, spec, sample_size=50, seed=4) == profile_file(tmp_path / "one.jsonl", spec, sample_size=50, seed=4)


def test_a_shard_the_sample_takes_nothing_from_is_not_read(tmp_path):
    (tmp_path / "a-broken.jsonl").write_text('{"input_ids": [1, 2,\n')  # one record, invalid: fails if read
    (tmp_path / "b-big.txt").write_text("word\n" * 5000)
    plan = sample_plan([1, 5000], 5, seed=0)
    assert len(plan[0]) == 0  # this seed takes nothing from the broken shard
    assert profile_shards(tmp_path, TaskSpec("text"), sample_size=5, seed=0)["n_samples"] == 5
    with pytest.raises(DataFileError, match="a-broken.jsonl: line 1: invalid JSON"):
        profile_shards(tmp_path, TaskSpec("text"), sample_size=None)


def test_bad_shard_error_names_the_shard_and_line(client, tmp_path):
    items = _ids_items(60, seed=10)
    for i in range(4):
        lines = [json.dumps(it) for it in items[i * 15 : (i + 1) * 15]]
        if i == 2:
            lines[4] = '{"input_ids": [1, 2,'
        (tmp_path / f"part-{i}.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataFileError) as e:
        profile_shards(tmp_path, TaskSpec("text"), sample_size=None, scheduler=client)
    assert Path(e.value.path) == tmp_path / "part-2.jsonl"
    assert e.value.line == 5 and "invalid JSON" in e.value.reason
    assert str(e.value).startswith(f"{tmp_path / 'part-2.jsonl'}: line 5: invalid JSON")


def test_bad_item_error_names_the_partition_and_item(client):
    da = pytest.importorskip("dask.array", reason=NO_DASK)
    images = np.random.default_rng(11).random((40, 3, 4, 4))
    images[27, 1, 2, 2] = np.nan  # partition 2 (rows 20-29), its item 7
    with pytest.raises(PartitionError) as e:
        profile_dask(da.from_array(images, chunks=(10, 3, 4, 4)), TaskSpec("vision"), sample_size=None, scheduler=client)
    assert (e.value.partition, e.value.item) == (2, 7)
    assert str(e.value).startswith("partition 2: item 7:") and "NaN" in str(e.value)


def test_dataframe_of_stringified_id_lists_is_a_clear_error():
    dd = pytest.importorskip("dask.dataframe", reason=NO_DASK)
    import pandas as pd

    frame = dd.from_pandas(pd.DataFrame({"input_ids": ["[1, 2]", "[3]"]}), npartitions=1)
    with pytest.raises(ValueError, match="column 'input_ids' holds strings, not lists of token ids"):
        profile_dask(frame, TaskSpec("text"), sample_size=None, scheduler="sync")


@pytest.mark.parametrize("kwargs, message", [
    ({"seed": -1}, "seed must be a non-negative int"),
    ({"seed": 1.5}, "seed must be a non-negative int"),
    ({"split_every": 1}, "split_every must be an int >= 2"),
    ({"sample_size": 0}, "sample_size must be a positive int or None"),
], ids=["negative-seed", "float-seed", "split-every-1", "sample-size-0"])
def test_bad_arguments_are_refused_before_any_shard_is_read(tmp_path, kwargs, message):
    with pytest.raises((TypeError, ValueError), match=message):
        profile_shards(tmp_path / "missing-*.parquet", TaskSpec("text"), **kwargs)


def test_empty_glob_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no files match .*nothing-\*\.parquet"):
        shard_paths(str(tmp_path / "nothing-*.parquet"))


def test_a_folder_of_images_is_not_sharded_and_a_folder_of_npy_is(tmp_path):
    (tmp_path / "imgs").mkdir()
    (tmp_path / "imgs" / "a.png").write_bytes(b"")
    (tmp_path / "arrays").mkdir()
    np.save(tmp_path / "arrays" / "a.npy", np.zeros((1, 2, 2)))
    assert (is_sharded(tmp_path / "imgs"), is_sharded(tmp_path / "arrays")) == (False, True)


# -- sampling is uniform across partitions -----------------------------------------------------------


def _within_binomial_bound(counts: np.ndarray, shares: np.ndarray, k: int, n_total: int, z: float = 4.5) -> None:
    """Each count against its hypergeometric mean k q, within z standard deviations."""
    sd = np.sqrt(k * shares * (1 - shares) * (n_total - k) / (n_total - 1))
    assert np.all(np.abs(counts - k * shares) <= z * sd + 1), (counts.tolist(), (k * shares).round(1).tolist())


def test_sample_of_lopsided_partitions_is_uniform_on_the_cluster(client):
    da = pytest.importorskip("dask.array", reason=NO_DASK)
    sizes = [40, 400, 16_000, 4_000, 1_560]
    # class = 4 * partition + the quarter of the partition the item is in: a uniform sample takes
    # each class in proportion to its size, across partitions and within each.
    classes = np.concatenate([4 * p + (np.arange(n) * 4 // n) for p, n in enumerate(sizes)])
    k, n_total = 2_000, sum(sizes)
    spec = TaskSpec("outputs", num_classes=4 * len(sizes))
    got = profile_dask(da.from_array(classes, chunks=(tuple(sizes),)), spec, sample_size=k, seed=12, scheduler=client)
    counts = np.asarray(got["prediction_hist"])
    assert counts.sum() == k and got["n_total"] == n_total
    _within_binomial_bound(counts, np.bincount(classes, minlength=4 * len(sizes)) / n_total, k, n_total)
    _within_binomial_bound(counts.reshape(-1, 4).sum(1), np.asarray(sizes) / n_total, k, n_total)


def test_sample_of_lopsided_shards_is_uniform_on_the_cluster(client, tmp_path):
    sizes = [20, 3_000, 200, 6_000]
    for p, n in enumerate(sizes):  # one word per line: "s<shard>q<quarter of the shard>"
        (tmp_path / f"shard-{p}.txt").write_text("".join(f"s{p}q{i * 4 // n}\n" for i in range(n)))
    k, n_total = 1_500, sum(sizes)
    got = profile_shards(tmp_path, TaskSpec("text"), sample_size=k, seed=13, scheduler=client)
    found = dict(zip(got["token_values"], got["token_counts"], strict=True))
    names = [f"s{p}q{q}" for p in range(len(sizes)) for q in range(4)]
    counts = np.array([found.get(w, 0) for w in names])
    shares = np.concatenate([np.bincount(np.arange(n) * 4 // n, minlength=4) for n in sizes]) / n_total
    assert counts.sum() == k and math.isclose(shares.sum(), 1.0)
    _within_binomial_bound(counts, shares, k, n_total)


def test_sample_plan_shares_match_partition_sizes_over_many_seeds():
    sizes = np.array([3, 30, 300, 3_000, 30_000, 7])
    k, seeds = 100, 400
    counts = np.array([[len(p) if p is not None else 0 for p in sample_plan(sizes, k, s)] for s in range(seeds)])
    assert np.all(counts.sum(1) == k)
    expected = seeds * k * sizes / sizes.sum()
    chi2 = float((((counts.sum(0) - expected) ** 2) / expected).sum())
    assert chi2 < 20.5  # chi-square, 5 degrees of freedom: p = 0.001
    # within a partition, every position is as likely: the 300-item partition's positions by tenth
    tenths = np.bincount(np.concatenate([sample_plan(sizes, k, s)[2] // 30 for s in range(seeds)]), minlength=10)
    assert float((((tenths - tenths.mean()) ** 2) / tenths.mean()).sum()) < 27.9  # 9 dof, p = 0.001


def test_reduce_tree_groups_like_dask_bag_reduction():
    dbag = pytest.importorskip("dask.bag", reason=NO_DASK)
    ours = reduce_tree(20, lambda i: i, tuple, split_every=3)
    dasks = dbag.from_sequence(range(20), npartitions=20).reduction(lambda part: next(iter(part)), tuple, split_every=3).compute(scheduler="sync")
    assert ours == dasks


# -- the CLI and the import ----------------------------------------------------------------------------


def test_cli_profile_shard_folder_on_a_running_scheduler(client, tmp_path):
    items = _ids_items(800, seed=14)
    _write_parquet_shards(tmp_path / "ref", items, n_shards=4)
    out = tmp_path / "p.json"
    res = CliRunner().invoke(cli, ["profile", str(tmp_path / "ref"), "--scheduler", client.scheduler.address,
                                   "--sample-size", "all", "--out", str(out)])
    assert res.exit_code == 0, res.output
    spec = TaskSpec("text")
    assert json.loads(out.read_text()) == profile_shards(tmp_path / "ref", spec, sample_size=None)


def test_cli_compare_shard_globs_on_a_running_scheduler(client, tmp_path):
    ref, new = _ids_items(600, seed=15), _ids_items(600, seed=16)
    for it in new:
        it["input_ids"] = it["input_ids"] * 3  # three times longer: an alert
    _write_parquet_shards(tmp_path / "ref", ref, n_shards=3)
    _write_parquet_shards(tmp_path / "new", new, n_shards=3)
    args = ["compare", str(tmp_path / "ref" / "*.parquet"), str(tmp_path / "new" / "*.parquet"), "--sample-size", "all",
            "--json", "--scheduler", client.scheduler.address]
    res = CliRunner().invoke(cli, args)
    spec = TaskSpec("text")
    expected = compare_profiles(compute_dataset_profile(ref, spec, sample_size=None),
                                compute_dataset_profile(new, spec, sample_size=None))
    assert res.exit_code == 2, res.output
    scores = {name: m["score"] for name, m in json.loads(res.output)["result"]["metrics"].items()}
    assert scores == pytest.approx({name: m["score"] for name, m in expected["metrics"].items()}, rel=1e-9)


def test_cli_scheduler_local_starts_a_cluster_for_the_command(forkserver, tmp_path):
    pytest.importorskip("distributed", reason=NO_DASK)
    images = np.random.default_rng(18).integers(0, 256, size=(90, 3, 6, 6), dtype=np.uint8)
    for i, part in enumerate(np.array_split(images, 3)):
        np.save(tmp_path / f"im-{i}.npy", part)
    res = CliRunner().invoke(cli, ["profile", str(tmp_path), "--scheduler", "local", "--sample-size", "all"])
    assert res.exit_code == 0, res.output
    assert_same_profile(json.loads(res.output), compute_dataset_profile(images, TaskSpec("vision"), sample_size=None))


def test_cli_scheduler_profiles_a_single_file_on_a_worker(client, tmp_path):
    items = _ids_items(200, seed=19)
    (tmp_path / "batch.jsonl").write_text("".join(json.dumps(it) + "\n" for it in items))
    res = CliRunner().invoke(cli, ["profile", str(tmp_path / "batch.jsonl"), "--scheduler", client.scheduler.address,
                                   "--sample-size", "50", "--seed", "3"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output) == profile_file(tmp_path / "batch.jsonl", TaskSpec("text"), sample_size=50, seed=3)


def test_cli_profile_shards_without_a_scheduler_merges_in_process(tmp_path):
    items = _ids_items(300, seed=17)
    _write_parquet_shards(tmp_path / "s", items, n_shards=3)
    res = CliRunner().invoke(cli, ["profile", str(tmp_path / "s" / "part-*.parquet"), "--sample-size", "all"])
    assert res.exit_code == 0, res.output
    assert_same_profile(json.loads(res.output), compute_dataset_profile(items, TaskSpec("text"), sample_size=None))


def test_cli_scheduler_with_predictions_file_is_a_usage_error(tmp_path):
    _write_parquet_shards(tmp_path / "s", _ids_items(30), n_shards=2)
    res = CliRunner().invoke(cli, ["profile", str(tmp_path / "s"), "--predictions", str(tmp_path / "p.csv")])
    assert res.exit_code == 3
    assert "cannot be used with shards" in res.output


def test_import_drift_core_and_its_cli_does_not_import_dask():
    code = ("import sys, drift_core, drift_core.cli, drift_core.distributed; "
            "print(' '.join(m for m in ('dask', 'distributed') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == ""
