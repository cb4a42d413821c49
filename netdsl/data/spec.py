"""A spec checked together with its data: the front end plus the table."""

from __future__ import annotations

import networkx as nx

from ..ir.checks import library_only
from ..ir.core import network
from ..ir.pipeline import analyze, finish
from ..lang.diagnostics import SpecError
from ..lang.source import Source
from .tables import DataError, Table, check_data, read_csv


def as_table(data: str | Table, memory_limit: int | None = None) -> Table:
    """A Table, or the CSV file at a path read as one (DataError, OSError)."""
    return data if isinstance(data, Table) else read_csv(data, memory_limit)


def checked(
    source: Source, data: str | Table | None, strict: bool, compiling: bool, include_paths=()
) -> nx.DiGraph:
    """Parse and check `source`; check its named features against `data` (a
    CSV path or a Table) when given. Raises SpecError when anything is wrong
    (its .graph: what could be built). The table is not kept: a backend that
    needs it is given it again."""
    g = checked_graph(source, data, strict, compiling, include_paths)
    return finish(g, (), False)


def checked_graph(
    source: Source,
    data: str | Table | None,
    strict: bool,
    compiling: bool,
    include_paths=(),
    memory_limit: int | None = None,
) -> nx.DiGraph:
    """Like checked, but a spec or data with errors does not raise: the graph
    holds what could be built and network(graph).diagnostics every problem
    (warnings made errors with `strict`). A problem of the data file is
    located in that file."""
    g = analyze(source, include_paths)
    net = network(g)
    if not net.sources:
        net.sources = [net.source]
    try:
        table = None if data is None else as_table(data, memory_limit)
    except DataError as exc:
        extra = [exc.diagnostic(net.sources)]
    else:
        library = library_only(g) if compiling else None
        if library is not None:
            extra = [library]
        else:
            extra = check_data(g, table, compiling) if not net.syntax_error else []
    try:
        finish(g, extra, strict)
    except SpecError:
        pass  # the diagnostics are in the graph
    return g
