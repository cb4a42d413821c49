"""Issue 13's layers and merges, each against the same model written by hand
in Keras: layer classes, configs, parameter counts (netdsl's static count and
Keras's), predictions after copying the hand-written weights, and the .keras
loading with safe_mode=True."""

from __future__ import annotations

import numpy as np
import pytest
from test_keras_ops import assert_same_predictions, emitted_model, randomize_and_copy

import netdsl

keras = pytest.importorskip("keras")
L = keras.layers

SPEC = """network ops13
input x: [a, b, c, d]
input w: 1
h = x -> dense(3) -> batchnorm(momentum=0.9, epsilon=0.01) -> relu -> layernorm(epsilon=0.01) ->
    leaky_relu(alpha=0.2) -> prelu
g = x -> dense(3) -> activation(gelu) -> gaussian_noise(0.1, seed=1) -> dropout(0.2, seed=3)
m = multiply(h, g)
s = subtract(h, w)
output y = add(average(m, s), maximum(h, g), minimum(g, w)) -> dense(1, sigmoid)
output z = dot(h, g, normalize=true)
"""


def hand_written():
    x, w = keras.Input((4,), name="x"), keras.Input((1,), name="w")
    h = L.Dense(3, name="h1")(x)
    h = L.BatchNormalization(momentum=0.9, epsilon=0.01, name="h2")(h)
    h = L.ReLU(name="h3")(h)
    h = L.LayerNormalization(epsilon=0.01, name="h4")(h)
    h = L.LeakyReLU(negative_slope=0.2, name="h5")(h)
    h = L.PReLU(name="h")(h)
    g = L.Dense(3, name="g1")(x)
    g = L.Activation("gelu", name="g2")(g)
    g = L.GaussianNoise(0.1, seed=1, name="g3")(g)
    g = L.Dropout(0.2, seed=3, name="g")(g)
    m = L.Multiply(name="m")([h, g])
    s = L.Subtract(name="s")([h, w])
    y = L.Add(name="y_add")([L.Average()([m, s]), L.Maximum()([h, g]), L.Minimum()([g, w])])
    y = L.Dense(1, activation="sigmoid", name="y")(y)
    z = L.Dot(axes=1, normalize=True, name="z")([h, g])
    return keras.Model([x, w], [y, z])


WEIGHTS = {
    "h1": "h_dense_1",
    "h2": "h_batchnorm_1",
    "h4": "h_layernorm_1",
    "h": "h",
    "g1": "g_dense_1",
    "y": "y",
}


def test_layers_and_merges_as_written_by_hand(tmp_path):
    graph = netdsl.loads(SPEC)
    net, hand = netdsl.to_keras(graph, seed=0), hand_written()
    kinds = [type(layer).__name__ for layer in net.layers]
    assert sorted(kinds) == sorted(type(layer).__name__ for layer in hand.layers)
    p = netdsl.network(graph).params
    assert (p.total, p.trainable, p.non_trainable) == (55, 49, 6)
    assert net.count_params() == hand.count_params() == p.total
    assert sum(int(np.prod(v.shape)) for v in net.non_trainable_weights) == p.non_trainable
    for name in ("h_batchnorm_1", "h_layernorm_1", "h_leaky_relu_1", "g_gaussian_noise_1", "g", "z"):
        assert net.get_layer(name).get_config()["name"] == name
    assert net.get_layer("h_leaky_relu_1").get_config()["negative_slope"] == pytest.approx(0.2)
    assert net.get_layer("g").get_config()["seed"] == 3
    rng = np.random.default_rng(0)
    for h_name, n_name in WEIGHTS.items():
        layer = hand.get_layer(h_name)
        layer.set_weights([rng.uniform(0.5, 1.5, v.shape).astype("float32") for v in layer.get_weights()])
        net.get_layer(n_name).set_weights(layer.get_weights())
    rows = {"x": rng.normal(size=(8, 4)).astype("float32"), "w": rng.normal(size=(8, 1)).astype("float32")}
    ours, theirs = net.predict(rows, verbose=0), hand.predict(rows, verbose=0)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    path = tmp_path / "ops13.keras"
    net.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    for a, b in zip(loaded.predict(rows, verbose=0), ours):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_a_size_of_one_broadcasts_as_in_keras():
    graph = netdsl.loads("input x: 4\ninput w: 1\noutput y = add(x, w)\noutput z = x -> multiply(w)\n")
    assert netdsl.node(graph, "y").shape == (4,) == netdsl.node(graph, "z").shape
    net = netdsl.to_keras(graph, seed=0)
    rows = {"x": np.arange(8, dtype="float32").reshape(2, 4), "w": np.asarray([[2.0], [3.0]], "float32")}
    y, z = net.predict(rows, verbose=0)
    np.testing.assert_allclose(y, rows["x"] + rows["w"])
    np.testing.assert_allclose(z, rows["x"] * rows["w"])


