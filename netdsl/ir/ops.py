"""The op registry: what every layer kind means, declared once.

An op declares its parameters (types, defaults, ranges), how many operands it
takes and which dtypes and ranks it accepts, its shape, feature-name, dtype
and parameter-count rules, and its documentation. Adding a layer kind means
adding one entry to OPS here, plus one entry in each backend's own table
(backends/keras_layers.py LAYERS, backends/dot.py STYLES); the checks read
only this table.

Nothing here imports Keras or knows how a layer is drawn.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..lang import codes
from ..lang.codes import ErrorCode
from ..records import Frozen, frozen_class
from .core import FLOAT, Node, Selection, Shape
from .options import LAYER_OPTIONS

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


@frozen_class(frozen=True)
class Param(Frozen):
    name: str
    type: str  # a kind of value.convert_argument: "int", "float", "bool", "activation", "floats"
    default: Any = REQUIRED
    check: Callable[[Any], bool] | None = None
    range_text: str = ""  # says what `check` accepts, for messages
    keyword_only: bool = False  # only as name=value (after the positional ones)

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Operand(Frozen):
    """What the rules know of one operand: its name, shape, dtype, features, span."""

    name: str
    shape: Shape
    features: tuple[str, ...] | None
    span: Any = None
    op: str | None = None
    dtype: str = FLOAT
    written: str | None = None  # the name as the user wrote it there (None: not a plain name)

    def example(self, step: str) -> str:
        """`NAME -> step` when the operand was written as a name the user can
        write again; node names made inside blocks and chains are not."""
        if self.written:
            return f"`{self.written} -> {step}`"
        return f"`... -> {step}` on the {fmt_shape(self.shape)} operand"


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class OpCall(Frozen):
    """What an op's rules see of one layer: its operands, its checked
    arguments and, for a selection, what `resolve` made of them."""

    inputs: Sequence[Operand]
    args: Mapping[str, Any]
    selection: Selection | None = None


class ShapeError(Exception):
    """Raised by a rule; checks.py turns it into a diagnostic."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        help: str | None = None,
        notes: Sequence[tuple[str, Any]] = (),
        span: Any = None,
    ):
        super().__init__(message)
        self.code, self.message, self.help = code, message, help
        self.notes, self.span = tuple(notes), span


def _first_dtype(c: OpCall) -> str:
    return c.inputs[0].dtype if c.inputs else FLOAT


@frozen_class(frozen=True)
class Op(Frozen):
    name: str
    kind: str  # "input", "layer", "merge", "select"
    doc: str
    params: tuple[Param, ...] = ()
    min_inputs: int = 1
    max_inputs: int | None = 1
    dtypes: tuple[str, ...] = (FLOAT,)  # operand dtypes accepted
    ranks: tuple[int, ...] = (1,)  # operand ranks accepted (without the batch axis)
    shape: Callable[[OpCall], Shape] = lambda c: c.inputs[0].shape
    features: Callable[[OpCall], tuple[str, ...] | None] = lambda c: None
    dtype: Callable[[OpCall], str] = _first_dtype
    count: Callable[[OpCall, Shape], tuple[int, int]] = lambda c, out: (0, 0)  # (trainable, non-trainable)
    describe: Callable[[OpCall], str] = lambda c: ""  # a short text of its arguments, for people
    # A selection's items, resolved against its operand (runs before `shape`).
    resolve: Callable[[OpCall], Selection] | None = None
    # True when the layer learns statistics from data as the model is built
    # (Keras `adapt`): it then needs data, see netdsl/data/tables.py.
    adapts: Callable[[Mapping[str, Any]], bool] = lambda a: False

    def param(self, name: str) -> Param | None:
        for p in self.params:
            if p.name == name:
                return p
        return None


def _width(shape: Shape) -> int:
    return shape[-1]


def _keep_features(c: OpCall) -> tuple[str, ...] | None:
    return c.inputs[0].features


