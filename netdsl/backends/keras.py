"""Checked graph -> Keras 3 Functional model. The only module that imports Keras.

Each layer is instantiated from its description in keras_layers.LAYERS.
Layers are created in dependency order (ties broken by source order) and named
after the spec, so the same spec and seed give the same model and weights.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import networkx as nx

from ..ir.core import Compile, network, node
from ..ir.fit_settings import KerasCall
from ..ir.options import KerasObject
from .keras_layers import (
    LAYERS_MODULE,
    LayerSpec,
    SettingSpec,
    compile_spec,
    keras_names,
    keras_object_parts,
    layer_name,
    layer_spec,
    model_name,
    needed_nodes,
)

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

__all__ = ["keras", "keras_names", "model_name", "needed_nodes", "to_keras", "fit_and_evaluate"]


def _instantiate(spec: LayerSpec, name: str):
    if spec.module == LAYERS_MODULE:
        config = {k: _keras_object(v) if isinstance(v, KerasObject) else v for k, v in spec.config.items()}
        return getattr(keras.layers, spec.class_name)(name=name, **config)
    return keras.saving.deserialize_keras_object(spec.serialized(name), safe_mode=True)


def _keras_object(v: KerasObject):
    """An initializer, regularizer or constraint object: `keras.regularizers.L2(l2=0.0001)`."""
    module, class_name, config = keras_object_parts(v)
    return getattr(getattr(keras, module), class_name)(**config)


def to_keras(g: nx.DiGraph, inputs: Mapping[str, Any] | None = None, seed: int | None = None) -> Any:
    """Build (and compile, if the spec has a compile line) the Keras model.

    `inputs` maps input names to the arrays (rows x features) that layers
    which adapt (standardize without statistics) learn from.
    """
    if seed is not None:
        keras.utils.set_random_seed(seed)
    net = network(g)
    needed = needed_nodes(g)
    names = keras_names(g)
    tensors: dict[str, Any] = {}
    shared: dict[str, Any] = {}  # one layer object per `layer NAME = ...`, called at each application
    for name in nx.lexicographical_topological_sort(g.subgraph(needed), key=lambda m: node(g, m).order):
        n = node(g, name)
        spec = layer_spec(n)
        assert spec is not None, f"'{name}' was checked"
        if n.op == "input":
            tensors[name] = keras.Input(shape=n.shape, name=names[name])
            continue
        if n.shares is not None and n.shares in shared:
            layer = shared[n.shares]
        else:
            layer = _instantiate(spec, layer_name(n, names))
            if n.shares is not None:
                shared[n.shares] = layer
        if spec.adapt:
            layer.adapt(_adapt_data(g, name, tensors, inputs))
        operands = [tensors[s] for s in n.inputs]
        tensors[name] = layer(operands) if spec.merge else layer(operands[0], *spec.call_args)
    ins = [tensors[i] for i in net.inputs if i in needed]
    outs = [tensors[o] for o in net.outputs]
    model = keras.Model(
        inputs=ins[0] if len(ins) == 1 else ins,
        outputs=outs[0] if len(outs) == 1 else outs,
        name=model_name(g),
    )
    if net.compile is not None:
        # The optimizer is left unbuilt, as in a hand-written model: building
        # it would add its slots to summary()'s "Total params".
        model.compile(**compile_arguments(g, net.compile))
    return model


def model_params(model) -> tuple[int, int]:
    """(total, trainable) parameters of a built model, as its summary() counts them."""
    import math

    trainable = sum(math.prod(w.shape) for w in model.trainable_weights)
    return model.count_params(), trainable


def compile_arguments(g: nx.DiGraph, settings: Compile) -> dict:
    spec = compile_spec(g, settings)
    kwargs: dict = {}
    if "loss" in spec.given:
        kwargs["loss"] = _instances(spec.loss)
    if spec.optimizer is not None:
        class_name, config = spec.optimizer
        config = {k: keras_call(v) if isinstance(v, KerasCall) else v for k, v in config.items()}
        kwargs["optimizer"] = getattr(keras.optimizers, class_name)(**config)
    if "metrics" in spec.given:
        kwargs["metrics"] = _instances(spec.metrics)
    if spec.loss_weights is not None:
        kwargs["loss_weights"] = spec.loss_weights
    return kwargs


def _instances(v):
    """Losses and metrics given as SettingSpecs made into Keras objects, the rest as they are."""
    if isinstance(v, dict):
        return {k: _instances(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_instances(x) for x in v]
    if isinstance(v, SettingSpec):
        return getattr(getattr(keras, v.module), v.class_name)(**v.config)
    return v


def _adapt_data(g: nx.DiGraph, name: str, tensors: dict, inputs: Mapping[str, Any] | None):
    """What the layer `name` sees when the model runs on the inputs' arrays."""
    if inputs is None:
        raise ValueError(f"{node(g, name).op} layer '{name}' needs data to adapt on")
    src = node(g, name).inputs[0]
    ancestors = nx.ancestors(g, name)
    sources = [i for i in network(g).inputs if i in ancestors]
    arrays = [inputs[i] for i in sources]
    if src in sources:
        return arrays[sources.index(src)]
    sub = keras.Model([tensors[i] for i in sources], tensors[src])
    return sub.predict(arrays, verbose=0, batch_size=1024)


