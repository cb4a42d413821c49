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
from typing import Any, cast

from ..lang import codes
from ..lang.codes import ErrorCode
from ..records import Frozen, frozen_class
from .core import CATEGORIES, FLOAT, INDEX, INT, MIXED, STRING, Field, Node, Selection, Shape
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
    type: str  # a kind of values.convert: "int", "float", "bool", "activation", "floats", "name", ...
    default: Any = REQUIRED
    check: Callable[[Any], bool] | None = None
    range_text: str = ""  # says what `check` accepts, for messages
    choices: tuple[str, ...] = ()  # the names a "name" argument may be
    keyword_only: bool = False  # only as name=value (after the positional ones)
    # the rest of the positional arguments, a tuple of `type` values (`reshape(4, 16)`)
    variadic: bool = False

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Operand(Frozen):
    """What the rules know of one operand: its name, shape, dtype, features, span,
    and for the columns of a record and the categories made of them, the
    record fields it is, its number of categories and its vocabulary."""

    name: str
    shape: Shape
    features: tuple[str, ...] | None
    span: Any = None
    op: str | None = None
    dtype: str = FLOAT
    members: tuple[Field, ...] | None = None  # the record fields this value is
    bundle: bool = False  # several record columns, not one tensor
    cardinality: int | None = None  # an INDEX value's number of categories (None: waits for data)
    vocabulary: tuple | None = None  # a category's vocabulary, when known
    waits: str | None = None  # what its sizes wait for
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
        argument: int | None = None,
    ):
        super().__init__(message)
        self.code, self.message, self.help = code, message, help
        self.notes, self.span = tuple(notes), span
        # the positional argument it is about (its span), ALL_ARGUMENTS for them all
        self.argument = argument


ALL_ARGUMENTS = -1


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
    # Records and categories (docs/design/tabular.md): the record fields a
    # value is, an INDEX value's number of categories, a category's vocabulary.
    members: Callable[[OpCall], tuple[Field, ...] | None] = lambda c: None
    cardinality: Callable[[OpCall], int | None] = lambda c: None
    vocabulary: Callable[[OpCall], tuple | None] = lambda c: None
    # What its sizes wait for (data not given yet): by default its operands'.
    waits: Callable[[OpCall], str | None] = lambda c: next((o.waits for o in c.inputs if o.waits), None)
    # A layer's further operands, given by keyword after its first (`q -> attention(..., value=v)`),
    # in this order, each only with the ones before it.
    operand_keywords: tuple[str, ...] = ()

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
    units = "?" if a["units"] is None else a["units"]  # computed from a size that waits for data
    text = f"{units} unit{'s' * (units != 1)}, {a['activation']}"
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


def _no_scalar_columns(op: str, c: OpCall) -> None:
    """A bundle's columns join as (1,) each: a scalar column must be lifted first."""
    for o in c.inputs:
        scalar = next((f for f in o.members or () if o.bundle and f.shape == ()), None)
        if scalar is not None:
            raise ShapeError(
                codes.OPERAND_TYPE,
                f"{op}() joins columns of shape (1,); '{scalar.record}[{scalar.name}]' is a scalar, shape ()",
                help=f"lift each scalar column first: {scalar.record}[{scalar.name}] -> expand_dims(-1)",
                span=o.span,
            )


def _concat_shape(c: OpCall) -> Shape:
    """Keras's Concatenate: operands of one rank, equal on every axis but `axis` (Keras's
    numbering, batch axis 0; -1 the last), which adds up."""
    _no_scalar_columns("concat", c)
    ins, axis = c.inputs, c.args.get("axis", -1)
    head = ins[0]
    deepest = max(ins, key=lambda o: len(o.shape))
    if any(len(o.shape) != len(deepest.shape) for o in ins):
        raise ShapeError(
            codes.OPERAND_TYPE,
            "concat() joins values of one rank: "
            + ", ".join(f"'{label(o)}' is {fmt_shape(o.shape)}" for o in ins),
            help=f"flatten it first: {deepest.example('flatten')}, then concat()",
            notes=[(f"'{label(o)}' has shape {fmt_shape(o.shape)}, defined here", o.span) for o in ins],
        )
    rank = len(head.shape) + 1  # batch axis included
    at = axis + rank if axis < 0 else axis
    if not 1 <= at < rank:
        where = "the batch axis" if at == 0 else f"out of range for operands of shape {fmt_shape(head.shape)}"
        raise ShapeError(
            codes.ARGUMENT_RANGE,
            f"concat() axis {axis} is {where}",
            help="axis=-1 joins the last axis: (n, a) and (n, b) -> (n, a + b); axis=1 the rows: "
            "(m, d) and (n, d) -> (m + n, d)",
        )
    k = at - 1
    for other in ins[1:]:
        if other.shape[:k] + other.shape[k + 1 :] != head.shape[:k] + head.shape[k + 1 :]:
            which = "the last" if k == len(head.shape) - 1 else f"axis {axis}"
            raise ShapeError(
                codes.CONCAT_SHAPE_MISMATCH,
                f"concat() operands disagree on an axis other than {which}: "
                f"'{head.name}' is {fmt_shape(head.shape)}, '{other.name}' is {fmt_shape(other.shape)}",
                notes=[(f"'{o.name}' has shape {fmt_shape(o.shape)}", o.span) for o in ins],
            )
    sizes = [o.shape[k] for o in ins]
    joined = None if None in sizes else sum(sizes)  # None: waits for data
    return cast(Shape, head.shape[:k] + (joined,) + head.shape[k + 1 :])


def _concat_features(c: OpCall) -> tuple[str, ...] | None:
    if c.args.get("axis", -1) not in (-1, len(c.inputs[0].shape)):
        return None  # rows joined: the features stay those of each row
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


