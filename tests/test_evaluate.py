"""Evaluation reports (`netdsl evaluate`, and `train`'s report of its test rows),
checked against Keras's own metrics and against the definitions."""

from __future__ import annotations

import json

import numpy as np
import pytest

import netdsl
from conftest import EXAMPLES, IRIS_CSV, run_cli
from netdsl.apps.evaluate import binary_curves, classification_report, regression_report


def test_per_class_metrics_agree_with_keras():
    import keras

    rng = np.random.default_rng(0)
    true = rng.integers(0, 4, 200)
    scores = rng.random((200, 4))
    scores[np.arange(200), true] += rng.random(200)  # better than chance, not perfect
    pred = scores.argmax(axis=1)
    r = classification_report(true, scores, ["a", "b", "c", "d"])
    for k, row in enumerate(r["per_class"]):
        p, rc = keras.metrics.Precision(class_id=k), keras.metrics.Recall(class_id=k)
        onehot_true, onehot_pred = np.eye(4)[true], np.eye(4)[pred]
        p.update_state(onehot_true, onehot_pred)
        rc.update_state(onehot_true, onehot_pred)
        assert row["precision"] == pytest.approx(float(p.result()), abs=1e-6)
        assert row["recall"] == pytest.approx(float(rc.result()), abs=1e-6)
        assert row["support"] == int((true == k).sum())
    f1 = keras.metrics.F1Score(average=None)
    f1.update_state(np.eye(4)[true], np.eye(4)[pred])
    assert [row["f1"] for row in r["per_class"]] == pytest.approx(np.asarray(f1.result()).tolist(), abs=1e-6)
    assert r["accuracy"] == pytest.approx(float((true == pred).mean()))
    assert np.asarray(r["confusion"]).sum() == 200 and np.trace(r["confusion"]) == int((true == pred).sum())
    macro = keras.metrics.F1Score(average="macro")
    macro.update_state(np.eye(4)[true], np.eye(4)[pred])
    assert r["macro_avg"]["f1"] == pytest.approx(float(macro.result()), abs=1e-6)


def test_binary_curves_follow_the_definitions():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 300)
    s = np.round(rng.random(300) * 0.6 + 0.4 * y, 2)  # rounded: many ties
    b = binary_curves(y, s)
    pos, neg = s[y == 1], s[y == 0]
    pairwise = ((pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()) / (
        len(pos) * len(neg)
    )
    assert b["roc_auc"] == pytest.approx(pairwise, abs=1e-12)
    # average precision: the precision at each positive's threshold, averaged over the positives
    ap = np.mean([((s >= t) & (y == 1)).sum() / (s >= t).sum() for t in pos])
    assert b["average_precision"] == pytest.approx(ap, abs=1e-12)
    assert b["roc"]["fpr"][0] == 0 and b["roc"]["tpr"][-1] == 1 and b["roc"]["fpr"][-1] == 1


def test_regression_report_agrees_with_keras():
    import keras

    rng = np.random.default_rng(2)
    y, p = rng.normal(size=100), rng.normal(size=100)
    r = regression_report(y, p)
    assert r["mae"] == pytest.approx(float(keras.metrics.MeanAbsoluteError()(y, p)), rel=1e-5)
    assert r["rmse"] == pytest.approx(float(keras.metrics.RootMeanSquaredError()(y, p)), rel=1e-5)
    r2 = keras.metrics.R2Score()
    r2.update_state(y.reshape(-1, 1), p.reshape(-1, 1))
    assert r["r2"] == pytest.approx(float(r2.result()), rel=1e-5)


def test_train_reports_its_test_rows():
    result = netdsl.train(str(EXAMPLES / "iris_dense.net"), str(IRIS_CSV), epochs=5, seed=3)
    r = result.report["species"]
    assert r["rows"] == 30 and [c["support"] for c in r["per_class"]] == [10, 10, 10]
    assert r["accuracy"] == pytest.approx(result.test["accuracy"], abs=1e-6)
    assert result.summary()["report"]["species"]["confusion"] == r["confusion"]


def _binary_csv(tmp_path):
    lines = IRIS_CSV.read_text().splitlines()
    out = ["sepal_length,sepal_width,petal_length,petal_width,virginica"]
    out += [",".join(line.split(",")[:4] + [str(line.endswith("virginica"))]) for line in lines[1:]]
    path = tmp_path / "binary.csv"
    path.write_text("\n".join(out) + "\n")
    return path


def test_evaluate_cli_binary_with_plot(tmp_path, spec):
    p = spec(
        "input iris: [sepal_length, sepal_width, petal_length, petal_width]\n"
        "output virginica = iris -> dense(8, relu) -> dense(1, sigmoid)\n"
        "compile loss=binary_crossentropy optimizer=adam(learning_rate=0.02) metrics=[accuracy]\n"
    )
    data, model = _binary_csv(tmp_path), tmp_path / "m.keras"
    r = run_cli("train", p, "--data", data, "--epochs", "15", "--seed", "1", "-o", model)
    assert r.returncode == 0, r.stderr
    assert "virginica (2 classes, 30 rows)" in r.stdout and "ROC AUC" in r.stdout
    r = run_cli("evaluate", model, "--data", data, "--json", "--plot", tmp_path / "e.png")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)["outputs"]["virginica"]
    assert report["classes"] == ["False", "True"] and report["rows"] == 150
    assert [c["support"] for c in report["per_class"]] == [100, 50]
    assert 0.5 < report["binary"]["roc_auc"] <= 1.0
    assert (tmp_path / "e.png").read_bytes().startswith(b"\x89PNG")


