"""One model trained by several processes or devices: the Keras backend's
distributed training.

- data-parallel: Keras 3 on the JAX backend with `keras.distribution.DataParallel`
  over the devices of every process (`jax.distributed.initialize`). Each
  process feeds its own rows of every global batch; gradients are averaged
  across processes, so every process ends with the same weights, those of one
  process trained on the same global batches. `model.fit` is unchanged.
- mirrored: TensorFlow's `MirroredStrategy` over the local devices (GPUs, or
  the CPU split into logical devices).

(TensorFlow's MultiWorkerMirroredStrategy is not offered: Keras 3's `fit`
fails under it, keras-team/keras#20585.)

The backend is chosen when Keras is imported (KERAS_BACKEND): `start_jax`
must run before anything imports Keras in this process.
"""

from __future__ import annotations

import os
import sys

import networkx as nx

from ..io import UsageError


def start_jax(coordinator: str | None, num_processes: int, process_id: int) -> None:
    """Select Keras's JAX backend and join the group of processes. The
    coordinator (process 0) listens on exactly HOST:PORT, not on every
    interface (JAX's default)."""
    if "keras" in sys.modules and os.environ.get("KERAS_BACKEND") != "jax":
        raise UsageError("data-parallel training needs Keras's JAX backend, but Keras is already loaded")
    os.environ["KERAS_BACKEND"] = "jax"
    try:
        import jax
    except ImportError:
        raise UsageError("--distribute data-parallel needs JAX: pip install 'netdsl[jax]'") from None
    if num_processes > 1:
        assert coordinator is not None
        jax.distributed.initialize(
            coordinator_address=coordinator,
            num_processes=num_processes,
            process_id=process_id,
            coordinator_bind_address=coordinator,
            initialization_timeout=120,
        )


def _pick(names: dict, arrays: dict, idx, keys):
    """Rows `idx` of the arrays of `keys`: inputs are keyed as the model's inputs
    already (keras_inputs), outputs by node name (their Keras names here)."""
    picked = {names.get(k, k): arrays[k][idx] for k in keys}
    return picked if len(picked) > 1 else next(iter(picked.values()))


def _feed(inputs: dict, rows):
    """The rows that layers learning from data learn from, as to_keras takes them."""
    from ..data.feed import LEARN_ROWS, ArrayFeed

    return ArrayFeed(inputs, {}, rows, chunk=LEARN_ROWS)


def _bare(values: dict, alone: bool):
    """One array given bare (a model of one plain input, a single output), else the dict."""
    return next(iter(values.values())) if alone and len(values) == 1 else values


def fit_data_parallel(g: nx.DiGraph, shard, learn_from, settings, class_weight, verbose: int):
    """Fit on this process's rows of every global batch (`shard`; `learn_from`
    is the feed of every training row that standardize and fill learn from),
    then return the model rebuilt without distribution (so it can be evaluated
    and saved by one process), the history, and a function evaluating it on a
    feed. A model reading raw categories trains its trunk, its lookups
    running in the input pipeline (keras_pipeline)."""
    import jax

    from .input_pipeline import input_pipeline
    from .keras import keras

    keras.distribution.set_distribution(
        keras.distribution.DataParallel(devices=jax.devices(), auto_shard_dataset=False)
    )
    cut = input_pipeline(g)
    if cut is None:
        return _fit_plain(g, shard, learn_from, settings, class_weight, verbose)
    return _fit_pipelined(g, cut, shard, learn_from, settings, class_weight, verbose)


def _fit_plain(g: nx.DiGraph, shard, learn_from, settings, class_weight, verbose: int):
    import numpy as np

    from .keras import keras, takes_dict, to_keras

    model = to_keras(g, learn_from, seed=settings["seed"])
    local = settings["batch_size"] // shard.processes
    x_alone = not takes_dict(g)
    x, y = shard.train
    validation = None
    if shard.validation is not None:
        validation = (_bare(shard.validation[0], x_alone), _bare(shard.validation[1], True))
    fitted, seconds = _fit(
        g,
        model,
        (_bare(x, x_alone), _bare(y, True)),
        dict(batch_size=local, validation_data=validation, validation_batch_size=local),
        settings,
        class_weight,
        verbose,
    )
    weights = [np.asarray(w) for w in model.get_weights()]
    keras.distribution.set_distribution(None)
    plain = to_keras(g, learn_from, seed=settings["seed"])
    plain.set_weights(weights)
    return plain, _history(fitted, seconds), lambda feed, batch: evaluate_feed(g, plain, feed, batch)


def _fit_pipelined(g: nx.DiGraph, cut, shard, learn_from, settings, class_weight, verbose: int):
    """The lookups in tf.data, the trunk under JAX; then the whole model on the
    pipeline's layers and the trunk's (rebuilt without distribution)."""
    import numpy as np

    from .keras import keras, to_keras
    from .keras_pipeline import Pipeline, PipelinedFeed, batches, plain

    pipeline = Pipeline(g, cut, learn_from)
    learned = PipelinedFeed(learn_from, pipeline)
    trunk = to_keras(g, learned, seed=settings["seed"], cut=cut)
    local = settings["batch_size"] // shard.processes
    validation = None
    if shard.validation is not None:
        validation = batches(shard.validation, local, pipeline, True)
    fitted, seconds = _fit(
        g,
        trunk,
        (batches(shard.train, local, pipeline, True),),
        dict(validation_data=validation),
        settings,
        class_weight,
        verbose,
    )
    weights = [np.asarray(w) for w in trunk.get_weights()]
    keras.distribution.set_distribution(None)
    layers = dict(pipeline.layers)
    rebuilt = to_keras(g, learned, seed=settings["seed"], cut=cut, layers=layers)
    rebuilt.set_weights(weights)
    whole = to_keras(g, layers=layers)  # raw rows in: what is saved
    if whole.optimizer is not None:  # as evaluating builds it: saved with its slots, as the trunk's
        whole.optimizer.build(whole.trainable_variables)

    def evaluate(feed, batch: int) -> dict:
        from .keras import dataset, metric_value

        test = dataset(feed, batch, False, len(feed.targets) == 1).map(plain(lambda x, y: (pipeline(x), y)))
        return {k: metric_value(v) for k, v in rebuilt.evaluate(test, verbose=0, return_dict=True).items()}

    return whole, _history(fitted, seconds), evaluate