def _dense_count(c: OpCall, out: Shape) -> tuple[int, int]:
    n_in, units = _width(c.inputs[0].shape), c.args["units"]
    return n_in * units + (units if c.args["use_bias"] else 0), 0


def _dense_describe(c: OpCall) -> str:
    a = c.args
    text = f"{a['units']} unit{'s' * (a['units'] != 1)}, {a['activation']}"
    return text if a["use_bias"] else text + ", no bias"


def _standardize_shape(c: OpCall) -> Shape:
    ins, a = c.inputs, c.args
    n = _width(ins[0].shape)
    mean, variance = a.get("mean"), a.get("variance")
    if (mean is None) != (variance is None):
        given, missing = ("mean", "variance") if mean is not None else ("variance", "mean")
        raise ShapeError(
            codes.STANDARDIZE_STATS,
            f"standardize has {given}= but no {missing}=",
            help="give both mean= and variance=, or neither to adapt them from --data",
        )
    if mean is not None and variance is not None:
        wrong = [(label, len(v)) for label, v in (("mean", mean), ("variance", variance)) if len(v) != n]
        if wrong:
            given = " and ".join(f"{label}= has {k} value(s)" for label, k in wrong)
            each = " and one ".join(label for label, _ in wrong)
            raise ShapeError(
                codes.STANDARDIZE_STATS,
                f"standardize {given} but its input '{ins[0].name}' has {n} feature(s)",
                help=f"give one {each} per feature of '{ins[0].name}'",
            )
    return ins[0].shape


def _standardize_adapts(a: Mapping[str, Any]) -> bool:
    return a.get("mean") is None and a.get("variance") is None


def _standardize_count(c: OpCall, out: Shape) -> tuple[int, int]:
    # Adapted: mean (n,), variance (n,), count () as non-trainable weights.
    # Explicit statistics live in the config: no weights at all.
    return (0, 0) if c.args.get("mean") is not None else (0, 2 * _width(c.inputs[0].shape) + 1)


def _standardize_describe(c: OpCall) -> str:
    return "mean/variance given" if c.args.get("mean") is not None else "adapted from data"


def _concat_shape(c: OpCall) -> Shape:
    ins = c.inputs
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


def _concat_features(c: OpCall) -> tuple[str, ...] | None:
    if all(o.features is not None for o in c.inputs):
        return tuple(f for o in c.inputs for f in o.features or ())
    return None


def _broadcast(a: Shape, b: Shape) -> Shape | None:
    """Keras's rule for element-wise merges: equal sizes, or 1 on an axis,
    which repeats; None when the shapes do not broadcast."""
    if len(a) != len(b):
        return None
    out = []
    for x, y in zip(a, b):
        if x != y and 1 not in (x, y):
            return None
        out.append(max(x, y))
    return tuple(out)


def _elementwise_shape(name: str, code: ErrorCode) -> Callable[[OpCall], Shape]:
    def shape(c: OpCall) -> Shape:
        ins = c.inputs
        out: Shape | None = ins[0].shape
        for o in ins[1:]:
            out = _broadcast(out, o.shape) if out is not None else None
        if out is not None:
            return out
        listing = ", ".join(f"'{o.name}' is {fmt_shape(o.shape)}" for o in ins)
        widest = max(ins, key=lambda o: _width(o.shape))
        narrow = next(o for o in ins if o.shape != widest.shape)
        raise ShapeError(
            code,
            f"{name}() needs operands of identical shape: {listing}",
            help=(
                f"project to a common width with a dense layer, e.g. "
                f"{narrow.example(f'dense({_width(widest.shape)})')}, or join them with "
                f"concat(...), which allows different widths"
            ),
            notes=[(f"'{o.name}' has shape {fmt_shape(o.shape)}, defined here", o.span) for o in ins],
        )

    return shape


