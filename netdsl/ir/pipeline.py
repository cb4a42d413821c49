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
from .core import network, new_graph, node
from .graph import build_graph, default_name


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
    Diagnostics are in network(graph).diagnostics, sorted by position;
    network(graph).sources lists the spec and the files it imports."""
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
    g = new_graph(source)
    net = network(g)
    net.name = default_name(source)
    net.diagnostics = list(diagnostics)
    net.syntax_error = True
    net.sources = [source]
    return g


def analyze_program(source: Source, program, include_paths=()) -> nx.DiGraph:
    """analyze() of a spec already parsed (an editor parses it incrementally)."""
    resolver = Resolver(source, include_paths)
    imported = resolver.resolve(program)
    g = build_graph(program, source, imported, resolver.namespaces)
    net = network(g)
    net.sources = resolver.sources
    net.diagnostics.extend(resolver.diags)
    net.diagnostics.extend(confusable_names(program))
    if not has_errors(net.diagnostics) or g.number_of_nodes():
        run_checks(g)
    diagnostics = resolver.without_cascades(net.diagnostics)  # one error per failed import
    net.diagnostics = sort_diagnostics(_with_block_uses(g, diagnostics))
    return g


def _with_block_uses(g: nx.DiGraph, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """A problem in a layer that a block made gets a second location: the use
    of the block when the problem is written inside the block, or the line
    inside the block when it is an argument written at the use."""
    if not network(g).blocks:
        return diagnostics
    out = []
    for diag in diagnostics:
        n = node(g, diag.node) if diag.node is not None and diag.node in g else None
        if n is None or not n.uses or diag.span is None:
            out.append(diag)
            continue
        prefix, block, use = n.uses[-1][:3]
        if use.contains(diag.span):  # an argument written at the use
            note = Note(f"passed into block '{block}', where it is used here", n.span)
        else:
            note = Note(f"in block '{block}' ({prefix}), used here", n.uses[0].span)
        out.append(dataclasses.replace(diag, notes=diag.notes + (note,)))
    return out


def finish(g: nx.DiGraph, extra=(), strict: bool = False) -> nx.DiGraph:
    """Add diagnostics from later stages; raise SpecError if there are errors."""
    net = network(g)
    diags = sort_diagnostics(list(net.diagnostics) + list(extra))
    if strict:
        diags = [d.as_error() for d in diags]
    net.diagnostics = diags
    if any(d.severity == ERROR for d in diags):
        exc = SpecError(diags, net.source, net.sources)
        exc.graph = g  # what could be built, for reports that list it (check --json)
        raise exc
    return g
