"""The front end in one place: read -> parse -> graph -> checks."""

from __future__ import annotations

import contextlib
import dataclasses
import gc

import networkx as nx

from ..lang.diagnostics import ERROR, Diagnostic, Note, SpecError, has_errors, sort_diagnostics
from ..lang.imports import Resolver
from ..lang.lint import confusable_names
from ..lang.parser import parse
from ..lang.source import Source
from .checks import run_checks
from .graph import build_graph


@contextlib.contextmanager
def _gc_paused():
    """Parsing allocates hundreds of thousands of small objects and no cycles
    worth collecting; the cyclic GC would rescan them all again and again
    (half the time of a 50,000-layer check). Pause it while checking."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            # Move what the check made to the oldest generation first: else the
            # first young-generation pass after enable() scans all of it.
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def analyze(source: Source, include_paths=()) -> nx.DiGraph:
    """Parse, resolve imports, build and check; never raises for a bad spec.
    Diagnostics are in graph.graph["diagnostics"], sorted by position;
    graph.graph["sources"] lists the spec and the files it imports."""
    with _gc_paused():
        return _analyze(source, include_paths)


def _analyze(source: Source, include_paths) -> nx.DiGraph:
    try:
        program = parse(source)
    except SpecError as exc:
        return syntax_error_graph(source, exc.diagnostics)
    return analyze_program(source, program, include_paths)


def syntax_error_graph(source: Source, diagnostics) -> nx.DiGraph:
    """The graph of a spec that does not parse: no nodes, its syntax diagnostics."""
    g = nx.DiGraph()
    g.graph.update(
        name=None,
        source=source,
        outputs=[],
        inputs=[],
        definitions={},
        compile=None,
        training=None,
        diagnostics=list(diagnostics),
        params={"total": 0, "trainable": 0, "non_trainable": 0},
        syntax_error=True,
        sources=[source],
    )
    return g


def analyze_program(source: Source, program, include_paths=()) -> nx.DiGraph:
    """analyze() of a spec already parsed (an editor parses it incrementally)."""
    resolver = Resolver(source, include_paths)
    imported = resolver.resolve(program)
    g = build_graph(program, source, imported, resolver.namespaces)
    g.graph["sources"] = resolver.sources
    g.graph["diagnostics"].extend(resolver.diags)
    g.graph["diagnostics"].extend(confusable_names(program))
    if not has_errors(g.graph["diagnostics"]) or g.number_of_nodes():
        run_checks(g)
    diagnostics = resolver.without_cascades(g.graph["diagnostics"])  # one error per failed import
    g.graph["diagnostics"] = sort_diagnostics(_with_block_uses(g, diagnostics))
    return g


def _with_block_uses(g: nx.DiGraph, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """A problem in a layer that a block made gets a second location: the use
    of the block when the problem is written inside the block, or the line
    inside the block when it is an argument written at the use."""
    if not g.graph.get("blocks"):
        return diagnostics
    out = []
    for diag in diagnostics:
        data = g.nodes[diag.node] if diag.node in g else None
        if data is None or not data.get("uses") or diag.span is None:
            out.append(diag)
            continue
        prefix, block, use = data["uses"][-1]
        if use.contains(diag.span):  # an argument written at the use
            note = Note(f"passed into block '{block}', where it is used here", data["span"])
        else:
            note = Note(f"in block '{block}' ({prefix}), used here", data["uses"][0][2])
        out.append(dataclasses.replace(diag, notes=diag.notes + (note,)))
    return out


def finish(g: nx.DiGraph, extra=(), strict: bool = False) -> nx.DiGraph:
    """Add diagnostics from later stages; raise SpecError if there are errors."""
    diags = sort_diagnostics(list(g.graph["diagnostics"]) + list(extra))
    if strict:
        diags = [d.as_error() for d in diags]
    g.graph["diagnostics"] = diags
    if any(d.severity == ERROR for d in diags):
        raise SpecError(diags, g.graph["source"], g.graph.get("sources"))
    return g