def _fit(g, model, data: tuple, options: dict, settings, class_weight, verbose: int):
    """model.fit on the global batches as they are (no shuffling: they are cut
    across processes), timing each epoch."""
    from .keras import fit_callbacks, keras

    clock = _EpochClock(keras)
    fitted = model.fit(
        *data,
        epochs=settings["epochs"],
        shuffle=False,
        verbose=verbose,
        callbacks=[clock, *fit_callbacks(g)],
        class_weight=class_weight,
        **options,
    )
    return fitted, clock.seconds


def _history(fitted, seconds: list[float]) -> dict:
    from .keras import metric_value

    history = {k: [metric_value(v) for v in vs] for k, vs in fitted.history.items()}
    history["epoch_seconds"] = seconds
    return history


def _EpochClock(keras):
    """A callback that records each epoch's wall time (the first includes compiling)."""
    import time

    class EpochClock(keras.callbacks.Callback):  # type: ignore[name-defined]
        def __init__(self):
            super().__init__()
            self.seconds: list[float] = []
            self.started = 0.0

        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(round(time.perf_counter() - self.started, 6))

    return EpochClock()


def evaluate(g: nx.DiGraph, model, binding, inputs, targets, rows, batch_size: int) -> dict:
    import numpy as np

    from .keras import keras_names, metric_value

    if not len(rows):
        return {}
    names = keras_names(g)
    idx = np.asarray(rows, dtype="int64")
    outputs = [t.output for t in binding.targets]
    test = model.evaluate(
        _pick(names, inputs, idx, inputs),
        _pick(names, targets, idx, outputs),
        batch_size=batch_size,
        verbose=0,
        return_dict=True,
    )
    return {k: metric_value(v) for k, v in test.items()}


def evaluate_feed(g: nx.DiGraph, model, test, batch_size: int) -> dict:
    """The model's metrics on a feed (the test rows, streamed)."""
    from .keras import dataset, metric_value, takes_dict

    x_alone = not takes_dict(g) and len(test.inputs) == 1
    result = model.evaluate(
        dataset(test, batch_size, x_alone, len(test.targets) == 1), verbose=0, return_dict=True
    )
    return {k: metric_value(v) for k, v in result.items()}


def _tensorflow_before_keras():
    """TensorFlow, imported before the Keras backend so that its devices and
    thread pools can still be configured; its C++ start-up notices kept off
    stderr, as the Keras backend keeps them."""
    if "netdsl.backends.keras" in sys.modules:
        raise UsageError("TensorFlow's devices and threads must be set before it starts")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # read once, when TensorFlow loads
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        import tensorflow as tf
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    return tf


def limit_threads(threads: int) -> None:
    """Size TensorFlow's thread pools (a pool worker's share of the cores)."""
    tf = _tensorflow_before_keras()
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)


def split_cpu(replicas: int | None) -> None:
    """Without a GPU, make `replicas` logical CPU devices for MirroredStrategy.
    TensorFlow allows this only before it starts its devices, so this runs
    before the Keras backend is imported."""
    tf = _tensorflow_before_keras()

    if replicas and replicas > 1 and not tf.config.list_physical_devices("GPU"):
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * replicas)


def mirrored_strategy():
    """TensorFlow's MirroredStrategy over the GPUs, else the (logical) CPUs."""
    import tensorflow as tf

    kind = "GPU" if tf.config.list_physical_devices("GPU") else "CPU"
    return tf.distribute.MirroredStrategy(devices=[d.name for d in tf.config.list_logical_devices(kind)])


def fit_mirrored(g: nx.DiGraph, binding, inputs, targets, split, settings, verbose):
    """Build and compile under the strategy's scope; `fit` splits each batch
    across the replicas and sums their gradients."""
    import numpy as np

    from .keras import fit_callbacks, fit_class_weight, keras_names, to_keras

    strategy = mirrored_strategy()
    idx = np.asarray(split.train, dtype="int64")
    with strategy.scope():
        model = to_keras(g, _feed(inputs, idx), seed=settings["seed"])
    names = keras_names(g)
    outputs = [t.output for t in binding.targets]
    fitted = model.fit(
        _pick(names, inputs, idx, inputs),
        _pick(names, targets, idx, outputs),
        epochs=settings["epochs"],
        batch_size=settings["batch_size"],
        validation_split=settings["validation_split"],
        shuffle=True,
        verbose=verbose,
        callbacks=fit_callbacks(g),
        class_weight=fit_class_weight(g, binding, targets, idx),
    )
    from .keras import metric_value

    history = {k: [metric_value(v) for v in vs] for k, vs in fitted.history.items()}
    return model, history, strategy.num_replicas_in_sync
