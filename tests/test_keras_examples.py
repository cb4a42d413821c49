"""Every example spec against the same model written by hand in Keras.

For each examples/*.net the test module builds, once, the netdsl model and a
hand-written Keras Functional model (what a course student would write), then
compares: layer classes in a stable topological order, connectivity, output
shapes, parameter counts (static, netdsl's Keras model, hand-written model),
the trainable/non-trainable split, the compile settings and, after copying the
hand-written weights into the netdsl model, predictions and evaluation results.

It also compiles every example with the CLI in subprocesses, loads the .keras
files in one fresh process that imports only Keras (safe_mode=True), and checks
that seeded builds are reproducible, in process and across processes.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

import netdsl

keras = pytest.importorskip("keras")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
IRIS = EXAMPLES / "data" / "iris.csv"
FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]

L = keras.layers


# --------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------


def read_iris():
    """The iris CSV as (float32 features (150, 4), one-hot species (150, 3))."""
    with open(IRIS, newline="") as fh:
        rows = list(csv.DictReader(fh))
    x = np.asarray([[float(r[f]) for f in FEATURES] for r in rows], dtype="float32")
    species = sorted({r["species"] for r in rows})
    y = np.zeros((len(rows), len(species)), dtype="float32")
    for i, r in enumerate(rows):
        y[i, species.index(r["species"])] = 1.0
    return x, y


IRIS_X, IRIS_Y = read_iris()


def example_inputs(name):
    """Real inputs for an example, as {input name: array}, and matching targets."""
    rng = np.random.default_rng(1234)
    if name in ("iris_concat", "iris_add"):
        return {"sepal": IRIS_X[:, 0:2], "petal": IRIS_X[:, 2:4]}, IRIS_Y
    if name in ("iris_feature_groups", "standardized", "iris_dense"):
        return {"iris": IRIS_X}, IRIS_Y
    if name == "mlp_dropout":
        x = rng.uniform(0.0, 1.0, size=(64, 784)).astype("float32")
        return {"pixels": x}, rng.integers(0, 10, size=(64,)).astype("int32")
    if name == "residual":
        x = rng.normal(size=(64, 8)).astype("float32")
        return {"features": x}, rng.integers(0, 2, size=(64, 1)).astype("float32")
    if name == "residual_blocks":
        x = rng.normal(size=(64, 30)).astype("float32")
        return {"features": x}, np.eye(2, dtype="float32")[rng.integers(0, 2, size=64)]
    raise KeyError(name)


# --------------------------------------------------------------------------
# the hand-written models
# --------------------------------------------------------------------------


def hand_iris_concat():
    sepal = keras.Input(shape=(2,), name="sepal")
    petal = keras.Input(shape=(2,), name="petal")
    s = L.Dense(2, activation="relu", name="sepal_h_dense_1")(sepal)
    s = L.Dense(2, activation="relu", name="sepal_h")(s)
    p = L.Dense(2, activation="relu", name="petal_h_dense_1")(petal)
    p = L.Dense(2, activation="relu", name="petal_h")(p)
    x = L.Concatenate(name="species_concat_1")([s, p])
    out = L.Dense(3, activation="softmax", name="species")(x)
    model = keras.Model([sepal, petal], out, name="iris_concat")
    model.compile(
        loss="categorical_crossentropy",
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
        metrics=["accuracy"],
    )
    return model


def hand_iris_add():
    sepal = keras.Input(shape=(2,), name="sepal")
    petal = keras.Input(shape=(2,), name="petal")
    s = L.Dense(4, activation="swish", name="Hidden_Sepal")(sepal)
    p = L.Dense(4, activation="swish", name="Hidden_Petal")(petal)
    x = L.Add(name="species_add_1")([s, p])
    out = L.Dense(3, activation="softmax", name="species")(x)
    model = keras.Model([sepal, petal], out, name="iris_add")
    model.compile(
        loss="categorical_crossentropy",
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
        metrics=["accuracy"],
    )
    return model


def hand_iris_dense():
    iris = keras.Input(shape=(4,), name="iris")
    x = L.Dense(8, activation="relu", name="species_dense_1")(iris)
    x = L.Dense(8, activation="relu", name="species_dense_2")(x)
    out = L.Dense(3, activation="softmax", name="species")(x)
    model = keras.Model(iris, out, name="iris_dense")
    model.compile(
        loss="categorical_crossentropy",
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
        metrics=["accuracy"],
    )
    return model


def hand_residual_blocks():
    # The residual block written out three times, as a user would without netdsl.
    features = keras.Input(shape=(30,), name="features")
    x = L.Dense(64, activation="relu", name="h_dense_1")(features)
    for k in (1, 2, 3):
        p = f"h.residual_{k}."
        h = L.Dense(64, activation="relu", name=p + "h_dense_1")(x)
        h = L.Dropout(0.1, name=p + "h_dropout_1")(h)
        h = L.Dense(64, name=p + "h")(h)
        x = L.Add(name=p + "out")([x, h])
    out = L.Dense(2, activation="softmax", name="h")(x)
    model = keras.Model(features, out, name="residual_blocks")
    model.compile(
        loss="categorical_crossentropy",
        optimizer=keras.optimizers.Adam(learning_rate=0.001),
        metrics=["accuracy"],
    )
    return model


def hand_iris_feature_groups():
    iris = keras.Input(shape=(4,), name="iris")
    s = L.Dense(4, activation="relu", name="sepal_h")(iris[:, 0:2])
    p = L.Dense(4, activation="relu", name="petal_h")(iris[:, 2:4])
    x = L.Concatenate(name="species_concat_1")([s, p])
    x = L.Dense(8, activation="relu", name="species_dense_1")(x)
    out = L.Dense(3, activation="softmax", name="species")(x)
    model = keras.Model(iris, out, name="iris_feature_groups")
    model.compile(
        loss="categorical_crossentropy",
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
        metrics=["accuracy"],
    )
    return model


def hand_mlp_dropout():
    pixels = keras.Input(shape=(784,), name="pixels")
    x = L.Dense(64, activation="relu", name="digit_dense_1")(pixels)
    x = L.Dropout(0.5, name="digit_dropout_1")(x)
    x = L.Dense(64, activation="relu", name="digit_dense_2")(x)
    out = L.Dense(10, activation="softmax", name="digit")(x)
    model = keras.Model(pixels, out, name="mlp_dropout")
    model.compile(loss="sparse_categorical_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
    return model


def hand_standardized():
    iris = keras.Input(shape=(4,), name="iris")
    norm = L.Normalization(axis=-1, name="species_standardize_1")
    norm.adapt(IRIS_X)
    x = norm(iris)
    x = L.Dense(16, activation="relu", name="species_dense_1")(x)
    x = L.Dense(16, activation="relu", name="species_dense_2")(x)
    out = L.Dense(3, activation="softmax", name="species")(x)
    model = keras.Model(iris, out, name="standardized")
    model.compile(
        loss="categorical_crossentropy",
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
        metrics=["accuracy"],
    )
    return model


def hand_residual():
    features = keras.Input(shape=(8,), name="features")
    stem = L.Dense(16, activation="relu", name="stem")(features)
    b = L.Dense(16, activation="relu", name="branch_dense_1")(stem)
    b = L.Dropout(0.1, name="branch_dropout_1")(b)
    b = L.Dense(16, name="branch")(b)
    skip = L.Add(name="skip")([stem, b])
    out = L.Dense(1, activation="sigmoid", name="score")(skip)
    model = keras.Model(features, out, name="residual")
    model.compile(
        loss="binary_crossentropy",
        optimizer=keras.optimizers.Adam(learning_rate=0.001),
        metrics=["accuracy", "auc"],
    )
    return model


# name -> (hand-written builder, needs the iris data, the spec's compile line)
EXAMPLE_SPECS = {
    "iris_concat": (hand_iris_concat, False, ("categorical_crossentropy", "Adam", 0.01, ["accuracy"])),
    "iris_add": (hand_iris_add, False, ("categorical_crossentropy", "Adam", 0.01, ["accuracy"])),
    "residual_blocks": (
        hand_residual_blocks,
        False,
        ("categorical_crossentropy", "Adam", 0.001, ["accuracy"]),
    ),
    "iris_dense": (hand_iris_dense, False, ("categorical_crossentropy", "Adam", 0.01, ["accuracy"])),
    "iris_feature_groups": (
        hand_iris_feature_groups,
        False,
        ("categorical_crossentropy", "Adam", 0.01, ["accuracy"]),
    ),
    "mlp_dropout": (
        hand_mlp_dropout,
        False,
        ("sparse_categorical_crossentropy", "RMSprop", 0.001, ["accuracy"]),
    ),
    "standardized": (hand_standardized, True, ("categorical_crossentropy", "Adam", 0.01, ["accuracy"])),
    "residual": (hand_residual, False, ("binary_crossentropy", "Adam", 0.001, ["accuracy", "auc"])),
}
NAMES = sorted(EXAMPLE_SPECS)


# Examples of records (raw columns, encodings) are compared with their hand-written
# twins in tests/test_tabular.py, which feeds them raw rows.
RECORD_EXAMPLES = ["penguins"]


def test_every_example_is_covered():
    assert sorted(p.stem for p in EXAMPLES.glob("*.net")) == sorted(NAMES + RECORD_EXAMPLES)


def example_data(name):
    """The data an example's standardize layers adapt on (None: it needs none)."""
    return str(IRIS) if EXAMPLE_SPECS[name][1] else None


