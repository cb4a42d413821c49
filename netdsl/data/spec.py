"""A spec checked together with its data: the front end plus the file.

The data is read before the checks (only what the data says of the spec's
category columns, their vocabularies, is handed to them: the sizes that
depend on it are then known) and checked against the spec after them.
"""

from __future__ import annotations

import networkx as nx

from ..ir.checks import library_only
from ..ir.core import network
from ..ir.pipeline import analyze, finish
from ..lang.diagnostics import SpecError
from ..lang.source import Source
from . import arrow, stats
from .tables import DataError, category_facts, check_data, in_data_file, spec_kinds


def read_for(
    g: nx.DiGraph, data, bound: dict | None = None, labels: bool = True, memory_limit: int | None = None
) -> arrow.Table:
    """The columns of `data` (a path, or an arrow.Table) that the spec reads,
    typed as it declares them, read into memory within the memory budget;
    DataError, OSError."""
    if isinstance(data, arrow.Table):
        return data
    header = arrow.read_header(str(data))
    kinds = spec_kinds(g, header.columns, bound, labels)
    return arrow.read_table(str(data), kinds, header, memory_limit=memory_limit)


def summarize(g: nx.DiGraph, data):
    """A streamed summary of a file (or an arrow.Table already read) for the
    checks: its memory does not grow with the file. The label columns are
    read too (their text must be readable; a class_weight map names their
    classes)."""
    if isinstance(data, arrow.Table):
        return data
    header = arrow.read_header(str(data))
    return stats.scan(str(data), spec_kinds(g, header.columns), header)


def checked(source: Source, data, strict: bool, compiling: bool, include_paths=()) -> nx.DiGraph:
    """Parse and check `source`; check it against `data` (a CSV or Parquet
    path, or an arrow.Table) when given. Raises SpecError when anything is
    wrong (its .graph: what could be built). The data is not kept: a backend
    that needs it is given it again."""
    g = checked_graph(source, data, strict, compiling, include_paths)
    return finish(g, (), False)


def checked_graph(source: Source, data, strict: bool, compiling: bool, include_paths=()) -> nx.DiGraph:
    """Like checked, but a spec or data with errors does not raise: the graph
    holds what could be built and network(graph).diagnostics every problem
    (warnings made errors with `strict`). A problem of the data file is
    located in that file. The file is read in one streamed pass before the
    checks (what it says of the category columns, their vocabularies, sizes
    the layers)."""
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
    if "error" in found:
        extra = [in_data_file(g, found["error"])]
    else:
        library = library_only(g) if compiling else None
        if library is not None:
            extra = [library]
        else:
            syntax_error = network(g).syntax_error
            extra = check_data(g, found.get("summary"), compiling) if not syntax_error else []
    try:
        finish(g, extra, strict)
    except SpecError:
        pass  # the diagnostics are in the graph
    return g


def _table_counts(table: arrow.Table) -> dict:
    columns = [c for c, k in table.kinds.items() if k in (arrow.STRING, arrow.INT)]
    return stats.category_counts(table, columns)
