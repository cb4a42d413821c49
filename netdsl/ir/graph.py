"""Syntax tree -> networkx graph, the one IR every later stage reads.

Each node is one layer (or input, merge, selection). Node ids are names: the
last layer of a statement takes the statement's name (`sepal_h`), the layers
before it `<name>_<op>_<k>` (`sepal_h_dense_1`), the layers of a block's use
`<name>.<block>_<k>.<local>` (`h.residual_1.h`: Keras forbids '/'). Names are
deterministic, and every name a spec binds is a node (an identity layer where
it names a block's output), so a user finds each of their names in Keras's
summary, in `model.get_layer` and in the diagram.

This is the builder stage: it fills the builder's fields of each Node and of
the Network (see ir/core.py); the checks fill the rest. Building never fails:
problems become diagnostics and the checks go on.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import networkx as nx

from ..lang import ast, codes
from ..lang.diagnostics import Diagnostic, Note, did_you_mean, error
from ..lang.source import Source, Span
from . import compute
from .core import (
    FLOAT,
    NETWORK,
    NODE,
    VECTOR_TYPES,
    BlockUse,
    Field,
    InputSpec,
    Network,
    Node,
    SharedLayer,
    new_graph,
)
from .ops import ACTIVATIONS, MAX_NODES, MAX_RANK, OPS, layer_ops
from .records import field_of, item_text
from .values import BadValue, convert

# Nested groups `((x))` are lowered recursively; deeper than this is refused.
MAX_NESTING = 100
# A block using a block using a block ... is expanded recursively too (about ten
# Python frames a level): deeper than this is a diagnostic, not a RecursionError.
MAX_BLOCK_DEPTH = 64  # as deep as imports may nest: a chain of imported blocks may use each other


class _TooLarge(Exception):
    pass


class _Builder:
    def __init__(self, graph: nx.DiGraph, net: Network, blocks: dict[str, ast.BlockDecl]):
        self.g = graph
        self.net = net
        self.taken = set(net.definitions)  # every name in use, user or generated
        self.counters: dict[tuple[str, str], int] = {}
        self.diags = net.diagnostics
        self.depth = 0
        self.layers = 0  # nodes that are layers (not inputs), for MAX_NODES
        self.blocks = blocks  # name -> declaration (local or imported)
        self.scope: dict[str, str] | None = None  # inside a block: local name -> node id
        self.expanding: list[str] = []  # blocks being expanded, outermost first
        self.uses: tuple[BlockUse, ...] = ()  # each enclosing block use
        self.last_outputs: list[str] = []  # every output of the last block expanded
        self.namespaces: dict[int, dict] = {}  # id(imported block) -> names of its own file
        self.block_prefixes: set[str] = set()  # `h.residual_1`: layers of its return go under it
        self.multi_ok = False  # a block with several outputs may end this chain
        self.bad_layers: set[str] = set()  # `layer NAME = ...` declarations already reported as wrong

    # ---- nodes -----------------------------------------------------------
    def fresh(self, binding: str, op: str) -> str:
        key = (binding, op)
        k = self.counters.get(key, 0)
        # `h_dense_1` in a named chain; `h.residual_1.dense_1` in a block's return
        sep = "." if binding in self.block_prefixes else "_"
        while True:
            k += 1
            name = f"{binding}{sep}{op}_{k}"
            if name not in self.taken:
                break
        self.counters[key] = k
        self.taken.add(name)
        return name

    def add(
        self,
        node_id: str,
        op: str | None,
        span: Span,
        binding: str,
        inputs=(),
        input_spans=(),
        raw_args=(),
        raw_kwargs=(),
        op_span: Span | None = None,
    ) -> str:
        g = self.g
        order = g.number_of_nodes()
        if op != "input":  # inputs are not layers: the limit counts layers
            if self.layers >= MAX_NODES:
                raise _TooLarge(span)
            self.layers += 1
        payload = Node(
            node_id,
            op,
            span,
            op_span or span,
            binding,
            order,
            list(inputs),
            list(input_spans),
            tuple(raw_args),
            tuple(raw_kwargs),
            self.uses,
        )
        g.add_node(node_id, **{NODE: payload})
        return node_id

    def resolve(self, name: str, span: Span) -> str | None:
        """A name as written -> the node id it means (inside a block: its locals)."""
        if self.scope is None:
            return name
        if name in self.scope:
            return self.scope[name]
        block = self.expanding[-1]
        known = list(self.scope)
        self.diags.append(
            error(
                codes.UNDEFINED_NAME,
                f"'{name}' is not defined in block '{block}'",
                span,
                help=did_you_mean(name, known)
                or "a block sees only its inputs, its parameters and its own names: " + ", ".join(known),
            )
        )
        return None

    @contextlib.contextmanager
    def deeper(self, what: str, span: Span, help: str | None = None) -> Iterator[bool]:
        """One level of nesting down; yields False (reported) past MAX_NESTING."""
        self.depth += 1
        try:
            if self.depth > MAX_NESTING:
                self.diags.append(
                    error(codes.LIMIT, f"{what} nested more than {MAX_NESTING} deep", span, help=help)
                )
                yield False
            else:
                yield True
        finally:
            self.depth -= 1

    # ---- expressions -----------------------------------------------------
    def lower_value(
        self, chain: ast.Chain, binding: str, final: str | None, multi: bool = False
    ) -> tuple[str | None, Span]:
        """Lower a chain that produces a value; returns (node id or None, span).
        With `multi`, its last step may be a block with several outputs."""
        steps = chain.steps
        head = steps[0]
        only = len(steps) == 1 and head.repeat is None
        if head.repeat is not None:
            self.diags.append(
                error(
                    codes.BAD_REPEAT,
                    "'* n' repeats a layer of a chain, not its first value",
                    head.repeat.span,
                    help="write the repetition after '->', e.g. x -> dense(8, relu) * 3",
                )
            )
        self.multi_ok = multi and only
        cur = self.lower_head(head.expr, binding, final if only else None)
        self.multi_ok = False
        cur_span = head.expr.span
        if cur is None:
            return None, cur_span
        if only and final is not None and cur != final:
            # `y = x`: a named alias becomes an identity layer called y.
            return self.add(final, "identity", chain.span, binding, [cur], [cur_span]), chain.span
        rest = steps[1:]
        for i, step in enumerate(rest):
            last = final if i == len(rest) - 1 else None
            self.multi_ok = multi and i == len(rest) - 1
            cur = self.lower_step(step, cur, cur_span, binding, last)
            self.multi_ok = False
            if cur is None:
                return None, chain.span
            cur_span = step.span
        return cur, chain.span

    def lower_head(self, atom, binding: str, final: str | None) -> str | None:
        if isinstance(atom, ast.Ref) and self.is_shared(atom.name):
            self.diags.append(
                error(
                    codes.NOT_A_LAYER,
                    f"'{atom.name}' is a shared layer, not a value: it is applied after '->'",
                    atom.span,
                    help=f"apply it to a value, e.g. x -> {atom.name}",
                )
            )
            return None
        if isinstance(atom, ast.Ref):
            return self.resolve(atom.name, atom.span)
        if isinstance(atom, ast.Select):
            src = self.resolve(atom.source.text, atom.source.span)
            if src is None:
                return None
            node = final or self.fresh(binding, "select")
            return self.add(
                node, "select", atom.span, binding, [src], [atom.source.span], raw_args=atom.items
            )
        if isinstance(atom, ast.Chain):
            with self.deeper(
                "expressions", atom.span, help="name the inner parts in statements of their own"
            ) as ok:
                return self.lower_value(atom, binding, final)[0] if ok else None
        if isinstance(atom, ast.Call):
            if atom.op.text in self.blocks:
                return self.expand(atom, binding, final, None, None)
            op = OPS.get(atom.op.text)
            if op is None:
                self.unknown_op(atom.op)
                return None
            if op.kind == "merge":
                return self.merge(atom, op.name, binding, final, [], [])
            self.diags.append(
                error(
                    codes.ARITY,
                    f"{atom.op.text}() needs an input to apply to",
                    atom.span,
                    help=f"feed it a value with '->', e.g. x -> {atom.op.text}(...)",
                )
            )
            return None
        self.not_a_value(atom)
        return None

    def lower_step(
        self, step: ast.Step, cur: str, cur_span: Span, binding: str, final: str | None
    ) -> str | None:
        times = 1
        if step.repeat is not None:
            try:
                times = convert("int", step.repeat)
            except BadValue as exc:  # `* choice(1, 2)` outside check/tune, `* 2.5`, ...
                self.diags.append(
                    error(exc.code, f"a repeat count: {exc.message}", step.repeat.span, exc.help)
                )
                return None
            if times < 1:
                self.diags.append(
                    error(
                        codes.BAD_REPEAT,
                        f"a layer cannot be repeated {times} times",
                        step.repeat.span,
                        help="use a count of 1 or more",
                    )
                )
                return None
            if times > MAX_NODES:
                self.diags.append(
                    error(
                        codes.LIMIT,
                        f"repetition count {times} exceeds the limit of {MAX_NODES} layers",
                        step.repeat.span,
                    )
                )
                return None
        for k in range(times):
            last = final if k == times - 1 else None
            result = self.apply(step.expr, cur, cur_span, binding, last)
            if result is None:
                return None
            cur, cur_span = result, step.expr.span
        return cur

    def apply(self, atom, cur: str, cur_span: Span, binding: str, final: str | None) -> str | None:
        """Apply one step (`-> dense(4)`, `-> standardize`, `-> (a -> b)`) to `cur`."""
        if isinstance(atom, ast.Ref) and self.is_shared(atom.name):
            return self.apply_shared(atom, cur, cur_span, binding, final)
        if isinstance(atom, ast.Ref) and atom.name in self.bad_layers:
            return None  # its declaration is reported
        if isinstance(atom, ast.Ref):
            atom = self.as_call(atom)
            if atom is None:
                return None
        if isinstance(atom, ast.Chain):
            with self.deeper("chains", atom.span) as ok:
                if not ok:
                    return None
                for i, step in enumerate(atom.steps):
                    last = final if i == len(atom.steps) - 1 else None
                    result = self.lower_step(step, cur, cur_span, binding, last)
                    if result is None:
                        return None
                    cur, cur_span = result, step.span
                return cur
        if not isinstance(atom, ast.Call):
            self.not_a_value(atom, after_arrow=True)
            return None
        if atom.op.text in self.blocks:
            return self.expand(atom, binding, final, cur, cur_span)
        op = OPS.get(atom.op.text)
        if op is None or op.kind not in ("layer", "merge"):
            self.unknown_op(atom.op)
            return None
        if op.kind == "merge":
            return self.merge(atom, op.name, binding, final, [cur], [cur_span])
        operands = self.keyword_operands(atom, op.operand_keywords, binding)
        if operands is None:
            return None
        inputs, spans, kwargs = operands
        node = final or self.fresh(binding, op.name)
        args, kwargs = self.pin_sizes(atom.args), self.pin_sizes(kwargs)
        return self.add(
            node,
            op.name,
            atom.span,
            binding,
            [cur, *inputs],
            [cur_span, *spans],
            args,
            kwargs,
            op_span=atom.op.span,
        )

    def keyword_operands(
        self, call: ast.Call, keywords: tuple[str, ...], binding: str
    ) -> tuple[list[str], list[Span], tuple] | None:
        """A layer's further operands given by keyword (`q -> attention(4, 16, value=v)`), in
        the order of `keywords`, each needing the ones before it; the other keyword arguments."""
        given = {kw.name.text: kw for kw in call.kwargs if kw.name.text in keywords}
        rest = tuple(kw for kw in call.kwargs if kw.name.text not in keywords)
        inputs: list[str] = []
        spans: list[Span] = []
        for i, key in enumerate(keywords):
            if key not in given:
                later = next((k for k in keywords[i + 1 :] if k in given), None)
                if later is not None:
                    self.diags.append(
                        error(
                            codes.ARITY,
                            f"{call.op.text}() takes {later}= only with {key}=",
                            given[later].name.span,
                            help=f"give {key}= too, e.g. {call.op.text}(..., {key}=v, {later}=k)",
                        )
                    )
                    return None
                break
            literal = ast.unwrap(given[key].value)
            if isinstance(literal, (ast.Number, ast.String, ast.ListLit, ast.DictLit, ast.TupleLit)):
                self.diags.append(
                    error(
                        codes.ARGUMENT_TYPE,
                        f"{call.op.text}() argument '{key}' is an operand: a named value or a chain",
                        literal.span,
                        help=f"e.g. q -> {call.op.text}(..., {key}=memory)",
                    )
                )
                return None
            node, span = self.lower_operand(given[key].value, binding)
            if node is None:
                return None
            inputs.append(node)
            spans.append(span)
        return inputs, spans, rest

    def pin_sizes(self, exprs: tuple, into: str | None = None, names: bool = True) -> tuple:
        """Expressions with each width(x) / vocab_size(x) pinned to the node x means here
        (compute.PIN), and with `into`, each width() / vocab_size() to that node."""
        return tuple(
            _map_calls(e, lambda call: self.pin_call(call, into, names)) if compute.uses_sizes(e) else e
            for e in exprs
        )

    def pin_call(self, call: ast.Call, into: str | None, names: bool) -> ast.Call:
        if call.op.text not in compute.SIZES:
            return call
        if not call.args:
            if into is None:
                return call
            first = ast.Ref(compute.PIN + into, call.span)
            return dataclasses.replace(
                call, args=(ast.Chain((ast.Step(first, None, call.span),), call.span),)
            )
        ref = ast.unwrap(call.args[0])
        if not names or not isinstance(ref, ast.Ref) or compute.pinned(ref) is not None:
            return call
        node = self.resolve(ref.name, ref.span)
        pin = ast.Ref(f"{ref.name}{compute.PIN}{node or ''}", ref.span)
        return dataclasses.replace(call, args=(ast.Chain((ast.Step(pin, None, ref.span),), ref.span),))

    def is_shared(self, name: str) -> bool:
        """A name declared with `layer NAME = ...`, not hidden by a block's own name."""
        return name in self.net.shared and (self.scope is None or name not in self.scope)

    def apply_shared(self, ref: ast.Ref, cur: str, cur_span: Span, binding: str, final: str | None) -> str:
        """`-> proj`: one more application of the shared layer `proj`. Every application
        is a node of its own (with the declaration's arguments); the backends make one layer."""
        shared = self.net.shared[ref.name]
        call = shared.call
        node = final or self.fresh(binding, ref.name)
        args, kwargs = self.pin_sizes(call.args), self.pin_sizes(call.kwargs)
        self.add(node, call.op.text, ref.span, binding, [cur], [cur_span], args, kwargs, ref.span)
        self.g._node[node][NODE].shares = ref.name
        return node

    def as_call(self, ref: ast.Ref) -> ast.Call | None:
        """`-> standardize`, `-> my_block`: a bare name after '->' is a call without arguments."""
        if (ref.name in OPS and OPS[ref.name].kind in ("layer", "merge")) or ref.name in self.blocks:
            return ast.Call(ast.Name(ref.name, ref.span), (), (), ref.span)
        if ref.name in (self.scope if self.scope is not None else self.net.definitions):
            self.diags.append(
                error(
                    codes.NOT_A_LAYER,
                    f"'{ref.name}' is a value, not a layer: it cannot follow '->'",
                    ref.span,
                    help=f"to combine values use concat(..., {ref.name}) or add(..., {ref.name})",
                )
            )
        else:
            self.unknown_op(ast.Name(ref.name, ref.span))
        return None

    def merge(
        self, call: ast.Call, op: str, binding: str, final: str | None, inputs: list[str], spans: list[Span]
    ) -> str | None:
        inputs, spans = list(inputs), list(spans)
        ok = True
        for arg in call.args:
            node, span = self.lower_operand(arg, binding)
            if node is None:
                ok = False
            else:
                inputs.append(node)
            spans.append(span)
        if not ok:
            return None
        node = final or self.fresh(binding, op)
        kwargs = self.pin_sizes(call.kwargs)
        return self.add(node, op, call.span, binding, inputs, spans, (), kwargs, op_span=call.op.span)

    def lower_operand(self, chain: ast.Chain, binding: str) -> tuple[str | None, Span]:
        with self.deeper("expressions", chain.span) as ok:
            return self.lower_value(chain, binding, None) if ok else (None, chain.span)

    # ---- blocks ----------------------------------------------------------
    def expand(
        self, call: ast.Call, binding: str, final: str | None, first: str | None, first_span: Span | None
    ) -> str | None:
        """Expand one use of a block into layers named `<binding>.<block>_<k>.<name>`.

        `first` is the value the chain feeds in (None at the head of a chain,
        where inputs are given by keyword). Parameters are substituted into
        the body's expressions, so an argument's errors point at the use.
        """
        name = call.op.text
        decl = self.blocks[name]
        multi, self.multi_ok = self.multi_ok, False  # only this use may have several outputs
        if name in self.expanding:
            cycle = " -> ".join(self.expanding[self.expanding.index(name) :] + [name])
            self.diags.append(
                error(
                    codes.RECURSIVE_BLOCK,
                    f"block '{name}' uses itself: {cycle}",
                    call.op.span,
                    help="a block cannot contain itself; repeat it with * n instead",
                    notes=[Note(f"block '{name}' is defined here", decl.name.span)],
                )
            )
            return None
        if len(self.expanding) >= MAX_BLOCK_DEPTH:
            self.too_deep(call, name)
            return None
        bound = self.bind_block(call, decl, binding, first, first_span)
        if bound is None:
            return None
        values, fed = bound
        if sum(isinstance(st, ast.Return) for st in decl.body) != 1:
            self.diags.append(
                error(
                    codes.BLOCK_OUTPUTS, f"block '{name}' must end with one return statement", decl.name.span
                )
            )
            return None
        outputs = self.lower_block(call, decl, binding, values, fed)
        if outputs is None:
            return None
        if len(outputs) > 1 and not multi:
            self.diags.append(
                error(
                    codes.BLOCK_OUTPUTS,
                    f"block '{name}' has {len(outputs)} outputs, so it needs one name for each",
                    call.span,
                    help=f"name them in a statement of their own: a, b = ... -> {name}(...)",
                )
            )
            return None
        self.last_outputs = outputs
        return outputs[0]

    def bind_block(
        self,
        call: ast.Call,
        decl: ast.BlockDecl,
        binding: str,
        first: str | None,
        first_span: Span | None,
    ) -> tuple[dict[str, ast.Expr], dict[str, tuple[str | None, Span]]] | None:
        """A use's arguments -> (parameter values, inputs fed); None when any is wrong."""
        name = call.op.text  # as used: an imported block may go by another name
        params = {p.name.text: p for p in decl.params}
        inputs = [i.text for i in decl.inputs]
        values: dict[str, ast.Expr] = {}
        fed: dict[str, tuple[str | None, Span]] = {}
        if first is not None:
            if not inputs:
                self.diags.append(
                    error(codes.ARITY, f"block '{name}' takes no input, so it cannot follow '->'", call.span)
                )
                return None
            assert first_span is not None
            fed[inputs[0]] = (first, first_span)
        if len(call.args) > len(decl.params):
            self.diags.append(
                error(
                    codes.TOO_MANY_ARGUMENTS,
                    f"block '{name}' takes {len(decl.params)} parameter(s), got {len(call.args)}",
                    call.args[len(decl.params)].span,
                    help=_block_signature(decl),
                )
            )
            return None
        for p_decl, arg in zip(decl.params, call.args):
            values[p_decl.name.text] = arg
        ok = True
        for kw in call.kwargs:
            key = kw.name.text
            if key in params and key not in values:
                values[key] = kw.value
            elif key in inputs and key not in fed:
                node, span = self.lower_operand(kw.value, binding)
                ok = ok and node is not None
                fed[key] = (node, span)  # fed, even if wrong: no "needs its input" as well
            else:
                self.bad_block_keyword(kw, name, decl, key in params or key in inputs)
                ok = False
        ok = self.block_defaults(call, name, decl, values) and ok
        for i in inputs:
            if i not in fed:
                self.diags.append(
                    error(
                        codes.ARITY,
                        f"block '{name}' needs its input '{i}'",
                        call.span,
                        help=f"feed it with '->' or by keyword: {name}(..., {i}=value)",
                    )
                )
                ok = False
        if not ok:
            return None
        # width() in an argument is the block's input's; width(x) names a value here
        given = {p.name.text for p in decl.params[: len(call.args)]} | {kw.name.text for kw in call.kwargs}
        into = fed[inputs[0]][0] if inputs and inputs[0] in fed else None
        for key, expr in values.items():
            values[key] = self.pin_sizes((expr,), into, names=key in given)[0]
        return values, fed

    def bad_block_keyword(self, kw: ast.KwArg, name: str, decl: ast.BlockDecl, repeated: bool) -> None:
        key = kw.name.text
        if repeated:
            self.diags.append(
                error(codes.DUPLICATE_ARGUMENT, f"'{key}' of block '{name}' is given twice", kw.span)
            )
            return
        known = [p.name.text for p in decl.params] + [i.text for i in decl.inputs]
        self.diags.append(
            error(
                codes.UNKNOWN_ARGUMENT,
                f"block '{name}' has no parameter or input '{key}'",
                kw.name.span,
                help=did_you_mean(key, known) or _block_signature(decl),
            )
        )

    def block_defaults(
        self, call: ast.Call, name: str, decl: ast.BlockDecl, values: dict[str, ast.Expr]
    ) -> bool:
        """Parameters not given take their defaults; False when one without a default is missing."""
        ok = True
        for p_decl in decl.params:
            if p_decl.name.text in values:
                continue
            if p_decl.default is None:
                self.diags.append(
                    error(
                        codes.MISSING_ARGUMENT,
                        f"block '{name}' needs the parameter '{p_decl.name.text}'",
                        call.span,
                        help=_block_signature(decl),
                    )
                )
                ok = False
            else:
                values[p_decl.name.text] = p_decl.default
        return ok

    def lower_block(
        self,
        call: ast.Call,
        decl: ast.BlockDecl,
        binding: str,
        values: dict[str, ast.Expr],
        fed: dict[str, tuple[str | None, Span]],
    ) -> list[str] | None:
        """The body of one use, in the use's own scope; its outputs' node ids."""
        name = call.op.text
        key = (binding, name)
        k = self.counters.get(key, 0) + 1
        self.counters[key] = k
        prefix = f"{binding}.{name}_{k}"
        self.block_prefixes.add(prefix)
        scope = {i: node for i, (node, _span) in fed.items() if node is not None}
        for st in decl.body:
            if isinstance(st, ast.Assign):
                for n in (st.name,) + st.more_names:
                    scope[n.text] = f"{prefix}.{n.text}"
        saved = (self.scope, self.uses, self.blocks)
        self.scope, self.uses = scope, self.uses + (BlockUse(prefix, name, call.span, call_text(call, decl)),)
        self.blocks = self.namespaces.get(id(decl), self.blocks)  # an imported block sees its file's names
        self.expanding.append(name)
        try:
            return self._lower_body(decl, prefix, values)
        finally:
            self.scope, self.uses, self.blocks = saved
            self.expanding.pop()

    def _lower_body(self, decl: ast.BlockDecl, prefix: str, values: dict) -> list[str] | None:
        outputs = None
        for st in decl.body:
            st = _substitute(st, values)
            if isinstance(st, ast.Assign):
                local = f"{prefix}.{st.name.text}"
                self.last_outputs = []
                node, _ = self.lower_value(
                    st.expr, local, None if st.more_names else local, multi=bool(st.more_names)
                )
                if node is None:
                    self.add(local, None, st.expr.span, local)
                elif st.more_names:
                    self.bind_outputs(st, node, lambda n: f"{prefix}.{n}")
                elif node != local:
                    self.add(local, "identity", st.expr.span, local, [node], [st.expr.span])
            else:
                outputs = []
                for i, value in enumerate(st.values):
                    atom = ast.unwrap(value)
                    if isinstance(atom, ast.Ref):
                        node = self.resolve(atom.name, atom.span)
                    else:
                        out = f"{prefix}.out" if len(st.values) == 1 else f"{prefix}.out_{i + 1}"
                        node, _ = self.lower_value(value, prefix, out)
                    if node is None:
                        return None
                    outputs.append(node)
        return outputs

    def bind_outputs(self, st: ast.Assign, node: str, name_of: Callable[[str], str]) -> bool:
        """`a, b = x -> two_outputs(...)`: one name per output of the block."""
        names = (st.name,) + st.more_names
        outs = self.last_outputs if self.last_outputs and self.last_outputs[0] == node else [node]
        if len(outs) != len(names):
            self.diags.append(
                error(
                    codes.BLOCK_OUTPUTS,
                    f"{len(names)} names for a value with {len(outs)} output(s)",
                    st.name.span.to(names[-1].span),
                    help="name each output of the block once: a, b = x -> block(...)",
                )
            )
            return False
        for n, out in zip(names, outs):  # each name its own layer, so that Keras has it too
            name = name_of(n.text)
            self.add(name, "identity", st.expr.span, name, [out], [n.span], op_span=n.span)
        return True

    # ---- statements ------------------------------------------------------
    def assign(self, st: ast.Assign, outputs: list[tuple[str, Span]]) -> None:
        name = st.name.text
        self.last_outputs = []
        node, _ = self.lower_value(st.expr, name, None if st.more_names else name, multi=bool(st.more_names))
        if node is None or (st.more_names and not self.bind_outputs(st, node, lambda n: n)):
            # Already reported; placeholders keep uses of the names from
            # cascading into "not defined" errors.
            for n in (st.name,) + st.more_names:
                self.add(n.text, None, st.expr.span, n.text)
        elif not st.more_names and node != name:
            # A name bound to a block's output: an identity layer carries it into Keras.
            self.add(name, "identity", st.expr.span, name, [node], [st.expr.span])
        if st.is_output:
            outputs.append((name, st.name.span))

    def output_decl(self, st: ast.OutputDecl, outputs: list[tuple[str, Span]]) -> None:
        outputs.append((st.name.text, st.name.span))

    def section(self, st: ast.CompileDecl | ast.TrainDecl) -> None:
        """The compile or train line; a second one is an error."""
        net = self.net
        word = "compile" if isinstance(st, ast.CompileDecl) else "train"
        first = net.compile_decl if isinstance(st, ast.CompileDecl) else net.train_decl
        if first is not None:
            self.diags.append(
                error(
                    codes.DUPLICATE_SECTION,
                    f"a spec has one {word} line",
                    st.span,
                    help=f"merge the settings into the first {word} line",
                    notes=[Note(f"first {word} line", first.span)],
                )
            )
        elif isinstance(st, ast.CompileDecl):
            net.compile_decl = st
        else:
            net.train_decl = st

    def input_decl(self, st: ast.InputDecl) -> None:
        spec = ast.unwrap(st.spec)
        name = st.name.text
        width, features, shape = None, None, None
        if isinstance(spec, ast.Number) and isinstance(spec.value, int):
            width = spec.value
        elif isinstance(spec, ast.ListLit):
            features = self.feature_list(name, spec)
            width = None if features is None else len(features)
        elif isinstance(spec, ast.DictLit):
            fields = self.record_fields(name, spec)
            features = None if fields is None else tuple(f.name for f in fields)
            width = None if features is None else len(features)
        elif isinstance(spec, ast.Call) and spec.op.text in VECTOR_TYPES:  # `input pair: int(2)`
            width = self.typed_width(name, spec)
        elif isinstance(spec, ast.TupleLit):  # `input seq: (4, 62)`: a Keras shape
            shape = self.input_shape(name, spec)
            width = None if shape is None else shape[-1]
        else:
            self.diags.append(
                error(
                    codes.BAD_INPUT_WIDTH,
                    f"input '{name}' needs a width or a list of features",
                    st.spec.span,
                    help=f"e.g. input {name}: 4, input {name}: [a, b, c, d], or a record of "
                    f"typed columns, input {name}: {{a, b, kind: string}}",
                )
            )
            fields = None
        self.add(name, "input", st.span, name, op_span=st.name.span)
        record = fields if isinstance(spec, ast.DictLit) else None
        spans = tuple(item.span for item in spec.items) if isinstance(spec, ast.ListLit) and features else ()
        typed = isinstance(spec, ast.Call) and spec.op.text in VECTOR_TYPES
        dtype = VECTOR_TYPES[spec.op.text] if isinstance(spec, ast.Call) and typed else FLOAT
        self.g._node[name][NODE].declared = InputSpec(
            width,
            features,
            st.spec.span,
            fields=record,
            feature_spans=spans,
            dtype=dtype,
            shape=shape if shape is not None and len(shape) > 1 else None,
        )
        self.net.inputs.append(name)

    def typed_width(self, name: str, spec: ast.Call) -> int | None:
        """`int(2)`: a vector of that many values of that type (the category layers take vectors)."""
        arg = ast.unwrap(spec.args[0]) if len(spec.args) == 1 and not spec.kwargs else None
        if isinstance(arg, ast.Number) and type(arg.value) is int:
            return arg.value
        self.diags.append(
            error(
                codes.BAD_INPUT_WIDTH,
                f"input '{name}': {spec.op.text}(...) takes the input's width, one integer",
                spec.span,
                help=f"e.g. input {name}: {spec.op.text}(2); a shape holds numbers: input {name}: (4, 62)",
            )
        )
        return None

    def input_shape(self, name: str, spec: ast.TupleLit) -> tuple[int, ...] | None:
        """A shape's sizes, per sample: 1 to MAX_RANK positive integers, each checked where written."""
        items, example = spec.items, f"input {name}: (4, 62)"
        if not 1 <= len(items) <= MAX_RANK:
            self.diags.append(
                error(
                    codes.BAD_INPUT_WIDTH,
                    f"input '{name}' has a shape of rank {len(items)}; a shape has 1 to {MAX_RANK} sizes",
                    spec.span,
                    help=f"e.g. {example}" + (", or flatten the extra axes into one" if items else ""),
                )
            )
            return None
        sizes = []
        for item in items:
            value = ast.unwrap(item)
            if not (isinstance(value, ast.Number) and type(value.value) is int) or value.value < 1:
                self.diags.append(
                    error(
                        codes.BAD_INPUT_WIDTH,
                        f"a size in the shape of input '{name}' is a positive integer, got {_written(item)}",
                        item.span,
                        help=f"e.g. {example}",
                    )
                )
                return None
            sizes.append(value.value)
        return tuple(sizes)

    def feature_list(self, name: str, spec: ast.ListLit) -> tuple[str, ...] | None:
        features: list[str] = []
        seen: set[str] = set()  # a set: a feature list may hold hundreds of thousands of names
        for item in spec.items:
            if isinstance(item, ast.Pair):
                self.typed_in_brackets(name, spec, item)
                return None
            value = ast.unwrap(item)
            if not isinstance(value, (ast.Ref, ast.String)):
                self.diags.append(
                    error(
                        codes.BAD_INPUT_WIDTH,
                        "a feature is written as a name or a quoted string",
                        item.span,
                        help=f'e.g. input {name}: [sepal_length, "petal width"]',
                    )
                )
                return None
            label = value.name if isinstance(value, ast.Ref) else value.value
            if label in seen:
                self.diags.append(
                    error(
                        codes.FEATURE_SELECTED_TWICE,
                        f"feature '{label}' is listed twice in input '{name}'",
                        value.span,
                        help="remove the repeated feature",
                    )
                )
            features.append(label)
            seen.add(label)
        return tuple(features)

    def typed_in_brackets(self, name: str, spec: ast.ListLit, item: ast.Pair) -> None:
        braces = "{" + ", ".join(item_text(i) for i in spec.items) + "}"
        self.diags.append(
            error(
                codes.TYPED_FEATURE_IN_LIST,
                f"feature '{item.key.text}' has a type, but brackets declare one vector of numbers",
                item.span,
                help=f"declare a record of typed columns (one Keras input each) with braces: "
                f"input {name}: {braces}",
            )
        )

    def record_fields(self, name: str, spec: ast.DictLit) -> tuple[Field, ...] | None:
        """A record's fields: `{a, island: string, year: int(vocabulary=[2007, 2008])}`."""
        fields: list[Field] = []
        seen: set[str] = set()
        ok = True
        for pair in spec.pairs:
            label = pair.key.text
            if label in seen:
                self.diags.append(
                    error(
                        codes.FEATURE_SELECTED_TWICE,
                        f"field '{label}' is listed twice in input '{name}'",
                        pair.key.span,
                        help="remove the repeated field",
                    )
                )
                ok = False
            seen.add(label)
            field_ = field_of(name, label, pair, self.diags)
            ok = ok and field_ is not None
            if field_ is not None:
                fields.append(field_)
        if not fields and ok:
            self.diags.append(
                error(
                    codes.BAD_INPUT_WIDTH,
                    f"record '{name}' has no fields",
                    spec.span,
                    help=f"e.g. input {name}: {{a, b}}",
                )
            )
            return None
        return tuple(fields) if ok else None

    # ---- errors ----------------------------------------------------------
    def too_deep(self, call: ast.Call, name: str) -> None:
        """Blocks nested past MAX_BLOCK_DEPTH: a cycle through them is named as one."""
        cycle = self.block_cycle(self.expanding[0])
        if cycle:
            shown = cycle if len(cycle) <= 9 else cycle[:4] + [f"... {len(cycle) - 8} more ..."] + cycle[-4:]
            self.diags.append(
                error(
                    codes.RECURSIVE_BLOCK,
                    f"block '{cycle[0]}' uses itself: " + " -> ".join(shown),
                    call.op.span,
                    help="a block cannot contain itself; repeat it with * n instead",
                    notes=[Note(f"block '{cycle[0]}' is defined here", self.blocks[cycle[0]].name.span)]
                    if cycle[0] in self.blocks
                    else [],
                )
            )
            return
        self.diags.append(
            error(
                codes.LIMIT,
                f"blocks nested more than {MAX_BLOCK_DEPTH} deep (a block using a block using a block ...)",
                call.op.span,
                help=f"at most {MAX_BLOCK_DEPTH} blocks can be inside one another; "
                "flatten some of them into the block that uses them",
            )
        )

    def block_cycle(self, start: str) -> list[str] | None:
        """A cycle of blocks using blocks reachable from `start`, first block repeated last."""
        uses = nx.DiGraph()
        for bname, decl in self.blocks.items():
            uses.add_node(bname)
            for item in decl.walk():
                if isinstance(item, ast.Call) and item.op.text in self.blocks:
                    uses.add_edge(bname, item.op.text)
        try:
            edges = nx.find_cycle(uses, source=start)
        except nx.NetworkXNoCycle:
            return None
        return [a for a, _ in edges] + [edges[0][0]]

    def unknown_op(self, name: ast.Name) -> None:
        if name.text in ACTIVATIONS:
            hint = (
                f"'{name.text}' is an activation, not a layer: give it to a layer, "
                f"e.g. dense(4, {name.text}), or write activation({name.text})"
            )
        else:
            known = layer_ops() + sorted(self.blocks)
            hint = did_you_mean(name.text, known) or "known layers: " + ", ".join(known)
        self.diags.append(error(codes.UNKNOWN_OP, f"unknown layer '{name.text}'", name.span, help=hint))

    def not_a_value(self, atom, after_arrow: bool = False) -> None:
        if isinstance(atom, (ast.BinOp, ast.Neg)):
            arrow = (
                isinstance(atom, ast.BinOp) and atom.op == "-" and isinstance(atom.right, (ast.Call, ast.Ref))
            )
            self.diags.append(
                error(
                    codes.BAD_EXPRESSION,
                    "arithmetic computes a layer's argument; it cannot stand here as a value",
                    atom.op_span if isinstance(atom, ast.BinOp) and arrow else atom.span,
                    help="chains are written with '->'"
                    if arrow
                    else "compute an argument inside a call, e.g. dense(2 * units)",
                )
            )
            return
        what = {
            ast.Number: "a number",
            ast.String: "a string",
            ast.ListLit: "a list",
            ast.DictLit: "a dictionary",
            ast.Select: "a selection",
        }.get(type(atom), "this")
        where = "after '->'" if after_arrow else "here"
        if isinstance(atom, ast.Select):
            s = atom.span
            written = (
                self.net.source.line_text(s.line)[s.column - 1 : s.end_column - 1]
                if s.line == s.end_line
                else f"{atom.source.text}[...]"
            )
            hint = f"a selection starts a chain: {written} -> dense(4)"
        else:
            hint = "arguments go inside a call, e.g. dense(4)"
        self.diags.append(
            error(
                codes.NOT_A_LAYER,
                f"{what} cannot stand {where}: a layer or a name is expected",
                atom.span,
                help=hint,
            )
        )


