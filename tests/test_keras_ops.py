"""One op at a time: small specs (netdsl.loads) against hand-written Keras.

Each test builds the netdsl model and the Keras model a student would write,
compares parameter counts (netdsl's static count, Keras's count_params()),
layer classes and shapes, and predictions after copying the hand-written
weights into the netdsl model; expected values come from Keras itself or from
plain NumPy arithmetic on the inputs.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

import netdsl

keras = pytest.importorskip("keras")
L = keras.layers

ROOT = Path(__file__).resolve().parents[1]
IRIS = ROOT / "examples" / "data" / "iris.csv"
FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


@pytest.fixture(scope="module", autouse=True)
def fresh_session():
    keras.utils.clear_session()
    yield


def build(text, **kwargs):
    graph = netdsl.loads(text, **kwargs)
    return graph, netdsl.to_keras(graph, data=kwargs.get("data"), seed=0)


def rows(n, width, seed=0):
    return np.random.default_rng(seed).normal(size=(n, width)).astype("float32")


def iris_columns():
    with open(IRIS, newline="") as fh:
        data = list(csv.DictReader(fh))
    return {f: np.asarray([float(r[f]) for r in data], dtype="float32") for f in FEATURES}


def as_list(pred):
    return [np.asarray(p) for p in pred] if isinstance(pred, (list, tuple)) else [np.asarray(pred)]


def ops_of(model):
    return [(type(op).__name__, op.name, tuple(op.output.shape)) for op in model.operations]


def classes(model):
    return sorted(type(op).__name__ for op in model.operations)


def parent_names(op):
    return [node.operation.name for node in op._inbound_nodes[0].parent_nodes]


def randomize_and_copy(hand, net, names):
    """Random weights (biases too) in the hand-written layers, copied into
    netdsl's layers: names maps hand-written layer name -> netdsl layer name."""
    rng = np.random.default_rng(99)
    for h_name, n_name in names.items():
        h = hand.get_layer(h_name)
        h.set_weights([rng.normal(0.0, 0.5, size=w.shape).astype("float32") for w in h.get_weights()])
        n = net.get_layer(n_name)
        assert [w.shape for w in n.weights] == [w.shape for w in h.weights], n_name
        n.set_weights(h.get_weights())


def assert_same_predictions(net, hand, x):
    a = as_list(net.predict(x, verbose=0))
    b = as_list(hand.predict(x, verbose=0))
    assert len(a) == len(b)
    for p, q in zip(a, b):
        assert p.shape == q.shape
        np.testing.assert_allclose(p, q, rtol=1e-6, atol=1e-7)
    return a


def emitted_model(graph, net, path: Path):
    """`emit --python` of the graph written to `path` and run: (its source, its
    model with net's weights copied in, layer by layer)."""
    import runpy

    source = netdsl.to_python(graph)
    path.write_text(source, encoding="utf-8")
    emitted = runpy.run_path(str(path))["model"]
    for layer in net.layers:
        if layer.weights:
            emitted.get_layer(layer.name).set_weights(layer.get_weights())
    return source, emitted


def assert_params(graph, net, hand=None):
    p = netdsl.network(graph).params.as_dict()
    assert net.count_params() == p["total"]
    assert sum(int(np.prod(w.shape)) for w in net.trainable_weights) == p["trainable"]
    assert sum(int(np.prod(w.shape)) for w in net.non_trainable_weights) == p["non_trainable"]
    if hand is not None:
        assert hand.count_params() == p["total"]


# --------------------------------------------------------------------------
# dense, repetition, dropout, standardize
# --------------------------------------------------------------------------