def fit_and_evaluate(
    g: nx.DiGraph, binding, inputs: dict, targets: dict, split, settings: dict, verbose: int
):
    """Build on the training rows (layers adapt on them only), fit, and
    evaluate on the test rows (none: evaluation skipped, test metrics {}).
    Seeded and deterministic. Metrics Keras computes per class (f1_score) are
    lists. Raises SpecError (ND612) when the loss becomes NaN or infinite."""
    import numpy as np
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    train_idx, test_idx = np.asarray(split.train, dtype="int64"), np.asarray(split.test, dtype="int64")
    model = to_keras(g, {k: v[train_idx] for k, v in inputs.items()}, seed=settings["seed"])
    if not model.compiled:
        raise ValueError("the spec has no compile line")  # checked before; a guard
    names = keras_names(g)

    def pick(arrays: dict, idx, keys):
        picked = {names[k]: arrays[k][idx] for k in keys}
        return picked if len(picked) > 1 else next(iter(picked.values()))

    outputs = [t.output for t in binding.targets]
    watch = _StopOnNaN()
    fitted = model.fit(
        pick(inputs, train_idx, inputs),
        pick(targets, train_idx, outputs),
        epochs=settings["epochs"],
        batch_size=settings["batch_size"],
        validation_split=settings["validation_split"],
        shuffle=True,
        verbose=verbose,
        callbacks=[watch, *fit_callbacks(g)],
        class_weight=fit_class_weight(g, binding, targets, train_idx),
    )
    if watch.where is not None:
        raise _diverged(g, watch.where)
    history = {k: [metric_value(v) for v in vs] for k, vs in fitted.history.items()}
    if not len(test_idx):
        return model, history, {}
    test = model.evaluate(
        pick(inputs, test_idx, inputs),
        pick(targets, test_idx, outputs),
        batch_size=settings["batch_size"],
        verbose=0,
        return_dict=True,
    )
    return model, history, {k: metric_value(v) for k, v in test.items()}


def keras_call(v) -> Any:
    """A checked call of a Keras class (ir/fit_settings.KerasCall) made: keras.callbacks.EarlyStopping."""
    where: Any = keras
    for part in v.module.split("."):
        where = getattr(where, part)
    return getattr(where, v.class_name)(**v.config)


def fit_callbacks(g: nx.DiGraph) -> list:
    """The train line's callbacks (early_stopping, reduce_on_plateau), made for one fit."""
    return [keras_call(c) for c in network(g).train.callbacks]


def fit_class_weight(g: nx.DiGraph, binding, targets: dict, rows) -> dict[int, float] | None:
    """The train line's class_weight as model.fit takes it: {class index: weight};
    `balanced` counts the classes of `rows`, the rows given to fit."""
    import numpy as np

    from ..ir.fit_settings import class_weight_by_index

    fit = network(g).train
    if fit.class_weight is None or len(binding.targets) != 1:
        return None
    t = binding.targets[0]
    labels = np.asarray(targets[t.output])[rows]
    index = labels.argmax(axis=-1) if labels.ndim == 2 and labels.shape[-1] > 1 else labels.reshape(-1)
    return class_weight_by_index(fit, t.classes or [], index.astype("int64"))


def metric_value(v):
    """A metric's value as JSON-ready Python: a float, or a list per class."""
    import numpy as np

    array = np.asarray(v, dtype="float64")
    return float(array) if array.ndim == 0 else array.tolist()


class _StopOnNaN(keras.callbacks.Callback):  # type: ignore[name-defined]
    """Like keras.callbacks.TerminateOnNaN, but silent and remembering where:
    the caller turns it into a diagnostic."""

    def __init__(self):
        super().__init__()
        self.epoch = 0
        self.where: tuple[int, int, float] | None = None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        import math

        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)) and self.where is None:
            self.where = (self.epoch + 1, batch + 1, float(loss))
            self.model.stop_training = True


def _diverged(g: nx.DiGraph, where: tuple[int, int, float]):
    from ..ir.core import network
    from ..lang import codes
    from ..lang.diagnostics import SpecError, error

    epoch, batch, loss = where
    net = network(g)
    optimizer = net.compile.optimizer if net.compile is not None else None
    said = ""
    if optimizer is not None:
        said = f" ({optimizer.name}" + "".join(f", {k}={v}" for k, v in optimizer.args.items()) + ")"
    decl = net.compile_decl
    return SpecError(
        [
            error(
                codes.TRAINING_DIVERGED,
                f"training stopped: the loss became {loss} in epoch {epoch}, batch {batch}",
                decl.span if decl else None,
                help=f"lower the learning rate, check the optimizer's settings{said}, "
                "or standardize the inputs (x -> standardize)",
            )
        ],
        net.source,
        net.sources,
    )


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
