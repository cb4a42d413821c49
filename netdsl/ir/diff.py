"""The difference between two checked graphs: layers added, removed, renamed,
changed (arguments, shapes, parameter counts), edges rewired, the parameter delta.

    d = diff_graphs(a, b)      # a Diff; d.to_json(), d.text(), d.empty

Layers are matched by name first. A layer whose name exists on one side only
is then matched by structure: a layer of B with no counterpart is the renamed
form of a layer of A when both have the same op, arguments, shape and
parameter count and read the same (matched) inputs. Matching runs in
dependency order, so a renamed chain is recognized layer after layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from .core import network, node
from .ops import fmt_shape
from .report import graph_json


@dataclass(frozen=True)
class Layer:
    name: str
    op: str
    args: tuple  # sorted (argument, value) pairs, values as plain data
    shape: tuple | None
    params: int
    inputs: tuple[str, ...]
    output: bool


@dataclass
class Diff:
    a_name: str
    b_name: str
    added: list[Layer] = field(default_factory=list)
    removed: list[Layer] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (name in A, name in B)
    changed: list[tuple[str, str, list[tuple[str, Any, Any]]]] = field(default_factory=list)
    rewired: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = field(default_factory=list)
    params: tuple[int, int] = (0, 0)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.renamed or self.changed or self.rewired)

    def changed_in_b(self) -> dict[str, str]:
        """B's layers that differ from A, and how: 'added', 'changed', 'renamed', 'rewired'."""
        marks = {layer.name: "added" for layer in self.added}
        marks.update({b: "renamed" for _, b in self.renamed})
        marks.update({b: "rewired" for b, _, _ in self.rewired})
        marks.update({b: "changed" for _, b, _ in self.changed})
        return marks

    def to_json(self) -> dict:
        return {
            "a": self.a_name,
            "b": self.b_name,
            "same": self.empty,
            "added": [_layer_json(x) for x in self.added],
            "removed": [_layer_json(x) for x in self.removed],
            "renamed": [{"from": a, "to": b} for a, b in self.renamed],
            "changed": [
                {
                    "layer": b,
                    "was": a,
                    "changes": [{"what": w, "from": _plain(x), "to": _plain(y)} for w, x, y in c],
                }
                for a, b, c in self.changed
            ],
            "rewired": [{"layer": n, "from": list(x), "to": list(y)} for n, x, y in self.rewired],
            "params": {"a": self.params[0], "b": self.params[1], "delta": self.params[1] - self.params[0]},
        }

    def text(self) -> str:
        a, b = self.params
        if self.empty:
            return f"{self.a_name} and {self.b_name}: no differences ({b:,} parameters)"
        lines = [f"--- {self.a_name}", f"+++ {self.b_name}"]
        lines += [f"+ added    {_layer_text(x)}" for x in self.added]
        lines += [f"- removed  {_layer_text(x)}" for x in self.removed]
        lines += [f"~ renamed  {x} -> {y}" for x, y in self.renamed]
        for was, name, changes in self.changed:
            what = "; ".join(f"{w} {_show(w, x)} -> {_show(w, y)}" for w, x, y in changes)
            lines.append(f"~ changed  {name}{'' if was == name else f' (was {was})'}: {what}")
        lines += [f"~ rewired  {n}: from {', '.join(x)} -> from {', '.join(y)}" for n, x, y in self.rewired]
        lines.append(f"parameters: {a:,} -> {b:,} ({b - a:+,})")
        return "\n".join(lines)


def layers(g: nx.DiGraph) -> dict[str, Layer]:
    """The layers of a checked graph, in source order, as plain data."""
    out = {}
    for n in graph_json(g)["nodes"]:
        out[n["name"]] = Layer(
            n["name"],
            n["op"],
            _args(g, n["name"], n["op"]),
            tuple(n["shape"]) if n["shape"] is not None else None,
            n["params"] or 0,
            tuple(n["inputs"]),
            bool(n["output"]),
        )
    return out


