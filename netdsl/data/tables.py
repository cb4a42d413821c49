"""A spec checked against its data: columns bound, cells usable, layers that learn from data.

Tables are read with pyarrow (netdsl/data/arrow.py), typed as the spec
declares its columns (`kinds`); `check --data` streams the file once
(netdsl/data/stats.py scan). Nothing here imports TensorFlow.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Iterable

import networkx as nx

from ..ir.core import CATEGORIES, FLOAT, INT, STRING, Node, network, node, nodes
from ..ir.fit_settings import declared_sample_weight, unknown_class_weight_labels
from ..ir.ops import OPS, fmt_shape
from ..lang import codes
from ..lang.diagnostics import Diagnostic, Note, did_you_mean, error, warning
from .errors import DataError as DataError  # where callers have always found it

KIND_OF = {FLOAT: "float", STRING: "string", INT: "int"}  # a field's dtype -> arrow's kind


def spec_kinds(
    g: nx.DiGraph, columns: Iterable[str], bound: dict[str, list[str]] | None = None, labels: bool = True
) -> dict[str, str]:
    """The columns of a file the spec reads, with the kind each is read as: a
    record's fields as declared, a vector input's features as numbers (or the
    columns `bound` gives it), an output's label column (its name, or the
    column `bound` gives it) as a label. Reads the
    declarations only (it runs before the checks too)."""
    present = set(columns)
    kinds: dict[str, str] = {}
    for name in network(g).inputs:
        declared = node(g, name).declared
        if declared is None:
            continue
        if declared.fields:
            kinds.update((f.name, KIND_OF[f.dtype]) for f in declared.fields)
        else:
            kinds.update((c, "float") for c in (bound or {}).get(name) or declared.features or ())
    if labels:
        for out in network(g).outputs:
            given = (bound or {}).get(out)
            kinds.setdefault(given[0] if given else out, "label")
        weight = declared_sample_weight(network(g))
        if weight is not None:
            kinds.setdefault(weight[0], "float")
    return {c: k for c, k in kinds.items() if c in present}


def category_facts(g: nx.DiGraph, counts: dict) -> dict[tuple[str, str], tuple[tuple, int]]:
    """Network.vocabularies from the value counts of the data's category columns."""
    facts = {}
    for name in network(g).inputs:
        declared = node(g, name).declared
        for f in (declared.fields if declared is not None else None) or ():
            if f.dtype in CATEGORIES and f.name in counts:
                c = counts[f.name]
                facts[(name, f.name)] = (tuple(c.ordered()), c.missing)
    return facts


# What a layer learns from data, for the message when there is none.
LEARNS = {
    "standardize": ("mean/variance", "or give standardize(mean=[..], variance=[..])"),
    "discretize": ("bin boundaries", "or give discretize(boundaries=[..])"),
    "fill": ("fill values", "or fill with given numbers: fill(0)"),
    "lookup": (
        "vocabulary",
        'or give it: lookup(vocabulary=["a", "b"]), or declare it: x: string(vocabulary=[..])',
    ),
}


def adapting_nodes(g: nx.DiGraph) -> list[str]:
    """Standardize layers that adapt their statistics on the data (Normalization's weights)."""
    return [n for n in learning_nodes(g) if node(g, n).op == "standardize"]


def learning_nodes(g: nx.DiGraph) -> list[str]:
    """Layers that learn from data: standardize and discretize adapting,
    fill(mean)/fill(median), and lookups (and one-hot encodings of raw
    categories) whose vocabulary is not given."""
    found = []
    for n in nodes(g):
        op = OPS.get(n.op) if n.op is not None else None
        if op is None or n.args is None or n.shape is None:
            continue  # an error here or upstream is reported already
        if op.adapts(n.args) or _learns_vocabulary(g, n):
            found.append(n.name)
    return found


def _learns_vocabulary(g: nx.DiGraph, n: Node) -> bool:
    if n.op not in ("lookup", "one_hot", "multi_hot") or n.shape is None or not n.inputs:
        return False
    operand = node(g, n.inputs[0]) if n.inputs[0] in g else None
    return operand is not None and operand.dtype in CATEGORIES and n.vocabulary is None


def missing_data(g: nx.DiGraph, compiling: bool) -> list[Diagnostic]:
    """Without data: each layer that must learn from it is an error when
    compiling (Keras would silently use mean 0, variance 1; a lookup would
    have no vocabulary) and a warning when only checking (its sizes wait)."""
    report = error if compiling else warning
    diags = []
    for name in learning_nodes(g):
        n = node(g, name)
        if n.op == "standardize":
            diags.append(
                report(
                    codes.STANDARDIZE_NO_DATA,
                    f"standardize layer '{name}' has no mean/variance and no data to adapt on",
                    n.span,
                    help="pass --data FILE.csv to adapt it, or give standardize(mean=[..], variance=[..])",
                )
            )
            continue
        what, other = LEARNS.get(n.op or "", LEARNS["lookup"])
        waits = f"; its sizes wait for it ({n.waits})" if n.waits and not compiling else ""
        diags.append(
            report(
                codes.ADAPT_NO_DATA,
                f"{n.op} layer '{name}' learns its {what} from data, and there is none{waits}",
                n.span,
                help=f"pass --data FILE, {other}",
            )
        )
    return diags


