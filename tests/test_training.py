"""`netdsl train` and `netdsl compare` on real CSV data (iris), trained for real."""

from __future__ import annotations

import json
import re
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
            "bad.csv:3:5: error[ND621]: column 'sepal_width' is empty",
        ),
        (
            IRIS_HEADER + "5.1,3.5,1.4,0.2,setosa\n4.9,3.0,abc,0.2,setosa\n",
            "bad.csv:3:9: error[ND609]: column 'petal_length' is not a number: 'abc'",
        ),
        (
            IRIS_HEADER + "5.1,3.5,1.4,0.2,setosa\n4.9,3.0,nan,0.2,setosa\n",
            "bad.csv:3:9: error[ND621]: column 'petal_length' is missing on this row ('nan')",
        ),
        (
            IRIS_HEADER + "5.1,3.5,1.4,0.2,setosa\n4.9,3.0,1.4,0.2,\n",
            "bad.csv:3:17: error[ND609]: column 'species' is empty",
        ),
    ],
)
def test_data_errors(tmp_path, csv, message):
    # Messages point into the data file with a code (they read "bad.csv:3: column ..." before
    # CSV errors had codes and columns).
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


# ---- labels, --columns, splits (issues 10.9, 10.12, 17.14) ----------------------------------

FEATURES = "input iris: [sepal_length, sepal_width, petal_length, petal_width]\n"
CLASSIFIER = (
    FEATURES + "output {out} = iris -> dense({units}, softmax)\ncompile loss=categorical_crossentropy\n"
)
REGRESSION = (
    "input iris: [sepal_length, sepal_width, petal_length]\noutput petal_width = iris -> dense(1)\n"
    "compile loss=mse optimizer=adam metrics=[mae, poisson]\n"
)


def test_line_breaks_inside_quoted_labels_keep_classes_apart(tmp_path):
    data = tmp_path / "d.csv"
    rows = [("p\nq", 4), ("pq", 4), ("p\u2028q", 4)]
    body = "".join(f'{i},{i},{i},{i},"{label}"\n' for label, n in rows for i in range(1, n + 1))
    data.write_text(IRIS_HEADER + body, encoding="utf-8")
    g = netdsl.loads(CLASSIFIER.format(out="species", units=3), "t.net")
    prepared = prepare(g, read_for(g, data))
    assert prepared.binding.targets[0].classes == ["p\nq", "pq", "p\u2028q"]
    assert prepared.targets["species"].sum(axis=0).tolist() == [4.0, 4.0, 4.0]


def test_columns_binds_outputs_too(tmp_path):
    g = netdsl.loads(CLASSIFIER.format(out="label", units=3), "t.net")
    prepared = prepare(g, read_for(g, IRIS_CSV, {"label": ["species"]}), {"label": ["species"]})
    target = prepared.binding.targets[0]
    assert (target.output, target.column) == ("label", "species")
    assert prepared.targets["label"].shape == (150, 3)
    p = tmp_path / "label.net"
    p.write_text(CLASSIFIER.format(out="label", units=3))
    r = run_cli("train", p, "--data", IRIS_CSV, "--columns", "lable=species", timeout=60)
    assert r.returncode == 2 and "the spec has no input or output 'lable'; did you mean 'label'?" in r.stderr
    r = run_cli("train", p, "--data", IRIS_CSV, "--columns", "label=species,petal_width", timeout=60)
    assert r.returncode == 2 and "an output learns one label column, got 2" in r.stderr
    r = run_cli("train", p, "--data", IRIS_CSV, "--columns", "label=specie", timeout=60)
    assert r.returncode == 1 and "error[ND605]" in r.stderr and "did you mean 'species'?" in r.stderr


def test_a_numeric_target_with_a_categorical_loss_suggests_a_regression(tmp_path):
    p = tmp_path / "pw.net"
    p.write_text(
        "input iris: [sepal_length, sepal_width, petal_length]\n"
        "output petal_width = iris -> dense(3, softmax)\ncompile loss=categorical_crossentropy\n"
    )
    r = run_cli("train", p, "--data", IRIS_CSV, timeout=60)
    assert r.returncode == 1 and "error[ND607]" in r.stderr
    assert (
        "'petal_width' looks numeric (22 distinct values such as 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, ...)"
        in r.stderr
    )
    assert (
        "use a regression loss such as loss=mse" in r.stderr and "softmax)" not in r.stderr.split("help:")[1]
    )