def load_example(name):
    return netdsl.load(str(EXAMPLES / f"{name}.net"), data=example_data(name))


# --------------------------------------------------------------------------
# structure helpers
# --------------------------------------------------------------------------


def parents(op, model=None):
    """The operations feeding `op` in `model`, in argument order (a Concatenate's order).

    A layer called in several graphs (first in the nested Sequential it belongs to, then in
    the model that expands that Sequential) has a node per call: the one of `model` counts."""
    return [node.operation for node in calls(op, model)[0].parent_nodes]


def calls(op, model=None):
    """The nodes of `op` in `model`: one per call (a shared layer has several)."""
    nodes = op._inbound_nodes
    if model is not None and len(nodes) > 1:
        mine = {id(n) for depth in model._nodes_by_depth.values() for n in depth}
        nodes = [n for n in nodes if id(n) in mine]
    return nodes


def selected_columns(op):
    """For a selection (GetItem / Take), the input values it keeps, found by
    running it on the row 0, 1, ..., n-1 (of any shape); None for other operations."""
    if type(op).__name__ not in ("GetItem", "Take"):
        return None
    args = op._inbound_nodes[0].arguments.args
    shape = tuple(args[0].shape[1:])
    probe = np.arange(int(np.prod(shape)), dtype="float32").reshape((1, *shape))
    return tuple(int(v) for v in np.asarray(op(probe, *args[1:])).ravel())