def _stack_shape(c: OpCall) -> Shape:
    """keras.ops.stack: operands of one shape, joined on a new axis (Keras's numbering, batch axis 0)."""
    ins, axis = c.inputs, c.args["axis"]
    head = ins[0]
    for other in ins[1:]:
        if other.shape != head.shape:
            raise ShapeError(
                codes.MERGE_SHAPE_MISMATCH,
                f"stack() needs operands of one shape: '{label(head)}' is {fmt_shape(head.shape)}, "
                f"'{label(other)}' is {fmt_shape(other.shape)}",
                help="give every operand the same shape, e.g. embeddings of one dimension",
                notes=[(f"'{label(o)}' has shape {fmt_shape(o.shape)}, defined here", o.span) for o in ins],
            )
    rank = len(head.shape) + 2  # of the result, batch axis included
    at = axis + rank if axis < 0 else axis
    if not 1 <= at < rank:
        where = "the batch axis" if at == 0 else f"out of range for operands of shape {fmt_shape(head.shape)}"
        raise ShapeError(
            codes.ARGUMENT_RANGE,
            f"stack() axis {axis} is {where}",
            help="axis=1 stacks them as rows: n values of shape (d,) -> (n, d)",
        )
    return cast(Shape, head.shape[: at - 1] + (len(ins),) + head.shape[at - 1 :])


def _attention_shape(c: OpCall) -> Shape:
    """The output has the query's shape (Keras projects it back to the query's last axis); a
    value (and key) of their own must have the query's rank, and key the value's rows."""
    query, *rest = c.inputs
    notes = [(f"'{label(x)}' has shape {fmt_shape(x.shape)}, defined here", x.span) for x in c.inputs]
    for o in rest:
        if len(o.shape) != len(query.shape):
            raise ShapeError(
                codes.OPERAND_TYPE,
                f"attention() needs a value and key of the query's rank: the query '{label(query)}' is "
                f"{fmt_shape(query.shape)}, '{label(o)}' is {fmt_shape(o.shape)}",
                help="give them rows of vectors as the query has, e.g. (n, d) for a (m, d) query",
                notes=notes,
            )
    if len(rest) == 2 and rest[0].shape[:-1] != rest[1].shape[:-1]:
        value, key = rest
        raise ShapeError(
            codes.MERGE_SHAPE_MISMATCH,
            f"attention() pairs each key with a value: the value '{label(value)}' is "
            f"{fmt_shape(value.shape)}, the key '{label(key)}' is {fmt_shape(key.shape)} (all axes but "
            f"the last must agree)",
            help="give the key as many rows as the value; their widths may differ",
            notes=notes[1:],
        )
    return query.shape


def _attention_count(c: OpCall, out: Shape) -> tuple[int, int]:
    """Keras MultiHeadAttention: query, key and value projections of their last axes (dq, dk,
    dv) to heads x key_dim (value: heads x value_dim), and the output back to dq. Called on
    (x, x) (self-attention) the three widths are x's; the key defaults to the value."""
    a = c.args
    dq = c.inputs[0].shape[-1]
    dv = c.inputs[1].shape[-1] if len(c.inputs) > 1 else dq
    dk = c.inputs[2].shape[-1] if len(c.inputs) > 2 else dv
    heads, key_dim = a["heads"], a["key_dim"]
    value_dim = a["value_dim"] if a.get("value_dim") is not None else key_dim
    bias = 1 if a["use_bias"] else 0
    q = dq * heads * key_dim + bias * heads * key_dim
    k = dk * heads * key_dim + bias * heads * key_dim
    v = dv * heads * value_dim + bias * heads * value_dim
    o = heads * value_dim * dq + bias * dq
    return q + k + v + o, 0


def _attention_describe(c: OpCall) -> str:
    a = c.args
    text = f"{a['heads']} head{'s' * (a['heads'] != 1)}, key_dim {a['key_dim']}"
    if a.get("value_dim") is not None:
        text += f", value_dim {a['value_dim']}"
    if a["dropout"]:
        text += f", dropout {a['dropout']:g}"
    return text if a["use_bias"] else text + ", no bias"


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
    members = _select_members(c)
    if members is not None and len(members) == 1:
        return members[0].shape  # one column of a record: its Input, () for a scalar
    return c.inputs[0].shape[:-1] + (len(c.selection.indices),)


def _select_features(c: OpCall) -> tuple[str, ...] | None:
    return c.selection.labels if c.selection is not None and c.inputs[0].features is not None else None


def _select_describe(c: OpCall) -> str:
    return "features: " + ", ".join(c.selection.labels) if c.selection is not None else ""


# ---- records (docs/design/tabular.md) -----------------------------------------


def _fields_dtype(fields: tuple[Field, ...] | None) -> str:
    """A record's dtype: its fields' one dtype, or MIXED; a vector input's is FLOAT."""
    if not fields:
        return FLOAT
    kinds = {f.dtype for f in fields}
    return kinds.pop() if len(kinds) == 1 else MIXED


def _single_vocabulary(fields: tuple[Field, ...] | None) -> tuple | None:
    """The vocabulary of one category column (declared, or the data's)."""
    if fields is None or len(fields) != 1 or fields[0].dtype not in CATEGORIES:
        return None
    f = fields[0]
    return f.vocabulary if f.vocabulary is not None else f.data_vocabulary()


def _keep_members(c: OpCall) -> tuple[Field, ...] | None:
    return c.inputs[0].members


def _keep_cardinality(c: OpCall) -> int | None:
    return c.inputs[0].cardinality


def _keep_vocabulary(c: OpCall) -> tuple | None:
    return c.inputs[0].vocabulary


def _select_members(c: OpCall) -> tuple[Field, ...] | None:
    members = c.inputs[0].members
    if members is None or c.selection is None:
        return None
    return tuple(members[i] for i in c.selection.indices)


def _select_dtype(c: OpCall) -> str:
    members = _select_members(c)
    return _fields_dtype(members) if members is not None else c.inputs[0].dtype


def label(o: Operand) -> str:
    """An operand as the user wrote it: `p[island]` for columns of a record, else its name."""
    if o.members and o.op != "input":
        return f"{o.members[0].record}[{', '.join(f.name for f in o.members)}]"
    return o.name


