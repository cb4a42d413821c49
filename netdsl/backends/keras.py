"""Checked graph -> Keras 3 Functional model. The only module that imports Keras.

Layers are created in dependency order (ties broken by source order) and named
after the spec, so the same spec and seed give the same model and weights.
"""

from __future__ import annotations

import os
import re

import networkx as nx

from ..data import Table
from ..ops import OPS
from ..settings import OPTIMIZERS

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
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


def model_name(g: nx.DiGraph) -> str:
    return re.sub(r"\W", "_", g.graph["name"]) or "network"


def needed_nodes(g: nx.DiGraph) -> set[str]:
    """The outputs and everything they depend on."""
    needed = set(g.graph["outputs"])
    for out in g.graph["outputs"]:
        needed |= nx.ancestors(g, out)
    return needed


def to_keras(g: nx.DiGraph, table: Table | None = None, seed: int | None = None) -> "keras.Model":
    """Build (and compile, if the spec has a compile line) the Keras model."""
    if seed is not None:
        keras.utils.set_random_seed(seed)
    needed = needed_nodes(g)
    order = nx.get_node_attributes(g, "order")
    tensors: dict[str, object] = {}
    for node in nx.lexicographical_topological_sort(g.subgraph(needed), key=order.__getitem__):
        data = g.nodes[node]
        op = OPS[data["op"]]
        if op.kind == "input":
            tensors[node] = keras.Input(shape=data["shape"], name=node)
            continue
        args = data["args"]
        if op.name == "standardize" and args.get("mean") is None:
            args = {**args, "adapt_data": _adapt_data(g, node, tensors, table)}
        tensors[node] = op.build(keras, node, args, [tensors[s] for s in data["inputs"]])
    inputs = [tensors[i] for i in g.graph["inputs"] if i in needed]
    outputs = [tensors[o] for o in g.graph["outputs"]]
    model = keras.Model(inputs=inputs[0] if len(inputs) == 1 else inputs,
                        outputs=outputs[0] if len(outputs) == 1 else outputs,
                        name=model_name(g))
    training = g.graph.get("training")
    if training:
        model.compile(**compile_arguments(g, training))
    return model


def compile_arguments(g: nx.DiGraph, training: dict) -> dict:
    outputs = g.graph["outputs"]
    kwargs: dict = {}
    loss = training.get("loss")
    if loss is not None:
        kwargs["loss"] = {o: loss for o in outputs} if isinstance(loss, str) and len(outputs) > 1 else loss
    opt = training.get("optimizer")
    if opt is not None:
        kwargs["optimizer"] = getattr(keras.optimizers, OPTIMIZERS[opt["name"]][0])(**opt["args"])
    metrics = training.get("metrics")
    if metrics is not None:
        kwargs["metrics"] = {o: list(metrics) for o in outputs} if isinstance(metrics, list) and len(outputs) > 1 else metrics
    return kwargs


def input_arrays(g: nx.DiGraph, names, table: Table):
    """The columns of each named input, as float32 arrays (rows x features)."""
    import numpy as np
    return [np.asarray([table.column(f) for f in g.nodes[n]["features"]], dtype="float32").T
            for n in names]


def _adapt_data(g: nx.DiGraph, node: str, tensors: dict, table: Table | None):
    """What the standardize layer `node` sees when the model runs on the table."""
    if table is None:
        raise ValueError(f"standardize layer '{node}' needs data to adapt on")
    src = g.nodes[node]["inputs"][0]
    ancestors = nx.ancestors(g, node)
    sources = [i for i in g.graph["inputs"] if i in ancestors]
    arrays = input_arrays(g, sources, table)
    if src in sources:
        return arrays[sources.index(src)]
    sub = keras.Model([tensors[i] for i in sources], tensors[src])
    return sub.predict(arrays, verbose=0, batch_size=1024)
