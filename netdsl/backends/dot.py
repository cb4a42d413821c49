"""Checked graph -> Graphviz DOT text, and DOT -> SVG/PNG/PDF with `dot`.

The DOT text is built here, by hand, so that it is byte-for-byte stable: node
ids are the spec's names, nodes come in source order, edges in operand order.
Rendering to an image goes through the `graphviz` package and the `dot`
binary; DOT text needs neither.
"""

from __future__ import annotations

import html
import textwrap
from dataclasses import dataclass

import networkx as nx

from ..ir.ops import OPS, is_slice
from ..lang.diagnostics import ERROR, Diagnostic

FONT = "Helvetica,Arial,sans-serif"
INK = "#1e293b"  # text
MUTED = "#64748b"  # secondary text, edges
ERROR_INK = "#b91c1c"
ERROR_FILL = "#fee2e2"
DEFAULT_STYLE = {"shape": "box", "style": "rounded,filled", "fillcolor": "#ffffff", "color": "#475569"}

FORMATS = ("dot", "svg", "png", "pdf")


class RenderError(Exception):
    """`dot` is missing or failed; the message says what to do."""


@dataclass(frozen=True)
class DiagramOptions:
    direction: str = "TB"  # TB or LR
    clusters: bool = True  # one cluster per named chain
    allow_errors: bool = False  # draw a spec with errors, the offending parts in red
    collapse_blocks: bool = False  # draw each use of a block as one node


