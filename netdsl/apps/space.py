"""Search spaces written in a spec, and the concrete specs they contain.

Any argument value may be a space: `choice(a, b, ...)` (numbers, names or
strings), `uniform(low, high)`, `loguniform(low, high)` (floats) or
`randint(low, high)` (integers, both ends included):

    output y = x -> dense(choice(32, 64), relu) -> dropout(uniform(0.0, 0.5)) -> dense(3, softmax)
    compile loss=categorical_crossentropy optimizer=adam(learning_rate=loguniform(1e-4, 1e-2))
    train epochs=choice(20, 40) batch_size=16

A point of the space is a concrete spec: the text with each space call
replaced by a value. It is an ordinary spec (checked, trained, formatted like
any other), so the result of a search is a file one can read and diff.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass

import networkx as nx

from ..ir.values import SPACE_OPS, names_space_op
from ..lang import ast
from ..lang.source import Source, Span

GRID_POINTS = 3  # points per continuous dimension in a grid search


class SpaceError(Exception):
    """A space call that is not well formed; `span` points at it."""

    def __init__(self, message: str, span: Span):
        super().__init__(message)
        self.span = span


@dataclass(frozen=True)
class Dimension:
    label: str  # where it is: `dense#1@2:32`, `learning_rate@3:60`, `epochs@4:14`
    kind: str  # choice, uniform, loguniform, randint
    span: Span
    values: tuple[str, ...] = ()  # choice: the source text of each value
    low: float = 0.0
    high: float = 0.0

    def size(self) -> float:
        if self.kind == "choice":
            return len(self.values)
        return self.high - self.low + 1 if self.kind == "randint" else math.inf

    def describe(self) -> str:
        if self.kind == "choice":
            return f"{self.label}: choice of {', '.join(self.values)}"
        return f"{self.label}: {self.kind} from {_fmt(self.low)} to {_fmt(self.high)}"

    def grid(self) -> list[str]:
        if self.kind == "choice":
            return list(self.values)
        if self.kind == "randint":
            return [str(v) for v in range(int(self.low), int(self.high) + 1)]
        lo, hi = (
            (math.log(self.low), math.log(self.high)) if self.kind == "loguniform" else (self.low, self.high)
        )
        points = [lo + (hi - lo) * k / (GRID_POINTS - 1) for k in range(GRID_POINTS)]
        return [_fmt(math.exp(p) if self.kind == "loguniform" else p) for p in points]

    def sample(self, rng) -> str:
        if self.kind == "choice":
            return self.values[int(rng.integers(len(self.values)))]
        if self.kind == "randint":
            return str(int(rng.integers(int(self.low), int(self.high) + 1)))
        if self.kind == "loguniform":
            return _fmt(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))
        return _fmt(rng.uniform(self.low, self.high))


def _fmt(v: float) -> str:
    """A number as a spec writes it: short, and a float stays a float."""
    text = f"{v:.4g}"
    return text if any(c in text for c in ".e") else text + ".0"


@dataclass(frozen=True)
class Space:
    source: Source
    dimensions: tuple[Dimension, ...]

    def size(self) -> float:
        return math.prod(d.size() for d in self.dimensions) if self.dimensions else 1

    def grid(self) -> list[tuple[str, ...]]:
        return list(itertools.product(*(d.grid() for d in self.dimensions)))

    def sample(self, n: int, seed: int) -> list[tuple[str, ...]]:
        import numpy as np

        rng = np.random.default_rng(seed)
        return [tuple(d.sample(rng) for d in self.dimensions) for _ in range(n)]

    def concrete(self, point: tuple[str, ...]) -> str:
        """The spec's text with every space replaced by its value in `point`."""
        lines = self.source.text.splitlines(keepends=True)
        starts = list(itertools.accumulate([0] + [len(line) for line in lines]))
        text = self.source.text
        edits = sorted(
            zip(self.dimensions, point), key=lambda e: (e[0].span.line, e[0].span.column), reverse=True
        )
        for dim, value in edits:
            s = dim.span
            a, b = starts[s.line - 1] + s.column - 1, starts[s.end_line - 1] + s.end_column - 1
            text = text[:a] + value + text[b:]
        return text

    def name_point(self, point: tuple[str, ...]) -> str:
        return ", ".join(f"{d.label}={v}" for d, v in zip(self.dimensions, point))


def _text(source: Source, span: Span) -> str:
    lines = source.text.splitlines(keepends=True)
    if span.line == span.end_line:
        return lines[span.line - 1][span.column - 1 : span.end_column - 1]
    parts = [lines[span.line - 1][span.column - 1 :]] + lines[span.line : span.end_line - 1]
    return "".join(parts + [lines[span.end_line - 1][: span.end_column - 1]])