def _dot_shape(c: OpCall) -> Shape:
    a, b = c.inputs
    if a.shape != b.shape:
        raise ShapeError(
            codes.DOT_SHAPE_MISMATCH,
            f"dot() sums over the feature axis, so its operands need the same width: "
            f"'{a.name}' is {fmt_shape(a.shape)}, '{b.name}' is {fmt_shape(b.shape)}",
            help=f"project '{b.name}' with a dense layer, e.g. {b.example(f'dense({_width(a.shape)})')}",
            notes=[(f"'{o.name}' has shape {fmt_shape(o.shape)}, defined here", o.span) for o in c.inputs],
        )
    return (1,)


def _resolve_selection(c: OpCall) -> Selection:
    """The selection items (`x[a, 0:2]`) -> the input's columns, checked."""
    src = c.inputs[0]
    width = _width(src.shape)
    items = c.args["items"]
    if not items:
        raise ShapeError(
            codes.EMPTY_SELECTION,
            f"empty selection from '{src.name}'",
            help="name the features to keep, e.g. x[0:2] or x[a, b]",
        )
    indices: list[int] = []
    chosen: set[int] = set()  # sets and a dict: a selection may name hundreds of thousands of features
    positions: dict[str, int] = {}
    for i, f in enumerate(src.features or ()):
        positions.setdefault(f, i)
    for item in items:
        for i in _selected(src, width, item, positions):
            if i in chosen:
                label = src.features[i] if src.features else str(i)
                raise ShapeError(
                    codes.FEATURE_SELECTED_TWICE,
                    f"feature '{label}' of '{src.name}' is selected twice",
                    help="remove the repeated selection",
                    span=item.span,
                )
            indices.append(i)
            chosen.add(i)
    features = src.features
    labels = [features[i] for i in indices] if features else [str(i) for i in indices]
    return Selection(tuple(indices), tuple(labels))


def _selected(src: Operand, width: int, item, positions: dict[str, int]) -> list[int]:
    """The columns one selection item picks (`positions`: feature name -> its first column)."""
    from ..lang.ast import SelIndex, SelName

    if isinstance(item, SelName):
        return [_feature_index(src, item, positions)]
    if isinstance(item, SelIndex):
        i = item.index
        if not -width <= i < width:
            raise ShapeError(
                codes.INDEX_OUT_OF_RANGE,
                f"index {i} is out of range for '{src.name}', which has "
                f"{width} feature(s) (0 to {width - 1})",
                span=item.span,
            )
        return [i % width]
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
    return picked


def _feature_index(src: Operand, item, positions: dict[str, int]) -> int:
    features = src.features
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
    if item.name not in positions:
        from ..lang.diagnostics import did_you_mean

        raise ShapeError(
            codes.UNKNOWN_FEATURE,
            f"'{src.name}' has no feature '{item.name}'",
            help=did_you_mean(item.name, features) or f"its features are: {', '.join(features)}",
            span=item.span,
        )
    return positions[item.name]


def _range_text(item) -> str:
    start = "" if item.start is None else str(item.start)
    stop = "" if item.stop is None else str(item.stop)
    return f"{start}:{stop}"


def _select_shape(c: OpCall) -> Shape:
    assert c.selection is not None
    return c.inputs[0].shape[:-1] + (len(c.selection.indices),)


def _select_features(c: OpCall) -> tuple[str, ...] | None:
    return c.selection.labels if c.selection is not None and c.inputs[0].features is not None else None


def _select_describe(c: OpCall) -> str:
    return "features: " + ", ".join(c.selection.labels) if c.selection is not None else ""


def _positive(v):
    return v >= 1


def _size(shape: Shape) -> int:
    return math.prod(shape)


def _merge(name: str, doc: str, code: ErrorCode, max_inputs: int | None = None) -> Op:
    return Op(
        name,
        "merge",
        doc,
        min_inputs=2,
        max_inputs=max_inputs,
        ranks=ANY_RANK,
        shape=_elementwise_shape(name, code),
    )


# A layer's random seed: keyword only, so `dropout(0.5, 0.2)` stays a mistake.
_SEED = Param(
    "seed", "int", None, check=lambda v: v >= 0, range_text="a non-negative integer", keyword_only=True
)

