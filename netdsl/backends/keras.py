"""Checked graph -> Keras 3 Functional model. The only module that imports Keras.

Layers are created in dependency order (ties broken by source order) and named
after the spec, so the same spec and seed give the same model and weights.
"""

from __future__ import annotations

import os
import re

import networkx as nx

from ..data.tables import Table, matrix
from ..ir.ops import OPS
from ..ir.settings import OPTIMIZERS

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # C++ notices would bury our messages
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def _import_keras():
    """Import Keras with TensorFlow's C++ start-up log lines kept off stderr.

    TensorFlow's native code writes "oneDNN custom operations are on" and absl
    notices straight to file descriptor 2, whatever TF_CPP_MIN_LOG_LEVEL says;
    they would bury our own messages. Python errors still propagate.
    """
    import sys

    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        import keras as module
        import tensorflow as tf

        tf.constant(0.0) + 1.0  # first op: the second batch of notices comes now
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    return module


keras = _import_keras()


# TensorFlow's name-scope rule for a root scope; Keras also refuses '/'.
_VALID = re.compile(r"^[A-Za-z0-9.][A-Za-z0-9_.-]*$")


def _ascii_name(name: str) -> str:
    """A name TensorFlow accepts: '/' (from blocks) as '.', other characters
    spelled as uXXXX, a letter or digit first."""
    out = "".join(
        ch if ch.isascii() and (ch.isalnum() or ch in "_.-") else "." if ch == "/" else f"u{ord(ch):04x}"
        for ch in name
    )
    return out if out and _VALID.match(out) else "n" + out


def model_name(g: nx.DiGraph) -> str:
    return _ascii_name(g.graph["name"] or "network")


def keras_names(g: nx.DiGraph) -> dict[str, str]:
    """Spec name -> Keras layer name. Names Keras accepts are kept as they are
    (so `sepal_h` is found in model.summary()); others (`가지`, `_hidden`) are
    spelled in ASCII, deterministically and without collisions."""
    names = {n: n for n in g if _VALID.match(n)}
    taken = set(names)
    for n in sorted(g, key=lambda n: g.nodes[n]["order"]):
        if n in names:
            continue
        base = candidate = _ascii_name(n)
        k = 1
        while candidate in taken:
            k += 1
            candidate = f"{base}_{k}"
        taken.add(candidate)
        names[n] = candidate
    return names


def needed_nodes(g: nx.DiGraph) -> set[str]:
    """The outputs and everything they depend on."""
    needed = set(g.graph["outputs"])
    for out in g.graph["outputs"]:
        needed |= nx.ancestors(g, out)
    return needed


def to_keras(g: nx.DiGraph, table: Table | None = None, seed: int | None = None) -> keras.Model:
    """Build (and compile, if the spec has a compile line) the Keras model."""
    if seed is not None:
        keras.utils.set_random_seed(seed)
    needed = needed_nodes(g)
    names = keras_names(g)
    order = nx.get_node_attributes(g, "order")
    tensors: dict[str, object] = {}
    for node in nx.lexicographical_topological_sort(g.subgraph(needed), key=order.__getitem__):
        data = g.nodes[node]
        op = OPS[data["op"]]
        if op.kind == "input":
            tensors[node] = keras.Input(shape=data["shape"], name=names[node])
            continue
        args = data["args"]
        if op.name == "standardize" and args.get("mean") is None:
            args = {**args, "adapt_data": _adapt_data(g, node, tensors, table)}
        tensors[node] = op.build(keras, names[node], args, [tensors[s] for s in data["inputs"]])
    inputs = [tensors[i] for i in g.graph["inputs"] if i in needed]
    outputs = [tensors[o] for o in g.graph["outputs"]]
    model = keras.Model(
        inputs=inputs[0] if len(inputs) == 1 else inputs,
        outputs=outputs[0] if len(outputs) == 1 else outputs,
        name=model_name(g),
    )
    training = g.graph.get("training")
    if training:
        # The optimizer is left unbuilt, as in a hand-written model: building
        # it would add its slots to summary()'s "Total params".
        model.compile(**compile_arguments(g, training))
    return model


