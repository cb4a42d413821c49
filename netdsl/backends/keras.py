"""Checked graph -> Keras 3 Functional model. The only module that imports Keras.

Each layer is instantiated from its description in keras_layers.LAYERS.
Layers are created in dependency order (ties broken by source order) and named
after the spec, so the same spec and seed give the same model and weights.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import networkx as nx

from ..data.feed import LEARN_ROWS, WEIGHT_KEY, ArrayFeed, Feed
from ..data.stats import Moments
from ..ir.core import Compile, network, node
from ..ir.fit_settings import KerasCall
from ..ir.options import KerasObject
from .keras_layers import (
    LAYERS_MODULE,
    OPS_MODULE,
    IntRange,
    LayerSpec,
    SettingSpec,
    carried_by_identity,
    compile_spec,
    keras_inputs,
    keras_names,
    keras_object_parts,
    layer_name,
    layer_spec,
    model_name,
    needed_nodes,
    operation_names,
    step_names,
    takes_dict,
)
from .keras_runtime import batches, keras, load_model, model_input, predict_arrays

__all__ = [
    "keras",
    "keras_names",
    "model_name",
    "needed_nodes",
    "to_keras",
    "fit_and_evaluate",
    "load_model",
    "model_input",
    "predict_arrays",
]


def _instantiate(spec: LayerSpec, name: str):
    if spec.module == LAYERS_MODULE:
        config = {k: _keras_object(v) if isinstance(v, KerasObject) else v for k, v in spec.config.items()}
        return getattr(keras.layers, spec.class_name)(name=name, **config)
    return keras.saving.deserialize_keras_object(spec.serialized(name), safe_mode=True)


def _keras_object(v: KerasObject):
    """An initializer, regularizer or constraint object: `keras.regularizers.L2(l2=0.0001)`."""
    module, class_name, config = keras_object_parts(v)
    return getattr(getattr(keras, module), class_name)(**config)


def to_keras(
    g: nx.DiGraph, data: Feed | None = None, seed: int | None = None, cut=None, layers: dict | None = None
) -> Any:
    """Build (and compile, if the spec has a compile line) the Keras model.

    `data` is what layers that learn from data (standardize and discretize
    adapting, fill(mean)/fill(median)) learn from: a Feed of input arrays
    keyed as the model's inputs (keras_inputs), read chunk by chunk.

    With a `cut` (input_pipeline.Cut) only the trunk is built: the model
    after the input pipeline, its inputs the boundary's values and the raw
    columns it reads (`data` then holds those, keyed the same). `layers`
    (node name -> layer) gives layers already made, and receives those made:
    the whole model built on the layers of its pipeline and trunk shares them.
    """
    if seed is not None:
        keras.utils.set_random_seed(seed)
    net = network(g)
    needed = set(cut.trunk) if cut is not None else needed_nodes(g)
    names = keras_names(g)
    internal = operation_names(g)
    ins = [ki for ki in keras_inputs(g) if cut is None or ki.key in cut.raw]
    columns = {(ki.node, ki.field): keras.Input(shape=ki.shape, dtype=ki.dtype, name=ki.name) for ki in ins}
    feeds = {ki.key: columns[(ki.node, ki.field)] for ki in ins}
    tensors: dict[str, Any] = {}
    for b in cut.boundary if cut is not None else ():
        tensors[b.node] = feeds[b.key] = keras.Input(shape=b.shape, dtype=b.dtype, name=b.key)
    shared: dict[str, Any] = {}  # one layer object per `layer NAME = ...`, called at each application
    made = layers if layers is not None else {}
    for name in nx.lexicographical_topological_sort(g.subgraph(needed), key=lambda m: node(g, m).order):
        n = node(g, name)
        if name in tensors:
            continue
        if n.op == "input":
            tensors[name] = _input_tensor(n, columns)
            continue
        if n.op == "select" and n.members is not None:
            tensors[name] = _columns_of(n, tensors[n.inputs[0]])
        else:
            spec = layer_spec(n)
            assert spec is not None, f"'{name}' was checked"
            operands = _flat([tensors[s] for s in n.inputs])
            own = {**names, name: internal.get(name, names[name])}
            tensors[name] = _apply(n, spec, own, operands, tensors, feeds, data, shared, made, names[name])
        if carried_by_identity(n):  # get_layer(name) finds a layer, not an operation
            tensors[name] = keras.layers.Identity(name=names[name])(tensors[name])
    outs = [tensors[o] for o in net.outputs]
    if cut is not None or takes_dict(g):
        model_inputs: Any = feeds
    else:
        listed = [columns[(ki.node, None)] for ki in ins]
        model_inputs = listed[0] if len(listed) == 1 else listed
    model = keras.Model(inputs=model_inputs, outputs=outs[0] if len(outs) == 1 else outs, name=model_name(g))
    if net.compile is not None:
        # The optimizer is left unbuilt, as in a hand-written model: building
        # it would add its slots to summary()'s "Total params".
        model.compile(**compile_arguments(g, net.compile))
    return model


def _input_tensor(n, columns: dict):
    """A vector input's Input; a record's column Inputs (a list: a bundle), or its one column's."""
    fields = n.args.get("fields") if n.args else None
    if not fields:
        return columns[(n.name, None)]
    tensors = [columns.get((n.name, f.name)) for f in fields]
    return tensors if len(tensors) > 1 else tensors[0]


