"""The train line's arguments of model.fit (issue 13, point 7): class_weight
and callbacks, and the optimizer's learning-rate schedules, against the same
training written by hand in Keras (same split, seed and settings: the same
weights and history)."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import numpy as np
import pytest

import netdsl
from conftest import IRIS_CSV, PENGUINS_CSV, run_cli
from netdsl.ir.fit_settings import CALLBACKS, SCHEDULES

ADAM = "adam(learning_rate=0.01)"
SPEC = """network iris_weighted
input iris: [sepal_length, sepal_width, petal_length, petal_width]
output species = iris -> dense(8, relu) -> dense(3, softmax)
compile loss=categorical_crossentropy optimizer={optimizer} metrics=[accuracy]
train epochs={epochs} batch_size=16 test_size=0.2 validation_split=0.2 seed=1 {extra}
"""


def imbalanced_iris(path):
    """50 setosa, 20 versicolor, 10 virginica: balanced weights are not all 1."""
    header, *rows = IRIS_CSV.read_text().splitlines()
    keep = {"setosa": 50, "versicolor": 20, "virginica": 10}
    seen: Counter = Counter()
    out = [header]
    for row in rows:
        label = row.rsplit(",", 1)[1]
        if seen[label] < keep[label]:
            seen[label] += 1
            out.append(row)
    path.write_text("\n".join(out) + "\n")
    return path


def hand_trained(keras, x, y, class_weight=None, epochs=3, callbacks=(), optimizer=None, sample_weight=None):
    """The spec written by hand, trained as `netdsl train` trains it."""
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(1)
    inp = keras.Input((4,), name="iris")
    h = keras.layers.Dense(8, activation="relu", name="species_dense_1")(inp)
    model = keras.Model(
        inp, keras.layers.Dense(3, activation="softmax", name="species")(h), name="iris_weighted"
    )
    model.compile(
        loss="categorical_crossentropy",
        optimizer=optimizer or keras.optimizers.Adam(learning_rate=0.01),
        metrics=["accuracy"],
    )
    fitted = model.fit(
        x,
        y,
        epochs=epochs,
        batch_size=16,
        validation_split=0.2,
        shuffle=True,
        verbose=0,
        class_weight=class_weight,
        sample_weight=sample_weight,
        callbacks=list(callbacks),
    )
    return model, fitted.history


@pytest.mark.parametrize(
    "extra, expected",
    [
        ("class_weight={versicolor: 2.5, virginica: 5}", lambda counts: {0: 1.0, 1: 2.5, 2: 5.0}),
        ("class_weight=balanced", lambda counts: {i: sum(counts) / (3 * c) for i, c in enumerate(counts)}),
        ("", lambda counts: None),
    ],
)
def test_class_weight_as_written_by_hand(tmp_path, extra, expected):
    keras = pytest.importorskip("keras")
    data = imbalanced_iris(tmp_path / "iris.csv")
    graph = netdsl.loads(SPEC.format(optimizer=ADAM, extra=extra, epochs=3))
    prepared = netdsl.prepare(graph, str(data))
    rows = np.asarray(prepared.split(graph, 0.2, 1).train)
    x, y = prepared.inputs["iris"][rows], prepared.targets["species"][rows]
    counts = [int(n) for n in y.sum(axis=0)]  # one-hot rows: the rows of each class given to fit
    assert counts == [40, 16, 8]
    result = netdsl.train(graph, prepared)
    hand, history = hand_trained(keras, x, y, expected(counts))
    for ours, theirs in zip(result.model.get_weights(), hand.get_weights()):
        np.testing.assert_array_equal(ours, theirs)
    assert result.history == {k: [float(v) for v in vs] for k, vs in history.items()}


def test_class_weight_changes_training():
    """A weighted run differs from the unweighted one (the weights reach fit)."""
    pytest.importorskip("keras")
    runs = [
        netdsl.train(
            netdsl.loads(SPEC.format(optimizer=ADAM, extra=extra, epochs=3)), str(IRIS_CSV), epochs=2
        )
        for extra in ("", "class_weight={setosa: 9}")
    ]
    assert runs[0].history["loss"] != runs[1].history["loss"]


def test_check_refuses_class_weight_labels_the_data_does_not_have(tmp_path):
    spec = tmp_path / "w.net"
    spec.write_text(SPEC.format(optimizer=ADAM, epochs=3, extra="class_weight={setosa: 1, virginca: 3}"))
    r = run_cli("check", spec)
    assert r.returncode == 0, r.stderr  # without data the labels are not known
    r = run_cli("check", spec, "--data", IRIS_CSV)
    assert r.returncode == 1
    assert "error[ND613]: class_weight names class 'virginca', which label column 'species'" in r.stderr
    assert "did you mean 'virginica'?" in r.stderr
    assert "tensorflow" not in r.stderr.lower()
    r = run_cli("train", spec, "--data", IRIS_CSV, "--epochs", "1")
    assert r.returncode == 1 and "error[ND613]" in r.stderr


def test_emitted_python_names_the_class_weights(tmp_path):
    spec = tmp_path / "w.net"
    spec.write_text(SPEC.format(optimizer=ADAM, epochs=3, extra="class_weight={versicolor: 2.5}"))
    r = run_cli("emit", "--python", spec)
    assert r.returncode == 0, r.stderr
    assert 'class_weight = {"versicolor": 2.5}' in r.stdout
    spec.write_text(SPEC.format(optimizer=ADAM, epochs=3, extra="class_weight=balanced"))
    r = run_cli("emit", "--python", spec)
    assert 'class_weight = "balanced"' in r.stdout


CALLBACK_LINE = (
    "callbacks=[early_stopping(patience=2, restore_best_weights=true, min_delta=0.001), "
    "ReduceLROnPlateau(monitor=val_accuracy, factor=0.5, patience=1)]"
)


def test_callbacks_as_written_by_hand():
    keras = pytest.importorskip("keras")
    graph = netdsl.loads(SPEC.format(optimizer=ADAM, epochs=40, extra=CALLBACK_LINE))
    prepared = netdsl.prepare(graph, str(IRIS_CSV))
    rows = np.asarray(prepared.split(graph, 0.2, 1).train)
    result = netdsl.train(graph, prepared)
    callbacks = [
        keras.callbacks.EarlyStopping(patience=2, restore_best_weights=True, min_delta=0.001),
        keras.callbacks.ReduceLROnPlateau(monitor="val_accuracy", factor=0.5, patience=1),
    ]
    x, y = prepared.inputs["iris"][rows], prepared.targets["species"][rows]
    hand, history = hand_trained(keras, x, y, epochs=40, callbacks=callbacks)
    assert len(result.history["loss"]) < 40  # it stopped early
    assert min(result.history["learning_rate"]) < 0.01  # and lowered the learning rate
    for ours, theirs in zip(result.model.get_weights(), hand.get_weights()):
        np.testing.assert_array_equal(ours, theirs)
    assert result.history == {k: [float(v) for v in vs] for k, vs in history.items()}


def test_callback_arguments_are_kerass():
    """Names, order and defaults of each callback's arguments, against the installed Keras."""
    import inspect

    keras = pytest.importorskip("keras")
    for snake, entry in CALLBACKS.classes.items():
        parameters = inspect.signature(getattr(keras.callbacks, entry.class_name).__init__).parameters
        keras_order = [p for p in parameters if p not in ("self", "verbose", "kwargs")]
        assert [a.name for a in entry.args] == keras_order, snake
        assert all(parameters[a.name].default == a.default for a in entry.args), snake


