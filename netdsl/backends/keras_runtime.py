"""Keras, imported quietly, and what runs a saved model: load it, give it
named arrays, predict. No IR here (no networkx): `netdsl predict` needs only
this; building and training models is netdsl/backends/keras.py."""

from __future__ import annotations

import os

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


def load_model(path: str):
    """A saved .keras model, loaded as plain Keras would (safe_mode stays on)."""
    return keras.saving.load_model(path, safe_mode=True)


def model_input(model, x: dict):
    """Named input arrays as the model takes them: a dict (its inputs by key),
    or the bare array of a one-input model; text as string tensors (Keras
    refuses NumPy arrays of Python strings)."""
    import tensorflow as tf

    if isinstance(model.input, dict):  # a scalar column (an Input of shape ()) as (rows,)
        x = {k: v.reshape(-1) if len(model.input[k].shape) == 1 and v.ndim == 2 else v for k, v in x.items()}
    text = any(v.dtype.kind in "OUS" for v in x.values())
    # Strings must be tensors; then all must be (a call may not mix tensors and arrays).
    feed = {k: tf.constant(v) if text else v for k, v in x.items()}
    if len(feed) == 1 and not isinstance(model.input, dict):
        return next(iter(feed.values()))
    return feed


def batches(data, batch_size: int, shuffle: bool = False):
    """A tf.data pipeline of `data` (a structure of equally long arrays) in
    the batches Keras's own array adapter makes for `model.fit(x, y,
    shuffle=...)` / `evaluate` / `predict`: the same permutation (drawn by the
    same ops, so the same seed gives the same one), the same batches in the
    same order, hence the same weights and metrics as the hand-written call.

    The difference is how a batch is cut: the adapter zips a copy of the whole
    structure into every element and gathers from it, which under TensorFlow's
    op determinism (netdsl's `train` always) costs about as much as the training
    step itself; here each batch is gathered from the arrays the map function
    captures. Its cardinality is known, as the adapter's is (Keras's epoch loop
    relies on it: with an unknown one it ends the epochs differently).
    """
    import tensorflow as tf

    data = keras.tree.map_structure(tf.convert_to_tensor, data)
    rows = int(keras.tree.flatten(data)[0].shape[0])
    full, partial = divmod(rows, batch_size)

    def permutation(_):
        indices = tf.range(rows, dtype=tf.int64)
        if shuffle:
            indices = tf.random.shuffle(indices)
        return indices

    def batch_indices(indices):
        flat = tf.data.Dataset.from_tensor_slices(
            tf.reshape(tf.slice(indices, [0], [full * batch_size]), [full, batch_size])
        )
        if partial:
            flat = flat.concatenate(
                tf.data.Dataset.from_tensors(tf.slice(indices, [full * batch_size], [partial]))
            )
        return flat

    def gather(i):
        return keras.tree.map_structure(lambda t: tf.gather(t, i, axis=0), data)

    indices = tf.data.Dataset.range(1).map(permutation).prefetch(1).flat_map(batch_indices)
    ds = indices.map(gather, num_parallel_calls=tf.data.AUTOTUNE)
    options = tf.data.Options()
    options.experimental_optimization.apply_default_optimizations = False  # as the adapter: no graph rewrite
    if shuffle:
        options.experimental_external_state_policy = tf.data.experimental.ExternalStatePolicy.IGNORE
    ds = ds.with_options(options).apply(tf.data.experimental.assert_cardinality(full + (partial > 0)))
    return ds.prefetch(tf.data.AUTOTUNE)


def predict_arrays(model, x: dict, batch_size: int = 1024) -> list:
    """The model's predictions, one array per output in the model's order.

    `x` maps input names to arrays; text columns are given to Keras as string
    tensors (model.predict refuses NumPy arrays of Python strings). The
    batches are those `model.predict(x, batch_size=...)` makes.
    """
    out = model.predict(batches(model_input(model, x), batch_size), verbose=0)
    if isinstance(out, dict):
        return [out[name] for name in model.output_names]
    return list(out) if isinstance(out, (list, tuple)) else [out]
