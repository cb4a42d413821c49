"""Cells a lookup without out-of-vocabulary slots (`lookup(oov=0)`) cannot take.

Keras's StringLookup / IntegerLookup with num_oov_indices=0 has no index for a
value outside its vocabulary (nor for a missing cell, `""` or -1, unless that is
its mask token) and stops at call time with an assertion from the graph. So the
column is checked first, from a spec (`closed_lookups`) or from a saved model's
config (`closed_in_config`), and the first such cell is a located DataError.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from ..ir.core import CATEGORIES, node
from ..lang import codes
from . import arrow
from .errors import DataError, located

KIND_OF = {"string": arrow.STRING, "int64": arrow.INT, "int32": arrow.INT}


@dataclass(frozen=True)
class Closed:
    """A lookup with no out-of-vocabulary slot reading one column."""

    layer: str
    column: str
    kind: str  # arrow.STRING or arrow.INT
    vocabulary: tuple
    mask: bool  # a missing cell is its mask token: allowed


def closed_lookups(g: nx.DiGraph) -> list[Closed]:
    """The spec's lookup(oov=0) layers applied straight to a record's category column."""
    found = []
    for name in g.nodes:
        n = node(g, name)
        if n.op != "lookup" or not n.args or n.args.get("oov", 1) != 0 or n.vocabulary is None:
            continue
        field = _column_of(g, n.inputs[0] if n.inputs else None)
        if field is not None:
            kind = arrow.STRING if field.dtype == "string" else arrow.INT
            found.append(Closed(name, field.name, kind, tuple(n.vocabulary), bool(n.args.get("mask"))))
    return found


def _column_of(g: nx.DiGraph, name: str | None):
    """The record field a selection of one category column reads (its Field); None otherwise."""
    operand = node(g, name) if name is not None and name in g else None
    if operand is None or operand.op != "select" or not operand.inputs or len(operand.features or ()) != 1:
        return None
    source = node(g, operand.inputs[0])
    declared = source.declared if source.op == "input" else None
    column = (operand.features or ("",))[0]
    field = next((f for f in (declared.fields or ()) if f.name == column), None) if declared else None
    return field if field is not None and field.dtype in CATEGORIES else None


def closed_in_config(config: dict, columns: dict[str, str]) -> list[Closed]:
    """A saved model's StringLookup / IntegerLookup layers with num_oov_indices=0
    fed straight by an input that reads one column (`columns`: input -> column)."""
    found = []
    for layer in (config.get("config") or {}).get("layers") or []:
        cfg = layer.get("config") or {}
        if (
            layer.get("class_name") not in ("StringLookup", "IntegerLookup")
            or cfg.get("num_oov_indices") != 0
        ):
            continue
        if cfg.get("invert") or not isinstance(cfg.get("vocabulary"), list):
            continue
        source = _only_input(layer)
        if source not in columns:
            continue
        kind = arrow.STRING if layer["class_name"] == "StringLookup" else arrow.INT
        mask = cfg.get("mask_token") is not None
        found.append(Closed(str(layer.get("name")), columns[source], kind, tuple(cfg["vocabulary"]), mask))
    return found


def _only_input(layer: dict) -> str | None:
    """The layer that feeds a layer called once on one tensor (its keras_history)."""
    nodes = layer.get("inbound_nodes") or []
    if len(nodes) != 1 or len(nodes[0].get("args") or ()) != 1:
        return None
    tensor = nodes[0]["args"][0]
    history = (tensor.get("config") or {}).get("keras_history") if isinstance(tensor, dict) else None
    return str(history[0]) if isinstance(history, list) and history else None


def check_table(table: arrow.Table, lookups: list[Closed]) -> None:
    """DataError at the first cell of `table` a lookup cannot take."""
    for lookup in lookups:
        if lookup.column not in table.kinds:
            continue
        bad = table.index_in(lookup.column, list(lookup.vocabulary)) < 0
        if lookup.mask:
            bad &= ~table.data.column(lookup.column).is_null().to_numpy(zero_copy_only=False)
        if bad.any():
            raise unseen_error(table, lookup, int(bad.argmax()))


def check_counts(path: str, counts, lookup: Closed) -> None:
    """From a file's value counts of the column (stats.Counts): when a cell
    does not fit, the column read again piece by piece to locate the first."""
    unseen = counts.missing and not lookup.mask or any(v not in lookup.vocabulary for v in counts.counts)
    if unseen:
        for piece in arrow.iter_batches(path, {lookup.column: lookup.kind}):
            check_table(piece, [lookup])


def unseen_error(table: arrow.Table, lookup: Closed, i: int) -> DataError:
    line, cell = arrow.locate_cell(table.path, table.columns, lookup.column, table.file_row(i))
    shown = ", ".join(map(repr, lookup.vocabulary[:8])) + (", ..." if len(lookup.vocabulary) > 8 else "")
    what = "is missing on this row" if not cell.strip() else f"has {cell.strip()!r}"
    where = "" if line is not None else f" (row {table.file_row(i) + 1})"
    return located(
        table.path,
        f"column '{lookup.column}' {what}{where}, not in the vocabulary of lookup '{lookup.layer}', "
        f"which has no out-of-vocabulary index (oov=0): {shown}",
        line,
        cell=table.columns.index(lookup.column),
        code=codes.OUT_OF_VOCABULARY,
        help="give the lookup an index for other values (lookup(oov=1)), add the value to its "
        "vocabulary, or remove the row",
    )
