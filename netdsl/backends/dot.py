"""Checked graph -> Graphviz DOT text, and DOT -> SVG/PNG/PDF with `dot`.

The DOT text is built here, by hand, so that it is byte-for-byte stable: node
ids are the spec's names; nodes come operands first, in the order written
(Graphviz lays each rank out in the order it meets the nodes, so
`concat(a, b)` draws a left of b), edges in operand order.
Rendering to an image runs Graphviz's `dot` binary under a timeout; DOT
text needs no Graphviz.
"""

from __future__ import annotations

import html
import os
import shutil
import signal
import subprocess
import textwrap
from dataclasses import dataclass

import networkx as nx

from ..ir.core import FLOAT, Node, in_order, network, node, nodes, shared_text, shared_uses
from ..ir.ops import OPS, describe, fmt_shape
from ..lang.diagnostics import ERROR, Diagnostic
from .keras_layers import keras_class

FONT = "Helvetica,Arial,sans-serif"
INK = "#1e293b"  # text
MUTED = "#64748b"  # secondary text, edges
ERROR_INK = "#b91c1c"
ERROR_FILL = "#fee2e2"
SHARED_INK = "#7c3aed"  # a shared layer's applications and the dashed line joining them
DEFAULT_STYLE = {"shape": "box", "style": "rounded,filled", "fillcolor": "#ffffff", "color": "#475569"}
MERGE_STYLE = {"fillcolor": "#dcfce7", "color": "#15803d", "style": "filled"}
ENCODING_STYLE = {"fillcolor": "#ccfbf1", "color": "#0f766e"}

# op -> Graphviz node attributes over DEFAULT_STYLE (an op not listed is drawn plain).
STYLES: dict[str, dict[str, str]] = {
    "input": {"fillcolor": "#dbeafe", "color": "#1d4ed8"},
    "dense": {"fillcolor": "#ffffff", "color": "#475569"},
    "dropout": {"fillcolor": "#f8fafc", "color": "#94a3b8", "style": "rounded,filled,dashed"},
    "standardize": {"fillcolor": "#fef3c7", "color": "#b45309"},
    "identity": {"fillcolor": "#f8fafc", "color": "#94a3b8"},
    "concat": MERGE_STYLE,
    "add": MERGE_STYLE,
    "multiply": MERGE_STYLE,
    "average": MERGE_STYLE,
    "maximum": MERGE_STYLE,
    "minimum": MERGE_STYLE,
    "subtract": MERGE_STYLE,
    "dot": MERGE_STYLE,
    "stack": MERGE_STYLE,
    "weighted_sum": MERGE_STYLE,
    "clip": {"fillcolor": "#f8fafc", "color": "#94a3b8"},
    "batchnorm": {"fillcolor": "#fef3c7", "color": "#b45309"},
    "layernorm": {"fillcolor": "#fef3c7", "color": "#b45309"},
    "gaussian_noise": {"fillcolor": "#f8fafc", "color": "#94a3b8", "style": "rounded,filled,dashed"},
    "select": {"fillcolor": "#ede9fe", "color": "#6d28d9", "shape": "cds"},
    # encodings of categories (docs/design/tabular.md): one family of colours
    "lookup": ENCODING_STYLE,
    "one_hot": ENCODING_STYLE,
    "multi_hot": ENCODING_STYLE,
    "hash": ENCODING_STYLE,
    "discretize": ENCODING_STYLE,
    "cross": {**ENCODING_STYLE, "style": "filled"},
    "embedding": {"fillcolor": "#ffffff", "color": "#0f766e"},
    "flatten": {"fillcolor": "#f8fafc", "color": "#94a3b8"},
    "reshape": {"fillcolor": "#f8fafc", "color": "#94a3b8"},
    "repeat": {"fillcolor": "#f8fafc", "color": "#94a3b8"},
    "global_avg_pool": {"fillcolor": "#f8fafc", "color": "#94a3b8"},
    "global_max_pool": {"fillcolor": "#f8fafc", "color": "#94a3b8"},
    "fill": {"fillcolor": "#fef3c7", "color": "#b45309", "style": "rounded,filled,dashed"},
}

FORMATS = ("dot", "svg", "png", "pdf")


class RenderError(Exception):
    """`dot` is missing or failed; the message says what to do."""


@dataclass(frozen=True)
class DiagramOptions:
    direction: str = "TB"  # TB or LR
    clusters: bool = True  # one cluster per named chain
    allow_errors: bool = False  # draw a spec with errors, the offending parts in red
    collapse_blocks: bool = False  # draw each use of a block as one node
    legend: bool = False  # a small key of the node kinds drawn