def value_text(expr: ast.Node) -> str:
    """A literal argument as written in a spec (`0.1`, `relu`, `"a b"`, `[1, 2]`)."""
    value = ast.unwrap(expr) if isinstance(expr, ast.Chain) else expr
    if isinstance(value, ast.Number):
        return repr(value.value)
    if isinstance(value, ast.String):
        return '"' + value.value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, ast.Ref):
        return compute.written(value)
    if isinstance(value, (ast.BinOp, ast.Neg)):
        return compute.text(value)
    if isinstance(value, ast.ListLit):
        return "[" + ", ".join(value_text(i) for i in value.items) + "]"
    if isinstance(value, ast.Pair):
        return value.key.text + ("" if value.value is None else ": " + value_text(value.value))
    if isinstance(value, ast.DictLit):
        return "{" + ", ".join(value_text(p) for p in value.pairs) + "}"
    if isinstance(value, ast.Call):
        args = [value_text(a) for a in value.args] + [
            f"{k.name.text}={value_text(k.value)}" for k in value.kwargs
        ]
        return f"{value.op.text}({', '.join(args)})"
    if isinstance(value, ast.Chain):  # `x -> dense(4)`: each step as written
        return " -> ".join(
            value_text(step.expr) + (f" * {value_text(step.repeat)}" if step.repeat else "")
            for step in value.steps
        )
    return "..."


