"""What the playground shows of an analysis: the diagram (SVG) and the node table."""

from __future__ import annotations

import threading
from collections import OrderedDict

from ...backends.dot import DiagramOptions, render, to_dot
from ..lsp import model

_CACHE: OrderedDict[str, bytes] = OrderedDict()  # DOT text -> SVG: typing in a comment redraws nothing
_CACHE_SIZE = 256
_LOCK = threading.Lock()


def svg_of(analysis: model.Analysis) -> bytes:
    dot = to_dot(analysis.graph, DiagramOptions(allow_errors=True))
    with _LOCK:
        cached = _CACHE.get(dot)
        if cached is not None:
            _CACHE.move_to_end(dot)
            return cached
    svg = render(dot, "svg")
    with _LOCK:
        _CACHE[dot] = svg
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return svg


def diagram_payload(analysis: model.Analysis, svg_only: bool = False):
    """The `netdsl/diagram` notification's parameters (or the SVG alone)."""
    g = analysis.graph
    if svg_only:
        return svg_of(analysis)
    diagnostics = model.diagnostics(g)
    errors = sum(d.severity == "error" for d in diagnostics)
    payload: dict = {
        "version": analysis.version,
        "syntaxError": not analysis.syntax_ok,
        "errors": errors,
        "warnings": len(diagnostics) - errors,
        "network": model.network_name(g),
        "params": model.totals(g),
        "svg": None,
        "nodes": [],
    }
    if not analysis.syntax_ok:
        return payload  # the page keeps the last diagram that parsed, marked as stale
    payload["svg"] = svg_of(analysis).decode("utf-8")
    payload["nodes"] = [
        {
            "name": n.name,
            "op": n.op,
            "shape": n.shape_text,
            "params": n.param_count,
            "from": list(n.inputs),
            "details": n.details,
            "output": n.output,
            "line": n.span.line if n.span.file == 0 else None,
        }
        for n in model.nodes(g)
    ]
    return payload
