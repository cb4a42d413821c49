"""Syntax tree -> networkx graph, the one IR every later stage reads.

Each node is one layer (or input, merge, selection). Node ids are names: the
last layer of a statement takes the statement's name (`sepal_h`), the layers
before it `<name>_<op>_<k>` (`sepal_h_dense_1`), so names are deterministic and
a user finds their own names in Keras's summary and in the diagram.

Node attributes:
  op         registry op name (None when the op is unknown)
  span       where the layer is written; op_span: its op's name
  binding    the statement's name it belongs to
  inputs     ordered operand node ids (may name undefined values; see checks)
  input_spans  where each operand is written
  raw_args / raw_kwargs   argument expressions, validated by checks.check_arguments
  order      creation order (ties in topological order are broken by it)
  output     True for declared outputs
Later stages add: args, shape, features, params.

Graph attributes: name, source, outputs, inputs, definitions, compile, train_decl, diagnostics.
Building never fails: problems become diagnostics and the checks go on.
"""

from __future__ import annotations

import networkx as nx

from . import ast
from .diagnostics import Note, did_you_mean, error
from .ops import ACTIVATIONS, MAX_NODES, OPS, layer_ops
from .source import Source, Span

# Nested groups `((x))` are lowered recursively; deeper than this is refused.
MAX_NESTING = 100


class _TooLarge(Exception):
    pass