def check_data(g: nx.DiGraph, table, compiling: bool) -> list[Diagnostic]:
    """What compiling with (or without) this data would meet; [] when all is
    bound. `table` is an arrow.Table or a stats.Summary of the file (its
    columns, and the missing cells of each)."""
    if table is None:
        return missing_data(g, compiling)
    diags = _missing_columns(g, table) + shaped_inputs(g)
    for name in learning_nodes(g):
        for src in _inputs_of(g, name):
            if not node(g, src).features:
                diags.append(
                    error(
                        codes.STANDARDIZE_UNBOUND,
                        f"{node(g, name).op} layer '{name}' depends on input '{src}', which has no "
                        "feature names to read from the data",
                        node(g, name).span,
                        help=f"name the columns: input {src}: [col_a, col_b, ...]",
                    )
                )
    if not diags:
        diags = _unfilled(g, table)
    return (
        diags + _class_weight_labels(g, table) + missing_weight_column(g, table) + _closed_lookups(g, table)
    )


def shaped_inputs(g: nx.DiGraph) -> list[Diagnostic]:
    """A shaped input (`input seq: (4, 62)`): a data file's columns feed vectors, not shapes."""
    diags = []
    for name in network(g).inputs:
        declared = node(g, name).declared
        shape = declared.shape if declared is not None else None
        if declared is None or shape is None:
            continue
        diags.append(
            error(
                codes.UNBOUND_INPUT,
                f"input '{name}' has shape {fmt_shape(shape)}: a data file's columns feed a vector input, "
                "not a shaped one",
                declared.span,
                help=f"declare its {math.prod(shape)} columns as a vector and reshape it in the model: "
                f"input {name}: [col_a, col_b, ...] (or input {name}: {math.prod(shape)}), then "
                f"{name} -> reshape({', '.join(map(str, shape))})",
            )
        )
    return diags


def _closed_lookups(g: nx.DiGraph, table) -> list[Diagnostic]:
    """The first cell a lookup(oov=0) cannot take (ND623): Keras would stop at call time."""
    from . import vocab

    for lookup in vocab.closed_lookups(g):
        try:
            if isinstance(getattr(table, "counts", None), dict):  # a stats.Summary of the file
                if lookup.column in table.counts:
                    vocab.check_counts(table.path, table.counts[lookup.column], lookup)
            else:
                vocab.check_table(table, [lookup])
        except DataError as exc:
            n = node(g, lookup.layer)
            return [
                in_data_file(g, exc, Note(f"lookup '{lookup.layer}' has no index for other values", n.span))
            ]
    return []


def missing_weight_column(g: nx.DiGraph, table) -> list[Diagnostic]:
    """The train line's sample_weight column, when the data has no such column (ND602)."""
    fit = network(g).train
    if fit.sample_weight is None or fit.sample_weight in set(table.columns):
        return []
    return [
        error(
            codes.MISSING_COLUMN,
            f"sample_weight '{fit.sample_weight}' is not a column of {table.path}",
            fit.sample_weight_span,
            help=columns_hint(fit.sample_weight, table.columns),
        )
    ]


def _class_weight_labels(g: nx.DiGraph, table) -> list[Diagnostic]:
    """A class_weight map against the classes of the label column named as the output."""
    net = network(g)
    if not isinstance(net.train.class_weight, dict) or len(net.outputs) != 1:
        return []
    classes = table.classes(net.outputs[0])
    if classes is None:
        return []  # bound with --columns, checked when training binds it
    return unknown_class_weight_labels(net.train, sorted(classes), net.outputs[0])


def _inputs_of(g: nx.DiGraph, name: str) -> list[str]:
    """The inputs a node depends on, in source order."""
    return [
        a for a in sorted(nx.ancestors(g, name), key=lambda m: node(g, m).order) if node(g, a).op == "input"
    ]


def _missing_columns(g: nx.DiGraph, table) -> list[Diagnostic]:
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


def _unfilled(g: nx.DiGraph, table) -> list[Diagnostic]:
    """A missing number the model would see as NaN: one error per input, at its first such cell."""
    diags = []
    filled = filled_columns(g)
    for name in network(g).inputs:
        n = node(g, name)
        if g.out_degree(name) == 0:
            continue
        for column in number_columns(n):
            if table.missing_count(column) and (name, column) not in filled:
                hint = f"fill it in the model ({name}[{column}] -> fill(mean)), or remove the row"
                exc = table.first_missing(column, codes.UNFILLED_MISSING, hint)
                note = Note(f"input '{name}' reads '{column}' as a number", _declared_span(n))
                diags.append(in_data_file(g, exc, note))
                break
    return diags


def in_data_file(g: nx.DiGraph, exc: DataError, note: Note | None = None) -> Diagnostic:
    """A DataError as a diagnostic located in its data file (rendered with the
    spec's sources), with a note in the spec when given."""
    net = network(g)
    if not net.sources:
        net.sources = [net.source]
    diag = exc.diagnostic(net.sources)
    return dataclasses.replace(diag, notes=(note,)) if note is not None else diag


def number_columns(n: Node) -> list[str]:
    """The numeric columns an input reads (a vector's features, a record's float fields)."""
    fields = n.args.get("fields") if n.args else None
    if fields:
        return [f.name for f in fields if f.dtype == FLOAT]
    return list(n.features or ())


def filled_columns(g: nx.DiGraph) -> set[tuple[str, str]]:
    """(input, column) of the numeric columns whose every use goes through
    fill first (through selections, joins and aliases), so a missing cell
    is allowed: the model fills it."""
    used: set[tuple[str, str]] = set()
    filled: set[tuple[str, str]] = set()
    for name in network(g).inputs:
        stack = [(name, frozenset(number_columns(node(g, name))))]
        while stack:
            current, columns = stack.pop()
            for succ in g.successors(current):
                s = node(g, succ)
                carried = columns & frozenset(s.features or ()) if s.op == "select" else columns
                if s.op in ("select", "concat", "identity"):
                    stack.append((succ, carried))
                elif s.op == "fill":
                    filled |= {(name, c) for c in carried}
                else:
                    used |= {(name, c) for c in carried}
    return filled - used


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
