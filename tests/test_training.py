"""`netdsl train` and `netdsl compare` on real CSV data (iris), trained for real."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import netdsl
from conftest import EXAMPLES, IRIS_CSV, run_cli
from netdsl.apps.training import prepare
from netdsl.data.spec import read_for
from netdsl.lang.diagnostics import SpecError

IRIS_HEADER = "sepal_length,sepal_width,petal_length,petal_width,species\n"


def iris_rows(n_per_class: int) -> str:
    lines = IRIS_CSV.read_text().splitlines()[1:]
    by_class: dict[str, list[str]] = {}
    for line in lines:
        by_class.setdefault(line.rsplit(",", 1)[1], []).append(line)
    return "".join(line + "\n" for rows in by_class.values() for line in rows[:n_per_class])


# ---- data problems: clear errors, exit 1, nothing written ---------------------------


@pytest.mark.parametrize(
    "csv, message",
    [
        ("", "the file is empty"),
        (IRIS_HEADER, "there is a header but no data rows"),
        (
            IRIS_HEADER + "5.1,3.5,1.4,0.2,setosa\n4.9,,1.4,0.2,setosa\n",
            "bad.csv:3: column 'sepal_width' is empty",
        ),
        (
            IRIS_HEADER + "5.1,3.5,1.4,0.2,setosa\n4.9,3.0,abc,0.2,setosa\n",
            "bad.csv:3: column 'petal_length' is not a number: 'abc'",
        ),
        (
            IRIS_HEADER + "5.1,3.5,1.4,0.2,setosa\n4.9,3.0,nan,0.2,setosa\n",
            "bad.csv:3: column 'petal_length' is missing on this row ('nan')",
        ),
        (IRIS_HEADER + "5.1,3.5,1.4,0.2,setosa\n4.9,3.0,1.4,0.2,\n", "bad.csv:3: column 'species' is empty"),
    ],
)
def test_data_errors(tmp_path, csv, message):
    data = tmp_path / "bad.csv"
    data.write_text(csv)
    out = tmp_path / "m.keras"
    r = run_cli(
        "train", EXAMPLES / "iris_dense.net", "--data", data, "-o", out, "--history", tmp_path / "h.json"
    )
    assert r.returncode == 1, r.stderr
    assert message in r.stderr and "Traceback" not in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]


@pytest.mark.parametrize(
    "csv, code, message",
    [
        (IRIS_HEADER + "5.1,3.5,1.4,0.2,setosa\n" * 10, "ND607", "has a single class ('setosa')"),
        (
            IRIS_HEADER + iris_rows(2),
            "ND608",
            "too few rows for a test split of 0.2: a class of 'species' has only 2 row(s)",
        ),
        (
            "sepal_length,sepal_width,petal_length,petal_widht,species\n1,2,3,4,a\n",
            "ND602",
            "did you mean 'petal_widht'?",
        ),
        (
            "sepal_length,sepal_width,petal_length,petal_width,specie\n1,2,3,4,a\n",
            "ND605",
            "did you mean 'specie'?",
        ),
        (
            IRIS_HEADER + iris_rows(10) + "1,1,1,1,fourth\n" * 5,
            "ND607",
            "output 'species' has 3 units but 'species' has 4 classes (fourth, setosa, versicolor, virginica)",  # noqa: E501
        ),
    ],
)
def test_binding_errors_are_diagnostics(tmp_path, csv, code, message):
    data = tmp_path / "d.csv"
    data.write_text(csv)
    r = run_cli("train", EXAMPLES / "iris_dense.net", "--data", data, "-o", tmp_path / "m.keras")
    assert r.returncode == 1, r.stderr
    assert f"error[{code}]" in r.stderr and message in r.stderr
    assert not (tmp_path / "m.keras").exists()


def test_missing_data_file_and_bad_options_are_usage_errors(tmp_path):
    r = run_cli("train", EXAMPLES / "iris_dense.net", "--data", tmp_path / "none.csv")
    assert r.returncode == 2 and "no such file" in r.stderr
    r = run_cli("train", EXAMPLES / "iris_dense.net", "--data", IRIS_CSV, "--test-size", "1.5")
    assert r.returncode == 2 and "between 0 and 1" in r.stderr
    r = run_cli("train", EXAMPLES / "iris_dense.net", "--data", IRIS_CSV, "--epochs", "0")
    assert r.returncode == 2 and "at least 1" in r.stderr
    r = run_cli("train", EXAMPLES / "iris_dense.net", "--data", IRIS_CSV, "-o", tmp_path / "m.h5")
    assert r.returncode == 2 and ".keras" in r.stderr


def test_spec_without_loss_cannot_train(spec):
    p = spec("input iris: [sepal_length, sepal_width]\noutput species = iris -> dense(3, softmax)\n")
    r = run_cli("train", p, "--data", IRIS_CSV)
    assert r.returncode == 1 and "error[ND510]" in r.stderr


# ---- binding, labels, split ------------------------------------------------------------


def _prepared(text: str, columns=None, test_size=0.2, seed=0):
    g = netdsl.loads(text, "t.net")
    prepared = prepare(g, read_for(g, IRIS_CSV, columns), columns)
    return g, (prepared.binding, prepared.inputs, prepared.targets, prepared.split(g, test_size, seed))


@pytest.mark.parametrize(
    "loss, width, check",
    [
        ("categorical_crossentropy", 3, lambda y: y.shape == (150, 3) and set(y.sum(axis=1)) == {1.0}),
        ("sparse_categorical_crossentropy", 3, lambda y: y.shape == (150,) and set(y.tolist()) == {0, 1, 2}),
    ],
)
def test_labels_are_encoded_as_the_loss_wants(loss, width, check):
    text = (
        "input iris: [sepal_length, sepal_width, petal_length, petal_width]\n"
        f"output species = iris -> dense({width}, softmax)\ncompile loss={loss}\n"
    )
    g, (binding, inputs, targets, split) = _prepared(text)
    assert check(targets["species"])
    assert binding.targets[0].classes == ["setosa", "versicolor", "virginica"]
    assert inputs["iris"].shape == (150, 4)
    np.testing.assert_array_equal(inputs["iris"][0], np.float32([5.1, 3.5, 1.4, 0.2]))


def test_regression_target_and_columns_option():
    text = "input x: 3\noutput petal_width = x -> dense(1)\ncompile loss=mse\n"
    with pytest.raises(SpecError) as info:
        _prepared(text)
    assert info.value.diagnostics[0].code == "ND606"
    g, (binding, inputs, targets, _) = _prepared(
        text, columns={"x": ["sepal_length", "sepal_width", "petal_length"]}
    )
    assert binding.inputs == {"x": ["sepal_length", "sepal_width", "petal_length"]}
    assert targets["petal_width"].shape == (150, 1) and targets["petal_width"][0, 0] == pytest.approx(0.2)


def test_stratified_seeded_split():
    text = (
        "input iris: [sepal_length, sepal_width, petal_length, petal_width]\n"
        "output species = iris -> dense(3, softmax)\ncompile loss=categorical_crossentropy\n"
    )
    _, (_, _, targets, split) = _prepared(text, test_size=0.2, seed=5)
    _, (_, _, _, again) = _prepared(text, test_size=0.2, seed=5)
    _, (_, _, _, other) = _prepared(text, test_size=0.2, seed=6)
    assert split.train == again.train and split.test == again.test and split.test != other.test
    assert len(split.test) == 30 and not set(split.train) & set(split.test)
    assert sorted(split.train + split.test) == list(range(150))
    classes = targets["species"].argmax(axis=1)
    assert np.bincount(classes[split.test]).tolist() == [10, 10, 10]


# ---- training for real --------------------------------------------------------------------


def test_standardize_adapts_on_the_training_split_only():
    result = netdsl.train(str(EXAMPLES / "standardized.net"), str(IRIS_CSV), epochs=1, seed=3)
    g = netdsl.load(str(EXAMPLES / "standardized.net"))
    prepared = prepare(g, read_for(g, IRIS_CSV))
    inputs, split = prepared.inputs, prepared.split(g, 0.2, 3)
    layer = result.model.get_layer("species_standardize_1")
    train_rows = inputs["iris"][split.train]
    np.testing.assert_allclose(np.asarray(layer.mean).ravel(), train_rows.mean(axis=0), rtol=1e-5)
    assert not np.allclose(np.asarray(layer.mean).ravel(), inputs["iris"].mean(axis=0), rtol=1e-5)


def test_two_seeded_runs_are_identical():
    a = netdsl.train(str(EXAMPLES / "iris_add.net"), str(IRIS_CSV), epochs=3, seed=11)
    b = netdsl.train(str(EXAMPLES / "iris_add.net"), str(IRIS_CSV), epochs=3, seed=11)
    for wa, wb in zip(a.model.get_weights(), b.model.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    assert a.history == b.history and a.test == b.test
    c = netdsl.train(str(EXAMPLES / "iris_add.net"), str(IRIS_CSV), epochs=3, seed=12)
    assert c.history != a.history


@pytest.mark.parametrize("name", ["iris_concat", "iris_add", "iris_dense", "iris_feature_groups"])
def test_examples_reach_90_percent_with_their_own_settings(name):
    g = netdsl.load(str(EXAMPLES / f"{name}.net"))
    assert netdsl.network(g).train.seed is not None, "the example fixes its seed"
    result = netdsl.train(g, str(IRIS_CSV))
    assert result.test["accuracy"] >= 0.9, result.test


def test_train_cli_writes_model_labels_and_history(tmp_path):
    out, hist = tmp_path / "m.keras", tmp_path / "h.json"
    r = run_cli(
        "train",
        EXAMPLES / "iris_feature_groups.net",
        "--data",
        IRIS_CSV,
        "--epochs",
        "2",
        "--seed",
        "4",
        "-o",
        out,
        "--history",
        hist,
    )
    assert r.returncode == 0, r.stderr
    assert "Epoch 1/" not in r.stdout  # no progress bar when not a terminal
    assert "seed 4" in r.stdout and "test: accuracy" in r.stdout
    record = json.loads(hist.read_text())
    assert record["classes"] == {"species": ["setosa", "versicolor", "virginica"]}
    assert record["settings"]["epochs"] == 2 and len(record["history"]["loss"]) == 2
    assert set(record["test"]) == {"accuracy", "loss"}
    assert json.loads((tmp_path / "m.labels.json").read_text()) == record["classes"]
    check = (
        "import json, sys, keras, numpy as np\nm = keras.models.load_model(sys.argv[1])\n"
        "x = {'iris': np.array([[5.1, 3.5, 1.4, 0.2]], dtype='float32')}\n"
        "print(json.dumps([int(i) for i in m.predict(x, verbose=0).argmax(1)]))"
    )
    loaded = subprocess.run([sys.executable, "-c", check, str(out)], capture_output=True, text=True)
    assert loaded.returncode == 0, loaded.stderr


def test_compare_table_json_and_plot(tmp_path):
    plot = tmp_path / "curves.png"
    args = [
        "compare",
        EXAMPLES / "iris_dense.net",
        EXAMPLES / "iris_add.net",
        "--data",
        IRIS_CSV,
        "--runs",
        "2",
        "--epochs",
        "2",
        "--quiet",
    ]
    r = run_cli(*args, "--plot", plot)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "2 specs on" in lines[0] and "2 runs" in lines[0]
    assert lines[1].split()[:4] == ["spec", "params", "test", "accuracy"]
    assert any(line.startswith(str(EXAMPLES / "iris_add.net")) and " 39 " in line for line in lines)
    assert plot.read_bytes().startswith(b"\x89PNG")
    r = run_cli(*args, "--json")
    report = json.loads(r.stdout)
    assert report["seeds"] == [0, 1]
    spec = {s["network"]: s for s in report["specs"]}
    assert spec["iris_add"]["params"] == 39 and len(spec["iris_add"]["test"]["accuracy"]["values"]) == 2
    m = spec["iris_dense"]["test"]["loss"]
    assert m["mean"] == pytest.approx(np.mean(m["values"]))


def test_matplotlib_only_for_plots(tmp_path):
    # With matplotlib made unimportable, train and compare work; only --plot
    # needs it, and then says so before training anything.
    block = "import sys\nsys.modules['matplotlib'] = None\nfrom netdsl.cli import main\n"
    args = f"[{str(EXAMPLES / 'iris_dense.net')!r}, '--data', {str(IRIS_CSV)!r}, '--epochs', '1'"
    code = block + f"print('rc', main(['compare', *{args}, '--runs', '1', '--quiet']]))\n"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stdout.strip().splitlines()[-1] == "rc 0", r.stdout + r.stderr
    code = block + f"print('rc', main(['compare', *{args}, '--plot', {str(tmp_path / 'c.png')!r}]]))\n"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stdout.strip().splitlines()[-1] == "rc 2" and "needs matplotlib" in r.stderr
    assert not (tmp_path / "c.png").exists()
