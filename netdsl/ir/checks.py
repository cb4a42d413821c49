"""Checks: plain functions over the graph, run in a fixed order (CHECKS, at the end).

Each check reads the graph (and what earlier checks filled in) and appends
diagnostics to the network's list; none stops the others, so a file's
problems are all reported together. Each check fills the fields of the IR
(ir/core.py) that name it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable

import networkx as nx

from ..lang import ast, codes
from ..lang.diagnostics import Diagnostic, Note, did_you_mean, error, has_errors, warning
from .compute import Computed, ComputeError, Waits, evaluate, is_computed, pinned, text, written
from .core import (
    CATEGORIES,
    FLOAT,
    INDEX,
    NODE,
    Compile,
    Field,
    Node,
    Optimizer,
    Params,
    TrainSettings,
    network,
    node,
)
from .fit_settings import check_callbacks, check_class_weight, check_sample_weight, learning_rate_schedule
from .ops import (
    ALL_ARGUMENTS,
    MAX_PARAMS,
    MAX_WIDTH,
    OPS,
    Op,
    OpCall,
    Operand,
    ShapeError,
    category_of,
    fmt_shape,
    is_finite_number,
    is_layer_option,
    label,
    not_encoded,
    type_text,
)
from .setting_args import (
    LOSS_CLASSES,
    LOSS_SPELLINGS,
    METRIC_CLASSES,
    METRIC_SPELLINGS,
    PROBABILITY_LOSSES,
    Setting,
)
from .settings import (
    BOOL_OPTIMIZER_ARGS,
    CLIP_ARGS,
    INT_OPTIMIZER_ARGS,
    LOSSES,
    METRIC_ALIASES,
    METRICS,
    OPTIMIZER_LIMITS,
    OPTIMIZERS,
    POSITIVE_OPTIMIZER_ARGS,
    metric_problem,
)
from .values import SPACE_OPS, BadValue, as_kind, call_arguments, convert, describe


def check_names(g: nx.DiGraph) -> None:
    """Every operand names something defined."""
    net = network(g)
    diags, known = net.diagnostics, net.definitions
    for data in g._node.values():
        n: Node = data[NODE]
        for src, span in zip(n.inputs, n.input_spans):
            if src not in g:
                diags.append(
                    error(
                        codes.UNDEFINED_NAME,
                        f"'{src}' is not defined",
                        span,
                        help=did_you_mean(src, known) or _misplaced_setting(src),
                    )
                )


def _misplaced_setting(name: str) -> str | None:
    for kind, table in (("optimizer", OPTIMIZERS), ("loss", LOSSES), ("metric", METRICS)):
        if name in table:
            return (
                f"'{name}' is {'an' if kind[0] in 'aeiou' else 'a'} {kind}: "
                "compile settings go on the compile line, "
                f"e.g. compile loss=mse optimizer=adam metrics=[mae]"
            )
    return None


def _acyclic(g: nx.DiGraph) -> bool:
    """Kahn's pass: True when every node can be ordered (the common case)."""
    indegree = {n: d for n, d in g.in_degree()}
    ready = [n for n, d in indegree.items() if d == 0]
    seen = 0
    succ = g._succ
    while ready:
        n = ready.pop()
        seen += 1
        for s in succ[n]:
            indegree[s] -= 1
            if not indegree[s]:
                ready.append(s)
    return seen == len(indegree)


def check_cycles(g: nx.DiGraph) -> None:
    """Layers that feed into themselves. Linear: an ordering pass, and strongly
    connected components only when that pass leaves nodes behind."""
    net = network(g)
    cyclic: set[str] = set()
    net.cyclic = cyclic
    if _acyclic(g):
        return
    for component in nx.strongly_connected_components(g):
        if len(component) == 1:
            (only,) = component
            if not g.has_edge(only, only):
                continue
        cyclic |= component
        members = sorted(component, key=lambda m: node(g, m).order)
        named = [m for m in members if node(g, m).binding == m] or members
        where = net.definitions.get(named[0], node(g, members[0]).span)
        net.diagnostics.append(
            error(
                codes.CYCLE,
                "cycle: " + " -> ".join(named + [named[0]]),
                where,
                help="a value cannot depend on itself; give one of them another input",
            )
        )


def _about(diags: list, start: int, name: str) -> None:
    """Mark the diagnostics added since `start` as being about node `name`."""
    for i in range(start, len(diags)):
        diags[i] = dataclasses.replace(diags[i], node=name)


def check_arguments(g: nx.DiGraph) -> None:
    """Arity and arguments of every layer, against the registry. Fills Node.args and arity_ok."""
    net = network(g)
    diags = net.diagnostics
    first: dict[str, Node] = {}  # shared layer -> its first application
    for data in g._node.values():
        n: Node = data[NODE]
        if n.shares is not None and n.shares in first:
            # the declaration's arguments, checked (and reported) once
            n.args, n.arity_ok = first[n.shares].args, first[n.shares].arity_ok
            continue
        if n.shares is not None:
            first[n.shares] = n
        start = len(diags)
        _check_node_arguments(n, diags, net.vocabularies)
        _about(diags, start, n.name)


def _check_node_arguments(n: Node, diags: list[Diagnostic], facts: dict) -> None:
    op = OPS.get(n.op) if n.op is not None else None
    if op is None:
        return
    if op.kind == "input":
        n.args = _input_arguments(n, diags)
        if n.args is not None and n.declared is not None and n.declared.fields:
            n.args["fields"] = tuple(_with_counts(n.name, f, facts) for f in n.declared.fields)
        return
    if op.kind == "select":
        n.args = {"items": n.raw_args}
        return
    count = len(n.inputs)
    one_bundle = count == 1 and op.kind == "merge"  # perhaps a record's columns: checked with shapes
    if not one_bundle and (count < op.min_inputs or (op.max_inputs is not None and count > op.max_inputs)):
        want = f"at least {op.min_inputs}" if op.max_inputs is None else str(op.min_inputs)
        diags.append(
            error(
                codes.ARITY,
                f"{op.name}() takes {want} operands, got {count}",
                n.span,
                help=f"e.g. {op.name}(a, b)" if op.kind == "merge" else None,
            )
        )
        n.arity_ok = False
    n.args = _bind_arguments(op, n, diags)


