"""Arguments computed statically: `dense(2 * width())`, `embedding(floor(sqrt(vocab_size())))`,
`dense(units // 2)` in a block. A small interpreter over the syntax tree (never eval):
numbers, `+ - * / //`, unary `-`, brackets, the functions of FUNCTIONS, and the sizes
`width()` / `width(x)` (the last axis of the layer's input, or of the value x) and
`vocab_size()` / `vocab_size(x)` (how many category indices it holds: an Embedding's
input_dim). Block parameters are numbers by then (the builder substitutes them).

An expression without sizes is computed when its arguments are checked; one with sizes
is kept as a Computed and computed in shape inference, once the operands' shapes are
known (a size that waits for data makes the argument wait too: Waits).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Protocol

from ..lang import ast, codes
from ..lang.codes import ErrorCode
from ..lang.diagnostics import did_you_mean
from ..lang.source import Span

# name -> (fewest arguments, most (None: any), function)
FUNCTIONS: dict[str, tuple[int, int | None, Callable[..., Any]]] = {
    "floor": (1, 1, math.floor),
    "ceil": (1, 1, math.ceil),
    "round": (1, 1, round),
    "int": (1, 1, int),
    "abs": (1, 1, abs),
    "sqrt": (1, 1, math.sqrt),
    "log2": (1, 1, math.log2),
    "min": (1, None, min),
    "max": (1, None, max),
}
SIZES = ("width", "vocab_size")
NAMES = tuple(FUNCTIONS) + SIZES
# A name a builder pinned to a node: `width(x)` is `width(x@<node id>)` (the parser never makes '@').
PIN = "@"
_SPACE_OPS = ("choice", "uniform", "loguniform", "randint")  # values.SPACE_OPS (values imports us)
_WHAT = (
    "a computed argument is numbers, block parameters, + - * / //, width(), vocab_size() and "
    + ", ".join(FUNCTIONS)
)


class ComputeError(Exception):
    """An expression that cannot be computed, at the sub-expression to blame."""

    def __init__(self, code: ErrorCode, message: str, span: Span, help: str | None = None):
        super().__init__(message)
        self.code, self.message, self.span, self.help = code, message, span, help


class Waits(Exception):
    """A size the expression needs waits for data (a vocabulary adapted from it)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class NeedsSizes(Exception):
    """The expression uses width() or vocab_size(): it is computed with shapes."""


class Sizes(Protocol):
    """What width() and vocab_size() read: of the layer's input (ref None), or of a value."""

    def width(self, ref: ast.Ref | None, call: ast.Call) -> int | None: ...

    def vocab_size(self, ref: ast.Ref | None, call: ast.Call) -> int | None: ...


class Computed:
    """An argument computed in shape inference (it uses sizes); `expr` is its expression."""

    __slots__ = ("expr",)

    def __init__(self, expr: Any):
        self.expr = expr

    def __repr__(self) -> str:
        return f"Computed({text(self.expr)})"

    def __eq__(self, other: object) -> bool:  # syntax tree nodes compare by identity: by text and place
        return isinstance(other, Computed) and (text(self.expr), self.expr.span) == (
            text(other.expr),
            other.expr.span,
        )

    def __hash__(self) -> int:
        return hash((text(self.expr), self.expr.span))


def is_computed(atom: Any) -> bool:
    """Whether an argument is an expression to compute, not a literal."""
    if isinstance(atom, (ast.BinOp, ast.Neg)):
        return True
    if isinstance(atom, ast.Call):  # a function, or an unknown one (a number is no call)
        return atom.op.text not in _SPACE_OPS
    if isinstance(atom, ast.Chain):  # `units * 2`: a repeated step of one
        return len(atom.steps) == 1 and atom.steps[0].repeat is not None
    return False


def uses_sizes(atom: Any) -> bool:
    return any(c.op.text in SIZES for c in atom.find_all(ast.Call)) if isinstance(atom, ast.Node) else False


def evaluate(expr: Any, sizes: Sizes | None = None) -> int | float:
    """The value of `expr`; ComputeError when it has none, NeedsSizes when it uses
    sizes and `sizes` is None, Waits when a size waits for data."""
    value = _value(expr, sizes)
    if isinstance(value, float) and not math.isfinite(value):
        raise ComputeError(codes.BAD_EXPRESSION, "the value is not a finite number", expr.span)
    return value


def _value(node: Any, sizes: Sizes | None) -> int | float:
    if isinstance(node, ast.Number):
        return node.value
    if isinstance(node, ast.Chain):
        if len(node.steps) != 1:
            raise ComputeError(
                codes.BAD_EXPRESSION, "a chain of layers is not a number", node.span, help=_WHAT
            )
        step = node.steps[0]
        if step.repeat is None:
            return _value(step.expr, sizes)
        return _arith("*", _value(step.expr, sizes), _value(step.repeat, sizes), step.repeat, node.span)
    if isinstance(node, ast.BinOp):
        left, right = _value(node.left, sizes), _value(node.right, sizes)
        return _arith(node.op, left, right, node.right, node.span)
    if isinstance(node, ast.Neg):
        return -_value(node.operand, sizes)
    if isinstance(node, ast.Call):
        return _call(node, sizes)
    if isinstance(node, ast.Ref):
        raise ComputeError(
            codes.BAD_EXPRESSION,
            f"'{node.name}' is not a number here",
            node.span,
            help="in a block, a parameter is a number; " + _WHAT,
        )
    raise ComputeError(codes.BAD_EXPRESSION, f"expected a number, got {_describe(node)}", node.span, _WHAT)


