"""Real tabular data (issue 12): examples/penguins.net against the same model by hand.

The penguins have string categories (island, sex) and gaps (NA) in both
numbers and categories. netdsl's model takes raw rows, one input per column;
it trains to a test accuracy of at least 0.95 with its train line, its .keras
predicts raw strings in a fresh process without netdsl (safe_mode=True), and
a hand-written Keras model of the same design has the same layers, parameter
counts and (after copying weights) predictions.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

import netdsl
from conftest import EXAMPLES, run_cli

PENGUINS = EXAMPLES / "penguins.net"
PENGUINS_CSV = EXAMPLES / "data" / "penguins.csv"
MEASURES = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]


def raw_rows(n: int | None = None) -> dict:
    """The file's columns as the model takes them: (rows, 1) numbers (NaN for NA) and strings ("" for NA)."""
    import csv

    import numpy as np

    with open(PENGUINS_CSV, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))[:n]
    out = {
        c: np.asarray([[float("nan") if r[c] == "NA" else float(r[c])] for r in rows], "float32")
        for c in MEASURES
    }
    out.update(
        {c: np.asarray([["" if r[c] == "NA" else r[c]] for r in rows], object) for c in ("island", "sex")}
    )
    return out


def hand_written(keras, rows: dict):
    """examples/penguins.net written by hand in Keras, learning from `rows` with Keras's own adapt."""
    import numpy as np
    from keras import layers
    from keras.src.ops import numpy as knp

    inputs = {c: keras.Input(shape=(1,), name=c) for c in MEASURES}
    inputs["island"] = keras.Input(shape=(1,), dtype="string", name="island")
    inputs["sex"] = keras.Input(shape=(1,), dtype="string", name="sex")
    measures = np.concatenate([rows[c] for c in MEASURES], axis=1)
    means = np.nanmean(measures, axis=0).tolist()
    x = layers.Concatenate(name="measures_concat_1")([inputs[c] for c in MEASURES])
    x = knp.NanToNum(nan=means, name="measures_fill_1")(x)
    normalize = layers.Normalization(name="measures")
    normalize.adapt(np.where(np.isnan(measures), np.asarray(means, "float32"), measures))
    x = normalize(x)
    islands = layers.StringLookup(output_mode="one_hot", name="island_oh")
    islands.adapt(rows["island"][rows["island"] != ""])
    sex = knp.Where(name="sex_oh_fill_1")(
        knp.Equal(name="sex_oh_fill_1_missing")(inputs["sex"], ""), "unknown", inputs["sex"]
    )
    sexes = layers.StringLookup(output_mode="one_hot", name="sex_oh")
    sexes.adapt(np.where(rows["sex"] == "", "unknown", rows["sex"]))
    h = layers.Concatenate(name="species_concat_1")([x, islands(inputs["island"]), sexes(sex)])
    h = layers.Dense(16, activation="relu", name="species_dense_1")(h)
    out = layers.Dense(3, activation="softmax", name="species")(h)
    return keras.Model(inputs, out, name="penguins")


def _feed(x: dict) -> dict:
    import tensorflow as tf

    return {k: tf.constant(v) for k, v in x.items()}


def test_penguins_matches_the_same_model_by_hand():
    g = netdsl.load(str(PENGUINS), data=str(PENGUINS_CSV))
    ours = netdsl.to_keras(g, data=str(PENGUINS_CSV), seed=0)
    from netdsl.backends.keras import keras

    rows = raw_rows()
    hand = hand_written(keras, rows)
    kinds = sorted((type(lay).__name__, lay.count_params() if lay.built else 0) for lay in ours.layers)
    assert kinds == sorted(
        (type(lay).__name__, lay.count_params() if lay.built else 0) for lay in hand.layers
    )
    assert [type(op).__name__ for op in ours.operations] == [type(op).__name__ for op in hand.operations]
    assert ours.count_params() == hand.count_params() == netdsl.network(g).params.total == 268
    assert ours.get_layer("island_oh").get_vocabulary() == hand.get_layer("island_oh").get_vocabulary()
    assert ours.get_layer("sex_oh").get_vocabulary() == hand.get_layer("sex_oh").get_vocabulary()
    for layer in hand.layers:
        if layer.weights:
            layer.set_weights(ours.get_layer(layer.name).get_weights())
    import numpy as np

    a, b = ours.predict(_feed(rows), verbose=0), hand.predict(_feed(rows), verbose=0)
    assert np.isfinite(a).all() and np.allclose(a, b, atol=1e-6)