def _args(g: nx.DiGraph, name: str, op: str) -> tuple:
    """A layer's arguments as sorted plain pairs (a selection: the columns it picks)."""
    n = node(g, name)
    args = n.args or {}
    if op == "select":
        return (("columns", n.selection.indices if n.selection is not None else ()),)
    if op == "input":
        return (("features", tuple(n.features)),) if n.features else ()
    return tuple(
        sorted(
            (k, _canonical(k, tuple(v) if isinstance(v, list) else v))
            for k, v in args.items()
            if k != "items" and v is not None  # an optional argument left unset is no difference
        )
    )


# Keras's two names for one function (it saves swish as silu): not a change.
SAME_ACTIVATION = {"swish": "silu", "hard_swish": "hard_silu"}


def _canonical(key: str, value):
    return SAME_ACTIVATION.get(value, value) if key == "activation" else value


def diff_graphs(ga: nx.DiGraph, gb: nx.DiGraph, a_name: str = "A", b_name: str = "B") -> Diff:
    a, b = layers(ga), layers(gb)
    d = Diff(a_name, b_name, params=(network(ga).params.total, network(gb).params.total))
    match = {n: n for n in b if n in a}  # B's name -> A's name
    taken = set(match.values())
    for n in _dependency_order(gb):
        if n in match:
            continue
        want = _shape_of(b[n], match)
        candidates = [m for m in a if m not in taken and _shape_of(a[m], None) == want]
        if candidates:
            match[n] = candidates[0]
            taken.add(candidates[0])
            d.renamed.append((candidates[0], n))
    back = {v: k for k, v in match.items()}
    d.added = [b[n] for n in b if n not in match]
    d.removed = [a[m] for m in a if m not in taken]
    for n, m in match.items():
        x, y = a[m], b[n]
        changes: list[tuple[str, Any, Any]] = [("op", x.op, y.op)] if x.op != y.op else []
        xa, ya = dict(x.args), dict(y.args)
        changes += [
            (k, xa.get(k), ya.get(k)) for k in sorted(xa.keys() | ya.keys()) if xa.get(k) != ya.get(k)
        ]
        changes += [
            (w, getattr(x, w), getattr(y, w)) for w in ("shape", "params") if getattr(x, w) != getattr(y, w)
        ]
        if x.output != y.output:
            changes.append(("output", x.output, y.output))
        if changes:
            d.changed.append((m, n, changes))
        if tuple(back.get(i, i) for i in x.inputs) != y.inputs:
            d.rewired.append((n, tuple(back.get(i, i) for i in x.inputs), y.inputs))
    order = {n: i for i, n in enumerate(b)}
    d.changed.sort(key=lambda c: order[c[1]])
    d.rewired.sort(key=lambda c: order[c[0]])
    return d


def _shape_of(layer: Layer, match: dict[str, str] | None) -> tuple:
    """What must agree for two differently named layers to be one: everything but the name."""
    inputs = layer.inputs if match is None else tuple(match.get(i, "?" + i) for i in layer.inputs)
    return (layer.op, layer.args, layer.shape, layer.params, inputs)


def _dependency_order(g: nx.DiGraph) -> list[str]:
    order = {n["name"]: i for i, n in enumerate(graph_json(g)["nodes"])}
    return list(nx.lexicographical_topological_sort(g, key=order.__getitem__))


def _plain(v):
    if isinstance(v, tuple):
        return [_plain(x) for x in v]
    return v


def _layer_json(x: Layer) -> dict:
    return {
        "name": x.name,
        "op": x.op,
        "args": {k: _plain(v) for k, v in x.args},
        "shape": _plain(x.shape),
        "params": x.params,
        "inputs": list(x.inputs),
    }


def _args_text(args: tuple) -> str:
    return ", ".join(f"{k}={_value(v)}" for k, v in args)


def _value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, tuple):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return f"{v:g}" if isinstance(v, float) else str(v)


def _show(what: str, v) -> str:
    if what == "shape":
        return fmt_shape(v)
    if v is None:
        return "(none)"
    if what == "params":
        return f"{v:,}"
    return _value(v)


def _layer_text(x: Layer) -> str:
    source = f" from {', '.join(x.inputs)}" if x.inputs else ""
    return f"{x.name}: {x.op}({_args_text(x.args)}) {fmt_shape(x.shape)}, {x.params:,} params{source}"