def call_text(call: ast.Call, decl: ast.BlockDecl) -> str:
    """A block's use with its arguments' values (parameters already substituted):
    `residual(64, rate=0.1)`; inputs given by keyword are left out."""
    inputs = {i.text for i in decl.inputs}
    args = [value_text(a) for a in call.args]
    args += [f"{k.name.text}={value_text(k.value)}" for k in call.kwargs if k.name.text not in inputs]
    return f"{call.op.text}({', '.join(args)})"


def block_signature(decl: ast.BlockDecl) -> str:
    """`block residual(units, rate=0.1) (x)`: how a block is used, its defaults as written."""
    params = ", ".join(
        p.name.text if p.default is None else f"{p.name.text}={value_text(p.default)}" for p in decl.params
    )
    inputs = ", ".join(i.text for i in decl.inputs)
    return f"block {decl.name.text}({params}) ({inputs})"


_block_signature = block_signature


def _map_calls(tree: Any, fn: Callable[[ast.Call], ast.Call]) -> Any:
    """The AST with every call replaced by fn(call), innermost first."""
    tree = _with_children(tree, lambda child: _map_calls(child, fn))
    return fn(tree) if isinstance(tree, ast.Call) else tree


def _substitute(tree: Any, values: dict[str, ast.Expr]) -> Any:
    """The AST with every reference to a block parameter replaced by its value."""
    if not values:
        return tree
    if isinstance(tree, ast.Ref):
        return values.get(tree.name, tree)
    return _with_children(tree, lambda child: _substitute(child, values))