def compile_arguments(g: nx.DiGraph, training: dict) -> dict:
    names = keras_names(g)
    outputs = [names[o] for o in g.graph["outputs"]]
    kwargs: dict = {}
    loss = training.get("loss")
    if isinstance(loss, dict):
        loss = {names[o]: v for o, v in loss.items()}
    if loss is not None:
        kwargs["loss"] = {o: loss for o in outputs} if isinstance(loss, str) and len(outputs) > 1 else loss
    opt = training.get("optimizer")
    if opt is not None:
        kwargs["optimizer"] = getattr(keras.optimizers, OPTIMIZERS[opt["name"]][0])(**opt["args"])
    metrics = training.get("metrics")
    if isinstance(metrics, dict):
        metrics = {names[o]: v for o, v in metrics.items()}
    if metrics is not None:
        kwargs["metrics"] = (
            {o: list(metrics) for o in outputs} if isinstance(metrics, list) and len(outputs) > 1 else metrics
        )
    return kwargs


def _adapt_data(g: nx.DiGraph, node: str, tensors: dict, table: Table | None):
    """What the standardize layer `node` sees when the model runs on the table."""
    if table is None:
        raise ValueError(f"standardize layer '{node}' needs data to adapt on")
    src = g.nodes[node]["inputs"][0]
    ancestors = nx.ancestors(g, node)
    sources = [i for i in g.graph["inputs"] if i in ancestors]
    arrays = [matrix(table, g.nodes[i]["features"]) for i in sources]
    if src in sources:
        return arrays[sources.index(src)]
    sub = keras.Model([tensors[i] for i in sources], tensors[src])
    return sub.predict(arrays, verbose=0, batch_size=1024)


def fit_and_evaluate(
    g: nx.DiGraph, table: Table, binding, inputs: dict, targets: dict, split, settings: dict, verbose: int
):
    """Build on the training rows (standardize adapts on them only), fit, and
    evaluate on the test rows. Seeded and deterministic."""
    import numpy as np
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    train_table = Table(table.path, table.columns, [table.rows[i] for i in split.train])
    model = to_keras(g, train_table, seed=settings["seed"])
    if not model.compiled:
        raise ValueError("the spec has no compile line")  # checked before; a guard
    names = keras_names(g)
    train_idx, test_idx = np.asarray(split.train), np.asarray(split.test)

    def pick(arrays: dict, idx, keys):
        picked = {names[k]: arrays[k][idx] for k in keys}
        return picked if len(picked) > 1 else next(iter(picked.values()))

    outputs = [t.output for t in binding.targets]
    x_train, y_train = pick(inputs, train_idx, inputs), pick(targets, train_idx, outputs)
    x_test, y_test = pick(inputs, test_idx, inputs), pick(targets, test_idx, outputs)
    fitted = model.fit(
        x_train,
        y_train,
        epochs=settings["epochs"],
        batch_size=settings["batch_size"],
        validation_split=settings["validation_split"],
        shuffle=True,
        verbose=verbose,
    )
    test = model.evaluate(x_test, y_test, batch_size=settings["batch_size"], verbose=0, return_dict=True)
    history = {k: [float(v) for v in vs] for k, vs in fitted.history.items()}
    return model, history, {k: float(v) for k, v in test.items()}


def load_model(path: str):
    """A saved .keras model, loaded as plain Keras would (safe_mode stays on)."""
    return keras.saving.load_model(path, safe_mode=True)


def predict_arrays(model, x: dict, batch_size: int = 1024) -> list:
    """The model's predictions, one array per output in the model's order.

    `x` maps input names to arrays; text columns are given to Keras as string
    tensors (model.predict refuses NumPy arrays of Python strings).
    """
    import tensorflow as tf

    feed = {k: tf.constant(v) if v.dtype.kind in "OUS" else v for k, v in x.items()}
    if len(feed) == 1 and not isinstance(model.input, dict):
        feed = next(iter(feed.values()))
    out = model.predict(feed, batch_size=batch_size, verbose=0)
    if isinstance(out, dict):
        return [out[name] for name in model.output_names]
    return list(out) if isinstance(out, (list, tuple)) else [out]
