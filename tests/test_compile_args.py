"""Losses and metrics with arguments and Keras's class spellings (issue 13,
point 7): netdsl's tables (ir/setting_args.py) against the installed Keras."""

from __future__ import annotations

import importlib
import inspect
import re
import subprocess
import sys

import numpy as np
import pytest

import netdsl
from conftest import run_cli
from netdsl.ir.setting_args import LOSS_CLASSES, METRIC_CLASSES
from netdsl.ir.settings import LOSSES, METRICS

SPEC = (
    "network logits\ninput x: 4\noutput y = x -> dense(8, relu) -> dense(1)\n"
    "compile loss=BinaryCrossentropy(from_logits=true, label_smoothing=0.1) optimizer=adam metrics=["
    "AUC(curve=PR, from_logits=true, name=pr_auc), FalseNegatives(name=fn), binary_accuracy(threshold=0.0), "
    "auc]\n"
)


def hand_written(keras):
    x = keras.Input((4,), name="x")
    h = keras.layers.Dense(8, activation="relu", name="y_dense_1")(x)
    model = keras.Model(x, keras.layers.Dense(1, name="y")(h), name="logits")
    model.compile(
        loss=keras.losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1),
        optimizer=keras.optimizers.Adam(),
        metrics=[
            keras.metrics.AUC(curve="PR", from_logits=True, name="pr_auc"),
            keras.metrics.FalseNegatives(name="fn"),
            keras.metrics.BinaryAccuracy(threshold=0.0),
            "auc",
        ],
    )
    return model


def _unnumbered(value):
    """A compile config without the `_1` Keras appends to a default name made twice in a process."""
    if isinstance(value, dict):
        return {
            k: re.sub(r"_\d+$", "", v) if k == "name" and isinstance(v, str) else _unnumbered(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_unnumbered(v) for v in value]
    return value


def test_losses_and_metrics_with_arguments_as_written_by_hand(tmp_path):
    keras = pytest.importorskip("keras")
    graph = netdsl.loads(SPEC)
    assert not netdsl.network(graph).diagnostics  # linear output, from_logits=true: no warning
    net, hand = netdsl.to_keras(graph, seed=0), hand_written(keras)
    assert _unnumbered(net.get_compile_config()) == _unnumbered(hand.get_compile_config())
    hand.set_weights(net.get_weights())
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (rng.uniform(size=(64, 1)) < 0.5).astype("float32")
    ours = net.evaluate(x, y, verbose=0, return_dict=True)
    theirs = hand.evaluate(x, y, verbose=0, return_dict=True)
    assert set(ours) == set(theirs) == {"loss", "auc", "fn", "binary_accuracy", "auc_1"} or set(ours) == set(
        theirs
    )
    for k in theirs:
        assert ours[k] == pytest.approx(theirs[k], rel=1e-6), k
    # The emitted Python compiles the same; the .keras comes back through import as the same line.
    (tmp_path / "l.net").write_text(SPEC)
    r = run_cli("emit", "--python", tmp_path / "l.net", "-o", tmp_path / "l.py")
    assert r.returncode == 0, r.stderr
    (tmp_path / "run.py").write_text(
        (tmp_path / "l.py").read_text() + f"\nmodel.save({str(tmp_path / 'e.keras')!r})\n"
    )
    done = subprocess.run([sys.executable, tmp_path / "run.py"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    emitted = keras.saving.load_model(tmp_path / "e.keras", safe_mode=True)
    assert _unnumbered(emitted.get_compile_config()) == _unnumbered(net.get_compile_config())
    r = run_cli("import", tmp_path / "e.keras")
    assert r.returncode == 0 and "warning" not in r.stderr, r.stderr
    assert (
        "compile loss=BinaryCrossentropy(from_logits=true, label_smoothing=0.1) optimizer=adam "
        "metrics=[AUC(curve=PR, name=pr_auc, from_logits=true), FalseNegatives(name=fn), "
        "BinaryAccuracy(threshold=0.0), auc]"
    ) in r.stdout


def test_every_loss_and_metric_has_its_keras_class_and_arguments():
    keras = pytest.importorskip("keras")
    assert set(LOSS_CLASSES) == set(LOSSES)
    assert set(METRICS) <= set(METRIC_CLASSES)
    for module, table in (("losses", LOSS_CLASSES), ("metrics", METRIC_CLASSES)):
        own = importlib.import_module(f"keras.src.{module}").ALL_OBJECTS_DICT
        for snake, entry in table.items():
            cls = getattr(getattr(keras, module), entry.class_name)
            assert own[entry.class_name] is cls
            if module == "metrics":
                assert own[snake] is cls, snake  # the snake name resolves to that class
            accepted = inspect.signature(cls.__init__).parameters
            assert all(a.name in accepted for a in entry.args), (snake, list(accepted))


def test_defaults_written_down_are_keras_defaults():
    keras = pytest.importorskip("keras")
    for module, table in (("losses", LOSS_CLASSES), ("metrics", METRIC_CLASSES)):
        for snake, entry in table.items():
            signature = inspect.signature(getattr(getattr(keras, module), entry.class_name).__init__)
            for a in entry.args:
                if a.name != "name":
                    assert signature.parameters[a.name].default == a.default, (snake, a.name)


LOSS_WEIGHTS = """network weighted
input x: 4
h = x -> dense(8, relu)
output y = h -> dense(1, sigmoid)
output z = h -> dense(2)
compile loss={y: binary_crossentropy, z: mse} optimizer=adam loss_weights={z: 0.5}
"""


def test_loss_weights_as_written_by_hand(tmp_path):
    keras = pytest.importorskip("keras")
    net = netdsl.to_keras(netdsl.loads(LOSS_WEIGHTS), seed=0)
    x = keras.Input((4,), name="x")
    h = keras.layers.Dense(8, activation="relu", name="h")(x)
    y, z = keras.layers.Dense(1, activation="sigmoid", name="y")(h), keras.layers.Dense(2, name="z")(h)
    hand = keras.Model(x, [y, z], name="weighted")
    hand.compile(
        loss={"y": "binary_crossentropy", "z": "mse"}, optimizer="adam", loss_weights={"y": 1.0, "z": 0.5}
    )
    assert net.get_compile_config()["loss_weights"] == hand.get_compile_config()["loss_weights"]
    hand.set_weights(net.get_weights())
    rng = np.random.default_rng(1)
    rows = rng.normal(size=(32, 4)).astype("float32")
    labels = {
        "y": (rng.uniform(size=(32, 1)) < 0.5).astype("float32"),
        "z": rng.normal(size=(32, 2)).astype("float32"),
    }
    ours = net.evaluate(rows, labels, verbose=0, return_dict=True)
    theirs = hand.evaluate(rows, labels, verbose=0, return_dict=True)
    assert ours["loss"] == pytest.approx(theirs["loss"], rel=1e-6)
    assert ours["loss"] == pytest.approx(ours["y_loss"] + 0.5 * ours["z_loss"], rel=1e-5)
    net.save(tmp_path / "w.keras")
    r = run_cli("import", tmp_path / "w.keras")
    assert r.returncode == 0 and "warning" not in r.stderr, r.stderr
    assert "loss_weights={y: 1.0, z: 0.5}" in r.stdout