def _with_children(tree: Any, transform: Callable[[Any], Any]) -> Any:
    """`tree` with each child node made transform(child): a copy only where one changed."""
    changes = {}
    for name in tree.children:  # the fields that hold child nodes (lang/ast.py)
        old = getattr(tree, name)
        if type(old) is tuple:
            new = tuple(transform(child) for child in old)
            if any(a is not b for a, b in zip(new, old)):
                changes[name] = new
        elif old is not None:
            child = transform(old)
            if child is not old:
                changes[name] = child
    return dataclasses.replace(tree, **changes) if changes else tree


def build_graph(
    program: ast.Program, source: Source, imported: dict | None = None, namespaces: dict | None = None
) -> nx.DiGraph:
    """Build the graph of a program. `imported` maps names to blocks from
    imports; `namespaces` gives an imported block the names of its own file."""
    g = new_graph(source)
    net: Network = g.graph[NETWORK]
    net.name = default_name(source)  # until a `network NAME` line names it
    net.blocks.update(imported or {})
    # Pass 1: every defined name, so that names may be used before the line
    # that defines them, and generated names never collide with them.
    skip = _declare(program, net)
    b = _Builder(g, net, net.blocks)
    b.namespaces = namespaces or {}
    b.bad_layers = {
        st.name.text
        for st in program.statements
        if isinstance(st, ast.Assign) and st.is_layer and id(st) in skip
    } - set(net.shared)
    outputs: list[tuple[str, Span]] = []
    try:
        _lower_statements(b, program, skip, outputs)
    except _TooLarge as exc:
        too_many = f"the spec has more than {MAX_NODES:,} layers"
        net.diagnostics.append(error(codes.LIMIT, too_many, exc.args[0]))
        net.truncated = True
        return g
    _mark_outputs(g, net, outputs)
    _connect(g)
    return g