class _Builder:
    def __init__(self, graph: nx.DiGraph, taken: set[str]):
        self.g = graph
        self.taken = taken                      # every name in use, user or generated
        self.counters: dict[tuple[str, str], int] = {}
        self.diags = graph.graph["diagnostics"]
        self.depth = 0

    # ---- nodes -----------------------------------------------------------
    def fresh(self, binding: str, op: str) -> str:
        key = (binding, op)
        k = self.counters.get(key, 0)
        while True:
            k += 1
            name = f"{binding}_{op}_{k}"
            if name not in self.taken:
                break
        self.counters[key] = k
        self.taken.add(name)
        return name

    def add(self, node_id: str, op: str | None, span: Span, binding: str, inputs=(),
            input_spans=(), raw_args=(), raw_kwargs=(), op_span: Span | None = None) -> str:
        g = self.g
        if g.number_of_nodes() >= MAX_NODES:
            raise _TooLarge(span)
        g.add_node(node_id, op=op, span=span, op_span=op_span or span, binding=binding,
                   inputs=list(inputs), input_spans=list(input_spans), raw_args=tuple(raw_args),
                   raw_kwargs=tuple(raw_kwargs), order=g.number_of_nodes(), output=False)
        return node_id

    # ---- expressions -----------------------------------------------------
    def lower_value(self, chain: ast.Chain, binding: str, final: str | None) -> tuple[str | None, Span]:
        """Lower a chain that produces a value; returns (node id or None, span)."""
        steps = chain.steps
        head = steps[0]
        only = len(steps) == 1 and head.repeat is None
        if head.repeat is not None:
            self.diags.append(error(
                "ND210", "'* n' repeats a layer of a chain, not its first value", head.repeat.span,
                help="write the repetition after '->', e.g. x -> dense(8, relu) * 3"))
        cur = self.lower_head(head.expr, binding, final if only else None)
        cur_span = head.expr.span
        if cur is None:
            return None, cur_span
        if only and final is not None and cur != final:
            # `y = x`: a named alias becomes an identity layer called y.
            return self.add(final, "identity", chain.span, binding, [cur], [cur_span]), chain.span
        rest = steps[1:]
        for i, step in enumerate(rest):
            last = final if i == len(rest) - 1 else None
            cur = self.lower_step(step, cur, cur_span, binding, last)
            if cur is None:
                return None, chain.span
            cur_span = step.span
        return cur, chain.span

    def lower_head(self, atom, binding: str, final: str | None) -> str | None:
        if isinstance(atom, ast.Ref):
            return atom.name
        if isinstance(atom, ast.Select):
            node = final or self.fresh(binding, "select")
            return self.add(node, "select", atom.span, binding, [atom.source.text],
                            [atom.source.span], raw_args=atom.items)
        if isinstance(atom, ast.Chain):
            return self.nested(atom, binding, final)
        if isinstance(atom, ast.Call):
            op = OPS.get(atom.op.text)
            if op is None:
                self.unknown_op(atom.op)
                return None
            if op.kind == "merge":
                return self.merge(atom, op.name, binding, final, [], [])
            self.diags.append(error(
                "ND202", f"{atom.op.text}() needs an input to apply to", atom.span,
                help=f"feed it a value with '->', e.g. x -> {atom.op.text}(...)"))
            return None
        self.not_a_value(atom)
        return None

    def nested(self, chain: ast.Chain, binding: str, final: str | None) -> str | None:
        self.depth += 1
        try:
            if self.depth > MAX_NESTING:
                self.diags.append(error("ND901", f"expressions nested more than {MAX_NESTING} deep",
                                        chain.span, help="name the inner parts in statements of their own"))
                return None
            return self.lower_value(chain, binding, final)[0]
        finally:
            self.depth -= 1

    def lower_step(self, step: ast.Step, cur: str, cur_span: Span, binding: str,
                   final: str | None) -> str | None:
        times = 1
        if step.repeat is not None:
            times = step.repeat.value
            if times < 1:
                self.diags.append(error("ND210", f"a layer cannot be repeated {times} times",
                                        step.repeat.span, help="use a count of 1 or more"))
                return None
            if times > MAX_NODES:
                self.diags.append(error("ND901", f"repetition count {times} exceeds the limit of "
                                        f"{MAX_NODES} layers", step.repeat.span))
                return None
        for k in range(times):
            last = final if k == times - 1 else None
            cur = self.apply(step.expr, cur, cur_span, binding, last)
            if cur is None:
                return None
            cur_span = step.expr.span
        return cur

    def apply(self, atom, cur: str, cur_span: Span, binding: str, final: str | None) -> str | None:
        """Apply one step (`-> dense(4)`, `-> standardize`, `-> (a -> b)`) to `cur`."""
        if isinstance(atom, ast.Ref):
            if atom.name in OPS and OPS[atom.name].kind in ("layer", "merge"):
                atom = ast.Call(ast.Name(atom.name, atom.span), (), (), atom.span)
            elif atom.name in self.g.graph["definitions"]:
                self.diags.append(error(
                    "ND211", f"'{atom.name}' is a value, not a layer: it cannot follow '->'",
                    atom.span, help=f"to combine values use concat(..., {atom.name}) or add(..., {atom.name})"))
                return None
            else:
                self.unknown_op(ast.Name(atom.name, atom.span))
                return None
        if isinstance(atom, ast.Chain):
            self.depth += 1
            try:
                if self.depth > MAX_NESTING:
                    self.diags.append(error("ND901", f"chains nested more than {MAX_NESTING} deep", atom.span))
                    return None
                for i, step in enumerate(atom.steps):
                    last = final if i == len(atom.steps) - 1 else None
                    cur = self.lower_step(step, cur, cur_span, binding, last)
                    if cur is None:
                        return None
                    cur_span = step.span
                return cur
            finally:
                self.depth -= 1
        if not isinstance(atom, ast.Call):
            self.not_a_value(atom, after_arrow=True)
            return None
        op = OPS.get(atom.op.text)
        if op is None or op.kind not in ("layer", "merge"):
            self.unknown_op(atom.op)
            return None
        if op.kind == "merge":
            return self.merge(atom, op.name, binding, final, [cur], [cur_span])
        node = final or self.fresh(binding, op.name)
        return self.add(node, op.name, atom.span, binding, [cur], [cur_span],
                        atom.args, atom.kwargs, op_span=atom.op.span)

    def merge(self, call: ast.Call, op: str, binding: str, final: str | None,
              inputs: list[str], spans: list[Span]) -> str | None:
        inputs, spans = list(inputs), list(spans)
        ok = True
        for arg in call.args:
            node, span = self.lower_operand(arg, binding)
            ok = ok and node is not None
            inputs.append(node)
            spans.append(span)
        if not ok:
            return None
        node = final or self.fresh(binding, op)
        return self.add(node, op, call.span, binding, inputs, spans, (), call.kwargs,
                        op_span=call.op.span)

    def lower_operand(self, chain: ast.Chain, binding: str) -> tuple[str | None, Span]:
        self.depth += 1
        try:
            if self.depth > MAX_NESTING:
                self.diags.append(error("ND901", f"expressions nested more than {MAX_NESTING} deep",
                                        chain.span))
                return None, chain.span
            return self.lower_value(chain, binding, None)
        finally:
            self.depth -= 1

    # ---- errors ----------------------------------------------------------
    def unknown_op(self, name: ast.Name) -> None:
        if name.text in ACTIVATIONS:
            hint = f"'{name.text}' is an activation, not a layer: give it to a layer, e.g. dense(4, {name.text})"
        else:
            hint = did_you_mean(name.text, layer_ops()) or "known layers: " + ", ".join(layer_ops())
        self.diags.append(error("ND201", f"unknown layer '{name.text}'", name.span, help=hint))

    def not_a_value(self, atom, after_arrow: bool = False) -> None:
        what = {ast.Number: "a number", ast.String: "a string", ast.ListLit: "a list",
                ast.DictLit: "a dictionary", ast.Select: "a selection"}.get(type(atom), "this")
        where = "after '->'" if after_arrow else "here"
        if isinstance(atom, ast.Select):
            s = atom.span
            written = self.g.graph["source"].line_text(s.line)[s.column - 1:s.end_column - 1] \
                if s.line == s.end_line else f"{atom.source.text}[...]"
            hint = f"a selection starts a chain: {written} -> dense(4)"
        else:
            hint = "arguments go inside a call, e.g. dense(4)"
        self.diags.append(error("ND211", f"{what} cannot stand {where}: a layer or a name is expected",
                                atom.span, help=hint))


