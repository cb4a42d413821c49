"""CSV data: reading a table and binding a spec's named features to its columns.

Only the csv module: `check --data` stays fast; numpy is imported by the
Keras backend when arrays are needed.
"""

from __future__ import annotations

import csv
import dataclasses
import difflib
import io
import math
import os
from dataclasses import dataclass

import networkx as nx

from ..ir.core import Node, network, node, nodes
from ..ir.fit_settings import unknown_class_weight_labels
from ..ir.ops import OPS
from ..lang import codes
from ..lang.diagnostics import Diagnostic, Note, SpecError, did_you_mean, error, warning
from ..lang.source import Source, Span

MAX_DATA_BYTES = 1 << 30
# Estimated bytes per cell of a table held as Python strings (the str object,
# its list slot, its share of the row's list), measured on iris-like files;
# reading a numeric column into an array costs about half as much again.
CELL_BYTES = 90


class DataError(Exception):
    """A data file that cannot be used, located in that file.

    str() is "PATH:LINE: message" (or "PATH: message" for the whole file);
    diagnostic() is the same as a Diagnostic pointing into the file.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        code=codes.BAD_DATA_FILE,
        line: int | None = None,
        column: int = 1,
        width: int = 1,
        text: str = "",
        help: str | None = None,
    ):
        where = f"{path}:{line}: " if path and line else f"{path}: " if path else ""
        super().__init__(where + message)
        self.path, self.message, self.code, self.help = path, message, code, help
        self.line, self.column, self.width = line, column, width
        self.text = text  # the file's text (or as much as was read): for the excerpt

    def diagnostic(self, sources: list[Source]) -> Diagnostic:
        """The problem as a diagnostic in the data file, whose Source is added
        to `sources` (the spec's, so that it renders with the spec's); without
        a path (a message made elsewhere), one without a position."""
        if self.path is None:
            return error(self.code, self.message, None, help=self.help)
        index = next((i for i, s in enumerate(sources) if s.name == self.path and i), None)
        if index is None:
            sources.append(Source(self.path, self.text))
            index = len(sources) - 1
        line = self.line or 1
        span = Span(line, self.column, line, self.column + max(self.width, 1), index)
        return error(self.code, self.message, span, help=self.help)

    def spec_error(self, g=None) -> SpecError:
        """The problem as a SpecError: with the spec's sources when `g` is given."""
        net = network(g) if g is not None else None
        sources = list(net.sources or [net.source]) if net is not None else []
        diag = self.diagnostic(sources)
        return SpecError([diag], sources[0] if sources else None, sources)


@dataclass
class Table:
    path: str
    columns: list[str]
    rows: list[list[str]]
    lines: list[int] | None = None  # the line of the file each row starts on
    text: str = ""  # the file's text, for excerpts in messages
    memory: int = 0  # estimated bytes this table takes

    def line_of(self, i: int) -> int:
        return self.lines[i] if self.lines else i + 2

    def subset(self, indices) -> Table:
        lines = [self.line_of(i) for i in indices]
        return Table(self.path, self.columns, [self.rows[i] for i in indices], lines, self.text)

    def cell_error(self, i: int, j: int, message: str, help: str | None = None) -> DataError:
        """A problem with the cell of row i, column j, pointing at it."""
        return self.error_at(self.line_of(i), j, message, codes.BAD_CELL, help)

    def error_at(self, line: int, j: int, message: str, code, help: str | None = None) -> DataError:
        """A problem with cell j of the file's line `line` (the header's too), pointing at it."""
        text = Source(self.path, self.text).line_text(line) if self.text else ""
        column, width = cell_position(text, j)
        return DataError(
            message,
            path=self.path,
            code=code,
            line=line,
            column=column,
            width=width,
            text=self.text,
            help=help,
        )

    def column(self, name: str) -> list[float]:
        if name not in self.columns:
            raise DataError(f"there is no column '{name}'", path=self.path)
        j = self.columns.index(name)
        values = []
        for i, row in enumerate(self.rows):
            cell = row[j].strip()
            if cell == "":
                raise self.cell_error(i, j, f"column '{name}' is empty on this row")
            try:
                value = float(cell)
            except ValueError:
                raise self.cell_error(i, j, f"column '{name}' is not a number: {cell!r}") from None
            if not math.isfinite(value):
                raise self.cell_error(i, j, f"column '{name}' is {cell!r}, not a finite number")
            values.append(value)
        return values


def cell_position(line: str, j: int) -> tuple[int, int]:
    """(column, width) of the j-th cell of a CSV line, quotes respected;
    (1, len) when the line has fewer cells (the rest is on later lines)."""
    start, quoted, k = 0, False, 0
    for pos, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            if k == j:
                return start + 1, max(pos - start, 1)
            k, start = k + 1, pos + 1
    if k == j:
        return start + 1, max(len(line) - start, 1)
    return 1, max(len(line), 1)


def matrix(table: Table, columns):
    """The named columns as a float32 array, rows x columns (numpy only here)."""
    import numpy as np

    out = np.empty((len(table.rows), len(columns)), dtype="float32")
    for k, c in enumerate(columns):
        out[:, k] = table.column(c)
    return out


def read_csv(path: str, memory_limit: int | None = None) -> Table:
    """Read a CSV with a header row (RFC 4180: quoted cells may hold commas,
    quotes and line breaks). OSError for I/O problems, DataError for content.

    Blank lines are skipped; rows are numbered by the file's lines. Only \\n,
    \\r and \\r\\n end a row: U+2028 and other separators are ordinary
    characters of a cell. A file estimated to need more memory than the
    budget (netdsl.io.memory_budget) is refused before it is parsed.
    """
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > MAX_DATA_BYTES:
            raise DataError(f"larger than {MAX_DATA_BYTES >> 20} MiB", path=path, text=_head(fh))
        raw = fh.read(MAX_DATA_BYTES + 1 if not size else size + 1)
        if len(raw) > MAX_DATA_BYTES:
            raise DataError(f"larger than {MAX_DATA_BYTES >> 20} MiB", path=path)
    memory = _check_memory(path, raw, memory_limit)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, raw, exc) from None
    del raw
    table = _parse(path, text)
    table.memory = memory
    return table