def test_drawn_with_their_keras_class():
    text = netdsl.to_dot(netdsl.loads(SPEC))
    for name, cls in (("h_batchnorm_1", "BatchNormalization"), ("m", "Multiply"), ("z", "Dot")):
        line = next(line for line in text.splitlines() if line.strip().startswith(f'"{name}" ['))
        assert cls in line


# ---- rank 3: stack, self-attention, dense on the last axis --------------------------

RANK3 = """network rank3
input x: 6
s = stack(x -> dense({d}), x -> dense({d}), x -> dense({d}), axis={axis})
a = s -> attention({heads}, {key_dim}{extra})
output y = a -> layernorm -> dense(2, tanh) -> flatten -> dense(1)
"""


def rank3_by_hand(d, axis, heads, key_dim, value_dim, use_bias):
    x = keras.Input((6,), name="x")
    parts = [L.Dense(d, name=f"p{i}")(x) for i in range(3)]
    s = keras.ops.stack(parts, axis=axis)
    a = L.MultiHeadAttention(heads, key_dim, value_dim=value_dim, use_bias=use_bias, name="a")(s, s)
    h = L.Dense(2, activation="tanh", name="h")(L.LayerNormalization(name="n")(a))
    return keras.Model(x, L.Dense(1, name="y")(L.Flatten()(h)))


@pytest.mark.parametrize(
    "d, axis, heads, key_dim, value_dim, use_bias",
    [(4, 1, 2, 4, None, True), (5, 1, 3, 2, 7, True), (4, 2, 1, 3, None, False), (4, -1, 2, 5, 3, False)],
)
def test_stack_attention_and_dense_on_rank_3(d, axis, heads, key_dim, value_dim, use_bias):
    """Counts (netdsl's static rule, Keras's) and predictions against hand-written Keras,
    over self-attention settings and both stacking axes ((3, d) and (d, 3))."""
    extra = (f", value_dim={value_dim}" if value_dim else "") + ("" if use_bias else ", use_bias=false")
    spec = RANK3.format(d=d, axis=axis, heads=heads, key_dim=key_dim, extra=extra)
    graph = netdsl.loads(spec)
    rows3 = (3, d) if axis == 1 else (d, 3)
    assert netdsl.node(graph, "s").shape == rows3 == netdsl.node(graph, "a").shape
    assert netdsl.node(graph, "y_dense_1").shape == rows3[:-1] + (2,)
    net, hand = netdsl.to_keras(graph, seed=0), rank3_by_hand(d, axis, heads, key_dim, value_dim, use_bias)
    assert netdsl.network(graph).params.total == net.count_params() == hand.count_params()
    assert net.get_layer("a").get_config()["value_dim"] == (value_dim or key_dim)
    pairs = {"p0": "s_dense_1", "p1": "s_dense_2", "p2": "s_dense_3", "a": "a"}
    pairs.update({"n": "y_layernorm_1", "h": "y_dense_1", "y": "y"})
    randomize_and_copy(hand, net, pairs)
    rows = np.random.default_rng(1).normal(size=(16, 6)).astype("float32")
    (ours,) = assert_same_predictions(net, hand, rows)
    assert np.ptp(ours) > 0