def _declare(program: ast.Program, net: Network) -> set[int]:
    """Blocks and top-level names; returns the ids of statements that redefine a name."""
    diags, definitions, blocks = net.diagnostics, net.definitions, net.blocks
    skip: set[int] = set()
    for st in program.statements:
        if isinstance(st, ast.BlockDecl):
            _check_block_decl(st, diags)
            if st.name.text in blocks or st.name.text in OPS:
                what = "a layer" if st.name.text in OPS else "a block"
                diags.append(
                    error(
                        codes.DUPLICATE_NAME,
                        f"'{st.name.text}' is already {what}",
                        st.name.span,
                        help="give the block another name",
                    )
                )
            else:
                blocks[st.name.text] = st
        elif isinstance(st, (ast.InputDecl, ast.Assign)):
            if isinstance(st, ast.Assign) and st.is_layer:
                _declare_layer(st, net, skip)
            more = st.more_names if isinstance(st, ast.Assign) else ()
            for name in (st.name,) + more:
                if name.text in definitions:
                    first = definitions[name.text]
                    diags.append(
                        error(
                            codes.DUPLICATE_NAME,
                            f"'{name.text}' is defined twice",
                            name.span,
                            help="rename one of them",
                            notes=[Note(f"'{name.text}' was first defined here", first)],
                        )
                    )
                    skip.add(id(st))
                else:
                    definitions[name.text] = name.span
    return skip