def category_of(o: Operand) -> str | None:
    """The first category column of an operand (its name), or None when it holds numbers."""
    if o.members is not None:
        for f in o.members:
            if f.dtype in CATEGORIES:
                return f.name
    if o.dtype in CATEGORIES or o.dtype == INDEX:
        return o.features[0] if o.features else o.name
    return None


def not_encoded(op: str, o: Operand) -> ShapeError:
    """A category where numbers are needed: name it, say how to encode it."""
    column = category_of(o) or o.name
    if o.dtype == INDEX:
        what = f"'{o.name}' holds category indices"
        hint = f"encode them: {o.name} -> one_hot, or {o.name} -> embedding(8) -> flatten"
    else:
        kind = "string" if _dtype_of(o, column) == STRING else "integer"
        what = f"'{column}' is a {kind} category"
        record = o.members[0].record if o.members else ""
        where = f"{record}[{column}]" if record else o.name
        hint = f"encode it first, e.g. {where} -> one_hot (or {where} -> lookup -> embedding(4) -> flatten)"
    return ShapeError(
        codes.CATEGORICAL_NOT_ENCODED, f"{op}() needs numbers, but {what}", help=hint, span=o.span
    )


def _dtype_of(o: Operand, column: str) -> str:
    for f in o.members or ():
        if f.name == column:
            return f.dtype
    return o.dtype


def _concat_dtype(c: OpCall) -> str:
    """Columns of one type join; numbers with a category is the error that names it."""
    dtypes = {f.dtype for o in c.inputs for f in (o.members if o.bundle and o.members else [o])}
    if len(dtypes) == 1:
        return dtypes.pop()
    if FLOAT in dtypes:
        raise not_encoded("concat", next(o for o in c.inputs if category_of(o) is not None))
    raise ShapeError(
        codes.OPERAND_TYPE,
        "concat() joins values of one type; "
        + ", ".join(f"'{o.name}' holds {type_text(o.dtype)}" for o in c.inputs),
        help="join categories of one type, or encode them first (one_hot)",
    )


def type_text(dtype: str) -> str:
    return {
        FLOAT: "numbers",
        STRING: "string categories",
        INT: "integer categories",
        INDEX: "category indices",
    }.get(dtype, dtype)


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


def _input_shape(c: OpCall) -> Shape:
    fields = c.args.get("fields")
    if fields and len(fields) == 1:
        return fields[0].shape
    return c.args.get("shape") or (c.args["width"],)


def _expand_dims_shape(c: OpCall) -> Shape:
    """Keras's numbering: the batch axis is 0, -1 the new last axis."""
    shape, axis = c.inputs[0].shape, c.args["axis"]
    rank = len(shape) + 2  # of the result, batch axis included
    at = axis + rank if axis < 0 else axis
    if not 0 <= at < rank:
        raise ShapeError(
            codes.ARGUMENT_RANGE,
            f"expand_dims() axis {axis} is out of range for '{label(c.inputs[0])}' of shape "
            f"{fmt_shape(shape)} (a result of rank {rank - 1}, batch axis excluded)",
            help="axis -1 adds a last axis: (n,) -> (n, 1), () -> (1,)",
        )
    if at == 0:
        raise ShapeError(
            codes.ARGUMENT_RANGE,
            f"expand_dims() axis {axis} is the batch axis",
            help="axis -1 adds a last axis: (n,) -> (n, 1), () -> (1,)",
        )
    return cast(Shape, shape[: at - 1] + (1,) + shape[at - 1 :])


def _pick_shape(c: OpCall) -> Shape:
    o, i = c.inputs[0], c.args["index"]
    width = _width(o.shape)
    if not -width <= i < width:
        raise ShapeError(
            codes.INDEX_OUT_OF_RANGE,
            f"pick({i}) is out of range for '{label(o)}', which has {width} column(s) (0 to {width - 1})",
        )
    return o.shape[:-1]


# A layer's random seed: keyword only, so `dropout(0.5, 0.2)` stays a mistake.
_SEED = Param(
    "seed", "int", None, check=lambda v: v >= 0, range_text="a non-negative integer", keyword_only=True
)