def test_too_small_classes_are_named_with_what_would_work(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text(IRIS_HEADER + iris_rows(10) + "1,1,1,1,pair\n2,2,2,2,pair\n")
    p = tmp_path / "four.net"
    p.write_text(CLASSIFIER.format(out="species", units=4))
    r = run_cli("train", p, "--data", data, timeout=60)
    assert r.returncode == 1 and "error[ND608]" in r.stderr
    assert "a class of 'species' has only 2 row(s) (too small: 'pair': 2)" in r.stderr
    assert "each class needs at least 3 rows" in r.stderr
    assert "test_size from 0.26 to 0.74 would work with these rows" in r.stderr
    data.write_text(IRIS_HEADER + iris_rows(10) + "1,1,1,1,lonely\n")
    r = run_cli("train", p, "--data", data, timeout=60)
    assert "(too small: 'lonely': 1)" in r.stderr and "no test_size works" in r.stderr
    assert "--test-size 0" in r.stderr


def test_accuracy_on_a_regression_is_a_warning(tmp_path):
    p = tmp_path / "r.net"
    p.write_text(REGRESSION.replace("[mae, poisson]", "[accuracy]"))
    r = run_cli("check", p)
    assert r.returncode == 0
    assert "warning[ND512]: metric 'accuracy' counts correct classes, but mse trains a regression" in r.stderr


def test_a_regression_on_every_row_skips_evaluation_writes_no_labels_and_null_for_nan(tmp_path):
    p = tmp_path / "r.net"
    p.write_text(REGRESSION)
    out, hist = tmp_path / "m.keras", tmp_path / "h.json"
    r = run_cli(
        "train",
        p,
        "--data",
        IRIS_CSV,
        "--epochs",
        "1",
        "--seed",
        "0",
        "--test-size",
        "0",
        "-o",
        out,
        "--history",
        hist,
    )
    assert r.returncode == 0, r.stderr
    assert "150 training rows, no test rows, 1 epoch, batch size 32" in r.stdout
    assert "test: skipped (test size 0" in r.stdout
    assert "estimated memory" in r.stderr  # reported before training
    assert out.is_file() and not (tmp_path / "m.labels.json").exists() and "no label mapping" in r.stdout
    record = json.loads(hist.read_text(), parse_constant=_refuse_nan)  # strict JSON: no bare NaN
    assert record["test"] == {} and record["classes"] == {}
    assert record["history"]["poisson"] == [None]  # log of a negative prediction: NaN, written null


def _refuse_nan(token):
    raise ValueError(f"not JSON: {token}")


# ---- metrics (issue 10.10): every metric check accepts trains, evaluates and is reported ------


def _metric_groups():
    from netdsl.ir.settings import METRICS, metric_problem

    for loss, out, units in [
        ("categorical_crossentropy", "species", "3, softmax"),
        ("sparse_categorical_crossentropy", "species", "3, softmax"),
        ("mse", "petal_width", "1"),
    ]:
        fine = [m for m in METRICS if (metric_problem(m, loss) or ("warning",))[0] == "warning"]
        yield loss, out, units, fine


def test_every_metric_trains_evaluates_and_is_reported():
    from netdsl.data import arrow
    from netdsl.ir.settings import METRICS

    numbers = {c: arrow.FLOAT for c in ("sepal_length", "sepal_width", "petal_length")}
    kinds = {**numbers, "petal_width": arrow.LABEL, "species": arrow.LABEL}  # labels: read as text
    table = arrow.read_table(str(IRIS_CSV), kinds).take(range(0, 150, 3))  # 50 rows
    covered = set()
    for loss, out, units, metrics in _metric_groups():
        features = "[sepal_length, sepal_width, petal_length]" if out == "petal_width" else "[sepal_length]"
        text = (
            f"input iris: {features}\noutput {out} = iris -> dense({units})\n"
            f"compile loss={loss} metrics=[{', '.join(metrics)}]\n"
        )
        result = netdsl.train(netdsl.loads(text, "m.net"), table, epochs=1, seed=0)
        for m in metrics:
            value = result.test[m]
            assert isinstance(value, float) or all(isinstance(v, float) for v in value), (m, value)
            assert len(result.history[m]) == 1, m
        json.dumps(result.summary())  # JSON-ready: floats and lists
        covered |= set(metrics)
    assert covered == set(METRICS)
    assert isinstance(result.test["mae"], float)


def test_check_refuses_a_metric_the_loss_labels_cannot_feed(tmp_path):
    p = tmp_path / "s.net"
    p.write_text(
        CLASSIFIER.format(out="species", units=3).replace(
            "loss=categorical_crossentropy",
            "loss=sparse_categorical_crossentropy metrics=[f1_score, categorical_accuracy]",
        )
    )
    r = run_cli("check", p)
    assert r.returncode == 1
    assert "error[ND511]: metric 'f1_score' needs one column per class" in r.stderr
    assert "help: use 'sparse_categorical_accuracy'" in r.stderr


def test_train_cli_reports_per_class_metrics_as_lists(tmp_path):
    p = tmp_path / "f1.net"
    p.write_text(
        CLASSIFIER.format(out="species", units=3).replace("crossentropy", "crossentropy metrics=[f1_score]")
    )
    hist = tmp_path / "h.json"
    r = run_cli("train", p, "--data", IRIS_CSV, "--epochs", "1", "--seed", "0", "--history", hist)
    assert r.returncode == 0, r.stderr
    assert re.search(r"test: f1_score \[\d\.\d{4}, \d\.\d{4}, \d\.\d{4}\], loss \d", r.stdout), r.stdout
    record = json.loads(hist.read_text())
    assert len(record["test"]["f1_score"]) == 3 and len(record["history"]["f1_score"][0]) == 3


# ---- diverging training (issue 17.16) ------------------------------------------------------------


def test_a_loss_that_becomes_nan_stops_training_with_exit_1(tmp_path):
    p = tmp_path / "blowup.net"
    p.write_text(REGRESSION.replace("optimizer=adam", "optimizer=sgd(learning_rate=1e30)"))
    out = tmp_path / "m.keras"
    r = run_cli("train", p, "--data", IRIS_CSV, "--epochs", "50", "--seed", "0", "-o", out)
    assert r.returncode == 1, r.stdout + r.stderr
    assert re.search(
        r"error\[ND612\]: training stopped: the loss became (nan|inf) in epoch 1, batch \d+", r.stderr
    )
    assert "lower the learning rate" in r.stderr and "learning_rate=1e+30" in r.stderr
    assert not out.exists() and "trained" not in r.stdout


@pytest.mark.parametrize(
    "optimizer, message",
    [
        ("adam(beta_1=1.0)", "adam() argument 'beta_1': must be from 0 up to 1 (1 excluded), got 1.0"),
        ("adam(beta_2=1)", "adam() argument 'beta_2': must be from 0 up to 1 (1 excluded), got 1"),
        ("rmsprop(rho=1.0)", "rmsprop() argument 'rho': must be from 0 up to 1 (1 excluded), got 1.0"),
        ("sgd(momentum=1)", "sgd() argument 'momentum': must be from 0 up to 1 (1 excluded), got 1"),
    ],
)
def test_optimizer_values_that_cannot_train_are_refused_by_check(tmp_path, optimizer, message):
    p = tmp_path / "o.net"
    p.write_text(REGRESSION.replace("optimizer=adam", f"optimizer={optimizer}"))
    r = run_cli("check", p)
    assert r.returncode == 1 and f"error[ND503]: {message}" in r.stderr


# ---- compare: one budget for every spec (10.8), results before files (17.7), null for NaN (17.15)


COMPARE_WITH_FAILING_PLOT = r"""
import errno, sys
import netdsl.apps.plot as plot
def full_disk(runs, path, *a, **k):
    raise OSError(errno.ENOSPC, "No space left on device")
plot.plot_curves = full_disk
from netdsl.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_compare_trains_every_spec_with_the_first_specs_settings_and_prints_before_writing(tmp_path):
    pytest.importorskip("matplotlib")
    a, b = tmp_path / "a.net", tmp_path / "b.net"
    base = (EXAMPLES / "iris_dense.net").read_text().replace("epochs=60", "epochs={e}")
    a.write_text(base.format(e=2))
    b.write_text(base.format(e=3).replace("batch_size=16", "batch_size=8"))
    plot = tmp_path / "curves.png"
    args = ["compare", a, b, "--data", IRIS_CSV, "--runs", "1", "--quiet", "--plot", plot]
    r = subprocess.run(
        [sys.executable, "-c", COMPARE_WITH_FAILING_PLOT, *map(str, args)], capture_output=True, text=True
    )
    assert r.returncode == 2, r.stderr
    assert (
        "the specs' train lines disagree on epochs (a.net: 2, b.net: 3); every spec is trained with epochs 2"
        in r.stderr
    )
    assert "disagree on batch_size (a.net: 16, b.net: 8)" in r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("2 specs on") and lines[1].split()[:2] == [
        "spec",
        "params",
    ]  # the table survives
    assert lines[-1] == "every spec trained with 2 epochs, batch size 16, test size 0.2, validation split 0.1"
    assert f"{plot}: cannot write: No space left on device" in r.stderr and not plot.exists()


def test_compare_json_writes_null_for_nan(tmp_path):
    p = tmp_path / "r.net"
    p.write_text(REGRESSION)
    r = run_cli("compare", p, "--data", IRIS_CSV, "--runs", "1", "--epochs", "1", "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout, parse_constant=_refuse_nan)
    poisson = report["specs"][0]["test"]["poisson"]
    assert poisson["mean"] is None and poisson["values"] == [None]
    assert report["settings"] == {"epochs": 1, "batch_size": 32, "test_size": 0.2, "validation_split": 0.1}
