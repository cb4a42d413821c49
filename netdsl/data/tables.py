"""CSV data: reading a table and binding a spec's named features to its columns.

Only the csv module: `check --data` stays fast; numpy is imported by the
Keras backend when arrays are needed.
"""

from __future__ import annotations

import csv
import difflib
import math
from dataclasses import dataclass

import networkx as nx

from ..ir.core import Node, network, node, nodes
from ..ir.ops import OPS
from ..lang import codes
from ..lang.diagnostics import Diagnostic, did_you_mean, error, warning

MAX_DATA_BYTES = 1 << 30


class DataError(Exception):
    """A data file that cannot be used; the message says where and why."""


@dataclass
class Table:
    path: str
    columns: list[str]
    rows: list[list[str]]

    def column(self, name: str) -> list[float]:
        if name not in self.columns:
            raise DataError(f"{self.path}: there is no column '{name}'")
        j = self.columns.index(name)
        values = []
        for i, row in enumerate(self.rows, start=2):
            cell = row[j].strip() if j < len(row) else ""
            if cell == "":
                raise DataError(f"{self.path}:{i}: column '{name}' is empty on this row")
            try:
                value = float(cell)
            except ValueError:
                raise DataError(f"{self.path}:{i}: column '{name}' is not a number: {cell!r}") from None
            if not math.isfinite(value):
                raise DataError(f"{self.path}:{i}: column '{name}' is {cell!r}, not a finite number")
            values.append(value)
        return values


def matrix(table: Table, columns):
    """The named columns as a float32 array, rows x columns (numpy only here)."""
    import numpy as np

    return np.ascontiguousarray(np.asarray([table.column(c) for c in columns], dtype="float32").T)


def read_csv(path: str) -> Table:
    """Read a CSV with a header row. OSError for I/O problems, DataError for content."""
    with open(path, "rb") as fh:
        raw = fh.read(MAX_DATA_BYTES + 1)
    if len(raw) > MAX_DATA_BYTES:
        raise DataError(f"{path}: larger than {MAX_DATA_BYTES >> 20} MiB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    rows = [r for r in csv.reader(text.splitlines()) if any(cell.strip() for cell in r)]
    if not rows:
        raise DataError(f"{path}: the file is empty")
    header = [c.strip() for c in rows[0]]
    if len(rows) < 2:
        raise DataError(f"{path}: there is a header but no data rows")
    return Table(path, header, rows[1:])


def adapting_nodes(g: nx.DiGraph) -> list[str]:
    """Layers that learn their statistics from data (standardize without mean/variance)."""
    found = []
    for n in nodes(g):
        op = OPS.get(n.op) if n.op is not None else None
        if op is not None and n.args is not None and op.adapts(n.args):
            found.append(n.name)
    return found


def missing_data(g: nx.DiGraph, compiling: bool) -> list[Diagnostic]:
    """Without data: each layer that must adapt is an error when compiling
    (Keras would silently use mean 0, variance 1) and a warning when only
    checking. Reads the graph only."""
    report = error if compiling else warning
    return [
        report(
            codes.STANDARDIZE_NO_DATA,
            f"standardize layer '{name}' has no mean/variance and no data to adapt on",
            node(g, name).span,
            help="pass --data FILE.csv to adapt it, or give standardize(mean=[..], variance=[..])",
        )
        for name in adapting_nodes(g)
    ]


def check_data(g: nx.DiGraph, table: Table | None, compiling: bool) -> list[Diagnostic]:
    """What compiling with (or without) this table would meet; [] when all is bound."""
    if table is None:
        return missing_data(g, compiling)
    diags = _missing_columns(g, table)
    adapting = adapting_nodes(g)
    for name in adapting:
        for src in _inputs_of(g, name):
            if not node(g, src).features:
                diags.append(
                    error(
                        codes.STANDARDIZE_UNBOUND,
                        f"standardize layer '{name}' depends on input '{src}', which has no "
                        "feature names to read from the data",
                        node(g, name).span,
                        help=f"name the columns: input {src}: [col_a, col_b, ...]",
                    )
                )
    if not diags:
        diags = _unreadable_columns(g, table, adapting)
    return diags


def _inputs_of(g: nx.DiGraph, name: str) -> list[str]:
    """The inputs a node depends on, in source order."""
    return [
        a for a in sorted(nx.ancestors(g, name), key=lambda m: node(g, m).order) if node(g, a).op == "input"
    ]


def _missing_columns(g: nx.DiGraph, table: Table) -> list[Diagnostic]:
    diags = []
    columns = set(table.columns)
    for name in network(g).inputs:
        n = node(g, name)
        spans = n.declared.feature_spans if n.declared is not None else ()
        for i, feature in enumerate(n.features or ()):
            if feature not in columns:
                diags.append(
                    error(
                        codes.MISSING_COLUMN,
                        f"input '{name}': feature '{feature}' is not a column of {table.path}",
                        spans[i] if i < len(spans) else _declared_span(n),
                        help=columns_hint(feature, table.columns),
                    )
                )
    return diags


def _unreadable_columns(g: nx.DiGraph, table: Table, adapting: list[str]) -> list[Diagnostic]:
    """Cells that are not numbers in the columns a layer adapts on."""
    diags = []
    for name in adapting:
        for src in nx.ancestors(g, name):
            n = node(g, src)
            for feature in n.features or () if n.op == "input" else ():
                try:
                    table.column(feature)
                except DataError as exc:
                    diags.append(error(codes.BAD_DATA_FILE, str(exc), _declared_span(n)))
                    break
    return diags


def _declared_span(n: Node):
    return n.declared.span if n.declared is not None else n.span


def feature_span(n: Node, feature: str):
    """Where an input's feature is written; the declaration when it is not listed there."""
    d = n.declared
    if d is not None and d.features and feature in d.features and len(d.feature_spans) == len(d.features):
        return d.feature_spans[d.features.index(feature)]
    return _declared_span(n)


def columns_hint(feature: str, columns: list[str]) -> str:
    """A did-you-mean for a missing column, else the columns most like it."""
    close = did_you_mean(feature, columns)
    if close:
        return close
    ranked = sorted(columns, key=lambda c: -difflib.SequenceMatcher(None, feature, c).quick_ratio())
    more = f" (and {len(columns) - 5:,} more)" if len(columns) > 5 else ""
    return "the columns most like it: " + ", ".join(ranked[:5]) + more


def adapt_arrays(g: nx.DiGraph, table: Table) -> dict:
    """The arrays (rows x features) of the inputs that adapting layers learn
    from; DataError when the table cannot give them (check it against the
    spec first with check_data for located diagnostics)."""
    arrays = {}
    for name in adapting_nodes(g):
        for src in _inputs_of(g, name):
            features = node(g, src).features
            if not features:
                raise DataError(f"{table.path}: input '{src}' has no feature names to read from the data")
            if src not in arrays:
                arrays[src] = matrix(table, features)
    return arrays
