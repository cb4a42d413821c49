"""A spec checked together with its data: the front end plus the table."""

from __future__ import annotations

import networkx as nx

from ..ir.pipeline import analyze, finish
from ..lang import codes
from ..lang.diagnostics import error
from ..lang.source import Source
from .tables import DataError, Table, check_data, read_csv


def checked(
    source: Source, data: str | Table | None, strict: bool, compiling: bool, include_paths=()
) -> nx.DiGraph:
    """Parse and check `source`; bind its named features to `data` (a CSV path
    or a Table) when given. Raises SpecError when anything is wrong."""
    g = analyze(source, include_paths)
    try:
        table = data if isinstance(data, Table) or data is None else read_csv(data)
    except DataError as exc:
        named = [n for n in g.graph["inputs"] if g.nodes[n].get("features")]
        span = g.nodes[named[0]]["width_span"] if named else None
        g.graph["table"] = None
        return finish(g, [error(codes.BAD_DATA_FILE, str(exc), span)], strict)
    g.graph["table"] = table
    extra = check_data(g, table, compiling) if not g.graph.get("syntax_error") else []
    return finish(g, extra, strict)
