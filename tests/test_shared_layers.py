"""Shared layers (`layer proj = dense(8, relu)`, applied with `-> proj`): one
Keras layer object, its parameters counted once, against the same model
written by hand in Keras; the emitted Python, the diagram and `check`."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

import netdsl
from conftest import run_cli

SHARED = """network siamese
input a: 4
input b: 4
layer proj = dense(8, relu)
ha = a -> proj
hb = b -> proj
output y = concat(ha, hb) -> dense(1)
"""
# The same model with a layer per branch: a block used twice copies its layers (issue 13: 97 vs 57).
COPIED = SHARED.replace("a -> proj", "a -> dense(8, relu)").replace("b -> proj", "b -> dense(8, relu)")
COPIED = COPIED.replace("layer proj = dense(8, relu)\n", "")


def hand_written(keras, shared: bool):
    L = keras.layers
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    proj = L.Dense(8, activation="relu", name="proj")
    other = proj if shared else L.Dense(8, activation="relu", name="hb")
    y = L.Dense(1, name="y")(L.Concatenate()([proj(a), other(b)]))
    return keras.Model([a, b], y)


def test_shared_layer_is_one_keras_layer_as_written_by_hand(tmp_path):
    keras = pytest.importorskip("keras")
    graph = netdsl.loads(SHARED)
    p = netdsl.network(graph).params
    assert (p.total, p.trainable, p.non_trainable) == (57, 57, 0)
    assert netdsl.network(netdsl.loads(COPIED)).params.total == 97
    net, hand = netdsl.to_keras(graph, seed=0), hand_written(keras, shared=True)
    assert net.count_params() == hand.count_params() == 57
    assert hand_written(keras, shared=False).count_params() == 97
    assert netdsl.to_keras(netdsl.loads(COPIED), seed=0).count_params() == 97
    kinds = [type(layer).__name__ for layer in net.layers]
    assert kinds == [type(layer).__name__ for layer in hand.layers]
    assert kinds.count("Dense") == 2  # proj (called twice) and y
    proj = net.get_layer("proj")
    assert len(proj._inbound_nodes) == 2 and proj.get_config() == hand.get_layer("proj").get_config()
    rng = np.random.default_rng(0)
    for name in ("proj", "y"):
        weights = [rng.uniform(-1, 1, w.shape).astype("float32") for w in hand.get_layer(name).get_weights()]
        hand.get_layer(name).set_weights(weights)
        net.get_layer(name).set_weights(weights)
    rows = {"a": rng.normal(size=(16, 4)).astype("float32"), "b": rng.normal(size=(16, 4)).astype("float32")}
    ours = net.predict(rows, verbose=0)
    np.testing.assert_allclose(ours, hand.predict(rows, verbose=0), rtol=1e-5, atol=1e-6)
    net.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    assert loaded.count_params() == 57
    np.testing.assert_allclose(loaded.predict(rows, verbose=0), ours, rtol=1e-6)
    # The emitted Python makes one layer object too, and the same model.
    (tmp_path / "s.net").write_text(SHARED)
    r = run_cli("emit", "--python", tmp_path / "s.net", "-o", tmp_path / "s.py")
    assert r.returncode == 0, r.stderr
    source = (tmp_path / "s.py").read_text()
    assert source.count('layers.Dense(8, activation="relu", name="proj")') == 1
    assert "ha = proj(a)\nhb = proj(b)\n" in source
    (tmp_path / "run.py").write_text(source + f"\nmodel.save({str(tmp_path / 'e.keras')!r})\n")
    import subprocess

    done = subprocess.run([sys.executable, tmp_path / "run.py"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    emitted = keras.saving.load_model(tmp_path / "e.keras", safe_mode=True)
    assert [layer.name for layer in emitted.layers] == [layer.name for layer in net.layers]
    emitted.set_weights(net.get_weights())
    np.testing.assert_allclose(emitted.predict(rows, verbose=0), ours, rtol=1e-6)


def test_check_counts_a_shared_layer_once_and_says_where(spec):
    r = run_cli("check", spec(SHARED), "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["params"] == {"total": 57, "trainable": 57, "non_trainable": 0}
    by_name = {n["name"]: n for n in report["nodes"]}
    assert (by_name["ha"]["shares"], by_name["ha"]["params"]) == ("proj", 40)
    assert (by_name["hb"]["shares"], by_name["hb"]["params"]) == ("proj", 0)
    assert "shares" not in by_name["y"]
    table = run_cli("check", spec(SHARED)).stdout
    assert "shared proj, 1 of 2, 8 units, relu" in table
    assert "shared proj, 2 of 2, params at ha, 8 units, relu" in table


def test_diagram_joins_the_applications_of_a_shared_layer():
    dot = netdsl.to_dot(netdsl.loads(SHARED))
    assert '"ha" -> "hb" [style="dashed", dir="none", constraint="false"' in dot
    assert "shared proj, 1 of 2" in dot and "shared proj, 2 of 2, params at ha" in dot
    assert "57 parameters" in dot
    assert netdsl.to_dot(netdsl.loads(SHARED)) == dot  # deterministic


def test_shared_layer_applied_in_a_chain_and_a_block(spec):
    text = """input x: 4
layer proj = dense(4, tanh)
block twice(k) (v) {
    return v -> proj -> dense(k)
}
output y = x -> proj * 2 -> twice(3)
"""
    g = netdsl.loads(text)
    shared = [n for n in map(lambda name: netdsl.node(g, name), g) if n.shares == "proj"]
    assert len(shared) == 3
    assert netdsl.network(g).params.total == 20 + 15
    r = run_cli("fmt", "--check", spec(text))
    assert r.returncode == 0, r.stdout + r.stderr