def _columns_of(n, source):
    """The columns a selection from a record picks: no layer, the Inputs themselves."""
    assert n.selection is not None
    picked = [source[i] for i in n.selection.indices] if isinstance(source, list) else [source]
    return picked if n.bundle else picked[0]


def _flat(operands: list) -> list:
    """Operands with each bundle (a list of column tensors) spread out."""
    out: list = []
    for t in operands:
        out.extend(t if isinstance(t, list) else [t])
    return out


def _apply(
    n, spec: LayerSpec, names: dict, operands: list, tensors: dict, feeds: dict, data, shared, made, public
):
    """Make the layer of one node (learning what it learns from data) and call
    it; a shared layer (`layer NAME = ...`) is made once, at its first
    application; a layer in `made` is not made again."""
    name = names[n.name]
    if n.shares is not None and n.shares in shared:
        layer = shared[n.shares]
        return _call(layer, spec, operands)
    if n.name in made:
        if n.shares is not None:
            shared[n.shares] = made[n.name]
        return _call(made[n.name], spec, operands)
    if spec.learn is not None:
        values = _statistic(spec.learn, _operand_values(n, tensors, feeds, data, name))
        spec = dataclasses.replace(spec, config={**spec.config, "nan": values})
    if spec.replace is not None:
        marker, token = spec.replace
        missing = _instantiate(LayerSpec("Equal", {}, module=OPS_MODULE), f"{name}_missing")(
            operands[0], marker
        )
        return _instantiate(spec, name)(missing, token, operands[0])
    if len(spec.steps) > 1:  # weightless operations: made again when the model is rebuilt on `made`
        return _steps(spec, step_names(spec, layer_name(n, names), public), operands)
    layer = made[n.name] = _instantiate(spec, layer_name(n, names))
    if n.shares is not None:
        shared[n.shares] = layer
    if spec.adapt:
        layer.adapt(_adapt_data(_operand_values(n, tensors, feeds, data, name), data))
    return _call(layer, spec, operands)


def _steps(spec: LayerSpec, names: list[str], operands: list):
    """An op that is several operations (LayerSpec.steps): the first operand through
    `before`, the core op on it and the other operands, the result through `after`."""
    first = operands[0]
    for step, name in zip(spec.before, names, strict=False):
        first = _call(_instantiate(step, name), step, [first])
    core = spec.steps[len(spec.before)]
    out = _call(_instantiate(core, names[len(spec.before)]), core, [first, *operands[1:]])
    for step, name in zip(spec.after, names[len(spec.before) + 1 :], strict=True):
        out = _call(_instantiate(step, name), step, [out])
    return out


def _call(layer, spec: LayerSpec, operands: list):
    if spec.spread:
        return layer(*operands, *spec.call_args)
    if spec.merge:
        return layer(operands)
    if spec.self_call:
        return layer(*operands) if len(operands) > 1 else layer(operands[0], operands[0])
    return layer(operands[0], *(_constant(a) for a in spec.call_args))


def _constant(arg):
    """A call argument; IntRange(n) as the int32 array it stands for (saved in the .keras file)."""
    import numpy as np

    return np.arange(arg.n, dtype="int32") if isinstance(arg, IntRange) else arg


def _operand_values(n, tensors: dict, feeds: dict, data, name: str):
    """A function giving, chunk by chunk, what node `n`'s operand computes over
    the data (`feeds`: the model's inputs by key)."""
    if data is None:
        raise ValueError(f"{n.op} layer '{name}' needs data to learn from")
    src = tensors[n.inputs[0]]
    keys = {id(t): key for key, t in feeds.items()}
    if id(src) in keys:
        key = keys[id(src)]
        return lambda: (x[key] for x, _ in data.chunks())
    sub = keras.Model(feeds, src)

    def front(x):
        # Called eagerly: predict_on_batch would trace a function for each chunk size.
        out = sub({k: keras.ops.convert_to_tensor(_as_tensor(x[k])) for k in feeds}, training=False)
        return keras.ops.convert_to_numpy(out)

    return lambda: (front(x) for x, _ in data.chunks())