def _space_call(expr) -> ast.Call | None:
    """The space call an argument value is, if it is one (`choice(...)`)."""
    if isinstance(expr, ast.Chain) and len(expr.steps) == 1 and expr.steps[0].repeat is None:
        expr = expr.steps[0].expr
    if isinstance(expr, ast.Call) and expr.op.text in SPACE_OPS:
        return expr
    return None


def _arguments(node) -> list[tuple[str, ast.Chain]]:
    """(label, value) of each argument of a call, setting of a declaration, or
    default of a block parameter."""
    if isinstance(node, ast.Call):
        args = [(f"{node.op.text}#{i + 1}", a) for i, a in enumerate(node.args)]
        return args + [(kw.name.text, kw.value) for kw in node.kwargs]
    if isinstance(node, ast.Param):
        return [(node.name.text, node.default)] if node.default is not None else []
    return [(kw.name.text, kw.value) for kw in node.settings]


def find_space(source: Source, program: ast.Program) -> Space:
    """Every space call of the program, in source order; SpaceError for a bad one."""
    found: list[Dimension] = []
    inside: set[Span] = set()
    for node in program.find_all(ast.Call, ast.CompileDecl, ast.TrainDecl, ast.Param):
        for label, value in _arguments(node):
            call = _space_call(value)
            if call is not None:
                found.append(_dimension(source, call, label))
                inside.add(call.span)
    for step in program.find_all(ast.Step):
        if isinstance(step.repeat, ast.Call) and step.repeat.op.text in SPACE_OPS:
            found.append(_repeat_dimension(source, step.repeat, f"{_step_name(step)}*"))
            inside.add(step.repeat.span)
    for call in program.find_all(ast.Call):
        if call.op.text in SPACE_OPS and call.span not in inside:
            raise SpaceError(f"{call.op.text}(...) must be an argument's whole value", call.span)
    found.sort(key=lambda d: (d.span.line, d.span.column))
    return Space(source, tuple(_unique_labels(found)))


def _unique_labels(dims: list[Dimension]) -> list[Dimension]:
    counts: dict[str, int] = {}
    for d in dims:
        counts[d.label] = counts.get(d.label, 0) + 1
    return [
        Dimension(f"{d.label}@{d.span.line}:{d.span.column}", d.kind, d.span, d.values, d.low, d.high)
        if counts[d.label] > 1
        else d
        for d in dims
    ]


def _dimension(source: Source, call: ast.Call, label: str) -> Dimension:
    kind = call.op.text
    if call.kwargs:
        raise SpaceError(f"{kind}(...) takes its values as positional arguments", call.kwargs[0].span)
    for arg in call.args:
        if _space_call(arg) is not None:
            raise SpaceError(f"a space inside a space: {kind}(...) takes plain values", arg.span)
    if kind == "choice":
        if len(call.args) < 2:
            raise SpaceError("choice(...) needs at least two values", call.span)
        return Dimension(
            label, kind, call.span, values=tuple(_text(source, a.span).strip() for a in call.args)
        )
    numbers = [_number(a) for a in call.args]
    if len(numbers) != 2 or None in numbers:
        raise SpaceError(f"{kind}(low, high) takes two numbers", call.span)
    low, high = float(numbers[0]), float(numbers[1])  # type: ignore[arg-type]
    if not low < high:
        raise SpaceError(f"{kind}(low, high) needs low < high, got {_fmt(low)} and {_fmt(high)}", call.span)
    if kind == "loguniform" and low <= 0:
        raise SpaceError("loguniform(low, high) needs low > 0", call.span)
    if kind == "randint" and not (low.is_integer() and high.is_integer()):
        raise SpaceError("randint(low, high) takes two integers", call.span)
    return Dimension(label, kind, call.span, low=low, high=high)


def _step_name(step: ast.Step) -> str:
    """How a repeated step is labelled: `residual*` for `residual(64) * choice(1, 2)`."""
    atom = ast.unwrap(step.expr) if isinstance(step.expr, ast.Chain) else step.expr
    if isinstance(atom, ast.Call):
        return atom.op.text
    return atom.name if isinstance(atom, ast.Ref) else "repeat"


def _repeat_dimension(source: Source, call: ast.Call, label: str) -> Dimension:
    """A repeat count's space: whole numbers from 1 (choice or randint)."""
    dim = _dimension(source, call, label)
    if dim.kind in ("uniform", "loguniform"):
        raise SpaceError(
            f"a repeat count is a whole number: use choice(...) or randint(...), not {dim.kind}", call.span
        )
    counts = [_number(a) for a in call.args] if dim.kind == "choice" else [dim.low, dim.high]
    if any(not isinstance(c, (int, float)) or not float(c).is_integer() or c < 1 for c in counts):
        raise SpaceError("a repeat count's values are whole numbers of 1 or more", call.span)
    return dim


