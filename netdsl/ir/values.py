"""One converter from an argument's expression to its value.

Layer arguments (`dense(8, relu)`), optimizer arguments
(`adam(learning_rate=0.01)`) and train settings (`train epochs=20`) are all
written the same way; each kind of value is converted, and its type errors
worded, here once. Range checks stay with what the value is for: the
registry's Param, the optimizer limits, the train settings.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..lang import ast, codes
from ..lang.codes import ErrorCode
from ..lang.diagnostics import did_you_mean
from ..lang.source import Span
from .compute import SIZES, Computed, ComputeError, NeedsSizes, evaluate, is_computed, text
from .ops import ACTIVATIONS, is_finite_number
from .options import FAMILIES, KerasObject, OptionArg, OptionClass

# The kinds `convert` knows: "int", "float" (a number, as a float), "number"
# (each may be computed: `2 * units`, `floor(sqrt(vocab_size()))`, see compute.py)
# (an int or a float, as written), "bool", "activation" (a name), "floats" (a list),
# "name" (an identifier or a string), "vocabulary" (a list of strings or of
# integers), "fill" (what fill() puts in a missing cell), and the layer
# options' families "initializer", "regularizer", "constraint" (`he_normal`,
# `l2(1e-4)`, `max_norm(3)`: a KerasObject).
KINDS = (
    "int",
    "float",
    "number",
    "bool",
    "activation",
    "floats",
    "name",
    "vocabulary",
    "fill",
    *FAMILIES,
)


class BadValue(Exception):
    """A value that is not of its kind; `span` when it is one item of a list."""

    def __init__(self, code: ErrorCode, message: str, help: str | None = None, span: Span | None = None):
        super().__init__(message)
        self.code, self.message, self.help, self.span = code, message, help, span


# Calls that are search spaces, not values: `check` and `tune` replace each by
# the values of a point (netdsl/apps/space.py); everything else needs one value.
SPACE_OPS = ("choice", "uniform", "loguniform", "randint")


def names_space_op(text: str) -> bool:
    """Whether a spec's text has a space op's name anywhere. One without has no
    search space, which spares parsing it to look for one (and `check`, importing
    the search machinery). The test is sound: an op is a NAME token, and NFC
    (the parser's normalization of names) makes no ASCII letter from other text."""
    return any(op in text for op in SPACE_OPS)


def space_error(call: ast.Call) -> BadValue:
    return BadValue(
        codes.BAD_SEARCH_SPACE,
        f"{call.op.text}(...) is a search space: only `netdsl check` and `netdsl tune` take a spec with one",
        help="write one value here, or run `netdsl tune` to get the best point as a spec",
    )


def describe(atom: Any) -> str:
    """How a value is named in a message: `2.5`, `name 'relu'`, `a list`."""
    if isinstance(atom, ast.Number):
        return repr(atom.value)
    if isinstance(atom, ast.Ref):
        return f"name '{atom.name}'"
    if isinstance(atom, ast.String):
        return f'string "{atom.value}"'
    return {
        ast.ListLit: "a list",
        ast.DictLit: "a dictionary",
        ast.Call: "a call",
        ast.Select: "a selection",
        ast.Chain: "a chain",
    }.get(type(atom), "this")


def convert(
    kind: str,
    expr: Any,
    item_check: Callable[[Any], bool] | None = None,
    item_help: str = "",
    sizes_ok: bool = False,
) -> Any:
    """The value of `expr` as a `kind`; raises BadValue. For "floats",
    `item_check` tests each item (`item_help` says what it accepts). With
    `sizes_ok` (a layer's argument) a number computed from sizes is a Computed."""
    atom = ast.unwrap(expr) if isinstance(expr, ast.Chain) else expr
    if isinstance(atom, ast.Call) and atom.op.text in SPACE_OPS:
        raise space_error(atom)
    if kind in ("int", "float", "number") and is_computed(atom):
        return computed(kind, atom, sizes_ok)
    if kind == "int":
        if isinstance(atom, ast.Number) and isinstance(atom.value, int):
            return atom.value
        raise BadValue(codes.ARGUMENT_TYPE, f"expected an integer, got {describe(atom)}")
    if kind in ("float", "number"):
        if not isinstance(atom, ast.Number) or not is_finite_number(atom.value):
            raise BadValue(codes.ARGUMENT_TYPE, f"expected a number, got {describe(atom)}")
        return float(atom.value) if kind == "float" else atom.value
    if kind == "bool":
        if isinstance(atom, ast.Ref) and atom.name in ("true", "false"):
            return atom.name == "true"
        raise BadValue(codes.ARGUMENT_TYPE, f"expected true or false, got {describe(atom)}")
    if kind == "activation":
        return _activation(atom)
    if kind == "floats":
        return _floats(atom, item_check, item_help)
    if kind == "name":
        if isinstance(atom, ast.Ref):
            return atom.name
        if isinstance(atom, ast.String):
            return atom.value
        raise BadValue(codes.ARGUMENT_TYPE, f"expected a name, got {describe(atom)}")
    if kind == "vocabulary":
        return _vocabulary(atom)
    if kind == "fill":
        return _fill(atom)
    if kind in FAMILIES:
        return keras_object(kind, atom)
    raise AssertionError(f"unknown kind of value {kind}")  # pragma: no cover - the kinds are ours


def _activation(atom: Any) -> str:
    name = atom.name if isinstance(atom, ast.Ref) else atom.value if isinstance(atom, ast.String) else None
    if name is None:
        raise BadValue(codes.ARGUMENT_TYPE, f"expected an activation name, got {describe(atom)}")
    if name == "glu":
        raise BadValue(
            codes.UNKNOWN_ACTIVATION,
            "the glu activation is not supported: it halves the width, and "
            "Keras's Dense builds the next layer for the full width",
            "use gelu or swish",
        )
    if name not in ACTIVATIONS:
        raise BadValue(
            codes.UNKNOWN_ACTIVATION,
            f"unknown activation '{name}'",
            did_you_mean(name, ACTIVATIONS) or "known: " + ", ".join(ACTIVATIONS),
        )
    return name


def _floats(atom: Any, item_check: Callable[[Any], bool] | None, item_help: str) -> tuple[float, ...]:
    if not isinstance(atom, ast.ListLit):
        raise BadValue(codes.ARGUMENT_TYPE, f"expected a list of numbers, got {describe(atom)}")
    values = []
    for item in atom.items:
        v = ast.unwrap(item)
        if not isinstance(v, ast.Number) or not is_finite_number(v.value):
            raise BadValue(codes.ARGUMENT_TYPE, f"expected a list of numbers, found {describe(v)}")
        if item_check is not None and not item_check(v.value):
            raise BadValue(codes.ARGUMENT_RANGE, f"{v.value!r} is out of range", item_help, v.span)
        values.append(float(v.value))
    return tuple(values)


def _vocabulary(atom: Any) -> tuple:
    """A list of strings, or of integers: each once, no empty string."""
    if not isinstance(atom, ast.ListLit) or not atom.items:
        raise BadValue(
            codes.BAD_VOCABULARY,
            f"a vocabulary is a non-empty list of strings or of integers, got {describe(atom)}",
            'e.g. vocabulary=["a", "b"]',
        )
    values: list = []
    strings = isinstance(ast.unwrap(atom.items[0]), ast.String)
    for item in atom.items:
        v = ast.unwrap(item)
        if strings and isinstance(v, ast.String):
            value: Any = v.value
        elif not strings and isinstance(v, ast.Number) and type(v.value) is int:
            value = v.value
        else:
            want = "strings" if strings else "integers"
            raise BadValue(codes.BAD_VOCABULARY, f"a vocabulary of {want} holds {describe(v)}", None, v.span)
        if value in values:
            raise BadValue(
                codes.BAD_VOCABULARY, f"{value!r} is in the vocabulary twice", "list each value once", v.span
            )
        if value == "":
            raise BadValue(
                codes.BAD_VOCABULARY,
                "the empty string is how a missing category reaches the model; it cannot be in a vocabulary",
                'to give missing values a category of their own, fill them first: -> fill("none")',
                v.span,
            )
        values.append(value)
    return tuple(values)


FILL_STRATEGIES = ("mean", "median")


def _fill(atom: Any) -> tuple[str, Any]:
    """fill(mean) / fill(median) -> ("mean", None); fill(0) -> ("number", 0);
    fill([1, 2]) -> ("numbers", (1.0, 2.0)); fill("none") -> ("token", "none")."""
    if isinstance(atom, ast.Ref):
        if atom.name in FILL_STRATEGIES:
            return atom.name, None
        raise BadValue(
            codes.ARGUMENT_TYPE,
            f"unknown fill '{atom.name}'",
            did_you_mean(atom.name, FILL_STRATEGIES)
            or 'fill with mean, median, a number, a list of numbers, or a category ("none")',
        )
    if isinstance(atom, ast.Number) and is_finite_number(atom.value):
        return "number", atom.value
    if isinstance(atom, ast.String):
        if atom.value == "":
            raise BadValue(
                codes.ARGUMENT_RANGE, "a missing category already is the empty string", 'e.g. fill("none")'
            )
        return "token", atom.value
    if isinstance(atom, ast.ListLit):
        return "numbers", _floats(atom, None, "")
    raise BadValue(
        codes.ARGUMENT_TYPE,
        f"expected mean, median, a number, a list of numbers or a string, got {describe(atom)}",
    )


def keras_object(family: str, atom: Any) -> KerasObject:
    """`he_normal`, `l2(1e-4)`, `l1_l2(l1=0.01, l2=0.001)`: a name of the family's
    table, called with its arguments (positional in the class's order, or by name)."""
    table = FAMILIES[family][0]
    call = atom if isinstance(atom, ast.Call) else None
    name = atom.name if isinstance(atom, ast.Ref) else call.op.text if call is not None else None
    if name is None:
        raise BadValue(
            codes.ARGUMENT_TYPE,
            f"expected {'an' if family[0] in 'aeiou' else 'a'} {family}, got {describe(atom)}",
            f"e.g. {_EXAMPLES[family]}",
        )
    entry = table.get(name)
    if entry is None:
        raise BadValue(
            codes.UNKNOWN_OPTION,
            f"unknown {family} '{name}'",
            did_you_mean(name, table) or f"known {family}s: " + ", ".join(table),
            call.op.span if call is not None else atom.span,
        )
    if call is None:
        return KerasObject(family, name)
    return KerasObject(family, name, call_arguments(name, entry, call))


def computed(kind: str, atom: Any, sizes_ok: bool = False) -> Any:
    """A computed argument's value as a `kind`; a Computed when it needs the shapes."""
    try:
        value = evaluate(atom)
    except NeedsSizes:
        if sizes_ok:
            return Computed(atom)
        call = next(c for c in atom.find_all(ast.Call) if c.op.text in SIZES)
        raise BadValue(
            codes.BAD_SIZE_REFERENCE,
            f"{call.op.text}() is a size of a layer's input: only a layer's arguments use it",
            "write the number",
            call.span,
        ) from None
    except ComputeError as exc:
        raise BadValue(exc.code, exc.message, exc.help, exc.span) from None
    return as_kind(kind, value, atom)


def as_kind(kind: str, value: int | float, atom: Any) -> int | float:
    """A computed value as an argument of `kind` takes it: an integer must come out whole."""
    if kind == "float":
        return float(value)
    if kind == "number":
        return value
    if value != int(value):
        divides = any(isinstance(n, ast.BinOp) and n.op == "/" for n in atom.walk())
        raise BadValue(
            codes.NOT_INTEGRAL,
            f"{text(atom)} comes to {value:g}, not an integer",
            ("divide with // for a whole number, or round: " if divides else "round it: ")
            + "floor(...), ceil(...) or round(...)",
            atom.span,
        )
    return int(value)


_EXAMPLES = {
    "initializer": "he_normal or random_normal(stddev=0.01, seed=1)",
    "regularizer": "l2(1e-4) or l1_l2(l1=1e-5, l2=1e-4)",
    "constraint": "max_norm(3) or non_neg",
}


def call_arguments(name: str, entry: OptionClass, call: ast.Call) -> tuple[tuple[str, Any], ...]:
    """The arguments of `name(...)` against its class's (positional in order, or by
    name), checked; in the class's order. BadValue points into the call."""
    signature = f"{name}(" + ", ".join(a.name for a in entry.args) + ")"
    if len(call.args) > len(entry.args):
        raise BadValue(
            codes.TOO_MANY_ARGUMENTS,
            f"{name}() takes at most {len(entry.args)} argument(s), got {len(call.args)}",
            signature,
            call.args[len(entry.args)].span,
        )
    given: dict[str, tuple[OptionArg, Any]] = {}
    for arg, expr in zip(entry.args, call.args):
        given[arg.name] = (arg, expr)
    known = {a.name: a for a in entry.args}
    for kw in call.kwargs:
        key = kw.name.text
        if key not in known:
            raise BadValue(
                codes.UNKNOWN_ARGUMENT,
                f"{name}() has no argument '{key}'",
                did_you_mean(key, known) or signature,
                kw.name.span,
            )
        if key in given:
            raise BadValue(
                codes.DUPLICATE_ARGUMENT, f"argument '{key}' of {name}() is given twice", span=kw.span
            )
        given[key] = (known[key], kw.value)
    order = [a.name for a in entry.args]
    return tuple((k, _option_arg(name, *given[k])) for k in sorted(given, key=order.index))


def _option_arg(name: str, arg: OptionArg, expr: Any) -> Any:
    atom = ast.unwrap(expr) if isinstance(expr, ast.Chain) else expr
    where = f"{name}() argument '{arg.name}'"
    if arg.kind == "text":  # a name: `FalseNegatives(name=fn)`
        text = (
            atom.name if isinstance(atom, ast.Ref) else atom.value if isinstance(atom, ast.String) else None
        )
        if text is None:
            raise BadValue(
                codes.ARGUMENT_TYPE, f"{where}: expected a name, got {describe(atom)}", span=atom.span
            )
        return text
    if arg.kind in ("bool", "floats"):  # floats: `boundaries=[100, 200]`
        try:
            return convert(arg.kind, atom)
        except BadValue as exc:
            raise BadValue(exc.code, f"{where}: {exc.message}", span=atom.span) from None
    if isinstance(arg.kind, tuple):
        value = (
            atom.name if isinstance(atom, ast.Ref) else atom.value if isinstance(atom, ast.String) else None
        )
        if value not in arg.kind:
            raise BadValue(
                codes.ARGUMENT_TYPE,
                f"{where}: expected one of {', '.join(arg.kind)}, got {describe(atom)}",
                did_you_mean(str(value), arg.kind) if value is not None else None,
                atom.span,
            )
        return value
    try:
        value = convert("float" if arg.kind == "float" else "int", atom)
    except BadValue as exc:
        raise BadValue(exc.code, f"{where}: {exc.message}", span=atom.span) from None
    if arg.kind == "seed" and value < 0:
        raise BadValue(codes.ARGUMENT_RANGE, f"{where}: {value} is out of range", "a seed is >= 0", atom.span)
    return value