def test_evaluate_cli_multiclass(tmp_path):
    model = tmp_path / "m.keras"
    r = run_cli("train", EXAMPLES / "iris_add.net", "--data", IRIS_CSV, "--epochs", "3", "-o", model)
    assert r.returncode == 0, r.stderr
    r = run_cli("evaluate", model, "--data", IRIS_CSV)
    assert r.returncode == 0, r.stderr
    assert "species (3 classes, 150 rows)" in r.stdout and "confusion matrix" in r.stdout
    assert "weighted avg" in r.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text(IRIS_CSV.read_text() + "5.0,3.0,1.5,0.2,iris-nova\n")
    r = run_cli("evaluate", model, "--data", bad)
    assert r.returncode == 1 and "bad.csv:152:17: error[ND607]: column 'species' has 'iris-nova'" in r.stderr
    bad.write_text(IRIS_CSV.read_text().replace("petal_width", "petal_widht"))
    r = run_cli("evaluate", model, "--data", bad)
    assert r.returncode == 1 and "bad.csv:1:1: error[ND602]: the model reads column 'petal_width'" in r.stderr
    assert "help: did you mean 'petal_widht'?" in r.stderr


def test_regression_report_and_residual_plot(tmp_path, spec):
    from netdsl.apps.plot import plot_evaluation

    p = spec(
        "input x: [sepal_length, sepal_width, petal_length]\noutput petal_width = x -> dense(1)\n"
        "compile loss=mse optimizer=adam(learning_rate=0.05)\n"
    )
    result = netdsl.train(str(p), str(IRIS_CSV), epochs=20, seed=0)
    out = result.report["petal_width"]
    assert out["kind"] == "regression" and out["rows"] == 30 and out["r2"] is not None
    assert out["rmse"] ** 2 == pytest.approx(result.test["loss"], rel=1e-4)  # the loss is the MSE
    plot_evaluation(result.report, str(tmp_path / "r.svg"), "residuals")
    assert (tmp_path / "r.svg").read_text().startswith("<?xml")


def test_evaluate_errors(tmp_path):
    compiled = tmp_path / "c.keras"
    assert run_cli("compile", EXAMPLES / "iris_dense.net", "-o", compiled).returncode == 0
    r = run_cli("evaluate", compiled, "--data", IRIS_CSV)
    assert r.returncode == 2 and "netdsl train -o" in r.stderr
    r = run_cli("evaluate", tmp_path / "none.keras", "--data", IRIS_CSV)
    assert r.returncode == 2 and "no such file" in r.stderr
    r = run_cli("evaluate", compiled, "--data", IRIS_CSV, "--plot", tmp_path / "x.gif")
    assert r.returncode == 2 and ".png, .svg or .pdf" in r.stderr
