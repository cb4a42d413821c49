"""The typed syntax tree: frozen dataclasses, each with the span it came from
(made without compiling their methods: see netdsl.records).

Traversal: every node class is a `Node` and lists the fields that hold its
child nodes (`children`, like Jinja2's `Node.fields`). Walk a tree with these,
never by looking at dataclass fields or isinstance chains of your own:

    for child in node.iter_child_nodes(): ...        # direct children, in order
    for n in node.walk(): ...                        # the node and all below it, pre-order
    for call in program.find_all(Call): ...          # every node of these types
    node.iter_fields()                               # (name, value) of every field
    replace_spans(tree, lambda s: s._replace(file=2))  # the same tree, spans mapped

`walk`, `find_all` and `replace_spans` use explicit stacks, so a deeply nested
tree never hits Python's recursion limit. A new node type declares
`children`; tests/test_architecture.py checks that every field holding nodes
is listed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar, overload

from ..records import Frozen, field_names, frozen_class
from .source import Span

N = TypeVar("N", bound="Node")


class Node(Frozen):
    """Base of every syntax tree node: a frozen dataclass (netdsl.records: most
    classes are made by frozen_class; the six that are most nodes of a parse,
    Name, Ref, Call, Number, Step and Chain, keep @dataclass's compiled __init__)."""

    __slots__ = ()
    # Names of the fields that hold child nodes (a node, a tuple of nodes, or None).
    children: ClassVar[tuple[str, ...]] = ()

    def iter_fields(self) -> Iterator[tuple[str, Any]]:
        """(name, value) of every dataclass field, in declaration order."""
        for name in field_names(type(self)):
            yield name, getattr(self, name)

    def iter_child_nodes(self) -> Iterator[Node]:
        """The direct children, in field order (a tuple field's items in order)."""
        for name in self.children:
            value = getattr(self, name)
            if value is None:
                continue
            if type(value) is tuple:
                yield from value
            else:
                yield value

    def walk(self) -> Iterator[Node]:
        """This node and every node below it, depth first, in source order."""
        stack: list[Node] = [self]
        while stack:
            node = stack.pop()
            yield node
            kids = list(node.iter_child_nodes())
            kids.reverse()
            stack.extend(kids)

    def find_all(self, *types: type[N]) -> Iterator[N]:
        """Every node below (and including) this one that is an instance of `types`."""
        for node in self.walk():
            if isinstance(node, types):
                yield node

    def find(self, *types: type[N]) -> N | None:
        """The first node `find_all` would give, or None."""
        return next(self.find_all(*types), None)


def replace_spans(tree: N, fn: Callable[[Span], Span]) -> N:
    """The same tree with every span (and spans of child nodes) replaced by fn(span)."""
    # Post-order with an explicit stack: children are rebuilt before their parent.
    done: dict[int, Any] = {}
    stack: list[tuple[Node, bool]] = [(tree, False)]
    while stack:
        node, expanded = stack.pop()
        if not expanded:
            stack.append((node, True))
            stack.extend((child, False) for child in node.iter_child_nodes())
            continue
        changes: dict[str, Any] = {}
        for name, value in node.iter_fields():
            if isinstance(value, Span):
                changes[name] = fn(value)
            elif name in node.children and value is not None:
                if type(value) is tuple:
                    changes[name] = tuple(done[id(v)] for v in value)
                else:
                    changes[name] = done[id(value)]
        done[id(node)] = dataclasses.replace(node, **changes)  # type: ignore[type-var]
    return done[id(tree)]


@dataclass(frozen=True, eq=False, repr=False)  # hot: @dataclass's compiled __init__
class Name(Node):
    """An identifier with its own span (a binding's name, an op's name).

    `quoted`: written as a string (`output "wine class" = ...`), because the
    name is not an identifier; printed back with its quotes.
    """

    text: str
    span: Span
    quoted: bool = False


# ---- expressions -----------------------------------------------------------


@dataclass(frozen=True, eq=False, repr=False)  # hot: @dataclass's compiled __init__
class Ref(Node):
    """A use of a value by its name: `x`."""

    name: str
    span: Span


@frozen_class(frozen=True)
class SelName(Node):
    """A feature picked by name in a selection: `x[petal_length]`."""

    name: str
    span: Span


@frozen_class(frozen=True)
class SelIndex(Node):
    """A feature picked by position in a selection: `x[0]`."""

    index: int
    span: Span


@frozen_class(frozen=True)
class SelRange(Node):
    """A slice of features in a selection: `x[1:3]` (either end may be left out)."""

    start: int | None
    stop: int | None
    span: Span


SelItem = SelName | SelIndex | SelRange


@frozen_class(frozen=True)
class Select(Node):
    """Features of a value picked by name, position or slice: `x[a, 0, 2:4]`."""

    children = ("source", "items")

    source: Name
    items: tuple[SelItem, ...]
    span: Span


@frozen_class(frozen=True)
class KwArg(Node):
    """A keyword argument: `rate=0.5`."""

    children = ("name", "value")

    name: Name
    value: Expr
    span: Span


@dataclass(frozen=True, eq=False, repr=False)  # hot: @dataclass's compiled __init__
class Call(Node):
    """An op (or block) with its arguments: `dense(64, relu)`."""

    children = ("op", "args", "kwargs")

    op: Name
    args: tuple[Expr, ...]
    kwargs: tuple[KwArg, ...]
    span: Span


@dataclass(frozen=True, eq=False, repr=False)  # hot: @dataclass's compiled __init__
class Number(Node):
    """An integer or float literal."""

    value: int | float
    span: Span


@frozen_class(frozen=True)
class String(Node):
    """A quoted string literal."""

    value: str
    span: Span


@frozen_class(frozen=True)
class ListLit(Node):
    """`[a, b]`; an item may be a pair, `[a, island: string]` (an input's typed features)."""

    children = ("items",)

    items: tuple[Expr | Pair, ...]
    span: Span


@frozen_class(frozen=True)
class TupleLit(Node):
    """`()`, `(3,)`, `(4, 62)`: a tuple, as Python writes one (a shape)."""

    children = ("items",)

    items: tuple[Expr, ...]
    span: Span


@frozen_class(frozen=True)
class Pair(Node):
    """`key: value`; in braces a bare key has no value (`{a, island: string}`)."""

    children = ("key", "value")

    key: Name
    value: Expr | None
    span: Span


@frozen_class(frozen=True)
class DictLit(Node):
    """`{a: 1, b: 2}`."""

    children = ("pairs",)

    pairs: tuple[Pair, ...]
    span: Span


@dataclass(frozen=True, eq=False, repr=False)  # hot: @dataclass's compiled __init__
class Step(Node):
    """One link of a chain, optionally repeated: `dense(64, relu) * 3`; the
    count may be a search space (`* choice(1, 2)`), which only a point of the
    space replaces by a number."""

    children = ("expr", "repeat")

    expr: Atom
    repeat: Number | Call | None
    span: Span


@dataclass(frozen=True, eq=False, repr=False)  # hot: @dataclass's compiled __init__
class Chain(Node):
    """`a -> b -> c`; a lone value is a chain of one step."""

    children = ("steps",)

    steps: tuple[Step, ...]
    span: Span


@frozen_class(frozen=True)
class BinOp(Node):
    """`a + b`, `a - b`, `a * b`, `a / b`, `a // b`: arithmetic of an argument
    computed statically (ir/compute.py). A step `layer * count` is a repeated
    Step, not a BinOp; a product whose left side is a name or a call (`units * 2`)
    is parsed as such a Step, and computing it multiplies."""

    children = ("left", "right")

    op: str
    left: Expr | Atom
    right: Expr | Atom
    span: Span
    op_span: Span
    depth: int = 1  # operators nested in it, itself included (the parser bounds it)


@frozen_class(frozen=True)
class Neg(Node):
    """`-x`: the negative of a computed value (`-1` is a Number)."""

    children = ("operand",)

    operand: Expr | Atom
    span: Span
    depth: int = 1


Atom = Ref | Select | Call | Number | String | ListLit | TupleLit | DictLit | Chain | BinOp | Neg
Expr = Chain


@overload
def unwrap(expr: Expr) -> Atom | Chain: ...
@overload
def unwrap(expr: Pair) -> Pair: ...
@overload
def unwrap(expr: Expr | Pair) -> Atom | Chain | Pair: ...


def unwrap(expr):
    """The single atom of a one-step, unrepeated chain; the chain otherwise
    (and a list's `key: value` item as it is)."""
    if not isinstance(expr, Chain):
        return expr
    while len(expr.steps) == 1 and expr.steps[0].repeat is None:
        inner = expr.steps[0].expr
        if not isinstance(inner, Chain):
            return inner
        expr = inner
    return expr


# ---- statements ------------------------------------------------------------


@frozen_class(frozen=True)
class NetworkDecl(Node):
    """`network NAME`."""

    children = ("name",)

    name: Name
    span: Span


@frozen_class(frozen=True)
class InputDecl(Node):
    """`input x: 4` or `input x: [a, b]`."""

    children = ("name", "spec")

    name: Name
    spec: Expr
    span: Span


@frozen_class(frozen=True)
class Assign(Node):
    """`name = expr`; `a, b = expr` when expr ends in a block with several outputs."""

    children = ("name", "more_names", "expr")

    name: Name
    expr: Expr
    span: Span
    is_output: bool = False
    more_names: tuple[Name, ...] = ()
    is_layer: bool = False  # `layer proj = dense(8)`: a shared layer, applied with `-> proj`


@frozen_class(frozen=True)
class OutputDecl(Node):
    """`output y` marks an existing value as an output (`output y = ...` is an Assign)."""

    children = ("name",)

    name: Name
    span: Span


@frozen_class(frozen=True)
class CompileDecl(Node):
    """`compile loss=... optimizer=... metrics=[...]`."""

    children = ("settings",)

    settings: tuple[KwArg, ...]
    span: Span


@frozen_class(frozen=True)
class TrainDecl(Node):
    """`train epochs=100 batch_size=16 ...`: defaults for `netdsl train`."""

    children = ("settings",)

    settings: tuple[KwArg, ...]
    span: Span


@frozen_class(frozen=True)
class Param(Node):
    """A block parameter, with its default when it has one."""

    children = ("name", "default")

    name: Name
    default: Expr | None
    span: Span


@frozen_class(frozen=True)
class Return(Node):
    """A block's `return` with its values."""

    children = ("values",)

    values: tuple[Expr, ...]
    span: Span


@frozen_class(frozen=True)
class BlockDecl(Node):
    """`block name(params) (inputs) { statements; return ... }`"""

    children = ("name", "params", "inputs", "body")

    name: Name
    params: tuple[Param, ...]
    inputs: tuple[Name, ...]
    body: tuple[Assign | Return, ...]
    span: Span
    body_span: Span  # the opening brace
    params_span: Span  # the parameters' brackets, `(` to `)`
    inputs_span: Span  # the inputs' brackets, `(` to `)`


@frozen_class(frozen=True)
class ImportName(Node):
    """One name of `from "path" import a, b as c`, with its alias."""

    children = ("name", "alias")

    name: Name
    alias: Name | None
    span: Span


@frozen_class(frozen=True)
class Import(Node):
    """`import "path"` (names empty: every block) or `from "path" import a, b as c`."""

    children = ("names",)

    path: str
    path_span: Span
    names: tuple[ImportName, ...]
    span: Span


Statement = NetworkDecl | InputDecl | Assign | OutputDecl | CompileDecl | TrainDecl | BlockDecl | Import


@frozen_class(frozen=True)
class Program(Node):
    """A whole spec file: its statements in order."""

    children = ("statements",)

    statements: tuple[Statement, ...]
