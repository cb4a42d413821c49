"""The op registry: every layer kind declared once.

An op declares its parameters (types, defaults, ranges), how many inputs it
takes, its shape rule, its parameter-count rule, how it is built in Keras and
how it is drawn. Adding a layer kind means adding one entry to OPS; the
grammar, the checks, the Keras backend and the diagram all read this table.

Nothing here imports Keras: builders receive the `keras` module as an argument.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..lang import codes

Shape = tuple  # feature shape without the batch axis, e.g. (4,)

REQUIRED = object()

# Limits checked before any backend allocates memory.
MAX_WIDTH = 1_000_000  # units of a layer, width of an input
MAX_PARAMS = 2_000_000_000  # parameters of a whole model
MAX_NODES = 100_000  # layers in one spec

# Activation names Keras 3 resolves with keras.activations.get (checked by a test).
# Not "glu": it halves the width, which Keras's Dense does not know when it
# infers shapes, so the next layer is built for the wrong width.
ACTIVATIONS = (
    "celu",
    "elu",
    "exponential",
    "gelu",
    "hard_shrink",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "leaky_relu",
    "linear",
    "log_sigmoid",
    "log_softmax",
    "mish",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "silu",
    "soft_shrink",
    "softmax",
    "softplus",
    "softsign",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
    "swish",
    "tanh",
    "tanh_shrink",
)


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # "int", "float", "bool", "activation", "floats"
    default: Any = REQUIRED
    check: Callable[[Any], bool] | None = None
    range_text: str = ""  # says what `check` accepts, for messages

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


@dataclass(frozen=True)
class Operand:
    """What a shape rule knows of one input: its name, shape, features, span."""

    name: str
    shape: Shape
    features: tuple[str, ...] | None
    span: Any = None
    op: str | None = None


class ShapeError(Exception):
    """Raised by a shape rule; checks.py turns it into a diagnostic."""

    def __init__(
        self,
        code: str,
        message: str,
        help: str | None = None,
        notes: Sequence[tuple[str, Any]] = (),
        span: Any = None,
    ):
        super().__init__(message)
        self.code, self.message, self.help = code, message, help
        self.notes, self.span = tuple(notes), span


@dataclass(frozen=True)
class Op:
    name: str
    kind: str  # "input", "layer", "merge", "select"
    doc: str
    params: tuple[Param, ...] = ()
    min_inputs: int = 1
    max_inputs: int | None = 1
    shape: Callable[[list[Operand], dict], Shape] = None
    features: Callable[[list[Operand], dict], tuple[str, ...] | None] = lambda ins, a: None
    count: Callable[[list[Operand], Shape, dict], tuple[int, int]] = lambda ins, out, a: (0, 0)
    build: Callable[..., Any] = None  # (keras, name, args, tensors) -> tensor
    keras_class: str = ""
    describe: Callable[[dict], str] = lambda a: ""
    style: dict = field(default_factory=dict)  # Graphviz node attributes for the diagram

    def param(self, name: str) -> Param | None:
        for p in self.params:
            if p.name == name:
                return p
        return None


def _width(shape: Shape) -> int:
    return shape[-1]


def _same_shape(ins, args):
    return ins[0].shape


def _keep_features(ins, args):
    return ins[0].features


def _dense_count(ins, out, a):
    n_in, units = _width(ins[0].shape), a["units"]
    return n_in * units + (units if a["use_bias"] else 0), 0


def _dense_build(keras, name, a, xs):
    return keras.layers.Dense(a["units"], activation=a["activation"], use_bias=a["use_bias"], name=name)(
        xs[0]
    )


def _dense_describe(a):
    text = f"{a['units']} unit{'s' * (a['units'] != 1)}, {a['activation']}"
    return text if a["use_bias"] else text + ", no bias"


def _dropout_build(keras, name, a, xs):
    return keras.layers.Dropout(a["rate"], name=name)(xs[0])


def _standardize_shape(ins, a):
    n = _width(ins[0].shape)
    mean, variance = a.get("mean"), a.get("variance")
    if (mean is None) != (variance is None):
        given, missing = ("mean", "variance") if mean is not None else ("variance", "mean")
        raise ShapeError(
            codes.STANDARDIZE_STATS,
            f"standardize has {given}= but no {missing}=",
            help="give both mean= and variance=, or neither to adapt them from --data",
        )
    if mean is not None:
        for label, values in (("mean", mean), ("variance", variance)):
            if len(values) != n:
                raise ShapeError(
                    codes.STANDARDIZE_STATS,
                    f"standardize {label}= has {len(values)} value(s) but its input "
                    f"'{ins[0].name}' has {n} feature(s)",
                    help=f"give one {label} per feature of '{ins[0].name}'",
                )
    return ins[0].shape


def _standardize_count(ins, out, a):
    # Adapted: mean (n,), variance (n,), count () as non-trainable weights.
    # Explicit statistics live in the config: no weights at all.
    return (0, 0) if a.get("mean") is not None else (0, 2 * _width(ins[0].shape) + 1)


def _standardize_build(keras, name, a, xs):
    if a.get("mean") is not None:
        layer = keras.layers.Normalization(
            axis=-1, mean=list(a["mean"]), variance=list(a["variance"]), name=name
        )
    else:
        layer = keras.layers.Normalization(axis=-1, name=name)
        layer.adapt(a["adapt_data"])
    return layer(xs[0])


def _standardize_describe(a):
    return "mean/variance given" if a.get("mean") is not None else "adapted from data"


def _concat_shape(ins, a):
    head = ins[0]
    for other in ins[1:]:
        if len(other.shape) != len(head.shape) or other.shape[:-1] != head.shape[:-1]:
            raise ShapeError(
                codes.CONCAT_SHAPE_MISMATCH,
                f"concat() operands disagree on an axis other than the last: "
                f"'{head.name}' is {fmt_shape(head.shape)}, '{other.name}' is {fmt_shape(other.shape)}",
                notes=[(f"'{o.name}' has shape {fmt_shape(o.shape)}", o.span) for o in ins],
            )
    return head.shape[:-1] + (sum(_width(o.shape) for o in ins),)


def _concat_features(ins, a):
    if all(o.features is not None for o in ins):
        return tuple(f for o in ins for f in o.features)
    return None


def _add_shape(ins, a):
    head = ins[0]
    if all(o.shape == head.shape for o in ins):
        return head.shape
    listing = ", ".join(f"'{o.name}' is {fmt_shape(o.shape)}" for o in ins)
    widest = max(ins, key=lambda o: _width(o.shape))
    narrow = next(o for o in ins if o.shape != widest.shape)
    raise ShapeError(
        codes.ADD_SHAPE_MISMATCH,
        f"add() needs operands of identical shape: {listing}",
        help=(
            f"project to a common width with a dense layer, e.g. "
            f"`{narrow.name} -> dense({_width(widest.shape)})`, or join them with "
            f"concat(...), which allows different widths"
        ),
        notes=[(f"'{o.name}' has shape {fmt_shape(o.shape)}, defined here", o.span) for o in ins],
    )


def _merge_build(cls):
    def build(keras, name, a, xs):
        return getattr(keras.layers, cls)(name=name)(list(xs))

    return build


def _identity_build(keras, name, a, xs):
    return keras.layers.Identity(name=name)(xs[0])


def _select_shape(ins, a):
    """Resolve the selection items against the input; records indices and labels in `a`."""
    from ..lang.ast import SelIndex, SelName

    src = ins[0]
    width = _width(src.shape)
    features = src.features
    indices: list[int] = []
    if not a["items"]:
        raise ShapeError(
            codes.EMPTY_SELECTION,
            f"empty selection from '{src.name}'",
            help="name the features to keep, e.g. x[0:2] or x[a, b]",
        )
    for item in a["items"]:
        if isinstance(item, SelName):
            if features is None:
                hint = (
                    (
                        f"select by position, e.g. {src.name}[0:2], or declare the input's "
                        f"features: input {src.name}: [a, b, ...]"
                    )
                    if src.op == "input"
                    else (
                        f"select by position, e.g. {src.name}[0:2]; only inputs declared with features, "
                        "and selections from them, have feature names"
                    )
                )
                raise ShapeError(
                    codes.NO_FEATURE_NAMES,
                    f"'{src.name}' has no feature names, so '{item.name}' cannot be selected",
                    help=hint,
                    span=item.span,
                )
            if item.name not in features:
                from ..lang.diagnostics import did_you_mean

                raise ShapeError(
                    codes.UNKNOWN_FEATURE,
                    f"'{src.name}' has no feature '{item.name}'",
                    help=did_you_mean(item.name, features) or f"its features are: {', '.join(features)}",
                    span=item.span,
                )
            picked = [features.index(item.name)]
        elif isinstance(item, SelIndex):
            i = item.index
            if not -width <= i < width:
                raise ShapeError(
                    codes.INDEX_OUT_OF_RANGE,
                    f"index {i} is out of range for '{src.name}', which has "
                    f"{width} feature(s) (0 to {width - 1})",
                    span=item.span,
                )
            picked = [i % width]
        else:
            for bound in (item.start, item.stop):
                if bound is not None and not -width <= bound <= width:
                    raise ShapeError(
                        codes.INDEX_OUT_OF_RANGE,
                        f"range bound {bound} is out of range for '{src.name}', which has {width} feature(s)",
                        span=item.span,
                    )
            picked = list(range(width))[item.start : item.stop]
            if not picked:
                raise ShapeError(
                    codes.EMPTY_SELECTION,
                    f"range {_range_text(item)} selects no feature of '{src.name}'",
                    help="the start must be less than the stop",
                    span=item.span,
                )
        for i in picked:
            if i in indices:
                label = features[i] if features else str(i)
                raise ShapeError(
                    codes.FEATURE_SELECTED_TWICE,
                    f"feature '{label}' of '{src.name}' is selected twice",
                    help="remove the repeated selection",
                    span=item.span,
                )
            indices.append(i)
    a["indices"] = indices
    a["labels"] = [features[i] for i in indices] if features else [str(i) for i in indices]
    return src.shape[:-1] + (len(indices),)


def _range_text(item) -> str:
    start = "" if item.start is None else str(item.start)
    stop = "" if item.stop is None else str(item.stop)
    return f"{start}:{stop}"


def _select_features(ins, a):
    return tuple(a["labels"]) if ins[0].features is not None else None


def _select_build(keras, name, a, xs):
    # Named Keras operations (GetItem / Take) that save to .keras and load with
    # safe_mode=True; keras.ops.take has no `name` argument, so use the class
    # (reached through the module the backend passes in: no import here).
    operations = keras.src.ops.numpy
    indices = a["indices"]
    if is_slice(indices):
        return operations.GetItem(name=name)(xs[0], (slice(None), slice(indices[0], indices[-1] + 1)))
    import numpy as np

    return operations.Take(axis=1, name=name)(xs[0], np.asarray(indices, dtype="int32"))


def is_slice(indices: list[int]) -> bool:
    """A contiguous ascending selection compiles to a slice (GetItem), others to Take."""
    return indices == list(range(indices[0], indices[0] + len(indices)))


def _select_describe(a):
    return "features: " + ", ".join(a["labels"]) if a.get("labels") else ""


def _positive(v):
    return v >= 1


def _unit_interval_open(v):
    return 0.0 <= v < 1.0


OPS: dict[str, Op] = {
    op.name: op
    for op in (
        Op(
            "input",
            "input",
            "A named model input of a given width or list of features.",
            min_inputs=0,
            max_inputs=0,
            keras_class="InputLayer",
            style={"fillcolor": "#dbeafe", "color": "#1d4ed8"},
        ),
        Op(
            "dense",
            "layer",
            "Fully connected layer: dense(units, activation=linear, use_bias=true).",
            params=(
                Param("units", "int", check=_positive, range_text="a positive integer"),
                Param("activation", "activation", "linear"),
                Param("use_bias", "bool", True),
            ),
            shape=lambda ins, a: ins[0].shape[:-1] + (a["units"],),
            count=_dense_count,
            build=_dense_build,
            keras_class="Dense",
            describe=_dense_describe,
            style={"fillcolor": "#ffffff", "color": "#475569"},
        ),
        Op(
            "dropout",
            "layer",
            "Randomly zeroes a fraction of the values while training: dropout(rate).",
            params=(Param("rate", "float", check=_unit_interval_open, range_text="0 <= rate < 1"),),
            shape=_same_shape,
            features=_keep_features,
            build=_dropout_build,
            keras_class="Dropout",
            describe=lambda a: f"rate {a['rate']:g}",
            style={"fillcolor": "#f8fafc", "color": "#94a3b8", "style": "rounded,filled,dashed"},
        ),
        Op(
            "standardize",
            "layer",
            "Standardizes each feature (Keras Normalization): standardize(mean=[..], variance=[..]) "
            "or standardize to adapt on --data.",
            params=(
                Param("mean", "floats", None),
                Param("variance", "floats", None, check=lambda v: v >= 0, range_text=">= 0"),
            ),
            shape=_standardize_shape,
            features=_keep_features,
            count=_standardize_count,
            build=_standardize_build,
            keras_class="Normalization",
            describe=_standardize_describe,
            style={"fillcolor": "#fef3c7", "color": "#b45309"},
        ),
        Op(
            "identity",
            "layer",
            "Passes its input through unchanged (a named alias).",
            shape=_same_shape,
            features=_keep_features,
            build=_identity_build,
            keras_class="Identity",
            style={"fillcolor": "#f8fafc", "color": "#94a3b8"},
        ),
        Op(
            "concat",
            "merge",
            "Joins its operands along the feature axis: concat(a, b, ...).",
            min_inputs=2,
            max_inputs=None,
            shape=_concat_shape,
            features=_concat_features,
            build=_merge_build("Concatenate"),
            keras_class="Concatenate",
            style={"fillcolor": "#dcfce7", "color": "#15803d", "style": "filled"},
        ),
        Op(
            "add",
            "merge",
            "Adds operands of identical shape element-wise: add(a, b, ...).",
            min_inputs=2,
            max_inputs=None,
            shape=_add_shape,
            build=_merge_build("Add"),
            keras_class="Add",
            style={"fillcolor": "#dcfce7", "color": "#15803d", "style": "filled"},
        ),
        Op(
            "select",
            "select",
            "Feature selection: x[name, ...], x[i], x[a:b].",
            shape=_select_shape,
            features=_select_features,
            build=_select_build,
            keras_class="GetItem",
            describe=_select_describe,
            style={"fillcolor": "#ede9fe", "color": "#6d28d9", "shape": "cds"},
        ),
    )
}


def fmt_shape(shape: Shape | None) -> str:
    if shape is None:
        return "?"
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def layer_ops() -> list[str]:
    """Names a user may write in a chain."""
    return sorted(name for name, op in OPS.items() if op.kind in ("layer", "merge"))


def is_finite_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