def _input_arguments(n: Node, diags: list[Diagnostic]) -> dict | None:
    """An input's declaration as its arguments: width and features; None when unusable."""
    declared = n.declared
    if declared is None or declared.width is None:
        return None
    width = declared.width
    if width < 1:
        diags.append(
            error(codes.ARGUMENT_RANGE, f"an input's width must be at least 1, got {width}", declared.span)
        )
        return None
    size = math.prod(declared.shape) if declared.shape else width
    if size > MAX_WIDTH:
        what = (
            f"input size {size} (shape {fmt_shape(declared.shape)})"
            if declared.shape
            else f"input width {width}"
        )
        diags.append(error(codes.LIMIT, f"{what} exceeds the limit of {MAX_WIDTH}", declared.span))
        return None
    args = {"width": width, "features": declared.features, "dtype": declared.dtype}
    return args | {"shape": declared.shape} if declared.shape else args


def _with_counts(input_name: str, f: Field, facts: dict) -> Field:
    """A record field with what the data says of it (its values' counts, its missing cells)."""
    fact = facts.get((input_name, f.name))
    if fact is None or f.dtype not in CATEGORIES:
        return f
    counts, missing = fact
    return dataclasses.replace(f, counts=tuple(counts), missing=missing)


def _bind_arguments(op: Op, n: Node, diags: list[Diagnostic]) -> dict | None:
    """Positional and keyword arguments -> {param: value}; None if any is wrong."""
    given = _given_arguments(op, n, diags)
    if given is None:
        return None
    values, ok = given
    args = {}
    for p in op.params:
        if p.name not in values and is_layer_option(p.name):
            continue  # a layer option not given: Keras's default, left out of the layer's config
        if p.name not in values:
            if p.required:
                diags.append(
                    error(
                        codes.MISSING_ARGUMENT,
                        f"{op.name}() needs the argument '{p.name}'",
                        n.span,
                        help=_signature(op),
                    )
                )
                ok = False
            else:
                args[p.name] = p.default
            continue
        try:
            args[p.name] = _param_value(p, values[p.name])
        except BadValue as exc:
            diags.append(
                error(
                    exc.code,
                    f"{op.name}() argument '{p.name}': {exc.message}",
                    exc.span or ast.unwrap(values[p.name]).span,
                    help=exc.help,
                )
            )
            ok = False
    return args if ok else None


def _given_arguments(op: Op, n: Node, diags: list[Diagnostic]) -> tuple[dict, bool] | None:
    """({param: expression} as written, False if a keyword is unknown or
    repeated); None when there are too many positional arguments."""
    values: dict = {}
    ok = True
    positional = [p for p in op.params if not p.keyword_only]
    for i, expr in enumerate(n.raw_args):
        if i < len(positional) and positional[i].variadic:  # the rest: reshape(4, 16)
            values[positional[i].name] = tuple(n.raw_args[i:])
            break
        if i >= len(positional):
            diags.append(
                error(
                    codes.TOO_MANY_ARGUMENTS,
                    f"{op.name}() takes at most {len(positional)} positional "
                    f"argument(s), got {len(n.raw_args)}",
                    expr.span,
                    help=_signature(op),
                )
            )
            return None
        values[positional[i].name] = expr
    for kw in n.raw_kwargs:
        key = kw.name.text
        p = op.param(key)
        if p is not None and p.variadic:
            diags.append(
                error(
                    codes.ARGUMENT_TYPE,
                    f"{op.name}() takes its {key} as positional arguments, not by name",
                    kw.span,
                    help=_signature(op),
                )
            )
            values[key], ok = (), False  # reported: not missing as well
        elif p is None:
            diags.append(
                error(
                    codes.UNKNOWN_ARGUMENT,
                    f"{op.name}() has no argument '{key}'",
                    kw.name.span,
                    help=did_you_mean(key, [q.name for q in op.params]) or _options_help(op, key),
                )
            )
            ok = False
        elif key in values:
            diags.append(
                error(codes.DUPLICATE_ARGUMENT, f"argument '{key}' of {op.name}() is given twice", kw.span)
            )
            ok = False
        else:
            values[key] = kw.value
    return values, ok


def _param_value(p, expr):
    """A layer argument's value: converted, within the op's limits and range
    (a Computed, computed with the shapes, is checked then: _computed_arguments);
    a variadic one's, each item so (not computed from shapes)."""
    if p.variadic:
        return tuple(_item_value(p, item) for item in expr)
    try:
        value = convert(p.type, expr, p.check, f"{p.name} values must be {p.range_text}", sizes_ok=True)
    except BadValue as exc:
        if exc.help is None and p.type in ("int", "float") and exc.code == codes.ARGUMENT_TYPE:
            exc.help = p.range_text or None
        raise
    if isinstance(value, Computed):
        return value
    return _within(p, value, expr)


def _item_value(p, expr):
    """One item of a variadic argument: a number, or arithmetic on numbers."""
    try:
        return _within(p, convert(p.type, expr, p.check, f"{p.name} values must be {p.range_text}"), expr)
    except BadValue as exc:
        exc.help = exc.help or p.range_text or None
        exc.span = exc.span or ast.unwrap(expr).span
        raise


def _within(p, value, expr):
    """A converted argument within the op's limits and range."""
    if p.type == "int" and value is not None and value > MAX_WIDTH:
        raise BadValue(codes.LIMIT, f"{value} exceeds the limit of {MAX_WIDTH}")
    if p.choices and value not in p.choices:
        raise BadValue(
            codes.ARGUMENT_RANGE,
            f"'{value}' is not one of {', '.join(p.choices)}",
            did_you_mean(value, p.choices) or f"{p.name} is one of {', '.join(p.choices)}",
        )
    if p.type in ("name", "vocabulary", "fill"):
        return value
    if p.type != "floats" and p.check is not None and not p.check(value):
        atom = ast.unwrap(expr)
        if is_computed(atom):
            raise BadValue(
                codes.ARGUMENT_RANGE,
                f"{text(atom)} comes to {value!r}, out of range",
                f"{p.name} must be {p.range_text}",
                atom.span,
            )
        if not isinstance(atom, ast.Number):  # a setting the op cannot have (attention's trainable=false)
            shown = str(value).lower() if isinstance(value, bool) else repr(value)
            raise BadValue(
                codes.ARGUMENT_RANGE, f"{shown} is not supported", f"{p.name} must be {p.range_text}"
            )
        raise BadValue(
            codes.ARGUMENT_RANGE, f"{atom.value!r} is out of range", f"{p.name} must be {p.range_text}"
        )
    return value


