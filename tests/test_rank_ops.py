"""reshape, repeat and global pooling (issue 13, point 1) against the same model
written by hand in Keras: layer classes and configs, parameter counts (netdsl's
static count and Keras's), predictions after copying the hand-written weights,
the .keras loading with safe_mode=True, `emit --python` and the diagram."""

from __future__ import annotations

import numpy as np
import pytest
from test_keras_ops import assert_same_predictions, emitted_model, randomize_and_copy

import netdsl

keras = pytest.importorskip("keras")
L = keras.layers

SPEC = """network rank_ops
input x: 12
rows = x -> reshape(3, -1) -> dense(5, tanh)
avg = rows -> global_avg_pool
top = rows -> global_max_pool
seq = x -> dense(4) -> repeat(3) -> dense(2, relu) -> reshape(6)
output y = concat(avg, top, seq) -> dense(1)
"""


def hand_written():
    x = keras.Input((12,), name="x")
    rows = L.Dense(5, activation="tanh", name="rows")(L.Reshape((3, -1))(x))
    avg = L.GlobalAveragePooling1D(name="avg")(rows)
    top = L.GlobalMaxPooling1D(name="top")(rows)
    seq = L.RepeatVector(3)(L.Dense(4, name="d1")(x))
    seq = L.Reshape((6,), name="seq")(L.Dense(2, activation="relu", name="d2")(seq))
    y = L.Dense(1, name="y")(L.Concatenate()([avg, top, seq]))
    return keras.Model(x, y)


WEIGHTS = {"rows": "rows", "d1": "seq_dense_1", "d2": "seq_dense_2", "y": "y"}


def test_shapes_and_counts_statically():
    g = netdsl.loads(SPEC)
    shapes = {n: netdsl.node(g, n).shape for n in ("rows", "avg", "top", "seq_repeat_1", "seq")}
    assert shapes == {"rows": (3, 5), "avg": (5,), "top": (5,), "seq_repeat_1": (3, 4), "seq": (6,)}
    assert netdsl.network(g).params.total == 25 + 52 + 10 + 17


def test_as_written_by_hand(tmp_path):
    graph = netdsl.loads(SPEC)
    net, hand = netdsl.to_keras(graph, seed=0), hand_written()
    assert sorted(type(layer).__name__ for layer in net.layers) == sorted(
        type(layer).__name__ for layer in hand.layers
    )
    assert net.count_params() == hand.count_params() == netdsl.network(graph).params.total
    assert net.get_layer("rows_reshape_1").get_config()["target_shape"] == (3, -1)
    assert net.get_layer("seq_repeat_1").get_config()["n"] == 3
    randomize_and_copy(hand, net, WEIGHTS)
    rows = np.random.default_rng(0).normal(size=(8, 12)).astype("float32")
    (ours,) = assert_same_predictions(net, hand, rows)
    assert np.ptp(ours) > 0
    path = tmp_path / "rank_ops.keras"
    net.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    np.testing.assert_allclose(loaded.predict(rows, verbose=0), ours, rtol=1e-6)

    # emit --python: the same layers, the same predictions with the same weights
    source, emitted = emitted_model(graph, net, tmp_path / "rank_ops.py")
    assert 'layers.Reshape(target_shape=(3, -1), name="rows_reshape_1")(x)' in source
    assert 'layers.RepeatVector(n=3, name="seq_repeat_1")' in source
    assert 'layers.GlobalMaxPooling1D(name="top")(rows)' in source
    assert [type(op).__name__ for op in emitted.operations] == [type(op).__name__ for op in net.operations]
    np.testing.assert_allclose(emitted.predict(rows, verbose=0), ours, atol=1e-6)


def test_drawn_with_their_keras_class_and_shapes():
    text = netdsl.to_dot(netdsl.loads(SPEC))
    for name, cls, shape in (
        ("rows_reshape_1", "Reshape", "(3, 4)"),
        ("avg", "GlobalAveragePooling1D", "(5,)"),
        ("top", "GlobalMaxPooling1D", "(5,)"),
        ("seq_repeat_1", "RepeatVector", "(3, 4)"),
    ):
        line = next(line for line in text.splitlines() if line.strip().startswith(f'"{name}" ['))
        assert cls in line and shape in line, line