def _head(fh) -> str:
    fh.seek(0)
    return fh.readline(4096).decode("utf-8", "replace")


def _not_utf8(path: str, raw: bytes, exc: UnicodeDecodeError) -> DataError:
    line_start = raw.rfind(b"\n", 0, exc.start) + 1
    line_end = raw.find(b"\n", exc.start)
    text = raw[line_start : line_end if line_end >= 0 else len(raw)].decode("utf-8", "replace")
    line = raw.count(b"\n", 0, exc.start) + 1
    column = len(raw[line_start : exc.start].decode("utf-8", "replace")) + 1
    return DataError(
        f"not UTF-8 text: byte 0x{raw[exc.start]:02x} at line {line}",
        path=path,
        line=line,
        column=column,
        text="\n" * (line - 1) + text,
        help="save the file as UTF-8 (most spreadsheets offer 'CSV UTF-8')",
    )


def _check_memory(path: str, raw: bytes, memory_limit: int | None) -> int:
    from ..io import format_bytes, memory_budget

    newline = raw.find(b"\n")
    header = raw[: newline if newline >= 0 else len(raw)]
    cells = (raw.count(b"\n") + 1) * (header.count(b",") + 1)
    estimate = 2 * len(raw) + cells * CELL_BYTES * 3 // 2
    budget = memory_budget(memory_limit)
    if budget and estimate > budget:
        raise DataError(
            f"reading this file would take about {format_bytes(estimate)} of memory "
            f"({format_bytes(len(raw))}, about {cells:,} cells), over the budget of {format_bytes(budget)}",
            path=path,
            code=codes.MEMORY_BUDGET,
            text=header.decode("utf-8", "replace"),
            help=f"pass --memory-limit {format_bytes(estimate * 5 // 4, unit=True)} if the machine has it, "
            "or use fewer rows",
        )
    return estimate


def _parse(path: str, text: str) -> Table:
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[list[str]] = []
    lines: list[int] = []
    header: list[str] | None = None
    end = 0  # the last line of the previous record
    try:
        for record in reader:
            start, end = end + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue  # a blank line (or a row of empty cells)
            if header is None:
                header = [c.strip() for c in record]
                header_line = start
                continue
            rows.append(record)
            lines.append(start)
    except csv.Error as exc:
        message = f"not a valid CSV row: {exc}"
        raise DataError(message, path=path, code=codes.BAD_ROW, line=reader.line_num, text=text) from None
    if header is None:
        raise DataError("the file is empty", path=path, text=text)
    if not rows:
        raise DataError("there is a header but no data rows", path=path, line=header_line, text=text)
    table = Table(path, header, rows, lines, text)
    _check_header(table, header_line)
    _check_widths(table)
    return table


def _check_header(table: Table, line: int) -> None:
    seen: dict[str, int] = {}
    for j, name in enumerate(table.columns):
        if name and name in seen:
            raise table.error_at(
                line,
                j,
                f"column '{name}' is named twice in the header (columns {seen[name] + 1} and {j + 1})",
                codes.DUPLICATE_COLUMN,
                help="rename one of them: netdsl binds features and outputs to columns by name",
            )
        seen.setdefault(name, j)


def _check_widths(table: Table) -> None:
    n = len(table.columns)
    for i, row in enumerate(table.rows):
        if len(row) == n:
            continue
        short = len(row) < n
        line = table.line_of(i)
        text = Source(table.path, table.text).line_text(line)
        missing = ", ".join(f"'{c}'" for c in table.columns[len(row) :][:3])
        raise DataError(
            f"this row has {len(row)} cell{'s' * (len(row) != 1)}, the header {n} column{'s' * (n != 1)}"
            + (f": no {missing}{', ...' if n - len(row) > 3 else ''}" if short else ""),
            path=table.path,
            code=codes.BAD_ROW,
            line=line,
            column=len(text) + 1 if short else cell_position(text, n)[0],
            width=1,
            text=table.text,
            help="every row needs one cell per column (an empty cell is written ,,)"
            if short
            else 'a cell holding a comma must be quoted: "a, b"',
        )


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
    return diags + _class_weight_labels(g, table)


def _class_weight_labels(g: nx.DiGraph, table: Table) -> list[Diagnostic]:
    """A class_weight map against the classes of the label column named as the output."""
    net = network(g)
    if not isinstance(net.train.class_weight, dict) or len(net.outputs) != 1:
        return []
    column = net.outputs[0]
    if column not in table.columns:
        return []  # bound with --columns, checked when training binds it
    j = table.columns.index(column)
    classes = sorted({row[j].strip() for row in table.rows if len(row) > j})
    return unknown_class_weight_labels(net.train, classes, column)


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
                except DataError as exc:  # located in the data file, with a note at the input
                    note = Note(
                        f"standardize layer '{name}' adapts on input '{src}', which reads '{feature}'",
                        _declared_span(n),
                    )
                    net = network(g)
                    if not net.sources:
                        net.sources = [net.source]
                    diags.append(dataclasses.replace(exc.diagnostic(net.sources), notes=(note,)))
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
                raise DataError(f"input '{src}' has no feature names to read from the data", path=table.path)
            if src not in arrays:
                arrays[src] = matrix(table, features)
    return arrays