def build_graph(program: ast.Program, source: Source) -> nx.DiGraph:
    g = nx.DiGraph()
    g.graph.update(name=None, source=source, outputs=[], inputs=[], definitions={},
                   compile=None, train_decl=None, diagnostics=[])
    diags = g.graph["diagnostics"]
    definitions: dict[str, Span] = g.graph["definitions"]
    network_span = None

    # Pass 1: every defined name, so that names may be used before the line
    # that defines them, and generated names never collide with them.
    skip = set()
    for st in program.statements:
        if isinstance(st, (ast.InputDecl, ast.Assign)):
            name = st.name
            if name.text in definitions:
                first = definitions[name.text]
                diags.append(error("ND102", f"'{name.text}' is defined twice", name.span,
                                   help="rename one of them",
                                   notes=[Note(f"'{name.text}' was first defined here", first)]))
                skip.add(id(st))
            else:
                definitions[name.text] = name.span

    b = _Builder(g, set(definitions))
    outputs: list[tuple[str, Span]] = []
    try:
        for st in program.statements:
            if id(st) in skip:
                continue
            if isinstance(st, ast.NetworkDecl):
                if network_span is not None:
                    diags.append(error("ND106", "a spec names its network once", st.span,
                                       notes=[Note("first named here", network_span)]))
                else:
                    g.graph["name"], network_span = st.name.text, st.span
            elif isinstance(st, ast.InputDecl):
                _lower_input(b, st)
            elif isinstance(st, ast.Assign):
                node, _ = b.lower_value(st.expr, st.name.text, st.name.text)
                if node is None:
                    # Already reported; a placeholder keeps uses of the name from
                    # cascading into "not defined" errors.
                    b.add(st.name.text, None, st.expr.span, st.name.text)
                elif node != st.name.text:
                    b.add(st.name.text, "identity", st.expr.span, st.name.text, [node], [st.expr.span])
                if st.is_output:
                    outputs.append((st.name.text, st.name.span))
            elif isinstance(st, ast.OutputDecl):
                outputs.append((st.name.text, st.name.span))
            elif isinstance(st, (ast.CompileDecl, ast.TrainDecl)):
                key, word = ("compile", "compile") if isinstance(st, ast.CompileDecl) else ("train_decl", "train")
                if g.graph[key] is not None:
                    diags.append(error("ND508", f"a spec has one {word} line", st.span,
                                       help=f"merge the settings into the first {word} line",
                                       notes=[Note(f"first {word} line", g.graph[key].span)]))
                else:
                    g.graph[key] = st
    except _TooLarge as exc:
        diags.append(error("ND901", f"the spec has more than {MAX_NODES} layers", exc.args[0]))
        return g

    if g.graph["name"] is None:
        stem = source.name.replace("\\", "/").rsplit("/", 1)[-1]
        stem = stem[:-4] if stem.endswith(".net") else stem
        g.graph["name"] = stem if stem and not stem.startswith("<") else "network"

    g.graph["output_statements"] = len(outputs)
    seen = set()
    for name, span in outputs:
        if name in seen:
            diags.append(error("ND102", f"'{name}' is declared an output twice", span))
            continue
        seen.add(name)
        if name not in g:
            diags.append(error("ND101", f"output '{name}' is not defined", span,
                               help=did_you_mean(name, definitions)))
            continue
        g.nodes[name]["output"] = True
        g.graph["outputs"].append(name)

    for node, data in g.nodes(data=True):
        for src in data["inputs"]:
            if src in g:
                g.add_edge(src, node)
    return g


def _lower_input(b: _Builder, st: ast.InputDecl) -> None:
    spec = ast.unwrap(st.spec)
    name = st.name.text
    width, features = None, None
    if isinstance(spec, ast.Number) and isinstance(spec.value, int):
        width = spec.value
    elif isinstance(spec, ast.ListLit):
        features = []
        for item in spec.items:
            value = ast.unwrap(item)
            if isinstance(value, (ast.Ref, ast.String)):
                label = value.name if isinstance(value, ast.Ref) else value.value
                if label in features:
                    b.diags.append(error("ND404", f"feature '{label}' is listed twice in input '{name}'",
                                         value.span, help="remove the repeated feature"))
                features.append(label)
            else:
                b.diags.append(error("ND107", "a feature is written as a name or a quoted string",
                                     item.span, help=f"e.g. input {name}: [sepal_length, \"petal width\"]"))
                features = None
                break
        if features is not None:
            width = len(features)
            features = tuple(features)
    else:
        b.diags.append(error("ND107", f"input '{name}' needs a width or a list of features",
                             st.spec.span, help=f"e.g. input {name}: 4, or input {name}: [a, b, c, d]"))
    b.add(name, "input", st.span, name, op_span=st.name.span)
    attrs = b.g.nodes[name]
    attrs["width"], attrs["features"] = width, features
    attrs["width_span"] = st.spec.span
    b.g.graph["inputs"].append(name)
