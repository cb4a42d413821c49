"""Text and JSON reports of a checked graph (used by `netdsl check`)."""

from __future__ import annotations

import unicodedata

import networkx as nx

from ..lang.diagnostics import to_json
from .core import Node, in_order, network, shared_text, shared_uses
from .graph import block_signature
from .ops import OPS, describe, fmt_shape


def ordered_nodes(g: nx.DiGraph) -> list[str]:
    return [n.name for n in in_order(g)]


def _json_value(v):
    if isinstance(v, (tuple, list)):
        return [_json_value(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _json_value(x) for k, x in v.items()}
    return v if v is None or isinstance(v, (bool, int, float, str)) else str(v)


def _node_args(n: Node) -> dict:
    """The node's checked arguments (units, activation, rate, ...); an input's features."""
    if n.op == "input":
        return {"features": list(n.features)} if n.features else {}
    if n.op == "select" and n.selection is not None:
        return {"features": list(n.selection.labels)}
    return {k: _json_value(v) for k, v in (n.args or {}).items() if k != "items" and not _unset_option(k, v)}


def _unset_option(key: str, value) -> bool:
    """A layer option left at Keras's default (ir/options.py): not shown."""
    if key == "trainable":
        return value is True
    return value is None and key.endswith(("_initializer", "_regularizer", "_constraint"))


def graph_json(g: nx.DiGraph, ok: bool = True) -> dict:
    """The report of `check --json`; with errors (`ok` False) the nodes that could be built."""
    net = network(g)
    nodes = []
    for n in in_order(g):
        nodes.append(
            {
                "name": n.name,
                "op": n.op,
                "shape": list(n.shape) if n.shape is not None else None,
                "params": n.params.total if n.params is not None else None,
                "args": _node_args(n),
                "inputs": list(n.inputs),
                "output": n.output,
                **({"shares": n.shares} if n.shares is not None else {}),
                "line": n.span.line,
                "column": n.span.column,
            }
        )
    return {
        "ok": ok,
        "network": net.name,
        "diagnostics": [to_json(d, net.source, net.sources) for d in net.diagnostics],
        "nodes": nodes,
        "params": net.params.as_dict(),
    }


def _args_text(n: Node) -> str:
    kind = OPS[n.op].kind if n.op is not None else None
    if kind == "input":
        return ", ".join(n.features) if n.features else ""
    if kind == "merge":
        return ""  # its operands are its `from`
    return describe(n)


def _details(g: nx.DiGraph, n: Node, uses: dict[str, list[str]]) -> str:
    return ", ".join(t for t in (shared_text(g, n, uses), _args_text(n)) if t)


def _columns(text: str) -> int:
    """Terminal columns of a cell: wide East Asian letters take two, combining marks none."""
    return sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
        for ch in text
    )


def _pad(text: str, width: int, right: bool = False) -> str:
    fill = " " * max(width - _columns(text), 0)
    return fill + text if right else text + fill


def node_table(g: nx.DiGraph) -> str:
    net = network(g)
    if not g.number_of_nodes() and net.blocks:
        return (
            f"{net.name}: a library of {len(net.blocks)} block(s), for other specs to import\n"
            + "\n".join("  " + block_signature(d) for d in net.blocks.values())
        )
    return _node_table(g)


def _node_table(g: nx.DiGraph) -> str:
    rows = [("name", "op", "shape", "params", "from", "details")]
    uses = shared_uses(g)
    for n in in_order(g):
        kind = OPS[n.op].kind if n.op is not None else None
        source = "" if kind == "input" else ", ".join(n.inputs)
        name = n.name + (" (output)" if n.output else "")
        params = f"{n.params.total:,}" if n.params is not None else "?"
        rows.append((name, n.op or "?", fmt_shape(n.shape), params, source, _details(g, n, uses)))
    widths = [max(_columns(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for r in rows:
        cells = [_pad(cell, widths[i], right=i == 3) for i, cell in enumerate(r[:5])] + [r[5]]
        lines.append("  " + "  ".join(cells).rstrip())
    p = network(g).params
    head = (
        f"network {network(g).name}: {g.number_of_nodes()} nodes, {p.total:,} parameters "
        f"({p.trainable:,} trainable, {p.non_trainable:,} non-trainable)"
    )
    return head + "\n" + "\n".join(lines)