FRESH = """
import json, os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import keras, tensorflow as tf
model = keras.saving.load_model(sys.argv[1], safe_mode=True)
rows = {"bill_length_mm": [[39.1], [float("nan")], [50.0]], "bill_depth_mm": [[18.7], [17.0], [15.2]],
        "flipper_length_mm": [[181.0], [190.0], [218.0]], "body_mass_g": [[3750.0], [3700.0], [5700.0]],
        "island": [["Torgersen"], ["Atlantis"], ["Biscoe"]], "sex": [["male"], [""], ["female"]]}
p = model.predict({k: tf.constant(v) for k, v in rows.items()}, verbose=0)
print(json.dumps({"netdsl": [m for m in sys.modules if m.startswith("netdsl")], "p": p.tolist()}))
"""


def test_penguins_trains_and_its_keras_file_predicts_raw_rows_alone(tmp_path):
    out = tmp_path / "penguins.keras"
    r = run_cli("train", PENGUINS, "--data", PENGUINS_CSV, "-o", out, "--quiet")
    assert r.returncode == 0, r.stderr
    accuracy = float(re.search(r"^test: accuracy ([0-9.]+)", r.stdout, re.M).group(1))
    assert accuracy >= 0.95, r.stdout
    fresh = subprocess.run(
        [sys.executable, "-c", FRESH, str(out)], capture_output=True, text=True, cwd=tmp_path
    )
    assert fresh.returncode == 0, fresh.stderr
    result = json.loads(fresh.stdout.strip().splitlines()[-1])
    assert result["netdsl"] == []
    import numpy as np

    p = np.asarray(result["p"])
    assert p.shape == (3, 3) and np.allclose(p.sum(axis=1), 1.0, atol=1e-5)
    assert p.argmax(axis=1).tolist() == [0, 0, 2]  # Adelie, Adelie (a gap and an unknown island), Gentoo
    # netdsl predict gives the same numbers for the same rows of a file
    rows = tmp_path / "rows.csv"
    rows.write_text(
        "bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,island,sex\n"
        "39.1,18.7,181,3750,Torgersen,male\nNA,17.0,190,3700,Atlantis,NA\n50.0,15.2,218,5700,Biscoe,female\n",
        encoding="utf-8",
    )
    table = netdsl.predict(out, rows).table
    probs = [table.column(f"species_prob_{c}").to_pylist() for c in ("Adelie", "Chinstrap", "Gentoo")]
    assert np.allclose(np.asarray(probs).T, p, atol=1e-6)
    assert table.column("species_predicted").to_pylist() == ["Adelie", "Adelie", "Gentoo"]


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "input p: {a, island: string}\noutput y = p -> concat -> dense(1)\n",
            "concat() needs numbers, but 'island' is a string category",
        ),
        (
            "input p: {a, island: string}\noutput y = p -> dense(1)\n",
            "dense() needs numbers, but 'island' is a string category",
        ),
        (
            "input p: {a, b}\noutput y = p -> dense(1)\n",
            "dense() takes one value; 'p' is 2 columns of a record",
        ),
        (
            "input p: {a, b}\noutput y = p[a] -> lookup -> dense(1)\n",
            "lookup() takes string or integer categories",
        ),
    ],
)
def test_categories_need_an_encoding(spec, text, message):
    r = run_cli("check", spec(text))
    assert r.returncode == 1 and message in r.stderr, r.stderr


def test_streamed_training_is_seeded_and_splits_every_row():
    a = netdsl.train(str(PENGUINS), str(PENGUINS_CSV), stream=True, epochs=2, seed=5)
    b = netdsl.train(str(PENGUINS), str(PENGUINS_CSV), stream=True, epochs=2, seed=5)
    assert a.test == b.test and a.history == b.history
    assert a.rows["train"] + a.rows["validation"] + a.rows["test"] == 344
    assert a.classes == {"species": ["Adelie", "Chinstrap", "Gentoo"]}


def test_parquet_data_checks_and_predicts_as_the_csv(tmp_path):
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    parquet = tmp_path / "penguins.parquet"
    # The same cells: NA is a null in Parquet, in string columns too (pyarrow keeps it as text by default).
    nulls = pcsv.ConvertOptions(null_values=["NA"], strings_can_be_null=True)
    pq.write_table(pcsv.read_csv(PENGUINS_CSV, convert_options=nulls), parquet)
    a = netdsl.load(str(PENGUINS), data=str(PENGUINS_CSV))
    b = netdsl.load(str(PENGUINS), data=str(parquet))
    assert netdsl.network(a).params == netdsl.network(b).params
    assert [netdsl.node(a, n).vocabulary for n in a] == [netdsl.node(b, n).vocabulary for n in b]


