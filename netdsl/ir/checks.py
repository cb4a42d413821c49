"""Checks: plain functions over the graph, run in a fixed order.

Each check reads the graph (and what earlier checks added to it) and appends
diagnostics to `graph.graph["diagnostics"]`; none stops the others, so a file's
problems are all reported together. The order is the pipeline, in one place:
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import networkx as nx

from ..lang import ast, codes
from ..lang.diagnostics import Note, did_you_mean, error, has_errors, warning
from .ops import ACTIVATIONS, MAX_PARAMS, MAX_WIDTH, OPS, Operand, ShapeError, is_finite_number
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
)


def check_names(g: nx.DiGraph) -> None:
    """Every operand names something defined."""
    diags = g.graph["diagnostics"]
    known = g.graph["definitions"]
    for _node, data in g.nodes(data=True):
        for src, span in zip(data["inputs"], data["input_spans"]):
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
    diags = g.graph["diagnostics"]
    cyclic = set()
    g.graph["cyclic"] = cyclic
    if _acyclic(g):
        return
    for component in nx.strongly_connected_components(g):
        if len(component) == 1:
            (node,) = component
            if not g.has_edge(node, node):
                continue
        cyclic |= component
        members = sorted(component, key=lambda n: g.nodes[n]["order"])
        first = members[0]
        named = [m for m in members if g.nodes[m]["binding"] == m] or members
        where = g.graph["definitions"].get(named[0], g.nodes[first]["span"])
        diags.append(
            error(
                codes.CYCLE,
                "cycle: " + " -> ".join(named + [named[0]]),
                where,
                help="a value cannot depend on itself; give one of them another input",
            )
        )
    g.graph["cyclic"] = cyclic


def _about(diags: list, start: int, node: str) -> None:
    """Mark the diagnostics added since `start` as being about `node`."""
    for i in range(start, len(diags)):
        diags[i] = dataclasses.replace(diags[i], node=node)


def check_arguments(g: nx.DiGraph) -> None:
    """Arity and arguments of every layer, against the registry. Sets node["args"]."""
    diags = g.graph["diagnostics"]
    for node, data in g.nodes(data=True):
        start = len(diags)
        _check_node_arguments(node, data, diags)
        _about(diags, start, node)


def _check_node_arguments(node: str, data: dict, diags: list) -> None:
    op = OPS.get(data["op"])
    if op is None:
        return
    if op.kind == "input":
        data["args"] = {}
        _check_input(data, diags)
        return
    if op.kind == "select":
        data["args"] = {"items": data["raw_args"]}
        return
    n = len(data["inputs"])
    if n < op.min_inputs or (op.max_inputs is not None and n > op.max_inputs):
        want = f"at least {op.min_inputs}" if op.max_inputs is None else str(op.min_inputs)
        diags.append(
            error(
                codes.ARITY,
                f"{op.name}() takes {want} operands, got {n}",
                data["span"],
                help=f"e.g. {op.name}(a, b)" if op.kind == "merge" else None,
            )
        )
        data["bad"] = True
    data["args"] = _bind_arguments(op, data, diags)


def _check_input(data: dict, diags: list) -> None:
    width = data.get("width")
    if width is None:
        return
    if width < 1:
        diags.append(
            error(
                codes.ARGUMENT_RANGE, f"an input's width must be at least 1, got {width}", data["width_span"]
            )
        )
        data["width"] = None
    elif width > MAX_WIDTH:
        diags.append(
            error(codes.LIMIT, f"input width {width} exceeds the limit of {MAX_WIDTH}", data["width_span"])
        )
        data["width"] = None


def _bind_arguments(op, data, diags) -> dict | None:
    """Positional and keyword arguments -> {param: value}; None if any is wrong."""
    values: dict = {}
    spans: dict = {}
    ok = True
    for i, expr in enumerate(data["raw_args"]):
        if i >= len(op.params):
            diags.append(
                error(
                    codes.TOO_MANY_ARGUMENTS,
                    f"{op.name}() takes at most {len(op.params)} positional "
                    f"argument(s), got {len(data['raw_args'])}",
                    expr.span,
                    help=_signature(op),
                )
            )
            return None
        p = op.params[i]
        values[p.name], spans[p.name] = expr, expr.span
    for kw in data["raw_kwargs"]:
        key = kw.name.text
        p = op.param(key)
        if p is None:
            diags.append(
                error(
                    codes.UNKNOWN_ARGUMENT,
                    f"{op.name}() has no argument '{key}'",
                    kw.name.span,
                    help=did_you_mean(key, [q.name for q in op.params]) or _signature(op),
                )
            )
            ok = False
            continue
        if key in values:
            diags.append(
                error(codes.DUPLICATE_ARGUMENT, f"argument '{key}' of {op.name}() is given twice", kw.span)
            )
            ok = False
            continue
        values[key], spans[key] = kw.value, kw.span
    args = {}
    for p in op.params:
        if p.name not in values:
            if p.required:
                diags.append(
                    error(
                        codes.MISSING_ARGUMENT,
                        f"{op.name}() needs the argument '{p.name}'",
                        data["span"],
                        help=_signature(op),
                    )
                )
                ok = False
            else:
                args[p.name] = p.default
            continue
        value, problem = _convert(p, values[p.name])
        if problem:
            code, message, hint, *where = problem
            diags.append(
                error(
                    code,
                    f"{op.name}() argument '{p.name}': {message}",
                    where[0] if where else ast.unwrap(values[p.name]).span,
                    help=hint,
                )
            )
            ok = False
        else:
            args[p.name] = value
    return args if ok else None


def _signature(op) -> str:
    parts = [p.name if p.required else f"{p.name}={_show_default(p.default)}" for p in op.params]
    return f"{op.name}({', '.join(parts)})"


def _show_default(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return "none" if v is None else str(v)


def _describe(atom) -> str:
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


def _convert(p, expr):
    """(value, None) or (None, (code, message, help))."""
    atom = ast.unwrap(expr)
    t = p.type
    if t == "int":
        if isinstance(atom, ast.Number) and isinstance(atom.value, int):
            value = atom.value
        else:
            return None, (
                codes.ARGUMENT_TYPE,
                f"expected an integer, got {_describe(atom)}",
                p.range_text or None,
            )
        if value > MAX_WIDTH:
            return None, (codes.LIMIT, f"{value} exceeds the limit of {MAX_WIDTH}", None)
    elif t == "float":
        if not isinstance(atom, ast.Number) or not is_finite_number(atom.value):
            return None, (
                codes.ARGUMENT_TYPE,
                f"expected a number, got {_describe(atom)}",
                p.range_text or None,
            )
        value = float(atom.value)
    elif t == "bool":
        if isinstance(atom, ast.Ref) and atom.name in ("true", "false"):
            value = atom.name == "true"
        else:
            return None, (codes.ARGUMENT_TYPE, f"expected true or false, got {_describe(atom)}", None)
    elif t == "activation":
        name = (
            atom.name if isinstance(atom, ast.Ref) else atom.value if isinstance(atom, ast.String) else None
        )
        if name is None:
            return None, (codes.ARGUMENT_TYPE, f"expected an activation name, got {_describe(atom)}", None)
        if name == "glu":
            return None, (
                codes.UNKNOWN_ACTIVATION,
                "the glu activation is not supported: it halves the width, and "
                "Keras's Dense builds the next layer for the full width",
                "use gelu or swish",
            )
        if name not in ACTIVATIONS:
            return None, (
                codes.UNKNOWN_ACTIVATION,
                f"unknown activation '{name}'",
                did_you_mean(name, ACTIVATIONS) or "known: " + ", ".join(ACTIVATIONS),
            )
        value = name
    elif t == "floats":
        if not isinstance(atom, ast.ListLit):
            return None, (codes.ARGUMENT_TYPE, f"expected a list of numbers, got {_describe(atom)}", None)
        value = []
        for item in atom.items:
            v = ast.unwrap(item)
            if not isinstance(v, ast.Number) or not is_finite_number(v.value):
                return None, (codes.ARGUMENT_TYPE, f"expected a list of numbers, found {_describe(v)}", None)
            if p.check is not None and not p.check(v.value):
                return None, (
                    codes.ARGUMENT_RANGE,
                    f"{v.value!r} is out of range",
                    f"{p.name} values must be {p.range_text}",
                    v.span,
                )
            value.append(float(v.value))
        return tuple(value), None
    else:  # pragma: no cover - the registry is ours
        raise AssertionError(f"unknown parameter type {t}")
    if p.check is not None and not p.check(value):
        return None, (
            codes.ARGUMENT_RANGE,
            f"{atom.value!r} is out of range",
            f"{p.name} must be {p.range_text}",
        )
    return value, None


def check_shapes(g: nx.DiGraph) -> None:
    """Infer every node's shape in topological order; a node whose inputs are
    unknown stays unknown without a diagnostic of its own (no cascades)."""
    diags = g.graph["diagnostics"]
    cyclic = g.graph.get("cyclic", set())
    nodes = g._node
    for node in _topological(g, cyclic):
        data = g.nodes[node]
        data["shape"] = None
        data.setdefault("features", None)
        op = OPS.get(data["op"])
        if op is None or data.get("args") is None or data.get("bad"):
            continue
        if op.kind == "input":
            if data["width"] is not None:
                data["shape"] = (data["width"],)
            continue
        operands = []
        for src, span in zip(data["inputs"], data["input_spans"]):
            s = nodes.get(src)
            if s is None or s.get("shape") is None:
                break
            operands.append(
                Operand(
                    src, s["shape"], s.get("features"), s["span"] if op.kind == "merge" else span, s["op"]
                )
            )
        else:
            try:
                data["shape"] = op.shape(operands, data["args"])
                data["features"] = op.features(operands, data["args"])
                data["operands"] = operands
            except ShapeError as exc:
                span = exc.span or data["span"]
                notes = [Note(msg, where) for msg, where in exc.notes]
                diags.append(
                    dataclasses.replace(
                        error(exc.code, exc.message, span, help=exc.help, notes=notes), node=node
                    )
                )


def _topological(g: nx.DiGraph, cyclic: set):
    """Nodes in dependency order, ties broken by source order; cycles left out.

    Nodes are created in source order, which already is a dependency order
    unless a name is used before the line that defines it: then (only) sort.
    """
    nodes = [n for n in g if n not in cyclic] if cyclic else list(g)
    seen: set = set()
    pred = g._pred
    for n in nodes:
        if any(p not in seen for p in pred[n] if p not in cyclic):
            break
        seen.add(n)
    else:
        return nodes
    sub = g.subgraph(nodes) if cyclic else g
    order = nx.get_node_attributes(sub, "order")
    return nx.lexicographical_topological_sort(sub, key=order.__getitem__)


def check_params(g: nx.DiGraph) -> None:
    """Parameter counts, statically; equal to Keras's count_params()."""
    trainable = non_trainable = 0
    for _node, data in g.nodes(data=True):
        if data.get("shape") is None:
            data["params"] = None
            continue
        op = OPS[data["op"]]
        t, nt = op.count(data.get("operands", []), data["shape"], data["args"])
        data["params"] = (t, nt)
        trainable += t
        non_trainable += nt
    g.graph["params"] = {
        "total": trainable + non_trainable,
        "trainable": trainable,
        "non_trainable": non_trainable,
    }
    if trainable + non_trainable > MAX_PARAMS:
        sized = [(sum(d["params"]), -d["order"], d["span"]) for _, d in g.nodes(data=True) if d["params"]]
        span = max(sized)[2] if sized else None
        g.graph["diagnostics"].append(
            error(
                codes.LIMIT,
                f"the model has {trainable + non_trainable:,} parameters, over the limit of {MAX_PARAMS:,}",
                span,
                help="use fewer or narrower layers",
            )
        )