@pytest.mark.parametrize(
    "line, message",
    [
        ("callbacks=[early_stoping(patience=2)]", "unknown callback 'early_stoping'"),
        ("callbacks=[early_stopping(patiense=2)]", "early_stopping() has no argument 'patiense'"),
        ("callbacks=[early_stopping(monitor=val_auc)]", "training reports no 'val_auc' to monitor"),
        ("callbacks=[reduce_on_plateau(factor=2)]", "argument 'factor' must be a number between 0 and 1"),
    ],
)
def test_check_refuses_bad_callbacks(tmp_path, line, message):
    spec = tmp_path / "c.net"
    spec.write_text(SPEC.format(optimizer=ADAM, epochs=3, extra=line))
    r = run_cli("check", spec)
    assert r.returncode == 1 and message in r.stderr, r.stderr


def test_emitted_python_makes_the_callbacks(tmp_path):
    spec = tmp_path / "c.net"
    spec.write_text(SPEC.format(optimizer=ADAM, epochs=3, extra=CALLBACK_LINE))
    r = run_cli("emit", "--python", spec, "-o", tmp_path / "c.py")
    assert r.returncode == 0, r.stderr
    probe = "\nprint([(type(c).__name__, c.monitor, c.patience, float(c.min_delta)) for c in callbacks])\n"
    (tmp_path / "run.py").write_text((tmp_path / "c.py").read_text() + probe)
    done = subprocess.run([sys.executable, tmp_path / "run.py"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == (
        "[('EarlyStopping', 'val_loss', 2, 0.001), ('ReduceLROnPlateau', 'val_accuracy', 1, 0.0001)]"
    )
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--isolated", "--check", tmp_path / "c.py"]
    )
    assert ruff.returncode == 0, "the emitted Python is not formatted"


SCHEDULE_CASES = [
    (
        "adam(learning_rate=exponential_decay(0.05, decay_steps=5, decay_rate=0.5))",
        lambda k: k.optimizers.Adam(
            learning_rate=k.optimizers.schedules.ExponentialDecay(0.05, decay_steps=5, decay_rate=0.5)
        ),
    ),
    (
        "sgd(learning_rate=CosineDecay(0.1, 20, alpha=0.1, warmup_target=0.2, warmup_steps=4), momentum=0.9)",
        lambda k: k.optimizers.SGD(
            learning_rate=k.optimizers.schedules.CosineDecay(
                0.1, 20, alpha=0.1, warmup_target=0.2, warmup_steps=4
            ),
            momentum=0.9,
        ),
    ),
    (
        "adam(learning_rate=piecewise_constant_decay(boundaries=[6, 12], values=[0.05, 0.01, 0.001]))",
        lambda k: k.optimizers.Adam(
            learning_rate=k.optimizers.schedules.PiecewiseConstantDecay(
                boundaries=[6, 12], values=[0.05, 0.01, 0.001]
            )
        ),
    ),
]


@pytest.mark.parametrize("optimizer, by_hand", SCHEDULE_CASES, ids=["exponential", "cosine", "piecewise"])
def test_learning_rate_schedules_as_written_by_hand(tmp_path, optimizer, by_hand):
    keras = pytest.importorskip("keras")
    text = SPEC.format(optimizer=optimizer, epochs=3, extra="")
    graph = netdsl.loads(text)
    prepared = netdsl.prepare(graph, str(IRIS_CSV))
    rows = np.asarray(prepared.split(graph, 0.2, 1).train)
    result = netdsl.train(graph, prepared)
    x, y = prepared.inputs["iris"][rows], prepared.targets["species"][rows]
    hand, history = hand_trained(keras, x, y, optimizer=by_hand(keras))
    ours_config = result.model.optimizer.get_config()["learning_rate"]
    assert ours_config == hand.optimizer.get_config()["learning_rate"]
    for ours, theirs in zip(result.model.get_weights(), hand.get_weights()):
        np.testing.assert_array_equal(ours, theirs)
    assert result.history == {k: [float(v) for v in vs] for k, vs in history.items()}
    # The emitted Python compiles the same optimizer.
    (tmp_path / "s.net").write_text(text)
    r = run_cli("emit", "--python", tmp_path / "s.net", "-o", tmp_path / "s.py")
    assert r.returncode == 0, r.stderr
    (tmp_path / "run.py").write_text(
        (tmp_path / "s.py").read_text() + f"\nmodel.save({str(tmp_path / 'e.keras')!r})\n"
    )
    done = subprocess.run([sys.executable, tmp_path / "run.py"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--isolated", "--check", tmp_path / "s.py"]
    )
    assert ruff.returncode == 0, "the emitted Python is not formatted"
    emitted = keras.saving.load_model(tmp_path / "e.keras", safe_mode=True)
    # The .keras comes back through import as a compile line that makes the same optimizer.
    r = run_cli("import", tmp_path / "e.keras")
    assert r.returncode == 0 and "warning" not in r.stderr, r.stderr
    imported = netdsl.to_keras(netdsl.loads(r.stdout), seed=0)
    # optimizers made in one process are named adam, adam_1, ...: names aside
    unnamed = [{**o.optimizer.get_config(), "name": None} for o in (emitted, imported, hand)]
    assert unnamed[0] == unnamed[1] == unnamed[2]


def test_schedule_arguments_are_kerass():
    """Names, order and defaults of each schedule's arguments, against the installed Keras."""
    import inspect

    keras = pytest.importorskip("keras")
    for snake, entry in SCHEDULES.classes.items():
        parameters = inspect.signature(
            getattr(keras.optimizers.schedules, entry.class_name).__init__
        ).parameters
        keras_order = [p for p in parameters if p not in ("self", "name")]
        assert [a.name for a in entry.args] == keras_order, snake
        for a in entry.args:
            default = parameters[a.name].default
            assert (a.default is None and default is inspect.Parameter.empty) or default == a.default, (
                snake,
                a,
            )
        assert set(SCHEDULES.required[snake]) == {
            a.name for a in entry.args if parameters[a.name].default is inspect.Parameter.empty
        }


@pytest.mark.parametrize(
    "optimizer, message",
    [
        (
            "adam(learning_rate=exponetial_decay(0.01, 10, 0.9))",
            "unknown learning-rate schedule 'exponetial_decay'",
        ),
        (
            "adam(learning_rate=exponential_decay(0.01, decay_rate=0.9))",
            "exponential_decay() needs decay_steps",
        ),
        (
            "adam(learning_rate=CosineDecay(0.01, decay_stepz=100))",
            "CosineDecay() has no argument 'decay_stepz'",
        ),
        ("adam(learning_rate=cosine_decay(0.01, 0))", "argument 'decay_steps' must be an integer >= 1"),
        (
            "adam(learning_rate=piecewise_constant_decay([10, 20], [0.1, 0.01]))",
            "values needs one more item than boundaries",
        ),
    ],
)
def test_check_refuses_bad_schedules(tmp_path, optimizer, message):
    spec = tmp_path / "s.net"
    spec.write_text(SPEC.format(optimizer=optimizer, epochs=3, extra=""))
    r = run_cli("check", spec)
    assert r.returncode == 1 and message in r.stderr, r.stderr


# ---- sample_weight=COLUMN: each row's weight, from the data ------------------------------


def weighted_iris(path, weight=None, bad=None):
    """Iris with an instance_weight column: seeded weights from 0 to 3 (or `weight` on
    every row); `bad` = (row, text) writes that cell instead."""
    header, *rows = IRIS_CSV.read_text().splitlines()
    rng = np.random.default_rng(5)
    cells = [f"{rng.uniform(0, 3):.3f}" if weight is None else str(weight) for _ in rows]
    if bad is not None:
        cells[bad[0]] = bad[1]
    path.write_text(
        "\n".join([header + ",instance_weight"] + [f"{r},{c}" for r, c in zip(rows, cells)]) + "\n"
    )
    return path


def test_sample_weight_as_written_by_hand(tmp_path):
    """model.fit(..., sample_weight=w) and evaluate(..., sample_weight=w) on the same rows:
    the same weights, history and test metrics as the call written by hand."""
    keras = pytest.importorskip("keras")
    data = weighted_iris(tmp_path / "iris.csv")
    graph = netdsl.loads(SPEC.format(optimizer=ADAM, extra="sample_weight=instance_weight", epochs=3))
    prepared = netdsl.prepare(graph, str(data))
    split = prepared.split(graph, 0.2, 1)
    rows, test = np.asarray(split.train), np.asarray(split.test)
    w = prepared.weights
    assert w.dtype == np.float32 and w.shape == (150,) and w.min() >= 0 and np.ptp(w) > 1
    x, y = prepared.inputs["iris"], prepared.targets["species"]
    result = netdsl.train(graph, prepared)
    hand, history = hand_trained(keras, x[rows], y[rows], sample_weight=w[rows])
    for ours, theirs in zip(result.model.get_weights(), hand.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)
    assert result.history == {k: [float(v) for v in vs] for k, vs in history.items()}
    expected = hand.evaluate(
        x[test], y[test], sample_weight=w[test], batch_size=16, verbose=0, return_dict=True
    )
    assert result.test == {k: float(v) for k, v in expected.items()}
    unweighted = netdsl.train(netdsl.loads(SPEC.format(optimizer=ADAM, extra="", epochs=3)), prepared)
    assert unweighted.history["loss"] != result.history["loss"]


def test_streamed_sample_weight_reaches_fit_and_evaluate(tmp_path):
    """Streamed (tf.data of (x, y, w)): weights of 0 leave the model as it was built
    (no gradient) and the test loss 0; weights of 1 train as no weights do."""
    pytest.importorskip("keras")
    from netdsl.apps.streaming import train_streamed

    def run(extra, data):
        graph = netdsl.loads(SPEC.format(optimizer=ADAM, extra=extra, epochs=2))
        settings = {"epochs": 2, "batch_size": 16, "test_size": 0.2, "validation_split": 0.2, "seed": 1}
        return graph, train_streamed(graph, str(data), settings)

    graph, zero = run("sample_weight=instance_weight", weighted_iris(tmp_path / "zero.csv", weight=0))
    built = netdsl.to_keras(graph, seed=1)
    for ours, initial in zip(zero.model.get_weights(), built.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, initial)
    assert zero.test["loss"] == 0.0 and zero.history["val_loss"] == [0.0, 0.0]
    _, one = run("sample_weight=instance_weight", weighted_iris(tmp_path / "one.csv", weight=1))
    _, plain = run("", weighted_iris(tmp_path / "one.csv", weight=1))
    assert one.history == plain.history and one.test == plain.test
    for ours, theirs in zip(one.model.get_weights(), plain.model.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize(
    "bad, message",
    [
        (
            (6, "-1.5"),
            "iris.csv:8:24: error[ND609]: sample weight -1.5 in column 'instance_weight' is not >= 0",
        ),
        ((8, ""), "iris.csv:10:24: error[ND609]: column 'instance_weight' is empty on this row"),
        (
            (9, "inf"),
            "iris.csv:11:24: error[ND609]: column 'instance_weight' is 'inf', not a finite number",
        ),
    ],
)
@pytest.mark.parametrize("stream", [["--stream"], []], ids=["streamed", "in_memory"])
def test_a_bad_weight_is_an_error_at_its_cell(tmp_path, bad, message, stream):
    spec = tmp_path / "w.net"
    spec.write_text(SPEC.format(optimizer=ADAM, epochs=1, extra="sample_weight=instance_weight"))
    data = weighted_iris(tmp_path / "iris.csv", bad=bad)
    out = tmp_path / "m.keras"
    r = run_cli("train", spec, "--data", data, *stream, "-o", out)
    assert r.returncode == 1 and message in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    assert not out.exists()


def test_check_refuses_a_weight_column_the_data_does_not_have(tmp_path):
    spec = tmp_path / "w.net"
    spec.write_text(SPEC.format(optimizer=ADAM, epochs=1, extra="sample_weight=instance_wieght"))
    data = weighted_iris(tmp_path / "iris.csv")
    r = run_cli("check", spec, "--data", data)
    assert r.returncode == 1
    assert "w.net:5:86: error[ND602]: sample_weight 'instance_wieght' is not a column of" in r.stderr, (
        r.stderr
    )
    assert "did you mean 'instance_weight'?" in r.stderr and "tensorflow" not in r.stderr.lower()
    r = run_cli("train", spec, "--data", data, "--epochs", "1")
    assert r.returncode == 1 and "error[ND602]" in r.stderr and "Traceback" not in r.stderr


def test_emitted_python_names_the_weight_column(tmp_path):
    spec = tmp_path / "w.net"
    spec.write_text(SPEC.format(optimizer=ADAM, epochs=1, extra="sample_weight=instance_weight"))
    r = run_cli("emit", "--python", spec)
    assert r.returncode == 0, r.stderr
    assert 'sample_weight_column = "instance_weight"' in r.stdout


TWO_OUTPUTS = """network two_outputs
input penguin: {bill_length_mm, bill_depth_mm, flipper_length_mm, island: string, sex: string}
measures = penguin[bill_length_mm, bill_depth_mm, flipper_length_mm] -> concat -> fill(mean) -> standardize
h = concat(measures, penguin[island] -> one_hot, penguin[sex] -> fill("unknown") -> one_hot) -> dense(8, relu)
output species = h -> dense(3, softmax)
output year = h -> dense(1)
compile loss={species: categorical_crossentropy, year: mse} optimizer=adam metrics=[accuracy]
train epochs=3 batch_size=24 test_size=0.2 validation_split=0.15 seed=3
"""


def test_fit_is_fed_the_batches_of_the_call_written_by_hand():
    """netdsl feeds model.fit a tf.data pipeline of its own (keras_runtime.batches),
    not the arrays: with text columns, two outputs, a validation share and short
    last batches, three epochs give the very weights, history and test metrics of
    `fit(x, y, validation_split=..., shuffle=True)` and `evaluate(...)` on the
    arrays, by hand, from the same model. (Sample weights: the iris test above.)
    The graph is loaded without data: train checks it again against the data
    (its one-hot sizes wait for the vocabularies)."""
    pytest.importorskip("keras")
    import tensorflow as tf

    from netdsl.backends.keras import to_keras
    from netdsl.data.feed import LEARN_ROWS, ArrayFeed

    graph = netdsl.loads(TWO_OUTPUTS)
    prepared = netdsl.prepare(graph, str(PENGUINS_CSV))
    split = prepared.split(graph, 0.2, 3)
    rows, test = np.asarray(split.train, dtype="int64"), np.asarray(split.test, dtype="int64")
    fit_rows = int(len(rows) * 0.85)
    assert fit_rows % 24 and (len(rows) - fit_rows) % 24 and len(test) % 24  # short last batches
    result = netdsl.train(graph, prepared)

    with_data = netdsl.loads(TWO_OUTPUTS, data=str(PENGUINS_CSV))
    hand = to_keras(with_data, ArrayFeed(prepared.inputs, {}, rows, chunk=LEARN_ROWS), seed=3)
    tf.config.experimental.enable_op_determinism()
    x = {k: tf.constant(v) if v.dtype.kind in "OUS" else v for k, v in prepared.inputs.items()}
    y = prepared.targets
    assert set(y) == {"species", "year"}

    def at(idx):
        return {k: tf.gather(v, idx) if tf.is_tensor(v) else v[idx] for k, v in x.items()}, {
            k: v[idx] for k, v in y.items()
        }

    fitted = hand.fit(*at(rows), epochs=3, batch_size=24, validation_split=0.15, shuffle=True, verbose=0)
    for ours, theirs in zip(result.model.get_weights(), hand.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)
    assert result.history == {k: [float(v) for v in vs] for k, vs in fitted.history.items()}
    expected = hand.evaluate(*at(test), batch_size=24, verbose=0, return_dict=True)
    assert result.test == {k: float(v) for k, v in expected.items()}


def test_sample_weight_of_a_model_with_two_outputs(tmp_path):
    """One weight column weighs the loss of both outputs (Keras 3.15's own
    `fit(sample_weight=w)` fails on such a model with a KeyError, once exit 3):
    weights of 1 train exactly as none; others train differently."""
    pytest.importorskip("keras")
    header, *lines = PENGUINS_CSV.read_text().splitlines()
    runs = {}
    for name, weight in (("ones", lambda k: 1), ("varied", lambda k: 0.5 + k % 3)):
        data = tmp_path / f"{name}.csv"
        data.write_text("\n".join([f"{header},w"] + [f"{r},{weight(k)}" for k, r in enumerate(lines)]) + "\n")
        spec = TWO_OUTPUTS.replace("seed=3", "seed=3 sample_weight=w")
        runs[name] = netdsl.train(netdsl.loads(spec, data=str(data)), str(data), epochs=2)
    unweighted = netdsl.train(netdsl.loads(TWO_OUTPUTS, data=str(data)), str(data), epochs=2)
    for ours, theirs in zip(runs["ones"].model.get_weights(), unweighted.model.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)
    assert runs["ones"].history == unweighted.history
    assert runs["varied"].history["loss"] != unweighted.history["loss"]
