"""One model over several processes (data-parallel, Keras on JAX) or devices
(mirrored, TensorFlow). Servers on 127.0.0.1 only: JAX's coordinator binds the
address it is given, and its collectives follow it."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import numpy as np
import pytest

from conftest import EXAMPLES, IRIS_CSV, run_cli
from netdsl.apps.distributed import owners

PENGUINS_CSV = EXAMPLES / "data" / "penguins.csv"
PENGUINS_SPEC = (EXAMPLES / "penguins.net").read_text()
ARGS = [EXAMPLES / "iris_feature_groups.net", "--data", IRIS_CSV, "--epochs", "2", "--seed", "1", "--quiet"]


def test_each_process_feeds_its_slice_of_every_global_batch():
    # 23 rows in batch order, batches of 8: 8, 8, 6 fed (one row dropped: 23 is odd)
    p = owners(np.arange(23), 23, 8, 2)
    p0, p1 = np.flatnonzero(p == 0).tolist(), np.flatnonzero(p == 1).tolist()
    assert p0 == [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18]
    assert p1 == [4, 5, 6, 7, 12, 13, 14, 15, 19, 20, 21]
    assert p[22] == -1
    # the global batches rebuilt from the local ones are the batches of one process
    rebuilt = [p0[i : i + 4] + p1[i : i + 4] for i in (0, 4)] + [p0[8:] + p1[8:]]
    assert rebuilt == [list(range(0, 8)), list(range(8, 16)), list(range(16, 22))]
    # positions arrive piece by piece: the owners of a slice are those of the whole
    assert owners(np.arange(10, 23), 23, 8, 2).tolist() == p[10:].tolist()
    assert (owners(np.arange(23), 23, 8, 1) == 0).all()


def test_each_process_streams_only_its_rows():
    import netdsl
    from netdsl.apps.distributed import read_shard
    from netdsl.apps.streaming import prepare_stream

    g = netdsl.load(str(EXAMPLES / "iris_feature_groups.net"), data=str(IRIS_CSV), compiling=True)
    settings = {"seed": 1, "test_size": 0.2, "validation_split": 0.1}
    streamed = prepare_stream(g, str(IRIS_CSV), settings)
    one = read_shard(g, streamed, 16, 1, 0)
    two = [read_shard(g, streamed, 16, 2, i) for i in (0, 1)]
    assert one.rows == two[0].rows == {"train": 112, "validation": 12, "test": 26, "dropped": 0}
    (key,) = one.train[0]
    x1, (x0a, x0b) = one.train[0][key], (s.train[0][key] for s in two)
    assert len(x0a) == len(x0b) == 56 and len(two[0].validation[0][key]) == 6
    # the batches of one process are the two processes' slices side by side
    rebuilt = np.concatenate([np.concatenate([x0a[i : i + 8], x0b[i : i + 8]]) for i in range(0, 56, 8)])
    assert np.array_equal(rebuilt, x1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _netdsl(*args) -> list[str]:
    return [sys.executable, "-m", "netdsl", *map(str, args)]


def _launch(tmp_path, *train) -> tuple[list, subprocess.CompletedProcess]:
    """Two data-parallel processes on 127.0.0.1 writing p0/p1.keras, and one alone
    writing one.keras and one.json (run meanwhile)."""
    coordinator = f"127.0.0.1:{_free_port()}"
    dp = ["train", *train, "--distribute", "data-parallel"]
    procs = [
        subprocess.Popen(
            _netdsl(
                *dp,
                "--num-processes",
                2,
                "--process-id",
                i,
                "--coordinator",
                coordinator,
                "-o",
                tmp_path / f"p{i}.keras",
            ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in (0, 1)
    ]
    one = run_cli(*dp, "-o", tmp_path / "one.keras", "--history", tmp_path / "one.json")
    outs = [p.communicate(timeout=300) for p in procs]
    assert one.returncode == 0, one.stderr
    assert [p.returncode for p in procs] == [0, 0], [err[-2000:] for _, err in outs]
    return outs, one


def _saved(tmp_path) -> list:
    """p0, p1 and one.keras loaded by plain Keras on the TensorFlow backend, safe_mode on;
    p0 and p1 have identical weights, equal to one's."""
    import keras

    assert keras.backend.backend() == "tensorflow"
    models = [keras.saving.load_model(tmp_path / f"{n}.keras", safe_mode=True) for n in ("p0", "p1", "one")]
    w0, w1, w = (m.get_weights() for m in models)
    assert len(w0) == len(w1) == len(w) > 0
    assert all(np.array_equal(a, b) for a, b in zip(w0, w1))
    assert max(float(np.abs(a - b).max()) for a, b in zip(w0, w)) <= 1e-5
    return models