def _adapt_data(values, data: Feed):
    """What a layer adapts on: one array when the rows are in memory (Keras then
    adapts in one pass), else a tf.data Dataset of the values read chunk by chunk."""
    import numpy as np

    if data.resident:
        return np.concatenate(list(values()))
    import tensorflow as tf

    first = next(iter(values()))
    spec = tf.TensorSpec((None, *first.shape[1:]), tf.as_dtype(first.dtype))
    return tf.data.Dataset.from_generator(values, output_signature=spec)


def _statistic(kind: str, values) -> list[float]:
    """fill's mean or median of each feature over the data (NaN cells left out)."""
    moments = None
    for chunk in values():
        if moments is None:
            moments = Moments([str(k) for k in range(chunk.shape[1])], keep_sample=kind == "median")
        moments.add(chunk)
    if moments is None:
        raise ValueError("no rows to learn fill values from")
    return moments.mean() if kind == "mean" else moments.median()


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


def dataset(feed: Feed, batch_size: int, x_alone: bool = False, y_alone: bool = False):
    """A tf.data pipeline over a feed's chunks, cut into batches in TensorFlow
    (`rebatch`): Python runs once per chunk, not once per batch. With
    `x_alone` / `y_alone` the one input / target is given bare, not in a dict."""
    import tensorflow as tf

    def spec(c):
        return tf.TensorSpec((None, *c.shape), tf.string if c.dtype == "string" else tf.as_dtype(c.dtype))

    def rows():
        for x, y in feed.chunks():
            if feed.weighted:  # (x, y, sample weights), as model.fit takes them from a dataset
                y = dict(y)
                w = y.pop(WEIGHT_KEY)
                yield _structure(x, x_alone), _structure(y, y_alone), w
            else:
                yield _structure(x, x_alone), _structure(y, y_alone)

    signature: tuple = (
        _structure({c.key: spec(c) for c in feed.inputs}, x_alone),
        _structure({c.key: spec(c) for c in feed.targets}, y_alone),
    )
    if feed.weighted:
        signature += (tf.TensorSpec((None,), tf.float32),)
    ds = tf.data.Dataset.from_generator(rows, output_signature=signature).rebatch(batch_size)
    n = feed.count()
    if n is not None:  # known: Keras then counts its steps instead of running out of data
        ds = ds.apply(tf.data.experimental.assert_cardinality(-(-n // batch_size)))
    return ds.prefetch(2)


def _structure(values: dict, alone: bool):
    return next(iter(values.values())) if alone else values


def _instances(v):
    """Losses and metrics given as SettingSpecs made into Keras objects, the rest as they are."""
    if isinstance(v, dict):
        return {k: _instances(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_instances(x) for x in v]
    if isinstance(v, SettingSpec):
        return getattr(getattr(keras, v.module), v.class_name)(**v.config)
    return v


def fit_and_evaluate(
    g: nx.DiGraph, binding, inputs: dict, targets: dict, split, settings: dict, verbose: int, weights=None
):
    """Build on the training rows (layers learn from them only), fit, and
    evaluate on the test rows (none: evaluation skipped, test metrics {}).
    Fitting is Keras's own `model.fit` on the training rows as a person writes
    it (`validation_split`, `shuffle=True`, class_weight, sample_weight), fed the
    very batches that call makes (`_validation_split`, keras_runtime.batches):
    with the same seed it gives the same weights and history. Seeded and
    deterministic.
    Metrics Keras computes per class (f1_score) are lists.
    `weights` (rows,), the train line's sample_weight column, weighs each row's
    loss in fit and in the test evaluation (metrics stay unweighted, as Keras
    does for compile's `metrics`).
    Raises SpecError (ND612) when the loss becomes NaN or infinite."""
    import numpy as np
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    train_idx, test_idx = np.asarray(split.train, dtype="int64"), np.asarray(split.test, dtype="int64")
    model = to_keras(g, ArrayFeed(inputs, {}, train_idx, chunk=LEARN_ROWS), seed=settings["seed"])
    if not model.compiled:
        raise ValueError("the spec has no compile line")  # checked before; a guard
    names = keras_names(g)
    x_alone = not takes_dict(g) and len(inputs) == 1

    def rows_of(idx, class_weight=None):
        """The rows' (x, y[, w]) as tensors: each column gathered once and
        converted at once (no second copy held while training)."""
        x = {k: tf.convert_to_tensor(v[idx]) for k, v in inputs.items()}
        y = {names[t.output]: targets[t.output][idx] for t in binding.targets}
        w = weights[idx] if weights is not None else None
        one_y = next(iter(y.values())) if len(y) == 1 else y
        if class_weight is not None:
            w = _class_sample_weights(one_y, class_weight)
        return _packed(next(iter(x.values())) if x_alone else x, one_y, w)

    watch = _StopOnNaN()
    batch = settings["batch_size"]
    fit_idx, validation_idx = _validation_split(train_idx, settings["validation_split"])
    fitted = model.fit(
        batches(rows_of(fit_idx, fit_class_weight(g, binding, targets, train_idx)), batch, shuffle=True),
        validation_data=batches(rows_of(validation_idx), batch) if len(validation_idx) else None,
        epochs=settings["epochs"],
        shuffle=False,  # the batches are shuffled already
        verbose=verbose,
        callbacks=[watch, *fit_callbacks(g)],
    )
    if watch.where is not None:
        raise _diverged(g, watch.where)
    history = {k: [metric_value(v) for v in vs] for k, vs in fitted.history.items()}
    if not len(test_idx):
        return model, history, {}
    test = model.evaluate(batches(rows_of(test_idx), batch), verbose=0, return_dict=True)
    return model, history, {k: metric_value(v) for k, v in test.items()}


def _validation_split(rows, validation_split: float):
    """(fitted rows, validation rows) as `model.fit(..., validation_split=...)`
    splits what it is given: the last share validates, unshuffled. Class
    weights (fit's class_weight) then weigh the fitted rows only."""
    import math

    at = int(math.floor(len(rows) * (1.0 - validation_split))) if validation_split else len(rows)
    if at == 0 or (validation_split and at == len(rows)):  # netdsl checks the split first; a guard
        raise ValueError(f"Training data contains {len(rows)} samples, too few for validation_split")
    return rows[:at], rows[at:]


def _class_sample_weights(y, class_weight: dict):
    """Each row's weight from its class, as Keras's array adapter computes it:
    one-hot rows by argmax, a single column rounded."""
    import numpy as np

    labels = np.asarray(y)
    if labels.ndim > 1:
        labels = labels.argmax(axis=-1) if labels.shape[-1] != 1 else labels.squeeze(-1)
    labels = np.round(labels).astype("int32")
    w = np.ones(len(labels), dtype=keras.config.floatx())
    for c, v in class_weight.items():
        w[labels == int(c)] = v
    return w


def _packed(x, y, w):
    """(x, y) or (x, y, w), as a dataset gives them to fit. A model with several
    outputs gets the weights once per output, in a tuple: its outputs are a list
    (Keras 3.15 looks a dict of weights up by position and fails, and so does
    `fit(sample_weight=w)` given arrays)."""
    if w is None:
        return x, y
    return x, y, tuple(w for _ in y) if isinstance(y, dict) else w


def _as_tensor(values):
    """Text as a string tensor (Keras refuses NumPy arrays of Python strings); numbers as they are."""
    import tensorflow as tf

    return tf.constant(values) if values.dtype.kind in "OUS" else values


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


class _StopOnNaN(keras.callbacks.Callback):
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


def fit_streamed(
    g: nx.DiGraph,
    train: Feed,
    validation: Feed | None,
    test: Feed,
    settings: dict,
    verbose: int,
    class_weight: dict[int, float] | None = None,
):
    """fit_and_evaluate for a file read piece by piece: the feeds read their
    part of the file again in every pass (learning, each epoch, validation, test)."""
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    batch = settings["batch_size"]
    model = to_keras(g, train, seed=settings["seed"])
    if not model.compiled:
        raise ValueError("the spec has no compile line")  # checked before; a guard
    x_alone, y_alone = not takes_dict(g) and len(train.inputs) == 1, len(train.targets) == 1
    watch = _StopOnNaN()
    fitted = model.fit(
        dataset(train, batch, x_alone, y_alone),
        epochs=settings["epochs"],
        validation_data=dataset(validation, batch, x_alone, y_alone) if validation is not None else None,
        shuffle=False,
        verbose=verbose,
        callbacks=[watch, *fit_callbacks(g)],
        class_weight=class_weight,
    )
    if watch.where is not None:
        raise _diverged(g, watch.where)
    result = model.evaluate(dataset(test, batch, x_alone, y_alone), verbose=0, return_dict=True)
    history = {k: [metric_value(v) for v in vs] for k, vs in fitted.history.items()}
    return model, history, {k: metric_value(v) for k, v in result.items()}