def test_streamed_training_weighs_classes_as_training_in_memory(tmp_path):
    """class_weight=balanced counts the classes of the rows fit is given, here
    the hashed split's training rows (counted independently below), and Keras
    is given the weights: the loss differs from unweighted training."""
    import numpy as np

    from netdsl.apps.streaming import prepare_stream, streamed_class_weight
    from netdsl.apps.training import resolve_settings
    from netdsl.data import arrow, split

    text = PENGUINS.read_text(encoding="utf-8")
    weighted = tmp_path / "weighted.net"
    line = re.search(r"^train .*$", text, re.M).group(0)
    weighted.write_text(text.replace(line, line + " class_weight=balanced"), encoding="utf-8")
    g = netdsl.load(str(weighted), data=str(PENGUINS_CSV))
    settings = resolve_settings(g, {"seed": 3})
    streamed = prepare_stream(g, str(PENGUINS_CSV), settings)
    labels = np.asarray(arrow.read_table(str(PENGUINS_CSV), {"species": arrow.LABEL}).strings("species"))
    parts = split.parts(np.arange(len(labels)), *streamed.split)
    fit_labels = labels[parts == split.TRAIN]
    classes = ["Adelie", "Chinstrap", "Gentoo"]
    counts = [int((fit_labels == c).sum()) for c in classes]
    expected = {i: len(fit_labels) / (3 * n) for i, n in enumerate(counts)}
    assert streamed_class_weight(g, streamed) == pytest.approx(expected)
    assert len(set(counts)) == 3  # unequal classes: the weights differ from 1
    a = netdsl.train(str(weighted), str(PENGUINS_CSV), stream=True, epochs=1, seed=3)
    b = netdsl.train(str(PENGUINS), str(PENGUINS_CSV), stream=True, epochs=1, seed=3)
    assert a.history["loss"] != b.history["loss"]


CLOSED_SPEC = """network closed
input row: {{x, kind: string{declared}}}
output label = concat(row[x], row[kind] -> lookup({given}oov=0) -> one_hot) -> dense(1, sigmoid)
compile loss=binary_crossentropy optimizer=adam
train epochs=1 batch_size=4
"""


@pytest.mark.parametrize(
    "declared, given, cell, command, found",
    [
        ('(vocabulary=["a", "b"])', "", "c", ["train"], "has 'c'"),
        ("", 'vocabulary=["a", "b"], ', "c", ["train", "--stream"], "has 'c'"),
        ("", 'vocabulary=["a", "b"], ', "c", ["check"], "has 'c'"),
        ("", "", "", ["train"], "is missing on this row"),  # the vocabulary adapted, a gap in it
    ],
)
def test_a_cell_a_closed_lookup_cannot_take_is_a_data_error(tmp_path, declared, given, cell, command, found):
    """Keras's lookup with num_oov_indices=0 stops at call time on a value outside its
    vocabulary; netdsl points at the first such cell before training (ND623)."""
    spec = tmp_path / "closed.net"
    spec.write_text(CLOSED_SPEC.format(declared=declared, given=given), encoding="utf-8")
    data = tmp_path / "rows.csv"
    rows = [f"0.{i},{'ab'[i % 2]},{i % 2}" for i in range(12)]
    rows[7] = f"0.7,{cell},1"
    data.write_text("x,kind,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "m.keras"
    extra = ["-o", out] if command[0] == "train" else []
    r = run_cli(*command[:1], spec, "--data", data, *command[1:], *extra)
    assert r.returncode == 1, r.stderr
    assert r.stderr.startswith(
        f"{data}:9:5: error[ND623]: column 'kind' {found}, not in the vocabulary of lookup 'label_lookup_1', "
        "which has no out-of-vocabulary index (oov=0): "
    ), r.stderr
    assert f" 9 | 0.7,{cell},1\n   |     ^" in r.stderr
    assert "note: lookup 'label_lookup_1' has no index for other values (at " in r.stderr
    assert "help: give the lookup an index for other values (lookup(oov=1))" in r.stderr
    assert "Traceback" not in r.stderr and not out.exists()