def detail(op):
    """What tells two operations of one kind and shape on the same inputs apart: a
    selection's columns, a layer's activation (keras.io's GRN applies Dense(16, elu) and
    its projection Dense(16) to one value)."""
    columns = selected_columns(op)
    if columns is not None:
        return columns
    activation = getattr(op, "activation", None)
    return getattr(activation, "__name__", None) if callable(activation) else None


# Keras classes that are the same computation under another name: FeatureSpace concatenates
# with its own TFDConcat layer (a Concatenate on the last axis)
KIND_ALIASES = {"TFDConcat": "Concatenate"}


def kind(op) -> str:
    """An operation's class name, up to KIND_ALIASES."""
    name = type(op).__name__
    return KIND_ALIASES.get(name, name)


def signatures(model):
    """{id(op): signature}: class, output shape and, recursively, its inputs.

    Two models whose output signatures are equal compute the same graph of
    layer kinds and shapes, wired the same way, whatever the layers are named.
    """
    input_index = {id(t._keras_history.operation): i for i, t in enumerate(model.inputs)}
    memo = {}

    def sig(op):
        if id(op) not in memo:
            shape = tuple(op.output.shape)
            ins = parents(op, model)
            shared = calls(op, model)
            if len(shared) > 1:  # a layer called several times: each call, in an order of their own
                each = [
                    (tuple(n.outputs[0].shape), tuple(sig(p.operation) for p in n.parent_nodes))
                    for n in shared
                ]
                memo[id(op)] = (kind(op), "shared", tuple(sorted(each, key=repr)))
            elif ins:
                memo[id(op)] = (kind(op), shape, detail(op), tuple(sig(p) for p in ins))
            else:
                memo[id(op)] = (kind(op), shape, ("input", input_index[id(op)]))
        return memo[id(op)]

    for op in model.operations:
        sig(op)
    return memo


def canonical_order(model):
    """The model's operations in a stable topological order: by depth from the
    inputs, ties broken by signature (independent of names and creation order)."""
    sigs = signatures(model)
    depth = {}

    def d(op):
        if id(op) not in depth:
            ins = [n.operation for call in calls(op, model) for n in call.parent_nodes]
            depth[id(op)] = 1 + max((d(p) for p in ins), default=-1)
        return depth[id(op)]

    return sorted(model.operations, key=lambda op: (d(op), repr(sigs[id(op)])))