def _q(text: str) -> str:
    """A DOT double-quoted id."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _h(text: str) -> str:
    """Text inside an HTML-like label."""
    return html.escape(str(text), quote=True)


def _shape(shape) -> str:
    """Per sample, as `keras.Input(shape=...)` and `netdsl check` write it: (4,)."""
    return fmt_shape(shape)


def _count(n: int) -> str:
    return f"{n:,} param" + ("" if n == 1 else "s")


def _details(n: Node) -> str:
    if n.op == "input" and n.args is not None:
        features, shape = n.args["features"], n.args.get("shape")
        if shape:
            return "shape " + fmt_shape(shape)
        return ", ".join(features) if features else f"{n.args['width']} features"
    return describe(n)


def _shown_name(n: Node) -> str:
    """Inside a block's box, the name relative to the block's use (`h_dense_1`)."""
    if n.uses and n.name.startswith(n.uses[-1].prefix + "."):
        return n.name[len(n.uses[-1].prefix) + 1 :]
    return n.name


def _label(n: Node, problems: list[str], shared: str = "", clusters: bool = True) -> str:
    op = n.op or "?"
    name = _shown_name(n) if clusters else n.name
    rows = [f'<TR><TD ALIGN="CENTER"><B>{_h(name)}</B><FONT COLOR="{MUTED}"> · {_h(op)}</FONT></TD></TR>']
    if shared:  # one layer applied here and elsewhere: one set of weights
        rows.append(f'<TR><TD><FONT POINT-SIZE="9" COLOR="{SHARED_INK}"><B>{_h(shared)}</B></FONT></TD></TR>')
    details = _details(n)
    if details:
        for line in textwrap.wrap(details, 44) or [""]:
            rows.append(f"<TR><TD>{_h(line)}</TD></TR>")
    params = n.params
    klass = keras_class(n)
    if klass:
        facts = [klass, n.dtype or FLOAT]  # dtype unknown (an error upstream): the default
        if params is not None:
            later = n.shares is not None and not params.total  # its weights are counted at the first use
            frozen = (n.args or {}).get("trainable") is False
            facts.append(
                "same weights"
                if later
                else "frozen"
                if frozen
                else "trainable"
                if params.trainable
                else "no trainable weights"
            )
        rows.append(f'<TR><TD><FONT POINT-SIZE="9" COLOR="{MUTED}">{_h(" · ".join(facts))}</FONT></TD></TR>')
    facts = [f"out {_shape(n.shape)}"]
    if params is not None:
        extra = f" ({params.non_trainable:,} non-trainable)" if params.non_trainable else ""
        facts.append(_count(params.total) + extra)
    rows.append(f'<TR><TD><FONT POINT-SIZE="10">{_h(" · ".join(facts))}</FONT></TD></TR>')
    if n.output:
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
    spans = [(n.name, n.span) for n in nodes(g)]
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
        # Each node's operands left to right in the order written: concat(a, b) draws a left of b.
        "ordering": "in",
    }


def to_dot(g: nx.DiGraph, options: DiagramOptions = DiagramOptions()) -> str:
    """The diagram as DOT text, identical for identical specs."""
    return _Diagram(g, options).text()


class _Diagram:
    """One diagram being written: its nodes (or, collapsed, block uses),
    nested clusters, undefined names and edges, in source order."""

    def __init__(self, g: nx.DiGraph, options: DiagramOptions):
        self.g, self.options = g, options
        # Operands before users, each node's operands in the order written:
        # Graphviz lays each rank out in the order it first meets its nodes.
        self.order = [node(g, m) for m in _left_to_right(g)]
        diagnostics = network(g).diagnostics
        self.problems, self.loose = _problems_by_node(g, diagnostics) if options.allow_errors else ({}, [])
        self.lines: list[str] = []
        # What each node is drawn as: itself, or (--collapse-blocks) its outermost block use.
        self.rep = {n.name: n.name for n in self.order}
        self.collapsed: dict[str, list[str]] = {}
        if options.collapse_blocks:
            for n in self.order:
                if n.uses:
                    self.rep[n.name] = n.uses[0].prefix
                    self.collapsed.setdefault(n.uses[0].prefix, []).append(n.name)
        self.use_of = {use.prefix: use for n in self.order for use in n.uses}
        self.inputs = [n.name for n in self.order if n.op == "input" and self.rep[n.name] == n.name]
        self.shared = shared_uses(g)

    def text(self) -> str:
        net = network(self.g)
        self.lines += [
            f"digraph {_q(net.name)} {{",
            f"  graph {_attrs(_graph_attrs(self.options.direction, self.title()))};",
            f"  node {_attrs(NODE_DEFAULTS)};",
            f"  edge {_attrs(EDGE_DEFAULTS)};",
        ]
        # Inputs first: Graphviz orders each rank as it first meets the nodes.
        self.lines += [self.node_line(i, "  ") for i in self.inputs]
        self.emit(self.cluster_tree(), "  ")
        self.inputs_first()
        self.undefined()
        self.edges()
        self.sharing_edges()
        if self.options.legend:
            self.legend()
        self.lines.append("}")
        return "\n".join(self.lines) + "\n"

    def title(self) -> str:
        net = network(self.g)
        p = net.params
        # With errors drawn, layers whose parameters are unknown are not in the totals.
        unknown = sum(n.params is None and n.op != "input" for n in self.order)
        partial = f" · partial: {unknown} layer{'s' * (unknown != 1)} not counted" if unknown else ""
        title = (
            f'<<B>{_h(net.name)}</B><BR/><FONT POINT-SIZE="10" COLOR="{MUTED}">'
            f"{p.total:,} parameters · {p.trainable:,} trainable · "
            f"{p.non_trainable:,} non-trainable{partial}</FONT>"
        )
        for message in self.loose:
            title += f'<BR/><FONT POINT-SIZE="10" COLOR="{ERROR_INK}">{_h(message)}</FONT>'
        return title + ">"

    def cluster_tree(self) -> dict:
        """Clusters nest: a named chain holds its layers and its block uses; a
        block use holds its layers and the uses of blocks inside it."""
        rep, collapsed = self.rep, self.collapsed
        tree: dict = {"members": [], "children": {}}
        for n in self.order:
            me = rep[n.name]
            if me != n.name and me in collapsed and collapsed[me][0] != n.name:
                continue  # drawn once, as its block use
            path = [n.uses[0].prefix.split(".", 1)[0] if n.uses else n.binding]
            path += [use.prefix for use in n.uses]
            if me != n.name:
                path = path[:1]  # the collapsed use sits in its chain
            branch = tree
            for key in path if self.options.clusters else ():
                branch = branch["children"].setdefault(key, {"members": [], "children": {}})
            branch["members"].append(me)
        return tree

    def emit(self, tree: dict, indent: str) -> None:
        for key, child in tree["children"].items():
            if key not in self.use_of and _size(child) < 2 and not child["children"]:
                tree["members"].extend(child["members"])  # a one-layer chain needs no box
                continue
            self.lines.append(f"{indent}subgraph {_q('cluster_' + key)} {{")
            self.lines.append(f"{indent}  graph {_attrs(self.cluster_style(key))};")
            self.emit(child, indent + "  ")
            self.lines.append(f"{indent}}}")
        for m in tree["members"]:
            if m in self.inputs:
                continue  # drawn first
            self.lines.append(
                self.block_line(m, indent) if m in self.collapsed else self.node_line(m, indent)
            )

    def use_label(self, prefix: str) -> str:
        """A block use: its call with the arguments' values, then where its layers are named."""
        use = self.use_of[prefix]
        outer = prefix.rsplit(".", 1)[0]
        where = prefix[len(outer) + 1 :] if outer in self.use_of else prefix
        return f'<B>{_h(use.call or use.block)}</B><FONT COLOR="{MUTED}"> · {_h(where)}</FONT>'

    def cluster_style(self, key: str) -> dict:
        block = key in self.use_of
        label = f"<{self.use_label(key)}>" if block else f"<<B>{_h(key)}</B>>"
        style = {
            "label": label,
            "style": "rounded,dashed",
            "color": "#cbd5e1",
            "fontsize": "11",
            "fontcolor": MUTED,
            "labeljust": "l",
        }
        if block:
            style.update(style="rounded,filled", fillcolor="#f8fafc", color="#94a3b8")
        return style

    def node_line(self, name: str, indent: str) -> str:
        n = node(self.g, name)
        attrs = dict(DEFAULT_STYLE)
        attrs.update(STYLES.get(n.op or "", {}))
        if n.output:
            attrs["penwidth"] = "2.6"
            attrs["color"] = INK
        mine = self.problems.get(name, [])
        if mine:
            attrs.update(color=ERROR_INK, fillcolor=ERROR_FILL, penwidth="2")
        attrs["label"] = _label(n, mine, shared_text(self.g, n, self.shared), self.options.clusters)
        return f"{indent}{_q(name)} {_attrs(attrs)};"

    def block_line(self, use: str, indent: str) -> str:
        g, members = self.g, self.collapsed[use]
        outs = [m for m in members if any(self.rep.get(s) != use for s in g.successors(m))] or members[-1:]
        params = [node(g, m).params for m in members]
        total = sum(p.total for p in params if p) if all(params) else None
        shapes = ", ".join(_shape(node(g, m).shape) for m in outs)
        rows = [
            f"<TR><TD>{self.use_label(use)}</TD></TR>",
            f'<TR><TD><FONT POINT-SIZE="9" COLOR="{MUTED}">block {_h(self.use_of[use].block)} · '
            f"{len(members)} layers</FONT></TD></TR>",
            f'<TR><TD><FONT POINT-SIZE="10">out {_h(shapes)}'
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
        if any(m in self.problems for m in members):
            attrs.update(color=ERROR_INK, fillcolor=ERROR_FILL)
        return f"{indent}{_q(use)} {_attrs(attrs)};"

    def inputs_first(self) -> None:
        """Every input on the first rank: at the top, or at the left with LR."""
        if len(self.inputs) > 1:
            self.lines.append('  { rank="min"; ' + " ".join(_q(i) + ";" for i in self.inputs) + " }")

    def legend(self) -> None:
        """One small node per kind of node drawn, in a box of its own."""
        kinds: dict[str, dict] = {}
        for n in self.order:
            kind = "block" if self.rep[n.name] != n.name else _kind(n.op or "")
            kinds.setdefault(kind, LEGEND[kind])
            if n.output:
                kinds.setdefault("output", LEGEND["output"])
        self.lines.append('  subgraph "cluster_legend" {')
        key = {"label": "<<B>key</B>>", "style": "rounded", "color": "#cbd5e1", "fontsize": "10"}
        self.lines.append(f"    graph {_attrs({**key, 'fontcolor': MUTED, 'labeljust': 'l'})};")
        names = [f"legend_{kind}" for kind in kinds]
        for name, (kind, style) in zip(names, kinds.items()):
            attrs = {**DEFAULT_STYLE, **style, "label": kind, "fontsize": "9", "margin": "0.08,0.03"}
            self.lines.append(f"    {_q(name)} {_attrs(attrs)};")
        self.lines.append('    { rank="same"; ' + " ".join(_q(n) + ";" for n in names) + " }")
        chain = names[::-1] if self.options.direction == "LR" else names  # LR stacks a rank bottom up
        for a, b in zip(chain, chain[1:]):  # one row (a column with LR), in this order
            self.lines.append(f'    {_q(a)} -> {_q(b)} [style="invis"];')
        self.lines.append("  }")

    def undefined(self) -> None:
        """A node for each undefined name an operand uses (with --allow-errors)."""
        if not self.options.allow_errors:
            return
        missing: list[str] = []
        for n in self.order:
            for src in n.inputs:
                if src not in self.g and src not in missing:
                    missing.append(src)
        for src in missing:
            label = f'<<B>{_h(src)}</B><BR/><FONT POINT-SIZE="9" COLOR="{ERROR_INK}">not defined</FONT>>'
            self.lines.append(f"  {_q('?' + src)} {_attrs(_undefined_attrs(label))};")

    def edges(self) -> None:
        g, rep, drawn = self.g, self.rep, set()
        for n in self.order:
            roles = ("",) + OPS[n.op].operand_keywords if n.op in OPS else ("",)
            for i, src in enumerate(n.inputs):
                if src in g:
                    a, b = rep[src], rep[n.name]
                    if a == b or (src, b) in drawn:
                        continue
                    drawn.add((src, b))  # one edge per value: each output of a collapsed block
                    attrs = {}
                    shape = node(g, src).shape
                    role = roles[i] + " " if 0 < i < len(roles) else ""  # attention's value, key
                    if shape is not None:
                        attrs["label"] = " " + role + _shape(shape)
                    if n.name in self.problems or src in self.problems:
                        attrs["color"] = ERROR_INK
                    self.lines.append(f"  {_q(a)} -> {_q(b)}" + (f" {_attrs(attrs)}" if attrs else "") + ";")
                elif self.options.allow_errors and ("?" + src, rep[n.name]) not in drawn:
                    drawn.add(("?" + src, rep[n.name]))
                    style = {"color": ERROR_INK, "style": "dashed"}
                    self.lines.append(f"  {_q('?' + src)} -> {_q(rep[n.name])} {_attrs(style)};")

    def sharing_edges(self) -> None:
        """A dashed line, without arrows, from each application of a shared layer
        to the next: the same layer object, the same weights. It does not rank."""
        style = {"style": "dashed", "dir": "none", "constraint": "false", "color": SHARED_INK}
        for name, apps in self.shared.items():
            drawn = [self.rep[a] for a in apps]
            for a, b in zip(drawn, drawn[1:]):
                if a != b:
                    label = {"label": f" shared {name}", "fontcolor": SHARED_INK}
                    self.lines.append(f"  {_q(a)} -> {_q(b)} {_attrs({**style, **label})};")


# What the legend calls each kind of node, and how it is drawn.
LEGEND: dict[str, dict[str, str]] = {
    "input": STYLES["input"],
    "layer": STYLES["dense"],
    "dropout, noise": STYLES["dropout"],
    "normalization": STYLES["standardize"],
    "merge": MERGE_STYLE,
    "selection": STYLES["select"],
    "identity": STYLES["identity"],
    "output": {"penwidth": "2.6", "color": INK},
    "block": {"fillcolor": "#f1f5f9", "color": "#475569", "peripheries": "2"},
}


def _kind(op: str) -> str:
    """The legend's kind of an op, from the style it is drawn with."""
    style = STYLES.get(op)
    if style is None or style is STYLES["dense"]:
        return "layer"
    for kind, drawn in LEGEND.items():
        if drawn == style:
            return kind
    return "layer"


def _left_to_right(g: nx.DiGraph) -> list[str]:
    """Every node, the operands of each before it and in the order written (the
    first operand's whole ancestry first); then what no output needs, in source order."""
    seen: dict[str, None] = {}
    entered: set[str] = set()
    stack = [(o, False) for o in reversed(network(g).outputs)]
    while stack:
        name, expanded = stack.pop()
        if name in seen or name not in g:
            continue
        if expanded:
            seen[name] = None
            continue
        if name in entered:
            continue  # a cycle (an error, drawn with --allow-errors): each node once, not forever
        entered.add(name)
        stack.append((name, True))
        stack += [(src, False) for src in reversed(node(g, name).inputs) if src not in seen]
    return list(seen) + [n.name for n in in_order(g) if n.name not in seen]


def _size(tree: dict) -> int:
    return len(tree["members"]) + sum(_size(c) for c in tree["children"].values())


# A PNG's default resolution. plot_model draws its smallest text at 14 pt and 200 dpi
# (39 pixels high); ours is 9 pt, so 9 * 320 / 72 = 40 pixels: at least as legible.
PNG_DPI = 320

DOT_TIMEOUT = 60.0  # seconds; Graphviz draws our largest specs in a few seconds


def render(dot_text: str, fmt: str, timeout: float = DOT_TIMEOUT, dpi: int | None = None) -> bytes:
    """DOT text -> image bytes with Graphviz's `dot`, given at most `timeout` seconds."""
    if fmt == "dot":
        return dot_text.encode("utf-8")
    exe = shutil.which("dot")
    if exe is None:
        raise RenderError(
            "Graphviz's `dot` program is not installed, so the diagram cannot be drawn as "
            f".{fmt}. Install it (Debian/Ubuntu: `apt-get install graphviz`; macOS: `brew install "
            "graphviz`), or write DOT text instead: `-o diagram.dot` needs no Graphviz."
        )
    cmd = [exe, f"-T{fmt}"] + ([f"-Gdpi={dpi or PNG_DPI}"] if fmt == "png" else [])
    # A session of its own, so that a timeout stops dot and anything it started.
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(dot_text.encode("utf-8"), timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise RenderError(
            f"`dot` did not finish within {timeout:g} s; give it longer with --dot-timeout SECONDS, "
            "draw less (--collapse-blocks), or write DOT text instead (`-o diagram.dot`)"
        ) from None
    if proc.returncode != 0:
        detail = err.decode("utf-8", "replace").strip().splitlines()
        raise RenderError("`dot` failed: " + (detail[-1] if detail else f"exit status {proc.returncode}"))
    return out


def _undefined_attrs(label: str) -> dict:
    return {
        "shape": "box",
        "style": "rounded,dashed",
        "color": ERROR_INK,
        "fontcolor": ERROR_INK,
        "label": label,
    }
