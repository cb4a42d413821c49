"""The typed syntax tree: frozen dataclasses, each with the span it came from."""

from __future__ import annotations

from dataclasses import dataclass

from .source import Span


@dataclass(frozen=True)
class Name:
    """An identifier with its own span (a binding's name, an op's name)."""

    text: str
    span: Span


# ---- expressions -----------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    name: str
    span: Span


@dataclass(frozen=True)
class SelName:
    name: str
    span: Span


@dataclass(frozen=True)
class SelIndex:
    index: int
    span: Span


@dataclass(frozen=True)
class SelRange:
    start: int | None
    stop: int | None
    span: Span


SelItem = SelName | SelIndex | SelRange


@dataclass(frozen=True)
class Select:
    source: Name
    items: tuple[SelItem, ...]
    span: Span


@dataclass(frozen=True)
class KwArg:
    name: Name
    value: Expr
    span: Span


@dataclass(frozen=True)
class Call:
    op: Name
    args: tuple[Expr, ...]
    kwargs: tuple[KwArg, ...]
    span: Span


@dataclass(frozen=True)
class Number:
    value: int | float
    span: Span


@dataclass(frozen=True)
class String:
    value: str
    span: Span


@dataclass(frozen=True)
class ListLit:
    items: tuple[Expr, ...]
    span: Span


@dataclass(frozen=True)
class Pair:
    key: Name
    value: Expr
    span: Span


@dataclass(frozen=True)
class DictLit:
    pairs: tuple[Pair, ...]
    span: Span


@dataclass(frozen=True)
class Step:
    """One link of a chain, optionally repeated: `dense(64, relu) * 3`."""

    expr: Atom
    repeat: Number | None
    span: Span


@dataclass(frozen=True)
class Chain:
    """`a -> b -> c`; a lone value is a chain of one step."""

    steps: tuple[Step, ...]
    span: Span


Atom = Ref | Select | Call | Number | String | ListLit | DictLit | Chain
Expr = Chain


def unwrap(expr: Expr) -> Atom | Chain:
    """The single atom of a one-step, unrepeated chain; the chain otherwise."""
    while len(expr.steps) == 1 and expr.steps[0].repeat is None:
        inner = expr.steps[0].expr
        if not isinstance(inner, Chain):
            return inner
        expr = inner
    return expr


# ---- statements ------------------------------------------------------------


@dataclass(frozen=True)
class NetworkDecl:
    name: Name
    span: Span


@dataclass(frozen=True)
class InputDecl:
    name: Name
    spec: Expr
    span: Span


@dataclass(frozen=True)
class Assign:
    """`name = expr`; `a, b = expr` when expr ends in a block with several outputs."""

    name: Name
    expr: Expr
    span: Span
    is_output: bool = False
    more_names: tuple[Name, ...] = ()


@dataclass(frozen=True)
class OutputDecl:
    """`output y` marks an existing value as an output (`output y = ...` is an Assign)."""

    name: Name
    span: Span


@dataclass(frozen=True)
class CompileDecl:
    settings: tuple[KwArg, ...]
    span: Span


@dataclass(frozen=True)
class TrainDecl:
    """`train epochs=100 batch_size=16 ...`: defaults for `netdsl train`."""

    settings: tuple[KwArg, ...]
    span: Span


@dataclass(frozen=True)
class Param:
    name: Name
    default: Expr | None
    span: Span


@dataclass(frozen=True)
class Return:
    values: tuple[Expr, ...]
    span: Span


@dataclass(frozen=True)
class BlockDecl:
    """`block name(params) (inputs) { statements; return ... }`"""

    name: Name
    params: tuple[Param, ...]
    inputs: tuple[Name, ...]
    body: tuple[Assign | Return, ...]
    span: Span
    body_span: Span  # the opening brace


@dataclass(frozen=True)
class ImportName:
    name: Name
    alias: Name | None
    span: Span


@dataclass(frozen=True)
class Import:
    """`import "path"` (names empty: every block) or `from "path" import a, b as c`."""

    path: str
    path_span: Span
    names: tuple[ImportName, ...]
    span: Span


Statement = NetworkDecl | InputDecl | Assign | OutputDecl | CompileDecl | TrainDecl | BlockDecl | Import


@dataclass(frozen=True)
class Program:
    statements: tuple[Statement, ...]