def check_outputs(g: nx.DiGraph) -> None:
    if not g.graph["outputs"] and not g.graph.get("output_statements"):
        source = g.graph["source"]
        if not g.number_of_nodes():
            if g.graph.get("blocks"):
                return  # a library of blocks, for other specs to import
            g.graph["diagnostics"].append(
                error(
                    codes.NO_OUTPUT,
                    "the spec defines no network",
                    source.end_span(),
                    help="declare an input and an output, e.g. `input x: 4` and `output y = x -> dense(1)`",
                )
            )
            return
        last = max(
            (d for n, d in g.nodes(data=True) if d["binding"] == n), key=lambda d: d["order"], default=None
        )
        hint = "mark the result with 'output', e.g. output y = x -> dense(1)"
        if last is not None and last["op"] != "input":
            hint = f"mark the result as an output: add the line 'output {last['binding']}'"
        g.graph["diagnostics"].append(
            error(codes.NO_OUTPUT, "the network has no output", source.end_span(), help=hint)
        )


def check_unused(g: nx.DiGraph) -> None:
    """Inputs and named values that no output depends on (warnings).

    Skipped when the spec already has errors: the broken line may be the one
    that would have used them.
    """
    diags = g.graph["diagnostics"]
    if has_errors(diags):
        return
    for node, data in g.nodes(data=True):
        if data["output"] or g.out_degree(node) or data["binding"] != node:
            continue
        kind = "input" if data["op"] == "input" else "value"
        span = data["op_span"] if kind == "input" else data["span"]
        diags.append(
            warning(
                codes.UNUSED_VALUE,
                f"{kind} '{node}' is never used",
                span,
                help=f"use it, mark it with 'output {node}', or remove it",
            )
        )