def test_rank_3_model_emitted_as_python_is_the_same_model(tmp_path):
    """emit --python writes stack as the Stack operation (an Identity carrying its
    name), attention called on (s, s)."""
    spec = RANK3.format(d=4, axis=1, heads=2, key_dim=3, extra=", dropout=0.1")
    graph = netdsl.loads(spec)
    net = netdsl.to_keras(graph, seed=0)
    source, emitted = emitted_model(graph, net, tmp_path / "rank3.py")
    # the named value: the Stack operation under an internal name, an Identity carrying `s`
    assert 'named_op("Stack", axis=1, name="s_stack")([s_dense_1, s_dense_2, s_dense_3])' in source
    assert 's = layers.Identity(name="s")(s)' in source
    assert "(s, s)" in source and "use_bias" not in source
    assert [type(op).__name__ for op in emitted.operations] == [type(op).__name__ for op in net.operations]
    rows = np.random.default_rng(2).normal(size=(8, 6)).astype("float32")
    np.testing.assert_allclose(emitted.predict(rows, verbose=0), net.predict(rows, verbose=0), atol=1e-6)


CROSS = """network cross
input x: 6
input c: 5
q = stack(x -> dense(4), x -> dense(4), axis=1)
m = stack(c -> dense(3), c -> dense(3), c -> dense(3), axis=1)
{key}a = q -> attention(2, 5, {operands})
output y = a -> flatten -> dense(1)
"""


def cross_by_hand(with_key):
    x, c = keras.Input((6,), name="x"), keras.Input((5,), name="c")
    q = keras.ops.stack([L.Dense(4, name=f"q{i}")(x) for i in range(2)], axis=1)
    m = keras.ops.stack([L.Dense(3, name=f"m{i}")(c) for i in range(3)], axis=1)
    k = keras.ops.stack([L.Dense(7, name=f"k{i}")(c) for i in range(3)], axis=1) if with_key else None
    attention = L.MultiHeadAttention(2, 5, name="a")
    a = attention(q, m, k) if with_key else attention(q, m)
    return keras.Model([x, c], L.Dense(1, name="y")(L.Flatten()(a)))


@pytest.mark.parametrize("with_key", [False, True])
def test_attention_to_other_values_as_keras_calls_it(with_key, tmp_path):
    """q -> attention(..., value=m[, key=k]) is MultiHeadAttention called on (q, m[, k]): the
    query's shape out, the count of projections of three widths (check's and Keras's), the same
    predictions as the hand-written model, emitted as Python and saved (safe_mode) alike."""

    key = "k = stack(c -> dense(7), c -> dense(7), c -> dense(7), axis=1)\n" if with_key else ""
    graph = netdsl.loads(CROSS.format(key=key, operands="value=m, key=k" if with_key else "value=m"))
    assert netdsl.node(graph, "a").shape == (2, 4)
    net, hand = netdsl.to_keras(graph, seed=0), cross_by_hand(with_key)
    dk = 7 if with_key else 3
    assert netdsl.network(graph).params.total == net.count_params() == hand.count_params()
    assert net.get_layer("a").count_params() == (4 + 1) * 10 + (dk + 1) * 10 + (3 + 1) * 10 + 10 * 4 + 4
    pairs = {f"q{i}": f"q_dense_{i + 1}" for i in range(2)} | {"a": "a", "y": "y"}
    pairs |= {f"{w}{i}": f"{w}_dense_{i + 1}" for w in ("mk" if with_key else "m") for i in range(3)}
    randomize_and_copy(hand, net, pairs)
    rng = np.random.default_rng(3)
    rows = [rng.normal(size=(16, 6)).astype("float32"), rng.normal(size=(16, 5)).astype("float32")]
    (ours,) = assert_same_predictions(net, hand, rows)
    assert np.ptp(ours) > 0
    dot = netdsl.to_dot(graph)  # the diagram says which operand is which
    assert '"m" -> "a" [label=" value (3, 3)"]' in dot
    assert ('"k" -> "a" [label=" key (3, 7)"]' in dot) == with_key
    source, emitted = emitted_model(graph, net, tmp_path / "cross.py")
    assert ("(q, m, k)" if with_key else "(q, m)") in source
    np.testing.assert_allclose(emitted.predict(rows, verbose=0), ours, atol=1e-6)
    net.save(tmp_path / "cross.keras")
    loaded = keras.saving.load_model(tmp_path / "cross.keras", safe_mode=True)
    np.testing.assert_allclose(loaded.predict(rows, verbose=0), ours, atol=1e-6)