def test_dense_without_bias():
    graph, net = build("network nobias\ninput x: 5\noutput y = x -> dense(3, tanh, use_bias=false)\n")
    assert netdsl.network(graph).params.as_dict() == {"total": 5 * 3, "trainable": 5 * 3, "non_trainable": 0}
    assert netdsl.node(graph, "y").params == (15, 0)
    layer = net.get_layer("y")
    assert type(layer) is L.Dense and layer.use_bias is False and len(layer.weights) == 1
    assert layer.get_config()["activation"] == "tanh"

    x = keras.Input(shape=(5,), name="x")
    hand = keras.Model(x, L.Dense(3, activation="tanh", use_bias=False, name="y")(x))
    assert_params(graph, net, hand)
    randomize_and_copy(hand, net, {"y": "y"})
    x = rows(16, 5)
    out = assert_same_predictions(net, hand, x)[0]
    # no bias: a zero row gives exactly zero
    assert np.all(net.predict(np.zeros((1, 5), "float32"), verbose=0) == 0.0)
    np.testing.assert_allclose(out, np.tanh(x @ layer.get_weights()[0]), rtol=1e-5, atol=1e-6)


def test_dense_repeated_three_times():
    graph, net = build("network rep\ninput x: 4\noutput y = x -> dense(8, relu) * 3\n")
    dense = [op for op in net.operations if type(op) is L.Dense]
    assert [d.name for d in dense] == ["y_dense_1", "y_dense_2", "y"]
    assert all(d.units == 8 and d.get_config()["activation"] == "relu" for d in dense)
    assert parent_names(dense[0]) == ["x"]
    assert parent_names(dense[1]) == ["y_dense_1"]
    assert parent_names(dense[2]) == ["y_dense_2"]
    assert netdsl.network(graph).params.total == (4 * 8 + 8) + 2 * (8 * 8 + 8)

    x = keras.Input(shape=(4,), name="x")
    h = x
    for i in range(3):
        h = L.Dense(8, activation="relu", name=f"d{i}")(h)
    hand = keras.Model(x, h)
    assert_params(graph, net, hand)
    randomize_and_copy(hand, net, {"d0": "y_dense_1", "d1": "y_dense_2", "d2": "y"})
    assert_same_predictions(net, hand, rows(16, 4))


def test_dropout_rate():
    graph, net = build("network drop\ninput x: 6\noutput y = x -> dropout(0.25)\n")
    layer = net.get_layer("y")
    assert type(layer) is L.Dropout
    assert layer.rate == 0.25
    assert netdsl.network(graph).params.total == 0 == net.count_params()
    hand = L.Dropout(0.25)
    assert {k: v for k, v in layer.get_config().items() if k != "name"} == {
        k: v for k, v in hand.get_config().items() if k != "name"
    }

    x = np.abs(rows(200, 6)) + 0.5  # no zero among the inputs
    np.testing.assert_array_equal(np.asarray(net(x, training=False)), x)
    dropped = np.asarray(net(x, training=True))
    zero = dropped == 0.0
    # kept values are scaled by 1 / (1 - rate), the others are zero
    np.testing.assert_allclose(dropped[~zero], x[~zero] / 0.75, rtol=1e-6)
    assert 0.15 < zero.mean() < 0.35


def test_standardize_with_explicit_statistics():
    mean, variance = [1.0, -2.0, 0.5], [4.0, 0.25, 2.0]
    graph, net = build(
        "network std\ninput x: 3\noutput y = x -> standardize(mean=[1, -2.0, 0.5], variance=[4, 0.25, 2])\n"
    )
    layer = net.get_layer("y")
    assert type(layer) is L.Normalization
    assert layer.weights == []
    assert netdsl.network(graph).params.as_dict() == {"total": 0, "trainable": 0, "non_trainable": 0}
    assert netdsl.node(graph, "y").params == (0, 0)

    i = keras.Input(shape=(3,), name="x")
    hand = keras.Model(i, L.Normalization(axis=-1, mean=mean, variance=variance)(i))
    assert_params(graph, net, hand)
    x = rows(32, 3) * 3.0
    out = assert_same_predictions(net, hand, x)[0]
    expected = (x.astype("float64") - np.asarray(mean)) / np.sqrt(np.asarray(variance))
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