def check_compile(g: nx.DiGraph) -> None:
    """The compile line: loss, optimizer, metrics. Sets graph["training"]."""
    decl = g.graph["compile"]
    g.graph["training"] = None
    if decl is None:
        return
    diags = g.graph["diagnostics"]
    outputs = g.graph["outputs"]
    training: dict = {"loss": None, "optimizer": None, "metrics": None}
    seen: dict = {}
    for kw in _settings(decl, "compile", training, codes.BAD_COMPILE_SETTING, diags):
        key = kw.name.text
        seen[key] = kw.span
        if key == "loss":
            training["loss"] = _per_output(kw.value, outputs, diags, _one_loss)
        elif key == "metrics":
            training["metrics"] = _per_output(kw.value, outputs, diags, _metric_list)
        else:
            training["optimizer"] = _optimizer(kw.value, diags)
    if isinstance(training["loss"], dict) and not any(d.code == codes.UNKNOWN_OUTPUT_SETTING for d in diags):
        for out in outputs:
            if out not in training["loss"]:
                diags.append(
                    error(
                        codes.OUTPUT_WITHOUT_LOSS,
                        f"output '{out}' has no loss",
                        seen["loss"],
                        help=f"add '{out}: <loss>' to the loss dictionary",
                    )
                )
    g.graph["training"] = training