def test_keras_cannot_freeze_attention_through_its_constructor():
    """Why attention(trainable=false) is refused (ND206): Keras 3's MultiHeadAttention
    builds its projections trainable whatever the constructor said, and the model trains them.
    If Keras changes this, the refusal can go."""
    x = keras.Input((3, 4))
    model = keras.Model(x, L.MultiHeadAttention(2, 4, trainable=False)(x, x))
    assert len(model.trainable_weights) == 8 and not model.non_trainable_weights
    assert codes_of_trainable("attention(2, 4, trainable=false)") == ["ND206"]


def codes_of_trainable(call: str) -> list[str]:
    from netdsl.lang.diagnostics import SpecError

    try:
        netdsl.loads(f"input x: 6\ns = stack(x -> dense(4), x -> dense(4))\noutput y = s -> {call}\n")
    except SpecError as exc:
        return [d.code for d in exc.diagnostics]
    return []


def test_attention_takes_the_layer_options_of_its_kernels():
    graph = netdsl.loads(
        "input x: 6\ns = stack(x -> dense(4), x -> dense(4))\n"
        "output y = s -> attention(2, 4, kernel_initializer=zeros, kernel_regularizer=l2(0.01)) -> flatten\n"
    )
    layer = netdsl.to_keras(graph, seed=0).get_layer("y_attention_1")
    config = layer.get_config()
    assert config["kernel_initializer"]["class_name"] == "Zeros"
    assert config["kernel_regularizer"]["config"] == {"l2": 0.01}
    assert all(not w.numpy().any() for w in layer.weights if w.path.endswith("kernel"))


def test_check_and_render_show_rank_3_shapes(tmp_path):
    """The TabTransformer example through the CLI: check's table and JSON, and the diagram,
    give the stacked embeddings' (8, 16), the attention's count and the flattened width."""
    import json

    from conftest import ROOT, run_cli

    spec = str(ROOT / "examples" / "keras_io" / "tabtransformer.net")
    table = run_cli("check", spec).stdout
    attention = next(line for line in table.splitlines() if "transformer_1.attended" in line)
    assert attention.split()[1:4] == ["attention", "(8,", "16)"] and "4,304" in attention
    nodes = {n["name"]: n for n in json.loads(run_cli("check", spec, "--json").stdout)["nodes"]}
    assert nodes["encoded"]["shape"] == [8, 16] and nodes["features_flatten_1"]["shape"] == [128]
    run_cli("render", spec, "-o", str(tmp_path / "t.dot"))
    dot = (tmp_path / "t.dot").read_text(encoding="utf-8")
    assert "MultiHeadAttention" in dot and "out (8, 16) · 4,304 params" in dot and "(128,)" in dot


# ---- row positions, rows joined on axis 1, string sequences ----------------------------

POSITIONS = """network positions
input x: 6
s = stack(x -> dense(4), x -> dense(4), x -> dense(4), axis=1)
placed = add(s, s -> positions -> embedding(4, input_dim=5))
rows = concat(placed, x -> dense(4) -> expand_dims(1), axis=1)
output y = rows -> flatten -> dense(1)
"""