def test_two_processes_end_with_the_weights_of_one(tmp_path):
    pytest.importorskip("jax", reason="data-parallel needs the jax extra: pip install 'netdsl[jax]'")
    _launch(tmp_path, *ARGS)
    _saved(tmp_path)
    record = json.loads((tmp_path / "one.json").read_text())
    # the hashed split of the streamed reader (seed 1) of the 150 rows
    assert record["rows"] == {"train": 112, "validation": 12, "test": 26, "dropped": 0}
    assert len(record["history"]["val_loss"]) == 2


# penguins.net with an integer lookup (IntegerLookup) and a hash (Hashing) besides its string lookups
LOOKUPS_SPEC = (
    PENGUINS_SPEC.replace("sex: string}", "sex: string, year: int}")
    .replace(
        'sex_oh = penguin[sex] -> fill("unknown") -> one_hot',
        'sex_oh = penguin[sex] -> fill("unknown") -> one_hot\n'
        "year_oh = penguin[year] -> one_hot\n"
        "island_hash = penguin[island] -> hash(4, output_mode=one_hot)",
    )
    .replace(
        "concat(measures, island_oh, sex_oh)", "concat(measures, island_oh, sex_oh, year_oh, island_hash)"
    )
)


def test_the_cut_between_the_input_pipeline_and_the_trunk(tmp_path):
    import netdsl
    from netdsl.backends.input_pipeline import input_pipeline

    (tmp_path / "lookups.net").write_text(LOOKUPS_SPEC)
    g = netdsl.load(str(tmp_path / "lookups.net"), data=str(PENGUINS_CSV), compiling=True)
    cut = input_pipeline(g)
    assert cut is not None
    assert set(cut.pre) == {"island_oh", "sex_oh_fill_1", "sex_oh", "year_oh", "island_hash"}
    assert [(b.node, b.shape, b.dtype) for b in cut.boundary] == [
        ("island_oh", (4,), "float32"),
        ("sex_oh", (4,), "float32"),
        ("year_oh", (4,), "float32"),
        ("island_hash", (4,), "float32"),
    ]
    assert cut.raw == {"bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"}
    iris = netdsl.load(str(ARGS[0]), data=str(IRIS_CSV), compiling=True)
    assert input_pipeline(iris) is None  # nothing to cut: the model is trained whole