def _settings(decl, word: str, known, code: str, diags: list):
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


def _name_of(atom) -> str | None:
    if isinstance(atom, ast.Ref):
        return atom.name
    if isinstance(atom, ast.String):
        return atom.value
    return None


def _one_loss(atom, diags):
    name = _name_of(atom)
    if name is None:
        diags.append(
            error(
                codes.UNKNOWN_LOSS,
                f"a loss is a name, got {_describe(atom)}",
                atom.span,
                help="e.g. loss=categorical_crossentropy",
            )
        )
    elif name not in LOSSES:
        diags.append(
            error(
                codes.UNKNOWN_LOSS,
                f"unknown loss '{name}'",
                atom.span,
                help=did_you_mean(name, LOSSES) or "known: " + ", ".join(LOSSES),
            )
        )
    else:
        return name
    return None


def _metric_list(atom, diags):
    items = [ast.unwrap(i) for i in atom.items] if isinstance(atom, ast.ListLit) else [atom]
    names = []
    for item in items:
        name = _name_of(item)
        if name is None:
            diags.append(
                error(
                    codes.UNKNOWN_METRIC,
                    f"a metric is a name, got {_describe(item)}",
                    item.span,
                    help="e.g. metrics=[accuracy]",
                )
            )
        elif name not in METRICS:
            hint = (
                f"did you mean '{METRIC_ALIASES[name]}'?"
                if name in METRIC_ALIASES
                else did_you_mean(name, METRICS) or "known: " + ", ".join(METRICS)
            )
            diags.append(error(codes.UNKNOWN_METRIC, f"unknown metric '{name}'", item.span, help=hint))
        else:
            names.append(name)
    return names


