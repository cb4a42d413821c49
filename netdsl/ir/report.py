"""Text and JSON reports of a checked graph (used by `netdsl check`)."""

from __future__ import annotations

import networkx as nx

from ..lang.diagnostics import to_json
from .ops import OPS, fmt_shape


def ordered_nodes(g: nx.DiGraph) -> list[str]:
    return sorted(g.nodes, key=lambda n: g.nodes[n]["order"])


def graph_json(g: nx.DiGraph) -> dict:
    source = g.graph["source"]
    nodes = []
    for n in ordered_nodes(g):
        d = g.nodes[n]
        params = d.get("params")
        nodes.append(
            {
                "name": n,
                "op": d["op"],
                "shape": list(d["shape"]) if d.get("shape") is not None else None,
                "params": sum(params) if params is not None else None,
                "inputs": list(d["inputs"]),
                "output": d["output"],
                "line": d["span"].line,
                "column": d["span"].column,
            }
        )
    return {
        "ok": True,
        "network": g.graph["name"],
        "diagnostics": [to_json(d, source, g.graph.get("sources")) for d in g.graph["diagnostics"]],
        "nodes": nodes,
        "params": g.graph["params"],
    }


def _args_text(d: dict) -> str:
    op = OPS[d["op"]]
    if op.kind == "input":
        return ", ".join(d["features"]) if d.get("features") else ""
    if op.kind == "merge":
        return ", ".join(d["inputs"])
    return op.describe(d["args"])


def node_table(g: nx.DiGraph) -> str:
    if not g.number_of_nodes() and g.graph.get("blocks"):
        from .graph import _block_signature

        blocks = g.graph["blocks"]
        return (
            f"{g.graph['name']}: a library of {len(blocks)} block(s), for other specs to import\n"
            + "\n".join("  " + _block_signature(d) for d in blocks.values())
        )
    return _node_table(g)


def _node_table(g: nx.DiGraph) -> str:
    rows = [("name", "op", "shape", "params", "from", "details")]
    for n in ordered_nodes(g):
        d = g.nodes[n]
        op = d["op"]
        kind = OPS[op].kind
        source = "" if kind in ("input", "merge") else ", ".join(d["inputs"])
        name = n + (" (output)" if d["output"] else "")
        rows.append((name, op, fmt_shape(d["shape"]), f"{sum(d['params']):,}", source, _args_text(d)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for r in rows:
        cells = [
            r[0].ljust(widths[0]),
            r[1].ljust(widths[1]),
            r[2].ljust(widths[2]),
            r[3].rjust(widths[3]),
            r[4].ljust(widths[4]),
            r[5],
        ]
        lines.append("  " + "  ".join(cells).rstrip())
    p = g.graph["params"]
    head = (
        f"network {g.graph['name']}: {g.number_of_nodes()} nodes, {p['total']:,} parameters "
        f"({p['trainable']:,} trainable, {p['non_trainable']:,} non-trainable)"
    )
    return head + "\n" + "\n".join(lines)
