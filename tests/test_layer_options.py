"""Layer options (issue 13, point 6): initializers, regularizers, constraints and
`trainable=false`, against the same model written by hand in Keras (configs,
trainable / non-trainable counts, predictions, safe_mode loading, the emitted
Python), and netdsl's tables (ir/options.py) against Keras's own lists."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys

import numpy as np
import pytest

import netdsl
from conftest import run_cli
from netdsl.backends.keras_layers import LAYERS
from netdsl.ir.ops import OPS
from netdsl.ir.options import FAMILIES, LAYER_OPTIONS

SPEC = """network options
input x: 4
h = x -> dense(8, relu, kernel_initializer=he_normal(seed=1), bias_initializer=constant(0.1),
    kernel_regularizer=l2(1e-4), bias_regularizer=l1(1e-5), activity_regularizer=l1_l2(l1=1e-5, l2=1e-4),
    kernel_constraint=max_norm(3), bias_constraint=non_neg)
n = h -> batchnorm(gamma_initializer=ones, beta_regularizer=l2(0.01), gamma_constraint=unit_norm(axis=0),
    trainable=false)
m = n -> layernorm(beta_initializer=random_uniform(minval=-0.1, maxval=0.1, seed=2))
    -> prelu(alpha_initializer=zeros, alpha_constraint=non_neg)
output y = m -> dense(3, trainable=false, kernel_initializer=glorot_normal(seed=3))
"""


def hand_written(keras):
    L, Init, R, C = keras.layers, keras.initializers, keras.regularizers, keras.constraints
    x = keras.Input((4,), name="x")
    h = L.Dense(
        8,
        activation="relu",
        kernel_initializer=Init.HeNormal(seed=1),
        bias_initializer=Init.Constant(0.1),
        kernel_regularizer=R.L2(1e-4),
        bias_regularizer=R.L1(1e-5),
        activity_regularizer=R.L1L2(l1=1e-5, l2=1e-4),
        kernel_constraint=C.MaxNorm(3),
        bias_constraint=C.NonNeg(),
        name="h",
    )(x)
    n = L.BatchNormalization(
        gamma_initializer="ones",
        beta_regularizer=R.L2(0.01),
        gamma_constraint=C.UnitNorm(axis=0),
        trainable=False,
        name="n",
    )(h)
    m = L.LayerNormalization(
        beta_initializer=Init.RandomUniform(minval=-0.1, maxval=0.1, seed=2), name="m_layernorm_1"
    )(n)
    m = L.PReLU(alpha_initializer="zeros", alpha_constraint=C.NonNeg(), name="m")(m)
    y = L.Dense(3, trainable=False, kernel_initializer=Init.GlorotNormal(seed=3), name="y")(m)
    return keras.Model(x, y, name="options")


def _sizes(weights) -> int:
    return sum(int(np.prod(w.shape)) for w in weights)


def test_options_as_written_by_hand(tmp_path):
    keras = pytest.importorskip("keras")
    graph = netdsl.loads(SPEC)
    p = netdsl.network(graph).params
    net, hand = netdsl.to_keras(graph, seed=0), hand_written(keras)
    assert (p.trainable, p.non_trainable) == (
        _sizes(hand.trainable_weights),
        _sizes(hand.non_trainable_weights),
    )
    assert (p.total, p.trainable, p.non_trainable) == (123, 64, 59)
    assert (_sizes(net.trainable_weights), _sizes(net.non_trainable_weights)) == (64, 59)
    for ours, theirs in zip(net.layers, hand.layers):
        assert ours.get_config() == theirs.get_config(), ours.name
    # Seeded initializers give the same starting weights as the hand-written ones.
    np.testing.assert_array_equal(net.get_layer("h").get_weights()[0], hand.get_layer("h").get_weights()[0])
    np.testing.assert_array_equal(net.get_layer("h").get_weights()[1], np.full(8, 0.1, "float32"))
    rng = np.random.default_rng(0)
    for layer in hand.layers:
        weights = [rng.uniform(0.5, 1.5, w.shape).astype("float32") for w in layer.get_weights()]
        layer.set_weights(weights)
        net.get_layer(layer.name).set_weights(weights)
    rows = rng.normal(size=(16, 4)).astype("float32")
    ours = net.predict(rows, verbose=0)
    np.testing.assert_allclose(ours, hand.predict(rows, verbose=0), rtol=1e-5, atol=1e-6)
    # The regularizers add the same losses.
    assert len(net.losses) == len(hand.losses) > 0
    net.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    assert _sizes(loaded.non_trainable_weights) == 59 and not loaded.get_layer("y").trainable
    np.testing.assert_allclose(loaded.predict(rows, verbose=0), ours, rtol=1e-6)
    # The emitted Python builds the same layers.
    (tmp_path / "o.net").write_text(SPEC)
    r = run_cli("emit", "--python", tmp_path / "o.net", "-o", tmp_path / "o.py")
    assert r.returncode == 0, r.stderr
    source = (tmp_path / "o.py").read_text()
    assert "kernel_regularizer=keras.regularizers.L2(l2=0.0001)" in source
    (tmp_path / "run.py").write_text(source + f"\nmodel.save({str(tmp_path / 'e.keras')!r})\n")
    done = subprocess.run([sys.executable, tmp_path / "run.py"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    emitted = keras.saving.load_model(tmp_path / "e.keras", safe_mode=True)
    for ours_layer, theirs in zip(emitted.layers, net.layers):
        assert ours_layer.get_config() == theirs.get_config()


# Names in Keras's lists that netdsl leaves out: base classes, aliases of names it
# has (normal = random_normal, ...), and STFT (a signal-processing kernel).
LEFT_OUT = {"initializer", "regularizer", "constraint", "normal", "uniform", "one", "zero", "stft"}


def test_tables_are_keras_own_lists():
    keras = pytest.importorskip("keras")
    import importlib

    for table, module in FAMILIES.values():
        kmodule = getattr(keras, module)
        own = importlib.import_module(f"keras.src.{module}").ALL_OBJECTS_DICT  # what `get` resolves
        snake = {name for name in own if name.islower()}
        assert snake - LEFT_OUT <= set(table), snake - set(table)
        for name, entry in table.items():
            cls = getattr(kmodule, entry.class_name)
            assert own["l1l2" if name == "l1_l2" else name] is cls, name  # l1_l2: tf.keras's spelling
            accepted = inspect.signature(cls.__init__).parameters
            assert all(a.name in accepted for a in entry.args), (name, list(accepted))
    for op, options in LAYER_OPTIONS.items():
        if op not in OPS:
            continue  # an op of another branch (embedding)
        cls = getattr(keras.layers, LAYERS[op].class_name)
        accepted = set(inspect.signature(cls.__init__).parameters)
        assert {name for name, _ in options} <= accepted, op
        assert {name for name, _ in options} >= {
            a for a in accepted if a.endswith(("_initializer", "_constraint"))
        }


def test_check_counts_frozen_layers_as_non_trainable(spec):
    r = run_cli("check", spec(SPEC), "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["params"] == {"total": 123, "trainable": 64, "non_trainable": 59}
    args = {n["name"]: n["args"] for n in report["nodes"]}
    assert args["h"]["kernel_regularizer"] == "l2(l2=0.0001)"
    assert args["y"]["trainable"] is False and "trainable" not in args["h"]
    table = run_cli("check", spec(SPEC)).stdout
    assert "kernel_initializer=he_normal(seed=1)" in table and "frozen" in table
    assert "frozen" in netdsl.to_dot(netdsl.loads(SPEC))