def test_standardize_adapted_after_a_selection():
    """The statistics are those of the selected columns, in selection order."""
    graph, net = build(
        "network stdsel\n"
        "input iris: [sepal_length, sepal_width, petal_length, petal_width]\n"
        "output y = iris[petal_length, sepal_length] -> standardize -> dense(2)\n",
        data=str(IRIS),
    )
    cols = iris_columns()
    picked = np.stack([cols["petal_length"], cols["sepal_length"]], axis=1)
    hand = L.Normalization(axis=-1)
    hand.adapt(picked)
    mean, var, _count = net.get_layer("y_standardize_1").get_weights()
    np.testing.assert_allclose(mean, hand.get_weights()[0], rtol=1e-6)
    np.testing.assert_allclose(var, hand.get_weights()[1], rtol=1e-6)
    np.testing.assert_allclose(mean, picked.astype("float64").mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(var, picked.astype("float64").var(axis=0), rtol=1e-5)
    assert_params(graph, net)
    assert netdsl.network(graph).params.non_trainable == 2 * 2 + 1


def test_standardize_adapted_on_two_inputs():
    """Input features are read from the CSV by name, in the spec's order."""
    graph, net = build(
        "network std2\ninput s: [sepal_width, sepal_length]\ninput p: [petal_width]\n"
        "output y = concat(p, s) -> standardize\n",
        data=str(IRIS),
    )
    cols = iris_columns()
    seen = np.stack([cols["petal_width"], cols["sepal_width"], cols["sepal_length"]], axis=1)
    mean, var, _count = net.get_layer("y").get_weights()
    np.testing.assert_allclose(mean, seen.astype("float64").mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(var, seen.astype("float64").var(axis=0), rtol=1e-5)
    assert_params(graph, net)


# --------------------------------------------------------------------------
# merges
# --------------------------------------------------------------------------


def test_concat_of_three_operands():
    graph, net = build(
        "network cat3\ninput a: 2\ninput b: 3\ninput c: 1\n"
        "joined = concat(a, b, c)\n"
        "output joined\n"
        "output y = joined -> dense(2)\n"
    )
    cat = net.get_layer("joined")
    assert type(cat) is L.Concatenate
    assert parent_names(cat) == ["a", "b", "c"]
    assert tuple(cat.output.shape) == (None, 6)
    assert netdsl.network(graph).params.total == 6 * 2 + 2

    ins = [keras.Input(shape=(w,), name=n) for n, w in (("a", 2), ("b", 3), ("c", 1))]
    j = L.Concatenate(name="joined")(ins)
    hand = keras.Model(ins, [j, L.Dense(2, name="y")(j)])
    assert classes(net) == classes(hand)
    assert_params(graph, net, hand)
    randomize_and_copy(hand, net, {"y": "y"})
    xs = {"a": rows(8, 2, 1), "b": rows(8, 3, 2), "c": rows(8, 1, 3)}
    joined, _ = assert_same_predictions(net, hand, xs)
    np.testing.assert_array_equal(joined, np.concatenate([xs["a"], xs["b"], xs["c"]], axis=1))


def test_add_of_three_operands():
    graph, net = build(
        "network add3\ninput a: 3\ninput b: 3\ninput c: 3\noutput y = add(a, b, c -> dense(3))\n"
    )
    add = net.get_layer("y")
    assert type(add) is L.Add
    assert parent_names(add) == ["a", "b", "y_dense_1"]
    assert tuple(add.output.shape) == (None, 3)

    ins = [keras.Input(shape=(3,), name=n) for n in "abc"]
    hand = keras.Model(ins, L.Add()([ins[0], ins[1], L.Dense(3, name="d")(ins[2])]))
    assert classes(net) == classes(hand)
    assert_params(graph, net, hand)
    randomize_and_copy(hand, net, {"d": "y_dense_1"})
    xs = {"a": rows(8, 3, 1), "b": rows(8, 3, 2), "c": rows(8, 3, 3)}
    out = assert_same_predictions(net, hand, xs)[0]
    kernel, bias = net.get_layer("y_dense_1").get_weights()
    np.testing.assert_allclose(out, xs["a"] + xs["b"] + xs["c"] @ kernel + bias, rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------
# feature selection
# --------------------------------------------------------------------------

NAMED = "input x: [a, b, c, d]\n"
WIDTH = "input x: 4\n"

SELECTIONS = [
    # id, input line, selection, columns kept, Keras operation, hand-written selection
    ("by-name", NAMED, "x[b, c]", [1, 2], "GetItem", lambda t: t[:, 1:3]),
    ("by-name-reordered", NAMED, "x[d, a]", [3, 0], "Take", lambda t: keras.ops.take(t, [3, 0], axis=1)),
    ("range", NAMED, "x[0:2]", [0, 1], "GetItem", lambda t: t[:, 0:2]),
    ("open-range", NAMED, "x[2:]", [2, 3], "GetItem", lambda t: t[:, 2:]),
    ("index-list", NAMED, "x[0, 2]", [0, 2], "Take", lambda t: keras.ops.take(t, [0, 2], axis=1)),
    ("negative-index", NAMED, "x[-1]", [3], "GetItem", lambda t: t[:, -1:]),
    ("negative-range", NAMED, "x[-3:-1]", [1, 2], "GetItem", lambda t: t[:, -3:-1]),
    ("width-only-range", WIDTH, "x[1:3]", [1, 2], "GetItem", lambda t: t[:, 1:3]),
    ("width-only-indices", WIDTH, "x[3, 1]", [3, 1], "Take", lambda t: keras.ops.take(t, [3, 1], axis=1)),
]


@pytest.mark.parametrize(
    "input_line, selection, columns, kind, by_hand",
    [s[1:] for s in SELECTIONS],
    ids=[s[0] for s in SELECTIONS],
)
def test_selection(input_line, selection, columns, kind, by_hand):
    graph, net = build(f"network sel\n{input_line}output s = {selection}\noutput y = s -> dense(2, relu)\n")
    # the operation, and the Identity layer after it that carries the name (get_layer finds layers only)
    sel = next(op for op in net.operations if op.name == "s_" + ("get_item" if kind == "GetItem" else "take"))
    assert type(sel).__name__ == kind
    assert tuple(sel.output.shape) == (None, len(columns))
    assert parent_names(sel) == ["x"]
    assert type(net.get_layer("s")).__name__ == "Identity" and parent_names(net.get_layer("s")) == [sel.name]
    assert netdsl.network(graph).params.total == len(columns) * 2 + 2

    i = keras.Input(shape=(4,), name="x")
    picked = L.Identity(name="s")(by_hand(i))
    hand = keras.Model(i, [picked, L.Dense(2, activation="relu", name="y")(picked)])
    assert classes(net) == classes(hand)
    assert_params(graph, net, hand)
    randomize_and_copy(hand, net, {"y": "y"})
    x = rows(16, 4)
    selected, _ = assert_same_predictions(net, hand, x)
    np.testing.assert_array_equal(selected, x[:, columns])


def test_saved_selection_model_loads_in_safe_mode(tmp_path):
    graph, net = build(
        "network selsave\ninput x: [a, b, c, d, e]\n"
        "p = x[a, b]\nq = x[e, c]\n"
        "output y = concat(p, q) -> dense(2)\n"
    )
    assert {type(op).__name__ for op in net.operations} >= {"GetItem", "Take"}
    path = tmp_path / "sel.keras"
    net.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    assert ops_of(loaded) == ops_of(net)
    x = rows(16, 5)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), net.predict(x, verbose=0), rtol=1e-6, atol=1e-7)
    probe = keras.Model(loaded.inputs, [loaded.get_layer("y").input])
    np.testing.assert_array_equal(np.asarray(probe.predict(x, verbose=0)), x[:, [0, 1, 4, 2]])


# --------------------------------------------------------------------------
# outputs, compile, unused inputs
# --------------------------------------------------------------------------

MULTI = """network multi
input x: 4
h = x -> dense(8, relu)
output a = h -> dense(2)
output b = h -> dense(1, sigmoid)
compile loss={a: mse, b: binary_crossentropy} metrics=[mae]
"""


def test_multiple_outputs_with_a_loss_each():
    graph, net = build(MULTI)
    assert net.output_names == ["a", "b"]
    assert net.loss == {"a": "mse", "b": "binary_crossentropy"}
    config = net.get_compile_config()
    assert config["metrics"] == {"a": ["mae"], "b": ["mae"]}

    x = keras.Input(shape=(4,), name="x")
    h = L.Dense(8, activation="relu", name="h")(x)
    hand = keras.Model(x, [L.Dense(2, name="a")(h), L.Dense(1, activation="sigmoid", name="b")(h)])
    hand.compile(
        optimizer="rmsprop",
        loss={"a": "mse", "b": "binary_crossentropy"},
        metrics={"a": ["mae"], "b": ["mae"]},
    )
    assert config["loss"] == hand.get_compile_config()["loss"]
    assert config["metrics"] == hand.get_compile_config()["metrics"]
    assert_params(graph, net, hand)
    randomize_and_copy(hand, net, {"h": "h", "a": "a", "b": "b"})

    xs = rows(32, 4)
    rng = np.random.default_rng(5)
    ys = {
        "a": rng.normal(size=(32, 2)).astype("float32"),
        "b": rng.integers(0, 2, size=(32, 1)).astype("float32"),
    }
    assert_same_predictions(net, hand, xs)
    got = net.evaluate(xs, ys, batch_size=32, verbose=0, return_dict=True)
    want = hand.evaluate(xs, ys, batch_size=32, verbose=0, return_dict=True)
    assert set(got) == set(want)
    assert len(got) == 5  # loss, a's and b's loss, a's and b's mae
    for key in want:
        assert got[key] == pytest.approx(want[key], rel=1e-5, abs=1e-6), key
    # one loss per output: each output's loss is its own Keras loss
    pa, pb = hand.predict(xs, verbose=0)
    a_loss = float(np.mean(keras.losses.mean_squared_error(ys["a"], pa)))
    b_loss = float(np.mean(keras.losses.binary_crossentropy(ys["b"], pb)))
    assert got["loss"] == pytest.approx(a_loss + b_loss, rel=1e-4)


def test_one_loss_for_two_outputs_applies_to_each():
    graph, net = build(MULTI.replace("loss={a: mse, b: binary_crossentropy}", "loss=mse"))
    assert net.loss == {"a": "mse", "b": "mse"}
    assert net.get_compile_config()["metrics"] == {"a": ["mae"], "b": ["mae"]}


def test_unused_input_is_not_a_model_input():
    graph, net = build("network unused\ninput x: 3\ninput extra: 5\noutput y = x -> dense(2)\n")
    assert [d.code for d in netdsl.network(graph).diagnostics] == ["ND105"]  # a warning only
    assert [t.name for t in net.inputs] == ["x"]
    assert "extra" not in [op.name for op in net.operations]
    assert len(net.inputs) == 1

    i = keras.Input(shape=(3,), name="x")
    hand = keras.Model(i, L.Dense(2, name="y")(i))
    assert ops_of(net) == ops_of(hand)
    assert_params(graph, net, hand)
    randomize_and_copy(hand, net, {"y": "y"})
    assert_same_predictions(net, hand, rows(8, 3))


# --------------------------------------------------------------------------
# names Keras/TensorFlow would refuse are mapped (regression tests)
# --------------------------------------------------------------------------


def test_spec_without_network_line_can_be_evaluated():
    graph, net = build("input x: 4\noutput y = x -> dense(1)\ncompile loss=mse optimizer=sgd\n")
    x = rows(8, 4)
    net.evaluate(x, np.zeros((8, 1), "float32"), verbose=0)
    net.fit(x, np.zeros((8, 1), "float32"), epochs=1, verbose=0)


def test_network_name_starting_with_underscore_can_be_trained():
    graph, net = build(
        "network _draft\ninput x: 4\noutput y = x -> dense(1)\ncompile loss=mse optimizer=sgd\n"
    )
    x = rows(8, 4)
    net.fit(x, np.zeros((8, 1), "float32"), epochs=1, verbose=0)


def test_non_ascii_layer_name_gives_a_working_model():
    text = "network accents\ninput x: 4\ncafé = x -> dense(3)\noutput y = café -> dense(1)\n"
    graph = netdsl.loads(text)
    net = netdsl.to_keras(graph, seed=0)
    assert net.predict(rows(4, 4), verbose=0).shape == (4, 1)
    assert [layer.name for layer in net.layers] == ["x", "cafu00e9", "y"]
