"""Scalar record columns (`float(shape=())`), as keras.io's scripts declare their
inputs, and `expand_dims`, the keras.ops operation that lifts them: shapes in
check, the same model written by hand in Keras (Input(shape=()),
keras.ops.expand_dims), a safe reload, and training and predicting from a CSV
through the CLI (the columns fed as (rows,) arrays)."""

from __future__ import annotations

import csv

import numpy as np
import pytest

import netdsl
from conftest import run_cli

SPEC = """network scalars

input row: {x1: float(shape=()), x2: float(shape=()), kind: string(vocabulary=["a", "b", "c"], shape=())}

output label = concat(
    row[x1] -> expand_dims(-1),
    row[x2] -> expand_dims(-1),
    row[kind] -> lookup(oov=0) -> embedding(2),
) -> dense(1, sigmoid)

compile loss=binary_crossentropy optimizer=adam metrics=[accuracy]
train epochs=2 batch_size=8
"""


def rows(n: int) -> dict:
    g = np.random.default_rng(3)
    return {
        "x1": g.normal(size=n).astype("float32"),
        "x2": g.normal(size=n).astype("float32"),
        "kind": np.array(["a", "b", "c"])[g.integers(0, 3, size=n)],
    }


@pytest.fixture(scope="module")
def built():
    graph = netdsl.loads(SPEC)
    return graph, netdsl.to_keras(graph, seed=0)


def test_check_gives_scalars_and_their_lifts(built):
    graph, _ = built
    shapes = {n: netdsl.node(graph, n).shape for n in graph.nodes}
    assert shapes["label_select_1"] == () and shapes["label_expand_dims_1"] == (1,)
    assert shapes["label_lookup_1"] == () and shapes["label_embedding_1"] == (2,)
    assert shapes["label_concat_1"] == (4,)
    assert netdsl.network(graph).params.total == 3 * 2 + 4 + 1


def test_same_model_as_written_by_hand(built, tmp_path):
    import keras

    _, net = built
    inputs = {
        "x1": keras.Input(shape=(), name="x1"),
        "x2": keras.Input(shape=(), name="x2"),
        "kind": keras.Input(shape=(), dtype="string", name="kind"),
    }
    kind = keras.layers.Embedding(3, 2)(
        keras.layers.StringLookup(vocabulary=["a", "b", "c"], num_oov_indices=0)(inputs["kind"])
    )
    x = keras.layers.Concatenate()(
        [keras.ops.expand_dims(inputs["x1"], -1), keras.ops.expand_dims(inputs["x2"], -1), kind]
    )
    hand = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
    assert [type(op).__name__ for op in net.operations] == [type(op).__name__ for op in hand.operations]
    assert {k: tuple(t.shape) for k, t in net.input.items()} == {k: (None,) for k in inputs}
    for h, n in zip(hand.layers, net.layers):
        n.set_weights([np.random.default_rng(1).normal(size=w.shape) for w in h.get_weights()])
        h.set_weights(n.get_weights())
    import tensorflow as tf

    x = {k: tf.constant(v) for k, v in rows(16).items()}
    np.testing.assert_allclose(net.predict(x, verbose=0), hand.predict(x, verbose=0), atol=1e-6)
    path = tmp_path / "scalars.keras"
    net.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), net.predict(x, verbose=0), atol=1e-6)


@pytest.mark.parametrize("stream", [[], ["--stream"]], ids=["in_memory", "streamed"])
def test_trains_and_predicts_from_a_csv(tmp_path, stream):
    """Streamed, a scalar column is (rows,) in the tf.data pipeline too, as the Input takes it."""
    spec, data, model, out = (tmp_path / f for f in ("s.net", "d.csv", "m.keras", "p.csv"))
    spec.write_text(SPEC, encoding="utf-8")
    r = rows(40)
    with open(data, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["x1", "x2", "kind", "label"])
        w.writerows(zip(r["x1"].tolist(), r["x2"].tolist(), r["kind"].tolist(), (r["x1"] > 0).astype(int)))
    trained = run_cli("train", spec, "--data", data, "-o", model, "--quiet", *stream)
    assert trained.returncode == 0, trained.stderr
    predicted = run_cli("predict", model, "--data", data, "-o", out)
    assert predicted.returncode == 0, predicted.stderr
    with open(out, encoding="utf-8") as f:
        assert len(list(csv.DictReader(f))) == 40


IDS = """network ids

input pair: int(2)

user = pair -> pick(0)
score = dot(user -> embedding(3, input_dim=5), pair -> pick(1) -> embedding(3, input_dim=7))

output y = score -> activation(sigmoid)
"""


def test_integer_ids_picked_and_embedded_as_written_by_hand(tmp_path):
    """`input pair: int(2)`, `pick(i)` (x[:, i]) and embeddings of raw ids, as
    collaborative_filtering_movielens's functional twin writes them."""
    import keras

    graph = netdsl.loads(IDS)
    assert netdsl.node(graph, "user").shape == () and netdsl.network(graph).params.total == 15 + 21
    net = netdsl.to_keras(graph, seed=0)
    pair = keras.Input(shape=(2,), dtype="int64", name="pair")
    u, m = keras.layers.Embedding(5, 3), keras.layers.Embedding(7, 3)
    user = keras.layers.Identity(name="user")(pair[:, 0])  # the layer carrying the name `user` (issue 10)
    hand = keras.Model(
        pair, keras.layers.Activation("sigmoid")(keras.layers.Dot(axes=1)([u(user), m(pair[:, 1])]))
    )
    assert [type(op).__name__ for op in net.operations] == [type(op).__name__ for op in hand.operations]
    assert net.input.dtype == "int64"
    embeddings = [layer for layer in net.layers if isinstance(layer, keras.layers.Embedding)]
    for h, n in zip((u, m), embeddings):
        h.set_weights(n.get_weights())
    x = np.array([[0, 6], [4, 2], [1, 0]], dtype="int64")
    np.testing.assert_allclose(net.predict(x, verbose=0), hand.predict(x, verbose=0), atol=1e-6)
    path = tmp_path / "ids.keras"
    net.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), net.predict(x, verbose=0), atol=1e-6)