# Ranks accepted by the ops that work on any rank (element-wise, per-feature).
ANY_RANK = (1, 2, 3, 4)
MAX_RANK = ANY_RANK[-1]  # of a shaped input, per sample: `input seq: (4, 62)`


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
            # arguments from the declaration (checks.check_arguments): width, features, fields
            dtypes=(),
            shape=_input_shape,
            features=lambda c: c.args["features"],
            dtype=lambda c: (
                _fields_dtype(c.args["fields"]) if c.args.get("fields") else c.args.get("dtype", FLOAT)
            ),
            members=lambda c: c.args.get("fields"),
            vocabulary=lambda c: _single_vocabulary(c.args.get("fields")),
        ),
        Op(
            "dense",
            "layer",
            "Fully connected layer on the last axis: dense(units, activation=linear, use_bias=true); "
            "(n, d) -> (n, units), the same kernel for each of the n rows.",
            params=(
                Param("units", "int", check=_positive, range_text="a positive integer"),
                Param("activation", "activation", "linear"),
                Param("use_bias", "bool", True),
            ),
            # Keras's Dense maps the last axis: (8, 16) -> (8, units), one kernel for every row of 16
            ranks=ANY_RANK,
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
            dtypes=(FLOAT, STRING, INT, INDEX),
            ranks=ANY_RANK,
            features=_keep_features,
            members=_keep_members,
            cardinality=_keep_cardinality,
            vocabulary=_keep_vocabulary,
        ),
        Op(
            "concat",
            "merge",
            "Joins its operands along the feature axis: concat(a, b, ...); a record's columns: "
            "x[a, b] -> concat; concat(a, b, axis=1) joins rows: (m, d) and (n, d) -> (m + n, d).",
            params=(Param("axis", "int", -1),),
            min_inputs=2,
            max_inputs=None,
            dtypes=(FLOAT, STRING, INT),
            ranks=ANY_RANK,
            shape=_concat_shape,
            features=_concat_features,
            describe=lambda c: "" if c.args.get("axis", -1) == -1 else f"axis {c.args['axis']}",
            dtype=_concat_dtype,
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
            "stack",
            "merge",
            "Stacks values of one shape along a new axis (keras.ops.stack): stack(a, b, ..., axis=1); "
            "n embeddings (d,) -> (n, d).",
            params=(Param("axis", "int", 1),),
            min_inputs=2,
            max_inputs=None,
            ranks=(0,) + ANY_RANK[:-1],
            shape=_stack_shape,
            describe=lambda c: f"axis {c.args['axis']}",
        ),
        Op(
            "attention",
            "layer",
            "Multi-head attention over the rows of a (rows, d) value (Keras MultiHeadAttention): "
            "attention(heads, key_dim, value_dim=key_dim, dropout=0.0, use_bias=true) attends x to "
            "itself (called on (x, x)); q -> attention(..., value=v, key=k) attends the query q to v "
            "(key defaults to value). The output has the query's shape.",
            params=(
                Param("heads", "int", check=_positive, range_text="a positive integer"),
                Param("key_dim", "int", check=_positive, range_text="a positive integer"),
                Param("value_dim", "int", None, check=_positive, range_text="a positive integer"),
                Param("dropout", "float", 0.0, check=_unit_interval_open, range_text="0 <= dropout < 1"),
                Param("use_bias", "bool", True),
            ),
            max_inputs=3,
            ranks=(2, 3, 4),
            shape=_attention_shape,
            operand_keywords=("value", "key"),
            count=_attention_count,
            describe=_attention_describe,
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
            dtypes=(FLOAT, STRING, INT, INDEX, MIXED),
            resolve=_resolve_selection,
            shape=_select_shape,
            features=_select_features,
            describe=_select_describe,
            dtype=_select_dtype,
            members=_select_members,
            vocabulary=lambda c: _single_vocabulary(_select_members(c)),
            cardinality=_keep_cardinality,
        ),
    )
}


# Layers that Keras cannot freeze through their constructor: MultiHeadAttention(trainable=False)
# makes its query/key/value/output projections in build(), trainable, and the model trains
# them (checked on Keras 3.15); a .keras file rebuilds them the same way.
_NOT_FREEZABLE = {
    "attention": Param(
        "trainable",
        "bool",
        True,
        check=lambda v: v is True,
        range_text="true: Keras's MultiHeadAttention(trainable=False) still trains its projections",
        keyword_only=True,
    ),
}


def _with_options(op: Op) -> Op:
    """An op with the layer options Keras gives its layer (ir/options.py), all by
    name only; every layer and merge may be frozen (`trainable=false`)."""
    if op.kind not in ("layer", "merge"):
        return op
    have = {p.name for p in op.params}
    extra = [Param(name, family, None, keyword_only=True) for name, family in LAYER_OPTIONS.get(op.name, ())]
    extra.append(_NOT_FREEZABLE.get(op.name) or Param("trainable", "bool", True, keyword_only=True))
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
    text = (
        _encoding_text(n)
        if n.op in ("one_hot", "multi_hot")
        else op.describe(OpCall((), n.args, n.selection))
    )
    options = options_text(n.args)
    return f"{text}, {options}" if text and options else text or options


def _encoding_text(n: Node) -> str:
    """one_hot / multi_hot: of a category, its vocabulary; of indices, their number."""
    size = n.shape[-1] if n.shape else None
    if n.vocabulary is not None:
        return f"a vocabulary of {len(n.vocabulary)} + 1 OOV"
    if n.waits and size is None:
        return "vocabulary from the data"
    return f"{size} categories" if size is not None else ""