def _signature(op) -> str:
    """`dense(units, activation=linear, use_bias=true)`: its own arguments, not the layer options."""
    own = [p for p in op.params if not is_layer_option(p.name)]
    parts = [
        f"{p.name}..." if p.variadic else p.name if p.required else f"{p.name}={_show_default(p.default)}"
        for p in own
    ]
    return f"{op.name}({', '.join(parts)})"


def _options_help(op: Op, key: str) -> str:
    """The help for an argument the op lacks: its signature, and for a layer
    option, which options it has and which ops take that one."""
    if not is_layer_option(key):
        return _signature(op)
    options = [p.name for p in op.params if is_layer_option(p.name)]
    takers = [o.name for o in OPS.values() if o.param(key) is not None]
    text = f"{op.name} takes the options {', '.join(options)}" if options else f"{op.name} takes no options"
    return text + (f"; {key} is an option of {', '.join(takers)}" if takers else "")


def _show_default(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return "none" if v is None else str(v)


def check_shapes(g: nx.DiGraph) -> None:
    """Infer every node's shape, dtype and features in topological order; a
    node whose inputs are unknown stays unknown without a diagnostic of its
    own (no cascades). Fills Node.selection, shape, dtype, features."""
    net = network(g)
    diags = net.diagnostics
    nodes = g._node
    built: dict[str, tuple[Node, Operand]] = {}  # shared layer -> its first application, operand
    for name in _topological(g, net.cyclic):
        n: Node = nodes[name][NODE]
        op = OPS.get(n.op) if n.op is not None else None
        if op is None or n.args is None or not n.arity_ok:
            continue
        operands = _operands(g, n, op)
        if operands is None:
            continue
        try:
            args, waits = _computed_arguments(g, n, op, operands)
            if waits is not None and op.name not in _WAITING_OK:
                n.waits = waits  # its shape waits for data too
                continue
            n.args = args
            if n.shares is not None:
                _check_shared(n, op, operands[0], built)
            _infer(n, op, OpCall(operands, n.args))
            n.waits = n.waits or waits
        except _Unknown:
            continue
        except ShapeError as exc:
            notes = [Note(msg, where) for msg, where in exc.notes]
            span = exc.span or _argument_span(n, exc.argument) or n.span
            diagnostic = error(exc.code, exc.message, span, help=exc.help, notes=notes)
            diags.append(dataclasses.replace(diagnostic, node=name))


def _argument_span(n: Node, argument: int | None):
    """The span of a node's positional argument a rule names, or of them all."""
    spans = [ast.unwrap(a).span for a in n.raw_args]
    if argument is None or not spans:
        return None
    if argument == ALL_ARGUMENTS:
        return spans[0].to(spans[-1])
    return spans[argument] if argument < len(spans) else None


# Ops whose shape rules take an argument that waits for data (None): the size it sets waits too.
_WAITING_OK = ("dense", "embedding")


class _Unknown(Exception):
    """A size read from a value whose shape is unknown (reported where it went wrong)."""


def _computed_arguments(g: nx.DiGraph, n: Node, op: Op, operands: list[Operand]) -> tuple[dict, str | None]:
    """The node's arguments with the computed ones computed (compute.py), and what
    one waits for; ShapeError at the expression when one has no value."""
    assert n.args is not None
    if not any(isinstance(v, Computed) for v in n.args.values()):
        return n.args, None
    sizes = _Sizes(g, n, operands)
    args, waits = dict(n.args), None
    for name, value in n.args.items():
        if not isinstance(value, Computed):
            continue
        p = op.param(name)
        assert p is not None
        try:
            args[name] = _within(p, as_kind(p.type, evaluate(value.expr, sizes), value.expr), value.expr)
        except Waits as exc:
            args[name], waits = None, exc.reason
        except (ComputeError, BadValue) as exc:
            raise ShapeError(
                exc.code,
                f"{op.name}() argument '{name}': {exc.message}",
                exc.help,
                span=exc.span or value.expr.span,
            ) from None
    return args, waits


class _Sizes:
    """width() and vocab_size() of a node's input, or of a value the builder pinned (compute.PIN)."""

    def __init__(self, g: nx.DiGraph, n: Node, operands: list[Operand]):
        self.g, self.n, self.operands = g, n, operands

    def _operand(self, ref: ast.Ref | None, call: ast.Call) -> Operand:
        name = call.op.text
        if ref is None:  # the layer's input: its query for attention(value=...); a merge has no one input
            if len(self.operands) != 1 and self.n.op is not None and OPS[self.n.op].kind == "merge":
                raise ComputeError(
                    codes.BAD_SIZE_REFERENCE,
                    f"{name}() of which operand? This layer has {len(self.operands)}",
                    call.span,
                    help=f"name it: {name}(x)",
                )
            return self.operands[0]
        node_id = pinned(ref)
        data = self.g._node.get(node_id) if node_id else None
        if data is None:
            if node_id == "":  # its name is reported as undefined
                raise _Unknown()
            net = network(self.g)
            raise ComputeError(
                codes.BAD_SIZE_REFERENCE,
                f"'{written(ref)}' is not a value of this network",
                ref.span,
                help=did_you_mean(written(ref), list(net.definitions)),
            )
        sn: Node = data[NODE]
        if sn.shape is None:
            raise _Unknown()
        return _operand_of(written(ref), sn, ref.span)

    def width(self, ref: ast.Ref | None, call: ast.Call) -> int | None:
        o = self._operand(ref, call)
        if not o.shape:
            raise ComputeError(
                codes.BAD_SIZE_REFERENCE,
                f"width() of '{label(o)}': it is a scalar, shape ()",
                call.span,
                help=f"lift it first: {label(o)} -> expand_dims(-1)",
            )
        if o.shape[-1] is None:
            raise Waits(o.waits or f"the width of '{label(o)}' (from --data)")
        return o.shape[-1]

    def vocab_size(self, ref: ast.Ref | None, call: ast.Call) -> int | None:
        given = self.n.args.get("input_dim") if self.n.args and self.n.op == "embedding" else None
        if ref is None and isinstance(given, int):
            return given  # ids 0..input_dim-1, as given
        o = self._operand(ref, call)
        if o.dtype != INDEX:
            raise ComputeError(
                codes.BAD_SIZE_REFERENCE,
                f"vocab_size() of '{label(o)}': it holds {type_text(o.dtype)}, not category indices",
                call.span,
                help=f"look categories up first: {label(o)} -> lookup"
                if o.dtype in CATEGORIES
                else "vocab_size() is the number of categories of a lookup, hash, discretize or index value",
            )
        if o.cardinality is None:
            raise Waits(o.waits or f"the vocabulary of '{label(o)}' (from --data)")
        return o.cardinality


def _operands(g: nx.DiGraph, n: Node, op: Op) -> list[Operand] | None:
    """What the rules see of each operand; None when one's shape is unknown."""
    nodes = g._node
    operands = []
    for src, span in zip(n.inputs, n.input_spans):
        s = nodes.get(src)
        if s is None:
            return None
        sn: Node = s[NODE]
        if sn.shape is None:
            return None
        where = sn.span if op.kind == "merge" else span
        operands.append(_operand_of(src, sn, where, _written_name(g, span)))
    return operands


def _operand_of(name: str, sn: Node, span, written=None) -> Operand:
    """What the rules see of node `sn` (its shape known) used as an operand at `span`."""
    assert sn.shape is not None, "callers stop at an unknown shape"
    return Operand(
        name,
        sn.shape,
        sn.features,
        span,
        sn.op,
        sn.dtype or FLOAT,
        sn.members,
        sn.bundle,
        sn.cardinality,
        sn.vocabulary,
        sn.waits,
        written,
    )


def _written_name(g: nx.DiGraph, span) -> str | None:
    """The operand's text at `span` when it is one plain name (a help may
    suggest writing it again); None for a chain or an unknown place."""
    sources = network(g).sources or [network(g).source]
    if span is None or span.line != span.end_line or not 0 <= span.file < len(sources):
        return None
    text = sources[span.file].line_text(span.line)[span.column - 1 : span.end_column - 1]
    return text if text.isidentifier() else None


def _infer(n: Node, op: Op, call: OpCall) -> None:
    """Run an op's rules on one node; ShapeError when they refuse it."""
    for o in call.inputs:
        _check_operand(n, op, o)
    if op.kind == "merge" and len(call.inputs) == 1 and not call.inputs[0].members and op.min_inputs > 1:
        raise ShapeError(
            codes.ARITY,
            f"{op.name}() takes at least {op.min_inputs} operands, got 1",
            f"e.g. {op.name}(a, b)",
            span=n.span,
        )
    if op.resolve is not None:
        n.selection = op.resolve(call)
        call = OpCall(call.inputs, call.args, n.selection)
    n.shape = op.shape(call)
    n.dtype = op.dtype(call)
    n.features = op.features(call)
    n.members = op.members(call)
    n.bundle = op.kind in ("input", "select") and n.members is not None and len(n.members) > 1
    n.cardinality = op.cardinality(call)
    n.vocabulary = op.vocabulary(call)
    n.waits = op.waits(call)
    if n.bundle and n.output:
        raise ShapeError(
            codes.BUNDLE_NOT_JOINED,
            f"output '{n.name}' is {len(n.members or ())} columns of a record, not one value",
            help=f"join them: output {n.name} = ... -> concat",
        )


def _check_operand(n: Node, op: Op, o: Operand) -> None:
    """An operand the op does not take: a category where numbers are needed, a
    record's several columns where one value is, a wrong rank."""
    if o.bundle and op.kind not in ("merge", "select"):
        if op.dtypes == (FLOAT,) and category_of(o) is not None:
            raise not_encoded(op.name, o)
        raise ShapeError(
            codes.BUNDLE_NOT_JOINED,
            f"{op.name}() takes one value; '{label(o)}' is {len(o.members or ())} columns of a record",
            help=f"join them first: {label(o)} -> concat -> {op.name}(...)",
            span=o.span,
        )
    dtypes = {f.dtype for f in o.members} if o.bundle and o.members else {o.dtype}
    if op.dtypes and not dtypes <= set(op.dtypes):
        if FLOAT in op.dtypes and (dtypes - {FLOAT}) and category_of(o) is not None:
            raise not_encoded(op.name, o)
        accepts = " or ".join(op.dtypes)
        raise ShapeError(
            codes.OPERAND_TYPE,
            f"{op.name}() takes {accepts} values; '{o.name}' is {o.dtype} of shape {fmt_shape(o.shape)}",
            span=o.span,
        )
    if op.dtypes and len(o.shape) not in op.ranks:
        ranks = _ranks_text(op.ranks)
        raise ShapeError(
            codes.OPERAND_TYPE,
            f"{op.name}() takes values of rank {ranks}; '{label(o)}' has shape {fmt_shape(o.shape)}",
            help=f"flatten it first: add `-> flatten` before {op.name}()"
            if len(o.shape) > max(op.ranks)
            else f"lift the scalar first: {label(o)} -> expand_dims(-1) -> {op.name}(...)"
            if not o.shape
            else f"{op.name}() works on rows of vectors: stack vectors into rows with stack(a, b, ...), "
            f"or make one row: {label(o)} -> expand_dims(1)"
            if len(o.shape) < min(op.ranks)
            else None,
            span=o.span,
        )


def _ranks_text(ranks: tuple[int, ...]) -> str:
    """`1 or 2`, or a run of three or more as `1 to 4`."""
    if len(ranks) > 2 and list(ranks) == list(range(ranks[0], ranks[-1] + 1)):
        return f"{ranks[0]} to {ranks[-1]}"
    return " or ".join(str(r) for r in ranks)


# Ops whose weights are shaped by the whole operand shape (PReLU's alpha);
# the others' by its last axis (Dense's kernel, the norms' scales).
_WEIGHTS_OF_WHOLE_SHAPE = {"prelu"}
# Ops whose weights do not depend on the operand's shape at all (Embedding's table: one
# shared embedding looks up a target id (1,) and a sequence of ids (3,) alike).
_WEIGHTS_OF_NO_SHAPE = {"embedding"}


def _check_shared(n: Node, op: Op, operand: Operand, built: dict[str, tuple[Node, Operand]]) -> None:
    """A shared layer is built once, at its first application (in dependency
    order, as Keras builds it); every later one must fit the weights built then."""
    assert n.shares is not None and n.args is not None
    if op.adapts(n.args):
        raise ShapeError(
            codes.BAD_SHARED_LAYER,
            f"shared layer '{n.shares}' would adapt its statistics, but to which of its inputs?",
            help="give a shared standardize its statistics: standardize(mean=[...], variance=[...])",
        )
    if n.shares not in built:
        built[n.shares] = (n, operand)
        return
    first, seen = built[n.shares]
    whole = n.op in _WEIGHTS_OF_WHOLE_SHAPE
    want, got = (seen.shape, operand.shape) if whole else (seen.shape[-1:], operand.shape[-1:])
    stateless = op.count(OpCall([seen], n.args), seen.shape) == (0, 0) and not n.args.get("mean")
    if want == got or stateless or n.op in _WEIGHTS_OF_NO_SHAPE:
        return
    what = f"shape {fmt_shape(seen.shape)}" if whole else f"width {seen.shape[-1]}"
    raise ShapeError(
        codes.SHARED_SHAPE_MISMATCH,
        f"shared layer '{n.shares}' ({op.name}) was built for {what} by its first use on "
        f"'{seen.name}'; here '{operand.name}' is {fmt_shape(operand.shape)}",
        help=f"a shared layer has one set of weights: give it inputs of the same {what.split()[0]}, "
        f"or declare a second layer for '{operand.name}'",
        notes=[
            (f"first use: '{seen.name}' has shape {fmt_shape(seen.shape)}", first.span),
            (f"'{operand.name}' has shape {fmt_shape(operand.shape)}", operand.span),
        ],
        span=n.span,
    )


def _topological(g: nx.DiGraph, cyclic: set) -> Iterable[str]:
    """Nodes in dependency order, ties broken by source order; cycles left out.

    Nodes are created in source order, which already is a dependency order
    unless a name is used before the line that defines it: then (only) sort.
    """
    names = [n for n in g if n not in cyclic] if cyclic else list(g)
    seen: set = set()
    pred = g._pred
    for n in names:
        if any(p not in seen for p in pred[n] if p not in cyclic):
            break
        seen.add(n)
    else:
        return names
    sub = g.subgraph(names) if cyclic else g
    return nx.lexicographical_topological_sort(sub, key=lambda m: node(g, m).order)


def check_params(g: nx.DiGraph) -> None:
    """Parameter counts, statically; equal to Keras's count_params(). Fills
    Node.params and Network.params."""
    net = network(g)
    trainable = non_trainable = 0
    counted: set[str] = set()  # shared layers whose weights are counted (at their first application)
    for data in g._node.values():  # creation order: a shared layer is counted at its first use
        n: Node = data[NODE]
        if n.shape is None or n.args is None or n.op is None:
            continue
        op = OPS[n.op]
        operands = _operands(g, n, op) or []
        if None in n.shape or any(None in o.shape for o in operands):
            continue  # its size waits for data
        n.params = Params(*op.count(OpCall(operands, n.args, n.selection), n.shape))
        if n.args.get("trainable") is False:  # frozen: Keras counts every weight as non-trainable
            n.params = Params(0, n.params.total)
        if n.shares is not None:
            # one layer object: its weights once, at its first application
            n.params = n.params if n.shares not in counted else Params()
            counted.add(n.shares)
        trainable += n.params.trainable
        non_trainable += n.params.non_trainable
    net.params = Params(trainable, non_trainable)
    if trainable + non_trainable > MAX_PARAMS:
        sized = [
            (n.params.total, -n.order, n.span) for n in map(lambda d: d[NODE], g._node.values()) if n.params
        ]
        span = max(sized)[2] if sized else None
        net.diagnostics.append(
            error(
                codes.LIMIT,
                f"the model has {trainable + non_trainable:,} parameters, over the limit of {MAX_PARAMS:,}",
                span,
                help="use fewer or narrower layers",
            )
        )


def library_only(g: nx.DiGraph) -> Diagnostic | None:
    """The one diagnostic for building, training or drawing a file of blocks only."""
    net = network(g)
    if g.number_of_nodes() or net.outputs or net.output_statements or not net.blocks:
        return None
    return error(
        codes.NO_OUTPUT,
        "this file defines blocks only; import it from a spec",
        next(iter(net.blocks.values())).name.span,
        help=f'in a spec: `from "{net.source.name.rsplit("/", 1)[-1]}" import '
        + ", ".join(list(net.blocks)[:3])
        + "`, then declare an input and an output",
    )


def check_outputs(g: nx.DiGraph) -> None:
    net = network(g)
    if net.outputs or net.output_statements or net.truncated:
        return
    source = net.source
    if not g.number_of_nodes():
        if net.blocks:
            return  # a library of blocks, for other specs to import
        net.diagnostics.append(
            error(
                codes.NO_OUTPUT,
                "the spec defines no network",
                source.end_span(),
                help="declare an input and an output, e.g. `input x: 4` and `output y = x -> dense(1)`",
            )
        )
        return
    named = (n for n in map(lambda d: d[NODE], g._node.values()) if n.binding == n.name)
    last = max(named, key=lambda n: n.order, default=None)
    hint = "mark the result with 'output', e.g. output y = x -> dense(1)"
    if last is not None and last.op != "input":
        hint = f"mark the result as an output: add the line 'output {last.binding}'"
    net.diagnostics.append(error(codes.NO_OUTPUT, "the network has no output", source.end_span(), help=hint))


def check_unused(g: nx.DiGraph) -> None:
    """Inputs and named values that no output depends on (warnings).

    Skipped when the spec already has errors: the broken line may be the one
    that would have used them.
    """
    net = network(g)
    diags = net.diagnostics
    if has_errors(diags):
        return
    applied = {n.shares for n in map(lambda d: d[NODE], g._node.values())}
    for shared in net.shared.values():
        if shared.name not in applied:
            diags.append(
                warning(
                    codes.UNUSED_VALUE,
                    f"shared layer '{shared.name}' is never applied",
                    shared.span,
                    help=f"apply it with '-> {shared.name}', or remove it",
                )
            )
    for name, data in g._node.items():
        n: Node = data[NODE]
        if n.output or g.out_degree(name) or n.binding != name:
            continue
        kind = "input" if n.op == "input" else "value"
        # Say what compile does with it, so that the model's inputs and parameters are no surprise.
        fate = "leaves it out of its inputs" if kind == "input" else "leaves it out"
        diags.append(
            warning(
                codes.UNUSED_VALUE,
                f"{kind} '{name}' is never used: the Keras model {fate}",
                n.op_span if kind == "input" else n.span,
                help=f"use it, mark it with 'output {name}', or remove it",
            )
        )


COMPILE_SETTINGS = ("loss", "optimizer", "metrics", "loss_weights")


def check_compile(g: nx.DiGraph) -> None:
    """The compile line: loss, optimizer, metrics. Fills Network.compile."""
    net = network(g)
    decl = net.compile_decl
    net.compile = None
    if decl is None:
        return
    diags, outputs = net.diagnostics, net.outputs
    settings = Compile()
    seen: dict = {}
    for kw in _settings(decl, "compile", COMPILE_SETTINGS, codes.BAD_COMPILE_SETTING, diags):
        key = kw.name.text
        seen[key] = kw.span
        if key == "loss":
            settings.loss = _per_output(kw.value, outputs, diags, _one_loss)
        elif key == "metrics":
            settings.metrics = _per_output(kw.value, outputs, diags, _metric_list)
        elif key == "loss_weights":
            settings.loss_weights = _loss_weights(kw.value, outputs, diags)
        else:
            settings.optimizer = _optimizer(kw.value, diags)
    if isinstance(settings.loss, dict):
        for out in outputs:
            if out not in settings.loss:
                diags.append(
                    error(
                        codes.OUTPUT_WITHOUT_LOSS,
                        f"output '{out}' has no loss",
                        seen["loss"],
                        help=f"add '{out}: <loss>' to the loss dictionary",
                    )
                )
    net.compile = settings
    if settings.loss is not None:
        _check_logits(g, settings, seen["loss"])


# Ops that pass their operand's values through unchanged in kind (so the
# output's activation is the one before them).
_PASS_THROUGH = ("identity", "dropout", "gaussian_noise")


def _final_activation(g: nx.DiGraph, name: str) -> tuple[str | None, Node]:
    """The activation an output ends in ("linear", "sigmoid", ...), and the layer
    that applies it; None when the last layer is not a dense or activation layer."""
    n = node(g, name)
    while n.op in _PASS_THROUGH and n.inputs and n.inputs[0] in g:
        n = node(g, n.inputs[0])
    args = n.args or {}
    if n.op == "dense":
        return args.get("activation"), n
    if n.op == "activation":
        return args.get("name"), n
    return None, n


def _check_logits(g: nx.DiGraph, settings: Compile, where) -> None:
    """A probability loss on a linear output (without from_logits=true), or
    from_logits=true on a sigmoid/softmax output: Keras trains either without
    a word, on the wrong numbers (warnings)."""
    net = network(g)
    for out in net.outputs:
        loss = settings.loss.get(out) if isinstance(settings.loss, dict) else settings.loss
        if loss not in PROBABILITY_LOSSES or out not in g:
            continue
        logits = isinstance(loss, Setting) and loss.config.get("from_logits") is True
        activation, layer = _final_activation(g, out)
        probability = "softmax" if loss.startswith(("categorical", "sparse")) else "sigmoid"
        cls = LOSS_CLASSES[loss].class_name
        if activation == "linear" and not logits:
            message = f"output '{out}' is linear (no activation), but the loss {loss} expects probabilities"
            hint = (
                f"end '{out}' with {probability}, or say the output is logits: loss={cls}(from_logits=true)"
            )
        elif activation in ("sigmoid", "softmax") and logits:
            message = f"output '{out}' ends in {activation}, but the loss is told from_logits=true"
            hint = f"drop from_logits=true (the output is probabilities), or make '{out}' linear"
        else:
            continue
        note = Note(f"'{out}' ends in layer '{layer.name}' ({layer.op}, {activation})", layer.span)
        net.diagnostics.append(warning(codes.LOGITS_MISMATCH, message, where, help=hint, notes=[note]))


def _settings(decl, word: str, known, code, diags: list):
    """The `key=value` settings of a compile or train line that exist and are
    given once; the others are reported."""
    seen: dict = {}
    for kw in decl.settings:
        key = kw.name.text
        if key not in known:
            diags.append(
                error(
                    code,
                    f"unknown {word} setting '{key}'",
                    kw.name.span,
                    help=did_you_mean(key, known) or "settings: " + ", ".join(known),
                )
            )
        elif key in seen:
            diags.append(
                error(
                    code,
                    f"{word} setting '{key}' is given twice",
                    kw.name.span,
                    notes=[Note("first given here", seen[key])],
                )
            )
        else:
            seen[key] = kw.span
            yield kw


def _per_output(expr, outputs, diags, one: Callable):
    atom = ast.unwrap(expr)
    if not isinstance(atom, ast.DictLit):
        return one(atom, diags)
    result = {}
    for pair in atom.pairs:
        key = pair.key.text
        if key not in outputs:
            diags.append(
                error(
                    codes.UNKNOWN_OUTPUT_SETTING,
                    f"'{key}' is not an output",
                    pair.key.span,
                    help=did_you_mean(key, outputs)
                    or "the outputs are: " + (", ".join(f"'{o}'" for o in outputs) or "none"),
                )
            )
            continue
        if pair.value is None:
            diags.append(
                error(
                    codes.BAD_COMPILE_SETTING,
                    f"output '{key}' is given no value",
                    pair.span,
                    help=f"write it as {key}: <value>",
                )
            )
            continue
        result[key] = one(ast.unwrap(pair.value), diags)
    return result


def _loss_weights(expr, outputs, diags) -> dict[str, float] | None:
    """`loss_weights={y: 1.0, z: 0.5}`: a weight >= 0 per output (1 for an output not named)."""
    atom = ast.unwrap(expr)
    if not isinstance(atom, ast.DictLit):
        example = ", ".join(f"{o}: 1.0" for o in outputs[:2]) or "y: 1.0"
        diags.append(
            error(
                codes.BAD_COMPILE_SETTING,
                f"loss_weights is a weight per output, got {describe(atom)}",
                atom.span,
                help=f"e.g. loss_weights={{{example}}}",
            )
        )
        return None
    weights = _per_output(atom, outputs, diags, _one_weight)
    return {o: w for o, w in weights.items() if w is not None}


def _one_weight(atom, diags) -> float | None:
    if isinstance(atom, ast.Number) and is_finite_number(atom.value) and atom.value >= 0:
        return float(atom.value)
    diags.append(
        error(
            codes.BAD_COMPILE_SETTING,
            f"a loss weight is a number >= 0, got {describe(atom)}",
            atom.span,
            help="e.g. loss_weights={y: 1.0, z: 0.5}",
        )
    )
    return None


def _name_of(atom) -> str | None:
    if isinstance(atom, ast.Ref):
        return atom.name
    if isinstance(atom, ast.String):
        return atom.value
    return None


def _one_loss(atom, diags) -> Setting | None:
    return _setting(atom, "loss", diags)


def _metric_list(atom, diags) -> list[Setting]:
    items = [ast.unwrap(i) for i in atom.items] if isinstance(atom, ast.ListLit) else [atom]
    found = (_setting(item, "metric", diags) for item in items)
    return [m for m in found if m is not None]


# kind -> (snake names, class spellings, their classes and arguments, code, example)
_SETTING_KINDS = {
    "loss": (LOSSES, LOSS_SPELLINGS, LOSS_CLASSES, codes.UNKNOWN_LOSS, "loss=categorical_crossentropy"),
    "metric": (METRICS, METRIC_SPELLINGS, METRIC_CLASSES, codes.UNKNOWN_METRIC, "metrics=[accuracy]"),
}


def _setting(atom, kind: str, diags) -> Setting | None:
    """A loss or metric: a name (`binary_crossentropy`, Keras's class `BinaryCrossentropy`)
    or a call with the class's arguments (`BinaryCrossentropy(from_logits=true)`)."""
    names, spellings, classes, code, example = _SETTING_KINDS[kind]
    call = atom if isinstance(atom, ast.Call) else None
    name = call.op.text if call is not None else _name_of(atom)
    if name is None:
        help = f"e.g. {example}, or a Keras class with arguments: BinaryCrossentropy(from_logits=true)"
        diags.append(error(code, f"a {kind} is a name, got {describe(atom)}", atom.span, help=help))
        return None
    snake = name if name in names else spellings.get(name)
    if snake is None or snake not in names:
        where = call.op.span if call is not None else atom.span
        diags.append(error(code, f"unknown {kind} '{name}'", where, help=_unknown_setting_help(name, kind)))
        return None
    as_class = name != snake or call is not None
    if call is not None and name == "accuracy":
        diags.append(
            error(
                code,
                "accuracy picks its kind from the loss, so it takes no arguments",
                call.span,
                help="name the kind: binary_accuracy(...), categorical_accuracy(...), "
                "sparse_categorical_accuracy(...), or Accuracy(...) for exact matches",
            )
        )
        return None
    try:
        args = call_arguments(name, classes[snake], call) if call is not None else ()
    except BadValue as exc:
        diags.append(error(exc.code, exc.message, exc.span or atom.span, help=exc.help))
        return None
    return Setting(snake, classes[snake].class_name if as_class else None, args)


def _metric_snake(atom) -> str | None:
    """A metric as written (`auc`, `AUC`, `AUC(curve=PR)`) -> its snake name, for the label checks."""
    name = atom.op.text if isinstance(atom, ast.Call) else _name_of(atom)
    return METRIC_SPELLINGS.get(name, name) if name is not None else None


def _unknown_setting_help(name: str, kind: str) -> str:
    names, spellings, _, _, _ = _SETTING_KINDS[kind]
    if kind == "metric" and name in METRIC_ALIASES:
        return f"did you mean '{METRIC_ALIASES[name]}'?"
    # a name spelled like a class is matched against the class spellings first
    first, then = (list(spellings), list(names)) if name[:1].isupper() else (list(names), list(spellings))
    return did_you_mean(name, first) or did_you_mean(name, then) or "known: " + ", ".join(names)


def _optimizer(expr, diags) -> Optimizer | None:
    """`adam`, `adam(learning_rate=0.01)`: the optimizer and its checked arguments."""
    atom = ast.unwrap(expr)
    if isinstance(atom, (ast.Ref, ast.String)):
        name, name_span, call = atom.name if isinstance(atom, ast.Ref) else atom.value, atom.span, None
    elif isinstance(atom, ast.Call):
        name, name_span, call = atom.op.text, atom.op.span, atom
    else:
        diags.append(
            error(
                codes.UNKNOWN_OPTIMIZER,
                f"an optimizer is a name or a call, got {describe(atom)}",
                atom.span,
                help="e.g. optimizer=adam(learning_rate=0.001)",
            )
        )
        return None
    if name not in OPTIMIZERS:
        diags.append(
            error(
                codes.UNKNOWN_OPTIMIZER,
                f"unknown optimizer '{name}'",
                name_span,
                help=did_you_mean(name, OPTIMIZERS) or "known: " + ", ".join(OPTIMIZERS),
            )
        )
        return None
    if call is None:
        return Optimizer(name, {})
    args = _optimizer_arguments(name, call, diags)
    return None if args is None else Optimizer(name, args)


def _optimizer_arguments(name: str, call: ast.Call, diags: list[Diagnostic]) -> dict | None:
    """An optimizer call's keyword arguments, checked as Keras's constructor would."""
    allowed = OPTIMIZERS[name][1]
    args: dict = {}
    ok = True
    for arg in call.args:
        diags.append(
            error(
                codes.OPTIMIZER_ARGUMENT,
                f"{name}() arguments are given by keyword",
                arg.span,
                help=f"e.g. {name}(learning_rate=0.001)",
            )
        )
        ok = False
    for kw in call.kwargs:
        key = kw.name.text
        value = ast.unwrap(kw.value)
        problem = None
        if key not in allowed:
            hint = (
                "Keras 3 calls it learning_rate"
                if key == "lr"
                else did_you_mean(key, allowed) or "it takes: " + ", ".join(allowed)
            )
            problem = error(
                codes.OPTIMIZER_ARGUMENT, f"optimizer {name} has no argument '{key}'", kw.name.span, help=hint
            )
        elif key in args:
            problem = error(codes.OPTIMIZER_ARGUMENT, f"argument '{key}' is given twice", kw.name.span)
        elif key == "learning_rate" and isinstance(value, ast.Call) and value.op.text not in SPACE_OPS:
            schedule = learning_rate_schedule(value, diags)
            ok = ok and schedule is not None
            args[key] = schedule
        else:
            try:
                args[key] = _optimizer_value(name, key, value)
            except BadValue as exc:
                message = f"{name}() argument '{key}': {exc.message}"
                problem = error(codes.OPTIMIZER_ARGUMENT, message, value.span)
        if problem is not None:
            diags.append(problem)
            ok = False
    clips = [k for k in CLIP_ARGS if k in args]
    if len(clips) > 1:
        diags.append(
            error(
                codes.OPTIMIZER_ARGUMENT,
                f"{name}() takes one of {', '.join(CLIP_ARGS)}, got " + " and ".join(clips),
                call.span,
                help=f"keep only one, e.g. {clips[0]}=...",
            )
        )
        ok = False
    return args if ok else None


def _optimizer_value(optimizer: str, key: str, atom):
    """An optimizer argument's value, within the range Keras accepts; BadValue if not."""
    if key in BOOL_OPTIMIZER_ARGS:
        return convert("bool", atom)
    value = convert("number", atom)
    problem = None
    limit = OPTIMIZER_LIMITS.get((optimizer, key)) or OPTIMIZER_LIMITS.get(("*", key))
    if key in INT_OPTIMIZER_ARGS and not isinstance(value, int):
        problem = f"expected an integer, got {value!r}"
    elif limit is not None:
        test, accepts = limit
        if not test(value):
            problem = f"must be {accepts}, got {value!r}"
    elif key in INT_OPTIMIZER_ARGS and value < 1:
        problem = f"expected a positive integer, got {value!r}"
    elif key in POSITIVE_OPTIMIZER_ARGS and value <= 0:
        problem = f"must be greater than 0, got {value!r}"
    elif value < 0:
        problem = f"must not be negative, got {value!r}"
    if problem is not None:
        raise BadValue(codes.OPTIMIZER_ARGUMENT, problem)
    return value if key in INT_OPTIMIZER_ARGS else float(value)


# `train` settings: name -> (kind, test, what the test accepts); defaults in core.TrainSettings
TRAIN_SETTINGS = {
    "epochs": ("int", lambda v: 1 <= v <= 100_000, "an integer from 1 to 100000"),
    "batch_size": ("int", lambda v: 1 <= v <= 1_000_000, "a positive integer"),
    "test_size": ("float", lambda v: 0 <= v < 1, "a fraction from 0 up to 1 (0: no test split)"),
    "validation_split": ("float", lambda v: 0 <= v < 1, "a fraction from 0 up to 1"),
    "seed": ("int", lambda v: 0 <= v < 2**32, "an integer from 0 to 2**32-1"),
    "class_weight": ("class_weight", None, "a weight per class, {label: 1.0, ...}, or balanced"),
    "callbacks": ("callbacks", None, "[early_stopping(patience=5), reduce_on_plateau(factor=0.1)]"),
    "sample_weight": ("sample_weight", None, "a column of the data, e.g. sample_weight=instance_weight"),
}


def check_train(g: nx.DiGraph) -> None:
    """The train line: defaults for `netdsl train`. Fills Network.train."""
    net = network(g)
    fit = net.train = TrainSettings()
    decl = net.train_decl
    if decl is None:
        return
    diags = net.diagnostics
    later = []  # settings that depend on the numbers (callbacks: validation_split)
    for kw in _settings(decl, "train", TRAIN_SETTINGS, codes.BAD_TRAIN_SETTING, diags):
        key = kw.name.text
        kind, test, accepts = TRAIN_SETTINGS[key]
        atom = ast.unwrap(kw.value)
        if kind in ("class_weight", "callbacks", "sample_weight"):
            later.append((kind, atom))
            continue
        try:
            value = convert("number", atom)
        except BadValue:
            value = None
        if value is not None and kind == "int":
            value = value if isinstance(value, int) else None
        if value is None or test is None or not test(value):
            diags.append(
                error(
                    codes.BAD_TRAIN_SETTING,
                    f"train setting '{key}' must be {accepts}, got {describe(atom)}",
                    atom.span,
                )
            )
            continue
        setattr(fit, key, float(value) if kind == "float" else value)
    for kind, atom in sorted(later, key=lambda pair: pair[0] == "sample_weight"):  # after class_weight
        check = {"class_weight": check_class_weight, "sample_weight": check_sample_weight}
        check.get(kind, check_callbacks)(atom, net, fit, diags)


def check_metric_labels(g: nx.DiGraph) -> None:
    """Each metric against its output's loss: a metric sees the labels the loss
    is given, so a sparse metric needs a sparse loss and the other way round
    (ND511); a classification metric on a regression says nothing (ND512)."""
    net = network(g)
    settings, decl = net.compile, net.compile_decl
    if settings is None or decl is None or settings.loss is None:
        return
    loss = settings.loss
    for kw in decl.settings:
        if kw.name.text != "metrics":
            continue
        value = ast.unwrap(kw.value)
        groups = (
            [(p.key.text, ast.unwrap(p.value)) for p in value.pairs if p.value is not None]
            if isinstance(value, ast.DictLit)
            else [(None, value)]
        )
        for output, atom in groups:
            items = [ast.unwrap(i) for i in atom.items] if isinstance(atom, ast.ListLit) else [atom]
            names = [output] if output else list(loss) if isinstance(loss, dict) else []
            given = [loss] if isinstance(loss, str) else [loss.get(o) for o in names]
            losses = sorted({lo for lo in given if lo is not None})
            for item in items:
                for problem in filter(None, (metric_problem(_metric_snake(item), lo) for lo in losses)):
                    severity, message, hint = problem
                    make = error if severity == "error" else warning
                    code = codes.METRIC_LABELS if severity == "error" else codes.CLASSIFICATION_METRIC
                    net.diagnostics.append(make(code, message, item.span, help=hint))
                    break


# The pipeline, in order. Each entry reads what the ones before it filled in.
CHECKS: tuple[Callable[[nx.DiGraph], None], ...] = (
    check_names,
    check_cycles,
    check_arguments,
    check_shapes,
    check_params,
    check_outputs,
    check_unused,
    check_compile,
    check_metric_labels,
    check_train,
)


def run_checks(g: nx.DiGraph) -> None:
    for check in CHECKS:
        check(g)
