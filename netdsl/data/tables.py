"""CSV data: reading a table and binding a spec's named features to its columns.

Only the csv module: `check --data` stays fast; numpy is imported by the
Keras backend when arrays are needed.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass

import networkx as nx

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


def adapting_standardizers(g: nx.DiGraph) -> list[str]:
    """standardize layers with no mean/variance: they are adapted on data."""
    return [
        n
        for n, d in g.nodes(data=True)
        if d["op"] == "standardize"
        and d.get("args")
        and d["args"].get("mean") is None
        and d["args"].get("variance") is None
    ]


def check_data(g: nx.DiGraph, table: Table | None, compiling: bool) -> list[Diagnostic]:
    """What compiling with (or without) this table would meet; [] when all is bound.

    Without a table, a standardize layer that must be adapted is an error when
    compiling (Keras would silently use mean 0, variance 1) and a warning when
    only checking.
    """
    diags = []
    adapting = adapting_standardizers(g)
    if table is None:
        report = error if compiling else warning
        for node in adapting:
            diags.append(
                report(
                    codes.STANDARDIZE_NO_DATA,
                    f"standardize layer '{node}' has no mean/variance and no data to adapt on",
                    g.nodes[node]["span"],
                    help="pass --data FILE.csv to adapt it, or give standardize(mean=[..], variance=[..])",
                )
            )
        return diags
    columns = set(table.columns)
    for name in g.graph["inputs"]:
        data = g.nodes[name]
        for feature in data.get("features") or ():
            if feature not in columns:
                diags.append(
                    error(
                        codes.MISSING_COLUMN,
                        f"input '{name}': feature '{feature}' is not a column of {table.path}",
                        data["width_span"],
                        help=did_you_mean(feature, table.columns)
                        or "its columns are: " + ", ".join(table.columns),
                    )
                )
    for node in adapting:
        for src in sorted(nx.ancestors(g, node), key=lambda n: g.nodes[n]["order"]):
            if g.nodes[src]["op"] == "input" and not g.nodes[src].get("features"):
                diags.append(
                    error(
                        codes.STANDARDIZE_UNBOUND,
                        f"standardize layer '{node}' depends on input '{src}', which has no "
                        "feature names to read from the data",
                        g.nodes[node]["span"],
                        help=f"name the columns: input {src}: [col_a, col_b, ...]",
                    )
                )
    if not diags:
        for node in adapting:
            for src in nx.ancestors(g, node):
                for feature in g.nodes[src].get("features") or () if g.nodes[src]["op"] == "input" else ():
                    try:
                        table.column(feature)
                    except DataError as exc:
                        diags.append(error(codes.BAD_DATA_FILE, str(exc), g.nodes[src]["width_span"]))
                        break
    return diags