def _q(text: str) -> str:
    """A DOT double-quoted id."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _h(text: str) -> str:
    """Text inside an HTML-like label."""
    return html.escape(str(text), quote=True)


def _keras_shape(shape) -> str:
    return "?" if shape is None else "(None, " + ", ".join(str(d) for d in shape) + ")"


def _count(n: int) -> str:
    return f"{n:,} param" + ("" if n == 1 else "s")


def _details(data: dict) -> str:
    op = OPS.get(data["op"])
    if op is None or data.get("args") is None:
        return ""
    if op.kind == "input":
        feats = data.get("features")
        return ", ".join(feats) if feats else f"{data.get('width')} features"
    return op.describe(data["args"])


def _keras_class(data: dict) -> str:
    op = OPS.get(data["op"])
    if op is None:
        return ""
    if op.name == "select" and data.get("args", {}).get("indices"):
        return "GetItem" if is_slice(data["args"]["indices"]) else "Take"
    return op.keras_class


def _label(node: str, data: dict, problems: list[str]) -> str:
    op = data["op"] or "?"
    rows = [f'<TR><TD ALIGN="CENTER"><B>{_h(node)}</B><FONT COLOR="{MUTED}"> · {_h(op)}</FONT></TD></TR>']
    details = _details(data)
    if details:
        for line in textwrap.wrap(details, 44) or [""]:
            rows.append(f"<TR><TD>{_h(line)}</TD></TR>")
    params = data.get("params")
    klass = _keras_class(data)
    if klass:
        facts = [klass, "float32"]
        if params is not None:
            facts.append("trainable" if params[0] else "no trainable weights")
        rows.append(f'<TR><TD><FONT POINT-SIZE="9" COLOR="{MUTED}">{_h(" · ".join(facts))}</FONT></TD></TR>')
    facts = [f"out {_keras_shape(data.get('shape'))}"]
    if params is not None:
        total = params[0] + params[1]
        facts.append(_count(total) + (f" ({params[1]:,} non-trainable)" if params[1] else ""))
    rows.append(f'<TR><TD><FONT POINT-SIZE="10">{_h(" · ".join(facts))}</FONT></TD></TR>')
    if data.get("output"):
        rows.append(f'<TR><TD><FONT POINT-SIZE="9" COLOR="{INK}"><B>OUTPUT</B></FONT></TD></TR>')
    for message in problems:
        for line in textwrap.wrap(message, 48):
            rows.append(f'<TR><TD><FONT POINT-SIZE="9" COLOR="{ERROR_INK}">{_h(line)}</FONT></TD></TR>')
    return '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">' + "".join(rows) + "</TABLE>>"


def _attrs(pairs: dict) -> str:
    out = []
    for key, value in pairs.items():
        if isinstance(value, str) and value.startswith("<") and value.endswith(">"):
            out.append(f"{key}={value}")
        else:
            out.append(f"{key}={_q(str(value))}")
    return "[" + ", ".join(out) + "]"


def _problems_by_node(g: nx.DiGraph, diagnostics: list[Diagnostic]) -> tuple[dict, list[str]]:
    """Each error goes to the innermost node whose span holds it; the rest to the title."""
    spans = [(n, d["span"]) for n, d in g.nodes(data=True)]
    by_node: dict[str, list[str]] = {}
    loose: list[str] = []
    for diag in diagnostics:
        if diag.severity != ERROR:
            continue
        text = f"{diag.code}: {diag.message}"
        where = None
        if diag.span is not None:
            at = (diag.span.line, diag.span.column)
            holders = [(n, s) for n, s in spans if (s.line, s.column) <= at < (s.end_line, s.end_column)]
            if holders:
                where = min(
                    holders, key=lambda ns: (ns[1].end_line - ns[1].line, ns[1].end_column - ns[1].column)
                )[0]
        if where is None:
            loose.append(text)
        else:
            by_node.setdefault(where, []).append(text)
    return by_node, loose


NODE_DEFAULTS = {
    "fontname": FONT,
    "fontsize": "11",
    "fontcolor": INK,
    "penwidth": "1.3",
    "margin": "0.14,0.06",
}
EDGE_DEFAULTS = {"fontname": FONT, "fontsize": "9", "fontcolor": MUTED, "color": MUTED, "arrowsize": "0.7"}


def _graph_attrs(direction: str, title: str) -> dict:
    return {
        "rankdir": direction,
        "label": title,
        "labelloc": "t",
        "fontname": FONT,
        "fontsize": "14",
        "fontcolor": INK,
        "bgcolor": "white",
        "nodesep": "0.35",
        "ranksep": "0.45",
        "pad": "0.3",
    }


def to_dot(g: nx.DiGraph, options: DiagramOptions = DiagramOptions()) -> str:
    """The diagram as DOT text, identical for identical specs."""
    order = sorted(g.nodes, key=lambda n: g.nodes[n]["order"])
    problems, loose = (
        _problems_by_node(g, g.graph.get("diagnostics", [])) if options.allow_errors else ({}, [])
    )
    p = g.graph.get("params") or {"total": 0, "trainable": 0}
    title = (
        f'<<B>{_h(g.graph["name"])}</B><BR/><FONT POINT-SIZE="10" COLOR="{MUTED}">'
        f"{p['total']:,} parameters · {p['trainable']:,} trainable · "
        f"{p['total'] - p['trainable']:,} non-trainable</FONT>"
    )
    for message in loose:
        title += f'<BR/><FONT POINT-SIZE="10" COLOR="{ERROR_INK}">{_h(message)}</FONT>'
    title += ">"
    lines = [
        f"digraph {_q(g.graph['name'])} {{",
        f"  graph {_attrs(_graph_attrs(options.direction, title))};",
        f"  node {_attrs(NODE_DEFAULTS)};",
        f"  edge {_attrs(EDGE_DEFAULTS)};",
    ]

    def node_line(n: str, indent: str) -> str:
        data = g.nodes[n]
        op = OPS.get(data["op"])
        attrs = dict(DEFAULT_STYLE)
        if op is not None:
            attrs.update(op.style)
        if data.get("output"):
            attrs["penwidth"] = "2.6"
            attrs["color"] = INK
        mine = problems.get(n, [])
        if mine:
            attrs.update(color=ERROR_INK, fillcolor=ERROR_FILL, penwidth="2")
        attrs["label"] = _label(n, data, mine)
        return f"{indent}{_q(n)} {_attrs(attrs)};"

    # What each node is drawn as: itself, or (--collapse-blocks) its outermost block use.
    rep = {n: n for n in order}
    collapsed: dict[str, list[str]] = {}
    if options.collapse_blocks:
        for n in order:
            uses = g.nodes[n].get("uses") or ()
            if uses:
                rep[n] = uses[0][0]
                collapsed.setdefault(uses[0][0], []).append(n)

    # Clusters nest: a named chain holds its layers and its block uses; a block
    # use holds its layers and the uses of blocks inside it.
    tree: dict = {"members": [], "children": {}}
    for n in order:
        if rep[n] != n and rep[n] in collapsed and collapsed[rep[n]][0] != n:
            continue  # drawn once, as its block use
        data = g.nodes[n]
        uses = data.get("uses") or ()
        path = [uses[0][0].split("/", 1)[0] if uses else data["binding"]]
        path += [prefix for prefix, _block, _span in uses]
        if rep[n] != n:
            path = path[:1]  # the collapsed use sits in its chain
        node = tree
        for key in path if options.clusters else ():
            node = node["children"].setdefault(key, {"members": [], "children": {}})
        node["members"].append(rep[n])
    labels = {prefix: block for n in order for prefix, block, _ in (g.nodes[n].get("uses") or ())}

    def size(t) -> int:
        return len(t["members"]) + sum(size(c) for c in t["children"].values())

    def emit(t, indent: str) -> None:
        for key, child in t["children"].items():
            if key not in labels and size(child) < 2 and not child["children"]:
                t["members"].extend(child["members"])  # a one-layer chain needs no box
                continue
            label = (
                f'<<B>{_h(key)}</B><FONT COLOR="{MUTED}"> · block {_h(labels[key])}</FONT>>'
                if key in labels
                else f"<<B>{_h(key)}</B>>"
            )
            style = {
                "label": label,
                "style": "rounded,dashed",
                "color": "#cbd5e1",
                "fontsize": "11",
                "fontcolor": MUTED,
                "labeljust": "l",
            }
            if key in labels:
                style.update(style="rounded,filled", fillcolor="#f8fafc", color="#94a3b8")
            lines.append(f"{indent}subgraph {_q('cluster_' + key)} {{")
            lines.append(f"{indent}  graph {_attrs(style)};")
            emit(child, indent + "  ")
            lines.append(f"{indent}}}")
        for m in t["members"]:
            lines.append(block_line(m, indent) if m in collapsed else node_line(m, indent))

    def block_line(use: str, indent: str) -> str:
        members = collapsed[use]
        outs = [m for m in members if any(rep.get(s) != use for s in g.successors(m))] or members[-1:]
        params = [g.nodes[m].get("params") for m in members]
        total = sum(sum(x) for x in params if x) if all(params) else None
        shape = g.nodes[outs[-1]].get("shape")
        rows = [
            f'<TR><TD><B>{_h(use)}</B><FONT COLOR="{MUTED}"> · block {_h(labels[use])}</FONT></TD></TR>',
            f'<TR><TD><FONT POINT-SIZE="9" COLOR="{MUTED}">{len(members)} layers</FONT></TD></TR>',
            f'<TR><TD><FONT POINT-SIZE="10">out {_h(_keras_shape(shape))}'
            + (f" · {_h(_count(total))}" if total is not None else "")
            + "</FONT></TD></TR>",
        ]
        attrs = {
            "shape": "box",
            "style": "rounded,filled",
            "fillcolor": "#f1f5f9",
            "color": "#475569",
            "peripheries": "2",
            "label": '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">'
            + "".join(rows)
            + "</TABLE>>",
        }
        if any(m in problems for m in members):
            attrs.update(color=ERROR_INK, fillcolor=ERROR_FILL)
        return f"{indent}{_q(use)} {_attrs(attrs)};"

    emit(tree, "  ")

    missing: list[str] = []
    for n in order:
        for src in g.nodes[n]["inputs"]:
            if src not in g and src not in missing and options.allow_errors:
                missing.append(src)
    for src in missing:
        label = f'<<B>{_h(src)}</B><BR/><FONT POINT-SIZE="9" COLOR="{ERROR_INK}">not defined</FONT>>'
        lines.append(f"  {_q('?' + src)} {_attrs(_undefined_attrs(label))};")

    drawn = set()
    for n in order:
        data = g.nodes[n]
        for src in data["inputs"]:
            attrs = {}
            if src in g:
                a, b = rep[src], rep[n]
                if a == b or (a, b) in drawn:
                    continue
                drawn.add((a, b))
                shape = g.nodes[src].get("shape")
                if shape is not None:
                    attrs["label"] = " " + _keras_shape(shape)
                if n in problems or src in problems:
                    attrs["color"] = ERROR_INK
                lines.append(f"  {_q(a)} -> {_q(b)}" + (f" {_attrs(attrs)}" if attrs else "") + ";")
            elif options.allow_errors and ("?" + src, n) not in drawn:
                drawn.add(("?" + src, n))
                lines.append(
                    f"  {_q('?' + src)} -> {_q(rep[n])} {_attrs({'color': ERROR_INK, 'style': 'dashed'})};"
                )
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(dot_text: str, fmt: str) -> bytes:
    """DOT text -> image bytes with Graphviz's `dot`."""
    if fmt == "dot":
        return dot_text.encode("utf-8")
    import graphviz

    try:
        return graphviz.Source(dot_text).pipe(format=fmt, engine="dot", quiet=True)
    except graphviz.ExecutableNotFound:
        raise RenderError(
            "Graphviz's `dot` program is not installed, so the diagram cannot be drawn as "
            f".{fmt}. Install it (Debian/Ubuntu: `apt-get install graphviz`; macOS: `brew install "
            "graphviz`), or write DOT text instead: `-o diagram.dot` needs no Graphviz."
        ) from None
    except graphviz.CalledProcessError as exc:
        detail = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        raise RenderError(
            "`dot` failed: " + (detail[-1] if detail else f"exit status {exc.returncode}")
        ) from None


def _undefined_attrs(label: str) -> dict:
    return {
        "shape": "box",
        "style": "rounded,dashed",
        "color": ERROR_INK,
        "fontcolor": ERROR_INK,
        "label": label,
    }
