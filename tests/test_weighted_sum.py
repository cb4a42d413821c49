"""weighted_sum and clip (issue 13, keras.io's variable selection network): the
diagram names the Keras operations the op is, `emit --python` writes them, and
the model equals the same computation written by hand with keras.ops, down to
predictions and a safe_mode reload (the full VSN: tests/test_keras_io_examples.py)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import netdsl
from conftest import run_cli

keras = pytest.importorskip("keras")

SPEC = """network vsn
input x: 6
a = x[0:2] -> dense(4)
b = x[2:4] -> dense(4)
c = x[4:6] -> dense(4) -> clip(-0.5, 0.5)
w = concat(a, b, c) -> dense(3, softmax)
features = weighted_sum(w, stack(a, b, c, axis=1))
output y = features -> dense(1, sigmoid)
"""


def hand_written():
    """The same model in Keras, as keras.io's VSN computes the weighted sum (TensorFlow branch)."""
    x = keras.Input((6,))
    a = keras.layers.Dense(4)(x[:, 0:2])
    b = keras.layers.Dense(4)(x[:, 2:4])
    c = keras.ops.clip(keras.layers.Dense(4)(x[:, 4:6]), -0.5, 0.5)
    w = keras.layers.Dense(3, activation="softmax")(keras.layers.Concatenate()([a, b, c]))
    stacked = keras.ops.stack([a, b, c], axis=1)
    v = keras.ops.transpose(keras.ops.expand_dims(w, -1), axes=[0, 2, 1])
    features = keras.ops.squeeze(keras.ops.matmul(v, stacked), axis=1)
    return keras.Model(x, keras.layers.Dense(1, activation="sigmoid")(features))


def test_same_predictions_as_keras_ops_and_safe_reload(tmp_path):
    keras.utils.clear_session()
    net = netdsl.to_keras(netdsl.loads(SPEC, "vsn.net"), seed=0)
    hand = hand_written()
    kinds = lambda m: sorted(type(op).__name__ for op in m.operations if type(op).__name__ != "Identity")  # noqa: E731
    assert kinds(net) == kinds(hand)
    rng = np.random.default_rng(3)
    dense = lambda m: [layer for layer in m.layers if isinstance(layer, keras.layers.Dense)]  # noqa: E731
    for h, n in zip(dense(hand), dense(net), strict=True):
        values = [rng.normal(0, 0.7, size=v.shape).astype("float32") for v in h.get_weights()]
        h.set_weights(values)
        n.set_weights(values)
    x = rng.normal(size=(16, 6)).astype("float32")
    ours = net.predict(x, verbose=0)
    np.testing.assert_allclose(ours, hand.predict(x, verbose=0), atol=1e-6)
    assert np.ptp(ours) > 0
    net.save(tmp_path / "vsn.keras")
    again = keras.saving.load_model(tmp_path / "vsn.keras", safe_mode=True)
    np.testing.assert_allclose(again.predict(x, verbose=0), ours, atol=1e-6)


def test_diagram_names_the_operations_and_emit_writes_them(tmp_path):
    spec = tmp_path / "vsn.net"
    spec.write_text(SPEC, encoding="utf-8")
    r = run_cli("render", str(spec), "-o", str(tmp_path / "vsn.dot"))
    assert r.returncode == 0, r.stderr
    dot = (tmp_path / "vsn.dot").read_text(encoding="utf-8")
    assert "ExpandDims + Transpose + Matmul + Squeeze + Identity" in dot
    assert '"w" -> "features"' in dot and '"features_stack_1" -> "features"' in dot
    assert "Clip" in dot and "to [-0.5, 0.5]" in dot
    r = run_cli("emit", "--python", str(spec), "-o", str(tmp_path / "vsn.py"))
    assert r.returncode == 0, r.stderr
    source = (tmp_path / "vsn.py").read_text(encoding="utf-8")
    for line in (
        'named_op("ExpandDims", axis=-1, name="features_expand_dims")(w)',
        'named_op("Transpose", axes=[0, 2, 1], name="features_transpose")(features)',
        'named_op("Matmul", name="features_matmul")(features, features_stack_1)',
        'named_op("Squeeze", axis=1, name="features_squeeze")(features)',
        'named_op("Clip", x_min=-0.5, x_max=0.5, name="c_clip")(c_dense_1)',
    ):
        assert line in source, source


LOAD_WITHOUT_NETDSL = """
import sys, numpy as np, keras
model = keras.saving.load_model(sys.argv[1], safe_mode=True)
x = np.load(sys.argv[2])
np.save(sys.argv[3], model.predict(x, verbose=0))
assert not any(name.startswith("netdsl") for name in sys.modules)
print(sorted({type(op).__name__ for op in model.operations}))
"""


def test_keras_file_loads_in_a_process_without_netdsl(tmp_path):
    keras.utils.clear_session()
    net = netdsl.to_keras(netdsl.loads(SPEC, "vsn.net"), seed=0)
    net.save(tmp_path / "vsn.keras")
    x = np.random.default_rng(4).normal(size=(8, 6)).astype("float32")
    np.save(tmp_path / "x.npy", x)
    r = subprocess.run(
        [
            sys.executable,
            "-c",
            LOAD_WITHOUT_NETDSL,
            tmp_path / "vsn.keras",
            tmp_path / "x.npy",
            tmp_path / "y.npy",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    for kind in ("Clip", "ExpandDims", "Transpose", "Matmul", "Squeeze"):
        assert f"'{kind}'" in r.stdout
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), net.predict(x, verbose=0), atol=1e-6)
