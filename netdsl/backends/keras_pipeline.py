"""The input pipeline of a model trained on the JAX backend: its lookups
(and the category operations before them) run in tf.data, `dataset.map`, as
Keras recommends for backends other than TensorFlow (StringLookup's
docstring: it "can always be used as part of an input preprocessing pipeline
with any backend (outside the model itself)"); the trunk (the model from the
lookups' values on) is what JAX trains. After training, the whole model,
taking raw rows, is built on the very layer objects of both, so it has their
vocabularies and weights.

Imported only once the Keras backend is chosen (keras_distributed.start_jax).
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from ..data.feed import Feed
from ..ir.core import node
from .input_pipeline import Cut
from .keras_layers import keras_inputs, keras_names, layer_name, layer_spec, operation_names


class Pipeline:
    """The pipeline's layers, made and adapted in order on the training rows
    (each on what the pipeline before it gives), and the map from a batch of
    raw columns to the trunk's inputs."""

    def __init__(self, g: nx.DiGraph, cut: Cut, learn_from: Feed):
        from .keras import _instantiate

        self.g, self.cut = g, cut
        reads = set(cut.pre) | {a for p in cut.pre for a in nx.ancestors(g, p)}
        # in the spec's order, found here: not in the traced function
        self.order = list(
            nx.lexicographical_topological_sort(g.subgraph(reads), key=lambda m: node(g, m).order)
        )
        self.layers: dict[str, Any] = {}
        names, internal = keras_names(g), operation_names(g)
        shared: dict[str, Any] = {}
        for name in cut.pre:
            n = node(g, name)
            spec = layer_spec(n)
            assert spec is not None, f"'{name}' was checked"
            if spec.replace is not None:  # no layer: an Equal and a Where
                continue
            if n.shares is not None and n.shares in shared:
                self.layers[name] = shared[n.shares]
                continue
            layer = _instantiate(spec, layer_name(n, {**names, name: internal.get(name, names[name])}))
            if spec.adapt:
                operand = n.inputs[0]
                layer.adapt(raw_dataset(learn_from).map(plain(lambda x, _, p=operand: self.values(x)[p])))
            self.layers[name] = layer
            if n.shares is not None:
                shared[n.shares] = layer

    def values(self, x: dict) -> dict:
        """What each pipeline node (and the inputs it reads) gives for a batch
        of raw columns, as TensorFlow tensors: call inside tf.data."""
        import tensorflow as tf

        from .keras import _call, _columns_of, _flat, _input_tensor

        cols = {(ki.node, ki.field): x[ki.key] for ki in keras_inputs(self.g) if ki.key in x}
        out: dict[str, Any] = {}
        for name in self.order:
            n = node(self.g, name)
            if n.op == "input":
                out[name] = _input_tensor(n, cols)
            elif n.op == "select" and n.members is not None:
                out[name] = _columns_of(n, out[n.inputs[0]])
            else:
                spec = layer_spec(n)
                assert spec is not None
                operands = _flat([out[p] for p in n.inputs])
                if spec.replace is not None:  # the model's Equal + Where, in TensorFlow
                    v = operands[0]
                    marker, token = (tf.constant(c, v.dtype) for c in spec.replace)
                    out[name] = tf.where(tf.equal(v, marker), token, v)
                else:
                    out[name] = _call(self.layers[name], spec, operands)
        return out

    def __call__(self, x: dict) -> dict:
        """A batch of raw columns -> the trunk's inputs."""
        import tensorflow as tf

        values = self.values(x)
        trunk = {b.key: tf.cast(values[b.node], b.dtype) for b in self.cut.boundary}
        return {**trunk, **{k: x[k] for k in self.cut.raw}}


def plain(fn):
    """A function for `dataset.map` traced as it is: it has no control flow
    on tensors for AutoGraph to convert (and it could not convert networkx)."""
    import tensorflow as tf

    return tf.autograph.experimental.do_not_convert(fn)


def _signature(columns) -> dict:
    import tensorflow as tf

    return {
        c.key: tf.TensorSpec((None, *c.shape), tf.string if c.dtype == "string" else tf.as_dtype(c.dtype))
        for c in columns
    }


def raw_dataset(feed: Feed):
    """A feed's chunks as a tf.data Dataset of (inputs, targets) dicts."""
    import tensorflow as tf

    signature = (_signature(feed.inputs), _signature(feed.targets))
    return tf.data.Dataset.from_generator(feed.chunks, output_signature=signature)


class PipelinedFeed(Feed):
    """A feed's chunks through the pipeline: what the trunk's layers learn from."""

    def __init__(self, feed: Feed, pipeline: Pipeline):
        self.feed, self.pipeline = feed, pipeline
        self.inputs, self.targets = [], feed.targets  # the trunk's inputs are known once mapped

    def chunks(self):
        ds = raw_dataset(self.feed).map(plain(lambda x, y: (self.pipeline(x), y)))
        yield from ds.as_numpy_iterator()

    def count(self):
        return self.feed.count()


def batches(xy: tuple[dict, dict], batch: int, pipeline: Pipeline, y_alone: bool):
    """Arrays of rows in batch order -> batches of the trunk's inputs and the targets."""
    import tensorflow as tf

    x, y = xy
    targets = next(iter(y.values())) if y_alone and len(y) == 1 else y
    ds = tf.data.Dataset.from_tensor_slices((x, targets)).batch(batch)
    return ds.map(plain(lambda a, b: (pipeline(a), b))).prefetch(2)
