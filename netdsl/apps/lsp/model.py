"""What the editor features read of an analysed spec, in one place.

The language server and the playground never touch the IR's storage
directly: graph attributes and node payloads are read here, through small
typed records, so that a change of the IR's representation is one change in
this module. Analysis itself (parse, imports, graph, checks) also starts
here, incrementally (netdsl.lang.incremental). The parser is reentrant, so
documents are analysed in worker threads side by side.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import networkx as nx

from ...backends.keras_layers import LAYERS, keras_class
from ...data.tables import check_data
from ...ir.core import Node, in_order, network
from ...ir.core import node as ir_node
from ...ir.core import nodes as all_nodes
from ...ir.ops import ACTIVATIONS, OPS, Op, describe, fmt_shape
from ...ir.pipeline import analyze_program, syntax_error_graph
from ...lang import ast
from ...lang.diagnostics import ERROR, Diagnostic, sort_diagnostics
from ...lang.incremental import IncrementalParser
from ...lang.source import Source, Span

_pauses = 0
_analyses = 0
_pause_lock = threading.Lock()


@contextlib.contextmanager
def gc_paused():
    """The cyclic GC paused while any thread analyses (it would rescan the
    parse's many small objects), resumed when none does.

    Not the pipeline's pause: that one moves what an analysis made straight to
    the oldest generation, which in a long-running server analysing all the
    time piles up in memory (only full collections look there, and they hardly
    ever come). A full collection every 500 analyses bounds what overlapping
    pauses leave behind."""
    global _pauses, _analyses
    with _pause_lock:
        if _pauses == 0:
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            _analyses += 1
            collect = _analyses % 500 == 0
            if _pauses == 0:
                gc.enable()
        if collect:
            gc.collect()


@dataclass(frozen=True)
class Analysis:
    """One version of one document, analysed."""

    version: int | None
    source: Source
    statements: tuple  # every statement that parses (all of them when syntax_ok)
    syntax_ok: bool
    graph: nx.DiGraph  # a graph without nodes when the spec does not parse

    @property
    def program(self) -> ast.Program:
        return ast.Program(self.statements)


def analyze(
    name: str, text: str, version: int | None, parser: IncrementalParser, include_paths=()
) -> Analysis:
    """Parse (reusing what did not change since the parser's last call) and check."""
    source = Source(name, text[1:] if text.startswith("\ufeff") else text)
    with gc_paused():
        statements, error = parser.parse_partial(source)
        if error is not None:
            graph = syntax_error_graph(source, error)
        else:
            graph = analyze_program(source, ast.Program(statements), include_paths)
            # What `netdsl check FILE` adds without --data (a standardize with nothing to adapt on).
            extra = check_data(graph, None, compiling=False)
            if extra:
                net = network(graph)
                net.diagnostics = sort_diagnostics(net.diagnostics + extra)
    return Analysis(version, source, statements, error is None, graph)


def parse_file(path: str, text: str) -> tuple:
    """The statements of another file (an import), for navigation."""
    statements, _error = IncrementalParser().parse_partial(Source(path, text))
    return statements


# ---- graph-level data --------------------------------------------------------------


def diagnostics(g: nx.DiGraph) -> list[Diagnostic]:
    return list(network(g).diagnostics)


def has_errors(g: nx.DiGraph) -> bool:
    return any(d.severity == ERROR for d in diagnostics(g))


def sources(g: nx.DiGraph) -> list[Source]:
    net = network(g)
    return list(net.sources or [net.source])


def network_name(g: nx.DiGraph) -> str:
    return network(g).name or "network"


def totals(g: nx.DiGraph) -> dict:
    return network(g).params.as_dict()


def blocks(g: nx.DiGraph) -> dict[str, ast.BlockDecl]:
    """Every block the spec can use, by the name it uses (its own and imported)."""
    return dict(network(g).blocks)


def value_names(g: nx.DiGraph) -> list[str]:
    return list(network(g).definitions)


# ---- nodes -------------------------------------------------------------------------


@dataclass(frozen=True)
class NodeInfo:
    """One layer as the editor shows it."""

    name: str
    op: str | None
    shape: tuple | None
    params: tuple[int, int] | None  # (trainable, non-trainable)
    features: tuple[str, ...] | None
    span: Span
    op_span: Span
    binding: str
    inputs: tuple[str, ...]
    output: bool
    details: str
    keras_class: str
    block_uses: tuple[tuple[str, str, Span], ...]  # (prefix, block, use span), outermost first

    @property
    def shape_text(self) -> str:
        return fmt_shape(self.shape)

    @property
    def param_count(self) -> int | None:
        return None if self.params is None else sum(self.params)

    @property
    def spec(self) -> Op | None:
        return OPS.get(self.op) if self.op else None


def _details(op: Op | None, n: Node) -> str:
    if op is None:
        return ""
    if op.kind == "input":
        width = n.args["width"] if n.args is not None else None
        if n.args is not None and n.args.get("shape"):
            return "shape " + fmt_shape(n.args["shape"])
        return ", ".join(n.features) if n.features else (f"{width} features" if width else "")
    if op.kind == "merge":
        return ", ".join(n.inputs)
    return describe(n)


def _info(n: Node) -> NodeInfo:
    op = OPS.get(n.op or "")
    return NodeInfo(
        name=n.name,
        op=n.op,
        shape=n.shape,
        params=n.params,
        features=n.features,
        span=n.span,
        op_span=n.op_span,
        binding=n.binding,
        inputs=tuple(n.inputs),
        output=n.output,
        details=_details(op, n),
        keras_class=keras_class(n),
        block_uses=tuple((u.prefix, u.block, u.span) for u in n.uses),
    )


def nodes(g: nx.DiGraph) -> list[NodeInfo]:
    """Every layer, in source order."""
    return [_info(n) for n in in_order(g)]


def node(g: nx.DiGraph, name: str) -> NodeInfo | None:
    """The layer a value's name stands for."""
    return _info(ir_node(g, name)) if name in g else None


def _covers(span: Span, line: int, column: int) -> bool:
    return span.file == 0 and (span.line, span.column) <= (line, column) < (span.end_line, span.end_column)


def node_at_op(g: nx.DiGraph, line: int, column: int) -> NodeInfo | None:
    """The layer whose op name is written at (line, column) of the spec itself."""
    for n in all_nodes(g):
        if _covers(n.op_span, line, column):
            return _info(n)
    return None


def nodes_of_use(g: nx.DiGraph, use: Span) -> Iterator[NodeInfo]:
    """The layers one use of a block made (the call written at `use`)."""
    for n in all_nodes(g):
        if any(u.span == use for u in n.uses):
            yield _info(n)


def op_keras_class(op: Op) -> str:
    """The Keras class an op becomes (its usual one: a selection may also be a Take)."""
    entry = LAYERS.get(op.name)
    return entry.class_name if entry is not None else ""


__all__ = ["ACTIVATIONS", "OPS", "Analysis", "NodeInfo", "analyze", "parse_file"]
