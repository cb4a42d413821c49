"""A spec checked together with its data: the front end plus the table."""

from __future__ import annotations

import networkx as nx

from ..ir.checks import library_only
from ..ir.core import network, node
from ..ir.pipeline import analyze, finish
from ..lang import codes
from ..lang.diagnostics import error
from ..lang.source import Source
from .tables import DataError, Table, check_data, read_csv


def as_table(data: str | Table) -> Table:
    """A Table, or the CSV file at a path read as one (DataError, OSError)."""
    return data if isinstance(data, Table) else read_csv(data)


def checked(
    source: Source, data: str | Table | None, strict: bool, compiling: bool, include_paths=()
) -> nx.DiGraph:
    """Parse and check `source`; check its named features against `data` (a
    CSV path or a Table) when given. Raises SpecError when anything is wrong.
    The table is not kept: a backend that needs it is given it again."""
    g = analyze(source, include_paths)
    net = network(g)
    try:
        table = None if data is None else as_table(data)
    except DataError as exc:
        declared = [d for d in (node(g, n).declared for n in net.inputs) if d is not None and d.features]
        span = declared[0].span if declared else None
        return finish(g, [error(codes.BAD_DATA_FILE, str(exc), span)], strict)
    library = library_only(g) if compiling else None
    if library is not None:
        return finish(g, [library], strict)
    extra = check_data(g, table, compiling) if not net.syntax_error else []
    return finish(g, extra, strict)
