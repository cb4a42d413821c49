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


def predict_arrays(model, x: dict, batch_size: int = 1024) -> list:
    """The model's predictions, one array per output in the model's order.

    `x` maps input names to arrays; text columns are given to Keras as string
    tensors (model.predict refuses NumPy arrays of Python strings).
    """
    out = model.predict(model_input(model, x), batch_size=batch_size, verbose=0)
    if isinstance(out, dict):
        return [out[name] for name in model.output_names]
    return list(out) if isinstance(out, (list, tuple)) else [out]
