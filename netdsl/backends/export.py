"""A built Keras model -> SavedModel, ONNX or LiteRT, through Keras 3's own `model.export`.

Two things are added around `model.export`, both tested in tests/test_lockin.py:

- Named inputs and outputs. `model.export` names a list of outputs
  `output_0`, `output_1` (SavedModel, LiteRT) or `Identity:0` (ONNX). The
  model is exported through a view of itself whose inputs and outputs are
  dictionaries keyed by the spec's names (the same layers and weights), so
  every format's signature says `species`, not `output_0`.
- Normalization statistics as constants. On the TensorFlow backend tf2onnx
  turns tensors a traced function captures into extra graph inputs
  (`.../norm/Sub/y:0`), which no runtime can feed; Keras's Normalization
  keeps its mean and variance as such tensors. While exporting they are held
  as NumPy arrays, which the trace embeds as constants (same values).
"""

from __future__ import annotations

import contextlib
import os
import sys

from .keras import keras

ONNX_OPSET = 17  # stated in every ONNX file written (onnxruntime 1.16+ runs it)
KERAS_FORMATS = {"savedmodel": "tf_saved_model", "onnx": "onnx", "litert": "litert"}


class ExportError(Exception):
    """A model that a format cannot hold (said with the input that blocks it)."""


def export(model, path: str, fmt: str) -> str:
    """Export `model` to `path` in `fmt`; returns a one-line description."""
    _check_inputs(model, fmt)
    names = [t.name for t in model.inputs]
    view = keras.Model(
        {n: t for n, t in zip(names, model.inputs)},
        dict(zip(model.output_names, model.outputs)),
        name=model.name,
    )
    view({n: keras.ops.zeros((1,) + tuple(t.shape[1:]), dtype=t.dtype) for n, t in zip(names, model.inputs)})
    kwargs = {"opset_version": ONNX_OPSET} if fmt == "onnx" else {}
    with _constant_statistics(model), _quiet():
        view.export(path, format=KERAS_FORMATS[fmt], verbose=False, **kwargs)
    ins = ", ".join(f"{n} {tuple(t.shape)}" for n, t in zip(names, model.inputs))
    outs = ", ".join(f"{n} {tuple(t.shape)}" for n, t in zip(model.output_names, model.outputs))
    opset = f", ONNX opset {ONNX_OPSET}" if fmt == "onnx" else ""
    return f"inputs {ins}; outputs {outs}{opset}"


def _check_inputs(model, fmt: str) -> None:
    """Raw string inputs: SavedModel and LiteRT carry them (checked by tests/test_lockin.py);
    tf2onnx writes a file onnxruntime refuses (it cannot convert the string lookup table,
    LookupTableFindV2), so ONNX export stops here and says which input blocks it."""
    if fmt != "onnx":
        return
    for t in model.inputs:
        if t.dtype == "string":
            raise ExportError(
                f"input '{t.name}' takes raw strings, which ONNX export cannot carry: tf2onnx cannot "
                "convert Keras's string lookup, and onnxruntime refuses the file it writes; export "
                "savedmodel or litert, which keep string inputs, or look the strings up before the model"
            )


@contextlib.contextmanager
def _constant_statistics(model):
    layers = [layer for layer in model.layers if isinstance(layer, keras.layers.Normalization)]
    saved = [(layer, layer.mean, layer.variance) for layer in layers]
    try:
        for layer, mean, variance in saved:
            if mean is not None:
                layer.mean = keras.ops.convert_to_numpy(mean)
                layer.variance = keras.ops.convert_to_numpy(variance)
        yield
    finally:
        for layer, mean, variance in saved:
            layer.mean, layer.variance = mean, variance


@contextlib.contextmanager
def _quiet():
    """The converters (tf2onnx, the TFLite converter) log to file descriptors 1
    and 2 from native code; keep them off the terminal. Python errors still
    propagate, and are reported by the caller."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
            os.dup2(null.fileno(), 2)
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])