def _arith(op: str, a: int | float, b: int | float, right: Any, span: Span) -> int | float:
    if op in ("/", "//") and b == 0:
        raise ComputeError(codes.BAD_EXPRESSION, f"division by zero: '{text(right)}' is 0", right.span)
    value: int | float
    if op == "+":
        value = a + b
    elif op == "-":
        value = a - b
    elif op == "*":
        value = a * b
    elif op == "/":
        value = a / b
    else:
        value = a // b
    if isinstance(value, float) and not math.isfinite(value):
        raise ComputeError(codes.BAD_EXPRESSION, "the value is not a finite number", span)
    return value


def _call(call: ast.Call, sizes: Sizes | None) -> int | float:
    name = call.op.text
    if name in _SPACE_OPS:
        raise ComputeError(
            codes.BAD_SEARCH_SPACE,
            f"{name}(...) is a search space, not a number to compute with",
            call.span,
            help="compute with one value, or search the whole argument: dense(choice(32, 64))",
        )
    if call.kwargs:
        raise ComputeError(codes.BAD_EXPRESSION, f"{name}() takes no keyword arguments", call.kwargs[0].span)
    if name in SIZES:
        return _size(call, sizes)
    if name not in FUNCTIONS:
        raise ComputeError(
            codes.BAD_EXPRESSION,
            f"unknown function '{name}'",
            call.op.span,
            help=did_you_mean(name, NAMES) or "functions: " + ", ".join(NAMES),
        )
    least, most, fn = FUNCTIONS[name]
    if len(call.args) < least or (most is not None and len(call.args) > most):
        takes = "one argument" if most == 1 else "one or more arguments"
        raise ComputeError(codes.BAD_EXPRESSION, f"{name}() takes {takes}, got {len(call.args)}", call.span)
    args = [_value(a, sizes) for a in call.args]
    if (name == "sqrt" and args[0] < 0) or (name == "log2" and args[0] <= 0):
        raise ComputeError(codes.BAD_EXPRESSION, f"{name}() of {args[0]:g} has no value", call.args[0].span)
    if (
        name in ("floor", "ceil", "round", "int")
        and isinstance(args[0], float)
        and not math.isfinite(args[0])
    ):
        raise ComputeError(codes.BAD_EXPRESSION, "the value is not a finite number", call.span)
    return fn(args) if most is None else fn(*args)  # min and max of a list: one argument works too


def _size(call: ast.Call, sizes: Sizes | None) -> int:
    name = call.op.text
    ref = None
    if call.args:
        atom = ast.unwrap(call.args[0])
        if len(call.args) > 1 or not isinstance(atom, ast.Ref):
            raise ComputeError(
                codes.BAD_SIZE_REFERENCE,
                f"{name}() takes the name of a value, or nothing for the layer's input",
                call.span,
                help=f"{name}() is the layer's input's; {name}(x) the value x's",
            )
        ref = atom
    if sizes is None:
        raise NeedsSizes()
    value = sizes.width(ref, call) if name == "width" else sizes.vocab_size(ref, call)
    assert value is not None  # a size that waits raises Waits
    return value


def written(ref: ast.Ref) -> str:
    """A name as written, without the node it was pinned to."""
    return ref.name.split(PIN, 1)[0]


def pinned(ref: ast.Ref) -> str | None:
    """The node id a builder pinned the name to, or None."""
    parts = ref.name.split(PIN, 1)
    return parts[1] if len(parts) == 2 else None


_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "//": 2}


def text(node: Any) -> str:
    """An expression as it reads (a pinned name as written): `2 * width(x)`."""
    if isinstance(node, ast.Number):
        return repr(node.value)
    if isinstance(node, ast.Ref):
        return written(node)
    if isinstance(node, ast.Chain):
        if len(node.steps) == 1:
            step = node.steps[0]
            if step.repeat is None:
                inner = text(step.expr)
                return f"({inner})" if isinstance(step.expr, (ast.BinOp, ast.Neg)) else inner
            return f"{text(step.expr)} * {text(step.repeat)}"
        return "(...)"
    if isinstance(node, ast.BinOp):
        return f"{text(node.left)} {node.op} {text(node.right)}"
    if isinstance(node, ast.Neg):
        return f"-{text(node.operand)}"
    if isinstance(node, ast.Call):
        return f"{node.op.text}({', '.join(text(a) for a in node.args)})"
    return "..."


def _describe(node: Any) -> str:
    if isinstance(node, ast.String):
        return f'string "{node.value}"'
    return {ast.ListLit: "a list", ast.DictLit: "a dictionary", ast.Select: "a selection"}.get(
        type(node), "this"
    )