def pair_operations(hand, net, twins=False):
    """[(hand op, netdsl op)] matched by signature; asserts the graphs agree.

    With `twins`, several operations may share a signature when none has
    weights (keras.io's Wide & Deep lifts each column once per path: two
    ExpandDims of one Input compute the same values); each such group must be
    as large in both models.
    """
    hs, ns = signatures(hand), signatures(net)
    h_by_sig: dict = {}
    n_by_sig: dict = {}
    for op in hand.operations:
        h_by_sig.setdefault(hs[id(op)], []).append(op)
    for op in net.operations:
        n_by_sig.setdefault(ns[id(op)], []).append(op)
    checks = ((h_by_sig, "ambiguous hand-written graph"), (n_by_sig, "indistinguishable netdsl ops"))
    for by_sig, what in checks:
        for ops in by_sig.values():
            assert len(ops) == 1 or (twins and not any(getattr(op, "weights", None) for op in ops)), what
    assert {s: len(o) for s, o in h_by_sig.items()} == {s: len(o) for s, o in n_by_sig.items()}
    return [pair for s in h_by_sig for pair in zip(h_by_sig[s], n_by_sig[s])]


def count(weights):
    return int(sum(np.prod(w.shape) for w in weights))


def randomize(model, seed):
    """Give every trainable weight (biases too) non-trivial random values."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if layer.trainable_weights:
            values = [rng.normal(0.0, 0.5, size=w.shape).astype("float32") for w in layer.weights]
            # a variance is positive: a negative one makes every prediction NaN, and NaN == NaN
            # in assert_allclose would pass any pair of models
            values = [
                abs(v) + 0.1 if w.path.endswith("variance") else v for v, w in zip(values, layer.weights)
            ]
            layer.set_weights(values)


def feed(inputs):
    """What predict/evaluate take: the array itself for a one-input model."""
    return next(iter(inputs.values())) if len(inputs) == 1 else inputs


def as_list(pred):
    return [np.asarray(p) for p in pred] if isinstance(pred, (list, tuple)) else [np.asarray(pred)]


# --------------------------------------------------------------------------
# fixtures: every model built once per module
# --------------------------------------------------------------------------


class Built:
    def __init__(self, name):
        self.name = name
        self.graph = load_example(name)
        self.net = netdsl.to_keras(self.graph, data=example_data(name), seed=0)
        self.hand = EXAMPLE_SPECS[name][0]()
        # before any weight is copied: netdsl's own adapted statistics
        self.net_initial = {op.name: [np.array(w) for w in op.get_weights()] for op in self.net.layers}
        named, self.targets = example_inputs(name)
        self.inputs = feed(named)
        self.copied = False

    def copy_weights(self):
        if not self.copied:
            randomize(self.hand, seed=len(self.name))
            for h, n in pair_operations(self.hand, self.net):
                if isinstance(h, L.Layer) and h.weights:
                    n.set_weights(h.get_weights())
                    # Normalization caches mean/variance when adapted or
                    # loaded; set_weights alone does not refresh that cache
                    if isinstance(n, L.Normalization):
                        n.finalize_state()
            self.copied = True


@pytest.fixture(scope="module")
def built():
    keras.utils.clear_session()
    return {name: Built(name) for name in NAMES}


@pytest.fixture(params=NAMES)
def ex(request, built):
    return built[request.param]


# --------------------------------------------------------------------------
# in-process comparisons
# --------------------------------------------------------------------------


def test_layer_classes_in_topological_order(ex):
    hand = [(type(op).__name__, tuple(op.output.shape)) for op in canonical_order(ex.hand)]
    net = [(type(op).__name__, tuple(op.output.shape)) for op in canonical_order(ex.net)]
    assert net == hand
    assert len(ex.net.operations) == len(ex.hand.operations)


def node_of(ex, keras_name: str) -> str:
    """The graph node a Keras layer was built from (blocks' `/` become `.` in Keras)."""
    from netdsl.backends.keras import keras_names

    return {v: k for k, v in keras_names(ex.graph).items()}[keras_name]


def test_connectivity_and_output_shapes(ex):
    hs, ns = signatures(ex.hand), signatures(ex.net)
    assert [ns[id(t._keras_history.operation)] for t in ex.net.outputs] == [
        hs[id(t._keras_history.operation)] for t in ex.hand.outputs
    ]
    assert [tuple(t.shape) for t in ex.net.inputs] == [tuple(t.shape) for t in ex.hand.inputs]
    for h, n in pair_operations(ex.hand, ex.net):
        assert tuple(n.output.shape) == tuple(h.output.shape), n.name
        # the static shape of the graph node agrees with Keras
        assert (None,) + tuple(netdsl.node(ex.graph, node_of(ex, n.name)).shape) == tuple(n.output.shape)


def test_layer_configs_match(ex):
    """Units, activations, use_bias, dropout rates, ... as written by hand."""
    for h, n in pair_operations(ex.hand, ex.net):
        if isinstance(h, L.Layer):
            want = {k: v for k, v in h.get_config().items() if k != "name"}
            got = {k: v for k, v in n.get_config().items() if k != "name"}
            assert got == want, n.name


def test_layer_names_follow_the_spec(ex):
    """Layers carry the spec's names (the hand-written model uses them too);
    selections are named operations of their own."""
    needed = set(netdsl.network(ex.graph).outputs)
    for out in netdsl.network(ex.graph).outputs:
        needed |= nx.ancestors(ex.graph, out)
    from netdsl.backends.keras import keras_names

    names = keras_names(ex.graph)
    assert sorted(op.name for op in ex.net.operations) == sorted(names[n] for n in needed)
    for h, n in pair_operations(ex.hand, ex.net):
        if type(h).__name__ in ("GetItem", "Take"):
            assert netdsl.node(ex.graph, node_of(ex, n.name)).op == "select"
        else:
            assert n.name == h.name
    assert ex.net.name == ex.hand.name


EVERY_EXAMPLE = [
    p for p in sorted(EXAMPLES.rglob("*.net")) if "errors" not in p.parts and p.name != "blocks.net"
]


def assert_every_name_is_a_keras_layer(g, model) -> None:
    """Each name a spec binds (inputs, outputs, named values, a block's results,
    every name of `a, b = gate(...)`, each block use's own names), as `check`
    shows it, is a layer `model.get_layer` finds under its Keras name. A value
    Keras computes with an operation (a selection's GetItem or Take, a fill's
    NanToNum or Where) or with no object at all (columns of a record: the
    Inputs themselves) is named by an Identity layer after it, the operation
    having an internal name; an unnamed one (a chain's head) is the bare
    operation. A record is one Keras Input per column it reads, named after
    the column; a category's fill is an Equal (NAME_missing) and a Where; a
    named application of a shared layer is that layer, under its declaration's
    name. Nothing else is in the model, and the Identities add no parameters."""
    from netdsl.backends.keras_layers import (
        carried_by_identity,
        keras_inputs,
        keras_names,
        layer_spec,
        needed_nodes,
        operation_names,
        step_names,
    )
    from netdsl.ir.core import in_order
    from netdsl.ir.report import graph_json

    names, internal, needed = keras_names(g), operation_names(g), needed_nodes(g)
    shown = [n["name"] for n in graph_json(g)["nodes"]]
    net = netdsl.network(g)
    bound = [n.name for n in in_order(g) if n.binding == n.name and n.name in needed]
    assert set(net.definitions) - set(net.shared) <= {n.name for n in in_order(g) if n.binding == n.name}
    assert set(bound) <= set(shown)
    records = {n.name for n in in_order(g) if n.op == "input" and n.declared and n.declared.fields}
    # a named application of a shared layer (`ha = a -> proj`) is that one layer, `proj`
    shares = {n.name: n.shares for n in in_order(g) if n.shares is not None}
    for name in bound:
        if name not in records:
            keras_name = names[shares.get(name, name)]
            assert model.get_layer(keras_name).name == keras_name, name
    columns = {ki.name for ki in keras_inputs(g) if ki.node in records}
    for column in columns:
        assert type(model.get_layer(column)).__name__ == "InputLayer"
    picks = {n.name for n in in_order(g) if n.op == "select" and n.inputs[0] in records}
    carried = {n.name for n in in_order(g) if n.name in needed and carried_by_identity(n)}
    tokens = {
        f"{internal.get(n.name, names[n.name])}_missing"
        for n in in_order(g)
        if n.name in needed and n.op == "fill" and n.args and n.args["value"][0] == "token"
    }
    # a shared layer is one operation under its declaration's name, whatever applies it
    expected = {names[n] for n in needed - records - (picks - carried) - set(shares)} | columns | tokens
    expected |= {internal[n] for n in carried if n in internal}
    for n in in_order(g):  # an op that is several operations (weighted_sum): the ones before its last
        spec = layer_spec(n) if n.name in needed else None
        if spec is not None and len(spec.steps) > 1:
            expected |= set(step_names(spec, "", names[n.name])[:-1])
    expected |= {names[shares[n]] for n in needed & set(shares)}
    assert sorted(op.name for op in model.operations) == sorted(expected)
    for name in carried:
        identity = model.get_layer(names[name])
        assert type(identity).__name__ == "Identity" and not identity.weights
    assert model.count_params() == net.params.total


@pytest.mark.parametrize("path", EVERY_EXAMPLE, ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_every_name_of_every_example_is_a_keras_layer(path):
    from conftest import data_for

    g = netdsl.load(str(path), data=data_for(path))
    assert_every_name_is_a_keras_layer(g, netdsl.to_keras(g, data=data_for(path), seed=0))


NAMED_OPERATIONS = {
    # selections (GetItem for a slice, Take for a gather) and fills (NanToNum) of a
    # vector, named, unnamed (a chain's head), an output, and an Identity's name taken
    "vector": (
        """network named_operations
input iris: [sepal_length, sepal_width, petal_length, petal_width]
s1 = iris[sepal_length, sepal_width]
s2 = iris[sepal_length, petal_width]
s1_get_item = s1 -> dense(2)
filled = iris -> fill(0)
part = filled[2:4] -> dense(3, relu)
h = concat(s1, s2, s1_get_item, part) -> dense(4, relu)
output species = h -> dense(3, softmax)
output picked = iris[petal_width]
""",
        None,
    ),
    # a record: a named column, a named bundle of columns, a named fill of each kind
    "record": (
        """network named_columns
input p: {a, b, c, island: string}
x = p[a]
xs = p[b, c]
f = x -> fill(0)
isl = p[island] -> fill("unknown")
oh = isl -> one_hot
h = concat(f, xs, oh) -> dense(4, relu)
output y = h -> dense(1, sigmoid)
""",
        "a,b,c,island,y\n1,2,3,A,0\nNA,3,4,B,1\n3,4,5,NA,0\n4,5,6,A,1\n",
    ),
}


@pytest.mark.parametrize("case", sorted(NAMED_OPERATIONS))
def test_every_named_operation_is_a_keras_layer(case, tmp_path):
    """Named selections and fills (operations in Keras) and named picks of record
    columns are found by model.get_layer, with the name check shows."""
    text, rows = NAMED_OPERATIONS[case]
    spec = tmp_path / f"{case}.net"
    spec.write_text(text, encoding="utf-8")
    data = None
    if rows is not None:
        data = tmp_path / f"{case}.csv"
        data.write_text(rows, encoding="utf-8")
    g = netdsl.load(str(spec), data=data)
    model = netdsl.to_keras(g, data=data, seed=0)
    assert_every_name_is_a_keras_layer(g, model)
    kinds = {op.name: type(op).__name__ for op in model.operations}
    if case == "vector":
        assert (kinds["s1_get_item_2"], kinds["s1"]) == ("GetItem", "Identity")
        assert (kinds["s2_take"], kinds["picked_get_item"]) == ("Take", "GetItem")
        assert (kinds["filled_nan_to_num"], kinds["filled"]) == ("NanToNum", "Identity")
        assert kinds["part_select_1"] == "GetItem"  # unnamed: no Identity
        drawn = {  # the diagram says what Keras has under each name
            line.split('"')[1]: line for line in netdsl.to_dot(g).splitlines() if "label=<" in line
        }
        assert "GetItem + Identity" in drawn["s1"] and "Take + Identity" in drawn["s2"]
        assert "Identity" not in drawn["part_select_1"]
        assert model.output_names == ["species", "picked"]
    else:
        assert [kinds[n] for n in ("x", "xs", "f", "isl", "isl_where", "f_nan_to_num")] == [
            "Identity"
        ] * 4 + ["Where", "NanToNum"]
        assert len(model.get_layer("xs").output) == 2  # the bundle: both columns


def test_parameter_counts(ex):
    static = netdsl.network(ex.graph).params.as_dict()
    assert ex.net.count_params() == static["total"] == ex.hand.count_params()
    assert count(ex.net.trainable_weights) == static["trainable"] == count(ex.hand.trainable_weights)
    assert (
        count(ex.net.non_trainable_weights) == static["non_trainable"] == count(ex.hand.non_trainable_weights)
    )
    assert static["total"] == static["trainable"] + static["non_trainable"]
    for h, n in pair_operations(ex.hand, ex.net):
        t, nt = netdsl.node(ex.graph, node_of(ex, n.name)).params
        got_t = count(n.trainable_weights) if isinstance(n, L.Layer) else 0
        got_nt = count(n.non_trainable_weights) if isinstance(n, L.Layer) else 0
        assert (got_t, got_nt) == (t, nt), n.name
        if isinstance(h, L.Layer):
            assert [w.shape for w in n.weights] == [w.shape for w in h.weights], n.name


def test_identical_predictions_after_copying_weights(ex):
    ex.copy_weights()
    net = as_list(ex.net.predict(ex.inputs, batch_size=256, verbose=0))
    hand = as_list(ex.hand.predict(ex.inputs, batch_size=256, verbose=0))
    assert len(net) == len(hand)
    for a, b in zip(net, hand):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    # the eager call (training=False: dropout is off) agrees too
    for a, b in zip(as_list(ex.net(ex.inputs, training=False)), hand):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_compile_settings_match_the_spec(ex):
    loss, optimizer, lr, metrics = EXAMPLE_SPECS[ex.name][2]
    assert ex.net.loss == loss
    assert type(ex.net.optimizer) is getattr(keras.optimizers, optimizer)
    assert float(ex.net.optimizer.learning_rate) == pytest.approx(lr, rel=1e-6)
    config = ex.net.get_compile_config()
    assert config["metrics"] == metrics
    assert without_optimizer_name(config) == without_optimizer_name(ex.hand.get_compile_config())


def without_optimizer_name(config):
    """A compile config without the optimizer's automatic name (adam, adam_1, ...)."""
    config = json.loads(json.dumps(config))
    config["optimizer"]["config"].pop("name")
    return config


def test_evaluation_matches_the_hand_written_model(ex):
    """Loss and metrics named on the compile line, with the same values."""
    ex.copy_weights()
    metrics = EXAMPLE_SPECS[ex.name][2][3]
    n = len(ex.targets)
    net = ex.net.evaluate(ex.inputs, ex.targets, batch_size=n, verbose=0, return_dict=True)
    hand = ex.hand.evaluate(ex.inputs, ex.targets, batch_size=n, verbose=0, return_dict=True)
    assert set(net) == {"loss", *metrics} == set(hand)
    for key in net:
        assert net[key] == pytest.approx(hand[key], rel=1e-5, abs=1e-6), key


def test_standardize_adapted_statistics(built):
    ex = built["standardized"]
    net = ex.net_initial["species_standardize_1"]
    hand = ex.hand.get_layer("species_standardize_1").get_weights()
    assert len(net) == len(hand) == 3  # mean, variance, count
    np.testing.assert_allclose(net[0], hand[0], rtol=1e-6)
    np.testing.assert_allclose(net[1], hand[1], rtol=1e-6)
    # population mean and variance of the four columns
    np.testing.assert_allclose(net[0], IRIS_X.astype("float64").mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(net[1], IRIS_X.astype("float64").var(axis=0), rtol=1e-5)
    layer = ex.net.get_layer("species_standardize_1")
    assert type(layer) is L.Normalization
    assert layer.trainable_weights == []


# --------------------------------------------------------------------------
# CLI: compile in subprocesses, load in a fresh process without netdsl
# --------------------------------------------------------------------------

SEED = 7
# compiled a second time, in separate processes, for the determinism check
RECOMPILED = ("residual", "standardized")

CHILD = textwrap.dedent("""
    import json, sys
    import numpy as np
    import keras
    request = json.load(open(sys.argv[1]))
    result = {}
    for name, item in request.items():
        model = keras.models.load_model(item["path"], safe_mode=True)
        arrays = np.load(item["inputs"])
        inputs = {k: arrays[k] for k in arrays.files}
        if len(inputs) == 1:
            inputs = inputs[arrays.files[0]]
        pred = model.predict(inputs, batch_size=256, verbose=0)
        preds = pred if isinstance(pred, (list, tuple)) else [pred]
        result[name] = {
            "predictions": [np.asarray(p).tolist() for p in preds],
            "operations": [[type(op).__name__, op.name] for op in model.operations],
        }
    result["netdsl_imported"] = "netdsl" in sys.modules
    print("RESULT " + json.dumps(result))
""")


def child_env():
    env = dict(os.environ)
    env["KERAS_BACKEND"] = "tensorflow"
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.pop("PYTHONPATH", None)
    return env


def run_all(commands, cwd, parallel=3):
    """Run the commands, a few at a time; each must succeed."""
    pending = list(commands)
    running = []
    while pending or running:
        while pending and len(running) < parallel:
            cmd = pending.pop(0)
            running.append(
                (
                    cmd,
                    subprocess.Popen(
                        cmd,
                        cwd=cwd,
                        env=child_env(),
                        stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE,
                        text=True,
                    ),
                )
            )
        cmd, proc = running.pop(0)
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, f"{cmd} failed ({proc.returncode}):\n{out}\n{err}"


def compile_command(name, out):
    cmd = [
        sys.executable,
        "-m",
        "netdsl",
        "compile",
        str(EXAMPLES / f"{name}.net"),
        "-o",
        str(out),
        "--seed",
        str(SEED),
    ]
    if EXAMPLE_SPECS[name][1]:
        cmd += ["--data", str(IRIS)]
    return cmd


# Keras warns when it loads a model saved compiled but never trained (its
# optimizer had no slot variables yet); hand-written models do the same.
SKIPPED_OPTIMIZER = "ignore:Skipping variable loading for optimizer:UserWarning"


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    base = tmp_path_factory.mktemp("cli")
    first, second = base / "first", base / "second"
    commands = [compile_command(n, first / f"{n}.keras") for n in NAMES]
    commands += [compile_command(n, second / f"{n}.keras") for n in RECOMPILED]
    run_all(commands, cwd=ROOT)

    request = {}
    for name in NAMES:
        arrays = base / f"{name}.npz"
        np.savez(arrays, **example_inputs(name)[0])
        request[name] = {"path": str(first / f"{name}.keras"), "inputs": str(arrays)}
    (base / "request.json").write_text(json.dumps(request))
    (base / "child.py").write_text(CHILD)
    # one fresh process loads every compiled model; it runs in `base`, so
    # the source tree is not on its path
    proc = subprocess.run(
        [sys.executable, str(base / "child.py"), str(base / "request.json")],
        cwd=base,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    return {"first": first, "second": second, "child": json.loads(line[len("RESULT ") :])}


@pytest.mark.filterwarnings(SKIPPED_OPTIMIZER)
def test_cli_compiled_models_load_without_netdsl(cli):
    child = cli["child"]
    assert child["netdsl_imported"] is False
    for name in NAMES:
        path = cli["first"] / f"{name}.keras"
        assert path.is_file()
        loaded = keras.models.load_model(path, safe_mode=True)
        inputs = feed(example_inputs(name)[0])
        mine = as_list(loaded.predict(inputs, batch_size=256, verbose=0))
        theirs = [np.asarray(p, dtype="float32") for p in child[name]["predictions"]]
        assert len(mine) == len(theirs)
        for a, b in zip(mine, theirs):
            assert a.shape == b.shape
            np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)
        assert child[name]["operations"] == [[type(op).__name__, op.name] for op in loaded.operations]
        # the saved model is the model netdsl builds
        graph = load_example(name)
        assert loaded.count_params() == netdsl.network(graph).params.total
        assert loaded.name == name


def weights_of(model):
    return {layer.name: layer.get_weights() for layer in model.layers}


def assert_same_weights(a, b):
    assert a.keys() == b.keys()
    for name in a:
        assert len(a[name]) == len(b[name]), name
        for x, y in zip(a[name], b[name]):
            np.testing.assert_array_equal(x, y, err_msg=name)


def differs(a, b):
    return any(not np.array_equal(x, y) for k in a for x, y in zip(a[k], b[k]))


@pytest.mark.parametrize("name", NAMES)
def test_seeded_builds_are_identical_in_process(name):
    graph, data = load_example(name), example_data(name)
    first = weights_of(netdsl.to_keras(graph, data=data, seed=SEED))
    second = weights_of(netdsl.to_keras(load_example(name), data=data, seed=SEED))
    assert_same_weights(first, second)
    # the seed matters: another seed gives other initial weights
    assert differs(first, weights_of(netdsl.to_keras(graph, data=data, seed=SEED + 1)))


@pytest.mark.filterwarnings(SKIPPED_OPTIMIZER)
def test_seeded_cli_compiles_are_identical(cli):
    for name in RECOMPILED:
        a = weights_of(keras.models.load_model(cli["first"] / f"{name}.keras"))
        b = weights_of(keras.models.load_model(cli["second"] / f"{name}.keras"))
        assert_same_weights(a, b)
    # and `--seed 7` in a process of its own is `to_keras(g, seed=7)` here
    for name in NAMES:
        a = weights_of(keras.models.load_model(cli["first"] / f"{name}.keras"))
        rebuilt = netdsl.to_keras(load_example(name), data=example_data(name), seed=SEED)
        assert_same_weights(a, weights_of(rebuilt))