def _number(expr) -> float | None:
    if isinstance(expr, ast.Chain) and len(expr.steps) == 1:
        expr = expr.steps[0].expr
    return expr.value if isinstance(expr, ast.Number) else None


def parse_space(source: Source) -> Space | None:
    """The spec's search space; None when the spec has no space (or does not parse:
    the ordinary checks report that)."""
    from ..lang.diagnostics import SpecError
    from ..lang.parser import parse

    if not names_space_op(source.text):
        return None
    try:
        program = parse(source)
    except SpecError:  # a syntax error: the spec's own check reports it
        return None
    if not any(c.op.text in SPACE_OPS for c in program.find_all(ast.Call)):
        return None
    return find_space(source, program)


# ---- checking every combination -------------------------------------------------------

MAX_CHECKED = 512  # combinations checked by `check`; a larger grid is sampled (seeded)


def map_back(space: Space, point: tuple[str, ...], span: Span) -> Span:
    """A span of the concrete text of `point` as a span of the spec with spaces."""

    def column(line: int, col: int) -> int:
        shift = 0
        for dim, value in zip(space.dimensions, point):
            s = dim.span
            if s.line != line or s.end_line != line:
                continue
            start = s.column + shift  # where the value starts in the concrete line
            if col < start:
                break
            if col < start + len(value):
                return s.column  # inside the value: the space call
            shift += len(value) - (s.end_column - s.column)
        return col - shift

    if span.file != 0:
        return span
    end = column(span.end_line, span.end_column) if span.end_line == span.line else span.end_column
    start = column(span.line, span.column)
    return Span(span.line, start, span.end_line, max(end, start + 1), span.file)


def checked_points(space: Space, seed: int = 0) -> tuple[list[tuple[str, ...]], int]:
    """The combinations `check` validates and how many the grid has."""
    grid = space.grid()
    if len(grid) <= MAX_CHECKED:
        return grid, len(grid)
    import numpy as np

    picks = np.random.default_rng(seed).choice(len(grid), MAX_CHECKED, replace=False)
    return [grid[i] for i in sorted(picks)], len(grid)


@dataclass
class SpaceCheck:
    """What `check` found over the combinations of a space."""

    diagnostics: list  # each distinct problem once (ND802), naming a combination that has it
    checked: int  # combinations checked
    total: int  # combinations in the grid
    params: tuple[int, int] | None  # fewest and most parameters of the combinations without errors
    first: nx.DiGraph | None = None  # the first combination's graph (its nodes for `check --json`)


def check_space(space: Space, include_paths=()) -> SpaceCheck:
    """Every combination of the grid (up to MAX_CHECKED, sampled beyond) analyzed:
    each distinct problem once, naming the first combination that has it and how
    many of the checked combinations share it; the range of parameter counts."""
    from ..ir.core import network
    from ..ir.pipeline import analyze

    points, total = checked_points(space)
    seen: dict[tuple, list] = {}
    counts: list[int] = []
    first = None
    for point in points:
        g = analyze(Source(space.source.name, space.concrete(point)), include_paths)
        first = first if first is not None else g
        errors = [d for d in network(g).diagnostics if d.severity == "error"]
        if not errors:
            counts.append(network(g).params.total)
        for d in errors:
            span = map_back(space, point, d.span) if d.span else None
            key = (d.code, span, _without_values(d.message, point))
            seen.setdefault(key, [d, point, span, 0])[3] += 1
    params = (min(counts), max(counts)) if counts else None
    return SpaceCheck(_combination_errors(space, seen, len(points)), len(points), total, params, first)


def _combination_errors(space: Space, seen: dict[tuple, list], checked: int) -> list:
    from ..lang import codes
    from ..lang.diagnostics import error

    diags = []
    for d, point, span, count in seen.values():
        share = f" (and {count - 1} more of the {checked} combinations checked)" if count > 1 else ""
        diags.append(
            error(
                codes.SPACE_COMBINATION,
                f"with {space.name_point(point)}{share}: [{d.code}] {d.message}",
                span,
                help=d.help,
            )
        )
    return diags


def _without_values(message: str, point: tuple[str, ...]) -> str:
    """A message with the point's values blanked: one problem, several
    combinations. Whole values only: the 1 of `h_dense_1` is a name's."""
    for value in sorted(set(point), key=len, reverse=True):
        message = re.sub(rf"(?<![\w.]){re.escape(value)}(?![\w.])", "…", message)
    return message
