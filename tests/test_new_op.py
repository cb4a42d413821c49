"""A new layer kind, registered in one place (plus each backend's table entry),
is checked, counted, drawn and built with real Keras: docs/architecture.md's
recipe, followed to the letter."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import netdsl
from netdsl.backends import dot, keras_layers
from netdsl.ir import ops
from netdsl.lang.diagnostics import SpecError

keras = pytest.importorskip("keras")


@pytest.fixture
def rms_norm(monkeypatch):
    """rms_norm(epsilon=0.001): Keras's RMSNormalization, a scale per feature."""
    op = ops.Op(
        "rms_norm",
        "layer",
        "Divides each row by its root mean square: rms_norm(epsilon=0.001).",
        params=(ops.Param("epsilon", "float", 0.001, check=lambda v: v > 0, range_text="> 0"),),
        features=lambda c: c.inputs[0].features,
        count=lambda c, out: (out[-1], 0),
        describe=lambda c: f"epsilon {c.args['epsilon']:g}",
    )
    monkeypatch.setitem(ops.OPS, op.name, op)
    monkeypatch.setitem(
        keras_layers.LAYERS,
        op.name,
        keras_layers.KerasLayer("RMSNormalization", lambda n, a: {"epsilon": a["epsilon"]}),
    )
    monkeypatch.setitem(dot.STYLES, op.name, {"fillcolor": "#fce7f3", "color": "#be185d"})
    return op


SPEC = "network ln\ninput x: [a, b, c, d]\nh = x -> dense(3)\noutput y = h -> rms_norm(epsilon=0.01)\n"


def codes_of(text: str) -> list[str]:
    with pytest.raises(SpecError) as info:
        netdsl.loads(text)
    return [d.code for d in info.value.diagnostics]


def test_checked(rms_norm):
    assert codes_of("input x: 4\noutput y = x -> rms_norm(epsilon=-1)\n") == ["ND206"]
    assert codes_of("input x: 4\noutput y = x -> rms_norm(0.1, 2)\n") == ["ND209"]
    assert codes_of("input x: 4\noutput y = x -> rms_norm(eps=0.1)\n") == ["ND204"]
    with pytest.raises(SpecError) as info:
        netdsl.loads("input x: 4\noutput y = x -> rms_nrom\n")
    assert info.value.diagnostics[0].help == "did you mean 'rms_norm'?"


def test_operand_dtypes_and_ranks_are_checked(rms_norm, monkeypatch):
    """An op that accepts other dtypes refuses today's float32 values."""
    monkeypatch.setitem(ops.OPS, "rms_norm", dataclasses.replace(rms_norm, dtypes=("int64",)))
    with pytest.raises(SpecError) as info:
        netdsl.loads("input x: 4\noutput y = x -> rms_norm\n")
    (d,) = info.value.diagnostics
    assert d.code == "ND304" and "'x' is float32 of shape (4,)" in d.message


def test_counted_and_described(rms_norm):
    g = netdsl.loads(SPEC)
    y = netdsl.node(g, "y")
    assert (y.shape, y.dtype, y.features, y.params) == ((3,), "float32", None, (3, 0))
    assert y.args == {"epsilon": 0.01}
    assert netdsl.network(g).params.total == 4 * 3 + 3 + 3
    assert "epsilon 0.01" in ops.describe(y)


def test_drawn(rms_norm):
    text = netdsl.to_dot(netdsl.loads(SPEC))
    line = next(line for line in text.splitlines() if line.strip().startswith('"y" ['))
    assert 'fillcolor="#fce7f3"' in line and "RMSNormalization" in line and "3 params" in line


def test_built_like_the_hand_written_layer(rms_norm, tmp_path):
    g = netdsl.loads(SPEC)
    net = netdsl.to_keras(g, seed=0)
    x = keras.Input((4,), name="x")
    hand = keras.Model(
        x,
        keras.layers.RMSNormalization(epsilon=0.01, name="y")(keras.layers.Dense(3, name="h")(x)),
        name="ln",
    )
    assert [type(layer).__name__ for layer in net.layers] == ["InputLayer", "Dense", "RMSNormalization"]
    assert net.count_params() == hand.count_params() == netdsl.network(g).params.total
    assert net.get_layer("y").get_config() == {**hand.get_layer("y").get_config(), "name": "y"}
    rng = np.random.default_rng(0)
    for layer in hand.layers[1:]:
        layer.set_weights([rng.normal(size=w.shape).astype("float32") for w in layer.get_weights()])
        net.get_layer(layer.name).set_weights(layer.get_weights())
    rows = rng.normal(size=(8, 4)).astype("float32")
    np.testing.assert_allclose(net.predict(rows, verbose=0), hand.predict(rows, verbose=0), rtol=1e-6)
    path = tmp_path / "ln.keras"
    net.save(path)  # a layer of keras.layers: it loads with safe_mode=True
    loaded = keras.models.load_model(path, safe_mode=True)
    np.testing.assert_allclose(loaded.predict(rows, verbose=0), net.predict(rows, verbose=0), rtol=1e-6)