def test_lookups_run_in_the_input_pipeline(tmp_path):
    """String and integer lookups (StringLookup, IntegerLookup: TensorFlow only)
    and a hash run in tf.data, the rest under JAX; the saved model is the whole
    one, taking raw strings."""
    pytest.importorskip("jax", reason="data-parallel needs the jax extra: pip install 'netdsl[jax]'")
    import tensorflow as tf

    lines = PENGUINS_CSV.read_text().splitlines()
    data = tmp_path / "penguins.csv"
    data.write_text("\n".join(lines[:1] + lines[3::4]) + "\n")  # 86 rows, every species, gaps
    (tmp_path / "lookups.net").write_text(LOOKUPS_SPEC)
    _launch(tmp_path, tmp_path / "lookups.net", "--data", data, "--epochs", "2", "--quiet")
    models = _saved(tmp_path)
    record = json.loads((tmp_path / "one.json").read_text())
    assert record["rows"]["train"] % 2 == 0 and record["rows"]["dropped"] == 0  # the same batches
    assert set(record["test"]) == {"accuracy", "loss"}
    classes = {type(layer).__name__ for layer in models[0].layers}
    assert {"StringLookup", "IntegerLookup", "Hashing"} <= classes
    islands = {line.split(",")[1] for line in lines[3::4]}
    years = {int(line.split(",")[-1]) for line in lines[3::4]}
    for m in models:  # every process adapted the same vocabularies on the training rows
        assert m.get_layer("island_oh").get_vocabulary()[0] == "[UNK]"
        assert set(m.get_layer("island_oh").get_vocabulary()[1:]) == islands
        assert set(m.get_layer("year_oh").get_vocabulary()[1:]) == years
    for layer in ("island_oh", "sex_oh", "year_oh"):
        assert models[0].get_layer(layer).get_vocabulary() == models[2].get_layer(layer).get_vocabulary()
    rows = {
        "island": tf.constant([["Biscoe"], ["Atlantis"]]),  # an island never seen: out of vocabulary
        "sex": tf.constant([["male"], [""]]),  # a gap
        "year": tf.constant([[2008], [2031]], tf.int64),
        "bill_length_mm": tf.constant([[45.0], [float("nan")]]),
        "bill_depth_mm": tf.constant([[15.0], [18.0]]),
        "flipper_length_mm": tf.constant([[220.0], [190.0]]),
        "body_mass_g": tf.constant([[5000.0], [3500.0]]),
    }
    p0, _, one = (np.asarray(m(rows)) for m in models)
    assert p0.shape == (2, 3) and np.allclose(p0.sum(axis=1), 1.0) and np.isfinite(p0).all()
    assert np.abs(p0 - one).max() <= 1e-5


def test_mirrored_over_two_logical_cpus(tmp_path):
    r = run_cli(
        "train", *ARGS, "--distribute", "mirrored", "--replicas", "2", "--history", tmp_path / "h.json"
    )
    assert r.returncode == 0, r.stderr
    record = json.loads((tmp_path / "h.json").read_text())
    assert record["rows"]["replicas"] == 2 and set(record["test"]) == {"accuracy", "loss"}


def test_distribute_usage_errors(tmp_path):
    dp = ["train", *ARGS, "--distribute", "data-parallel"]
    r = run_cli(*dp, "--num-processes", "2")
    assert r.returncode == 2 and "needs --coordinator HOST:PORT" in r.stderr
    r = run_cli(*dp, "--num-processes", "2", "--process-id", "2", "--coordinator", "127.0.0.1:1")
    assert r.returncode == 2 and "must be from 0 to 1" in r.stderr
    r = run_cli(*dp, "--num-processes", "3", "--coordinator", "127.0.0.1:1")
    assert r.returncode == 2 and "batch size 16 is not a multiple of 3 processes" in r.stderr
    both = "both = penguin[island, sex] -> concat -> hash(8, output_mode=multi_hot)"
    spec = PENGUINS_SPEC.replace("island_oh = penguin[island] -> one_hot", both).replace("island_oh", "both")
    (tmp_path / "both.net").write_text(spec)
    r = run_cli("train", tmp_path / "both.net", "--data", PENGUINS_CSV, "--distribute", "data-parallel")
    assert r.returncode == 2, r.stderr
    assert "'both_concat_1' (concat, line 15) works on raw categories, which only lookup" in r.stderr
    with socket.create_server(("127.0.0.1", 0)) as busy:
        taken = f"127.0.0.1:{busy.getsockname()[1]}"
        r = run_cli(*dp, "--num-processes", "2", "--coordinator", taken)
    assert r.returncode == 2 and "process 0 cannot listen there" in r.stderr
