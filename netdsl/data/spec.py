"""A spec checked together with its data: the front end plus the file.

The data is read before the checks (only what the data says of the spec's
category columns, their vocabularies, is handed to them: the sizes that
depend on it are then known) and checked against the spec after them.
"""

from __future__ import annotations

import networkx as nx

from ..ir.checks import library_only
from ..ir.core import network, node
from ..ir.pipeline import analyze, finish
from ..lang import codes
from ..lang.diagnostics import error
from ..lang.source import Source
from . import arrow, stats
from .tables import DataError, category_facts, check_data, spec_kinds


def read_for(g: nx.DiGraph, data, bound: dict | None = None, labels: bool = True) -> arrow.Table:
    """The columns of `data` (a path, or an arrow.Table) that the spec reads,
    typed as it declares them; DataError, OSError."""
    if isinstance(data, arrow.Table):
        return data
    header = arrow.read_header(str(data))
    return arrow.read_table(str(data), spec_kinds(g, header.columns, bound, labels), header)


def summarize(g: nx.DiGraph, data):
    """A streamed summary of a file (or an arrow.Table already read) for the checks."""
    if isinstance(data, arrow.Table):
        return data
    header = arrow.read_header(str(data))
    return stats.scan(str(data), spec_kinds(g, header.columns, labels=False), header)


def checked(source: Source, data, strict: bool, compiling: bool, include_paths=()) -> nx.DiGraph:
    """Parse and check `source`; check it against `data` (a CSV or Parquet
    path, or an arrow.Table) when given. Raises SpecError when anything is
    wrong. The data is not kept: a backend that needs it is given it again."""
    found: dict = {}

    def learn(g: nx.DiGraph) -> None:
        if data is None:
            return
        try:
            summary = found["summary"] = summarize(g, data)
        except DataError as exc:
            found["error"] = exc
            return
        counts = summary.counts if isinstance(summary, stats.Summary) else _table_counts(summary)
        network(g).vocabularies = category_facts(g, counts)

    g = analyze(source, include_paths, learn)
    net = network(g)
    if "error" in found:
        declared = [d for d in (node(g, n).declared for n in net.inputs) if d is not None and d.features]
        span = declared[0].span if declared else None
        exc = found["error"]
        return finish(
            g, [error(codes.BAD_DATA_FILE, str(exc), span, help=getattr(exc, "help", None))], strict
        )
    library = library_only(g) if compiling else None
    if library is not None:
        return finish(g, [library], strict)
    extra = check_data(g, found.get("summary"), compiling) if not net.syntax_error else []
    return finish(g, extra, strict)


def _table_counts(table: arrow.Table) -> dict:
    columns = [c for c, k in table.kinds.items() if k in (arrow.STRING, arrow.INT)]
    return stats.category_counts(table, columns)