def _declare_layer(st: ast.Assign, net: Network, skip: set[int]) -> None:
    """`layer proj = dense(8, relu)`: one layer op with its arguments, nothing else."""
    atom = ast.unwrap(st.expr)
    if isinstance(atom, ast.Ref):
        atom = ast.Call(ast.Name(atom.name, atom.span), (), (), atom.span)
    op = OPS.get(atom.op.text) if isinstance(atom, ast.Call) else None
    if op is not None and op.kind == "layer" and op.name != "input":
        assert isinstance(atom, ast.Call)
        net.shared[st.name.text] = SharedLayer(st.name.text, atom, st.span)
        return
    skip.add(id(st))
    what = "a merge" if op is not None and op.kind == "merge" else "a block" if _is_block(atom, net) else ""
    net.diagnostics.append(
        error(
            codes.BAD_SHARED_LAYER,
            f"a shared layer is one layer op with its arguments{', not ' + what if what else ''}",
            st.expr.span,
            help=f"e.g. layer {st.name.text} = dense(8, relu); then apply it: a = x -> {st.name.text}",
        )
    )


def _is_block(atom, net: Network) -> bool:
    return isinstance(atom, ast.Call) and atom.op.text in net.blocks


def _lower_statements(b: _Builder, program: ast.Program, skip: set[int], outputs: list) -> None:
    network_span = None
    for st in program.statements:
        if id(st) in skip:
            continue
        if isinstance(st, ast.NetworkDecl):
            if network_span is not None:
                b.diags.append(
                    error(
                        codes.MISPLACED_NETWORK,
                        "a spec names its network once",
                        st.span,
                        notes=[Note("first named here", network_span)],
                    )
                )
            else:
                b.net.name, network_span = st.name.text, st.span
        elif isinstance(st, ast.InputDecl):
            b.input_decl(st)
        elif isinstance(st, ast.Assign) and not st.is_layer:
            b.assign(st, outputs)
        elif isinstance(st, ast.OutputDecl):
            b.output_decl(st, outputs)
        elif isinstance(st, (ast.CompileDecl, ast.TrainDecl)):
            b.section(st)