def positions_by_hand():
    x = keras.Input((6,), name="x")
    s = keras.ops.stack([L.Dense(4, name=f"p{i}")(x) for i in range(3)], axis=1)
    positions = keras.ops.add(keras.ops.zeros_like(s[:, :, 0], dtype="int32"), np.arange(3, dtype="int32"))
    placed = L.Add()([s, L.Embedding(5, 4, name="e")(positions)])
    target = keras.ops.expand_dims(L.Dense(4, name="t")(x), 1)
    rows = L.Concatenate(axis=1)([placed, target])
    return keras.Model(x, L.Dense(1, name="y")(L.Flatten()(rows)))


def test_positions_and_rows_joined_on_axis_1_as_keras_computes_them(tmp_path):
    """`positions` is computed from its operand in the graph (GetItem, ZerosLike, Add of
    [0, 1, 2]), so the position embedding is a layer that saves, loads (safe_mode) and is
    emitted as Python; concat(axis=1) is Concatenate(axis=1). Same predictions as by hand."""
    import runpy

    graph = netdsl.loads(POSITIONS)
    assert netdsl.node(graph, "placed").shape == (3, 4) and netdsl.node(graph, "rows").shape == (4, 4)
    net, hand = netdsl.to_keras(graph, seed=0), positions_by_hand()
    assert netdsl.network(graph).params.total == net.count_params() == hand.count_params()
    kinds = [type(op).__name__ for op in net.operations]
    assert kinds[kinds.index("GetItem") : kinds.index("GetItem") + 4] == [
        "GetItem",
        "ZerosLike",
        "Add",
        "Embedding",
    ]
    assert net.get_layer("rows").get_config()["axis"] == 1
    pairs = {"p0": "s_dense_1", "p1": "s_dense_2", "p2": "s_dense_3", "e": "placed_embedding_1"}
    pairs |= {"t": "rows_dense_1", "y": "y"}
    randomize_and_copy(hand, net, pairs)
    rows = np.random.default_rng(5).normal(size=(16, 6)).astype("float32")
    (ours,) = assert_same_predictions(net, hand, rows)
    assert np.ptp(ours) > 0
    net.save(tmp_path / "p.keras")
    loaded = keras.saving.load_model(tmp_path / "p.keras", safe_mode=True)
    np.testing.assert_allclose(loaded.predict(rows, verbose=0), ours, atol=1e-6)
    assert "GetItem + ZerosLike + Add" in netdsl.to_dot(graph)
    # emit --python writes no embedding yet: the positions alone, as the model computes them
    alone = netdsl.loads(POSITIONS.split("placed")[0] + "output p = s -> positions\n")
    source = netdsl.to_python(alone)
    assert 'np.arange(3, dtype="int32")' in source
    (tmp_path / "p.py").write_text(source, encoding="utf-8")
    emitted = runpy.run_path(str(tmp_path / "p.py"))["model"]
    got = emitted.predict(rows, verbose=0)
    assert got.tolist() == [[0, 1, 2]] * 16
    assert got.tolist() == netdsl.to_keras(alone, seed=0).predict(rows, verbose=0).tolist()


def test_a_sequence_of_strings_is_a_string_input():
    import tensorflow as tf

    graph = netdsl.loads(
        'input ids: string(3)\nlayer look = lookup(vocabulary=["a", "b"], oov=1)\n'
        "output y = ids -> look -> embedding(2) -> flatten -> dense(1)\n"
    )
    model = netdsl.to_keras(graph, seed=0)
    assert model.input.dtype == "string" and tuple(model.input.shape) == (None, 3)
    y = model.predict(tf.constant([["a", "b", "zzz"], ["b", "b", "a"]]), verbose=0)
    assert y.shape == (2, 1) and np.isfinite(y).all()
