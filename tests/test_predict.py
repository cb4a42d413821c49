"""netdsl predict: a saved model's predictions for the rows of a file.

The file is checked against the model before TensorFlow loads; the output
has the file's columns plus the predicted label and one probability per class
(names restored from the model's archive), equal to Keras's own predict.
"""

from __future__ import annotations

import csv
import subprocess
import sys

import pytest

from conftest import EXAMPLES, IRIS_CSV, run_cli


def in_one_process(*commands) -> subprocess.CompletedProcess:
    """The commands run by main() one after another in one fresh process, which
    then prints their exit codes and the TensorFlow / Keras modules it imported."""
    calls = "".join(f"codes.append(main({[str(a) for a in argv]!r}))\n" for argv in commands)
    code = (
        "import sys\nfrom netdsl.cli import main\ncodes = []\n" + calls + "heavy = sorted(m for m in "
        "sys.modules if m.split('.')[0] in ('tensorflow', 'keras'))\nprint(*codes, heavy)\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


@pytest.fixture(scope="module")
def iris_model(tmp_path_factory):
    out = tmp_path_factory.mktemp("predict") / "iris.keras"
    r = run_cli(
        "train",
        EXAMPLES / "iris_dense.net",
        "--data",
        IRIS_CSV,
        "--epochs",
        2,
        "--seed",
        1,
        "-o",
        out,
        "--quiet",
    )
    assert r.returncode == 0, r.stderr
    return out


def test_predictions_to_a_pipe_are_complete_when_the_process_ends(iris_model, tmp_path):
    """The program ends without the interpreter's teardown once TensorFlow has
    run (netdsl.cli.program): what it wrote to standard output (megabytes, through
    a pipe) is all there, the same predictions -o writes, and the exit code is kept."""
    header, *rows = IRIS_CSV.read_text().splitlines()
    big = tmp_path / "big.csv"
    big.write_text("\n".join([header] + rows * 100) + "\n")
    r = subprocess.run(
        [sys.executable, "-m", "netdsl", "predict", str(iris_model), "--data", str(big)], capture_output=True
    )
    assert r.returncode == 0, r.stderr
    assert run_cli("predict", iris_model, "--data", big, "-o", tmp_path / "p.csv").returncode == 0
    piped = list(csv.reader(r.stdout.decode().splitlines()))
    written = list(csv.reader((tmp_path / "p.csv").read_text().splitlines()))
    assert len(r.stdout) > 1_000_000 and len(piped) == len(written) == 15_001
    assert [row[5:] for row in piped] == [row[5:] for row in written]
    missing = tmp_path / "missing.csv"
    missing.write_text("sepal_length,sepal_width\n1,2\n")
    r = run_cli("predict", iris_model, "--data", missing)
    assert r.returncode == 1 and "petal_length" in r.stderr


def test_predict_writes_columns_labels_and_probabilities(iris_model, tmp_path):
    out = tmp_path / "pred.csv"
    r = run_cli("predict", iris_model, "--data", IRIS_CSV, "-o", out)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"wrote {out}: 150 rows, 9 columns"
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    with open(IRIS_CSV, newline="", encoding="utf-8") as fh:
        source = list(csv.DictReader(fh))
    assert len(rows) == 150
    classes = ["setosa", "versicolor", "virginica"]
    assert list(rows[0]) == list(source[0]) + ["species_predicted"] + [f"species_prob_{c}" for c in classes]
    assert [r["species"] for r in rows] == [s["species"] for s in source]

    import netdsl
    from netdsl.backends.keras import load_model

    model = load_model(str(iris_model))
    import numpy as np

    x = np.asarray([[float(s[c]) for c in list(s)[:4]] for s in source], dtype="float32")
    expected = model.predict(x, verbose=0)
    got = np.asarray([[float(r[f"species_prob_{c}"]) for c in classes] for r in rows], dtype="float32")
    assert np.allclose(got, expected, atol=1e-6)
    assert [r["species_predicted"] for r in rows] == [classes[i] for i in expected.argmax(axis=1)]
    # the API gives the same table, in memory
    result = netdsl.predict(iris_model, IRIS_CSV)
    assert result.rows == 150 and result.table.column("species_predicted").to_pylist() == [
        r["species_predicted"] for r in rows
    ]


def test_bad_files_fail_before_tensorflow_loads(iris_model, tmp_path):
    lacking = tmp_path / "lacking.csv"
    lacking.write_text(
        "sepal_length,sepal_widht,petal_length,petal_width\n5.1,3.5,1.4,0.2\n", encoding="utf-8"
    )
    text = tmp_path / "text.csv"
    text.write_text(
        "sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n4.9,three,1.4,0.2\n",
        encoding="utf-8",
    )
    r = in_one_process(["predict", iris_model, "--data", lacking], ["predict", iris_model, "--data", text])
    assert r.stdout.strip().splitlines()[-1] == "1 1 []", r.stdout + r.stderr
    # located in the data file, with a code, the line and a caret, as every data error
    assert (
        f"{lacking}:1:1: error[ND602]: the model reads column 'sepal_width', which the file lacks" in r.stderr
    )
    assert "help: did you mean 'sepal_widht'?" in r.stderr
    line = next(ln for ln in r.stderr.splitlines() if ln.startswith(f"{text}:3:"))
    assert line.endswith("error[ND609]: column 'sepal_width' is not a number: 'three'"), r.stderr
    assert " 3 | " in r.stderr and "^" in r.stderr


def test_usage_errors(iris_model, tmp_path):
    r = run_cli("predict", iris_model, "--data", tmp_path / "none.csv")
    assert r.returncode == 2 and "no such file" in r.stderr
    r = run_cli("predict", iris_model, "--data", IRIS_CSV, "-o", tmp_path / "out.txt")
    assert r.returncode == 2 and "written as CSV" in r.stderr and not (tmp_path / "out.txt").exists()


def test_a_category_a_closed_lookup_never_saw_fails_before_tensorflow_loads(tmp_path):
    """A model with lookup(oov=0) (Keras: num_oov_indices=0) has no index for a category
    its vocabulary lacks; predict and evaluate read the vocabulary from the archive's
    config and point at the cell (ND623) instead of Keras's assertion at call time."""
    spec = tmp_path / "closed.net"
    spec.write_text(
        "network closed\ninput row: {x, kind: string}\n"
        "output label = concat(row[x], row[kind] -> lookup(oov=0) -> one_hot) -> dense(1, sigmoid)\n"
        "compile loss=binary_crossentropy optimizer=adam\ntrain epochs=1 batch_size=4\n",
        encoding="utf-8",
    )
    data = tmp_path / "train.csv"
    data.write_text("x,kind,label\n" + "".join(f"0.{i},{'ab'[i % 2]},{i % 2}\n" for i in range(12)))
    model = tmp_path / "closed.keras"
    r = run_cli("train", spec, "--data", data, "-o", model, "--quiet")
    assert r.returncode == 0, r.stderr
    new = tmp_path / "new.csv"
    new.write_text("x,kind,label\n0.1,a,0\n0.2,c,1\n", encoding="utf-8")
    gap = tmp_path / "gap.csv"
    gap.write_text("x,kind,label\n0.1,b,0\n0.2,a,1\n0.3,,1\n", encoding="utf-8")
    r = in_one_process(
        ["predict", model, "--data", new],
        ["evaluate", model, "--data", new],
        ["predict", model, "--data", gap],
    )
    assert r.stdout.strip().splitlines()[-1] == "1 1 1 []", r.stdout + r.stderr
    unseen = (
        f"{new}:3:5: error[ND623]: column 'kind' has 'c', not in the vocabulary of lookup "
        "'label_lookup_1', which has no out-of-vocabulary index (oov=0): "
    )
    assert r.stderr.count(unseen) == 2, r.stderr
    assert f"{gap}:4:5: error[ND623]: column 'kind' is missing on this row, not in the vocabulary" in r.stderr
    assert " 3 | 0.2,c,1\n   |     ^" in r.stderr and "help: give the lookup an index" in r.stderr
    ok = tmp_path / "ok.csv"
    ok.write_text("x,kind,label\n0.1,a,0\n0.2,b,1\n", encoding="utf-8")
    r = run_cli("predict", model, "--data", ok, "--stream")
    assert r.returncode == 0 and len(r.stdout.strip().splitlines()) == 3, r.stderr