# Ranks accepted by the ops that work on any rank (element-wise, per-feature).
ANY_RANK = (1, 2, 3, 4)


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
            # arguments from the declaration (checks.check_arguments): width, features
            shape=lambda c: (c.args["width"],),
            features=lambda c: c.args["features"],
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
            shape=lambda c: c.inputs[0].shape[:-1] + (c.args["units"],),
            count=_dense_count,
            describe=_dense_describe,
        ),
        Op(
            "dropout",
            "layer",
            "Randomly zeroes a fraction of the values while training: dropout(rate, seed=none).",
            params=(
                Param("rate", "float", check=_unit_interval_open, range_text="0 <= rate < 1"),
                _SEED,
            ),
            ranks=ANY_RANK,
            features=_keep_features,
            describe=lambda c: f"rate {c.args['rate']:g}",
        ),
        Op(
            "standardize",
            "layer",
            "Standardizes each feature (Keras Normalization): standardize(mean=[..], variance=[..]) "
            "or standardize to adapt on --data.",
            params=(
                Param("mean", "floats", None),
                Param("variance", "floats", None, check=lambda v: v > 0, range_text="> 0"),
            ),
            shape=_standardize_shape,
            features=_keep_features,
            count=_standardize_count,
            describe=_standardize_describe,
            adapts=_standardize_adapts,
        ),
        Op(
            "identity",
            "layer",
            "Passes its input through unchanged (a named alias).",
            ranks=ANY_RANK,
            features=_keep_features,
        ),
        Op(
            "concat",
            "merge",
            "Joins its operands along the feature axis: concat(a, b, ...).",
            min_inputs=2,
            max_inputs=None,
            shape=_concat_shape,
            features=_concat_features,
        ),
        _merge(
            "add",
            "Adds its operands element-wise: add(a, b, ...); a size of 1 on an axis broadcasts.",
            codes.ADD_SHAPE_MISMATCH,
        ),
        _merge(
            "multiply",
            "Multiplies its operands element-wise: multiply(a, b, ...); a size of 1 broadcasts.",
            codes.MERGE_SHAPE_MISMATCH,
        ),
        _merge(
            "average",
            "The element-wise mean of its operands: average(a, b, ...); a size of 1 broadcasts.",
            codes.MERGE_SHAPE_MISMATCH,
        ),
        _merge(
            "maximum",
            "The element-wise maximum of its operands: maximum(a, b, ...); a size of 1 broadcasts.",
            codes.MERGE_SHAPE_MISMATCH,
        ),
        _merge(
            "minimum",
            "The element-wise minimum of its operands: minimum(a, b, ...); a size of 1 broadcasts.",
            codes.MERGE_SHAPE_MISMATCH,
        ),
        _merge(
            "subtract",
            "The first operand minus the second, element-wise: subtract(a, b); a size of 1 broadcasts.",
            codes.MERGE_SHAPE_MISMATCH,
            max_inputs=2,
        ),
        Op(
            "dot",
            "merge",
            "The dot product of two vectors of the same width, per row: dot(a, b, normalize=false) "
            "(normalize: cosine similarity).",
            params=(Param("normalize", "bool", False),),
            min_inputs=2,
            max_inputs=2,
            shape=_dot_shape,
            describe=lambda c: "cosine" if c.args["normalize"] else "",
        ),
        Op(
            "batchnorm",
            "layer",
            "Batch normalization (Keras BatchNormalization): batchnorm(momentum=0.99, epsilon=0.001).",
            params=(
                Param("momentum", "float", 0.99, check=_unit_interval_open, range_text="0 <= momentum < 1"),
                Param("epsilon", "float", 0.001, check=lambda v: v > 0, range_text="> 0"),
            ),
            ranks=ANY_RANK,
            features=_keep_features,
            # gamma, beta trainable; moving mean and variance not
            count=lambda c, out: (2 * out[-1], 2 * out[-1]),
            describe=lambda c: f"momentum {c.args['momentum']:g}, epsilon {c.args['epsilon']:g}",
        ),
        Op(
            "layernorm",
            "layer",
            "Normalizes each row over its last axis (Keras LayerNormalization): layernorm(epsilon=0.001).",
            params=(Param("epsilon", "float", 0.001, check=lambda v: v > 0, range_text="> 0"),),
            ranks=ANY_RANK,
            features=_keep_features,
            count=lambda c, out: (2 * out[-1], 0),
            describe=lambda c: f"epsilon {c.args['epsilon']:g}",
        ),
        Op(
            "activation",
            "layer",
            "An activation function as a layer: activation(name), e.g. activation(gelu).",
            params=(Param("name", "activation"),),
            ranks=ANY_RANK,
            features=_keep_features,
            describe=lambda c: c.args["name"],
        ),
        Op(
            "relu",
            "layer",
            "max(x, 0) as a layer (Keras ReLU).",
            ranks=ANY_RANK,
            features=_keep_features,
        ),
        Op(
            "leaky_relu",
            "layer",
            "x for x >= 0, alpha * x below (Keras LeakyReLU): leaky_relu(alpha=0.3).",
            params=(Param("alpha", "float", 0.3, check=lambda v: v >= 0, range_text=">= 0"),),
            ranks=ANY_RANK,
            features=_keep_features,
            describe=lambda c: f"alpha {c.args['alpha']:g}",
        ),
        Op(
            "prelu",
            "layer",
            "A leaky ReLU whose slope is learned per value (Keras PReLU).",
            ranks=ANY_RANK,
            features=_keep_features,
            count=lambda c, out: (_size(out), 0),
        ),
        Op(
            "gaussian_noise",
            "layer",
            "Adds zero-mean Gaussian noise while training: gaussian_noise(stddev, seed=none).",
            params=(
                Param("stddev", "float", check=lambda v: v >= 0, range_text=">= 0"),
                _SEED,
            ),
            ranks=ANY_RANK,
            features=_keep_features,
            describe=lambda c: f"stddev {c.args['stddev']:g}",
        ),
        Op(
            "select",
            "select",
            "Feature selection: x[name, ...], x[i], x[a:b].",
            resolve=_resolve_selection,
            shape=_select_shape,
            features=_select_features,
            describe=_select_describe,
        ),
    )
}