def fmt_shape(shape: Shape | None) -> str:
    if shape is None:
        return "?"
    return (
        "(" + ", ".join("?" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
    )


def layer_ops() -> list[str]:
    """Names a user may write in a chain."""
    return sorted(name for name, op in OPS.items() if op.kind in ("layer", "merge"))


def is_finite_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


# ---- encodings and missing values (docs/design/tabular.md) ----------------------------------

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")
ANY_DTYPE = (FLOAT, STRING, INT, INDEX)


def _wrong_operand(op: str, o: Operand, wants: str, help: str | None) -> ShapeError:
    return ShapeError(
        codes.ENCODING_OPERAND,
        f"{op}() takes {wants}; '{label(o)}' holds {type_text(o.dtype)}",
        help=help,
        span=o.span,
    )


def _raw_category(op: str, o: Operand) -> None:
    """A lookup or hash takes a string or integer category column."""
    if o.dtype in CATEGORIES:
        return
    if o.dtype == INDEX:
        raise _wrong_operand(
            op, o, "string or integer categories", f"they are indices already: {label(o)} -> one_hot"
        )
    raise _wrong_operand(
        op,
        o,
        "string or integer categories",
        "declare the column a category in its record (x: string, or x: int), or bin the numbers "
        "with discretize(bins=8)",
    )


def _vocabulary_of(c: OpCall) -> tuple | None:
    """A lookup's vocabulary: its argument, else its operand's (declared, or from the data)."""
    given = c.args.get("vocabulary")
    if given is None:
        return c.inputs[0].vocabulary
    o = c.inputs[0]
    strings = isinstance(given[0], str)
    if strings != (o.dtype == STRING):
        want = "strings" if o.dtype == STRING else "integers"
        raise ShapeError(
            codes.BAD_VOCABULARY,
            f"'{label(o)}' holds {type_text(o.dtype)}, so its vocabulary is a list of {want}",
            span=o.span,
        )
    return given


def lookup_size(c: OpCall) -> int | None:
    """V: the vocabulary, its out-of-vocabulary slots and the mask slot."""
    vocabulary = _vocabulary_of(c)
    if vocabulary is None:
        return None
    return len(vocabulary) + c.args.get("oov", 1) + (1 if c.args.get("mask") else 0)


def _encoded_shape(op: str, o: Operand, mode: str, size: int | None) -> Shape:
    """The shape of an encoding in `mode`: the operand's for int, else (V,)."""
    if mode == "int":
        return o.shape
    if not o.shape:
        raise ShapeError(
            codes.ENCODING_OPERAND,
            f"{op}() encodes columns of shape (1,); '{label(o)}' is a scalar, shape ()",
            help=f"lift it first: {label(o)} -> expand_dims(-1) -> {op}(...)",
            span=o.span,
        )
    if mode == "one_hot" and o.shape[-1] != 1:
        raise ShapeError(
            codes.ENCODING_OPERAND,
            f"{op}() one-hot encodes one column; '{label(o)}' has {o.shape[-1]}",
            help="encode several columns into one vector with multi_hot",
            span=o.span,
        )
    return cast(Shape, (size,))  # size None: it waits for data


def _lookup_shape(c: OpCall) -> Shape:
    o = c.inputs[0]
    _raw_category("lookup", o)
    return _encoded_shape("lookup", o, c.args["output_mode"], lookup_size(c))


def _waits_for_vocabulary(c: OpCall) -> str | None:
    o = c.inputs[0]
    if lookup_size(c) is not None:
        return o.waits
    column = o.features[0] if o.features else o.name
    return f"the vocabulary of '{column}' (from --data)"


def _mode_dtype(c: OpCall) -> str:
    return INDEX if c.args.get("output_mode", "int") == "int" else FLOAT


def _lookup_describe(c: OpCall) -> str:
    vocabulary = c.args.get("vocabulary")
    where = f"{len(vocabulary)} given" if vocabulary is not None else "vocabulary from the data"
    mode = c.args.get("output_mode", "int")
    return f"{where}, {c.args.get('oov', 1)} OOV" + ("" if mode == "int" else f", {mode}")


def _encode_shape(mode: str):
    def shape(c: OpCall) -> Shape:
        o = c.inputs[0]
        if o.dtype == INDEX:
            return _encoded_shape(mode, o, mode, o.cardinality)
        if o.dtype in CATEGORIES:
            return _encoded_shape(mode, o, mode, lookup_size(c))
        raise _wrong_operand(
            mode,
            o,
            "categories or category indices",
            "declare the column a category in its record (x: string), or bin the numbers first: "
            "-> discretize(bins=8) -> " + mode,
        )

    return shape


def _encode_waits(c: OpCall) -> str | None:
    o = c.inputs[0]
    return o.waits if o.dtype == INDEX else _waits_for_vocabulary(c)


def _embedding_dim(c: OpCall) -> int | None:
    return c.args["dim"]  # None: computed from a vocabulary that waits for data


def _embedding_input_dim(c: OpCall) -> int | None:
    """Embedding's input_dim: the operand's number of categories, or of raw integer ids as given."""
    o, given = c.inputs[0], c.args.get("input_dim")
    if given is not None and o.dtype == INDEX and o.cardinality is not None and given != o.cardinality:
        raise ShapeError(
            codes.ARGUMENT_RANGE,
            f"embedding() input_dim={given}, but '{label(o)}' holds {o.cardinality} category indices",
            help="leave input_dim out: an embedding of indices has one vector per index",
        )
    return given if given is not None else o.cardinality


def _embedding_shape(c: OpCall) -> Shape:
    o = c.inputs[0]
    _embedding_input_dim(c)  # a given input_dim must agree with the indices' number
    if o.dtype in (INT, FLOAT) and c.args.get("input_dim") is not None:
        # ids 0..input_dim-1; as numbers (keras.io's scripts feed looked-up indices as float32)
        # Keras's Embedding casts them to integers
        return cast(Shape, o.shape + (_embedding_dim(c),))
    if o.dtype != INDEX:
        hint = (
            f"integer ids 0..n-1 give their range: embedding(..., input_dim=n); other categories: "
            f"{label(o)} -> lookup -> embedding(...)"
            if o.dtype == INT
            else f"look the categories up first: {label(o)} -> lookup -> embedding(...)"
            if o.dtype in CATEGORIES
            else "an embedding maps category indices (from lookup, hash, discretize or cross) to vectors; "
            "numbers that are ids 0..n-1 give their range: embedding(..., input_dim=n)"
        )
        raise _wrong_operand("embedding", o, "category indices", hint)
    return cast(Shape, o.shape + (_embedding_dim(c),))  # dim None: it waits for data


def _embedding_count(c: OpCall, out: Shape) -> tuple[int, int]:
    size, dim = _embedding_input_dim(c), out[-1]
    return (size * dim, 0) if size is not None and dim is not None else (0, 0)


def _flatten_shape(c: OpCall) -> Shape:
    dims = c.inputs[0].shape
    return cast(Shape, (None if None in dims else math.prod(dims),))


def _hash_shape(c: OpCall) -> Shape:
    o = c.inputs[0]
    _raw_category("hash", o)
    return _encoded_shape("hash", o, c.args["output_mode"], c.args["bins"])


def _discretize_size(c: OpCall) -> int:
    boundaries, bins = c.args.get("boundaries"), c.args.get("bins")
    if (boundaries is None) == (bins is None):
        raise ShapeError(
            codes.ARGUMENT_TYPE,
            "discretize() takes boundaries=[...] or bins=N" + (", not both" if bins is not None else ""),
            help="discretize(boundaries=[0, 10, 100]) cuts at given values; discretize(bins=8) adapts "
            "its cuts on the training rows",
        )
    if boundaries is not None:
        if list(boundaries) != sorted(set(boundaries)):
            raise ShapeError(codes.ARGUMENT_RANGE, "discretize() boundaries must increase", help="sort them")
        return len(boundaries) + 1
    assert bins is not None
    return int(bins)


def _discretize_shape(c: OpCall) -> Shape:
    o = c.inputs[0]
    if o.dtype != FLOAT:
        raise _wrong_operand(
            "discretize", o, "numbers", "categories need no bins: use lookup, hash or one_hot"
        )
    size = _discretize_size(c)
    return _encoded_shape("discretize", o, c.args["output_mode"], size)


def _columns(c: OpCall) -> list[tuple[str, str, Shape]]:
    """(name, dtype, shape) of every column a merge gets, a bundle's one by one."""
    out: list[tuple[str, str, Shape]] = []
    for o in c.inputs:
        if o.bundle and o.members:
            out += [(f"{f.record}[{f.name}]", f.dtype, (1,)) for f in o.members]
        else:
            out.append((label(o), o.dtype, o.shape))
    return out


def _cross_shape(c: OpCall) -> Shape:
    _no_scalar_columns("cross", c)
    columns = _columns(c)
    if len(columns) < 2:
        raise ShapeError(
            codes.ARITY,
            f"cross() crosses two or more columns, got {len(columns)}",
            help="e.g. cross(x[island], x[sex], bins=16)",
        )
    for name, dtype, shape in columns:
        if dtype not in CATEGORIES + (INDEX,) or shape != (1,):
            what = "numbers" if dtype == FLOAT else f"{shape[-1]} columns"
            raise ShapeError(
                codes.ENCODING_OPERAND,
                f"cross() crosses single category columns; '{name}' is {what}",
                help="bin numbers first (discretize(bins=8)); select one column at a time",
            )
    mode = c.args["output_mode"]
    return (1,) if mode == "int" else (c.args["bins"],)


def _fill_check(c: OpCall) -> Shape:
    o = c.inputs[0]
    kind, value = c.args["value"]
    if o.dtype == FLOAT:
        if kind == "token":
            raise ShapeError(
                codes.ARGUMENT_TYPE,
                f"fill() of numbers takes mean, median or numbers; '{label(o)}' holds numbers",
                help=f"e.g. {label(o)} -> fill(mean)",
            )
        if kind == "numbers" and len(value) != o.shape[-1]:
            raise ShapeError(
                codes.ARGUMENT_RANGE,
                f"fill() has {len(value)} value(s) but '{label(o)}' has {o.shape[-1]} feature(s)",
                help="give one value per feature, or one number for all",
            )
        return o.shape
    if o.dtype == INDEX:
        raise _wrong_operand("fill", o, "numbers or raw categories", "fill the column before its lookup")
    wants_number = o.dtype == INT
    if kind != ("number" if wants_number else "token") or (wants_number and not isinstance(value, int)):
        example = "fill(-1)" if wants_number else 'fill("none")'
        raise ShapeError(
            codes.ARGUMENT_TYPE,
            f"fill() of {type_text(o.dtype)} takes the category that missing cells become",
            help=f"e.g. {label(o)} -> {example}; without fill, a missing category goes to the "
            "out-of-vocabulary slot",
        )
    return o.shape


def fill_token(c: OpCall) -> Any:
    return c.args["value"][1] if c.inputs[0].dtype in CATEGORIES else None


def _fill_members(c: OpCall) -> tuple[Field, ...] | None:
    """A filled category column: its missing cells now count for the token."""
    members, token = c.inputs[0].members, fill_token(c)
    if members is None or token is None or len(members) != 1 or members[0].counts is None:
        return members
    f = members[0]
    assert f.counts is not None
    counts = dict(f.counts)
    counts[token] = counts.get(token, 0) + f.missing
    key = (lambda v: v.encode("utf-8")) if isinstance(token, str) else (lambda v: v)
    ordered = tuple(sorted(counts.items(), key=lambda kv: (kv[1], key(kv[0])), reverse=True))
    return (dataclasses.replace(f, counts=ordered, missing=0),)


def _fill_vocabulary(c: OpCall) -> tuple | None:
    members = _fill_members(c)
    if members is not None and len(members) == 1 and c.inputs[0].members:
        return _single_vocabulary(members)
    return c.inputs[0].vocabulary


def _fill_adapts(a: Mapping[str, Any]) -> bool:
    return a["value"][0] in ("mean", "median")


def _fill_describe(c: OpCall) -> str:
    kind, value = c.args["value"]
    if kind in ("mean", "median"):
        return f"missing: the {kind} of the training rows"
    if kind == "numbers":
        return "missing: " + ", ".join(f"{v:g}" for v in value)
    return f"missing: {value!r}" if kind == "token" else f"missing: {value:g}"


def _clip_shape(c: OpCall) -> Shape:
    low, high = c.args["min"], c.args["max"]
    if low > high:
        raise ShapeError(
            codes.ARGUMENT_RANGE,
            f"clip() min {low:g} is above max {high:g}: every value would become {high:g}",
            help="clip(min, max) with min <= max, e.g. clip(0, 8) keeps the indices of 9 categories in range",
        )
    return c.inputs[0].shape


def _weighted_sum_shape(c: OpCall) -> Shape:
    """What a variable selection network computes: n weights (n,) and n stacked rows (n, d)
    give the sum of the rows, each times its weight, (d,)."""
    w, x = c.inputs
    if len(x.shape) != 2:
        raise ShapeError(
            codes.OPERAND_TYPE,
            f"weighted_sum() sums the rows of a (rows, width) value; its second operand "
            f"'{label(x)}' has shape {fmt_shape(x.shape)}",
            help="stack the values to weigh into rows: stack(a, b, ..., axis=1) gives (n, d)",
            notes=[(f"'{label(x)}' has shape {fmt_shape(x.shape)}, defined here", x.span)],
        )
    rows, width = x.shape
    if w.shape != (rows,):
        lifted = len(w.shape) == 2 and w.shape[0] == rows and w.shape[1] == 1
        raise ShapeError(
            codes.MERGE_SHAPE_MISMATCH,
            f"weighted_sum() needs one weight per row of '{label(x)}', shape ({rows},): "
            f"'{label(w)}' has shape {fmt_shape(w.shape)}",
            help="give the weights as (n,): weighted_sum() adds their last axis itself"
            if lifted
            else f"make {rows} weights, e.g. {w.example(f'dense({rows}, softmax)')}",
            notes=[(f"'{label(o)}' has shape {fmt_shape(o.shape)}, defined here", o.span) for o in c.inputs],
        )
    return (width,)


def _reshape_shape(c: OpCall) -> Shape:
    """Keras's Reshape: the same values in a new shape; one size may be -1 (what is left over)."""
    o, dims = c.inputs[0], c.args["dims"]
    if len(dims) > max(ANY_RANK):
        raise ShapeError(
            codes.ARGUMENT_RANGE,
            f"reshape() gives values of rank {max(ANY_RANK)} at most, not {len(dims)}",
            help=f"give {max(ANY_RANK)} sizes or fewer",
            argument=max(ANY_RANK),
        )
    free = [i for i, d in enumerate(dims) if d == -1]
    if len(free) > 1:
        raise ShapeError(
            codes.ARGUMENT_RANGE,
            "reshape() takes one -1 at most (the size left over), got two",
            help="give every size but one",
            argument=free[1],
        )
    if None in o.shape:
        return cast(Shape, tuple(None if d == -1 else d for d in dims))
    total, known = _size(o.shape), math.prod(d for d in dims if d != -1)
    if total % known if free else total != known:
        shown = ", ".join(map(str, dims))
        raise ShapeError(
            codes.ARGUMENT_RANGE,
            f"reshape({shown}) needs {f'a multiple of {known}' if free else known} values; "
            f"'{label(o)}' of shape {fmt_shape(o.shape)} has {total}",
            help=f"the sizes must multiply to {total}; -1 stands for the size left over, "
            f"e.g. reshape({o.shape[0]}, -1)",
            notes=[(f"'{label(o)}' has shape {fmt_shape(o.shape)}, defined here", o.span)],
            argument=free[0] if free else ALL_ARGUMENTS,
        )
    return cast(Shape, tuple(total // known if d == -1 else d for d in dims))


def _pool_shape(c: OpCall) -> Shape:
    """GlobalAveragePooling1D / GlobalMaxPooling1D: (steps, width) -> (width,)."""
    return c.inputs[0].shape[-1:]


def _keep_waits(c: OpCall) -> str | None:
    return next((o.waits for o in c.inputs if o.waits), None)


OPS.update(
    (op.name, _with_options(op))  # the layer options and trainable=false, as every layer
    for op in (
        Op(
            "lookup",
            "layer",
            "Category -> index (StringLookup / IntegerLookup): lookup(vocabulary=[..], oov=1, mask=false, "
            "output_mode=int); without a vocabulary it comes from --data.",
            params=(
                Param("vocabulary", "vocabulary", None),
                Param("oov", "int", 1, check=lambda v: 0 <= v <= 1000, range_text="0 to 1000"),
                Param("mask", "bool", False),
                Param("output_mode", "name", "int", choices=OUTPUT_MODES),
            ),
            dtypes=ANY_DTYPE,
            ranks=(0, 1),
            shape=_lookup_shape,
            dtype=_mode_dtype,
            features=_keep_features,
            cardinality=lambda c: lookup_size(c) if c.args["output_mode"] == "int" else None,
            vocabulary=_vocabulary_of,
            waits=_waits_for_vocabulary,
            describe=_lookup_describe,
        ),
        Op(
            "one_hot",
            "layer",
            "One-hot encoding of one category column (of indices: CategoryEncoding; of raw categories: "
            "the lookup with output one_hot).",
            dtypes=ANY_DTYPE,
            shape=_encode_shape("one_hot"),
            dtype=lambda c: FLOAT,
            waits=_encode_waits,
            vocabulary=lambda c: _vocabulary_of(c) if c.inputs[0].dtype in CATEGORIES else None,
        ),
        Op(
            "multi_hot",
            "layer",
            "Multi-hot encoding: one vector marking the categories of several columns.",
            dtypes=ANY_DTYPE,
            shape=_encode_shape("multi_hot"),
            dtype=lambda c: FLOAT,
            waits=_encode_waits,
            vocabulary=lambda c: _vocabulary_of(c) if c.inputs[0].dtype in CATEGORIES else None,
        ),
        Op(
            "embedding",
            "layer",
            "A trainable vector per category index (Embedding): embedding(dim); dim may be computed, "
            "e.g. embedding(floor(sqrt(vocab_size()))).",
            params=(
                Param("dim", "int", check=_positive, range_text="a positive integer"),
                # raw integer ids (an int input) name their range; indices know theirs
                Param("input_dim", "int", None, check=_positive, range_text="a positive integer"),
            ),
            dtypes=ANY_DTYPE,
            ranks=(0, 1),
            shape=_embedding_shape,
            dtype=lambda c: FLOAT,
            count=_embedding_count,
            cardinality=_embedding_input_dim,  # the categories it embeds: Embedding's input_dim
            describe=lambda c: f"dimension {c.args['dim'] if c.args['dim'] is not None else '?'}",
        ),
        Op(
            "pick",
            "layer",
            "One column of a vector, without its axis (x[:, i] in Keras, a GetItem operation): "
            "pick(i) of (n,) is ().",
            params=(Param("index", "int"),),
            dtypes=(FLOAT, INT),
            shape=_pick_shape,
            describe=lambda c: f"column {c.args['index']}",
        ),
        Op(
            "expand_dims",
            "layer",
            "Adds an axis of size 1 (keras.ops.expand_dims): expand_dims(axis), Keras's numbering "
            "(batch axis 0); expand_dims(-1) lifts a scalar column () to (1,).",
            params=(Param("axis", "int"),),
            dtypes=ANY_DTYPE,
            ranks=(0, 1, 2, 3),
            shape=_expand_dims_shape,
            members=_keep_members,
            cardinality=_keep_cardinality,
            vocabulary=_keep_vocabulary,
            waits=_keep_waits,
            describe=lambda c: f"axis {c.args['axis']}",
        ),
        Op(
            "clip",
            "layer",
            "Values limited to [min, max] (keras.ops.clip): clip(min, max); keras.io's VSN clips "
            "category indices before its embeddings, clip(0, V - 1).",
            params=(Param("min", "number"), Param("max", "number")),
            dtypes=(FLOAT, INT, INDEX),
            ranks=(0,) + ANY_RANK,
            shape=_clip_shape,
            features=_keep_features,
            cardinality=_keep_cardinality,
            describe=lambda c: f"to [{c.args['min']:g}, {c.args['max']:g}]",
        ),
        Op(
            "weighted_sum",
            "merge",
            "The rows of a stacked value summed, each times its weight (a variable selection "
            "network's output): weighted_sum(weights, stacked), weights (n,) (e.g. a softmax over "
            "the n features), stacked (n, d), result (d,).",
            min_inputs=2,
            max_inputs=2,
            ranks=ANY_RANK,
            shape=_weighted_sum_shape,
            describe=lambda c: (
                f"{c.inputs[1].shape[0]} rows, weighted"
                if len(c.inputs) == 2 and len(c.inputs[1].shape) == 2
                else ""
            ),
        ),
        Op(
            "positions",
            "layer",
            "The position of each row of a (n, d) value, 0 to n - 1, as integer ids of shape (n,): "
            "x -> positions -> embedding(d, input_dim=n) is a learned position embedding.",
            dtypes=(FLOAT, INT, INDEX),
            ranks=(2,),
            shape=lambda c: c.inputs[0].shape[:1],
            dtype=lambda c: INT,
        ),
        Op(
            "flatten",
            "layer",
            "Flattens a value to one axis (Flatten): an embedding's (columns, dim) to (columns * dim,).",
            ranks=(1, 2, 3),
            dtypes=(FLOAT,),
            shape=_flatten_shape,
        ),
        Op(
            "reshape",
            "layer",
            "The same values in a new shape (Reshape): reshape(dims...), the shape of a row, one "
            "size -1 for the size left over; (12,) -> reshape(3, 4) -> (3, 4), reshape(-1) flattens.",
            params=(
                Param(
                    "dims",
                    "int",
                    check=lambda v: v > 0 or v == -1,
                    range_text="a positive integer, or -1 for the size left over",
                    variadic=True,
                ),
            ),
            ranks=ANY_RANK,
            shape=_reshape_shape,
            describe=lambda c: f"to {fmt_shape(c.args['dims'])}",
        ),
        Op(
            "repeat",
            "layer",
            "A vector repeated as n rows (RepeatVector): repeat(n); (d,) -> (n, d).",
            params=(Param("n", "int", check=_positive, range_text="a positive integer"),),
            ranks=(1,),
            shape=lambda c: (c.args["n"],) + c.inputs[0].shape,
            describe=lambda c: f"{c.args['n']} times",
        ),
        Op(
            "global_avg_pool",
            "layer",
            "The mean of the rows of a (rows, width) value (GlobalAveragePooling1D): (n, d) -> (d,).",
            ranks=(2,),
            shape=_pool_shape,
        ),
        Op(
            "global_max_pool",
            "layer",
            "The maximum of the rows of a (rows, width) value, per column (GlobalMaxPooling1D): "
            "(n, d) -> (d,).",
            ranks=(2,),
            shape=_pool_shape,
        ),
        Op(
            "hash",
            "layer",
            "Category -> one of `bins` indices by hashing (Hashing): hash(bins, output_mode=int).",
            params=(
                Param("bins", "int", check=_positive, range_text="a positive integer"),
                Param("output_mode", "name", "int", choices=OUTPUT_MODES),
                Param("salt", "int", None),
            ),
            dtypes=ANY_DTYPE,
            ranks=(0, 1),
            shape=_hash_shape,
            dtype=_mode_dtype,
            cardinality=lambda c: c.args["bins"] if c.args["output_mode"] == "int" else None,
            describe=lambda c: f"{c.args['bins']} bins",
        ),
        Op(
            "discretize",
            "layer",
            "Number -> bin index (Discretization): discretize(boundaries=[..]) or discretize(bins=N) "
            "adapted on the training rows.",
            params=(
                Param("boundaries", "floats", None),
                Param("bins", "int", None, check=lambda v: v >= 2, range_text="2 or more"),
                Param("output_mode", "name", "int", choices=OUTPUT_MODES),
            ),
            dtypes=ANY_DTYPE,
            shape=_discretize_shape,
            dtype=_mode_dtype,
            cardinality=lambda c: _discretize_size(c) if c.args["output_mode"] == "int" else None,
            adapts=lambda a: a.get("bins") is not None,
            describe=lambda c: f"{c.args['bins']} bins, adapted" if c.args.get("bins") else "bins given",
        ),
        Op(
            "cross",
            "merge",
            "Crossed categories hashed into `bins` indices (HashedCrossing): cross(a, b, bins=N).",
            params=(
                Param("bins", "int", check=_positive, range_text="a positive integer"),
                Param("output_mode", "name", "int", choices=("int", "one_hot")),
            ),
            min_inputs=1,
            max_inputs=None,
            dtypes=ANY_DTYPE + (MIXED,),
            shape=_cross_shape,
            dtype=_mode_dtype,
            cardinality=lambda c: c.args["bins"] if c.args["output_mode"] == "int" else None,
            describe=lambda c: f"{c.args['bins']} bins",
        ),
        Op(
            "fill",
            "layer",
            "Missing values: fill(mean), fill(median), fill(0), fill([..]) for numbers (NanToNum, "
            'statistics from the training rows); fill("none") for a category.',
            params=(Param("value", "fill"),),
            dtypes=ANY_DTYPE,
            shape=_fill_check,
            features=_keep_features,
            members=_fill_members,
            vocabulary=_fill_vocabulary,
            adapts=_fill_adapts,
            describe=_fill_describe,
        ),
    )
)
