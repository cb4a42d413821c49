"""Many runs: stratified k-fold, the local process pool and Ray Tune; the same
seeds give the same numbers on every executor."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import EXAMPLES, IRIS_CSV, ROOT, run_cli
from netdsl.apps.folds import stratified_folds
from netdsl.apps.runner import make_task, run_all

SPEC = EXAMPLES / "iris_add.net"
SETTINGS = ["--runs", "2", "--folds", "2", "--epochs", "2", "--json", "--quiet"]


def test_stratified_folds_partition_the_rows_and_keep_class_shares():
    labels = np.repeat([0, 1, 2], [50, 30, 20])
    folds = stratified_folds(labels, 100, 5, seed=3)
    tests = [test for _, test in folds]
    assert sorted(sum(tests, [])) == list(range(100))  # every row tested exactly once
    for train, test in folds:
        assert not set(train) & set(test) and len(train) + len(test) == 100
        assert np.bincount(labels[test]).tolist() == [10, 6, 4]
    assert stratified_folds(labels, 100, 5, seed=3) == folds
    assert [test for _, test in stratified_folds(labels, 100, 5, seed=4)] != tests
    uneven = stratified_folds(np.repeat([0, 1], [7, 4]), 11, 3, seed=0)
    assert sorted(len(test) for _, test in uneven) == [3, 4, 4]


def test_fold_and_executor_errors(tmp_path):
    lines = IRIS_CSV.read_text().splitlines()
    small = tmp_path / "small.csv"
    small.write_text("\n".join(lines[:4] + lines[51:55] + lines[101:105]) + "\n")  # 3, 4, 4 rows
    r = run_cli("compare", SPEC, "--data", small, "--folds", "4", "--epochs", "1", "--runs", "1")
    assert r.returncode == 1 and "error[ND608]" in r.stderr
    assert "too few rows for 4 folds: a class of 'species' has only 3 row(s)" in r.stderr
    assert "use at most --folds 3" in r.stderr
    r = run_cli("compare", SPEC, "--data", IRIS_CSV, "--folds", "1")
    assert r.returncode == 2 and "at least 2" in r.stderr
    r = run_cli("compare", SPEC, "--data", IRIS_CSV, "--jobs", "2", "--ray", "127.0.0.1:1")
    assert r.returncode == 2 and "--jobs and --ray exclude each other" in r.stderr


@pytest.fixture(scope="module")
def sequential():
    """The same runs in this process, one after another: seeds 0-1 x folds 1-2."""
    tasks = [
        make_task(SPEC, IRIS_CSV, {"epochs": 2, "seed": seed}, fold=(i, 2))
        for seed in (0, 1)
        for i in range(2)
    ]
    results = run_all(tasks, jobs=1)
    return {
        "accuracy": [r.test["accuracy"] for r in results],
        "loss": [r.test["loss"] for r in results],
        "val_loss": [r.history["val_loss"] for r in results],
    }


def _values(report: dict) -> dict:
    spec = report["specs"][0]
    return {m: spec["test"][m]["values"] for m in ("accuracy", "loss")}


def test_pool_gives_the_sequential_numbers(sequential):
    r = run_cli("compare", SPEC, "--data", IRIS_CSV, *SETTINGS, "--jobs", "2")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["folds"] == 2 and report["seeds"] == [0, 1]
    assert report["processes"] == 2  # 4 runs, 2 workers: TensorFlow imported once per worker
    assert _values(report) == {"accuracy": sequential["accuracy"], "loss": sequential["loss"]}
    assert len(set(sequential["loss"])) == 4  # four different runs, not one repeated


def test_ray_gives_the_sequential_numbers(sequential):
    pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'netdsl[ray]'")
    sys.path.insert(0, str(ROOT / "tests"))
    import ray_cluster

    problem = ray_cluster.namespace_problem()
    if problem:
        pytest.skip(f"Ray runs only inside a loopback-only network namespace here: {problem}")
    netdsl = [sys.executable, "-m", "netdsl", "compare", str(SPEC), "--data", str(IRIS_CSV), *SETTINGS]
    command = [sys.executable, str(ROOT / "tests" / "ray_cluster.py"), "--", *netdsl, "--ray", "{address}"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run(
        ray_cluster.namespace_command(command), capture_output=True, text=True, timeout=600, env=env
    )
    assert r.returncode == 0, r.stderr[-3000:]
    report = json.loads(r.stdout)
    assert _values(report) == {"accuracy": sequential["accuracy"], "loss": sequential["loss"]}
    assert report["processes"] <= 2  # Tune reuses its 2 actors (2 CPUs): one TensorFlow import each