def default_name(source: Source) -> str:
    """A network without `network NAME` is named after its file."""
    stem = source.name.replace("\\", "/").rsplit("/", 1)[-1]
    stem = stem[:-4] if stem.endswith(".net") else stem
    return stem if stem and not stem.startswith("<") else "network"


def _mark_outputs(g: nx.DiGraph, net: Network, outputs: list[tuple[str, Span]]) -> None:
    net.output_statements = len(outputs)
    diags = net.diagnostics
    seen = set()
    for name, span in outputs:
        if name in seen:
            diags.append(error(codes.DUPLICATE_NAME, f"'{name}' is declared an output twice", span))
            continue
        seen.add(name)
        if name not in g:
            diags.append(
                error(
                    codes.UNDEFINED_NAME,
                    f"output '{name}' is not defined",
                    span,
                    help=did_you_mean(name, net.definitions),
                )
            )
            continue
        g._node[name][NODE].output = True
        net.outputs.append(name)


def _connect(g: nx.DiGraph) -> None:
    """Edges from each operand to its user."""
    for name, data in list(g._node.items()):
        n: Node = data[NODE]
        for src in n.inputs:
            if src in g:
                g.add_edge(src, name)


def _check_block_decl(decl: ast.BlockDecl, diags: list[Diagnostic]) -> None:
    """Names inside one block declaration: each defined once."""
    seen: dict[str, Span] = {}
    names = [p.name for p in decl.params] + list(decl.inputs)
    names += [n for st in decl.body if isinstance(st, ast.Assign) for n in (st.name,) + st.more_names]
    for n in names:
        if n.text in seen:
            diags.append(
                error(
                    codes.DUPLICATE_NAME,
                    f"'{n.text}' is defined twice in block '{decl.name.text}'",
                    n.span,
                    notes=[Note("first defined here", seen[n.text])],
                )
            )
        else:
            seen[n.text] = n.span


def _written(item: ast.Expr) -> str:
    """A shape's size as written, for a message: `0`, `-1`, `2.5`, `a`."""
    value = ast.unwrap(item)
    if isinstance(value, ast.Number):
        return str(value.value)
    text = item_text(item)
    return text if text != "..." else "something else"