def _with_options(op: Op) -> Op:
    """An op with the layer options Keras gives its layer (ir/options.py), all by
    name only; every layer and merge may be frozen (`trainable=false`)."""
    if op.kind not in ("layer", "merge"):
        return op
    have = {p.name for p in op.params}
    extra = [Param(name, family, None, keyword_only=True) for name, family in LAYER_OPTIONS.get(op.name, ())]
    extra.append(Param("trainable", "bool", True, keyword_only=True))
    return dataclasses.replace(op, params=op.params + tuple(p for p in extra if p.name not in have))


OPS = {name: _with_options(op) for name, op in OPS.items()}


def is_layer_option(name: str) -> bool:
    """A layer option (ir/options.py), not one of an op's own arguments."""
    return name == "trainable" or name.endswith(("_initializer", "_regularizer", "_constraint"))


def options_text(args: Mapping[str, Any]) -> str:
    """The layer options given (`kernel_regularizer=l2(0.0001)`, `frozen`), for people."""
    parts = [f"{k}={v}" for k, v in args.items() if k != "trainable" and is_layer_option(k) and v is not None]
    return ", ".join(parts + (["frozen"] if args.get("trainable") is False else []))


def describe(n: Node) -> str:
    """A short text of a checked node's arguments (the table of `check`, the diagram)."""
    op = OPS.get(n.op) if n.op is not None else None
    if op is None or n.args is None:
        return ""
    text = op.describe(OpCall((), n.args, n.selection))
    options = options_text(n.args)
    return f"{text}, {options}" if text and options else text or options


def fmt_shape(shape: Shape | None) -> str:
    if shape is None:
        return "?"
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def layer_ops() -> list[str]:
    """Names a user may write in a chain."""
    return sorted(name for name, op in OPS.items() if op.kind in ("layer", "merge"))


def is_finite_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