def _optimizer(expr, diags):
    atom = ast.unwrap(expr)
    if isinstance(atom, (ast.Ref, ast.String)):
        name, name_span, call = _name_of(atom), atom.span, None
    elif isinstance(atom, ast.Call):
        name, name_span, call = atom.op.text, atom.op.span, atom
    else:
        diags.append(
            error(
                codes.UNKNOWN_OPTIMIZER,
                f"an optimizer is a name or a call, got {_describe(atom)}",
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
    allowed = OPTIMIZERS[name][1]
    args = {}
    ok = True
    if call is not None:
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
            if key not in allowed:
                hint = (
                    "Keras 3 calls it learning_rate"
                    if key == "lr"
                    else did_you_mean(key, allowed) or "it takes: " + ", ".join(allowed)
                )
                diags.append(
                    error(
                        codes.OPTIMIZER_ARGUMENT,
                        f"optimizer {name} has no argument '{key}'",
                        kw.name.span,
                        help=hint,
                    )
                )
                ok = False
            elif key in args:
                diags.append(
                    error(codes.OPTIMIZER_ARGUMENT, f"argument '{key}' is given twice", kw.name.span)
                )
                ok = False
            else:
                converted = _optimizer_value(name, key, value)
                if isinstance(converted, str):
                    diags.append(
                        error(codes.OPTIMIZER_ARGUMENT, f"{name}() argument '{key}': {converted}", value.span)
                    )
                    ok = False
                else:
                    args[key] = converted[0]
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
    return {"name": name, "args": args} if ok else None


def _optimizer_value(optimizer: str, key: str, atom):
    """(value,) or a problem message."""
    if key in BOOL_OPTIMIZER_ARGS:
        if isinstance(atom, ast.Ref) and atom.name in ("true", "false"):
            return (atom.name == "true",)
        return f"expected true or false, got {_describe(atom)}"
    if not isinstance(atom, ast.Number) or not is_finite_number(atom.value):
        return f"expected a number, got {_describe(atom)}"
    value = atom.value
    if key in INT_OPTIMIZER_ARGS and not isinstance(value, int):
        return f"expected an integer, got {value!r}"
    limit = OPTIMIZER_LIMITS.get((optimizer, key)) or OPTIMIZER_LIMITS.get(("*", key))
    if limit is not None:
        test, accepts = limit
        if not test(value):
            return f"must be {accepts}, got {value!r}"
    elif key in INT_OPTIMIZER_ARGS and value < 1:
        return f"expected a positive integer, got {value!r}"
    elif key in POSITIVE_OPTIMIZER_ARGS and value <= 0:
        return f"must be greater than 0, got {value!r}"
    elif value < 0:
        return f"must not be negative, got {value!r}"
    return (value if key in INT_OPTIMIZER_ARGS else float(value),)


# `train` settings: name -> (kind, test, what the test accepts, default)
TRAIN_SETTINGS = {
    "epochs": ("int", lambda v: 1 <= v <= 100_000, "an integer from 1 to 100000", 100),
    "batch_size": ("int", lambda v: 1 <= v <= 1_000_000, "a positive integer", 32),
    "test_size": ("float", lambda v: 0 < v < 1, "a fraction between 0 and 1", 0.2),
    "validation_split": ("float", lambda v: 0 <= v < 1, "a fraction from 0 up to 1", 0.1),
    "seed": ("int", lambda v: 0 <= v < 2**32, "an integer from 0 to 2**32-1", None),
}


def check_train(g: nx.DiGraph) -> None:
    """The train line: defaults for `netdsl train`. Sets graph["fit"]."""
    fit = {k: spec[3] for k, spec in TRAIN_SETTINGS.items()}
    g.graph["fit"] = fit
    decl = g.graph.get("train_decl")
    if decl is None:
        return
    diags = g.graph["diagnostics"]
    for kw in _settings(decl, "train", TRAIN_SETTINGS, codes.BAD_TRAIN_SETTING, diags):
        key = kw.name.text
        kind, test, accepts, _ = TRAIN_SETTINGS[key]
        atom = ast.unwrap(kw.value)
        value = atom.value if isinstance(atom, ast.Number) and is_finite_number(atom.value) else None
        if value is not None and kind == "int":
            value = value if isinstance(value, int) else None
        if value is None or not test(value):
            diags.append(
                error(
                    codes.BAD_TRAIN_SETTING,
                    f"train setting '{key}' must be {accepts}, got {_describe(atom)}",
                    atom.span,
                )
            )
            continue
        fit[key] = float(value) if kind == "float" else value


# The pipeline, in order. Each entry reads what the ones before it added.
CHECKS: tuple[Callable[[nx.DiGraph], None], ...] = (
    check_names,
    check_cycles,
    check_arguments,
    check_shapes,
    check_params,
    check_outputs,
    check_unused,
    check_compile,
    check_train,
)


def run_checks(g: nx.DiGraph) -> None:
    for check in CHECKS:
        check(g)
